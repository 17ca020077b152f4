"""Inputs with a shape (e.g. event-camera frames (2, H, W)): rasters in that shape are
flattened in C order and give exactly the results of the flat rasters."""

from __future__ import annotations

import numpy as np
import pytest

import fenn
from fenn.errors import InputError
from fenn.network import NetworkError

SHAPE, STEPS = (2, 5, 6), 12


@pytest.fixture(scope="module")
def program():
    rng = np.random.default_rng(0)
    net = fenn.Network()
    frames = net.input(SHAPE, name="frames")
    out = net.population(7, fenn.models.LIF(tau_mem=10.0), name="out")
    net.connect(frames, out, weights=rng.normal(0.1, 0.5, (frames.size, 7)))
    net.record(out.v)
    return fenn.compile(net, STEPS)


def test_the_input_knows_its_shape_and_size(program):
    net = program.network
    assert net.inputs[0].size == 60 and net.inputs[0].shape == SHAPE
    assert program.meta["input_shapes"] == {"frames": list(SHAPE)}


@pytest.mark.parametrize("batched", [False, True])
def test_shaped_rasters_equal_flat_rasters_in_c_order(program, batched):
    rng = np.random.default_rng(1)
    shaped = rng.random((3, STEPS, *SHAPE)) < 0.2
    flat = np.zeros((3, STEPS, 60), bool)
    for c, y, x in np.ndindex(*SHAPE):                    # the documented order, spelled out
        flat[:, :, c * 30 + y * 6 + x] = shaped[:, :, c, y, x]
    if not batched:
        shaped, flat = shaped[0], flat[0]
    got = fenn.run(program, shaped, progress=False)
    want = fenn.run(program, flat, progress=False)
    np.testing.assert_array_equal(got["out.v"], want["out.v"])
    assert got["out.v"].any()


def test_a_raster_of_another_shape_is_refused_with_the_shape(program):
    with pytest.raises(InputError, match=r"shaped \(2, 5, 6\)"):
        fenn.run(program, np.zeros((STEPS, 2, 6, 5), bool), progress=False)


def test_a_shape_must_be_positive_integers():
    with pytest.raises(NetworkError, match="tuple of positive integers"):
        fenn.Network().input((2, 0, 3))
