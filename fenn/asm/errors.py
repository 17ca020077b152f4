"""The one exception the assembler raises, for builder calls and text lines alike."""

from __future__ import annotations

from ..errors import FennError


class AsmError(FennError, ValueError):
    """Bad assembler input. The message names where (``file:line``), what (the call or the
    source line) and the problem, e.g. ``prog.s:7: beq x1, x2, loop: undefined label 'loop'``.

    Fix: correct that statement; docs/assembly.md gives the syntax of every instruction.
    """

    def __init__(self, problem: str, where: str | None = None, statement: str | None = None):
        parts = [p for p in (where, statement) if p]
        super().__init__(": ".join(parts + [problem]))
        self.problem = problem
        self.where = where
        self.statement = statement
