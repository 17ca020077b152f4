"""Dense propagation with weights streamed from DDR by the DMA engine, double-buffered.

Per timestep and connection the spiking pre neurons are listed (input events are a list
already; a bitfield row is scanned into one), then their weight rows are fetched from DDR
into a ring of ``2 k`` row buffers in VMEM and added in batches of ``k`` rows. A small
*pump* (poll MM2S status; when idle and allowed, start the next row) runs while waiting
and inside the compute loop, so the fetch of batch ``b + 1`` overlaps the additions of
batch ``b``; it never runs more than one batch ahead, so a buffer is never overwritten
before it has been used. A batch is used only after all of its transfers completed
(the channel's completed count, from its status, reaches the batch end).

Targets of at most 16 vectors use ``k = 1`` and register accumulators (latency-bound);
larger ones use ``k`` rows per pass over VMEM accumulators, ``acc += w_0 + ... + w_k-1``
with saturating adds in row order, so the sums equal the reference model's.
"""

from __future__ import annotations

from ..isa import CSR_ADDRESSES
from .emit import Code, V, X

__all__ = ["emit_streamed", "StreamLayout", "rows_per_batch"]

NEXTP, N, FETCHED, DSTP, LIMIT, WDDR, RB, BUF0, BUFEND, DONE, S, S2 = (X(n) for n in range(5, 17))
R = [X(n) for n in range(17, 23)]
AP, CN, ZEROP, IDX, ONE, END, HALF = (X(n) for n in range(23, 30))
PTR, WORD, TMP, WIDX = X(1), X(2), X(30), X(31)
STEP = X(2)         # bytes per compute pass (WORD is free once the spike list is gathered)

MAX_ROWS = 6
GROUP = 32          # vectors per pass of the compute loop (immediate offsets up to 1984)


def rows_per_batch(post_nvec: int) -> int:
    return 1 if post_nvec <= 16 else MAX_ROWS


class StreamLayout:
    """Addresses of one streamed connection."""

    def __init__(self, ddr: int, row_bytes: int, k: int, buffers: int, zero_row: int | None,
                 list_base: int | None):
        self.ddr, self.row_bytes, self.k = ddr, row_bytes, k
        self.buffers, self.zero_row, self.list_base = buffers, zero_row, list_base


def _csrw(code: Code, name: str, reg: X):
    code.csrrw(X(0), CSR_ADDRESSES[name], reg)


def _pump(code: Code, first: bool = False):
    """Start the next row's transfer if the channel is idle and the row may be fetched.

    ``first``: the channel is known to be idle and a row is due (the kernel's first
    transfer), so the status is not read (FeNN's toolchain reads no status before the
    first transfer of a run).
    """
    done = code.new_label("pump_done")
    if not first:
        code.csrrs(S, CSR_ADDRESSES["mm2s_status"], X(0))
        code.andi(S, S, 2)
        code.beq(S, X(0), done)
        code.bge(FETCHED, LIMIT, done)
    code.lhu(IDX, 0, NEXTP)
    code.addi(NEXTP, NEXTP, 2)
    code.mul(S, IDX, RB)
    code.add(S, S, WDDR)
    _csrw(code, "mm2s_src", S)
    _csrw(code, "mm2s_dst", DSTP)
    _csrw(code, "mm2s_count", RB)
    _csrw(code, "mm2s_control", ONE)
    code.addi(FETCHED, FETCHED, 1)
    code.add(DSTP, DSTP, RB)
    code.blt(DSTP, BUFEND, done)
    code.addi(DSTP, BUF0, 0)
    code.label(done)


def _gather_bitfield(code: Code, slot: int, nwords: int, list_base: int):
    """Write the indices of the set bits of the pre row into a halfword list; N = count."""
    word, bit, after = code.new_label("gword"), code.new_label("gbit"), code.new_label("gnext")
    code.lw(PTR, slot, X(0))
    code.li(CN, nwords)
    code.li(NEXTP, list_base)
    code.li(WIDX, 0)
    code.label(word)
    code.lw(WORD, 0, PTR)
    code.addi(PTR, PTR, 4)
    code.beq(WORD, X(0), after)
    code.label(bit)
    code.ctz(IDX, WORD)
    code.addi(TMP, WORD, -1)
    code.and_(WORD, WORD, TMP)
    code.add(IDX, IDX, WIDX)
    code.sh(IDX, 0, NEXTP)
    code.addi(NEXTP, NEXTP, 2)
    code.bne(WORD, X(0), bit)
    code.label(after)
    code.addi(WIDX, WIDX, 32)
    code.addi(CN, CN, -1)
    code.bne(CN, X(0), word)
    code.li(S, list_base)
    code.sub(N, NEXTP, S)
    code.srli(N, N, 1)
    code.addi(NEXTP, S, 0)


def _compute_registers(code: Code, accs: list[V]):
    w = [V(1), V(2)]
    code.vloadv(w[0], R[0], 0)
    for k in range(len(accs)):
        if k + 1 < len(accs):
            code.vloadv(w[(k + 1) % 2], R[0], 64 * (k + 1))
        code.vadd_s(accs[k], accs[k], w[k % 2])


def _compute_vmem(code: Code, k: int, nvec: int, isyn_base: int):
    """acc[v] += w_0[v] + ... + w_k-1[v] over every vector v, GROUP vectors per pass,
    pumping the DMA twice per pass."""
    acc = [V(1), V(2)]
    w = [V(3 + n) for n in range(k)]

    def vectors(first, count):
        for v in range(first, first + count):
            a, off = acc[v % 2], 64 * v
            code.vloadv(a, AP, off)
            code.vloadv(w[0], R[0], off)
            if k > 1:
                code.vloadv(w[1], R[1], off)
            for r in range(k):
                code.vadd_s(a, a, w[r])
                if r + 2 < k:
                    code.vloadv(w[r + 2], R[r + 2], off)
            code.vstore(a, AP, off)

    code.li(AP, isyn_base)
    groups, rest = divmod(nvec, GROUP)
    if groups:
        loop = code.new_label("stream_pass")
        code.li(CN, groups)
        code.li(STEP, 64 * GROUP)
        code.label(loop)
        vectors(0, GROUP // 2)
        _pump(code)
        vectors(GROUP // 2, GROUP // 2)
        _pump(code)
        for r in range(k):
            code.add(R[r], R[r], STEP)
        code.add(AP, AP, STEP)
        code.addi(CN, CN, -1)
        code.bne(CN, X(0), loop)
    if rest:
        vectors(0, rest)
        _pump(code)


def emit_streamed(code: Code, c, post, layout: StreamLayout, slots, ln, accs: list[V],
                  isyn_base: int):
    """Propagate connection ``c`` into ``post`` with its rows streamed from DDR."""
    k = layout.k
    code.note = f"{c.name}: propagation (weights streamed from DDR)"
    finished = code.new_label("stream_done")
    if c.pre_is_input:
        code.lw(NEXTP, slots[f"events:{c.pre}"], X(0))
        code.nop()
        code.lhu(N, 0, NEXTP)
        code.addi(NEXTP, NEXTP, 2)
    else:
        _gather_bitfield(code, slots[f"prev:{c.pre}"], ln.pop(c.pre).nwords, layout.list_base)
    code.beq(N, X(0), finished)
    code.li(WDDR, layout.ddr)
    code.li(RB, layout.row_bytes)
    code.li(BUF0, layout.buffers)
    code.li(BUFEND, layout.buffers + 2 * k * layout.row_bytes)
    code.li(ONE, 1)
    code.li(FETCHED, 0)
    code.addi(DSTP, BUF0, 0)
    code.li(DONE, 0)
    code.li(HALF, 0)
    if layout.zero_row is not None:
        code.li(ZEROP, layout.zero_row)
    batch, wait = code.new_label("batch"), code.new_label("wait")
    _pump(code, first=True)
    code.label(batch)
    # this batch ends at min(N, DONE + k); the pump may run one batch ahead
    clamp_end, clamp_limit = code.new_label("end_ok"), code.new_label("limit_ok")
    code.addi(END, DONE, k)
    code.bge(N, END, clamp_end)
    code.addi(END, N, 0)
    code.label(clamp_end)
    code.addi(LIMIT, DONE, 2 * k)
    code.bge(N, LIMIT, clamp_limit)
    code.addi(LIMIT, N, 0)
    code.label(clamp_limit)
    code.phase("propagation")
    code.label(wait)
    _pump(code)
    code.csrrs(S, CSR_ADDRESSES["mm2s_status"], X(0))
    code.andi(S, S, 2)
    code.sltiu(S2, S, 1)                    # 1 while a transfer is in flight
    code.sub(S2, FETCHED, S2)               # transfers completed
    code.blt(S2, END, wait)
    code.phase("dma_wait")
    # row pointers of this batch (rows past the end read the zero row)
    code.add(R[0], BUF0, HALF)
    for r in range(1, k):
        keep = code.new_label("row_ok")
        code.add(R[r], R[r - 1], RB)
        code.addi(S, DONE, r)
        code.blt(S, END, keep)
        code.addi(R[r], ZEROP, 0)
        code.label(keep)
    if accs:
        _compute_registers(code, accs)
    else:
        _compute_vmem(code, k, post.nvec, isyn_base)
    # next batch: the other half of the ring
    code.addi(DONE, DONE, k)
    toggle = code.new_label("half")
    code.li(S, k * layout.row_bytes)
    code.beq(HALF, X(0), toggle)
    code.li(S, 0)
    code.label(toggle)
    code.addi(HALF, S, 0)
    code.blt(DONE, N, batch)
    code.label(finished)
