"""Input conversions: event lists -> rasters, raster checks, batches, SHD-format files."""

import h5py
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fenn.inputs import (Events, SpikeBatch, SHDFile, events_to_raster, check_raster, read_shd,
                         synthetic_shd_events, to_batch, to_raster, write_shd,
                         write_synthetic_shd)


def slow_raster(times, units, n_units, dt, timesteps):
    """Independent model: walk the steps, an event belongs to step k if k*dt <= t < (k+1)*dt."""
    raster = np.zeros((timesteps, n_units), dtype=bool)
    for t, u in zip(times, units):
        for k in range(timesteps):
            if k * dt <= t < (k + 1) * dt:
                raster[k, u] = True
    return raster


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.data())
def test_events_to_raster_matches_step_walk(data):
    n_units = data.draw(st.integers(1, 9))
    timesteps = data.draw(st.integers(1, 12))
    dt = data.draw(st.sampled_from([0.25, 0.5, 1.0, 2.0]))   # exact in binary: no edge fuzz
    # times on a grid of dt/4 so boundaries are hit often
    quarter = data.draw(st.lists(st.integers(0, 4 * timesteps - 1), max_size=30))
    times = np.array(quarter, dtype=float) * dt / 4
    units = np.array(data.draw(st.lists(st.integers(0, n_units - 1), min_size=len(times),
                                        max_size=len(times))), dtype=int)
    got, dropped, merged = events_to_raster(times, units, n_units, dt, timesteps, counts=True)
    assert np.array_equal(got, slow_raster(times, units, n_units, dt, timesteps))
    assert dropped == 0
    assert merged == len(times) - len(set(zip((times // dt).astype(int), units)))


def test_boundary_event_goes_to_the_later_step_despite_float_error():
    # 0.3 / 0.1 == 2.9999999999999996 in floating point; the event is on the boundary of step 3
    raster = events_to_raster([0.0, 0.3, 0.7], [0, 1, 2], 3, dt=0.1, timesteps=10)
    assert np.argwhere(raster).tolist() == [[0, 0], [3, 1], [7, 2]]


def test_t_start_shifts_the_window():
    raster = events_to_raster([10.0, 12.5], [0, 1], 2, dt=1.0, timesteps=4, t_start=10.0)
    assert np.argwhere(raster).tolist() == [[0, 0], [2, 1]]


def test_timesteps_inferred_from_last_event():
    raster = events_to_raster([0.0, 4.2], [1, 0], 2, dt=1.0)
    assert raster.shape == (5, 2) and raster[4, 0] and raster[0, 1]


def test_empty_event_list():
    assert not events_to_raster([], [], 3, dt=1.0, timesteps=4).any()
    with pytest.raises(ValueError, match="cannot infer the number of timesteps"):
        events_to_raster([], [], 3, dt=1.0)


def test_late_events_error_names_the_fix_or_are_dropped_and_counted():
    with pytest.raises(ValueError, match=r"2 event\(s\) fall after the last timestep.*late='drop'"):
        events_to_raster([1.0, 5.0, 9.0], [0, 0, 1], 2, dt=1.0, timesteps=4)
    raster, dropped, merged = events_to_raster([1.0, 5.0, 9.0], [0, 0, 1], 2, dt=1.0,
                                               timesteps=4, late="drop", counts=True)
    assert dropped == 2 and merged == 0 and raster.sum() == 1


@pytest.mark.parametrize("times, units, needle", [
    ([1.0, 2.0], [0], "2 times but 1 units"),
    ([1.0], [5], r"units outside 0..2 \(e.g. unit 5\)"),
    ([1.0], [-1], "units outside"),
    ([1.0], [0.5], "units must be integers"),
    ([-0.5], [0], "before t_start"),
    ([np.nan], [0], "NaN"),
    ([[1.0]], [[0]], "must be 1-D"),
])
def test_bad_event_lists_are_named(times, units, needle):
    with pytest.raises(ValueError, match=needle):
        events_to_raster(times, units, 3, dt=1.0, timesteps=4)


def test_bad_dt():
    with pytest.raises(ValueError, match="dt must be a positive number"):
        events_to_raster([0.0], [0], 1, dt=0.0, timesteps=1)


def test_check_raster():
    assert check_raster(np.eye(3, dtype=np.int8), 3).dtype == bool
    with pytest.raises(ValueError, match="transposed"):
        check_raster(np.zeros((3, 5), bool), 3)
    with pytest.raises(ValueError, match="values must be 0/1"):
        check_raster(np.full((2, 3), 2), 3)
    with pytest.raises(ValueError, match="has 2 timesteps, expected 4"):
        check_raster(np.zeros((2, 3), bool), 3, timesteps=4)


def test_to_raster_accepts_events_and_rasters():
    r = np.zeros((4, 2), bool)
    r[1, 0] = r[3, 1] = True
    assert np.array_equal(to_raster(r, 2, 4), r)
    assert np.array_equal(to_raster(([1.5, 3.0], [0, 1]), 2, 4, dt=1.0), r)
    assert np.array_equal(to_raster(Events([1.5, 3.0], [0, 1]), 2, 4, dt=1.0), r)


def test_to_batch_forms_agree():
    rng = np.random.default_rng(1)
    rasters = rng.random((3, 5, 4)) < 0.3
    events = [(np.nonzero(r)[0] + 0.5, np.nonzero(r)[1]) for r in rasters]
    for form in (rasters, list(rasters), events, rasters.astype(np.uint8)):
        batch = to_batch(form, 4, 5)
        assert isinstance(batch, SpikeBatch) and len(batch) == 3
        assert np.array_equal(batch.rasters, rasters)
    single = to_batch(rasters[0], 4, 5)
    assert single.rasters.shape == (1, 5, 4)
    with pytest.raises(ValueError, match=r"input\[1\]: raster has 3 columns"):
        to_batch([rasters[0], np.zeros((5, 3), bool)], 4, 5)
    assert to_batch(rasters, 4, 5).rasters is rasters          # bool batches are not copied
    with pytest.raises(ValueError, match="batch has 6 timesteps, expected 5"):
        to_batch(np.zeros((2, 6, 4), bool), 4, 5)
    with pytest.raises(ValueError, match="raster has 3 columns"):
        to_batch(np.zeros((2, 5, 3), bool), 4, 5)
    with pytest.raises(ValueError, match="values must be 0/1"):
        to_batch(np.full((2, 5, 4), 3), 4, 5)


# --------------------------------------------------------------------------- SHD files

def test_shd_round_trip(tmp_path):
    times = [np.array([0.0, 0.0015, 0.0102]), np.array([], float), np.array([0.002, 0.0025])]
    units = [np.array([3, 699, 3]), np.array([], int), np.array([7, 7])]
    path = write_shd(tmp_path / "tiny.h5", times, units, [4, 0, 19])
    with h5py.File(path) as f:       # the layout SHD uses
        assert set(f) == {"spikes", "labels"} and set(f["spikes"]) == {"times", "units"}
    batch = read_shd(path, dt=1.0, timesteps=11)
    assert batch.labels.tolist() == [4, 0, 19]
    assert batch.rasters.shape == (3, 11, 700)
    expected = np.zeros((3, 11, 700), bool)
    expected[0, 0, 3] = expected[0, 1, 699] = expected[0, 10, 3] = True
    expected[2, 2, 7] = True              # 2.0 ms and 2.5 ms: both in step 2, merged
    assert np.array_equal(batch.rasters, expected)
    assert batch.merged.tolist() == [0, 0, 1] and batch.dropped.tolist() == [0, 0, 0]
    short = read_shd(path, dt=1.0, timesteps=10)
    assert short.dropped.tolist() == [1, 0, 0]
    with pytest.raises(ValueError, match="fall after the last timestep"):
        read_shd(path, dt=1.0, timesteps=10, late="error")


def test_shd_events_and_batches(tmp_path):
    rng = np.random.default_rng(7)
    path = write_synthetic_shd(tmp_path / "syn.h5", 5, rng=rng, rate=2.0, duration=0.05)
    with SHDFile(path) as f:
        assert len(f) == 5
        ev = f.events(2)
        assert ev.units.max() < 700 and ev.times.max() < 50.0     # milliseconds
        batches = list(f.batches(2, dt=1.0, timesteps=50))
        assert [len(b) for b in batches] == [2, 2, 1]
        whole = f.batch(dt=1.0, timesteps=50)
        assert np.array_equal(np.concatenate([b.rasters for b in batches]), whole.rasters)
        assert np.array_equal(whole.labels, f.labels)
        # binning the stored events by hand gives the same raster
        for i in range(5):
            e = f.events(i)
            assert np.array_equal(whole.rasters[i], slow_raster(e.times, e.units, 700, 1.0, 50))
        with pytest.raises(IndexError, match="sample 5 out of range"):
            f.events(5)


def test_synthetic_events_rate_and_labels():
    rng = np.random.default_rng(3)
    times, units, labels = synthetic_shd_events(40, rng=rng, rate=7.0, duration=0.2)
    counts = np.array([len(t) for t in times])
    assert abs(counts.mean() - 7.0 * 200) < 3 * np.sqrt(7.0 * 200 / 40)
    assert labels.min() >= 0 and labels.max() < 20
    assert all(np.all(np.diff(t) >= 0) and t.max() < 0.2 for t in times)
    # half the spikes sit in the label's band of 35 units
    band = np.concatenate([(u // 35) == lab for u, lab in zip(units, labels)])
    assert 0.45 < band.mean() < 0.6


def test_not_an_shd_file(tmp_path):
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f["labels"] = np.zeros(2)
    with pytest.raises(ValueError, match=r"not an SHD-format file: missing /spikes/times"):
        SHDFile(tmp_path / "x.h5")
    with pytest.raises(FileNotFoundError):
        SHDFile(tmp_path / "nope.h5")
