"""Every fault kind raises MachineFault naming cause, pc, instruction and cycle, and
leaves the machine as it was when the faulting instruction issued."""

import numpy as np
import pytest

from fenn.asm import assemble_text
from fenn.errors import FennError, MachineFault
from fenn.sim import Machine
from sim_helpers import SMALL


def fault_of(source, *, x=None, v=None, strict=False, max_steps=10_000, **run):
    m = Machine(SMALL, strict=strict)
    m.load(assemble_text(source).words)
    for reg, value in (x or {}).items():
        m.x[reg] = value
    for reg, value in (v or {}).items():
        m.v[reg] = value
    with pytest.raises(MachineFault) as info:
        m.run(max_steps=max_steps, **run)
    return m, info.value


@pytest.mark.parametrize("source, x, cause, pc", [
    ("addi x1, x0, 1\n .word 0xffffffff", None, "illegal instruction", 4),
    ("addi x1, x0, 1", None, "illegal instruction", 4),                       # ran off the end
    ("addi x1, x0, 1\n lw x2, 2(x0)", None, "misaligned lw from DMEM address 0x00000002", 4),
    ("addi x1, x0, 1\n lh x2, 2047(x0)", None, "misaligned lh", 4),
    ("addi x1, x0, 1\n lw x2, 0(x3)", {3: 4096}, "lw from DMEM address 0x00001000 outside DMEM", 4),
    ("addi x1, x0, 1\n lbu x2, -1(x0)", None, "outside DMEM", 4),
    ("addi x1, x0, 1\n sw x1, 6(x0)", None, "misaligned sw", 4),
    ("addi x1, x0, 1\n sb x1, 0(x3)", {3: 0x80000000}, "sb to DMEM address 0x80000000 outside DMEM", 4),
    ("addi x1, x0, 1\n vloadv v1, x0, 32", None, "not a multiple of 64", 4),
    ("addi x1, x0, 1\n vstore v1, x3, 0", {3: 65536}, "outside VMEM", 4),
    ("addi x1, x0, 1\n vloadr0 x3, 0", {3: 0xFFFFFFC0}, "outside VMEM", 4),
    ("addi x1, x0, 1\n jalr x5, 2(x0)", None, "jalr target 0x00000002 is misaligned", 4),
    ("addi x1, x0, 1\n jalr x5, 0(x3)", {3: 4096}, "outside IMEM", 4),
    ("addi x1, x0, 1\n beq x0, x0, -8", None, "beq target 0xfffffffc", 4),
    ("addi x1, x0, 1\n csrr x2, 0x7c0", None, "CSR that does not exist", 4),
    ("addi x1, x0, 1\n csrw mhartid, x1", None, "read-only CSR", 4),
])
def test_fault_kinds(source, x, cause, pc):
    m, fault = fault_of(source, x=x)
    assert cause in str(fault)
    assert fault.pc == pc == m.pc
    assert fault.cycle == 1 and m.cycle == 1
    assert f"pc 0x{pc:08x}" in str(fault) and "cycle 1" in str(fault)
    assert isinstance(fault, FennError)
    assert m.x[1] == 1                     # the instruction before ran
    if 5 in (x or {}) or "jalr x5" in source:
        assert m.x[5] == 0                 # the faulting jump did not link


def test_disassembled_instruction_is_named():
    _, fault = fault_of("addi x1, x0, 1\n lw x2, 2(x0)")
    assert fault.word is not None and fault.text == "lw x2, 2(x0)"
    assert "lw x2, 2(x0)" in str(fault)


def test_fetch_past_imem():
    m = Machine(SMALL)
    m.load([0x13] * (SMALL.imem_bytes // 4))        # IMEM full of nops, no ecall
    with pytest.raises(MachineFault, match="instruction fetch outside IMEM") as info:
        m.run()
    assert info.value.pc == SMALL.imem_bytes and info.value.word is None


def test_lane_local_access_faults_name_the_lane():
    lanes = np.full(32, -1, np.int16)
    lanes[7] = 2047                                 # odd
    m, fault = fault_of("addi x1, x0, 1\n vloadl v2, v1, 0", v={1: lanes, 2: np.arange(32)})
    assert "lane 7 address 2047" in str(fault)
    assert np.array_equal(m.v[2], np.arange(32))    # nothing written
    lanes[7] = 2048                                 # past the 2 KiB of a lane
    _, fault = fault_of("addi x1, x0, 1\n vstorel v2, v1, 0", v={1: lanes})
    assert "lane 7 address 2048" in str(fault)
    lanes[7] = 2046                                 # fine; negative lanes stay disabled
    m = Machine(SMALL)
    m.load(assemble_text("vstorel v2, v1, 0\n ecall").words)
    m.v[1], m.v[2] = lanes, 9
    m.run()
    assert m.llm[7, 1023] == 9 and np.count_nonzero(m.llm) == 1


def test_budget_faults_and_resume_continues():
    source = "li t0, 1000\n loop: addi t0, t0, -1\n bnez t0, loop\n ecall"
    m, fault = fault_of(source, max_steps=101)
    assert "exceeded its budget (max_steps=101)" in str(fault)
    assert m.x[5] == 1000 - 50 and m.pc == 4
    status = m.resume()
    assert status.reason == "ecall" and m.x[5] == 0
    assert status.instructions == 1 + 2000 and status.cycles == 1 + 1000 + 999 * 3 + 1 + 1
    m.load(assemble_text(source).words)
    with pytest.raises(MachineFault, match="max_cycles=50"):
        m.run(max_cycles=50)
    assert 50 <= m.cycle <= 52


def test_a_new_run_after_a_fault_starts_at_pc_0():
    m, _ = fault_of("addi x1, x1, 1\n lw x2, 2(x0)")
    assert m.x[1] == 1
    with pytest.raises(MachineFault):
        m.run()
    assert m.x[1] == 2


def test_strict_decode_rejects_ignored_bits():
    from fenn import isa
    word = isa.encode("vsel", 1, 2, 3) | (0b101 << 12)       # VSEL funct3 is an ignored field
    lax = Machine(SMALL)
    lax.load([word, isa.encode("ecall")])
    lax.x[2] = 0xFFFFFFFF
    lax.v[3] = 7
    lax.run()
    assert (lax.v[1] == 7).all()
    strict = Machine(SMALL, strict=True)
    strict.load([word, isa.encode("ecall")])
    with pytest.raises(MachineFault, match="illegal instruction.*ignored bits set"):
        strict.run()


def test_ebreak_waits_like_ecall_and_reports_breakpoint():
    m = Machine(SMALL)
    m.load(assemble_text("addi x1, x0, 1\n ebreak\n addi x1, x0, 2\n ecall").words)
    status = m.run()
    assert status.reason == "ebreak" and status.pc == 4 and m.x[1] == 1
    assert status.cycles == 2 and status.instructions == 1


def test_stats_of_a_stopped_run_so_far():
    m, _ = fault_of("li t0, 1000\n loop: addi t0, t0, -1\n bnez t0, loop\n ecall", max_steps=11)
    s = m.stats()
    assert s["instructions"] == 11 and s["mnemonics"] == {"addi": 6, "bne": 5}
    assert s["cycles"] == 1 + 5 * (1 + 3) and s["stalls"]["branch"] == 10
    status = m.resume()
    assert m.stats() == status.stats


@pytest.mark.parametrize("word, name", [
    (0x40C5F533, "andn"), (0x40C5E533, "orn"), (0x40C5C533, "xnor"), (0x0AC5C533, "min"),
    (0x0AC5E533, "max"), (0x0AC5D533, "minu"), (0x0AC5F533, "maxu"), (0x60C59533, "rol"),
    (0x60C5D533, "ror"), (0x0805C533, "zext.h"), (0x60555513, "rori"), (0x6985D513, "rev8"),
])
def test_zbb_forms_fenn_lacks_are_named_in_the_fault(word, name):
    _, fault = fault_of(f"addi x1, x0, 1\n .word 0x{word:08x}")
    message = str(fault)
    assert "illegal instruction" in message and f"{name} is a Zbb" in message
    assert "clz, ctz, cpop" in message and "only mul" not in message


def test_m_extension_forms_other_than_mul_say_so():
    _, fault = fault_of("addi x1, x0, 1\n .word 0x02C5C533")         # div a0, a1, a2
    assert "div is an M instruction" in str(fault) and "only mul" in str(fault)
