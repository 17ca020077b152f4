"""fenn.datasets: spike data sets with train/test splits, ready for ``fenn.train`` and
``fenn.run``.

- :class:`Randman` — random manifolds (Zenke & Vogels 2021), generated here from a seed:
  the built-in data set, nothing to download.
- :class:`SHD`, :class:`SSC` — the Spiking Heidelberg Digits / Spiking Speech Commands
  HDF5 files, read lazily through :class:`fenn.inputs.SHDFile`.
- :class:`NMNIST` — N-MNIST from its original binary event files.

Every split has ``len()``, ``labels`` and ``batch(indices)`` (a
:class:`fenn.inputs.SpikeBatch`); the small ones also hold ``rasters``.
"""

from __future__ import annotations

from .base import DatasetError, Split
from .randman import Randman
from .files import SHD, SSC, NMNIST, read_nmnist_events, write_nmnist_events

__all__ = ["Randman", "SHD", "SSC", "NMNIST", "Split", "DatasetError", "read_nmnist_events",
           "write_nmnist_events"]
