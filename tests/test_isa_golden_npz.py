"""Every ``inst`` of the golden vector file decodes to its stored mnemonic and fields,
re-encodes to the same word, disassembles to its stored ``asm`` and reassembles."""

import pathlib

import numpy as np
import pytest

from fenn.asm import assemble_text
from fenn.disasm import disassemble
from fenn.isa import decode, encode


GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "spec/vectors/fenn_vector_golden.npz"


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN) as data:
        return {key: data[key] for key in data.files}


def _cases(golden):
    """(group, word, mnemonic, asm, expected raw fields) for every stored instruction word."""
    for group in golden["groups"]:
        get = lambda name: golden.get(f"{group}.{name}")
        insts, mnems, asms = get("inst"), get("mnemonic"), get("asm")
        for c in range(len(insts)):
            if insts.ndim == 2:       # vloadv then vstore
                yield group, int(insts[c, 0]), str(mnems[c, 0]), str(asms[c, 0]), \
                    {"rd": get("rd")[c], "rs1": get("load_rs1")[c], "imm": get("load_imm")[c]}
                yield group, int(insts[c, 1]), str(mnems[c, 1]), str(asms[c, 1]), \
                    {"rs2": get("rd")[c], "rs1": get("store_rs1")[c], "imm": get("store_imm")[c]}
            else:
                fields = {k: get(k)[c] for k in ("rd", "rs1", "rs2", "shift", "rnd", "sat", "imm")
                          if get(k) is not None}
                yield group, int(insts[c]), str(mnems[c]), str(asms[c]), fields


# operand name in fenn.isa -> field name in the golden file
_FIELD_OF = {"vd": "rd", "xd": "rd", "vs1": "rs1", "xs1": "rs1", "vs2": "rs2", "xs2": "rs2",
             "shift": "shift", "shamt": "shift", "k": "shift", "imm": "imm", "lane": "imm"}


def _raw_bits(word: int) -> dict[str, int]:
    """Fields read straight from the word by the isa.md layout (independent of fenn.isa)."""
    opcode = word & 0x7F
    bits = {"rd": (word >> 7) & 31, "rs1": (word >> 15) & 31, "rs2": (word >> 20) & 31}
    if opcode == 0x02:        # VSOP: funct7 = sat, rnd, shift
        bits.update(sat=word >> 31, rnd=(word >> 29) & 3, shift=(word >> 25) & 15)
    elif opcode == 0x26:      # VSOP_IMM: imm = 000000, rnd, shamt
        bits.update(rnd=(word >> 24) & 3, shift=(word >> 20) & 15)
    return bits


def test_file_has_every_group(golden):
    assert len(golden["groups"]) == 31
    assert sum(1 for _ in _cases(golden)) == 4222 + 128 + 64   # two words per memory case


def test_every_word_decodes_to_its_mnemonic_and_fields(golden):
    checked = 0
    for group, word, mnemonic, _, fields in _cases(golden):
        decoded = decode(word, strict=True)
        assert decoded.mnemonic == mnemonic, (group, hex(word))
        raw = _raw_bits(word)
        for name, value in decoded.fields.items():
            assert int(fields[_FIELD_OF[name]]) == value, (group, hex(word), name)
        for name in ("rnd", "sat", "shift"):
            if name in fields and name in raw:
                assert int(fields[name]) == raw[name], (group, hex(word), name)
        # the mnemonic's suffixes are the rounding and saturation bits
        if "sat" in fields:
            assert ("_s" in mnemonic.replace("_rs", "")) == bool(fields["sat"]), (group, hex(word))
        if "rnd" in fields:
            assert {0: "", 1: "_rn", 2: "_rs"}[int(fields["rnd"])] in mnemonic, (group, hex(word))
        assert encode(mnemonic, *decoded.values) == word
        checked += 1
    assert checked == 4414


def test_every_word_disassembles_to_its_asm_and_reassembles(golden):
    cases = list(_cases(golden))
    for group, word, _, asm, _ in cases:
        assert disassemble(word) == asm, (group, hex(word))
    words = assemble_text("\n".join(asm for *_, asm, _ in cases)).words
    assert words.tolist() == [word for _, word, *_ in cases]
