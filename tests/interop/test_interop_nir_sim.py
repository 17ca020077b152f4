"""Imported NIR graphs compiled and run on the instruction-set simulator.

The simulator must equal fenn's integer reference model bit for bit (``check=True``) and
readouts may not saturate (their formats are sized for their worst case); against the
float64 model of the same network the fixed-point run is bounded: spikes agree on >= 99%
of (sample, step, neuron) entries, per-neuron spike counts correlate > 0.95, readout
traces correlate > 0.99 and stay within 10% of their range.
"""

import numpy as np
import pytest

import fenn
from fenn.nir import import_nir

from test_interop_nir_lowering import GRAPHS, random_inputs

T = 100
SAMPLES = 3


def batch(graph, imp):
    per_seed = [random_inputs(graph, T, seed=s) for s in range(SAMPLES)]
    return {imp.names[k]: np.stack([x[k] for x in per_seed]) for k in per_seed[0]}


@pytest.mark.parametrize("name", sorted(GRAPHS))
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
            trace_corr = np.corrcoef(got.ravel(), want.ravel())[0, 1]
            print(f"{name} {key}: max |v_sim - v_float| {error:.4f} of range {span:.2f}, "
                  f"trace correlation {trace_corr:.5f}")
            # a readout integrates its inputs: one hidden spike that fixed point moves
            # across the threshold shows up for tens of steps, hence the loose max bound
            assert span > 0.1 and error <= 0.1 * span and trace_corr > 0.99
    # readouts are sized never to saturate; a spiking population may clip a deep
    # hyperpolarisation (its format covers thresholds, not every inhibitory input)
    saturations = {k: int(v.sum()) for k, v in sim.stats.saturations.items()}
    print(f"{name}: saturated updates {saturations}")
    for group in imp.lowered.groups.values():
        if not group.spiking:
            assert saturations[imp.names[group.name]] == 0


def test_per_neuron_tau_and_bias_on_the_simulator_from_step_zero():
    """Per-neuron time constants, leak levels and biases are model parameters: no bias
    clock, the simulator equals the reference bit for bit and follows the float model
    from step 0 (before, step 0 ran without per-neuron biases)."""
    graph = GRAPHS["per_neuron"]
    imp = import_nir(graph, 1e-3)
    assert imp.clock is None
    hidden = imp.network.group(imp.names["lif"])
    imp.network.record(hidden.v)
    program = fenn.compile(imp.network, timesteps=T)
    assert {"alpha", "drive"} <= set(program.lowered.pop(hidden.name).kernel.params)
    inputs = batch(graph, imp)
    sim = fenn.run(program, inputs, backend="sim", check=True, progress=False)
    flt = fenn.run(program, inputs, backend="float")
    key = f"{hidden.name}.v"
    step0 = np.abs(sim[key][:, 0] - flt[key][:, 0]).max()
    print(f"per_neuron: step-0 |v_sim - v_float| {step0:.5f}, float step-0 range "
          f"{np.abs(flt[key][:, 0]).max():.3f}")
    assert np.abs(flt[key][:, 0]).max() > 0.05          # the biases act in step 0
    lsb = 1.0 / program.lowered.pop(hidden.name).fmt.scale
    assert step0 <= 4 * lsb, (step0, lsb)     # quantisation only (the biases are ~25 lsb)
    agree = np.mean(np.abs(sim[key] - flt[key]) < 0.05)
    assert agree > 0.97, agree
