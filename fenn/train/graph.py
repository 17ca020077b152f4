"""The fourth reader of a traced neuron update: a differentiable torch evaluation.

Numbers stay numbers; a condition is a 0.0/1.0 tensor. A comparison is a
:class:`~fenn.train.surrogate.Surrogate` step of the difference of its operands, the
boolean operators are products (``a & b = a b``, ``a | b = a + b - a b``, ``~a = 1 - a``)
and ``where(c, x, y) = c x + (1 - c) y``. On 0/1 conditions these are exact, so the
forward pass equals the float64 model's to rounding; the backward pass sends the
surrogate gradient through every spike and every reset that depends on one.
"""

from __future__ import annotations

__all__ = ["evaluate"]

_FLIP = {"ge": (False, False), "gt": (False, True), "le": (True, False), "lt": (True, True)}


def evaluate(tr, state: dict, current, params: dict, surrogate, quantise=None, nodes=None,
             detach_reset: bool = False):
    """One timestep of trace ``tr``: returns (new state dict, spike tensor or None).

    ``state`` maps variable -> tensor (samples, neurons); ``current`` is this step's
    synaptic input of that shape; ``params`` maps per-neuron parameter -> tensor
    (neurons,). ``quantise`` (variable -> function) rounds stored values for
    quantisation-aware training. ``nodes``: ``tr.nodes()``, if the caller kept it.
    ``detach_reset``: no gradient through the condition of a ``where`` (snnTorch's
    ``reset_mechanism`` with ``reset_delay``/detached reset: the surrogate still flows
    through the spike itself, not through the reset it causes).
    """
    values = {}
    for node in nodes or tr.nodes():
        op, args = node.op, [values[id(a)] for a in node.args]
        if op == "var":
            out = state[node.value]
        elif op == "input":
            out = current
        elif op == "const":
            out = node.value
        elif op == "bconst":
            out = 1.0 if node.value else 0.0
        elif op == "param":
            out = params[node.value]
        elif op == "add":
            out = args[0] + args[1]
        elif op == "sub":
            out = args[0] - args[1]
        elif op == "mul":
            out = args[0] * args[1]
        elif op == "neg":
            out = -args[0]
        elif op in _FLIP:
            flip, strict = _FLIP[op]
            a, b = (args[1], args[0]) if flip else (args[0], args[1])
            out = surrogate.spike(_tensor(a - b, current), strict)
        elif op in ("eq", "ne"):
            same = _tensor(args[0], current) == _tensor(args[1], current)
            out = (same if op == "eq" else ~same).to(current.dtype)
        elif op == "and":
            out = args[0] * args[1]
        elif op == "or":
            out = args[0] + args[1] - args[0] * args[1]
        elif op == "not":
            out = 1.0 - args[0]
        elif op == "where":
            c, x, y = args
            if detach_reset and hasattr(c, "detach"):
                c = c.detach()
            out = c * x + (1.0 - c) * y
        else:
            raise ValueError(f"torch model: unknown node {op!r}")
        values[id(node)] = out
    new_state = {}
    for name, expr in tr.updates.items():
        value = _tensor(values[id(expr)], current).expand_as(current)
        new_state[name] = quantise[name](value) if quantise else value
    spike = None
    if tr.spike is not None:
        spike = _tensor(values[id(tr.spike)], current).expand_as(current)
    return new_state, spike


def _tensor(value, like):
    """Constants as tensors of ``like``'s dtype (so that comparisons and expand work)."""
    import torch
    if isinstance(value, torch.Tensor):
        return value
    return torch.full_like(like, float(value))
