"""fenn.plot and `fenn plot`: the pictures show the data they are given, and a results
file from a real run becomes PNGs whose paths are printed."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import fenn
from fenn.cli import main
from fenn.plot import PlotError

PNG = b"\x89PNG\r\n\x1a\n"


def test_raster_draws_exactly_the_spikes():
    rng = np.random.default_rng(0)
    spikes = rng.random((40, 12)) < 0.1
    fig = fenn.plot.raster(spikes, dt=0.5)
    points = fig.axes[0].collections[0].get_offsets()
    expected = np.argwhere(spikes) * [0.5, 1]
    assert np.array_equal(np.asarray(points), expected)
    assert f"({spikes.sum()} spikes)" in fig.axes[0].get_title()


def test_traces_draw_one_line_per_neuron_with_the_values():
    values = np.arange(30.0).reshape(10, 3)
    fig = fenn.plot.traces(values, highlight=1)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    assert np.array_equal(lines[2].get_ydata(), values[:, 2])
    assert lines[1].get_linewidth() > lines[0].get_linewidth()


def test_confusion_matrix_counts_and_accuracy_title():
    labels, predicted = [0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2]
    matrix = fenn.plot.confusion_matrix(labels, predicted)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    fig = fenn.plot.confusion(labels, predicted)
    assert "accuracy 66.7%" in fig.axes[0].get_title()
    with pytest.raises(PlotError, match="one length"):
        fenn.plot.confusion_matrix([0, 1], [0])


def test_fenn_plot_draws_a_saved_run(tmp_path, capsys):
    rng = np.random.default_rng(1)
    net = fenn.Network()
    inp = net.input(8, name="inp")
    hid = net.population(6, fenn.models.LIF(tau_mem=10.0, v_thresh=0.5), name="hid")
    out = net.population(3, fenn.models.LI(), name="out")
    net.connect(inp, hid, weights=rng.normal(0.3, 0.1, (8, 6)))
    net.connect(hid, out, weights=rng.normal(0.0, 0.5, (6, 3)))
    net.record(hid.spikes)
    net.record(out.v)
    program = fenn.compile(net, 20)
    result = fenn.run(program, {"inp": rng.random((4, 20, 8)) < 0.3}, backend="reference")
    predicted = result["out.v"].mean(axis=1).argmax(axis=1)
    path = fenn.plot.save_results(tmp_path / "results.npz", result, labels=[0, 1, 2, 0],
                                  predicted=predicted)
    assert main(["plot", str(path), "--sample", "2", "-o", str(tmp_path / "pictures")]) == 0
    printed = capsys.readouterr().out.split()
    assert sorted(p.rsplit("/", 1)[1] for p in printed) == [
        "results_confusion.png", "results_hid_spikes.png", "results_out_v.png"]
    for p in printed:
        assert open(p, "rb").read(8) == PNG


def test_a_one_sample_run_is_saved_batched(tmp_path):
    net = fenn.Network()
    inp = net.input(3, name="inp")
    pop = net.population(2, fenn.models.IF(v_thresh=0.5), name="pop")
    net.connect(inp, pop, weights=np.full((3, 2), 0.3))
    net.record(pop.spikes)
    result = fenn.run(fenn.compile(net, 5), {"inp": np.ones((5, 3), bool)}, backend="float")
    path = fenn.plot.save_results(tmp_path / "one.npz", result, cycles=np.array([7]))
    saved = np.load(path)
    assert saved["pop.spikes"].shape == (1, 5, 2) and saved["pop.spikes"].any()
    assert saved["cycles"].tolist() == [7]
    assert len(fenn.plot.plot_results(path)) == 1


def test_fenn_plot_errors_name_the_problem(tmp_path, capsys):
    assert main(["plot", str(tmp_path / "none.npz")]) == 1
    assert "no such results file" in capsys.readouterr().err
    np.savez(tmp_path / "flat.npz", **{"out.v": np.zeros((2, 3))})
    assert main(["plot", str(tmp_path / "flat.npz")]) == 1
    assert "nothing to plot" in capsys.readouterr().err
    np.savez(tmp_path / "one.npz", **{"hid.spikes": np.zeros((2, 5, 3), bool)})
    assert main(["plot", str(tmp_path / "one.npz"), "--sample", "4"]) == 1
    assert "sample 4 out of range" in capsys.readouterr().err
