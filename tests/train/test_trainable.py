"""fenn.train: the torch model equals the float64 model, its gradients are the ones
autograd should compute, and a short training run learns."""

import math
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fenn
from fenn.floatmodel import simulate_float
from fenn.models import NeuronModel, StateVar, where

sys.path.insert(0, str(Path(__file__).parents[1] / "compiler"))
from test_random_networks import random_network  # noqa: E402


class Bursting(NeuronModel):
    """A user-written model: a per-neuron gain, a decaying trace that blocks spikes,
    and every kind of node (and/or/not, eq, ne, gt, lt, le, neg)."""

    def __init__(self, gain):
        self.gain = gain

    def state(self):
        return {"v": StateVar(0.0), "u": StateVar(0.0), "n": StateVar(0, integer=True)}

    def update(self, s, i, dt):
        v = s.v * math.exp(-dt / 10.0) + i * s.param("gain", self.gain) - s.u * 0.2
        tired = (s.u > 1.5) | s.n.eq(5)
        spike = (v >= 0.8) & ~tired
        calm = (v < -0.5) & s.n.ne(0) & (s.u <= 0.1)
        s.v = where(spike, -v * 0.1, where(calm, v * 0.5, v))
        s.u = s.u * 0.9 + where(spike, 0.5, 0.0)
        s.n = where(spike, s.n + 1, where(calm, s.n - 1, s.n))
        return spike


def _models():
    yield "LIF", fenn.models.LIF(tau_mem=15.0, v_thresh=0.7, refractory=2)
    yield "LIF-zero", fenn.models.LIF(tau_mem=np.linspace(8, 30, 40), reset="zero", v_rest=0.1)
    yield "ALIF", fenn.models.ALIF(tau_mem=20.0, tau_adapt=np.linspace(50, 300, 40), beta=0.05,
                                   refractory=1)
    yield "CubaLIF", fenn.models.CubaLIF(tau_mem=12.0, tau_syn=4.0, v_thresh=0.6)
    yield "IF", fenn.models.IF(v_thresh=1.2)
    yield "user", Bursting(np.linspace(0.6, 1.4, 40))


def _compare(net, inputs, T):
    expected = simulate_float(net, inputs, T)
    got = fenn.train.Trainable(net, dtype=torch.float64)(inputs)
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        g = got[key].detach().numpy()
        assert g.shape == value.shape, key
        if value.dtype == bool:
            assert np.array_equal(g.astype(bool), value), key
            assert np.all((g == 0) | (g == 1)), key
        else:
            np.testing.assert_allclose(g, value, rtol=0, atol=1e-9, err_msg=key)
    return expected


@pytest.mark.parametrize("kind, model", list(_models()), ids=[k for k, _ in _models()])
def test_torch_forward_equals_float_model(kind, model):
    rng = np.random.default_rng(7)
    net = fenn.Network()
    inp = net.input(30, name="inp")
    pop = net.population(40, model, name="pop")
    out = net.population(5, fenn.models.LI(tau_mem=np.linspace(5, 25, 5)), name="out")
    net.connect(inp, pop, weights=rng.normal(0.08, 0.25, (30, 40)), delays=rng.integers(0, 3, (30, 40)))
    i, j = np.nonzero(rng.random((40, 40)) < 0.2)
    net.connect(pop, pop, sparse=(i, j, rng.normal(0.0, 0.3, i.size)), delays=rng.integers(0, 2, i.size))
    net.connect(pop, out, weights=rng.normal(0.0, 0.4, (40, 5)))
    net.record(pop.spikes)
    net.record(getattr(pop, "v"))
    net.record(out.v, reduce="mean")
    inputs = {"inp": rng.random((3, 40, 30)) < 0.15}
    expected = _compare(net, inputs, 40)
    assert 50 < expected["pop.spikes"].sum() < 0.8 * expected["pop.spikes"].size, \
        "the comparison needs a network that spikes but is not saturated"


@pytest.mark.parametrize("seed", [3, 11, 19, 42])
def test_torch_forward_equals_float_model_on_random_networks(seed):
    net, inputs, _ = random_network(seed)
    _compare(net, inputs, 20)


def test_gradients_match_finite_differences():
    """Away from threshold the network is smooth, so autograd must equal finite
    differences (float64). The triangle surrogate is zero there (the others leak a little
    gradient through every comparison, which is their point)."""
    rng = np.random.default_rng(1)
    net = fenn.Network()
    inp = net.input(4, name="inp")
    hid = net.population(3, fenn.models.LIF(tau_mem=10.0, v_thresh=5.0), name="hid")
    out = net.population(2, fenn.models.LI(), name="out")
    net.connect(inp, hid, weights=rng.normal(0.3, 0.1, (4, 3)))
    net.connect(inp, out, weights=rng.normal(0.0, 0.3, (4, 2)), delays=1)
    net.record(hid.v, reduce="mean")
    net.record(out.v, reduce="max")
    model = fenn.train.Trainable(net, params=["hid.alpha"], surrogate=fenn.train.triangle(1.0),
                                 dtype=torch.float64)
    x = torch.from_numpy(rng.random((2, 8, 4)) < 0.5).to(torch.float64)

    names = [name for name, _ in model.named_parameters()]
    assert "params.hid__alpha" in names and len(names) == 3
    for name, parameter in model.named_parameters():
        def loss_of(value, name=name):
            rec = torch.func.functional_call(model, {name: value}, (x,))
            return (rec["hid.v"] ** 2).sum() + (rec["out.v"] * torch.tensor([1.0, -2.0])).sum()
        start = parameter.detach().clone().requires_grad_(True)
        assert torch.autograd.gradcheck(loss_of, (start,), eps=1e-6, atol=1e-7), name


@pytest.mark.parametrize("name", ["fast_sigmoid", "sigmoid", "atan", "triangle"])
def test_spike_gradient_is_the_chosen_surrogate(name):
    """One IF neuron driven once: d(readout)/d(w_in) = w_out * surrogate'(w_in - thresh)."""
    net = fenn.Network()
    inp = net.input(1, name="inp")
    hid = net.population(1, fenn.models.IF(v_thresh=1.0), name="hid")
    out = net.population(1, fenn.models.LI(tau_mem=1e9), name="out")
    net.connect(inp, hid, weights=[[0.93]])
    net.connect(hid, out, weights=[[0.7]])
    net.record(out.v, reduce="last")
    chosen = getattr(fenn.train, name)(slope=3.0)
    model = fenn.train.Trainable(net, surrogate=chosen, dtype=torch.float64)
    x = torch.zeros(1, 2, 1, dtype=torch.float64)          # the step-0 spike arrives at step 1
    x[0, 0, 0] = 1.0
    model(x)["out.v"].sum().backward()
    expected = 0.7 * chosen.derivative(torch.tensor(0.93 - 1.0, dtype=torch.float64))
    assert float(model.weights["inp_to_hid"].grad) == pytest.approx(float(expected), rel=1e-12)
    assert float(expected) != 0.0


def test_short_training_run_lowers_the_loss():
    from fenn.datasets import Randman
    data = Randman(classes=3, units=20, timesteps=30, samples_per_class=40, seed=3)
    rng = np.random.default_rng(0)
    net = fenn.Network()
    inp = net.input(20, name="inp")
    hid = net.population(24, fenn.models.LIF(tau_mem=10.0), name="hid")
    out = net.population(3, fenn.models.LI(tau_mem=10.0), name="out")
    net.connect(inp, hid, weights=rng.normal(0.1, 0.4, (20, 24)))
    net.connect(hid, out, weights=rng.normal(0.0, 0.3, (24, 3)))
    net.record(out.v, reduce="mean")
    model = fenn.train.Trainable(net)
    before = [w.detach().clone() for w in model.weights.values()]
    history = fenn.train.fit(model, data.train, readout="out.v", epochs=6, batch_size=30,
                             lr=3e-2, log=None)
    assert history.loss[-1] < 0.8 * history.loss[0], history.loss
    model.write_back()
    assert np.array_equal(net.connections[0].weights, model.weights["inp_to_hid"].detach().double().numpy())
    assert not np.allclose(net.connections[0].weights, before[0].double().numpy())


def test_import_fenn_loads_neither_torch_nor_matplotlib():
    import subprocess
    code = ("import sys, fenn, fenn.datasets, fenn.train; fenn.Network; "
            "assert 'torch' not in sys.modules and 'matplotlib' not in sys.modules, "
            "[m for m in sys.modules if m.startswith(('torch', 'matplotlib'))]")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_trained_parameters_go_back_as_a_tuned_model_the_float_model_reads():
    rng = np.random.default_rng(8)
    net = fenn.Network()
    inp = net.input(10, name="inp")
    hid = net.population(12, fenn.models.LIF(tau_mem=15.0, v_thresh=0.6), name="hid")
    net.connect(inp, hid, weights=rng.normal(0.2, 0.2, (10, 12)))
    net.record(hid.v)
    model = fenn.train.Trainable(net, params=True, dtype=torch.float64)
    assert sorted(k for k, _ in model.named_parameters()) == [
        "params.hid__alpha", "params.hid__leak", "params.hid__v_reset", "params.hid__v_thresh",
        "weights.inp_to_hid"]
    with torch.no_grad():
        model.params["hid__alpha"].copy_(torch.linspace(0.8, 0.99, 12))
        model.params["hid__v_thresh"].add_(torch.linspace(-0.1, 0.1, 12))
    model.write_back()
    assert isinstance(hid.model, fenn.train.Tuned) and hid.model.name == "LIF"
    x = rng.random((2, 25, 10)) < 0.3
    _compare(net, {"inp": x}, 25)                    # the float model reads the Tuned model
    program = fenn.compile(net, 25)                  # and so does the compiler
    assert program.meta["report"]["parameters"]["hid"]["alpha"]["neurons"] == 12


def test_missing_extras_name_what_to_install():
    import subprocess
    code = ("import sys; sys.modules['torch'] = None; sys.modules['matplotlib'] = None\n"
            "import fenn\n"
            "for get in (lambda: fenn.train.Trainable, lambda: fenn.plot.raster([[True]])):\n"
            "    try:\n"
            "        get()\n"
            "    except fenn.FennError as error:\n"
            "        print(error)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'fenn[torch]'" in out and "pip install 'fenn[plot]'" in out, out


def test_fit_reads_a_file_backed_split_in_batches(tmp_path):
    rng = np.random.default_rng(3)
    times = [np.sort(rng.uniform(0, 0.05, 40)) for _ in range(6)]
    units = [rng.integers(0, 700, 40) for _ in range(6)]
    for split in ("train", "test"):
        fenn.inputs.write_shd(tmp_path / f"shd_{split}.h5", times, units, [0, 1, 2, 0, 1, 2])
    shd = fenn.datasets.SHD(tmp_path, dt=5.0, timesteps=10)
    net = fenn.Network(dt=5.0)
    inp = net.input(700, name="inp")
    out = net.population(3, fenn.models.LI(), name="out")
    net.connect(inp, out, weights=rng.normal(0, 0.1, (700, 3)))
    net.record(out.v, reduce="max")
    model = fenn.train.Trainable(net)
    history = fenn.train.fit(model, shd.train, test=shd.test, readout="out.v", epochs=3,
                             batch_size=3, lr=0.05, log=None)
    assert len(history.loss) == 3 and history.loss[-1] < history.loss[0]
    scores = fenn.train.predict(model, shd.test.rasters, "out.v")
    assert history.test_accuracy[-1] == np.mean(scores.argmax(1) == shd.test.labels)


def test_regulariser_adds_to_the_loss():
    """A constant regulariser has no gradient: training is the same, the loss 5 higher."""
    from fenn.datasets import Randman
    data = Randman(classes=2, units=10, timesteps=15, samples_per_class=12, seed=1)
    losses = []
    for regulariser in (None, lambda recordings: 5.0 + 0.0 * recordings["out.v"].sum()):
        rng = np.random.default_rng(0)
        net = fenn.Network()
        inp = net.input(10, name="inp")
        out = net.population(2, fenn.models.LI(), name="out")
        net.connect(inp, out, weights=rng.normal(0, 0.3, (10, 2)))
        net.record(out.v, reduce="mean")
        history = fenn.train.fit(fenn.train.Trainable(net, dtype=torch.float64), data.train,
                                 readout="out.v", epochs=2, batch_size=5, regulariser=regulariser,
                                 log=None)
        losses.append(np.array(history.loss))
    np.testing.assert_allclose(losses[1], losses[0] + 5.0, rtol=0, atol=1e-9)


def test_shaped_inputs_are_flattened_like_fenn_run():
    rng = np.random.default_rng(9)
    net = fenn.Network()
    inp = net.input((2, 3, 4), name="inp")
    pop = net.population(5, fenn.models.LIF(v_thresh=0.5), name="pop")
    net.connect(inp, pop, weights=rng.normal(0.1, 0.3, (24, 5)))
    net.record(pop.spikes)
    shaped = rng.random((3, 10, 2, 3, 4)) < 0.3
    model = fenn.train.Trainable(net, dtype=torch.float64)
    got = model(shaped)["pop.spikes"]
    assert torch.equal(got, model(shaped.reshape(3, 10, 24))["pop.spikes"])
    expected = simulate_float(net, {"inp": shaped.reshape(3, 10, 24)}, 10)["pop.spikes"]
    assert np.array_equal(got.detach().numpy().astype(bool), expected) and expected.any()
    with pytest.raises(fenn.train.TrainError, match=r"\(samples, timesteps, 2, 3, 4\)"):
        model(np.zeros((3, 10, 25)))


@pytest.mark.parametrize("detach", [False, True])
def test_detach_reset_removes_the_gradient_through_the_reset(detach):
    """IF neuron, one input spike of weight w = 1.2 at step 0, v read after step 1:
    v = w - 1 = 0.2. Each reset where(s, v - 1, v) multiplies dv/dw by 1 - g(v - 1)
    (g: the surrogate's derivative) unless the reset is detached: dv/dw = 1."""
    net = fenn.Network()
    inp = net.input(1, name="inp")
    hid = net.population(1, fenn.models.IF(v_thresh=1.0), name="hid")
    net.connect(inp, hid, weights=[[1.2]])
    net.record(hid.v, reduce="last")
    model = fenn.train.Trainable(net, detach_reset=detach, dtype=torch.float64)
    x = torch.tensor([[[1.0], [0.0]]], dtype=torch.float64)
    out = model(x)["hid.v"]
    assert float(out.detach()) == pytest.approx(0.2)
    out.sum().backward()
    g = lambda v: float(model.surrogate.derivative(torch.tensor(v - 1.0, dtype=torch.float64)))
    expected = 1.0 if detach else (1.0 - g(1.2)) * (1.0 - g(0.2))
    assert float(model.weights["inp_to_hid"].grad) == pytest.approx(expected, rel=1e-12)
    assert detach or expected < 0.99
