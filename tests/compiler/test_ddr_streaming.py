"""Weights streamed from DDR (double-buffered DMA) give exactly the VMEM results."""

import numpy as np
import pytest

import fenn
from conftest import assert_bit_exact, poisson, run_both
from fenn.soc import SocConfig


@pytest.mark.parametrize("dma_ports", [1, 2])
def test_streamed_equals_reference_small_and_large_targets(rng, dma_ports):
    net = fenn.Network()
    inp = net.input(90, name="inp")
    small = net.population(70, fenn.models.LIF(tau_mem=10.0, v_thresh=0.7), name="small")
    large = net.population(1100, fenn.models.LIF(tau_mem=10.0, v_thresh=0.5), name="large")
    net.connect(inp, small, weights=rng.normal(0.2, 0.3, (90, 70)))
    net.connect(small, small, weights=rng.normal(0.0, 0.3, (70, 70)))
    net.connect(inp, large, weights=rng.normal(0.15, 0.4, (90, 1100)))
    net.connect(small, large, weights=rng.normal(0.0, 0.3, (70, 1100)))
    net.record(small.spikes)
    net.record(large.spikes)
    inputs = {"inp": poisson(rng, 2, 15, 90, 0.2)}
    soc = SocConfig(dma_ports=dma_ports)
    program, device, reference = run_both(net, 15, inputs, weights="ddr", soc=soc)
    assert len(program.meta["streamed"]) == 4
    assert_bit_exact(device, reference)
    assert device["large.spikes"].sum() > 50 and device["small.spikes"].sum() > 10
    # every spiking pre neuron's row crossed the DMA engine
    spikes_in = inputs["inp"].sum()
    spikes_small = device["small.spikes"][:, :-1].sum()
    row_bytes = 64 * 3 + 64 * 35            # rows into small (3 vectors) and large (35: one 32-vector pass + 3)
    expected = (spikes_in + spikes_small) * row_bytes
    assert device.stats.dma_bytes == expected
    vmem = fenn.run(fenn.compile(net, 15, weights="vmem", soc=soc), inputs, progress=False)
    assert_bit_exact(device, vmem)


def test_tiled_rows_with_uneven_tiles_and_partial_batches(rng, monkeypatch):
    """Large targets cut into several tiles (here 12, 12, 11 vectors), batches of 8 rows
    with a partial last batch (rows past the end read the zero row), pumps every 5, and
    spike lists longer than one transfer list (slices of 8 rows)."""
    from fenn.compiler import stream
    monkeypatch.setattr(stream, "TILING", {1: (8, 12, 5)})
    monkeypatch.setattr(stream, "TRANSFER_LIST_BYTES", 12 * 3 * 8)   # slices of 8 rows
    net = fenn.Network()
    inp = net.input(60, name="inp")
    pop = net.population(1100, fenn.models.LIF(tau_mem=10.0, v_thresh=0.5), name="pop")
    net.connect(inp, pop, weights=rng.normal(0.1, 0.4, (60, 1100)))
    net.connect(pop, pop, weights=rng.normal(0.0, 0.05, (1100, 1100)))
    net.record(pop.spikes)
    raster = poisson(rng, 1, 10, 60, 0.2)          # about 12 spikes per step: 2 batches
    program, device, reference = run_both(net, 10, {"inp": raster}, weights="ddr")
    assert_bit_exact(device, reference)
    assert "tiles [12, 12, 11]" in " ".join(r["what"] for r in program.meta["memory_map"])
    assert device["pop.spikes"].sum() > 100



def _prefetched_network(rng, drive=0.3):
    """inp -> a, a -> b and b -> b (b has 22 vectors: tiled). b propagates first, so the
    step's first stream (a -> b) comes from a population: a's update starts its transfers.
    ``drive``: mean input weight into a."""
    net = fenn.Network()
    inp = net.input(40, name="inp")
    b = net.population(700, fenn.models.LIF(tau_mem=10.0, v_thresh=0.5, refractory=2), name="b")
    a = net.population(150, fenn.models.LIF(tau_mem=10.0, v_thresh=0.6), name="a")
    net.connect(inp, a, weights=rng.normal(drive, 0.3, (40, 150)), name="in")
    net.connect(a, b, weights=rng.normal(0.05, 0.2, (150, 700)), name="ab")
    net.connect(b, b, weights=rng.normal(0.0, 0.05, (700, 700)), name="bb")
    net.record(a.spikes)
    net.record(b.spikes)
    return net


@pytest.mark.parametrize("dma_ports", [1, 2])
def test_rows_prefetched_during_the_update_equal_reference(rng, dma_ports):
    """a's update lists its spikes and starts the first ring's transfers of a -> b (the
    next propagation scans no row); also with the ring cut to two units where a deep one
    does not fit VMEM, and continued with reset=False (the carried row is scanned)."""
    net = _prefetched_network(rng)
    T = 12
    inputs = poisson(rng, 1, 2 * T, 40, 0.3)
    rings = [(512 * 1024, 6), (32 * 1024, 2)] if dma_ports == 1 else [(512 * 1024, 2)]
    for vmem, units in rings:
        soc = SocConfig(dma_ports=dma_ports, vmem_bytes=vmem)
        program, device, reference = run_both(net, T, {"inp": inputs[:, :T]}, weights="ddr", soc=soc)
        assert any(f"({units} units" in r["what"] for r in program.meta["memory_map"])
        assert program.meta["streamed"] == ["in", "ab", "bb"]
        assert ["prefetch" in entry for entry in program.dma_schedule] == [False, True, False]
        assert_bit_exact(device, reference)
        spikes = {name: device[f"{name}.spikes"][:, :-1].sum() for name in "ab"}
        assert spikes["a"] > 50 and spikes["b"] > 50
        # every spike's row crossed the DMA engine once (the last step prefetches nothing)
        assert device.stats.dma_bytes == inputs[:, :T].sum() * 64 * 5 + (spikes["a"] + spikes["b"]) * 64 * 22
    on = fenn.open_device("sim", soc=program.soc, strict=True)
    runs = [fenn.run(program, {"inp": inputs[:, k * T:(k + 1) * T]}, device=on, reset=k == 0,
                     progress=False) for k in range(2)]
    whole = fenn.run(fenn.compile(net, 2 * T, weights="ddr", soc=soc), {"inp": inputs},
                     backend="reference")
    for key in ("a.spikes", "b.spikes"):
        assert np.array_equal(np.concatenate([r.raw[key] for r in runs], axis=1), whole.raw[key]), key


def test_prefetched_rows_in_two_tiles_with_short_last_passes(rng, monkeypatch):
    """b's rows (22 vectors) cut into two tiles of 11, batches of 4 rows: the update's
    prefetch starts the first batch's two tiles (its "row j - k, tile 1" transfers), and
    each step's last batch takes a 1-, 2- or 3-row pass or the full one."""
    from fenn.compiler import stream
    monkeypatch.setattr(stream, "TILING", {1: (2, 512, 4), 2: (4, 12, 5, 10)})
    assert stream.partial_passes(4) == [1, 2, 3]
    net = _prefetched_network(rng, drive=0.05)
    T = 14
    inputs = poisson(rng, 1, T, 40, 0.3)
    soc = SocConfig(dma_ports=2)
    program, device, reference = run_both(net, T, {"inp": inputs}, weights="ddr", soc=soc)
    assert any("tiles [11, 11]" in r["what"] for r in program.meta["memory_map"])
    assert ["prefetch" in entry for entry in program.dma_schedule] == [False, True, False]
    assert_bit_exact(device, reference)
    a_rows = device["a.spikes"][0, :-1].sum(axis=-1)         # rows of a -> b per step
    assert {int(n) % 4 for n in a_rows if n > 8} >= {1, 2, 3}, a_rows   # every short pass ran
    spikes = {name: device[f"{name}.spikes"][:, :-1].sum() for name in "ab"}
    assert device.stats.dma_bytes == inputs.sum() * 64 * 5 + (spikes["a"] + spikes["b"]) * 64 * 22
