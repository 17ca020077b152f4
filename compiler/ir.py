"""The lowered network: everything integer, fixed before code generation.

:func:`lower_network` turns a :class:`fenn.Network` into a :class:`LoweredNetwork`:
formats chosen, neuron updates lowered to lane operations, weights quantised (with their
errors reported), populations padded to whole 32-lane vectors. The code generator and the
integer reference model both start from this one object, so they see the same numbers.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import OptionError
from ..models.language import trace
from ..network import NetworkError
from .formats import WEIGHT_HEADROOM, Format, auto_format, parse_format, quantise
from .lower import ROUNDINGS, Kernel, lower

__all__ = ["LoweredNetwork", "PopIR", "ConnIR", "RecIR", "lower_network", "LANES", "seeds_for"]

LANES = 32


@dataclasses.dataclass
class PopIR:
    name: str
    size: int
    model: object
    kernel: Kernel
    fmt: Format                    # value format (input accumulator, weights in, membrane)
    #: slot (state variable or per-neuron parameter) -> initial integer value, one for all
    #: neurons, or int16 (npad,) per neuron (padding lanes 0)
    init: dict[str, "int | np.ndarray"]
    spiking: bool
    ring_slots: int = 0            # delay ring buffer slots (0: no delayed input)

    @property
    def nvec(self) -> int:
        return -(-self.size // LANES)

    @property
    def npad(self) -> int:
        return self.nvec * LANES

    @property
    def variables(self) -> list[str]:
        return list(self.kernel.var_formats)

    @property
    def slots(self) -> list[str]:
        """The vectors of a chunk's state block: the state variables, then the per-neuron
        parameters (read-only)."""
        return self.variables + list(self.kernel.params)

    @property
    def per_neuron_init(self) -> bool:
        """Does any slot start from per-neuron values (an image in VMEM, copied per run)?"""
        return any(isinstance(v, np.ndarray) for v in self.init.values())

    @property
    def nwords(self) -> int:
        """32-bit words in one spike bitfield row."""
        return self.nvec


@dataclasses.dataclass
class ConnIR:
    name: str
    pre: str
    pre_size: int
    pre_is_input: bool
    post: str
    kind: str                      # "dense" | "sparse"
    weights: np.ndarray | None     # dense: int16 (pre, post npad), zero in padding
    sparse: tuple | None           # (pre_idx, post_idx, w int16) sorted by (pre, post)
    delays: np.ndarray | None      # dense (pre, post npad) or per sparse synapse; None: 0
    report: dict

    @property
    def max_delay(self) -> int:
        return 0 if self.delays is None else int(self.delays.max(initial=0))


@dataclasses.dataclass
class RecIR:
    key: str
    pop: str
    variable: str                  # "spikes" or a state variable
    reduce: str | None
    fmt: Format | None


@dataclasses.dataclass
class LoweredNetwork:
    dt: float
    timesteps: int
    rounding: str
    seed: int
    inputs: list[tuple[str, int]]
    pops: list[PopIR]
    conns: list[ConnIR]
    recs: list[RecIR]
    report: dict
    #: inputs of kind "current": name -> the format of their values (its fraction bits
    #: are the shift of every product weight x value)
    currents: dict = dataclasses.field(default_factory=dict)

    def pop(self, name: str) -> PopIR:
        for p in self.pops:
            if p.name == name:
                return p
        raise KeyError(name)

    def input_size(self, name: str) -> int:
        return dict(self.inputs)[name]


def resolve_formats(net, formats) -> dict[str, Format]:
    """Value format of each population from ``formats`` ("auto", "sI.F" or a dict)."""
    explicit: dict[str, Format] = {}
    if isinstance(formats, dict):
        names = {p.name for p in net.populations}
        for key, value in formats.items():
            if key not in names:
                raise OptionError(f"formats names {key!r}, which is not a population (have "
                                 f"{sorted(names)}); give one format per population")
            if value != "auto":
                explicit[key] = parse_format(value)
    elif formats != "auto":
        fmt = parse_format(formats)
        explicit = {p.name: fmt for p in net.populations}
    chosen = {}
    for pop in net.populations:
        if pop.name in explicit:
            chosen[pop.name] = explicit[pop.name]
            continue
        magnitude = pop.model.magnitude()
        for var in pop.model.state().values():
            if var.bound is not None and not var.integer:
                magnitude = max(magnitude, var.bound)
        for c in net.connections:
            if c.post is pop:
                magnitude = max(magnitude, WEIGHT_HEADROOM * c.max_abs_weight(),
                                c.max_abs_weight() * _current_bound(c.pre))
        chosen[pop.name] = auto_format(magnitude)
    return chosen


def _current_bound(group) -> float:
    """The largest value a connection's pre sends per synapse: a current input's
    ``max_value``, else nothing beyond the weight (a spike is 1)."""
    return group.max_value if getattr(group, "kind", "spikes") == "current" else 0.0


def seeds_for(seed: int, samples: int, first: int = 0) -> np.ndarray:
    """RNG states (samples, 2, 32) uint16 for samples ``first..first+samples-1``.

    Each sample gets its own xoroshiro32++ stream per lane, derived from the program seed
    and the sample index, so a batch gives the same results however it is split.
    """
    out = np.empty((samples, 2, LANES), dtype=np.uint16)
    for i in range(samples):
        rng = np.random.default_rng([seed, first + i])
        state = rng.integers(0, 1 << 16, size=(2, LANES), dtype=np.uint16)
        state[0, (state[0] == 0) & (state[1] == 0)] = 1     # the all-zero state never moves
        out[i] = state
    return out


def _quantise_connection(c, post_fmt: Format, post_npad: int) -> ConnIR:
    if c.weights is not None:
        q = quantise(c.weights, post_fmt)
        weights = np.zeros((c.pre.size, post_npad), dtype=np.int16)
        weights[:, :c.post.size] = q.values
        delays = None
        if c.delays is not None:
            delays = np.zeros((c.pre.size, post_npad), dtype=np.int64)
            delays[:, :c.post.size] = c.delays
        sparse = None
    else:
        pre, post, w = c.sparse
        order = np.lexsort((post, pre))
        q = quantise(w[order], post_fmt)
        sparse = (pre[order], post[order], q.values)
        delays = None if c.delays is None else c.delays[order]
        weights = None
    report = {"format": str(post_fmt), "rms_error": q.rms_error, "max_error": q.max_error,
              "rms_relative": q.rms_relative, "clipped": q.clipped,
              "synapses": int(c.weights.size if c.weights is not None else c.sparse[2].size)}
    return ConnIR(c.name, c.pre.name, c.pre.size, c.pre.__class__.__name__ == "Input", c.post.name,
                  c.kind, weights, sparse, delays, report)


def _parameter_report(p: PopIR) -> dict:
    """Per-neuron parameter slots: format and range as quantised (for fenn inspect)."""
    formats = {op.name: Format(op.frac) for op in p.kernel.ops if op.op == "load"}
    return {slot: {"format": str(formats[slot]), "min": float(values.min()) / formats[slot].scale,
                   "max": float(values.max()) / formats[slot].scale, "neurons": int(values.size)}
            for slot, values in p.kernel.params.items()}


def _check_params(pop, traced) -> None:
    for name, values in traced.params.items():
        if values.shape != (pop.size,):
            raise NetworkError(f"population {pop.name!r}: per-neuron parameter {name!r} of "
                             f"{pop.model.name} has {values.size} values for {pop.size} neurons; "
                             f"give one value per neuron (or one number for all)")


def _initial(pop, name: str, var, fmt: Format):
    """A variable's quantised start: one integer for all neurons, or int16 (npad,)."""
    values = pop.initial_values(name)
    q = quantise(values, fmt)
    if q.clipped:
        worst = float(values[np.argmax(np.abs(values))])
        raise NetworkError(
            f"population {pop.name!r}: initial value {worst:g} of {name!r} does not fit its "
            f"format {fmt} (range {-32768 / fmt.scale:g}..{fmt.max_value:g}); "
            f"give a format with more integer bits (formats={{{pop.name!r}: ...}}) or start "
            f"{name!r} within the range")
    if np.all(q.values == q.values[0]):
        return int(q.values[0])
    image = np.zeros(-(-pop.size // LANES) * LANES, dtype=np.int16)
    image[:pop.size] = q.values
    return image


def lower_network(net, timesteps: int, formats="auto", rounding: str = "nearest",
                  seed: int = 0) -> LoweredNetwork:
    """Choose formats, lower every neuron model and quantise every connection."""
    if not (isinstance(timesteps, (int, np.integer)) and timesteps >= 1):
        raise OptionError(f"timesteps must be a positive integer, got {timesteps!r}")
    if rounding not in ROUNDINGS:
        raise OptionError(f"rounding must be one of {sorted(ROUNDINGS)}, got {rounding!r}")
    if not net.populations:
        raise OptionError("the network has no populations; add one with net.population(...)")
    value_formats = resolve_formats(net, formats)
    pops = []
    for pop in net.populations:
        fmt = value_formats[pop.name]
        variables = pop.model.state()
        var_formats = {name: Format(0) if v.integer else fmt for name, v in variables.items()}
        traced = trace(pop.model, net.dt)
        _check_params(pop, traced)
        kernel = lower(traced, var_formats, fmt, rounding, pop.name)
        init = {name: _initial(pop, name, v, var_formats[name]) for name, v in variables.items()}
        npad = -(-pop.size // LANES) * LANES
        for slot, values in kernel.params.items():
            init[slot] = np.zeros(npad, dtype=np.int16)
            init[slot][:pop.size] = values
        pops.append(PopIR(pop.name, pop.size, pop.model, kernel, fmt, init, pop.model.spiking))
    by_name = {p.name: p for p in pops}
    conns = [_quantise_connection(c, by_name[c.post.name].fmt, by_name[c.post.name].npad)
             for c in net.connections]
    for p in pops:
        delays = [c.max_delay for c in conns if c.post == p.name and c.delays is not None]
        if delays:
            slots = 1
            while slots < max(delays) + 1:
                slots *= 2
            p.ring_slots = slots
    recs = []
    for r in net.recordings:
        pop = by_name[r.target.group.name]
        var = r.target.variable
        recs.append(RecIR(r.key, pop.name, var, r.reduce,
                          None if var == "spikes" else pop.kernel.var_formats[var]))
    report = {
        "formats": {p.name: {"value": str(p.fmt), **{v: str(f) for v, f in p.kernel.var_formats.items()}}
                    for p in pops},
        "weights": {c.name: c.report for c in conns},
        "constants": {p.name: [{"where": w, "value": v, "integer": i, "format": f}
                               for w, v, i, f in p.kernel.constants] for p in pops},
        "rounding": rounding,
        "parameters": {p.name: _parameter_report(p) for p in pops if p.kernel.params},
    }
    currents = {g.name: auto_format(g.max_value) for g in net.inputs if g.kind == "current"}
    if currents:
        report["inputs"] = {name: str(fmt) for name, fmt in currents.items()}
    return LoweredNetwork(net.dt, int(timesteps), rounding, int(seed),
                          [(g.name, g.size) for g in net.inputs], pops, conns, recs, report,
                          currents)
