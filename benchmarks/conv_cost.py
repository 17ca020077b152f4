"""What a convolution imported from NIR costs as sparse rows, beside what a kernel stored
once would hold (docs/nir.md, Convolutions).

The snnTorch network of tests/interop/test_interop_nir_conv.py — Conv2d(2->4, 5x5, stride 2)
-> Leaky (4x16x16) -> AvgPool2d(2) -> Flatten -> Linear -> Leaky(10) — on N-MNIST-shaped
frames (2, 34, 34) with 8 % of the inputs spiking per step, compiled with weights="auto".

    python benchmarks/conv_cost.py [--timesteps 100]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=100)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import torch
    from snntorch.export_nir import export_to_nir
    import fenn
    from fenn.nir import import_nir
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "interop"))
    from test_interop_nir_conv import DT, FRAME, conv_net

    net, _ = conv_net()
    imp = import_nir(export_to_nir(net, torch.zeros(FRAME)), DT, method="euler",
                     exporter="snntorch")
    T = args.timesteps
    frames = np.random.default_rng(3).random((2, T, *FRAME)) < 0.08
    program = fenn.compile(imp.network, T)
    result = fenn.run(program, frames, progress=False, check=True)
    profiled = fenn.compile(imp.network, T, profile=True)
    phases = fenn.run(profiled, frames, progress=False)["profile"].sum(axis=0) / (2 * T)
    conv = imp.network.connections[0]
    synapses = len(conv.sparse[2]) if conv.sparse is not None else conv.weights.size
    kernel = net[0].weight.numel()
    spikes = frames.sum() / (2 * T)
    print(f"convolution: {synapses:,} synapses as {'sparse' if conv.sparse is not None else 'dense'}"
          f" rows; a shared kernel would hold {kernel:,} weights ({synapses / kernel:.0f}x fewer)")
    for memory, use in program.meta["memory"].items():
        print(f"  {memory:>5}: {use['used']:>10,} of {use['capacity']:>10,} bytes")
    print(f"{result.stats.cycles_per_timestep:,.0f} cycles per timestep (reference-checked), "
          f"{spikes:.0f} input spikes per step:")
    for name, cycles in zip(profiled.io["profile"].meta["phases"], phases):
        print(f"  {name:<12} {cycles:>10,.0f}")
    propagation = dict(zip(profiled.io["profile"].meta["phases"], phases))["propagation"]
    print(f"propagation per spiking input: {propagation / spikes:.0f} cycles for "
          f"{synapses / np.prod(FRAME):.0f} targets on average")


if __name__ == "__main__":
    main()
