"""docs/isa.md is generated from the ISA table and must be up to date."""

import pathlib

from fenn.asm import PSEUDOS
from fenn.isa import BY_MNEMONIC, TABLE
from fenn.isa_doc import layout, render

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "isa.md"


def test_committed_isa_md_is_up_to_date():
    assert DOC.read_text() == render(), "regenerate it: python -m fenn.isa_doc > docs/isa.md"


def test_every_instruction_and_pseudo_is_documented():
    text = render()
    for row in TABLE:
        assert f"| `{row.mnemonic} " in text or f"| `{row.mnemonic}` |" in text, row.mnemonic
    for name in PSEUDOS:
        assert f"| `{name}" in text, name


def test_layouts_show_constant_operand_and_ignored_fields():
    assert layout(BY_MNEMONIC["beq"]) == ("31:25 target \\| 24:20 rs2 \\| 19:15 rs1 \\| 14:12=000 \\| "
                                          "11:7 target \\| 6:0=1100011")
    assert layout(BY_MNEMONIC["vmul_s_rs"]).startswith("31:29=110 \\| 28:25 shift \\| ")
    assert layout(BY_MNEMONIC["vsel"]) == ("31:25 - \\| 24:20 vs2 \\| 19:15 xs1 \\| 14:12 - \\| "
                                           "11:7 vd \\| 6:0=0001110")
    assert layout(BY_MNEMONIC["fence"]).endswith("(ignored bits written as `0x0ff00000`)")
