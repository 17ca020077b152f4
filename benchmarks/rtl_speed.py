"""Simulated cycles per second of the FeNN SoC RTL on Icarus Verilog and on Verilator
(cocotb, one live session each), running the same compiled network, and the speedup.

    .venv/bin/python benchmarks/rtl_speed.py [--timesteps 20] [--samples 2]

Each simulator is built first (cached), then the network runs ``--samples`` samples. A
run's wall time minus that of an empty program's run (the per-run command overhead) is
the time spent simulating the network's cycles. The cycle counts of both simulators must
agree (they are the same RTL).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import fenn
from fenn.hw.device import RtlDevice
from fenn.hw.parity import NETWORK_SOC, recurrent_network
from fenn.hw.session import SIMULATORS, simulator_missing
from fenn.isa import encode
from fenn.program import Program

SOC = NETWORK_SOC


class TimedDevice(RtlDevice):
    """Records (wall seconds, cycles) of every run."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.runs = []

    def run(self, max_cycles=None):
        start = time.perf_counter()
        status = super().run(max_cycles)
        self.runs.append((time.perf_counter() - start, status.cycles))
        return status


def measure(simulator: str, program, inputs) -> dict:
    """Build/start time, per-run overhead, and cycles/s of the network's runs."""
    started = time.perf_counter()
    with TimedDevice(SOC, simulator=simulator) as device:
        device.load(Program(text=np.array([encode("ecall")], np.uint32), soc=SOC))
        device.run()                                       # builds (or reuses) and starts the simulator
        ready = time.perf_counter() - started
        device.run()
        empty = device.runs[-1][0]
        before = len(device.runs)
        results = fenn.run(program, inputs, device=device, progress=False)
        runs = device.runs[before:]
    wall = sum(t for t, _ in runs)
    cycles = sum(c for _, c in runs)
    simulating = max(wall - empty * len(runs), 1e-9)
    return {"ready": ready, "empty": empty, "wall": wall, "cycles": cycles, "rate": cycles / simulating,
            "per_sample": results.stats.cycles_per_sample}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=20)
    parser.add_argument("--samples", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    program = fenn.compile(recurrent_network(rng, hidden=64, outputs=10), args.timesteps, soc=SOC)
    inputs = {"inp": rng.random((args.samples, args.timesteps, 32)) < 0.2}
    print(f"network: 32 inputs -> 64 LIF (recurrent) -> 10 LI, {args.timesteps} timesteps, "
          f"{args.samples} samples")
    measured = {}
    for simulator in SIMULATORS:
        missing = simulator_missing(simulator)
        if missing:
            print(f"{simulator:10s} not available: {missing}")
            continue
        m = measured[simulator] = measure(simulator, program, inputs)
        print(f"{simulator:10s} {m['rate']:10.0f} cycles/s  ({m['cycles']} cycles in {m['wall']:.2f} s; "
              f"build/start {m['ready']:.1f} s, per-run overhead {1000 * m['empty']:.0f} ms)")
    if len(measured) == 2:
        icarus, verilator = measured["icarus"], measured["verilator"]
        if icarus["per_sample"] != verilator["per_sample"]:
            raise SystemExit(f"cycle counts differ: icarus {icarus['per_sample']}, "
                             f"verilator {verilator['per_sample']}")
        print(f"speedup    {verilator['rate'] / icarus['rate']:10.1f} x  (Verilator over Icarus, same cycles)")


if __name__ == "__main__":
    main()
