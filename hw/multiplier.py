"""The multiply unit: one DSP48 per lane (and three for the scalar ``mul``), two stages.

Every vector operation that multiplies or shifts goes through the lane's DSP as
``a x m + bias``, registered at the DSP's output (PREG, :class:`fenn.hw.dsp.MulAdd`) at the end of X: ``vmul*`` (m = b),
``vsrai*`` (m = 1), ``vsll*``/``vslli`` (m = 2^amount, 2^16 standing in for every amount
>= 16: same truncated and saturated results) and ``vsra`` (m = 2^(15 - amount), then a
fixed right shift by 15). The rounding bias (nearest, or this lane's RNG draw masked to
the shift) enters through the DSP's C port. The second stage (W) shifts right by the
instruction's amount and saturates. So the result is ready one cycle later than an ALU
result: docs/timing.md charges ``mul_use`` when the next instruction reads it
(``fenn.timing.MUL_UNIT`` lists the instructions).

The scalar ``mul`` (low 32 bits of a 32 x 32 product) is three registered 16 x 16 DSP
products, summed in W.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from fenn import isa

from .decoder import row_index
from .dsp import MulAdd

__all__ = ["LaneMultiplier", "ScalarMultiplier", "shift_saturate"]


def shift_saturate(m, product, shift, keep, saturate):
    """In module ``m``, ``product >> shift`` (arithmetic) as int16: its low 16 bits, or with ``saturate`` the
    value clamped to int16. ``keep`` has a one at bit k for every k >= ``shift`` (the same
    for every lane, so it is made once).

    Only what the 16-bit result needs is built: a 16-bit window of ``product`` (not the whole
    shifted word), and the overflow test "bits 15 + shift and up are not all the sign"
    (``keep`` shifted up by 15) instead of two wide comparisons.
    """
    sign = product[-1]
    high = product[15:]
    checked = Cat(keep, Const(-1, len(high) - len(keep)))      # bits 15 + 16 and up: always
    overflow = ((high ^ sign.replicate(len(high))) & checked).any()
    # the window product[shift : shift + 16] in two levels of 4:1 multiplexers (a LUT6 each;
    # written as multiplexers, not shifts, which yosys's ``share`` would try to merge)
    # (``coarse`` is a signal: Amaranth elaborates an expression once per use, and a slice of a
    # Cat as the whole Cat)
    coarse = Signal(19)
    m.d.comb += coarse.eq(Cat(*[_mux4(shift[2:], [product[j + 4 * k] for k in range(4)]) for j in range(19)]))
    window = Cat(*[_mux4(shift[:2], coarse[j:j + 4]) for j in range(16)])
    return Mux(saturate & overflow, Cat((~sign).replicate(15), sign), window)


def one_hot(index, width: int = 17):
    """``1 << index`` as a decoder (one comparator per bit), not a shifter."""
    return Cat(*[index == k for k in range(width)])


def _mux4(select, inputs):
    return Mux(select[1], Mux(select[0], inputs[3], inputs[2]), Mux(select[0], inputs[1], inputs[0]))


def _suffixes(mnemonic: str) -> list[str]:
    return mnemonic.split("_")[1:]


def _family(prefix: str) -> list[str]:
    return [r.mnemonic for r in isa.TABLE if r.is_vector and r.mnemonic.split("_")[0] == prefix]


class LaneMultiplier(wiring.Component):
    """X side: operands and decode of the instruction in X; W side: ``vd_out`` of the one in W."""

    def __init__(self, lanes: int = 32):
        self.lanes = lanes
        width = 16 * lanes
        super().__init__({
            "rows": In(len(isa.TABLE)),
            "vshift": In(4),
            "vshamt": In(4),
            "vs1": In(width),
            "vs2": In(width),
            "rng": In(width),
            "vd_out": Out(width),
        })

    def _is(self, *mnemonics):
        return Cat(*[self.rows[row_index(m)] for m in mnemonics]).any()

    def elaborate(self, platform):
        m = Module()
        is_ = self._is
        vector = [r.mnemonic for r in isa.TABLE if r.is_vector]
        op = {name: Signal(name=f"is_{name}") for name in ("vmul", "vsrai", "vsll", "vslli", "vsra")}
        for name, sig in op.items():
            m.d.comb += sig.eq(is_(*_family(name)))
        rn = is_(*[n for n in vector if "rn" in _suffixes(n)])
        rs = is_(*[n for n in vector if "rs" in _suffixes(n)])
        sat = is_(*[n for n in vector if "s" in _suffixes(n) and n.split("_")[0] in op])

        # rounding bias: vmul rounds at its shift, vsrai at its shamt
        bias_shift = Signal(4)
        half, low_mask = Signal(16), Signal(16)
        m.d.comb += [bias_shift.eq(Mux(op["vmul"], self.vshift, self.vshamt)),
                     half.eq(one_hot(bias_shift)[1:]),
                     low_mask.eq(one_hot(bias_shift) - 1)]
        # the factor's bits that do not depend on the lane: vslli's 2^shamt, vsrai's 1
        fixed_pow = Signal(17)
        m.d.comb += fixed_pow.eq(Mux(op["vslli"], one_hot(self.vshamt), Mux(op["vsrai"], 1, 0)))

        # second stage: what to do with the product of the instruction now in W
        w_shift = Signal(4)
        w_sat = Signal()
        w_keep = Signal(16)         # ones at bits >= w_shift
        m.d.comb += w_keep.eq(~(one_hot(w_shift) - 1))
        m.d.sync += [w_shift.eq(Mux(op["vmul"], self.vshift, Mux(op["vsrai"], self.vshamt,
                                                                  Mux(op["vsra"], 15, 0)))),
                     w_sat.eq(sat)]

        outs = []
        for i in range(self.lanes):
            a = self.vs1.word_select(i, 16).as_signed()
            b = self.vs2.word_select(i, 16).as_signed()
            amount = b.as_unsigned()[:5]
            # each factor bit as one sum of products of b's bits and the (registered) op flags,
            # two LUT levels behind the register read: vmul's b, vsll's 2^amount (2^16 for any
            # amount >= 16), vsra's 2^(15 - amount) (1 for amount >= 15), or the fixed power
            bits = []
            for j in range(17):
                sll_hit = amount[4] if j == 16 else (amount == j)
                sra_hit = Const(0, 1) if j == 16 else (amount == 15 - j) | (amount[4] if j == 0 else 0)
                own = b.as_unsigned()[j] if j < 16 else b[15]
                bits.append((op["vmul"] & own) | (op["vsll"] & sll_hit) | (op["vsra"] & sra_hit) | fixed_pow[j])
            factor = Signal(signed(18), name=f"factor{i}")
            m.d.comb += factor.eq(Cat(*bits, op["vmul"] & b[15]))
            r = self.rng.word_select(i, 16)
            bias = Signal(16, name=f"bias{i}")
            m.d.comb += bias.eq(Mux(rn, half, Mux(rs, r & low_mask, 0)))
            m.submodules[f"dsp{i}"] = dsp = MulAdd(a.shape(), factor.shape(), bias.shape(), signed(34))
            m.d.comb += [dsp.a.eq(a), dsp.b.eq(factor), dsp.c.eq(bias)]
            outs.append(shift_saturate(m, dsp.p, w_shift, w_keep, w_sat))        # dsp.p: the DSP's P register
        m.d.comb += self.vd_out.eq(Cat(*outs))
        return m


class ScalarMultiplier(wiring.Component):
    """``mul``: three 16 x 16 partial products registered at the end of X, summed in W."""

    def __init__(self):
        super().__init__({"a": In(32), "b": In(32), "result": Out(32)})

    def elaborate(self, platform):
        m = Module()
        a, b = self.a, self.b
        products = []
        for name, x, y, width in (("low", a[:16], b[:16], 32), ("cross1", a[16:], b[:16], 16),
                                  ("cross2", a[:16], b[16:], 16)):
            m.submodules[name] = dsp = MulAdd(unsigned(16), unsigned(16), unsigned(0), unsigned(width))
            m.d.comb += [dsp.a.eq(x), dsp.b.eq(y)]
            products.append(dsp.p)
        low, cross1, cross2 = products
        m.d.comb += self.result.eq(low + Cat(Const(0, 16), cross1 + cross2))
        return m
