"""fenn.datasets: Randman is seeded and learnable in shape; SHD/SSC and N-MNIST read small
files written in the real formats; missing files say where to get them."""

import numpy as np
import pytest

import fenn
from fenn.datasets import NMNIST, SHD, SSC, DatasetError, Randman, read_nmnist_events, write_nmnist_events
from fenn.inputs import write_shd


def test_randman_is_seeded_balanced_and_one_spike_per_unit():
    a = Randman(classes=4, units=12, timesteps=20, samples_per_class=30, seed=5)
    b = Randman(classes=4, units=12, timesteps=20, samples_per_class=30, seed=5)
    c = Randman(classes=4, units=12, timesteps=20, samples_per_class=30, seed=6)
    assert np.array_equal(a.train.rasters, b.train.rasters)
    assert np.array_equal(a.test.labels, b.test.labels)
    assert not np.array_equal(a.train.rasters, c.train.rasters)
    assert len(a.train) + len(a.test) == 120 and len(a.test) == 24
    assert a.train.rasters.shape == (96, 20, 12)
    assert np.all(a.train.rasters.sum(axis=1) == 1)          # one spike per unit per sample
    assert sorted(np.bincount(np.concatenate([a.train.labels, a.test.labels]))) == [30] * 4
    batch = a.test.batch([3, 1])
    assert np.array_equal(batch.rasters, a.test.rasters[[3, 1]])
    assert list(batch.labels) == [a.test.labels[3], a.test.labels[1]]


def test_randman_classes_are_separable_manifolds():
    """Samples lie on one smooth curve per class: the nearest training sample (in spike
    times) of a test sample is of its class far more often than chance."""
    data = Randman(classes=4, units=30, timesteps=50, samples_per_class=100, seed=0)
    train = data.train.rasters.argmax(axis=1).astype(float)            # (samples, units)
    test = data.test.rasters.argmax(axis=1).astype(float)
    nearest = np.abs(test[:, None, :] - train[None, :, :]).sum(axis=2).argmin(axis=1)
    accuracy = np.mean(data.train.labels[nearest] == data.test.labels)
    assert accuracy > 0.8, accuracy


def test_shd_and_ssc_read_their_splits(tmp_path):
    rng = np.random.default_rng(0)
    for name, n in (("shd_train", 5), ("shd_test", 3), ("ssc_train", 4), ("ssc_valid", 2), ("ssc_test", 2)):
        times = [np.sort(rng.uniform(0, 0.2, 30)) for _ in range(n)]
        units = [rng.integers(0, 700, 30) for _ in range(n)]
        write_shd(tmp_path / f"{name}.h5", times, units, rng.integers(0, 20, n))
    shd = SHD(tmp_path, dt=10.0, timesteps=25)
    assert (len(shd.train), len(shd.test)) == (5, 3)
    batch = shd.train.batch([0, 4])
    assert batch.rasters.shape == (2, 25, 700)
    with fenn.inputs.SHDFile(tmp_path / "shd_train.h5") as f:
        expected = fenn.inputs.events_to_raster(*(lambda e: (e.times, e.units))(f.events(4)),
                                                700, 10.0, 25, late="drop")
        assert np.array_equal(batch.rasters[1], expected)
        assert list(batch.labels) == [f.labels[0], f.labels[4]]
    ssc = SSC(tmp_path, dt=10.0, timesteps=25)
    assert (len(ssc.train), len(ssc.valid), len(ssc.test)) == (4, 2, 2)


def test_missing_files_say_where_to_get_them(tmp_path):
    with pytest.raises(DatasetError, match=r"shd_train\.h5 does not exist.*zenkelab"):
        SHD(tmp_path)
    with pytest.raises(DatasetError, match=r"no recordings in .*Train.*garrickorchard"):
        NMNIST(tmp_path)
    (tmp_path / "ssc_train.h5").write_text("not hdf5")
    with pytest.raises(Exception):
        SSC(tmp_path)


def test_nmnist_binary_events_round_trip_and_bin(tmp_path):
    rng = np.random.default_rng(2)
    written = {}
    for split in ("Train", "Test"):
        for digit in (3, 7):
            folder = tmp_path / split / str(digit)
            folder.mkdir(parents=True)
            x, y, p = rng.integers(0, 34, 50), rng.integers(0, 34, 50), rng.integers(0, 2, 50)
            t = np.sort(rng.integers(0, 300_000, 50))
            t[-1] = (1 << 23) - 1                           # the largest 23-bit timestamp
            write_nmnist_events(folder / "00001.bin", x, y, p, t)
            written[split, digit] = (x, y, p, t)
    x, y, p, t = written["Train", 7]
    assert all(np.array_equal(a, b) for a, b in zip(read_nmnist_events(tmp_path / "Train/7/00001.bin"),
                                                     (x, y, p, t)))
    data = NMNIST(tmp_path, dt=1.0, timesteps=300)
    assert list(data.train.labels) == [3, 7] and len(data.test) == 2
    raster = data.train.batch([1]).rasters[0]
    keep = t < 300_000
    expected = np.zeros((300, 2312), bool)
    expected[t[keep] // 1000, (p * 1156 + y * 34 + x)[keep]] = True
    assert np.array_equal(raster, expected)


def test_nmnist_refuses_a_file_that_is_not_5_byte_events(tmp_path):
    folder = tmp_path / "Train" / "1"
    folder.mkdir(parents=True)
    (folder / "bad.bin").write_bytes(b"\x00" * 7)
    (tmp_path / "Test" / "1").mkdir(parents=True)
    write_nmnist_events(tmp_path / "Test" / "1" / "a.bin", [1], [1], [0], [5])
    with pytest.raises(DatasetError, match="5-byte"):
        NMNIST(tmp_path).train.batch([0])
