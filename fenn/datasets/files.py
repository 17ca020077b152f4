"""Data sets read from their published files: SHD and SSC (HDF5), N-MNIST (binary events).

Nothing is downloaded here: give the folder that holds the files, and a missing file
raises :class:`DatasetError` saying which file and where to get it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..inputs import SHDFile, bin_events
from .base import DatasetError, Split

__all__ = ["SHD", "SSC", "NMNIST", "read_nmnist_events", "write_nmnist_events"]

_HEIDELBERG = ("https://zenkelab.org/datasets/ (the Heidelberg spiking data sets; download "
               "{name}.gz and gunzip it)")


class _Heidelberg:
    """SHD-layout HDF5 files ``<prefix>_<split>.h5`` in ``root``; samples binned at ``dt``
    ms into ``timesteps`` steps (later events are dropped, as usual for these sets)."""
    prefix = ""
    splits: tuple = ()
    units = 700

    def __init__(self, root, *, dt: float = 10.0, timesteps: int = 100):
        self.root, self.dt, self.timesteps = Path(root), float(dt), int(timesteps)
        for split in self.splits:
            setattr(self, split, self._split(split))

    def _split(self, split: str) -> Split:
        path = self.root / f"{self.prefix}_{split}.h5"
        if not path.is_file():
            raise DatasetError(f"{type(self).__name__}: {path} does not exist; get it from "
                               + _HEIDELBERG.format(name=path.name))
        try:
            file = SHDFile(path, n_units=self.units)
        except ValueError as error:
            raise DatasetError(str(error)) from None

        def load(indices):
            return file.batch(indices, dt=self.dt, timesteps=self.timesteps).rasters
        return Split(f"{self.prefix} {split}", file.labels, load, self.units, self.timesteps)


class SHD(_Heidelberg):
    """Spiking Heidelberg Digits: ``shd_train.h5`` and ``shd_test.h5`` in ``root``."""
    prefix, splits = "shd", ("train", "test")


class SSC(_Heidelberg):
    """Spiking Speech Commands: ``ssc_train.h5``, ``ssc_valid.h5``, ``ssc_test.h5``."""
    prefix, splits = "ssc", ("train", "valid", "test")


# --------------------------------------------------------------------------- N-MNIST

NMNIST_SIZE = 34
_NMNIST_SOURCE = ("https://www.garrickorchard.com/datasets/n-mnist (Train.zip and Test.zip, "
                  "unzipped into Train/ and Test/, one folder per digit of .bin files)")


def read_nmnist_events(path):
    """One N-MNIST recording: (x, y, polarity, timestamp in µs) arrays.

    The original format: 5 bytes per event, big-endian bit fields: x (8 bits), y (8),
    polarity (1), timestamp (23 bits, microseconds).
    """
    data = np.fromfile(path, dtype=np.uint8)
    if data.size % 5:
        raise DatasetError(f"{path}: {data.size} bytes is not a whole number of 5-byte N-MNIST "
                           f"events; is it an N-MNIST .bin file?")
    events = data.reshape(-1, 5).astype(np.int64)
    x, y = events[:, 0], events[:, 1]
    polarity = events[:, 2] >> 7
    time = ((events[:, 2] & 0x7F) << 16) | (events[:, 3] << 8) | events[:, 4]
    return x, y, polarity, time


def write_nmnist_events(path, x, y, polarity, time) -> Path:
    """Write events in the original N-MNIST binary format (see :func:`read_nmnist_events`)."""
    x, y, polarity, time = (np.asarray(a, dtype=np.int64) for a in (x, y, polarity, time))
    if np.any((time < 0) | (time >= 1 << 23)) or np.any((x < 0) | (x > 255) | (y < 0) | (y > 255)):
        raise ValueError("N-MNIST events hold x, y in 0..255 and times in 0..2**23-1 µs")
    out = np.empty((x.size, 5), dtype=np.uint8)
    out[:, 0], out[:, 1] = x, y
    out[:, 2] = (polarity.astype(bool) << 7) | (time >> 16)
    out[:, 3], out[:, 4] = (time >> 8) & 0xFF, time & 0xFF
    Path(path).write_bytes(out.tobytes())
    return Path(path)


class NMNIST:
    """N-MNIST (Orchard et al. 2015) from ``root/Train/<digit>/*.bin`` and
    ``root/Test/<digit>/*.bin``.

    Input units are ``34 x 34 x 2`` = 2,312, flattened as (polarity, y, x) in C order:
    unit ``polarity * 1156 + y * 34 + x`` (NIR's (2, 34, 34) input shape). Events are
    binned at ``dt`` ms (timestamps are µs) into ``timesteps`` steps; later ones are
    dropped.
    """
    units = 2 * NMNIST_SIZE * NMNIST_SIZE

    def __init__(self, root, *, dt: float = 1.0, timesteps: int = 300):
        self.root, self.dt, self.timesteps = Path(root), float(dt), int(timesteps)
        self.train = self._split("Train")
        self.test = self._split("Test")

    def _split(self, folder: str) -> Split:
        base = self.root / folder
        files = sorted(base.glob("[0-9]/*.bin")) if base.is_dir() else []
        if not files:
            raise DatasetError(f"NMNIST: no recordings in {base} (expected {base}/0/*.bin ... "
                               f"{base}/9/*.bin); get them from {_NMNIST_SOURCE}")
        labels = np.array([int(f.parent.name) for f in files])

        def load(indices):
            rasters = np.zeros((len(indices), self.timesteps, self.units), dtype=bool)
            for row, i in enumerate(indices):
                x, y, p, t = read_nmnist_events(files[i])
                if np.any((x >= NMNIST_SIZE) | (y >= NMNIST_SIZE)):
                    raise DatasetError(f"{files[i]}: pixel outside 34 x 34; not an N-MNIST file?")
                steps, units, _, _ = bin_events(t / 1000.0, p * NMNIST_SIZE ** 2 + y * NMNIST_SIZE + x,
                                                self.units, self.dt, self.timesteps, late="drop",
                                                what=str(files[i]))
                rasters[row, steps, units] = True
            return rasters
        return Split(f"nmnist {folder.lower()}", labels, load, self.units, self.timesteps)
