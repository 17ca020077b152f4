"""Input events in VMEM (compiler/events.py): fetched from DDR block by block by the DMA and
read lane by lane, they give exactly the reference model's results and those of events in
DMEM, across block changes, steps longer than a vector, several readers of one input and
every kind of target; the host layout holds every spike once and no step straddles a block."""

import dataclasses

import numpy as np
import pytest

import fenn
from fenn.errors import OptionError
from fenn.events_layout import NEXT_BLOCK, TERMINATOR, vector_layout
from fenn.hw.parity import NETWORK_SOC, ddr_streamed_network
from fenn.runtime import encode_events


def encode_vector_events(raster, block, capacity, name):
    return vector_layout(encode_events(raster, 1 << 22, name), raster.shape[0], block, capacity, name)

T = 90
SOC = dataclasses.replace(NETWORK_SOC, vmem_bytes=256 * 1024)


def _dense(rng):
    net = fenn.Network(dt=1.0)
    inp = net.input(100, name="inp")
    hid = net.population(40, fenn.models.LIF(tau_mem=8.0, v_thresh=0.5), name="hid")
    net.connect(inp, hid, weights=rng.normal(0.05, 0.2, (100, 40)))
    net.record(hid.spikes)
    net.record(hid.v, reduce="mean")
    return net


def _fan_out(rng):
    """One input read by two connections (the second one advances), one target in VMEM
    accumulators (more than 16 vectors)."""
    net = fenn.Network(dt=1.0)
    inp = net.input(70, name="inp")
    big = net.population(600, fenn.models.LIF(tau_mem=8.0, v_thresh=0.5), name="big")
    small = net.population(20, fenn.models.LIF(tau_mem=8.0, v_thresh=0.5), name="small")
    net.connect(inp, big, weights=rng.normal(0.05, 0.2, (70, 600)))
    net.connect(inp, small, weights=rng.normal(0.05, 0.2, (70, 20)))
    net.record(big.spikes)
    net.record(small.spikes)
    return net


def _lane_local(rng):
    net = fenn.Network(dt=1.0)
    inp = net.input(60, name="inp")
    other = net.input(10, name="other")
    a = net.population(50, fenn.models.LIF(tau_mem=10.0, v_thresh=0.6), name="a")
    pre, post = np.nonzero(rng.random((60, 50)) < 0.2)
    net.connect(inp, a, sparse=(pre, post, rng.normal(0.4, 0.3, pre.size)))
    net.connect(other, a, weights=rng.normal(0.3, 0.3, (10, 50)), delays=rng.integers(0, 3, (10, 50)))
    net.record(a.spikes)
    net.record(a.v, reduce="max")
    return net


NETWORKS = {"dense": _dense, "fan-out": _fan_out, "lane-local": _lane_local}


@pytest.mark.parametrize("name", NETWORKS)
def test_events_in_vmem_equal_the_reference_and_events_in_dmem(name):
    rng = np.random.default_rng(11)
    net = NETWORKS[name](rng)
    # rates from sparse to more than a vector's worth of units in a step
    inputs = {g.name: rng.random((2, T, g.size)) < np.linspace(0.02, 0.7, T)[None, :, None]
              for g in net.inputs}
    runs = {}
    for placement in ("vmem", "dmem"):
        program = fenn.compile(net, T, soc=SOC, rounding="stochastic", input_events=placement)
        memories = {program.io[f"input.{g.name}"].memory for g in net.inputs}
        assert memories == {"ddr" if placement == "vmem" else "dmem"}
        runs[placement] = fenn.run(program, inputs, strict=True, check=True, progress=False)
    assert runs["vmem"].difference(runs["dmem"]) is None
    assert sum(runs["dmem"].raw[k].sum() for k in runs["dmem"].raw if k.endswith("spikes")) > 0
    # not vacuous: the samples changed blocks and had steps of more than one vector
    for g in net.inputs:
        buffer = program_io(net, g.name)
        for raster in inputs[g.name]:
            stream = encode_vector_events(raster, buffer.meta["block"], buffer.shape[0], g.name)
            assert (stream == NEXT_BLOCK).any()
        assert (inputs[g.name].sum(axis=2) > 31).any() or g.size <= 31


def program_io(net, name):
    return fenn.compile(net, T, soc=SOC, input_events="vmem").io[f"input.{name}"]


def _decode(stream, block, steps, units):
    """The host layout back to a raster, checking the layout's rules on the way."""
    raster = np.zeros((steps, units), dtype=bool)
    vector = 0
    for t in range(steps):
        lanes = stream[32 * vector:]
        k = 0
        while lanes[k] >= 0:
            raster[t, lanes[k]] = True
            k += 1
        end = vector + k // 32 + 1                     # the vectors this step took
        assert vector // block == (end - 1) // block, f"step {t} straddles a block"
        vector = end if lanes[k] == TERMINATOR else -(-end // block) * block
    return raster


def test_the_host_layout_holds_every_spike_once_and_no_step_straddles_a_block():
    rng = np.random.default_rng(2)
    raster = rng.random((200, 300)) < rng.random((200, 1)) * 0.5
    raster[7] = True                                   # a step of all units: 10 vectors
    stream = encode_vector_events(raster, 32, 1 << 20, "inp")
    assert stream.dtype == np.int16 and stream.size % 32 == 0
    assert np.array_equal(_decode(stream, 32, 200, 300), raster)
    with pytest.raises(fenn.runtime.InputError, match="room"):
        encode_vector_events(raster, 32, stream.size - 32, "inp")


def test_auto_keeps_dmem_where_the_network_uses_the_dma_and_vmem_is_refused_there():
    rng = np.random.default_rng(4)
    net, options = ddr_streamed_network(rng)
    program = fenn.compile(net, 10, soc=NETWORK_SOC, **options)
    assert {b.memory for k, b in program.io.items() if k.startswith("input.")} == {"dmem"}
    with pytest.raises(OptionError, match="streams weights"):
        fenn.compile(net, 10, soc=NETWORK_SOC, input_events="vmem", **options)


def test_an_input_nothing_reads_keeps_dmem_beside_one_in_vmem():
    rng = np.random.default_rng(6)
    net = _dense(rng)
    net.input(5, name="unused")
    program = fenn.compile(net, 20, soc=SOC)
    assert program.io["input.inp"].memory == "ddr" and program.io["input.unused"].memory == "dmem"
    inputs = {g.name: rng.random((2, 20, g.size)) < 0.3 for g in net.inputs}
    batch = fenn.compile(net, 20, soc=SOC, batch=True)
    loop, fw = (fenn.run(p, inputs, strict=True, check=True, progress=False) for p in (program, batch))
    assert loop.difference(fw) is None
    assert fw.stats.cycles_per_sample == loop.stats.cycles_per_sample
