"""An instruction list with labels and notes, checked against FeNN's load-use rule.

Kernels append instructions here (mnemonic + operands in table order, registers as
integers); :meth:`Code.assemble` hides late results (docs/timing.md: a load's or the
multiply unit's result read by the very next instruction) by moving an independent
instruction in between where one is near, fixes the vector load-use hazards left (a
``nop``: FeNN hardware has no interlock there) and hands everything to
:class:`fenn.asm.Assembler`, keeping each instruction's note as its source annotation
for listings.
"""

from __future__ import annotations

import dataclasses

from ..asm.pseudo import li_expansion
from ..asm.registers import Register
from ..isa import BY_MNEMONIC, Kind
from ..timing import DRAWS_RNG, READS_VD, VECTOR_LOADS, late_kind, waits_for_rng

__all__ = ["Code", "X", "V"]


@dataclasses.dataclass(frozen=True)
class X:
    """Scalar register number (kept distinct from integers so operands cannot be confused)."""
    n: int


@dataclasses.dataclass(frozen=True)
class V:
    n: int


_INVERSE = {"beq": "bne", "bne": "beq", "blt": "bge", "bge": "blt", "bltu": "bgeu", "bgeu": "bltu"}
#: instructions the scheduler never moves nor moves anything across (control flow, CSRs:
#: counters and DMA status/starts, whose order against memory accesses matters)
_BARRIERS = ("beq", "bne", "blt", "bge", "bltu", "bgeu", "jal", "jalr", "ecall", "ebreak",
             "fence", "fence.i", "csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci")
_MEMORY_WRITES = ("sb", "sh", "sw", "vstore", "vstorel")
_MEMORY_READS = ("lb", "lh", "lw", "lbu", "lhu", "vloadv", "vloadl", "vloadr0", "vloadr1")
#: how far ahead the scheduler looks for an independent instruction
_WINDOW = 12
_RNG = ("rng",)       # the lane RNG state, as a pseudo-register: draws read and write it


def _reads(mnemonic: str, args) -> set:
    row = BY_MNEMONIC[mnemonic]
    regs = set()
    for op, value in zip(row.operands, args):
        if op.kind is Kind.VREG and (op.name != "vd" or mnemonic in READS_VD):
            regs.add(("v", value.n))
        if op.kind is Kind.XREG and op.name not in ("rd", "xd"):
            regs.add(("x", value.n))
    if mnemonic in DRAWS_RNG:
        regs.add(_RNG)
    return regs


def _writes(mnemonic: str, args) -> set:
    row = BY_MNEMONIC[mnemonic]
    regs = set()
    for op, value in zip(row.operands, args):
        if op.kind is Kind.VREG and op.name == "vd":
            regs.add(("v", value.n))
        if op.kind is Kind.XREG and op.name in ("rd", "xd") and value.n != 0:
            regs.add(("x", value.n))
    if mnemonic in DRAWS_RNG or mnemonic in ("vloadr0", "vloadr1"):
        regs.add(_RNG)
    return regs


def _late_read(first, second) -> bool:
    """Whether ``second`` right after ``first`` waits for ``first``'s late result."""
    if first[0] != "ins" or second[0] != "ins":
        return False
    return waits_for_rng(first[1], second[1]) or (
        late_kind(first[1]) is not None
        and bool(_writes(first[1], first[2]) & _reads(second[1], second[2]) - {_RNG}))


class Code:
    """Instructions and labels in program order."""

    def __init__(self):
        self.items: list[tuple] = []       # ("label", name) | ("ins", mnemonic, args, note)
        self._labels = 0
        self.note = ""
        #: phase -> DMEM slot accumulating its cycles, plus "mark": the last boundary's
        #: mcycle (None: profiling off, no instructions emitted)
        self.profile: dict | None = None

    def new_label(self, stem: str) -> str:
        self._labels += 1
        return f"{stem}_{self._labels}"

    def label(self, name: str):
        self.items.append(("label", name))

    def __getattr__(self, mnemonic):
        name = mnemonic.rstrip("_")
        if name not in BY_MNEMONIC:
            raise AttributeError(mnemonic)

        def emit(*args):
            self.items.append(("ins", name, args, self.note))
        return emit

    def li(self, rd: X, value: int):
        """Load a 32-bit constant: what the assembler's ``li`` expands to (addi, lui or lui+addi)."""
        for mnemonic, *args in li_expansion(rd, value):
            getattr(self, mnemonic)(*(X(int(a)) if isinstance(a, Register) else a for a in args))

    def for_each_set_bit(self, word: X, index: X, scratch: X, body, stem: str = "bit"):
        """A loop over the set bits of the non-zero ``word``, lowest first: ``index`` = the bit
        number, the bit cleared in ``word``, then ``body()`` emits the work; ``word`` ends zero."""
        bit = self.new_label(stem)
        self.label(bit)
        self.ctz(index, word)
        self.addi(scratch, word, -1)
        self.and_(word, word, scratch)
        body()
        self.bne(word, X(0), bit)

    def nop(self):
        self.addi(X(0), X(0), 0)

    def j(self, target: str):
        self.jal(X(0), target)

    def phase(self, finished: str | None):
        """Profiling boundary: add the cycles since the last boundary to ``finished``."""
        if self.profile is None:
            return
        from ..isa import CSR_ADDRESSES
        now, last, total = X(30), X(31), X(1)      # free wherever a boundary is placed
        note, self.note = self.note, "profiling"
        self.csrrs(now, CSR_ADDRESSES["mcycle"], X(0))
        if finished is None:
            self.sw(now, self.profile["mark"], X(0))
            self.note = note
            return
        self.lw(last, self.profile["mark"], X(0))
        self.sw(now, self.profile["mark"], X(0))
        self.sub(last, now, last)
        self.lw(total, self.profile[finished], X(0))
        self.add(total, total, last)
        self.sw(total, self.profile[finished], X(0))
        self.note = note

    def instruction_count(self) -> int:
        return sum(1 for item in self.items if item[0] == "ins")

    def schedule(self) -> int:
        """Hide late results: where an instruction reads the late result of the one before
        it, move the nearest later independent instruction of the same straight-line block
        in between. Returns how many were moved."""
        items, moved = self.items, 0
        for k in range(len(items) - 1):
            if not _late_read(items[k], items[k + 1]):
                continue
            j = self._independent(items, k)
            if j is not None:
                items.insert(k + 1, items.pop(j))
                moved += 1
        return moved

    @staticmethod
    def _independent(items, k):
        """Index of an instruction after ``items[k + 1]`` that can move to ``k + 1``, or None."""
        produced = _writes(items[k][1], items[k][2])
        passed_reads, passed_writes, passed_memory_write = set(), set(), False
        for j in range(k + 1, min(len(items), k + 2 + _WINDOW)):
            item = items[j]
            if item[0] != "ins" or item[1] in _BARRIERS:
                return None
            if j > k + 1:
                reads, writes = _reads(item[1], item[2]), _writes(item[1], item[2])
                movable = (item[1] not in _MEMORY_WRITES
                           and not (item[1] in _MEMORY_READS and passed_memory_write)
                           and not reads & (produced | passed_writes)
                           and not writes & (passed_reads | passed_writes)
                           and not _late_read(item, items[k + 1])
                           and not (j + 1 < len(items) and _late_read(items[j - 1], items[j + 1])))
                if movable:
                    return j
            passed_reads |= _reads(item[1], item[2])
            passed_writes |= _writes(item[1], item[2])
            passed_memory_write |= item[1] in _MEMORY_WRITES
        return None

    def fix_hazards(self) -> int:
        """Insert a nop after every vector load whose result the next instruction reads."""
        fixed, inserted = [], 0
        items = self.items
        for k, item in enumerate(items):
            fixed.append(item)
            if item[0] != "ins" or item[1] not in VECTOR_LOADS:
                continue
            written = ("v", item[2][0].n)
            following = next((it for it in items[k + 1:] if it[0] == "ins"), None)
            if following is not None and written in _reads(following[1], following[2]):
                fixed.append(("ins", "addi", (X(0), X(0), 0), "load-use spacing"))
                inserted += 1
        self.items = fixed
        return inserted

    def relax_branches(self, reach: int = 4000) -> int:
        """Rewrite conditional branches whose target is out of reach (13-bit offsets) as
        the inverted branch over a ``jal`` (1 MiB reach); returns how many."""
        rewritten = 0
        while True:
            address, labels = 0, {}
            for item in self.items:
                if item[0] == "label":
                    labels[item[1]] = address
                else:
                    address += 4
            out, address, changed = [], 0, False
            for item in self.items:
                if item[0] == "ins" and item[1] in _INVERSE and isinstance(item[2][2], str) \
                        and abs(labels[item[2][2]] - address) > reach:
                    _, mnemonic, (a, b, target), note = item
                    skip = self.new_label("far")
                    out += [("ins", _INVERSE[mnemonic], (a, b, skip), note),
                            ("ins", "jal", (X(0), target), note), ("label", skip)]
                    changed, rewritten = True, rewritten + 1
                    address += 8
                    continue
                out.append(item)
                if item[0] == "ins":
                    address += 4
            self.items = out
            if not changed:
                return rewritten

    def assemble(self, prefix: str | None = None):
        """Resolve labels and encode through fenn.asm; returns fenn.asm.Assembled.

        ``prefix``: assembly text placed before the instructions (the batch firmware, whose
        labels the instructions may jump to)."""
        from ..asm import VREGS, XREGS, Assembler, parse_into
        self.schedule()
        self.fix_hazards()             # its nops move targets: relax last
        self.relax_branches()
        a = Assembler()
        if prefix is not None:
            from ..firmware import SOURCE_PATH
            parse_into(a, prefix, f"fenn/firmware/{SOURCE_PATH.name}")
        for item in self.items:
            if item[0] == "label":
                a.label(item[1], where="compiler")
                continue
            _, mnemonic, args, note = item
            values = [XREGS[v.n] if isinstance(v, X) else VREGS[v.n] if isinstance(v, V) else v
                      for v in args]
            a.emit(mnemonic, *values, where=note or "compiler",
                   statement=f"{mnemonic} {', '.join(_show(v) for v in args)}")
        return a.assemble()


def _show(value) -> str:
    if isinstance(value, X):
        return f"x{value.n}"
    if isinstance(value, V):
        return f"v{value.n}"
    return str(value)
