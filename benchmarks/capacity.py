"""Capacity of one core: the largest Vogels-Abbott-like network (``vogels_abbott``, 10 %
connectivity) that compiles and runs on the default SoC with the KV260's 4 GB DDR, dense
and sparse rows in DDR, beside FeNN-DMA's 16k neurons and 256M synapses per core.

Every connection streams from DDR (``weights="ddr"``, the kick input too: with dense rows
its ring buffers take 160 KB of VMEM, which is what limits the dense size).

Sparse: the largest size (a multiple of 32 neurons) whose program compiles is searched
with the real compiler (bisection; the on-chip memories do not depend on the
connectivity, so the search compiles a 0.2 %-connected stand-in), then the 10 % network
at that size is compiled and run for a few steps on the simulator, reference-checked,
and one size up is shown failing with the memory that limits it.

Dense: the 16-bit matrix of a network near the limit (n x n x 2 bytes, ~4 GB) does not
fit this machine's RAM to be compiled here, so the planner's per-neuron use of each
memory is measured at two sizes (it is linear in n: state, spike lists, buffers) and the
DDR need is the matrix itself; the limit is where the first memory runs out. The largest
dense network that is built here is compiled and run as a check.

    python benchmarks/capacity.py
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

import fenn
from fenn.compiler.plan import MemoryPlanError
from fenn.models.networks import va_kick, vogels_abbott
from fenn.soc import SocConfig

SOC = SocConfig(ddr_bytes=4 << 30)
FENN_DMA = (16_000, 256e6)
STEPS = 3


def _compile(n: int, layout: str, connectivity: float = 0.1):
    net = vogels_abbott(n, connectivity=connectivity, rng=np.random.default_rng(2),
                        sparse=layout == "sparse")
    return net, fenn.compile(net, STEPS, soc=SOC, weights="ddr")


def _fits(n: int, layout: str, connectivity: float):
    try:
        _compile(n, layout, connectivity)
        return None
    except MemoryPlanError as error:
        return error


def _run(net, program) -> int:
    result = fenn.run(program, {"kick": va_kick(STEPS)}, progress=False, check=True)
    return result.stats.dma_bytes


def _synapses(program) -> int:
    c = program.lowered.conns[1]
    return int(c.sparse[0].size if c.kind == "sparse" else c.pre_size * c.weights.shape[1])


def sparse_limit(low: int = 1024, high: int = 40_000) -> dict:
    stand_in = 0.002
    while high - low > 32:
        middle = (low + high) // 64 * 32
        if _fits(middle, "sparse", stand_in) is None:
            low = middle
        else:
            high = middle
    error = _fits(low + 32, "sparse", stand_in)
    net, program = _compile(low, "sparse")
    moved = _run(net, program)
    return {"neurons": low, "synapses": _synapses(program), "memory": program.meta["memory"],
            "limit": error, "moved": moved}


def _non_input_use(program) -> dict:
    """Bytes per memory, without the input event buffer (it takes whatever DMEM is free)."""
    use = {}
    for region in program.meta["memory_map"]:
        if region["name"].endswith(".events"):
            continue
        use[region["memory"]] = max(use.get(region["memory"], 0), region["address"] + region["nbytes"])
    return use


def dense_limit(sizes=(4000, 8000), check: int = 16_000) -> dict:
    uses = [_non_input_use(_compile(n, "dense")[1]) for n in sizes]
    limits = {}
    for memory in ("dmem", "vmem"):
        (n0, n1), (u0, u1) = sizes, (uses[0].get(memory, 0), uses[1].get(memory, 0))
        slope = (u1 - u0) / (n1 - n0)
        room = getattr(SOC, f"{memory}_bytes") - 64 * STEPS      # some room for the events
        limits[memory] = int((room - (u0 - slope * n0)) / slope) if slope > 0 else 1 << 30
    # DDR: the padded matrix (n x 32 ceil(n / 32) x 2 bytes) and the kick's row
    n = int(np.sqrt(SOC.ddr_bytes / 2))
    while n * (-(-n // 32) * 32) * 2 + 2 * 64 * -(-n // 32) > SOC.ddr_bytes:
        n -= 1
    limits["ddr"] = n
    net, program = _compile(check, "dense")
    moved = _run(net, program)
    return {"limits": limits, "checked": check, "checked_memory": program.meta["memory"],
            "moved": moved}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dense-check", type=int, default=16_000,
                        help="dense network compiled and run as a check (RAM-bound here)")
    args = parser.parse_args(argv)
    print(f"one core, default SoC (DMEM {SOC.dmem_bytes // 1024} KiB, VMEM "
          f"{SOC.vmem_bytes // 1024} KiB, LLM {SOC.llm_bytes_per_lane} B/lane) with a 4 GB DDR; "
          f"FeNN-DMA: {FENN_DMA[0]:,} neurons, {FENN_DMA[1] / 1e6:.0f}M synapses per core")
    s = sparse_limit()
    use = ", ".join(f"{m.upper()} {v['used']:,}/{v['capacity']:,}" for m, v in s["memory"].items())
    print(f"sparse rows: {s['neurons']:,} neurons, {s['synapses'] / 1e6:.1f}M synapses at 10 % "
          f"(x{s['neurons'] / FENN_DMA[0]:.2f} FeNN-DMA's neurons); compiled and run {STEPS} "
          f"steps, reference-checked ({s['moved']:,} bytes streamed); memory used: {use}")
    limit = s["limit"]
    print(f"  limited by {limit.memory.upper() if limit else '?'}: {s['neurons'] + 32:,} neurons fail: "
          f"{str(limit).split('. To fit')[0] if limit else 'no error'}")
    d = dense_limit(check=args.dense_check)
    n = min(d["limits"].values())
    which = min(d["limits"], key=d["limits"].get)
    stored = n * -(-n // 32) * 32
    print(f"dense rows: {n:,} neurons, {stored / 1e9:.2f}G synapse slots stored ({0.1 * n * n / 1e6:.0f}M "
          f"non-zero at 10 %; x{stored / FENN_DMA[1]:.1f} FeNN-DMA's synapses), limited by "
          f"{which.upper()} (neurons each memory allows: "
          + ", ".join(f"{m.upper()} {v:,}" for m, v in d["limits"].items()) + ")")
    print(f"  DMEM and VMEM per neuron measured by the planner at 4,000 and 8,000 neurons (linear "
          f"in n); {d['checked']:,} neurons compiled and run {STEPS} steps here, reference-checked "
          f"({d['moved']:,} bytes streamed); larger dense matrices do not fit this machine's RAM")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
