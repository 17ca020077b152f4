"""The user's side: the issue's example end to end, inputs in every form, errors, CLI."""

import subprocess
import sys

import numpy as np
import pytest

import fenn
from conftest import assert_bit_exact
from fenn.models import ModelError, NeuronModel, StateVar, where


def issue_example(rng, timesteps):
    net = fenn.Network(dt=1.0)
    inp = net.input(700, name="input")
    hid = net.population(256, fenn.models.ALIF(tau_mem=20.0, tau_adapt=2000.0, beta=0.0174,
                                               v_thresh=0.6, refractory=4), name="hidden")
    hid2 = net.population(64, fenn.models.LIF(tau_mem=10.0, v_thresh=0.5), name="hidden2")
    out = net.population(20, fenn.models.LI(tau_mem=20.0), name="output")
    net.connect(inp, hid, weights=rng.normal(0.0, 0.05, (700, 256)))
    net.connect(hid, hid, weights=rng.normal(0.0, 0.02, (256, 256)))
    net.connect(hid, out, weights=rng.normal(0.0, 0.2, (256, 20)),
                delays=rng.integers(0, 4, (256, 20)))
    pre, post = np.nonzero(rng.random((700, 64)) < 0.05)
    net.connect(inp, hid2, sparse=(pre, post, rng.normal(0.2, 0.1, pre.size)))
    net.record(hid.spikes)
    net.record(out.v, reduce="mean")
    net.record(hid2.spikes)
    return net


def test_issue_example_end_to_end(rng):
    T = 60
    net = issue_example(rng, T)
    program = fenn.compile(net, timesteps=T, formats="auto", rounding="stochastic")
    spikes = rng.random((T, 700)) < 7 / 700 * 3
    result = fenn.run(program, inputs={"input": spikes}, backend="sim", check=True)
    assert result["hidden.spikes"].shape == (T, 256)
    assert result["output.v"].shape == (20,)
    assert result["hidden.spikes"].sum() > 0 and result["hidden2.spikes"].sum() > 0
    assert result.stats.cycles > 0 and result.stats.instructions > 0
    assert set(result.stats.saturations) == {"hidden", "hidden2", "output"}
    # the same sample as an event list gives the same result
    t, u = np.nonzero(spikes)
    again = fenn.run(program, inputs={"input": (t + 0.5, u)}, progress=False)
    assert np.array_equal(again.raw["hidden.spikes"], result.raw["hidden.spikes"])
    # a batch runs back to back on the loaded program; sample 0 seeds like a single run
    batch = np.stack([spikes, ~spikes & (rng.random((T, 700)) < 0.02)])
    many = fenn.run(program, inputs={"input": batch}, progress=False)
    assert many["hidden.spikes"].shape == (2, T, 256)
    assert np.array_equal(many.raw["hidden.spikes"][0], result.raw["hidden.spikes"][0])
    assert len(many.stats.cycles_per_sample) == 2
    assert "formats" in program.meta["report"] and program.meta["report"]["weights"]


def test_inputs_are_checked(rng):
    net = fenn.Network()
    inp = net.input(10, name="inp")
    pop = net.population(4, fenn.models.IF(), name="pop")
    net.connect(inp, pop, weights=np.ones((10, 4)))
    net.record(pop.spikes)
    program = fenn.compile(net, 5)
    with pytest.raises(fenn.runtime.InputError, match="missing spikes for inputs"):
        fenn.run(program, {})
    with pytest.raises(fenn.runtime.InputError, match="not inputs of this network"):
        fenn.run(program, {"inp": np.zeros((5, 10), bool), "other": np.zeros((5, 3), bool)})
    with pytest.raises(fenn.runtime.InputError, match="transposed"):
        fenn.run(program, {"inp": np.zeros((10, 5), bool)})
    result = fenn.run(program, np.zeros((5, 10), bool))        # one input: no dict needed
    with pytest.raises(KeyError, match="recorded: \\['pop.spikes'\\]"):
        result["pop.v"]


def test_network_errors_name_the_fix():
    net = fenn.Network()
    inp = net.input(3, name="inp")
    out = net.population(2, fenn.models.LI(), name="out")
    with pytest.raises(ValueError, match=r"expected \(pre, post\) = \(3, 2\)"):
        net.connect(inp, out, weights=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="does not spike"):
        net.record(out.spikes)
    with pytest.raises(ValueError, match="already used"):
        net.input(3, name="inp")
    with pytest.raises(ValueError, match="exactly one of weights"):
        net.connect(inp, out)
    with pytest.raises(ValueError, match="bad fixed-point format"):
        fenn.compile(net, 5, formats="q7.8")


def test_model_language_errors():
    class Branchy(NeuronModel):
        def state(self):
            return {"v": StateVar()}

        def update(self, s, i, dt):
            if s.v > 1.0:                      # not traceable: Python `if` on a traced value
                s.v = 0.0
            return s.v > 1.0

    net = fenn.Network()
    net.population(3, Branchy(), name="b")
    with pytest.raises(ModelError, match="use where"):
        fenn.compile(net, 5)

    class Typo(NeuronModel):
        def state(self):
            return {"v": StateVar()}

        def update(self, s, i, dt):
            s.u = s.v + i
            return s.v > 1.0

    net = fenn.Network()
    net.population(3, Typo(), name="t")
    with pytest.raises(ModelError, match="not declared in state"):
        fenn.compile(net, 5)


def test_import_fenn_is_cheap():
    code = "import sys, fenn; fenn.Network; fenn.models; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_compile_and_inspect(tmp_path):
    source = tmp_path / "net.py"
    source.write_text(
        "import numpy as np, fenn\n"
        "net = fenn.Network()\n"
        "inp = net.input(40, name='inp')\n"
        "pop = net.population(50, fenn.models.LIF(refractory=2), name='pop')\n"
        "net.connect(inp, pop, weights=np.full((40, 50), 0.1))\n"
        "net.record(pop.spikes)\n")
    out = tmp_path / "net.npz"
    cli = [sys.executable, "-m", "fenn.cli"]
    done = subprocess.run(cli + ["compile", str(source), "-T", "20", "-o", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "memory map:" in done.stdout and "inp_to_pop" in done.stdout
    shown = subprocess.run(cli + ["inspect", str(out), "--listing"], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert "pop: update" in shown.stdout and "vmul" in shown.stdout
    assert "RMS error" in shown.stdout and "s15.0" in shown.stdout
    # the saved Program runs and gives what the in-memory one gives
    program = fenn.program.Program.load(out)
    raster = np.random.default_rng(0).random((20, 40)) < 0.3
    loaded = fenn.run(program, {"inp": raster})
    fresh = fenn.run(fenn.compile(__import__("runpy").run_path(str(source))["net"], 20), {"inp": raster})
    assert np.array_equal(loaded.raw["pop.spikes"], fresh.raw["pop.spikes"])


def test_shd_hdf5_file_as_input(tmp_path, rng):
    from fenn.inputs import read_shd, write_synthetic_shd
    path = write_synthetic_shd(tmp_path / "shd.h5", 3, rng=rng)
    net = fenn.Network()
    inp = net.input(700, name="input")
    pop = net.population(40, fenn.models.LIF(v_thresh=0.3), name="pop")
    net.connect(inp, pop, weights=rng.normal(0.05, 0.1, (700, 40)))
    net.record(pop.spikes)
    program = fenn.compile(net, 50)
    from_file = fenn.run(program, {"input": str(path)}, progress=False)
    direct = fenn.run(program, {"input": read_shd(path, timesteps=50)}, progress=False)
    assert from_file["pop.spikes"].shape == (3, 50, 40)
    assert np.array_equal(from_file.raw["pop.spikes"], direct.raw["pop.spikes"])


def test_programs_follow_the_feNN_toolchain_rules(rng):
    """isa.md's rules for emitted programs, checked on every word of compiled programs
    (dense, sparse, delayed, recurrent, DDR-streamed, every recording kind)."""
    from fenn.isa import CSR_ADDRESSES, decode
    net = issue_example(rng, 20)
    net.record(net.group("hidden").v, reduce="max")
    net.record(net.group("hidden2").v)
    programs = [fenn.compile(net, 20, rounding=r, weights=w)
                for r, w in (("stochastic", "auto"), ("nearest", "ddr"))]
    for program in programs:
        for word in program.text:
            d = decode(int(word))
            m, f = d.mnemonic, d.fields
            if m in ("sb", "sh", "sw", "vstore", "vstorel"):
                assert f["imm"] >= 0, f"negative S-immediate: {m} {f}"
            if "_rn" in m:
                assert f.get("shift", f.get("shamt")) != 0, f"{m} with shift 0"
            assert m not in ("fence", "fence.i", "vextract") or (m == "vextract" and f["xd"] != 0)
            if d.instruction.group.name == "CSR":
                assert f["csr"] != CSR_ADDRESSES["mhartid"]
