"""Spike propagation kernels: every connection into one target population, per timestep.

For each spike (an input event, or a set bit in the pre population's previous bitfield
row, ascending) the weight row of that pre neuron is added, 32 synapses per instruction,
into the target's synaptic input with saturating adds. Targets of at most
:data:`ACC_REGS` vectors keep their accumulators in vector registers for the whole
group (two instructions per 32 synapses); larger ones add into VMEM (four).
"""

from __future__ import annotations

from .emit import Code, V, X

__all__ = ["emit_connection_group", "ACC_REGS"]

ACC_REGS = 16
_W = [V(1), V(2)]
_X, _P = V(3), V(4)        # a current input's broadcast value, and weight x value
PTR, CNT, WB, RB, IDX, ROW, WORD, TMP, STRIDE = (X(n) for n in range(5, 14))
WP, AP, CN = X(16), X(17), X(18)
_UNROLL = 8


def _row_address(code: Code, index: X, row_bytes: int):
    """ROW = WB + index * row_bytes."""
    if row_bytes & (row_bytes - 1) == 0:
        code.slli(ROW, index, row_bytes.bit_length() - 1)
    else:
        code.mul(ROW, index, RB)
    code.add(ROW, ROW, WB)


def _row_into_registers(code: Code, accs: list[V]):
    n = len(accs)
    code.vloadv(_W[0], ROW, 0)
    for k in range(n):
        if k + 1 < n:
            code.vloadv(_W[(k + 1) % 2], ROW, 64 * (k + 1))
        code.vadd_s(accs[k], accs[k], _W[k % 2])


def _row_into_vmem(code: Code, isyn_base: int, nvec: int):
    code.addi(WP, ROW, 0)
    code.li(AP, isyn_base)

    def group(size):
        w = [V(1 + k) for k in range(size)]
        a = [V(1 + _UNROLL + k) for k in range(size)]
        for k in range(size):
            code.vloadv(w[k], WP, 64 * k)
        for k in range(size):
            code.vloadv(a[k], AP, 64 * k)
        for k in range(size):
            code.vadd_s(a[k], a[k], w[k])
        for k in range(size):
            code.vstore(a[k], AP, 64 * k)

    groups, rest = divmod(nvec, _UNROLL)
    if groups:
        loop = code.new_label("vmem_row")
        code.li(CN, groups)
        code.label(loop)
        group(_UNROLL)
        code.addi(WP, WP, 64 * _UNROLL)
        code.addi(AP, AP, 64 * _UNROLL)
        code.addi(CN, CN, -1)
        code.bne(CN, X(0), loop)
    if rest:
        group(rest)


def _from_events(code: Code, slot: int, weights_base: int, row_bytes: int, row_kernel):
    skip, loop = code.new_label("no_events"), code.new_label("event")
    code.lw(PTR, slot, X(0))
    code.li(WB, weights_base)
    code.lhu(CNT, 0, PTR)
    code.li(RB, row_bytes)
    code.addi(PTR, PTR, 2)
    code.beq(CNT, X(0), skip)
    code.label(loop)
    code.lhu(IDX, 0, PTR)
    code.addi(PTR, PTR, 2)
    code.addi(CNT, CNT, -1)
    _row_address(code, IDX, row_bytes)
    row_kernel()
    code.bne(CNT, X(0), loop)
    code.label(skip)


def _from_currents(code: Code, slot: int, size: int, weights_base: int, row_bytes: int,
                   row_kernel):
    """A current input: every channel's value of this step (int16, at the address in
    ``slot``) scales its weight row into the target; zero values are skipped."""
    loop, skip = code.new_label("channel"), code.new_label("no_current")
    code.lw(PTR, slot, X(0))
    code.li(WB, weights_base)
    code.li(CNT, size)
    code.li(RB, row_bytes)
    code.label(loop)
    code.lh(IDX, 0, PTR)
    code.addi(PTR, PTR, 2)
    code.addi(ROW, WB, 0)
    code.beq(IDX, X(0), skip)
    code.vfill(_X, IDX)
    row_kernel()
    code.label(skip)
    code.add(WB, WB, RB)
    code.addi(CNT, CNT, -1)
    code.bne(CNT, X(0), loop)


def _scaled_row_into_registers(code: Code, accs: list[V], shift: int):
    """accs += ROW's weights x the broadcast value _X, rounded to nearest by ``shift``."""
    n = len(accs)
    code.vloadv(_W[0], ROW, 0)
    for k in range(n):
        if k + 1 < n:
            code.vloadv(_W[(k + 1) % 2], ROW, 64 * (k + 1))
        _scale(code, _P, _W[k % 2], shift)
        code.vadd_s(accs[k], accs[k], _P)


def _scaled_row_into_vmem(code: Code, isyn_base: int, nvec: int, shift: int):
    """As :func:`_row_into_vmem`, each weight times the broadcast value _X."""
    w, a = V(1), V(2)
    code.addi(WP, ROW, 0)
    code.li(AP, isyn_base)
    loop = code.new_label("scaled_row")
    code.li(CN, nvec)
    code.label(loop)
    code.vloadv(w, WP, 0)
    code.vloadv(a, AP, 0)
    _scale(code, _P, w, shift)
    code.vadd_s(a, a, _P)
    code.vstore(a, AP, 0)
    code.addi(WP, WP, 64)
    code.addi(AP, AP, 64)
    code.addi(CN, CN, -1)
    code.bne(CN, X(0), loop)


def _scale(code: Code, product: V, weights: V, shift: int):
    """product = weights x _X >> shift, rounded to nearest, saturated (no ``_rn`` at
    shift 0: isa.md)."""
    if shift:
        code.vmul_s_rn(shift, product, weights, _X)
    else:
        code.vmul_s(0, product, weights, _X)


#: pre populations of at most this many bitfield words get a straight-line scan
UNROLL_WORDS = 16


def _from_bitfield(code: Code, slot: int, nwords: int, weights_base: int, row_bytes: int,
                   row_kernel):
    if nwords <= UNROLL_WORDS:
        _from_bitfield_unrolled(code, slot, nwords, weights_base, row_bytes, row_kernel)
        return
    word, after = code.new_label("word"), code.new_label("next_word")
    code.lw(PTR, slot, X(0))
    code.li(CNT, nwords)
    code.li(WB, weights_base)
    code.li(RB, row_bytes)
    code.li(STRIDE, 32 * row_bytes)
    code.label(word)
    code.lw(WORD, 0, PTR)
    code.addi(PTR, PTR, 4)
    code.beq(WORD, X(0), after)
    _each_set_bit(code, WORD, row_bytes, row_kernel)
    code.label(after)
    code.add(WB, WB, STRIDE)
    code.addi(CNT, CNT, -1)
    code.bne(CNT, X(0), word)


def _from_bitfield_unrolled(code: Code, slot: int, nwords: int, weights_base: int,
                            row_bytes: int, row_kernel):
    """Straight-line scan: two cycles per empty word; set words jump to their handler."""
    words = [WORD, CNT]
    back = [code.new_label("scanned") for _ in range(nwords)]
    handler = [code.new_label("spikes_in_word") for _ in range(nwords)]
    end = code.new_label("scan_end")
    code.lw(PTR, slot, X(0))
    if row_bytes & (row_bytes - 1):
        code.li(RB, row_bytes)
    code.lw(words[0], 0, PTR)
    if nwords > 1:
        code.lw(words[1], 4, PTR)
    for w in range(nwords):
        code.bne(words[w % 2], X(0), handler[w])
        code.label(back[w])
        if w + 2 < nwords:
            code.lw(words[w % 2], 4 * (w + 2), PTR)
    code.j(end)
    for w in range(nwords):
        reg = words[w % 2]
        code.label(handler[w])
        code.li(WB, weights_base + 32 * w * row_bytes)
        _each_set_bit(code, reg, row_bytes, row_kernel)
        code.j(back[w])
    code.label(end)


def _each_set_bit(code: Code, word: X, row_bytes: int, row_kernel):
    """``row_kernel`` on the row (from WB) of every set bit of the non-zero ``word``."""
    def row():
        _row_address(code, IDX, row_bytes)
        row_kernel()
    code.for_each_set_bit(word, IDX, TMP, row)


def emit_connection_group(code: Code, post, incoming, weights: dict, isyn_base: int, slots, ln,
                          streams: dict | None = None, readers=None):
    """Propagate every connection in ``incoming`` [(index, ConnIR)] into ``post``;
    ``streams[index]`` marks connections whose weights stream from DDR, ``readers``
    (compiler/events.py) those from inputs whose events are in VMEM."""
    from .stream import TiledLayout, emit_streamed, emit_streamed_tiled
    streams = streams or {}
    in_registers = post.nvec <= ACC_REGS
    accs = [V(16 + k) for k in range(post.nvec)] if in_registers else []
    code.note = f"{post.name}: propagation"
    for acc in accs:
        code.vsub(acc, acc, acc)
    if in_registers:
        def row_kernel():
            _row_into_registers(code, accs)
    else:
        def row_kernel():
            _row_into_vmem(code, isyn_base, post.nvec)
    for ci, c in incoming:
        code.note = f"{c.name}: propagation"
        row_bytes = 64 * post.nvec
        if isinstance(streams.get(ci), TiledLayout):
            emit_streamed_tiled(code, c, post, streams[ci], slots, ln, isyn_base)
        elif ci in streams:
            emit_streamed(code, c, post, streams[ci], slots, ln, accs, isyn_base)
        elif c.pre in ln.currents:
            shift = ln.currents[c.pre].frac
            if in_registers:
                def scaled_kernel():
                    _scaled_row_into_registers(code, accs, shift)
            else:
                def scaled_kernel():
                    _scaled_row_into_vmem(code, isyn_base, post.nvec, shift)
            _from_currents(code, slots[f"events:{c.pre}"], c.pre_size, weights[ci], row_bytes,
                           scaled_kernel)
        elif readers is not None and c in readers:
            readers.emit(code, c, weights[ci], row_bytes, row_kernel)
        elif c.pre_is_input:
            _from_events(code, slots[f"events:{c.pre}"], weights[ci], row_bytes, row_kernel)
        else:
            _from_bitfield(code, slots[f"prev:{c.pre}"], ln.pop(c.pre).nwords, weights[ci],
                           row_bytes, row_kernel)
    if in_registers:
        code.note = f"{post.name}: synaptic input to VMEM"
        code.li(PTR, isyn_base)
        for k, acc in enumerate(accs):
            code.vstore(acc, PTR, 64 * k)


# --------------------------------------------------------------------------- lane-local
#
# Targets with sparse or delayed inputs accumulate in a ring buffer in lane-local memory:
# neuron 32 k + i lives in lane i at byte ((t + d) mod slots) * stride + 2 k (+ base). A
# connection row is a list of vector pairs (u, w): u[i] = d * stride + 2 k for the synapse
# lane i holds (its delay and target), w[i] its weight (0 in padding lanes). Per pair:
# address = ((u + t_slot) & (slots * stride - 1)) + base, then load, add, store per lane.

_U, _WT, _A, _C = [V(1), V(5)], [V(2), V(6)], [V(3), V(7)], [V(4), V(8)]
TQV = V(9)
XBASE = X(14)


def lane_local_table(c, post, stride: int, slots: int):
    """(pre, m, 2, 32) int16 rows of (u, w) pairs for connection ``c`` into ``post``."""
    import numpy as np
    if c.kind == "dense":
        nvec = post.nvec
        k = np.arange(post.npad) // 32
        delays = c.delays if c.delays is not None else np.zeros_like(c.weights, dtype=np.int64)
        u = (delays * stride + 2 * k[None, :]).reshape(c.pre_size, nvec, 32)
        w = c.weights.reshape(c.pre_size, nvec, 32)
        return np.stack([u, w], axis=2).astype(np.int16)
    pre, post_idx, w = c.sparse
    delays = c.delays if c.delays is not None else np.zeros(pre.size, dtype=np.int64)
    lane = post_idx % 32
    # position of each synapse within its (pre, lane) bucket, in sorted synapse order
    order = np.lexsort((np.arange(pre.size), lane, pre))
    key = pre[order] * 32 + lane[order]
    first = np.concatenate([[0], np.flatnonzero(np.diff(key)) + 1])
    run_start = np.repeat(first, np.diff(np.concatenate([first, [key.size]])))
    position = np.empty(pre.size, dtype=np.int64)
    position[order] = np.arange(key.size) - run_start
    m = int(position.max(initial=-1)) + 1 or 1
    table = np.zeros((c.pre_size, m, 2, 32), dtype=np.int16)
    table[pre, position, 0, lane] = delays * stride + 2 * (post_idx // 32)
    table[pre, position, 1, lane] = w
    return table


def _pair(code: Code, n: int, mask_bits: int, offset: int):
    """Accumulate ``n`` (1 or 2) synapse vectors at ROW + offset into the lane-local ring."""
    for k in range(n):
        code.vloadv(_U[k], ROW, offset + 128 * k)
        code.vloadv(_WT[k], ROW, offset + 128 * k + 64)
    code.vadd(_A[0], _U[0], TQV)
    code.vandadd(mask_bits, _A[0], _A[0], XBASE)
    if n == 2:
        code.vadd(_A[1], _U[1], TQV)
    code.vloadl(_C[0], _A[0], 0)
    if n == 2:
        code.vandadd(mask_bits, _A[1], _A[1], XBASE)
    # each vector is stored before the next one loads: a lane may meet the same target twice
    for k in range(n):
        if k:
            code.vloadl(_C[k], _A[k], 0)
        code.vadd_s(_C[k], _C[k], _WT[k])
        code.vstorel(_C[k], _A[k], 0)


def _row_into_ring(code: Code, m: int, mask_bits: int):
    pairs, odd = divmod(m, 2)
    if pairs <= 4:
        for p in range(pairs):
            _pair(code, 2, mask_bits, 256 * p)
        if odd:
            _pair(code, 1, mask_bits, 256 * pairs)
        return
    loop = code.new_label("ring_row")
    code.li(CN, pairs)
    code.label(loop)
    _pair(code, 2, mask_bits, 0)
    code.addi(ROW, ROW, 256)
    code.addi(CN, CN, -1)
    code.bne(CN, X(0), loop)
    if odd:
        _pair(code, 1, mask_bits, 0)


def emit_lane_local_group(code: Code, post, incoming, tables: dict, ring: tuple, slots, ln,
                          readers=None):
    """Propagate ``incoming`` [(index, ConnIR)] into the lane-local ring of ``post``;
    ``tables[index]`` is (VMEM address, pairs per row) or, for rows streamed from DDR, a
    :class:`~fenn.compiler.stream_sparse.SparseStreamLayout`."""
    from .stream_sparse import SparseStreamLayout, emit_sparse_streamed
    base, nslots, stride = ring
    mask_bits = (nslots * stride).bit_length() - 1
    code.note = f"{post.name}: propagation (lane-local)"
    code.andi(TMP, X(3), nslots - 1)
    code.slli(TMP, TMP, stride.bit_length() - 1)
    code.vfill(TQV, TMP)
    code.li(XBASE, base)
    for ci, c in incoming:
        code.note = f"{c.name}: propagation ({c.kind}{', delayed' if c.delays is not None else ''})"
        if isinstance(tables[ci], SparseStreamLayout):
            emit_sparse_streamed(code, c, post, tables[ci], slots, ln, mask_bits)
            continue
        address, m = tables[ci]
        row_bytes = 128 * m

        def row_kernel(m=m):
            _row_into_ring(code, m, mask_bits)
        if readers is not None and c in readers:
            readers.emit(code, c, address, row_bytes, row_kernel)
        elif c.pre_is_input:
            _from_events(code, slots[f"events:{c.pre}"], address, row_bytes, row_kernel)
        else:
            _from_bitfield(code, slots[f"prev:{c.pre}"], ln.pop(c.pre).nwords, address,
                           row_bytes, row_kernel)
