"""Speed of the simulator (fenn.sim) in million instructions per second, cycle model on.

    python benchmarks/iss_speed.py [--minstr 50]

(a) a scalar-heavy loop: ALU, loads/stores, branches; (b) a vector-heavy neuron-update
loop: vector loads, vmul with nearest and stochastic rounding, saturating adds, compares,
selects, stores; (c) a compiled network (the SHD classifier) run through ``fenn.run``. Each runs at least ``--minstr`` million instructions after a JIT warm-up
run, which is timed and reported separately.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fenn.asm import Assembler, x0, x2, x3, x5, x6, x7, x8, x9, x10, x11, x12
from fenn.asm import v1, v2, v3, v4, v5, v6, v7, v8, v9, v10


def scalar_loop(iterations: int) -> np.ndarray:
    """12 instructions per iteration over a 256-byte DMEM window."""
    a = Assembler()
    a.li(x10, iterations)
    a.li(x2, 0)
    a.li(x9, 0)
    a.label("loop")
    a.lw(x5, 0, x2)
    a.addi(x6, x5, 3)
    a.xor(x7, x6, x10)
    a.sw(x7, 4, x2)
    a.slli(x8, x7, 2)
    a.add(x9, x9, x8)
    a.lh(x11, 8, x2)
    a.sub(x12, x9, x11)
    a.addi(x2, x2, 12)
    a.andi(x2, x2, 0xFC)
    a.addi(x10, x10, -1)
    a.bnez(x10, "loop")
    a.ecall()
    return a.assemble().words, 12


def vector_loop(iterations: int) -> np.ndarray:
    """A LIF-like update of 32 neurons per iteration, cycling over 16 neuron blocks."""
    a = Assembler()
    a.li(x10, iterations)
    a.li(x2, 0)
    a.li(x3, 0x7000)      # decay constants
    a.vfill(v7, x3)
    a.li(x3, 3000)
    a.vfill(v8, x3)        # threshold
    a.vlui(v9, 0)          # reset value
    a.label("loop")
    a.vloadv(v1, x2, 0)    # V
    a.vloadv(v2, x2, 64)   # I
    a.vmul_rn(15, v3, v1, v7)
    a.vmul_s_rs(15, v4, v2, v7)
    a.vadd_s(v1, v3, v4)
    a.vtge(x5, v1, v8)
    a.vsel(v1, x5, v9)
    a.vadd_s(v4, v4, v8)
    a.vstore(v1, x2, 0)
    a.vstore(v4, x2, 64)
    a.addi(x2, x2, 128)
    a.andi(x2, x2, 0x7FF)
    a.addi(x10, x10, -1)
    a.bnez(x10, "loop")
    a.ecall()
    return a.assemble().words, 14


def measure(name: str, build, minstr: float, repeats: int = 3) -> float:
    from fenn.sim import Machine
    m = Machine()
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    words, per_iteration = build(1000)
    m.load(words, vmem=rng.integers(-3000, 3000, 1024, dtype=np.int16))
    m.run()
    warm = time.perf_counter() - t0
    iterations = int(minstr * 1e6 / per_iteration) + 1
    words, _ = build(iterations)
    m.load(words, vmem=rng.integers(-3000, 3000, 1024, dtype=np.int16))
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.thread_time()
        status = m.run()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.thread_time() - c0)
    n = status.instructions
    mips = n / min(cpus) / 1e6
    print(f"{name:8s} {n / 1e6:6.1f} M instructions, {status.cycles / 1e6:6.1f} M cycles: "
          f"{mips:5.0f} MIPS (CPU time, best of {repeats}); wall clock best {n / min(walls) / 1e6:5.0f}, "
          f"median {n / sorted(walls)[len(walls) // 2] / 1e6:5.0f}   (JIT warm-up / cache load {warm:.2f} s)")
    return mips


def measure_network(samples: int = 8, timesteps: int = 1000) -> None:
    """(c) a compiled network: the SHD classifier (700 -> 256 ALIF -> 20 LI) through fenn.run."""
    try:
        import fenn
        from fenn.models.networks import shd_classifier, synthetic_shd_inputs
    except ImportError as error:            # the compiler is another part of the project
        print(f"network  skipped: {error}")
        return
    from fenn.sim import SimDevice

    class TimedDevice(SimDevice):
        cpu = wall = 0.0

        def run(self, max_cycles=None):
            w0, c0 = time.perf_counter(), time.thread_time()
            status = super().run(max_cycles)
            TimedDevice.wall += time.perf_counter() - w0
            TimedDevice.cpu += time.thread_time() - c0
            return status

    program = fenn.compile(shd_classifier(), timesteps=timesteps)
    inputs = synthetic_shd_inputs(samples, timesteps)
    device = TimedDevice(program.soc)
    fenn.run(program, inputs[:1], device=device, progress=False)      # warm-up
    TimedDevice.cpu = TimedDevice.wall = 0.0
    w0 = time.perf_counter()
    stats = fenn.run(program, inputs, device=device, progress=False).stats
    total = time.perf_counter() - w0
    n = stats.instructions
    print(f"network  {n / 1e6:6.1f} M instructions, {stats.cycles / 1e6:6.1f} M cycles "
          f"({len(program.text)}-word SHD classifier, {samples} samples x {timesteps} steps): "
          f"{n / TimedDevice.cpu / 1e6:5.0f} MIPS (CPU time in Device.run); wall clock "
          f"{n / TimedDevice.wall / 1e6:5.0f} in run, {samples / total:5.1f} samples/s end to end")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minstr", type=float, default=50.0, help="million instructions per loop")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per loop (the machine may be shared)")
    parser.add_argument("--no-network", action="store_true", help="skip (c), the compiled network")
    args = parser.parse_args(argv)
    measure("scalar", scalar_loop, args.minstr, args.repeats)
    measure("vector", vector_loop, args.minstr, args.repeats)
    if not args.no_network:
        measure_network()


if __name__ == "__main__":
    main()
