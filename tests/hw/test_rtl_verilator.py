"""The emitted Verilog on Verilator runs exactly as the simulator: compiled networks (one
streaming its weights from DDR by DMA) bit and cycle exact, and random instruction streams
(some with DMA).

One SocConfig, so one Verilator build (about a minute and a half on 2 cores, cached per
Verilog text under FENN_RTL_BUILD).
"""

import numpy as np
import pytest

pytest.importorskip("cocotb_tools")
import fenn  # noqa: E402
from fenn.device import open_device  # noqa: E402
from fenn.hw.batch import RtlBatch  # noqa: E402
from fenn.hw.parity import differences  # noqa: E402
from fenn.hw.random_programs import random_program  # noqa: E402
from fenn.hw.session import simulator_missing  # noqa: E402
from fenn.sim import Machine  # noqa: E402
from fenn.soc import SocConfig  # noqa: E402

pytestmark = [pytest.mark.rtl,
              pytest.mark.skipif(simulator_missing("verilator") is not None,
                                 reason=f"{simulator_missing('verilator')}")]

SOC = SocConfig(imem_bytes=16384, dmem_bytes=16384, vmem_bytes=65536, llm_bytes_per_lane=512,
                ddr_bytes=256 * 1024)
T = 5


def recurrent(rng):
    net = fenn.Network(dt=1.0)
    inp = net.input(32, name="inp")
    hid = net.population(48, fenn.models.ALIF(tau_mem=10.0, tau_adapt=100.0, beta=0.05, v_thresh=0.7),
                         name="hid")
    out = net.population(6, fenn.models.LI(tau_mem=20.0), name="out")
    net.connect(inp, hid, weights=rng.normal(0.3, 0.3, (32, 48)))
    net.connect(hid, hid, weights=rng.normal(0.0, 0.2, (48, 48)))
    net.connect(hid, out, weights=rng.normal(0.0, 0.3, (48, 6)))
    net.record(hid.spikes)
    net.record(out.v)
    return net, {}


def ddr_streamed(rng):
    net = fenn.Network(dt=1.0)
    inp = net.input(40, name="inp")
    big = net.population(70, fenn.models.LIF(tau_mem=10.0, v_thresh=0.7), name="big")
    net.connect(inp, big, weights=rng.normal(0.2, 0.3, (40, 70)))
    net.connect(big, big, weights=rng.normal(0.0, 0.2, (70, 70)))
    net.record(big.spikes)
    net.record(big.v, reduce="mean")
    return net, {"weights": "ddr"}


@pytest.fixture(scope="module")
def verilator():
    with open_device("rtl", soc=SOC, simulator="verilator") as device:
        yield device


@pytest.mark.parametrize("build, rounding", [(recurrent, "stochastic"), (ddr_streamed, "nearest")])
def test_compiled_network_on_verilator_equals_sim(verilator, build, rounding):
    rng = np.random.default_rng(21)
    net, options = build(rng)
    program = fenn.compile(net, T, rounding=rounding, soc=SOC, **options)
    inputs = {group.name: rng.random((2, T, group.size)) < 0.3 for group in net.inputs}
    sim_device = open_device("sim", soc=SOC)
    sim = fenn.run(program, inputs, device=sim_device, progress=False)
    rtl = fenn.run(program, inputs, device=verilator, progress=False)
    assert sorted(sim.raw) == sorted(rtl.raw)
    for key in sim.raw:
        assert np.array_equal(sim.raw[key], rtl.raw[key]), f"recording {key} differs"
    assert sim.stats.cycles_per_sample == rtl.stats.cycles_per_sample
    assert sum(sim.raw[k].sum() for k in sim.raw if k.endswith("spikes")) > 0, "no spikes: vacuous"
    for memory, size in (("dmem", SOC.dmem_bytes), ("vmem", SOC.vmem_bytes), ("ddr", SOC.ddr_bytes)):
        a, b = sim_device.read(memory, 0, size), verilator.read(memory, 0, size)
        assert np.array_equal(a, b), f"{memory} differs first at byte {np.argmax(a != b)}"


SEEDS = [(seed, False) for seed in range(300, 312)] + [(seed, True) for seed in range(400, 408)]


def test_random_streams_on_verilator_equal_sim():
    jobs = []
    for seed, dma in SEEDS:
        p = random_program(seed, SOC, length=200, dma=dma)
        jobs.append(dict(words=p.words, dmem=p.dmem, vmem=p.vmem, llm=p.llm, ddr=p.ddr if dma else None))
    with RtlBatch(SOC, simulator="verilator") as core:
        states = core.run(jobs)
    failures = []
    for (seed, _), job, rtl in zip(SEEDS, jobs, states):
        m = Machine(SOC)
        m.load(job["words"], dmem=job["dmem"], vmem=job["vmem"], llm=job["llm"], ddr=job["ddr"])
        diff = differences(rtl, m, m.run())
        if diff:
            failures.append(f"seed {seed}: " + "; ".join(diff[:4]))
    assert not failures, "\n".join(failures)
