"""The built-in neuron models, each written once in the neuron-model language.

Conventions (all models): ``i`` is the sum of the weights of the spikes that arrived this
timestep, in the units of ``v`` (no extra scaling unless ``input_scale`` says so); time
constants and ``dt`` are in the same unit (ms); ``refractory`` is in timesteps.
Exact exponential decay: ``alpha = exp(-dt / tau_mem)``.

Time constants, thresholds, reset and rest levels (and ALIF's ``beta``) may be arrays with
one value per neuron: they become per-neuron parameters (``s.param``), held in vector
memory beside the state; equal values stay compile-time constants.
"""

from __future__ import annotations

import math

import numpy as np

from .language import ModelError, NeuronModel, StateVar, where

__all__ = ["LIF", "ALIF", "LI", "CubaLIF", "IF"]

_RESETS = ("subtract", "zero")


def _per_neuron(model, name, value):
    """A parameter as given: a number, or a 1-D float array (one value per neuron)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelError(f"{model}: {name} must be a number or an array of numbers, "
                         f"got {value!r}") from None
    if array.ndim > 1 or array.size == 0 or not np.all(np.isfinite(array)):
        raise ModelError(f"{model}: {name} must be a finite number or a 1-D array with one "
                         f"value per neuron, got shape {array.shape}")
    return float(array) if array.ndim == 0 else array


def _check_positive(model, **values):
    for name, value in values.items():
        value = _per_neuron(model, name, value)
        if not np.all(np.asarray(value) > 0):
            raise ModelError(f"{model}: {name} must be positive (a number or one per neuron), "
                             f"got {value!r}")


def _decay(dt, tau):
    """``exp(-dt / tau)``: a float for one time constant, an array for one per neuron."""
    if isinstance(tau, np.ndarray):
        return np.exp(-dt / tau)
    return math.exp(-dt / tau)


def _largest(*values) -> float:
    return max(float(np.max(np.abs(v))) for v in values)


def _check_reset(model, reset):
    if reset not in _RESETS:
        raise ModelError(f"{model}: reset must be one of {_RESETS}, got {reset!r}")


def _check_refractory(model, refractory):
    if not (isinstance(refractory, int) and 0 <= refractory <= 32767):
        raise ModelError(f"{model}: refractory is a whole number of timesteps in 0..32767, "
                         f"got {refractory!r}")


def _spike_and_reset(s, v, threshold, reset, v_reset, blocked=None):
    """Threshold crossing, then subtract-or-zero reset; returns (spike, new v)."""
    spike = v >= threshold
    if blocked is not None:
        spike = spike & ~blocked
    if reset == "subtract":
        v = where(spike, v - threshold, v)
    else:
        v = where(spike, v_reset, v)
    return spike, v


class _Refractory:
    """Shared refractoriness: a whole-timestep countdown that holds v and blocks spikes."""

    def _refractory_state(self):
        return {"refrac": StateVar(0.0, integer=True)} if self.refractory else {}

    def _blocked(self, s):
        return (s.refrac > 0) if self.refractory else None

    def _count_down(self, s, spike, blocked):
        if self.refractory:
            s.refrac = where(spike, self.refractory, where(blocked, s.refrac - 1, s.refrac))


class LIF(NeuronModel, _Refractory):
    """Leaky integrate-and-fire: ``v = alpha (v - v_rest) + v_rest + input_scale i``."""

    def __init__(self, tau_mem: float = 20.0, v_thresh: float = 1.0, v_reset: float = 0.0,
                 v_rest: float = 0.0, refractory: int = 0, reset: str = "subtract",
                 input_scale: float = 1.0):
        _check_positive("LIF", tau_mem=tau_mem)
        _check_reset("LIF", reset)
        _check_refractory("LIF", refractory)
        tau_mem, v_thresh, v_reset, v_rest = (_per_neuron("LIF", k, v) for k, v in (
            ("tau_mem", tau_mem), ("v_thresh", v_thresh), ("v_reset", v_reset), ("v_rest", v_rest)))
        self.tau_mem, self.v_thresh, self.v_reset, self.v_rest = tau_mem, v_thresh, v_reset, v_rest
        self.refractory, self.reset, self.input_scale = refractory, reset, input_scale

    def state(self):
        return {"v": StateVar(self.v_rest), **self._refractory_state()}

    def magnitude(self):
        return 4.0 * _largest(self.v_thresh, self.v_reset, self.v_rest)

    def update(self, s, i, dt):
        alpha = _decay(dt, self.tau_mem)
        leak = s.param("leak", (1.0 - alpha) * self.v_rest)
        alpha = s.param("alpha", alpha)
        blocked = self._blocked(s)
        v = s.v * alpha + leak + i * self.input_scale
        if blocked is not None:
            v = where(blocked, s.v, v)
        spike, s.v = _spike_and_reset(s, v, s.param("v_thresh", self.v_thresh), self.reset,
                                      s.param("v_reset", self.v_reset), blocked)
        self._count_down(s, spike, blocked)
        return spike


class ALIF(NeuronModel, _Refractory):
    """Adaptive LIF (LSNN): the threshold rises by ``beta`` per spike and decays with
    ``tau_adapt``. State ``a`` is the threshold increase (``beta`` times the classic
    adaptation variable), so it stays in the membrane's format."""

    def __init__(self, tau_mem: float = 20.0, tau_adapt: float = 2000.0, beta: float = 0.0174,
                 v_thresh: float = 0.6, v_reset: float = 0.0, refractory: int = 0,
                 reset: str = "subtract"):
        _check_positive("ALIF", tau_mem=tau_mem, tau_adapt=tau_adapt)
        _check_reset("ALIF", reset)
        _check_refractory("ALIF", refractory)
        tau_mem, tau_adapt, beta, v_thresh = (_per_neuron("ALIF", k, v) for k, v in (
            ("tau_mem", tau_mem), ("tau_adapt", tau_adapt), ("beta", beta), ("v_thresh", v_thresh)))
        self.tau_mem, self.tau_adapt, self.beta = tau_mem, tau_adapt, beta
        self.v_thresh, self.v_reset, self.refractory, self.reset = v_thresh, v_reset, refractory, reset

    def state(self):
        return {"v": StateVar(0.0), "a": StateVar(0.0), **self._refractory_state()}

    def magnitude(self):
        return 4.0 * _largest(self.v_thresh, self.v_reset)

    def update(self, s, i, dt):
        alpha = s.param("alpha", _decay(dt, self.tau_mem))
        rho = s.param("rho", _decay(dt, self.tau_adapt))
        blocked = self._blocked(s)
        v = s.v * alpha + i
        if blocked is not None:
            v = where(blocked, s.v, v)
        threshold = s.a + s.param("v_thresh", self.v_thresh)
        spike, s.v = _spike_and_reset(s, v, threshold, self.reset, self.v_reset, blocked)
        s.a = where(spike, s.a * rho + s.param("beta", self.beta), s.a * rho)
        self._count_down(s, spike, blocked)
        return spike


class LI(NeuronModel):
    """Leaky integrator readout (no spikes): ``v = alpha v + i``. Record ``v`` with
    ``reduce="mean"|"max"|"last"`` for a classifier readout."""

    spiking = False

    def __init__(self, tau_mem: float = 20.0, input_scale: float = 1.0):
        _check_positive("LI", tau_mem=tau_mem)
        self.tau_mem, self.input_scale = _per_neuron("LI", "tau_mem", tau_mem), input_scale

    def state(self):
        return {"v": StateVar(0.0)}

    def magnitude(self):
        return 4.0

    def update(self, s, i, dt):
        s.v = s.v * s.param("alpha", _decay(dt, self.tau_mem)) + i * self.input_scale
        return None


class CubaLIF(NeuronModel, _Refractory):
    """Current-based LIF: an exponential synaptic current ``isyn`` feeds the membrane."""

    def __init__(self, tau_mem: float = 20.0, tau_syn: float = 5.0, v_thresh: float = 1.0,
                 v_reset: float = 0.0, refractory: int = 0, reset: str = "subtract",
                 input_scale: float = 1.0):
        _check_positive("CubaLIF", tau_mem=tau_mem, tau_syn=tau_syn)
        _check_reset("CubaLIF", reset)
        _check_refractory("CubaLIF", refractory)
        tau_mem, tau_syn = _per_neuron("CubaLIF", "tau_mem", tau_mem), _per_neuron("CubaLIF", "tau_syn", tau_syn)
        self.tau_mem, self.tau_syn, self.v_thresh, self.v_reset = tau_mem, tau_syn, v_thresh, v_reset
        self.refractory, self.reset, self.input_scale = refractory, reset, input_scale

    def state(self):
        return {"v": StateVar(0.0), "isyn": StateVar(0.0), **self._refractory_state()}

    def magnitude(self):
        return 4.0 * max(abs(self.v_thresh), abs(self.v_reset))

    def update(self, s, i, dt):
        s.isyn = s.isyn * s.param("alpha_syn", _decay(dt, self.tau_syn)) + i * self.input_scale
        blocked = self._blocked(s)
        v = s.v * s.param("alpha", _decay(dt, self.tau_mem)) + s.isyn
        if blocked is not None:
            v = where(blocked, s.v, v)
        spike, s.v = _spike_and_reset(s, v, self.v_thresh, self.reset, self.v_reset, blocked)
        self._count_down(s, spike, blocked)
        return spike


class IF(NeuronModel):
    """Non-leaky integrate-and-fire: ``v = v + i``."""

    def __init__(self, v_thresh: float = 1.0, v_reset: float = 0.0, reset: str = "subtract"):
        _check_reset("IF", reset)
        self.v_thresh, self.v_reset, self.reset = v_thresh, v_reset, reset

    def state(self):
        return {"v": StateVar(0.0)}

    def magnitude(self):
        return 4.0 * max(abs(self.v_thresh), abs(self.v_reset))

    def update(self, s, i, dt):
        spike, s.v = _spike_and_reset(s, s.v + i, self.v_thresh, self.reset, self.v_reset)
        return spike
