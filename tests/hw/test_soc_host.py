"""The SoC top level, driven only through its AXI4-Lite host port (cocotbext-axi), runs a
program with a DMA round trip and reports what fenn.sim reports."""

import dataclasses
import hashlib
import json
import pathlib

import numpy as np
import pytest

pytest.importorskip("cocotb_tools")
from amaranth.back import verilog  # noqa: E402
from cocotb_tools.runner import get_results, get_runner  # noqa: E402

from fenn.hw.batch import DEFAULT_BUILD_ROOT, TIMESCALE, icarus_available  # noqa: E402
from fenn.hw.soc import FennSoc  # noqa: E402
from fenn.isa import CSR_ADDRESSES as CSR, encode as e  # noqa: E402
from fenn.soc import SocConfig  # noqa: E402
from fenn.sim import Machine  # noqa: E402

pytestmark = [pytest.mark.rtl,
              pytest.mark.skipif(not icarus_available(), reason="Icarus Verilog is not installed (make tools)")]

SOC = SocConfig(imem_bytes=4096, dmem_bytes=2048, vmem_bytes=4096, llm_bytes_per_lane=256, ddr_bytes=64 * 1024)
HERE = pathlib.Path(__file__).parent


def _program():
    words = [e("lw", 1, 0, 0), e("addi", 2, 0, 5)]                 # x1 = DMEM[0], loop 5 times
    words += [e("add", 3, 3, 1), e("addi", 2, 2, -1), e("bne", 2, 0, -8), e("sw", 3, 4, 0)]
    for name, value in (("src", 128), ("dst", 1024), ("count", 256)):     # DDR -> VMEM
        words += [e("addi", 5, 0, value), e("csrrw", 0, CSR[f"mm2s_{name}"], 5)]
    words.append(e("csrrwi", 0, CSR["mm2s_control"], 1))
    words += [e("csrrs", 6, CSR["mm2s_status"], 0), e("andi", 6, 6, 2), e("beq", 6, 0, -8)]
    words += [e("addi", 5, 0, 1024), e("vloadv", 1, 5, 64), e("vadd", 1, 1, 1), e("vstore", 1, 5, 0)]
    for name, value in (("src", 1024), ("dst", 1984), ("count", 64)):     # VMEM -> DDR
        words += [e("addi", 5, 0, value), e("csrrw", 0, CSR[f"s2mm_{name}"], 5)]
    words += [e("csrrwi", 0, CSR["s2mm_control"], 1), e("ecall")]        # ecall waits for it
    return words


SOC2 = dataclasses.replace(SOC, dma_ports=2, dma_read_latency=8)


@pytest.mark.parametrize("soc, core, pause", [(SOC, 0, 0.0), (SOC2, 0, 0.0), (dataclasses.replace(SOC2, cores=2), 1, 0.5)],
                         ids=["1-master", "2-masters", "2-cores-2-masters-back-pressure"])
def test_host_interface_runs_a_program(tmp_path, soc, core, pause):
    """The SoC top behind cocotbext-axi's AxiLiteMaster (host) and AxiRam (DDR) equals fenn.sim
    (on a 2-core SoC, core 1 through its own host port, DMA masters and DDR window). With
    back-pressure (every channel of the host port and of both DMA masters stalls at random,
    half the cycles) the DMA takes longer than the cycle model, so the run takes more cycles;
    everything else is the same and no byte is lost."""
    words = _program()
    ddr = np.random.default_rng(7).integers(0, 256, 8192, dtype=np.uint8)
    m = Machine(soc)
    m.load(words, dmem=np.array([7], np.uint32), ddr=ddr)
    status = m.run()
    job = {"soc": soc.to_dict(), "core": core, "pause": pause, "words": [int(w) for w in words], "dmem0": 7, "ddr": ddr.tolist(),
           "expect_dmem": [int(w) for w in m.dmem[:8].view(np.uint32)],
           "expect_ddr": [int(b) for b in m.ddr[:8192]]}
    job_path = tmp_path / "job.json"
    job_path.write_text(json.dumps(job))

    text = verilog.convert(FennSoc(soc), name="fenn_soc", emit_src=False)
    build = DEFAULT_BUILD_ROOT / f"fenn_soc-{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    build.mkdir(parents=True, exist_ok=True)
    source = build / "fenn_soc.v"
    if not source.exists() or source.read_text() != text:
        source.write_text(text)
    runner = get_runner("icarus")
    runner.build(sources=[source], hdl_toplevel="fenn_soc", build_dir=build, timescale=TIMESCALE,
                 log_file=build / "build.log")
    results = tmp_path / "results.xml"
    try:
        runner.test(test_module="cocotb_soc_host", hdl_toplevel="fenn_soc", build_dir=build,
                    test_dir=HERE, timescale=TIMESCALE, extra_env={"FENN_SOC_JOB": str(job_path)},
                    results_xml=str(results), log_file=tmp_path / "sim.log")
    except SystemExit:          # the runner exits when a cocotb test fails; the log says why
        pass
    total, failed = get_results(results)
    log = (tmp_path / "sim.log").read_text(errors="replace")
    assert (total, failed) == (1, 0), log[log.find("Traceback"):][:3000]
    got = json.loads((tmp_path / "job.json.out").read_text())
    if pause:
        assert got["cycles"] > status.cycles and got["instructions"] >= status.instructions   # longer polls
    else:
        assert got["cycles"] == status.cycles and got["instructions"] == status.instructions
    assert got["dmem"] == job["expect_dmem"]
    assert got["x"] == [int(v) for v in m.x]
    assert got["ddr"] == job["expect_ddr"]
