"""Where the resources go: the SoC synthesised keeping its hierarchy, one row per block.

yosys ``synth_xilinx -family xcup`` without ``-flatten`` keeps every Amaranth submodule as its
own module, so ``stat`` counts each block's own cells. Logic is not optimised across block
boundaries here, so the total can differ a little from the flattened report's.
"""

from __future__ import annotations

import re

from fenn.soc import DEFAULT_SOC, SocConfig

from .report import RESOURCES, categorize
from .synth import synth_soc
from .verilog import SOC_TOP_NAME

__all__ = ["block_report", "format_blocks", "BLOCK_NAMES"]

#: what each block of the hierarchy is (by its path below the top or a core's tile; ``$n`` suffixes dropped)
BLOCK_NAMES = {
    "": "top (SoC glue)",
    "tile": "one core's tile (glue)",
    "host": "host: AXI4-Lite slave, register map, windows",
    "core": "core: pipeline, register files, CSRs, load/store, memories and their muxes",
    "core.dec": "decoder",
    "core.alu": "scalar ALU",
    "core.valu": "vector ALU (all lanes)",
    "core.vmul": "vector multiply unit (one DSP48E2 per lane)",
    "core.smul": "scalar multiplier",
    "core.counts": "clz / ctz / cpop",
    "core.rng": "RNG (one xoroshiro32++ per lane)",
    "core.dma": "DMA: channels, arbiter, AXI",
}


def _path(module: str) -> str:
    name = module.lstrip("\\")
    path = name[len(SOC_TOP_NAME):].lstrip(".") if name.startswith(SOC_TOP_NAME) else name
    return re.sub(r"\$\d+", "", path)


def block_report(soc: SocConfig = DEFAULT_SOC, *, yosys=None, workdir=None) -> dict:
    """{"yosys", "seconds", "blocks": [{"block", "what", "instances", "cells", "resources"}, ...], "total"}.

    ``cells`` and ``resources`` are one instance's own (its submodules are rows of their own);
    ``total`` sums every row times its instances.
    """
    synthesis = synth_soc(soc, flatten=False, netlist=False, yosys=yosys, workdir=workdir)
    modules = {name.lstrip("\\"): data for name, data in synthesis.stat["modules"].items()}
    own, children = {}, {}
    for name, data in modules.items():
        cells = {t.lstrip("\\"): int(n) for t, n in data.get("num_cells_by_type", {}).items()}
        children[name] = {t: n for t, n in cells.items() if t in modules}
        own[name] = {t: n for t, n in cells.items() if t not in modules}
    instances = _instances(SOC_TOP_NAME, children)
    rows, total = [], {}
    for name in sorted(instances, key=_path):
        path = _path(name)
        key = re.sub(r"^tile\d+(\.|$)", lambda t: "" if t.group(1) else "tile", path)     # tile0.core.dec -> core.dec
        parents = [k for k in BLOCK_NAMES if k and key.startswith(k + ".")]     # the nearest named parent
        what = BLOCK_NAMES.get(key) or (BLOCK_NAMES[max(parents, key=len)] if parents else path)
        rows.append({"block": path or SOC_TOP_NAME, "what": what, "instances": instances[name],
                     "cells": own[name], "resources": categorize(own[name])})
        for cell, n in own[name].items():
            total[cell] = total.get(cell, 0) + n * instances[name]
    return {"yosys": synthesis.yosys, "seconds": round(synthesis.seconds, 1),
            "cpu_seconds": round(synthesis.cpu_seconds, 1), "blocks": rows,
            "total": categorize(total)}


def _instances(top: str, children: dict) -> dict[str, int]:
    """How many times each module occurs below (and including) ``top``."""
    count = {top: 1}
    order = [top]
    for name in order:                      # breadth first; Amaranth's hierarchy is a tree
        for child, n in children.get(name, {}).items():
            if child not in count:
                order.append(child)
                count[child] = 0
            count[child] += n * count[name]
    return count


def format_blocks(report: dict) -> str:
    """The ``--by-block`` table: one row per block (its own cells, times its instances), then the total."""
    head = f"  {'block':<22} {'n':>2} " + " ".join(f"{k:>7}" for k in RESOURCES)
    lines = [f"Resources by block (hierarchy kept; {report['yosys']})", head]
    for row in report["blocks"]:
        res = row["resources"]
        lines.append(f"  {row['block']:<22} {row['instances']:>2} "
                     + " ".join(f"{res[k] * row['instances']:>7g}" for k in RESOURCES) + f"  {row['what']}")
    lines.append(f"  {'total':<22} {'':>2} " + " ".join(f"{report['total'][k]:>7g}" for k in RESOURCES))
    return "\n".join(lines)
