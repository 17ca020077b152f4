"""Sparse and delayed connections (lane-local ring buffers) equal the reference bit for bit."""

import numpy as np
import pytest

import fenn
from conftest import assert_bit_exact, poisson, run_both


def _sparse(rng, n_pre, n_post, p, mean=0.3, sd=0.3):
    mask = rng.random((n_pre, n_post)) < p
    pre, post = np.nonzero(mask)
    return pre, post, rng.normal(mean, sd, pre.size)


@pytest.mark.parametrize("rounding", ["nearest", "stochastic"])
def test_sparse_delayed_recurrent_and_mixed(rng, rounding):
    net = fenn.Network()
    inp = net.input(70, name="inp")
    a = net.population(90, fenn.models.LIF(tau_mem=10.0, v_thresh=0.8, refractory=1), name="a")
    b = net.population(40, fenn.models.ALIF(tau_mem=15.0, tau_adapt=100.0, beta=0.05), name="b")
    out = net.population(7, fenn.models.LI(), name="out")
    pre, post, w = _sparse(rng, 70, 90, 0.2)
    net.connect(inp, a, sparse=(pre, post, w))                                    # sparse
    pre, post, w = _sparse(rng, 90, 90, 0.1, 0.0, 0.4)
    net.connect(a, a, sparse=(pre, post, w), delays=rng.integers(0, 6, pre.size))  # sparse, delayed, recurrent
    net.connect(inp, b, weights=rng.normal(0.1, 0.2, (70, 40)),
                delays=rng.integers(0, 3, (70, 40)))                              # dense, delayed
    net.connect(a, b, weights=rng.normal(0.0, 0.2, (90, 40)))                     # dense into a ring target
    net.connect(b, out, weights=rng.normal(0.0, 0.5, (40, 7)), delays=rng.integers(0, 9, (40, 7)))
    # duplicate synapses (same pre, post twice) must both count
    net.connect(inp, out, sparse=(np.array([0, 0, 5]), np.array([3, 3, 3]), np.array([0.5, 0.25, -0.5])))
    for pop in (a, b):
        net.record(pop.spikes)
    net.record(out.v)
    inputs = {"inp": poisson(rng, 2, 40, 70, 0.15)}
    program, device, reference = run_both(net, 40, inputs, rounding=rounding)
    assert_bit_exact(device, reference)
    assert device["a.spikes"].sum() > 20 and device["b.spikes"].sum() > 5
    assert np.abs(device["out.v"]).max() > 0


def test_delay_shifts_arrival_by_exactly_d_steps():
    """A single input spike with delay d reaches an IF neuron exactly d steps later."""
    net = fenn.Network()
    inp = net.input(1, name="inp")
    pop = net.population(4, fenn.models.IF(v_thresh=0.5, reset="zero"), name="pop")
    net.connect(inp, pop, weights=np.ones((1, 4)), delays=np.array([[0, 1, 3, 7]]))
    net.record(pop.spikes)
    raster = np.zeros((12, 1), bool)
    raster[2, 0] = True
    program = fenn.compile(net, 12)
    for backend in ("sim", "reference", "float"):
        spikes = fenn.run(program, {"inp": raster}, backend=backend)["pop.spikes"]
        assert [np.flatnonzero(spikes[:, k]).tolist() for k in range(4)] == [[2], [3], [5], [9]], backend
