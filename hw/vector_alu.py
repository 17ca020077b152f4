"""The 32-lane x 16-bit vector ALU (spec/isa.md §3) of the X stage, purely combinational.

Multiplies and shifts (``vmul*``, ``vsll*``, ``vslli``, ``vsra``, ``vsrai*``) are not here:
they run on the lane DSPs of :mod:`.multiplier`, whose results come a stage later.

It is driven by the decoder's one-hot ``rows`` and operand fields, so it never looks at
opcode bits; which rows mean "saturate" or "round to nearest" is read from the mnemonics
of the table (``_s``, ``_rn``, ``_rs``), which the ISA defines as the variant names.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from fenn import isa
from fenn.timing import DRAWS_RNG

from .decoder import row_index
from .multiplier import clamp16

__all__ = ["VectorAlu", "variants"]


def _suffixes(mnemonic: str) -> list[str]:
    return mnemonic.split("_")[1:]


def variants(prefix: str) -> list[str]:
    """All table mnemonics of one vector operation, e.g. every ``vmul*`` row."""
    return [r.mnemonic for r in isa.TABLE if r.mnemonic.split("_")[0] == prefix]


SATURATING = [r.mnemonic for r in isa.TABLE if r.is_vector and "s" in _suffixes(r.mnemonic)]



class VectorAlu(wiring.Component):
    """Lane-wise results for one instruction; ``vd_out`` for v writes, ``xd_out`` for x writes."""

    def __init__(self, lanes: int = 32):
        self.lanes = lanes
        width = 16 * lanes
        super().__init__({
            "rows": In(len(isa.TABLE)),
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
              ("vadd", "vsub", "vand", "vsel",
               "vlui", "vfill", "vrng", "vandadd", "vteq", "vtne", "vtlt", "vtge", "vextract")}
        for name, sig in op.items():
            m.d.comb += sig.eq(is_(*variants(name)))
        sat = Signal()
        m.d.comb += [sat.eq(is_(*SATURATING)), self.draws_rng.eq(is_(*DRAWS_RNG))]

        lanes_out, cmp_bits = [], {k: [] for k in ("vteq", "vtne", "vtlt", "vtge")}
        for i in range(self.lanes):
            a = self.vs1.word_select(i, 16).as_signed()
            b = self.vs2.word_select(i, 16).as_signed()
            old = self.vd.word_select(i, 16)
            r = self.rng.word_select(i, 16)

            total = Signal(signed(17), name=f"sum{i}")
            m.d.comb += total.eq(Mux(op["vsub"], a - b, a + b))
            addsub = Mux(sat, clamp16(total), total[:16])
            sel = Mux(self.xs1[i], b.as_unsigned(), old)
            andadd = ((a.as_unsigned() & Mux(self.vk == 0, 0, (Const(1, 16) << self.vk) - 1)) + self.xs2[:16])[:16]

            choices = [
                (op["vadd"] | op["vsub"], addsub),
                (op["vand"], (a & b)[:16]),
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
