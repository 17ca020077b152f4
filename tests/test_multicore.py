"""Several cores per SoC on the simulator: ``fenn.run`` shards a batch's samples across
the cores, and the results (every recording, every sample's cycles) are those of one core,
for per-sample and firmware-batch programs; each core is confined to its own DDR window."""

import dataclasses

import numpy as np
import pytest

import fenn
from fenn.errors import MachineFault
from fenn.faults import Fault
from fenn.hw.parity import NETWORK_SOC, ddr_streamed_network, recurrent_network
from fenn.sim import SimDevice

T = 10
SAMPLES = 5


def _build(kind, rng):
    if kind == "recurrent":
        return recurrent_network(rng), {"rounding": "stochastic"}
    return ddr_streamed_network(rng)


def _runs(kind, batch=False):
    """{cores: (Results, device)} for 1, 2 and 3 cores, the same network and inputs."""
    rng = np.random.default_rng(11)
    net, options = _build(kind, rng)
    spikes = rng.random((SAMPLES, T, net.inputs[0].size)) < 0.2
    runs = {}
    for cores in (1, 2, 3):
        soc = dataclasses.replace(NETWORK_SOC, cores=cores)
        program = fenn.compile(net, T, soc=soc, batch=batch, **options)
        device = SimDevice(soc, strict=True)
        runs[cores] = (fenn.run(program, spikes, device=device, progress=False), device)
    return runs


@pytest.mark.parametrize("batch", [False, True], ids=["per-sample", "firmware batch"])
@pytest.mark.parametrize("kind", ["recurrent", "ddr-streamed"])
def test_any_core_count_gives_the_one_core_results(kind, batch):
    runs = _runs(kind, batch)
    one, _ = runs[1]
    for cores, (results, device) in runs.items():
        assert results.difference(one) is None, f"{cores} cores"
        assert results.stats.cycles_per_sample == one.stats.cycles_per_sample, f"{cores} cores"
        # every core ran some of the samples
        assert all(m.cycle for m in device.machines), f"{cores} cores: a core sat idle"


def test_each_core_is_confined_to_its_own_ddr_slice():
    soc = dataclasses.replace(NETWORK_SOC, cores=2)
    device = SimDevice(soc)
    assert [device.ddr_window(c) for c in range(2)] == [(0, soc.ddr_bytes), (soc.ddr_bytes, soc.ddr_bytes)]
    device.write("ddr", 0, np.full(64, 5, np.uint8), core=1)
    assert device.read("ddr", 0, 64, core=0).tolist() == [0] * 64
    assert device.machines[0].ddr[soc.ddr_bytes:soc.ddr_bytes + 64].tolist() == [5] * 64
    # core 1 reaching past its window faults, though the SoC's DDR goes on beyond it
    from fenn.asm import assemble_text
    device.machines[0].load(assemble_text("ecall").words)
    device.machines[1].load(assemble_text(f"li t0, {soc.ddr_bytes - 64}\n csrw mm2s_src, t0\n li t0, 128\n"
                                          "csrw mm2s_count, t0\n csrwi mm2s_control, 1\n ecall").words)
    with pytest.raises(MachineFault, match="leaves the DDR window") as info:
        device.run_cores([0, 1])
    assert info.value.code == Fault.DMA_WINDOW and "on core 1" in info.value.__notes__
    assert device.machines[1].hart_id == 1 and device.machines[1].csr("mhartid") == 1
