"""Neuron models for imported NIR graphs (fenn.nir builds them; docs/nir.md).

They state the discretised NIR node exactly, in the neuron-model language, so the
compiler, the integer reference model and the float model all run NIR's semantics: the
importer has already multiplied each neuron's input gain into the weights, so the models
only decay, add a constant drive and the input, and test the threshold strictly.
"""

from __future__ import annotations

from .language import NeuronModel, StateVar, where

__all__ = ["NIRNeuron", "Clock"]


class NIRNeuron(NeuronModel):
    """A discretised NIR IF/LIF/LI/CubaLIF/CubaLI node: ``v <- alpha*v + drive + x`` with
    ``x = i`` or, for Cuba nodes, ``x = isyn`` after ``isyn <- alpha_syn*isyn + i``; spikes
    when ``v > v_thresh`` (strictly, as NIR), then ``v <- v_reset``. ``v_thresh=None``
    makes a non-spiking readout (LI, CubaLI)."""

    def __init__(self, kind: str, alpha: float, drive: float = 0.0, v_thresh=None,
                 v_reset: float = 0.0, alpha_syn=None, magnitude: float = 4.0):
        self.kind, self.alpha, self.drive = kind, float(alpha), float(drive)
        self.v_thresh = None if v_thresh is None else float(v_thresh)
        self.v_reset = float(v_reset)
        self.alpha_syn = None if alpha_syn is None else float(alpha_syn)
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
            s.isyn = s.isyn * self.alpha_syn + i
            x = s.isyn
        v = s.v * self.alpha + self.drive + x
        if self.v_thresh is None:
            s.v = v
            return None
        spike = v > self.v_thresh
        s.v = where(spike, self.v_reset, v)
        return spike


class Clock(NeuronModel):
    """Spikes every timestep: carries per-neuron constant currents (NIR biases) as
    ordinary weights. Its first spike arrives in step 1, so step 0 runs without them."""

    def state(self):
        return {"on": StateVar(0.0)}

    def update(self, s, i, dt):
        return s.on >= 0.0
