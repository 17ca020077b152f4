"""Quantisation-aware training: the forward pass sees the compiler's fixed-point weights
(and stored state), the gradient passes straight through, and the weights written back
compile to exactly themselves."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fenn
from fenn.compiler.formats import Format, quantise
from fenn.train import fake_quantise


def test_fake_quantise_rounds_like_the_compiler_and_passes_the_gradient():
    fmt = Format(11)
    x = torch.tensor([0.1234, -3.0001, 20.0, -17.0, 2.5 / 2048, 3.5 / 2048], dtype=torch.float64,
                     requires_grad=True)
    y = fake_quantise(x, fmt)
    expected = quantise(x.detach().numpy(), fmt).values / fmt.scale
    assert np.array_equal(y.detach().numpy(), expected)        # incl. saturation and ties to even
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), np.ones(6))


def _network(rng):
    net = fenn.Network()
    inp = net.input(12, name="inp")
    hid = net.population(20, fenn.models.ALIF(tau_adapt=100.0, beta=0.05), name="hid")
    out = net.population(4, fenn.models.LI(), name="out")
    net.connect(inp, hid, weights=rng.normal(0.2, 0.3, (12, 20)))
    i, j = np.nonzero(rng.random((20, 20)) < 0.3)
    net.connect(hid, hid, sparse=(i, j, rng.normal(0, 0.2, i.size)))
    net.connect(hid, out, weights=rng.normal(0, 0.5, (20, 4)))
    net.record(hid.spikes)
    net.record(out.v, reduce="mean")
    return net


def test_quantised_weights_compile_to_themselves_and_match_the_reference():
    rng = np.random.default_rng(4)
    net = _network(rng)
    model = fenn.train.Trainable(net, dtype=torch.float64)
    formats = model.quantise()
    assert set(formats) == {"hid", "out"}
    x = rng.random((6, 30, 12)) < 0.2
    with torch.no_grad():
        qat = model(x)
    model.write_back()
    for c in net.connections:
        w = c.weights if c.weights is not None else c.sparse[2]
        scale = Format(int(formats[c.post.name].split(".")[1])).scale
        assert np.array_equal(w * scale, np.round(w * scale)), c.name
    program = fenn.compile(net, 30, formats=model.compile_formats)
    assert all(r["rms_error"] == 0 and r["clipped"] == 0
               for r in program.meta["report"]["weights"].values())
    reference = fenn.run(program, {"inp": x}, backend="reference")
    # the quantisation-aware forward pass is much closer to the integer program than the
    # float model is (both use the same quantised weights)
    from fenn.floatmodel import simulate_float
    flt = simulate_float(net, {"inp": x}, 30)
    qat_miss = np.mean(qat["hid.spikes"].numpy().astype(bool) != reference["hid.spikes"])
    flt_miss = np.mean(flt["hid.spikes"] != reference["hid.spikes"])
    assert reference["hid.spikes"].sum() > 100
    assert qat_miss <= flt_miss
    gap = np.abs(qat["out.v"].numpy() - reference["out.v"]).max()
    assert gap < 0.01 * np.abs(reference["out.v"]).max(), gap


def test_training_after_quantise_keeps_the_weights_on_the_grid():
    rng = np.random.default_rng(5)
    net = _network(rng)
    model = fenn.train.Trainable(net)
    model.quantise("s5.10")
    x = rng.random((16, 20, 12)) < 0.2
    y = rng.integers(0, 4, 16)
    fenn.train.fit(model, (x, y), readout="out.v", epochs=2, batch_size=8, lr=1e-2, log=None)
    model.write_back()
    assert model.compile_formats == {"hid": "s5.10", "out": "s5.10"}
    w = net.connections[0].weights
    assert np.array_equal(w * 1024, np.round(w * 1024))
    assert not np.array_equal(w, np.round(_network(np.random.default_rng(5)).connections[0].weights * 1024) / 1024)
