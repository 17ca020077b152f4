"""The SoC top's interface list: ONE description of what ``fenn_soc`` exposes, per core.

``fenn.hw.soc.FennSoc`` names its ports from it, and board flows (the Vivado block design
generator) read it to connect every core: its AXI4-Lite host port (to the PS's
M_AXI_HPM0 through an interconnect), its AXI4 DMA masters (to PS HP slave ports, or an
interconnect when there are more masters than ports) and its ``halted`` line (an
interrupt). Pure Python (no Amaranth), so a board flow can import it cheaply.

Names are Verilog port prefixes: signal ``awaddr`` of port ``s_axil1`` is
``s_axil1__awaddr`` (:func:`verilog_name`). Core 0 keeps the names a one-core SoC always
had (``s_axil``, ``m_axi``, ``m_axi1``, ``halted``); DMA masters are numbered across the
SoC (core ``i``'s port ``p`` is master ``i x dma_ports + p``).
"""

from __future__ import annotations

import dataclasses

from fenn.soc import SocConfig

__all__ = ["CorePorts", "SocPorts", "soc_ports", "verilog_name", "numbered", "HOST_APERTURE_BITS"]

#: each core's host port decodes this many address bits (window number in bits 26:24,
#: fenn.hw.regmap): an interconnect gives every core a 2**27-byte (128 MiB) aperture
HOST_APERTURE_BITS = 27


def numbered(base: str, index: int) -> str:
    """``base`` for index 0 (the name before there were several), then ``base1``, ``base2``..."""
    return base if index == 0 else f"{base}{index}"


def verilog_name(port: str, signal: str) -> str:
    """The Verilog name of one signal of a port (Amaranth joins the path with ``__``)."""
    return f"{port}__{signal}"


@dataclasses.dataclass(frozen=True)
class CorePorts:
    """One core's interfaces at the SoC top."""
    index: int
    host: str                    # AXI4-Lite slave (32-bit address and data)
    host_offset: int             # suggested offset of its aperture from the cores' common base
    dma: tuple[str, ...]         # AXI4 masters, 128-bit data, 32-bit address, 1-bit ID
    halted: str                  # level, high while the core is stopped after a run
    ddr_window: tuple[int, int]  # (base, size) of its DDR window after a system reset


@dataclasses.dataclass(frozen=True)
class SocPorts:
    """The whole top: clock and reset, and every core's interfaces."""
    top: str
    clock: str
    reset: str                   # synchronous, active high
    host_aperture: int           # bytes of address space each host port decodes
    host_addr_width: int
    host_data_width: int
    dma_addr_width: int
    dma_data_width: int
    dma_id_width: int
    cores: tuple[CorePorts, ...]

    @property
    def dma_masters(self) -> tuple[str, ...]:
        """Every DMA master of the SoC, in master-number order."""
        return tuple(name for core in self.cores for name in core.dma)


def soc_ports(soc: SocConfig) -> SocPorts:
    """The interface list of ``fenn_soc`` built for ``soc``."""
    aperture = 1 << HOST_APERTURE_BITS
    cores = tuple(CorePorts(index=i, host=numbered("s_axil", i), host_offset=i * aperture,
                            dma=tuple(numbered("m_axi", i * soc.dma_ports + p) for p in range(soc.dma_ports)),
                            halted=numbered("halted", i), ddr_window=soc.ddr_window(i))
                  for i in range(soc.cores))
    return SocPorts(top="fenn_soc", clock="clk", reset="rst", host_aperture=aperture,
                    host_addr_width=32, host_data_width=32, dma_addr_width=32, dma_data_width=128,
                    dma_id_width=1, cores=cores)
