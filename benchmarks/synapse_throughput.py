"""Cycles per 32-synapse vector of spike propagation in a 16,000-neuron network.

Dense: a Vogels-Abbott-like recurrent network (``fenn.models.networks.vogels_abbott``:
12,800 excitatory + 3,200 inhibitory LIF neurons, 10 % random connectivity, about 10 Hz
asynchronous activity) whose 16,000 x 16,000 weight matrix is stored uncompressed in DDR
(512 MB of int16, so the SoC gets a 1 GiB DDR; the KV260 has 4 GB) and streamed by the
DMA engine, double-buffered, with 1 and 2 128-bit ports.

What is counted: the profiled build's ``propagation`` + ``dma_wait`` phase cycles of
every timestep (listing the spiking rows from the bitfield, building the transfer
lists, waiting for and adding the rows; also the kick input's propagation from VMEM: one
row at step 0, an empty event check after; where the pre population's update lists
its spikes and starts the first transfers, docs/compiler.md, that part is in the
update and not counted), divided by the 32-synapse vectors streamed
(DMA bytes / 64; 500 vectors per spiking row). The
DDR floor with one port is 4 cycles per vector (64 bytes at 16 bytes per cycle). Bars
(issue 4): <= 4.5 with one port, <= 2.5 with two. Each run is checked bit for bit
against the reference model (final membrane potentials of all neurons).

Sparse: the same kind of connectivity compressed into (target, weight) vector pairs
accumulated lane-locally (vloadl/vstorel), from VMEM, so fewer pre neurons fit; reported
per stored vector pair and per 32 real synapses (sparse rows streamed from DDR at full
scale: benchmarks/vogels_abbott.py).

    python benchmarks/synapse_throughput.py [--timesteps 50] [--neurons 16000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import fenn
from fenn.models.networks import va_kick, vogels_abbott
from fenn.soc import SocConfig

N_POST = 16_000
CONNECTIVITY = 0.1
BARS = {1: 4.5, 2: 2.5}
#: room for the 512 MB matrix (SocConfig sizes are powers of two)
DDR_BYTES = 1 << 30


def _va_like_weights(rng, n_pre, n_post):
    """10 % connectivity; 80 % excitatory, 20 % inhibitory; values only matter for
    bit-exactness (the sparse part's pre neurons are a Poisson input)."""
    mask = rng.random((n_pre, n_post), dtype=np.float32) < CONNECTIVITY
    sign = np.where(rng.random(n_pre) < 0.8, 0.027, -0.045)[:, None]
    return np.where(mask, sign, 0.0)


def _sparse_network(rng, n_pre):
    net = fenn.Network(dt=1.0)
    inp = net.input(n_pre, name="inp")
    pop = net.population(N_POST, fenn.models.LIF(tau_mem=20.0, v_thresh=1.0, refractory=5),
                         name="va")
    w = _va_like_weights(rng, n_pre, N_POST)
    pre, post = np.nonzero(w)
    net.connect(inp, pop, sparse=(pre, post, w[pre, post]))
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
    parser.add_argument("--timesteps", type=int, default=50)
    parser.add_argument("--neurons", type=int, default=N_POST)
    parser.add_argument("--spikes", type=int, default=160,
                        help="sparse part: spiking input rows per timestep")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(1)
    ok = True

    started = time.perf_counter()
    net = vogels_abbott(args.neurons, connectivity=CONNECTIVITY, rng=np.random.default_rng(1))
    kick = va_kick(args.timesteps)
    nvec = -(-args.neurons // 32)
    print(f"dense, DDR-streamed: recurrent Vogels-Abbott-like network of {args.neurons:,} LIF "
          f"neurons, {CONNECTIVITY:.0%} connectivity, rows of {nvec} vectors stored uncompressed "
          f"in DDR, {args.timesteps} timesteps (built in {time.perf_counter() - started:.0f} s)")
    for ports in (1, 2):
        soc = SocConfig(dma_ports=ports, ddr_bytes=DDR_BYTES)
        started = time.perf_counter()
        program = fenn.compile(net, args.timesteps, soc=soc, profile=True)
        if program.meta["streamed"] != ["recurrent"]:
            raise RuntimeError(f"expected the recurrent connection streamed from DDR, got "
                               f"{program.meta['streamed']}")
        result = fenn.run(program, {"kick": kick}, progress=False, check=True)
        phases = dict(zip(program.io["profile"].meta["phases"], result["profile"]))
        cycles = phases["propagation"] + phases["dma_wait"]
        vectors = result.stats.dma_bytes // 64
        rows = vectors // nvec
        per_vector = cycles / vectors
        bar = BARS[ports]
        ok &= per_vector <= bar
        print(f"  {ports} DMA port{'s' if ports > 1 else ' '}: {per_vector:.3f} cycles per 32-synapse "
              f"vector; bar <= {bar}: {'PASS' if per_vector <= bar else 'FAIL'} "
              f"({rows:,} rows = {rows / args.timesteps:.0f} per step, "
              f"{rows / args.timesteps / args.neurons * 1000:.1f} Hz; propagation "
              f"{phases['propagation']:,} + DMA wait {phases['dma_wait']:,} cycles; "
              f"reference-checked; {time.perf_counter() - started:.0f} s)")
    del net, program, result

    n_pre = 40
    net = _sparse_network(rng, n_pre)
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
