"""cocotb testbench that serves one live simulation of the emitted ``fenn_core`` Verilog.

It is started by :mod:`fenn.hw.session` (never imported by ``import fenn``), connects
back to the parent over the AF_UNIX socket named by ``FENN_RTL_SESSION`` and then obeys
commands until ``quit``: reset, write/read a memory or register file, run. While it waits
for a command no simulated time passes, so the SoC's state between commands is exactly
what the last run (or the host) left.

Memories and register files are reached through VPI array deposits (no clock cycles);
the RNG state through the core's host port (a few clock cycles, core stopped); DDR
through the model that :func:`fenn.hw.ddr_model.attach_ddr` attaches.
"""

from __future__ import annotations

import os
import traceback
from multiprocessing.connection import Client

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, First, Timer
from cocotb.utils import get_sim_time
from cocotb.types import Logic

from fenn.hw.core import Halt, HostSpace
from fenn.hw.ddr_model import attach_ddr, port_prefixes
from fenn.soc import SocConfig

#: what a session may ask for (besides "quit")
COMMANDS = ("reset", "clear", "write", "read", "run", "window")
#: clock period in ns (the session's budgets are in cycles, so any value works)
PERIOD_NS = 10


def value(handle) -> int:
    """A signal's value as an unsigned int (1-bit signals give a ``Logic``)."""
    v = handle.value
    return int(v) if isinstance(v, Logic) else v.to_unsigned()


class CorePins:
    """One core's ports and its instance (memories, register files) in the bench's top:
    the bare core itself (one core), or core ``i`` of :class:`fenn.hw.soc.CoreArray`
    (ports ``c{i}__*``, instance ``core{i}``)."""

    def __init__(self, dut, soc: SocConfig, index: int):
        self._dut = dut
        self._prefix = "" if soc.cores == 1 else f"c{index}__"
        self.instance = dut if soc.cores == 1 else getattr(dut, f"core{index}")
        self.axi_prefix = f"{self._prefix}axi_"
        self.clk = dut.clk

    def __getattr__(self, name: str):
        return getattr(self._dut, self._prefix + name)


class HostPort:
    """The core's word-wide host port (used for the RNG state, which is no array)."""

    def __init__(self, pins: CorePins):
        self.dut = pins

    async def write(self, space: int, first: int, words: np.ndarray) -> None:
        dut = self.dut
        dut.host_space.value = int(space)
        for index, word in enumerate(words.tolist()):
            dut.host_addr.value = 4 * (first + index)
            dut.host_wdata.value = int(word)
            dut.host_we.value = 1
            await FallingEdge(dut.clk)
        dut.host_we.value = 0

    async def read(self, space: int, first: int, count: int) -> np.ndarray:
        dut = self.dut
        dut.host_space.value = int(space)
        out = np.zeros(count, dtype=np.uint32)
        dut.host_addr.value = 4 * first
        for index in range(count):
            await FallingEdge(dut.clk)               # the read of `index` happened at the rising edge
            out[index] = value(dut.host_rdata)
            dut.host_addr.value = 4 * (first + index + 1)
        return out


class Arrays:
    """The memories and register files of ``fenn_core`` as Verilog arrays, reached through VPI.

    Depositing and reading array words needs no clock cycles, which makes loading and
    reading back a whole SoC state cost milliseconds instead of thousands of cycles.
    Each space is a byte range over one or more arrays (LLM: lane i's array at
    ``i * llm_bytes_per_lane``).
    """

    def __init__(self, dut, soc: SocConfig):
        row = soc.vector_bytes
        llm_words = soc.llm_bytes_per_lane // 4
        #: space -> list of (array handle, bytes per entry, entries)
        self.layout = {
            "imem": [(dut.imem, 4, soc.imem_bytes // 4)],
            "dmem": [(dut.dmem, 4, soc.dmem_bytes // 4)],
            "vmem": [(dut.vmem, row, soc.vmem_bytes // row)],
            "llm": [(getattr(dut, f"llm{i}"), 4, llm_words) for i in range(soc.lanes)],
            "xreg": [(dut.xregs, 4, 32)],
            "vreg": [(dut.vregs, row, 32)],
        }

    def size(self, space: str) -> int:
        return sum(per * entries for _, per, entries in self.layout[space])

    def _pieces(self, space: str, address: int, nbytes: int):
        """(array, bytes per entry, first entry, last entry + 1, byte offset into the range)."""
        base = 0
        for array, per, entries in self.layout[space]:
            lo, hi = max(address, base), min(address + nbytes, base + per * entries)
            if lo < hi:
                yield array, per, (lo - base) // per, -(-(hi - base) // per), lo - address, base
            base += per * entries

    def write(self, space: str, address: int, data: bytes) -> None:
        for array, per, first, end, _, base in self._pieces(space, address, len(data)):
            span = bytearray(self._read_entries(array, per, first, end)
                             if (base + per * first < address or base + per * end > address + len(data))
                             else bytes(per * (end - first)))
            lo = base + per * first            # byte address of the span
            a, b = max(address, lo), min(address + len(data), lo + len(span))
            span[a - lo:b - lo] = data[a - address:b - address]
            for i in range(end - first):
                array[first + i].value = int.from_bytes(span[per * i:per * (i + 1)], "little")

    def read(self, space: str, address: int, nbytes: int) -> bytes:
        out = bytearray(nbytes)
        for array, per, first, end, _, base in self._pieces(space, address, nbytes):
            span = self._read_entries(array, per, first, end)
            lo = base + per * first
            a, b = max(address, lo), min(address + nbytes, lo + len(span))
            out[a - address:b - address] = span[a - lo:b - lo]
        return bytes(out)

    def clear(self, space: str) -> None:
        for array, _, entries in self.layout[space]:
            for i in range(entries):
                array[i].value = 0

    @staticmethod
    def _read_entries(array, per: int, first: int, end: int) -> bytes:
        return b"".join(array[i].value.to_unsigned().to_bytes(per, "little") for i in range(first, end))


class Bench:
    """The commands a session sends, carried out on the simulated SoC: every core's own
    spaces by core number, one DDR (``cores x ddr_bytes``) shared by all DMA masters."""

    def __init__(self, dut, soc: SocConfig):
        self.dut = dut
        self.soc = soc
        self.cores = [CorePins(dut, soc, i) for i in range(soc.cores)]
        self.hosts = [HostPort(pins) for pins in self.cores]
        self.arrays = [Arrays(pins.instance, soc) for pins in self.cores]
        self.ddr = attach_ddr(dut, soc, prefixes=[prefix for pins in self.cores
                                                  for prefix in port_prefixes(soc, pins.axi_prefix)])
        self.rng_bytes = 2 * soc.vector_bytes
        #: (space, core) that may hold non-zero bytes (the emitted Verilog starts all memories
        #: at zero); DDR is ("ddr", 0)
        self.dirty = set()
        self.pending = False     # deposits not yet seen by the simulator

    def size(self, space: str) -> int:
        if space == "ddr":
            return self.soc.cores * self.soc.ddr_bytes
        if space == "rng":
            return self.rng_bytes
        return self.arrays[0].size(space)

    async def settle(self) -> None:
        """Let the simulator apply deposits made since the last time step."""
        if self.pending:
            await Timer(1, unit="ps")
            self.pending = False

    async def reset(self) -> None:
        """Core reset (pc, CSRs, counters, RNG, DMA) and zero x/v registers; memories kept."""
        dut = self.dut
        dut.rst.value = 1
        await FallingEdge(dut.clk)
        await FallingEdge(dut.clk)
        dut.rst.value = 0
        for arrays in self.arrays:
            for space in ("xreg", "vreg"):
                arrays.clear(space)
        self.pending = True
        await FallingEdge(dut.clk)

    async def clear(self, space: str, core: int = 0) -> None:
        """Zero a whole memory (DDR: all of it, every core's)."""
        key = (space, 0 if space == "ddr" else core)
        if key in self.dirty:
            if space == "ddr":
                self.ddr.write(0, bytes(self.size("ddr")))
            else:
                self.arrays[core].clear(space)
                self.pending = True
            self.dirty.discard(key)

    async def write(self, space: str, address: int, data: bytes, core: int = 0) -> None:
        self._check(space, address, len(data), core)
        if not data:
            return
        self.dirty.add((space, 0 if space == "ddr" else core))
        if space == "ddr":
            self.ddr.write(address, data)
        elif space == "rng":
            await self.settle()
            if address % 4 or len(data) % 4:
                raise ValueError("RNG writes must be whole, aligned 32-bit words")
            await self.hosts[core].write(HostSpace.RNG, address // 4, np.frombuffer(data, dtype="<u4"))
        else:
            self.arrays[core].write(space, address, data)
            self.pending = True

    async def read(self, space: str, address: int, nbytes: int, core: int = 0) -> bytes:
        self._check(space, address, nbytes, core)
        await self.settle()
        if space == "ddr":
            return bytes(self.ddr.read(address, nbytes))
        if space == "rng":
            first, end = address // 4, -(-(address + nbytes) // 4)
            words = await self.hosts[core].read(HostSpace.RNG, first, end - first)
            raw = words.astype("<u4").tobytes()
            return raw[address - 4 * first: address - 4 * first + nbytes]
        return self.arrays[core].read(space, address, nbytes)

    async def window(self, base: int, size: int, core: int = 0) -> None:
        """Set a core's DDR window (what the host does through DDR_BASE and DDR_SIZE)."""
        self._check("ddr", 0, 0, core)
        if base % 64 or size % 64 or base < 0 or size < 0 or base + size > self.size("ddr"):
            raise ValueError(f"DDR window of {size} bytes at 0x{base:x}: base and size must be multiples "
                             f"of 64 inside the bench's {self.size('ddr')}-byte DDR")
        self.cores[core].ddr_base.value = base
        self.cores[core].ddr_size.value = size

    async def run(self, max_cycles: int, trace: bool, cores=None):
        """Start cores at pc 0 (``cores``: their numbers, all in the same cycle; None: core 0
        alone, and one result rather than a list) and wait until each halts or ``max_cycles``
        pass; with ``trace`` (one core), record every retired instruction as (cycle, pc,
        x rd or -1, x data, v rd or -1) plus its v lanes."""
        await self.settle()
        numbers = [0] if cores is None else list(cores)
        for core in numbers:
            self._check("imem", 0, 0, core)
        if trace and len(numbers) != 1:
            raise ValueError("a traced run starts one core")
        pins = [self.cores[core] for core in numbers]
        clk = self.dut.clk
        await FallingEdge(clk)
        for dut in pins:
            dut.start.value = 1
        await FallingEdge(clk)
        for dut in pins:
            dut.start.value = 0
        retired, lanes = [], []
        if trace:
            dut = pins[0]
            for _ in range(max_cycles):
                if value(dut.status) != Halt.RUNNING:
                    break
                if retired and value(dut.wb_x):           # write-back of the previous instruction
                    retired[-1][2:4] = [value(dut.wb_x_rd), value(dut.wb_x_data)]
                if retired and value(dut.wb_v):
                    retired[-1][4] = value(dut.wb_v_rd)
                    lanes[-1] = value(dut.wb_v_data).to_bytes(self.soc.vector_bytes, "little")
                if value(dut.retire):
                    retired.append([value(dut.cycles), value(dut.retire_pc), -1, 0, -1])
                    lanes.append(None)
                await FallingEdge(clk)
        else:
            deadline = get_sim_time("ns") + PERIOD_NS * max_cycles
            for dut in pins:
                left = deadline - get_sim_time("ns")
                if value(dut.status) == Halt.RUNNING and left > 0:
                    await First(dut.status.value_change, Timer(left, unit="ns"))
        await FallingEdge(clk)          # last write-back
        await FallingEdge(clk)
        empty = bytes(self.soc.vector_bytes)
        results = []
        for core, dut in zip(numbers, pins):
            written = value(dut.written)
            for bit, space in enumerate(("dmem", "vmem", "llm")):
                if written >> bit & 1:
                    self.dirty.add((space, core))
            self.dirty.update({("xreg", core), ("vreg", core), ("ddr", 0)})
            results.append({"status": value(dut.status), "fault": value(dut.fault), "halt_pc": value(dut.halt_pc),
                            "cycles": value(dut.cycles), "instructions": value(dut.retired), "written": written,
                            "trace": retired, "trace_v": [v if v is not None else empty for v in lanes]})
        return results[0] if cores is None else results

    def _check(self, space: str, address: int, nbytes: int, core: int = 0) -> None:
        if not 0 <= core < len(self.cores):
            raise ValueError(f"core {core} does not exist (this SoC has {len(self.cores)})")
        size = self.size(space)
        if address < 0 or nbytes < 0 or address + nbytes > size:
            raise ValueError(f"{nbytes} bytes at {space} 0x{address:x} lie outside {space} ({size} bytes)")


@cocotb.test()
async def serve(dut):
    conn = Client(os.environ["FENN_RTL_SESSION"], family="AF_UNIX")
    soc = SocConfig.from_dict(conn.recv())
    cocotb.start_soon(Clock(dut.clk, PERIOD_NS, unit="ns").start())
    bench = Bench(dut, soc)
    for core, pins in enumerate(bench.cores):
        for name in ("start", "host_we", "host_space", "host_addr", "host_wdata"):
            getattr(pins, name).value = 0
        await bench.window(*soc.ddr_window(core), core)
    await bench.reset()
    await obey(conn, bench, COMMANDS)


async def obey(conn, bench, commands) -> None:
    """Answer the session's commands (methods of ``bench`` named in ``commands``) until quit."""
    conn.send(("ok", None))
    while True:
        command, *args = conn.recv()     # simulated time stands still while we wait
        if command == "quit":
            conn.send(("ok", None))
            conn.close()
            return
        try:
            if command not in commands:
                raise ValueError(f"unknown command {command!r}; expected one of {commands}")
            result = await getattr(bench, command)(*args)
        except Exception as error:
            conn.send(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))
        else:
            conn.send(("ok", result))
