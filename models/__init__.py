"""fenn.models: neuron models written in the neuron-model language (see docs/models.md).

Write a new model by subclassing :class:`NeuronModel`: declare ``state()`` and write
``update(self, s, i, dt)`` with ordinary arithmetic; the compiler, the integer reference
model and the float model all derive from that one method.
"""

from .language import Expr, ModelError, NeuronModel, StateVar, trace, where
from .neurons import ALIF, IF, LI, LIF, CubaLIF
from .networks import shd_classifier, synthetic_shd_inputs

__all__ = ["NeuronModel", "StateVar", "Expr", "where", "trace", "ModelError",
           "LIF", "ALIF", "LI", "CubaLIF", "IF", "shd_classifier", "synthetic_shd_inputs"]

from .._lazy import lazy_package as _lazy_package

__getattr__, __dir__ = _lazy_package(globals())   # submodules on first use
