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
