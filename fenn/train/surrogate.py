"""Surrogate gradients: a spike is a step function forward and a smooth bump backward.

Every comparison in a traced neuron update (``v >= threshold``) becomes
``Surrogate.spike(a - b)``: the Heaviside step of the difference in the forward pass (so
the torch model computes exactly what the float model does), and the derivative of a
smooth stand-in in the backward pass. ``slope`` sets how sharp the stand-in is, in the
units of the compared values (for ``v`` in units of the threshold, 25 is snnTorch's and
SuperSpike's default).
"""

from __future__ import annotations

import dataclasses
import math

__all__ = ["Surrogate", "fast_sigmoid", "sigmoid", "atan", "triangle", "surrogate"]


@dataclasses.dataclass(frozen=True)
class Surrogate:
    """A named pseudo-derivative ``derivative(x, slope)`` of the step at ``x = 0``."""
    name: str
    slope: float = 25.0

    def derivative(self, x):
        k = self.slope
        if self.name == "fast_sigmoid":          # SuperSpike: 1 / (1 + k|x|)^2
            return 1.0 / (1.0 + k * x.abs()) ** 2
        if self.name == "sigmoid":               # derivative of sigmoid(k x), peak k / 4
            s = (k * x).sigmoid()
            return k * s * (1.0 - s)
        if self.name == "atan":                  # derivative of atan(pi k x / 2) / pi + 1/2
            return (k / 2.0) / (1.0 + (math.pi * k * x / 2.0) ** 2)
        if self.name == "triangle":              # max(0, 1 - k|x|)
            return (1.0 - k * x.abs()).clamp(min=0.0)
        raise ValueError(f"unknown surrogate {self.name!r}; choose one of {sorted(_NAMES)}")

    def spike(self, x, strict: bool = False):
        """Step of ``x`` (``x > 0`` if ``strict`` else ``x >= 0``) as 0.0/1.0, with this
        surrogate's gradient."""
        return _step()(x, self, strict)


_NAMES = ("fast_sigmoid", "sigmoid", "atan", "triangle")


def fast_sigmoid(slope: float = 25.0) -> Surrogate:
    return Surrogate("fast_sigmoid", slope)


def sigmoid(slope: float = 25.0) -> Surrogate:
    return Surrogate("sigmoid", slope)


def atan(slope: float = 2.0) -> Surrogate:
    return Surrogate("atan", slope)


def triangle(slope: float = 1.0) -> Surrogate:
    return Surrogate("triangle", slope)


def surrogate(value) -> Surrogate:
    """A :class:`Surrogate` from itself or its name (``"fast_sigmoid"``, ``"sigmoid"``,
    ``"atan"``, ``"triangle"``)."""
    if isinstance(value, Surrogate):
        return value
    if value in _NAMES:
        return globals()[value]()
    raise ValueError(f"surrogate must be a fenn.train.Surrogate or one of {list(_NAMES)}, "
                     f"got {value!r}")


_STEP = None


def _step():
    """The autograd function, defined on first use so that torch loads only then."""
    global _STEP
    if _STEP is None:
        import torch

        class Step(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x, fn, strict):
                ctx.save_for_backward(x)
                ctx.fn = fn
                return (x > 0 if strict else x >= 0).to(x.dtype)

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * ctx.fn.derivative(x), None, None

        _STEP = Step.apply
    return _STEP
