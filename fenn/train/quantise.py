"""Fake quantisation: round to a fixed-point format forward, pass the gradient through.

``fake_quantise(x, fmt)`` is what ``fenn.compile`` does to a weight (round to nearest,
ties to even, saturate to int16; :func:`fenn.compiler.formats.quantise`), computed in
torch; its gradient is the identity (the straight-through estimator), so training keeps
moving the float weights while the loss sees the fixed-point ones.
"""

from __future__ import annotations

from ..compiler.formats import INT16_MAX, INT16_MIN

__all__ = ["fake_quantise"]


def fake_quantise(x, fmt):
    """``x`` rounded to the grid of ``fmt`` and clamped to its range; straight-through."""
    q = (x * fmt.scale).round().clamp(INT16_MIN, INT16_MAX) / fmt.scale
    return x + (q - x).detach()
