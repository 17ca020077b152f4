"""Malformed input at every reader fenn has: the only failure is a FennError.

Property-based (hypothesis, derandomised, bounded example counts so the suite stays fast):
assembler text, disassembler words and symbol tables, the CLI's word readers, Program
files (random bytes, and valid files with bytes flipped), NIR graphs (random nodes,
parameters and edges) and files, spike inputs (rasters, event lists, batches) and SHD files.
"""

import io
import warnings
import zipfile

import h5py
import nir
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import fenn
from fenn import cli
from fenn.asm import assemble_text
from fenn.disasm import disassemble, disassemble_program
from fenn.errors import FennError
from fenn.inputs import SHDFile, to_batch, to_raster
from fenn.program import Program

FUZZ = settings(max_examples=150, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def only_fenn_errors(call, *args, **kwargs):
    """Run ``call``; a FennError is a fine answer to bad input, anything else is a bug."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(*args, **kwargs)
    except FennError as error:
        assert str(error), "a FennError without a message"
        return error


# ----------------------------------------------------------------------------- assembler

TOKENS = ["addi", "add", "lw", "sw", "beq", "jal", "vadd", "vloadv", "vmul_s_rs", "li", "la",
          "csrr", "mcycle", ".word", ".equ", ".align", ".org", "x0", "x31", "x32", "a0", "v1",
          "v32", "t7", "0", "-1", "0x7fffffff", "0xffffffff1", "4096", "(x2)", "(", ")", ",",
          "label:", "label", "%hi(label)", "1e3", "'a'", "#", "//", ";", ":", "+", "-", "*",
          "\t", " ", "ecall", "fence", "nop", "ret", "mv", "j", "bnez", "vsel", "vrng"]


@FUZZ
@given(st.lists(st.lists(st.sampled_from(TOKENS) | st.text(max_size=4), max_size=6),
                max_size=8))
def test_assembler_text(lines):
    source = "\n".join(" ".join(tokens) for tokens in lines)
    only_fenn_errors(assemble_text, source, "fuzz.s")


@FUZZ
@given(st.text(max_size=200))
def test_assembler_any_text(source):
    only_fenn_errors(assemble_text, source, "fuzz.s")


# ----------------------------------------------------------------------------- disassembler

@FUZZ
@given(st.lists(st.integers(0, 2**32 - 1), max_size=40),
       st.dictionaries(st.text(max_size=8), st.integers(-2**33, 2**33), max_size=6))
def test_disassembler_words_and_symbols(words, symbols):
    for word in words:
        assert isinstance(disassemble(word), str)
    assert isinstance(only_fenn_errors(disassemble_program, words, symbols), (str, FennError))


@FUZZ
@given(st.binary(max_size=64), st.sampled_from([".bin", ".hex", ".npz"]))
def test_cli_word_readers(tmp_path, data, suffix):
    path = tmp_path / f"words{suffix}"
    path.write_bytes(data)
    only_fenn_errors(cli.read_words, path)


# ----------------------------------------------------------------------------- Program files

@pytest.fixture(scope="module")
def saved_program(tmp_path_factory):
    net = fenn.Network(dt=1.0)
    inp = net.input(8, name="inp")
    pop = net.population(4, fenn.models.LIF(tau_mem=10.0), name="pop")
    net.connect(inp, pop, weights=np.full((8, 4), 0.25))
    net.record(pop.spikes)
    path = tmp_path_factory.mktemp("program") / "p.npz"
    fenn.compile(net, 4).save(path)
    return path.read_bytes()


@FUZZ
@given(st.binary(max_size=300))
def test_program_loader_random_bytes(tmp_path, data):
    path = tmp_path / "random.npz"
    path.write_bytes(data)
    assert isinstance(only_fenn_errors(Program.load, path), FennError)


@FUZZ
@given(st.data())
def test_program_loader_damaged_files(tmp_path, saved_program, data):
    damaged = bytearray(saved_program)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.sampled_from([len(damaged), len(damaged) // 2, 30]))
    path = tmp_path / "damaged.npz"
    path.write_bytes(bytes(damaged[:cut]))
    result = only_fenn_errors(Program.load, path)
    if not isinstance(result, FennError):      # the flip missed every byte that matters
        assert np.array_equal(result.text, Program.load(_write(tmp_path, saved_program)).text)


def _write(tmp_path, data):
    path = tmp_path / "intact.npz"
    path.write_bytes(data)
    return path


@FUZZ
@given(st.dictionaries(st.sampled_from(["header", "text", "image.vmem", "image.dmem", "other"]),
                       st.sampled_from([np.zeros(0, np.uint8), np.arange(5, dtype=np.uint8),
                                        np.frombuffer(b'{"version": 1}', np.uint8),
                                        np.frombuffer(b'[1, 2]', np.uint8),
                                        np.frombuffer(b'{"format": "fenn Program", "version": 1, '
                                                      b'"checksums": {}}', np.uint8),
                                        np.zeros((2, 2), np.float64)]),
                       max_size=5))
def test_program_loader_npz_of_wrong_things(tmp_path, arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path = tmp_path / "wrong.npz"
    path.write_bytes(buffer.getvalue())
    assert isinstance(only_fenn_errors(Program.load, path), FennError)


# ----------------------------------------------------------------------------- NIR

VALUES = st.sampled_from([0.0, 1.0, -1.0, 1e-3, 0.02, 1e9, float("nan"), float("inf")])


def vector(draw, size):
    return np.array([draw(VALUES) for _ in range(size)]) if size else np.zeros(0)


@st.composite
def nir_graphs(draw):
    n = draw(st.integers(1, 4))
    kinds = draw(st.lists(st.sampled_from(["Linear", "Affine", "LIF", "LI", "IF", "CubaLIF",
                                           "Scale", "Delay", "Flatten", "Threshold"]),
                          min_size=1, max_size=4))
    nodes = {}
    nodes["input"] = nir.Input(input_type={"input": np.array([n])})
    for k, kind in enumerate(kinds):
        size = draw(st.sampled_from([n, 1, n + 1, 0]))      # nir wants one shape per node
        v = lambda: vector(draw, size)  # noqa: E731
        if kind == "Linear":
            node = nir.Linear(weight=np.full((draw(st.integers(1, 4)), n), draw(VALUES)))
        elif kind == "Affine":
            node = nir.Affine(weight=np.full((n, draw(st.integers(1, 4))), draw(VALUES)), bias=v())
        elif kind == "LIF":
            node = nir.LIF(tau=v(), r=v(), v_leak=v(), v_threshold=v(), v_reset=v())
        elif kind == "LI":
            node = nir.LI(tau=v(), r=v(), v_leak=v())
        elif kind == "IF":
            node = nir.IF(r=v(), v_threshold=v(), v_reset=v())
        elif kind == "CubaLIF":
            node = nir.CubaLIF(tau_syn=v(), tau_mem=v(), r=v(), v_leak=v(), v_threshold=v(),
                               v_reset=v(), w_in=v())
        elif kind == "Scale":
            node = nir.Scale(scale=v())
        elif kind == "Delay":
            node = nir.Delay(delay=v())
        elif kind == "Threshold":
            node = nir.Threshold(threshold=v())
        else:
            node = nir.Flatten(input_type={"input": np.array([n])})
        nodes[f"n{k}"] = node
    nodes["output"] = nir.Output(output_type={"output": np.array([n])})
    names = list(nodes)
    edges = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)),
                          max_size=8))
    if draw(st.booleans()):
        del nodes["input"]
        edges = [e for e in edges if "input" not in e]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


@FUZZ
@given(nir_graphs(), st.sampled_from([1e-3, 1e-4, 0.5]), st.sampled_from(["exact", "euler"]),
       st.sampled_from([None, "snntorch", "norse"]))
def test_nir_importer_random_graphs(graph, dt, method, exporter):
    only_fenn_errors(fenn.nir.import_nir, graph, dt, method=method, exporter=exporter)


@FUZZ
@given(st.binary(max_size=100))
def test_nir_importer_random_files(tmp_path, data):
    path = tmp_path / "random.nir"
    path.write_bytes(data)
    assert isinstance(only_fenn_errors(fenn.from_nir, path, dt=1e-3), FennError)


# ----------------------------------------------------------------------------- spike inputs

ARRAYS = st.one_of(
    st.builds(lambda shape, fill: np.full(shape, fill),
              st.lists(st.integers(0, 4), max_size=4).map(tuple),
              st.sampled_from([0, 1, 2, -1, 0.5, True, float("nan"), "x"])),
    st.lists(st.integers(-3, 10), max_size=6).map(np.array),
    st.tuples(st.lists(VALUES, max_size=5), st.lists(st.integers(-2, 9), max_size=5)),
    st.lists(st.tuples(st.lists(VALUES, max_size=3), st.lists(st.integers(-1, 5), max_size=3)),
             max_size=3),
    st.just(None), st.just("not a file"), st.just({"a": 1}))


@FUZZ
@given(ARRAYS, st.integers(0, 6), st.integers(0, 6), st.sampled_from([1.0, 0.5, 0.0, -1.0]))
def test_spike_input_conversions(value, n_units, timesteps, dt):
    only_fenn_errors(to_batch, value, n_units, timesteps, dt)
    only_fenn_errors(to_raster, value, n_units, timesteps or None, dt)


SHD_PARTS = st.sampled_from([np.arange(3.0), np.array([[1.0, 2.0]]), np.array([b"a", b"b"]),
                             np.zeros(0), np.array([-1, 700, 3]), np.array(5)])


@FUZZ
@given(st.dictionaries(st.sampled_from(["spikes/times", "spikes/units", "labels", "extra"]),
                       SHD_PARTS, max_size=4),
       st.booleans())
def test_shd_reader_malformed_files(tmp_path, datasets, ragged):
    path = tmp_path / "fuzz.h5"
    with h5py.File(path, "w") as f:
        for name, data in datasets.items():
            if ragged and name.startswith("spikes/") and data.dtype.kind in "fi" and data.ndim == 1:
                vlen = h5py.vlen_dtype(data.dtype)
                dataset = f.create_dataset(name, (2,), dtype=vlen)
                dataset[0], dataset[1] = data, data
            else:
                f[name] = data
    def read():
        with SHDFile(path) as shd:
            return shd.batch(dt=1.0, timesteps=5)
    only_fenn_errors(read)
