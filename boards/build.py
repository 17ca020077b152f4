"""``fenn build``: everything needed to make a board's bitstream, and Vivado run on it where present.

:func:`write_project` writes, in seconds and without Vivado:

=====================  ==================================================================
``fenn_soc.v``         the SoC (``fenn.hw``), VMEM in block RAM on devices without URAM
``fenn_soc_bd.v``      the top with its ports tagged for the block design (:mod:`.top`)
``fenn_build.tcl``     the Vivado batch script (:mod:`.vivado`)
``fenn_overlay.json``  the overlay manifest the ``pynq`` backend reads
=====================  ==================================================================

:func:`run_vivado` runs the script, showing its progress, and then :func:`collect` parses
the reports into ``fenn_reports.json``. Vivado leaves ``fenn_overlay.bit``, ``.hwh`` and
``.xsa`` and ``reports/``.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import shutil
import subprocess
import sys

from fenn.errors import FennError
from fenn.soc import SocConfig

from .board import Board
from .vivado import OUTPUTS, VIVADO_VERSION, build_tcl, dma_routes, host_windows

__all__ = ["BuildError", "Project", "board_soc", "device_verilog", "write_project", "run_vivado", "collect",
           "vivado_command", "MANIFEST", "SCRIPT", "REPORTS_JSON"]

SCRIPT, MANIFEST, REPORTS_JSON, WRAPPER = "fenn_build.tcl", "fenn_overlay.json", "fenn_reports.json", "fenn_soc_bd.v"
_ULTRA, _BLOCK = '(* ram_style = "ultra" *)', '(* ram_style = "block" *)'


class BuildError(FennError):
    """A build that cannot be made as asked (does not fit, Vivado failed, timing not met).

    Fix: the message names the step and its log; docs/boards.md lists what each needs.
    """


@dataclasses.dataclass(frozen=True)
class Project:
    directory: pathlib.Path
    board: Board
    soc: SocConfig
    files: dict           #: role -> path of every file written
    fit: object           #: the fit check's answer (fenn.boards.fit.Fit) or None without figures


def fenn_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("fenn")
    except PackageNotFoundError:
        return "unknown"


def board_soc(board: Board, soc: SocConfig | None = None, cores: int | None = None,
              clock_mhz: float | None = None) -> SocConfig:
    """The SocConfig a build uses: ``soc`` (default: the board's) with ``cores`` and clock overridden."""
    soc = soc or board.soc
    changes = {}
    if cores is not None:
        changes["cores"] = cores
    if clock_mhz is not None:
        if not 10 <= clock_mhz <= 600:
            raise BuildError(f"--clock-mhz {clock_mhz:g} is outside the PS's PL clock range (10 to 600 MHz)")
        changes["clock_hz"] = round(clock_mhz * 1e6)
    return dataclasses.replace(soc, **changes) if changes else soc


def device_verilog(text: str, board: Board) -> str:
    """The SoC's Verilog for ``board``: VMEM's URAM hint becomes block RAM on a device without URAM."""
    if board.vmem_style == "ultra":
        return text
    if _ULTRA not in text:
        raise BuildError("the SoC Verilog has no URAM hint for VMEM to move to block RAM (fenn.hw changed?)")
    return text.replace(_ULTRA, _BLOCK)


def _check_fit(board: Board, soc: SocConfig):
    from .fit import NoMeasuredFigures, fit
    try:
        answer = fit(board, dataclasses.replace(soc, cores=1))
    except NoMeasuredFigures as error:
        print(f"fenn build: no fit check: {error}", file=sys.stderr)
        return None
    if soc.cores > answer.cores:
        raise BuildError(f"{soc.cores} cores do not fit the {board.title}: at most {answer.cores} "
                         f"({answer.limit.upper()} limits it; `fenn boards` shows the estimate); "
                         f"use --cores {answer.cores} or fewer")
    return answer


def cached_soc_verilog(soc: SocConfig) -> str:
    """``fenn.hw.verilog.soc_verilog(soc)``, kept on disk per SocConfig and generator sources
    (beside the RTL simulators' builds) so that building for another board takes seconds."""
    import hashlib
    import os

    from fenn.hw.session import DEFAULT_BUILD_ROOT, _generator_digest
    from fenn.hw.verilog import soc_verilog

    key = hashlib.sha256((_generator_digest() + json.dumps(soc.to_dict(), sort_keys=True)).encode()).hexdigest()
    path = pathlib.Path(DEFAULT_BUILD_ROOT) / "soc-verilog" / f"fenn_soc-{key[:24]}.v"
    if path.exists():
        return path.read_text()
    text = soc_verilog(soc)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    partial.write_text(text)
    partial.replace(path)                   # atomic: a parallel build sees all or nothing
    return text


def write_project(board: Board, out, soc: SocConfig | None = None) -> Project:
    """Write the SoC Verilog, the block-design wrapper, the Tcl script and the overlay manifest."""
    from .top import bd_wrapper_verilog, interfaces

    soc = soc or board.soc
    out = pathlib.Path(out)
    answer = _check_fit(board, soc)
    top = interfaces(soc)
    out.mkdir(parents=True, exist_ok=True)
    soc_v = out / f"{top.top_module}.v"
    soc_v.write_text(device_verilog(cached_soc_verilog(soc), board))
    wrapper = out / WRAPPER
    wrapper.write_text(bd_wrapper_verilog(top))
    script = out / SCRIPT
    script.write_text(build_tcl(board, top, verilog_files=[soc_v.name, wrapper.name], fenn_version=fenn_version()))
    manifest = out / MANIFEST
    manifest.write_text(json.dumps(overlay_manifest(board, top), indent=2, sort_keys=True) + "\n")
    files = {"verilog": soc_v, "wrapper": wrapper, "script": script,
             "manifest": manifest}
    return Project(out, board, soc, files, answer)


def overlay_manifest(board: Board, top) -> dict:
    """What the ``pynq`` backend needs besides the bitstream: the SocConfig and where each core is."""
    soc = top.soc
    windows = {w.interface.core: w for w in host_windows(top)}
    hp = {m.name: board.hp_ports[r.hp_port] for r in dma_routes(top, board) for m in r.masters}
    cores = []
    for core in range(soc.cores):
        irq = [i for i in top.interrupts if i.core == core][0]
        line = top.interrupts.index(irq)
        cores.append({"index": core, "host_base": windows[core].base, "host_bytes": windows[core].size,
                      "host_port": windows[core].interface.name,
                      "interrupt": {"pin": f"pl_ps_irq{line // 8}", "bit": line % 8, "port": irq.name},
                      "dma": [{"port": m.name, "hp_port": hp[m.name]} for m in top.dma if m.core == core]})
    return {
        "format": "fenn-overlay", "version": 1,
        "fenn_version": fenn_version(), "vivado_version": VIVADO_VERSION,
        "board": board.name, "part": board.part,
        "soc_id": soc.soc_id, "soc": soc.to_dict(), "cores": soc.cores, "clock_hz": soc.clock_hz,
        "ddr_window": {"base": board.ddr_window[0], "bytes": board.ddr_window[1]},
        "bitstream": OUTPUTS["bitstream"], "hwh": OUTPUTS["hwh"],
        "core_map": cores,
    }


def vivado_command(project: Project) -> str:
    """The exact shell command that builds ``project`` where Vivado is installed."""
    return f"cd {project.directory} && vivado -mode batch -notrace -source {SCRIPT}"


def run_vivado(project: Project, vivado: str = "vivado", echo=print) -> dict:
    """Run Vivado on the script, echo its ``fenn:`` and error lines, then :func:`collect`."""
    log = project.directory / "vivado_build.log"
    command = [vivado, "-mode", "batch", "-notrace", "-nojournal", "-log", str(log), "-source", SCRIPT]
    errors = []
    with subprocess.Popen(command, cwd=project.directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True) as process:
        for line in process.stdout:
            line = line.rstrip()
            if line.startswith(("fenn:", "ERROR:", "CRITICAL WARNING:")):
                echo(line)
            if line.startswith("ERROR:"):
                errors.append(line)
    if process.returncode != 0:
        reason = next((e for e in errors if "fenn:" in e), errors[-1] if errors else f"exit {process.returncode}")
        raise BuildError(f"Vivado failed: {reason} (full log: {log})")
    return collect(project.directory)


def collect(directory) -> dict:
    """Parse the reports Vivado left in ``directory`` into ``fenn_reports.json``; refuse WNS < 0."""
    from .reports import parse_reports
    directory = pathlib.Path(directory)
    reports = parse_reports(directory, OUTPUTS)
    (directory / REPORTS_JSON).write_text(json.dumps(reports, indent=2, sort_keys=True) + "\n")
    wns = reports["timing"].get("wns_ns")
    if not isinstance(wns, (int, float)) or wns < 0:
        raise BuildError(f"timing not met: WNS = {wns} ns ({directory / OUTPUTS['timing']}); "
                         f"the bitstream must not be used; build for a slower clock with --clock-mhz")
    return reports


def vivado_on_path() -> str | None:
    return shutil.which("vivado")
