"""The synapse-throughput benchmark's network (recurrent Vogels-Abbott-like, rows
streamed uncompressed from DDR) at a smaller size: bit-exact against the reference on
the strict ISS with one and two DMA ports, in an asynchronous regime."""

import numpy as np
import pytest

import fenn
from conftest import assert_bit_exact, run_both
from fenn.models.networks import va_kick, vogels_abbott
from fenn.soc import SocConfig


@pytest.mark.parametrize("dma_ports", [1, 2])
def test_vogels_abbott_streamed_equals_reference(dma_ports):
    T = 40
    net = vogels_abbott(2000, rng=np.random.default_rng(5))
    net.record(net.populations[0].spikes)
    program, device, reference = run_both(net, T, {"kick": va_kick(T)}, weights="ddr",
                                          soc=SocConfig(dma_ports=dma_ports))
    assert program.meta["streamed"] == ["kick", "recurrent"]
    assert_bit_exact(device, reference)
    counts = device["va.spikes"].sum(axis=1)
    # self-sustained and asynchronous: still active at the end, never a population-wide burst
    assert counts[-10:].sum() > 10 and counts.max() < 0.1 * 2000, counts
    assert 2 < counts.mean() / 2000 * 1000 < 40, counts.mean()       # Hz at dt = 1 ms
    # every spike of steps 0..T-2 streamed one recurrent row (63 vectors), the kick one
    assert device.stats.dma_bytes == (counts[:-1].sum() + 1) * 63 * 64


def test_vogels_abbott_rejects_bad_sizes():
    with pytest.raises(ValueError, match="connectivity"):
        vogels_abbott(100, connectivity=0.0)


def test_inline_pumps_several_tiles_and_half_passes(monkeypatch):
    """The two-port scheme (one inline pump per loop pass) with the target cut into three
    tiles (12, 12, 11 vectors), batches of 6 rows and half passes for short last batches."""
    from fenn.compiler import stream
    monkeypatch.setattr(stream, "TILING", {2: (6, 12, 8, 8)})
    T = 30
    net = vogels_abbott(1100, rng=np.random.default_rng(8))
    net.record(net.populations[0].spikes)
    program, device, reference = run_both(net, T, {"kick": va_kick(T)}, weights="ddr",
                                          soc=SocConfig(dma_ports=2))
    assert "tiles [12, 12, 11]" in " ".join(r["what"] for r in program.meta["memory_map"])
    assert_bit_exact(device, reference)
    counts = device["va.spikes"].sum(axis=1)
    last = counts[:-1] % 6                  # rows in each step's last batch (0: full)
    assert ((last >= 1) & (last <= 3)).any() and (last >= 4).any(), counts   # half and full passes
    assert device.stats.dma_bytes == (counts[:-1].sum() + 1) * 35 * 64
