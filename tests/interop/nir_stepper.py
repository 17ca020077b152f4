"""An independent float64 model of a NIR graph at a fixed timestep (test helper).

It evaluates the NIR nodes themselves, one timestep at a time, straight from the rule in
docs/nir.md, sharing no code with fenn.nir: linear nodes are applied to their inputs every
step (no matrices are multiplied out), delays read a history, and neuron nodes integrate
with their own parameters. Timing follows fenn: an Input's value reaches its consumers in
the same step, a neuron node's spikes in the next step.
"""

from __future__ import annotations

import math

import nir
import numpy as np


def _inline(graph, prefix=""):
    nodes, edges = {}, []
    for name, node in graph.nodes.items():
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = _inline(node, prefix + name + ".")
            nodes.update(sub_nodes)
            edges += sub_edges
            # nested Input/Output nodes become identities
            for k in (*node.inputs, *node.outputs):
                nodes[prefix + name + "." + k] = ("identity",)
        else:
            nodes[prefix + name] = node

    def end(name, want):
        node = graph.nodes.get(name)
        if isinstance(node, nir.NIRGraph):
            ports = node.inputs if want == "in" else node.outputs
            (port,) = ports
            return prefix + name + "." + port
        if node is None:
            head, rest = name.split(".", 1)
            return end_sub(graph.nodes[head], prefix + head + ".", rest, want)
        return prefix + name

    def end_sub(sub, sub_prefix, rest, want):
        node = sub.nodes.get(rest)
        if isinstance(node, nir.NIRGraph):
            (port,) = node.inputs if want == "in" else node.outputs
            return sub_prefix + rest + "." + port
        return sub_prefix + rest

    for a, b in graph.edges:
        edges.append((end(a, "out"), end(b, "in")))
    return nodes, edges


def _flat(x):
    return np.asarray(x, dtype=np.float64).reshape(-1)


class NIRStepper:
    def __init__(self, graph, dt: float, method: str = "exact"):
        self.nodes, edges = _inline(graph)
        self.dt, self.method = dt, method
        self.preds = {n: [] for n in self.nodes}
        for a, b in edges:
            self.preds[b].append(a)
        self.top_inputs = [n for n, x in graph.nodes.items() if isinstance(x, nir.Input)]
        self.top_outputs = [n for n, x in graph.nodes.items() if isinstance(x, nir.Output)]

    def _decay(self, tau):
        tau = _flat(tau)
        return np.exp(-self.dt / tau) if self.method == "exact" else 1 - self.dt / tau

    def _is_neuron(self, name):
        return type(self.nodes[name]).__name__ in ("IF", "LIF", "LI", "CubaLIF", "CubaLI")

    def run(self, inputs: dict[str, np.ndarray]):
        """inputs: top-level Input name -> (T, n) array. Returns {neuron: (T, n) spikes},
        {neuron: (T, n) v}."""
        T = len(next(iter(inputs.values())))
        neurons = [n for n in self.nodes if self._is_neuron(n)]
        spikes = {n: [] for n in neurons}
        volts = {n: [] for n in neurons}
        state = {n: {} for n in neurons}
        memo = {}

        def value(name, t, bias_only=False):
            """The signal a node emits at step t, as seen by its consumers at step t
            (``bias_only``: with every input and spike silent)."""
            if t < 0:
                return 0.0
            if self._is_neuron(name):
                # spikes of the previous step
                return spikes[name][t - 1] if t >= 1 and not bias_only else 0.0
            key = (name, t, bias_only)
            if key in memo:
                return memo[key]
            node = self.nodes[name]
            if isinstance(node, nir.Input) and name in inputs:
                out = 0.0 if bias_only else inputs[name][t].astype(np.float64)
            else:
                x = sum((value(p, t, bias_only) for p in self.preds[name]), 0.0)
                kind = type(node).__name__ if not isinstance(node, tuple) else "identity"
                if kind in ("Linear", "Affine"):
                    out = np.asarray(node.weight, np.float64) @ np.broadcast_to(
                        x, (node.weight.shape[1],))
                    if kind == "Affine":
                        out = out + _flat(node.bias)
                elif kind == "Scale":
                    out = _flat(node.scale) * x
                elif kind == "Delay":
                    steps = np.rint(_flat(node.delay) / self.dt).astype(int)
                    n = steps.size
                    out = np.array([np.broadcast_to(
                        sum((value(p, t - steps[j], bias_only) for p in self.preds[name]), 0.0),
                        (n,))[j] if t - steps[j] >= 0 else 0.0 for j in range(n)])
                else:                               # Flatten, Identity, Input/Output relays
                    out = x
            memo[key] = out
            return out

        for t in range(T):
            currents = {n: sum((value(p, t) for p in self.preds[n]), 0.0) for n in neurons}
            for n in neurons:
                node, I, st = self.nodes[n], currents[n], state[n]
                kind = type(node).__name__
                size = _flat(node.r).size
                v = st.get("v", np.zeros(size))
                if kind == "IF":
                    v = v + self.dt * _flat(node.r) * I
                elif kind in ("LIF", "LI"):
                    a = self._decay(node.tau)
                    v = a * v + (1 - a) * (_flat(node.v_leak) + _flat(node.r) * I)
                else:
                    a_s = self._decay(node.tau_syn)
                    i_syn = a_s * st.get("i", np.zeros(size)) + (1 - a_s) * _flat(node.w_in) * I
                    st["i"] = i_syn
                    a = self._decay(node.tau_mem)
                    v = a * v + (1 - a) * (_flat(node.v_leak) + _flat(node.r) * i_syn)
                if kind in ("IF", "LIF", "CubaLIF"):
                    z = v > _flat(node.v_threshold)
                    v = np.where(z, _flat(node.v_reset), v)
                else:
                    z = np.zeros(size, bool)
                st["v"] = v
                spikes[n].append(z.astype(np.float64))
                volts[n].append(v.copy())
        return ({n: np.array(s, dtype=bool) for n, s in spikes.items()},
                {n: np.array(v) for n, v in volts.items()})


def exact_decay(tau, dt):
    return math.exp(-dt / tau)
