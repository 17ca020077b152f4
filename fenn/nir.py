"""NIR import: a continuous-time NIR graph -> a discrete-time fenn network.

Two steps, each with one job:

1. :func:`lower` walks the graph (nested graphs inlined, recurrent edges allowed) and
   returns a :class:`LoweredGraph`: inputs, neuron groups with per-timestep coefficients,
   and projections (source group -> target group, a weight matrix per delay), with the
   linear nodes between neuron groups (Linear, Affine, Scale, Flatten, Delay) multiplied out.
2. :func:`import_nir` / :func:`from_nir` build a ``fenn.Network`` from that description,
   with the neuron models of ``fenn.models.nir_neurons``.

Discretisation (docs/nir.md states it with examples). At a timestep ``dt`` every input
current is held constant over the step (a spike is a pulse of height 1 lasting one step:
the convention snnTorch's exporter follows), so a leaky variable
``tau dv/dt = (v_leak - v) + r*I`` moves to::

    v[t+1] = a*v[t] + (1 - a)*(v_leak + r*I[t])

with ``a = exp(-dt/tau)`` for ``method="exact"`` (the exact solution for a held input) or
``a = 1 - dt/tau`` for ``method="euler"`` (forward Euler, what snnTorch simulates; the
two agree as dt/tau -> 0). CubaLIF/CubaLI first move their synaptic current
``i[t+1] = a_syn*i[t] + (1 - a_syn)*w_in*I[t]`` and then ``v`` with the new ``i`` in place
of ``I``. IF integrates ``v[t+1] = v[t] + dt*r*I[t]``. A spike is emitted when
``v > v_threshold`` and ``v`` is then set to ``v_reset``. Affine biases are constant input
currents (``I`` includes them from the first step on, or from step k after a Delay of k
steps: delay lines start empty). State starts at zero.

Timing follows fenn (fenn.network): input spikes reach their targets in the step they
occur, a neuron node's spikes one step later, plus the steps of NIR Delay nodes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from .hdf5 import not_hdf5
from .errors import FennError, OptionError
from .nir_conv import CONV_NODES, ConvShapeError, as_linear
from .nir_exporters import EXPORTERS, check, exporter_of, plain, undo

__all__ = ["SUPPORTED_NODES", "UnsupportedNIRNode", "NIRImportError", "NeuronGroup",
           "Projection", "LoweredGraph", "decay_factor", "lower", "load_graph", "NIRImport",
           "import_nir", "from_nir"]

NEURON_NODES = ("IF", "LIF", "LI", "CubaLIF", "CubaLI")
#: nodes that pass a signal on, linearly, without state (multiplied into projections);
#: convolutions and pooling (CONV_NODES) become Linear/Affine nodes first (fenn.nir_conv)
LINEAR_NODES = ("Linear", "Affine", "Scale", "Flatten", "Delay", "Identity")
SUPPORTED_NODES = ("Input", "Output", "NIRGraph") + LINEAR_NODES + CONV_NODES + NEURON_NODES
#: a connection whose matrix has fewer non-zero weights than this fraction is imported as
#: sparse rows (what convolutions and pooling give), not dense ones
SPARSE_BELOW = 0.1
METHODS = ("exact", "euler")
#: a Delay node's delay must be within this many timesteps of a whole number of steps
_DELAY_TOLERANCE = 1e-6


class NIRImportError(FennError, ValueError):
    """A NIR graph (or file) that cannot become a fenn network as it is: not a NIR file,
    no ``Input`` node, sizes that do not match, a loop without a neuron, a ``Delay`` that
    is not a whole number of steps.

    Fix: the message names the node or file and what to change; docs/nir.md lists what
    fenn imports.
    """


class UnsupportedNIRNode(NIRImportError):
    """A node of a type fenn does not import (e.g. ``Conv2d``, ``Threshold``).

    Fix: replace the node by supported ones (docs/nir.md, *Supported nodes*) before
    exporting, or leave that part of the model out of the graph.
    """

    def __init__(self, name: str, node):
        self.node_name, self.node_type = name, type(node).__name__
        super().__init__(f"NIR node {name!r} has type {self.node_type}, which fenn cannot "
                         f"import; supported node types: {', '.join(SUPPORTED_NODES)}")


def decay_factor(tau, dt: float, method: str = "exact") -> np.ndarray:
    """Per-timestep decay ``a`` of ``tau dv/dt = -v + ...`` (see the module docstring)."""
    tau = np.asarray(tau, dtype=np.float64)
    if method not in METHODS:
        raise OptionError(f"method must be one of {METHODS}, got {method!r}")
    if np.any(~np.isfinite(tau)) or np.any(tau <= 0):
        raise NIRImportError(f"time constants must be positive and finite, got {tau.min()}")
    if method == "exact":
        return np.exp(-dt / tau)
    if np.any(tau < dt):
        raise NIRImportError(f"forward Euler needs tau >= dt, but a time constant is "
                             f"{tau.min()} < dt={dt}; use method='exact' or a smaller dt (a "
                             f"graph from Norse, which writes tau = dt/tau_inv: pass "
                             f"exporter='norse')")
    return 1.0 - dt / tau


@dataclasses.dataclass
class NeuronGroup:
    """A neuron node of the graph, discretised. Arrays are per neuron (length ``n``).

    One step is ``v <- alpha*v + drive + gain*x`` where ``x`` is the summed weighted input
    spikes of the step (for Cuba nodes ``x`` is the synaptic current after its own step
    ``i <- alpha_syn*i + syn_gain*(summed input) + syn_drive``). ``alpha`` is 1 for IF; ``gain`` is
    ``(1 - alpha)*r`` (``dt*r`` for IF); ``drive`` is the constant part: leak and biases,
    ``(1 - alpha)*v_rest`` for leaky nodes, where ``v_rest`` is where ``v`` settles
    without spikes (NaN for IF, which does not settle).
    """
    name: str
    kind: str                      # one of NEURON_NODES
    n: int
    alpha: np.ndarray
    gain: np.ndarray
    v_rest: np.ndarray
    drive: np.ndarray
    v_threshold: np.ndarray | None = None   # None: never spikes (LI, CubaLI)
    v_reset: np.ndarray | None = None
    alpha_syn: np.ndarray | None = None
    syn_gain: np.ndarray | None = None
    syn_drive: np.ndarray | None = None     # Cuba: constant added to the current each step
    bias: np.ndarray | None = None          # summed Affine biases reaching the node
    #: biases that pass a Delay of k steps: an input current (like a spike's weight) that
    #: starts in step k, {k: per-neuron current}
    late_bias: dict = dataclasses.field(default_factory=dict)

    @property
    def spiking(self) -> bool:
        return self.v_threshold is not None


@dataclasses.dataclass
class Projection:
    """Spikes of ``source`` reach ``target`` through ``weights[d]`` (shape (pre, post))
    after ``d`` extra timesteps (NIR Delay nodes); key 0 means no Delay on the path."""
    source: str
    target: str
    weights: dict[int, np.ndarray]


@dataclasses.dataclass
class LoweredGraph:
    dt: float
    method: str
    inputs: dict[str, int]                  # name -> size
    groups: dict[str, NeuronGroup]
    projections: list[Projection]
    #: Output node name -> (input or group name, "spikes" or "v")
    outputs: dict[str, tuple[str, str]]
    #: Input name -> its shape when it has more than one axis (e.g. (2, 34, 34))
    input_shapes: dict[str, tuple[int, ...]] = dataclasses.field(default_factory=dict)


# --------------------------------------------------------------------------- graph walking



def load_graph(graph_or_path):
    """A NIRGraph, or a path to a NIR HDF5 file; NIRImportError for a file that is not one."""
    import nir
    if isinstance(graph_or_path, (str, Path)):
        path = Path(graph_or_path)
        if not path.is_file():
            raise FileNotFoundError(2, "no such NIR file", str(path))
        why = not_hdf5(path)
        if why is not None:
            raise NIRImportError(f"{path} is not a NIR file: NIR files are HDF5 and this one "
                                 f"{why}; write graphs "
                                 f"with nir.write(path, graph)")
        try:
            graph = nir.read(path)
        except Exception as error:       # nir.read fails in many ways on HDF5 that is not NIR
            raise NIRImportError(f"{path} is HDF5 but not a NIR graph nir.read can read "
                                 f"({type(error).__name__}: {error}); write graphs with "
                                 f"nir.write(path, graph)") from None
        if not isinstance(graph, nir.NIRGraph):
            raise NIRImportError(f"{path} holds a single {type(graph).__name__} node, not a "
                                 f"graph; wrap it in a nir.NIRGraph with Input and Output nodes")
        return graph
    if not isinstance(graph_or_path, nir.NIRGraph):
        raise NIRImportError(f"from_nir expects a nir.NIRGraph or a path to a NIR file, got "
                             f"{type(graph_or_path).__name__}")
    return graph_or_path


@dataclasses.dataclass
class _Flat:
    """A graph with nested graphs inlined (node names qualified by ``sub.``)."""
    nodes: dict
    edges: list
    relays: set          # Input/Output nodes of nested graphs: plain pass-throughs


def _flatten(graph, prefix: str = "") -> _Flat:
    """Inline nested graphs. An edge naming a subgraph connects to its single Input
    (as a destination) or single Output (as a source), or to ``sub.node`` by path."""
    import nir
    flat = _Flat({}, [], set())
    subgraphs = {}
    for name, node in graph.nodes.items():
        q = prefix + name
        if isinstance(node, nir.NIRGraph):
            inner = _flatten(node, q + ".")
            flat.nodes.update(inner.nodes)
            flat.edges.extend(inner.edges)
            flat.relays |= inner.relays
            flat.relays |= {q + "." + k for k in (*node.inputs, *node.outputs)}
            subgraphs[name] = node
        else:
            flat.nodes[q] = plain(node)         # torch tensors (Norse) as numpy
    for src, dst in graph.edges:
        flat.edges.append((_endpoint(graph, src, "source", prefix),
                           _endpoint(graph, dst, "destination", prefix)))
    return flat


def _endpoint(graph, name: str, role: str, prefix: str) -> str:
    """The qualified leaf node an edge end ``name`` of ``graph`` refers to."""
    import nir
    node = graph.nodes.get(name)
    if node is not None and not isinstance(node, nir.NIRGraph):
        return prefix + name
    if node is None:                       # "sub.inner" path into a nested graph
        head, _, rest = name.partition(".")
        sub = graph.nodes.get(head)
        if isinstance(sub, nir.NIRGraph) and rest:
            return _endpoint(sub, rest, role, prefix + head + ".")
        raise NIRImportError(f"an edge refers to {prefix + name!r}, which is not a node of "
                             f"the graph")
    ports = node.inputs if role == "destination" else node.outputs
    if len(ports) != 1:
        kind = "Input" if role == "destination" else "Output"
        raise NIRImportError(
            f"an edge uses subgraph {prefix + name!r} as {role}, but it has {len(ports)} {kind} "
            f"nodes ({', '.join(ports) or 'none'}); name one, e.g. '{name}.<{kind} node>'")
    return prefix + name + "." + next(iter(ports))


def _kind(node) -> str:
    return type(node).__name__


def _param_size(node) -> int | None:
    """Neurons implied by an elementwise node's parameters (None when they are scalars)."""
    field = {"Scale": "scale", "Delay": "delay", "IF": "r", "LIF": "tau", "LI": "tau",
             "CubaLIF": "tau_mem", "CubaLI": "tau_mem"}.get(_kind(node))
    if field is None:
        return None
    size = int(np.size(getattr(node, field)))
    return size if size > 1 else None


def _type_size(types) -> int | None:
    if not types:
        return None
    values = [t for t in types.values() if t is not None]
    if len(values) != 1 or np.size(values[0]) == 0:
        return None
    return int(np.prod(values[0]))


def _shape_of(types) -> tuple[int, ...] | None:
    """The shape of a node's single port, if the graph states it."""
    values = [v for v in (types or {}).values() if v is not None and np.size(v)]
    return tuple(int(d) for d in np.asarray(values[0]).reshape(-1)) if len(values) == 1 else None


def _sizes(flat: _Flat) -> dict[str, tuple[int, int]]:
    """(input size, output size) of every node: vectors are flattened in C order.

    Elementwise nodes have one size; nodes with scalar parameters (as snnTorch exports
    a shared beta) take it from their neighbours.
    """
    size_in, size_out = {}, {}
    for name, node in flat.nodes.items():
        kind = _kind(node)
        if kind in ("Linear", "Affine"):
            w = np.asarray(node.weight)
            if w.ndim != 2:
                raise NIRImportError(f"{kind} node {name!r} has a {w.ndim}-D weight of shape "
                                     f"{w.shape}; fenn imports 2-D (out, in) weights")
            size_in[name], size_out[name] = w.shape[1], w.shape[0]
        else:
            if kind == "Input":
                s = _type_size(node.input_type)
            elif kind == "Output":
                s = _type_size(node.output_type)
            elif kind in ("Flatten", "Identity"):
                s = _type_size(node.input_type)
            else:
                s = _param_size(node)
            size_in[name] = size_out[name] = s
    elementwise = {n for n in flat.nodes if _kind(flat.nodes[n]) not in ("Linear", "Affine")}
    changed = True
    while changed:
        changed = False
        for src, dst in flat.edges:
            a, b = size_out[src], size_in[dst]
            if a is not None and b is not None and a != b:
                raise NIRImportError(
                    f"size mismatch on edge {src!r} -> {dst!r}: {_kind(flat.nodes[src])} "
                    f"{src!r} gives {a} values, {_kind(flat.nodes[dst])} {dst!r} takes {b}")
            if a is None and b is not None and src in elementwise:
                size_in[src] = size_out[src] = b
                changed = True
            elif b is None and a is not None and dst in elementwise:
                size_in[dst] = size_out[dst] = a
                changed = True
    for name in flat.nodes:
        if size_in[name] is None:
            raise NIRImportError(f"cannot tell the size of {_kind(flat.nodes[name])} node "
                                 f"{name!r}: give it vector parameters or connect it to a "
                                 f"node of known size")
    return {n: (size_in[n], size_out[n]) for n in flat.nodes}


def _delay_steps(name: str, delay, n: int, dt: float) -> np.ndarray:
    steps = _vector(delay, n, f"Delay node {name!r}") / dt
    whole = np.round(steps)
    if np.any(np.abs(steps - whole) > _DELAY_TOLERANCE) or np.any(whole < 0):
        bad = steps[np.argmax(np.abs(steps - whole))]
        raise NIRImportError(f"Delay node {name!r}: delay {bad * dt} is not a whole number of "
                             f"timesteps of dt={dt} ({bad:.6g} steps); choose a dt that divides "
                             f"every delay")
    return whole.astype(np.int64)


def _vector(value, n: int, what: str) -> np.ndarray:
    """A float64 vector of length n from a scalar, shape-(1,) or n-element array."""
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if arr.size == 1:
        return np.full(n, float(arr[0]))
    if arr.size != n:
        raise NIRImportError(f"{what} has {arr.size} values but {n} are needed")
    return arr.copy()


# --------------------------------------------------------------------------- lowering

class _Eye:
    """The identity map of a path that has not met a matrix yet (not materialised, so a
    large Input followed by a Linear costs one weight matrix, not an n x n identity)."""

    def __init__(self, n: int):
        self.n = n


def _dense(m) -> np.ndarray:
    return np.eye(m.n) if isinstance(m, _Eye) else m


def _apply(name: str, node, lin: dict, sizes, dt: float) -> dict:
    """Push a path's linear map {delay: matrix} through one linear node."""
    kind = _kind(node)
    if kind in ("Linear", "Affine"):
        w = np.asarray(node.weight, dtype=np.float64)
        return {d: w.copy() if isinstance(m, _Eye) else w @ m for d, m in lin.items()}
    if kind == "Scale":
        s = _vector(node.scale, sizes[name][0], f"Scale node {name!r}")
        return {d: s[:, None] * _dense(m) for d, m in lin.items()}
    if kind == "Delay":
        steps = _delay_steps(name, node.delay, sizes[name][0], dt)
        out = {}
        for d, m in lin.items():
            for k in np.unique(steps):
                part = np.where((steps == k)[:, None], _dense(m), 0.0)
                out[d + int(k)] = out.get(d + int(k), 0.0) + part
        return out
    return lin                      # Flatten, Identity, nested Input/Output: pass-through


def _bias_apply(name: str, node, bias: dict, sizes, dt: float) -> dict:
    """Push a constant current {first step: vector} through one linear node: a Delay
    does not change a constant, but it arrives ``delay`` steps later (nothing is in the
    delay line before the run starts)."""
    kind = _kind(node)
    if kind in ("Linear", "Affine"):
        w = np.asarray(node.weight, dtype=np.float64)
        return {k: w @ b for k, b in bias.items()}
    if kind == "Scale":
        s = _vector(node.scale, sizes[name][0], f"Scale node {name!r}")
        return {k: s * b for k, b in bias.items()}
    if kind == "Delay":
        steps = _delay_steps(name, node.delay, sizes[name][0], dt)
        out = {}
        for k, b in bias.items():
            for d in np.unique(steps):
                out[k + int(d)] = out.get(k + int(d), 0.0) + np.where(steps == d, b, 0.0)
        return out
    return bias


def lower(graph_or_path, dt: float, method: str = "exact",
          exporter: str | None = None) -> LoweredGraph:
    """Walk a NIR graph and discretise it at ``dt`` (in the graph's time unit), reading its
    numbers by ``exporter``'s convention (:mod:`fenn.nir_exporters`)."""
    if not (np.isscalar(dt) and np.isfinite(dt) and dt > 0):
        raise OptionError(f"dt must be a positive number (in the graph's time unit, usually "
                         f"seconds), got {dt!r}")
    if method not in METHODS:
        raise OptionError(f"method must be one of {METHODS}, got {method!r}")
    if exporter not in (None, *EXPORTERS):
        raise OptionError(f"exporter must be None (guess from the graph) or one of {EXPORTERS}, "
                         f"got {exporter!r}")
    graph = load_graph(graph_or_path)
    exporter = exporter or exporter_of(graph)
    flat = _flatten(graph)
    for name, node in flat.nodes.items():
        if _kind(node) not in SUPPORTED_NODES:
            raise UnsupportedNIRNode(name, node)
        if _kind(node) in CONV_NODES:
            try:
                flat.nodes[name] = as_linear(name, node)
            except ConvShapeError as error:
                raise NIRImportError(str(error)) from None
    if not any(_kind(n) == "Input" and name not in flat.relays for name, n in flat.nodes.items()):
        raise NIRImportError(
            f"the graph has no Input node, so nothing can drive it and it would import as an "
            f"empty network; add one (nir.Input(input_type={{'input': np.array([n])}})) with an "
            f"edge to the first node (nodes: {', '.join(sorted(flat.nodes)) or 'none'})")
    undo(flat.nodes, exporter, dt)
    check(flat.nodes, dt, method, exporter)
    sizes = _sizes(flat)
    successors = {name: [] for name in flat.nodes}
    for src, dst in flat.edges:
        successors[src].append(dst)

    def role(name):
        kind = _kind(flat.nodes[name])
        if kind in NEURON_NODES:
            return "neuron"
        if kind in ("Input", "Output") and name not in flat.relays:
            return kind.lower()
        return "linear"

    inputs = {n: sizes[n][0] for n in flat.nodes if role(n) == "input"}
    neurons = [n for n in flat.nodes if role(n) == "neuron"]
    outputs, weights = {}, {}

    def walk(source, name, lin, trail):
        if role(name) == "neuron":
            if source in neurons and _kind(flat.nodes[source]) in ("LI", "CubaLI"):
                raise NIRImportError(
                    f"{_kind(flat.nodes[source])} node {source!r} feeds {name!r}, but a "
                    f"non-spiking node's output (its voltage) cannot be propagated: fenn "
                    f"connects spiking populations; let {source!r} feed only an Output")
            target = weights.setdefault((source, name), {})
            for d, m in lin.items():
                target[d] = target.get(d, 0.0) + _dense(m)
            return
        if role(name) == "output":
            if list(lin) != [0] or not isinstance(lin[0], _Eye):
                through = [n for n in trail if n not in flat.relays]
                raise NIRImportError(
                    f"Output {name!r} is reached from {source!r} through "
                    f"{' -> '.join(through)}; fenn records populations, so an Output must "
                    f"follow a neuron node (Flatten and nested graphs' Input/Output aside)")
            if source in inputs:
                raise NIRImportError(f"Output {name!r} follows Input {source!r} directly; "
                                     f"there is nothing to compute or record")
            if name in outputs and outputs[name][0] != source:
                raise NIRImportError(f"Output {name!r} is fed by both {outputs[name][0]!r} and "
                                     f"{source!r}; fenn records one population per Output: "
                                     f"give each its own Output node")
            spiking = _kind(flat.nodes[source]) not in ("LI", "CubaLI")
            outputs[name] = (source, "spikes" if spiking else "v")
            return
        if role(name) == "input":
            raise NIRImportError(f"edge into Input node {name!r}; graph inputs take no edges")
        if name in trail:
            loop = trail[trail.index(name):] + (name,)
            raise NIRImportError(f"the loop {' -> '.join(loop)} has no neuron node on it, so "
                                 f"it has no state to break it: every recurrent edge must pass "
                                 f"through a neuron")
        lin = _apply(name, flat.nodes[name], lin, sizes, dt)
        for nxt in successors[name]:
            walk(source, nxt, lin, trail + (name,))

    for source in (*inputs, *neurons):
        n = sizes[source][1]
        for nxt in successors[source]:
            walk(source, nxt, {0: _Eye(n)}, ())

    biases = {n: {} for n in neurons}          # neuron -> {first step: constant current}

    def carry_bias(name, bias, trail):
        if role(name) == "neuron":
            for k, b in bias.items():
                biases[name][k] = biases[name].get(k, 0.0) + b
            return
        if role(name) == "output":
            raise NIRImportError(f"Output {name!r} is fed by linear node {trail[-1]!r}; fenn "
                                 f"records populations, so an Output must follow a neuron node")
        if name in trail:
            return                      # reported by walk() when the loop carries spikes
        bias = _bias_apply(name, flat.nodes[name], bias, sizes, dt)
        for nxt in successors[name]:
            carry_bias(nxt, bias, trail + (name,))

    for name, node in flat.nodes.items():
        if _kind(node) == "Affine":
            bias = _vector(node.bias, sizes[name][1], f"Affine node {name!r} bias")
            for nxt in successors[name]:
                carry_bias(nxt, {0: bias}, (name,))

    groups = {}
    for n in neurons:
        from_start = np.asarray(biases[n].get(0, np.zeros(sizes[n][0])), dtype=np.float64)
        groups[n] = _discretise(n, flat.nodes[n], sizes[n][0], from_start, dt, method)
        groups[n].late_bias = {k: b for k, b in sorted(biases[n].items()) if k > 0 and np.any(b)}
    projections = [Projection(src, dst, {d: np.ascontiguousarray(m.T) for d, m in
                                         sorted(lin.items()) if np.any(m)})
                   for (src, dst), lin in weights.items()]
    projections = [p for p in projections if p.weights]
    shapes = {n: _shape_of(flat.nodes[n].input_type) for n in inputs}
    return LoweredGraph(dt, method, inputs, groups, projections, outputs,
                        {n: shape for n, shape in shapes.items() if shape and len(shape) > 1})


def _discretise(name: str, node, n: int, bias: np.ndarray, dt: float,
                method: str) -> NeuronGroup:
    kind = _kind(node)
    vec = lambda field: _vector(getattr(node, field), n, f"{kind} node {name!r} {field}")  # noqa: E731
    r = vec("r")
    spiking = kind in ("IF", "LIF", "CubaLIF")
    threshold = vec("v_threshold") if spiking else None
    reset = vec("v_reset") if spiking else None
    if kind == "IF":
        return NeuronGroup(name, kind, n, alpha=np.ones(n), gain=dt * r,
                           v_rest=np.full(n, np.nan), drive=dt * r * bias,
                           v_threshold=threshold, v_reset=reset, bias=bias)
    if kind in ("LIF", "LI"):
        alpha = decay_factor(vec("tau"), dt, method)
        v_rest = vec("v_leak") + r * bias
        return NeuronGroup(name, kind, n, alpha=alpha, gain=(1 - alpha) * r, v_rest=v_rest,
                           drive=(1 - alpha) * v_rest, v_threshold=threshold, v_reset=reset,
                           bias=bias)
    alpha = decay_factor(vec("tau_mem"), dt, method)
    alpha_syn = decay_factor(vec("tau_syn"), dt, method)
    w_in = vec("w_in")
    syn_gain = (1 - alpha_syn) * w_in
    return NeuronGroup(name, kind, n, alpha=alpha, gain=(1 - alpha) * r,
                       v_rest=vec("v_leak") + r * w_in * bias, drive=(1 - alpha) * vec("v_leak"),
                       v_threshold=threshold, v_reset=reset, alpha_syn=alpha_syn,
                       syn_gain=syn_gain, syn_drive=syn_gain * bias, bias=bias)


# --------------------------------------------------------------------------- fenn network

@dataclasses.dataclass
class NIRImport:
    """What :func:`import_nir` made: the network and how NIR names map onto it."""
    network: object                        # fenn.Network
    lowered: LoweredGraph
    names: dict[str, str]                  # NIR node -> fenn input/population name
    #: NIR Output node -> fenn result key (e.g. "lif2.spikes", "readout.v")
    outputs: dict[str, str]
    #: per NIR neuron node: v_fenn = scale * v_nir; the scale is 1 unless the node's
    #: thresholds differ between neurons and each neuron was scaled to threshold 1
    voltage_scales: dict[str, np.ndarray]
    #: name of the bias clock population, if any: it carries only biases behind Delays
    #: (they start later than step 0); everything else is exact from step 0
    clock: str | None = None

    def inputs(self, spikes: dict) -> dict:
        """``{NIR Input name: spikes}`` -> the ``inputs=`` of ``fenn.run``."""
        unknown = set(spikes) - set(self.lowered.inputs)
        if unknown:
            raise KeyError(f"{sorted(unknown)} are not Input nodes of the graph (it has "
                           f"{sorted(self.lowered.inputs)})")
        return {self.names[name]: value for name, value in spikes.items()}

    def outputs_of(self, results) -> dict:
        """fenn results (``fenn.run``'s or the float model's) -> ``{NIR Output name:
        array}``, voltages back in the graph's units."""
        out = {}
        for name, key in self.outputs.items():
            value = results[key]
            if key.endswith(".v"):
                node = self.lowered.outputs[name][0]
                value = np.asarray(value) / self.voltage_scales[node]
            out[name] = value
        return out


def _identifier(name: str, taken: set) -> str:
    base = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "node"
    if not (base[0].isalpha() or base[0] == "_"):
        base = "n" + base
    candidate, k = base, 1
    while candidate in taken:
        k += 1
        candidate = f"{base}_{k}"
    taken.add(candidate)
    return candidate


def _fenn_neuron(group: NeuronGroup):
    """The fenn model for a group, the per-neuron input scale, the constant currents the
    clock must carry ({first step: per-neuron weight}; only biases behind Delays, which
    start later) and the voltage scale ``k`` (``v_fenn = k*v_nir``). Time constants,
    leak levels and biases there from step 0 are per-neuron parameters of the model."""
    from .models.nir_neurons import NIRNeuron
    k = np.ones(group.n)
    thr = reset = None
    if group.spiking:
        thr_values, reset_values = group.v_threshold, group.v_reset
        if np.allclose(thr_values, thr_values[0]) and np.allclose(reset_values, reset_values[0]):
            thr, reset = float(thr_values[0]), float(reset_values[0])
        elif np.all(thr_values > 0) and np.allclose(reset_values / thr_values,
                                                    reset_values[0] / thr_values[0],
                                                    rtol=1e-6, atol=1e-12):
            # scale each neuron's v so that its threshold is 1 (one threshold, one reset)
            k = 1.0 / thr_values
            thr, reset = 1.0, float(reset_values[0] * k[0])
        else:                       # per-neuron threshold and reset parameters
            thr, reset = _nearly_uniform(thr_values), _nearly_uniform(reset_values)
    drive = _nearly_uniform(k * group.drive)
    syn_drive = 0.0
    if group.alpha_syn is None:
        scale = k * group.gain
    else:
        scale = k * group.gain * group.syn_gain
        syn_drive = _nearly_uniform(k * group.gain * group.syn_drive)
    clock = {first_step: scale * current                       # biases behind Delays
             for first_step, current in group.late_bias.items()}
    alpha = _nearly_uniform(group.alpha)
    alpha_syn = None if group.alpha_syn is None else _nearly_uniform(group.alpha_syn)
    leak = np.abs(np.broadcast_to(drive, (group.n,)))
    rest = np.where(group.alpha < 1, leak / np.maximum(1e-12, 1.0 - group.alpha), 0.0)
    levels = [float(np.max(rest, initial=0.0)), 1.0]
    if thr is not None:
        levels += [float(np.max(np.abs(thr))), float(np.max(np.abs(reset)))]
    model = NIRNeuron(group.kind, alpha, drive, thr, 0.0 if reset is None else reset, alpha_syn,
                      magnitude=4.0 * max(levels), syn_drive=syn_drive)
    return model, scale, clock, k


def _nearly_uniform(values: np.ndarray):
    """One float when the per-neuron values agree (to rounding), else the array."""
    values = np.asarray(values, dtype=np.float64)
    if np.allclose(values, values[0], rtol=1e-9, atol=1e-15):
        return float(values[0])
    return values


def import_nir(graph_or_path, dt: float, *, method: str = "exact",
               time_unit: str = "s", exporter: str | None = None,
               currents: dict | None = None) -> NIRImport:
    """Build a fenn.Network from a NIR graph; see :func:`from_nir`."""
    from .network import Network
    units = {"s": 1000.0, "ms": 1.0}
    if time_unit not in units:
        raise OptionError(f"time_unit must be 's' or 'ms' (the unit of the graph's time "
                         f"constants and of dt), got {time_unit!r}")
    lowered = lower(graph_or_path, dt, method, exporter)
    currents = dict(currents or {})
    unknown = set(currents) - set(lowered.inputs)
    if unknown:
        raise OptionError(f"currents= names {sorted(unknown)}, which are not Input nodes of the "
                          f"graph (it has {sorted(lowered.inputs)})")
    net = Network(dt=dt * units[time_unit])
    taken, names, groups, scales, scales_v, clocks = set(), {}, {}, {}, {}, {}
    for name, size in lowered.inputs.items():
        names[name] = _identifier(name, taken)
        kind = {"kind": "current", "max_value": currents[name]} if name in currents else {}
        groups[name] = net.input(lowered.input_shapes.get(name, size), name=names[name], **kind)
    for name, group in lowered.groups.items():
        model, scale, clock_weights, v_scale = _fenn_neuron(group)
        names[name] = _identifier(name, taken)
        groups[name] = net.population(group.n, model, name=names[name])
        scales[name], scales_v[name] = scale, v_scale
        if clock_weights:
            clocks[name] = clock_weights
    for p in lowered.projections:
        pre, post, scale = groups[p.source], groups[p.target], scales[p.target]
        if len(p.weights) == 1 or _disjoint(p.weights):
            total = sum(w * scale[None, :] for w in p.weights.values())
            delays = sum(np.where(w != 0, d, 0) for d, w in p.weights.items()).astype(np.int64)
            if np.count_nonzero(total) < SPARSE_BELOW * total.size and p.source not in currents:
                rows, cols = np.nonzero(total)
                net.connect(pre, post, sparse=(rows, cols, total[rows, cols]),
                            delays=delays[rows, cols] if delays.any() else None)
            else:
                net.connect(pre, post, weights=total, delays=delays if delays.any() else None)
        else:
            for d, w in p.weights.items():
                net.connect(pre, post, weights=w * scale[None, :], delays=d if d else None)
    clock = None
    if clocks:
        clock = _identifier("nir_bias_clock", taken)
        from .models.nir_neurons import Clock
        source = net.population(1, Clock(), name=clock)
        for name, by_step in clocks.items():
            # the clock's spike of step s - 1 arrives in step s (delay s - 1, s >= 1)
            by_delay = {}
            for first_step, weights in by_step.items():
                delay = first_step - 1
                by_delay[delay] = by_delay.get(delay, 0.0) + weights
            for delay, weights in sorted(by_delay.items()):
                net.connect(source, groups[name], weights=weights[None, :],
                            delays=delay if delay else None)
    for name, group in lowered.groups.items():
        if not group.spiking:
            _bound_readout(groups[name], net)
    outputs = {}
    for out, (name, what) in lowered.outputs.items():
        target = groups[name].spikes if what == "spikes" else groups[name].v
        if not any(r.key == target.key for r in net.recordings):
            net.record(target)
        outputs[out] = target.key
    return NIRImport(net, lowered, names, outputs, scales_v, clock)


#: the largest magnitude a 16-bit format can hold (s15.0)
_READOUT_MAGNITUDE_CAP = 32767.0


def _bound_readout(population, net) -> None:
    """Size a non-spiking population's format for the largest value it can reach: the
    largest input of one step over all spike patterns (every excitatory synapse firing,
    or every inhibitory one) held for ever, ``(|drive| + max(sum w+, sum w-)) / (1 - alpha)``
    (and ``/ (1 - alpha_syn)`` for the synaptic current). It cannot saturate, at the
    price of resolution when activity is sparse: pass ``formats=`` to ``fenn.compile``
    for a readout whose range you know."""
    model = population.model
    excite = np.zeros(population.size)
    inhibit = np.zeros(population.size)
    for c in net.connections:
        if c.post is population:
            w = c.float_weights()
            excite += np.clip(w, 0, None).sum(axis=0)
            inhibit += np.clip(-w, 0, None).sum(axis=0)
    step = np.abs(model.drive) + np.maximum(excite, inhibit)
    gain = 1.0 / np.maximum(1e-9, 1.0 - np.asarray(model.alpha))
    if model.alpha_syn is not None:
        gain = gain / np.maximum(1e-9, 1.0 - np.asarray(model.alpha_syn))
    syn = 0.0 if model.alpha_syn is None else np.abs(model.syn_drive) / np.maximum(
        1e-9, 1.0 - np.asarray(model.alpha_syn))
    bound = float(np.max(step * gain + syn / np.maximum(1e-9, 1.0 - np.asarray(model.alpha)),
                         initial=0.0))
    model.set_magnitude(min(max(4.0, bound), _READOUT_MAGNITUDE_CAP))


def _disjoint(weights: dict) -> bool:
    """True when no synapse appears under two delays (one connection can carry them all)."""
    used = np.zeros_like(next(iter(weights.values())), dtype=np.int64)
    for w in weights.values():
        used += (w != 0)
    return bool(np.all(used <= 1))


def from_nir(graph_or_path, dt: float, *, method: str = "exact", time_unit: str = "s",
             exporter: str | None = None, currents: dict | None = None):
    """A ``fenn.Network`` from a NIR graph (a ``nir.NIRGraph`` or a path to a NIR file).

    ``dt`` is the timestep in the graph's time unit (``time_unit``: NIR exporters use
    seconds; snnTorch's export assumes dt = 1e-4 s). ``method`` is ``"exact"`` (exponential
    decay ``exp(-dt/tau)``) or ``"euler"`` (``1 - dt/tau``, matching snnTorch's runs).
    ``exporter`` (``"snntorch"``, ``"norse"`` or None: guessed from the graph) names the tool
    that wrote the graph, whose conventions fenn then applies and checks (docs/nir.md,
    *Exporters*); what looks wrong for the options warns with
    :class:`fenn.errors.NIRConventionWarning`.
    ``currents`` ({NIR Input name: largest value}) makes those inputs real-valued
    (``net.input(..., kind="current")``: direct coding, values not spikes).
    Each NIR Output becomes a recording: ``<population>.spikes`` for spiking nodes,
    ``<population>.v`` for LI/CubaLI; :func:`import_nir` also returns the name mapping.
    docs/nir.md states the discretisation rule in full.
    """
    return import_nir(graph_or_path, dt, method=method, time_unit=time_unit,
                      exporter=exporter, currents=currents).network
