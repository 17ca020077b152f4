"""cocotb testbench that serves one live simulation of the SoC top ``fenn_soc`` as a board
sees it: the host's AXI4-Lite port driven by cocotbext-axi's AxiLiteMaster, and every DMA
master on cocotbext-axi's AxiRam (one shared memory, the board's DDR).

Started by :class:`fenn.hw.soc_session.SocSession` (never imported by ``import fenn``);
like :mod:`fenn.hw.cocotb_bench` it connects back over the AF_UNIX socket named by
``FENN_RTL_SESSION`` and obeys commands until ``quit``. No simulated time passes while it
waits for one, except what a command spends: an MMIO access takes the AXI4-Lite
transaction's cycles, ``advance`` lets the SoC run.
"""

from __future__ import annotations

import logging
import os
from multiprocessing.connection import Client

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge

from fenn.hw.cocotb_bench import obey
from fenn.hw.ddr_model import attach_ddr
from fenn.soc import SocConfig

#: what a session may ask for (besides "quit")
COMMANDS = ("mmio_read", "mmio_write", "ram_read", "ram_write", "advance", "reset")
PERIOD_NS = 10


class SocBench:
    """Host addresses are flat: core i's host port at ``i x`` the SoC's host aperture
    (:func:`fenn.hw.ports.soc_ports`), as a board's address map puts them side by side."""

    def __init__(self, dut, soc: SocConfig):
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster

        from fenn.hw.ports import soc_ports
        self.dut = dut
        ports = soc_ports(soc)
        self.aperture = ports.host_aperture
        self.hosts = [AxiLiteMaster(AxiLiteBus.from_prefix(dut, f"{core.host}_"), dut.clk, dut.rst)
                      for core in ports.cores]
        self.ram = attach_ddr(dut, soc, model="axiram", prefixes=[f"{name}_" for name in ports.dma_masters])
        logging.getLogger(f"cocotb.{dut._name}").setLevel(logging.WARNING)   # a line per AXI access

    def _host(self, address: int):
        core, offset = divmod(address, self.aperture)
        if core >= len(self.hosts):
            raise ValueError(f"host address 0x{address:x} is beyond the {len(self.hosts)} cores' ports")
        return self.hosts[core], offset

    async def reset(self) -> None:
        """The SoC's reset line (as the PS's PL reset): core, host interface, DMA."""
        self.dut.rst.value = 1
        for _ in range(3):
            await FallingEdge(self.dut.clk)
        self.dut.rst.value = 0
        await FallingEdge(self.dut.clk)

    async def mmio_read(self, address: int, words: int) -> tuple[bytes, int]:
        """``words`` 32-bit reads from ``address``: (data, worst AXI response)."""
        host, offset = self._host(address)
        result = await host.read(offset, 4 * words)
        return bytes(result.data), int(result.resp)

    async def mmio_write(self, address: int, data: bytes) -> int:
        """32-bit writes of ``data`` from ``address``; the worst AXI response."""
        host, offset = self._host(address)
        return int((await host.write(offset, data)).resp)

    async def ram_read(self, address: int, nbytes: int) -> bytes:
        return bytes(self.ram.read(address, nbytes))

    async def ram_write(self, address: int, data: bytes) -> None:
        self.ram.write(address, data)

    async def advance(self, cycles: int) -> None:
        """Let ``cycles`` clock cycles pass."""
        await ClockCycles(self.dut.clk, cycles)


@cocotb.test()
async def serve(dut):
    conn = Client(os.environ["FENN_RTL_SESSION"], family="AF_UNIX")
    soc = SocConfig.from_dict(conn.recv())
    cocotb.start_soon(Clock(dut.clk, PERIOD_NS, unit="ns").start())
    bench = SocBench(dut, soc)
    await bench.reset()
    await obey(conn, bench, COMMANDS)
