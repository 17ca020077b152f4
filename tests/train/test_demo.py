"""`make demo` end to end on a small configuration: trains, deploys (the run is checked
against the reference model inside), reports the figures and writes the plots."""

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("matplotlib")

from fenn.demo import Config, run_demo


@pytest.mark.slow
def test_demo_trains_deploys_and_plots(tmp_path):
    lines = []
    config = Config(classes=3, units=20, timesteps=30, samples_per_class=40, hidden=16, epochs=6,
                    qat_epochs=1, batch_size=16, lr=1e-2)
    figures = run_demo(config, tmp_path, log=lines.append)
    text = "\n".join(lines)
    assert f"{100 * figures['fixed_accuracy']:.1f}%" in text
    assert f"{100 * figures['float_accuracy']:.1f}%" in text
    assert figures["fixed_accuracy"] > 2 * figures["chance"]          # it learned something
    assert figures["cycles_per_timestep"] > 0
    names = sorted(p.rsplit("/", 1)[1] for p in figures["paths"])
    assert names == ["confusion.png", "membranes.png", "raster.png", "results.npz", "training.png"]
    for path in figures["paths"]:
        assert path in text
        if path.endswith(".png"):
            assert open(path, "rb").read(4) == b"\x89PNG"
    saved = np.load(tmp_path / "results.npz")
    assert np.mean(saved["predicted"] == saved["labels"]) == pytest.approx(figures["fixed_accuracy"])
