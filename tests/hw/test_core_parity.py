"""The core (on Amaranth's simulator) against fenn.sim: whole final state and cycle count.

Programs are the constrained-random streams of fenn.hw.random_programs.
"""

import numpy as np
import pytest

pytest.importorskip("amaranth")
from fenn.hw.core import Halt  # noqa: E402
from fenn.hw.pysim import run_program  # noqa: E402
from fenn.hw.random_programs import random_program  # noqa: E402
from fenn.soc import SocConfig  # noqa: E402
from fenn.sim import Machine  # noqa: E402

SOC = SocConfig(imem_bytes=4096, dmem_bytes=2048, vmem_bytes=4096, llm_bytes_per_lane=256)


def differences(rtl, machine, status):
    """Human-readable list of everything that differs (empty when equal)."""
    out = []
    if rtl.status != Halt.ECALL or status.reason != "ecall":
        out.append(f"halt: rtl {rtl.status.name}/{rtl.fault.name}, sim {status.reason}")
    if rtl.cycles != status.cycles:
        out.append(f"cycles: rtl {rtl.cycles}, sim {status.cycles}")
    if rtl.instructions != status.instructions:
        out.append(f"instructions: rtl {rtl.instructions}, sim {status.instructions}")
    for r in np.nonzero(rtl.x != machine.x)[0]:
        out.append(f"x{r}: rtl 0x{int(rtl.x[r]):08x}, sim 0x{int(machine.x[r]):08x}")
    for r in np.nonzero((rtl.v != machine.v).any(axis=1))[0]:
        out.append(f"v{r}: rtl {rtl.v[r].tolist()}, sim {machine.v[r].tolist()}")
    for name in ("s0", "s1"):
        if (getattr(rtl, name) != getattr(machine, name)).any():
            out.append(f"RNG {name} differs")
    for name in ("dmem", "vmem"):
        diff = np.nonzero(getattr(rtl, name) != getattr(machine, name))[0]
        if diff.size:
            out.append(f"{name}: {diff.size} bytes differ, first at 0x{diff[0]:x}")
    diff = np.argwhere(rtl.llm != machine.llm)
    if diff.size:
        out.append(f"llm: {len(diff)} halfwords differ, first lane {diff[0][0]} index {diff[0][1]}")
    return out


def first_divergence(prog, soc):
    """pc and disassembly of the first instruction whose issue cycle or pc differs."""
    rtl = run_program(soc, prog.words, prog.dmem, prog.vmem, prog.llm, trace=True)
    m = Machine(soc)
    m.load(prog.words, dmem=prog.dmem, vmem=prog.vmem, llm=prog.llm)
    for i, (a, b) in enumerate(zip(rtl.trace, m.trace())):
        if a.pc != b.pc:
            return f"instruction {i}: rtl pc 0x{a.pc:x}, sim pc 0x{b.pc:x} ({b})"
    return "traces agree on pcs"


@pytest.mark.parametrize("seed", range(8))
def test_random_program_parity(seed):
    prog = random_program(seed, SOC, length=120)
    rtl = run_program(SOC, prog.words, prog.dmem, prog.vmem, prog.llm)
    m = Machine(SOC)
    m.load(prog.words, dmem=prog.dmem, vmem=prog.vmem, llm=prog.llm)
    status = m.run()
    diff = differences(rtl, m, status)
    assert not diff, "\n".join(diff + [first_divergence(prog, SOC)])
