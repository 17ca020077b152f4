"""Where the resources go: each block of the SoC synthesised alone, and the rest.

Every named block below (decoder, ALUs, multiply unit, RNG, DMA, host interface) is
synthesised alone (``synth_xilinx -flatten -noiopad -noclkbuf`` with it as the top, its own
submodules included) in the same yosys run as the flat SoC, after it, from the source read afresh
(:func:`fenn.hw.synth.synth_xilinx`'s ``blocks``): the table costs the blocks' synthesis, not a
second synthesis of the whole SoC, and the flat figures are those of the plain report. The
last row is the rest, the flat SoC's total minus the blocks: the core's pipeline, register files,
CSRs, load/store, the memories and their muxes, and the SoC glue. A block synthesised alone is
not optimised with its surroundings (constant inputs, unused outputs, logic merged across its
ports), so its row can differ a little from its share of the flat total; the difference lands in
the rest, so the rows always add up to the flat total.
"""

from __future__ import annotations

import re

from .report import RESOURCES, categorize
from .verilog import SOC_TOP_NAME

__all__ = ["block_key", "block_modules", "block_report", "format_blocks", "BLOCK_NAMES", "REST"]

#: the blocks synthesised alone, by path below the top or a core's tile (``$n`` suffixes dropped)
BLOCK_NAMES = {
    "host": "host: AXI4-Lite slave, register map, windows",
    "core.dec": "decoder",
    "core.alu": "scalar ALU",
    "core.valu": "vector ALU (all lanes)",
    "core.vmul": "vector multiply unit (one DSP48E2 per lane)",
    "core.smul": "scalar multiplier",
    "core.counts": "clz / ctz / cpop",
    "core.rng": "RNG (one xoroshiro32++ per lane)",
    "core.dma": "DMA: channels, arbiter, AXI",
}
REST = "core: pipeline, register files, CSRs, load/store, memories and their muxes; SoC glue"


def block_key(module: str) -> str:
    """``fenn_soc.tile1.core.dec`` -> ``core.dec``."""
    name = module.lstrip("\\")
    path = name[len(SOC_TOP_NAME):].lstrip(".") if name.startswith(SOC_TOP_NAME) else name
    return re.sub(r"^tile\d+(\.|$)", "", re.sub(r"\$\d+", "", path))


def block_modules(modules) -> list[str]:
    """The module to synthesise for each named block: its first instance among ``modules``."""
    first = {}
    for module in modules:
        first.setdefault(block_key(module), module)
    return [first[key] for key in BLOCK_NAMES if key in first]


def block_report(synthesis) -> dict:
    """{"blocks": [{"block", "what", "instances", "cells", "resources"}, ...], "total"} from a
    flat ``synthesis`` of the SoC (RTLIL) with ``blocks=block_modules``.

    ``cells`` and ``resources`` are one instance's; the last row, the rest, is the flat total
    minus every block times its instances; ``total`` is the flat total.
    """
    keys = [block_key(module) for module in synthesis.modules]
    flat = synthesis.cells()
    rest = dict(flat)
    rows = []
    for module in synthesis.blocks:
        key = block_key(module)
        cells = synthesis.block_cells(module)
        instances = keys.count(key)
        for cell, n in cells.items():
            rest[cell] = rest.get(cell, 0) - n * instances
        path = module[len(SOC_TOP_NAME) + 1:] if module.startswith(SOC_TOP_NAME + ".") else module
        rows.append({"block": re.sub(r"\$\d+", "", path), "what": BLOCK_NAMES[key], "instances": instances,
                     "cells": cells, "resources": categorize(cells)})
    rest = {cell: n for cell, n in rest.items() if n}
    rows.append({"block": "rest", "what": REST, "instances": 1, "cells": rest, "resources": categorize(rest)})
    return {"blocks": rows, "total": categorize(flat)}


def format_blocks(report: dict) -> str:
    """The ``--by-block`` table: one row per block (its own cells, times its instances), the rest, the total."""
    head = f"  {'block':<22} {'n':>2} " + " ".join(f"{k:>7}" for k in RESOURCES)
    lines = ["Resources by block (each block synthesised alone; the rest is the flat total minus the blocks)", head]
    for row in report["blocks"]:
        res = row["resources"]
        lines.append(f"  {row['block']:<22} {row['instances']:>2} "
                     + " ".join(f"{res[k] * row['instances']:>7g}" for k in RESOURCES) + f"  {row['what']}")
    lines.append(f"  {'total':<22} {'':>2} " + " ".join(f"{report['total'][k]:>7g}" for k in RESOURCES))
    return "\n".join(lines)
