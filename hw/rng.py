"""Per-lane xoroshiro32++ random number generators (spec/isa.md §4).

Each lane holds a 16-bit pair (S0, S1). ``load_s0``/``load_s1`` replace a whole state
vector with ``data`` (``vloadr0``/``vloadr1``, whose data arrives in W, a cycle after they
issue). ``out`` is the output of the registered state, not forwarded from a load: a draw
right behind a state load waits a cycle (``rng_use`` in docs/timing.md). ``advance``
steps every lane once (one draw). The reset state comes from
``fenn.soc.RNG_RESET_STATE`` so that the simulator and the RTL start alike.
"""

from __future__ import annotations

from amaranth import Cat, Module, Signal, Value
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
        n0s, n1s, outs = [], [], []
        for i in range(self.lanes):
            r, n0, n1 = xoroshiro32pp(self.s0.word_select(i, 16), self.s1.word_select(i, 16))
            outs.append(r)
            n0s.append(n0)
            n1s.append(n1)
        m.d.comb += self.out.eq(Cat(*outs))
        with m.If(self.advance):
            m.d.sync += [self.s0.eq(Cat(*n0s)), self.s1.eq(Cat(*n1s))]
        with m.If(self.load_s0):
            m.d.sync += self.s0.eq(self.data)
        with m.If(self.load_s1):
            m.d.sync += self.s1.eq(self.data)
        half = self.lanes // 2              # 32-bit words per state vector
        with m.If(self.host_we):
            with m.Switch(self.host_index):
                for i in range(self.lanes):
                    with m.Case(i):
                        target = self.s0 if i < half else self.s1
                        m.d.sync += target.word_select(i % half, 32).eq(self.host_data)
        return m


def _pack(lanes, count: int) -> int:
    if lanes is None:
        return 0
    values = list(lanes)
    if len(values) != count:
        raise ValueError(f"RNG reset state needs {count} lane values, got {len(values)}")
    return sum((int(v) & 0xFFFF) << (16 * i) for i, v in enumerate(values))
