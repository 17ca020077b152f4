"""Per-lane xoroshiro32++ random number generators (spec/isa.md §4).

Each lane holds a 16-bit pair (S0, S1). ``load_s0``/``load_s1`` replace a whole state
vector with ``data`` (``vloadr0``/``vloadr1``, whose data arrives in W, a cycle after they
issue). ``out`` is the output of the registered state, not forwarded from a load: a draw
right behind a state load waits a cycle (``rng_use`` in docs/timing.md). ``advance``
steps every lane once (one draw). The reset state comes from
``fenn.soc.RNG_RESET_STATE`` so that the simulator and the RTL start alike.
"""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["xoroshiro32pp", "RngBank"]


def xoroshiro32pp(s0: Value, s1: Value) -> tuple[Value, Value, Value]:
    """One xoroshiro32++ step on 16-bit values: (output, next S0, next S1)."""
    r = ((s0 + s1)[:16].rotate_left(9) + s0)[:16]
    t = s1 ^ s0
    n0 = s0.rotate_left(13) ^ t ^ (t << 5)[:16]
    n1 = t.rotate_left(10)
    return r, n0, n1


class RngBank(wiring.Component):
    """The 32 lane generators with their state registers."""

    def __init__(self, lanes: int = 32, reset_s0=None, reset_s1=None):
        self.lanes = lanes
        self._reset = [_pack(reset_s0, lanes), _pack(reset_s1, lanes)]
        super().__init__({
            "advance": In(1),
            "load_s0": In(1),
            "load_s1": In(1),
            "data": In(16 * lanes),
            # the host writes one 32-bit word of Cat(S0, S1) while the core is stopped
            "host_we": In(1),
            "host_index": In(range(lanes)),
            "host_data": In(32),
            "out": Out(16 * lanes),
            "s0": Out(16 * lanes, init=self._reset[0]),
            "s1": Out(16 * lanes, init=self._reset[1]),
        })

    def elaborate(self, platform):
        m = Module()
        half = self.lanes // 2              # 32-bit host words per state vector
        outs = []
        for i in range(self.lanes):
            s0, s1 = self.s0.word_select(i, 16), self.s1.word_select(i, 16)
            r, n0, n1 = xoroshiro32pp(s0, s1)
            outs.append(r)
            # the host word holding this lane's S0 (words 0..half-1) or S1 (words half..)
            host_word = self.host_data.word_select(i % 2, 16)
            host_s0 = self.host_we & (self.host_index == i // 2)
            host_s1 = self.host_we & (self.host_index == half + i // 2)
            # a host write, else a state load, else a step (the same priority as written out with
            # m.If, but as one multiplexer per bit in front of a clock enable)
            for state, step, load, host in ((s0, n0, self.load_s0, host_s0), (s1, n1, self.load_s1, host_s1)):
                with m.If(host | load | self.advance):
                    m.d.sync += state.eq(Mux(host, host_word, Mux(load, self.data.word_select(i, 16), step)))
        m.d.comb += self.out.eq(Cat(*outs))
        return m


def _pack(lanes, count: int) -> int:
    if lanes is None:
        return 0
    values = list(lanes)
    if len(values) != count:
        raise ValueError(f"RNG reset state needs {count} lane values, got {len(values)}")
    return sum((int(v) & 0xFFFF) << (16 * i) for i, v in enumerate(values))
