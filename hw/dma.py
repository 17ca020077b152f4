"""The DMA engine: MM2S (DDR -> VMEM) and S2MM (VMEM -> DDR) over ``dma_ports`` AXI4 masters.

Each channel has two halves:

* the *timing model* of docs/timing.md: a start in cycle ``t`` makes the channel busy
  until the end of cycle ``t + L + ceil(COUNT / B)`` (``L = dma_read_latency``,
  ``B`` = 16 bytes per cycle per port); its status bits (start / transferring / idle /
  last OK) are derived from one down-counter, so they read exactly as the simulator's;
* the *data mover*: a transfer of ``T`` 16-byte beats is cut into ``dma_ports`` contiguous
  chunks of ``T / dma_ports`` beats (an exact split: counts are multiples of 64 bytes and
  the RTL supports 1 or 2 ports), chunk ``p`` on AXI master ``p`` as INCR bursts of
  128-bit beats (never crossing 4 KiB). The mover must finish within the model's time; if
  the memory system is slower, the channel holds its last busy cycle until the mover is
  done (the cycle count then exceeds the model's, and parity tests show it).

All movers share the one DMA port of VMEM (a URAM port: one 64-byte row read or written a
cycle). See :func:`check_rtl_dma` for the configurations that can meet the model and why.

Data lands progressively rather than all at once at completion; programs may not look
at a transfer's destination (or change its source) before the channel reads idle, so
no legal program can tell the difference.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from fenn.isa import DMA_STATUS_BITS
from fenn.soc import SocConfig

from .ports import numbered

__all__ = ["AxiMaster", "DmaChannelModel", "Dma", "CHANNELS", "SUPPORTED_DMA_PORTS", "min_dma_read_latency",
           "ddr_read_delay", "check_rtl_dma", "axi_port_names"]

CHANNELS = ("mm2s", "s2mm")
BEAT_BYTES = 16
ROW_BEATS = 4
AXI_INCR = 1
AXI_SIZE_16 = 4
RESP_SLVERR, RESP_DECERR = 2, 3
#: one VMEM DMA port moves 64 bytes a cycle; both channels at once need 2 x 16 x dma_ports
SUPPORTED_DMA_PORTS = (1, 2)
#: per dma_ports: (smallest dma_read_latency the RTL meets with an ideal DDR, cycles of the
#: latency the RTL itself uses on a read). Why: alone, an S2MM transfer's last write
#: response comes back at start + ceil(COUNT/B) + 3 (first VMEM fetch, its read cycle, W
#: beats, B one cycle after the last), and with MM2S running its first fetch may wait a
#: cycle: 4. With two ports the VMEM DMA port is fully booked when both channels stream
#: (2 x 32 B/cycle) and a row cut between the two masters costs each channel one more
#: access: 8. On MM2S the RTL spends one cycle issuing AR and up to 1 (one port) or 4 (two
#: ports) waiting for the VMEM port after the last beat. tests/hw/test_dma.py checks both
#: numbers and that one cycle less is missed (random transfers on both channels at once).
RTL_LATENCY_LIMITS = {1: (4, 2), 2: (8, 5)}
#: a mover's addresses run at most this many beats ahead of its data, and at most this many
#: write bursts are outstanding (bounded queues in the interconnect and the movers)
MAX_AHEAD, MAX_BURSTS = 512, 8


def arbiter_period(dma_ports: int) -> int:
    """Requesters of the VMEM DMA port (both channels' per-port movers): each owns one
    cycle in this many, so none waits longer than period - 1 cycles."""
    return 2 * dma_ports


def ddr_read_delay(soc: SocConfig) -> int:
    """The slowest DDR the RTL meets docs/timing.md with: cycles from an AR handshake to
    the first beat of that burst (beats then one a cycle, bursts back to back)."""
    return soc.dma_read_latency - RTL_LATENCY_LIMITS[soc.dma_ports][1]


def min_dma_read_latency(dma_ports: int) -> int:
    """The smallest dma_read_latency the RTL can meet even with an ideal DDR (read data
    one cycle after AR, write response one cycle after the last W beat)."""
    return RTL_LATENCY_LIMITS[dma_ports][0]


def check_rtl_dma(soc: SocConfig) -> None:
    """Refuse configurations whose DMA the RTL cannot build or cannot make meet the model."""
    if soc.vector_bytes != ROW_BEATS * BEAT_BYTES:
        raise ValueError("the RTL DMA engine expects 64-byte VMEM rows (32 lanes of 16 bits)")
    if soc.dma_ports not in SUPPORTED_DMA_PORTS:
        raise ValueError(
            f"SocConfig.dma_ports={soc.dma_ports} is not supported by the RTL (supported: "
            f"{', '.join(map(str, SUPPORTED_DMA_PORTS))}); both channels at full speed need "
            f"2 x 16 x dma_ports bytes a cycle from VMEM's one DMA port, which moves 64: "
            f"use dma_ports=1 or 2")
    low = min_dma_read_latency(soc.dma_ports)
    if soc.dma_read_latency < low:
        raise ValueError(
            f"SocConfig.dma_read_latency={soc.dma_read_latency} is below {low}, the smallest the RTL can meet "
            f"with dma_ports={soc.dma_ports}; even an ideal DDR would finish its transfers late (docs/hw.md): "
            f"use dma_read_latency >= {low}")
    if soc.cores * soc.ddr_bytes > 1 << 32:
        raise ValueError(
            f"SocConfig: cores x ddr_bytes = {soc.cores * soc.ddr_bytes} bytes of DDR windows do not fit the "
            f"DMA's 32-bit AXI addresses: use a smaller ddr_bytes or fewer cores")


def axi_port_names(soc: SocConfig, base: str = "axi") -> list[str]:
    """Names of the AXI4 masters: ``base`` for port 0 (as before ports were added), then
    ``base1``, ``base2``, ..."""
    return [numbered(base, p) for p in range(soc.dma_ports)]


def AxiMaster(addr_width: int = 32, data_width: int = 128) -> wiring.Signature:
    """AXI4 master signals (single ID), named as cocotbext-axi expects after a prefix."""
    return wiring.Signature({
        "awid": Out(1), "awaddr": Out(addr_width), "awlen": Out(8), "awsize": Out(3),
        "awburst": Out(2), "awvalid": Out(1), "awready": In(1),
        "wdata": Out(data_width), "wstrb": Out(data_width // 8), "wlast": Out(1),
        "wvalid": Out(1), "wready": In(1),
        "bid": In(1), "bresp": In(2), "bvalid": In(1), "bready": Out(1),
        "arid": Out(1), "araddr": Out(addr_width), "arlen": Out(8), "arsize": Out(3),
        "arburst": Out(2), "arvalid": Out(1), "arready": In(1),
        "rid": In(1), "rdata": In(data_width), "rresp": In(2), "rlast": In(1),
        "rvalid": In(1), "rready": Out(1),
    })


def _burst_beats(address, beats_left):
    """Beats of the next burst: at most 256, never crossing a 4 KiB boundary."""
    to_boundary = (Const(4096, 13) - address[:12]) >> 4          # 1..256
    return Mux(beats_left < to_boundary, beats_left, to_boundary)


def _error_bits(resp):
    return (Mux(resp == RESP_SLVERR, 1 << DMA_STATUS_BITS["slave_error"], 0)
            | Mux(resp == RESP_DECERR, 1 << DMA_STATUS_BITS["decode_error"], 0))


class DmaChannelModel(wiring.Component):
    """The cycle-model half of one channel: busy time and the status register."""

    def __init__(self, latency: int, bytes_per_cycle: int):
        self.latency = latency
        self.bytes_per_cycle = bytes_per_cycle
        super().__init__({
            "start": In(1),
            "count": In(32),
            "mover_done": In(1),
            "error": In(8),         # error bits from the mover (sticky until the next start)
            "busy": Out(1),          # busy in this cycle (a start now would fault)
            "busy_after": Out(1),    # still busy in the next cycle
            "status": Out(8),
        })

    def elaborate(self, platform):
        m = Module()
        remain = Signal(33)
        beats = Signal(33)
        last_ok = Signal()
        bits = DMA_STATUS_BITS
        shift = self.bytes_per_cycle.bit_length() - 1
        m.d.comb += [
            self.busy.eq(remain != 0),
            self.busy_after.eq((remain > 1) | ((remain == 1) & ~self.mover_done)),
            self.status.eq((Mux(remain == 0, 1, 0) << bits["idle"])
                           | (Mux(remain > beats, 1, 0) << bits["start"])
                           | (Mux((remain != 0) & (remain <= beats), 1, 0) << bits["transferring"])
                           | (last_ok << bits["last_ok"]) | self.error),
        ]
        with m.If(remain > 1):
            m.d.sync += remain.eq(remain - 1)
        with m.Elif((remain == 1) & self.mover_done):
            m.d.sync += [remain.eq(0), last_ok.eq(1)]
        with m.If(self.start):
            n = self.count >> shift            # counts are multiples of 64 bytes
            m.d.sync += beats.eq(n)
            with m.If(self.count == 0):
                m.d.sync += [remain.eq(0), last_ok.eq(1)]
            with m.Else():
                m.d.sync += remain.eq(self.latency + n)
        return m


def _chunk_members():
    # a port's share of a transfer: start strobe, DDR byte address, VMEM byte address, beats
    return {"start": In(1), "ddr": In(32), "vmem": In(32), "beats": In(32)}


class Mm2sPort(wiring.Component):
    """One AXI master's share of an MM2S transfer: AR bursts out, R beats in, assembled
    into VMEM rows (a chunk may start or end in the middle of a row: those rows are
    written with 16-byte enables). A finished row waits in ``pending`` for its VMEM slot;
    the R channel is held only if the next row finishes before that (never when the
    arbiter's guarantee holds)."""

    def __init__(self, rows: int):
        super().__init__({
            **_chunk_members(),
            "axi": Out(AxiMaster()),      # only its read (MM2S) or write (S2MM) half is used
            "req": Out(1), "grant": In(1),
            "row": Out(range(rows)), "data": Out(ROW_BEATS * 128), "mask": Out(ROW_BEATS),
            "done": Out(1), "error": Out(8),
        })

    def elaborate(self, platform):
        m = Module()
        axi = self.axi
        ar_addr, ar_left, r_left = Signal(32), Signal(32), Signal(32)
        pos, row = Signal(2), Signal.like(self.row)
        assembly, filled = Signal(ROW_BEATS * 128), Signal(ROW_BEATS)
        pending = Signal()
        # at most MAX_AHEAD beats requested and not yet received
        m.d.comb += [axi.arvalid.eq((ar_left != 0) & (r_left - ar_left < MAX_AHEAD)), axi.araddr.eq(ar_addr),
                     axi.arsize.eq(AXI_SIZE_16),
                     axi.arburst.eq(AXI_INCR)]
        ar_beats = _burst_beats(ar_addr, ar_left)
        m.d.comb += axi.arlen.eq(ar_beats - 1)
        with m.If(axi.arvalid & axi.arready):
            m.d.sync += [ar_addr.eq(ar_addr + (ar_beats << 4)), ar_left.eq(ar_left - ar_beats)]

        finishes_row = (pos == ROW_BEATS - 1) | (r_left == 1)
        stalled = finishes_row & pending & ~self.grant
        m.d.comb += axi.rready.eq((r_left != 0) & ~stalled)
        beat = axi.rvalid & axi.rready
        with m.If(self.grant):
            m.d.sync += pending.eq(0)
        with m.If(beat):
            m.d.sync += [r_left.eq(r_left - 1), pos.eq(pos + 1), self.error.eq(self.error | _error_bits(axi.rresp))]
            m.d.sync += assembly.word_select(pos, 128).eq(axi.rdata)
            with m.If(finishes_row):
                m.d.sync += [pending.eq(1), self.row.eq(row), row.eq(row + 1), filled.eq(0),
                             self.mask.eq(filled | (1 << pos))]
                for k in range(ROW_BEATS):
                    m.d.sync += self.data.word_select(k, 128).eq(Mux(pos == k, axi.rdata,
                                                                     assembly.word_select(k, 128)))
            with m.Else():
                m.d.sync += filled.eq(filled | (1 << pos))
        m.d.comb += [self.req.eq(pending),
                     self.done.eq((ar_left == 0) & (r_left == 0) & (~pending | self.grant))]
        with m.If(self.start):
            m.d.sync += [ar_addr.eq(self.ddr), ar_left.eq(self.beats), r_left.eq(self.beats),
                         pos.eq(self.vmem[4:6]), row.eq(self.vmem >> 6), filled.eq(0), self.error.eq(0)]
        return m


class S2mmPort(wiring.Component):
    """One AXI master's share of an S2MM transfer: VMEM rows fetched ahead into a
    three-row queue (enough to ride out the arbiter's worst wait), sent as W beats of
    INCR bursts whose AW may run ahead; done when every burst's write response is in."""

    QUEUE_ROWS = 3

    def __init__(self, rows: int):
        super().__init__({
            **_chunk_members(),
            "axi": Out(AxiMaster()),      # only its read (MM2S) or write (S2MM) half is used
            "req": Out(1), "grant": In(1),
            "row": Out(range(rows)), "rdata": In(ROW_BEATS * 128),
            "done": Out(1), "error": Out(8),
        })

    def elaborate(self, platform):
        m = Module()
        axi = self.axi
        m.submodules.queue = queue = SyncFIFO(width=ROW_BEATS * 128, depth=self.QUEUE_ROWS)
        aw_addr, aw_left = Signal(32), Signal(32)
        w_addr, w_left, pos = Signal(32), Signal(32), Signal(2)
        rows_left, in_flight = Signal(32), Signal()
        # bursts whose AW is accepted but W beats not all sent / all sent but no response yet
        open_bursts, b_owed = Signal(range(MAX_BURSTS + 1)), Signal(range(MAX_BURSTS + 1))
        m.d.comb += [axi.awsize.eq(AXI_SIZE_16), axi.awburst.eq(AXI_INCR), axi.wstrb.eq(-1), axi.bready.eq(1)]
        aw_beats = _burst_beats(aw_addr, aw_left)
        m.d.comb += [axi.awvalid.eq((aw_left != 0) & (w_left - aw_left < MAX_AHEAD)
                                    & (open_bursts + b_owed < MAX_BURSTS)),
                     axi.awaddr.eq(aw_addr), axi.awlen.eq(aw_beats - 1)]
        aw_fire = axi.awvalid & axi.awready
        with m.If(aw_fire):
            m.d.sync += [aw_addr.eq(aw_addr + (aw_beats << 4)), aw_left.eq(aw_left - aw_beats)]

        # fetch: one row in flight at most (VMEM answers the next cycle)
        m.d.comb += self.req.eq((rows_left != 0) & (queue.level + in_flight < self.QUEUE_ROWS))
        m.d.sync += in_flight.eq(self.grant)
        with m.If(self.grant):
            m.d.sync += [self.row.eq(self.row + 1), rows_left.eq(rows_left - 1)]
        m.d.comb += [queue.w_data.eq(self.rdata), queue.w_en.eq(in_flight)]

        # W beats from the head row; a burst's beats follow its AW
        last_of_burst = (w_left == 1) | (w_addr[4:12] == 0xFF)
        m.d.comb += [axi.wvalid.eq(queue.r_rdy & (w_left != 0) & (open_bursts != 0)),
                     axi.wdata.eq(queue.r_data.word_select(pos, 128)), axi.wlast.eq(last_of_burst)]
        w_fire = axi.wvalid & axi.wready
        m.d.comb += queue.r_en.eq(w_fire & ((pos == ROW_BEATS - 1) | (w_left == 1)))
        with m.If(w_fire):
            m.d.sync += [w_addr.eq(w_addr + BEAT_BYTES), w_left.eq(w_left - 1), pos.eq(pos + 1)]
        burst_sent = w_fire & last_of_burst
        b_fire = axi.bvalid & axi.bready
        m.d.sync += [open_bursts.eq(open_bursts + aw_fire - burst_sent), b_owed.eq(b_owed + burst_sent - b_fire)]
        with m.If(b_fire):
            m.d.sync += self.error.eq(self.error | _error_bits(axi.bresp))
        m.d.comb += self.done.eq((aw_left == 0) & (w_left == 0) & ((b_owed == 0) | ((b_owed == 1) & b_fire)))
        with m.If(self.start):
            first_row, last_row = self.vmem >> 6, (self.vmem + (self.beats << 4) - 1) >> 6
            m.d.sync += [aw_addr.eq(self.ddr), aw_left.eq(self.beats), w_addr.eq(self.ddr),
                         w_left.eq(self.beats), pos.eq(self.vmem[4:6]), self.row.eq(first_row),
                         rows_left.eq(Mux(self.beats == 0, 0, last_row - first_row + 1)), self.error.eq(0)]
        return m


class Dma(wiring.Component):
    """Both channels, their AXI4 masters (``axi`` for port 0, ``axi1``... for more ports),
    and one read/write port into VMEM.

    VMEM (URAM on UltraScale+) has two ports: one for the core, one shared by the DMA
    movers, one 64-byte row per cycle (writes with 16-byte enables). Each channel has one
    mover per AXI port, each needing the VMEM port at most one cycle in four (a row is
    four beats). A time-slot arbiter gives every mover one cycle in ``2 * dma_ports`` as
    its own and hands unclaimed cycles to any other requester, so a finished MM2S row is
    written, and an S2MM row fetched, at most ``2 * dma_ports - 1`` cycles after asking.
    """

    def __init__(self, soc: SocConfig):
        check_rtl_dma(soc)
        self.soc = soc
        self.rows = soc.vmem_bytes // soc.vector_bytes
        self.port_names = axi_port_names(soc)
        super().__init__({
            **{name: Out(AxiMaster()) for name in self.port_names},
            **{f"{ch}_{k}": In(1 if k == "start" else 32) for ch in CHANNELS for k in ("start", "src", "dst", "count")},
            **{f"{ch}_status": Out(8) for ch in CHANNELS},
            **{f"{ch}_busy": Out(1) for ch in CHANNELS},
            "busy_after": Out(1),
            # the DMA port of VMEM: one address for reads and writes (a URAM port)
            "vmem_addr": Out(range(self.rows)), "vmem_wdata": Out(8 * soc.vector_bytes),
            "vmem_we": Out(ROW_BEATS), "vmem_rdata": In(8 * soc.vector_bytes),
        })

    @property
    def axi_ports(self):
        return [getattr(self, name) for name in self.port_names]

    def elaborate(self, platform):
        m = Module()
        soc = self.soc
        ports = soc.dma_ports
        models = {}
        for ch in CHANNELS:
            models[ch] = model = DmaChannelModel(soc.dma_read_latency, soc.dma_bytes_per_cycle)
            m.submodules[f"{ch}_model"] = model
            m.d.comb += [model.start.eq(getattr(self, f"{ch}_start")), model.count.eq(getattr(self, f"{ch}_count")),
                         getattr(self, f"{ch}_status").eq(model.status), getattr(self, f"{ch}_busy").eq(model.busy)]
        m.d.comb += self.busy_after.eq(models["mm2s"].busy_after | models["s2mm"].busy_after)

        movers = {"mm2s": [], "s2mm": []}
        shift = 4 + ports.bit_length() - 1          # bytes -> beats per port
        for ch, cls, ddr_side, vmem_side in (("mm2s", Mm2sPort, "src", "dst"), ("s2mm", S2mmPort, "dst", "src")):
            start, count = getattr(self, f"{ch}_start"), getattr(self, f"{ch}_count")
            chunk_beats = count >> shift
            for p, axi in enumerate(self.axi_ports):
                m.submodules[f"{ch}{p}"] = mover = cls(self.rows)
                movers[ch].append(mover)
                m.d.comb += [mover.start.eq(start), mover.beats.eq(chunk_beats),
                             mover.ddr.eq(getattr(self, f"{ch}_{ddr_side}") + p * (chunk_beats << 4)),
                             mover.vmem.eq(getattr(self, f"{ch}_{vmem_side}") + p * (chunk_beats << 4))]
                # MM2S drives the master's read half (AR, R), S2MM its write half (AW, W, B)
                for name, member in AxiMaster().members.items():
                    if name.startswith(("ar", "r")) == (ch == "mm2s"):
                        if member.flow == Out:
                            m.d.comb += getattr(axi, name).eq(getattr(mover.axi, name))
                        else:
                            m.d.comb += getattr(mover.axi, name).eq(getattr(axi, name))
            done = Cat(*[mv.done for mv in movers[ch]]).all()
            error = 0
            for mv in movers[ch]:
                error = error | mv.error
            m.d.comb += [models[ch].mover_done.eq(done), models[ch].error.eq(error)]

        # the VMEM DMA port: the slot's owner if it asks, else the first requester
        requesters = movers["mm2s"] + movers["s2mm"]
        period = arbiter_period(ports)
        slot = Signal(range(period))
        m.d.sync += slot.eq(Mux(slot == period - 1, 0, slot + 1))
        reqs = Cat(*[r.req for r in requesters])
        granted = Signal(len(requesters))
        with m.If(reqs.bit_select(slot, 1)):
            m.d.comb += granted.eq(1 << slot)
        for i in range(len(requesters)):
            with m.Elif(reqs[i]):
                m.d.comb += granted.eq(1 << i)
        for i, r in enumerate(requesters):
            m.d.comb += r.grant.eq(granted[i])
        addr = 0
        for i, r in enumerate(requesters):
            addr = addr | Mux(granted[i], r.row, 0)
        m.d.comb += self.vmem_addr.eq(addr)
        we, wdata = 0, 0
        for i, r in enumerate(movers["mm2s"]):
            we = we | Mux(granted[i], r.mask, 0)
            wdata = wdata | Mux(granted[i], r.data, 0)
        m.d.comb += [self.vmem_we.eq(we), self.vmem_wdata.eq(wdata)]
        for r in movers["s2mm"]:
            m.d.comb += r.rdata.eq(self.vmem_rdata)
        return m
