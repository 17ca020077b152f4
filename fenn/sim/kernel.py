"""The compiled heart of the simulator: one Numba loop over pre-decoded instructions.

Programs are decoded once (``fenn.sim.decode``) into one packed ``int64`` per IMEM word:

    bits  0..7   operation id (index into ``OPS``)
    bits  8..13  rd / vd / xd; an x destination x0 becomes 32, a scratch slot past x31,
                 so the loop never has to re-zero x0
    bits 14..18  rs1 / vs1 / xs1 / zimm
    bits 19..23  rs2 / vs2 / xs2
    bits 24..28  aux: vector shift, shamt, vandadd k, vextract lane
    bits 29..30  static stall penalty (jumps 2; a load whose result the next word reads 1)
    bits 32..63  immediate, already resolved (branch/jump target pc, lui value, ...)

so the loop does no decoding, and every cost of ``docs/timing.md`` except the taken-branch
penalty is known before the run. The op ids live in this file (not in ``fenn.isa``)
because Numba's on-disk cache is keyed on this file alone; ``fenn.sim.decode`` maps
mnemonics of the ISA table onto them and refuses a table row the loop does not know.

Scalar state that must survive between calls lives in the ``st`` int64 array (indices
below). A fault stops the loop *before* the faulting instruction changes anything and
records a fault code and two details in ``st``; the Python side turns them into a
:class:`fenn.errors.MachineFault`.
"""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

# ---------------------------------------------------------------- operation ids
OPS = (
    "lui", "auipc", "jal", "jalr", "beq", "bne", "blt", "bge", "bltu", "bgeu",
    "lb", "lh", "lw", "lbu", "lhu", "sb", "sh", "sw",
    "addi", "slti", "sltiu", "xori", "ori", "andi", "slli", "srli", "srai",
    "add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and", "mul",
    "clz", "ctz", "cpop", "sext.b", "sext.h", "fence", "fence.i", "ecall", "ebreak",
    "csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci",
    "vadd", "vadd_s", "vsub", "vsub_s", "vsll", "vsll_s", "vand", "vsra",
    "vmul", "vmul_rn", "vmul_rs", "vmul_s", "vmul_s_rn", "vmul_s_rs",
    "vslli", "vsrai", "vsrai_rn", "vsrai_rs", "vteq", "vtne", "vtlt", "vtge",
    "vsel", "vlui", "vfill", "vextract", "vrng", "vandadd",
    "vloadv", "vloadr0", "vloadr1", "vloadl", "vstore", "vstorel",
)
(LUI, AUIPC, JAL, JALR, BEQ, BNE, BLT, BGE, BLTU, BGEU,
 LB, LH, LW, LBU, LHU, SB, SH, SW,
 ADDI, SLTI, SLTIU, XORI, ORI, ANDI, SLLI, SRLI, SRAI,
 ADD, SUB, SLL, SLT, SLTU, XOR, SRL, SRA, OR, AND, MUL,
 CLZ, CTZ, CPOP, SEXT_B, SEXT_H, FENCE, FENCE_I, ECALL, EBREAK,
 CSRRW, CSRRS, CSRRC, CSRRWI, CSRRSI, CSRRCI,
 VADD, VADD_S, VSUB, VSUB_S, VSLL, VSLL_S, VAND, VSRA,
 VMUL, VMUL_RN, VMUL_RS, VMUL_S, VMUL_S_RN, VMUL_S_RS,
 VSLLI, VSRAI, VSRAI_RN, VSRAI_RS, VTEQ, VTNE, VTLT, VTGE,
 VSEL, VLUI, VFILL, VEXTRACT, VRNG, VANDADD,
 VLOADV, VLOADR0, VLOADR1, VLOADL, VSTORE, VSTOREL) = range(len(OPS))
#: field positions of the packed word (see the module docstring)
RD_SHIFT, RS1_SHIFT, RS2_SHIFT, AUX_SHIFT, PENALTY_SHIFT = 8, 14, 19, 24, 29
#: where writes to x0 go (the x array has 33 entries; Machine.x shows the first 32)
X0_SINK = 32
#: a word that is not a legal instruction (fault when executed)
ILLEGAL = len(OPS)
#: a vector load whose result the next word reads, in strict mode (fault when executed)
HAZARD = len(OPS) + 1

# ---------------------------------------------------------------- st[] layout
PC, CYCLE, INSTRET, REASON, FAULT, FA, FB = 0, 1, 2, 3, 4, 5, 6
INHIBIT, MCYCLE, MINSTRET, HARTID, DMA_NEXT = 7, 8, 9, 10, 12
DMA_BASE = 16          # per channel: 16 slots, channel 0 = MM2S, 1 = S2MM
D_SRC, D_DST, D_COUNT, D_START, D_DONE, D_PENDING, D_CSRC, D_CDST, D_CCOUNT, D_EVER_OK, D_BYTES = range(11)
DMA_LATENCY, DMA_BPC = 48, 49
#: the DDR window the host set: DMA DDR addresses are offsets below its size, added to its base
WINDOW_BASE, WINDOW_SIZE = 50, 51
ST_SIZE = 64
NEVER = np.int64(1) << 62

# run end reasons
RUNNING, R_ECALL, R_EBREAK, R_FAULT = 0, 1, 2, 3

# fault codes (FA, FB: details)
(F_NONE, F_ILLEGAL, F_FETCH, F_JUMP, F_LOAD_ALIGN, F_LOAD_RANGE, F_STORE_ALIGN, F_STORE_RANGE,
 F_VMEM_ALIGN, F_VMEM_RANGE, F_LLM, F_HAZARD, F_CSR, F_CSR_READONLY,
 F_DMA_ALIGN, F_DMA_RANGE, F_DMA_BUSY, F_DMA_WINDOW) = range(18)

MASK32 = 0xFFFFFFFF

# ---------------------------------------------------------------- CSR addresses
# Copies of fenn.isa.CSR_ADDRESSES, named CSR_<NAME>: they must be literals in this file
# for Numba's cache (keyed on this file alone) to notice a change. The import-time check
# at the end of this file refuses a kernel whose copy differs from the table.
CSR_MCOUNTINHIBIT = 0x320
CSR_MCYCLE, CSR_MINSTRET, CSR_MCYCLEH, CSR_MINSTRETH = 0xB00, 0xB02, 0xB80, 0xB82
CSR_MHARTID = 0xF14
CSR_MM2S_SRC, CSR_MM2S_DST, CSR_MM2S_COUNT, CSR_MM2S_CONTROL = 0xBC0, 0xBC1, 0xBC2, 0xBC3
CSR_S2MM_SRC, CSR_S2MM_DST, CSR_S2MM_COUNT, CSR_S2MM_CONTROL = 0xBD0, 0xBD1, 0xBD2, 0xBD3
CSR_MM2S_STATUS, CSR_S2MM_STATUS = 0xFC0, 0xFD0


def _named(prefix):
    """{"mm2s_src": CSR_MM2S_SRC, ...}: this file's constants ``<prefix><NAME>`` by lower-case name."""
    return {name[len(prefix):].lower(): value for name, value in globals().items() if name.startswith(prefix)}


#: every CSR the loop implements, by its fenn.isa name
CSRS = _named("CSR_")
#: per DMA channel (0 = MM2S, 1 = S2MM): the CSRs of its src, dst and count registers
#: (st slots D_SRC, D_DST, D_COUNT), then its control and status CSRs
DMA_CSRS = ((CSR_MM2S_SRC, CSR_MM2S_DST, CSR_MM2S_COUNT, CSR_MM2S_CONTROL, CSR_MM2S_STATUS),
            (CSR_S2MM_SRC, CSR_S2MM_DST, CSR_S2MM_COUNT, CSR_S2MM_CONTROL, CSR_S2MM_STATUS))
DMA_SLOTS = (D_SRC, D_DST, D_COUNT)
DMA_CONTROL, DMA_STATUS = 3, 4            # positions in a DMA_CSRS row
#: DMA status bits (copies of fenn.isa.DMA_STATUS_BITS, checked with the CSRs)
STATUS_IDLE, STATUS_START, STATUS_TRANSFERRING, STATUS_LAST_OK = 1, 2, 3, 7


# ---------------------------------------------------------------- explicit SIMD
# Each 32-lane operation is written directly in LLVM IR on <32 x i16> / <32 x i32> vectors:
# one register row is one 64-byte vector, so an operation is a handful of AVX instructions
# with no lane loop, no alias checks and no dependence on what LLVM's loop vectoriser
# makes of Numba's array indexing. (They live in this file because Numba's cache is keyed
# on the source file of the compiled function.)
_L = 32
_I16, _I32, _I64 = ir.IntType(16), ir.IntType(32), ir.IntType(64)
_V16, _V32, _V64 = ir.VectorType(_I16, _L), ir.VectorType(_I32, _L), ir.VectorType(_I64, _L)


def _ptr(context, builder, arrty, arr, offset):
    """Pointer to the 32 x i16 vector at element ``offset`` of an int16/uint16 array."""
    if arrty.layout != "C" or arrty.dtype.bitwidth != 16:
        raise TypeError(f"fenn.sim.kernel: vector operations need C-contiguous 16-bit arrays, got {arrty}")
    data = context.make_array(arrty)(context, builder, arr).data
    return builder.bitcast(builder.gep(data, [offset]), _V16.as_pointer())


def _row(context, builder, sig, args, which, reg):
    """Pointer to row ``reg`` (an i64 value) of the array argument number ``which``."""
    return _ptr(context, builder, sig.args[which], args[which], builder.mul(reg, ir.Constant(_I64, _L)))


def _load(builder, ptr):
    return builder.load(ptr, align=2)


def _store(builder, value, ptr):
    builder.store(value, ptr, align=2)


def _splat(builder, scalar, vty):
    scalar = builder.trunc(scalar, vty.element) if scalar.type.width > vty.element.width else scalar
    undef = ir.Constant(vty, ir.Undefined)
    one = builder.insert_element(undef, scalar, ir.Constant(_I32, 0))
    return builder.shuffle_vector(one, undef, ir.Constant(ir.VectorType(_I32, _L), [0] * _L))


def _const(vty, value):
    return ir.Constant(vty, [value] * _L)


def _sat(builder, p):
    vty = p.type
    hi, lo = _const(vty, 32767), _const(vty, -32768)
    p = builder.select(builder.icmp_signed(">", p, hi), hi, p)
    return builder.trunc(builder.select(builder.icmp_signed("<", p, lo), lo, p), _V16)


def _rotl(builder, value, k):
    return builder.or_(builder.shl(value, _const(_V16, k)), builder.lshr(value, _const(_V16, 16 - k)))


def _draw_all(context, builder, sig, args, i0, i1):
    """xoroshiro32++ on every lane at once: return the outputs, advance S0/S1 in memory."""
    p0 = _ptr(context, builder, sig.args[i0], args[i0], ir.Constant(_I64, 0))
    p1 = _ptr(context, builder, sig.args[i1], args[i1], ir.Constant(_I64, 0))
    a, b = _load(builder, p0), _load(builder, p1)
    r = builder.add(_rotl(builder, builder.add(a, b), 9), a)
    b = builder.xor(b, a)
    _store(builder, builder.xor(builder.xor(_rotl(builder, a, 13), b), builder.shl(b, _const(_V16, 5))), p0)
    _store(builder, _rotl(builder, b, 10), p1)
    return r


def _binary(kind):
    """vd = vs1 (kind) vs2 for the plain VSOP operations; args (v, rd, rs1, rs2)."""
    @intrinsic
    def op(typingctx, v, rd, rs1, rs2):
        def codegen(context, builder, sig, args):
            a = _load(builder, _row(context, builder, sig, args, 0, args[2]))
            b = _load(builder, _row(context, builder, sig, args, 0, args[3]))
            if kind == "and":
                out = builder.and_(a, b)
            elif kind in ("add", "sub"):
                out = builder.add(a, b) if kind == "add" else builder.sub(a, b)
            elif kind in ("add_s", "sub_s"):
                a32, b32 = builder.sext(a, _V32), builder.sext(b, _V32)
                out = _sat(builder, builder.add(a32, b32) if kind == "add_s" else builder.sub(a32, b32))
            elif kind == "sll":        # shift in 32 bits; amounts >= 16 leave zero in the low half
                s = builder.and_(builder.sext(b, _V32), _const(_V32, 31))
                out = builder.trunc(builder.shl(builder.sext(a, _V32), s), _V16)
            elif kind == "sll_s":      # exact in 64 bits, then clamp
                s = builder.and_(builder.sext(b, _V64), _const(_V64, 31))
                out = _sat(builder, builder.shl(builder.sext(a, _V64), s))
            elif kind == "sra":
                s = builder.and_(b, _const(_V16, 31))
                s = builder.select(builder.icmp_signed(">", s, _const(_V16, 15)), _const(_V16, 15), s)
                out = builder.ashr(a, s)
            else:
                raise AssertionError(kind)
            _store(builder, out, _row(context, builder, sig, args, 0, args[1]))
            return context.get_dummy_value()
        return types.void(v, rd, rs1, rs2), codegen
    return op


def _scaled(kind):
    """vmul/vsrai with floor or nearest rounding; args (v, rd, rs1, rs2, shift, half)."""
    @intrinsic
    def op(typingctx, v, rd, rs1, rs2, shift, half):
        def codegen(context, builder, sig, args):
            p = builder.sext(_load(builder, _row(context, builder, sig, args, 0, args[2])), _V32)
            if kind != "srai":
                p = builder.mul(p, builder.sext(_load(builder, _row(context, builder, sig, args, 0, args[3])), _V32))
            p = builder.ashr(builder.add(p, _splat(builder, args[5], _V32)), _splat(builder, args[4], _V32))
            out = _sat(builder, p) if kind == "mul_s" else builder.trunc(p, _V16)
            _store(builder, out, _row(context, builder, sig, args, 0, args[1]))
            return context.get_dummy_value()
        return types.void(v, rd, rs1, rs2, shift, half), codegen
    return op


def _stochastic(kind):
    """vmul/vsrai with stochastic rounding; args (v, s0, s1, rd, rs1, rs2, shift)."""
    @intrinsic
    def op(typingctx, v, s0, s1, rd, rs1, rs2, shift):
        def codegen(context, builder, sig, args):
            r = builder.zext(_draw_all(context, builder, sig, args, 1, 2), _V32)
            sh = _splat(builder, args[6], _V32)
            low = builder.sub(builder.shl(_const(_V32, 1), sh), _const(_V32, 1))
            p = builder.sext(_load(builder, _row(context, builder, sig, args, 0, args[4])), _V32)
            if kind != "srai":
                p = builder.mul(p, builder.sext(_load(builder, _row(context, builder, sig, args, 0, args[5])), _V32))
            p = builder.ashr(builder.add(p, builder.and_(r, low)), sh)
            out = _sat(builder, p) if kind == "mul_s" else builder.trunc(p, _V16)
            _store(builder, out, _row(context, builder, sig, args, 0, args[3]))
            return context.get_dummy_value()
        return types.void(v, s0, s1, rd, rs1, rs2, shift), codegen
    return op


def _compare(predicate):
    """Lane mask of vs1 (predicate) vs2, signed; args (v, rs1, rs2) -> int64."""
    @intrinsic
    def op(typingctx, v, rs1, rs2):
        def codegen(context, builder, sig, args):
            a = _load(builder, _row(context, builder, sig, args, 0, args[1]))
            b = _load(builder, _row(context, builder, sig, args, 0, args[2]))
            bits = builder.bitcast(builder.icmp_signed(predicate, a, b), _I32)
            return builder.zext(bits, _I64)
        return types.int64(v, rs1, rs2), codegen
    return op


@intrinsic
def _vsel(typingctx, v, rd, mask, rs2):
    def codegen(context, builder, sig, args):
        d_ptr = _row(context, builder, sig, args, 0, args[1])
        lanes = builder.bitcast(builder.trunc(args[2], _I32), ir.VectorType(ir.IntType(1), _L))
        b = _load(builder, _row(context, builder, sig, args, 0, args[3]))
        _store(builder, builder.select(lanes, b, _load(builder, d_ptr)), d_ptr)
        return context.get_dummy_value()
    return types.void(v, rd, mask, rs2), codegen


@intrinsic
def _vslli(typingctx, v, rd, rs1, shift):
    def codegen(context, builder, sig, args):
        a = _load(builder, _row(context, builder, sig, args, 0, args[2]))
        out = builder.shl(a, _splat(builder, args[3], _V16))
        _store(builder, out, _row(context, builder, sig, args, 0, args[1]))
        return context.get_dummy_value()
    return types.void(v, rd, rs1, shift), codegen


@intrinsic
def _vfill(typingctx, v, rd, value):
    def codegen(context, builder, sig, args):
        _store(builder, _splat(builder, args[2], _V16), _row(context, builder, sig, args, 0, args[1]))
        return context.get_dummy_value()
    return types.void(v, rd, value), codegen


@intrinsic
def _vrng(typingctx, v, s0, s1, rd):
    def codegen(context, builder, sig, args):
        r = _draw_all(context, builder, sig, args, 1, 2)
        _store(builder, builder.lshr(r, _const(_V16, 1)), _row(context, builder, sig, args, 0, args[3]))
        return context.get_dummy_value()
    return types.void(v, s0, s1, rd), codegen


@intrinsic
def _vandadd(typingctx, v, rd, rs1, low, add):
    def codegen(context, builder, sig, args):
        a = _load(builder, _row(context, builder, sig, args, 0, args[2]))
        out = builder.add(builder.and_(a, _splat(builder, args[3], _V16)), _splat(builder, args[4], _V16))
        _store(builder, out, _row(context, builder, sig, args, 0, args[1]))
        return context.get_dummy_value()
    return types.void(v, rd, rs1, low, add), codegen


@intrinsic
def _copy64(typingctx, dst, dst_offset, src, src_offset):
    """Copy 32 halfwords from ``src[src_offset:]`` to ``dst[dst_offset:]`` (int16/uint16 arrays)."""
    def codegen(context, builder, sig, args):
        value = _load(builder, _ptr(context, builder, sig.args[2], args[2], args[3]))
        _store(builder, value, _ptr(context, builder, sig.args[0], args[0], args[1]))
        return context.get_dummy_value()
    return types.void(dst, dst_offset, src, src_offset), codegen


_vadd, _vadd_s, _vsub, _vsub_s, _vand = (_binary(k) for k in ("add", "add_s", "sub", "sub_s", "and"))
_vsll, _vsll_s, _vsra = (_binary(k) for k in ("sll", "sll_s", "sra"))
_vmul, _vmul_s, _vsrai = (_scaled(k) for k in ("mul", "mul_s", "srai"))
_vmul_rs, _vmul_s_rs, _vsrai_rs = (_stochastic(k) for k in ("mul", "mul_s", "srai"))
_vteq, _vtne, _vtlt, _vtge = (_compare(p) for p in ("==", "!=", "<", ">="))


# ---------------------------------------------------------------- counters
@njit(cache=True)
def counter_value(st, which, now):
    """mcycle (which=0, now=issue cycle) or minstret (which=2, now=retired count)."""
    slot = MCYCLE if which == 0 else MINSTRET
    if st[INHIBIT] & (1 << which):
        return st[slot]              # frozen value
    return now - st[slot]            # running: stored as an offset


@njit(cache=True)
def _counter_set(st, which, now, value_after, inhibit_after):
    """Make the counter read ``value_after`` at ``now + 1`` under ``inhibit_after``."""
    slot = MCYCLE if which == 0 else MINSTRET
    if inhibit_after & (1 << which):
        st[slot] = value_after
    else:
        st[slot] = now + 1 - value_after


# ---------------------------------------------------------------- DMA
@njit(cache=True)
def dma_status(st, ch, now):
    base = DMA_BASE + 16 * ch
    ever_ok = st[base + D_EVER_OK] or (st[base + D_START] >= 0 and now > st[base + D_DONE])
    ok = np.int64(1) << STATUS_LAST_OK if ever_ok else 0
    if st[base + D_START] < 0 or now > st[base + D_DONE]:
        return (1 << STATUS_IDLE) | ok
    if now <= st[base + D_START] + st[DMA_LATENCY]:
        return (1 << STATUS_START) | ok
    return (1 << STATUS_TRANSFERRING) | ok


@njit(cache=True)
def dma_settle(st, now, vmem8, ddr):
    """Apply every transfer that completed before cycle ``now``; return the next completion."""
    nxt = NEVER
    for ch in range(2):
        base = DMA_BASE + 16 * ch
        if st[base + D_PENDING]:
            if st[base + D_DONE] < now:
                src, dst, n = st[base + D_CSRC], st[base + D_CDST], st[base + D_CCOUNT]
                if ch == 0:
                    vmem8[dst:dst + n] = ddr[src:src + n]
                else:
                    ddr[dst:dst + n] = vmem8[src:src + n]
                st[base + D_PENDING] = 0
                st[base + D_EVER_OK] = 1
                st[base + D_BYTES] += n
            else:
                nxt = min(nxt, st[base + D_DONE])
    st[DMA_NEXT] = nxt
    return nxt


@njit(cache=True)
def _dma_start(st, ch, now, vmem_n, ddr_n):
    """Start a transfer on channel ``ch`` in cycle ``now``; return a fault code."""
    base = DMA_BASE + 16 * ch
    src, dst, n = st[base + D_SRC], st[base + D_DST], st[base + D_COUNT]
    if (src | dst | n) & 63:
        st[FA] = ch
        return F_DMA_ALIGN
    ddr_at, vmem_at = (src, dst) if ch == 0 else (dst, src)
    if vmem_at + n > vmem_n:
        st[FA] = ch
        return F_DMA_RANGE
    if ddr_at + n > st[WINDOW_SIZE]:
        st[FA] = ch
        return F_DMA_WINDOW
    if st[base + D_START] >= 0 and now <= st[base + D_DONE]:
        st[FA] = ch
        return F_DMA_BUSY
    st[base + D_START] = now
    if n == 0:
        st[base + D_DONE] = now
    else:
        bpc = st[DMA_BPC]
        st[base + D_DONE] = now + st[DMA_LATENCY] + (n + bpc - 1) // bpc
    if ch == 0:
        src += st[WINDOW_BASE]
    else:
        dst += st[WINDOW_BASE]
    st[base + D_CSRC], st[base + D_CDST], st[base + D_CCOUNT] = src, dst, n
    st[base + D_PENDING] = 1
    st[DMA_NEXT] = min(st[DMA_NEXT], st[base + D_DONE])
    return F_NONE


# ---------------------------------------------------------------- CSRs
@njit(inline="always")
def _dma_csr(addr):
    """(channel, position in its DMA_CSRS row) of a DMA CSR, or (-1, -1)."""
    for ch in range(2):
        row = DMA_CSRS[ch]
        for k in range(len(row)):
            if addr == row[k]:
                return ch, k
    return -1, -1


@njit(inline="always")
def _counter_csr(addr):
    """(which, high) of mcycle[h] (which 0) / minstret[h] (which 2), or (-1, False)."""
    if addr == CSR_MCYCLE or addr == CSR_MCYCLEH:
        return 0, addr == CSR_MCYCLEH
    if addr == CSR_MINSTRET or addr == CSR_MINSTRETH:
        return 2, addr == CSR_MINSTRETH
    return -1, False


@njit(cache=True)
def csr_read(st, addr, cycle, instret):
    """(value, ok) of a CSR read issuing in ``cycle`` after ``instret`` retirements."""
    if addr == CSR_MCOUNTINHIBIT:
        return st[INHIBIT], True
    if addr == CSR_MHARTID:
        return st[HARTID], True
    which, high = _counter_csr(addr)
    if which >= 0:
        value = counter_value(st, which, cycle if which == 0 else instret)
        return (value >> 32 if high else value) & MASK32, True
    ch, k = _dma_csr(addr)
    if k == DMA_STATUS:
        return dma_status(st, ch, cycle), True
    if k == DMA_CONTROL:
        return np.int64(0), True
    if k >= 0:
        return st[DMA_BASE + 16 * ch + DMA_SLOTS[k]], True
    return np.int64(0), False


@njit(cache=True)
def _csr_write(st, addr, value, cycle, instret, vmem_n, ddr_n):
    """Write ``value`` (uint32) to a CSR in ``cycle``; return a fault code."""
    if addr >> 10 == 3:                   # the RISC-V convention: 0xC00-0xFFF are read-only
        return F_CSR_READONLY
    if addr == CSR_MCOUNTINHIBIT:
        new = value & 0b101
        for which, now in ((0, cycle), (2, instret)):
            counted = counter_value(st, which, now)
            if not st[INHIBIT] & (1 << which):
                counted += 1          # this cycle / instruction still counts
            _counter_set(st, which, now, counted, new)
        st[INHIBIT] = new
        return F_NONE
    which, high = _counter_csr(addr)
    if which >= 0:
        now = cycle if which == 0 else instret
        old = counter_value(st, which, now)
        if high:
            new = (old & MASK32) | (value << 32)
        else:
            new = (old & ~np.int64(MASK32)) | value
        _counter_set(st, which, now, new, st[INHIBIT])
        return F_NONE
    ch, k = _dma_csr(addr)
    if k == DMA_CONTROL:
        if value & 1:
            return _dma_start(st, ch, cycle, vmem_n, ddr_n)
        return F_NONE
    if 0 <= k < DMA_CONTROL:
        st[DMA_BASE + 16 * ch + DMA_SLOTS[k]] = value
        return F_NONE
    return F_CSR


@njit(inline="always")
def _address(x, rs1, imm, align_mask, size):
    """Byte address x[rs1] + imm, or -1 if misaligned, -2 if outside ``size`` bytes."""
    a = (np.int64(x[rs1]) + imm) & MASK32
    if a & align_mask:
        return np.int64(-1)
    if a + align_mask >= size:
        return np.int64(-2)
    return a


@njit(inline="always")
def _lane_fault(v, rs1, imm, nl, llm_n):
    """First enabled lane whose lane-local address is odd or out of range, else -1."""
    for i in range(nl):
        if v[rs1, i] >= 0:
            a = np.int64(v[rs1, i]) + imm
            if (a & 1) or a < 0 or a >= llm_n:
                return i
    return -1


@njit(inline="always")
def _count_bits(a, op):
    """clz / ctz / cpop of the 32-bit value ``a``."""
    n = 0
    if op == CPOP:
        while a:
            n += a & 1
            a >>= 1
    elif op == CLZ:
        n = 32
        while a:
            n -= 1
            a >>= 1
    else:
        while n < 32 and not (a >> n) & 1:
            n += 1
    return n


@njit(cache=True)
def _zicsr(st, x, op, rd, rs1, addr, cycle, instret, vmem_n, ddr_n):
    """One Zicsr instruction (any of the six forms), x[rd] = old value; return a fault code.

    A call, not inlined: CSR accesses are rare and the loop stays smaller (faster dispatch).
    """
    old, ok = csr_read(st, addr, cycle, instret)
    if not ok:
        return F_CSR
    src = np.int64(rs1) if op >= CSRRWI else np.int64(x[rs1]) & MASK32
    if op == CSRRW or op == CSRRWI:
        fault = _csr_write(st, addr, src, cycle, instret, vmem_n, ddr_n)
    elif rs1 == 0:                   # set/clear with x0 or zimm 0: a read, no write
        fault = F_NONE
    elif op == CSRRS or op == CSRRSI:
        fault = _csr_write(st, addr, old | src, cycle, instret, vmem_n, ddr_n)
    else:
        fault = _csr_write(st, addr, old & ~src & MASK32, cycle, instret, vmem_n, ddr_n)
    if fault == F_NONE:
        x[rd] = old
    return fault


# ---------------------------------------------------------------- the loop
@njit(cache=True, boundscheck=False)
def run(code, hits, x, v, s0, s1, dmem8, dmem16, dmem32, vmem8, vmem16, llm, ddr, st, max_steps):
    """Execute at most ``max_steps`` instructions from ``st[PC]``; return steps retired.

    ``st[REASON]`` says why it stopped (RUNNING = step budget used up). Every branch of
    the dispatch below tests one operation id, so LLVM turns it into one jump table.
    """
    pc = st[PC]
    cycle = st[CYCLE]
    instret0 = st[INSTRET]
    dma_next = st[DMA_NEXT]
    imem_bad = ~np.int64(code.size * 4 - 1) | 3
    dmem_n = dmem8.size
    vmem_n = vmem8.size
    llm_n = llm.shape[1] * 2
    ddr_n = ddr.size
    nl = v.shape[1]
    reason = RUNNING
    fault = F_NONE
    steps = np.int64(0)
    while steps < max_steps:
        if pc & imem_bad:
            fault = F_FETCH
            break
        if cycle > dma_next:
            dma_next = dma_settle(st, cycle, vmem8, ddr)
        idx = np.uint64(pc) >> np.uint64(2)     # unsigned: no negative-index wraparound
        w = code[idx]
        op = w & 0xFF
        rd = (w >> RD_SHIFT) & 63
        rs1 = (w >> RS1_SHIFT) & 31
        rs2 = (w >> RS2_SHIFT) & 31
        imm = w >> 32
        nxt = pc + 4
        cost = 1 + ((w >> PENALTY_SHIFT) & 3)
        taken = False

        # ------------------------------------------------ scalar
        if op == ADDI:
            x[rd] = x[rs1] + imm
        elif op == ADD:
            x[rd] = np.int64(x[rs1]) + x[rs2]
        elif op == LW:
            a = _address(x, rs1, imm, 3, dmem_n)
            if a < 0:
                fault = F_LOAD_ALIGN if a == -1 else F_LOAD_RANGE
                break
            x[rd] = dmem32[a >> 2]
        elif op == SW:
            a = _address(x, rs1, imm, 3, dmem_n)
            if a < 0:
                fault = F_STORE_ALIGN if a == -1 else F_STORE_RANGE
                break
            dmem32[a >> 2] = x[rs2]
        elif op == BNE:
            taken = x[rs1] != x[rs2]
        elif op == BEQ:
            taken = x[rs1] == x[rs2]
        elif op == BLT:
            taken = x[rs1] < x[rs2]
        elif op == BGE:
            taken = x[rs1] >= x[rs2]
        elif op == BLTU:
            taken = (np.int64(x[rs1]) & MASK32) < (np.int64(x[rs2]) & MASK32)
        elif op == BGEU:
            taken = (np.int64(x[rs1]) & MASK32) >= (np.int64(x[rs2]) & MASK32)
        elif op == LUI:
            x[rd] = imm
        elif op == AUIPC:
            x[rd] = imm
        elif op == JAL:
            if imm & imem_bad:
                fault = F_JUMP
                st[FA] = imm
                break
            x[rd] = pc + 4
            nxt = imm
        elif op == JALR:
            nxt = (np.int64(x[rs1]) + imm) & (MASK32 - 1)
            if nxt & imem_bad:
                fault = F_JUMP
                st[FA] = nxt
                break
            x[rd] = pc + 4
        elif op == LB:
            a = _address(x, rs1, imm, 0, dmem_n)
            if a < 0:
                fault = F_LOAD_RANGE
                break
            x[rd] = (np.int64(dmem8[a]) ^ 0x80) - 0x80
        elif op == LBU:
            a = _address(x, rs1, imm, 0, dmem_n)
            if a < 0:
                fault = F_LOAD_RANGE
                break
            x[rd] = dmem8[a]
        elif op == LH:
            a = _address(x, rs1, imm, 1, dmem_n)
            if a < 0:
                fault = F_LOAD_ALIGN if a == -1 else F_LOAD_RANGE
                break
            x[rd] = dmem16[a >> 1]
        elif op == LHU:
            a = _address(x, rs1, imm, 1, dmem_n)
            if a < 0:
                fault = F_LOAD_ALIGN if a == -1 else F_LOAD_RANGE
                break
            x[rd] = np.int64(dmem16[a >> 1]) & 0xFFFF
        elif op == SB:
            a = _address(x, rs1, imm, 0, dmem_n)
            if a < 0:
                fault = F_STORE_RANGE
                break
            dmem8[a] = x[rs2] & 0xFF
        elif op == SH:
            a = _address(x, rs1, imm, 1, dmem_n)
            if a < 0:
                fault = F_STORE_ALIGN if a == -1 else F_STORE_RANGE
                break
            dmem16[a >> 1] = x[rs2]
        elif op == SLTI:
            x[rd] = 1 if x[rs1] < imm else 0
        elif op == SLTIU:
            x[rd] = 1 if (np.int64(x[rs1]) & MASK32) < (imm & MASK32) else 0
        elif op == XORI:
            x[rd] = x[rs1] ^ imm
        elif op == ORI:
            x[rd] = x[rs1] | imm
        elif op == ANDI:
            x[rd] = x[rs1] & imm
        elif op == SLLI:
            x[rd] = np.int64(x[rs1]) << imm
        elif op == SRLI:
            x[rd] = (np.int64(x[rs1]) & MASK32) >> imm
        elif op == SRAI:
            x[rd] = np.int64(x[rs1]) >> imm
        elif op == SUB:
            x[rd] = np.int64(x[rs1]) - x[rs2]
        elif op == SLL:
            x[rd] = np.int64(x[rs1]) << (x[rs2] & 31)
        elif op == SLT:
            x[rd] = 1 if x[rs1] < x[rs2] else 0
        elif op == SLTU:
            x[rd] = 1 if (np.int64(x[rs1]) & MASK32) < (np.int64(x[rs2]) & MASK32) else 0
        elif op == XOR:
            x[rd] = x[rs1] ^ x[rs2]
        elif op == SRL:
            x[rd] = (np.int64(x[rs1]) & MASK32) >> (x[rs2] & 31)
        elif op == SRA:
            x[rd] = np.int64(x[rs1]) >> (x[rs2] & 31)
        elif op == OR:
            x[rd] = x[rs1] | x[rs2]
        elif op == AND:
            x[rd] = x[rs1] & x[rs2]
        elif op == MUL:
            x[rd] = np.int64(x[rs1]) * np.int64(x[rs2])
        elif op == CLZ:
            x[rd] = _count_bits(np.int64(x[rs1]) & MASK32, CLZ)
        elif op == CTZ:
            x[rd] = _count_bits(np.int64(x[rs1]) & MASK32, CTZ)
        elif op == CPOP:
            x[rd] = _count_bits(np.int64(x[rs1]) & MASK32, CPOP)
        elif op == SEXT_B:
            x[rd] = ((np.int64(x[rs1]) & 0xFF) ^ 0x80) - 0x80
        elif op == SEXT_H:
            x[rd] = ((np.int64(x[rs1]) & 0xFFFF) ^ 0x8000) - 0x8000
        elif op == FENCE:
            pass
        elif op == FENCE_I:
            pass
        elif op == ECALL:
            reason = R_ECALL
            hits[idx] += 1
            break
        elif op == EBREAK:
            reason = R_EBREAK
            hits[idx] += 1
            break
        elif op == CSRRW or op == CSRRS or op == CSRRC or op == CSRRWI or op == CSRRSI or op == CSRRCI:
            fault = _zicsr(st, x, op, rd, rs1, imm, cycle, instret0 + steps, vmem_n, ddr_n)
            if fault != F_NONE:
                break
            dma_next = st[DMA_NEXT]

        # ------------------------------------------------ vector
        elif op == VLOADV:
            a = _address(x, rs1, imm, 63, vmem_n)
            if a < 0:
                fault = F_VMEM_ALIGN if a == -1 else F_VMEM_RANGE
                break
            _copy64(v, rd * 32, vmem16, a >> 1)
        elif op == VSTORE:
            a = _address(x, rs1, imm, 63, vmem_n)
            if a < 0:
                fault = F_VMEM_ALIGN if a == -1 else F_VMEM_RANGE
                break
            _copy64(vmem16, a >> 1, v, rs2 * 32)
        elif op == VLOADR0:
            a = _address(x, rs1, imm, 63, vmem_n)
            if a < 0:
                fault = F_VMEM_ALIGN if a == -1 else F_VMEM_RANGE
                break
            _copy64(s0, 0, vmem16, a >> 1)
        elif op == VLOADR1:
            a = _address(x, rs1, imm, 63, vmem_n)
            if a < 0:
                fault = F_VMEM_ALIGN if a == -1 else F_VMEM_RANGE
                break
            _copy64(s1, 0, vmem16, a >> 1)
        elif op == VMUL_RN:
            shift = (w >> AUX_SHIFT) & 15
            _vmul(v, rd, rs1, rs2, shift, (np.int64(1) << shift) >> 1)
        elif op == VMUL_S_RN:
            shift = (w >> AUX_SHIFT) & 15
            _vmul_s(v, rd, rs1, rs2, shift, (np.int64(1) << shift) >> 1)
        elif op == VMUL_S_RS:
            _vmul_s_rs(v, s0, s1, rd, rs1, rs2, (w >> AUX_SHIFT) & 15)
        elif op == VMUL_RS:
            _vmul_rs(v, s0, s1, rd, rs1, rs2, (w >> AUX_SHIFT) & 15)
        elif op == VADD_S:
            _vadd_s(v, rd, rs1, rs2)
        elif op == VADD:
            _vadd(v, rd, rs1, rs2)
        elif op == VSUB_S:
            _vsub_s(v, rd, rs1, rs2)
        elif op == VSUB:
            _vsub(v, rd, rs1, rs2)
        elif op == VTGE:
            x[rd] = _vtge(v, rs1, rs2)
        elif op == VTLT:
            x[rd] = _vtlt(v, rs1, rs2)
        elif op == VTEQ:
            x[rd] = _vteq(v, rs1, rs2)
        elif op == VTNE:
            x[rd] = _vtne(v, rs1, rs2)
        elif op == VSEL:
            _vsel(v, rd, np.int64(x[rs1]), rs2)
        elif op == VMUL:
            _vmul(v, rd, rs1, rs2, (w >> AUX_SHIFT) & 15, np.int64(0))
        elif op == VMUL_S:
            _vmul_s(v, rd, rs1, rs2, (w >> AUX_SHIFT) & 15, np.int64(0))
        elif op == VAND:
            _vand(v, rd, rs1, rs2)
        elif op == VSLL:
            _vsll(v, rd, rs1, rs2)
        elif op == VSLL_S:
            _vsll_s(v, rd, rs1, rs2)
        elif op == VSRA:
            _vsra(v, rd, rs1, rs2)
        elif op == VSLLI:
            _vslli(v, rd, rs1, (w >> AUX_SHIFT) & 15)
        elif op == VSRAI:
            _vsrai(v, rd, rs1, rs1, (w >> AUX_SHIFT) & 15, np.int64(0))
        elif op == VSRAI_RN:
            shift = (w >> AUX_SHIFT) & 15
            _vsrai(v, rd, rs1, rs1, shift, (np.int64(1) << shift) >> 1)
        elif op == VSRAI_RS:
            _vsrai_rs(v, s0, s1, rd, rs1, rs1, (w >> AUX_SHIFT) & 15)
        elif op == VLUI:
            _vfill(v, rd, imm)
        elif op == VFILL:
            a = np.int64(x[rs1])
            _vfill(v, rd, ((a >> 16) & 0x8000) | (a & 0x7FFF))
        elif op == VEXTRACT:
            x[rd] = v[rs1, (w >> AUX_SHIFT) & 31]
        elif op == VRNG:
            _vrng(v, s0, s1, rd)
        elif op == VANDADD:
            _vandadd(v, rd, rs1, (np.int64(1) << ((w >> AUX_SHIFT) & 15)) - 1, np.int64(x[rs2]))
        elif op == VLOADL:
            bad = _lane_fault(v, rs1, imm, nl, llm_n)
            if bad >= 0:
                fault = F_LLM
                st[FA] = bad
                st[FB] = np.int64(v[rs1, bad]) + imm
                break
            for i in range(nl):
                if v[rs1, i] >= 0:
                    v[rd, i] = llm[i, (np.int64(v[rs1, i]) + imm) >> 1]
        elif op == VSTOREL:
            bad = _lane_fault(v, rs1, imm, nl, llm_n)
            if bad >= 0:
                fault = F_LLM
                st[FA] = bad
                st[FB] = np.int64(v[rs1, bad]) + imm
                break
            for i in range(nl):
                if v[rs1, i] >= 0:
                    llm[i, (np.int64(v[rs1, i]) + imm) >> 1] = v[rs2, i]
        elif op == HAZARD:
            fault = F_HAZARD
            break
        else:
            fault = F_ILLEGAL
            break

        if taken:
            if imm & imem_bad:
                fault = F_JUMP
                st[FA] = imm
                break
            nxt = imm
            cost += 2
        hits[idx] += 1
        pc = nxt
        cycle += cost
        steps += 1

    if fault != F_NONE:
        reason = R_FAULT
        st[FAULT] = fault
        if fault >= F_LOAD_ALIGN and fault <= F_VMEM_RANGE:
            st[FA] = (np.int64(x[rs1]) + imm) & MASK32
    st[PC] = pc
    st[CYCLE] = cycle
    st[INSTRET] = instret0 + steps
    st[REASON] = reason
    return steps


def _check_against_isa():
    """Refuse a kernel whose CSR copies differ from fenn.isa (see "CSR addresses" above)."""
    from .. import isa
    status = _named("STATUS_")
    wrong = [f"{name}: table 0x{isa.CSR_ADDRESSES.get(name, -1):03x}, kernel 0x{CSRS.get(name, -1):03x}"
             for name in sorted(set(CSRS) | set(isa.CSR_ADDRESSES))
             if CSRS.get(name) != isa.CSR_ADDRESSES.get(name)]
    wrong += [f"status bit {name}: table {isa.DMA_STATUS_BITS.get(name)}, kernel {bit}"
              for name, bit in status.items() if isa.DMA_STATUS_BITS.get(name) != bit]
    if wrong:
        raise ImportError("fenn/sim/kernel.py disagrees with fenn.isa on " + "; ".join(wrong)
                          + "; make the CSR_<NAME> / STATUS_<NAME> constants of the kernel match the table")


_check_against_isa()
