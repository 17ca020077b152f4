"""yosys ``synth_xilinx -family xcup`` of the SoC, of an Amaranth component or of Verilog: cell counts and netlist.

One function for the SoC and for the small circuits the tests use, so the logic-depth walk
(:mod:`fenn.hw.depth`) is tested on exactly the netlists the report walks.

The SoC goes to yosys as RTLIL straight from Amaranth (no Verilog is written or parsed): an
empty memory is one ``$meminit`` cell there, and the step through Amaranth's own yosys
(WebAssembly) that writes Verilog is skipped. Blocks of the design (``blocks=``) are
synthesised alone in the same yosys process after the whole design, each from the source read
afresh, so the per-block table costs the blocks' synthesis only, not a second synthesis of the
whole SoC. The whole design's synthesis is the same commands with or without blocks: yosys's
result depends on what ran before it in the process (a ``design -save`` of the design as read
moved the default SoC's flat total by 334 LUTs), and the flat figures of ``fenn hw report`` and
``fenn hw report --by-block`` must be the same.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
import tempfile

from fenn.soc import DEFAULT_SOC, SocConfig

from .verilog import SOC_TOP_NAME, write_soc_rtlil
from .yosys import Yosys, find_yosys

__all__ = ["Synthesis", "synth_xilinx", "synth_script", "synth_soc", "synth_component", "module_cells", "rtlil_modules",
           "SYNTH_XILINX_STEPS"]

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
    #: module -> ``stat -json`` of that module synthesised alone (the ``blocks`` asked for)
    blocks: dict = dataclasses.field(default_factory=dict)
    #: the modules the source defines (RTLIL sources only)
    modules: list = dataclasses.field(default_factory=list)

    def cells(self, module: str | None = None) -> dict[str, int]:
        """Cell counts by type of ``module`` (default: the top)."""
        return module_cells(self.stat, module or self.top)

    def block_cells(self, module: str) -> dict[str, int]:
        """Cell counts by type of block ``module``, synthesised alone."""
        return module_cells(self.blocks[module], module)


def module_cells(stat: dict, module: str) -> dict[str, int]:
    modules = stat["modules"]
    data = modules.get(f"\\{module}") or modules.get(module)
    if data is None:
        raise KeyError(f"module {module!r} not in yosys's statistics (has {sorted(modules)[:10]})")
    return {name.lstrip("\\"): int(n) for name, n in data.get("num_cells_by_type", {}).items()}


def synth_xilinx(source, top: str, *, flatten: bool = True, netlist: bool = True, blocks=(),
                 yosys: Yosys | None = None, workdir=None, log=None) -> Synthesis:
    """Synthesise ``top`` from ``source`` (Verilog ``.v`` or RTLIL ``.il``) for UltraScale+
    (``synth_xilinx -family xcup``).

    ``flatten=False`` keeps the hierarchy. Each module of ``blocks`` (a list, or for an RTLIL
    source a function that picks them from the source's modules) is then synthesised alone
    (flattened, without I/O or clock buffers) after ``top``, from ``source`` read afresh. The yosys log goes to ``log``
    (default ``workdir/yosys.log``).
    """
    yosys = yosys or find_yosys()
    source = pathlib.Path(source).resolve()
    modules = rtlil_modules(source.read_text()) if source.suffix == ".il" else []
    if callable(blocks):
        blocks = blocks(modules)
    work = pathlib.Path(workdir or tempfile.mkdtemp(prefix="fenn-synth-"))
    work.mkdir(parents=True, exist_ok=True)
    script = synth_script(source, top, flatten=flatten, netlist=netlist, blocks=blocks)
    run = yosys.run("\n".join(script) + "\n", work, log=log or work / "yosys.log")
    stat = json.loads((work / "stat.json").read_text())
    mapped = json.loads((work / "netlist.json").read_text()) if netlist else None
    block_stats = {module: json.loads((work / f"block{index}.json").read_text()) for index, module in enumerate(blocks)}
    return Synthesis(top=top, yosys=yosys.describe(), stat=stat, netlist=mapped, seconds=run.seconds,
                     cpu_seconds=run.cpu_seconds, workdir=work, steps=run.steps, blocks=block_stats,
                     modules=modules)


def synth_script(source: pathlib.Path, top: str, *, flatten: bool = True, netlist: bool = True,
                 blocks=()) -> list[str]:
    """The yosys commands of :func:`synth_xilinx`: ``top``'s synthesis (``stat.json``, ``netlist.json``),
    then each block's (``block{i}.json``), each block from a fresh read of ``source``. The first
    part does not depend on ``blocks`` (see the module doc)."""
    read = f"{'read_rtlil' if source.suffix == '.il' else 'read_verilog'} {_quote(source)}"
    synth = f"synth_xilinx -family xcup -top {top}" + (" -flatten" if flatten else "")
    script = [read, *(f"{synth} -run {a}:{b}" for a, b in zip(SYNTH_XILINX_STEPS, SYNTH_XILINX_STEPS[1:])),
              f"{synth} -run {SYNTH_XILINX_STEPS[-1]}:", "tee -q -o stat.json stat -json"]
    if netlist:
        script.append("write_json netlist.json")
    for index, module in enumerate(blocks):
        script += ["design -reset", read, f"hierarchy -top {module}",
                   f"synth_xilinx -family xcup -top {module} -flatten -noiopad -noclkbuf",
                   f"tee -q -o block{index}.json stat -json"]
    return script


def synth_soc(soc: SocConfig = DEFAULT_SOC, *, flatten: bool = True, netlist: bool = True, blocks=(),
              yosys: Yosys | None = None, workdir=None, log=None) -> Synthesis:
    """The SoC top ``fenn_soc`` for ``soc`` (as RTLIL) through :func:`synth_xilinx`."""
    work = pathlib.Path(workdir or tempfile.mkdtemp(prefix="fenn-report-"))
    source = write_soc_rtlil(work, soc)
    return synth_xilinx(source, SOC_TOP_NAME, flatten=flatten, netlist=netlist, blocks=blocks, yosys=yosys,
                        workdir=work, log=log)


def synth_component(component, name: str, *, netlist: bool = False, yosys: Yosys | None = None,
                    workdir=None) -> Synthesis:
    """An Amaranth ``component`` alone as top ``name`` (RTLIL) through :func:`synth_xilinx`, flattened."""
    from amaranth.back import rtlil
    work = pathlib.Path(workdir or tempfile.mkdtemp(prefix=f"fenn-synth-{name}-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / f"{name}.il"
    source.write_text(rtlil.convert(component, name=name, emit_src=False))
    return synth_xilinx(source, name, netlist=netlist, yosys=yosys, workdir=work)


def rtlil_modules(text: str) -> list[str]:
    """The names of the modules an RTLIL text defines, in order."""
    return [name.lstrip("\\") for name in re.findall(r"^module (\S+)", text, re.M)]


def _quote(path: pathlib.Path) -> str:
    text = str(path)
    if any(c in text for c in ' "\\'):
        raise ValueError(f"yosys cannot read a path with spaces or quotes: {text}")
    return text
