"""Every scalar instruction on edge operands, in the style of the RISC-V architectural
tests: each row is (instruction, inputs, expected signature), expected values written by
hand here (not computed by a model)."""

import numpy as np
import pytest

from sim_helpers import run_words, small_machine  # noqa: F401 (fixture)

M32 = 0xFFFFFFFF

# (mnemonic, rs1 value, rs2 value, expected rd) -- register-register ops, rd = x3
RR = [
    ("add", 0x7FFFFFFF, 1, 0x80000000), ("add", 0xFFFFFFFF, 1, 0), ("add", 0x80000000, 0x80000000, 0),
    ("sub", 0, 1, 0xFFFFFFFF), ("sub", 0x80000000, 1, 0x7FFFFFFF), ("sub", 5, 5, 0),
    ("sll", 1, 31, 0x80000000), ("sll", 1, 33, 2), ("sll", 0xFFFFFFFF, 0, 0xFFFFFFFF),
    ("slt", 0xFFFFFFFF, 1, 1), ("slt", 0x80000000, 0x7FFFFFFF, 1), ("slt", 1, 0xFFFFFFFF, 0), ("slt", 3, 3, 0),
    ("sltu", 0xFFFFFFFF, 1, 0), ("sltu", 1, 0xFFFFFFFF, 1), ("sltu", 0, 0, 0),
    ("xor", 0xF0F0F0F0, 0xFF00FF00, 0x0FF00FF0), ("or", 0xF0F0F0F0, 0x0F0F0F0F, 0xFFFFFFFF),
    ("and", 0xF0F0F0F0, 0xFF00FF00, 0xF000F000),
    ("srl", 0x80000000, 31, 1), ("srl", 0x80000000, 32, 0x80000000), ("srl", 0xFFFFFFFF, 4, 0x0FFFFFFF),
    ("sra", 0x80000000, 31, 0xFFFFFFFF), ("sra", 0x80000000, 4, 0xF8000000), ("sra", 0x7FFFFFFF, 30, 1),
    ("mul", 0xFFFFFFFF, 0xFFFFFFFF, 1), ("mul", 0x80000000, 2, 0), ("mul", 0x12345678, 0x9ABCDEF0, 0x242D2080),
    ("mul", 0xFFFF8000, 7, 0xFFFC8000), ("mul", 0xFFFFFFFD, 5, 0xFFFFFFF1),
]

# (mnemonic, rs1 value, immediate, expected rd)
RI = [
    ("addi", 0, -2048, 0xFFFFF800), ("addi", 0x7FFFFFFF, 1, 0x80000000), ("addi", 1, 2047, 0x800),
    ("slti", 0xFFFFFFFF, 0, 1), ("slti", 0, -1, 0), ("slti", 0x80000000, -2048, 1),
    ("sltiu", 0, -1, 1), ("sltiu", 0xFFFFFFFF, -1, 0), ("sltiu", 5, 6, 1),
    ("xori", 0x12345678, -1, 0xEDCBA987), ("ori", 0x10, -2048, 0xFFFFF810), ("andi", 0xFFFFFFFF, 0x7FF, 0x7FF),
    ("andi", 0x12345678, -16, 0x12345670),
    ("slli", 1, 31, 0x80000000), ("slli", 0xFFFFFFFF, 4, 0xFFFFFFF0),
    ("srli", 0x80000000, 31, 1), ("srli", 0xFFFFFFFF, 0, 0xFFFFFFFF),
    ("srai", 0x80000000, 31, 0xFFFFFFFF), ("srai", 0x40000000, 30, 1),
]

# (mnemonic, rs1 value, expected rd): Zbb unary
UNARY = [
    ("clz", 0, 32), ("clz", 1, 31), ("clz", 0x80000000, 0), ("clz", 0x00010000, 15),
    ("ctz", 0, 32), ("ctz", 0x80000000, 31), ("ctz", 1, 0), ("ctz", 0x00010000, 16),
    ("cpop", 0, 0), ("cpop", 0xFFFFFFFF, 32), ("cpop", 0x80000001, 2), ("cpop", 0x0F0F0F0F, 16),
    ("sext.b", 0x80, 0xFFFFFF80), ("sext.b", 0x7F, 0x7F), ("sext.b", 0xFFFFFF00, 0),
    ("sext.h", 0x8000, 0xFFFF8000), ("sext.h", 0x12347FFF, 0x7FFF),
]


@pytest.mark.parametrize("mnemonic, a, b, expected", RR)
def test_register_register(small_machine, mnemonic, a, b, expected):
    run_words(small_machine, [(mnemonic, 3, 1, 2)], x={1: a, 2: b})
    assert small_machine.x[3] == expected


@pytest.mark.parametrize("mnemonic, a, imm, expected", RI)
def test_register_immediate(small_machine, mnemonic, a, imm, expected):
    run_words(small_machine, [(mnemonic, 3, 1, imm)], x={1: a})
    assert small_machine.x[3] == expected


@pytest.mark.parametrize("mnemonic, a, expected", UNARY)
def test_zbb_unary(small_machine, mnemonic, a, expected):
    run_words(small_machine, [(mnemonic, 3, 1)], x={1: a})
    assert small_machine.x[3] == expected


def test_same_register_sources_and_destination(small_machine):
    run_words(small_machine, [("add", 1, 1, 1), ("sub", 2, 2, 2), ("mul", 3, 3, 3)],
              x={1: 0x40000000, 2: 7, 3: 0x10000})
    assert list(small_machine.x[1:4]) == [0x80000000, 0, 0]


def test_x0_ignores_writes_and_reads_zero(small_machine):
    run_words(small_machine, [("addi", 0, 0, 5), ("lui", 0, 0xFFFFF), ("add", 1, 0, 0), ("lw", 0, 0, 0)])
    assert small_machine.x[0] == 0 and small_machine.x[1] == 0


def test_lui_and_auipc(small_machine):
    run_words(small_machine, [("lui", 1, 0xFFFFF), ("auipc", 2, 1), ("auipc", 3, 0xFFFFF)])
    assert small_machine.x[1] == 0xFFFFF000
    assert small_machine.x[2] == 0x1004              # pc 4 + (1 << 12)
    assert small_machine.x[3] == 0xFFFFF008          # pc 8 - 4096


def test_loads_sign_and_zero_extend():
    from fenn.sim import Machine
    from sim_helpers import SMALL
    m = Machine(SMALL)
    dmem = np.zeros(64, np.uint8)
    dmem[16:24] = [0x80, 0x7F, 0x01, 0x80, 0x78, 0x56, 0x34, 0x92]
    run_words(m, [("lb", 3, 0, 1), ("lbu", 4, 0, 1), ("lb", 5, 1, 1), ("lh", 6, 2, 1), ("lhu", 7, 2, 1),
                  ("lw", 8, 4, 1), ("lw", 9, -4, 2), ("lh", 10, -8, 2)], x={1: 16, 2: 24}, dmem=dmem)
    assert list(m.x[3:11]) == [0xFFFFFF80, 0x80, 0x7F, 0xFFFF8001, 0x8001, 0x92345678, 0x92345678, 0x7F80]


def test_stores_are_little_endian_and_sized(small_machine):
    m = small_machine
    run_words(m, [("sw", 2, 0, 1), ("sh", 2, 4, 1), ("sb", 2, 7, 1), ("sb", 3, 8, 1), ("sh", 3, 10, 1)],
              x={1: 32, 2: 0x11223344, 3: 0xFFFFFF80})
    assert list(m.dmem[32:44]) == [0x44, 0x33, 0x22, 0x11, 0x44, 0x33, 0, 0x44, 0x80, 0, 0x80, 0xFF]


# (mnemonic, a, b, taken)
BRANCHES = [
    ("beq", 5, 5, True), ("beq", 5, 6, False), ("bne", 5, 6, True), ("bne", 0, 0, False),
    ("blt", 0xFFFFFFFF, 0, True), ("blt", 0, 0xFFFFFFFF, False), ("blt", 3, 3, False),
    ("bge", 0, 0xFFFFFFFF, True), ("bge", 3, 3, True), ("bge", 0x80000000, 0x7FFFFFFF, False),
    ("bltu", 0, 0xFFFFFFFF, True), ("bltu", 0xFFFFFFFF, 0, False), ("bltu", 7, 7, False),
    ("bgeu", 0xFFFFFFFF, 0, True), ("bgeu", 7, 7, True), ("bgeu", 0, 1, False),
]


@pytest.mark.parametrize("mnemonic, a, b, taken", BRANCHES)
def test_branches(small_machine, mnemonic, a, b, taken):
    # taken: skip the addi that sets x3 = 1; the run then costs 2 extra cycles
    status = run_words(small_machine, [(mnemonic, 1, 2, 8), ("addi", 3, 0, 1), ("addi", 4, 0, 1)],
                       x={1: a, 2: b})
    assert small_machine.x[3] == (0 if taken else 1)
    assert small_machine.x[4] == 1
    assert status.cycles == (3 + 1 + 1 if taken else 1 + 1 + 1 + 1)


def test_backward_branch_and_jal_link(small_machine):
    m = small_machine
    # 0: jal x1, +12 -> 12 ; 4: addi x5,x0,9 ; 8: ecall-ish skipped ; 12: addi x2, x1, 0
    run_words(m, [("jal", 1, 12), ("addi", 5, 0, 9), ("addi", 5, 0, 10), ("addi", 2, 1, 0)])
    assert m.x[1] == 4 and m.x[2] == 4 and m.x[5] == 0


def test_jalr_clears_bit0_and_links_after_reading_rs1(small_machine):
    m = small_machine
    # x1 = 9 -> target (9 + 4) & ~1 = 12; rd == rs1 must see the old x1
    run_words(m, [("jalr", 1, 4, 1), ("addi", 5, 0, 1), ("addi", 5, 0, 2), ("addi", 6, 0, 3)], x={1: 9})
    assert m.x[1] == 4 and m.x[5] == 0 and m.x[6] == 3


def test_fence_is_a_no_op_and_ecall_ebreak_halt(small_machine):
    m = small_machine
    status = run_words(m, [("fence",), ("fence.i",), ("addi", 1, 0, 1)])
    assert status.reason == "ecall" and m.x[1] == 1
    status = run_words(m, [("ebreak",), ("addi", 1, 0, 7)])
    assert status.reason == "ebreak" and status.pc == 0 and m.x[1] == 0


def test_csr_read_write_set_clear(small_machine):
    m = small_machine
    src = 0xBC0     # MM2S_SRC: an ordinary read/write register
    run_words(m, [("csrrw", 1, src, 2), ("csrrs", 3, src, 4), ("csrrc", 5, src, 6), ("csrrs", 7, src, 0),
                  ("csrrwi", 8, src, 31), ("csrrsi", 9, src, 0), ("csrrci", 10, src, 3), ("csrrs", 11, src, 0)],
              x={2: 0xF0, 4: 0x0F, 6: 0x11})
    assert list(m.x[[1, 3, 5, 7, 8, 9, 10, 11]]) == [0, 0xF0, 0xFF, 0xEE, 0xEE, 31, 31, 28]


def test_mhartid_and_reset_state(small_machine):
    m = small_machine
    run_words(m, [("csrrs", 1, 0xF14, 0), ("csrrs", 2, 0x320, 0), ("csrrs", 3, 0xFC0, 0), ("csrrs", 4, 0xFD0, 0)])
    assert list(m.x[1:5]) == [0, 0b101, 0b10, 0b10]


# ---------------------------------------------------------------- random operands vs a model
from hypothesis import given, settings, strategies as st  # noqa: E402


def _s(a):
    return a - (1 << 32) if a & 0x80000000 else a


MODEL = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "xor": lambda a, b: a ^ b,
    "or": lambda a, b: a | b, "and": lambda a, b: a & b, "mul": lambda a, b: a * b,
    "sll": lambda a, b: a << (b & 31), "srl": lambda a, b: a >> (b & 31),
    "sra": lambda a, b: _s(a) >> (b & 31), "slt": lambda a, b: int(_s(a) < _s(b)),
    "sltu": lambda a, b: int(a < b),
}
WORDS = st.one_of(st.integers(0, 2**32 - 1),
                  st.sampled_from([0, 1, 2, 31, 32, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF]))


@pytest.mark.parametrize("mnemonic", sorted(MODEL))
@settings(max_examples=40, deadline=None, derandomize=True)
@given(a=WORDS, b=WORDS)
def test_register_register_random(small_machine, mnemonic, a, b):
    run_words(small_machine, [(mnemonic, 3, 1, 2)], x={1: a, 2: b})
    assert small_machine.x[3] == MODEL[mnemonic](a, b) & M32
