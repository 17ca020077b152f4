"""The FeNN instruction set as one declarative table.

Every instruction of ``spec/isa.md`` is one :class:`Instruction` row: its mnemonic, the
constant bits that identify it (``match`` under ``mask``) and its operands, each bound to
an :class:`Encoding` that says where its bits sit in the word. The assembler, the
disassembler, the simulator's decoder and the RTL decoder are all derived from ``TABLE``;
no other module spells an opcode or a funct value.

Bits that are neither constant nor covered by an operand are *ignored* fields: the
decoder accepts and ignores them (as the FeNN toolchain does), the assembler writes them
as zero, and ``decode(word, strict=True)`` rejects words that set them.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Callable

__all__ = [
    "Kind", "Encoding", "Operand", "Instruction", "Decoded", "TABLE", "BY_MNEMONIC",
    "IllegalInstruction", "decode", "encode", "CSR_NAMES", "CSR_ADDRESSES", "Group",
    "XREG_ABI_NAMES",
]


class IllegalInstruction(ValueError):
    """A word that is not a legal FeNN instruction (``reason`` says why)."""

    def __init__(self, word: int, reason: str):
        super().__init__(f"illegal instruction 0x{word:08x}: {reason}")
        self.word = word
        self.reason = reason


# --------------------------------------------------------------------------- bit fields

def _bits(word: int, hi: int, lo: int) -> int:
    return (word >> lo) & ((1 << (hi - lo + 1)) - 1)


def _sext(value: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


def _field_mask(hi: int, lo: int) -> int:
    return ((1 << (hi - lo + 1)) - 1) << lo


class Kind(enum.Enum):
    """What an operand names: its syntax in assembly text."""
    XREG = "x register"
    VREG = "v register"
    IMM = "immediate"
    OFFSET = "pc-relative offset"     # branch/jump target: a label, .+N, or an integer offset
    CSR = "CSR"


@dataclasses.dataclass(frozen=True)
class Encoding:
    """Where an operand's value lives in an instruction word, and which values are legal."""
    name: str
    mask: int                              # bits of the word this operand owns
    lo_value: int                          # smallest legal value
    hi_value: int                          # largest legal value
    put: Callable[[int], int]              # value -> word bits (value already range-checked)
    get: Callable[[int], int]              # word -> value
    step: int = 1                          # legal values are multiples of this

    def check(self, value: int) -> str | None:
        """None if ``value`` is encodable, else a sentence saying what is allowed."""
        if not (self.lo_value <= value <= self.hi_value) or value % self.step:
            multiple = f", a multiple of {self.step}" if self.step > 1 else ""
            return f"must be in [{self.lo_value}, {self.hi_value}]{multiple} ({self.name})"
        return None


def _reg(hi: int, lo: int, name: str) -> Encoding:
    return Encoding(name, _field_mask(hi, lo), 0, 31,
                    lambda v, lo=lo: v << lo, lambda w, hi=hi, lo=lo: _bits(w, hi, lo))


def _uimm(hi: int, lo: int, name: str, top: int | None = None) -> Encoding:
    width = hi - lo + 1
    return Encoding(name, _field_mask(hi, lo), 0, (1 << width) - 1 if top is None else top,
                    lambda v, lo=lo: v << lo, lambda w, hi=hi, lo=lo: _bits(w, hi, lo))


def _put_b(v: int) -> int:
    v &= 0x1FFF
    return (_bits(v, 12, 12) << 31) | (_bits(v, 10, 5) << 25) | (_bits(v, 4, 1) << 8) | (_bits(v, 11, 11) << 7)


def _get_b(w: int) -> int:
    return _sext((_bits(w, 31, 31) << 12) | (_bits(w, 7, 7) << 11) | (_bits(w, 30, 25) << 5) | (_bits(w, 11, 8) << 1), 13)


def _put_j(v: int) -> int:
    v &= 0x1FFFFF
    return (_bits(v, 20, 20) << 31) | (_bits(v, 10, 1) << 21) | (_bits(v, 11, 11) << 20) | (_bits(v, 19, 12) << 12)


def _get_j(w: int) -> int:
    return _sext((_bits(w, 31, 31) << 20) | (_bits(w, 19, 12) << 12) | (_bits(w, 20, 20) << 11) | (_bits(w, 30, 21) << 1), 21)


RD = _reg(11, 7, "rd")
RS1 = _reg(19, 15, "rs1")
RS2 = _reg(24, 20, "rs2")
IMM_I = Encoding("12-bit signed I-immediate", _field_mask(31, 20), -2048, 2047,
                 lambda v: (v & 0xFFF) << 20, lambda w: _sext(_bits(w, 31, 20), 12))
IMM_S = Encoding("12-bit signed S-immediate", _field_mask(31, 25) | _field_mask(11, 7), -2048, 2047,
                 lambda v: (_bits(v, 11, 5) << 25) | (_bits(v, 4, 0) << 7),
                 lambda w: _sext((_bits(w, 31, 25) << 5) | _bits(w, 11, 7), 12))
IMM_B = Encoding("13-bit signed branch offset", 0xFE000F80, -4096, 4094, _put_b, _get_b, step=2)
IMM_U = _uimm(31, 12, "20-bit U-immediate")
IMM_J = Encoding("21-bit signed jump offset", 0xFFFFF000, -(1 << 20), (1 << 20) - 2, _put_j, _get_j, step=2)
SHAMT = _uimm(24, 20, "5-bit shift amount")
CSR_FIELD = _uimm(31, 20, "12-bit CSR address")
ZIMM = _uimm(19, 15, "5-bit unsigned immediate")
VSHIFT = _uimm(28, 25, "4-bit vmul shift")          # VSOP funct7[3:0]
VSHAMT = _uimm(23, 20, "4-bit vector shift amount")  # VSOP_IMM imm[3:0]
VK = _uimm(28, 25, "4-bit vandadd width k")          # VSPC funct7[3:0]
LANE = _uimm(24, 20, "lane 0..31")                   # vextract imm (bits 31:25 must be zero)


@dataclasses.dataclass(frozen=True)
class Operand:
    name: str           # as shown in docs: rd, rs1, vd, vs1, xs1, imm, shift, csr, ...
    kind: Kind
    encoding: Encoding


def _x(name: str, enc: Encoding) -> Operand:
    return Operand(name, Kind.XREG, enc)


def _v(name: str, enc: Encoding) -> Operand:
    return Operand(name, Kind.VREG, enc)


def _imm(name: str, enc: Encoding) -> Operand:
    return Operand(name, Kind.IMM, enc)


class Group(enum.Enum):
    """Broad classes of instruction; the simulator and RTL dispatch on the mnemonic."""
    ALU = "scalar ALU"
    LOAD = "scalar load"
    STORE = "scalar store"
    BRANCH = "branch"
    JUMP = "jump"
    CSR = "CSR access"
    SYSTEM = "system"
    VALU = "vector ALU"
    VTEST = "vector compare"
    VMOVE = "vector move"
    VLOAD = "vector load"
    VSTORE = "vector store"
    VRNG = "vector RNG"


class Syntax(enum.Enum):
    """How the operands are written in assembly text."""
    PLAIN = "op a, b, c"
    MEM = "op a, imm(b)"      # scalar loads/stores, jalr


@dataclasses.dataclass(frozen=True)
class Instruction:
    mnemonic: str
    group: Group
    match: int                       # constant bits
    mask: int                        # which bits are constant
    operands: tuple[Operand, ...]
    syntax: Syntax = Syntax.PLAIN
    #: what the instruction does, one line, for the generated docs
    summary: str = ""

    @property
    def operand_mask(self) -> int:
        m = 0
        for op in self.operands:
            m |= op.encoding.mask
        return m

    @property
    def ignored_mask(self) -> int:
        """Bits the decoder accepts and ignores (the assembler writes them as zero)."""
        return 0xFFFFFFFF & ~(self.mask | self.operand_mask)

    @property
    def opcode(self) -> int:
        return self.match & 0x7F

    @property
    def is_vector(self) -> bool:
        return self.match & 0b11 == 0b10

    def encode(self, *values: int) -> int:
        if len(values) != len(self.operands):
            names = ", ".join(op.name for op in self.operands)
            raise ValueError(f"{self.mnemonic} takes {len(self.operands)} operands ({names}), "
                             f"got {len(values)}")
        word = self.match
        for op, value in zip(self.operands, values):
            value = int(value)
            problem = op.encoding.check(value)
            if problem:
                raise ValueError(f"{self.mnemonic}: operand {op.name}={value} {problem}")
            word |= op.encoding.put(value) & op.encoding.mask
        return word


@dataclasses.dataclass(frozen=True)
class Decoded:
    """One decoded word: the table row and the operand values in table order."""
    word: int
    instruction: Instruction
    values: tuple[int, ...]

    @property
    def mnemonic(self) -> str:
        return self.instruction.mnemonic

    @property
    def fields(self) -> dict[str, int]:
        return {op.name: v for op, v in zip(self.instruction.operands, self.values)}

    @property
    def ignored_bits(self) -> int:
        """Ignored-field bits that differ from what the assembler writes (e.g. fence's iorw)."""
        return (self.word ^ self.instruction.match) & self.instruction.ignored_mask


# --------------------------------------------------------------------------- the table

OPCODES = {
    # RV32I major opcodes
    "LUI": 0x37, "AUIPC": 0x17, "JAL": 0x6F, "JALR": 0x67, "BRANCH": 0x63, "LOAD": 0x03,
    "STORE": 0x23, "OP_IMM": 0x13, "OP": 0x33, "MISC_MEM": 0x0F, "SYSTEM": 0x73,
    # FeNN vector quadrant: (op5 << 2) | 0b10
    "VSOP": 0x02, "VLUI": 0x06, "VTST": 0x0A, "VSEL": 0x0E, "VLOAD": 0x12, "VSTORE": 0x16,
    "VMOV": 0x1A, "VSPC": 0x22, "VSOP_IMM": 0x26,
}

_OPC = 0x7F
_F3 = _field_mask(14, 12)
_F7 = _field_mask(31, 25)
_RD_M, _RS1_M, _RS2_M, _I_M = RD.mask, RS1.mask, RS2.mask, _field_mask(31, 20)

_rows: list[Instruction] = []


def _row(mnemonic, group, opcode, operands, f3=None, f7=None, extra_match=0, extra_mask=0,
         syntax=Syntax.PLAIN, summary=""):
    match, mask = OPCODES[opcode], _OPC
    if f3 is not None:
        match |= f3 << 12
        mask |= _F3
    if f7 is not None:
        match |= f7 << 25
        mask |= _F7
    match |= extra_match
    mask |= extra_mask
    _rows.append(Instruction(mnemonic, group, match, mask, tuple(operands), syntax, summary))


_rd, _rs1, _rs2 = _x("rd", RD), _x("rs1", RS1), _x("rs2", RS2)

# RV32I -----------------------------------------------------------------------
_row("lui", Group.ALU, "LUI", [_rd, _imm("imm", IMM_U)], summary="rd = imm << 12")
_row("auipc", Group.ALU, "AUIPC", [_rd, _imm("imm", IMM_U)], summary="rd = pc + (imm << 12)")
_row("jal", Group.JUMP, "JAL", [_rd, Operand("target", Kind.OFFSET, IMM_J)], summary="rd = pc + 4; pc += offset")
_row("jalr", Group.JUMP, "JALR", [_rd, _imm("imm", IMM_I), _rs1], f3=0, syntax=Syntax.MEM,
     summary="rd = pc + 4; pc = (rs1 + imm) & ~1")
for _m, _f3 in [("beq", 0), ("bne", 1), ("blt", 4), ("bge", 5), ("bltu", 6), ("bgeu", 7)]:
    _row(_m, Group.BRANCH, "BRANCH", [_rs1, _rs2, Operand("target", Kind.OFFSET, IMM_B)], f3=_f3,
         summary="conditional branch")
for _m, _f3 in [("lb", 0), ("lh", 1), ("lw", 2), ("lbu", 4), ("lhu", 5)]:
    _row(_m, Group.LOAD, "LOAD", [_rd, _imm("imm", IMM_I), _rs1], f3=_f3, syntax=Syntax.MEM,
         summary="rd = DMEM[rs1 + imm]")
for _m, _f3 in [("sb", 0), ("sh", 1), ("sw", 2)]:
    _row(_m, Group.STORE, "STORE", [_rs2, _imm("imm", IMM_S), _rs1], f3=_f3, syntax=Syntax.MEM,
         summary="DMEM[rs1 + imm] = rs2")
for _m, _f3 in [("addi", 0), ("slti", 2), ("sltiu", 3), ("xori", 4), ("ori", 6), ("andi", 7)]:
    _row(_m, Group.ALU, "OP_IMM", [_rd, _rs1, _imm("imm", IMM_I)], f3=_f3, summary="rd = rs1 op imm")
for _m, _f3, _f7 in [("slli", 1, 0x00), ("srli", 5, 0x00), ("srai", 5, 0x20)]:
    _row(_m, Group.ALU, "OP_IMM", [_rd, _rs1, _imm("shamt", SHAMT)], f3=_f3, f7=_f7, summary="rd = rs1 shift shamt")
for _m, _f3, _f7 in [("add", 0, 0), ("sub", 0, 0x20), ("sll", 1, 0), ("slt", 2, 0), ("sltu", 3, 0),
                     ("xor", 4, 0), ("srl", 5, 0), ("sra", 5, 0x20), ("or", 6, 0), ("and", 7, 0),
                     ("mul", 0, 0x01)]:
    _row(_m, Group.ALU, "OP", [_rd, _rs1, _rs2], f3=_f3, f7=_f7, summary="rd = rs1 op rs2")
# Zbb subset: OP-IMM funct3 001 with a fixed imm12
for _m, _imm12 in [("clz", 0x600), ("ctz", 0x601), ("cpop", 0x602), ("sext.b", 0x604), ("sext.h", 0x605)]:
    _row(_m, Group.ALU, "OP_IMM", [_rd, _rs1], f3=1, extra_match=_imm12 << 20, extra_mask=_I_M,
         summary="Zbb unary")
# FENCE / FENCE.I are accepted as no-ops (their fm/pred/succ/registers are ignored fields)
_row("fence", Group.SYSTEM, "MISC_MEM", [], f3=0, extra_match=0x0FF00000, summary="no-op")
_row("fence.i", Group.SYSTEM, "MISC_MEM", [], f3=1, summary="no-op")
_row("ecall", Group.SYSTEM, "SYSTEM", [], extra_match=0, extra_mask=0xFFFFFF80, summary="halt: end of run")
_row("ebreak", Group.SYSTEM, "SYSTEM", [], extra_match=1 << 20, extra_mask=0xFFFFFF80, summary="halt: breakpoint")
_csr = Operand("csr", Kind.CSR, CSR_FIELD)
for _m, _f3 in [("csrrw", 1), ("csrrs", 2), ("csrrc", 3)]:
    _row(_m, Group.CSR, "SYSTEM", [_rd, _csr, _rs1], f3=_f3, summary="CSR read and write/set/clear")
for _m, _f3 in [("csrrwi", 5), ("csrrsi", 6), ("csrrci", 7)]:
    _row(_m, Group.CSR, "SYSTEM", [_rd, _csr, _imm("zimm", ZIMM)], f3=_f3, summary="CSR read and write/set/clear immediate")

# FeNN vector instructions ------------------------------------------------------
_vd, _vs1, _vs2 = _v("vd", RD), _v("vs1", RS1), _v("vs2", RS2)
_xs1, _xs2, _xd = _x("xs1", RS1), _x("xs2", RS2), _x("xd", RD)
_SAT = 1 << 31
_RND = _field_mask(30, 29)   # VSOP funct7[5:4]
_RND_IMM = _field_mask(25, 24)  # VSOP_IMM imm[5:4]
ROUNDING = {"": 0, "_rn": 1, "_rs": 2}

# VSOP: funct7 = {sat, rnd[1:0], shift[3:0]}
for _m, _f3, _sat_ok in [("vadd", 0, True), ("vsub", 2, True), ("vsll", 1, True),
                         ("vand", 3, False), ("vsra", 5, False)]:
    for _sat in ([0, 1] if _sat_ok else [None]):
        _name = _m + ("_s" if _sat else "")
        _match = (_sat << 31) if _sat else 0
        _mask = _RND | (_SAT if _sat is not None else 0)
        _row(_name, Group.VALU, "VSOP", [_vd, _vs1, _vs2], f3=_f3, extra_match=_match, extra_mask=_mask,
             summary=f"vd = vs1 {_m[1:]} vs2" + (", saturating" if _sat else ""))
for _sat in (0, 1):
    for _suffix, _rnd in ROUNDING.items():
        _name = "vmul" + ("_s" if _sat else "") + _suffix
        _row(_name, Group.VRNG if _rnd == 2 else Group.VALU, "VSOP",
             [_imm("shift", VSHIFT), _vd, _vs1, _vs2], f3=4,
             extra_match=(_sat << 31) | (_rnd << 29), extra_mask=_SAT | _RND,
             summary="vd = (vs1 * vs2) >> shift, rounded" + (", saturating" if _sat else ""))
# VSOP_IMM: imm = {000000 (ignored), rnd[1:0], shamt[3:0]}
_row("vslli", Group.VALU, "VSOP_IMM", [_imm("shamt", VSHAMT), _vd, _vs1], f3=0, extra_mask=_RND_IMM,
     summary="vd = vs1 << shamt")
for _suffix, _rnd in ROUNDING.items():
    _row("vsrai" + _suffix, Group.VRNG if _rnd == 2 else Group.VALU, "VSOP_IMM",
         [_imm("shamt", VSHAMT), _vd, _vs1], f3=1, extra_match=_rnd << 24, extra_mask=_RND_IMM,
         summary="vd = vs1 >> shamt, rounded")
for _m, _f3 in [("vteq", 0), ("vtne", 2), ("vtlt", 4), ("vtge", 6)]:
    _row(_m, Group.VTEST, "VTST", [_xd, _vs1, _vs2], f3=_f3, summary="xd = lane mask of vs1 cmp vs2")
_row("vsel", Group.VMOVE, "VSEL", [_vd, _xs1, _vs2], summary="vd[i] = xs1 bit i ? vs2[i] : vd[i]")
_row("vlui", Group.VMOVE, "VLUI", [_vd, _imm("imm", IMM_U)], summary="every lane = imm[15:0]")
_row("vfill", Group.VMOVE, "VMOV", [_vd, _xs1], f3=0, summary="every lane = xs1 as int16 (sign kept)")
_row("vextract", Group.VMOVE, "VMOV", [_xd, _vs1, _imm("lane", LANE)], f3=1, extra_mask=_field_mask(31, 25),
     summary="xd = sign_extend(vs1[lane])")
_row("vrng", Group.VRNG, "VSPC", [_vd], f3=0, extra_mask=_RS1_M | _RS2_M | _F7,
     summary="vd = per-lane RNG output >> 1")
_row("vandadd", Group.VALU, "VSPC", [_imm("k", VK), _vd, _vs1, _xs2], f3=1,
     summary="vd = (vs1 & ((1 << k) - 1)) + int16(xs2)")
_row("vloadv", Group.VLOAD, "VLOAD", [_vd, _xs1, _imm("imm", IMM_I)], f3=0, summary="vd = VMEM[xs1 + imm]")
_row("vloadr0", Group.VLOAD, "VLOAD", [_xs1, _imm("imm", IMM_I)], f3=1, summary="RNG S0 = VMEM[xs1 + imm]")
_row("vloadr1", Group.VLOAD, "VLOAD", [_xs1, _imm("imm", IMM_I)], f3=5, summary="RNG S1 = VMEM[xs1 + imm]")
_row("vloadl", Group.VLOAD, "VLOAD", [_vd, _vs1, _imm("imm", IMM_I)], f3=2,
     summary="vd[i] = LLM_i[vs1[i] + imm] where vs1[i] >= 0")
_row("vstore", Group.VSTORE, "VSTORE", [_vs2, _xs1, _imm("imm", IMM_S)], f3=0, summary="VMEM[xs1 + imm] = vs2")
_row("vstorel", Group.VSTORE, "VSTORE", [_vs2, _vs1, _imm("imm", IMM_S)], f3=2,
     summary="LLM_i[vs1[i] + imm] = vs2[i] where vs1[i] >= 0")

TABLE: tuple[Instruction, ...] = tuple(_rows)
BY_MNEMONIC: dict[str, Instruction] = {row.mnemonic: row for row in TABLE}
assert len(BY_MNEMONIC) == len(TABLE), "duplicate mnemonic in the ISA table"

_BY_OPCODE: dict[int, list[Instruction]] = {}
for _ins in TABLE:
    _BY_OPCODE.setdefault(_ins.opcode, []).append(_ins)
# most specific (largest mask) first, so e.g. clz is tried before a generic row
for _rows_of in _BY_OPCODE.values():
    _rows_of.sort(key=lambda r: -bin(r.mask).count("1"))


def _check_table():
    """No two rows may accept the same word: that would make decoding ambiguous."""
    for rows in _BY_OPCODE.values():
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                common = a.mask & b.mask
                if (a.match & common) == (b.match & common):
                    raise AssertionError(f"ISA table rows {a.mnemonic} and {b.mnemonic} overlap")


_check_table()


# --------------------------------------------------------------------------- CSRs

CSR_ADDRESSES: dict[str, int] = {
    "mcountinhibit": 0x320,
    "mcycle": 0xB00, "minstret": 0xB02, "mcycleh": 0xB80, "minstreth": 0xB82,
    "mhartid": 0xF14,
    "mm2s_src": 0xBC0, "mm2s_dst": 0xBC1, "mm2s_count": 0xBC2, "mm2s_control": 0xBC3,
    "s2mm_src": 0xBD0, "s2mm_dst": 0xBD1, "s2mm_count": 0xBD2, "s2mm_control": 0xBD3,
    "mm2s_status": 0xFC0, "s2mm_status": 0xFD0,
}
CSR_NAMES: dict[int, str] = {v: k for k, v in CSR_ADDRESSES.items()}

#: DMA status register bits (spec §5)
DMA_STATUS_BITS = {"idle": 1, "start": 2, "transferring": 3, "internal_error": 4,
                   "decode_error": 5, "slave_error": 6, "last_ok": 7}

XREG_ABI_NAMES = ("zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1",
                  "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
                  "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
                  "t3", "t4", "t5", "t6")


# --------------------------------------------------------------------------- decode/encode

#: Zbb encodings FeNN lacks, (funct7, funct3) -> mnemonic, to name them in faults
_ZBB_REGISTER_FORMS = {(0x20, 7): "andn", (0x20, 6): "orn", (0x20, 4): "xnor",
                       (0x05, 4): "min", (0x05, 5): "minu", (0x05, 6): "max", (0x05, 7): "maxu",
                       (0x30, 1): "rol", (0x30, 5): "ror", (0x04, 4): "zext.h"}
_ZBB_IMMEDIATE_FORMS = {(0x30, 5): "rori", (0x14, 5): "orc.b", (0x34, 5): "rev8"}
_ZBB_UNARY = "only the unary clz, ctz, cpop, sext.b and sext.h"
_M_FORMS = ("mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu")


def _illegal_reason(word: int) -> str:
    opcode = word & 0x7F
    if word & 0b11 == 0b01 or (word & 0b11 == 0b00):
        return "compressed (C) encodings do not exist on FeNN"
    if opcode not in _BY_OPCODE:
        return f"unknown opcode 0x{opcode:02x}"
    funct3 = _bits(word, 14, 12)
    if all((r.match & _F3) >> 12 != funct3 for r in _BY_OPCODE[opcode] if r.mask & _F3):
        return f"funct3 {funct3:03b} is not defined for opcode 0x{opcode:02x}"
    if opcode == OPCODES["VSOP"] and _bits(word, 30, 29) == 3:
        return "rounding mode 11 is illegal"
    if opcode == OPCODES["VSOP_IMM"] and _bits(word, 25, 24) == 3:
        return "rounding mode 11 is illegal"
    if opcode in (OPCODES["VSOP"], OPCODES["VSOP_IMM"]):
        return "rounding is only legal on vmul and vsrai"
    if opcode == OPCODES["VMOV"] and funct3 == 1:
        return "vextract lane must be 0..31"
    if opcode == OPCODES["VSPC"] and funct3 == 0:
        return "vrng requires rs1 = rs2 = funct7 = 0"
    if opcode == OPCODES["OP"]:
        funct7 = _bits(word, 31, 25)
        zbb = _ZBB_REGISTER_FORMS.get((funct7, funct3))
        if zbb:
            return (f"{zbb} is a Zbb register-register instruction, which FeNN does not have "
                    f"(of Zbb it has {_ZBB_UNARY})")
        if funct7 == 0x01:
            return f"{_M_FORMS[funct3]} is an M instruction FeNN does not have (of M it has only mul)"
        return f"funct7 0x{funct7:02x} with funct3 {funct3:03b} is not an RV32I, M or Zbb encoding FeNN has"
    if opcode == OPCODES["OP_IMM"]:
        zbb = _ZBB_IMMEDIATE_FORMS.get((_bits(word, 31, 25), funct3))
        if zbb:
            return f"{zbb} is a Zbb instruction FeNN does not have (of Zbb it has {_ZBB_UNARY})"
        return "unsupported shift/Zbb encoding"
    if opcode == OPCODES["SYSTEM"]:
        return "unsupported SYSTEM encoding (only ecall, ebreak and Zicsr)"
    return "fields do not match any instruction"


def decode(word: int, strict: bool = False) -> Decoded:
    """Decode one 32-bit word; raise :class:`IllegalInstruction` with the reason if illegal.

    With ``strict=True``, words that set ignored fields are rejected too.
    """
    word &= 0xFFFFFFFF
    for row in _BY_OPCODE.get(word & 0x7F, ()):
        if word & row.mask == row.match & row.mask:   # fence's match also sets ignored bits
            values = tuple(op.encoding.get(word) for op in row.operands)
            decoded = Decoded(word, row, values)
            if strict and decoded.ignored_bits:
                raise IllegalInstruction(word, f"{row.mnemonic} with ignored bits set "
                                               f"(0x{decoded.ignored_bits:08x}) in strict mode")
            return decoded
    raise IllegalInstruction(word, _illegal_reason(word))


def encode(mnemonic: str, *values: int) -> int:
    """Encode one instruction from its mnemonic and operand values in table order."""
    try:
        row = BY_MNEMONIC[mnemonic]
    except KeyError:
        raise ValueError(f"unknown mnemonic {mnemonic!r}") from None
    return row.encode(*values)
