"""The FeNN assembler: a Python builder (:class:`Assembler`) and a text assembler
(:func:`assemble_text`), both derived from ``fenn.isa.TABLE``; see docs/assembly.md."""

from .builder import Assembled, Assembler, SourceEntry, method_name
from .errors import AsmError
from .pseudo import PSEUDOS
from .registers import VREGS, XREGS, Register, V, VReg, X, XReg, parse_register
from .text import assemble_text, parse_into

globals().update({f"x{i}": XREGS[i] for i in range(32)})
globals().update({f"v{i}": VREGS[i] for i in range(32)})

__all__ = ["Assembler", "Assembled", "AsmError", "SourceEntry", "assemble_text", "parse_into", "PSEUDOS",
           "Register", "XReg", "VReg", "X", "V", "XREGS", "VREGS", "parse_register", "method_name"]
__all__ += [f"x{i}" for i in range(32)] + [f"v{i}" for i in range(32)]
