"""A three-pin harness around a component: every port registered, reached through shift registers.

It imports nothing of fenn but Amaranth, so ``fenn.hw.ecp5`` can wrap the RTL of another commit
with it (``benchmarks/fmax.py --rtl-from``): the harness is today's, the component that commit's.
"""

from __future__ import annotations

from amaranth import Cat, Elaboratable, Module, Mux, Signal
from amaranth.back import verilog
from amaranth.lib.wiring import In

__all__ = ["PinHarness", "harness_verilog", "HARNESS_TOP"]

HARNESS_TOP = "fenn_fmax"


class PinHarness(Elaboratable):
    """``component`` with its input ports shifted in from ``sin`` and its outputs loaded (``load``) and
    shifted out to ``sout``: three pins, and every port of the component registered."""

    def __init__(self, component):
        self.component = component
        self.sin, self.load, self.sout = Signal(), Signal(), Signal()

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = dut = self.component
        ins, outs = [], []
        for _, member, value in dut.signature.flatten(dut):
            (ins if member.flow == In else outs).append(value)
        shift_in = Signal(sum(len(v) for v in ins))
        m.d.sync += shift_in.eq(Cat(self.sin, shift_in[:-1]))
        m.d.comb += Cat(*ins).eq(shift_in)
        captured = Signal(sum(len(v) for v in outs))
        m.d.sync += captured.eq(Mux(self.load, Cat(*outs), captured >> 1))
        m.d.comb += self.sout.eq(captured[0])
        return m


def harness_verilog(component) -> str:
    """Verilog of ``component`` in a :class:`PinHarness`, top module :data:`HARNESS_TOP`."""
    harness = PinHarness(component)
    return verilog.convert(harness, ports=[harness.sin, harness.load, harness.sout], name=HARNESS_TOP,
                           emit_src=False)
