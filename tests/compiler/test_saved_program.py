"""A Program loaded from .npz keeps its lowered network, so the reference model runs on it."""

import numpy as np
import pytest

import fenn
from fenn.compiler import saved
from fenn.errors import FennError
from fenn.program import Program
from test_api import issue_example

T = 20


@pytest.fixture(scope="module")
def compiled():
    """Dense, recurrent, delayed and sparse connections, stochastic rounding, three recordings."""
    rng = np.random.default_rng(7)
    program = fenn.compile(issue_example(rng, T), T, rounding="stochastic")
    inputs = {"input": rng.random((3, T, 700)) < 0.02}
    return program, inputs


def _equal_trees(a, b):
    (tree_a, arrays_a), (tree_b, arrays_b) = a, b
    assert tree_a == tree_b
    assert sorted(arrays_a) == sorted(arrays_b)
    for key in arrays_a:
        assert arrays_a[key].dtype == arrays_b[key].dtype and np.array_equal(arrays_a[key], arrays_b[key]), key


def test_reference_on_the_loaded_program_equals_the_unsaved_one(compiled, tmp_path):
    program, inputs = compiled
    program.save(tmp_path / "p.npz")
    loaded = Program.load(tmp_path / "p.npz")
    fresh = fenn.run(program, inputs, backend="reference")
    again = fenn.run(loaded, inputs, backend="reference")
    assert sorted(again.raw) == sorted(fresh.raw) and len(fresh.raw) == 3
    assert again.difference(fresh) is None
    for key in fresh.raw:
        assert np.array_equal(again[key], fresh[key]), key
    assert {k: list(v) for k, v in again.stats.saturations.items()} == \
           {k: list(v) for k, v in fresh.stats.saturations.items()}
    # and the loaded program checks itself against it on the simulator
    fenn.run(loaded, {"input": inputs["input"][:1]}, check=True, progress=False)


def test_lowered_network_survives_a_save_field_by_field(compiled, tmp_path):
    program, _ = compiled
    program.save(tmp_path / "p.npz")
    loaded = Program.load(tmp_path / "p.npz").lowered
    _equal_trees(saved.pack(loaded), saved.pack(program.lowered))
    assert repr(loaded.pops[0].model) == repr(program.lowered.pops[0].model)
    assert loaded.conns[3].sparse[0].dtype == program.lowered.conns[3].sparse[0].dtype


def test_a_file_without_the_lowered_network_says_so(compiled, tmp_path):
    program, inputs = compiled
    program.save(tmp_path / "old.npz", lowered=False)
    loaded = Program.load(tmp_path / "old.npz")
    with pytest.raises(FennError, match="old.npz holds no lowered network .* compile the network again"):
        fenn.run(loaded, inputs, backend="reference")
    assert fenn.run(loaded, {"input": inputs["input"][0]}).raw     # the device still runs it


def test_a_file_of_another_format_version_says_so(compiled, tmp_path, monkeypatch):
    program, inputs = compiled
    monkeypatch.setattr(saved, "FORMAT_VERSION", saved.FORMAT_VERSION + 1)
    program.save(tmp_path / "new.npz")
    monkeypatch.undo()
    loaded = Program.load(tmp_path / "new.npz")
    with pytest.raises(FennError, match=f"format version {saved.FORMAT_VERSION + 1}, and this fenn "
                                        f"reads version {saved.FORMAT_VERSION}"):
        fenn.run(loaded, inputs, backend="reference")


def test_the_float_backend_explains_why_a_loaded_program_cannot_use_it(compiled, tmp_path):
    program, inputs = compiled
    program.save(tmp_path / "p.npz")
    with pytest.raises(FennError, match="a Program file does not hold it"):
        fenn.run(Program.load(tmp_path / "p.npz"), inputs, backend="float")


def test_unsaveable_values_are_named():
    with pytest.raises(TypeError, match=r"lowered\.report\.x: cannot save a set"):
        saved.pack(fenn.compiler.ir.LoweredNetwork(1.0, 1, "floor", 0, [], [], [], [], {"x": {1}}))
