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

        # One adder per lane, ``lane_a + lane_b + sub``, makes every arithmetic result, so a
        # lane has one carry chain (not one per operation) and one LUT level of bitwise logic:
        #   vadd/vsub (and vtlt/vtge, whose answer is the sign of a - b): a + (b or ~b) + sub
        #   vandadd: (a & mask) + xs2;  vlui, vfill: 0 + the constant;  vrng: 0 + (r >> 1)
        # The masks and constants are the same for every lane, so they are made once here.
        sub = Signal()
        m.d.comb += sub.eq(op["vsub"] | op["vtlt"] | op["vtge"])
        a_mask = Signal(16)         # what of vs1 enters the adder
        andadd_mask = Mux(self.vk == 0, 0, (Const(1, 16) << self.vk) - 1)
        m.d.comb += a_mask.eq(Mux(op["vandadd"], andadd_mask, Mux(op["vlui"] | op["vfill"] | op["vrng"], 0, 0xFFFF)))
        uniform_b = Signal(16)      # the adder's other operand when it is the same in every lane
        uses_uniform_b = Signal()
        m.d.comb += [uniform_b.eq(Mux(op["vandadd"], self.xs2[:16],
                                      Mux(op["vlui"], self.imm_u[:16], Cat(self.xs1[:15], self.xs1[31])))),
                     uses_uniform_b.eq(op["vandadd"] | op["vlui"] | op["vfill"])]
        bitwise = Signal()          # vand / vsel: no adder
        m.d.comb += bitwise.eq(op["vand"] | op["vsel"])

        lanes_out, cmp_bits = [], []
        use_lt, negate = op["vtlt"] | op["vtge"], op["vtne"] | op["vtge"]
        for i in range(self.lanes):
            a = self.vs1.word_select(i, 16).as_signed()
            b = self.vs2.word_select(i, 16).as_signed()
            old = self.vd.word_select(i, 16)
            r = self.rng.word_select(i, 16)

            lane_a = Signal(signed(16), name=f"lane_a{i}")
            lane_b = Signal(signed(16), name=f"lane_b{i}")
            m.d.comb += [lane_a.eq(a & a_mask),
                         lane_b.eq(Mux(uses_uniform_b, uniform_b,
                                       Mux(op["vrng"], r[1:], b ^ sub.replicate(16))))]
            total = Signal(signed(17), name=f"sum{i}")
            m.d.comb += total.eq(lane_a + lane_b + sub)
            overflow = total[16] ^ total[15]
            saturated = Cat(~total[16].replicate(15), total[16])
            arith = Mux(sat & overflow, saturated, total[:16])
            logic = Mux(op["vand"], a & b, Mux(self.xs1[i], b, old))
            lane = Signal(16, name=f"lane{i}")
            m.d.comb += lane.eq(Mux(bitwise, logic, arith))
            lanes_out.append(lane)
            cmp_bits.append(Mux(use_lt, total[16], a == b) ^ negate)

        m.d.comb += self.vd_out.eq(Cat(*lanes_out))
        extract = self.vs1.word_select(self.lane, 16).as_signed()
        compares = op["vteq"] | op["vtne"] | op["vtlt"] | op["vtge"]
        m.d.comb += self.xd_out.eq(Mux(compares, Cat(*cmp_bits),
                                       Mux(op["vextract"], Cat(extract, extract[15].replicate(16)), 0)))
        return m
