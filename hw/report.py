"""UltraScale+ resource and logic-depth estimate of the SoC: yosys ``synth_xilinx -family xcup``.

Counts of the mapped cells are grouped into what a Vivado utilisation report shows:
LUT (logic), LUTRAM, FF, CARRY (CARRY8/CARRY4), DSP (DSP48E2), BRAM36 (a RAMB18 counts one half) and URAM.
It is an estimate: yosys's mapping is not Vivado's, but the memories and DSPs map alike.
The same flattened netlist gives the logic depth (:mod:`fenn.hw.depth`); ``by_block`` also
synthesises each block alone in the same yosys run, for the cells of each block (:mod:`fenn.hw.blocks`).
"""

from __future__ import annotations

import re

from fenn.soc import DEFAULT_SOC, SocConfig

from .depth import format_depth, logic_depth
from .synth import synth_soc

__all__ = ["resource_report", "categorize", "format_report", "step_name", "CATEGORIES", "RESOURCES"]

CATEGORIES = {
    "LUT": ("LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", "LUT6_2", "MUXF7", "MUXF8", "MUXF9"),
    "LUTRAM": ("RAM16X1D", "RAM32X1D", "RAM64X1D", "RAM128X1D", "RAM256X1D", "RAM32M", "RAM32M16",
               "RAM64M", "RAM64M8", "RAM16X1S", "RAM32X1S", "RAM64X1S", "RAM128X1S", "RAM256X1S", "RAM512X1S"),
    "FF": ("FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE"),
    "CARRY": ("CARRY8", "CARRY4"),
    "DSP": ("DSP48E2",),
    "BRAM36": ("RAMB36E2",),
    "BRAM18": ("RAMB18E2",),
    "URAM": ("URAM288", "URAM288_BASE"),
}
#: the resource columns, in report order
RESOURCES = ("LUT", "LUTRAM", "FF", "CARRY", "DSP", "BRAM36", "URAM")


def categorize(cells: dict[str, int]) -> dict[str, float]:
    """Cell counts -> resource categories (BRAM in 36 Kb blocks) plus ``other`` cell types."""
    out: dict[str, float] = {k: 0 for k in RESOURCES}
    other = {}
    for cell, n in cells.items():
        if cell.startswith("$") or cell in ("IBUF", "OBUF", "BUFG", "INV"):
            other[cell] = n
            continue
        for category, names in CATEGORIES.items():
            if cell in names:
                if category == "BRAM18":
                    out["BRAM36"] += n / 2
                else:
                    out[category] += n
                break
        else:
            other[cell] = n
    out["other"] = other
    return out


def resource_report(soc: SocConfig = DEFAULT_SOC, workdir=None, log=None, *, yosys=None, by_block: bool = False) -> dict:
    """Synthesize ``fenn_soc`` for xcup: {"soc_id", "yosys", "seconds", "cpu_seconds",
    "cells", "resources", "depth"}.

    With ``by_block`` also "blocks": the resources of each block, synthesised alone in the same run.
    """
    from .blocks import block_modules, block_report
    synthesis = synth_soc(soc, blocks=block_modules if by_block else (), yosys=yosys, workdir=workdir, log=log)
    cells = synthesis.cells()
    report = {"soc_id": soc.soc_id, "yosys": synthesis.yosys, "seconds": round(synthesis.seconds, 1),
              "cpu_seconds": round(synthesis.cpu_seconds, 1), "cells": cells, "resources": categorize(cells),
              "depth": logic_depth(synthesis.netlist, synthesis.top).to_dict(),
              "steps": synthesis.steps}
    if by_block:
        report["blocks"] = block_report(synthesis)
    return report


def format_report(report: dict) -> str:
    res = report["resources"]
    lines = [f"FeNN SoC 0x{report['soc_id']:08x}, UltraScale+ estimate (yosys synth_xilinx -family xcup)"]
    for key in RESOURCES:
        value = res[key]
        lines.append(f"  {key:<7} {value:>10g}")
    if res["other"]:
        lines.append("  other   " + ", ".join(f"{k} {v}" for k, v in sorted(res["other"].items())))
    if "blocks" in report:
        from .blocks import format_blocks
        lines += ["", format_blocks(report["blocks"])]
    if "depth" in report:
        lines += ["", format_depth(report["depth"])]
    if "yosys" in report:
        lines += ["", f"yosys: {report['yosys']}, {report['seconds']:g} s ({report['cpu_seconds']:g} s of CPU)"]
        slowest = sorted(report.get("steps", []), key=lambda step: -step[1])[:4]
        if slowest:
            lines.append("  slowest steps (CPU s): " + ", ".join(f"{step_name(cmd)} {cpu:g}" for cmd, cpu, _ in slowest))
    return "\n".join(lines)


def step_name(command: str) -> str:
    """``synth_xilinx ... -run coarse:map_memory`` -> ``coarse:map_memory``; a block's synthesis -> ``block core.vmul``."""
    if " -run " in command:
        return command.split(" -run ")[-1]
    top = re.search(r"-top (\S+)", command)
    if top is None:
        return command
    from .blocks import block_key
    return f"block {block_key(top.group(1))}"
