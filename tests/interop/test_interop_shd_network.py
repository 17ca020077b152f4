"""The SHD-shaped reference network and its synthetic inputs (fenn.models.networks)."""

import numpy as np
import pytest

from fenn.floatmodel import simulate_float
from fenn.models.networks import SHD_SHAPE, shd_classifier, synthetic_shd_inputs


def test_structure_and_recordings():
    net = shd_classifier(rng=np.random.default_rng(3))
    assert [g.name for g in net.inputs] == ["input"]
    assert [(p.name, p.size, p.model.name) for p in net.populations] == [
        ("hidden", 256, "ALIF"), ("output", 20, "LI")]
    assert [(c.pre.name, c.post.name) for c in net.connections] == [
        ("input", "hidden"), ("hidden", "hidden"), ("hidden", "output")]
    assert [(r.key, r.reduce) for r in net.recordings] == [("hidden.spikes", None),
                                                           ("output.v", "mean")]


def test_given_weights_are_used_and_checked():
    w = np.full((256, 20), 0.5)
    net = shd_classifier(weights={"hidden_output": w})
    assert np.array_equal(net.connections[2].weights, w)
    with pytest.raises(ValueError, match=r"weights\['hidden_output'\] has shape \(20, 256\)"):
        shd_classifier(weights={"hidden_output": w.T})
    with pytest.raises(ValueError, match="unknown weight keys"):
        shd_classifier(weights={"ih": w})


def test_synthetic_weights_give_about_one_hidden_spike_per_step():
    """The FeNN cycle figures assume ~7 input and ~1 hidden spike per timestep."""
    net = shd_classifier(rng=np.random.default_rng(0))
    x = synthetic_shd_inputs(3, 300, rng=np.random.default_rng(1))
    hidden = simulate_float(net, {"input": x}, 300)["hidden.spikes"]
    per_step = hidden[:, 50:].sum() / (3 * 250)
    assert 0.5 < per_step < 2.0, per_step


def test_synthetic_inputs_rate_and_shape():
    x = synthetic_shd_inputs(20, 500, rate=7.0, rng=np.random.default_rng(2))
    assert x.shape == (20, 500, SHD_SHAPE[0]) and x.dtype == bool
    per_step = x.sum(axis=2)
    assert abs(per_step.mean() - 7.0) < 0.1
    assert abs(per_step.var() - 7.0) < 1.0                 # Poisson-like: variance ~ mean
    # every unit is used, no unit preferred: counts per unit are binomial
    counts = x.sum(axis=(0, 1))
    assert counts.min() > 0 and counts.max() < 3 * counts.mean()
    assert not synthetic_shd_inputs(1, 10, rate=0.0).any()
    with pytest.raises(ValueError, match="rate is spikes per timestep"):
        synthetic_shd_inputs(1, 10, rate=701.0)
