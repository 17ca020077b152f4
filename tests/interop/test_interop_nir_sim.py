"""Imported NIR graphs compiled and run on the instruction-set simulator.

The simulator must equal fenn's integer reference model bit for bit (``check=True``);
against the float64 model of the same network the fixed-point run is bounded: spikes agree
on >= 99% of (sample, step, neuron) entries, per-neuron spike counts correlate > 0.95, and
readout voltages stay within 1% of their range.
"""

import numpy as np
import pytest

import fenn
from fenn.nir import import_nir

from test_interop_nir_lowering import GRAPHS, random_inputs

T = 100
SAMPLES = 3
#: graphs whose connections carry NIR Delay nodes: dense delayed propagation is not in the
#: code generator yet (NotImplementedError names the connection)
DELAYED = {"branches", "delay_cubali"}


def batch(graph, imp):
    per_seed = [random_inputs(graph, T, seed=s) for s in range(SAMPLES)]
    return {imp.names[k]: np.stack([x[k] for x in per_seed]) for k in per_seed[0]}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(raises=NotImplementedError, strict=False,
                                            reason="dense delayed connections not generated yet"))
    if n in DELAYED else n for n in sorted(GRAPHS)])
def test_imported_graph_on_the_simulator(name):
    graph = GRAPHS[name]
    imp = import_nir(graph, 1e-3)
    program = fenn.compile(imp.network, timesteps=T)
    inputs = batch(graph, imp)
    sim = fenn.run(program, inputs, backend="sim", check=True, progress=False)
    ref = fenn.run(program, inputs, backend="float")
    for key in imp.outputs.values():
        got, want = sim[key], ref[key]
        if got.dtype == bool:
            assert want.sum() > 10
            agree = np.mean(got == want)
            counts = np.corrcoef(got.sum(1).ravel(), want.sum(1).ravel())[0, 1]
            print(f"{name} {key}: spikes sim {got.sum()} float {want.sum()}, "
                  f"agreement {agree:.4f}, count correlation {counts:.4f}")
            assert agree >= 0.99 and counts > 0.95
        else:
            span = np.abs(want).max()
            error = np.abs(got - want).max()
            print(f"{name} {key}: max |v_sim - v_float| {error:.4f} of range {span:.2f}")
            assert span > 0.1 and error <= 0.01 * span
