"""Cycles per 32-synapse vector of spike propagation on a 16,000-neuron target.

Dense: rows of 16,000 synapses (10 % non-zero, Vogels-Abbott-like weights, stored
uncompressed as FeNN-DMA does) streamed from DDR by the DMA engine, double-buffered, with
1 and 2 128-bit ports. The figure is (propagation + DMA-wait cycles) / (rows delivered x
500 vectors), from the profiled build's phase counters. Bars (issue 4): <= 4.5 cycles per
vector with one port (the DMA floor is 4: 64 bytes per vector at 16 bytes per cycle),
<= 2.5 with two.

Sparse: the same connectivity compressed into (target, weight) vector pairs accumulated
lane-locally (vloadl/vstorel), from VMEM (sparse rows are not streamed from DDR yet), so
fewer pre neurons fit; reported per stored vector pair and per 32 real synapses.

The pre neurons are a Poisson input group (2,000 channels for dense, 40 for sparse), so
the 16,000 x 16,000 matrix (512 MB uncompressed) need not be built: throughput depends on
the row length, the spikes per timestep and the DMA ports, not on the number of rows.

    python benchmarks/synapse_throughput.py [--timesteps 8] [--spikes 160]
"""

from __future__ import annotations

import argparse

import numpy as np

import fenn
from fenn.soc import SocConfig

N_POST = 16_000
CONNECTIVITY = 0.1
BARS = {1: 4.5, 2: 2.5}


def _va_like_weights(rng, n_pre, n_post):
    """10 % connectivity; 80 % excitatory (+0.27 mV-like), 20 % inhibitory (-4.5 mV-like),
    scaled down so that the target stays in range; values only matter for bit-exactness."""
    mask = rng.random((n_pre, n_post), dtype=np.float32) < CONNECTIVITY
    sign = np.where(rng.random(n_pre) < 0.8, 0.027, -0.045)[:, None]
    return np.where(mask, sign, 0.0)


def _network(rng, n_pre, sparse: bool):
    net = fenn.Network(dt=1.0)
    inp = net.input(n_pre, name="inp")
    pop = net.population(N_POST, fenn.models.LIF(tau_mem=20.0, v_thresh=1.0, refractory=5),
                         name="va")
    w = _va_like_weights(rng, n_pre, N_POST)
    if sparse:
        pre, post = np.nonzero(w)
        net.connect(inp, pop, sparse=(pre, post, w[pre, post]))
    else:
        net.connect(inp, pop, weights=w)
    net.record(pop.v, reduce="last")
    return net


def _inputs(rng, timesteps, n_pre, spikes):
    raster = np.zeros((1, timesteps, n_pre), dtype=bool)
    for t in range(timesteps):
        raster[0, t, rng.choice(n_pre, size=spikes, replace=False)] = True
    return raster


def _propagation_cycles(program, raster, check=True):
    result = fenn.run(program, {"inp": raster}, progress=False, check=check)
    phases = dict(zip(program.io["profile"].meta["phases"], result["profile"][0]))
    return phases["propagation"] + phases["dma_wait"], phases


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=8)
    parser.add_argument("--spikes", type=int, default=160,
                        help="spiking rows per timestep (16,000 neurons at 10 Hz, dt = 1 ms)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(1)
    nvec = -(-N_POST // 32)
    ok = True

    net = _network(rng, 2000, sparse=False)
    raster = _inputs(rng, args.timesteps, 2000, args.spikes)
    rows = raster.sum()
    print(f"dense, DDR-streamed: {N_POST} targets ({nvec} vectors per row), "
          f"{args.spikes} spiking rows per timestep, {args.timesteps} timesteps")
    for ports in (1, 2):
        soc = SocConfig(dma_ports=ports)
        program = fenn.compile(net, args.timesteps, weights="ddr", soc=soc, profile=True)
        cycles, phases = _propagation_cycles(program, raster)
        per_vector = cycles / (rows * nvec)
        bar = BARS[ports]
        ok &= per_vector <= bar
        print(f"  {ports} DMA port{'s' if ports > 1 else ' '}: {per_vector:.3f} cycles per 32-synapse "
              f"vector (propagation {phases['propagation']:,}, DMA wait {phases['dma_wait']:,} "
              f"cycles); bar <= {bar}: {'PASS' if per_vector <= bar else 'FAIL'}")

    n_pre = 40
    net = _network(rng, n_pre, sparse=True)
    raster = _inputs(rng, args.timesteps, n_pre, min(args.spikes, n_pre // 2))
    program = fenn.compile(net, args.timesteps, profile=True)
    table = next(r for r in program.meta["memory_map"] if r["name"].endswith(".synapses"))
    pairs_per_row = table["nbytes"] // (n_pre * 128)
    cycles, phases = _propagation_cycles(program, raster)
    rows = raster.sum()
    synapses = sum(np.count_nonzero(w) for w in [net.connections[0].sparse[2]])
    real_vectors = rows * (synapses / n_pre) / 32
    print(f"sparse (compressed, lane-local accumulation, from VMEM): {n_pre} pre x {N_POST}, "
          f"{pairs_per_row} vector pairs per row")
    print(f"  {cycles / (rows * pairs_per_row):.3f} cycles per stored vector pair, "
          f"{cycles / real_vectors:.3f} cycles per 32 real synapses")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
