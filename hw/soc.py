"""The FeNN SoC top level: ``SocConfig.cores`` identical cores, each with its own memories,
AXI4-Lite host port, DMA masters to DDR and ``halted`` line; they share nothing inside the
SoC (DDR is shared outside it, each core confined to its own DDR window).

Port names come from :func:`fenn.hw.ports.soc_ports` (the list board flows read): core 0
has ``s_axil__*`` (host, AXI4-Lite slave), ``m_axi__*`` (DMA, AXI4 master, 128-bit; with
``SocConfig.dma_ports`` = 2 also ``m_axi1__*``) and ``halted`` (level, for an interrupt);
core ``i`` has ``s_axil{i}``, masters ``m_axi{i x dma_ports + p}`` and ``halted{i}``.
Plus ``clk`` and ``rst``.
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
from .ports import soc_ports

__all__ = ["FennSoc", "CoreTile", "MAX_CORES"]

#: the CORES register's count field is 8 bits wide
MAX_CORES = 255


class CoreTile(wiring.Component):
    """One core behind its own AXI4-Lite host interface (which holds its DDR window)."""

    def __init__(self, soc: SocConfig, index: int):
        self.soc = soc
        self.index = index
        self.dma_ports = axi_port_names(soc)
        super().__init__({"s_axil": In(AxiLite()), **{name: Out(AxiMaster()) for name in self.dma_ports},
                          "halted": Out(1)})

    def elaborate(self, platform):
        m = Module()
        core = Core(self.soc, hart_id=self.index)
        m.submodules.host = host = AxiLiteHost(self.soc, self.index)
        # CONTROL.reset resets the core's registers (pipeline, CSRs, counters, DMA, RNG); memories keep
        m.submodules.core = ResetInserter({"sync": host.reset})(core)
        wiring.connect(m, wiring.flipped(self.s_axil), host.bus)
        for name in self.dma_ports:
            wiring.connect(m, wiring.flipped(getattr(self, name)), getattr(core, name))
        for name in ("start", "host_space", "host_addr", "host_we", "host_wdata",
                     "host_dma_we", "host_dma_reg", "host_dma_wdata", "ddr_base", "ddr_size"):
            m.d.comb += getattr(core, name).eq(getattr(host, name))
        for name in ("host_rdata", "status", "fault", "halt_pc", "cycles", "retired",
                     "host_dma_refused", "dma_status"):
            m.d.comb += getattr(host, name).eq(getattr(core, name))
        m.d.comb += self.halted.eq((core.status != Halt.RUNNING) & (core.status != Halt.IDLE))
        return m


class FennSoc(wiring.Component):
    def __init__(self, soc: SocConfig = DEFAULT_SOC):
        if soc.cores > MAX_CORES:
            raise ValueError(f"SocConfig.cores={soc.cores}: the RTL builds at most {MAX_CORES} cores per SoC")
        self.soc = soc
        self.ports = soc_ports(soc)
        members = {}
        for core in self.ports.cores:
            members[core.host] = In(AxiLite())
            members.update({name: Out(AxiMaster()) for name in core.dma})
            members[core.halted] = Out(1)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        for core in self.ports.cores:
            tile = m.submodules[f"tile{core.index}"] = CoreTile(self.soc, core.index)
            wiring.connect(m, wiring.flipped(getattr(self, core.host)), tile.s_axil)
            for ours, theirs in zip(core.dma, tile.dma_ports):
                wiring.connect(m, wiring.flipped(getattr(self, ours)), getattr(tile, theirs))
            m.d.comb += getattr(self, core.halted).eq(tile.halted)
        return m


class CoreArray(wiring.Component):
    """``SocConfig.cores`` bare cores side by side (no host interface), for the simulation
    benches: core ``i``'s ports under ``c{i}`` (``c1__start``, ``c1__axi__araddr``), its
    memories and register files in instance ``core{i}``."""

    def __init__(self, soc: SocConfig):
        self.soc = soc
        self.cores = [Core(soc, hart_id=i) for i in range(soc.cores)]
        super().__init__({f"c{i}": Out(core.signature) for i, core in enumerate(self.cores)})

    def elaborate(self, platform):
        m = Module()
        for i, core in enumerate(self.cores):
            m.submodules[f"core{i}"] = core
            wiring.connect(m, wiring.flipped(getattr(self, f"c{i}")), core)
        return m
