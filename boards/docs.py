"""The board table of docs/boards.md, rendered from the catalogue and the fit check
(``python -m fenn.boards.docs``; a test keeps the page equal to it)."""

from __future__ import annotations

from . import BOARDS
from .fit import fit

__all__ = ["board_table"]


def board_table() -> str:
    lines = ["| board | part | Vivado board part | default SoC | PL clock | VMEM | per-core LUT / BRAM36 / URAM / DSP "
             "(estimate) | cores that fit | limited by |",
             "|---|---|---|---|---|---|---|---|---|"]
    for b in BOARDS.values():
        answer = fit(b)
        c = answer.per_core
        lines.append(f"| `{b.name}` ({b.title}) | {b.part} | `{b.board_part}` ({b.board_part_version}) | "
                     f"0x{b.soc.soc_id:08x} | {b.pl_clock_mhz:g} MHz | "
                     f"{b.soc.vmem_bytes // 1024} KiB in {'URAM' if b.vmem_style == 'ultra' else 'BRAM'} | "
                     f"{c.lut:,} / {c.bram36:g} / {c.uram} / {c.dsp} | {answer.cores} | {answer.limit.upper()} "
                     f"({answer.use[answer.limit]:.0%}) |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(board_table(), end="")
