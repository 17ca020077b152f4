"""The lane datapath's building blocks against plain integer arithmetic, edge cases included."""

import random

import pytest

pytest.importorskip("amaranth")
from amaranth import Module, Signal, signed  # noqa: E402
from amaranth.sim import Simulator  # noqa: E402

from fenn.hw.multiplier import one_hot, shift_saturate  # noqa: E402


def _reference(product: int, shift: int, saturate: bool) -> int:
    value = product >> shift
    if saturate:
        value = min(max(value, -32768), 32767)
    return value & 0xFFFF


def test_shift_saturate_matches_integer_arithmetic():
    m = Module()
    product, shift, saturate = Signal(signed(34)), Signal(4), Signal()
    keep = Signal(16)
    out = Signal(16)
    m.d.comb += [keep.eq(~(one_hot(shift) - 1)), out.eq(shift_saturate(m, product, shift, keep, saturate))]
    rng = random.Random(9)
    edges = [0, 1, -1, 32767, 32768, -32768, -32769, 65535, -65536, (1 << 31) - 1, -(1 << 31), (1 << 33) - 1, -(1 << 33)]
    products = edges + [e << s for e in (32767, -32768, 32768, -32769) for s in range(17)]
    products += [rng.randrange(-(1 << 33), 1 << 33) for _ in range(150)]
    products += [rng.randrange(-(1 << 20), 1 << 20) for _ in range(150)]
    failures = []

    async def bench(ctx):
        for p in products:
            for s in range(16):
                for sat in (0, 1):
                    ctx.set(product, p)
                    ctx.set(shift, s)
                    ctx.set(saturate, sat)
                    got, want = ctx.get(out), _reference(p, s, bool(sat))
                    if got != want:
                        failures.append((p, s, sat, got, want))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert not failures, failures[:5]


def test_shift_saturate_elaborates_each_multiplexer_once():
    """The window is two levels of 4:1 multiplexers: 19 + 16 of them, three 2:1 cells each.
    (Amaranth elaborates an expression once per use, and a slice of a Cat as the whole Cat: built
    that way, the 32 lanes came to 250,000 lines of Verilog, which Icarus took over ten minutes to
    compile.)"""
    from amaranth.back import rtlil
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    class Window(wiring.Component):
        product: In(signed(34))
        shift: In(4)
        keep: In(16)
        saturate: In(1)
        out: Out(16)

        def elaborate(self, platform):
            m = Module()
            m.d.comb += self.out.eq(shift_saturate(m, self.product, self.shift, self.keep, self.saturate))
            return m

    text = rtlil.convert(Window())
    assert text.count("cell $mux") == (19 + 16) * 3 + 1, "the final saturating choice is the one more"
