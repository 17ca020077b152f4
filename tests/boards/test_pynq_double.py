"""The pynq backend's own code, unmodified, against the RTL of the SoC top through a test
double of the pynq API (MMIO on the AXI4-Lite port via cocotbext-axi's AxiLiteMaster, DDR
buffers in cocotbext-axi's AxiRam behind the DMA masters; Verilator): compiled networks
equal sim bit for bit, cycles included, per sample and through the batch firmware; a
mismatched bitstream is refused; a fault has sim's code and pc; a hung core ends in the
timeout (counted in polls of STATUS, never in seconds)."""

import dataclasses
import json

import numpy as np
import pytest

pytest.importorskip("cocotb_tools")
import fenn  # noqa: E402
from fenn.boards.pynq import BitstreamMismatch, PynqDevice, PynqTimeout  # noqa: E402
from fenn.boards.pynq_double import HOST_BASE, RtlPynq  # noqa: E402
from fenn.device import open_device  # noqa: E402
from fenn.errors import MachineFault  # noqa: E402
from fenn.faults import CAUSES  # noqa: E402
from fenn.hw.ports import soc_ports  # noqa: E402
from fenn.hw.parity import NETWORK_SOC, ddr_streamed_network, network_run_differences, recurrent_network  # noqa: E402
from fenn.hw.session import simulator_missing  # noqa: E402
from fenn.isa import encode  # noqa: E402
from fenn.program import Program  # noqa: E402

pytestmark = [pytest.mark.rtl,
              pytest.mark.skipif(simulator_missing("verilator") is not None,
                                 reason=f"{simulator_missing('verilator')}")]

SOC = NETWORK_SOC
T = 5


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """The "bitstream" (the double's SoC) and its overlay files, as `fenn build` writes them."""
    folder = tmp_path_factory.mktemp("overlay")
    (folder / "fenn.bit").write_bytes(b"stand-in bitstream")
    core_map = [{"index": 0, "host_base": HOST_BASE, "host_bytes": soc_ports(SOC).host_aperture}]
    (folder / "fenn_overlay.json").write_text(json.dumps({"soc": SOC.to_dict(), "soc_id": SOC.soc_id,
                                                          "board": "kv260", "cores": 1,
                                                          "core_map": core_map}))
    double = RtlPynq(SOC, simulator="verilator")
    yield double, folder / "fenn.bit"
    double.close()


@pytest.fixture
def device(board):
    double, bitstream = board
    with PynqDevice(bitstream, pynq=double, timeout=1.0, poll_interval=1e-4) as device:
        yield device


def _dense(rng):
    net = fenn.Network(dt=1.0)
    inp = net.input(24, name="inp")
    out = net.population(40, fenn.models.LIF(tau_mem=8.0, v_thresh=0.5), name="out")
    net.connect(inp, out, weights=rng.normal(0.3, 0.3, (24, 40)))
    net.record(out.spikes)
    net.record(out.v, reduce="max")
    return net, {}


NETWORKS = {"dense": _dense,
            "recurrent": lambda rng: (recurrent_network(rng), {"rounding": "stochastic"}),
            "ddr-streamed": ddr_streamed_network}


def _compare(device, build, batch, memories=True):
    rng = np.random.default_rng(13)
    net, options = build(rng)
    program = fenn.compile(net, T, soc=SOC, batch=batch, **options)
    inputs = {g.name: rng.random((2, T, g.size)) < 0.3 for g in net.inputs}
    sim_device = open_device("sim", soc=SOC)
    sim = fenn.run(program, inputs, device=sim_device, progress=False)
    board = fenn.run(program, inputs, device=device, progress=False)
    diff = network_run_differences({"sim": sim, "pynq": board}, {"sim": sim_device, "pynq": device},
                                   SOC if memories else None)
    assert not diff, "; ".join(diff)
    assert board.stats.cycles == sim.stats.cycles and board.stats.instructions == sim.stats.instructions
    assert sum(sim.raw[k].sum() for k in sim.raw if k.endswith("spikes")) > 0, "no spikes: vacuous"


@pytest.mark.parametrize("name", NETWORKS)
def test_compiled_network_through_pynq_equals_sim(device, name):
    """Recordings and cycles of every sample; the final memories for the DDR-streamed one
    (reading them all back through the windows costs as much as the run)."""
    _compare(device, NETWORKS[name], batch=False, memories=name == "ddr-streamed")


def test_batch_through_the_firmware_on_pynq_equals_sim(device):
    _compare(device, NETWORKS["ddr-streamed"], batch=True)


def test_a_bitstream_for_another_soc_is_refused(device):
    other = dataclasses.replace(SOC, dmem_bytes=2 * SOC.dmem_bytes)
    program = fenn.compile(_dense(np.random.default_rng(0))[0], T, soc=other)
    with pytest.raises(BitstreamMismatch) as error:
        device.load(program)
    message = str(error.value)
    for needed in (f"0x{SOC.soc_id:08x}", f"0x{other.soc_id:08x}", "fenn build --board kv260 --soc",
                   f'"dmem_bytes": {other.dmem_bytes}', f'"dmem_bytes": {SOC.dmem_bytes}'):
        assert needed in message


def test_a_fault_has_the_code_and_pc_sim_reports(device):
    words = [encode("addi", 5, 0, 7), encode("addi", 6, 0, 3), encode("lw", 7, 2, 5)]   # misaligned load
    program = Program(text=np.array(words + [encode("ecall")], np.uint32), soc=SOC)
    sim = open_device("sim", soc=SOC)
    sim.load(program)
    with pytest.raises(MachineFault) as expected:
        sim.run()
    device.load(program)
    with pytest.raises(MachineFault) as got:
        device.run()
    assert got.value.code == expected.value.code and got.value.code.name == "LOAD_ALIGN"
    assert got.value.pc == expected.value.pc == 8
    assert got.value.word == expected.value.word and got.value.text == expected.value.text
    assert got.value.cause == CAUSES[got.value.code]   # the fault table's words (the address is sim's alone)


def test_a_hung_core_ends_in_the_timeout_and_is_stopped(board, device):
    double, bitstream = board
    device.close()
    patient = PynqDevice(bitstream, pynq=double, timeout=0.1, poll_interval=1e-3)     # 100 polls
    patient.load(Program(text=np.array([encode("jal", 0, 0)], np.uint32), soc=SOC))   # j .
    with pytest.raises(PynqTimeout, match=r"100 polls of STATUS.*stopped"):
        patient.run()
    # the core was stopped: the device takes the next program at once
    patient.load(Program(text=np.array([encode("addi", 5, 0, 9), encode("ecall")], np.uint32), soc=SOC))
    assert patient.run().reason == "ecall"
    assert patient.read("dmem", 0, 4).sum() == 0
    patient.close()


@pytest.mark.slow
def test_two_cores_shard_a_batch_and_give_the_one_core_results(tmp_path):
    """A 2-core overlay (no manifest: the cores found as the overlay's fenn* IPs): fenn.run
    shards the samples over both cores, per sample and through the firmware, and gives what
    one simulated core gives."""
    soc2 = dataclasses.replace(SOC, cores=2)
    (tmp_path / "fenn.bit").write_bytes(b"stand-in bitstream")
    rng = np.random.default_rng(4)
    net = recurrent_network(rng, hidden=16, outputs=4)
    spikes = rng.random((3, T, 32)) < 0.25            # two waves: both cores, then core 0 alone
    one = fenn.run(fenn.compile(net, T, soc=SOC), spikes, progress=False)
    double = RtlPynq(soc2, simulator="verilator")
    try:
        with PynqDevice(tmp_path / "fenn.bit", pynq=double, timeout=1.0, poll_interval=1e-4) as device:
            assert device.cores == 2
            for batch in (False, True):
                got = fenn.run(fenn.compile(net, T, soc=soc2, batch=batch), spikes, device=device,
                               progress=False)
                assert got.difference(one) is None, batch
                assert got.stats.cycles_per_sample == one.stats.cycles_per_sample, batch
    finally:
        double.close()
