"""Runs that carry state (``fenn.run(..., reset=False)``): runs of T steps one after the
other on one device equal the reference model run once over the concatenated inputs, bit
for bit, with the recordings split between the runs."""

import dataclasses

import numpy as np
import pytest

import fenn
from fenn.errors import FennError
from fenn.reference import simulate

from conftest import poisson
from test_bitexact import all_models_network

T = 24


def delayed_network(rng):
    """Sparse delayed recurrence (a lane-local ring whose slot follows time) and a
    recorded recurrent spiking population whose last spike row feeds the next run."""
    net = fenn.Network(dt=1.0)
    inp = net.input(30, name="inp")
    hid = net.population(40, fenn.models.LIF(tau_mem=8.0, v_thresh=0.8, refractory=2), name="hid")
    out = net.population(12, fenn.models.CubaLIF(tau_mem=10.0, tau_syn=4.0, v_thresh=0.6), name="out")
    net.connect(inp, hid, weights=rng.normal(0.3, 0.3, (30, 40)))
    pre, post = np.nonzero(rng.random((40, 40)) < 0.2)
    net.connect(hid, hid, sparse=(pre, post, rng.normal(0.0, 0.4, pre.size)),
                delays=rng.integers(1, 6, pre.size))
    net.connect(hid, out, weights=rng.normal(0.1, 0.3, (40, 12)), delays=rng.integers(0, 3, (40, 12)))
    net.record(hid.v)          # hid's spikes unrecorded: two spike rows, swapped each step
    net.record(out.v)
    net.record(out.spikes)
    return net


def _continued(program, chunks, device):
    """Every chunk run on ``device``, each continuing the last; recordings (S, T, ...)
    concatenated along time."""
    runs = [fenn.run(program, {"inp": chunk}, device=device, reset=k == 0, progress=False)
            for k, chunk in enumerate(chunks)]
    return runs, {key: np.concatenate([r.raw[key] for r in runs], axis=1)
                  for key in runs[0].raw if runs[0].raw[key].ndim == 3}


def _reference_whole(program, inputs):
    """The reference model over all the steps at once."""
    whole = dataclasses.replace(program.lowered, timesteps=inputs.shape[1])
    return simulate(whole, {"inp": inputs}).recordings


@pytest.mark.parametrize("rounding", ["nearest", "stochastic"])
def test_runs_carry_on_like_one_long_run(rng, rounding):
    net = all_models_network(rng)
    program = fenn.compile(net, T, rounding=rounding)
    inputs = poisson(rng, 1, 3 * T, 45, 0.15)
    device = fenn.open_device("sim", soc=program.soc, strict=True)
    runs, got = _continued(program, np.split(inputs, 3, axis=1), device)
    want = _reference_whole(program, inputs)
    for key, value in got.items():
        np.testing.assert_array_equal(value, want[key], err_msg=key)
    # the last state is the state after all the steps; the mean is the last run's own
    np.testing.assert_array_equal(runs[-1].raw["lifz.v"], want["lifz.v"])
    assert got["alif.spikes"][:, T:].sum() > 0, "the continued runs are silent: vacuous"
    # a fresh run differs from the continued one (the state mattered)
    fresh = fenn.run(program, {"inp": inputs[:, T:2 * T]}, device=device, progress=False)
    assert not np.array_equal(fresh.raw["alif.v"], runs[1].raw["alif.v"])


def test_delays_and_rings_carry_on(rng):
    steps = 13     # odd, and not a multiple of the ring's slots: time and rows must carry
    program = fenn.compile(delayed_network(rng), steps)
    inputs = poisson(rng, 1, 3 * steps, 30, 0.2)
    device = fenn.open_device("sim", soc=program.soc, strict=True)
    _, got = _continued(program, np.split(inputs, 3, axis=1), device)
    want = _reference_whole(program, inputs)
    for key, value in got.items():
        np.testing.assert_array_equal(value, want[key], err_msg=key)
    assert got["out.spikes"][:, steps:].sum() > 0


def test_one_sample_per_core_on_several_cores(rng):
    from fenn.soc import SocConfig
    net = all_models_network(rng, recurrent=False)
    program = fenn.compile(net, T, rounding="stochastic", soc=SocConfig(cores=2))
    inputs = poisson(rng, 2, 2 * T, 45, 0.15)
    device = fenn.open_device("sim", soc=program.soc)
    _, got = _continued(program, np.split(inputs, 2, axis=1), device)
    want = _reference_whole(program, inputs)
    for key, value in got.items():
        np.testing.assert_array_equal(value, want[key], err_msg=key)


def test_what_cannot_continue_is_refused(rng):
    net = all_models_network(rng, recurrent=False)
    program = fenn.compile(net, T)
    inputs = poisson(rng, 2, T, 45, 0.15)
    with pytest.raises(FennError, match="open device"):
        fenn.run(program, inputs[:1], reset=False)
    with pytest.raises(FennError, match="open device"):
        fenn.run(program, inputs[:1], backend="reference", reset=False)
    device = fenn.open_device("sim", soc=program.soc)
    with pytest.raises(FennError, match="at most 1 sample"):
        fenn.run(program, inputs, device=device, reset=False, progress=False)
    fenn.run(program, inputs[:1], device=device, progress=False)
    other = fenn.compile(net, T, seed=5)
    with pytest.raises(FennError, match="another Program"):
        fenn.run(other, inputs[:1], device=device, reset=False)
    with pytest.raises(FennError, match="reference model"):
        fenn.run(program, inputs[:1], device=device, reset=False, check=True)
