"""Is this file HDF5? One check for every reader of HDF5 formats (SHD spikes, NIR graphs),
so that a file of another kind gets a clear error instead of h5py's."""

from __future__ import annotations

from pathlib import Path

__all__ = ["HDF5_SIGNATURE", "not_hdf5"]

#: the first bytes of every HDF5 file
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def not_hdf5(path: Path) -> str | None:
    """Why ``path`` is not HDF5 ("is empty", "is not HDF5"), or None if it is."""
    with open(path, "rb") as file:
        start = file.read(len(HDF5_SIGNATURE))
    if start == HDF5_SIGNATURE:
        return None
    return "is empty" if not start else "is not HDF5"
