"""Decode instruction words once, from the ``fenn.isa`` table, into the kernel's packed form.

Besides the operation and its fields, each packed word carries what the cycle model of
``docs/timing.md`` can know before the run: a jump's penalty, and the load-use stall of a
load whose destination the *next word* reads (a load never jumps, so the next instruction
is always the next word). Branch and jump targets become absolute pcs.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .. import isa
from ..timing import READS_VD, late_kind, waits_for_rng
from . import kernel

__all__ = ["OP_ID", "decode_words", "sources", "destination", "Slot"]

OP_ID = {name: i for i, name in enumerate(kernel.OPS)}
_unknown = [row.mnemonic for row in isa.TABLE if row.mnemonic not in OP_ID]
if _unknown:
    raise ImportError(f"fenn.sim does not implement {_unknown} from the ISA table; "
                      f"add them to fenn/sim/kernel.py")

_DEST_X = ("rd", "xd")
_SRC_X = ("rs1", "rs2", "xs1", "xs2")
_SRC_V = ("vs1", "vs2")


def sources(decoded: isa.Decoded) -> tuple[set[int], set[int]]:
    """The x and v registers an instruction reads."""
    xs, vs = set(), set()
    for op, value in zip(decoded.instruction.operands, decoded.values):
        if op.kind is isa.Kind.XREG and op.name in _SRC_X:
            xs.add(value)
        elif op.kind is isa.Kind.VREG and (op.name in _SRC_V or
                                           (op.name == "vd" and decoded.mnemonic in READS_VD)):
            vs.add(value)
    return xs, vs


def destination(decoded: isa.Decoded) -> tuple[str, int] | None:
    """``("x", r)`` or ``("v", r)`` for the register an instruction writes, else None."""
    for op, value in zip(decoded.instruction.operands, decoded.values):
        if op.kind is isa.Kind.XREG and op.name in _DEST_X:
            return ("x", value) if value else None
        if op.kind is isa.Kind.VREG and op.name == "vd":
            return ("v", value)
    return None


def destination_is_x(decoded: isa.Decoded) -> bool:
    """Whether the instruction has an x destination operand (x0 included)."""
    return any(op.kind is isa.Kind.XREG and op.name in _DEST_X for op in decoded.instruction.operands)


@dataclasses.dataclass
class Slot:
    """What the Python side knows about one IMEM word (for messages, stats and traces)."""
    word: int
    decoded: isa.Decoded | None
    error: isa.IllegalInstruction | None
    stall: str | None = None        # "load_use" / "vload_use" / "branch" if it has a static penalty
    text: str | None = None         # disassembly, filled in when first needed


def _s32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _decode(word: int, strict: bool):
    try:
        return isa.decode(word, strict=strict), None
    except isa.IllegalInstruction as error:
        return None, error


def _pack(pc: int, decoded: isa.Decoded) -> tuple[int, int, int, int, int]:
    """(rd, rs1, rs2, aux, imm) of one decoded instruction."""
    rd = rs1 = rs2 = aux = imm = 0
    mnemonic = decoded.mnemonic
    for op, value in zip(decoded.instruction.operands, decoded.values):
        name = op.name
        if name in ("rd", "vd", "xd"):
            rd = value
        elif name in ("rs1", "vs1", "xs1", "zimm"):
            rs1 = value
        elif name in ("rs2", "vs2", "xs2"):
            rs2 = value
        elif name in ("shift", "k", "lane") or (name == "shamt" and decoded.instruction.is_vector):
            aux = value
        elif name in ("shamt", "csr"):
            imm = value
        elif name == "target":
            imm = pc + value
        elif name == "imm":
            if mnemonic == "lui":
                imm = _s32(value << 12)
            elif mnemonic == "auipc":
                imm = _s32(pc + (value << 12))
            elif mnemonic == "vlui":
                imm = (value & 0xFFFF) - ((value & 0x8000) << 1)
            else:
                imm = value
        else:
            raise AssertionError(f"fenn.sim.decode: operand {name!r} of {mnemonic} is not mapped")
    return rd, rs1, rs2, aux, imm


def decode_words(words: np.ndarray, imem_words: int, strict: bool) -> tuple[np.ndarray, list[Slot]]:
    """Packed code for all of IMEM (``imem_words`` long) and one :class:`Slot` per word given.

    Words beyond ``words`` are zero, which is illegal: running past the end of a program
    faults there.
    """
    words = np.asarray(words, dtype=np.uint32)
    if words.size > imem_words:
        raise ValueError(f"{words.size} instruction words do not fit in IMEM ({imem_words} words)")
    code = np.full(imem_words, kernel.ILLEGAL, dtype=np.int64)
    slots = [Slot(int(w), *_decode(int(w), strict)) for w in words]
    for index, slot in enumerate(slots):
        d = slot.decoded
        if d is None:
            continue
        pc = 4 * index
        rd, rs1, rs2, aux, imm = _pack(pc, d)
        penalty = 0
        if d.mnemonic in ("jal", "jalr"):
            penalty, slot.stall = 2, "branch"
        op = OP_ID[d.mnemonic]
        nxt = slots[index + 1].decoded if index + 1 < len(slots) else None
        late = late_kind(d.mnemonic)
        if nxt is not None and late is not None:
            dest = destination(d)
            xs, vs = sources(nxt)
            if dest is not None and dest[1] in (xs if dest[0] == "x" else vs):
                penalty, slot.stall = 1, late
                if strict and late == "vload_use":     # FeNN has no interlock there
                    op = kernel.HAZARD
        if nxt is not None and waits_for_rng(d.mnemonic, nxt.mnemonic):
            penalty, slot.stall = 1, "rng_use"
        if rd == 0 and destination_is_x(d):
            rd = kernel.X0_SINK
        code[index] = (op | rd << kernel.RD_SHIFT | rs1 << kernel.RS1_SHIFT | rs2 << kernel.RS2_SHIFT
                       | aux << kernel.AUX_SHIFT | penalty << kernel.PENALTY_SHIFT | (imm << 32))
    return code, slots
