"""The resident batch firmware on the simulator: a batch Program run through it gives
exactly what today's per-sample loop gives (every recording, every sample's cycles), for
dense, recurrent, DDR-streamed and sparse/delayed networks, and however the batch is split."""

import dataclasses

import numpy as np
import pytest

import fenn
from fenn.device import open_device
from fenn.errors import MachineFault
from fenn.firmware import AREA_BYTES, Batch, BatchError, from_planes, to_planes
from fenn.hw.parity import NETWORK_SOC, ddr_streamed_network, recurrent_network

T = 12


def _sparse_delayed(rng):
    net = fenn.Network(dt=1.0)
    inp = net.input(40, name="inp")
    a = net.population(50, fenn.models.LIF(tau_mem=10.0, v_thresh=0.6), name="a")
    out = net.population(7, fenn.models.LI(tau_mem=10.0), name="out")
    mask = rng.random((40, 50)) < 0.2
    pre, post = np.nonzero(mask)
    net.connect(inp, a, sparse=(pre, post, rng.normal(0.4, 0.3, pre.size)))
    net.connect(a, out, weights=rng.normal(0.0, 0.5, (50, 7)), delays=rng.integers(0, 4, (50, 7)))
    net.record(a.spikes)
    net.record(a.v, reduce="max")
    net.record(out.v)
    return net, {}


def _two_inputs(rng):
    net = fenn.Network(dt=1.0)
    left, right = net.input(20, name="left"), net.input(33, name="right")
    hid = net.population(40, fenn.models.LIF(tau_mem=8.0, v_thresh=0.5), name="hid")
    net.connect(left, hid, weights=rng.normal(0.3, 0.3, (20, 40)))
    net.connect(right, hid, weights=rng.normal(0.3, 0.3, (33, 40)))
    net.record(hid.spikes)
    net.record(hid.v, reduce="mean")
    return net, {"rounding": "stochastic"}


NETWORKS = {
    "recurrent": lambda rng: (recurrent_network(rng), {"rounding": "stochastic"}),
    "ddr-streamed": ddr_streamed_network,
    "sparse-delayed": _sparse_delayed,
    # rows in DDR: a DMEM row table merged with the firmware's link tables
    "sparse-delayed-ddr": lambda rng: (_sparse_delayed(rng)[0], {"weights": "ddr"}),
    "two-inputs": _two_inputs,
}


def _per_sample_and_batch(build, samples=4, soc=NETWORK_SOC, rate=0.3, seed=5):
    rng = np.random.default_rng(seed)
    net, options = build(rng)
    inputs = {g.name: rng.random((samples, T, g.size)) < rate for g in net.inputs}
    plain = fenn.compile(net, T, soc=soc, **options)
    linked = fenn.compile(net, T, soc=soc, batch=True, **options)
    return (fenn.run(plain, inputs, strict=True, progress=False),
            fenn.run(linked, inputs, strict=True, progress=False), linked, inputs)


@pytest.mark.parametrize("name", NETWORKS)
def test_batch_through_the_firmware_equals_the_per_sample_loop(name):
    loop, batch, _, _ = _per_sample_and_batch(NETWORKS[name])
    assert loop.difference(batch) is None
    assert batch.stats.cycles_per_sample == loop.stats.cycles_per_sample
    spikes = sum(loop.raw[k].sum() for k in loop.raw if k.endswith("spikes"))
    assert spikes > 0, "no spikes: the comparison would be vacuous"
    # the batch run also pays for the loop between samples, and nothing else
    assert batch.stats.cycles > sum(batch.stats.cycles_per_sample)


@pytest.mark.parametrize("ddr_bytes, events", [(8192, "dmem"), (16384, "ddr")],
                         ids=["events-in-dmem", "events-in-vmem"])
def test_a_batch_too_large_for_ddr_runs_in_parts_with_the_same_results(ddr_bytes, events):
    """(8 KiB of DDR leave no room for a plain run's events area: they stay in DMEM; with
    16 KiB they are in VMEM and each part keeps room for the fetches past its end.)"""
    small = dataclasses.replace(NETWORK_SOC, ddr_bytes=ddr_bytes)
    loop, batch, program, inputs = _per_sample_and_batch(NETWORKS["recurrent"], samples=6, soc=small)
    assert program.io["input.inp"].memory == events
    streams = [[np.zeros(program.io["input.inp"].shape[0] // 4 if events == "dmem" else 12 * 32,
                         np.uint16)]] * 6
    assert len(Batch(program).split(streams)) > 1, "the batch should not fit DDR in one part"
    assert loop.difference(batch) is None
    assert batch.stats.cycles_per_sample == loop.stats.cycles_per_sample


def test_plane_format_round_trips_and_pads():
    rng = np.random.default_rng(3)
    data = rng.integers(0, 256, 200, dtype=np.uint8)
    planes = to_planes(data)
    assert planes.size == 256
    back = from_planes(planes)
    assert np.array_equal(back[:200], data) and not back[200:].any()
    # word k, bit i is lane i, bit 15 - k
    word = np.zeros(16, np.uint32)
    word[0] = 1 << 5
    lanes = to_planes(word).view("<u2")
    assert lanes[5] == 1 << 15 and lanes.sum() == 1 << 15


def test_firmware_area_sits_in_the_program_and_runs_loop_state():
    _, _, program, _ = _per_sample_and_batch(NETWORKS["recurrent"], samples=1)
    area = program.meta["batch"]["area"]
    region = [r for r in program.meta["memory_map"] if r["name"] == "firmware"]
    assert region and region[0]["address"] == area and region[0]["nbytes"] == AREA_BYTES
    assert "sample_done" in program.symbols and program.symbols["network"] > 0


def test_a_plain_program_is_refused_by_the_batch_layout():
    rng = np.random.default_rng(0)
    program = fenn.compile(recurrent_network(rng), T, soc=NETWORK_SOC)
    with pytest.raises(BatchError, match="batch=True"):
        Batch(program)


def test_a_fault_inside_the_batch_is_a_machine_fault_with_its_code():
    rng = np.random.default_rng(0)
    program = fenn.compile(recurrent_network(rng), T, soc=NETWORK_SOC, batch=True)
    network = program.symbols["network"] // 4
    program.text[network] = 0xFFFFFFFF          # an illegal word where the network starts
    with pytest.raises(MachineFault) as fault:
        fenn.run(program, rng.random((2, T, 32)) < 0.3, progress=False)
    assert fault.value.code.name == "ILLEGAL" and fault.value.pc == 4 * network
    assert fault.value.sample == 0 and str(fault.value).startswith("sample 0: ")
