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

SOC = SocConfig(imem_bytes=4096, dmem_bytes=2048, vmem_bytes=4096, llm_bytes_per_lane=256)
RANDOM_SEEDS = range(100, 124)


@pytest.fixture(scope="module")
def icarus():
    return IcarusCore(SOC)


def _check(icarus, jobs):
    states = icarus.run(jobs)
    failures = []
    for job, rtl in zip(jobs, states):
        m = Machine(SOC)
        m.load(job["words"], dmem=job.get("dmem"), vmem=job.get("vmem"), llm=job.get("llm"))
        diff = differences(rtl, m, m.run())
        if diff:
            m.load(job["words"], dmem=job.get("dmem"), vmem=job.get("vmem"), llm=job.get("llm"))
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
