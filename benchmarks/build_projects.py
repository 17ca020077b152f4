"""Time `fenn build --no-vivado` for every board (the issue's bar: all four in under a minute).

    .venv/bin/python benchmarks/build_projects.py [--cold]

Each board's project (SoC Verilog, block-design wrapper, Vivado script, overlay manifest) is
written into a temporary directory by a fresh `fenn` process, as a user would run it. With
``--cold`` the SoC Verilog cache (``$FENN_RTL_BUILD/soc-verilog``) starts empty, so every
distinct SocConfig is emitted once (the kv260, zcu104 and zcu102 defaults share one).
Prints wall and CPU seconds per board and in all; CPU time is the figure that does not
depend on what else the machine runs.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

from fenn.boards import BOARDS


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", action="store_true", help="start with an empty SoC Verilog cache")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.cold:
        env["FENN_RTL_BUILD"] = tempfile.mkdtemp(prefix="fenn-cold-")
    total_wall, total_cpu = 0.0, 0.0
    with tempfile.TemporaryDirectory() as out:
        for name in BOARDS:
            wall, cpu = time.perf_counter(), cpu_seconds()
            subprocess.run([sys.executable, "-m", "fenn.cli", "build", "--board", name, "--no-vivado",
                            "--out", os.path.join(out, name)], env=env, check=True, capture_output=True)
            wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
            total_wall, total_cpu = total_wall + wall, total_cpu + cpu
            print(f"{name:<10} wall {wall:6.1f} s   CPU {cpu:6.1f} s")
    print(f"{'all four':<10} wall {total_wall:6.1f} s   CPU {total_cpu:6.1f} s   (bar: under 60 s)")


if __name__ == "__main__":
    main()
