"""The neuron-update kernel: a population's lowered update over its 32-lane chunks.

Each chunk loads its state vectors (and its synaptic input), runs the lane operations of
the :class:`~fenn.compiler.lower.Kernel` (one instruction each), stores the new state,
writes the 32-bit spike mask (tail lanes masked off) into the spike bitfield row and
feeds the recordings. Constants are hoisted out of the chunk loop into vector registers.
"""

from __future__ import annotations

from .emit import Code, V, X

__all__ = ["emit_update", "UpdateLayout"]

_VMUL = {(True, ""): "vmul_s", (True, "_rn"): "vmul_s_rn", (True, "_rs"): "vmul_s_rs"}
_VSRAI = {"": "vsrai", "_rn": "vsrai_rn", "_rs": "vsrai_rs"}

# scalar registers of this kernel (x3/x4 belong to the time loop)
P_STATE, P_ISYN, P_SPK, COUNT, TAIL = X(5), X(6), X(7), X(8), X(9)
P_REC = [X(10), X(11), X(12), X(13), X(14), X(15)]
MASK_POOL = [X(n) for n in range(16, 32)]
_T1, _T2 = V(1), V(2)
LLM_ADDRESS = V(3)
#: populations of at most this many 32-neuron chunks get a straight-line update
UNROLL_CHUNKS = 16
#: chunks per pass of the chunk loop of larger ones (its pointer updates and branch are
#: shared by them: 7 cycles per pass)
LOOP_CHUNKS = 4
#: recording kind -> (bytes per chunk, largest offset within a chunk)
_RECORD_STRIDE = {"trace": (64, 0), "max": (64, 0), "mean": (128, 64)}


class UpdateLayout:
    """Where one population's update reads and writes (addresses and DMEM slots)."""

    def __init__(self, pop, state_base: int, isyn: tuple, spk_slot: int | None, recs: list,
                 clear_input: bool = True, prefetch=None):
        self.pop = pop
        #: a :class:`~fenn.compiler.stream.Prefetch` fed with this population's spikes
        self.prefetch = prefetch
        #: zero the VMEM input after reading it (not needed where propagation rewrites it)
        self.clear_input = clear_input
        self.state_base = state_base       # VMEM: chunk-major, one 64-byte vector per variable
        self.isyn = isyn                   # ("vmem", base) or ("llm", slot DMEM address of lane address vector base)
        self.spk_slot = spk_slot           # DMEM slot holding the current spike row address
        self.recs = recs                   # [(RecIR, kind, DMEM slot or VMEM base)]

    @property
    def slot_bytes(self) -> int:
        return 64 * len(self.pop.slots)


def _allocate(ops, uses_after, vpool, xpool, what):
    """Linear-scan register assignment over SSA values (vectors and masks separately).

    A result may take the register of an argument that dies at that operation (the
    instruction reads before it writes), except where the result is written before the
    last read (``select`` copies its if-false value first, so that one may be reused).
    """
    last = {}
    for k, op in enumerate(ops):
        for a in op.args:
            last[a] = k
    for vid in uses_after:
        last[vid] = len(ops)
    free = {"v": list(vpool), "x": list(xpool)}
    kind_of, assigned = {}, {}
    for k, op in enumerate(ops):
        kind = "x" if op.is_mask else "v"
        dying = [a for a in dict.fromkeys(op.args) if last.get(a) == k and a in assigned]
        reg = None
        if op.op == "select":
            b = op.args[2]
            if b in dying and op.args[1] != b:
                reg = assigned[b]
                dying.remove(b)
        elif dying and any(kind_of[a] == kind for a in dying):
            a = next(a for a in dying if kind_of[a] == kind)
            reg = assigned[a]
            dying.remove(a)
        if reg is None:
            if not free[kind]:
                raise RuntimeError(f"{what}: the update needs more registers than FeNN has "
                                   f"free; simplify the model (fewer values live at once)")
            reg = free[kind].pop(0)
        for a in dying:
            free[kind_of[a]].append(assigned[a])
        assigned[op.dst] = reg
        kind_of[op.dst] = kind
        if op.dst not in last:          # dead result: release at once
            free[kind].append(reg)
    return assigned


def emit_update(code: Code, layout: UpdateLayout):
    pop = layout.pop
    kernel = pop.kernel
    note = f"{pop.name}: update"
    code.note = note
    ops = kernel.ops
    # loads first: they depend on nothing, and early loads keep load-use gaps
    loads = [op for op in ops if op.op in ("load", "input")]
    rest = [op for op in ops if op.op not in ("load", "input", "const")]
    consts = [op for op in ops if op.op == "const"]
    body = loads + rest

    # constant registers: one per distinct value (plus helpers for recordings and isyn)
    lane_local = layout.isyn[0] == "llm"
    const_values = sorted({op.value for op in consts} | {0} | ({2} if lane_local else set()) |
                          ({255} if any(r.reduce == "mean" for r, _, _ in layout.recs) else set()))
    if len(const_values) > 12:
        raise RuntimeError(f"{pop.name}: the update uses {len(const_values)} distinct constants "
                           f"(at most 12 fit beside the working registers)")
    const_reg = {value: V(31 - k) for k, value in enumerate(const_values)}
    # v0-v2: recording temps; v3: lane-local input addresses
    vpool = [V(n) for n in range(4, 32 - len(const_values))]
    keep = set(kernel.stores.values()) | ({kernel.spike} if kernel.spike is not None else set())
    prefetch = layout.prefetch if kernel.spike is not None else None
    xpool = [r for r in MASK_POOL if prefetch is None or r not in prefetch.REGISTERS]
    regs = _allocate(body, keep, vpool, xpool, pop.name)
    for op in consts:
        regs[op.dst] = const_reg[op.value]
    vreg = mreg = regs
    for value in const_values:
        code.vlui(const_reg[value], value & 0xFFFF)
    code.li(P_STATE, layout.state_base)
    if layout.isyn[0] == "vmem":
        code.li(P_ISYN, layout.isyn[1])
    else:       # this step's ring slot: lane address base + (t mod slots) * stride
        _, base, slots, stride = layout.isyn
        code.andi(TAIL, X(3), slots - 1)
        code.slli(TAIL, TAIL, stride.bit_length() - 1)
        code.addi(TAIL, TAIL, base)
        code.vfill(LLM_ADDRESS, TAIL)
    if layout.spk_slot is not None:
        code.lw(P_SPK, layout.spk_slot, X(0))
    for k, (rec, kind, where) in enumerate(layout.recs):
        if kind in ("trace", "mean", "max"):
            if kind == "trace":
                code.lw(P_REC[k], where, X(0))
            else:
                code.li(P_REC[k], where)
    if prefetch is not None:
        prefetch.begin(code)
    zero = const_reg[0]
    tail = pop.size % 32

    # pointers that move per chunk: (register, bytes per chunk, largest offset within)
    moving = [(P_STATE, layout.slot_bytes, layout.slot_bytes - 64)]
    if layout.isyn[0] == "vmem":
        moving.append((P_ISYN, 64, 0))
    if kernel.spike is not None:
        moving.append((P_SPK, 4, 0))
    for k, (rec, kind, _) in enumerate(layout.recs):
        if kind in _RECORD_STRIDE:
            moving.append((P_REC[k], *_RECORD_STRIDE[kind]))

    def advance(chunks: int):
        for reg, stride, _ in moving:
            if chunks * stride:
                _add(code, reg, chunks * stride)

    def fits(rel: int) -> bool:
        return all(rel * stride + within <= 2047 for _, stride, within in moving)

    def chunk(is_tail: bool, rel: int):
        for op in body:
            _emit_op(code, op, vreg, mreg, layout, rel)
        for var, vid in kernel.stores.items():
            code.vstore(vreg[vid], P_STATE, rel * layout.slot_bytes + 64 * pop.slots.index(var))
        if layout.isyn[0] == "vmem":
            if layout.clear_input:
                code.vstore(zero, P_ISYN, 64 * rel)
        else:
            code.vstorel(zero, LLM_ADDRESS, 0)
            code.vadd(LLM_ADDRESS, LLM_ADDRESS, const_reg[2])
        if kernel.spike is not None:
            mask = mreg[kernel.spike]
            if is_tail:
                code.li(TAIL, (1 << tail) - 1)
                code.and_(TAIL, TAIL, mask)
                mask = TAIL
            code.sw(mask, 4 * rel, P_SPK)
            if prefetch is not None:
                prefetch.chunk(code, mask, P_SPK, rel)
        for k, (rec, kind, _) in enumerate(layout.recs):
            if rec.variable == "spikes" or kind == "last":
                continue
            value = vreg[kernel.stores[rec.variable]]
            _emit_record(code, kind, value, P_REC[k], rel * _RECORD_STRIDE[kind][0], const_reg)

    if pop.nvec <= UNROLL_CHUNKS:
        rel = 0
        for c in range(pop.nvec):
            if not fits(rel):
                advance(rel)
                rel = 0
            chunk(bool(tail) and c == pop.nvec - 1, rel)
            rel += 1
        advance(rel)
    else:
        full = pop.nvec - (1 if tail else 0)
        per_pass = next(n for n in range(LOOP_CHUNKS, 0, -1) if fits(n - 1))
        loop = code.new_label(f"{pop.name}_chunk")
        code.li(COUNT, full // per_pass)
        code.label(loop)
        for rel in range(per_pass):
            chunk(False, rel)
        advance(per_pass)
        code.addi(COUNT, COUNT, -1)
        code.bne(COUNT, X(0), loop)
        last = [False] * (full % per_pass) + [True] * (1 if tail else 0)
        for rel, is_tail in enumerate(last):
            chunk(is_tail, rel)
        advance(len(last))
    for k, (rec, kind, where) in enumerate(layout.recs):
        if kind == "trace":
            code.sw(P_REC[k], where, X(0))
    if prefetch is not None:
        prefetch.end_update(code)


def _add(code, reg, amount):
    if -2048 <= amount <= 2047:
        code.addi(reg, reg, amount)
    else:
        code.li(TAIL, amount)
        code.add(reg, reg, TAIL)


def _emit_op(code: Code, op, vreg, mreg, layout, rel: int):
    pop = layout.pop
    if op.op == "load":
        code.vloadv(vreg[op.dst], P_STATE, rel * layout.slot_bytes + 64 * pop.slots.index(op.name))
    elif op.op == "input":
        if layout.isyn[0] == "vmem":
            code.vloadv(vreg[op.dst], P_ISYN, 64 * rel)
        else:
            code.vloadl(vreg[op.dst], LLM_ADDRESS, 0)
    elif op.op in ("add", "sub"):
        code.__getattr__("v" + op.op + "_s")(vreg[op.dst], vreg[op.args[0]], vreg[op.args[1]])
    elif op.op == "mul":
        code.__getattr__(_VMUL[(True, op.rnd)])(op.shift, vreg[op.dst], vreg[op.args[0]], vreg[op.args[1]])
    elif op.op == "srai":
        code.__getattr__(_VSRAI[op.rnd])(op.shift, vreg[op.dst], vreg[op.args[0]])
    elif op.op == "cmp":
        code.__getattr__(op.cond)(mreg[op.dst], vreg[op.args[0]], vreg[op.args[1]])
    elif op.op == "mand":
        code.and_(mreg[op.dst], mreg[op.args[0]], mreg[op.args[1]])
    elif op.op == "mor":
        code.or_(mreg[op.dst], mreg[op.args[0]], mreg[op.args[1]])
    elif op.op == "mnot":
        code.xori(mreg[op.dst], mreg[op.args[0]], -1)
    elif op.op == "mconst":
        code.addi(mreg[op.dst], X(0), -1 if op.value else 0)
    elif op.op == "select":
        mask, a, b = op.args
        dst = vreg[op.dst]
        if dst != vreg[b]:
            code.vand(dst, vreg[b], vreg[b])        # copy: x & x == x
        code.vsel(dst, mreg[mask], vreg[a])
    else:
        raise ValueError(f"code generator: unknown lane operation {op.op!r}")


def _emit_record(code: Code, kind: str, value: V, pointer: X, o: int, const_reg):
    """Recordings of one chunk's new state (trace, running max, exact running sum) at
    byte offset ``o`` from ``pointer``."""
    if kind == "trace":
        code.vstore(value, pointer, o)
    elif kind == "max":
        mx = V(0)
        code.vloadv(mx, pointer, o)
        code.vtlt(TAIL, mx, value)
        code.vsel(mx, TAIL, value)
        code.vstore(mx, pointer, o)
    elif kind == "mean":
        # exact running sum as hi * 256 + lo, lo in 0..255 (16-bit lanes cannot hold it)
        lo = V(0)
        c255 = const_reg[255]
        code.vloadv(lo, pointer, o)
        code.vand(_T1, value, c255)
        code.vadd(lo, lo, _T1)
        code.vsrai(8, _T1, lo)
        code.vand(lo, lo, c255)
        code.vstore(lo, pointer, o)
        code.vloadv(lo, pointer, o + 64)        # hi
        code.vsrai(8, _T2, value)
        code.vadd_s(lo, lo, _T2)
        code.vadd_s(lo, lo, _T1)
        code.vstore(lo, pointer, o + 64)
    else:
        raise ValueError(kind)
