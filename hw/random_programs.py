"""Constrained-random FeNN programs for RTL-versus-simulator parity.

Every program is legal (it never faults) and ends in ``ecall``; it mixes every scalar and
vector instruction of ``fenn.isa.TABLE`` (every rounding mode, saturation, RNG draws and
state loads, lane-local accesses with disabled lanes), forward branches and jumps,
counted loops, CSR accesses, and loads followed at once by their users (interlocks).
Operands are drawn from the table's operand encodings, so new ALU rows are covered
without touching this file.

Register conventions inside a program: x16 = DMEM base, x17 = VMEM base, x18 = loop
counter, x19 = jump scratch, v28 = lane-local addresses; nothing else writes them.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np

from fenn import isa
from fenn.soc import SocConfig

__all__ = ["RandomProgram", "random_program"]

X_POOL = [r for r in range(1, 32) if r not in (16, 17, 18, 19)]
V_POOL = [r for r in range(32) if r != 28]
X_DMEM, X_VMEM, X_LOOP, X_JUMP, V_LLM = 16, 17, 18, 19, 28

#: rows that only compute (any operands are fine); memory, control and CSR rows are built apart
_COMPUTE_GROUPS = (isa.Group.ALU, isa.Group.VALU, isa.Group.VTEST, isa.Group.VMOVE, isa.Group.VRNG)
COMPUTE_ROWS = [r for r in isa.TABLE if r.group in _COMPUTE_GROUPS and r.mnemonic not in ("auipc",)]
SCALAR_COMPUTE = [r for r in COMPUTE_ROWS if not r.is_vector]
VECTOR_COMPUTE = [r for r in COMPUTE_ROWS if r.is_vector]
LOADS = {"lb": 1, "lh": 2, "lw": 4, "lbu": 1, "lhu": 2}
STORES = {"sb": 1, "sh": 2, "sw": 4}
BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]
READABLE_CSRS = ["mcycle", "mcycleh", "minstret", "minstreth", "mhartid", "mcountinhibit",
                 "mm2s_status", "s2mm_status", "mm2s_src", "s2mm_count"]


@dataclasses.dataclass
class RandomProgram:
    seed: int
    words: np.ndarray     # uint32
    dmem: np.ndarray      # uint8 image at DMEM 0
    vmem: np.ndarray      # uint8 image at VMEM 0
    llm: np.ndarray       # int16[lanes, halfwords]


class _Gen:
    def __init__(self, seed: int, soc: SocConfig):
        self.r = random.Random(seed)
        self.soc = soc
        self.words: list[int] = []
        self.last_load_rd: tuple[str, int] | None = None
        self.dmem_span = min(soc.dmem_bytes, 2048)
        self.vmem_rows = min(soc.vmem_bytes, 2048) // 64
        # the last usable VMEM row holds the lane-local address vector; keep it
        self.address_row = self.vmem_rows - 1
        self.llm_imm_max = min(soc.llm_bytes_per_lane // 4, 2046) & ~1

    # ------------------------------------------------------------------ helpers
    def emit(self, mnemonic: str, *values: int) -> None:
        self.words.append(isa.encode(mnemonic, *values))

    def xsrc(self) -> int:
        if self.last_load_rd and self.last_load_rd[0] == "x" and self.r.random() < 0.5:
            return self.last_load_rd[1]
        return self.r.choice(X_POOL + [0])

    def vsrc(self) -> int:
        if self.last_load_rd and self.last_load_rd[0] == "v" and self.r.random() < 0.5:
            return self.last_load_rd[1]
        return self.r.choice(V_POOL)

    def operand(self, op: isa.Operand) -> int:
        if op.kind is isa.Kind.XREG:
            return self.r.choice(X_POOL) if op.encoding is isa.RD else self.xsrc()
        if op.kind is isa.Kind.VREG:
            return self.r.choice(V_POOL) if op.encoding is isa.RD and op.name == "vd" and \
                self.r.random() < 0.5 else self.vsrc()
        enc = op.encoding
        if self.r.random() < 0.2:
            return self.r.choice([enc.lo_value, enc.hi_value])
        return self.r.randrange(enc.lo_value, enc.hi_value + 1, enc.step)

    # ------------------------------------------------------------------ pieces
    def compute(self, vector: bool | None = None) -> None:
        rows = VECTOR_COMPUTE if vector else SCALAR_COMPUTE if vector is False else COMPUTE_ROWS
        row = self.r.choice(rows)
        values = [self.operand(op) for op in row.operands]
        if row.mnemonic == "vextract" or row.group is isa.Group.VTEST:
            values[0] = self.r.choice(X_POOL)          # FeNN rule: no vextract/vt* to x0
        self.words.append(row.encode(*values))
        self.last_load_rd = None

    def scalar_memory(self) -> None:
        if self.r.random() < 0.6:
            name, size = self.r.choice(list(LOADS.items()))
            rd = self.r.choice(X_POOL)
            self.emit(name, rd, self.r.randrange(0, self.dmem_span - 3, size), X_DMEM)
            self.last_load_rd = ("x", rd)
            return
        name, size = self.r.choice(list(STORES.items()))
        self.emit(name, self.xsrc(), self.r.randrange(0, self.dmem_span - 3, size), X_DMEM)
        self.last_load_rd = None

    def vector_memory(self) -> None:
        kind = self.r.choice(["vloadv", "vloadv", "vstore", "vloadr0", "vloadr1", "vloadl", "vloadl", "vstorel"])
        row_imm = 64 * self.r.randrange(0, self.address_row)
        llm_imm = self.r.randrange(0, self.llm_imm_max + 1, 2)
        self.last_load_rd = None
        if kind == "vloadv":
            vd = self.r.choice(V_POOL)
            self.emit("vloadv", vd, X_VMEM, row_imm)
            self.last_load_rd = ("v", vd)
        elif kind == "vstore":
            self.emit("vstore", self.vsrc(), X_VMEM, row_imm)
        elif kind in ("vloadr0", "vloadr1"):
            self.emit(kind, X_VMEM, row_imm)
        elif kind == "vloadl":
            vd = self.r.choice(V_POOL)
            self.emit("vloadl", vd, V_LLM, llm_imm)
            self.last_load_rd = ("v", vd)
        else:
            self.emit("vstorel", self.vsrc(), V_LLM, llm_imm)

    def csr(self) -> None:
        r = self.r.random()
        if r < 0.1:
            self.emit(self.r.choice(["csrrc", "csrrs"]), self.r.choice(X_POOL),
                      isa.CSR_ADDRESSES["mcountinhibit"], self.xsrc())
        elif r < 0.3:
            value = self.r.choice([0, 0, 1, 4, 5])
            self.emit(self.r.choice(["csrrwi", "csrrsi", "csrrci"]), self.r.choice(X_POOL),
                      isa.CSR_ADDRESSES["mcountinhibit"], value)
        elif r < 0.4:
            name = self.r.choice(["mcycle", "minstret", "mcycleh"])
            self.emit("csrrw", self.r.choice(X_POOL), isa.CSR_ADDRESSES[name], self.xsrc())
        else:
            self.emit("csrrs", self.r.choice(X_POOL), isa.CSR_ADDRESSES[self.r.choice(READABLE_CSRS)], 0)
        self.last_load_rd = None

    def straight(self) -> None:
        """One instruction without control flow."""
        r = self.r.random()
        if r < 0.35:
            self.compute(vector=True)
        elif r < 0.6:
            self.compute(vector=False)
        elif r < 0.75:
            self.scalar_memory()
        elif r < 0.92:
            self.vector_memory()
        else:
            self.csr()

    def forward_branch(self) -> None:
        skip = self.r.randrange(0, 4)
        if self.r.random() < 0.7:
            self.emit(self.r.choice(BRANCHES), self.xsrc(), self.xsrc(), 4 * (skip + 1))
        elif self.r.random() < 0.5:
            self.emit("jal", self.r.choice(X_POOL + [0]), 4 * (skip + 1))
        else:
            self.emit("auipc", X_JUMP, 0)
            self.emit("jalr", self.r.choice(X_POOL + [0]), 4 * (skip + 2), X_JUMP)
        self.last_load_rd = None
        for _ in range(skip):
            self.straight()

    def loop(self) -> None:
        self.emit("addi", X_LOOP, 0, self.r.randrange(1, 5))
        start = len(self.words)
        for _ in range(self.r.randrange(1, 6)):
            self.straight()
        self.emit("addi", X_LOOP, X_LOOP, -1)
        self.emit("bne", X_LOOP, 0, 4 * (start - len(self.words)))
        self.last_load_rd = None

    def build(self, length: int) -> list[int]:
        self.emit("addi", X_DMEM, 0, 0)
        self.emit("addi", X_VMEM, 0, 0)
        self.emit("vloadv", V_LLM, X_VMEM, 64 * self.address_row)
        self.emit("csrrwi", 0, isa.CSR_ADDRESSES["mcountinhibit"], 0)
        while len(self.words) < length:
            r = self.r.random()
            if r < 0.1:
                self.forward_branch()
            elif r < 0.15:
                self.loop()
            else:
                self.straight()
        self.emit("ecall")
        return self.words


def random_program(seed: int, soc: SocConfig, length: int = 150) -> RandomProgram:
    """A legal random program of about ``length`` instructions and its memory images."""
    gen = _Gen(seed, soc)
    words = np.array(gen.build(length), dtype=np.uint32)
    if words.size > soc.imem_bytes // 4:
        raise ValueError(f"random program of {words.size} words does not fit IMEM ({soc.imem_bytes} bytes)")
    rng = np.random.default_rng(seed)
    dmem = rng.integers(0, 256, gen.dmem_span, dtype=np.uint8)
    vmem = rng.integers(-32768, 32768, (gen.vmem_rows, 32)).astype(np.int16)
    lanes_half = soc.llm_bytes_per_lane // 2
    usable = soc.llm_bytes_per_lane - gen.llm_imm_max - 2
    addresses = 2 * rng.integers(0, usable // 2 + 1, 32)
    disabled = rng.random(32) < 0.2
    addresses[disabled] = -rng.integers(1, 32768, disabled.sum())
    vmem[gen.address_row] = addresses.astype(np.int16)
    llm = rng.integers(-32768, 32768, (32, lanes_half)).astype(np.int16)
    return RandomProgram(seed, words, dmem, vmem.view(np.uint8).reshape(-1), llm)
