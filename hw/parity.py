"""Compare an RTL run with a simulator run: what differs, and where the runs first part.

Takes the simulator's ``Machine`` and ``RunStatus`` duck-typed (fenn.hw never imports
fenn.sim); used by the parity tests and by ``RtlDevice`` checks.
"""

from __future__ import annotations

import numpy as np

from fenn.disasm import disassemble

from .core import Halt

__all__ = ["differences", "first_divergence"]


def differences(rtl, machine, status) -> list[str]:
    """Human-readable list of everything that differs (empty when the runs agree)."""
    out = []
    want = {"ecall": Halt.ECALL, "ebreak": Halt.EBREAK}.get(status.reason)
    if rtl.status != want:
        out.append(f"halt: rtl {rtl.status.name}/{rtl.fault.name} at pc 0x{rtl.halt_pc:x}, sim {status.reason}")
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
            out.append(f"RNG {name}: rtl {getattr(rtl, name).tolist()}, sim {getattr(machine, name).tolist()}")
    for name in ("dmem", "vmem", "ddr"):
        if getattr(rtl, name) is None:
            continue
        theirs = getattr(machine, name)[:getattr(rtl, name).size]
        diff = np.nonzero(getattr(rtl, name) != theirs)[0]
        if diff.size:
            out.append(f"{name}: {diff.size} bytes differ, first at 0x{diff[0]:x}")
    diff = np.argwhere(rtl.llm != machine.llm)
    if diff.size:
        out.append(f"llm: {len(diff)} halfwords differ, first lane {diff[0][0]} index {diff[0][1]}")
    return out


def first_divergence(rtl_trace, sim_trace, words) -> str:
    """The first retired instruction whose pc or issue cycle differs, disassembled.

    ``rtl_trace``: (cycle, pc) pairs from the RTL's retire port; ``sim_trace``: the
    simulator's trace records (``pc`` and ``cycle`` attributes).
    """
    for i, (a, b) in enumerate(zip(rtl_trace, sim_trace)):
        a_cycle, a_pc = (a.cycle, a.pc) if hasattr(a, "pc") else a
        b_cycle = getattr(b, "cycle", a_cycle)
        if a_pc != b.pc or a_cycle != b_cycle:
            text = _disassemble(int(words[b.pc // 4])) if b.pc // 4 < len(words) else "?"
            return (f"instruction {i}: rtl pc 0x{a_pc:x} issued in cycle {a_cycle}; "
                    f"sim pc 0x{b.pc:x} ({text}) issued in cycle {b_cycle}")
    return "the retire traces agree on every pc and issue cycle they share"


def _disassemble(word: int) -> str:
    try:
        return disassemble(word)
    except Exception as error:       # an illegal word still gets a line
        return f"<0x{word:08x}: {error}>"
