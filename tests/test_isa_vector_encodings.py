"""Golden words for every vector instruction, written from the isa.md tables (not from
the encoder): opcode = (op5 << 2) | 0b10, standard R/I/S/U layouts, VSOP funct7 =
{sat, rnd[1:0], shift[3:0]}, VSOP_IMM imm = {000000, rnd[1:0], shamt[3:0]}.

Each comment gives the fields the word was packed from (funct7|rs2|rs1|funct3|rd|opcode,
or imm|rs1|funct3|rd|opcode)."""

import pytest

from fenn.asm import Assembler, assemble_text, v1, v2, v3, x3
from fenn.disasm import disassemble
from fenn.isa import TABLE, IllegalInstruction, decode

GOLDEN = [
    ("vadd v1, v2, v3", 0x00310082),              # 0000000|3|2|000|1|0x02
    ("vadd_s v31, v0, v17", 0x81100F82),          # 1000000|17|0|000|31|0x02  sat
    ("vsub v4, v5, v6", 0x0062A202),              # 0000000|6|5|010|4
    ("vsub_s v7, v8, v9", 0x80942382),            # 1000000|9|8|010|7
    ("vsll v10, v11, v12", 0x00C59502),           # 0000000|12|11|001|10
    ("vsll_s v13, v14, v15", 0x80F71682),         # 1000000|15|14|001|13
    ("vand v16, v17, v18", 0x0128B802),           # 0000000|18|17|011|16
    ("vsra v19, v20, v21", 0x015A5982),           # 0000000|21|20|101|19
    ("vmul 7, v1, v2, v3", 0x0E314082),           # 0 00 0111|3|2|100|1      floor, shift 7
    ("vmul_rn 15, v4, v5, v6", 0x3E62C202),       # 0 01 1111|6|5|100|4      nearest
    ("vmul_rs 1, v7, v8, v9", 0x42944382),        # 0 10 0001|9|8|100|7      stochastic
    ("vmul_s 0, v10, v11, v12", 0x80C5C502),      # 1 00 0000|12|11|100|10   saturating
    ("vmul_s_rn 3, v13, v14, v15", 0xA6F74682),   # 1 01 0011|15|14|100|13
    ("vmul_s_rs 15, v30, v31, v29", 0xDFDFCF02),  # 1 10 1111|29|31|100|30
    ("vslli 5, v7, v8", 0x005403A6),              # imm 000000 00 0101|8|000|7|0x26
    ("vsrai 15, v9, v10", 0x00F514A6),            # imm 000000 00 1111|10|001|9
    ("vsrai_rn 1, v11, v12", 0x011615A6),         # imm 000000 01 0001|12|001|11
    ("vsrai_rs 9, v13, v14", 0x029716A6),         # imm 000000 10 1001|14|001|13
    ("vteq x5, v1, v2", 0x0020828A),              # 0000000|2|1|000|5|0x0A
    ("vtne x6, v3, v4", 0x0041A30A),              # 0000000|4|3|010|6
    ("vtlt x7, v5, v6", 0x0062C38A),              # 0000000|6|5|100|7
    ("vtge x31, v7, v8", 0x0083EF8A),             # 0000000|8|7|110|31
    ("vsel v3, x4, v5", 0x0052018E),              # 0000000|5|4|000|3|0x0E
    ("vlui v9, 0xb4c0f", 0xB4C0F486),             # imm20 0xb4c0f|9|0x06
    ("vlui v0, 0xfffff", 0xFFFFF006),             # imm20 0xfffff|0
    ("vfill v2, x7", 0x0003811A),                 # imm 0|7|000|2|0x1A
    ("vextract x9, v3, 31", 0x01F1949A),          # imm 31|3|001|9|0x1A
    ("vrng v6", 0x00000322),                      # 0000000|0|0|000|6|0x22
    ("vandadd 12, v1, v2, x3", 0x183110A2),       # 000 1100|3|2|001|1|0x22
    ("vloadv v5, x9, -64", 0xFC048292),           # imm -64|9|000|5|0x12
    ("vloadr0 x4, 128", 0x08021012),              # imm 128|4|001|0|0x12
    ("vloadr1 x8, -2048", 0x80045012),            # imm -2048|8|101|0
    ("vloadl v1, v2, 2046", 0x7FE12092),          # imm 2046|2|010|1
    ("vstore v5, x2, 1077", 0x42510A96),          # imm[11:5] 0x21|5|2|000|imm[4:0] 0x15|0x16
    ("vstorel v12, v30, -1", 0xFECF2F96),         # imm[11:5] 0x7f|12|30|010|imm[4:0] 0x1f
    ("vstorel v1, v2, 2047", 0x7E112F96),         # imm[11:5] 0x3f|1|2|010|imm[4:0] 0x1f
]


def test_every_vector_instruction_has_a_golden_word():
    vector_mnemonics = {row.mnemonic for row in TABLE if row.is_vector}
    assert {text.split()[0] for text, _ in GOLDEN} == vector_mnemonics


@pytest.mark.parametrize("text, word", GOLDEN, ids=[t for t, _ in GOLDEN])
def test_text_assembles_to_golden_word(text, word):
    assert assemble_text(text).words.tolist() == [word]


@pytest.mark.parametrize("text, word", GOLDEN, ids=[t for t, _ in GOLDEN])
def test_golden_word_decodes_and_disassembles_to_text(text, word):
    decoded = decode(word, strict=True)
    assert decoded.mnemonic == text.split()[0]
    assert disassemble(word) == text


def test_builder_matches_golden_words():
    a = Assembler()
    a.vadd(v1, v2, v3)
    a.vandadd(12, v1, v2, x3)
    assert a.assemble().words.tolist() == [0x00310082, 0x183110A2]


# Encodings the spec makes illegal: the disassembler shows them as data words with the
# decoder's reason, and they still reassemble to the same bytes.
ILLEGAL = [
    (0x60314082, "rounding mode 11"),             # vmul with rnd = 11
    (0x20310082, "rounding is only legal"),       # vadd with rnd = 01
    (0x031715A6, "rounding mode 11"),             # vsrai with imm rnd = 11
    (0x0020928A, "funct3"),                       # VTST funct3 001
    (0x00003322, "funct3"),                       # VSPC funct3 011
    (0x00108322, "vrng requires"),                # vrng with rs1 = 1
    (0x0200949A, "vextract lane"),                # vextract with imm bit 25 set (lane 32)
    (0x0000709A, "funct3"),                       # VMOV funct3 111
]


@pytest.mark.parametrize("word, reason", ILLEGAL, ids=[hex(w) for w, _ in ILLEGAL])
def test_illegal_vector_words_are_data_with_a_reason(word, reason):
    with pytest.raises(IllegalInstruction):
        decode(word)
    text = disassemble(word)
    assert text.startswith(f".word 0x{word:08x}  # illegal: ") and reason in text
    assert assemble_text(text).words.tolist() == [word]


# Ignored fields (isa.md §3): accepted by the decoder, shown with the bits, reassembled exactly.
IGNORED = [
    (0x0E310082, "vadd v1, v2, v3", 0x0E000000),    # VSOP funct7 shift bits on vadd
    (0xE0F514A6, "vsrai 15, v9, v10", 0xE0000000),  # VSOP_IMM imm bits 11:9
    (0x8052718E, "vsel v3, x4, v5", 0x80007000),    # VSEL funct3 and funct7
    (0x0A20828A, "vteq x5, v1, v2", 0x0A000000),    # VTST funct7
    (0x0013811A, "vfill v2, x7", 0x00100000),       # vfill immediate
    (0xF83110A2, "vandadd 12, v1, v2, x3", 0xE0000000),  # vandadd funct7[6:4]
    (0x08021F92, "vloadr0 x4, 128", 0x00000F80),    # vloadr0 rd field
]


@pytest.mark.parametrize("word, text, bits", IGNORED, ids=[hex(w) for w, _, _ in IGNORED])
def test_ignored_fields_are_shown_and_reassemble(word, text, bits):
    decoded = decode(word)
    assert decoded.ignored_bits == bits
    shown = disassemble(word)
    assert shown == f".word 0x{word:08x}  # {text} (ignored bits 0x{bits:08x})"
    assert assemble_text(shown).words.tolist() == [word]
    assert assemble_text(text).words.tolist() == [word & ~bits]
