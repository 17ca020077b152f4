"""The FeNN SoC top level: the core, its DMA master to DDR and the AXI4-Lite host port.

Ports (Verilog names): ``s_axil__*`` (host, AXI4-Lite slave), ``m_axi__*`` (DMA, AXI4
master, 128-bit; with ``SocConfig.dma_ports`` = 2 also ``m_axi1__*``), ``halted`` (level,
for an interrupt), ``clk``, ``rst``.
"""

from __future__ import annotations

from amaranth import Module
from amaranth.hdl import ResetInserter
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from fenn.soc import DEFAULT_SOC, SocConfig

from .core import Core, Halt
from .dma import AxiMaster, axi_port_names
from .host import AxiLite, AxiLiteHost

__all__ = ["FennSoc"]


class FennSoc(wiring.Component):
    def __init__(self, soc: SocConfig = DEFAULT_SOC):
        self.soc = soc
        self.dma_ports = axi_port_names(soc, "m_axi")      # m_axi, m_axi1, ...
        super().__init__({"s_axil": In(AxiLite()), **{name: Out(AxiMaster()) for name in self.dma_ports},
                          "halted": Out(1)})

    def elaborate(self, platform):
        m = Module()
        core = Core(self.soc)
        m.submodules.host = host = AxiLiteHost(self.soc)
        # CONTROL.reset resets the core's registers (pipeline, CSRs, counters, DMA, RNG); memories keep
        m.submodules.core = ResetInserter({"sync": host.reset})(core)
        wiring.connect(m, wiring.flipped(self.s_axil), host.bus)
        for ours, theirs in zip(self.dma_ports, axi_port_names(self.soc)):
            wiring.connect(m, wiring.flipped(getattr(self, ours)), getattr(core, theirs))
        for name in ("start", "host_space", "host_addr", "host_we", "host_wdata",
                     "host_dma_we", "host_dma_reg", "host_dma_wdata"):
            m.d.comb += getattr(core, name).eq(getattr(host, name))
        m.d.comb += [core.ddr_base.eq(host.ddr_base), core.ddr_size.eq(host.ddr_size)]
        for name in ("host_rdata", "status", "fault", "halt_pc", "cycles", "retired",
                     "host_dma_refused", "dma_status"):
            m.d.comb += getattr(host, name).eq(getattr(core, name))
        m.d.comb += self.halted.eq((core.status != Halt.RUNNING) & (core.status != Halt.IDLE))
        return m
