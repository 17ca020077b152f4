"""The bars of ``make demo`` (issue 13 §5), measured by running it.

    python benchmarks/demo.py [--out build/demo]

Runs the whole demo in this process (data, float training, quantisation-aware
fine-tuning, compile, the test set on the simulator checked against the reference model,
plots) and prints, beside each bar:

- wall-clock seconds for the whole demo (bar: under 120 s on a 2-core machine), with the
  CPU seconds this process used and the load average, because on a shared machine the
  wall clock also counts other people's work (training runs on one thread, so on a
  quiet machine wall time is close to CPU time);
- fixed-point accuracy (the compiled program on the simulator) against float accuracy
  (the float64 model of the same trained network): bar, within 1 percentage point; and,
  for information, against the float64 model after float training alone (before the
  quantisation-aware epochs, which also train a little more);
- fixed-point accuracy against chance (bar: at least 5 times chance).
"""

from __future__ import annotations

import argparse
import os
import resource
import time


def _cpu_seconds() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="build/demo", help="folder for the plots")
    args = parser.parse_args()
    from fenn.demo import run_demo
    load_before = os.getloadavg()[0]
    cpu, wall = _cpu_seconds(), time.perf_counter()
    figures = run_demo(out_dir=args.out)
    wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
    load_after = os.getloadavg()[0]
    gap = 100 * (figures["fixed_accuracy"] - figures["float_accuracy"])
    times_chance = figures["fixed_accuracy"] / figures["chance"]
    rows = [
        ("whole demo, wall clock", f"{wall:.1f} s", "< 120 s on 2 cores", wall < 120),
        ("whole demo, CPU time", f"{cpu:.1f} s", f"({os.cpu_count()} cores here, load average "
         f"{load_before:.1f} before, {load_after:.1f} after)", None),
        ("fixed point - float accuracy", f"{gap:+.1f} points",
         f"within 1 point ({100 * figures['fixed_accuracy']:.1f}% vs "
         f"{100 * figures['float_accuracy']:.1f}%)", abs(gap) <= 1.0),
        ("fixed point - float before QAT", f"{100 * (figures['fixed_accuracy'] - figures['float_accuracy_before_qat']):+.1f} points",
         f"(float training alone: {100 * figures['float_accuracy_before_qat']:.1f}%)", None),
        ("fixed point without fine-tuning", f"{100 * figures['fixed_accuracy_before_qat']:.1f}%",
         "(float-trained weights compiled as they are)", None),
        ("fixed-point accuracy / chance", f"{times_chance:.1f}x",
         f">= 5x (chance {100 * figures['chance']:.0f}%)", times_chance >= 5),
        ("cycles per timestep", f"{figures['cycles_per_timestep']:.1f}",
         f"{figures['board_seconds_per_sample'] * 1e3:.3f} ms per sample at "
         f"{figures['clock_hz'] / 1e6:.0f} MHz", None),
    ]
    print("\nbenchmarks/demo.py")
    for name, value, bar, met in rows:
        verdict = "" if met is None else ("  met" if met else "  NOT MET")
        print(f"  {name:32s} {value:>14s}   {bar}{verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
