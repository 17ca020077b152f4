# FeNN resident firmware: the batch loop (fenn.firmware; docs/firmware.md).
#
# The linker (fenn.firmware.link_source) puts .equ lines for the program's addresses in
# front of this text and the compiled network after it; the network's last instruction,
# an ecall in a plain program, becomes "j sample_done".
#
# Per sample s of COUNT, from the descriptor table at DDR TABLE (64 bytes each, in plane
# format: 16 words, see fenn.firmware.to_planes):
#   d0 = DDR address of the sample's input block: RNG seed (128 bytes), then every input's
#        event stream in plane format (d2.. vectors each)
#   d1 = DDR address of its output block: a status vector, then the VMEM outputs (raw),
#        then the DMEM outputs (plane format)
# it brings the seed and the inputs in by DMA (inputs with DMEM event buffers through VMEM
# staging into them; an input whose events are in VMEM only gets its DDR address, from which
# the network fetches them itself, compiler/events.py), runs the network, sends the outputs out by DMA, then the status vector
# (w0 = 1 done, w1 = s, w2 = cycles, w3 = instructions of the network run), and after the
# last sample halts with ecall (which waits for the DMA channels).
#
# Registers: everything is clobbered by the network, so the loop keeps its state in the
# firmware area of DMEM (FW) and reloads s0 = FW after every sample. v28..v31 are scratch.

# F_TABLE, F_COUNT, F_INDEX, F_PLANE come from fenn.firmware.HEADER (shared with the host)
.equ F_CYCLES, 12
.equ F_INSTRET, 16
.equ F_OUT, 20

start:
    li      s0, FW
    csrw    mcountinhibit, zero         # count cycles and instructions
    sw      zero, F_INDEX(s0)

sample:
    lw      t0, F_INDEX(s0)
    lw      t1, F_COUNT(s0)
    bgeu    t0, t1, finish
    # the descriptor: DDR TABLE + 64 s -> staging -> PLANE words
    lw      a0, F_TABLE(s0)
    slli    t0, t0, 6
    add     a0, a0, t0
    li      a1, STAGING
    li      a2, 64
    call    mm2s
    li      a0, STAGING
    addi    a1, s0, F_PLANE
    li      a2, 1
    call    planes_in
    lw      t0, F_PLANE+4(s0)
    sw      t0, F_OUT(s0)
    # the RNG seed straight into its VMEM buffer
    lw      a0, F_PLANE(s0)
    li      a1, SEED
    li      a2, 128
    call    mm2s
    # every input: chunks of STAGING_VECTORS through staging into its DMEM buffer
    lw      s1, F_PLANE(s0)
    addi    s1, s1, 128                 # DDR cursor
    addi    s2, s0, F_PLANE+8           # vectors of input k
    li      s3, INPUTS                  # table: DMEM address of input k
    li      s4, INPUTS + 4 * N_INPUTS   # its end
input:
    beq     s3, s4, inputs_done
    lw      s5, 0(s2)                   # vectors left
    lw      s6, 0(s3)                   # DMEM destination, or (bit 0 set) a slot
    andi    t0, s6, 1
    beqz    t0, input_chunk
    addi    t0, s6, -1
    sw      s1, 0(t0)                   # events in VMEM: the network fetches them from s1
    slli    t0, s5, 6
    add     s1, s1, t0
    j       input_next
input_chunk:
    beqz    s5, input_next
    li      s7, STAGING_VECTORS
    bgeu    s5, s7, input_full
    mv      s7, s5
input_full:
    mv      a0, s1
    li      a1, STAGING
    slli    a2, s7, 6
    call    mm2s
    li      a0, STAGING
    mv      a1, s6
    mv      a2, s7
    call    planes_in
    slli    t0, s7, 6
    add     s1, s1, t0
    add     s6, s6, t0
    sub     s5, s5, s7
    j       input_chunk
input_next:
    addi    s2, s2, 4
    addi    s3, s3, 4
    j       input
inputs_done:
    csrr    t0, minstret
    sw      t0, F_INSTRET(s0)
    csrr    t0, mcycle
    sw      t0, F_CYCLES(s0)
    j       network

sample_done:                            # the network ends here
    csrr    t0, mcycle
    csrr    t1, minstret
    li      s0, FW
    lw      t2, F_CYCLES(s0)
    sub     t0, t0, t2
    lw      t2, F_INSTRET(s0)
    sub     t1, t1, t2
    # outputs: VMEM ones straight out, DMEM ones through staging
    lw      s1, F_OUT(s0)
    li      t2, 1
    sw      t2, F_PLANE(s0)             # the status words, sent after the outputs
    lw      t2, F_INDEX(s0)
    sw      t2, F_PLANE+4(s0)
    sw      t0, F_PLANE+8(s0)
    sw      t1, F_PLANE+12(s0)
    addi    s1, s1, 64
    li      s3, VOUTS                   # table: (VMEM address, bytes)
    li      s4, VOUTS + 8 * N_VOUTS
vout:
    beq     s3, s4, vouts_done
    lw      a0, 0(s3)
    mv      a1, s1
    lw      a2, 4(s3)
    add     s1, s1, a2
    call    s2mm
    addi    s3, s3, 8
    j       vout
vouts_done:
    li      s3, DOUTS                   # table: (DMEM address, vectors)
    li      s4, DOUTS + 8 * N_DOUTS
dout:
    beq     s3, s4, douts_done
    lw      s6, 0(s3)
    lw      s5, 4(s3)
dout_chunk:
    beqz    s5, dout_next
    li      s7, STAGING_VECTORS
    bgeu    s5, s7, dout_full
    mv      s7, s5
dout_full:
    mv      a0, s6
    li      a1, STAGING
    mv      a2, s7
    call    planes_out
    li      a0, STAGING
    mv      a1, s1
    slli    a2, s7, 6
    call    s2mm
    slli    t0, s7, 6
    add     s1, s1, t0
    add     s6, s6, t0
    sub     s5, s5, s7
    j       dout_chunk
dout_next:
    addi    s3, s3, 8
    j       dout
douts_done:
    addi    a0, s0, F_PLANE             # the status vector, last
    li      a1, STAGING
    li      a2, 1
    call    planes_out
    li      a0, STAGING
    lw      a1, F_OUT(s0)
    li      a2, 64
    call    s2mm
    lw      t0, F_INDEX(s0)
    addi    t0, t0, 1
    sw      t0, F_INDEX(s0)
    j       sample

finish:
    ecall

# mm2s: DDR a0 -> VMEM a1, a2 bytes (a multiple of 64, not 0); returns when it has arrived
mm2s:
    csrw    mm2s_src, a0
    csrw    mm2s_dst, a1
    csrw    mm2s_count, a2
    csrwi   mm2s_control, 1
mm2s_wait:
    csrr    t6, mm2s_status
    andi    t6, t6, 2
    beqz    t6, mm2s_wait
    ret

# s2mm: VMEM a0 -> DDR a1, a2 bytes; returns when it has left VMEM (the staging vectors
# may then be written again)
s2mm:
    csrw    s2mm_src, a0
    csrw    s2mm_dst, a1
    csrw    s2mm_count, a2
    csrwi   s2mm_control, 1
s2mm_wait:
    csrr    t6, s2mm_status
    andi    t6, t6, 2
    beqz    t6, s2mm_wait
    ret

# planes_in: a2 vectors at VMEM a0 -> 16 words each at DMEM a1; word k, bit i = lane i,
# bit 15 - k (lane sign bits by vtlt, then the next bit up by doubling: vadd forwards its
# result to the next vtlt, a vslli would stall it a cycle)
planes_in:
    vsub    v30, v30, v30
planes_in_vector:
    vloadv  v29, a0, 0
    addi    a0, a0, 64
    addi    a2, a2, -1
    vtlt    t0, v29, v30
    sw      t0, 0(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 4(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 8(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 12(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 16(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 20(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 24(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 28(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 32(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 36(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 40(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 44(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 48(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 52(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 56(a1)
    vadd    v29, v29, v29
    vtlt    t0, v29, v30
    sw      t0, 60(a1)
    addi    a1, a1, 64
    bnez    a2, planes_in_vector
    ret

# planes_out: a2 vectors of 16 words at DMEM a0 -> VMEM a1, the inverse of planes_in
# (shift the lanes up, then set bit 0 where word k has the lane's bit)
planes_out:
    vlui    v31, 1
planes_out_vector:
    vsub    v29, v29, v29
    lw      t0, 0(a0)
    lw      t1, 4(a0)
    vadd    v28, v29, v31
    vsel    v29, t0, v28
    vadd    v29, v29, v29
    lw      t0, 8(a0)
    vadd    v28, v29, v31
    vsel    v29, t1, v28
    vadd    v29, v29, v29
    lw      t1, 12(a0)
    vadd    v28, v29, v31
    vsel    v29, t0, v28
    vadd    v29, v29, v29
    lw      t0, 16(a0)
    vadd    v28, v29, v31
    vsel    v29, t1, v28
    vadd    v29, v29, v29
    lw      t1, 20(a0)
    vadd    v28, v29, v31
    vsel    v29, t0, v28
    vadd    v29, v29, v29
    lw      t0, 24(a0)
    vadd    v28, v29, v31
    vsel    v29, t1, v28
    vadd    v29, v29, v29
    lw      t1, 28(a0)
    vadd    v28, v29, v31
    vsel    v29, t0, v28
    vadd    v29, v29, v29
    lw      t0, 32(a0)
    vadd    v28, v29, v31
    vsel    v29, t1, v28
    vadd    v29, v29, v29
    lw      t1, 36(a0)
    vadd    v28, v29, v31
    vsel    v29, t0, v28
    vadd    v29, v29, v29
    lw      t0, 40(a0)
    vadd    v28, v29, v31
    vsel    v29, t1, v28
    vadd    v29, v29, v29
    lw      t1, 44(a0)
    vadd    v28, v29, v31
    vsel    v29, t0, v28
    vadd    v29, v29, v29
    lw      t0, 48(a0)
    vadd    v28, v29, v31
    vsel    v29, t1, v28
    vadd    v29, v29, v29
    lw      t1, 52(a0)
    vadd    v28, v29, v31
    vsel    v29, t0, v28
    vadd    v29, v29, v29
    lw      t0, 56(a0)
    vadd    v28, v29, v31
    vsel    v29, t1, v28
    vadd    v29, v29, v29
    lw      t1, 60(a0)
    vadd    v28, v29, v31
    vsel    v29, t0, v28
    vadd    v29, v29, v29
    vadd    v28, v29, v31
    vsel    v29, t1, v28
    vstore  v29, a1, 0
    addi    a0, a0, 64
    addi    a1, a1, 64
    addi    a2, a2, -1
    bnez    a2, planes_out_vector
    ret

network:
