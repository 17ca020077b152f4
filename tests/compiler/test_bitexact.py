"""The ISS run of every compiled network equals the integer reference model, bit for bit.

Each test compiles a network, runs it on the simulator in strict mode (so the program
also obeys FeNN's load-use rule) and on the reference model, and compares every
recording at every timestep. The networks are chosen to be active (spikes, saturation,
refractoriness, adaptation all happen), which the tests check too, so an agreement is
not an agreement of silence.
"""

import numpy as np
import pytest

import fenn
from conftest import assert_bit_exact, poisson, run_both

T = 40


def all_models_network(rng, recurrent=True):
    """One population of every built-in model, dense and recurrent connections."""
    net = fenn.Network(dt=1.0)
    inp = net.input(45, name="inp")
    models = {
        "lif": fenn.models.LIF(tau_mem=10.0, v_thresh=1.0, refractory=2, reset="subtract"),
        "lifz": fenn.models.LIF(tau_mem=15.0, v_thresh=0.8, reset="zero", v_rest=0.1),
        "alif": fenn.models.ALIF(tau_mem=20.0, tau_adapt=200.0, beta=0.05, v_thresh=0.6,
                                 refractory=3),
        "cuba": fenn.models.CubaLIF(tau_mem=10.0, tau_syn=5.0, v_thresh=0.7),
        "iff": fenn.models.IF(v_thresh=1.5, reset="zero"),
    }
    sizes = {"lif": 40, "lifz": 33, "alif": 70, "cuba": 31, "iff": 20}
    pops = {name: net.population(sizes[name], model, name=name) for name, model in models.items()}
    out = net.population(10, fenn.models.LI(tau_mem=20.0), name="out")
    for name, pop in pops.items():
        net.connect(inp, pop, weights=rng.normal(0.25, 0.25, (45, pop.size)))
        net.record(pop.spikes)
    if recurrent:
        net.connect(pops["lif"], pops["lif"], weights=rng.normal(0.0, 0.3, (40, 40)))
        net.connect(pops["alif"], pops["cuba"], weights=rng.normal(0.1, 0.2, (70, 31)))
        net.connect(pops["cuba"], pops["alif"], weights=rng.normal(0.0, 0.2, (31, 70)))
    net.connect(pops["alif"], out, weights=rng.normal(0.0, 0.3, (70, 10)))
    net.connect(pops["iff"], out, weights=rng.normal(0.0, 0.3, (20, 10)))
    net.record(pops["alif"].v)
    net.record(pops["alif"].a)
    net.record(pops["cuba"].isyn, reduce="max")
    net.record(pops["lif"].refrac)
    net.record(out.v, reduce="mean")
    net.record(pops["lifz"].v, reduce="last")
    return net


@pytest.mark.parametrize("rounding", ["nearest", "stochastic", "floor"])
def test_every_model_and_recording_kind(rng, rounding):
    net = all_models_network(rng)
    inputs = {"inp": poisson(rng, 2, T, 45, 0.15)}
    program, device, reference = run_both(net, T, inputs, rounding=rounding)
    assert_bit_exact(device, reference)
    for name in ("lif", "lifz", "alif", "cuba", "iff"):
        assert device[f"{name}.spikes"].sum() > 0, f"{name} never spiked: test is vacuous"
    assert (device.raw["lif.refrac"] > 0).any()
    assert (device.raw["alif.a"] > 0).any()


def test_stochastic_rounding_uses_the_rng(rng):
    """Changing the seed changes a stochastic run (so the RNG streams matter) but not a
    nearest-rounding run; both still agree with the reference."""
    net = all_models_network(rng, recurrent=False)
    inputs = {"inp": poisson(rng, 1, T, 45, 0.15)}
    runs = {}
    for rounding in ("stochastic", "nearest"):
        for seed in (0, 1):
            program, device, reference = run_both(net, T, inputs, rounding=rounding, seed=seed)
            assert_bit_exact(device, reference)
            runs[rounding, seed] = device.raw["alif.v"]
    assert not np.array_equal(runs["stochastic", 0], runs["stochastic", 1])
    assert np.array_equal(runs["nearest", 0], runs["nearest", 1])


def test_large_target_accumulates_in_vmem_with_a_tail(rng):
    """More than 16 vectors of targets (VMEM accumulators), a population that is not a
    multiple of 32, and saturation of the synaptic input."""
    net = fenn.Network()
    inp = net.input(64, name="inp")
    drv = net.population(100, fenn.models.LIF(tau_mem=8.0, v_thresh=0.5), name="drv")
    big = net.population(560, fenn.models.LIF(tau_mem=8.0, v_thresh=0.5), name="big")
    net.connect(inp, drv, weights=rng.normal(0.4, 0.3, (64, 100)))
    net.connect(inp, big, weights=rng.normal(0.4, 0.6, (64, 560)))
    net.connect(drv, big, weights=rng.normal(0.0, 0.4, (100, 560)))
    net.record(big.spikes)
    net.record(big.v)
    inputs = {"inp": poisson(rng, 1, 12, 64, 0.5)}
    program, device, reference = run_both(net, 12, inputs, formats="s2.13")
    assert_bit_exact(device, reference)
    assert device["big.spikes"][..., 544:].any(), "tail neurons never spiked"
    assert reference.stats.saturations["big"].sum() > 0, "expected saturation to be exercised"


def test_user_defined_model_needs_no_compiler_change(rng):
    """A model written in a test (a quadratic-ish, resonating neuron) compiles and matches."""
    from fenn.models import NeuronModel, StateVar, where

    class Resonator(NeuronModel):
        def state(self):
            return {"x": StateVar(0.0), "y": StateVar(0.0), "count": StateVar(0, integer=True)}

        def update(self, s, i, dt):
            x = s.x * 0.9 - s.y * 0.3 + i
            y = s.y * 0.9 + s.x * 0.3
            spike = (x >= 1.0) & (y > -0.25)
            s.x = where(spike, x * 0.5 - 0.5, x)
            s.y = y - x * x * 0.0625
            s.count = where(spike, s.count + 1, s.count)
            return spike

    net = fenn.Network()
    inp = net.input(30, name="inp")
    pop = net.population(50, Resonator(), name="res")
    net.connect(inp, pop, weights=rng.normal(0.3, 0.2, (30, 50)))
    net.record(pop.spikes)
    net.record(pop.y)
    net.record(pop.count, reduce="last")
    inputs = {"inp": poisson(rng, 2, 30, 30, 0.2)}
    for rounding in ("nearest", "stochastic"):
        program, device, reference = run_both(net, 30, inputs, rounding=rounding)
        assert_bit_exact(device, reference)
        assert device["res.spikes"].sum() > 0
        assert device["res.count"].max() > 0
