"""The generated RTL decoder agrees with fenn.isa.decode on every row and on illegal words."""

import random

import pytest

pytest.importorskip("amaranth")
from amaranth.sim import Simulator  # noqa: E402

from fenn import isa  # noqa: E402
from fenn.hw.decoder import ENCODINGS, USAGE, Decoder, bit_sources  # noqa: E402


def _words(seed=5, per_row=12, random_words=600):
    rng = random.Random(seed)
    words = []
    for row in isa.TABLE:
        words.append(row.match)                                   # all free bits zero
        words.append(row.match | (0xFFFFFFFF & ~row.mask))        # all free bits one
        for _ in range(per_row):
            words.append(row.match | (rng.getrandbits(32) & ~row.mask))
        for bit in range(32):                                      # near misses
            if row.mask >> bit & 1:
                words.append(row.match ^ (1 << bit))
    words += [rng.getrandbits(32) for _ in range(random_words)]
    # random words in each major opcode, so the illegal corners of every group are hit
    for opcode in isa.OPCODES.values():
        words += [(rng.getrandbits(32) & ~0x7F) | opcode for _ in range(40)]
    return words


def _expected(word):
    try:
        return isa.decode(word)
    except isa.IllegalInstruction:
        return None


def test_bit_sources_reproduce_every_encoding():
    rng = random.Random(1)
    for name, enc in ENCODINGS.items():
        sources = bit_sources(enc)
        for _ in range(200):
            w = rng.getrandbits(32)
            value = sum(((w >> s) & 1) << j for j, s in enumerate(sources) if s is not None)
            assert value == enc.get(w) & 0xFFFFFFFF, name


def test_decoder_matches_isa_decode():
    dut = Decoder()
    words = _words()
    mismatches = []
    legal_seen = set()

    async def bench(ctx):
        for word in words:
            ctx.set(dut.inst, word)
            expected = _expected(word)
            illegal = ctx.get(dut.illegal)
            if expected is None:
                if not illegal:
                    mismatches.append((hex(word), "should be illegal", isa.TABLE[ctx.get(dut.op)].mnemonic))
                continue
            row = expected.instruction
            legal_seen.add(row.mnemonic)
            if illegal or isa.TABLE[ctx.get(dut.op)] is not row:
                mismatches.append((hex(word), row.mnemonic, "decoded as", ctx.get(dut.op), illegal))
                continue
            if ctx.get(dut.rows) != 1 << isa.TABLE.index(row):
                mismatches.append((hex(word), "rows not one-hot"))
            for op, value in zip(row.operands, expected.values):
                name = next(n for n, e in ENCODINGS.items() if e is op.encoding)
                got = ctx.get(getattr(dut, name))
                if got != value:
                    mismatches.append((hex(word), row.mnemonic, op.name, got, value))
            for flag, uses in USAGE.items():
                if ctx.get(getattr(dut, flag)) != uses(row):
                    mismatches.append((hex(word), row.mnemonic, flag))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert not mismatches, mismatches[:10]
    assert legal_seen == {row.mnemonic for row in isa.TABLE}
