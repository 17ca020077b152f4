"""``fenn run PROGRAM --inputs FILE``: the saved recordings equal fenn.run's, for every
input file kind, and bad files are named with the fix."""

from __future__ import annotations

import numpy as np
import pytest

import fenn
from fenn.cli import main
from fenn.inputs import write_synthetic_shd

STEPS = 20


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    rng = np.random.default_rng(2)
    net = fenn.Network()
    inp = net.input(700, name="input")
    out = net.population(5, fenn.models.LIF(tau_mem=10.0), name="out")
    net.connect(inp, out, weights=rng.normal(0.05, 0.2, (700, 5)))
    net.record(out.spikes)
    net.record(out.v)
    program = fenn.compile(net, STEPS, rounding="stochastic")
    path = tmp_path_factory.mktemp("run") / "net.npz"
    program.save(path)
    return program, path


def run_command(*args) -> int:
    return main(["run", *map(str, args)])


@pytest.mark.parametrize("kind", ["npz-named", "npz-single", "npy", "h5"])
def test_saved_recordings_equal_fenn_run(saved, tmp_path, kind, capsys):
    program, path = saved
    rng = np.random.default_rng(3)
    rasters = rng.random((3, STEPS, 700)) < 0.02
    labels = np.array([0, 1, 2])
    if kind == "npz-named":
        np.savez(tmp_path / "in.npz", input=rasters, labels=labels)
        source, expected_inputs = tmp_path / "in.npz", rasters
    elif kind == "npz-single":
        np.savez(tmp_path / "in.npz", spikes=rasters[0])
        source, expected_inputs = tmp_path / "in.npz", rasters[:1]
    elif kind == "npy":
        np.save(tmp_path / "in.npy", rasters)
        source, expected_inputs = tmp_path / "in.npy", rasters
    else:
        source = write_synthetic_shd(tmp_path / "in.h5", 2, rng=rng)
        expected_inputs = str(source)
    assert run_command(path, "--inputs", source, "-o", tmp_path / "out.npz") == 0
    assert "fenn plot" in capsys.readouterr().out
    want = fenn.run(program, expected_inputs, progress=False)
    with np.load(tmp_path / "out.npz") as got:
        for key in ("out.v", "out.spikes"):
            np.testing.assert_array_equal(got[key], want[key] if want.batched else want[key][None])
        np.testing.assert_array_equal(got["cycles_per_sample"], want.stats.cycles_per_sample)
        if kind == "npz-named":
            np.testing.assert_array_equal(got["labels"], labels)


def test_an_npz_without_the_input_names_is_refused_with_them(saved, tmp_path, capsys):
    _, path = saved
    np.savez(tmp_path / "in.npz", a=np.zeros((STEPS, 700), bool), b=np.zeros((STEPS, 700), bool))
    assert run_command(path, "--inputs", tmp_path / "in.npz") == 1
    assert "the network's inputs are ['input']" in capsys.readouterr().err


def test_an_unknown_file_kind_is_refused(saved, tmp_path, capsys):
    _, path = saved
    (tmp_path / "in.csv").write_text("1,2\n")
    assert run_command(path, "--inputs", tmp_path / "in.csv") == 1
    assert "inputs come from .npz" in capsys.readouterr().err


def test_current_inputs_from_a_file(tmp_path):
    """A saved Program with a current input takes real values from an .npz: the recordings
    equal the reference model's (the file keeps the input's format)."""
    rng = np.random.default_rng(4)
    net = fenn.Network()
    frames = net.input(6, name="frames", kind="current", max_value=1.0)
    out = net.population(4, fenn.models.LI(tau_mem=5.0), name="out")
    net.connect(frames, out, weights=rng.normal(0.2, 0.3, (6, 4)))
    net.record(out.v)
    fenn.compile(net, STEPS).save(tmp_path / "net.npz")
    values = rng.uniform(-1.0, 1.0, (2, STEPS, 6))
    np.savez(tmp_path / "in.npz", frames=values)
    assert run_command(tmp_path / "net.npz", "--inputs", tmp_path / "in.npz", "-o", tmp_path / "out.npz") == 0
    loaded = fenn.program.Program.load(tmp_path / "net.npz")
    want = fenn.run(loaded, {"frames": values}, backend="reference")["out.v"]
    got = np.load(tmp_path / "out.npz")["out.v"]
    assert np.abs(got).max() > 0 and np.array_equal(got, want)
