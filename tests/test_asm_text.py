"""Text-assembler syntax details: comments, labels, constants, expressions, registers."""

from fenn.asm import Assembler, assemble_text, x1, x2
from fenn.isa import decode


def _fields(text: str):
    decoded = decode(int(assemble_text(text).words[0]))
    return decoded.mnemonic, decoded.values


def test_comments_blank_lines_and_several_labels():
    result = assemble_text("# header\n\n a: b:  # two labels\n\tNOP   # upper case\nc: .word 1, 2\n")
    assert result.symbols == {"a": 0, "b": 0, "c": 4}
    assert result.words.tolist() == [0x13, 1, 2]


def test_equ_set_and_expressions():
    result = assemble_text(".equ A, 3\n.set B, A << 4 | 1\naddi x1, x0, (B - A) * -2\n"
                           "addi x1, x0, ~A\naddi x1, x0, -7 / 2\naddi x1, x0, -7 % 2\naddi x1, x0, 0b101 ^ 0o7\n")
    assert [decode(int(w)).values[2] for w in result.words] == [(49 - 3) * -2, -4, -3, -1, 2]


def test_registers_by_abi_name_and_case():
    assert _fields("add ZERO, Ra, sp") == ("add", (0, 1, 2))
    assert _fields("add fp, s0, s11") == ("add", (8, 8, 27))
    assert _fields("add t6, a7, gp") == ("add", (31, 17, 3))
    assert _fields("vadd V31, v0, v1") == ("vadd", (31, 0, 1))


def test_memory_syntax_variants():
    assert _fields("lw x5, (x2)") == ("lw", (5, 0, 2))
    assert _fields("lw x5, (4+4)(x2)") == ("lw", (5, 8, 2))
    assert _fields(".equ OFF, -12\nsw x5, OFF(sp)") == ("sw", (5, -12, 2))


def test_branch_target_forms():
    result = assemble_text(".equ K, 8\nl: beq x1, x2, .+K\nbeq x1, x2, .- 4\nbeq x1, x2, -4\nbeq x1, x2, l\nj .\n")
    assert [decode(int(w)).values[-1] for w in result.words] == [8, -4, -4, -12, 0]


def test_text_and_builder_agree_on_csr_forms():
    a = Assembler()
    a.csrrw(x1, "MCYCLE", x2)
    a.csrrw(x1, 0xB00, x2)
    text = assemble_text("csrrw x1, mcycle, x2\ncsrrw x1, 0xb00, x2\n.equ C, 0xb00\ncsrrw x1, C, x2")
    assert a.assemble().words.tolist() == text.words.tolist()[:2] == text.words.tolist()[1:]


def test_source_entries_record_lines():
    result = assemble_text("nop\n\nli x1, 0x12345\n.word 5\n", "f.s")
    assert result.source == [(0, "nop", "f.s:1"), (4, "li x1, 0x12345", "f.s:3"), (12, ".word 5", "f.s:4")]


def test_parse_into_mixes_text_with_builder_calls():
    from fenn.asm import parse_into
    a = Assembler()
    a.j("routine")
    parse_into(a, "routine:\n  addi x1, x1, 1\n  ret\n", "firmware.s")
    a.label("after")
    result = a.assemble()
    assert result.symbols == {"routine": 4, "after": 12}
    assert result.source[1] == (4, "addi x1, x1, 1", "firmware.s:2")
    assert decode(int(result.words[0])).values == (0, 4)
