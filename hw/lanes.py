"""Conversions between numpy lane arrays and the flat bit vectors the RTL carries."""

from __future__ import annotations

import numpy as np

__all__ = ["pack_lanes", "unpack_lanes"]


def pack_lanes(values, bits: int = 16) -> int:
    """Lane i of ``values`` -> bits [bits*i, bits*(i+1)) of one integer."""
    dtype = {16: "<u2", 32: "<u4"}[bits]
    data = np.asarray(values).astype(np.int64).astype(np.uint64) & ((1 << bits) - 1)
    return int.from_bytes(data.astype(dtype).tobytes(), "little")


def unpack_lanes(value: int, lanes: int = 32, bits: int = 16, signed: bool = True) -> np.ndarray:
    """The inverse of :func:`pack_lanes`: an int16 (or uint16) array."""
    raw = int(value).to_bytes(lanes * bits // 8, "little")
    kind = ("<i" if signed else "<u") + str(bits // 8)
    return np.frombuffer(raw, dtype=kind).copy()
