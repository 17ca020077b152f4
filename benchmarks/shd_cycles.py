"""Cycles per timestep of the SHD classifier (700 -> 256 recurrent ALIF -> 20 LI) on the
simulator's cycle model (docs/timing.md), with weights in VMEM and streamed from DDR.

Synthetic inputs at SHD's rate (about 7 input spikes per timestep) and synthetic weights
scaled for about one hidden spike per timestep (fenn.models.networks). The split into
neuron update / propagation / DMA wait / bookkeeping comes from a second, profiled build
(its counters cost a few cycles per phase; the headline figure is the unprofiled run).
Also reports the compile time. Bars (issue 4): <= 700 cycles per timestep with weights in
VMEM; compile < 5 s.

    python benchmarks/shd_cycles.py [--samples 4] [--timesteps 1170]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import fenn
from fenn.models.networks import shd_classifier, synthetic_shd_inputs
from fenn.soc import SocConfig

BAR_CYCLES = 700
BAR_COMPILE_S = 5.0


def measure(net, inputs, timesteps, weights, soc):
    started = time.perf_counter()
    program = fenn.compile(net, timesteps, rounding="stochastic", weights=weights, soc=soc)
    compile_s = time.perf_counter() - started
    result = fenn.run(program, {"input": inputs}, progress=False, check=True)
    profiled = fenn.compile(net, timesteps, rounding="stochastic", weights=weights, soc=soc,
                            profile=True)
    split = fenn.run(profiled, {"input": inputs}, progress=False)["profile"].sum(axis=0)
    steps = inputs.shape[0] * timesteps
    phases = dict(zip(profiled.io["profile"].meta["phases"], split / steps))
    return {
        "program": program, "compile_s": compile_s,
        "cycles_per_step": result.stats.cycles / steps,
        "phases": phases,
        "hidden_spikes_per_step": result["hidden.spikes"].sum() / steps,
        "dma_bytes_per_step": result.stats.dma_bytes / steps,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--timesteps", type=int, default=1170)
    parser.add_argument("--dma-ports", type=int, default=1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    net = shd_classifier(rng=rng)
    inputs = synthetic_shd_inputs(args.samples, args.timesteps, rate=7.0, rng=rng)
    soc = SocConfig(dma_ports=args.dma_ports)
    print(f"SHD classifier 700 -> 256 rec ALIF -> 20 LI, {args.samples} samples x "
          f"{args.timesteps} timesteps, {inputs.sum() / inputs.shape[0] / args.timesteps:.2f} "
          f"input spikes per timestep, stochastic rounding, ISS strict=False, reference-checked")
    ok = True
    for weights in ("vmem", "ddr"):
        m = measure(net, inputs, args.timesteps, weights, soc)
        split = ", ".join(f"{k} {v:.0f}" for k, v in m["phases"].items())
        print(f"weights in {weights.upper():4}: {m['cycles_per_step']:.1f} cycles/timestep "
              f"(profiled split per timestep: {split}); hidden spikes/timestep "
              f"{m['hidden_spikes_per_step']:.2f}; DMA {m['dma_bytes_per_step']:.0f} B/timestep; "
              f"compile {m['compile_s']:.2f} s; {m['program'].meta['instructions']} instructions")
        if weights == "vmem":
            verdict = m["cycles_per_step"] <= BAR_CYCLES
            ok &= verdict
            print(f"  bar <= {BAR_CYCLES} cycles/timestep (VMEM): {'PASS' if verdict else 'FAIL'}")
        verdict = m["compile_s"] < BAR_COMPILE_S
        ok &= verdict
        print(f"  bar compile < {BAR_COMPILE_S} s: {'PASS' if verdict else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
