"""Per-neuron start values of state variables and per-neuron model parameters.

Differential: the strict ISS equals the integer reference bit for bit, and both follow the
float64 model (which reads the same per-neuron values without quantisation).
"""

import numpy as np
import pytest

import fenn
from conftest import assert_bit_exact, poisson, run_both
from fenn.floatmodel import simulate_float
from fenn.network import NetworkError


def _lif_alif_net(rng, n_lif=70, n_alif=600):
    """LIF (straight-line update, a tail chunk) and ALIF (chunk loop) with per-neuron starts."""
    net = fenn.Network()
    inp = net.input(30, name="inp")
    v_lif = rng.uniform(-0.5, 0.99, n_lif)
    lif = net.population(n_lif, fenn.models.LIF(tau_mem=15.0, refractory=2), name="lif",
                         initial={"v": v_lif, "refrac": rng.integers(0, 3, n_lif)})
    v_alif, a_alif = rng.uniform(-0.3, 0.59, n_alif), rng.uniform(0.0, 0.2, n_alif)
    alif = net.population(n_alif, fenn.models.ALIF(tau_mem=20.0, tau_adapt=200.0, beta=0.05),
                          name="alif", initial={"v": v_alif, "a": a_alif})
    net.connect(inp, lif, weights=rng.normal(0.05, 0.2, (30, n_lif)))
    net.connect(lif, alif, weights=rng.normal(0.02, 0.1, (n_lif, n_alif)))
    for pop in (lif, alif):
        net.record(pop.spikes)
        net.record(pop.v)
    return net, {"lif": v_lif, "alif": v_alif}


def test_initial_values_bit_exact_and_close_to_float(rng):
    net, v0 = _lif_alif_net(rng)
    T = 12
    inputs = {"inp": poisson(rng, 2, T, 30, 0.1)}
    program, device, reference = run_both(net, T, inputs)
    assert_bit_exact(device, reference)
    flt = simulate_float(net, inputs, T)
    for name in ("lif", "alif"):
        dev_v, dev_s = np.asarray(device[f"{name}.v"]), np.asarray(device[f"{name}.spikes"])
        assert dev_v.shape == flt[f"{name}.v"].shape == (2, T, len(v0[name]))
        held = ~dev_s[:, 0] & ~flt[f"{name}.spikes"][:, 0]
        assert held.mean() > 0.5
        assert np.abs(dev_v[:, 0][held] - flt[f"{name}.v"][:, 0][held]).max() < 2e-3
        agree = np.mean(dev_s == flt[f"{name}.spikes"])
        assert agree > 0.98, (name, agree)
    # ALIF gets no input in step 0 (LIF spikes arrive one step later): v = alpha * v0
    dev_v = np.asarray(device["alif.v"])[:, 0]
    alif_held = ~np.asarray(device["alif.spikes"])[:, 0]
    expected = np.broadcast_to(v0["alif"] * np.exp(-1.0 / 20.0), dev_v.shape)
    assert np.abs(dev_v[alif_held] - expected[alif_held]).max() < 2e-3
    # without the start values the first step looks different: the feature is in effect
    assert np.abs(device["alif.v"][:, 0]).max() > 0.2


def test_scalar_initial_keeps_the_program(rng):
    def build(initial):
        net = fenn.Network()
        inp = net.input(8, name="inp")
        pop = net.population(40, fenn.models.LIF(), name="pop", **initial)
        net.connect(inp, pop, weights=np.full((8, 40), 0.3))
        net.record(pop.v)
        return fenn.compile(net, 5)
    plain, scalar = build({}), build({"initial": {"v": 0.0}})
    assert np.array_equal(plain.text, scalar.text)
    assert "pop.initial" not in plain.meta["memory_map"].__repr__()
    per_neuron = build({"initial": {"v": np.linspace(0, 0.5, 40)}})
    assert "pop.initial" in per_neuron.meta["memory_map"].__repr__()


def _saved_and_loaded_runs_alike(program, inputs, tmp_path):
    """Save and load ``program``; the loaded one gives the same reference-model results."""
    program.save(tmp_path / "p.npz")
    loaded = fenn.program.Program.load(tmp_path / "p.npz")
    a = fenn.run(program, inputs, backend="reference")
    b = fenn.run(loaded, inputs, backend="reference")
    assert a.difference(b) is None
    return loaded


def test_saved_program_keeps_initial_values(rng, tmp_path):
    net, _ = _lif_alif_net(rng, n_lif=40, n_alif=40)
    T = 6
    inputs = {"inp": poisson(rng, 1, T, 30, 0.2)}
    _saved_and_loaded_runs_alike(fenn.compile(net, T), inputs, tmp_path)


@pytest.mark.parametrize("initial, message", [
    ({"v": np.zeros(7)}, "shape (7,)"),
    ({"w": 0.0}, "not a state variable"),
    ({"v": [np.nan] * 10}, "NaN"),
    ("v", "must be a dict"),
])
def test_bad_initial_is_refused(initial, message):
    net = fenn.Network()
    with pytest.raises(NetworkError, match="'pop'") as error:
        net.population(10, fenn.models.LIF(), name="pop", initial=initial)
    assert message in str(error.value)


def test_initial_out_of_range_names_population_variable_and_fix():
    net = fenn.Network()
    pop = net.population(10, fenn.models.LIF(), name="pop", initial={"v": np.linspace(0, 9, 10)})
    net.record(pop.v)
    with pytest.raises(ValueError, match=r"population 'pop': initial value 9 of 'v' does not fit "
                                         r"its format s2\.13.*formats=\{'pop'"):
        fenn.compile(net, 3, formats="s2.13")


# ---------------------------------------------------------------- per-neuron parameters

def _heterogeneous_net(rng, per_neuron=True, n=300):
    """Every built-in model with per-neuron time constants (and LIF thresholds/rest)."""
    def spread(value, size, rel=0.3):
        return value * rng.uniform(1 - rel, 1 + rel, size) if per_neuron else value
    net = fenn.Network()
    inp = net.input(40, name="inp")
    lif = net.population(n, fenn.models.LIF(tau_mem=spread(15.0, n), v_thresh=spread(1.0, n),
                                            v_rest=spread(0.05, n), refractory=1), name="lif")
    alif = net.population(70, fenn.models.ALIF(tau_mem=spread(20.0, 70), tau_adapt=spread(300.0, 70),
                                               beta=spread(0.05, 70), v_thresh=0.5), name="alif")
    cuba = net.population(40, fenn.models.CubaLIF(tau_mem=spread(10.0, 40), tau_syn=spread(4.0, 40)),
                          name="cuba")
    out = net.population(10, fenn.models.LI(tau_mem=spread(20.0, 10)), name="out")
    net.connect(inp, lif, weights=rng.normal(0.1, 0.25, (40, n)))
    net.connect(lif, alif, weights=rng.normal(0.02, 0.08, (n, 70)))
    net.connect(inp, cuba, weights=rng.normal(0.1, 0.3, (40, 40)))
    net.connect(alif, out, weights=rng.normal(0.0, 0.3, (70, 10)))
    for pop in (lif, alif, cuba):
        net.record(pop.spikes)
    net.record(lif.v)
    net.record(out.v)
    return net


@pytest.mark.parametrize("rounding", ["nearest", "stochastic"])
def test_per_neuron_parameters_bit_exact_and_close_to_float(rng, rounding):
    net = _heterogeneous_net(rng)
    T = 25
    inputs = {"inp": poisson(rng, 2, T, 40, 0.1)}
    program, device, reference = run_both(net, T, inputs, rounding=rounding)
    assert_bit_exact(device, reference)
    for pop, params in (("lif", {"alpha", "v_thresh", "leak"}), ("alif", {"alpha", "rho", "beta"}),
                        ("cuba", {"alpha", "alpha_syn"}), ("out", {"alpha"})):
        assert params <= set(program.lowered.pop(pop).kernel.params), pop
    flt = simulate_float(net, inputs, T)
    for name in ("lif", "alif", "cuba"):
        counts_dev = np.asarray(device[f"{name}.spikes"]).sum(axis=1).ravel()
        counts_flt = flt[f"{name}.spikes"].sum(axis=1).ravel()
        assert counts_flt.sum() > 50, name
        assert np.corrcoef(counts_dev, counts_flt)[0, 1] > 0.9, name
    assert np.abs(np.asarray(device["out.v"]) - flt["out.v"]).max() < 0.05 * np.abs(flt["out.v"]).max() + 0.02


def test_per_neuron_decay_follows_each_neuron():
    """Independent check: with no input a LIF neuron's v decays by its own exp(-dt/tau)."""
    taus = np.array([2.0, 5.0, 10.0, 50.0, 200.0] * 8)
    net = fenn.Network()
    pop = net.population(40, fenn.models.LIF(tau_mem=taus, v_thresh=2.0), name="pop",
                         initial={"v": 1.0})
    net.record(pop.v)
    T = 6
    result = fenn.run(fenn.compile(net, T), {}, strict=True, progress=False)
    expected = np.exp(-np.arange(1, T + 1)[:, None] / taus[None, :])
    assert np.abs(np.asarray(result["pop.v"]) - expected).max() < 2e-3


def test_per_neuron_parameter_cycle_cost(rng):
    """What a per-neuron vector costs over an immediate: printed, and bounded."""
    T = 10
    inputs = {"inp": poisson(rng, 1, T, 40, 0.1)}
    cycles = {}
    for per_neuron in (False, True):
        net = _heterogeneous_net(np.random.default_rng(5), per_neuron=per_neuron)
        program = fenn.compile(net, T)
        result = fenn.run(program, inputs, progress=False)
        cycles[per_neuron] = result.stats.cycles_per_timestep
        loads = sum(len(p.kernel.params) * p.nvec for p in program.lowered.pops)
    extra = cycles[True] - cycles[False]
    print(f"\nper-neuron parameters: {cycles[False]:.1f} -> {cycles[True]:.1f} cycles/timestep "
          f"(+{extra:.1f} for {loads} parameter vector loads per step)")
    assert 0 < extra <= 3 * loads


def test_parameter_of_wrong_length_is_refused():
    net = fenn.Network()
    pop = net.population(10, fenn.models.LIF(tau_mem=np.linspace(5, 20, 9)), name="pop")
    net.record(pop.v)
    with pytest.raises(ValueError, match=r"population 'pop': per-neuron parameter 'alpha' .* 9 "
                                         r"values for 10 neurons"):
        fenn.compile(net, 3)


def test_model_parameter_that_is_not_numbers_is_refused():
    with pytest.raises(fenn.models.ModelError, match="tau_mem must be positive"):
        fenn.models.LIF(tau_mem=np.array([5.0, -1.0]))
    with pytest.raises(fenn.models.ModelError, match="1-D array"):
        fenn.models.LI(tau_mem=np.ones((2, 2)))


def test_parameters_in_the_report(rng):
    net = _heterogeneous_net(rng, n=40)
    report = fenn.compile(net, 3).meta["report"]["parameters"]
    assert report["lif"]["alpha"]["format"] == "s0.15"
    assert 0.9 < report["lif"]["alpha"]["min"] < report["lif"]["alpha"]["max"] < 1.0


def test_parameters_in_the_chunk_loop_with_zero_reset(rng):
    """A population of 19 chunks (the looped update) with per-neuron tau, threshold and
    reset level (``where`` against a parameter), bit-exact on the strict ISS."""
    n = 600
    net = fenn.Network()
    inp = net.input(20, name="inp")
    pop = net.population(n, fenn.models.LIF(tau_mem=rng.uniform(5, 40, n),
                                            v_thresh=rng.uniform(0.6, 1.2, n),
                                            v_reset=rng.uniform(-0.3, 0.1, n), reset="zero"),
                         name="pop")
    net.connect(inp, pop, weights=rng.normal(0.15, 0.2, (20, n)))
    net.record(pop.spikes)
    net.record(pop.v, reduce="last")
    T = 8
    inputs = {"inp": poisson(rng, 1, T, 20, 0.3)}
    program, device, reference = run_both(net, T, inputs)
    assert_bit_exact(device, reference)
    assert {"alpha", "v_thresh", "v_reset"} <= set(program.lowered.pop("pop").kernel.params)
    assert np.asarray(device["pop.spikes"]).sum() > 50
    flt = simulate_float(net, inputs, T)
    assert np.mean(np.asarray(device["pop.spikes"]) == flt["pop.spikes"]) > 0.98


def test_saved_program_keeps_parameters_and_inspect_lists_them(rng, tmp_path):
    from fenn.compiler.cli import describe
    net = _heterogeneous_net(rng, n=40)
    T = 6
    inputs = {"inp": poisson(rng, 1, T, 40, 0.2)}
    loaded = _saved_and_loaded_runs_alike(fenn.compile(net, T), inputs, tmp_path)
    text = describe(loaded)
    assert "per-neuron parameters" in text and "alpha" in text
    assert "<40 per neuron" in text               # arrays shown by count and range


def test_state_variable_named_param_is_refused():
    class Odd(fenn.models.NeuronModel):
        def state(self):
            return {"param": fenn.models.StateVar(0.0)}

        def update(self, s, i, dt):
            return s.v >= 1.0
    with pytest.raises(fenn.models.ModelError, match="'param' is reserved"):
        fenn.models.trace(Odd(), 1.0)
