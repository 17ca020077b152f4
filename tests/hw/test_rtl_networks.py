"""Parity set 3: compiled networks run on the RTL (cocotb + Icarus) exactly as on the
simulator - every recording, the cycles of every sample, and the final memories.

One network per connection kind, together covering every built-in neuron model (with
per-neuron parameters and start values in the dense one); the DDR-streamed one also on a
SoC with two DMA masters.
"""

import dataclasses

import numpy as np
import pytest

pytest.importorskip("cocotb_tools")
import fenn  # noqa: E402
from fenn.device import open_device  # noqa: E402
from fenn.hw.batch import icarus_available  # noqa: E402
from fenn.hw.parity import NETWORK_SOC, ddr_streamed_network, network_run_differences  # noqa: E402

pytestmark = [pytest.mark.rtl, pytest.mark.slow,
              pytest.mark.skipif(not icarus_available(), reason="Icarus Verilog is not installed (make tools)")]

SOC = NETWORK_SOC
SOC2 = dataclasses.replace(SOC, dma_ports=2)
T = 6


def dense_all_models(rng):
    net = fenn.Network(dt=1.0)
    inp = net.input(20, name="inp")
    models = {
        "lif": fenn.models.LIF(tau_mem=rng.uniform(5.0, 20.0, 12), v_thresh=1.0, refractory=2,
                               reset="subtract"),                  # per-neuron parameter
        "alif": fenn.models.ALIF(tau_mem=20.0, tau_adapt=200.0, beta=0.05, v_thresh=0.6, refractory=3),
        "cuba": fenn.models.CubaLIF(tau_mem=10.0, tau_syn=rng.uniform(2.0, 8.0, 12), v_thresh=0.7),
        "iff": fenn.models.IF(v_thresh=1.5, reset="zero"),
    }
    initial = {"alif": {"v": rng.uniform(-0.3, 0.5, 12)}}             # per-neuron start values
    pops = {name: net.population(12, model, name=name, initial=initial.get(name))
            for name, model in models.items()}
    out = net.population(5, fenn.models.LI(tau_mem=20.0), name="out")
    for pop in pops.values():
        net.connect(inp, pop, weights=rng.normal(0.3, 0.3, (20, 12)))
        net.record(pop.spikes)
    net.connect(pops["lif"], pops["lif"], weights=rng.normal(0.0, 0.3, (12, 12)))
    net.connect(pops["alif"], out, weights=rng.normal(0.0, 0.3, (12, 5)))
    net.record(out.v)
    net.record(pops["alif"].a)
    return net, {}


def sparse_with_delays(rng):
    net = fenn.Network(dt=1.0)
    inp = net.input(30, name="inp")
    a = net.population(40, fenn.models.LIF(tau_mem=10.0, v_thresh=0.8), name="a")
    out = net.population(6, fenn.models.LI(tau_mem=10.0), name="out")
    pre, post = rng.integers(0, 30, 150), rng.integers(0, 40, 150)
    net.connect(inp, a, sparse=(pre, post, rng.normal(0.4, 0.2, 150)))
    pre2, post2 = rng.integers(0, 40, 80), rng.integers(0, 40, 80)
    net.connect(a, a, sparse=(pre2, post2, rng.normal(0.0, 0.3, 80)), delays=rng.integers(0, 4, 80))
    net.connect(a, out, weights=rng.normal(0.0, 0.4, (40, 6)), delays=rng.integers(0, 3, (40, 6)))
    net.record(a.spikes)
    net.record(out.v)
    return net, {}


def sparse_rows_from_ddr(rng):
    """The sparse + delayed network with every connection's rows streamed from DDR, plus
    shared-weight rows into a target without delays (both DDR row layouts)."""
    net, _ = sparse_with_delays(rng)
    inp, a = net.inputs[0], net.populations[0]
    b = net.population(50, fenn.models.LIF(tau_mem=10.0, v_thresh=0.6), name="b")
    pre, post = rng.integers(0, 40, 120), rng.integers(0, 50, 120)
    net.connect(a, b, sparse=(pre, post, np.where(pre % 2, 0.5, -0.25)))
    net.connect(inp, b, sparse=(rng.integers(0, 30, 60), rng.integers(0, 50, 60), rng.normal(0.3, 0.2, 60)))
    net.record(b.spikes)
    return net, {"weights": "ddr"}


def ddr_rows_prefetched(rng):
    """A target of 18 vectors (tiled DDR rows) whose first stream comes from a population:
    that population's update lists its spikes and starts the first transfers."""
    net = fenn.Network(dt=1.0)
    inp = net.input(20, name="inp")
    b = net.population(560, fenn.models.LIF(tau_mem=10.0, v_thresh=0.5), name="b")
    a = net.population(40, fenn.models.LIF(tau_mem=10.0, v_thresh=0.6), name="a")
    net.connect(inp, a, weights=rng.normal(0.4, 0.3, (20, 40)))
    net.connect(a, b, weights=rng.normal(0.1, 0.3, (40, 560)))
    net.record(a.spikes)
    net.record(b.spikes)
    return net, {"weights": "ddr"}


@pytest.mark.parametrize("build, rounding, soc", [(dense_all_models, "stochastic", SOC),
                                                  (sparse_with_delays, "nearest", SOC),
                                                  (sparse_rows_from_ddr, "nearest", SOC),
                                                  (ddr_streamed_network, "floor", SOC),
                                                  (ddr_streamed_network, "floor", SOC2),
                                                  (ddr_rows_prefetched, "floor", SOC),
                                                  (ddr_rows_prefetched, "floor", SOC2)],
                         ids=["dense", "sparse", "sparse-ddr", "ddr", "ddr-2-ports", "ddr-prefetch",
                              "ddr-prefetch-2-ports"])
def test_compiled_network_runs_identically(build, rounding, soc):
    rng = np.random.default_rng(11)
    net, options = build(rng)
    program = fenn.compile(net, T, rounding=rounding, soc=soc, **options)
    inputs = {group.name: rng.random((2, T, group.size)) < 0.25 for group in net.inputs}
    devices = {"sim": open_device("sim", soc=soc), "rtl": open_device("rtl", soc=soc)}
    results = {name: fenn.run(program, inputs, device=dev, progress=False) for name, dev in devices.items()}
    diff = network_run_differences(results, devices, soc)
    assert not diff, "; ".join(diff)
    sim = results["sim"]
    assert sum(sim.raw[k].sum() for k in sim.raw if k.endswith("spikes")) > 0, "no spikes: vacuous"
    if options.get("weights") == "ddr":
        assert sim.stats.dma_bytes > 0, "nothing streamed: vacuous"
