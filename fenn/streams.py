"""The input event stream a Program reads from DMEM, built from packed rasters in one
compiled pass.

Per timestep the stream holds the number of input spikes, then the units that spiked, in
increasing order (uint16 halfwords). A sample's raster (T, N) is first packed one bit per
(timestep, unit), in row-major order, 64 to a word (:func:`pack`): 8x less to read than
a bool raster, and 8x less to ship to a worker process. The stream is then built from the
packed words: empty words are skipped and each spike is taken from its word's lowest set
bit, so a sample costs about its number of words plus its number of spikes.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numba import njit

from .errors import InputError

__all__ = ["PackedRasters", "pack", "encode_packed"]

#: (a byte per unit, 0 or 1) x _GATHER >> 56: the 8 bytes of a word as the 8 bits of a byte
_GATHER = np.uint64(0x0102040810204080)
#: the bit index of a power of two x is _DEBRUIJN[(x * _MAGIC) >> 58] (64-bit wrap-around)
_MAGIC = 0x03F79D71B4CB0A89
_DEBRUIJN = np.zeros(64, np.int64)
for _bit in range(64):
    _DEBRUIJN[((_MAGIC << _bit) & 0xFFFFFFFFFFFFFFFF) >> 58] = _bit
_MAGIC, _ONE, _56, _58 = np.uint64(_MAGIC), np.uint64(1), np.uint64(56), np.uint64(58)


def packed_bytes(bits: int) -> int:
    """Bytes that hold ``bits`` bits as whole 64-bit words."""
    return 8 * -(-bits // 64)


def pack(rasters: np.ndarray) -> np.ndarray:
    """Rasters (samples, T, N; bool, or anything non-zero is a spike) -> uint8 (samples, packed_bytes(T * N)): bit ``b`` of
    byte ``j`` of a sample is its flat element ``8 j + b`` (numpy's little bit order), the
    rest zero, so read as little-endian uint64 words, element ``64 w + b`` is bit ``b``
    of word ``w``."""
    samples = rasters.shape[0]
    flat = np.ascontiguousarray(rasters, dtype=bool).reshape(samples, -1).view(np.uint8)
    out = np.zeros((samples, packed_bytes(flat.shape[1])), np.uint8)
    _pack(flat, out)
    return out


@njit(cache=True, nogil=True)
def _pack(flat, out):
    n = flat.shape[1]
    whole = n // 8
    for s in range(flat.shape[0]):
        row = flat[s]
        words = row[:whole * 8].view(np.uint64)
        packed = out[s]
        for i in range(whole):
            packed[i] = (words[i] * _GATHER) >> _56
        for j in range(whole * 8, n):
            if row[j]:
                packed[j // 8] |= np.uint8(1 << (j % 8))


@dataclasses.dataclass
class PackedRasters:
    """Spike rasters (samples, timesteps, units) as :func:`pack` packs them: what a shard
    of samples travels to a worker as, and what ``fenn.run`` encodes without unpacking."""
    bits: np.ndarray           # uint8 (samples, packed_bytes(timesteps * units))
    timesteps: int
    units: int

    @classmethod
    def pack(cls, rasters: np.ndarray) -> "PackedRasters":
        return cls(pack(rasters), rasters.shape[1], rasters.shape[2])

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.bits.shape[0], self.timesteps, self.units)

    def __len__(self) -> int:
        return self.bits.shape[0]

    def unpack(self) -> np.ndarray:
        """The bool rasters (samples, timesteps, units)."""
        bits = np.unpackbits(self.bits, axis=-1, count=self.timesteps * self.units,
                             bitorder="little")
        return bits.view(bool).reshape(self.shape)


def encode_packed(packed: np.ndarray, steps: int, units: int, capacity: int,
                  name: str) -> np.ndarray:
    """One sample's packed raster (:func:`pack`, one row) -> its stream, refused
    (InputError) when it needs more than the ``capacity`` halfwords the Program has room for."""
    words = np.ascontiguousarray(packed).view("<u8")
    stream = np.empty(capacity, dtype=np.uint16)
    needed = _encode(words, steps, units, stream)
    if needed > capacity:
        raise InputError(f"input {name!r}: this sample has {needed - steps} spikes in "
                         f"{steps} timesteps and needs {needed} halfwords of DMEM but the "
                         f"program has room for {capacity}; compile with a larger input_capacity=, "
                         f"fewer timesteps, or a SocConfig with a larger dmem_bytes")
    return stream[:needed]


@njit(cache=True, nogil=True)
def _encode(words, steps, units, stream):
    """Write the stream into ``stream`` as far as it has room; return its full length."""
    capacity = stream.size
    end = steps * units              # bits past it are padding
    head, k = 0, 1                   # where step t's count goes; the next free halfword
    t, first = 0, 0                  # the open timestep and its first element
    for w in range(words.size):
        word = words[w]
        while word:
            low = word & (~word + _ONE)
            element = 64 * w + _DEBRUIJN[(low * _MAGIC) >> _58]
            word ^= low
            if element >= end:
                break
            while element >= first + units:          # close step t, open the next
                if head < capacity:
                    stream[head] = k - head - 1
                head, k, t, first = k, k + 1, t + 1, first + units
            if k < capacity:
                stream[k] = element - first
            k += 1
    while True:                                      # close the open step and any later ones
        if head < capacity:
            stream[head] = k - head - 1
        t += 1
        if t >= steps:
            return k
        head, k = k, k + 1
