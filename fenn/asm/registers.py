"""Register operands: x0..x31 and v0..v31 as small, type-checked int subclasses.

``x5 == 5`` holds, but the assembler rejects a ``VReg`` where an x register is expected
(and a plain int where any register is expected), which catches swapped operands.
``X[5]`` / ``V[5]`` index the registers; ``X(n)`` builds one with a range check.
"""

from __future__ import annotations

import operator

from ..isa import XREG_ABI_NAMES
from .errors import AsmError

__all__ = ["Register", "XReg", "VReg", "X", "V", "parse_register", "XREGS", "VREGS"]


class Register(int):
    prefix = "?"
    kind_name = "register"

    def __class_getitem__(cls, n):
        """``X[5]`` is ``XReg(5)``."""
        return cls(n)

    def __new__(cls, n):
        if isinstance(n, Register) and not isinstance(n, cls):
            raise AsmError(f"{n!r} is a {n.kind_name}, not {'an' if cls.prefix == 'x' else 'a'} {cls.kind_name}")
        n = operator.index(n)
        if not 0 <= n <= 31:
            raise AsmError(f"{cls.prefix}{n} does not exist: {cls.kind_name}s are "
                           f"{cls.prefix}0..{cls.prefix}31")
        return super().__new__(cls, n)

    def __repr__(self) -> str:
        return f"{self.prefix}{int(self)}"

    __str__ = __repr__


class XReg(Register):
    """A scalar register x0..x31."""
    prefix = "x"
    kind_name = "x register"


class VReg(Register):
    """A vector register v0..v31."""
    prefix = "v"
    kind_name = "v register"


X = XReg
V = VReg
XREGS = tuple(XReg(i) for i in range(32))
VREGS = tuple(VReg(i) for i in range(32))

_BY_NAME: dict[str, Register] = {}
for _i in range(32):
    _BY_NAME[f"x{_i}"] = XREGS[_i]
    _BY_NAME[f"v{_i}"] = VREGS[_i]
    _BY_NAME[XREG_ABI_NAMES[_i]] = XREGS[_i]
_BY_NAME["fp"] = XREGS[8]


def parse_register(name: str) -> Register | None:
    """``"x5"``, ``"a0"``, ``"fp"``, ``"v7"`` -> the register; None if it names none."""
    return _BY_NAME.get(name.strip().lower())
