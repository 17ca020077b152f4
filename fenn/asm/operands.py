"""Checking one builder argument against the operand it fills (kind, then range).

Returns the normalised value (a register, an int, or a label name) or raises
:class:`AsmError` with a sentence saying what the operand accepts.
"""

from __future__ import annotations

import operator
import re

from ..isa import CSR_ADDRESSES, Kind, Operand
from .errors import AsmError
from .registers import Register, VReg, XReg, parse_register

__all__ = ["normalise", "LABEL_RE", "check_label_name", "a_or_an"]

LABEL_RE = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*\Z")


def check_label_name(name) -> str:
    if not isinstance(name, str) or not LABEL_RE.match(name) or name == ".":
        raise AsmError(f"bad label name {name!r}: use letters, digits, '_', '.', '$', "
                       f"not starting with a digit")
    return name


def a_or_an(noun: str) -> str:
    """'an x register', 'an immediate', 'a v register', 'a CSR'."""
    return ("an " if noun[0] in "aeiox" else "a ") + noun


def _integer(op: Operand, value) -> int:
    if isinstance(value, (Register, bool)) or isinstance(value, str):
        raise AsmError(f"operand {op.name} must be an integer ({op.kind.value}), got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise AsmError(f"operand {op.name} must be an integer ({op.kind.value}), "
                       f"got {type(value).__name__} {value!r}") from None


def _in_range(op: Operand, value: int) -> int:
    problem = op.encoding.check(value)
    if problem:
        raise AsmError(f"operand {op.name}={value} {problem}")
    return value


def _register(op: Operand, value, cls: type[Register]) -> Register:
    if isinstance(value, str):
        reg = parse_register(value)
        if reg is None:
            raise AsmError(f"operand {op.name}: {value!r} is not a register "
                           f"(expected {cls.prefix}0..{cls.prefix}31"
                           f"{' or an ABI name like a0, sp, t1' if cls is XReg else ''})")
        value = reg
    if isinstance(value, cls):
        return value
    if isinstance(value, Register):
        raise AsmError(f"operand {op.name} must be {a_or_an(cls.kind_name)}, got {value!r} ({a_or_an(value.kind_name)})")
    raise AsmError(f"operand {op.name} must be {a_or_an(cls.kind_name)} "
                   f"(fenn.asm.{cls.prefix}0..{cls.prefix}31), got {type(value).__name__} {value!r}")


def normalise(op: Operand, value):
    """The checked value for operand ``op``: Register, int, or (for OFFSET) a label name."""
    kind = op.kind
    if type(value) is int and kind is Kind.IMM:      # the common case, checked fast
        return _in_range(op, value)
    if kind is Kind.XREG:
        return _register(op, value, XReg)
    if kind is Kind.VREG:
        return _register(op, value, VReg)
    if kind is Kind.IMM:
        return _in_range(op, _integer(op, value))
    if kind is Kind.OFFSET:
        if isinstance(value, str):
            return check_label_name(value)
        return _in_range(op, _integer(op, value))
    if kind is Kind.CSR:
        if isinstance(value, str):
            try:
                return CSR_ADDRESSES[value.lower()]
            except KeyError:
                raise AsmError(f"unknown CSR {value!r}; known: {', '.join(CSR_ADDRESSES)} "
                               f"(or give the 12-bit address as an integer)") from None
        return _in_range(op, _integer(op, value))
    raise AssertionError(f"unhandled operand kind {kind}")
