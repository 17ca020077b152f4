"""``python -m fenn.asm.demo``: assemble a small FeNN program, disassemble it
and show that the disassembly reassembles to identical bytes.

(``make demo`` runs the end-to-end SNN demo, ``fenn.demo``.)
"""

from __future__ import annotations

import sys

from . import assemble_text
from ..disasm import disassemble

SOURCE = """\
# Leaky integration of N input vectors: v = v - (v >> 4) + input, saturating, with a
# spike mask per step; the loop is timed with mcycle.
.equ N, 8
.equ INPUT, 0x400            # VMEM byte address of the first input vector
.equ MASKS, 0x100            # DMEM byte address of the spike masks

    csrwi   mcountinhibit, 0     # let mcycle and minstret count
    csrr    s0, mcycle
    li      a0, INPUT
    li      a1, MASKS
    li      a2, N
    vlui    v1, 0x00000          # membrane potential
    vlui    v2, 0x01000          # threshold 4096
    vlui    v5, 0x00000          # reset value
step:
    vloadv  v3, a0, 0            # input current
    vsrai_rn 4, v4, v1           # leak, rounded to nearest
    vsub_s  v1, v1, v4
    vadd_s  v1, v1, v3
    vtge    t0, v1, v2           # lanes at or over threshold
    vsel    v1, t0, v5           # reset those lanes
    sw      t0, 0(a1)
    addi    a0, a0, 64
    addi    a1, a1, 4
    addi    a2, a2, -1
    bnez    a2, step
    csrr    s1, mcycle
    sub     a0, s1, s0           # cycles spent in the loop
    ecall
"""


def main() -> int:
    program = assemble_text(SOURCE, "demo.s")
    print("FeNN assembler demo: a leaky integrate-and-fire loop\n")
    print(program.listing())
    plain = "\n".join(disassemble(w) for w in program.words)
    again = assemble_text(plain, "disassembly.s")
    relisted = assemble_text(program.listing(), "listing.s")
    same = again.to_bytes() == program.to_bytes() and relisted.to_bytes() == program.to_bytes()
    print(f"{len(program.words)} words, labels {program.symbols}")
    print(f"disassembly reassembles to identical bytes: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
