"""A compile whose fixed point wrecks the network says so (fenn.compiler.quality)."""

import warnings

import numpy as np
import pytest

import fenn
from fenn import cli
from fenn.errors import QuantisationError, QuantisationWarning
from fenn.models import NeuronModel, StateVar


def outlier_network(outlier=1e6):
    rng = np.random.default_rng(0)
    net = fenn.Network(dt=1.0)
    inp = net.input(20, name="inp")
    hid = net.population(10, fenn.models.LIF(tau_mem=20.0, v_thresh=1.0), name="hid")
    weights = rng.normal(0, 0.3, (20, 10))
    weights[3, 7] = outlier
    net.connect(inp, hid, weights=weights)
    net.record(hid.spikes)
    return net


def test_one_outlier_weight_warns_naming_it_and_the_fixes():
    with pytest.warns(QuantisationWarning) as record:
        program = fenn.compile(outlier_network(), 10)
    message = str(record[0].message)
    assert record[0].filename == __file__
    assert "connection 'inp_to_hid'" in message and "in s15.0" in message
    assert "1e+06 (inp[3] -> hid[7])" in message and "weight(s) saturate" in message
    assert "round to 0" in message and "np.clip" in message
    assert "formats={'hid': 's4.11'}" in message          # the format without the outlier
    # the warning reports what inspect reports
    report = program.meta["report"]["weights"]["inp_to_hid"]
    assert f"{100 * report['rms_relative']:.3g} %" in message and report["rms_relative"] > 0.9


def test_the_suggested_format_removes_the_warning():
    net = outlier_network(outlier=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantisationWarning)
        fenn.compile(net, 10)


def test_error_mode_refuses_and_ignore_mode_accepts():
    with pytest.raises(QuantisationError, match="inp_to_hid"):
        fenn.compile(outlier_network(), 10, quantisation="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantisationWarning)
        fenn.compile(outlier_network(), 10, quantisation="ignore")
    with pytest.raises(ValueError, match="quantisation must be one of"):
        fenn.compile(outlier_network(), 10, quantisation="loud")


class Drifting(NeuronModel):
    """A constant input below the format's resolution: it rounds away entirely."""

    def state(self):
        return {"v": StateVar(0.0)}

    def magnitude(self):
        return 100.0

    def update(self, s, i, dt):
        s.v = s.v * 0.5 + 0.001 + i
        return s.v > 10.0


def test_a_constant_that_rounds_away_warns_with_a_format_that_keeps_it():
    net = fenn.Network(dt=1.0)
    inp = net.input(4, name="inp")
    pop = net.population(4, Drifting(), name="drift")
    net.connect(inp, pop, weights=np.eye(4))
    with pytest.warns(QuantisationWarning, match=r"population 'drift'.*worst 0.001 .* -> 0 in "
                                                 r"s7.8 \(100 %\).*formats=\{'drift': 's5.10'\}"):
        fenn.compile(net, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuantisationWarning)
        fenn.compile(net, 5, formats={"drift": "s5.10"})


def test_cli_prints_the_warning_and_can_refuse(tmp_path, capsys):
    source = tmp_path / "net.py"
    source.write_text("import numpy as np, fenn\n"
                      "net = fenn.Network(dt=1.0)\n"
                      "inp = net.input(20, name='inp')\n"
                      "hid = net.population(10, fenn.models.LIF(tau_mem=20.0), name='hid')\n"
                      "w = np.full((20, 10), 0.1); w[3, 7] = 1e6\n"
                      "net.connect(inp, hid, weights=w)\n")
    assert cli.main(["compile", str(source), "-T", "5", "-o", str(tmp_path / "a.npz")]) == 0
    err = capsys.readouterr().err
    assert "fenn: warning: connection 'inp_to_hid'" in err
    assert cli.main(["compile", str(source), "-T", "5", "--quantisation", "error"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fenn: error: connection 'inp_to_hid'") and "Traceback" not in err
