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


def _from_bitfield(code: Code, slot: int, nwords: int, weights_base: int, row_bytes: int,
                   row_kernel):
    word, bit, after = code.new_label("word"), code.new_label("bit"), code.new_label("next_word")
    code.lw(PTR, slot, X(0))
    code.li(CNT, nwords)
    code.li(WB, weights_base)
    code.li(RB, row_bytes)
    code.li(STRIDE, 32 * row_bytes)
    code.label(word)
    code.lw(WORD, 0, PTR)
    code.addi(PTR, PTR, 4)
    code.beq(WORD, X(0), after)
    code.label(bit)
    code.ctz(IDX, WORD)
    code.addi(TMP, WORD, -1)
    code.and_(WORD, WORD, TMP)
    _row_address(code, IDX, row_bytes)
    row_kernel()
    code.bne(WORD, X(0), bit)
    code.label(after)
    code.add(WB, WB, STRIDE)
    code.addi(CNT, CNT, -1)
    code.bne(CNT, X(0), word)


def emit_connection_group(code: Code, post, incoming, weights: dict, isyn_base: int, slots, ln):
    """Propagate every connection in ``incoming`` [(index, ConnIR)] into ``post``."""
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
        if c.pre_is_input:
            _from_events(code, slots[f"events:{c.pre}"], weights[ci], row_bytes, row_kernel)
        else:
            _from_bitfield(code, slots[f"prev:{c.pre}"], ln.pop(c.pre).nwords, weights[ci],
                           row_bytes, row_kernel)
    if in_registers:
        code.note = f"{post.name}: synaptic input to VMEM"
        code.li(PTR, isyn_base)
        for k, acc in enumerate(accs):
            code.vstore(acc, PTR, 64 * k)
