"""Pseudo-instructions: each is a list of operands and an expansion into table rows.

The builder and the text assembler both use this table, so ``a.li(x5, 7)`` and
``li x5, 7`` expand identically. Names follow the RISC-V assembly manual; ``call`` is
the short form ``jal ra, target`` (FeNN's IMEM is far smaller than jal's +-1 MiB reach).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

from ..isa import CSR_FIELD, IMM_B, IMM_J, RD, RS1, ZIMM, Encoding, Kind, Operand
from .registers import XREGS

__all__ = ["Pseudo", "PSEUDOS", "li_expansion"]

x0, ra = XREGS[0], XREGS[1]

_rd, _rs, _rs2 = Operand("rd", Kind.XREG, RD), Operand("rs", Kind.XREG, RS1), Operand("rt", Kind.XREG, RS1)
_target_b = Operand("target", Kind.OFFSET, IMM_B)
_target_j = Operand("target", Kind.OFFSET, IMM_J)
_csr = Operand("csr", Kind.CSR, CSR_FIELD)
_zimm = Operand("zimm", Kind.IMM, ZIMM)
_VALUE32 = Encoding("any 32-bit value, signed or unsigned", 0, -(1 << 31), (1 << 32) - 1,
                    lambda v: 0, lambda w: 0)
_value = Operand("value", Kind.IMM, _VALUE32)


@dataclasses.dataclass(frozen=True)
class Pseudo:
    mnemonic: str
    operands: tuple[Operand, ...]
    expand: Callable[..., list[tuple]]     # operand values -> [(table mnemonic, *values)]
    summary: str


def li_expansion(rd, value: int) -> list[tuple]:
    """addi when the value fits 12 signed bits, else lui (+ addi when the low part is non-zero)."""
    value &= 0xFFFFFFFF
    signed = value - (1 << 32) if value >= 1 << 31 else value
    if -2048 <= signed <= 2047:
        return [("addi", rd, x0, signed)]
    lo = ((value & 0xFFF) ^ 0x800) - 0x800
    hi = ((value - lo) >> 12) & 0xFFFFF
    return [("lui", rd, hi)] + ([("addi", rd, rd, lo)] if lo else [])


def _as_written(operands, expansion: str) -> Callable[..., list[tuple]]:
    """The expansion function of an expansion written as assembly, e.g. ``"bge x0, rs, target"``:
    the pseudo's operand names take its values, ``x0``/``ra`` and integers stand for themselves,
    ``offset(base)`` gives the two operands in table order. The text is also the summary, so
    what the documentation says is what the assembler does."""
    mnemonic, _, rest = expansion.partition(" ")
    fields = [f.strip() for f in re.split(r"[,()]", rest) if f.strip()]
    names = [op.name for op in operands]
    constants = {"x0": x0, "ra": ra}
    for f in fields:
        if f not in names and f not in constants and not re.fullmatch(r"-?\d+", f):
            raise AssertionError(f"pseudo expansion {expansion!r}: {f!r} is not an operand, x0, ra or an integer")

    def expand(*values):
        bound = dict(zip(names, values))
        return [(mnemonic, *(bound[f] if f in bound else constants[f] if f in constants else int(f)
                             for f in fields))]
    return expand


def _p(mnemonic, operands, expansion: str):
    return Pseudo(mnemonic, tuple(operands), _as_written(operands, expansion), expansion)


PSEUDOS: dict[str, Pseudo] = {p.mnemonic: p for p in [
    _p("nop", [], "addi x0, x0, 0"),
    Pseudo("li", (_rd, _value), li_expansion, "rd = value (addi, lui or lui+addi)"),
    _p("mv", [_rd, _rs], "addi rd, rs, 0"),
    _p("not", [_rd, _rs], "xori rd, rs, -1"),
    _p("neg", [_rd, _rs], "sub rd, x0, rs"),
    _p("seqz", [_rd, _rs], "sltiu rd, rs, 1"),
    _p("snez", [_rd, _rs], "sltu rd, x0, rs"),
    _p("sltz", [_rd, _rs], "slt rd, rs, x0"),
    _p("sgtz", [_rd, _rs], "slt rd, x0, rs"),
    _p("j", [_target_j], "jal x0, target"),
    _p("call", [_target_j], "jal ra, target"),
    _p("jr", [_rs], "jalr x0, 0(rs)"),
    _p("ret", [], "jalr x0, 0(ra)"),
    _p("beqz", [_rs, _target_b], "beq rs, x0, target"),
    _p("bnez", [_rs, _target_b], "bne rs, x0, target"),
    _p("bltz", [_rs, _target_b], "blt rs, x0, target"),
    _p("bgez", [_rs, _target_b], "bge rs, x0, target"),
    _p("blez", [_rs, _target_b], "bge x0, rs, target"),
    _p("bgtz", [_rs, _target_b], "blt x0, rs, target"),
    _p("bgt", [_rs, _rs2, _target_b], "blt rt, rs, target"),
    _p("ble", [_rs, _rs2, _target_b], "bge rt, rs, target"),
    _p("bgtu", [_rs, _rs2, _target_b], "bltu rt, rs, target"),
    _p("bleu", [_rs, _rs2, _target_b], "bgeu rt, rs, target"),
    _p("csrr", [_rd, _csr], "csrrs rd, csr, x0"),
    _p("csrw", [_csr, _rs], "csrrw x0, csr, rs"),
    _p("csrs", [_csr, _rs], "csrrs x0, csr, rs"),
    _p("csrc", [_csr, _rs], "csrrc x0, csr, rs"),
    _p("csrwi", [_csr, _zimm], "csrrwi x0, csr, zimm"),
    _p("csrsi", [_csr, _zimm], "csrrsi x0, csr, zimm"),
    _p("csrci", [_csr, _zimm], "csrrci x0, csr, zimm"),
]}
