"""Run a program on the core in Amaranth's own simulator (no HDL tools needed).

Slow (tens of microseconds per signal per cycle) but exact: the unit tests of the core
use it, and it gives the same final state as the Icarus runs of the emitted Verilog.
Memories and register files are set and read directly through their ``MemoryData``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from amaranth.sim import Simulator

from fenn.soc import SocConfig

from .core import Core, Fault, Halt
from .lanes import pack_lanes, unpack_lanes

__all__ = ["RtlState", "run_program", "Retired", "padded_image"]


@dataclasses.dataclass
class Retired:
    """One instruction leaving X (``cycle`` counted from the first issue) and what it wrote."""
    cycle: int
    pc: int
    word: int
    x_write: tuple[int, int] | None = None             # (register, uint32 value)
    v_write: tuple[int, np.ndarray] | None = None      # (register, int16 lanes)


@dataclasses.dataclass
class RtlState:
    """Final architectural state and counters of one run."""
    status: Halt
    fault: Fault
    halt_pc: int
    cycles: int
    instructions: int
    x: np.ndarray          # uint32[32]
    v: np.ndarray          # int16[32, lanes]
    s0: np.ndarray         # uint16[lanes]
    s1: np.ndarray
    dmem: np.ndarray       # uint8
    vmem: np.ndarray       # uint8
    llm: np.ndarray        # int16[lanes, halfwords]
    trace: list[Retired]
    ddr: np.ndarray | None = None   # uint8, when the run had a DDR model


def padded_image(image, nbytes: int, what: str) -> np.ndarray:
    """``image`` as ``nbytes`` bytes, zero-padded; an image that does not fit is refused."""
    raw = np.ascontiguousarray(image).reshape(-1).view(np.uint8)
    if raw.size > nbytes:
        raise ValueError(f"{what} image of {raw.size} bytes does not fit in {nbytes} bytes")
    padded = np.zeros(nbytes, dtype=np.uint8)
    padded[:raw.size] = raw
    return padded


def run_program(soc: SocConfig, words, dmem=None, vmem=None, llm=None,
                max_cycles: int = 20_000, trace: bool = False) -> RtlState:
    """Load images at address 0 of each memory, run from pc 0 until the core halts."""
    core = Core(soc)
    mems = core.memories
    lanes = soc.lanes
    text = np.asarray(words, dtype=np.uint32)
    if text.size > soc.imem_bytes // 4:
        raise ValueError(f"program of {text.size} words does not fit in IMEM ({soc.imem_bytes} bytes)")
    dm = padded_image(dmem if dmem is not None else np.zeros(0, np.uint8), soc.dmem_bytes, "dmem").view("<u4")
    vm = padded_image(vmem if vmem is not None else np.zeros(0, np.uint8), soc.vmem_bytes, "vmem")
    half = soc.llm_bytes_per_lane // 2
    lm = np.zeros((lanes, half), dtype=np.int16)
    if llm is not None:
        llm = np.asarray(llm, dtype=np.int16)
        lm[:, :llm.shape[1]] = llm
    result = {}

    async def bench(ctx):
        for i, w in enumerate(text):
            ctx.set(mems.imem.data[i], int(w))
        for i in np.nonzero(dm)[0]:
            ctx.set(mems.dmem.data[int(i)], int(dm[i]))
        rows = vm.reshape(-1, soc.vector_bytes)
        for r in np.nonzero(rows.any(axis=1))[0]:
            ctx.set(mems.vmem.data[int(r)], int.from_bytes(rows[r].tobytes(), "little"))
        lw = lm.view("<u4")
        for lane in range(lanes):
            for i in np.nonzero(lw[lane])[0]:
                ctx.set(mems.llm[lane].data[int(i)], int(lw[lane, i]))
        ctx.set(core.start, 1)
        await ctx.tick()
        ctx.set(core.start, 0)
        retired = []
        for _ in range(max_cycles):
            if ctx.get(core.status) != Halt.RUNNING:
                break
            if trace and retired and ctx.get(core.wb_x):
                retired[-1].x_write = (ctx.get(core.wb_x_rd), ctx.get(core.wb_x_data))
            if trace and retired and ctx.get(core.wb_v):
                retired[-1].v_write = (ctx.get(core.wb_v_rd), unpack_lanes(ctx.get(core.wb_v_data), lanes))
            if trace and ctx.get(core.retire):
                retired.append(Retired(ctx.get(core.cycles), ctx.get(core.retire_pc), ctx.get(core.retire_inst)))
            await ctx.tick()
        else:
            raise TimeoutError(f"core still running after {max_cycles} cycles")
        await ctx.tick()     # the last write-back lands
        result["status"] = Halt(ctx.get(core.status))
        result["fault"] = Fault(ctx.get(core.fault))
        result["halt_pc"] = ctx.get(core.halt_pc)
        result["cycles"] = ctx.get(core.cycles)
        result["instructions"] = ctx.get(core.retired)
        result["x"] = np.array([ctx.get(core.xregs.data[i]) for i in range(32)], dtype=np.uint32)
        result["v"] = np.stack([unpack_lanes(ctx.get(core.vregs.data[i]), lanes) for i in range(32)])
        result["s0"] = unpack_lanes(ctx.get(core.rng.s0), lanes, signed=False)
        result["s1"] = unpack_lanes(ctx.get(core.rng.s1), lanes, signed=False)
        result["dmem"] = np.array([ctx.get(mems.dmem.data[i]) for i in range(soc.dmem_bytes // 4)],
                                  dtype="<u4").view(np.uint8)
        result["vmem"] = np.frombuffer(b"".join(
            ctx.get(mems.vmem.data[i]).to_bytes(soc.vector_bytes, "little")
            for i in range(soc.vmem_bytes // soc.vector_bytes)), dtype=np.uint8).copy()
        result["llm"] = np.stack([
            np.array([ctx.get(mems.llm[lane].data[i]) for i in range(half // 2)], dtype="<u4").view(np.int16)
            for lane in range(lanes)])
        result["trace"] = retired

    sim = Simulator(core)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return RtlState(**result)


_ = pack_lanes  # re-exported helper for callers building vector images
