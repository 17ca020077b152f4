"""Parity of the emitted Verilog (cocotb on Icarus) with fenn.sim: final state and cycles.

All programs of a test run in one Icarus process (fenn.hw.icarus batches them).
"""

import pytest

pytest.importorskip("cocotb_tools")
from fenn.hw.icarus import IcarusCore, icarus_available  # noqa: E402
from fenn.hw.parity import differences, first_divergence  # noqa: E402
from fenn.hw.random_programs import random_program  # noqa: E402
from fenn.isa import encode as e  # noqa: E402
from fenn.soc import SocConfig  # noqa: E402
from fenn.sim import Machine  # noqa: E402

pytestmark = [pytest.mark.rtl,
              pytest.mark.skipif(not icarus_available(), reason="Icarus Verilog is not installed (make tools)")]

SOC = SocConfig(imem_bytes=4096, dmem_bytes=2048, vmem_bytes=4096, llm_bytes_per_lane=256,
                ddr_bytes=64 * 1024)
RANDOM_SEEDS = range(100, 124)
DMA_SEEDS = range(200, 216)


@pytest.fixture(scope="module")
def icarus():
    return IcarusCore(SOC)


def _check(icarus, jobs):
    states = icarus.run(jobs)
    failures = []
    for job, rtl in zip(jobs, states):
        m = Machine(SOC)
        images = dict(dmem=job.get("dmem"), vmem=job.get("vmem"), llm=job.get("llm"), ddr=job.get("ddr"))
        m.load(job["words"], **images)
        diff = differences(rtl, m, m.run())
        if diff:
            m.load(job["words"], **images)
            traced = icarus.run([job], trace=True)[0]
            diff.append(first_divergence(traced.trace, list(m.trace()), job["words"]))
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


def test_random_streams_with_dma_match_the_simulator(icarus):
    jobs = []
    for seed in DMA_SEEDS:
        p = random_program(seed, SOC, length=200, dma=True)
        jobs.append(dict(name=f"dma seed {seed}", words=p.words, dmem=p.dmem, vmem=p.vmem, llm=p.llm, ddr=p.ddr))
    failures = _check(icarus, jobs)
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


def test_long_transfers_across_4k_pages_keep_model_time(icarus):
    """2 KiB both ways from DDR addresses that cross a 4 KiB page: status words and cycles."""
    import numpy as np
    ddr = np.random.default_rng(3).integers(0, 256, SOC.ddr_bytes, dtype=np.uint8)
    words = (_li(7, 0) + _transfer("mm2s", 4096 - 1024, 2048, 2048)
             + _transfer("s2mm", 2048, 8192 - 512, 2048)
             + _transfer("mm2s", 12288 - 64, 2048, 1024, wait=False) + [e("ecall")])
    jobs = [dict(name="long transfers", words=np.array(words, dtype=np.uint32), ddr=ddr)]
    failures = _check(icarus, jobs)
    assert not failures, "\n".join(failures)
