"""The 32-lane x 16-bit vector ALU (spec/isa.md §3), purely combinational.

It is driven by the decoder's one-hot ``rows`` and operand fields, so it never looks at
opcode bits; which rows mean "saturate" or "round to nearest" is read from the mnemonics
of the table (``_s``, ``_rn``, ``_rs``), which the ISA defines as the variant names.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from fenn import isa

from .decoder import row_index

__all__ = ["VectorAlu", "variants"]


def _suffixes(mnemonic: str) -> list[str]:
    return mnemonic.split("_")[1:]


def variants(prefix: str) -> list[str]:
    """All table mnemonics of one vector operation, e.g. every ``vmul*`` row."""
    return [r.mnemonic for r in isa.TABLE if r.mnemonic.split("_")[0] == prefix]


SATURATING = [r.mnemonic for r in isa.TABLE if r.is_vector and "s" in _suffixes(r.mnemonic)]
ROUND_NEAREST = [r.mnemonic for r in isa.TABLE if r.is_vector and "rn" in _suffixes(r.mnemonic)]
ROUND_STOCHASTIC = [r.mnemonic for r in isa.TABLE if r.is_vector and "rs" in _suffixes(r.mnemonic)]
#: rows that draw one RNG output per lane (and advance every lane)
DRAWS_RNG = ROUND_STOCHASTIC + ["vrng"]

INT16_MAX, INT16_MIN = 32767, -32768


def _clamp16(value):
    return Mux(value > INT16_MAX, Const(INT16_MAX, 16),
               Mux(value < INT16_MIN, Const(INT16_MIN & 0xFFFF, 16), value[:16]))


class VectorAlu(wiring.Component):
    """Lane-wise results for one instruction; ``vd_out`` for v writes, ``xd_out`` for x writes."""

    def __init__(self, lanes: int = 32):
        self.lanes = lanes
        width = 16 * lanes
        super().__init__({
            "rows": In(len(isa.TABLE)),
            "vshift": In(4),        # vmul shift
            "vshamt": In(4),        # vslli/vsrai shamt
            "vk": In(4),            # vandadd k
            "lane": In(5),          # vextract lane
            "imm_u": In(20),        # vlui
            "vs1": In(width),
            "vs2": In(width),
            "vd": In(width),        # old vd (vsel keeps unselected lanes)
            "xs1": In(32),
            "xs2": In(32),
            "rng": In(width),       # this draw's output of every lane generator
            "vd_out": Out(width),
            "xd_out": Out(32),
            "draws_rng": Out(1),
        })

    def _is(self, *mnemonics):
        return Cat(*[self.rows[row_index(m)] for m in mnemonics]).any()

    def elaborate(self, platform):
        m = Module()
        is_ = self._is
        op = {name: Signal(name=f"is_{name}") for name in
              ("vadd", "vsub", "vand", "vsll", "vsra", "vmul", "vslli", "vsrai", "vsel",
               "vlui", "vfill", "vrng", "vandadd", "vteq", "vtne", "vtlt", "vtge", "vextract")}
        for name, sig in op.items():
            m.d.comb += sig.eq(is_(*variants(name)))
        sat = Signal()
        rn = Signal()
        rs = Signal()
        m.d.comb += [sat.eq(is_(*SATURATING)), rn.eq(is_(*ROUND_NEAREST)), rs.eq(is_(*ROUND_STOCHASTIC)),
                     self.draws_rng.eq(is_(*DRAWS_RNG))]

        # shared rounding shifter: vmul shifts the product, vsrai the operand itself
        shift = Signal(4)
        m.d.comb += shift.eq(Mux(op["vmul"], self.vshift, self.vshamt))
        half = Signal(16)
        low_mask = Signal(16)
        m.d.comb += [half.eq((Const(1, 17) << shift)[1:]),
                     low_mask.eq((Const(1, 17) << shift) - 1)]

        lanes_out, cmp_bits = [], {k: [] for k in ("vteq", "vtne", "vtlt", "vtge")}
        for i in range(self.lanes):
            a = self.vs1.word_select(i, 16).as_signed()
            b = self.vs2.word_select(i, 16).as_signed()
            old = self.vd.word_select(i, 16)
            r = self.rng.word_select(i, 16)

            total = Signal(signed(17), name=f"sum{i}")
            m.d.comb += total.eq(Mux(op["vsub"], a - b, a + b))
            addsub = Mux(sat, _clamp16(total), total[:16])

            amount = b.as_unsigned()[:5]
            wide = Signal(signed(47), name=f"sll{i}")
            m.d.comb += wide.eq(a << amount)
            sll = Mux(sat, _clamp16(wide), wide[:16])
            sra = (a >> Mux(amount > 15, 15, amount))[:16]

            base = Signal(signed(32), name=f"prod{i}")
            m.d.comb += base.eq(Mux(op["vmul"], a * b, a))
            bias = Mux(rn, half, Mux(rs, r & low_mask, 0))
            rounded = Signal(signed(33), name=f"round{i}")
            m.d.comb += rounded.eq((base + bias) >> shift)
            mulsh = Mux(sat, _clamp16(rounded), rounded[:16])

            slli = (a << self.vshamt)[:16]
            sel = Mux(self.xs1[i], b.as_unsigned(), old)
            andadd = ((a.as_unsigned() & Mux(self.vk == 0, 0, (Const(1, 16) << self.vk) - 1)) + self.xs2[:16])[:16]

            choices = [
                (op["vadd"] | op["vsub"], addsub),
                (op["vand"], (a & b)[:16]),
                (op["vsll"], sll),
                (op["vsra"], sra),
                (op["vmul"] | op["vsrai"], mulsh),
                (op["vslli"], slli),
                (op["vsel"], sel),
                (op["vlui"], self.imm_u[:16]),
                (op["vfill"], Cat(self.xs1[:15], self.xs1[31])),
                (op["vrng"], r[1:]),
                (op["vandadd"], andadd),
            ]
            lane = Signal(16, name=f"lane{i}")
            result = Const(0, 16)
            for cond, value in choices:
                result = result | Mux(cond, value.as_unsigned()[:16], 0)
            m.d.comb += lane.eq(result)
            lanes_out.append(lane)

            cmp_bits["vteq"].append(a == b)
            cmp_bits["vtne"].append(a != b)
            cmp_bits["vtlt"].append(a < b)
            cmp_bits["vtge"].append(a >= b)

        m.d.comb += self.vd_out.eq(Cat(*lanes_out))
        extract = self.vs1.word_select(self.lane, 16).as_signed()
        xd = Const(0, 32)
        for name, bits in cmp_bits.items():
            xd = xd | Mux(op[name], Cat(*bits), 0)
        xd = xd | Mux(op["vextract"], Cat(extract, extract[15].replicate(16)), 0)
        m.d.comb += self.xd_out.eq(xd)
        return m
