"""Every input form reaches fenn.run the same way: rasters, event lists, batches and
SHD-format files give identical runs on the simulator."""

import numpy as np
import pytest

import fenn
from fenn.inputs import Events, SHDFile, write_shd, write_synthetic_shd
from fenn.models import LIF, shd_classifier
from fenn.runtime import InputError

T = 20


@pytest.fixture(scope="module")
def program():
    net = fenn.Network(dt=1.0)
    inp = net.input(5, name="inp")
    pop = net.population(4, LIF(tau_mem=10.0, v_thresh=0.5), name="pop")
    net.connect(inp, pop, weights=np.random.default_rng(0).uniform(0.1, 0.4, (5, 4)))
    net.record(pop.spikes)
    net.record(pop.v)
    return fenn.compile(net, timesteps=T)


def sample(seed):
    raster = np.random.default_rng(seed).random((T, 5)) < 0.3
    steps, units = np.nonzero(raster)
    # times anywhere inside their 1 ms step, in milliseconds (the network's dt unit)
    times = steps + np.random.default_rng(seed + 100).uniform(0, 0.999, steps.size)
    return raster, times, units


def test_raster_and_event_list_give_the_same_run(program):
    raster, times, units = sample(1)
    by_raster = fenn.run(program, {"inp": raster}, progress=False)
    assert by_raster["pop.spikes"].sum() > 0
    for form in ((times, units), Events(times, units)):
        by_events = fenn.run(program, {"inp": form}, progress=False)
        for key in ("pop.spikes", "pop.v"):
            assert np.array_equal(by_events.raw[key], by_raster.raw[key]), key


def test_batch_forms_give_the_same_run(program):
    samples = [sample(s) for s in range(3)]
    rasters = np.stack([r for r, _, _ in samples])
    reference = fenn.run(program, {"inp": rasters}, progress=False)
    events = fenn.run(program, {"inp": [(t, u) for _, t, u in samples]}, progress=False)
    assert np.array_equal(events.raw["pop.spikes"], reference.raw["pop.spikes"])
    for s in range(3):
        alone = fenn.run(program, {"inp": rasters[s]}, progress=False)
        assert np.array_equal(alone.raw["pop.spikes"][0], reference.raw["pop.spikes"][s])


def test_late_events_are_an_input_error(program):
    with pytest.raises(InputError, match=r"fall after the last timestep.*late='drop'"):
        fenn.run(program, {"inp": (np.array([3.0, 25.0]), np.array([0, 1]))})


def test_shd_file_batches_run_like_their_rasters(program, tmp_path):
    samples = [sample(s) for s in range(4)]
    # SHD stores seconds: 1 ms steps -> times / 1000
    path = write_shd(tmp_path / "tiny.h5", [t / 1000 for _, t, _ in samples],
                     [u for _, _, u in samples], [0, 1, 2, 3])
    with SHDFile(path, n_units=5) as f:
        batch = f.batch(dt=1.0, timesteps=T)
    assert np.array_equal(batch.rasters, np.stack([r for r, _, _ in samples]))
    from_file = fenn.run(program, {"inp": batch}, progress=False)
    from_rasters = fenn.run(program, {"inp": batch.rasters}, progress=False)
    assert np.array_equal(from_file.raw["pop.spikes"], from_rasters.raw["pop.spikes"])


def test_shd_classifier_runs_a_synthetic_shd_file(tmp_path):
    """SHD-format file -> batches -> the SHD-shaped network on the simulator, checked
    against the reference model; batches reuse the one compiled program."""
    path = write_synthetic_shd(tmp_path / "syn.h5", 4, rng=np.random.default_rng(5),
                               rate=7.0, duration=0.06)
    program = fenn.compile(shd_classifier(rng=np.random.default_rng(0)), timesteps=60)
    hidden, readouts = [], []
    with SHDFile(path) as f:
        for batch in f.batches(2, dt=1.0, timesteps=60):
            result = fenn.run(program, {"input": batch}, check=True, progress=False)
            hidden.append(result["hidden.spikes"])
            readouts.append(result["output.v"])
            assert result.stats.samples == 2
    hidden = np.concatenate(hidden)
    assert hidden.shape == (4, 60, 256) and hidden.sum() > 0
    assert np.concatenate(readouts).shape == (4, 20)
