"""RV32I + the Zbb subset: the scalar results of one instruction, combinational (``mul`` is in
:mod:`.multiplier`; ``clz``/``ctz``/``cpop`` are :class:`BitCounts`, a stage later).

Like the vector ALU it is driven by the decoder's one-hot ``rows`` and fields, and names
instructions only by their table mnemonics.
"""

from __future__ import annotations

from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from fenn import isa

from .decoder import row_index

__all__ = ["ScalarAlu", "BitCounts", "BRANCH_CONDITIONS", "CONTROLS"]


def _leading_zeros(bits):
    """(all zero, count of zeros before the first one from the top) of ``bits`` (a power of two
    long), as a tree of 2:1 choices: the count is valid when not all zero."""
    if len(bits) == 1:
        return ~bits[0], Const(0, 0)
    half = len(bits) // 2
    zero_hi, count_hi = _leading_zeros(bits[half:])
    zero_lo, count_lo = _leading_zeros(bits[:half])
    return zero_hi & zero_lo, Cat(Mux(zero_hi, count_lo, count_hi), zero_hi)


def _clz(x):
    zero, count = _leading_zeros(x)
    return Mux(zero, 32, count)


def _ctz(x):
    zero, count = _leading_zeros(x[::-1])
    return Mux(zero, 32, count)


def _cpop(x):
    """Ones in ``x``: six-bit groups counted by table (a LUT per result bit), then a tree of adds."""
    counts = []
    for lo in range(0, len(x), 6):
        group = x[lo:lo + 6]
        table = Array(Const(bin(v).count("1"), 3) for v in range(1 << len(group)))
        counts.append(table[group])
    while len(counts) > 1:
        counts = [counts[i] + counts[i + 1] if i + 1 < len(counts) else counts[i] for i in range(0, len(counts), 2)]
    return counts[0][:6]


#: branch mnemonic -> condition on (rs1, rs2) as Amaranth values
BRANCH_CONDITIONS = {
    "beq": lambda a, b: a == b,
    "bne": lambda a, b: a != b,
    "blt": lambda a, b: a.as_signed() < b.as_signed(),
    "bge": lambda a, b: a.as_signed() >= b.as_signed(),
    "bltu": lambda a, b: a < b,
    "bgeu": lambda a, b: a >= b,
}


#: the ALU's controls: name -> the mnemonics it is 1 for. The core gives each as one flag
#: decoded in D and registered (``DecodedInX.is_``), so X starts from flip-flops: the operand
#: choice, one adder, one logic unit, one comparator, one shifter each way, and a one-hot
#: select of the parts (an OR of rows per result would cost levels in X).
CONTROLS = {
    "imm": ("addi", "slti", "sltiu", "xori", "ori", "andi", "slli", "srli", "srai"),   # b = imm_i (shamt = its low bits)
    "sum": ("add", "addi", "sub"),
    "sub": ("sub",),
    "xor": ("xor", "xori"),
    "or": ("or", "ori"),
    "and": ("and", "andi"),
    "less": ("slt", "slti", "sltu", "sltiu"),
    "unsigned": ("sltu", "sltiu"),
    "left": ("sll", "slli"),
    "right": ("srl", "srli", "sra", "srai"),
    "arith": ("sra", "srai"),
    "sext_b": ("sext.b",),
    "sext_h": ("sext.h",),
    "lui": ("lui",),
    "auipc": ("auipc",),
    "link": ("jal", "jalr"),
}


class ScalarAlu(wiring.Component):
    """``result`` for rd-writing ALU rows (controls: :data:`CONTROLS`); ``taken`` for branches."""

    def __init__(self):
        super().__init__({
            "rows": In(len(isa.TABLE)),
            **{f"is_{name}": In(1) for name in CONTROLS},
            "pc": In(32),
            "rs1": In(32),
            "rs2": In(32),
            "imm_i": In(32),
            "imm_u": In(20),
            "result": Out(32),
            "taken": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        c = {name: getattr(self, f"is_{name}") for name in CONTROLS}
        a = self.rs1
        b = Signal(32)
        m.d.comb += b.eq(Mux(c["imm"], self.imm_i, self.rs2))
        u = Cat(Const(0, 12), self.imm_u)
        amount = b[:5]
        total = Signal(32)
        m.d.comb += total.eq(a + (b ^ c["sub"].replicate(32)) + c["sub"])
        less = Mux(c["unsigned"], a < b, a.as_signed() < b.as_signed())
        right = Signal(32)
        m.d.comb += right.eq(Cat(a, c["arith"] & a[31]).as_signed() >> amount)
        parts = {
            "sum": total,
            "xor": a ^ b, "or": a | b, "and": a & b,
            "less": less,
            "left": a << amount,
            "right": right,
            "sext_b": a[:8].as_signed(),
            "sext_h": a[:16].as_signed(),
            "lui": u,
            "auipc": self.pc + u,
            "link": self.pc + 4,
        }
        out = Const(0, 32)
        for name, value in parts.items():
            widened = Signal(32, name=f"r_{name}")
            m.d.comb += widened.eq(value)
            out = out | Mux(c[name], widened, 0)
        m.d.comb += self.result.eq(out)
        taken = Const(0, 1)
        for name, cond in BRANCH_CONDITIONS.items():
            taken = taken | (self.rows[row_index(name)] & cond(a, self.rs2))
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
