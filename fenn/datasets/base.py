"""What every data set split offers: a length, labels and batches of rasters."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..errors import FennError
from ..inputs import SpikeBatch

__all__ = ["Split", "DatasetError"]


class DatasetError(FennError, ValueError):
    """A data set that cannot be read (missing or malformed files).

    Fix: the message says where to get the files or what is wrong with them.
    """


class Split:
    """One split (train or test) of a data set: ``len(split)``, ``split.labels``,
    ``split.batch(indices)`` -> :class:`SpikeBatch` (samples, timesteps, units), and
    ``split.rasters`` for all samples at once (fine for small data sets)."""

    def __init__(self, name: str, labels: np.ndarray, load: Callable[[list], np.ndarray],
                 units: int, timesteps: int):
        self.name, self.labels = name, np.asarray(labels, dtype=np.int64)
        self.units, self.timesteps = units, timesteps
        self._load = load
        self._all = None

    def __len__(self) -> int:
        return len(self.labels)

    def batch(self, indices: Sequence[int] | slice | None = None) -> SpikeBatch:
        if indices is None:
            indices = range(len(self))
        elif isinstance(indices, slice):
            indices = range(*indices.indices(len(self)))
        indices = [int(i) for i in indices]
        return SpikeBatch(self._load(indices), labels=self.labels[indices])

    @property
    def rasters(self) -> np.ndarray:
        if self._all is None:
            self._all = self.batch().rasters
        return self._all

    def __repr__(self):
        return (f"Split({self.name!r}, {len(self)} samples, {self.timesteps} timesteps x "
                f"{self.units} units, {len(np.unique(self.labels))} classes)")
