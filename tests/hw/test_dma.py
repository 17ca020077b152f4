"""The DMA engine on Amaranth's simulator, against a small AXI memory model written here
(one per AXI master, all over one byte array).

Checks the status word of every cycle against docs/timing.md (start, transferring, idle,
last OK), the bytes moved both ways, 4 KiB burst splitting, the split over 1 or 2 AXI
masters, that the RTL meets the model at its stated smallest latency behind the slowest
DDR it claims to tolerate (both channels at once, random transfers), that a memory slower
than that stretches the transfer instead of losing data, and that configurations the
RTL cannot meet are refused.
"""

import collections
import random

import numpy as np
import pytest

pytest.importorskip("amaranth")
from amaranth.sim import Simulator  # noqa: E402

from fenn.hw.dma import Dma, check_rtl_dma, ddr_read_delay, min_dma_read_latency  # noqa: E402
from fenn.isa import DMA_STATUS_BITS as BITS  # noqa: E402
from fenn.soc import SocConfig  # noqa: E402

PORTS = [1, 2]


def soc_for(ports, latency=12):
    return SocConfig(vmem_bytes=8192, ddr_bytes=65536, dma_ports=ports, dma_read_latency=latency)


def expected_status(soc, r, starts):
    """docs/timing.md: the status a CSR read in cycle r sees, given the channel's starts
    [(cycle, count)] in order."""
    before = [(t, c) for t, c in starts if t < r]
    L, B = soc.dma_read_latency, soc.dma_bytes_per_cycle
    ends = [t if c == 0 else t + L + -(-c // B) for t, c in before]
    ok = any(r > e for e in ends)
    word = (1 << BITS["last_ok"]) if ok else 0
    if not before or r > ends[-1]:
        return word | 1 << BITS["idle"]
    t = before[-1][0]
    return word | (1 << BITS["start"] if r <= t + L else 1 << BITS["transferring"])


class AxiMemory:
    """AXI4 slave over a shared byte array: reads answer `latency` cycles after AR, one
    beat a cycle; write responses come the cycle after a burst's last beat."""

    def __init__(self, data, latency, stall_every=0, seed=0):
        self.mem = data
        self.latency = latency
        self.stall_every = stall_every
        self.rand = random.Random(seed)
        self.reads = collections.deque()     # (ready cycle, address, beats)
        self.beats = collections.deque()     # (address, last) of bursts whose time has come
        self.writes = collections.deque()    # [address, beats]
        self.bursts = []
        self.b_owed = 0

    def ready(self):
        return not (self.stall_every and self.rand.randrange(self.stall_every) == 0)


def run_dma(soc, transfers, memories, cycles):
    """transfers: {cycle: [(channel, src, dst, count)]}; returns per-cycle status and VMEM."""
    dut = Dma(soc)
    vmem = np.zeros(soc.vmem_bytes, dtype=np.uint8)
    vmem[:] = np.arange(soc.vmem_bytes) % 251
    log = {"mm2s": [], "s2mm": []}
    assert len(memories) == soc.dma_ports

    async def bench(ctx):
        read_row = 0
        for cycle in range(cycles):
            for ch in ("mm2s", "s2mm"):
                ctx.set(getattr(dut, f"{ch}_start"), 0)
            for ch, src, dst, count in transfers.get(cycle, ()):
                for name, value in (("start", 1), ("src", src), ("dst", dst), ("count", count)):
                    ctx.set(getattr(dut, f"{ch}_{name}"), value)
            row = vmem[64 * read_row: 64 * read_row + 64]
            ctx.set(dut.vmem_rdata, int.from_bytes(row.tobytes(), "little"))
            # slave outputs for this cycle
            shown = []
            for axi, memory in zip(dut.axi_ports, memories):
                while memory.reads and memory.reads[0][0] <= cycle:
                    _, address, beats = memory.reads.popleft()
                    memory.beats.extend((address + 16 * i, i == beats - 1) for i in range(beats))
                r_ok = bool(memory.beats) and memory.ready()
                ctx.set(axi.rvalid, r_ok)
                if r_ok:
                    a, last = memory.beats[0]
                    ctx.set(axi.rdata, int.from_bytes(memory.mem[a:a + 16].tobytes(), "little"))
                    ctx.set(axi.rlast, last)
                ready = {k: memory.ready() for k in ("arready", "awready", "wready")}
                for k, v in ready.items():
                    ctx.set(getattr(axi, k), v)
                b_shown = memory.b_owed > 0
                ctx.set(axi.bvalid, b_shown)
                shown.append((r_ok, ready, b_shown))
            # sample the master
            for ch in ("mm2s", "s2mm"):
                log[ch].append(ctx.get(getattr(dut, f"{ch}_status")))
            for axi, memory, (r_ok, ready, b_shown) in zip(dut.axi_ports, memories, shown):
                if ctx.get(axi.arvalid) and ready["arready"]:
                    address, beats = ctx.get(axi.araddr), ctx.get(axi.arlen) + 1
                    memory.bursts.append(("r", address, beats))
                    memory.reads.append((cycle + memory.latency, address, beats))
                if r_ok and ctx.get(axi.rready):
                    memory.beats.popleft()
                if ctx.get(axi.awvalid) and ready["awready"]:
                    address, beats = ctx.get(axi.awaddr), ctx.get(axi.awlen) + 1
                    memory.bursts.append(("w", address, beats))
                    memory.writes.append([address, beats])
                if ctx.get(axi.wvalid) and ready["wready"]:
                    assert memory.writes, "W beat before its AW"
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
            we = ctx.get(dut.vmem_we)
            if we:
                a = 64 * ctx.get(dut.vmem_addr)
                data = np.frombuffer(ctx.get(dut.vmem_wdata).to_bytes(64, "little"), dtype=np.uint8)
                for k in range(4):
                    if we >> k & 1:
                        vmem[a + 16 * k: a + 16 * k + 16] = data[16 * k: 16 * k + 16]
            read_row = ctx.get(dut.vmem_addr)
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return log, vmem


def check_statuses(soc, log, transfers, upto):
    for ch in ("mm2s", "s2mm"):
        starts = [(t, c) for t, items in sorted(transfers.items()) for (k, _, _, c) in items if k == ch]
        for r in range(1, upto):
            want = expected_status(soc, r, starts)
            assert log[ch][r] == want, (ch, r, bin(log[ch][r]), bin(want))


@pytest.mark.parametrize("ports", PORTS)
def test_both_channels_at_once_follow_the_cycle_model(ports):
    soc = soc_for(ports)
    ddr = np.random.default_rng(1).integers(0, 256, soc.ddr_bytes, dtype=np.uint8)
    memories = [AxiMemory(ddr, latency=4) for _ in range(ports)]
    original_vmem = np.arange(soc.vmem_bytes) % 251
    # MM2S crosses a 4 KiB page of DDR; S2MM (5 rows: a split mid-row over 2 ports) runs at
    # the same time from another VMEM area
    transfers = {2: [("mm2s", 4096 - 320, 1024, 1024)], 3: [("s2mm", 4096, 20480, 320)], 120: [("mm2s", 0, 0, 0)]}
    log, vmem = run_dma(soc, transfers, memories, 140)
    check_statuses(soc, log, transfers, 140)
    assert log["mm2s"][121] == (1 << BITS["idle"]) | (1 << BITS["last_ok"])   # COUNT 0: done at once
    assert (vmem[1024:2048] == ddr[4096 - 320: 4096 - 320 + 1024]).all()
    written = np.random.default_rng(1).integers(0, 256, soc.ddr_bytes, dtype=np.uint8)
    written[20480:20480 + 320] = original_vmem[4096:4096 + 320]
    assert (ddr == written).all()
    for p, memory in enumerate(memories):     # each master moves its contiguous share
        reads = [b for b in memory.bursts if b[0] == "r"]
        assert all((a % 4096) + 16 * n <= 4096 for _, a, n in reads)
        assert sum(n for _, _, n in reads) == 64 // ports
        assert reads[0][1] == 4096 - 320 + p * 1024 // ports
        writes = [b for b in memory.bursts if b[0] == "w"]
        assert writes == [("w", 20480 + p * 320 // ports, 20 // ports)]


def random_transfers(soc, rng, until=500):
    """Back-to-back transfers on both channels (each restarted when the model says it is
    idle, often in that very cycle): MM2S into VMEM [0, 4096), S2MM from VMEM [4096, 8192)
    into DDR [32768, 65536), so they never touch each other's data."""
    transfers, regions = collections.defaultdict(list), []
    for ch, base_src, base_dst, src_span, dst_span in (("mm2s", 0, 0, 32768, 4096),
                                                     ("s2mm", 4096, 32768, 4096, 32768)):
        t = int(rng.integers(1, 6))
        while t < until:
            count = 64 * int(rng.choice([0, 1, 2, 3, 5, 7, 16, 33]))
            src = base_src + 64 * int(rng.integers(0, (src_span - count) // 64 + 1))
            dst = base_dst + 64 * int(rng.integers(0, (dst_span - count) // 64 + 1))
            transfers[t].append((ch, src, dst, count))
            regions.append((ch, t, src, dst, count))
            end = t if count == 0 else t + soc.dma_read_latency + -(-count // soc.dma_bytes_per_cycle)
            t = end + 1 + int(rng.choice([0, 0, 1, 3]))
    return dict(transfers), regions


@pytest.mark.parametrize("ports", PORTS)
@pytest.mark.parametrize("seed", [1, 2])
def test_smallest_latency_is_met_behind_the_slowest_ddr_claimed(ports, seed):
    """Random back-to-back transfers on both channels at once, at min_dma_read_latency
    and a DDR answering reads ddr_read_delay cycles after AR: every status word and byte."""
    soc = soc_for(ports, min_dma_read_latency(ports))
    rng = np.random.default_rng(seed)
    ddr = rng.integers(0, 256, soc.ddr_bytes, dtype=np.uint8)
    memories = [AxiMemory(ddr, latency=ddr_read_delay(soc)) for _ in range(ports)]
    transfers, regions = random_transfers(soc, rng)
    vmem_before = (np.arange(soc.vmem_bytes) % 251).astype(np.uint8)
    ddr_before = ddr.copy()
    log, vmem = run_dma(soc, transfers, memories, 620)
    check_statuses(soc, log, transfers, 620)
    want_vmem, want_ddr = vmem_before.copy(), ddr_before.copy()
    for ch, _, src, dst, count in sorted(regions, key=lambda r: r[1]):
        if ch == "mm2s":
            want_vmem[dst:dst + count] = ddr_before[src:src + count]
        else:
            want_ddr[dst:dst + count] = vmem_before[src:src + count]
    assert (vmem == want_vmem).all()
    assert (ddr == want_ddr).all()


@pytest.mark.parametrize("ports", PORTS)
def test_one_latency_less_is_missed_even_with_an_ideal_ddr(ports, monkeypatch):
    """The stated smallest latency is tight: one cycle less, the same kind of traffic
    (both channels at once) ends late somewhere even with DDR answering in one cycle."""
    import fenn.hw.dma as dma_module
    monkeypatch.setattr(dma_module, "check_rtl_dma", lambda soc: None)     # let the RTL be built
    soc = soc_for(ports, min_dma_read_latency(ports) - 1)
    missed = 0
    for seed in range(4):
        rng = np.random.default_rng(seed)
        ddr = rng.integers(0, 256, soc.ddr_bytes, dtype=np.uint8)
        transfers, _ = random_transfers(soc, rng)
        log, _ = run_dma(soc, transfers, [AxiMemory(ddr, latency=1) for _ in range(ports)], 620)
        try:
            check_statuses(soc, log, transfers, 620)
        except AssertionError:
            missed += 1
    assert missed, "the RTL met the model one cycle below its stated smallest latency: lower the limit"


@pytest.mark.parametrize("ports", PORTS)
def test_slow_memory_stretches_the_transfer_but_moves_every_byte(ports):
    soc = soc_for(ports)
    ddr = np.random.default_rng(2).integers(0, 256, soc.ddr_bytes, dtype=np.uint8)
    memories = [AxiMemory(ddr, latency=30, stall_every=3, seed=5 + p) for p in range(ports)]
    transfers = {1: [("mm2s", 640, 2048, 512)], 2: [("s2mm", 0, 8192, 576)]}
    original_vmem = (np.arange(soc.vmem_bytes) % 251).astype(np.uint8)
    expected_ddr = ddr.copy()
    log, vmem = run_dma(soc, transfers, memories, 200)
    model_done = 1 + soc.dma_read_latency + 512 // soc.dma_bytes_per_cycle
    idle_from = next(r for r in range(2, 200) if log["mm2s"][r] & (1 << BITS["idle"]))
    assert idle_from > model_done + 1                      # later than the model: visible in cycles
    assert (vmem[2048:2560] == expected_ddr[640:1152]).all()
    assert log["s2mm"][-1] & (1 << BITS["idle"])
    assert (ddr[8192:8192 + 576] == original_vmem[:576]).all()


@pytest.mark.parametrize("change, message", [
    ({"dma_ports": 4}, "dma_ports=4 is not supported by the RTL"),
    ({"dma_ports": 3}, "supported: 1, 2"),
    ({"dma_read_latency": min_dma_read_latency(1) - 1}, f"dma_read_latency >= {min_dma_read_latency(1)}"),
    ({"dma_ports": 2, "dma_read_latency": min_dma_read_latency(2) - 1}, f">= {min_dma_read_latency(2)}"),
])
def test_configurations_the_rtl_cannot_meet_are_refused(change, message):
    with pytest.raises(ValueError, match=message):       # Dma(soc) calls this first
        check_rtl_dma(SocConfig(**{"vmem_bytes": 8192, "ddr_bytes": 65536, **change}))

