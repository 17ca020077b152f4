"""How long ``fenn hw report`` takes on the default SoC, beside issue 9's bar of 5 minutes.

Runs the report exactly as ``fenn hw report [--by-block]`` does (``fenn.hw.report.resource_report``:
Amaranth elaboration, RTLIL, yosys ``synth_xilinx -family xcup``, the logic-depth walk) and prints
its wall-clock seconds, the yosys process's CPU seconds (the figure to compare on a busy machine:
it does not count time spent waiting for a core) and the slowest yosys steps, with the LUT count.

    python benchmarks/report_time.py [--by-block] [--yosys pyosys|yosys|yowasp] [--workdir DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

from fenn.hw.report import resource_report, step_name
from fenn.hw.yosys import find_yosys
from fenn.soc import DEFAULT_SOC

BAR_SECONDS = 300


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--by-block", action="store_true", help="time `fenn hw report --by-block`")
    parser.add_argument("--yosys", choices=("pyosys", "yosys", "yowasp"), help="which yosys (default: the fastest)")
    parser.add_argument("--workdir", help="keep the RTLIL, yosys script, log and netlist here")
    parser.add_argument("--json", help="also write the figures and the report as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = resource_report(DEFAULT_SOC, workdir=args.workdir, yosys=find_yosys(args.yosys), by_block=args.by_block)
    wall = time.perf_counter() - started
    command = "fenn hw report" + (" --by-block" if args.by_block else "")
    print(f"`{command}`, default SoC 0x{DEFAULT_SOC.soc_id:08x}, {report['yosys']}: "
          f"LUT {report['resources']['LUT']:g}, FF {report['resources']['FF']:g}")
    for what, seconds in (("wall-clock, whole report", wall), ("yosys CPU", report["cpu_seconds"]),
                          ("yosys wall-clock", report["seconds"])):
        verdict = "meets" if seconds < BAR_SECONDS else "misses"
        print(f"  {what:<26} {seconds:7.1f} s   bar {BAR_SECONDS} s: {verdict}")
    slowest = sorted(report["steps"], key=lambda step: -step[1])[:6]
    if slowest:
        print("  slowest yosys steps (CPU s): " + ", ".join(f"{step_name(cmd)} {cpu:g}" for cmd, cpu, _ in slowest))
    if args.json:
        figures = {"command": command, "wall_seconds": round(wall, 1), "yosys_cpu_seconds": report["cpu_seconds"],
                   "yosys_seconds": report["seconds"], "bar_seconds": BAR_SECONDS, "report": report}
        pathlib.Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
