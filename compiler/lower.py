"""Lowering a traced neuron update to fixed-point lane operations.

The result, a :class:`Kernel`, is a straight-line list of :class:`LaneOp` in SSA form whose
operations map one-to-one onto FeNN vector instructions (``vadd_s``, ``vmul_s_rs`` ...)
or scalar mask instructions (``and``/``or``/``xori``). Both the code generator and the
integer reference model are written against this list: the generator maps each operation
to the one instruction of isa.md that computes it, the reference model (fenn.reference)
computes the same thing per lane in integers, and the tests diff the two.

Format rules: an add/sub/compare/where aligns its operands to the coarser of their
formats (the finer one is shifted right with the run's rounding mode); a product keeps
the format of its first operand (a constant factor gets the finest format it fits);
constants take the format of what they meet. Every add, sub and multiply saturates.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..models.language import Expr, ModelError, Trace
from .formats import INT16_MAX, INT16_MIN, Format

__all__ = ["LaneOp", "Kernel", "lower", "ROUNDINGS", "CMP_OPS"]

#: rounding option -> vmul/vsrai rounding suffix
ROUNDINGS = {"floor": "", "nearest": "_rn", "stochastic": "_rs"}
#: comparison -> (FeNN compare, swap operands)
CMP_OPS = {"ge": ("vtge", False), "lt": ("vtlt", False), "gt": ("vtlt", True),
           "le": ("vtge", True), "eq": ("vteq", False), "ne": ("vtne", False)}


@dataclasses.dataclass(frozen=True)
class LaneOp:
    """One lane operation: ``dst = op(args)`` with immediate fields.

    ``op`` is one of: ``load`` (state variable ``name``), ``input``, ``const`` (``value``),
    ``add``/``sub`` (saturating), ``mul`` (``shift``, ``rnd``, saturating), ``srai``
    (``shift``, ``rnd``), ``cmp`` (``cond`` in vtge/vtlt/vteq/vtne), ``mand``/``mor``/``mnot``
    (lane masks), ``mconst`` (all-true or all-false mask), ``select`` (mask, if_true, if_false).
    """
    op: str
    dst: int
    args: tuple[int, ...] = ()
    value: int = 0
    shift: int = 0
    rnd: str = ""          # "", "_rn" or "_rs"
    cond: str = ""
    name: str = ""
    frac: int = 0          # format of a vector result
    note: str = ""         # source annotation for listings

    @property
    def is_mask(self) -> bool:
        return self.op in ("cmp", "mand", "mor", "mnot", "mconst")

    @property
    def draws(self) -> bool:
        """Does this operation advance the per-lane RNG (stochastic rounding)?"""
        return self.rnd == "_rs"


@dataclasses.dataclass
class Kernel:
    """A lowered neuron update for one population."""
    ops: list[LaneOp]
    stores: dict[str, int]             # state variable -> value id of its new value
    spike: int | None                  # mask value id (None: non-spiking)
    var_formats: dict[str, Format]
    input_format: Format
    #: constants as quantised: (where, exact value, integer, format) for the report
    constants: list[tuple[str, float, int, str]]
    #: per-neuron parameters as quantised: slot -> int16 values, one per neuron; a slot is
    #: read with ``load`` like a state variable and never stored
    params: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    @property
    def draws_per_update(self) -> int:
        return sum(op.draws for op in self.ops)


class _Lowerer:
    def __init__(self, trace: Trace, var_formats: dict[str, Format], input_format: Format,
                 rounding: str, population: str):
        if rounding not in ROUNDINGS:
            raise ValueError(f"rounding must be one of {sorted(ROUNDINGS)}, got {rounding!r}")
        self.trace, self.formats, self.input_format = trace, var_formats, input_format
        self.rnd = ROUNDINGS[rounding]
        self.population = population
        self.ops: list[LaneOp] = []
        self.memo: dict = {}            # structural key -> (value id, frac)
        self.constants: list = []
        self.params: dict[str, np.ndarray] = {}
        self.param_slots: dict[tuple[str, int], str] = {}
        self.next_id = 0

    # ---------------------------------------------------------------- emission
    def emit(self, op: str, args=(), frac=0, note="", **fields) -> int:
        key = (op, tuple(args), frac, tuple(sorted(fields.items())))
        if key in self.memo:          # common subexpressions (e.g. a * rho used twice) merge
            return self.memo[key]
        vid = self.next_id
        self.next_id += 1
        self.ops.append(LaneOp(op, vid, tuple(args), frac=frac, note=note, **fields))
        self.memo[key] = vid
        return vid

    def const(self, value: float, frac: int, where: str) -> int:
        scaled = round(value * (1 << frac))
        integer = min(max(scaled, INT16_MIN), INT16_MAX)
        if integer != scaled:
            raise ModelError(f"{self.population}: constant {value} in {where} does not fit the format "
                             f"{Format(frac)} (largest {Format(frac).max_value:g}); choose a format "
                             f"with more integer bits for this population (formats={{"
                             f"{self.population!r}: 's{15 - frac + 1}.{frac - 1}'}})")
        self.constants.append((where, value, integer, str(Format(frac))))
        return self.emit("const", (), frac=frac, value=integer, note=f"const {value:g}")

    def convert(self, vid: int, frm: int, to: int, note: str) -> int:
        """Change the format of a vector value (right shift rounds, left shift saturates)."""
        if frm == to:
            return vid
        if to < frm:
            shift = frm - to
            return self.emit("srai", (vid,), frac=to, shift=shift,
                             rnd=self.rnd if shift else "", note=note)
        factor = self.const_raw(1 << (to - frm), to - frm)
        return self.emit("mul", (vid, factor), frac=to, shift=0, rnd="", note=note)

    def param(self, name: str, frac: int | None) -> tuple[int, int]:
        """Load a per-neuron parameter in format ``frac`` (None: the finest it fits); each
        format a parameter is used in is one vector slot of the state block."""
        values = self.trace.params[name]
        if frac is None:
            frac = self._const_frac(float(np.max(np.abs(values))))
        slot = self.param_slots.get((name, frac))
        if slot is None:
            slot = name if not any(n == name for n, _ in self.param_slots) else f"{name}_q{frac}"
            if slot in self.formats:
                raise ModelError(f"{self.population}: parameter slot {slot!r} has the name of a "
                                 f"state variable; rename the parameter")
            scaled = np.round(values * (1 << frac))
            if np.all(scaled == scaled[0]):      # equal once quantised: an immediate will do
                return self.const(float(values[0]), frac, f"parameter {name}"), frac
            if np.any(np.abs(scaled) > INT16_MAX):
                worst = float(values[np.argmax(np.abs(values))])
                raise ModelError(f"{self.population}: per-neuron parameter {name!r} reaches "
                                 f"{worst:g}, which does not fit the format {Format(frac)} it "
                                 f"meets (largest {Format(frac).max_value:g}); choose a format "
                                 f"with more integer bits for this population")
            self.params[slot] = scaled.astype(np.int16)
            self.param_slots[(name, frac)] = slot
        vid = self.emit("load", (), frac=frac, name=slot, note=f"load parameter {slot}")
        return vid, frac

    def const_raw(self, integer: int, frac: int) -> int:
        return self.emit("const", (), frac=frac, value=integer, note=f"const {integer}")

    # ---------------------------------------------------------------- expressions
    def value(self, node: Expr, want: int | None = None):
        """Lower ``node``; returns (value id, frac). Constants take ``want`` as format."""
        if node.op == "const":
            if want is None:
                raise ModelError(f"{self.population}: a constant ({node.value}) stands alone; "
                                 f"combine it with a state variable or the input")
            return self.const(node.value, want, "update"), want
        if node.op == "param":
            return self.param(node.value, want)
        key = id(node)
        if key in self.cache:
            return self.cache[key]
        result = self._value(node)
        self.cache[key] = result
        return result

    def _pair(self, a: Expr, b: Expr, what: str):
        """Lower two operands to one common format (the coarser of the two)."""
        if a.op == "const" and b.op == "const":
            raise ModelError(f"{self.population}: {what} of two constants should have been folded")
        # constants and per-neuron parameters take the format of what they meet
        fixed = ("const", "param")
        if a.op == "const" or (a.op == "param" and b.op not in fixed):
            vb, fb = self.value(b)
            return self.value(a, fb)[0], vb, fb
        if b.op in fixed:
            va, fa = self.value(a)
            return va, self.value(b, fa)[0], fa
        (va, fa), (vb, fb) = self.value(a), self.value(b)
        f = min(fa, fb)
        return (self.convert(va, fa, f, f"align {what}"), self.convert(vb, fb, f, f"align {what}"), f)

    def _value(self, node: Expr):
        op = node.op
        if op == "var":
            frac = self.formats[node.value].frac
            return self.emit("load", (), frac=frac, name=node.value, note=f"load {node.value}"), frac
        if op == "input":
            frac = self.input_format.frac
            return self.emit("input", (), frac=frac, note="synaptic input"), frac
        if op in ("add", "sub"):
            a, b, f = self._pair(*node.args, op)
            return self.emit(op, (a, b), frac=f, note=op), f
        if op == "neg":
            va, fa = self.value(node.args[0])
            zero = self.const_raw(0, fa)
            return self.emit("sub", (zero, va), frac=fa, note="negate"), fa
        if op == "mul":
            a, b = node.args
            if a.op == "const" or (a.op == "param" and b.op != "const"):
                a, b = b, a       # the factor second: the product keeps the other's format
            va, fa = self.value(a)
            if b.op == "const":
                fc = self._const_frac(b.value)
                vb = self.const(b.value, fc, "product")
                shift = fc
            else:
                vb, shift = self.value(b)
            if shift > 15:
                raise ModelError(f"{self.population}: product needs a shift of {shift} (> 15)")
            return self.emit("mul", (va, vb), frac=fa, shift=shift, rnd=self.rnd if shift else "",
                             note="multiply"), fa
        if op == "where":
            cond, a, b = node.args
            mask = self.mask(cond)
            if a.op == "const" and b.op == "const":     # where(spike, 0.3, 0.0): value format
                f = self.input_format.frac
                va, vb = self.const(a.value, f, "where"), self.const(b.value, f, "where")
                return self.emit("select", (mask, va, vb), frac=f, note="where"), f
            va, vb, f = self._pair(a, b, "where")
            return self.emit("select", (mask, va, vb), frac=f, note="where"), f
        raise ModelError(f"{self.population}: cannot lower {op!r} as a number")

    def _const_frac(self, value: float) -> int:
        """Finest format in which ``value`` fits int16 (at most 15 fractional bits)."""
        for frac in range(15, -1, -1):
            if abs(round(value * (1 << frac))) <= INT16_MAX:
                return frac
        raise ModelError(f"{self.population}: constant factor {value} exceeds 32767")

    def mask(self, node: Expr) -> int:
        key = id(node)
        if key in self.cache:
            return self.cache[key]
        op = node.op
        if op in CMP_OPS:
            a, b, _ = self._pair(*node.args, op)
            cond, swap = CMP_OPS[op]
            if swap:
                a, b = b, a
            result = self.emit("cmp", (a, b), cond=cond, note=op)
        elif op in ("and", "or"):
            result = self.emit("m" + op, (self.mask(node.args[0]), self.mask(node.args[1])), note=op)
        elif op == "not":
            result = self.emit("mnot", (self.mask(node.args[0]),), note="not")
        elif op == "bconst":
            result = self.emit("mconst", (), value=-1 if node.value else 0, note=str(node.value))
        else:
            raise ModelError(f"{self.population}: cannot lower {op!r} as a condition")
        self.cache[key] = result
        return result

    def run(self) -> Kernel:
        self.cache = {}
        stores = {}
        for name, expr in self.trace.updates.items():
            frac = self.formats[name].frac
            if expr.op == "const":
                stores[name] = self.const(expr.value, frac, f"{name} = const")
                continue
            if expr.op == "param":
                stores[name] = self.param(expr.value, frac)[0]
                continue
            vid, f = self.value(expr)
            stores[name] = self.convert(vid, f, frac, f"to format of {name}")
        spike = self.mask(self.trace.spike) if self.trace.spike is not None else None
        return Kernel(self.ops, stores, spike, dict(self.formats), self.input_format,
                      self.constants, self.params)


def lower(trace: Trace, var_formats: dict[str, Format], input_format: Format, rounding: str,
          population: str = "population") -> Kernel:
    """Lower a traced update to lane operations (see the module docstring for the rules)."""
    return _Lowerer(trace, var_formats, input_format, rounding, population).run()
