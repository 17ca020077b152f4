"""Disassembler output conventions (docs/assembly.md, 'Disassembly')."""

from fenn.asm import assemble_text
from fenn.disasm import disassemble, disassemble_program


def _word(text: str) -> int:
    return int(assemble_text(text).words[0])


def test_formats_by_operand_kind():
    assert disassemble(_word("lw a0, -8(sp)")) == "lw x10, -8(x2)"
    assert disassemble(_word("sw t0, 2047(zero)")) == "sw x5, 2047(x0)"
    assert disassemble(_word("jalr ra, 0(t1)")) == "jalr x1, 0(x6)"
    assert disassemble(_word("lui x1, 0x12")) == "lui x1, 0x00012"
    assert disassemble(_word("auipc x1, 0xfffff")) == "auipc x1, 0xfffff"
    assert disassemble(_word("beq x1, x2, .")) == "beq x1, x2, .+0"
    assert disassemble(_word("jal x0, -8")) == "jal x0, .-8"
    assert disassemble(_word("sext.h x3, x4")) == "sext.h x3, x4"
    assert disassemble(_word("fence")) == "fence"
    assert disassemble(_word("vloadr1 x3, -4")) == "vloadr1 x3, -4"


def test_csr_names_and_numbers():
    word = _word("csrrw x1, mm2s_control, x2")
    assert disassemble(word) == "csrrw x1, mm2s_control, x2"
    assert disassemble(word, csr_names=False) == "csrrw x1, 0xbc3, x2"
    assert disassemble(_word("csrrs x1, 0x123, x0")) == "csrrs x1, 0x123, x0"   # unnamed CSR
    assert disassemble(_word("csrrci x1, mcountinhibit, 5")) == "csrrci x1, mcountinhibit, 5"


def test_illegal_and_ignored_bits():
    assert disassemble(0xFFFFFFFF) == ".word 0xffffffff  # illegal: unknown opcode 0x7f"
    assert disassemble(0x00000000).startswith(".word 0x00000000  # illegal: compressed")
    assert disassemble(0x02001033).startswith(".word 0x02001033  # illegal: mulh is an M instruction FeNN does not")
    assert disassemble(0x0000000F) == ".word 0x0000000f  # fence (ignored bits 0x0ff00000)"


def test_listing_labels_at_and_past_the_end():
    words = assemble_text("a: nop\nb:\nc: nop\nend:").words
    listing = disassemble_program(words, {"a": 0, "b": 4, "c": 4, "end": 8, "odd": 6, "far": 64})
    lines = listing.splitlines()
    assert lines[0] == "a:" and lines[2:4] == ["b:", "c:"]
    assert "end:" in lines and "# (at 0x6, outside the words) odd:" in lines
    assert "# (at 0x40, outside the words) far:" in lines
    again = assemble_text(listing)
    assert again.words.tolist() == words.tolist()
    assert again.symbols == {"a": 0, "b": 4, "c": 4, "end": 8}


def test_listing_notes_source_and_targets():
    result = assemble_text("top:\n  li x5, 0x12345678\n  bnez x5, top\n", "s.s")
    lines = result.listing().splitlines()
    assert "| li x5, 0x12345678  @ s.s:2" in lines[1]
    assert "| " not in lines[2]                  # the second word of li has no source note
    assert "-> top" in lines[3] and "bne x5, x0, .-8" in lines[3]


def test_symbols_that_are_not_labels_become_comments():
    listing = disassemble_program([0x13], {"buf[3]": 0, "ok": 0})
    assert listing.splitlines()[:2] == ["# buf[3]:", "ok:"]
    assert assemble_text(listing).symbols == {"ok": 0}
