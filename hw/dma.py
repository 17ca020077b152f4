"""The DMA engine: MM2S (DDR -> VMEM) and S2MM (VMEM -> DDR) over one AXI4 master.

Each channel has two halves:

* the *timing model* of docs/timing.md: a start in cycle ``t`` makes the channel busy
  until the end of cycle ``t + L + ceil(COUNT / B)`` (``L = dma_read_latency``,
  ``B`` = 16 bytes per cycle per port); its status bits (start / transferring / idle /
  last OK) are derived from one down-counter, so they read exactly as the simulator's;
* the *data mover*: AXI4 INCR bursts of 128-bit beats (never crossing 4 KiB), written to
  or read from VMEM through a dedicated port. The mover must finish within the model's
  time; if the memory system is slower, the channel holds its last busy cycle until the
  mover is done (the cycle count then exceeds the model's, and parity tests show it).

Data lands progressively rather than all at once at completion; programs may not look
at a transfer's destination (or change its source) before the channel reads idle, so
no legal program can tell the difference.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from fenn.isa import DMA_STATUS_BITS
from fenn.soc import SocConfig

__all__ = ["AxiMaster", "DmaChannelModel", "Dma", "CHANNELS"]

CHANNELS = ("mm2s", "s2mm")
BEAT_BYTES = 16
AXI_INCR = 1
AXI_SIZE_16 = 4
RESP_SLVERR, RESP_DECERR = 2, 3


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


class Dma(wiring.Component):
    """Both channels, their AXI4 master, and one read/write port into VMEM.

    VMEM (URAM on UltraScale+) has two ports: one for the core, one shared by the two DMA
    channels. Both channels move whole 64-byte rows through it (transfers are multiples of
    64 bytes at 64-byte aligned addresses), so a channel streaming one 16-byte beat per
    cycle needs the port one cycle in four: MM2S collects four beats and writes the row,
    S2MM reads the next row ahead while it sends the current one. MM2S writes win a
    conflict; S2MM simply reads a cycle later.
    """

    def __init__(self, soc: SocConfig):
        if soc.dma_ports != 1:
            raise ValueError(f"SocConfig.dma_ports={soc.dma_ports}: the RTL DMA engine has one AXI port so far; "
                             "use dma_ports=1")
        if soc.vector_bytes != 4 * BEAT_BYTES:
            raise ValueError("the DMA engine expects 64-byte VMEM rows (32 lanes of 16 bits)")
        self.soc = soc
        rows = soc.vmem_bytes // soc.vector_bytes
        super().__init__({
            "axi": Out(AxiMaster()),
            **{f"{ch}_{k}": In(1 if k == "start" else 32) for ch in CHANNELS for k in ("start", "src", "dst", "count")},
            **{f"{ch}_status": Out(8) for ch in CHANNELS},
            **{f"{ch}_busy": Out(1) for ch in CHANNELS},
            "busy_after": Out(1),
            # the DMA port of VMEM: one address for reads and writes (a URAM port)
            "vmem_addr": Out(range(rows)), "vmem_wdata": Out(8 * soc.vector_bytes),
            "vmem_we": Out(1), "vmem_rdata": In(8 * soc.vector_bytes),
        })

    def elaborate(self, platform):
        m = Module()
        soc = self.soc
        axi = self.axi
        models = {}
        for ch in CHANNELS:
            models[ch] = model = DmaChannelModel(soc.dma_read_latency, soc.dma_bytes_per_cycle)
            m.submodules[f"{ch}_model"] = model
            m.d.comb += [model.start.eq(getattr(self, f"{ch}_start")), model.count.eq(getattr(self, f"{ch}_count")),
                         getattr(self, f"{ch}_status").eq(model.status), getattr(self, f"{ch}_busy").eq(model.busy)]
        m.d.comb += self.busy_after.eq(models["mm2s"].busy_after | models["s2mm"].busy_after)
        m.d.comb += [axi.arsize.eq(AXI_SIZE_16), axi.arburst.eq(AXI_INCR), axi.awsize.eq(AXI_SIZE_16),
                     axi.awburst.eq(AXI_INCR), axi.wstrb.eq(-1), axi.rready.eq(1), axi.bready.eq(1)]

        # ---------------------------------------------------------------- MM2S: DDR -> VMEM
        ar_addr, ar_left = Signal(32), Signal(32)
        w_row, r_left = Signal(32), Signal(32)        # VMEM row being filled, beats still to come
        row_buf = Signal(384)                          # the first three beats of that row
        mm2s_err = Signal(8)
        m.d.comb += [axi.arvalid.eq(ar_left != 0), axi.araddr.eq(ar_addr)]
        ar_beats = _burst_beats(ar_addr, ar_left)
        m.d.comb += axi.arlen.eq(ar_beats - 1)
        with m.If(axi.arvalid & axi.arready):
            m.d.sync += [ar_addr.eq(ar_addr + (ar_beats << 4)), ar_left.eq(ar_left - ar_beats)]
        beat_in_row = r_left[:2]                      # r_left counts down from a multiple of 4
        r_fire = axi.rvalid & (r_left != 0)
        mm2s_write = Signal()
        m.d.comb += mm2s_write.eq(r_fire & (beat_in_row == 1))
        with m.If(r_fire):
            m.d.sync += r_left.eq(r_left - 1)
            with m.Switch(beat_in_row):
                for left, k in ((0, 0), (3, 1), (2, 2)):
                    with m.Case(left):
                        m.d.sync += row_buf.word_select(k, 128).eq(axi.rdata)
            with m.If(beat_in_row == 1):
                m.d.sync += w_row.eq(w_row + 1)
            with m.If(axi.rresp == RESP_SLVERR):
                m.d.sync += mm2s_err.eq(mm2s_err | (1 << DMA_STATUS_BITS["slave_error"]))
            with m.If(axi.rresp == RESP_DECERR):
                m.d.sync += mm2s_err.eq(mm2s_err | (1 << DMA_STATUS_BITS["decode_error"]))
        with m.If(self.mm2s_start):
            beats = self.mm2s_count >> 4
            m.d.sync += [ar_addr.eq(self.mm2s_src), ar_left.eq(beats), w_row.eq(self.mm2s_dst >> 6),
                         r_left.eq(beats), mm2s_err.eq(0)]
        m.d.comb += [models["mm2s"].mover_done.eq((ar_left == 0) & (r_left == 0)),
                     models["mm2s"].error.eq(mm2s_err)]

        # ---------------------------------------------------------------- S2MM: VMEM -> DDR
        aw_addr, aw_left = Signal(32), Signal(32)
        burst_left = Signal(9)          # W beats left in the burst whose AW was accepted
        fetch_row, rows_left = Signal(32), Signal(32)
        cur, cur_beats = Signal(512), Signal(3)       # the row being sent, beats of it left
        nxt, nxt_valid, inflight = Signal(512), Signal(), Signal()
        w_left = Signal(32)
        b_owed = Signal(24)
        s2mm_err = Signal(8)
        beat_index = Signal(2)
        m.d.comb += beat_index.eq(4 - cur_beats)      # cur_beats 4..1 -> beat 0..3 of the row
        aw_beats = _burst_beats(aw_addr, aw_left)
        m.d.comb += [axi.awvalid.eq((aw_left != 0) & (burst_left == 0)), axi.awaddr.eq(aw_addr),
                     axi.awlen.eq(aw_beats - 1)]
        aw_fire = axi.awvalid & axi.awready
        m.d.comb += [axi.wvalid.eq((burst_left != 0) & (cur_beats != 0)), axi.wlast.eq(burst_left == 1),
                     axi.wdata.eq(cur.word_select(beat_index, 128))]
        w_fire = axi.wvalid & axi.wready
        fetch = Signal()
        m.d.comb += fetch.eq(~mm2s_write & (rows_left != 0) & ~nxt_valid & ~inflight)
        m.d.comb += [self.vmem_addr.eq(Mux(mm2s_write, w_row, fetch_row)),
                     self.vmem_we.eq(mm2s_write),
                     self.vmem_wdata.eq(Cat(row_buf, axi.rdata))]
        m.d.sync += inflight.eq(fetch)
        with m.If(fetch):
            m.d.sync += [fetch_row.eq(fetch_row + 1), rows_left.eq(rows_left - 1)]
        cur_empties = (cur_beats == 0) | ((cur_beats == 1) & w_fire)
        with m.If(w_fire):
            m.d.sync += cur_beats.eq(cur_beats - 1)
        with m.If(cur_empties & nxt_valid):
            m.d.sync += [cur.eq(nxt), cur_beats.eq(4), nxt_valid.eq(0)]
        with m.If(inflight):
            m.d.sync += [nxt.eq(self.vmem_rdata), nxt_valid.eq(1)]
        with m.If(aw_fire):
            m.d.sync += [aw_addr.eq(aw_addr + (aw_beats << 4)), aw_left.eq(aw_left - aw_beats),
                         burst_left.eq(aw_beats)]
        with m.Elif(w_fire):
            m.d.sync += burst_left.eq(burst_left - 1)
        with m.If(w_fire):
            m.d.sync += w_left.eq(w_left - 1)
        b_done = axi.bvalid & axi.bready
        m.d.sync += b_owed.eq(b_owed + aw_fire - b_done)
        with m.If(b_done & (axi.bresp == RESP_SLVERR)):
            m.d.sync += s2mm_err.eq(s2mm_err | (1 << DMA_STATUS_BITS["slave_error"]))
        with m.If(b_done & (axi.bresp == RESP_DECERR)):
            m.d.sync += s2mm_err.eq(s2mm_err | (1 << DMA_STATUS_BITS["decode_error"]))
        with m.If(self.s2mm_start):
            beats = self.s2mm_count >> 4
            m.d.sync += [aw_addr.eq(self.s2mm_dst), aw_left.eq(beats), w_left.eq(beats),
                         fetch_row.eq(self.s2mm_src >> 6), rows_left.eq(self.s2mm_count >> 6),
                         cur_beats.eq(0), nxt_valid.eq(0), s2mm_err.eq(0)]
        m.d.comb += [models["s2mm"].mover_done.eq((aw_left == 0) & (w_left == 0) & (burst_left == 0) & (b_owed == 0)),
                     models["s2mm"].error.eq(s2mm_err)]
        return m
