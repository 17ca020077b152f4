"""RV32I + the Zbb subset: the scalar results of one instruction, combinational (``mul`` is in
:mod:`.multiplier`; ``clz``/``ctz``/``cpop`` are :class:`BitCounts`, a stage later).

Like the vector ALU it is driven by the decoder's one-hot ``rows`` and fields, and names
instructions only by their table mnemonics.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from fenn import isa

from .decoder import row_index

__all__ = ["ScalarAlu", "BitCounts", "BRANCH_CONDITIONS"]


def _clz(x):
    result = Const(32, 6)
    for i in range(32):                      # the highest set bit wins
        result = Mux(x[i], 31 - i, result)
    return result


def _ctz(x):
    result = Const(32, 6)
    for i in reversed(range(32)):            # the lowest set bit wins
        result = Mux(x[i], i, result)
    return result


def _cpop(x):
    total = Const(0, 6)
    for i in range(32):
        total = total + x[i]
    return total[:6]


#: branch mnemonic -> condition on (rs1, rs2) as Amaranth values
BRANCH_CONDITIONS = {
    "beq": lambda a, b: a == b,
    "bne": lambda a, b: a != b,
    "blt": lambda a, b: a.as_signed() < b.as_signed(),
    "bge": lambda a, b: a.as_signed() >= b.as_signed(),
    "bltu": lambda a, b: a < b,
    "bgeu": lambda a, b: a >= b,
}


class ScalarAlu(wiring.Component):
    """``result`` for rd-writing ALU rows; ``taken`` for branches."""

    def __init__(self):
        super().__init__({
            "rows": In(len(isa.TABLE)),
            "pc": In(32),
            "rs1": In(32),
            "rs2": In(32),
            "imm_i": In(32),
            "imm_u": In(20),
            "shamt": In(5),
            "result": Out(32),
            "taken": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        a, b = self.rs1, self.rs2
        imm = self.imm_i
        u = Cat(Const(0, 12), self.imm_u)
        sa, sb, simm = a.as_signed(), b.as_signed(), imm.as_signed()
        results = {
            "lui": u,
            "auipc": self.pc + u,
            "jal": self.pc + 4,
            "jalr": self.pc + 4,
            "addi": a + imm,
            "slti": sa < simm,
            "sltiu": a < imm,
            "xori": a ^ imm,
            "ori": a | imm,
            "andi": a & imm,
            "slli": a << self.shamt,
            "srli": a >> self.shamt,
            "srai": sa >> self.shamt,
            "add": a + b,
            "sub": a - b,
            "sll": a << b[:5],
            "slt": sa < sb,
            "sltu": a < b,
            "xor": a ^ b,
            "srl": a >> b[:5],
            "sra": sa >> b[:5],
            "or": a | b,
            "and": a & b,
            "sext.b": a[:8].as_signed(),
            "sext.h": a[:16].as_signed(),
        }
        out = Const(0, 32)
        for name, value in results.items():
            bit = self.rows[row_index(name)]
            widened = Signal(32, name=f"r_{name.replace('.', '_')}")
            m.d.comb += widened.eq(value)
            out = out | Mux(bit, widened, 0)
        m.d.comb += self.result.eq(out)
        taken = Const(0, 1)
        for name, cond in BRANCH_CONDITIONS.items():
            taken = taken | (self.rows[row_index(name)] & cond(a, b))
        m.d.comb += self.taken.eq(taken)
        return m


class BitCounts(wiring.Component):
    """``clz``/``ctz``/``cpop``: the operand and the choice registered at the end of X,
    counted in W (docs/timing.md charges ``mul_use`` when the next instruction reads it)."""

    def __init__(self):
        super().__init__({"rows": In(len(isa.TABLE)), "rs1": In(32), "result": Out(32)})

    def elaborate(self, platform):
        m = Module()
        a = Signal(32)
        which = Signal(3)       # clz, ctz, cpop
        m.d.sync += [a.eq(self.rs1),
                     which.eq(Cat(*[self.rows[row_index(n)] for n in ("clz", "ctz", "cpop")]))]
        m.d.comb += self.result.eq(Mux(which[0], _clz(a), 0) | Mux(which[1], _ctz(a), 0)
                                   | Mux(which[2], _cpop(a), 0))
        return m
