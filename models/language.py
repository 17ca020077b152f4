"""The neuron-model language: a model's update is ordinary Python arithmetic, traced once.

A model writes its per-timestep update as a method over a state namespace::

    def update(self, s, i, dt):
        alpha = math.exp(-dt / self.tau_mem)        # plain Python: a compile-time constant
        s.v = s.v * alpha + i                       # traced: builds an expression graph
        spike = s.v >= self.v_thresh
        s.v = where(spike, s.v - self.v_thresh, s.v)
        return spike

Reading ``s.v`` gives an :class:`Expr`; arithmetic on it (``+ - *``, ``/`` by a constant,
comparisons, ``&``/``|``/``~`` on booleans, :func:`where`) builds a small expression graph;
assigning ``s.v = ...`` records the new value. Tracing runs the method once, and the graph
is the one definition that drives the FeNN code generator, the integer reference model and
the float64 model (the compiler lowers it to fixed point; nothing else reads the method).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np

from ..errors import FennError

__all__ = ["Expr", "where", "StateVar", "NeuronModel", "Trace", "trace", "ModelError"]


class ModelError(FennError, ValueError):
    """A neuron model that cannot be traced or compiled (an unsupported operation, a
    variable used before it is defined, a parameter of the wrong shape).

    Fix: the message says what to change; docs/models.md describes the model language.
    """


_NUM_OPS = {"var", "input", "const", "param", "add", "sub", "mul", "neg", "where"}
_BOOL_OPS = {"ge", "gt", "le", "lt", "eq", "ne", "and", "or", "not", "bconst"}


class Expr:
    """A node of a traced update: ``op`` with argument nodes ``args``.

    ``kind`` is ``"num"`` (a fixed-point value per neuron) or ``"bool"`` (one bit per neuron).
    Constants are folded while tracing, so a node with ``op == "const"`` holds a float.
    """

    __slots__ = ("op", "args", "value", "kind", "_hash")

    def __init__(self, op: str, args: tuple = (), value=None):
        self.op = op
        self.args = tuple(args)
        self.value = value
        self.kind = "bool" if op in _BOOL_OPS else "num"
        self._hash = hash((op, self.args, value))

    # structural identity: equal graphs hash equal, so common subexpressions merge
    def __hash__(self):
        return self._hash

    def same(self, other: "Expr") -> bool:
        return self is other or (self._hash == other._hash and self.op == other.op
                                 and self.value == other.value and self.args == other.args)

    def __repr__(self):
        if self.op in ("var", "input", "param"):
            return f"{self.op}:{self.value}"
        if self.op in ("const", "bconst"):
            return repr(self.value)
        return f"{self.op}({', '.join(map(repr, self.args))})"

    def __bool__(self):
        raise ModelError("a traced value has no truth value while tracing: use where(cond, a, b) "
                         "instead of `if`, and `&`, `|`, `~` instead of `and`, `or`, `not`")

    # ----------------------------------------------------------- arithmetic (num)
    def _num(self, what):
        if self.kind != "num":
            raise ModelError(f"{what} needs a number, got a boolean ({self!r})")
        return self

    def __add__(self, other):
        return _binary("add", self, other)

    def __radd__(self, other):
        return _binary("add", other, self)

    def __sub__(self, other):
        return _binary("sub", self, other)

    def __rsub__(self, other):
        return _binary("sub", other, self)

    def __mul__(self, other):
        return _binary("mul", self, other)

    def __rmul__(self, other):
        return _binary("mul", other, self)

    def __truediv__(self, other):
        if isinstance(other, Expr):
            raise ModelError("division is only by constants (FeNN has no divider): "
                             "write x / 4.0 or x * (1 / tau)")
        return _binary("mul", self, 1.0 / float(other))

    def __neg__(self):
        self._num("-x")
        return Expr("neg", (self,))

    def __pos__(self):
        return self._num("+x")

    # ----------------------------------------------------------- comparisons -> bool
    def __ge__(self, other):
        return _binary("ge", self, other)

    def __gt__(self, other):
        return _binary("gt", self, other)

    def __le__(self, other):
        return _binary("le", self, other)

    def __lt__(self, other):
        return _binary("lt", self, other)

    def eq(self, other):
        """Equality test (``==`` is kept for structural comparison of graphs)."""
        return _binary("eq", self, other)

    def ne(self, other):
        return _binary("ne", self, other)

    __eq__ = object.__eq__   # keep hashing/identity sane for dict keys

    # ----------------------------------------------------------- boolean logic
    def __and__(self, other):
        return _logic("and", self, other)

    __rand__ = __and__

    def __or__(self, other):
        return _logic("or", self, other)

    __ror__ = __or__

    def __invert__(self):
        if self.kind != "bool":
            raise ModelError("~ is boolean negation; apply it to a comparison")
        if self.op == "bconst":
            return Expr("bconst", (), not self.value)
        return Expr("not", (self,))


def _const(value) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool):
        return Expr("bconst", (), bool(value))
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"cannot use {value!r} ({type(value).__name__}) in a neuron update; "
                         f"use numbers, state variables and the input") from None
    if not math.isfinite(value):
        raise ModelError(f"constant {value} is not finite")
    return Expr("const", (), value)


_FOLD = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "ge": lambda a, b: a >= b, "gt": lambda a, b: a > b, "le": lambda a, b: a <= b,
    "lt": lambda a, b: a < b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
}


def _binary(op: str, a, b) -> Expr:
    a, b = _const(a), _const(b)
    for x in (a, b):
        if x.kind != "num":
            raise ModelError(f"{op} needs numbers, got a boolean ({x!r}); use where() to turn a "
                             f"condition into a number")
    if a.op == "const" and b.op == "const":
        value = _FOLD[op](a.value, b.value)
        return Expr("bconst", (), bool(value)) if isinstance(value, bool) else Expr("const", (), value)
    # algebraic identities keep graphs (and programs) small
    if op == "mul":
        for x, y in ((a, b), (b, a)):
            if y.op == "const" and y.value == 1.0:
                return x
            if y.op == "const" and y.value == 0.0:
                return Expr("const", (), 0.0)
    if op in ("add", "sub") and b.op == "const" and b.value == 0.0:
        return a
    if op == "add" and a.op == "const" and a.value == 0.0:
        return b
    return Expr(op, (a, b))


def _logic(op: str, a, b) -> Expr:
    a, b = _const(a), _const(b)
    for x in (a, b):
        if x.kind != "bool":
            raise ModelError(f"{op} combines conditions; got a number ({x!r})")
    if a.op == "bconst" or b.op == "bconst":
        c, other = (a, b) if a.op == "bconst" else (b, a)
        if op == "and":
            return other if c.value else Expr("bconst", (), False)
        return Expr("bconst", (), True) if c.value else other
    return Expr(op, (a, b))


def where(condition, if_true, if_false) -> Expr:
    """``if_true`` where ``condition`` holds, else ``if_false`` (per neuron)."""
    condition = _const(condition)
    if condition.kind != "bool":
        raise ModelError("where() needs a condition (a comparison) as its first argument")
    a, b = _const(if_true), _const(if_false)
    if a.kind != "num" or b.kind != "num":
        raise ModelError("where() chooses between numbers; combine conditions with & and |")
    if condition.op == "bconst":
        return a if condition.value else b
    if a.same(b):
        return a
    return Expr("where", (condition, a, b))


@dataclasses.dataclass(frozen=True)
class StateVar:
    """A per-neuron state variable.

    ``integer`` variables (counters) are kept in whole units (format s15.0); the others
    share the population's value format, chosen by the compiler (auto or explicit).
    ``bound`` is the magnitude the variable is expected to stay within (used by the
    ``"auto"`` format choice); ``None`` means "like the membrane potential".
    """
    init: float = 0.0
    integer: bool = False
    bound: float | None = None


@dataclasses.dataclass
class Trace:
    """The traced update: every variable's new value and the spike condition."""
    variables: dict[str, StateVar]
    updates: dict[str, Expr]          # variable -> expression of its new value
    spike: Expr | None                # boolean expression, None for non-spiking models
    #: per-neuron parameters (``s.param``): name -> float64 values, one per neuron
    params: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def nodes(self) -> list[Expr]:
        """All nodes reachable from the outputs, each once, arguments before users."""
        order, seen = [], set()

        def visit(node):
            if id(node) in seen:
                return
            seen.add(id(node))
            for arg in node.args:
                visit(arg)
            order.append(node)

        for expr in self.outputs():
            visit(expr)
        return order

    def outputs(self) -> list[Expr]:
        outs = [self.updates[name] for name in self.variables]
        return outs + ([self.spike] if self.spike is not None else [])


class _State:
    """The namespace a model's update reads and assigns (``s.v``)."""

    def __init__(self, variables: dict[str, StateVar], model_name: str, keep_params: bool = False):
        object.__setattr__(self, "_vars", variables)
        object.__setattr__(self, "_keep", keep_params)
        object.__setattr__(self, "_values", {name: Expr("var", (), name) for name in variables})
        object.__setattr__(self, "_model", model_name)
        object.__setattr__(self, "_params", {})

    def param(self, name: str, values):
        """A read-only parameter that may differ between neurons (e.g. a per-neuron decay).

        ``values`` is a number or a 1-D array with one value per neuron. Equal values give
        an ordinary constant (an immediate in the program); differing ones give a per-neuron
        vector kept in vector memory beside the state and loaded with it.
        """
        if not (isinstance(name, str) and name.isidentifier()):
            raise ModelError(f"{self._model}: parameter name {name!r} must be an identifier")
        if name in self._vars:
            raise ModelError(f"{self._model}: parameter {name!r} has the name of a state "
                             f"variable; give it another name")
        array = np.asarray(values, dtype=np.float64)
        if array.ndim > 1:
            raise ModelError(f"{self._model}: parameter {name!r} must be a number or a 1-D "
                             f"array (one value per neuron), got shape {array.shape}")
        if not np.all(np.isfinite(array)):
            raise ModelError(f"{self._model}: parameter {name!r} contains NaN or infinity")
        if array.size == 0:
            raise ModelError(f"{self._model}: parameter {name!r} is empty")
        if np.all(array == array.flat[0]) and not self._keep:
            return _const(float(array.flat[0]))
        known = self._params.get(name)
        if known is not None and not np.array_equal(known, array):
            raise ModelError(f"{self._model}: parameter {name!r} is given twice with different "
                             f"values; use one name per parameter")
        self._params[name] = array
        return Expr("param", (), name)

    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        if name not in values:
            raise ModelError(f"{self._model} has no state variable {name!r}; it declares "
                             f"{sorted(values)} in state()")
        return values[name]

    def __setattr__(self, name, value):
        if name not in self._values:
            raise ModelError(f"{self._model}.update assigns {name!r}, which is not declared in "
                             f"state() (declared: {sorted(self._values)})")
        value = _const(value)
        if value.kind != "num":
            raise ModelError(f"{self._model}: state variable {name!r} must be a number; "
                             f"use where(cond, 1, 0) to store a condition")
        self._values[name] = value


class NeuronModel:
    """Base class of neuron models: declare ``state()`` and write ``update()`` once.

    ``update(self, s, i, dt)`` reads and assigns state variables on ``s``, receives the
    summed synaptic input of this timestep as ``i`` and returns the spike condition (or
    ``None`` for a non-spiking model such as a leaky integrator readout).
    """

    #: False for readouts (no spikes, nothing to propagate)
    spiking = True

    def state(self) -> dict[str, StateVar]:
        raise NotImplementedError

    def update(self, s, i, dt: float):
        raise NotImplementedError

    def magnitude(self) -> float:
        """Magnitude the value variables should represent (drives ``formats="auto"``)."""
        return 1.0

    @property
    def name(self) -> str:
        return type(self).__name__

    def params(self) -> dict:
        """The constructor parameters (for reports and NIR export)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __repr__(self):
        args = ", ".join(f"{k}={_short(v)}" for k, v in self.params().items())
        return f"{self.name}({args})"


def _short(value) -> str:
    """A parameter for reports: per-neuron arrays as their count and range."""
    if isinstance(value, np.ndarray) and value.size > 1:
        return f"<{value.size} per neuron, {value.min():g}..{value.max():g}>"
    return repr(value)


def trace(model: NeuronModel, dt: float, *, keep_params: bool = False) -> Trace:
    """Run ``model.update`` once on symbolic values and return the expression graph.

    ``keep_params=True`` keeps every ``s.param`` a parameter node, even one whose values
    are all equal (its array may then hold one value for all neurons): training reads
    them so, to learn them per neuron."""
    variables = dict(model.state())
    if not variables:
        raise ModelError(f"{model.name}.state() declares no state variables")
    if "param" in variables:
        raise ModelError(f"{model.name}: 'param' is reserved (s.param declares per-neuron "
                         f"parameters); rename the state variable")
    s = _State(variables, model.name, keep_params)
    spike = model.update(s, Expr("input", (), "i"), float(dt))
    if spike is not None:
        spike = _const(spike)
        if spike.kind != "bool":
            raise ModelError(f"{model.name}.update must return a condition (e.g. v >= thresh) "
                             f"or None, got a number")
    elif model.spiking:
        raise ModelError(f"{model.name}.update returned None but the model is spiking; "
                         f"set spiking = False for readouts")
    updates = dict(object.__getattribute__(s, "_values"))
    return Trace(variables, updates, spike, dict(object.__getattribute__(s, "_params")))
