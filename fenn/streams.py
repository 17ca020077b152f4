"""The input event stream a Program reads from DMEM, built in one compiled pass.

Per timestep the stream holds the number of input spikes, then the units that spiked, in
increasing order (uint16 halfwords). It is built from a raster packed 64 units per word
(:func:`pack_rows`), which is 8x smaller to scan and to ship to a worker process than a
bool raster; the scan skips empty words and takes each spike from the word's lowest set
bit, so a sample costs about its number of words plus its number of spikes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numba import njit

from .errors import InputError

__all__ = ["PackedRasters", "pack_rows", "row_bytes", "encode_packed"]

#: the bit index of a power of two x is _DEBRUIJN[(x * _MAGIC) >> 58] (64-bit wrap-around)
_MAGIC = 0x03F79D71B4CB0A89
_DEBRUIJN = np.zeros(64, np.int64)
for _bit in range(64):
    _DEBRUIJN[((_MAGIC << _bit) & 0xFFFFFFFFFFFFFFFF) >> 58] = _bit
_MAGIC, _ONE, _SHIFT = np.uint64(_MAGIC), np.uint64(1), np.uint64(58)


def row_bytes(units: int) -> int:
    """Bytes per packed timestep: ``units`` bits rounded up to whole 64-bit words."""
    return 8 * -(-units // 64)


def pack_rows(rasters: np.ndarray) -> np.ndarray:
    """Bool rasters (..., T, N) -> uint8 (..., T, row_bytes(N)): unit ``u`` of a timestep is
    bit ``u % 8`` of byte ``u // 8`` (little bit order), so a row read as little-endian
    uint64 words has unit ``64 * w + b`` in bit ``b`` of word ``w``."""
    packed = np.packbits(rasters, axis=-1, bitorder="little")
    pad = row_bytes(rasters.shape[-1]) - packed.shape[-1]
    if pad:
        packed = np.concatenate([packed, np.zeros((*packed.shape[:-1], pad), np.uint8)], -1)
    return packed


@dataclasses.dataclass
class PackedRasters:
    """Spike rasters (samples, timesteps, units) as :func:`pack_rows` packs them: what a
    shard of samples travels to a worker as, and what ``fenn.run`` encodes without
    unpacking."""
    bits: np.ndarray           # uint8 (samples, timesteps, row_bytes(units))
    units: int

    @classmethod
    def pack(cls, rasters: np.ndarray) -> "PackedRasters":
        return cls(pack_rows(rasters), rasters.shape[-1])

    @property
    def shape(self) -> tuple[int, int, int]:
        return (*self.bits.shape[:2], self.units)

    def __len__(self) -> int:
        return self.bits.shape[0]

    def unpack(self) -> np.ndarray:
        """The bool rasters (samples, timesteps, units)."""
        bits = np.unpackbits(self.bits, axis=-1, count=self.units, bitorder="little")
        return bits.view(bool)


def encode_packed(packed: np.ndarray, capacity: int, name: str) -> np.ndarray:
    """One sample's packed rows (T, row_bytes) -> its stream, refused (InputError) when
    it needs more than the ``capacity`` halfwords the Program has room for."""
    words = np.ascontiguousarray(packed).reshape(-1).view("<u8")
    steps = packed.shape[0]
    stream = np.empty(capacity, dtype=np.uint16)
    needed = _encode(words, steps, packed.shape[1] // 8, stream)
    if needed > capacity:
        raise InputError(f"input {name!r}: this sample has {needed - steps} spikes in "
                         f"{steps} timesteps and needs {needed} halfwords of DMEM but the "
                         f"program has room for {capacity}; compile with a larger input_capacity=, "
                         f"fewer timesteps, or a SocConfig with a larger dmem_bytes")
    return stream[:needed]


@njit(cache=True, nogil=True)
def _encode(words, steps, row_words, stream):
    capacity = stream.size
    k = 0
    for t in range(steps):
        head = k
        k += 1
        for i in range(row_words):
            word = words[t * row_words + i]
            while word:
                low = word & (~word + _ONE)
                if k < capacity:
                    stream[k] = 64 * i + _DEBRUIJN[(low * _MAGIC) >> _SHIFT]
                k += 1
                word ^= low
        if head < capacity:
            stream[head] = k - head - 1
    return k
