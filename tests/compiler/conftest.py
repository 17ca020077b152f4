"""Helpers for compiler tests: build, compile, run on the ISS (strict) and the reference."""

import numpy as np
import pytest

import fenn


def run_both(net, timesteps, inputs, **compile_options):
    """Compile, run on the strict ISS and on the reference model; return both Results."""
    program = fenn.compile(net, timesteps, **compile_options)
    device = fenn.run(program, inputs, strict=True, progress=False)
    reference = fenn.run(program, inputs, backend="reference")
    return program, device, reference


def assert_bit_exact(device, reference):
    assert sorted(device.raw) == sorted(reference.raw)
    for key in device.raw:
        a, b = device.raw[key], reference.raw[key]
        assert a.shape == b.shape, key
        if not np.array_equal(a, b):
            where = tuple(np.argwhere(a != b)[0])
            raise AssertionError(f"{key} differs first at {where}: device {a[where]} "
                                 f"reference {b[where]}")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def poisson(rng, samples, timesteps, n, p):
    return rng.random((samples, timesteps, n)) < p
