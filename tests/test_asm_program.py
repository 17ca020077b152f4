"""Whole programs: a text program with loops, vector ops and CSR accesses assembles,
disassembles and reassembles to identical bytes; the builder writes the same words."""

import numpy as np

from fenn.asm import Assembler, assemble_text, v1, v2, v3, v4, v5, x0, x5, x6, x7, x8, x9
from fenn.disasm import disassemble, disassemble_program
from fenn.isa import CSR_ADDRESSES, decode

PROGRAM = """\
# Scale N vectors by GAIN with rounding and saturation, timing the loop with mcycle.
.equ N, 4
.equ GAIN, 0x4000            # 0.5 in s1.14
.equ SRC, 0x100
.equ DST, SRC + N * 64

start:
    csrw    mcountinhibit, zero      # start counting
    csrr    t0, mcycle
    li      a0, SRC
    li      a1, DST
    li      a2, N
    li      t1, GAIN
    vfill   v2, t1
    vlui    v3, 0x00001
loop:   vloadv  v1, a0, 0
    addi    a0, a0, 64              # load-use gap
    vmul_s_rn 14, v4, v1, v2
    vadd_s  v4, v4, v3
    vtlt    t2, v4, v3
    beqz    t2, .+8                 # skip when no lane is below one
    vsel    v4, t2, v3
    vstore  v4, a1, 0
    addi    a1, a1, 64
    addi    a2, a2, -1
    bnez    a2, loop
    csrr    t1, mcycle
    sub     t0, t1, t0
    sw      t0, -4(sp)
    lw      t3, -4(sp)
    csrrwi  zero, mm2s_control, 1
    csrrs   t4, mm2s_status, x0
    vextract x31, v4, 31
    vandadd 15, v5, v4, t3
    vrng    v5
    j       done
    .word   0xdeadbeec              # data: an illegal word in the text
done: ecall
end:
"""


def test_program_assembles_to_expected_shape():
    result = assemble_text(PROGRAM, "scale.s")
    assert result.symbols == {"start": 0, "loop": 32, "done": 120, "end": 124}
    assert len(result.words) == 31
    # li a1, DST is one addi (DST = 0x200); li t1, GAIN is one lui (low bits 0)
    assert decode(int(result.words[3])).fields == {"rd": 11, "rs1": 0, "imm": 0x200}
    assert decode(int(result.words[5])).mnemonic == "lui"
    assert decode(int(result.words[0])).fields["csr"] == CSR_ADDRESSES["mcountinhibit"]
    assert result.source[0] == (0, "csrw    mcountinhibit, zero", "scale.s:8")
    assert result.words[29] == 0xDEADBEEC


def test_disassembly_reassembles_to_identical_bytes():
    result = assemble_text(PROGRAM, "scale.s")
    plain = "\n".join(disassemble(w) for w in result.words)
    again = assemble_text(plain)
    assert again.to_bytes() == result.to_bytes()
    listing = result.listing()
    relisted = assemble_text(listing, "listing.s")
    assert relisted.to_bytes() == result.to_bytes()
    assert relisted.symbols == result.symbols


def test_listing_shows_addresses_labels_targets_and_source():
    result = assemble_text(PROGRAM, "scale.s")
    lines = result.listing().splitlines()
    assert lines[0] == "start:"
    assert lines[1].startswith("    csrrw x0, mcountinhibit, x0")
    assert "# 0000: 32001073  | csrw    mcountinhibit, zero  @ scale.s:8" in lines[1]
    bnez = next(line for line in lines if line.lstrip().startswith("bne x12, x0"))
    assert "bne x12, x0, .-40" in bnez and "-> loop" in bnez
    data = next(line for line in lines if ".word 0xdeadbeec" in line)
    assert "# illegal:" in data and "| 0074: deadbeec" in data
    assert lines[-1] == "end:"


def test_builder_writes_the_same_program():
    a = Assembler()
    a.label("start")
    a.csrw("mcountinhibit", x0)
    a.csrr(x5, "mcycle")
    a.li("a0", 0x100)
    a.li("a1", 0x200)
    a.li("a2", 4)
    a.li(x6, 0x4000)
    a.vfill(v2, x6)
    a.vlui(v3, 1)
    a.label("loop")
    a.vloadv(v1, "a0", 0)
    a.addi("a0", "a0", 64)
    a.vmul_s_rn(14, v4, v1, v2)
    a.vadd_s(v4, v4, v3)
    a.vtlt(x7, v4, v3)
    a.beqz(x7, 8)
    a.vsel(v4, x7, v3)
    a.vstore(v4, "a1", 0)
    a.addi("a1", "a1", 64)
    a.addi("a2", "a2", -1)
    a.bnez("a2", "loop")
    a.csrr(x6, "mcycle")
    a.sub(x5, x6, x5)
    a.sw(x5, -4, "sp")
    a.lw("t3", -4, "sp")
    a.csrrwi(x0, "mm2s_control", 1)
    a.csrrs("t4", 0xFC0, x0)
    a.vextract("x31", v4, 31)
    a.vandadd(15, v5, v4, "t3")
    a.vrng(v5)
    a.j("done")
    a.word(0xDEADBEEC)
    a.label("done")
    a.ecall()
    a.label("end")
    built = a.assemble()
    text = assemble_text(PROGRAM)
    np.testing.assert_array_equal(built.words, text.words)
    assert built.symbols == text.symbols


def test_forward_and_backward_labels_resolve_to_pc_relative_offsets():
    a = Assembler()
    assert a.label("back") == 0
    a.nop()
    at = a.beq(x8, x9, "fwd")
    a.jal(x0, "back")
    a.nop()
    assert a.here() == 16
    a.label("fwd")
    words = a.assemble().words
    assert decode(int(words[1])).fields["target"] == 16 - at == 12
    assert decode(int(words[2])).fields["target"] == -8


def test_listing_without_symbols_or_source_and_empty_program():
    assert disassemble_program([]) == "\n"
    text = disassemble_program([0x00000013, 0xFE000EE3])
    assert "addi x0, x0, 0" in text and "beq x0, x0, .-4" in text and "-> 0x0000" in text
    assert assemble_text(text).words.tolist() == [0x00000013, 0xFE000EE3]


def test_examples_in_assembly_md_work():
    import pathlib
    import re
    doc = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "assembly.md").read_text()
    asm_example = re.search(r"```asm\n(.*?)```", doc, re.S).group(1)
    result = assemble_text(asm_example, "assembly.md")
    assert assemble_text(result.listing()).to_bytes() == result.to_bytes()
    python_example = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
    scope = {}
    exec(python_example, scope)
    assert scope["program"].symbols == {"loop": 4}
    shown = re.findall(r"`(\.word 0x[0-9a-f]+  # [^`]*)`", doc)
    assert len(shown) >= 2
    for line in shown:
        assert disassemble(int(line.split()[1], 16)) == line
