"""The resident batch firmware on the RTL (Verilator) runs exactly as on the simulator:
one run of a whole batch, recordings, every sample's cycles, the batch's cycles and the
final memories (the firmware's own DMA traffic included)."""

import numpy as np
import pytest

pytest.importorskip("cocotb_tools")
import fenn  # noqa: E402
from fenn.device import open_device  # noqa: E402
from fenn.hw.parity import NETWORK_SOC, ddr_streamed_network, network_run_differences, recurrent_network  # noqa: E402
from fenn.hw.session import simulator_missing  # noqa: E402

pytestmark = [pytest.mark.rtl,
              pytest.mark.skipif(simulator_missing("verilator") is not None,
                                 reason=f"{simulator_missing('verilator')}")]

SOC = NETWORK_SOC
T = 5


@pytest.mark.parametrize("build", [lambda rng: (recurrent_network(rng), {"rounding": "stochastic"}),
                                   ddr_streamed_network], ids=["recurrent", "ddr-streamed"])
def test_firmware_batch_on_verilator_equals_sim(build):
    rng = np.random.default_rng(8)
    net, options = build(rng)
    program = fenn.compile(net, T, soc=SOC, batch=True, **options)
    inputs = {g.name: rng.random((3, T, g.size)) < 0.3 for g in net.inputs}
    sim_device = open_device("sim", soc=SOC)
    sim = fenn.run(program, inputs, device=sim_device, progress=False)
    with open_device("rtl", soc=SOC, simulator="verilator") as verilator:
        rtl = fenn.run(program, inputs, device=verilator, progress=False)
        diff = network_run_differences({"sim": sim, "verilator": rtl},
                                       {"sim": sim_device, "verilator": verilator}, SOC)
    assert not diff, "; ".join(diff)
    assert rtl.stats.cycles == sim.stats.cycles and rtl.stats.instructions == sim.stats.instructions
    assert sum(sim.raw[k].sum() for k in sim.raw if k.endswith("spikes")) > 0, "no spikes: vacuous"
