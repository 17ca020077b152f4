"""The DDR behind the SoC's DMA master(s), for cocotb testbenches.

One place decides which model answers the SoC's AXI4 read and write bursts, so every
bench (the core bench, the SoC host bench) sees the same memory with the same timing.
"""

from __future__ import annotations

from fenn.soc import SocConfig

__all__ = ["attach_ddr"]


def attach_ddr(dut, soc: SocConfig, prefix: str = "axi_"):
    """A DDR model on the AXI4 master whose signals start with ``prefix``.

    The returned object has ``write(address, data: bytes)`` and ``read(address, n) -> bytes``,
    which touch the memory without simulated time.
    """
    from cocotbext.axi import AxiBus, AxiRam
    return AxiRam(AxiBus.from_prefix(dut, prefix), dut.clk, dut.rst, size=soc.ddr_bytes)
