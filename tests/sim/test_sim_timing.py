"""The cycle model of docs/timing.md, instruction by instruction (expected counts by hand)."""

import numpy as np
import pytest

from fenn.asm import assemble_text
from fenn.errors import MachineFault
from fenn.sim import Machine
from sim_helpers import SMALL, run_words, small_machine  # noqa: F401 (fixture)

MCOUNTINHIBIT, MCYCLE, MINSTRET, MCYCLEH = 0x320, 0xB00, 0xB02, 0xB80


def run_text(source, m=None, **kw):
    m = m or Machine(SMALL, **kw)
    m.load(assemble_text(source).words)
    return m, m.run(max_steps=100_000)


def test_worked_example_takes_40_cycles():
    m, status = run_text("""
        li   t0, 10
    loop:
        addi t0, t0, -1
        bnez t0, loop
        ecall
    """)
    assert status.cycles == 40
    assert status.instructions == 21
    assert status.stats["stalls"] == {"branch": 18, "load_use": 0, "vload_use": 0, "mul_use": 0,
                                       "rng_use": 0, "dma_wait": 0}
    assert status.stats["mnemonics"] == {"addi": 11, "bne": 10, "ecall": 1}


def test_jumps_cost_three_cycles(small_machine):
    # jal 0 -> 8 (3 cycles), addi at 8 (1), jalr back to 4? no: jalr x0, 16(x0) -> 16 (3), ecall at 16 (1)
    status = run_words(small_machine, [("jal", 0, 8), ("addi", 1, 0, 1), ("jalr", 0, 16, 0), ("addi", 1, 0, 2)])
    assert small_machine.x[1] == 0 and status.pc == 16
    assert status.cycles == 3 + 3 + 1
    assert status.stats["stalls"]["branch"] == 4


@pytest.mark.parametrize("follower, stalls", [
    (("add", 6, 5, 0), 1),        # rs1
    (("add", 6, 0, 5), 1),        # rs2
    (("sw", 5, 0, 0), 1),         # store data (rs2)
    (("lw", 6, 0, 5), 1),         # load base
    (("add", 5, 6, 6), 0),        # writes x5 but does not read it
    (("vfill", 1, 5), 1),         # vector instruction reading x5
    (("vsel", 1, 5, 2), 1),
])
def test_scalar_load_use(small_machine, follower, stalls):
    status = run_words(small_machine, [("lw", 5, 0, 0), follower])
    assert status.stats["stalls"]["load_use"] == stalls
    assert status.cycles == 3 + stalls


def test_no_load_use_stall_for_x0_or_a_gap(small_machine):
    assert run_words(small_machine, [("lw", 0, 0, 0), ("add", 6, 0, 0)]).cycles == 3
    assert run_words(small_machine, [("lw", 5, 0, 0), ("addi", 7, 0, 0), ("add", 6, 5, 5)]).cycles == 4


@pytest.mark.parametrize("load, follower, stalls", [
    (("vloadv", 1, 0, 0), ("vadd", 2, 1, 3), 1),
    (("vloadv", 1, 0, 0), ("vadd", 2, 3, 1), 1),
    (("vloadv", 1, 0, 0), ("vadd", 1, 2, 3), 0),          # writes v1 only
    (("vloadv", 1, 0, 0), ("vsel", 1, 0, 2), 1),          # vsel reads its vd
    (("vloadv", 1, 0, 0), ("vstore", 1, 0, 64), 1),
    (("vloadv", 1, 0, 0), ("vloadl", 1, 2, 0), 1),        # vloadl reads its vd
    (("vloadv", 1, 0, 0), ("vstorel", 2, 1, 0), 1),       # addresses
    (("vloadl", 1, 2, 0), ("vextract", 5, 1, 0), 1),
    (("vloadr0", 0, 0), ("vadd", 1, 2, 2), 0),            # writes no register
])
def test_vector_load_use(small_machine, load, follower, stalls):
    status = run_words(small_machine, [load, follower], v={2: np.full(32, -1, np.int16)})
    assert status.stats["stalls"]["vload_use"] == stalls
    assert status.cycles == 3 + stalls


@pytest.mark.parametrize("producer, follower, stalls", [
    (("vmul", 4, 1, 2, 3), ("vadd", 5, 1, 2), 1),          # shift, vd, vs1, vs2; next reads v1
    (("vmul_s_rn", 4, 1, 2, 3), ("vadd", 5, 6, 1), 1),
    (("vmul", 4, 1, 2, 3), ("vadd", 1, 2, 3), 0),          # writes v1 only
    (("vsrai_rs", 3, 1, 2), ("vsel", 1, 5, 2), 1),         # vsel reads its vd
    (("vsll", 1, 2, 3), ("vstore", 1, 0, 64), 1),
    (("vslli", 2, 1, 2), ("vextract", 5, 1, 0), 1),
    (("vsra", 1, 2, 3), ("vloadl", 4, 1, 0), 1),           # lane addresses
    (("mul", 5, 6, 7), ("add", 8, 5, 0), 1),
    (("mul", 5, 6, 7), ("vfill", 1, 5), 1),
    (("mul", 0, 6, 7), ("add", 8, 0, 0), 0),               # x0: nothing to wait for
    (("ctz", 5, 6), ("add", 8, 5, 0), 1),                  # bit counts: the same second stage
    (("cpop", 5, 6), ("add", 8, 6, 0), 0),
    (("vadd", 1, 2, 3), ("vadd", 4, 1, 1), 0),             # ALU results are bypassed
])
def test_multiply_unit_use(small_machine, producer, follower, stalls):
    status = run_words(small_machine, [producer, follower])
    assert status.stats["stalls"]["mul_use"] == stalls
    assert status.cycles == 3 + stalls


@pytest.mark.parametrize("load, follower, stalls", [
    (("vloadr0", 0, 0), ("vrng", 1), 1),
    (("vloadr1", 0, 0), ("vmul_rs", 2, 1, 2, 3), 1),
    (("vloadr1", 0, 0), ("vsrai_rs", 2, 1, 2), 1),
    (("vloadr0", 0, 0), ("vmul_rn", 2, 1, 2, 3), 0),      # draws nothing
    (("vloadv", 4, 0, 0), ("vrng", 1), 0),                # not an RNG state load
])
def test_rng_state_load_then_draw(small_machine, load, follower, stalls):
    status = run_words(small_machine, [load, follower])
    assert status.stats["stalls"]["rng_use"] == stalls
    assert status.cycles == 3 + stalls


def test_strict_mode_allows_mul_use():
    """Our RTL interlocks on the multiply unit and FeNN needs no gap there: not a fault."""
    m = Machine(SMALL, strict=True)
    m.load(assemble_text("vmul 2, v1, v2, v3\n vadd v4, v1, v1\n ecall").words)
    assert m.run().stats["stalls"]["mul_use"] == 1


def test_strict_mode_turns_vload_use_into_a_fault():
    m = Machine(SMALL, strict=True)
    m.load(assemble_text("vloadv v1, x0, 0\n addi x1, x0, 1\n vadd v2, v1, v1\n ecall").words)
    m.run()      # a gap: fine
    m.load(assemble_text("addi x1, x0, 1\n vloadv v1, x0, 0\n vadd v2, v1, v1\n ecall").words)
    with pytest.raises(MachineFault, match="vload-use hazard") as info:
        m.run()
    assert info.value.pc == 4 and "vloadv" in info.value.text
    assert m.x[1] == 1 and m.pc == 4


def test_mcycle_and_minstret_reads():
    m, status = run_text("""
        csrw  mcountinhibit, x0     # issue 0; counting from cycle 1 / the next instruction
        csrr  a0, mcycle            # issue 1: 0 counted cycles before
        csrr  a1, minstret          # issue 2: 1 retired instruction (the one at 1)
        nop
        csrr  a2, mcycle            # issue 4: cycles 1..3 = 3
        csrr  a3, minstret          # issue 5: instructions 1..4 = 4
        ecall
    """)
    assert list(m.x[10:14]) == [0, 1, 3, 4]
    assert status.cycles == 7


def test_inhibit_stops_and_write_sets_counters():
    m, _ = run_text("""
        csrw  mcountinhibit, x0     # 0
        nop                         # 1
        li    t0, 5                 # 2
        csrw  mcountinhibit, t0     # 3: cycle 3 still counted; stopped from 4
        nop                         # 4
        csrr  a0, mcycle            # 5: counted cycles 1, 2, 3 = 3
        csrr  a1, minstret          # 6: instructions 1, 2, 3 = 3
        li    t1, 100               # 7
        csrw  mcycle, t1            # 8: written value
        csrw  mcountinhibit, x0     # 9: counting again from 10
        nop                         # 10
        csrr  a2, mcycle            # 11: 100 + cycle 10 = 101
        csrr  a3, mcycleh           # 12
        ecall
    """)
    assert list(m.x[10:14]) == [3, 3, 101, 0]


def test_run_status_cycles_ignore_the_inhibit_bit(small_machine):
    status = run_words(small_machine, [("addi", 1, 0, 1)] * 5)
    assert status.cycles == 6 and status.instructions == 5
    assert small_machine.csr("mcycle") == 0 and small_machine.csr("minstret") == 0


def test_stall_accounting_adds_up():
    m, status = run_text("""
        li   t0, 4
        li   t1, 0
    loop:
        lw   t2, 0(t1)
        add  t3, t2, t2
        vloadv v1, t1, 0
        vadd v2, v1, v1
        addi t0, t0, -1
        bnez t0, loop
        ecall
    """)
    s = status.stats
    assert s["stalls"] == {"branch": 6, "load_use": 4, "vload_use": 4, "mul_use": 0, "rng_use": 0,
                           "dma_wait": 0}
    assert status.cycles == s["instructions"] + sum(s["stalls"].values()) + 1
    assert status.cycles == 2 + 4 * (6 + 1 + 1) + 3 * 2 + 1
