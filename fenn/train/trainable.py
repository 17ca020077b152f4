"""``Trainable``: a :class:`fenn.Network` as a torch module, trained by BPTT on CPU.

The forward pass runs the network's timesteps exactly as the float64 model does (same
delivery order, delays and recordings; each population's traced update evaluated by
:mod:`fenn.train.graph`), over a batch of input rasters, and returns the recordings.
Connection weights (and, if asked, per-neuron model parameters) are the torch
parameters; :meth:`Trainable.write_back` puts them into the Network for ``fenn.compile``.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import FennError
from ..models.language import trace
from .graph import evaluate
from .surrogate import surrogate as _surrogate
from .tuned import Tuned

__all__ = ["Trainable", "TrainError"]


class TrainError(FennError, ValueError):
    """A network or input that cannot be trained as given.

    Fix: the message says why and what to change.
    """


class Trainable(torch.nn.Module):
    """``net``'s weights as torch parameters; ``forward(inputs)`` -> recordings.

    ``surrogate``: the spike's pseudo-derivative (``"fast_sigmoid"`` by default, a name or
    a :class:`fenn.train.Surrogate`). ``params``: ``False`` (weights only), ``True`` (also
    every ``s.param`` of every model, per neuron) or names ``["hidden.alpha", ...]``.
    ``detach_reset=True``: no gradient through the condition of any ``where`` (the reset
    a spike causes), as snnTorch's detached reset. ``dtype``: ``torch.float32`` for speed,
    ``torch.float64`` to match the float model.
    """

    def __init__(self, net, *, surrogate="fast_sigmoid", params=False, detach_reset: bool = False,
                 dtype=torch.float32):
        super().__init__()
        if not net.populations:
            raise TrainError("the network has no populations; add one with net.population(...)")
        self.net, self.dtype = net, dtype
        self.surrogate = _surrogate(surrogate)
        self.detach_reset = bool(detach_reset)
        self.weights = torch.nn.ParameterDict()
        for c in net.connections:
            w = c.weights if c.weights is not None else c.sparse[2]
            self.weights[c.name] = torch.nn.Parameter(torch.tensor(w, dtype=dtype))
        keep = params is not False
        self.traces = {p.name: trace(p.model, net.dt, keep_params=keep) for p in net.populations}
        self._nodes = {name: tr.nodes() for name, tr in self.traces.items()}
        wanted = self._wanted_params(params)
        self.params = torch.nn.ParameterDict()
        self._fixed = {}
        for p in net.populations:
            for name, values in self.traces[p.name].params.items():
                value = torch.tensor(np.broadcast_to(values, (p.size,)).copy(), dtype=dtype)
                key = f"{p.name}.{name}"
                if key in wanted:
                    self.params[key.replace(".", "__")] = torch.nn.Parameter(value)
                else:
                    self._fixed[key] = value
        self.formats = None          # value formats while quantisation-aware (see quantise)
        self._quantise_state = False

    def _wanted_params(self, params) -> set[str]:
        available = {f"{p}.{name}" for p, tr in self.traces.items() for name in tr.params}
        if params is False:
            return set()
        if params is True:
            return available
        wanted = {params} if isinstance(params, str) else set(params)
        unknown = wanted - available
        if unknown:
            raise TrainError(f"params names {sorted(unknown)}, which the models do not declare "
                             f"with s.param; trainable parameters: {sorted(available)}")
        return wanted

    # ------------------------------------------------------------------ parameters
    def _param(self, pop: str, name: str):
        key = f"{pop}.{name}"
        trained = self.params.get(key.replace(".", "__"))
        return trained if trained is not None else self._fixed[key]

    def weight(self, name: str):
        """Connection ``name``'s weights as used in the forward pass (fake-quantised
        while quantisation-aware)."""
        w = self.weights[name]
        if self.formats is None:
            return w
        from .quantise import fake_quantise
        post = next(c.post.name for c in self.net.connections if c.name == name)
        return fake_quantise(w, self.formats[post])

    # ------------------------------------------------------------------ forward
    def _rasters(self, inputs) -> dict:
        names = [g.name for g in self.net.inputs]
        if not isinstance(inputs, dict):
            if len(names) != 1:
                raise TrainError(f"the network has inputs {names}; pass {{name: raster batch}}")
            inputs = {names[0]: inputs}
        missing = set(names) - set(inputs)
        extra = set(inputs) - set(names)
        if missing or extra:
            raise TrainError(f"inputs must name exactly the network's inputs {names}; "
                             f"missing {sorted(missing)}, unknown {sorted(extra)}")
        rasters = {}
        for g in self.net.inputs:
            x = inputs[g.name]
            x = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.asarray(x))
            x = x.to(self.dtype)
            shape = tuple(getattr(g, "shape", (g.size,)))
            if shape != (g.size,) and tuple(x.shape[-len(shape):]) == shape:
                x = x.reshape(*x.shape[:-len(shape)], g.size)     # C order, as fenn.run
            if x.ndim == 2:
                x = x[None]
            if x.ndim != 3 or x.shape[2] != g.size:
                raise TrainError(f"input {g.name!r}: expected a batch (samples, timesteps, "
                                 f"{', '.join(map(str, shape))}), got shape {tuple(x.shape)}")
            rasters[g.name] = x
        shapes = {tuple(x.shape[:2]) for x in rasters.values()}
        if len(shapes) != 1:
            raise TrainError(f"inputs differ in (samples, timesteps): {sorted(shapes)}")
        return rasters

    def _delivered(self, c):
        """[(delay, dense (pre, post) weights)] of connection ``c`` for this pass."""
        w = self.weight(c.name)
        if c.sparse is not None:
            pre, post, _ = c.sparse
            index = (torch.from_numpy(pre), torch.from_numpy(post))
            delays = np.zeros(pre.size, np.int64) if c.delays is None else c.delays
            out = []
            for d in np.unique(delays):
                sel = torch.from_numpy(delays == d)
                dense = torch.zeros(c.pre.size, c.post.size, dtype=self.dtype)
                out.append((int(d), dense.index_put((index[0][sel], index[1][sel]), w[sel],
                                                    accumulate=True)))
            return out
        if c.delays is None:
            return [(0, w)]
        return [(int(d), w * torch.from_numpy(c.delays == d).to(self.dtype))
                for d in np.unique(c.delays)]

    def forward(self, inputs, timesteps: int | None = None) -> dict:
        """Run the batch ``inputs`` ({input name: (samples, timesteps, units)} 0/1 arrays or
        tensors; a bare batch for a one-input network) and return the recordings,
        keyed like ``fenn.run``'s: spikes and unreduced state (samples, timesteps,
        neurons), reductions (samples, neurons)."""
        net = self.net
        rasters = self._rasters(inputs)
        S, T = next(iter(rasters.values())).shape[:2]
        timesteps = T if timesteps is None else int(timesteps)
        if timesteps > T:
            raise TrainError(f"timesteps={timesteps} but the inputs have {T}")
        zeros = {p.name: torch.zeros(S, p.size, dtype=self.dtype) for p in net.populations}
        state = {p.name: {v: torch.tensor(p.initial_values(v), dtype=self.dtype).expand(S, -1)
                          for v in p.model.state()} for p in net.populations}
        params = {p.name: {k: self._param(p.name, k) for k in self.traces[p.name].params}
                  for p in net.populations}
        store = {p.name: self._state_quantisers(p) for p in net.populations}
        slots = {p.name: 1 + max([c.max_delay for c in net.connections if c.post is p], default=0)
                 for p in net.populations}
        ring = {p.name: [None] * slots[p.name] for p in net.populations}
        prev = dict(zeros)
        delivered = {c.name: self._delivered(c) for c in net.connections}
        series = {r.key: [] for r in net.recordings}
        for t in range(timesteps):
            for c in net.connections:
                spikes = rasters[c.pre.name][:, t] if c.pre.name in rasters else prev[c.pre.name]
                post = ring[c.post.name]
                for d, w in delivered[c.name]:
                    k = (t + d) % len(post)
                    part = spikes @ w
                    post[k] = part if post[k] is None else post[k] + part
            for p in net.populations:
                k = t % slots[p.name]
                current = ring[p.name][k] if ring[p.name][k] is not None else zeros[p.name]
                ring[p.name][k] = None
                state[p.name], spike = evaluate(self.traces[p.name], state[p.name], current,
                                                params[p.name], self.surrogate, store[p.name],
                                                self._nodes[p.name], self.detach_reset)
                if spike is not None:
                    prev[p.name] = spike
            for r in net.recordings:
                name, var = r.target.group.name, r.target.variable
                series[r.key].append(prev[name] if var == "spikes" else state[name][var])
        return {r.key: _reduce(series[r.key], r.reduce) for r in net.recordings}

    def _state_quantisers(self, pop):
        if not (self.formats is not None and self._quantise_state):
            return None
        from ..compiler.formats import Format
        from .quantise import fake_quantise
        fmt = self.formats[pop.name]
        return {name: (lambda x, f=(Format(0) if v.integer else fmt): fake_quantise(x, f))
                for name, v in pop.model.state().items()}

    # ------------------------------------------------------------------ deployment
    def quantise(self, formats="auto", *, state: bool = True) -> dict:
        """Turn on quantisation-aware training: from now on the forward pass rounds every
        weight (and, with ``state=True``, every stored state value) to the fixed-point
        format ``fenn.compile`` would choose for it, with a straight-through gradient.

        The formats are chosen once, here, from the current weights (``"auto"``) or as
        given, and kept in :attr:`formats`: compile with ``formats=model.formats`` so the
        program uses them even after the weights moved. Returns them as {population:
        "sI.F"}.
        """
        from ..compiler.ir import resolve_formats
        self.write_back()
        self.formats = resolve_formats(self.net, formats)
        self._quantise_state = state
        return self.compile_formats

    @property
    def compile_formats(self):
        """The formats to give ``fenn.compile`` ({population: "sI.F"}), or ``"auto"``."""
        return "auto" if self.formats is None else {k: str(v) for k, v in self.formats.items()}

    def write_back(self):
        """Copy the trained weights (fake-quantised while quantisation-aware) and
        parameters into the Network, ready for ``fenn.compile``; returns the Network."""
        with torch.no_grad():
            for c in self.net.connections:
                w = self.weight(c.name).detach().to(torch.float64).numpy().copy()
                if c.sparse is not None:
                    c.sparse = (c.sparse[0], c.sparse[1], w)
                else:
                    c.weights = w
            for p in self.net.populations:
                learned = {k.split("__", 1)[1]: v.detach().to(torch.float64).numpy().copy()
                           for k, v in self.params.items() if k.split("__", 1)[0] == p.name}
                if learned:
                    p.model = Tuned(p.model, learned)
        return self.net


def _reduce(values: list, reduce):
    if reduce is None:
        return torch.stack(values, dim=1)
    if reduce == "mean":
        return torch.stack(values, dim=1).mean(dim=1)
    if reduce == "max":
        return torch.stack(values, dim=1).amax(dim=1)
    return values[-1]
