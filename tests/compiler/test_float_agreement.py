"""The float64 model and the integer reference agree as closely as quantisation allows.

Bounds, not equality: the float model shows how far fixed point moves the result.
"""

import numpy as np

import fenn
from conftest import poisson
from fenn.floatmodel import simulate_float


def test_spike_counts_and_readout_argmax_agree(rng):
    net = fenn.Network()
    inp = net.input(80, name="inp")
    hid = net.population(64, fenn.models.ALIF(tau_mem=20.0, tau_adapt=500.0, beta=0.02,
                                               v_thresh=0.6, refractory=2), name="hid")
    out = net.population(6, fenn.models.LI(tau_mem=20.0), name="out")
    net.connect(inp, hid, weights=rng.normal(0.08, 0.12, (80, 64)))
    net.connect(hid, hid, weights=rng.normal(0.0, 0.05, (64, 64)))
    net.connect(hid, out, weights=rng.normal(0.0, 0.3, (64, 6)))
    net.record(hid.spikes)
    net.record(out.v, reduce="mean")
    T = 100
    inputs = {"inp": poisson(rng, 12, T, 80, 0.08)}
    program = fenn.compile(net, T, rounding="stochastic")
    ref = fenn.run(program, inputs, backend="reference")
    flt = simulate_float(net, inputs, T)
    counts_ref = ref["hid.spikes"].sum(axis=1).ravel()
    counts_flt = flt["hid.spikes"].sum(axis=1).ravel()
    assert counts_flt.sum() > 500, "network too quiet for a meaningful comparison"
    correlation = np.corrcoef(counts_ref, counts_flt)[0, 1]
    assert correlation > 0.9, correlation
    assert abs(counts_ref.sum() / counts_flt.sum() - 1) < 0.1
    agree = np.mean(ref["out.v"].argmax(axis=1) == flt["out.v"].argmax(axis=1))
    assert agree >= 10 / 12, agree
    # the readout itself is close in real units
    assert np.abs(ref["out.v"] - flt["out.v"]).max() < 0.1 * np.abs(flt["out.v"]).max() + 0.05


def test_float_backend_through_run(rng):
    net = fenn.Network()
    inp = net.input(10, name="inp")
    pop = net.population(5, fenn.models.IF(v_thresh=0.5), name="pop")
    net.connect(inp, pop, weights=np.full((10, 5), 0.25))
    net.record(pop.spikes)
    program = fenn.compile(net, 6)
    raster = np.zeros((6, 10), bool)
    raster[0, :2] = True            # 0.5 at step 0 -> spike at step 0
    raster[3, 0] = True             # 0.25 at step 3, 0.25 at step 4 -> spike at step 4
    raster[4, 1] = True
    for backend in ("float", "reference", "sim"):
        result = fenn.run(program, {"inp": raster}, backend=backend)
        spikes = result["pop.spikes"]
        assert spikes.shape == (6, 5)
        assert spikes[:, 0].nonzero()[0].tolist() == [0, 4], backend
