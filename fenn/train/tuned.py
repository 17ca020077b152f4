"""A neuron model whose per-neuron parameters were learned: the original update, with
the trained values substituted for its ``s.param`` parameters.

Training cannot invert a model's constructor (``alpha = exp(-dt / tau_mem)`` is one
line of arbitrary Python), so it does not try: :class:`Tuned` runs the model's own
``update`` and answers each ``s.param(name, ...)`` it learned with the trained array.
The compiler, the reference and the float model read the result like any other model.
"""

from __future__ import annotations

import numpy as np

from ..models.language import NeuronModel

__all__ = ["Tuned"]


class Tuned(NeuronModel):
    """``model`` with ``values[name]`` (one float per neuron) for its parameter ``name``."""

    def __init__(self, model: NeuronModel, values: dict[str, np.ndarray]):
        if isinstance(model, Tuned):              # tuning again replaces the earlier values
            values = {**model.values, **values}
            model = model.model
        self.model = model
        self.values = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
        self.spiking = model.spiking

    @property
    def name(self) -> str:
        return self.model.name

    def state(self):
        return self.model.state()

    def magnitude(self) -> float:
        return self.model.magnitude()

    def params(self) -> dict:
        return {**self.model.params(), **{f"trained {k}": v for k, v in self.values.items()}}

    def update(self, s, i, dt):
        return self.model.update(_Substituted(s, self.values), i, dt)


class _Substituted:
    """The state namespace, with ``param`` answered from the trained values."""

    def __init__(self, s, values):
        object.__setattr__(self, "_s", s)
        object.__setattr__(self, "_values", values)

    def param(self, name, values):
        return self._s.param(name, self._values.get(name, values))

    def __getattr__(self, name):
        return getattr(self._s, name)

    def __setattr__(self, name, value):
        setattr(self._s, name, value)
