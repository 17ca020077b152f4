"""yosys ``synth_xilinx -family xcup`` of Verilog (the SoC's, or any small circuit's): cell counts and netlist.

One function for the SoC and for the small circuits the tests use, so the logic-depth walk
(:mod:`fenn.hw.depth`) is tested on exactly the netlists the report walks.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import tempfile

from fenn.soc import DEFAULT_SOC, SocConfig

from .verilog import SOC_TOP_NAME, write_soc_verilog
from .yosys import Yosys, find_yosys

__all__ = ["Synthesis", "synth_xilinx", "synth_soc", "module_cells", "SYNTH_XILINX_STEPS"]

#: synth_xilinx's labels, run one by one (``-run a:b``) so that pyosys times each step
SYNTH_XILINX_STEPS = ("begin", "prepare", "map_dsp", "coarse", "map_memory", "map_ffram", "fine", "map_cells",
                      "map_ffs", "map_luts", "finalize", "check")


@dataclasses.dataclass
class Synthesis:
    top: str
    #: which yosys ran (``Yosys.describe()``)
    yosys: str
    #: ``stat -json`` output
    stat: dict
    #: the mapped netlist (``write_json``), or None when not asked for
    netlist: dict | None
    #: wall-clock and CPU seconds of the yosys run (CPU time does not depend on what else runs)
    seconds: float
    cpu_seconds: float
    workdir: pathlib.Path
    #: [(yosys command, CPU seconds, wall seconds), ...] when pyosys ran
    steps: list = dataclasses.field(default_factory=list)

    def cells(self, module: str | None = None) -> dict[str, int]:
        """Cell counts by type of ``module`` (default: the top)."""
        return module_cells(self.stat, module or self.top)


def module_cells(stat: dict, module: str) -> dict[str, int]:
    modules = stat["modules"]
    data = modules.get(f"\\{module}") or modules.get(module)
    if data is None:
        raise KeyError(f"module {module!r} not in yosys's statistics (has {sorted(modules)[:10]})")
    return {name.lstrip("\\"): int(n) for name, n in data.get("num_cells_by_type", {}).items()}


def synth_xilinx(verilog_path, top: str, *, flatten: bool = True, netlist: bool = True, yosys: Yosys | None = None,
                 workdir=None, log=None) -> Synthesis:
    """Synthesise ``top`` from ``verilog_path`` for UltraScale+ (``synth_xilinx -family xcup``).

    ``flatten=False`` keeps the hierarchy (for per-block statistics). The yosys log goes to
    ``log`` (default ``workdir/yosys.log``).
    """
    yosys = yosys or find_yosys()
    verilog_path = pathlib.Path(verilog_path).resolve()
    work = pathlib.Path(workdir or tempfile.mkdtemp(prefix="fenn-synth-"))
    work.mkdir(parents=True, exist_ok=True)
    synth = f"synth_xilinx -family xcup -top {top}" + (" -flatten" if flatten else "")
    script = [f"read_verilog {_quote(verilog_path)}",
              *(f"{synth} -run {a}:{b}" for a, b in zip(SYNTH_XILINX_STEPS, SYNTH_XILINX_STEPS[1:])),
              f"{synth} -run {SYNTH_XILINX_STEPS[-1]}:",
              "tee -q -o stat.json stat -json"]
    if netlist:
        script.append("write_json netlist.json")
    run = yosys.run("\n".join(script) + "\n", work, log=log or work / "yosys.log")
    stat = json.loads((work / "stat.json").read_text())
    mapped = json.loads((work / "netlist.json").read_text()) if netlist else None
    return Synthesis(top=top, yosys=yosys.describe(), stat=stat, netlist=mapped, seconds=run.seconds,
                     cpu_seconds=run.cpu_seconds, workdir=work, steps=run.steps)


def synth_soc(soc: SocConfig = DEFAULT_SOC, *, flatten: bool = True, netlist: bool = True,
              yosys: Yosys | None = None, workdir=None, log=None) -> Synthesis:
    """The SoC top ``fenn_soc`` for ``soc`` (its Verilog as ``fenn hw verilog`` writes it) through :func:`synth_xilinx`."""
    work = pathlib.Path(workdir or tempfile.mkdtemp(prefix="fenn-report-"))
    source = write_soc_verilog(work, soc)
    return synth_xilinx(source, SOC_TOP_NAME, flatten=flatten, netlist=netlist, yosys=yosys, workdir=work, log=log)


def _quote(path: pathlib.Path) -> str:
    text = str(path)
    if any(c in text for c in ' "\\'):
        raise ValueError(f"yosys cannot read a path with spaces or quotes: {text}")
    return text
