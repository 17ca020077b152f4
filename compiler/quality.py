"""Is the fixed-point network still the network the user wrote? Warn (or refuse) when not.

Quantisation is exact arithmetic on rounded numbers, so a bad format gives a wrong result
without a word: one outlier weight of 1e6 makes a population's format s15.0 and rounds
every other weight into it to zero. :func:`check` reads the errors the lowering measured
(``LoweredNetwork.report``) and, where a connection's weights or a population's constants
moved more than ``threshold`` (RMS error relative to the RMS value) or saturated, warns with
:class:`fenn.errors.QuantisationWarning` naming the culprit values and the fixes, or raises
:class:`fenn.errors.QuantisationError` (``quantisation="error"``).
"""

from __future__ import annotations

import numpy as np

from ..errors import OptionError, QuantisationError, QuantisationWarning, warn
from .formats import WEIGHT_HEADROOM, Format, auto_format, parse_format

__all__ = ["MODES", "DEFAULT_THRESHOLD", "check"]

MODES = ("warn", "error", "ignore")
_WEIGHT_FIX = "clip outliers (np.clip), scale the weights (and the thresholds) down"
_CONSTANT_FIX = "choose model parameters whose constants the format can hold"
#: RMS quantisation error, relative to the RMS value, above which a compile warns
DEFAULT_THRESHOLD = 0.05


def check(net, lowered, mode: str = "warn", threshold: float = DEFAULT_THRESHOLD) -> list[str]:
    """The problems found (also warned or raised, as ``mode`` says)."""
    if mode not in MODES:
        raise OptionError(f"quantisation must be one of {MODES}, got {mode!r}")
    if not (np.isfinite(threshold) and threshold > 0):
        raise OptionError(f"quantisation_threshold must be a positive number, got {threshold!r}")
    if mode == "ignore":
        return []
    problems = [_connection(c, lowered.report["weights"][c.name], threshold)
                for c in net.connections]
    problems += [_constants(pop, items, threshold)
                 for pop, items in lowered.report["constants"].items()]
    problems = [p for p in problems if p]
    for problem in problems:
        if mode == "error":
            raise QuantisationError(problem)
        warn(problem, QuantisationWarning)
    return problems


def _fixes(population: str, finer, first: str) -> str:
    return (f"To fix: {first}, or give {population!r} a finer format (formats={{"
            f"{population!r}: '{finer}'}}) if its values stay in range; quantisation='ignore' "
            f"accepts it, quantisation='error' refuses it")


def _connection(c, report: dict, threshold: float) -> str | None:
    if report["rms_relative"] <= threshold and not report["clipped"]:
        return None
    fmt = parse_format(report["format"])
    if c.weights is not None:
        values, where = c.weights.reshape(-1), lambda k: divmod(int(k), c.post.size)
    else:
        values, where = c.sparse[2], lambda k: (int(c.sparse[0][k]), int(c.sparse[1][k]))
    largest = np.argsort(-np.abs(values), kind="stable")[:3]
    shown = ", ".join(f"{values[k]:.4g} ({c.pre.name}[{where(k)[0]}] -> {c.post.name}"
                      f"[{where(k)[1]}])" for k in largest)
    rounded = np.abs(values) < 0.5 / fmt.scale
    lost = int(np.count_nonzero(rounded & (values != 0)))
    nonzero = int(np.count_nonzero(values))
    parts = [f"connection {c.name!r}: its weights lose {100 * report['rms_relative']:.3g} % "
             f"(RMS) in {fmt} (resolution {1 / fmt.scale:g}, range +-{fmt.max_value:g})"]
    if report["clipped"]:
        parts.append(f"{report['clipped']} weight(s) saturate")
    if lost:
        parts.append(f"{lost} of {nonzero} nonzero weights round to 0")
    # the format the population would get without its largest weight
    rest = np.abs(values[largest[1]]) if len(largest) > 1 else 0.0
    finer = auto_format(max(WEIGHT_HEADROOM * rest, c.post.model.magnitude()))
    return (f"{'; '.join(parts)}. The largest weights, which set the format of "
            f"{c.post.name!r}: {shown}. {_fixes(c.post.name, finer, _WEIGHT_FIX)}")


def _constants(population: str, items: list, threshold: float) -> str | None:
    bad = []
    for item in items:
        value = float(item["value"])
        if value == 0:
            continue
        fmt = parse_format(item["format"])
        error = abs(item["integer"] / fmt.scale - value) / abs(value)
        if error > threshold:
            bad.append((error, item, fmt))
    if not bad:
        return None
    error, item, fmt = max(bad, key=lambda b: b[0])
    value = float(item["value"])
    finer = next((Format(f) for f in range(fmt.frac, 16)
                  if abs(round(value * (1 << f)) / (1 << f) - value) <= threshold * abs(value)),
                 Format(15))
    return (f"population {population!r}: {len(bad)} constant(s) of its model move by more than "
            f"{100 * threshold:g} % in fixed point, worst {value:.4g} in {item['where']} "
            f"-> {item['integer'] / fmt.scale:.4g} in {fmt} ({100 * error:.3g} %). "
            f"{_fixes(population, finer, _CONSTANT_FIX)}")
