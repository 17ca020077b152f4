"""Simulated cycles per second of the FeNN SoC RTL on Icarus Verilog (cocotb), running a
compiled network. Verilator is reported as not available until it is wired in.

    .venv/bin/python benchmarks/rtl_speed.py [--timesteps 20]

The time of a run minus the time of an empty program's run (simulator start-up, loading
and reading back the state) is the time spent simulating the network's cycles.
"""

from __future__ import annotations

import argparse
import shutil
import time

import numpy as np

import fenn
from fenn.hw.device import RtlDevice
from fenn.isa import encode
from fenn.program import Program
from fenn.soc import SocConfig

SOC = SocConfig(imem_bytes=16384, dmem_bytes=16384, vmem_bytes=65536, llm_bytes_per_lane=512, ddr_bytes=256 * 1024)


class TimedDevice(RtlDevice):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.runs = []

    def run(self, max_cycles=None):
        start = time.perf_counter()
        status = super().run(max_cycles)
        self.runs.append((time.perf_counter() - start, status.cycles))
        return status


def network(rng):
    net = fenn.Network(dt=1.0)
    inp = net.input(32, name="inp")
    hid = net.population(64, fenn.models.LIF(tau_mem=10.0, v_thresh=0.8), name="hid")
    out = net.population(10, fenn.models.LI(tau_mem=20.0), name="out")
    net.connect(inp, hid, weights=rng.normal(0.3, 0.3, (32, 64)))
    net.connect(hid, hid, weights=rng.normal(0.0, 0.2, (64, 64)))
    net.connect(hid, out, weights=rng.normal(0.0, 0.3, (64, 10)))
    net.record(hid.spikes)
    net.record(out.v)
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    program = fenn.compile(network(rng), args.timesteps, soc=SOC)
    device = TimedDevice(SOC)
    device.load(Program(text=np.array([encode("ecall")], np.uint32), soc=SOC))
    device.run()                                      # builds the simulator once
    device.run()
    empty_time = device.runs[-1][0]
    inputs = {"inp": rng.random((1, args.timesteps, 32)) < 0.2}
    fenn.run(program, inputs, device=device, progress=False)
    wall, cycles = device.runs[-1]
    simulating = max(wall - empty_time, 1e-9)
    print(f"network: 32 inputs -> 64 LIF (recurrent) -> 10 LI, {args.timesteps} timesteps, {cycles} cycles")
    print(f"icarus:    {cycles / simulating:10.0f} cycles/s  (run {wall:.2f} s, of which start-up and "
          f"state transfer {empty_time:.2f} s)")
    verilator = shutil.which("verilator")
    print(f"verilator: {'installed, but no runner is wired in yet' if verilator else 'not installed'}")


if __name__ == "__main__":
    main()
