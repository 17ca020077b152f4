"""The core (on Amaranth's simulator) against fenn.sim: whole final state and cycle count.

Programs are the constrained-random streams of fenn.hw.random_programs.
"""

import pytest

pytest.importorskip("amaranth")
from fenn.hw.parity import differences, first_divergence  # noqa: E402
from fenn.hw.pysim import run_program  # noqa: E402
from fenn.hw.random_programs import random_program  # noqa: E402
from fenn.soc import SocConfig  # noqa: E402
from fenn.sim import Machine  # noqa: E402

SOC = SocConfig(imem_bytes=4096, dmem_bytes=2048, vmem_bytes=4096, llm_bytes_per_lane=256)


@pytest.mark.parametrize("seed", range(6))
def test_random_program_parity(seed):
    prog = random_program(seed, SOC, length=120)
    rtl = run_program(SOC, prog.words, prog.dmem, prog.vmem, prog.llm, trace=True)
    m = Machine(SOC)
    m.load(prog.words, dmem=prog.dmem, vmem=prog.vmem, llm=prog.llm)
    status = m.run()
    diff = differences(rtl, m, status)
    if diff:
        m.load(prog.words, dmem=prog.dmem, vmem=prog.vmem, llm=prog.llm)
        diff.append(first_divergence(rtl.trace, list(m.trace()), prog.words))
    assert not diff, "\n".join(diff)


@pytest.mark.parametrize("seed", [40, 41])
def test_retire_trace_matches_the_simulator_instruction_by_instruction(seed):
    """Lock-step: every retired pc, issue cycle and register write, not only the end state."""
    prog = random_program(seed, SOC, length=100)
    rtl = run_program(SOC, prog.words, prog.dmem, prog.vmem, prog.llm, trace=True)
    m = Machine(SOC)
    m.load(prog.words, dmem=prog.dmem, vmem=prog.vmem, llm=prog.llm)
    sim_trace = list(m.trace())
    assert len(rtl.trace) >= len(sim_trace) > 50
    assert first_divergence(rtl.trace, sim_trace, prog.words).startswith("the retire traces agree")
    assert sum(r.x_write is not None for r in rtl.trace) > 10 and sum(r.v_write is not None for r in rtl.trace) > 10
