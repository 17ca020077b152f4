"""`fenn build`: the project without Vivado, and the whole flow with a stand-in `vivado` on PATH."""

from __future__ import annotations

import dataclasses
import json

import pytest

from fenn.boards import BOARDS
from fenn.boards.build import BuildError, board_soc, device_verilog, write_project
from fenn.boards.top import interfaces
from fenn.cli import main
from fenn.soc import SocConfig

from standin import REPORTS, fake_vivado, needs_tclsh

SMALL = dict(imem_bytes=1024, dmem_bytes=1024, vmem_bytes=4096, llm_bytes_per_lane=64)


@pytest.fixture
def soc_file(tmp_path):
    path = tmp_path / "soc.json"
    path.write_text(json.dumps(SMALL))
    return path


def test_without_vivado_writes_the_project_and_prints_the_command(tmp_path, soc_file, capsys, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")           # no vivado
    out = tmp_path / "kv260"
    assert main(["build", "--board", "kv260", "--soc", str(soc_file), "--clock-mhz", "150", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"cd {out} && vivado -mode batch -notrace -source fenn_build.tcl" in captured.err
    manifest = json.loads((out / "fenn_overlay.json").read_text())
    soc = SocConfig(**SMALL, clock_hz=150_000_000)
    assert manifest["soc"] == soc.to_dict() and manifest["soc_id"] == soc.soc_id
    assert manifest["cores"] == 1 and manifest["clock_hz"] == 150_000_000 and manifest["board"] == "kv260"
    assert manifest["fenn_version"] and manifest["core_map"][0]["host_base"] == 0xA000_0000
    for name in ("fenn_soc.v", "fenn_soc_bd.v", "fenn_build.tcl"):
        assert (out / name).stat().st_size > 0
    assert f"0x{soc.soc_id:08x}" in (out / "fenn_soc.v").read_text().splitlines()[0]


def test_vmem_goes_to_block_ram_where_there_is_no_uram(tmp_path):
    for name in ("kv260", "zcu102"):
        write_project(BOARDS[name], tmp_path / name, dataclasses.replace(BOARDS[name].soc, **SMALL))
        text = (tmp_path / name / "fenn_soc.v").read_text()
        assert ('ram_style = "ultra"' in text) == (BOARDS[name].resources.uram > 0)
    with pytest.raises(BuildError, match="no URAM hint"):
        device_verilog("module m; endmodule", BOARDS["zcu102"])


def test_too_many_cores_and_bad_clock_are_refused(tmp_path):
    with pytest.raises(BuildError, match=r"10 cores do not fit the AMD Kria KV260: at most 2 \(BRAM36 limits it"):
        write_project(BOARDS["kv260"], tmp_path, board_soc(BOARDS["kv260"], cores=10))
    with pytest.raises(BuildError, match="--clock-mhz 1000 is outside"):
        board_soc(BOARDS["kv260"], clock_mhz=1000)


def test_cores_follow_the_rtl_top():
    """The block design's view of the top: one host port, its masters and a halted line per
    core, as fenn.hw.ports lists them, with the signals of the RTL top's signature."""
    from fenn.hw.ports import soc_ports
    soc = SocConfig(**SMALL, cores=3, dma_ports=2, dma_read_latency=8)
    top, ports = interfaces(soc), soc_ports(soc)
    assert [(i.name, i.core) for i in top.host] == [(c.host, c.index) for c in ports.cores]
    assert [(i.name, i.core) for i in top.dma] == [(m, c.index) for c in ports.cores for m in c.dma]
    assert [i.name for i in top.interrupts] == [c.halted for c in ports.cores]
    assert {i.data_bits for i in top.dma} == {128} and {i.data_bits for i in top.host} == {32}
    assert top.host_window_bytes == ports.host_aperture


@pytest.fixture
def vivado_on_path(tmp_path, monkeypatch):
    """A `vivado` on PATH that runs the script in tclsh with the stand-in Vivado commands."""
    fake_vivado(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    monkeypatch.setenv("FENN_STANDIN_REPORTS", str(REPORTS))
    return monkeypatch


@needs_tclsh
def test_with_vivado_on_path_runs_it_and_parses_the_reports(tmp_path, soc_file, capsys, vivado_on_path):
    vivado_on_path.setenv("FENN_STANDIN_WNS", "0.137")
    out = tmp_path / "zcu104"
    assert main(["build", "--board", "zcu104", "--soc", str(soc_file), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "fenn: step 7/7: bitstream, hardware handoff" in printed       # progress shown
    assert "timing met, WNS 0.137 ns" in printed
    reports = json.loads((out / "fenn_reports.json").read_text())
    assert reports["utilization"]["LUT"]["used"] == 38211 and reports["power"]["total_on_chip_power_w"] == 3.912
    assert (out / "fenn_overlay.bit").exists() and (out / "fenn_overlay.hwh").exists()


@needs_tclsh
def test_with_vivado_timing_failure_fails_the_build(tmp_path, soc_file, capsys, vivado_on_path):
    vivado_on_path.setenv("FENN_STANDIN_WNS", "-0.5")
    vivado_on_path.setenv("FENN_STANDIN_TIMING", "timing_summary_failed.rpt")
    out = tmp_path / "kv260"
    assert main(["build", "--board", "kv260", "--soc", str(soc_file), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "fenn: error: Vivado failed:" in err and "timing not met at 200 MHz: WNS = -0.5 ns" in err
    assert not (out / "fenn_overlay.bit").exists()
