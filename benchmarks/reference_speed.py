"""Speed of the integer reference model: the SHD classifier (700 -> 256 recurrent ALIF ->
20 LI), 2,264 samples x 1,170 timesteps (the SHD test set), stochastic rounding.

Bar (issue 4): under 60 s on this 2-core machine (the FeNN board takes 28.6 s, a Jetson
GPU 69.6 s). Inputs are synthetic Poisson events at SHD's rate (7 spikes per timestep),
made directly as event lists. The first (compiling) call is timed separately: Numba
caches the compiled model on disk, so later runs skip it.

    python benchmarks/reference_speed.py [--samples 2264] [--timesteps 1170]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from fenn.compiler.ir import lower_network
from fenn.models.networks import shd_classifier
from fenn.reference import simulate

BAR_SECONDS = 60.0


def poisson_events(rng, samples, timesteps, n_units, rate):
    """Event lists (ptr (S, T+1), units) with units ascending within each timestep."""
    counts = rng.poisson(rate, size=(samples, timesteps))
    flat = np.concatenate([[0], np.cumsum(counts.ravel())])
    ptr = np.empty((samples, timesteps + 1), dtype=np.int64)
    for s in range(samples):
        ptr[s] = flat[s * timesteps: s * timesteps + timesteps + 1]
    units = rng.integers(0, n_units, size=flat[-1]).astype(np.int32)
    step_of = np.repeat(np.arange(counts.size), counts.ravel())
    units = units[np.lexsort((units, step_of))]
    return ptr, units


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2264)
    parser.add_argument("--timesteps", type=int, default=1170)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    lowered = lower_network(shd_classifier(rng=rng), args.timesteps, rounding="stochastic")
    # a unit may (rarely) appear twice in one step; the model then adds its row twice
    ptr, units = poisson_events(rng, args.samples, args.timesteps, 700, 7.0)
    started = time.perf_counter()
    simulate(lowered, {"input": (ptr[:1], units[:ptr[0, -1]])})
    first = time.perf_counter() - started
    started = time.perf_counter()
    result = simulate(lowered, {"input": (ptr, units)})
    elapsed = time.perf_counter() - started
    spikes = result.recordings["hidden.spikes"].sum() / (args.samples * args.timesteps)
    print(f"reference model, SHD classifier, {args.samples} samples x {args.timesteps} timesteps "
          f"on {os.cpu_count()} cores: {elapsed:.1f} s ({args.samples / elapsed:.0f} samples/s; "
          f"first call incl. compile or cache load {first:.1f} s); {spikes:.2f} hidden spikes "
          f"per timestep")
    verdict = elapsed < BAR_SECONDS
    print(f"bar < {BAR_SECONDS:.0f} s: {'PASS' if verdict else 'FAIL'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    raise SystemExit(main())
