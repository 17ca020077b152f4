"""Pseudo-instructions expand as their documented text says (the text is the expansion)."""

import re

import pytest

from fenn.asm import assemble_text
from fenn.asm.pseudo import PSEUDOS, _as_written


@pytest.mark.parametrize("mnemonic, values, expected", [
    ("blez", (5, 40), [("bge", 0, 5, 40)]),            # x0 first, operand second
    ("bgt", (5, 6, 40), [("blt", 6, 5, 40)]),          # operands swapped
    ("jr", (7,), [("jalr", 0, 0, 7)]),                  # offset(base) in table order
    ("ret", (), [("jalr", 0, 0, 1)]),
    ("not", (3, 4), [("xori", 3, 4, -1)]),              # a negative literal
    ("csrwi", (0x320, 5), [("csrrwi", 0, 0x320, 5)]),
])
def test_expansion_follows_the_text(mnemonic, values, expected):
    assert PSEUDOS[mnemonic].expand(*values) == expected


def test_expansion_text_assembles_like_the_pseudo():
    """Every pseudo but li (whose expansion depends on the value) against its own summary."""
    text = {"rd": "x3", "rs": "x5", "rt": "x6", "target": "0", "csr": "mhartid", "zimm": "7"}
    for name, pseudo in PSEUDOS.items():
        if name == "li":
            continue
        names = [op.name for op in pseudo.operands]
        args = ", ".join(text[n] for n in names)
        mnemonic, _, rest = pseudo.summary.partition(" ")
        rest = re.sub(r"\b\w+\b", lambda m: text[m[0]] if m[0] in names else m[0], rest)
        assert assemble_text(f"{name} {args}").words == assemble_text(f"{mnemonic} {rest}").words, name


def test_an_expansion_naming_an_unknown_field_is_refused():
    with pytest.raises(AssertionError, match="'x9' is not an operand"):
        _as_written(PSEUDOS["beqz"].operands, "beq rs, x9, target")
