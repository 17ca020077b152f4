"""Every kind of bad assembler input gives an AsmError naming where, what and why."""

import re
import sys

import pytest

from fenn.asm import X, AsmError, Assembler, assemble_text, v2, x1, x2, x5


def _builder_error(call) -> str:
    with pytest.raises(AsmError) as info:
        call(Assembler())
    return str(info.value)


@pytest.mark.parametrize("call, message", [
    (lambda a: a.addi(x1, x2, 5000),
     "addi(x1, x2, 5000): operand imm=5000 must be in [-2048, 2047] (12-bit signed I-immediate)"),
    (lambda a: a.addi(x1, v2, 3), "addi(x1, v2, 3): operand rs1 must be an x register, got v2 (a v register)"),
    (lambda a: a.vadd(v2, x1, v2), "vadd(v2, x1, v2): operand vs1 must be a v register, got x1 (an x register)"),
    (lambda a: a.addi(1, x2, 3), "operand rd must be an x register (fenn.asm.x0..x31), got int 1"),
    (lambda a: a.lw(x5, x2, 8), "lw(x5, x2, 8): operand imm must be an integer (immediate), got x2"),
    (lambda a: a.add(x1, x2), "add(x1, x2): add takes 3 operands (rd, rs1, rs2), got 2"),
    (lambda a: a.ecall(x1), "ecall takes 0 operands (none), got 1"),
    (lambda a: a.beq(x1, x2, 3), "operand target=3 must be in [-4096, 4094], a multiple of 2"),
    (lambda a: a.slli(x1, x2, 32), "operand shamt=32 must be in [0, 31] (5-bit shift amount)"),
    (lambda a: a.vmul(16, v2, v2, v2), "operand shift=16 must be in [0, 15] (4-bit vmul shift)"),
    (lambda a: a.vextract(x1, v2, 32), "operand lane=32 must be in [0, 31]"),
    (lambda a: a.csrr(x1, "mcycles"), "csrr(x1, 'mcycles'): unknown CSR 'mcycles'; known: mcountinhibit"),
    (lambda a: a.csrrw(x1, 0x1000, x2), "operand csr=4096 must be in [0, 4095]"),
    (lambda a: a.li(x1, 1 << 32), "operand value=4294967296 must be in [-2147483648, 4294967295]"),
    (lambda a: a.li(x1, "ten"), "operand value must be an integer (immediate), got 'ten'"),
    (lambda a: a.addi(x1, "x99", 0), "operand rs1: 'x99' is not a register"),
    (lambda a: a.emit("vmulx", v2), "vmulx(v2): unknown mnemonic 'vmulx'"),
    (lambda a: a.label("1st"), "label('1st'): bad label name '1st'"),
    (lambda a: a.beq(x1, x2, "has space"), "bad label name 'has space'"),
    (lambda a: a.word(1 << 32), "data word 4294967296 does not fit in 32 bits"),
    (lambda a: a.word("x"), "data word must be an integer, got 'x'"),
])
def test_builder_errors(call, message):
    text = _builder_error(call)
    assert message in text
    assert re.match(r"\S*test_asm_errors\.py:\d+: ", text), text   # names the caller's line


def test_builder_error_names_the_exact_line_of_the_call():
    a = Assembler()
    line = sys._getframe().f_lineno + 2
    with pytest.raises(AsmError, match=rf"test_asm_errors\.py:{line}: addi"):
        a.addi(x1, x2, 4096)


def test_register_constructor_checks_range_and_kind():
    with pytest.raises(AsmError, match="x32 does not exist: x registers are x0..x31"):
        X(32)
    with pytest.raises(AsmError, match="v2 is a v register, not an x register"):
        X(v2)


def test_undefined_label_is_reported_at_assemble_with_the_call_site():
    a = Assembler()
    a.nop()
    line = sys._getframe().f_lineno + 1
    a.beq(x1, x2, "nowhere")
    with pytest.raises(AsmError, match=rf"test_asm_errors\.py:{line}: beq\(x1, x2, 'nowhere'\): "
                                       r"undefined label 'nowhere'"):
        a.assemble()


def test_duplicate_label_names_both_places():
    a = Assembler()
    first = sys._getframe().f_lineno + 1
    a.label("loop")
    with pytest.raises(AsmError, match=rf"duplicate label 'loop' \(first defined at \S*test_asm_errors\.py:{first}\)"):
        a.label("loop")


def test_branch_out_of_reach():
    a = Assembler()
    a.beq(x1, x2, "far")
    for _ in range(1100):
        a.nop()
    a.label("far")
    with pytest.raises(AsmError, match=r"label 'far' is \+4404 bytes away; beq target must be in \[-4096, 4094\]"):
        a.assemble()


def test_pseudo_expanding_to_an_out_of_reach_branch_names_the_pseudo():
    a = Assembler()
    a.label("top")
    for _ in range(1100):
        a.nop()
    a.bnez(x5, "top")
    with pytest.raises(AsmError, match=r"bnez\(x5, 'top'\): label 'top' is -4400 bytes away"):
        a.assemble()


# ---------------------------------------------------------------------------- text

@pytest.mark.parametrize("source, message", [
    ("vmulx v1, v2", "p.s:1: vmulx v1, v2: unknown mnemonic 'vmulx'"),
    ("nop\naddi x1, x32, 1", "p.s:2: addi x1, x32, 1: operand rs1 must be an x register (x0..x31, zero, ra, sp, a0, t0, ...), got 'x32'"),
    ("addi x1, v2, 1", "p.s:1: addi x1, v2, 1: operand rs1 must be an x register, got v2 (a v register)"),
    ("vadd v1, v2, x3", "operand vs2 must be a v register, got x3 (an x register)"),
    ("vadd v1, v2, q3", "operand vs2 must be a v register (v0..v31), got 'q3'"),
    ("addi x1, x2, 2048", "p.s:1: addi x1, x2, 2048: operand imm=2048 must be in [-2048, 2047]"),
    ("addi x1, x2, x3", "operand imm must be an immediate, got register 'x3'"),
    ("lui x1, -1", "operand imm=-1 must be in [0, 1048575] (20-bit U-immediate)"),
    ("vlui v1, 0x100000", "operand imm=1048576 must be in [0, 1048575]"),
    ("\n\n  beq x1, x2, missing", "p.s:3: beq x1, x2, missing: undefined label 'missing'"),
    ("a:\nnop\na: nop", "p.s:3: label('a'): duplicate label 'a' (first defined at p.s:1)"),
    ("addi x1, x2, N", "p.s:1: addi x1, x2, N: unknown symbol 'N' in 'N' (define constants with '.equ N, value' before use)"),
    ("lw x5, x2, 8", "p.s:1: lw x5, x2, 8: expected 'lw rd, imm(rs1)'"),
    ("sw x5, 8[x2]", "expected 'sw rs2, imm(rs1)'"),
    ("add x1, x2", "p.s:1: add x1, x2: add takes 3 operands (rd, rs1, rs2), got 2"),
    ("add x1, x2,, x3", "empty operand (stray comma?)"),
    ("ret x1", "ret takes 0 operands (none), got 1"),
    (".byte 1", "p.s:1: .byte 1: unknown directive '.byte' (supported: .word, .equ, .set)"),
    (".word", ".word needs at least one value"),
    (".word 0x100000000", "data word 4294967296 does not fit in 32 bits"),
    (".equ N, 1\n.equ N, 2", "p.s:2: .equ N, 2: 'N' is already defined (at p.s:1)"),
    (".equ 9N, 2", "expected '.equ NAME, value'"),
    (".equ a0, 2", "'a0' is a register name and cannot be a constant"),
    ("addi x1, x2, 1; nop", "';' is neither a comment nor a separator here"),
    ("addi x1, x2, 3 +", "cannot read '3 +' as an integer expression"),
    ("addi x1, x2, 3.5", "cannot read '3.5' as an integer expression (allowed: integers"),
    ("addi x1, x2, 1/0", "division by zero"),
    ("csrr x1, mcycles", "unknown CSR 'mcycles'; known: mcountinhibit, mcycle"),
    ("beq x1, x2, .+3", "operand target=3 must be in [-4096, 4094], a multiple of 2"),
    ("jal x1, .+1048576", "operand target=1048576 must be in [-1048576, 1048574]"),
    ("vmul_rn 16, v1, v2, v3", "operand shift=16 must be in [0, 15]"),
    ("vextract x1, v2, 32", "operand lane=32 must be in [0, 31]"),
    ("csrrwi x1, mcycle, 32", "operand zimm=32 must be in [0, 31]"),
    ("li x1, 0x100000000", "operand value=4294967296 must be in [-2147483648, 4294967295]"),
    ("1x: nop", "expected 'label:', a directive or 'mnemonic operands'"),
])
def test_text_errors(source, message):
    with pytest.raises(AsmError) as info:
        assemble_text(source, "p.s")
    assert message in str(info.value)
    assert str(info.value).startswith("p.s:")


def test_text_error_attributes():
    with pytest.raises(AsmError) as info:
        assemble_text("nop\n  addi x1, x2, 9999  # too big\n", "prog.s")
    assert info.value.where == "prog.s:2"
    assert info.value.statement == "addi x1, x2, 9999"
    assert info.value.problem.startswith("operand imm=9999")
