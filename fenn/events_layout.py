"""The DDR layout of an input whose events the network reads from VMEM (compiler/events.py).

Blocks of ``block`` vectors of 32 int16 lanes: every timestep starts at a vector of its
own and holds its units in increasing order, then a terminator: -1 (the next step
follows in the next vector) or -2 (it starts at the next block). No step straddles a
block, so the network fetches whole blocks by DMA and reads a step without looking past
its block. Built in one compiled pass from the count-prefixed stream of
:mod:`fenn.streams` (the DMEM placement's), so both placements encode the same spikes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .errors import InputError

__all__ = ["vector_layout", "TERMINATOR", "NEXT_BLOCK"]

#: step terminators
TERMINATOR, NEXT_BLOCK = -1, -2


def vector_layout(stream: np.ndarray, steps: int, block: int, capacity: int, name: str) -> np.ndarray:
    """A count-prefixed event stream of ``steps`` timesteps -> int16 whole vectors (the
    used part of the layout), refused (InputError) beyond ``capacity`` halfwords."""
    stream = np.ascontiguousarray(stream, dtype=np.uint16)
    vectors = _vectors(stream, steps, block)
    if 32 * vectors > capacity:
        raise InputError(f"input {name!r}: this sample's {stream.size - steps} spikes in {steps} "
                         f"timesteps need {32 * vectors} halfwords in blocks of vectors but the "
                         f"program has room for {capacity}; compile with fewer timesteps or "
                         f"input_events='dmem'")
    out = np.full(32 * vectors, TERMINATOR, dtype=np.int16)
    _fill(stream, steps, block, out)
    return out


@njit(cache=True, nogil=True)
def _vectors(stream, steps, block):
    """The vectors the layout takes (the walk of :func:`_fill` without writing)."""
    k = at = used = 0
    for t in range(steps):
        m = (np.int64(stream[k]) + 32) // 32
        k += 1 + np.int64(stream[k])
        if used + m > block:
            at += block - used
            used = 0
        at += m
        used += m
    return at


@njit(cache=True, nogil=True)
def _fill(stream, steps, block, out):
    k = at = used = 0
    last = -1          # halfword of the previous step's terminator
    for t in range(steps):
        count = np.int64(stream[k])
        k += 1
        m = (count + 32) // 32
        if used + m > block:
            at += block - used
            used = 0
            if last >= 0:
                out[last] = NEXT_BLOCK
        base = 32 * at
        for i in range(count):
            out[base + i] = np.int16(stream[k + i])
        k += count
        last = base + count
        at += m
        used += m
