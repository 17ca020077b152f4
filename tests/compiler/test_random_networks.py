"""Random networks (models, sizes, dense/sparse/delayed/recurrent connections, VMEM or
DDR weights, rounding modes, recordings): the strict ISS equals the reference model."""

import numpy as np
from hypothesis import given, settings, strategies as st

import fenn
from conftest import assert_bit_exact, run_both


def _model(rng):
    kind = rng.integers(0, 4)
    reset = ["subtract", "zero"][rng.integers(0, 2)]
    if kind == 0:
        return fenn.models.LIF(tau_mem=float(rng.uniform(5, 30)), v_thresh=float(rng.uniform(0.3, 1.0)),
                               refractory=int(rng.integers(0, 4)), reset=reset)
    if kind == 1:
        return fenn.models.ALIF(tau_mem=float(rng.uniform(5, 30)), tau_adapt=float(rng.uniform(50, 500)),
                                beta=float(rng.uniform(0.01, 0.1)), v_thresh=float(rng.uniform(0.3, 0.8)),
                                refractory=int(rng.integers(0, 3)), reset=reset)
    if kind == 2:
        return fenn.models.CubaLIF(tau_mem=float(rng.uniform(5, 30)), tau_syn=float(rng.uniform(2, 10)),
                                   v_thresh=float(rng.uniform(0.3, 1.0)), reset=reset)
    return fenn.models.IF(v_thresh=float(rng.uniform(0.5, 2.0)), reset=reset)


def _connect(net, rng, pre, post):
    shape = (pre.size, post.size)
    delays = rng.integers(0, 5, shape) if rng.random() < 0.3 else None
    if rng.random() < 0.3:
        mask = rng.random(shape) < 0.3
        i, j = np.nonzero(mask)
        net.connect(pre, post, sparse=(i, j, rng.normal(0.15, 0.3, i.size)),
                    delays=None if delays is None else delays[i, j])
    else:
        net.connect(pre, post, weights=rng.normal(0.1, 0.3, shape), delays=delays)


def random_network(seed):
    rng = np.random.default_rng(seed)
    net = fenn.Network()
    inp = net.input(int(rng.integers(10, 80)), name="inp")
    pops = [net.population(int(rng.integers(5, 120)), _model(rng), name=f"p{k}")
            for k in range(int(rng.integers(1, 4)))]
    readout = net.population(int(rng.integers(2, 12)), fenn.models.LI(), name="out")
    for k, pop in enumerate(pops):
        _connect(net, rng, inp, pop)
        for other in pops[:k + 1]:
            if rng.random() < 0.4:
                _connect(net, rng, other, pop)          # forward or recurrent
        net.record(pop.spikes)
    _connect(net, rng, pops[-1], readout)
    net.record(readout.v, reduce=[None, "mean", "max", "last"][rng.integers(0, 4)])
    var = [v for v in pops[0].model.state() if v != "refrac"][0]
    net.record(getattr(pops[0], var), reduce=[None, "max"][rng.integers(0, 2)])
    options = {"rounding": ["nearest", "stochastic", "floor"][rng.integers(0, 3)],
               "weights": ["vmem", "ddr"][rng.integers(0, 2)], "seed": int(rng.integers(0, 100))}
    inputs = {"inp": rng.random((2, 20, inp.size)) < rng.uniform(0.05, 0.3)}
    return net, inputs, options


@settings(max_examples=6, derandomize=True, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_random_network_is_bit_exact(seed):
    net, inputs, options = random_network(seed)
    program, device, reference = run_both(net, 20, inputs, **options)
    assert_bit_exact(device, reference)
    first = net.populations[0].name
    assert any(np.any(v != 0) for k, v in device.raw.items() if k.startswith(first)), \
        "the input-driven population recorded nothing: the comparison would be vacuous"
