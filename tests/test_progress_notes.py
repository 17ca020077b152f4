"""Steps that take a while say so on stderr first (fenn.progress): the first Numba compile
of a network's reference model, emitting the SoC's Verilog, building the RTL simulation."""

import numpy as np
import pytest

import fenn
from fenn.progress import note


@pytest.fixture(autouse=True)
def not_quiet(monkeypatch):
    """The notes are what these tests check: a FENN_QUIET=1 in the caller's environment
    must not silence them."""
    monkeypatch.delenv("FENN_QUIET", raising=False)


def test_note_prints_one_line_unless_quiet(capsys, monkeypatch):
    note("doing something slow")
    assert capsys.readouterr().err == "fenn: doing something slow\n"
    monkeypatch.setenv("FENN_QUIET", "1")
    note("doing something slow")
    assert capsys.readouterr().err == ""


def test_the_first_reference_compile_of_a_network_says_so(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("FENN_CACHE", str(tmp_path))
    net = fenn.Network(dt=1.0)
    inp = net.input(13, name="inp")
    pop = net.population(11, fenn.models.LIF(tau_mem=17.0, v_thresh=0.7), name="seldom")
    net.connect(inp, pop, weights=np.full((13, 11), 0.21))
    net.record(pop.spikes)
    program = fenn.compile(net, 3)
    spikes = np.ones((3, 13), dtype=bool)
    fenn.run(program, spikes, backend="reference")
    assert "fenn: compiling the reference model of this network with Numba" in capfd.readouterr().err
    fenn.run(program, spikes, backend="reference")
    assert "compiling the reference model" not in capfd.readouterr().err


def test_the_rtl_build_says_so_once(tmp_path, monkeypatch, capsys):
    pytest.importorskip("cocotb_tools")
    import cocotb_tools.runner
    import fenn.hw.session as session

    class Runner:                      # a stand-in for cocotb's simulator runner
        def build(self, **options):
            pass

    monkeypatch.setattr(cocotb_tools.runner, "get_runner", lambda simulator: Runner())
    monkeypatch.setattr(session, "_verilog", lambda soc, top=None: "module fenn_core; endmodule\n")
    session.build(fenn.DEFAULT_SOC, "icarus", tmp_path)
    err = capsys.readouterr().err
    assert "fenn: emitting the SoC's Verilog with Amaranth" in err
    assert "fenn: building the RTL simulation with icarus" in err
    session.build(fenn.DEFAULT_SOC, "icarus", tmp_path)
    assert capsys.readouterr().err == ""
