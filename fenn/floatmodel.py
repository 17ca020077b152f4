"""The float64 model: the same network and timing, without quantisation.

It evaluates each model's traced update (the same graph the compiler lowers) on float64
arrays of shape (samples, neurons), so comparing it with the integer reference shows
how far fixed point moves the result.
"""

from __future__ import annotations

import numpy as np

from .models.language import trace

__all__ = ["simulate_float"]

_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply,
    "ge": np.greater_equal, "gt": np.greater, "le": np.less_equal, "lt": np.less,
    "eq": np.equal, "ne": np.not_equal, "and": np.logical_and, "or": np.logical_or,
}


def _evaluate(tr, state: dict, current: np.ndarray):
    """Evaluate a trace on float arrays; returns (new state dict, spike bool array or None)."""
    values: dict[int, np.ndarray] = {}
    for node in tr.nodes():
        op = node.op
        if op == "var":
            out = state[node.value]
        elif op == "input":
            out = current
        elif op in ("const", "bconst"):
            out = node.value
        elif op == "param":
            out = tr.params[node.value]          # one value per neuron, broadcast over samples
        elif op in _BINARY:
            out = _BINARY[op](values[id(node.args[0])], values[id(node.args[1])])
        elif op == "neg":
            out = -values[id(node.args[0])]
        elif op == "not":
            out = np.logical_not(values[id(node.args[0])])
        elif op == "where":
            out = np.where(*(values[id(a)] for a in node.args))
        else:
            raise ValueError(f"float model: unknown node {op!r}")
        values[id(node)] = out
    shape = current.shape
    new_state = {k: np.broadcast_to(np.asarray(values[id(e)], dtype=np.float64), shape).copy()
                 for k, e in tr.updates.items()}
    spike = None
    if tr.spike is not None:
        spike = np.broadcast_to(np.asarray(values[id(tr.spike)], dtype=bool), shape).copy()
    return new_state, spike


def simulate_float(net, inputs: dict[str, np.ndarray], timesteps: int) -> dict[str, np.ndarray]:
    """Run ``net`` in float64 on bool rasters ``inputs[name]`` (S, T, N) (real values for
    current inputs).

    Returns recordings keyed like :func:`fenn.run`'s results: spikes as bool (S, T, N),
    state as float (S, T, N), reductions as float (S, N).
    """
    rasters = {g.name: np.asarray(inputs[g.name], dtype=np.float64 if g.kind == "current" else bool)
               for g in net.inputs}
    S = next(iter(rasters.values())).shape[0] if rasters else 1
    traces = {p.name: trace(p.model, net.dt) for p in net.populations}
    state = {p.name: {k: np.tile(p.initial_values(k), (S, 1)) for k in p.model.state()}
             for p in net.populations}
    slots = {p.name: 1 + max([c.max_delay for c in net.connections if c.post is p], default=0)
             for p in net.populations}
    ring = {p.name: np.zeros((slots[p.name], S, p.size)) for p in net.populations}
    prev = {p.name: np.zeros((S, p.size), dtype=bool) for p in net.populations}
    dense = {c.name: c.float_weights() for c in net.connections}
    out = {}
    for r in net.recordings:
        size = r.target.group.size
        if r.reduce is None:
            dtype = bool if r.target.variable == "spikes" else np.float64
            out[r.key] = np.zeros((S, timesteps, size), dtype=dtype)
        else:
            out[r.key] = np.full((S, size), -np.inf if r.reduce == "max" else 0.0)
    for t in range(timesteps):
        for c in net.connections:
            spikes = rasters[c.pre.name][:, t] if c.pre.name in rasters else prev[c.pre.name]
            post = c.post.name
            if c.delays is None:
                ring[post][t % slots[post]] += spikes.astype(np.float64) @ dense[c.name]
            elif c.weights is not None:
                for d in np.unique(c.delays):
                    w = np.where(c.delays == d, c.weights, 0.0)
                    ring[post][(t + d) % slots[post]] += spikes.astype(np.float64) @ w
            else:
                pre_idx, post_idx, w = c.sparse
                for d in np.unique(c.delays):
                    sel = c.delays == d
                    m = np.zeros((c.pre.size, c.post.size))
                    np.add.at(m, (pre_idx[sel], post_idx[sel]), w[sel])
                    ring[post][(t + d) % slots[post]] += spikes.astype(np.float64) @ m
        current = {}
        for p in net.populations:
            slot = t % slots[p.name]
            current = ring[p.name][slot].copy()
            ring[p.name][slot] = 0.0
            state[p.name], spike = _evaluate(traces[p.name], state[p.name], current)
            if spike is not None:
                prev[p.name] = spike
        for r in net.recordings:
            name, var = r.target.group.name, r.target.variable
            value = prev[name] if var == "spikes" else state[name][var]
            if r.reduce is None:
                out[r.key][:, t] = value
            elif r.reduce == "mean":
                out[r.key] += value / timesteps
            elif r.reduce == "max":
                out[r.key] = np.maximum(out[r.key], value)
            else:
                out[r.key] = value.copy()
    return out
