"""A 2-core SoC on the RTL: ``fenn.run`` shards the samples across both cores running
together in one simulation (sharing one DDR, each in its own window), and gives what the
simulator gives on one core: every recording and every sample's cycles; and each core's
final memories equal the 2-core simulator's."""

import dataclasses

import numpy as np
import pytest

pytest.importorskip("cocotb_tools")
import fenn  # noqa: E402
from fenn.hw.batch import icarus_available, verilator_available  # noqa: E402
from fenn.hw.parity import NETWORK_SOC, recurrent_network  # noqa: E402
from fenn.sim import SimDevice  # noqa: E402

pytestmark = [pytest.mark.rtl, pytest.mark.slow,
              pytest.mark.skipif(not (icarus_available() or verilator_available()),
                                 reason="no RTL simulator (make tools)")]

T = 5
SOC2 = dataclasses.replace(NETWORK_SOC, cores=2)


def test_two_rtl_cores_give_the_one_core_simulator_results():
    rng = np.random.default_rng(4)
    net = recurrent_network(rng, hidden=16, outputs=4)
    spikes = rng.random((3, T, 32)) < 0.25            # two waves: both cores, then core 0 alone
    one = fenn.run(fenn.compile(net, T, soc=NETWORK_SOC), spikes, progress=False)
    program = fenn.compile(net, T, soc=SOC2)
    sim = SimDevice(SOC2)
    assert np.array_equal(fenn.run(program, spikes, device=sim, progress=False).stats.cycles_per_sample,
                          one.stats.cycles_per_sample)
    with fenn.open_device("rtl", soc=SOC2) as rtl:
        got = fenn.run(program, spikes, device=rtl, progress=False)
        assert got.difference(one) is None
        assert got.stats.cycles_per_sample == one.stats.cycles_per_sample
        for core in range(2):
            for memory, size in (("dmem", SOC2.dmem_bytes), ("vmem", SOC2.vmem_bytes), ("ddr", SOC2.ddr_bytes)):
                mine, theirs = rtl.read(memory, 0, size, core=core), sim.read(memory, 0, size, core=core)
                assert np.array_equal(mine, theirs), f"core {core} {memory} differs first at {np.argmax(mine != theirs)}"
