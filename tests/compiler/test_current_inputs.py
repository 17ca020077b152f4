"""Inputs of real values (``net.input(n, kind="current")``): each step their connections
add ``W.T @ x`` to the targets' input. The strict simulator equals the reference model bit
for bit, and the float model closely."""

import numpy as np
import pytest

import fenn
from fenn.errors import FennError
from fenn.network import NetworkError

from conftest import assert_bit_exact, poisson, run_both

T = 20


def current_network(rng):
    """A current input into a small target (register accumulators) and a large one (VMEM
    accumulators), beside a spike input and a recurrent connection."""
    net = fenn.Network(dt=1.0)
    frames = net.input(24, name="frames", kind="current", max_value=2.0)
    spikes = net.input(10, name="spikes")
    small = net.population(40, fenn.models.LIF(tau_mem=8.0, v_thresh=0.8, refractory=1), name="small")
    large = net.population(600, fenn.models.CubaLIF(tau_mem=10.0, tau_syn=4.0, v_thresh=0.5), name="large")
    out = net.population(8, fenn.models.LI(tau_mem=10.0), name="out")
    net.connect(frames, small, weights=rng.normal(0.1, 0.3, (24, 40)))
    net.connect(spikes, small, weights=rng.normal(0.2, 0.2, (10, 40)))
    net.connect(frames, large, weights=rng.normal(0.05, 0.2, (24, 600)))
    net.connect(small, small, weights=rng.normal(0.0, 0.2, (40, 40)))
    net.connect(frames, out, weights=rng.normal(0.0, 0.2, (24, 8)))
    for pop in (small, large):
        net.record(pop.spikes)
    net.record(small.v)
    net.record(large.isyn, reduce="max")
    net.record(out.v)
    return net


def current_values(rng, samples, channels, zeros=0.3):
    """Real values in [-1.5, 2.5) (some above max_value, so saturating), some zero."""
    values = rng.uniform(-1.5, 2.5, (samples, T, channels))
    values[rng.random(values.shape) < zeros] = 0.0
    return values


def test_currents_on_sim_equal_the_reference(rng):
    net = current_network(rng)
    inputs = {"frames": current_values(rng, 2, 24), "spikes": poisson(rng, 2, T, 10, 0.2)}
    program, device, reference = run_both(net, T, inputs, rounding="stochastic")
    assert_bit_exact(device, reference)
    assert program.meta["currents"] == {"frames": "s2.13"}      # holds max_value=2.0
    for name in ("small", "large"):
        assert device[f"{name}.spikes"].sum() > 0, f"{name} never spiked: vacuous"
    # the values matter: other values, other results
    other = dict(inputs, frames=-inputs["frames"])
    assert not np.array_equal(fenn.run(program, other, progress=False).raw["out.v"], device.raw["out.v"])


def test_currents_in_the_float_model_are_close(rng):
    """A non-spiking readout (no threshold to flip): fixed point tracks float64."""
    net = fenn.Network(dt=1.0)
    frames = net.input(16, name="frames", kind="current", max_value=1.0)
    out = net.population(8, fenn.models.LI(tau_mem=10.0), name="out")
    net.connect(frames, out, weights=rng.normal(0.0, 0.3, (16, 8)))
    net.record(out.v)
    program = fenn.compile(net, T)
    values = rng.uniform(-1.0, 1.0, (T, 16))
    fixed = fenn.run(program, {"frames": values}, strict=True)["out.v"]
    exact = fenn.run(program, {"frames": values}, backend="float")["out.v"]
    assert np.abs(exact).max() > 0.1
    assert np.abs(fixed - exact).max() < 0.02 * np.abs(exact).max()


def test_currents_carry_on_with_reset_false(rng):
    net = current_network(rng)
    program = fenn.compile(net, T, rounding="stochastic")     # the reference as compiled above
    frames = current_values(rng, 1, 24)
    spikes = poisson(rng, 1, T, 10, 0.2)
    device = fenn.open_device("sim", soc=program.soc, strict=True)
    first = fenn.run(program, {"frames": frames, "spikes": spikes}, device=device, progress=False)
    second = fenn.run(program, {"frames": frames, "spikes": spikes}, device=device, reset=False,
                      progress=False)
    import dataclasses
    from fenn.reference import simulate
    from fenn.runtime import current_values as quantised
    whole = dataclasses.replace(program.lowered, timesteps=2 * T)
    want = simulate(whole, {"frames": quantised(program, "frames", np.concatenate([frames] * 2, axis=1)),
                            "spikes": np.concatenate([spikes] * 2, axis=1)}).recordings
    np.testing.assert_array_equal(np.concatenate([first.raw["small.v"], second.raw["small.v"]], axis=1),
                                  want["small.v"])


def test_bad_current_inputs_are_refused(rng):
    net = fenn.Network()
    frames = net.input(4, name="frames", kind="current")
    pop = net.population(3, fenn.models.LIF(), name="pop")
    with pytest.raises(NetworkError, match="dense"):
        net.connect(frames, pop, sparse=([0], [1], [0.5]))
    with pytest.raises(NetworkError, match="dense"):
        net.connect(frames, pop, weights=np.ones((4, 3)), delays=1)
    with pytest.raises(NetworkError, match="kind"):
        net.input(4, name="x", kind="analog")
    net.connect(frames, pop, weights=np.ones((4, 3)) * 0.1)
    program = fenn.compile(net, 5)
    with pytest.raises(FennError, match="current input"):
        fenn.run(program, {"frames": np.zeros((5, 3))})
    with pytest.raises(FennError, match="NaN"):
        fenn.run(program, {"frames": np.full((5, 4), np.nan)})


def test_evaluate_takes_current_inputs(rng):
    """fenn.evaluate ships real values to its shards unpacked (spikes go as bits)."""
    net = fenn.Network(dt=1.0)
    frames = net.input(6, name="frames", kind="current", max_value=1.0)
    out = net.population(3, fenn.models.LI(tau_mem=5.0), name="out")
    net.connect(frames, out, weights=np.eye(6)[:, :3] + np.eye(6)[:, 3:])
    net.record(out.v)
    program = fenn.compile(net, 8)
    values = rng.uniform(0.0, 0.2, (6, 8, 6))
    labels = np.arange(6) % 3
    for s, label in enumerate(labels):          # the label's channels carry the most current
        values[s, :, [label, label + 3]] += 0.7
    result = fenn.evaluate(program, {"frames": values}, labels, readout=("out.v", "mean"),
                           shard_size=2, progress=False)
    assert result.accuracy == 1.0
    want = fenn.run(program, {"frames": values}, progress=False)["out.v"]
    assert np.array_equal(result.scores, want.mean(axis=1))
