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
    """The first retired instruction whose pc, issue cycle or register writes differ.

    ``rtl_trace``: :class:`fenn.hw.pysim.Retired` records from the RTL's retire and
    write-back ports; ``sim_trace``: the simulator's trace records (``pc``, ``cycle``,
    ``x_writes``, ``v_writes``).
    """
    for i, (a, b) in enumerate(zip(rtl_trace, sim_trace)):
        want_x = [(int(r), int(v)) for r, v in getattr(b, "x_writes", ()) if r != 0]
        want_v = [(int(r), np.asarray(v).tolist()) for r, v in getattr(b, "v_writes", ())]
        got_x = [a.x_write] if a.x_write else []
        got_v = [(a.v_write[0], np.asarray(a.v_write[1]).tolist())] if a.v_write else []
        same_writes = (got_x == want_x or not hasattr(b, "x_writes")) and (got_v == want_v or not hasattr(b, "v_writes"))
        if a.pc != b.pc or a.cycle != getattr(b, "cycle", a.cycle) or not same_writes:
            text = _disassemble(int(words[b.pc // 4])) if b.pc // 4 < len(words) else "?"
            return (f"instruction {i} at pc 0x{b.pc:x} ({text}): sim issued it in cycle "
                    f"{getattr(b, 'cycle', '?')} writing x {_fmt(want_x)} v {_fmt(want_v)}; rtl retired pc "
                    f"0x{a.pc:x} in cycle {a.cycle} writing x {_fmt(got_x)} v {_fmt(got_v)}")
    return "the retire traces agree on every pc, issue cycle and register write they share"


def _fmt(writes) -> str:
    if not writes:
        return "-"
    return ", ".join(f"{r}=0x{v:08x}" if isinstance(v, int) else f"{r}={v}" for r, v in writes)


def _disassemble(word: int) -> str:
    try:
        return disassemble(word)
    except Exception as error:       # an illegal word still gets a line
        return f"<0x{word:08x}: {error}>"
