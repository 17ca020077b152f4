"""The core's timing and semantics, on Amaranth's simulator.

Cycle counts here are worked out by hand from docs/timing.md (independent of fenn.sim);
tests/hw/test_core_parity.py compares whole states with the simulator.
"""

import numpy as np
import pytest

pytest.importorskip("amaranth")
from fenn.errors import MachineFault  # noqa: E402
from fenn.faults import Fault  # noqa: E402
from fenn.hw.core import Halt  # noqa: E402
from fenn.hw.pysim import run_program  # noqa: E402
from fenn.isa import CSR_ADDRESSES, encode as e  # noqa: E402
from fenn.sim import Machine  # noqa: E402
from fenn.soc import SocConfig, rng_reset_state  # noqa: E402

SOC = SocConfig(imem_bytes=1024, dmem_bytes=1024, vmem_bytes=2048, llm_bytes_per_lane=64)


def test_worked_example_of_timing_md():
    prog = [e("addi", 5, 0, 10), e("addi", 5, 5, -1), e("bne", 5, 0, -4), e("ecall")]
    st = run_program(SOC, prog, trace=True)
    assert (st.status, st.cycles, st.instructions, st.x[5]) == (Halt.ECALL, 40, 21, 0)
    issue = [r.cycle for r in st.trace]
    assert issue[:5] == [0, 1, 2, 5, 6]          # taken bne: +2


@pytest.mark.parametrize("user_reads_load, extra", [(True, 1), (False, 0)])
def test_scalar_load_use_costs_one_cycle(user_reads_load, extra):
    dmem = np.arange(16, dtype=np.uint32)
    user = e("addi", 3, 1, 1) if user_reads_load else e("addi", 3, 2, 1)
    prog = [e("lw", 1, 8, 0), user, e("ecall")]
    st = run_program(SOC, prog, dmem=dmem)
    assert st.cycles == 3 + extra
    assert st.x[1] == 2 and st.x[3] == (3 if user_reads_load else 1)


@pytest.mark.parametrize("reads, extra", [(True, 1), (False, 0)])
def test_multiply_unit_result_one_cycle_late(reads, extra):
    prog = [e("addi", 1, 0, 7), e("vfill", 1, 1),
            e("vmul", 1, 2, 1, 1),                                     # v2 = 49 >> 1 = 24
            e("vadd", 3, 2, 2) if reads else e("vadd", 3, 1, 1),
            e("mul", 4, 1, 1),                                         # x4 = 49
            e("add", 5, 4, 0) if reads else e("add", 5, 1, 0),
            e("ecall")]
    st = run_program(SOC, prog)
    assert st.cycles == 7 + 2 * extra
    assert (st.v[3] == (48 if reads else 14)).all() and (st.v[2] == 24).all()
    assert (st.x[4], st.x[5]) == (49, 49 if reads else 7)


@pytest.mark.parametrize("draw_next, extra", [(True, 1), (False, 0)])
def test_rng_state_load_then_draw(draw_next, extra):
    """A draw right behind vloadr0/vloadr1 waits a cycle and sees the loaded state."""
    vmem = np.arange(64, dtype=np.int16)
    other = [e("addi", 1, 0, 1)]
    prog = ([e("vloadr0", 0, 0), e("vloadr1", 0, 64)] + ([] if draw_next else other)
            + [e("vrng", 1)] + (other if draw_next else []) + [e("ecall")])
    st = run_program(SOC, prog, vmem=vmem)
    assert st.cycles == 5 + extra
    ref = Machine(SOC)
    ref.load(prog, vmem=vmem.view(np.uint8))
    ref.run()
    assert np.array_equal(st.v[1], ref.v[1]) and st.cycles == ref.last_status.cycles


def test_vector_load_use_includes_vsel_destination():
    vmem = np.arange(64, dtype=np.int16)
    # vsel reads its vd: the load of v1 right before it stalls one cycle
    prog = [e("addi", 2, 0, -1), e("vloadv", 1, 0, 64), e("vsel", 1, 2, 3), e("ecall")]
    st = run_program(SOC, prog, vmem=vmem)
    assert st.cycles == 5
    assert (st.v[1] == 0).all()                   # every lane selected from v3 (zero)
    prog[2] = e("vsel", 4, 2, 3)                  # independent: no stall
    assert run_program(SOC, prog, vmem=vmem).cycles == 4


def test_counters_follow_inhibit():
    prog = [e("csrrw", 0, CSR_ADDRESSES["mcountinhibit"], 0),          # cycle 0: counting from 1
            e("addi", 1, 0, 1),
            e("csrrs", 2, CSR_ADDRESSES["mcycle"], 0),                 # cycle 2: reads 1
            e("csrrs", 3, CSR_ADDRESSES["minstret"], 0),               # 2 retired since
            e("ecall")]
    st = run_program(SOC, prog)
    assert (st.x[2], st.x[3]) == (1, 2)


def test_rng_starts_from_the_shared_reset_state():
    st = run_program(SOC, [e("ecall")])
    s0, s1 = rng_reset_state(SOC.lanes)
    assert st.s0.tolist() == list(s0) and st.s1.tolist() == list(s1)


@pytest.mark.parametrize("prog, fault", [
    ([0xFFFFFFFF], Fault.ILLEGAL),
    ([e("lw", 1, 2, 0), e("ecall")], Fault.LOAD_ALIGN),
    ([e("lw", 1, 1024, 0), e("ecall")], Fault.LOAD_RANGE),
    ([e("sh", 0, 1, 0), e("ecall")], Fault.STORE_ALIGN),
    ([e("sb", 0, 1024, 0), e("ecall")], Fault.STORE_RANGE),
    ([e("vloadv", 1, 0, 32), e("ecall")], Fault.VMEM_ALIGN),
    ([e("vstore", 0, 0, -64), e("ecall")], Fault.VMEM_RANGE),
    ([e("jal", 0, 2048)], Fault.JUMP),
    ([e("csrrs", 1, 0x7C0, 0)], Fault.CSR),
    ([e("csrrw", 0, CSR_ADDRESSES["mhartid"], 1)], Fault.CSR_READONLY),
    ([e("csrrwi", 0, CSR_ADDRESSES["mm2s_control"], 1), e("ecall")], Fault.NONE),
    ([e("csrrwi", 0, CSR_ADDRESSES["mm2s_count"], 1), e("csrrwi", 0, CSR_ADDRESSES["mm2s_control"], 1)],
     Fault.DMA_ALIGN),
    ([e("lui", 1, SOC.ddr_bytes >> 12), e("addi", 1, 1, -64), e("csrrw", 0, CSR_ADDRESSES["mm2s_src"], 1),
      e("addi", 2, 0, 128), e("csrrw", 0, CSR_ADDRESSES["mm2s_count"], 2),
      e("csrrwi", 0, CSR_ADDRESSES["mm2s_control"], 1)], Fault.DMA_WINDOW),
    ([e("addi", 1, 0, SOC.vmem_bytes - 64), e("csrrw", 0, CSR_ADDRESSES["s2mm_src"], 1),
      e("addi", 2, 0, 128), e("csrrw", 0, CSR_ADDRESSES["s2mm_count"], 2),
      e("csrrwi", 0, CSR_ADDRESSES["s2mm_control"], 1)], Fault.DMA_RANGE),
])
def test_faults_halt_with_the_simulators_code(prog, fault):
    st = run_program(SOC, prog)
    machine = Machine(SOC)
    machine.load(np.array(prog, dtype=np.uint32))
    if fault == Fault.NONE:
        machine.run()
        assert (st.status, st.fault) == (Halt.ECALL, Fault.NONE)
        return
    with pytest.raises(MachineFault) as info:
        machine.run()
    assert info.value.code == fault
    assert (st.status, st.fault, st.halt_pc) == (Halt.FAULT, fault, info.value.pc)
