"""The per-lane xoroshiro32++ generator (isa.md section 4) for the Numba reference model.

Imported only by generated reference code (it imports Numba); the vector unit draws one
output per lane for every ``vrng``, ``vmul*_rs`` and ``vsrai_rs`` instruction.
"""

import numba


@numba.njit(inline="always", cache=True)
def draw(s0, s1, lane):
    """One output of ``lane``'s generator, advancing its state (all arithmetic on uint16)."""
    a = s0[lane]
    c = s1[lane]
    x = (a + c) & 0xFFFF
    r = ((((x << 9) | (x >> 7)) & 0xFFFF) + a) & 0xFFFF
    c ^= a
    s0[lane] = (((a << 13) | (a >> 3)) & 0xFFFF) ^ c ^ ((c << 5) & 0xFFFF)
    s1[lane] = ((c << 10) | (c >> 6)) & 0xFFFF
    return r


@numba.njit(cache=True)
def _advance(state, count):
    lanes = state.shape[1]
    s0 = state[0].astype(numba.int64)
    s1 = state[1].astype(numba.int64)
    for lane in range(lanes):
        for _ in range(count):
            draw(s0, s1, lane)
    out = state.copy()
    for lane in range(lanes):
        out[0, lane] = s0[lane]
        out[1, lane] = s1[lane]
    return out


def advance(state, count: int):
    """The generator states (2, lanes) uint16 after ``count`` draws of every lane: where a
    run that drew ``count`` times per lane left them."""
    import numpy as np
    return _advance(np.ascontiguousarray(state, dtype=np.uint16), int(count))
