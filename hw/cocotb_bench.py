"""cocotb testbench that runs a list of programs on the emitted ``fenn_core`` Verilog.

It is started by :mod:`fenn.hw.icarus` (never imported by ``import fenn``). The job list
is a JSON manifest named by the ``FENN_RTL_JOBS`` environment variable; each job names an
input ``.npz`` (memory images as byte/word arrays) and an output ``.npz`` to write the
final state into. Everything goes through the core's host port, one word per cycle,
driven on falling clock edges; only words that differ from what the memory holds are
written, so consecutive jobs cost little.
"""

from __future__ import annotations

import json
import os

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, First, Timer
from cocotb.types import Logic

from fenn.hw.core import Halt, HostSpace
from fenn.hw.ddr_model import attach_ddr
from fenn.soc import SocConfig


def _space_words(soc: SocConfig) -> dict[HostSpace, int]:
    return {
        HostSpace.IMEM: soc.imem_bytes // 4,
        HostSpace.DMEM: soc.dmem_bytes // 4,
        HostSpace.VMEM: soc.vmem_bytes // 4,
        HostSpace.LLM: soc.lanes * soc.llm_bytes_per_lane // 4,
        HostSpace.XREG: 32,
        HostSpace.VREG: 32 * soc.vector_bytes // 4,
    }


def value(handle) -> int:
    """A signal's value as an unsigned int (1-bit signals give a ``Logic``)."""
    v = handle.value
    return int(v) if isinstance(v, Logic) else v.to_unsigned()


class HostPort:
    def __init__(self, dut):
        self.dut = dut

    async def write(self, space: int, words: dict[int, int]) -> None:
        dut = self.dut
        dut.host_space.value = int(space)
        for index, value in words.items():
            dut.host_addr.value = 4 * int(index)
            dut.host_wdata.value = int(value)
            dut.host_we.value = 1
            await FallingEdge(dut.clk)
        dut.host_we.value = 0

    async def read(self, space: int, count: int) -> np.ndarray:
        dut = self.dut
        dut.host_space.value = int(space)
        out = np.zeros(count, dtype=np.uint32)
        dut.host_addr.value = 0
        for index in range(count):
            await FallingEdge(dut.clk)               # the read of `index` happened at the rising edge
            out[index] = value(dut.host_rdata)
            dut.host_addr.value = 4 * (index + 1)
        return out


async def _run(dut, max_cycles: int, trace: bool) -> tuple[list, list]:
    """Start the core and wait for it to halt; with ``trace``, record every retired
    instruction as (cycle, pc, x rd or -1, x data, v rd or -1) plus its v lanes."""
    dut.start.value = 1
    await FallingEdge(dut.clk)
    dut.start.value = 0
    retired, lanes = [], []
    if trace:
        for _ in range(max_cycles):
            if value(dut.status) != Halt.RUNNING:
                break
            if retired and value(dut.wb_x):           # write-back of the previous instruction
                retired[-1][2:4] = [value(dut.wb_x_rd), value(dut.wb_x_data)]
            if retired and value(dut.wb_v):
                retired[-1][4] = value(dut.wb_v_rd)
                lanes[-1] = np.frombuffer(value(dut.wb_v_data).to_bytes(len(dut.wb_v_data) // 8, "little"),
                                          dtype=np.int16)
            if value(dut.retire):
                retired.append([value(dut.cycles), value(dut.retire_pc), -1, 0, -1])
                lanes.append(None)
            await FallingEdge(dut.clk)
    elif value(dut.status) == Halt.RUNNING:
        await First(dut.status.value_change, Timer(10 * max_cycles, unit="ns"))
    await FallingEdge(dut.clk)          # last write-back
    await FallingEdge(dut.clk)
    return retired, lanes


class Arrays:
    """The memories and register files of ``fenn_core`` as Verilog arrays, reached through VPI.

    Depositing and reading array words needs no clock cycles, which makes loading and
    reading back a whole SoC state cost milliseconds instead of thousands of cycles.
    """

    def __init__(self, dut, soc: SocConfig):
        self.soc = soc
        row_words = soc.vector_bytes // 4
        llm_words = soc.llm_bytes_per_lane // 4
        #: host space -> list of (array handle, words per entry, entries)
        self.layout = {
            HostSpace.IMEM: [(dut.imem, 1, soc.imem_bytes // 4)],
            HostSpace.DMEM: [(dut.dmem, 1, soc.dmem_bytes // 4)],
            HostSpace.VMEM: [(dut.vmem, row_words, soc.vmem_bytes // soc.vector_bytes)],
            HostSpace.LLM: [(getattr(dut, f"llm{i}"), 1, llm_words) for i in range(soc.lanes)],
            HostSpace.XREG: [(dut.xregs, 1, 32)],
            HostSpace.VREG: [(dut.vregs, row_words, 32)],
        }

    def write(self, space: HostSpace, words: np.ndarray, changed: np.ndarray) -> None:
        base = 0
        for array, per, entries in self.layout[space]:
            span = per * entries
            rows = np.unique((changed[(changed >= base) & (changed < base + span)] - base) // per)
            for row in rows:
                chunk = words[base + per * row: base + per * (row + 1)]
                array[int(row)].value = int.from_bytes(chunk.astype("<u4").tobytes(), "little")
            base += span

    def read(self, space: HostSpace) -> np.ndarray:
        parts = []
        for array, per, entries in self.layout[space]:
            raw = b"".join(array[i].value.to_unsigned().to_bytes(4 * per, "little") for i in range(entries))
            parts.append(np.frombuffer(raw, dtype="<u4"))
        return np.concatenate(parts)


@cocotb.test()
async def run_jobs(dut):
    manifest = json.loads(open(os.environ["FENN_RTL_JOBS"]).read())
    soc = SocConfig.from_dict(manifest["soc"])
    sizes = _space_words(soc)
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    for name in ("start", "host_we", "host_space", "host_addr", "host_wdata"):
        getattr(dut, name).value = 0
    dut.rst.value = 1
    await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    host = HostPort(dut)
    arrays = Arrays(dut, soc)
    ddr = attach_ddr(dut, soc, "axi_")
    ddr_held = np.zeros(soc.ddr_bytes, dtype=np.uint8)
    # the emitted Verilog initialises every memory and register file to zero
    held = {space: np.zeros(count, dtype=np.uint32) for space, count in sizes.items()}
    for job in manifest["jobs"]:
        images = np.load(job["input"])
        dut.rst.value = 1                 # core reset: pc, CSRs, counters, RNG state
        await FallingEdge(dut.clk)
        dut.rst.value = 0
        for space, count in sizes.items():
            want = np.zeros(count, dtype=np.uint32)
            key = space.name.lower()
            if key in images.files:
                data = images[key].view(np.uint32)
                want[:data.size] = data
            arrays.write(space, want, np.nonzero(want != held[space])[0])
            held[space] = want
        want = np.zeros(soc.ddr_bytes, dtype=np.uint8)
        if "ddr" in images.files:
            want[:images["ddr"].size] = images["ddr"]
        changed = np.nonzero(want != ddr_held)[0]
        if changed.size:
            lo, hi = int(changed[0]), int(changed[-1]) + 1
            ddr.write(lo, want[lo:hi].tobytes())
        if "rng" in images.files:
            await host.write(HostSpace.RNG, dict(enumerate(images["rng"].view(np.uint32).tolist())))
        await FallingEdge(dut.clk)
        retired, lanes = await _run(dut, int(job.get("max_cycles", 1_000_000)), bool(job.get("trace")))
        written = value(dut.written)
        maybe_changed = {HostSpace.DMEM: written & 1, HostSpace.VMEM: written & 2, HostSpace.LLM: written & 4,
                         HostSpace.XREG: True, HostSpace.VREG: True, HostSpace.IMEM: False}
        state = {space.name.lower(): arrays.read(space) if maybe_changed[space] else held[space]
                 for space in sizes}
        held.update({space: state[space.name.lower()] for space in sizes})
        state["rng"] = await host.read(HostSpace.RNG, 2 * soc.vector_bytes // 4)
        state["ddr"] = ddr_held = np.frombuffer(ddr.read(0, soc.ddr_bytes), dtype=np.uint8).copy()
        np.savez(job["output"], **state,
                 status=value(dut.status), fault=value(dut.fault),
                 halt_pc=value(dut.halt_pc), cycles=value(dut.cycles),
                 instructions=value(dut.retired),
                 trace=np.array(retired, dtype=np.int64).reshape(-1, 5),
                 trace_v=np.stack([v if v is not None else np.zeros(soc.lanes, np.int16) for v in lanes])
                 if lanes else np.zeros((0, soc.lanes), np.int16))
