"""Constrained-random FeNN programs for RTL-versus-simulator parity.

Every program is legal (it never faults) and ends in ``ecall``; it mixes every scalar and
vector instruction of ``fenn.isa.TABLE`` (every rounding mode, saturation, RNG draws and
state loads, lane-local accesses with disabled lanes), forward branches and jumps,
counted loops, CSR accesses, and loads followed at once by their users (interlocks).
Operands are drawn from the table's operand encodings, so new ALU rows are covered
without touching this file.

Register conventions inside a program: x16 = DMEM base, x17 = VMEM base, x18 = loop
counter, x19 = jump and DMA scratch, v28 = lane-local addresses; nothing else writes them.
With ``dma=True`` the program also runs DMA transfers between DDR and the upper half of
VMEM (which nothing else touches), sometimes both channels at once on disjoint areas,
polls their status until idle and loads what arrived; the last transfer(s) may be left
running for ``ecall`` to wait for.
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
    ddr: np.ndarray | None = None   # uint8 image at DDR 0 (programs with DMA)


class _Gen:
    def __init__(self, seed: int, soc: SocConfig, dma: bool = False, ddr_window: int | None = None):
        self.r = random.Random(seed)
        self.soc = soc
        self.dma = dma
        self.ddr_span = soc.ddr_bytes if ddr_window is None else ddr_window
        if dma and soc.vmem_bytes < 4096:
            raise ValueError("random programs with DMA need vmem_bytes >= 4096 (the upper half is the DMA area)")
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

    def li(self, rd: int, value: int) -> None:
        value &= 0xFFFFFFFF
        low = ((value & 0xFFF) ^ 0x800) - 0x800
        self.emit("lui", rd, ((value - low) >> 12) & 0xFFFFF)
        self.emit("addi", rd, rd, low)

    def dma_start(self, ch: str, vmem_span: tuple[int, int], ddr_span: tuple[int, int]) -> tuple[int, int, int]:
        """Start a transfer on ``ch`` inside the given VMEM and DDR byte ranges; (src, dst, count)."""
        r = self.r
        vmem_lo, vmem_hi = vmem_span
        ddr_lo, ddr_hi = ddr_span
        count = 64 * r.choice([c for c in (0, 1, 2, 3, 4, 5, 7, 8, 16) if 64 * c <= vmem_hi - vmem_lo])
        vmem_at = vmem_lo + 64 * r.randrange(0, (vmem_hi - vmem_lo - count) // 64 + 1)
        ddr_at = ddr_lo + 64 * r.randrange(0, (ddr_hi - ddr_lo - count) // 64 + 1)
        src, dst = (ddr_at, vmem_at) if ch == "mm2s" else (vmem_at, ddr_at)
        for name, value in (("src", src), ("dst", dst), ("count", count)):
            self.li(X_JUMP, value)
            self.emit("csrrw", 0, isa.CSR_ADDRESSES[f"{ch}_{name}"], X_JUMP)
        self.emit("csrrwi", 0, isa.CSR_ADDRESSES[f"{ch}_control"], 1)
        self.last_load_rd = None
        return src, dst, count

    def dma_wait(self, ch: str) -> None:
        self.emit("csrrs", X_JUMP, isa.CSR_ADDRESSES[f"{ch}_status"], 0)
        self.emit("andi", X_JUMP, X_JUMP, 2)
        self.emit("beq", X_JUMP, 0, -8)

    def dma_transfer(self, wait: bool = True) -> None:
        """One transfer, or (one time in three) both channels at once on disjoint areas; then
        poll until idle and load a row that arrived."""
        soc, r = self.soc, self.r
        area, half_vmem, half_ddr = 2048, 2048 + (soc.vmem_bytes - 2048) // 2, self.ddr_span // 2
        if r.random() < 1 / 3:
            # MM2S: DDR low half -> VMEM DMA area's low half; S2MM: the area's high half -> DDR high half
            channels = {"mm2s": self.dma_start("mm2s", (area, half_vmem), (0, half_ddr)),
                        "s2mm": self.dma_start("s2mm", (half_vmem, soc.vmem_bytes), (half_ddr, self.ddr_span))}
        else:
            ch = r.choice(["mm2s", "s2mm"])
            channels = {ch: self.dma_start(ch, (area, soc.vmem_bytes), (0, self.ddr_span))}
        if not wait:
            return
        for _ in range(r.randrange(0, 6)):
            self.straight()
        for ch in channels:
            self.dma_wait(ch)
        if "mm2s" in channels and channels["mm2s"][2]:
            _, dst, count = channels["mm2s"]
            self.li(X_JUMP, dst + 64 * r.randrange(0, count // 64))
            vd = r.choice(V_POOL)
            self.emit("vloadv", vd, X_JUMP, 0)
            self.last_load_rd = ("v", vd)

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
            if self.dma and r < 0.03:
                self.dma_transfer()
            elif r < 0.1:
                self.forward_branch()
            elif r < 0.15:
                self.loop()
            else:
                self.straight()
        if self.dma and self.r.random() < 0.5:
            self.dma_transfer(wait=False)
        self.emit("ecall")
        return self.words


def random_program(seed: int, soc: SocConfig, length: int = 150, dma: bool = False,
                   ddr_window: int | None = None) -> RandomProgram:
    """A legal random program of about ``length`` instructions and its memory images.
    ``ddr_window``: the size of the DDR window its DMA offsets must stay in (default:
    ``soc.ddr_bytes``); the ``ddr`` image still covers all of the modelled DDR."""
    gen = _Gen(seed, soc, dma, ddr_window)
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
    ddr = rng.integers(0, 256, soc.ddr_bytes, dtype=np.uint8) if dma else None
    return RandomProgram(seed, words, dmem, vmem.view(np.uint8).reshape(-1), llm, ddr)
