"""Round trip over the full operand ranges of every instruction of the table:
builder -> word -> decode -> text -> text assembler -> the same word."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fenn.asm import PSEUDOS, Assembler, VReg, XReg, assemble_text, method_name
from fenn.disasm import disassemble
from fenn.isa import TABLE, Kind, decode

SETTINGS = settings(max_examples=3000, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _values(op):
    """Every legal value of an operand, edges first so shrinking and sampling hit them."""
    if op.kind is Kind.XREG:
        return st.integers(0, 31).map(XReg)
    if op.kind is Kind.VREG:
        return st.integers(0, 31).map(VReg)
    enc = op.encoding
    lo, hi, step = enc.lo_value, enc.hi_value, enc.step
    edges = sorted({lo, hi, 0 if lo <= 0 <= hi else lo, min(hi, max(lo, step)), max(lo, -step)})
    return st.one_of(st.sampled_from(edges), st.integers(lo // step, hi // step).map(lambda k: k * step))


@st.composite
def instructions(draw):
    row = draw(st.sampled_from(TABLE))
    return row, tuple(draw(_values(op)) for op in row.operands)


def _round_trip(row, values):
    a = Assembler()
    getattr(a, method_name(row.mnemonic))(*values)
    words = a.assemble().words.tolist()
    assert len(words) == 1
    decoded = decode(words[0], strict=True)
    assert decoded.mnemonic == row.mnemonic
    assert decoded.values == tuple(int(v) for v in values)
    text = disassemble(words[0])
    assert assemble_text(text).words.tolist() == words, text
    return words[0]


@SETTINGS
@given(instructions())
def test_builder_decode_text_round_trip(case):
    _round_trip(*case)


@pytest.mark.parametrize("row", TABLE, ids=[r.mnemonic for r in TABLE])
def test_every_row_at_its_operand_extremes(row):
    """Deterministically: all operands at their minimum, then all at their maximum."""
    lows = [XReg(0) if op.kind is Kind.XREG else VReg(0) if op.kind is Kind.VREG else op.encoding.lo_value
            for op in row.operands]
    highs = [XReg(31) if op.kind is Kind.XREG else VReg(31) if op.kind is Kind.VREG else op.encoding.hi_value
             for op in row.operands]
    assert _round_trip(row, lows) != _round_trip(row, highs) or not row.operands


@settings(max_examples=1000, derandomize=True, deadline=None, database=None)
@given(st.integers(0, 0xFFFFFFFF))
def test_any_word_disassembles_to_text_that_reassembles_to_it(word):
    assert assemble_text(disassemble(word)).words.tolist() == [word]


def test_words_of_every_table_row_with_random_ignored_bits_reassemble():
    rng = random.Random(7)
    for row in TABLE:
        for _ in range(20):
            word = (row.match | (rng.getrandbits(32) & ~row.mask)) & 0xFFFFFFFF
            text = disassemble(word)
            assert assemble_text(text).words.tolist() == [word], text
            assert decode(word).mnemonic == row.mnemonic


@st.composite
def pseudo_calls(draw):
    pseudo = draw(st.sampled_from(sorted(PSEUDOS.values(), key=lambda p: p.mnemonic)))
    return pseudo, tuple(draw(_values(op)) for op in pseudo.operands)


def _text_operand(op, value):
    if op.kind is Kind.OFFSET:
        return f".{value:+d}"
    return str(value)


@settings(max_examples=500, derandomize=True, deadline=None, database=None)
@given(pseudo_calls())
def test_pseudo_builder_and_text_agree(case):
    pseudo, values = case
    a = Assembler()
    getattr(a, method_name(pseudo.mnemonic))(*values)
    words = a.assemble().words.tolist()
    text = f"{pseudo.mnemonic} {', '.join(_text_operand(op, v) for op, v in zip(pseudo.operands, values))}"
    assert assemble_text(text).words.tolist() == words
    listing = "\n".join(disassemble(w) for w in words)
    assert assemble_text(listing).words.tolist() == words
