"""Compare an RTL run with a simulator run: what differs, and where the runs first part.

Takes the simulator's ``Machine`` and ``RunStatus`` duck-typed (fenn.hw never imports
fenn.sim); used by the parity tests and by ``RtlDevice`` checks. Also the small compiled
networks that the RTL tests and ``benchmarks/rtl_speed.py`` run, and the comparison of
two devices' runs of one.
"""

from __future__ import annotations

import numpy as np

from fenn.disasm import disassemble

from fenn.soc import SocConfig

from .core import Halt

__all__ = ["differences", "first_divergence", "NETWORK_SOC", "recurrent_network", "ddr_streamed_network",
           "network_run_differences"]

#: a SoC small enough that compiled networks run in seconds on the RTL simulators
NETWORK_SOC = SocConfig(imem_bytes=16384, dmem_bytes=16384, vmem_bytes=65536, llm_bytes_per_lane=512,
                        ddr_bytes=256 * 1024)


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


def recurrent_network(rng, hidden: int = 48, outputs: int = 6, model=None):
    """32 inputs -> ``hidden`` neurons of ``model`` (default LIF), recurrent -> ``outputs`` LI;
    records the hidden spikes and the output voltages."""
    import fenn
    net = fenn.Network(dt=1.0)
    inp = net.input(32, name="inp")
    hid = net.population(hidden, model or fenn.models.LIF(tau_mem=10.0, v_thresh=0.8), name="hid")
    out = net.population(outputs, fenn.models.LI(tau_mem=20.0), name="out")
    net.connect(inp, hid, weights=rng.normal(0.3, 0.3, (32, hidden)))
    net.connect(hid, hid, weights=rng.normal(0.0, 0.2, (hidden, hidden)))
    net.connect(hid, out, weights=rng.normal(0.0, 0.3, (hidden, outputs)))
    net.record(hid.spikes)
    net.record(out.v)
    return net


def ddr_streamed_network(rng):
    """40 inputs -> 70 recurrent LIF whose weights stream from DDR; (network, compile options)."""
    import fenn
    net = fenn.Network(dt=1.0)
    inp = net.input(40, name="inp")
    big = net.population(70, fenn.models.LIF(tau_mem=10.0, v_thresh=0.7), name="big")
    net.connect(inp, big, weights=rng.normal(0.2, 0.3, (40, 70)))
    net.connect(big, big, weights=rng.normal(0.0, 0.2, (70, 70)))
    net.record(big.spikes)
    net.record(big.v, reduce="mean")
    return net, {"weights": "ddr"}


def network_run_differences(results: dict, devices: dict, soc: SocConfig | None) -> list[str]:
    """What differs between two devices' ``fenn.run`` of one program: recordings, cycles of
    every sample, and the final memories (not with ``soc=None``). ``results``/``devices``: two
    entries each, by name."""
    (a_name, a), (b_name, b) = results.items()
    recordings = a.difference(b, (a_name, b_name))
    out = [] if recordings is None else [recordings]
    if a.stats.cycles_per_sample != b.stats.cycles_per_sample:
        out.append(f"cycles per sample: {a_name} {a.stats.cycles_per_sample}, {b_name} {b.stats.cycles_per_sample}")
    if soc is None:
        return out
    first, second = devices.values()
    for memory, size in (("dmem", soc.dmem_bytes), ("vmem", soc.vmem_bytes),
                         ("llm", soc.lanes * soc.llm_bytes_per_lane), ("ddr", soc.ddr_bytes)):
        x, y = first.read(memory, 0, size), second.read(memory, 0, size)
        if not np.array_equal(x, y):
            out.append(f"{memory} differs first at byte {np.argmax(x != y)}")
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
            text = disassemble(int(words[b.pc // 4])) if b.pc // 4 < len(words) else "?"
            return (f"instruction {i} at pc 0x{b.pc:x} ({text}): sim issued it in cycle "
                    f"{getattr(b, 'cycle', '?')} writing x {_fmt(want_x)} v {_fmt(want_v)}; rtl retired pc "
                    f"0x{a.pc:x} in cycle {a.cycle} writing x {_fmt(got_x)} v {_fmt(got_v)}")
    return "the retire traces agree on every pc, issue cycle and register write they share"


def _fmt(writes) -> str:
    if not writes:
        return "-"
    return ", ".join(f"{r}=0x{v:08x}" if isinstance(v, int) else f"{r}={v}" for r, v in writes)
