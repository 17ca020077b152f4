"""Sparse (and sparse + delayed) rows streamed from DDR into a lane-local accumulator ring.

DDR layout, one compressed row per presynaptic neuron, contiguous and whole 64-byte
vectors (so one DMA transfer per spiking row; DDR rows are 64-byte aligned):

- *shared* rows (every synapse of a row has the same weight, and the target has no
  delay ring): a weight vector (the row's weight in every lane), then ``m`` address
  vectors. Lane ``i`` of an address vector holds the LLM byte address of one target
  ``32 k + i`` (``ring base + 2 k``) or ``-2`` in padding lanes, which ``vloadl`` and
  ``vstorel`` skip. 64 bytes per 32 synapses.
- *pairs*: ``m`` (address, weight) vector pairs. Without a delay ring the address is as
  above; with one it is ``delay * stride + 2 k``, wrapped into the ring at run time
  (``vadd`` the step's slot offset, ``vandadd`` to mask and add the base), and padding
  lanes carry weight 0. 128 bytes per 32 synapses.

``m`` is the row's most synapses in one lane, rounded up to a multiple of
:data:`QUANTUM`. A DMEM table of ``pre + 1`` 32-bit DDR addresses gives each row's
place and (with the next entry) its length. Within a lane, a row's
synapses keep the connection's order (by target, duplicates as given), and each vector
is stored before the next is loaded, so the saturating sums equal the reference
model's.

Per timestep the spiking rows are listed (as for dense streaming), then fetched one
transfer per row into two VMEM buffers: row ``r + 1`` streams while row ``r`` is added,
by an unrolled loop entered part-way so that a row pays for no padding to whole passes.
"""

from __future__ import annotations

import numpy as np

from ..isa import CSR_ADDRESSES, DMA_STATUS_BITS
from .emit import Code, V, X

__all__ = ["SparseRows", "sparse_rows", "emit_sparse_streamed", "SparseStreamLayout"]

#: rows hold a multiple of this many vectors (the address registers rotate by 4, the
#: weight registers by 2, so every entry into the unrolled loop finds them in place)
QUANTUM = 4
#: vectors per pass of the unrolled loop, by layout (a second pointer half-way keeps the
#: immediate offsets below 2048)
UNROLL = {"shared": 32, "pairs": 16}
#: vectors read ahead of the one being added (the buffers keep this much slack)
AHEAD = 2
PAD_ADDRESS = -2          # a negative lane address: vloadl/vstorel leave the lane alone


class SparseRows:
    """One connection's DDR rows: the image, the offset table and how to read them."""

    def __init__(self, image: np.ndarray, offsets: np.ndarray, shared: bool, direct: bool,
                 row_vectors: int, synapses: int):
        self.image, self.offsets = image, offsets          # (units, 32) int16; (pre + 1,) u32
        self.shared, self.direct = shared, direct
        self.row_vectors = row_vectors                     # most 64-byte units in one row
        self.synapses = synapses

    @property
    def kind(self) -> str:
        return "shared" if self.shared else "pairs"

    def buffer_bytes(self) -> int:
        """One row buffer, with the slack the kernel reads ahead into."""
        return 64 * (self.row_vectors + AHEAD * (1 if self.shared else 2))


def _synapses(c, post):
    """(pre, target, weight, delay) of every non-zero synapse, in the connection's order
    (adding a zero weight changes nothing, saturation included)."""
    if c.kind == "dense":
        pre, target = np.nonzero(c.weights[:, :post.size])
        w = c.weights[pre, target]
        d = c.delays[pre, target] if c.delays is not None else np.zeros(pre.size, np.int64)
    else:
        pre, target, w = c.sparse
        d = c.delays if c.delays is not None else np.zeros(pre.size, np.int64)
        keep = w != 0
        pre, target, w, d = pre[keep], target[keep], w[keep], d[keep]
    return (np.asarray(pre, np.int64), np.asarray(target, np.int64), np.asarray(w, np.int16),
            np.asarray(d, np.int64))


def sparse_rows(c, post, ring: tuple) -> SparseRows:
    """The DDR rows of connection ``c`` into ``post`` whose input ring is ``ring``
    (LLM base, slots, stride)."""
    base, nslots, stride = ring
    pre, target, w, d = _synapses(c, post)
    direct = nslots == 1
    lane = target % 32
    u = (base + 2 * (target // 32)) if direct else (d * stride + 2 * (target // 32))
    # position of each synapse in its (pre, lane) bucket, in connection order
    order = np.lexsort((np.arange(pre.size), lane, pre))
    key = pre[order] * 32 + lane[order]
    first = np.concatenate([[0], np.flatnonzero(np.diff(key)) + 1]) if key.size else np.zeros(0, np.int64)
    run_start = np.repeat(first, np.diff(np.concatenate([first, [key.size]])))
    position = np.empty(pre.size, dtype=np.int64)
    position[order] = np.arange(key.size) - run_start
    m = np.zeros(c.pre_size, np.int64)
    np.maximum.at(m, pre, position + 1)
    m = np.maximum(-(-m // QUANTUM) * QUANTUM, QUANTUM)             # whole passes, at least one
    low = np.full(c.pre_size, np.iinfo(np.int16).max, np.int64)
    high = np.full(c.pre_size, np.iinfo(np.int16).min, np.int64)
    np.minimum.at(low, pre, w)
    np.maximum.at(high, pre, w)
    shared = direct and bool(np.all((low == high) | (low > high)))
    units = m + 1 if shared else 2 * m
    offsets = np.zeros(c.pre_size + 1, np.int64)
    np.cumsum(units, out=offsets[1:])
    image = np.zeros((int(offsets[-1]), 32), np.int16)
    if shared:
        row_weight = np.where(low <= high, low, 0)
        image[offsets[:-1]] = row_weight[:, None]
        addresses = np.ones(image.shape[0], bool)
        addresses[offsets[:-1]] = False
        image[addresses] = PAD_ADDRESS
        image[offsets[pre] + 1 + position, lane] = u
    else:
        if direct:
            image[0::2] = PAD_ADDRESS
        image[offsets[pre] + 2 * position, lane] = u
        image[offsets[pre] + 2 * position + 1, lane] = w
    return SparseRows(image, offsets.astype(np.uint32), shared, direct, int(units.max(initial=1)),
                      int(pre.size))


# --------------------------------------------------------------------------- the kernel

NEXTP, N, TBL, IPV, P, PEND, S, S2, IDX, ONE, P2, LEND = (
    X(5), X(6), X(7), X(10), X(13), X(15), X(16), X(17), X(18), X(19), X(20), X(21))
BUF, LENGTH, BLK = (X(8), X(9)), (X(11), X(12)), (X(22), X(23))
WV = [V(10), V(11)]
AV = [V(12), V(13), V(14), V(18)]
CV, UV, TV = V(15), V(16), V(17)


class SparseStreamLayout:
    """Where one streamed sparse connection lives: DDR rows, DMEM table and list, buffers."""

    def __init__(self, rows: SparseRows, ddr: int, table: int, buffers: int,
                 list_base: int | None):
        self.rows, self.ddr, self.table, self.buffers = rows, ddr, table, buffers
        self.list_base = list_base


def _start(code: Code, destination: X, length: X):
    """Fetch the row of the next listed spike into ``destination``; ``length`` = its bytes
    (the table holds each row's DDR address; the next entry is where the row ends)."""
    code.lhu(IDX, 0, NEXTP)
    code.addi(NEXTP, NEXTP, 2)
    code.slli(IDX, IDX, 2)
    code.add(IDX, IDX, TBL)
    code.lw(S, 0, IDX)
    code.lw(length, 4, IDX)
    code.csrrw(X(0), CSR_ADDRESSES["mm2s_src"], S)
    code.sub(length, length, S)
    code.csrrw(X(0), CSR_ADDRESSES["mm2s_dst"], destination)
    code.csrrw(X(0), CSR_ADDRESSES["mm2s_count"], length)
    code.csrrw(X(0), CSR_ADDRESSES["mm2s_control"], ONE)


def _instructions_per_vector(rows: SparseRows) -> int:
    return 4 if rows.shared else 5 if rows.direct else 7


def _unrolled(code: Code, rows: SparseRows, mask_bits: int):
    """The loop rows enter part-way (so a row pays for no padding to whole passes): per
    vector, ``vloadl`` the accumulators, read the address two vectors ahead (and the next
    weight), ``vadd_s``, ``vstorel``. No instruction reads the vector loaded just before
    it, wherever the loop is entered. The second half of a pass reads through P2."""
    from .propagate import TQV, XBASE
    unroll, step = UNROLL[rows.kind], _step(rows)
    half = unroll // 2
    body = code.new_label("sparse_pass")
    code.label(body)
    def at(vector: int, extra: int = 0) -> tuple:
        """(pointer, offset) of ``vector`` of the pass (+ ``extra`` bytes)."""
        return (P, step * vector + extra) if vector < half else (P2, step * (vector - half) + extra)

    for k in range(unroll):
        a = AV[k % 4]
        code.vloadl(CV, a, 0)
        if rows.shared:
            code.vloadv(AV[(k + 2) % 4], *at(k + 2))
            code.vadd_s(CV, CV, WV[0])
        elif rows.direct:
            code.vloadv(AV[(k + 2) % 4], *at(k + 2))
            code.vloadv(WV[(k + 1) % 2], *at(k + 1, 64))
            code.vadd_s(CV, CV, WV[k % 2])
        else:
            code.vloadv(UV, *at(k + 2))
            code.vloadv(WV[(k + 1) % 2], *at(k + 1, 64))
            code.vadd(TV, UV, TQV)
            code.vadd_s(CV, CV, WV[k % 2])
            code.vandadd(mask_bits, AV[(k + 2) % 4], TV, XBASE)
        code.vstorel(CV, a, 0)
    code.addi(P, P2, step * half)                 # the next pass
    code.addi(P2, P, step * half)
    code.bne(P, PEND, body)


def _step(rows: SparseRows) -> int:
    return 64 if rows.shared else 128


def _enter(code: Code, rows: SparseRows, mask_bits: int, buf: X, length: X, blk: X):
    """Add the row at ``buf`` (``length`` bytes): its first vectors into the rotating
    registers, then jump into the unrolled loop at ``blk``, ``j = -m mod unroll`` vectors in."""
    from .propagate import TQV, XBASE
    unroll, step = UNROLL[rows.kind], _step(rows)
    header = 64 if rows.shared else 0                 # the weight vector
    shift = step.bit_length() - 1
    code.srli(S, length, shift)                       # m (+ 1 for the weight vector)
    if rows.shared:
        code.vloadv(WV[0], buf, 0)
        code.sub(S, ONE, S)                           # -m
    else:
        code.sub(S, X(0), S)
    code.andi(S, S, unroll - 1)                       # j
    code.slli(S2, S, shift)
    code.sub(P, buf, S2)
    if header:
        code.addi(P, P, header)                       # vector k of a pass at P + step * k
    code.addi(P2, P, step * (unroll // 2))
    code.add(PEND, buf, length)
    code.mul(S, S, IPV)
    code.add(S, S, blk)
    if rows.shared or rows.direct:
        code.vloadv(AV[0], buf, header)
        code.vloadv(AV[1], buf, header + step)
        if not rows.shared:
            code.vloadv(WV[0], buf, 64)
    else:                                             # addresses wrapped into the ring
        code.vloadv(UV, buf, 0)
        code.vloadv(WV[0], buf, 64)
        code.vadd(TV, UV, TQV)
        code.vloadv(UV, buf, step)
        code.vandadd(mask_bits, AV[0], TV, XBASE)
        code.vadd(TV, UV, TQV)
        code.vandadd(mask_bits, AV[1], TV, XBASE)
    code.jalr(X(0), 0, S)


def emit_sparse_streamed(code: Code, c, post, layout: SparseStreamLayout, slots, ln,
                         mask_bits: int):
    """Rows of the spiking pre neurons of ``c`` fetched from DDR one transfer each, double
    buffered, and added into ``post``'s lane-local ring (TQV and XBASE set by the group).

    The row loop is written twice, once per buffer (no swapping), each half with its own
    copy of the unrolled loop, placed so that it falls through to the half's end; its
    address is taken once per call by a ``jal`` just before it."""
    from .stream import _mm2s_idle, _spike_list
    rows = layout.rows
    code.note = f"{c.name}: propagation ({rows.kind} rows streamed from DDR)"
    finished = code.new_label("sparse_done")
    _spike_list(code, c, slots, ln, layout.list_base, NEXTP, N)
    code.beq(N, X(0), finished)
    code.slli(S, N, 1)
    code.add(LEND, NEXTP, S)
    code.li(TBL, layout.table)
    code.li(ONE, 1)
    code.li(IPV, 4 * _instructions_per_vector(rows))
    code.li(BUF[0], layout.buffers)
    code.li(BUF[1], layout.buffers + rows.buffer_bytes())
    grab = [code.new_label("sgrab") for _ in range(2)]
    back = [code.new_label("sback") for _ in range(2)]
    for h in range(2):                       # BLK[h] = the address of half h's loop
        code.j(grab[h])
        code.label(back[h])
    _start(code, BUF[0], LENGTH[0])          # the channel is idle: the kernel's first transfer
    first_half = code.new_label("srow")
    for h in range(2):
        wait, alone = code.new_label("swait"), code.new_label("slast")
        if h == 0:
            code.label(first_half)
        code.phase("propagation")
        code.label(wait)                      # the one transfer in flight is this row's
        _mm2s_idle(code, S)
        code.beq(S, X(0), wait)
        code.phase("dma_wait")
        code.bgeu(NEXTP, LEND, alone)
        _start(code, BUF[1 - h], LENGTH[1 - h])   # the next row streams while this one is added
        code.label(alone)
        _enter(code, rows, mask_bits, BUF[h], LENGTH[h], BLK[h])
        code.label(grab[h])
        code.jal(BLK[h], back[h])             # run once per call: BLK[h] = the next address
        _unrolled(code, rows, mask_bits)
        code.addi(N, N, -1)
        if h == 0:
            code.beq(N, X(0), finished)
        else:
            code.bne(N, X(0), first_half)
    code.label(finished)
