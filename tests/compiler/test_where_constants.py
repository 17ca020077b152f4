"""``where(condition, c1, c2)`` with two constant branches (a natural way to write "add
0.3 on a spike") lowers in the population's value format: strict ISS == reference, and
the float model agrees."""

import numpy as np

import fenn
from conftest import assert_bit_exact, run_both
from fenn.floatmodel import simulate_float
from fenn.models import NeuronModel, StateVar, where


class Fatigue(NeuronModel):
    def state(self):
        return {"v": StateVar(0.0), "fatigue": StateVar(0.0)}

    def update(self, s, i, dt):
        v = s.v * 0.9 + i
        spike = v >= 1.0 + s.fatigue
        s.v = where(spike, 0.0, v)
        s.fatigue = s.fatigue * 0.9 + where(spike, 0.3, 0.0)
        return spike


def test_where_of_two_constants_compiles_bit_exact(rng):
    net = fenn.Network()
    inp = net.input(20, name="inp")
    pop = net.population(40, Fatigue(), name="pop")
    net.connect(inp, pop, weights=rng.normal(0.2, 0.2, (20, 40)))
    net.record(pop.spikes)
    net.record(pop.fatigue)
    inputs = {"inp": rng.random((2, 30, 20)) < 0.3}
    program, device, reference = run_both(net, 30, inputs)
    assert_bit_exact(device, reference)
    flt = simulate_float(net, inputs, 30)
    assert reference["pop.spikes"].sum() > 50
    assert np.abs(reference["pop.fatigue"] - flt["pop.fatigue"]).max() < 0.05
