"""The project's exception types.

Every error that ``fenn`` raises on purpose derives from :class:`FennError`, so a user can
catch all of them at once; each says what went wrong and what to do about it.
"""

from __future__ import annotations

__all__ = ["FennError", "MachineFault"]


class FennError(Exception):
    """Base class of every error ``fenn`` raises deliberately."""


class MachineFault(FennError):
    """A program did something the machine cannot do (bad access, illegal word, ...).

    The machine that raised it is left as it was when the faulting instruction issued
    (that instruction has no effect), so its registers and memories can be inspected.
    """

    def __init__(self, cause: str, pc: int, word: int | None = None, text: str | None = None,
                 cycle: int | None = None, hint: str | None = None, code=None):
        self.cause = cause
        #: the :class:`fenn.faults.Fault` code, when the machine gave one
        self.code = code
        self.pc = pc
        self.word = word
        self.text = text
        self.cycle = cycle
        self.hint = hint
        where = f"pc 0x{pc:08x}"
        if word is not None:
            where += f" (0x{word:08x}: {text or '?'})"
        if cycle is not None:
            where += f", cycle {cycle}"
        message = f"{cause} at {where}"
        if hint:
            message += f"; {hint}"
        super().__init__(message)
