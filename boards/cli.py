"""``fenn boards`` (the catalogue and how many cores fit) and ``fenn build`` (a board's bitstream project)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["register", "boards_table"]


def register(subparsers) -> None:
    p = subparsers.add_parser("boards", help="list the boards fenn builds for, their default SoC and how many cores fit",
                              description="The boards of fenn.boards: FPGA part, default SocConfig, and the "
                                          "largest core count that fits (measured per-core resources against "
                                          "the device's, docs/boards.md).")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.set_defaults(func=_boards)
    b = subparsers.add_parser(
        "build", help="write a board's Vivado project (SoC Verilog, block design Tcl, overlay manifest); "
                      "run Vivado if it is on PATH",
        description="Write everything needed to build the FeNN SoC's bitstream for a board: the SoC "
                    "Verilog, a Vivado batch Tcl script (project, block design, synthesis, implementation, "
                    "bitstream, .hwh) and fenn_overlay.json. With vivado on PATH it runs it (an hour or more) "
                    "and fails if timing is not met; without, it prints the command to run where Vivado is.",
        epilog="example: fenn build --board kv260 --out build/kv260")
    b.add_argument("--board", required=True, help="board name (`fenn boards` lists them)")
    b.add_argument("--soc", metavar="FILE.json", help="SocConfig as JSON (default: the board's default)")
    b.add_argument("--cores", type=int, metavar="N", help="cores in the SoC (default: the SocConfig's)")
    b.add_argument("--clock-mhz", type=float, metavar="F", help="PL clock in MHz (default: the SocConfig's)")
    b.add_argument("--out", required=True, metavar="DIR", help="output directory (created if needed)")
    b.add_argument("--no-vivado", action="store_true", help="only write the project, even if vivado is on PATH")
    b.add_argument("--collect", action="store_true",
                   help="only parse the reports of a finished Vivado run in DIR into fenn_reports.json")
    b.set_defaults(func=_build)


def boards_table() -> list[dict]:
    """One row per board: part, default SoC, cores that fit and the limiting resource."""
    from . import BOARDS
    from .fit import NoMeasuredFigures, fit
    rows = []
    for board in BOARDS.values():
        row = {"board": board.name, "title": board.title, "part": board.part, "soc_id": f"0x{board.soc.soc_id:08x}",
               "soc": board.soc.to_dict(), "clock_mhz": board.pl_clock_mhz,
               "vmem": f"{board.soc.vmem_bytes // 1024} KiB {'URAM' if board.vmem_style == 'ultra' else 'BRAM'}"}
        try:
            answer = fit(board)
            row.update(cores_fit=answer.cores, limit=answer.limit.upper(), per_core=answer.per_core.as_dict(),
                       use={k: round(v, 3) for k, v in answer.use.items()})
        except NoMeasuredFigures as error:
            row.update(cores_fit=None, limit=str(error))
        rows.append(row)
    return rows


def _boards(args) -> int:
    rows = boards_table()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'board':<10} {'part':<22} {'default SoC':<12} {'clock':>7} {'VMEM':<14} {'cores fit':>9}  limited by")
    for r in rows:
        print(f"{r['board']:<10} {r['part']:<22} {r['soc_id']:<12} {r['clock_mhz']:>4g} MHz {r['vmem']:<14} "
              f"{r['cores_fit'] if r['cores_fit'] is not None else '?':>9}  {r['limit']}")
    print("cores fit: measured per-core resources (yosys) + PS glue allowance within 80 % LUT/FF, "
          "95 % BRAM/DSP (docs/boards.md)")
    return 0


def _build(args) -> int:
    from ..cli import CliError
    from ..errors import FennError
    from . import board
    try:
        target = board(args.board)
        if args.collect:
            from .build import REPORTS_JSON, collect
            collect(args.out)
            print(f"{Path(args.out) / REPORTS_JSON}: utilisation, timing and power")
            return 0
        try:
            import amaranth  # noqa: F401
        except ImportError:
            raise CliError("fenn build needs Amaranth to write the SoC Verilog: pip install 'fenn[hdl]'") from None
        from ..hw.cli import _soc
        from .build import board_soc, run_vivado, vivado_command, vivado_on_path, write_project
        soc = board_soc(target, _soc(args.soc) if args.soc else None, args.cores, args.clock_mhz)
        project = write_project(target, args.out, soc)
    except FennError as error:
        raise CliError(str(error)) from None
    for role, path in project.files.items():
        print(f"  {path}  ({role})")
    fit_note = f", {project.fit.cores} fit" if project.fit else ""
    print(f"fenn build: {target.title}, SocConfig 0x{soc.soc_id:08x}, {soc.cores} core(s){fit_note}, "
          f"{soc.clock_hz / 1e6:g} MHz")
    vivado = None if args.no_vivado else vivado_on_path()
    if vivado is None:
        print("Vivado is not on PATH; where it is installed, run:", file=sys.stderr)
        print(f"  {vivado_command(project)}", file=sys.stderr)
        print(f"then, to parse its reports: fenn build --board {target.name} --out {project.directory} --collect",
              file=sys.stderr)
        return 0
    try:
        reports = run_vivado(project, vivado)
    except FennError as error:
        raise CliError(str(error)) from None
    timing = reports["timing"]
    print(f"fenn build: timing met, WNS {timing['wns_ns']} ns; LUT {reports['utilization']['LUT']['used']}; "
          f"{project.directory / 'fenn_overlay.bit'}")
    return 0
