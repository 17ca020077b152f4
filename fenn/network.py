"""The user's side of fenn: a network of spike sources, neuron populations and connections.

    net = fenn.Network(dt=1.0)
    inp = net.input(700, name="input")
    hid = net.population(256, fenn.models.LIF(tau_mem=20.0), name="hidden")
    net.connect(inp, hid, weights=w)              # dense (pre, post) float array
    net.record(hid.spikes)

Timing semantics (the same in the compiled program, the reference and the float model):
in timestep ``t`` the input spikes of step ``t`` and the population spikes of step
``t - 1`` are delivered (plus any synaptic delay ``d``: a spike of step ``t'`` arrives at
``t' + 1 + d``, or ``t' + d`` from an input), then every population updates once.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from .errors import FennError

__all__ = ["Network", "Input", "Population", "Connection", "Recording", "NetworkError"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
REDUCTIONS = (None, "mean", "max", "last")


class NetworkError(FennError, ValueError):
    """A network that cannot be built as written: a bad name, size, weight matrix, delay
    or recording.

    Fix: the message says what to change in the ``net.input``/``population``/``connect``/
    ``record`` call it names.
    """


@dataclasses.dataclass(frozen=True)
class Target:
    """Something recordable: ``pop.spikes`` or a state variable ``pop.v``."""
    group: "Input | Population"
    variable: str            # "spikes" or a state variable name

    @property
    def key(self) -> str:
        return f"{self.group.name}.{self.variable}"


class _Group:
    def __init__(self, network, size: int, name: str):
        self.network, self.size, self.name = network, size, name

    @property
    def spikes(self) -> Target:
        return Target(self, "spikes")

    def __len__(self):
        return self.size


class Input(_Group):
    """A spike source whose spikes the host supplies each run. ``shape`` is how the host
    lays out its channels (e.g. ``(2, 34, 34)`` for event-camera frames); inputs of that
    shape are flattened in C order (last axis fastest) to the ``size`` channels."""

    def __init__(self, network, size: int, name: str, shape: tuple[int, ...] | None = None,
                 kind: str = "spikes", max_value: float = 1.0):
        super().__init__(network, size, name)
        self.shape = tuple(shape) if shape is not None else (size,)
        #: "spikes" (0/1 events) or "current" (a real value per channel and step, in
        #: fixed point of a format that holds ``max_value``)
        self.kind, self.max_value = kind, float(max_value)

    def __repr__(self):
        shape = f", shape={self.shape}" if self.shape != (self.size,) else ""
        kind = f", kind='current', max_value={self.max_value:g}" if self.kind == "current" else ""
        return f"Input({self.size}, name={self.name!r}{shape}{kind})"


class Population(_Group):
    """``size`` neurons of one model; ``initial`` holds per-neuron start values of state
    variables (name -> float array of ``size``), the others start at their ``StateVar.init``."""

    def __init__(self, network, size, model, name, initial=None):
        super().__init__(network, size, name)
        self.model = model
        self._variables = dict(model.state())
        self.initial = self._check_initial(initial or {})
        for var in self._variables:
            self.initial_values(var)             # a model's per-neuron start fits the size

    def _check_initial(self, initial) -> dict:
        if not isinstance(initial, dict):
            raise NetworkError(f"population {self.name!r}: initial must be a dict "
                               f"{{variable: value or array of {self.size}}}, got {initial!r}")
        checked = {}
        for var, value in initial.items():
            if var not in self._variables:
                raise NetworkError(f"population {self.name!r}: initial names {var!r}, which is "
                                   f"not a state variable of {self.model.name} (state variables: "
                                   f"{sorted(self._variables)})")
            try:
                array = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise NetworkError(f"population {self.name!r}: initial {var!r} must be numbers, "
                                   f"got {value!r}") from None
            if array.ndim == 0:
                array = np.full(self.size, float(array))
            if array.shape != (self.size,):
                raise NetworkError(f"population {self.name!r}: initial {var!r} has shape "
                                   f"{array.shape}; give one number or an array of shape "
                                   f"({self.size},), one value per neuron")
            if not np.all(np.isfinite(array)):
                raise NetworkError(f"population {self.name!r}: initial {var!r} contains NaN or "
                                   f"infinity")
            checked[var] = array
        return checked

    def initial_values(self, var: str) -> np.ndarray:
        """Start values of ``var``, one per neuron (float64)."""
        if var in self.initial:
            return self.initial[var]
        init = np.asarray(self._variables[var].init, dtype=np.float64)
        if init.ndim and init.shape != (self.size,):
            raise NetworkError(f"population {self.name!r}: {self.model.name} starts {var!r} at "
                               f"{init.size} per-neuron values for {self.size} neurons; give "
                               f"its parameters one value per neuron")
        return np.broadcast_to(init, (self.size,)).copy()

    @property
    def spikes(self) -> Target:
        if not self.model.spiking:
            raise NetworkError(f"population {self.name!r} ({self.model.name}) does not spike; "
                               f"record one of its variables {sorted(self._variables)} instead")
        return Target(self, "spikes")

    def __getattr__(self, name):
        variables = self.__dict__.get("_variables", {})
        if name in variables:
            return Target(self, name)
        raise AttributeError(f"population {self.__dict__.get('name')!r} has no attribute {name!r}"
                             f" (state variables: {sorted(variables)})")

    def __repr__(self):
        return f"Population({self.size}, {self.model!r}, name={self.name!r})"


@dataclasses.dataclass
class Connection:
    """Synapses from ``pre`` to ``post``; dense weights are a float (pre, post) array.

    Sparse synapses are kept as (pre, post, weight) triples; ``delays`` are integer
    timesteps per synapse (same shape as the weights) or one integer for all.
    """
    pre: _Group
    post: Population
    weights: np.ndarray | None = None          # dense (pre.size, post.size)
    sparse: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    delays: np.ndarray | None = None           # int, dense shape or per sparse synapse
    name: str = ""

    @property
    def kind(self) -> str:
        return "sparse" if self.sparse is not None else "dense"

    @property
    def max_delay(self) -> int:
        return 0 if self.delays is None else int(np.max(self.delays, initial=0))

    def float_weights(self) -> np.ndarray:
        """The connection as a dense float64 (pre, post) matrix (sparse duplicates summed)."""
        if self.weights is not None:
            return self.weights
        dense = np.zeros((self.pre.size, self.post.size))
        pre, post, w = self.sparse
        np.add.at(dense, (pre, post), w)
        return dense

    def max_abs_weight(self) -> float:
        w = self.weights if self.weights is not None else self.sparse[2]
        return float(np.max(np.abs(w), initial=0.0))


@dataclasses.dataclass(frozen=True)
class Recording:
    target: Target
    reduce: str | None = None

    @property
    def key(self) -> str:
        return self.target.key


class Network:
    """A spiking network with a fixed timestep ``dt`` (ms)."""

    def __init__(self, dt: float = 1.0):
        if not (isinstance(dt, (int, float)) and dt > 0):
            raise NetworkError(f"dt must be a positive number of ms, got {dt!r}")
        self.dt = float(dt)
        self.inputs: list[Input] = []
        self.populations: list[Population] = []
        self.connections: list[Connection] = []
        self.recordings: list[Recording] = []

    # ------------------------------------------------------------------ building
    def _check_name(self, name: str):
        if not isinstance(name, str) or not _NAME.match(name):
            raise NetworkError(f"name {name!r} must be an identifier (letters, digits, _)")
        if any(g.name == name for g in self.groups):
            raise NetworkError(f"name {name!r} is already used in this network")

    def _check_size(self, size):
        if not (isinstance(size, (int, np.integer)) and 1 <= size <= 32767):
            raise NetworkError(f"size must be an integer in 1..32767, got {size!r}")
        return int(size)

    @property
    def groups(self) -> list:
        return [*self.inputs, *self.populations]

    def input(self, size, name: str | None = None, *, kind: str = "spikes",
              max_value: float = 1.0) -> Input:
        """A spike source of ``size`` channels, fed by ``fenn.run(inputs={name: ...})``.

        ``size`` may be a shape such as ``(2, 34, 34)``: then ``fenn.run`` also takes
        rasters shaped ``(timesteps, *shape)`` (or ``(samples, timesteps, *shape)``) and
        flattens them in C order (channel ``(c, y, x)`` is ``c*34*34 + y*34 + x``).

        ``kind="current"``: the host supplies a real value per channel and step (direct
        coding of frames or audio features), float arrays ``(timesteps, size)``; each step
        its connections add ``W.T @ x`` to their targets' input. Values are held in the
        finest fixed-point format that reaches ``max_value`` (larger ones saturate)."""
        name = name or f"input{len(self.inputs)}"
        self._check_name(name)
        if kind not in ("spikes", "current"):
            raise NetworkError(f"input {name!r}: kind must be 'spikes' or 'current', got {kind!r}")
        if not (np.isfinite(max_value) and 0 < max_value < 32768):
            raise NetworkError(f"input {name!r}: max_value must be a positive number below "
                               f"32768 (the largest value the current takes), got {max_value!r}")
        shape = None
        if isinstance(size, (tuple, list)):
            shape = tuple(size)
            if not shape or not all(isinstance(d, (int, np.integer)) and d >= 1 for d in shape):
                raise NetworkError(f"an input shape is a tuple of positive integers, got {size!r}")
            size = int(np.prod(shape))
        group = Input(self, self._check_size(size), name, shape, kind, max_value)
        self.inputs.append(group)
        return group

    def population(self, size: int, model, name: str | None = None, *,
                   initial: dict | None = None) -> Population:
        """``size`` neurons of ``model`` (an instance of a :class:`fenn.models.NeuronModel`).

        ``initial={"v": values}`` starts state variables at per-neuron values (a number or
        an array of ``size``) instead of the model's ``StateVar.init``."""
        from .models.language import NeuronModel
        if not isinstance(model, NeuronModel):
            raise NetworkError(f"model must be a fenn.models.NeuronModel instance (e.g. "
                               f"fenn.models.LIF()), got {model!r}")
        name = name or f"pop{len(self.populations)}"
        self._check_name(name)
        group = Population(self, self._check_size(size), model, name, initial)
        self.populations.append(group)
        return group

    def connect(self, pre, post, weights=None, *, sparse=None, delays=None, name: str | None = None
                ) -> Connection:
        """Connect ``pre`` to ``post`` with dense ``weights`` (pre, post) or
        ``sparse=(pre_idx, post_idx, w)``; optional integer ``delays`` in timesteps."""
        for group, role in ((pre, "pre"), (post, "post")):
            if not isinstance(group, _Group) or group.network is not self:
                raise NetworkError(f"{role} must be an input or population of this network, "
                                   f"got {group!r}")
        if not isinstance(post, Population):
            raise NetworkError(f"post {post.name!r} is an input; connections must end on a population")
        if isinstance(pre, Population) and not pre.model.spiking:
            raise NetworkError(f"pre {pre.name!r} ({pre.model.name}) does not spike, so it cannot "
                               f"drive a connection")
        if (weights is None) == (sparse is None):
            raise NetworkError("give exactly one of weights= (dense (pre, post) array) or "
                               "sparse=(pre_idx, post_idx, w)")
        if getattr(pre, "kind", "spikes") == "current" and (weights is None or delays is not None):
            raise NetworkError(f"input {pre.name!r} carries currents: connect it with dense "
                               f"weights= and no delays (sparse or delayed current inputs are "
                               f"not supported)")
        name = name or f"{pre.name}_to_{post.name}" + (f"_{len(self.connections)}"
                                                      if any(c.pre is pre and c.post is post
                                                             for c in self.connections) else "")
        shape = (pre.size, post.size)
        if weights is not None:
            weights = np.asarray(weights, dtype=np.float64)
            if weights.shape != shape:
                raise NetworkError(f"connection {name}: weights have shape {weights.shape}, expected "
                                   f"(pre, post) = {shape}")
            if not np.all(np.isfinite(weights)):
                raise NetworkError(f"connection {name}: weights contain NaN or infinity")
            n_syn = weights.shape
        else:
            try:
                pre_idx, post_idx, w = (np.asarray(a) for a in sparse)
            except (TypeError, ValueError):
                raise NetworkError("sparse must be a tuple (pre_idx, post_idx, w)") from None
            if not (pre_idx.shape == post_idx.shape == w.shape and pre_idx.ndim == 1):
                raise NetworkError(f"connection {name}: sparse arrays must be 1-D of one length, got "
                                   f"{pre_idx.shape}, {post_idx.shape}, {w.shape}")
            for idx, size, what in ((pre_idx, pre.size, "pre"), (post_idx, post.size, "post")):
                if idx.size and (not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0
                                 or idx.max() >= size):
                    raise NetworkError(f"connection {name}: {what} indices must be integers in "
                                       f"0..{size - 1}")
            w = w.astype(np.float64)
            if not np.all(np.isfinite(w)):
                raise NetworkError(f"connection {name}: weights contain NaN or infinity")
            sparse = (pre_idx.astype(np.int64), post_idx.astype(np.int64), w)
            n_syn = w.shape
        if delays is not None:
            delays = np.asarray(delays)
            if delays.ndim == 0:
                delays = np.full(n_syn, int(delays))
            if delays.shape != n_syn or not np.issubdtype(delays.dtype, np.integer) \
                    or (delays.size and delays.min() < 0):
                raise NetworkError(f"connection {name}: delays must be non-negative integers "
                                   f"(timesteps) of shape {n_syn}, got {delays.dtype} {delays.shape}")
            delays = delays.astype(np.int64)
            if not delays.any():
                delays = None
        connection = Connection(pre, post, weights, sparse, delays, name)
        self.connections.append(connection)
        return connection

    def record(self, target: Target, reduce: str | None = None) -> Recording:
        """Record spikes (``pop.spikes``) or a state variable (``pop.v``) every timestep,
        or only a reduction over time: ``reduce="mean" | "max" | "last"``."""
        if not isinstance(target, Target) or target.group.network is not self:
            raise NetworkError(f"record() takes pop.spikes or pop.<variable> of this network, got "
                               f"{target!r}")
        if reduce not in REDUCTIONS:
            raise NetworkError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")
        if target.variable == "spikes" and reduce is not None:
            raise NetworkError("spike recordings cannot be reduced; record them whole")
        if isinstance(target.group, Input):
            raise NetworkError(f"{target.key}: inputs are known to the host already; record "
                               f"populations")
        if any(r.key == target.key for r in self.recordings):
            raise NetworkError(f"{target.key} is already recorded")
        recording = Recording(target, reduce)
        self.recordings.append(recording)
        return recording

    def group(self, name: str):
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(f"no input or population named {name!r} (have {[g.name for g in self.groups]})")

    def __repr__(self):
        return (f"Network(dt={self.dt}, inputs={[g.name for g in self.inputs]}, "
                f"populations={[p.name for p in self.populations]}, "
                f"connections={[c.name for c in self.connections]})")
