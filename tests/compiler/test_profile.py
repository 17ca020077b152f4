"""compile(profile=True): per-phase cycle counters that add up and change nothing else."""

import numpy as np

import fenn
from conftest import poisson


def _network(rng):
    net = fenn.Network(dt=1.0)
    inp = net.input(40, name="input")
    hid = net.population(48, fenn.models.LIF(tau_mem=10.0, v_thresh=1.0), name="hidden")
    net.connect(inp, hid, weights=rng.normal(0.2, 0.2, (40, 48)))
    net.record(hid.spikes)
    return net


def test_profile_phases_account_for_the_run_and_leave_results_unchanged():
    rng = np.random.default_rng(7)
    net, spikes = _network(rng), poisson(rng, 2, 30, 40, 0.2)
    plain = fenn.compile(net, 30)
    profiled = fenn.compile(net, 30, profile=True)
    a = fenn.run(plain, spikes, progress=False)
    b = fenn.run(profiled, spikes, strict=True, check=True, progress=False)   # check skips the counters
    assert np.array_equal(a["hidden.spikes"], b["hidden.spikes"]) and a["hidden.spikes"].any()
    phases = b["profile"]                       # (samples, phases) cycles
    assert phases.shape[0] == 2 and (phases > 0).any()
    per_sample = np.asarray(b.stats.cycles_per_sample)
    assert np.all(phases.sum(axis=1) <= per_sample)
    assert np.all(phases.sum(axis=1) >= 0.8 * per_sample)   # the time loop is almost all of it
    # the reference model has no cycles: it returns the recordings and skips the counters
    reference = fenn.run(profiled, spikes, backend="reference")
    assert "profile" not in reference.keys()
    assert np.array_equal(reference["hidden.spikes"], b["hidden.spikes"])
