"""The DMA engine on Amaranth's simulator, against a small AXI memory model written here.

Checks the status word of every cycle against docs/timing.md (start, transferring, idle,
last OK), the bytes moved both ways, 4 KiB burst splitting, and that a memory slower
than the model stretches the transfer instead of losing data.
"""

import collections
import random

import numpy as np
import pytest

pytest.importorskip("amaranth")
from amaranth.sim import Simulator  # noqa: E402

from fenn.hw.dma import Dma  # noqa: E402
from fenn.isa import DMA_STATUS_BITS as BITS  # noqa: E402
from fenn.soc import SocConfig  # noqa: E402

SOC = SocConfig(vmem_bytes=8192, ddr_bytes=65536, dma_read_latency=12)


def expected_status(r, t, count, ever_ok):
    """docs/timing.md: the status a CSR read in cycle r sees for a start in cycle t."""
    L, n = SOC.dma_read_latency, -(-count // SOC.dma_bytes_per_cycle)
    done = t if count == 0 else t + L + n
    word = (1 << BITS["last_ok"]) if (ever_ok or r > done) else 0
    if r > done:
        return word | 1 << BITS["idle"]
    return word | (1 << BITS["start"] if r <= t + L else 1 << BITS["transferring"])


class AxiMemory:
    """AXI4 slave over a byte array: reads answer after `latency` cycles, one beat a cycle."""

    def __init__(self, data, latency, stall_every=0, seed=0):
        self.mem = data
        self.latency = latency
        self.stall_every = stall_every
        self.rand = random.Random(seed)
        self.reads = collections.deque()     # (ready cycle, address, beats)
        self.writes = collections.deque()    # (address, beats)
        self.bursts = []
        self.b_owed = 0

    def ready(self):
        return not (self.stall_every and self.rand.randrange(self.stall_every) == 0)


def run_dma(transfers, memory, cycles):
    """transfers: {cycle: (channel, src, dst, count)}; returns per-cycle status and VMEM."""
    dut = Dma(SOC)
    axi = dut.axi
    vmem = np.zeros(SOC.vmem_bytes, dtype=np.uint8)
    vmem[:] = np.arange(SOC.vmem_bytes) % 251
    log = {"mm2s": [], "s2mm": []}

    async def bench(ctx):
        read_row = 0
        beat_queue = collections.deque()
        for cycle in range(cycles):
            for ch in ("mm2s", "s2mm"):
                ctx.set(getattr(dut, f"{ch}_start"), 0)
            if cycle in transfers:
                ch, src, dst, count = transfers[cycle]
                for name, value in (("start", 1), ("src", src), ("dst", dst), ("count", count)):
                    ctx.set(getattr(dut, f"{ch}_{name}"), value)
            # slave outputs for this cycle
            row = vmem[64 * read_row: 64 * read_row + 64]
            ctx.set(dut.vmem_rdata, int.from_bytes(row.tobytes(), "little"))
            while memory.reads and memory.reads[0][0] <= cycle:
                _, address, beats = memory.reads.popleft()
                beat_queue.extend(address + 16 * i for i in range(beats))
            r_ok = bool(beat_queue) and memory.ready()
            ctx.set(axi.rvalid, r_ok)
            if r_ok:
                a = beat_queue[0]
                ctx.set(axi.rdata, int.from_bytes(memory.mem[a:a + 16].tobytes(), "little"))
            ctx.set(axi.arready, memory.ready())
            ctx.set(axi.awready, memory.ready())
            w_ready = memory.ready()
            ctx.set(axi.wready, w_ready)
            b_shown = memory.b_owed > 0
            ctx.set(axi.bvalid, b_shown)
            # sample the master
            for ch in ("mm2s", "s2mm"):
                log[ch].append(ctx.get(getattr(dut, f"{ch}_status")))
            if ctx.get(axi.arvalid) and ctx.get(axi.arready):
                address, beats = ctx.get(axi.araddr), ctx.get(axi.arlen) + 1
                memory.bursts.append(("r", address, beats))
                memory.reads.append((cycle + memory.latency, address, beats))
            if r_ok and ctx.get(axi.rready):
                beat_queue.popleft()
            if ctx.get(axi.awvalid) and ctx.get(axi.awready):
                address, beats = ctx.get(axi.awaddr), ctx.get(axi.awlen) + 1
                memory.bursts.append(("w", address, beats))
                memory.writes.append([address, beats])
            if ctx.get(axi.wvalid) and w_ready:
                address, beats = memory.writes[0]
                memory.mem[address:address + 16] = np.frombuffer(
                    ctx.get(axi.wdata).to_bytes(16, "little"), dtype=np.uint8)
                assert ctx.get(axi.wlast) == (beats == 1)
                memory.writes[0] = [address + 16, beats - 1]
                if beats == 1:
                    memory.writes.popleft()
                    memory.b_owed += 1
            if b_shown and ctx.get(axi.bready):
                memory.b_owed -= 1
            if ctx.get(dut.vmem_we):
                a = 64 * ctx.get(dut.vmem_addr)
                vmem[a:a + 64] = np.frombuffer(ctx.get(dut.vmem_wdata).to_bytes(64, "little"), dtype=np.uint8)
            read_row = ctx.get(dut.vmem_addr)
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return log, vmem


def test_both_channels_at_once_follow_the_cycle_model():
    ddr = np.random.default_rng(1).integers(0, 256, SOC.ddr_bytes, dtype=np.uint8)
    memory = AxiMemory(ddr.copy(), latency=4)
    original_vmem = np.arange(SOC.vmem_bytes) % 251
    # MM2S crosses a 4 KiB page of DDR; S2MM runs at the same time from another VMEM area
    transfers = {2: ("mm2s", 4096 - 320, 1024, 1024), 3: ("s2mm", 4096, 20480, 512), 120: ("mm2s", 0, 0, 0)}
    log, vmem = run_dma(transfers, memory, 140)
    for ch, (t, count) in {"mm2s": (2, 1024), "s2mm": (3, 512)}.items():
        for r in range(t + 1, 120):
            assert log[ch][r] == expected_status(r, t, count, False), (ch, r, log[ch][r])
    assert log["mm2s"][121] == (1 << BITS["idle"]) | (1 << BITS["last_ok"])   # COUNT 0: done at once
    assert (vmem[1024:2048] == ddr[4096 - 320: 4096 - 320 + 1024]).all()
    assert (memory.mem[20480:20480 + 512] == original_vmem[4096:4096 + 512]).all()
    assert (memory.mem[:20480] == ddr[:20480]).all() and (memory.mem[20992:] == ddr[20992:]).all()
    reads = [b for b in memory.bursts if b[0] == "r"]
    assert all((a % 4096) + 16 * n <= 4096 for _, a, n in reads) and len(reads) == 2


def test_slow_memory_stretches_the_transfer_but_moves_every_byte():
    ddr = np.random.default_rng(2).integers(0, 256, SOC.ddr_bytes, dtype=np.uint8)
    memory = AxiMemory(ddr.copy(), latency=30, stall_every=3, seed=5)
    log, vmem = run_dma({1: ("mm2s", 640, 2048, 512)}, memory, 200)
    model_done = 1 + SOC.dma_read_latency + 512 // 16
    idle_from = next(r for r in range(2, 200) if log["mm2s"][r] & (1 << BITS["idle"]))
    assert idle_from > model_done + 1                      # later than the model: visible in cycles
    assert (vmem[2048:2560] == ddr[640:1152]).all()
