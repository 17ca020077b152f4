"""Pseudo-instructions: each is a list of operands and an expansion into table rows.

The builder and the text assembler both use this table, so ``a.li(x5, 7)`` and
``li x5, 7`` expand identically. Names follow the RISC-V assembly manual; ``call`` is
the short form ``jal ra, target`` (FeNN's IMEM is far smaller than jal's +-1 MiB reach).
"""

from __future__ import annotations

import dataclasses
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


def _p(mnemonic, operands, expand, summary):
    return Pseudo(mnemonic, tuple(operands), expand, summary)


PSEUDOS: dict[str, Pseudo] = {p.mnemonic: p for p in [
    _p("nop", [], lambda: [("addi", x0, x0, 0)], "addi x0, x0, 0"),
    _p("li", [_rd, _value], li_expansion, "rd = value (addi, lui or lui+addi)"),
    _p("mv", [_rd, _rs], lambda d, s: [("addi", d, s, 0)], "addi rd, rs, 0"),
    _p("not", [_rd, _rs], lambda d, s: [("xori", d, s, -1)], "xori rd, rs, -1"),
    _p("neg", [_rd, _rs], lambda d, s: [("sub", d, x0, s)], "sub rd, x0, rs"),
    _p("seqz", [_rd, _rs], lambda d, s: [("sltiu", d, s, 1)], "sltiu rd, rs, 1"),
    _p("snez", [_rd, _rs], lambda d, s: [("sltu", d, x0, s)], "sltu rd, x0, rs"),
    _p("sltz", [_rd, _rs], lambda d, s: [("slt", d, s, x0)], "slt rd, rs, x0"),
    _p("sgtz", [_rd, _rs], lambda d, s: [("slt", d, x0, s)], "slt rd, x0, rs"),
    _p("j", [_target_j], lambda t: [("jal", x0, t)], "jal x0, target"),
    _p("call", [_target_j], lambda t: [("jal", ra, t)], "jal ra, target"),
    _p("jr", [_rs], lambda s: [("jalr", x0, 0, s)], "jalr x0, 0(rs)"),
    _p("ret", [], lambda: [("jalr", x0, 0, ra)], "jalr x0, 0(ra)"),
    _p("beqz", [_rs, _target_b], lambda s, t: [("beq", s, x0, t)], "beq rs, x0, target"),
    _p("bnez", [_rs, _target_b], lambda s, t: [("bne", s, x0, t)], "bne rs, x0, target"),
    _p("bltz", [_rs, _target_b], lambda s, t: [("blt", s, x0, t)], "blt rs, x0, target"),
    _p("bgez", [_rs, _target_b], lambda s, t: [("bge", s, x0, t)], "bge rs, x0, target"),
    _p("blez", [_rs, _target_b], lambda s, t: [("bge", x0, s, t)], "bge x0, rs, target"),
    _p("bgtz", [_rs, _target_b], lambda s, t: [("blt", x0, s, t)], "blt x0, rs, target"),
    _p("bgt", [_rs, _rs2, _target_b], lambda s, u, t: [("blt", u, s, t)], "blt rt, rs, target"),
    _p("ble", [_rs, _rs2, _target_b], lambda s, u, t: [("bge", u, s, t)], "bge rt, rs, target"),
    _p("bgtu", [_rs, _rs2, _target_b], lambda s, u, t: [("bltu", u, s, t)], "bltu rt, rs, target"),
    _p("bleu", [_rs, _rs2, _target_b], lambda s, u, t: [("bgeu", u, s, t)], "bgeu rt, rs, target"),
    _p("csrr", [_rd, _csr], lambda d, c: [("csrrs", d, c, x0)], "csrrs rd, csr, x0"),
    _p("csrw", [_csr, _rs], lambda c, s: [("csrrw", x0, c, s)], "csrrw x0, csr, rs"),
    _p("csrs", [_csr, _rs], lambda c, s: [("csrrs", x0, c, s)], "csrrs x0, csr, rs"),
    _p("csrc", [_csr, _rs], lambda c, s: [("csrrc", x0, c, s)], "csrrc x0, csr, rs"),
    _p("csrwi", [_csr, _zimm], lambda c, z: [("csrrwi", x0, c, z)], "csrrwi x0, csr, zimm"),
    _p("csrsi", [_csr, _zimm], lambda c, z: [("csrrsi", x0, c, z)], "csrrsi x0, csr, zimm"),
    _p("csrci", [_csr, _zimm], lambda c, z: [("csrrci", x0, c, z)], "csrrci x0, csr, zimm"),
]}
