"""The host interface: an AXI4-Lite slave decoding the register map of ``fenn.hw.regmap``.

One transaction at a time (a read or a write), answered in three cycles: the accepted
request is registered before it reaches the core. Memory windows go through the core's host
port, so they work only while the core is stopped.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from fenn.faults import FAULT_BITS
from fenn.soc import SocConfig

from .core import Halt
from .ports import HOST_APERTURE_BITS
from .regmap import BY_NAME, REGISTERS, WINDOW_SHIFT, WINDOWS, register_values

__all__ = ["AxiLite", "AxiLiteHost"]

RESP_OKAY, RESP_SLVERR = 0, 2


def AxiLite(addr_width: int = 32) -> wiring.Signature:
    """AXI4-Lite, master view (a slave port is ``In(AxiLite())``)."""
    return wiring.Signature({
        "awaddr": Out(addr_width), "awvalid": Out(1), "awready": In(1),
        "wdata": Out(32), "wstrb": Out(4), "wvalid": Out(1), "wready": In(1),
        "bresp": In(2), "bvalid": In(1), "bready": Out(1),
        "araddr": Out(addr_width), "arvalid": Out(1), "arready": In(1),
        "rdata": In(32), "rresp": In(2), "rvalid": In(1), "rready": Out(1),
    })


def _field(reg: str, name: str):
    for field, lsb, width, _ in BY_NAME[reg].fields:
        if field == name:
            return lsb, width
    raise KeyError(f"{reg} has no field {name}")


class AxiLiteHost(wiring.Component):
    """AXI4-Lite slave in, the core's control and host port out; it holds the DDR window
    registers (so a core reset keeps them, and the core cannot reach them)."""

    def __init__(self, soc: SocConfig, core: int = 0):
        self.soc = soc
        self.core = core
        super().__init__({
            "bus": In(AxiLite()),
            # to the core
            "start": Out(1), "reset": Out(1),
            "host_space": Out(3), "host_addr": Out(32), "host_we": Out(1), "host_wdata": Out(32),
            "host_rdata": In(32),
            # from the core
            "status": In(3), "fault": In(FAULT_BITS), "halt_pc": In(32), "cycles": In(64), "retired": In(64),
            # DMA channels driven by the host
            "host_dma_we": Out(1), "host_dma_reg": Out(3), "host_dma_wdata": Out(32),
            "host_dma_refused": In(1), "dma_status": In(16),
            # the DDR window, to the core's DMA
            "ddr_base": Out(32, init=soc.ddr_window(core)[0]), "ddr_size": Out(32, init=soc.ddr_window(core)[1]),
        })

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        running = self.status == Halt.RUNNING
        live = {
            "STATUS": (self.status << _field("STATUS", "halt")[0]) | (running << _field("STATUS", "running")[0])
                      | (self.fault << _field("STATUS", "fault")[0]),
            "HALT_PC": self.halt_pc, "CYCLES_LO": self.cycles[:32], "CYCLES_HI": self.cycles[32:],
            "INSTRET_LO": self.retired[:32], "INSTRET_HI": self.retired[32:],
            "DMA_MM2S_STATUS": self.dma_status[:8], "DMA_S2MM_STATUS": self.dma_status[8:],
            "DDR_BASE": self.ddr_base, "DDR_SIZE": self.ddr_size,
        }
        constants = register_values(self.soc, self.core)

        def decode(address):
            """(is a register, register value, window known, host space) for one address."""
            window = address[WINDOW_SHIFT:HOST_APERTURE_BITS]
            value = Const(0, 32)
            for reg in REGISTERS:
                source = live.get(reg.name, constants.get(reg.name))
                if source is None or "r" not in reg.access:
                    continue
                value = value | Mux(address[:WINDOW_SHIFT] == reg.offset, source, 0)
            space = Const(0, 3)
            known = Const(0, 1)
            for number, (_, host_space) in WINDOWS.items():
                space = space | Mux(window == number, host_space, 0)
                known = known | (window == number)
            return window == 0, value, known, space

        # Every accepted request is registered before it reaches the core (its host port, DMA
        # registers, start and reset): the AXI inputs go to flip-flops only. A write acts one
        # cycle after its handshake and is answered from there; a read's address reaches the
        # core one cycle after its handshake and the data comes back the cycle after.
        b_valid, b_resp = Signal(), Signal(2)
        r_valid, r_data, r_resp = Signal(), Signal(32), Signal(2)
        wq_valid = Signal()            # a write accepted last cycle: it acts now, answered next
        read_wait = Signal(2)          # a read accepted 1 (bit 0) or 2 (bit 1) cycles ago
        read_is_reg, read_reg_value = Signal(), Signal(32)
        idle = ~b_valid & ~r_valid & ~read_wait.any() & ~wq_valid
        accept_read = idle & bus.arvalid
        accept_write = idle & ~bus.arvalid & bus.awvalid & bus.wvalid
        m.d.comb += [bus.arready.eq(accept_read), bus.awready.eq(accept_write), bus.wready.eq(accept_write),
                     bus.bvalid.eq(b_valid), bus.bresp.eq(b_resp),
                     bus.rvalid.eq(r_valid), bus.rdata.eq(r_data), bus.rresp.eq(r_resp)]
        w_is_reg, _, w_known, w_space = decode(bus.awaddr)
        r_is_reg, r_value, r_known, r_space = decode(bus.araddr)
        control = bus.awaddr[:WINDOW_SHIFT] == BY_NAME["CONTROL"].offset
        dma_reg = Const(0, 1)
        dma_index = Const(0, 3)
        for index, ch in enumerate(("MM2S", "S2MM")):
            for k, name in enumerate(("SRC", "DST", "COUNT", "CONTROL")):
                hit = w_is_reg & (bus.awaddr[:WINDOW_SHIFT] == BY_NAME[f"DMA_{ch}_{name}"].offset)
                dma_reg = dma_reg | hit
                dma_index = dma_index | Mux(hit, 4 * index + k, 0)
        window_regs = {name: w_is_reg & (bus.awaddr[:WINDOW_SHIFT] == BY_NAME[name].offset)
                       for name in ("DDR_BASE", "DDR_SIZE")}
        window_reg = window_regs["DDR_BASE"] | window_regs["DDR_SIZE"]
        for name, register in (("DDR_BASE", self.ddr_base), ("DDR_SIZE", self.ddr_size)):
            with m.If(accept_write & window_regs[name] & ~running):
                m.d.sync += register.eq(bus.wdata & ~0x3F)      # whole 64-byte rows

        # the request, registered: the core's host port (a write, or a read's address) and DMA registers
        m.d.sync += [self.host_we.eq(accept_write & ~w_is_reg & w_known & ~running),
                     self.host_dma_we.eq(accept_write & dma_reg),
                     self.start.eq(accept_write & w_is_reg & control & bus.wdata[_field("CONTROL", "start")[0]]),
                     self.reset.eq(accept_write & w_is_reg & control & bus.wdata[_field("CONTROL", "reset")[0]]),
                     wq_valid.eq(accept_write)]
        with m.If(accept_write | accept_read):
            m.d.sync += [self.host_space.eq(Mux(accept_write, w_space, r_space)),
                         self.host_addr.eq(Mux(accept_write, bus.awaddr, bus.araddr)[:WINDOW_SHIFT])]
        with m.If(accept_write):
            m.d.sync += [self.host_wdata.eq(bus.wdata), self.host_dma_reg.eq(dma_index),
                         self.host_dma_wdata.eq(bus.wdata)]

        # ------------------------------------------------------------------ write responses
        # decided when accepted (the core's state then), but for the DMA refusal, which the core
        # gives when the registered write reaches it
        wq_dma, wq_ok = Signal(), Signal()
        with m.If(accept_write):
            m.d.sync += [wq_dma.eq(dma_reg),
                         wq_ok.eq((w_is_reg & ~(window_reg & running)) | (w_known & ~running))]
        with m.If(wq_valid):
            m.d.sync += [b_valid.eq(1),
                         b_resp.eq(Mux(wq_ok & ~(wq_dma & self.host_dma_refused), RESP_OKAY, RESP_SLVERR))]
        with m.If(b_valid & bus.bready):
            m.d.sync += b_valid.eq(0)

        # ------------------------------------------------------------------ reads
        m.d.sync += read_wait.eq(Cat(accept_read, read_wait[0]))
        with m.If(accept_read):
            m.d.sync += [read_is_reg.eq(r_is_reg), read_reg_value.eq(r_value),
                         r_resp.eq(Mux(r_is_reg | (r_known & ~running), RESP_OKAY, RESP_SLVERR))]
        with m.If(read_wait[1]):
            m.d.sync += [r_valid.eq(1),
                         r_data.eq(Mux(read_is_reg, read_reg_value, Mux(r_resp == RESP_OKAY, self.host_rdata, 0)))]
        with m.If(r_valid & bus.rready):
            m.d.sync += r_valid.eq(0)
        return m
