"""Every failure a user can cause: one ``fenn: error: ...`` line on the command line (no
traceback), a FennError subclass in Python, each naming the problem and the fix.

One table per door; each row builds its bad input in a temporary directory.
"""

import json
import subprocess
import sys
import textwrap

import h5py
import nir
import numpy as np
import pytest

import fenn
from fenn import cli
from fenn.errors import (BackendUnavailable, CompileLimitError, FennError, InputError,
                         OptionError, ProgramFileError)
from fenn.nir import NIRImportError

NET = textwrap.dedent("""
    import numpy as np, fenn
    net = fenn.Network(dt=1.0)
    inp = net.input(20, name="inp")
    hid = net.population(10, fenn.models.LIF(tau_mem=20.0), name="hid")
    net.connect(inp, hid, weights=np.full((20, 10), 0.1))
    net.record(hid.spikes)
""")
MANY = textwrap.dedent("""
    import numpy as np, fenn
    net = fenn.Network(dt=1.0)
    inp = net.input(8, name="inp")
    for k in range(300):
        pop = net.population(2, fenn.models.LIF(tau_mem=20.0), name=f"p{k}")
        net.connect(inp, pop, weights=np.full((8, 2), 0.3))
""")


def small_program():
    net = fenn.Network(dt=1.0)
    inp = net.input(20, name="inp")
    hid = net.population(10, fenn.models.LIF(tau_mem=20.0), name="hid")
    net.connect(inp, hid, weights=np.full((20, 10), 0.1))
    net.record(hid.spikes)
    return fenn.compile(net, 5)


def make(tmp, name):
    """Write the file ``name`` (its kind is in the name) into ``tmp``; return its path."""
    path = tmp / name
    kind = name.split(".")[0]
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("this is not a binary file\n" * 4)
    elif kind == "unrelated":
        np.savez(path, weights=np.zeros(3))
    elif kind in ("program", "truncated", "modified"):
        small_program().save(tmp / "good.npz")
        data = (tmp / "good.npz").read_bytes()
        if kind == "truncated":
            data = data[:len(data) // 2]
        path.write_bytes(data)
        if kind == "modified":
            with np.load(path) as z:
                arrays = {k: z[k].copy() for k in z.files}
            arrays["image.vmem"][100] ^= 1
            np.savez_compressed(path, **arrays)
    elif kind == "hdf5":
        with h5py.File(path, "w") as f:
            f["something"] = np.arange(3)
    elif kind == "graph":
        n = 4
        nir.write(path, nir.NIRGraph(
            nodes={"input": nir.Input(input_type={"input": np.array([n])}),
                   "w": nir.Linear(weight=np.eye(n)),
                   "lif": nir.LIF(tau=np.full(n, 0.02), r=np.ones(n), v_leak=np.zeros(n),
                                  v_threshold=np.ones(n)),
                   "output": nir.Output(output_type={"output": np.array([n])})},
            edges=[("input", "w"), ("w", "lif"), ("lif", "output")]))
    elif kind in ("net", "many", "syntax"):
        path.write_text({"net": NET, "many": MANY, "syntax": "net = (\n"}[kind])
    return path


CLI = [  # (files to make, argv, message)
    (["empty.npz"], ["inspect", "{empty.npz}"], "is empty, so it is not a Program file"),
    (["text.npz"], ["inspect", "{text.npz}"], "is not an .npz (zip) file"),
    (["truncated.npz"], ["inspect", "{truncated.npz}"], "is truncated or damaged"),
    (["unrelated.npz"], ["disasm", "{unrelated.npz}"], "is an .npz but not a Program file"),
    (["modified.npz"], ["inspect", "{modified.npz}"], "modified after it was saved: the checksum "
                                                      "of image.vmem"),
    (["text.nir"], ["compile", "{text.nir}", "-T", "5", "--dt", "1e-3"], "is not a NIR file"),
    (["empty.nir"], ["compile", "{empty.nir}", "-T", "5", "--dt", "1e-3"], "this one is empty"),
    (["hdf5.nir"], ["compile", "{hdf5.nir}", "-T", "5", "--dt", "1e-3"], "is HDF5 but not a NIR"),
    (["graph.nir"], ["compile", "{graph.nir}", "-T", "5"], "a NIR graph needs --dt"),
    (["net.py"], ["compile", "{net.py}", "-T", "100000000"], "does not fit DMEM"),
    (["net.py"], ["compile", "{net.py}", "-T", "0"], "expected a positive whole number"),
    (["net.py"], ["compile", "{net.py}", "-T", "5", "--formats", "s9.9"],
     "bad fixed-point format 's9.9'"),
    (["many.py"], ["compile", "{many.py}", "-T", "5"], "more than 512 scalar slots"),
    (["syntax.py"], ["compile", "{syntax.py}", "-T", "5"], "running it raised SyntaxError"),
    (["text.txt"], ["compile", "{text.txt}", "-T", "5"], "expected a Python file (.py)"),
    ([], ["frobnicate"], "invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize("files, argv, message", CLI, ids=[" ".join(r[1][:2]) for r in CLI])
def test_cli_says_one_line(tmp_path, capsys, files, argv, message):
    paths = {name: str(make(tmp_path, name)) for name in files}
    argv = [paths[a[1:-1]] if a.startswith("{") else a for a in argv]
    try:
        status = cli.main(argv)
    except SystemExit as exit:                     # argparse's own errors exit
        status = exit.code
    err = capsys.readouterr().err
    assert status in (1, 2) and err.startswith("fenn: error: ") and err.count("\n") == 1, err
    assert message in err and "Traceback" not in err


def test_cli_compiles_a_nir_file_directly(tmp_path, capsys):
    path = make(tmp_path, "graph.nir")
    assert cli.main(["compile", str(path), "-T", "5", "--dt", "1e-3", "--method", "euler"]) == 0
    program = fenn.program.Program.load(tmp_path / "graph.npz")
    assert program.meta["timesteps"] == 5 and "lif" in program.meta["populations"]


def test_debug_shows_the_stack(tmp_path):
    path = make(tmp_path, "empty.npz")
    run = lambda *a: subprocess.run([sys.executable, "-m", "fenn.cli", *a], capture_output=True,
                                    text=True)
    quiet, loud = run("inspect", str(path)), run("--debug", "inspect", str(path))
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr and "ProgramFileError" in loud.stderr


def _run_with_file(tmp, name):
    return fenn.run(small_program(), {"inp": str(make(tmp, name))}, progress=False)


PYTHON = [  # (files, call, error class, message)
    (["empty.npz"], lambda t: fenn.program.Program.load(t / "empty.npz"), ProgramFileError,
     "is empty"),
    (["unrelated.npz"], lambda t: fenn.program.Program.load(t / "unrelated.npz"),
     ProgramFileError, "not a Program file"),
    (["text.h5"], lambda t: fenn.inputs.read_shd(t / "text.h5", timesteps=5), InputError,
     "not an SHD-format file: SHD files are HDF5"),
    (["empty.h5"], lambda t: fenn.inputs.read_shd(t / "empty.h5", timesteps=5), InputError,
     "is empty"),
    (["hdf5.h5"], lambda t: fenn.inputs.read_shd(t / "hdf5.h5", timesteps=5), InputError,
     "missing /spikes/times"),
    ([], lambda t: _run_with_file(t, "text.h5"), InputError, "not an SHD-format file"),
    (["text.nir"], lambda t: fenn.from_nir(t / "text.nir", dt=1e-3), NIRImportError,
     "is not a NIR file"),
    (["hdf5.nir"], lambda t: fenn.from_nir(t / "hdf5.nir", dt=1e-3), NIRImportError,
     "is HDF5 but not a NIR graph"),
    ([], lambda t: fenn.from_nir({"not": "a graph"}, dt=1e-3), NIRImportError,
     "expects a nir.NIRGraph"),
    ([], lambda t: fenn.open_device("gpu"), OptionError, "unknown backend 'gpu'"),
    ([], lambda t: fenn.run(small_program(), np.zeros((5, 20), bool), backend="gpu"),
     OptionError, "unknown backend"),
    ([], lambda t: fenn.compile(fenn.Network(), 0), OptionError, "timesteps must be a positive"),
    ([], lambda t: fenn.compile(small_program().network, 5, rounding="up"), OptionError,
     "rounding must be one of"),
    (["many.py"], lambda t: fenn.compile(_network_of(t / "many.py"), 5), CompileLimitError,
     "512 scalar slots.*Merge populations"),
]


def _network_of(path):
    namespace = {}
    exec(path.read_text(), namespace)
    return namespace["net"]


@pytest.mark.parametrize("files, call, error, message", PYTHON,
                         ids=[f"{r[2].__name__}-{i}" for i, r in enumerate(PYTHON)])
def test_python_raises_a_fenn_error(tmp_path, files, call, error, message):
    for name in files:
        make(tmp_path, name)
    with pytest.raises(error, match=message) as info:
        call(tmp_path)
    assert isinstance(info.value, FennError)


def test_a_backend_names_the_package_that_is_really_missing(tmp_path, monkeypatch):
    (tmp_path / "fenn_test_board.py").write_text("import pynq_is_not_installed_here\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(fenn.device.BACKENDS, "pynq", ("fenn_test_board", "PynqDevice", "board"))
    with pytest.raises(BackendUnavailable, match=r"needs the Python package "
                                                 r"'pynq_is_not_installed_here'.*"
                                                 r"pip install 'fenn\[board\]' on the board"):
        fenn.open_device("pynq")
    monkeypatch.setitem(fenn.device.BACKENDS, "pynq", ("fenn.boards.no_such_module", "X", "board"))
    with pytest.raises(BackendUnavailable, match="not in this fenn yet"):
        fenn.open_device("pynq")
    with pytest.raises(ImportError):                 # still an ImportError for old callers
        fenn.open_device("pynq")


def test_150_populations_compile_and_each_runs_like_one_alone():
    """Past 256 scalar slots the compiler takes all 512 x0 reaches; every one of 150
    identical populations then spikes as the same population compiled on its own."""
    many = _network_of_text(MANY.replace("range(300)", "range(150)"))
    for pop in many.populations:
        many.record(pop.spikes)
    one = _network_of_text(MANY.replace("range(300)", "range(1)"))
    one.record(one.populations[0].spikes)
    spikes = np.random.default_rng(0).random((6, 8)) < 0.5
    program = fenn.compile(many, 6)
    assert any(r["name"] == "slots" and r["nbytes"] == 2048 for r in program.meta["memory_map"])
    alone = fenn.run(fenn.compile(one, 6), {"inp": spikes}, progress=False)["p0.spikes"]
    result = fenn.run(program, {"inp": spikes}, progress=False)
    assert alone.any()
    for pop in many.populations:
        assert np.array_equal(result[f"{pop.name}.spikes"], alone), pop.name


def _network_of_text(text):
    namespace = {}
    exec(text, namespace)
    return namespace["net"]


def test_the_table_covers_every_kind_of_file(tmp_path):
    kinds = {name.split(".")[0] for row in CLI + PYTHON for name in row[0]}
    assert {"empty", "text", "unrelated", "truncated", "modified", "hdf5"} <= kinds
    assert json.loads(json.dumps(sorted(kinds)))             # names are plain strings
