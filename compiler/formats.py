"""Fixed-point formats ``sI.F``: 16-bit signed values with F fractional bits (I + F = 15).

The compiler chooses one *value format* per population: its membrane-like state
variables, its synaptic input accumulator and the weights of every connection into it
share it, so spike propagation adds weights without shifts. Integer state variables
(refractory counters) are ``s15.0``. ``formats="auto"`` picks the format from the model's
magnitude and the largest incoming weight; an explicit ``"s7.8"`` (for all populations)
or ``{"hidden": "s3.12"}`` (per population) overrides it.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np

from ..errors import OptionError

__all__ = ["Format", "parse_format", "auto_format", "quantise", "INT16_MIN", "INT16_MAX",
           "WEIGHT_HEADROOM"]

INT16_MIN, INT16_MAX = -32768, 32767
_FORMAT = re.compile(r"s(\d+)\.(\d+)\Z")
#: auto formats leave room for this many coincident maximal weights in one timestep
WEIGHT_HEADROOM = 16.0


@dataclasses.dataclass(frozen=True)
class Format:
    frac: int

    def __post_init__(self):
        if not 0 <= self.frac <= 15:
            raise ValueError(f"a 16-bit format has 0..15 fractional bits, got {self.frac}")

    @property
    def int_bits(self) -> int:
        return 15 - self.frac

    @property
    def scale(self) -> float:
        return float(1 << self.frac)

    @property
    def max_value(self) -> float:
        return INT16_MAX / self.scale

    def __str__(self):
        return f"s{self.int_bits}.{self.frac}"


def parse_format(text) -> Format:
    """``"s7.8"`` -> Format(8). Raises ValueError naming the accepted spelling."""
    if isinstance(text, Format):
        return text
    match = _FORMAT.match(str(text))
    if not match or int(match.group(1)) + int(match.group(2)) != 15:
        raise OptionError(f"bad fixed-point format {text!r}: write 'sI.F' with I + F = 15 "
                         f"(e.g. 's7.8', 's2.13', 's15.0')")
    return Format(int(match.group(2)))


def auto_format(magnitude: float) -> Format:
    """The finest format whose range (2**I) exceeds ``magnitude``."""
    magnitude = abs(float(magnitude))
    if not math.isfinite(magnitude):
        raise ValueError(f"cannot choose a format for magnitude {magnitude}")
    int_bits = 0
    while int_bits < 15 and (1 << int_bits) <= magnitude:
        int_bits += 1
    return Format(15 - int_bits)


@dataclasses.dataclass
class Quantised:
    """Integer values of a float array, and how much quantisation moved them."""
    values: np.ndarray           # int16
    clipped: int                 # values outside the format's range (saturated)
    rms_error: float             # RMS of (quantised - exact), in real units
    max_error: float
    rms_relative: float          # rms_error / RMS of the exact values (0 if all zero)


def quantise(x, fmt: Format) -> Quantised:
    """Round to nearest (ties to even) and clamp to int16, counting clamps.

    Works through large arrays in blocks, so a 16,000 x 16,000 matrix needs no float
    temporaries of its own size."""
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(-1)
    values = np.empty(flat.size, dtype=np.int16)
    clipped, error_sq, error_max, norm_sq = 0, 0.0, 0.0, 0.0
    block = 1 << 22
    for first in range(0, flat.size, block):
        part = flat[first:first + block]
        scaled = np.round(part * fmt.scale)
        clipped += int(np.count_nonzero((scaled < INT16_MIN) | (scaled > INT16_MAX)))
        q = np.clip(scaled, INT16_MIN, INT16_MAX).astype(np.int16)
        values[first:first + block] = q
        error = q / fmt.scale - part
        error_sq += float(np.dot(error, error))
        error_max = max(error_max, float(np.max(np.abs(error), initial=0.0)))
        norm_sq += float(np.dot(part, part))
    rms = float(np.sqrt(error_sq / x.size)) if x.size else 0.0
    norm = float(np.sqrt(norm_sq / x.size)) if x.size else 0.0
    return Quantised(values.reshape(x.shape), clipped, rms, error_max, rms / norm if norm else 0.0)
