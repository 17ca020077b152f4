"""Neuron models for imported NIR graphs (fenn.nir builds them; docs/nir.md).

They state the discretised NIR node exactly, in the neuron-model language, so the
compiler, the integer reference model and the float model all run NIR's semantics: the
importer has already multiplied each neuron's input gain into the weights, so the models
only decay, add a constant drive and the input, and test the threshold strictly.
"""

from __future__ import annotations

import numpy as np

from .language import NeuronModel, StateVar, where

__all__ = ["NIRNeuron", "Clock"]


class NIRNeuron(NeuronModel):
    """A discretised NIR IF/LIF/LI/CubaLIF/CubaLI node: ``v <- alpha*v + drive + x`` with
    ``x = i`` or, for Cuba nodes, ``x = isyn`` after ``isyn <- alpha_syn*isyn + syn_drive + i``;
    spikes when ``v > v_thresh`` (strictly, as NIR), then ``v <- v_reset``. ``v_thresh=None``
    makes a non-spiking readout (LI, CubaLI). ``alpha``, ``drive``, ``alpha_syn``,
    ``syn_drive``, ``v_thresh`` and ``v_reset`` are numbers or arrays of one value per neuron
    (per-neuron parameters, docs/models.md): NIR's per-neuron time constants, biases,
    leak levels, thresholds and resets."""

    def __init__(self, kind: str, alpha, drive=0.0, v_thresh=None,
                 v_reset: float = 0.0, alpha_syn=None, magnitude: float = 4.0, syn_drive=0.0):
        self.kind, self.alpha, self.drive = kind, _values(alpha), _values(drive)
        self.v_thresh = None if v_thresh is None else _values(v_thresh)
        self.v_reset = _values(v_reset)
        self.alpha_syn = None if alpha_syn is None else _values(alpha_syn)
        self.syn_drive = _values(syn_drive)
        self._magnitude = float(magnitude)

    @property
    def spiking(self):
        return self.v_thresh is not None

    @property
    def name(self):
        return f"NIR{self.kind}"

    def state(self):
        variables = {"v": StateVar(0.0)}
        if self.alpha_syn is not None:
            variables["isyn"] = StateVar(0.0)
        return variables

    def magnitude(self):
        return self._magnitude

    def set_magnitude(self, magnitude: float) -> None:
        """The range the value format must cover (the importer sizes readouts)."""
        self._magnitude = float(magnitude)

    def update(self, s, i, dt):
        x = i
        if self.alpha_syn is not None:
            s.isyn = (s.isyn * s.param("alpha_syn", self.alpha_syn)
                      + s.param("syn_drive", self.syn_drive) + i)
            x = s.isyn
        v = s.v * s.param("alpha", self.alpha) + s.param("drive", self.drive) + x
        if self.v_thresh is None:
            s.v = v
            return None
        spike = v > s.param("v_thresh", self.v_thresh)
        s.v = where(spike, s.param("v_reset", self.v_reset), v)
        return spike


def _values(x):
    """A float, or a float array when the values differ between neurons."""
    array = np.asarray(x, dtype=np.float64)
    if array.ndim == 0 or np.all(array == array.flat[0]):
        return float(array.flat[0])
    return array


class Clock(NeuronModel):
    """Spikes every timestep: carries constant currents that start later than step 0 (NIR
    biases behind Delays) as ordinary weights, on a delayed connection."""

    def state(self):
        return {"on": StateVar(0.0)}

    def update(self, s, i, dt):
        return s.on >= 0.0
