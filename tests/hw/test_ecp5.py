"""The ECP5 pin harness: every port of the wrapped component is reached through its shift registers."""

import pytest

pytest.importorskip("amaranth")
from amaranth import Module  # noqa: E402
from amaranth.lib import wiring  # noqa: E402
from amaranth.lib.wiring import In, Out  # noqa: E402
from amaranth.sim import Simulator  # noqa: E402

from fenn.hw.ecp5 import PinHarness  # noqa: E402


class Swap(wiring.Component):
    """o = the two bytes of i swapped, h = i's top bit: outputs that tell every input bit apart."""
    i: In(16)
    o: Out(16)
    h: Out(1)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += [self.o.eq(self.i.rotate_left(8)), self.h.eq(self.i[15])]
        return m


def test_harness_shifts_every_input_in_and_every_output_out():
    harness = PinHarness(Swap())
    word = 0xB2C5
    seen = []

    async def bench(ctx):
        for k in reversed(range(16)):             # the first bit in ends at the far end of the chain
            ctx.set(harness.sin, (word >> k) & 1)
            await ctx.tick()
        ctx.set(harness.load, 1)
        await ctx.tick()
        ctx.set(harness.load, 0)
        for _ in range(17):
            seen.append(ctx.get(harness.sout))
            await ctx.tick()

    sim = Simulator(harness)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    out = sum(bit << k for k, bit in enumerate(seen))
    assert out == ((word << 8 | word >> 8) & 0xFFFF) | (word >> 15) << 16
