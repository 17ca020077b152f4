"""The input event stream built from packed rasters (fenn.streams) equals the stream the
format describes; fenn.run takes packed rasters and reads back only what it is asked to."""

from __future__ import annotations

import numpy as np
import pytest

import fenn
from fenn.errors import InputError
from fenn.runtime import encode_events
from fenn.streams import PackedRasters, encode_packed, pack


def described_stream(raster: np.ndarray) -> np.ndarray:
    """The DMEM stream as docs describe it: per timestep its spike count, then its units."""
    words = []
    for row in raster:
        units = np.flatnonzero(row)
        words += [len(units), *units]
    return np.array(words, dtype=np.uint16)


@pytest.mark.parametrize("steps, units", [(40, 1), (40, 8), (41, 63), (40, 64), (40, 65),
                                          (3, 700), (1, 5), (7, 130)])
def test_stream_from_packed_rasters_equals_the_described_stream(steps, units):
    rng = np.random.default_rng(units)
    raster = rng.random((steps, units)) < rng.uniform(0.05, 0.6)
    raster[min(2, steps - 1)] = False                   # an empty timestep
    raster[0] = True                                    # a full one
    raster[-1] = False                                  # empty ones at the end
    expected = described_stream(raster)
    packed = pack(raster[None])[0]
    np.testing.assert_array_equal(encode_packed(packed, steps, units, expected.size, "x"), expected)
    np.testing.assert_array_equal(encode_events(raster, expected.size + 7, "x"), expected)


def test_pack_is_numpys_little_bit_order_in_whole_words():
    rng = np.random.default_rng(0)
    rasters = rng.random((3, 13, 7)) < 0.4                # 91 elements: a ragged last word
    packed = pack(rasters)
    assert packed.shape == (3, 16)
    np.testing.assert_array_equal(packed[:, :12], np.packbits(rasters.reshape(3, -1), axis=1,
                                                               bitorder="little"))
    assert not packed[:, 12:].any()
    np.testing.assert_array_equal(pack(rasters.astype(np.int64) * 3), packed)   # any non-zero


def test_a_stream_longer_than_the_room_is_refused_with_its_size():
    raster = np.zeros((10, 20), dtype=bool)
    raster[2, :15] = True
    with pytest.raises(InputError, match="15 spikes in 10 timesteps and needs 25 halfwords"):
        encode_events(raster, 24, "input")


def test_packed_rasters_unpack_to_the_rasters():
    rng = np.random.default_rng(1)
    rasters = rng.random((3, 9, 70)) < 0.3
    packed = PackedRasters.pack(rasters)
    assert packed.shape == rasters.shape and len(packed) == 3
    assert packed.bits.nbytes == 3 * 80                     # 630 bits: ten 64-bit words
    np.testing.assert_array_equal(packed.unpack(), rasters)


@pytest.fixture(scope="module")
def program():
    rng = np.random.default_rng(2)
    net = fenn.Network()
    inp = net.input(70, name="input")
    hid = net.population(12, fenn.models.LIF(tau_mem=8.0), name="hidden")
    out = net.population(3, fenn.models.LI(tau_mem=8.0), name="output")
    net.connect(inp, hid, weights=rng.normal(0.2, 0.4, (70, 12)))
    net.connect(hid, out, weights=rng.normal(0, 0.3, (12, 3)))
    net.record(hid.spikes)
    net.record(out.v)
    return fenn.compile(net, 25, rounding="stochastic")


@pytest.mark.parametrize("backend", ["sim", "reference"])
def test_run_on_packed_rasters_equals_run_on_rasters(program, backend):
    rasters = np.random.default_rng(3).random((4, 25, 70)) < 0.2
    want = fenn.run(program, rasters, backend=backend, progress=False)
    got = fenn.run(program, PackedRasters.pack(rasters), backend=backend, progress=False)
    for key in ("hidden.spikes", "output.v"):
        np.testing.assert_array_equal(got.raw[key], want.raw[key])
    assert got.stats.cycles_per_sample == want.stats.cycles_per_sample


def test_packed_rasters_of_another_shape_are_refused(program):
    packed = PackedRasters.pack(np.zeros((2, 24, 70), dtype=bool))
    with pytest.raises(InputError, match="this input takes 25 x 70"):
        fenn.run(program, packed, progress=False)


def test_read_reads_back_only_the_named_recordings(program):
    rasters = np.random.default_rng(4).random((3, 25, 70)) < 0.2
    everything = fenn.run(program, rasters, progress=False)
    only = fenn.run(program, rasters, progress=False, read=["output.v"], check=True)
    assert list(only.keys()) == ["output.v"]
    np.testing.assert_array_equal(only["output.v"], everything["output.v"])
    with pytest.raises(InputError, match=r"\['hidden.v'\] not recorded"):
        fenn.run(program, rasters, progress=False, read=["hidden.v"])
