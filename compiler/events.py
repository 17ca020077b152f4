"""Input events in VMEM: fetched block by block from DDR by the DMA, read with ``vextract``.

The DMA reaches VMEM only, so an input whose events live in DMEM has to be copied there by
the core (the batch firmware did, ~2 cycles per halfword). Here they stay where the DMA
puts them. The host lays a sample's events out in DDR in *blocks* of ``H`` vectors
(:mod:`fenn.events_layout`): every timestep starts at a vector, holds its
units in ascending order and ends with a terminator, ``-1`` (the next step follows in the
next vector) or ``-2`` (it starts at the next block; no step straddles a block). A ring of
two block buffers in VMEM holds the block being read and the next one: the prologue
fetches blocks 0 and 1, and each time the reader moves on to the next block, the block
after it is fetched into the buffer just left, while the network runs.

The reader is unrolled over the 32 lanes (``vextract`` takes its lane as an immediate): per
event ``vextract`` and a sign test, then the weight row. Every connection from the input
reads the step the same way; the last one in program order stores where the next step
starts, and makes the block change (an out-of-line routine: wait for the fetch of the
block it enters, start the fetch of the one after it).

Only networks whose own code uses no DMA get this placement (a weight stream shares the
MM2S channel, and a fetch in flight would fault its starts); they keep events in DMEM.
"""

from __future__ import annotations

import dataclasses

from ..events_layout import NEXT_BLOCK, TERMINATOR
from ..isa import CSR_ADDRESSES, DMA_STATUS_BITS
from .emit import Code, V, X

__all__ = ["FETCH_NOTE", "BLOCK_LABEL", "EventReaders", "InputRing", "ring_block", "ring_capacity", "emit_ring_prologue", "emit_vmem_reader",
           "emit_ring_cold", "emit_dma_drain"]

#: the listing note of every instruction that fetches events (the work this placement adds)
FETCH_NOTE = "input events fetch"
#: the block changes' labels start so
BLOCK_LABEL = "events_next_block_"
#: fewest vectors in a block (a block change costs ~15 cycles)
MIN_BLOCK = 32

_VE = V(0)                                     # the event vector being read
P, T, WB, RB, IDX, ROW = X(5), X(6), X(7), X(8), X(9), X(10)
_IDLE = 1 << DMA_STATUS_BITS["idle"]


def ring_block(units: int) -> int:
    """Vectors per block for an input of ``units``: at least twice the longest step
    (all units spiking, plus the terminator), so that a block wastes little."""
    longest = (units + 32) // 32
    return max(MIN_BLOCK, 2 * longest)


def ring_capacity(units: int, timesteps: int) -> int:
    """DDR vectors a sample's layout may take, the fetches past its end included: every
    closed block holds at least ``H - longest + 1`` vectors of steps."""
    block, longest = ring_block(units), (units + 32) // 32
    blocks = -(-timesteps * longest // (block - longest + 1)) + 1
    return (blocks + 2) * block


@dataclasses.dataclass(frozen=True)
class InputRing:
    """Where one input's events go: the VMEM ring (two blocks), its DMEM slots and the
    program's own DDR area (a plain run's host writes the sample there)."""
    name: str
    units: int
    block: int                  # vectors per block
    ring: int                   # VMEM address of block buffer 0 (buffer 1 follows)
    ddr: int                    # DDR address of the program's own area
    at: int                     # DMEM slot: VMEM address of this step's first vector
    fetch: int                  # DMEM slot: DDR address of the next block to fetch
    source: int                 # DMEM slot: DDR address of the sample's layout (firmware: per sample)

    @property
    def block_bytes(self) -> int:
        return 64 * self.block


class EventReaders:
    """The readers of every VMEM-placed input, in program order (``conns``: the
    connections in the order their propagation is emitted), so each knows if it is the
    step's last reader of its input."""

    def __init__(self, rings: dict, conns: list):
        self.rings = rings
        self.last = {c.pre: c for c in conns if c.pre in rings}

    def __contains__(self, c) -> bool:
        return c.pre_is_input and c.pre in self.rings

    def emit(self, code: Code, c, weights_base: int, row_bytes: int, row_kernel):
        emit_vmem_reader(code, self.rings[c.pre], weights_base, row_bytes, row_kernel,
                         last=self.last[c.pre] is c)


def _csrw(code: Code, name: str, reg: X):
    code.csrrw(X(0), CSR_ADDRESSES[name], reg)


def _wait_idle(code: Code, scratch: X):
    wait = code.new_label("mm2s_wait")
    code.label(wait)
    code.csrrs(scratch, CSR_ADDRESSES["mm2s_status"], X(0))
    code.andi(scratch, scratch, _IDLE)
    code.beq(scratch, X(0), wait)


def _fetch(code: Code, source: X, destination: X, count: X):
    _csrw(code, "mm2s_src", source)
    _csrw(code, "mm2s_dst", destination)
    _csrw(code, "mm2s_count", count)
    code.csrrwi(X(0), CSR_ADDRESSES["mm2s_control"], 1)


def emit_ring_prologue(code: Code, ring: InputRing):
    """Blocks 0 (waited for) and 1 (left running) of this sample into the ring."""
    note, code.note = code.note, f"{FETCH_NOTE}: {ring.name}, blocks 0 and 1"
    code.lw(IDX, ring.source, X(0))
    code.li(ROW, ring.ring)
    code.li(T, ring.block_bytes)
    _wait_idle(code, WB)
    _fetch(code, IDX, ROW, T)
    code.add(IDX, IDX, T)
    code.add(ROW, ROW, T)
    _wait_idle(code, WB)
    _fetch(code, IDX, ROW, T)
    code.add(IDX, IDX, T)
    code.sw(IDX, ring.fetch, X(0))
    code.li(ROW, ring.ring)
    code.sw(ROW, ring.at, X(0))
    code.note = note


def emit_vmem_reader(code: Code, ring: InputRing, weights_base: int, row_bytes: int, row_kernel,
                     last: bool):
    """``row_kernel`` (from ``ROW``) for every unit of this step of ``ring``'s input; the
    ``last`` reader of the step stores where the next one starts (and changes block)."""
    exit_, lane0 = code.new_label("events_done"), code.new_label("event_lane")
    code.lw(P, ring.at, X(0))
    code.li(WB, weights_base)
    code.vloadv(_VE, P, 0)
    pow2 = row_bytes & (row_bytes - 1) == 0
    if not pow2:
        code.li(RB, row_bytes)
    code.label(lane0)
    for lane in range(32):
        code.vextract(IDX, _VE, lane)
        code.blt(IDX, X(0), exit_)
        if pow2:
            code.slli(ROW, IDX, row_bytes.bit_length() - 1)
        else:
            code.mul(ROW, IDX, RB)
        code.add(ROW, ROW, WB)
        row_kernel()
    code.addi(P, P, 64)                       # a step of more than 31 units goes on
    code.vloadv(_VE, P, 0)
    code.j(lane0)
    code.label(exit_)
    if last:
        code.addi(P, P, 64)
        code.addi(T, IDX, -NEXT_BLOCK - 1)    # 0 for -1 (next vector), else a block change
        code.bne(T, X(0), block_label(ring))
        code.sw(P, ring.at, X(0))
        code.label(_back_label(ring))


def block_label(ring: InputRing) -> str:
    """The label of ``ring``'s block change (entered by a taken branch once per block)."""
    return f"{BLOCK_LABEL}{ring.ring}"


def _back_label(ring: InputRing) -> str:
    return f"events_block_changed_{ring.ring}"


def emit_ring_cold(code: Code, ring: InputRing):
    """The block change, out of line: the next step starts in the other buffer (wait
    for its fetch), and the block after it is fetched into the buffer just left."""
    code.note = f"{FETCH_NOTE}: {ring.name}, next block"
    other = code.new_label("events_from_buffer1")
    go = code.new_label("events_fetch")
    code.label(block_label(ring))
    _wait_idle(code, T)
    code.li(T, ring.ring + ring.block_bytes)
    code.bltu(T, P, other)                     # P past buffer 0's end: we were in buffer 1
    code.addi(P, T, 0)
    code.li(ROW, ring.ring)
    code.j(go)
    code.label(other)
    code.li(P, ring.ring)
    code.addi(ROW, T, 0)
    code.label(go)
    code.lw(IDX, ring.fetch, X(0))
    code.li(T, ring.block_bytes)
    _fetch(code, IDX, ROW, T)
    code.add(IDX, IDX, T)
    code.sw(IDX, ring.fetch, X(0))
    code.sw(P, ring.at, X(0))
    code.j(_back_label(ring))


def emit_dma_drain(code: Code):
    """Wait for a fetch still running (one past the last step's block), so that the run
    ends the same way whether the host or the batch firmware takes over."""
    note, code.note = code.note, f"{FETCH_NOTE}: the last one"
    _wait_idle(code, X(5))
    code.note = note
