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
from fenn.hw.parity import (NETWORK_SOC, ddr_streamed_network, differences, network_run_differences,  # noqa: E402
                             recurrent_network)
from fenn.hw.random_programs import random_program  # noqa: E402
from fenn.hw.session import simulator_missing  # noqa: E402
from fenn.sim import Machine  # noqa: E402

pytestmark = [pytest.mark.rtl,
              pytest.mark.skipif(simulator_missing("verilator") is not None,
                                 reason=f"{simulator_missing('verilator')}")]

SOC = NETWORK_SOC
T = 5


def recurrent(rng):
    model = fenn.models.ALIF(tau_mem=10.0, tau_adapt=100.0, beta=0.05, v_thresh=0.7)
    return recurrent_network(rng, hidden=48, outputs=6, model=model), {}


@pytest.fixture(scope="module")
def verilator():
    with open_device("rtl", soc=SOC, simulator="verilator") as device:
        yield device


@pytest.mark.parametrize("build, rounding", [(recurrent, "stochastic"), (ddr_streamed_network, "nearest")])
def test_compiled_network_on_verilator_equals_sim(verilator, build, rounding):
    rng = np.random.default_rng(21)
    net, options = build(rng)
    program = fenn.compile(net, T, rounding=rounding, soc=SOC, **options)
    inputs = {group.name: rng.random((2, T, group.size)) < 0.3 for group in net.inputs}
    sim_device = open_device("sim", soc=SOC)
    sim = fenn.run(program, inputs, device=sim_device, progress=False)
    rtl = fenn.run(program, inputs, device=verilator, progress=False)
    diff = network_run_differences({"sim": sim, "verilator": rtl}, {"sim": sim_device, "verilator": verilator},
                                   SOC)
    assert not diff, "; ".join(diff)
    assert sum(sim.raw[k].sum() for k in sim.raw if k.endswith("spikes")) > 0, "no spikes: vacuous"


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


def test_runs_that_carry_state_on_verilator_equal_sim(verilator):
    """fenn.run(..., reset=False) on the RTL: the same program mechanism (carry flag, time
    slot, host-advanced RNG seeds) continues the network exactly as on the simulator; the
    network also takes a current input (real values: vfill, vmul_s_rn per channel)."""
    rng = np.random.default_rng(22)
    net, _ = recurrent(rng)
    frames = net.input(12, name="frames", kind="current", max_value=2.0)
    net.connect(frames, net.group("hid"), weights=rng.normal(0.1, 0.3, (12, 48)))
    program = fenn.compile(net, T, rounding="stochastic", soc=SOC)
    chunks = [{"inp": rng.random((1, T, 32)) < 0.3, "frames": rng.uniform(-1, 2, (1, T, 12))}
              for _ in range(3)]
    sim_device = open_device("sim", soc=SOC)
    for k, chunk in enumerate(chunks):
        sim = fenn.run(program, chunk, device=sim_device, reset=k == 0, progress=False)
        rtl = fenn.run(program, chunk, device=verilator, reset=k == 0, progress=False)
        assert rtl.difference(sim) is None, f"run {k}"
    assert sum(sim.raw[k].sum() for k in sim.raw if k.endswith("spikes")) > 0, "no spikes: vacuous"
