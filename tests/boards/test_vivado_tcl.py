"""The generated Vivado script, run by a real tclsh against stand-ins of the Vivado commands
(tests/boards/vivado_standin.tcl), which check the block design as the IP integrator would."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from fenn.boards import BOARDS
from fenn.boards.build import BuildError, collect, write_project
from fenn.boards.top import interfaces
from fenn.boards.vivado import OUTPUTS
from fenn.soc import SocConfig

from standin import needs_tclsh, run_script

pytestmark = needs_tclsh

#: small memories: the Verilog is emitted in a second; the block design is the same
SMALL = dict(imem_bytes=1024, dmem_bytes=1024, vmem_bytes=4096, llm_bytes_per_lane=64)


def small_soc(board, **changes):
    return dataclasses.replace(board.soc, **SMALL, **changes)


def host_and_dma(stdout: str):
    hosts = re.findall(r"standin: host (\S+) at (0x[0-9A-F]+)\+(0x[0-9A-F]+)", stdout)
    dmas = re.findall(r"standin: dma (\S+) -> (\S+) (0x[0-9A-F]+)\+(0x[0-9A-F]+)", stdout)
    return hosts, dmas


@pytest.mark.parametrize("name", list(BOARDS))
def test_every_board_builds_in_the_standin(tmp_path, name):
    board = BOARDS[name]
    project = write_project(board, tmp_path, small_soc(board))
    result = run_script(tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert f"standin: project fenn_{name} part {board.part}" in result.stdout
    assert "module fenn_soc_bd instantiates fenn_soc" in result.stdout
    hosts, dmas = host_and_dma(result.stdout)
    manifest = json.loads(project.files["manifest"].read_text())
    assert [(h[0], int(h[1], 16)) for h in hosts] == [
        (f"fenn/{c['host_port']}/reg0", c["host_base"]) for c in manifest["core_map"]]
    assert [(d[0], d[1]) for d in dmas] == [
        (f"fenn/{m['port']}", f"ps/{m['hp_port']}") for c in manifest["core_map"] for m in c["dma"]]
    for d in dmas:
        assert (int(d[2], 16), int(d[3], 16)) == board.ddr_window
    for role in ("bitstream", "hwh", "xsa", "utilization", "timing", "power"):
        assert (tmp_path / OUTPUTS[role]).is_file(), role
    reports = collect(tmp_path)
    assert reports["timing"]["wns_ns"] > 0 and reports["utilization"]["LUT"]["used"] > 0
    assert json.loads((tmp_path / "fenn_reports.json").read_text()) == reports


def test_two_dma_masters_take_two_hp_ports(tmp_path):
    board = BOARDS["kv260"]
    write_project(board, tmp_path, small_soc(board, dma_ports=2, dma_read_latency=8))
    result = run_script(tmp_path)
    assert result.returncode == 0, result.stderr
    _, dmas = host_and_dma(result.stdout)
    assert [(d[0], d[1]) for d in dmas] == [("fenn/m_axi", "ps/S_AXI_HP0_FPD"), ("fenn/m_axi1", "ps/S_AXI_HP1_FPD")]


def test_two_cores_share_the_hpm0_window(tmp_path):
    board = BOARDS["kv260"]
    project = write_project(board, tmp_path, small_soc(board, cores=2))
    result = run_script(tmp_path)
    assert result.returncode == 0, result.stderr
    hosts, dmas = host_and_dma(result.stdout)
    aperture = interfaces(project.soc).host_window_bytes
    assert [(h[0], int(h[1], 16), int(h[2], 16)) for h in hosts] == [
        ("fenn/s_axil/reg0", 0xA000_0000, aperture), ("fenn/s_axil1/reg0", 0xA000_0000 + aperture, aperture)]
    assert [(d[0], d[1]) for d in dmas] == [("fenn/m_axi", "ps/S_AXI_HP0_FPD"), ("fenn/m_axi1", "ps/S_AXI_HP1_FPD")]
    assert "create_bd_cell -type ip -vlnv xilinx.com:ip:xlconcat irq_concat0" in project.files["script"].read_text()


def test_more_masters_than_hp_ports(tmp_path):
    """3 cores x 2 masters: six masters on four HP ports (SmartConnects on two of them), host
    windows in HPM0's 4 GiB window, three interrupts through a concat."""
    board = BOARDS["zcu102"]
    project = write_project(board, tmp_path, small_soc(board, cores=3, dma_ports=2, dma_read_latency=8))
    result = run_script(tmp_path)
    assert result.returncode == 0, result.stderr
    hosts, dmas = host_and_dma(result.stdout)
    assert [int(h[1], 16) for h in hosts] == [0x4_0000_0000 + offset for offset in interfaces(project.soc).host_offsets]
    routes = {d[0]: d[1] for d in dmas}
    assert sorted(routes) == sorted(f"fenn/{m.name}" for m in interfaces(project.soc).dma)
    assert sorted(routes.values()).count("ps/S_AXI_HP0_FPD") == 2 and len(set(routes.values())) == 4
    script = project.files["script"].read_text()
    assert "smartconnect hp_ic0" in script and "smartconnect hp_ic1" in script and "hp_ic2" not in script
    manifest = json.loads(project.files["manifest"].read_text())
    assert [c["interrupt"]["bit"] for c in manifest["core_map"]] == [0, 1, 2]


def test_clock_reaches_the_ps_and_the_module(tmp_path):
    board = BOARDS["ultra96v2"]
    write_project(board, tmp_path, small_soc(board, clock_hz=125_000_000))
    result = run_script(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "pl_clk0 is 125 MHz" in result.stdout


def test_timing_not_met_stops_before_the_bitstream(tmp_path):
    board = BOARDS["kv260"]
    write_project(board, tmp_path, small_soc(board))
    result = run_script(tmp_path, wns=-0.42, timing="timing_summary_failed.rpt")
    assert result.returncode != 0
    assert "fenn: timing not met at 200 MHz: WNS = -0.42 ns" in result.stderr
    assert "--clock-mhz" in result.stderr
    assert not (tmp_path / OUTPUTS["bitstream"]).exists()
    with pytest.raises(BuildError, match=r"timing not met: WNS = -1.482 ns"):
        collect(tmp_path)


# Each edit breaks the script the way a generator bug would; the stand-in must say so.
MUTATIONS = [
    ("drop the DMA master's connection",
     lambda t: re.sub(r"connect_bd_intf_net \[get_bd_intf_pins fenn/m_axi\][^\n]*\n", "", t),
     "interface fenn/m_axi is not connected"),
    ("leave HPM1_FPD enabled",
     lambda t: t.replace("CONFIG.PSU__USE__M_AXI_GP1 {0}", "CONFIG.PSU__USE__M_AXI_GP1 {1}"),
     "interface ps/M_AXI_HPM1_FPD is not connected"),
    ("64-bit HP port",
     lambda t: t.replace("CONFIG.PSU__SAXIGP2__DATA_WIDTH {128}", "CONFIG.PSU__SAXIGP2__DATA_WIDTH {64}"),
     "data widths 128 and 64 differ"),
    ("PL clock other than the SoC's",
     lambda t: t.replace("PL0_REF_CTRL__FREQMHZ {200}", "PL0_REF_CTRL__FREQMHZ {250}"),
     "fenn/clk expects FREQ_HZ 200000000, ps/pl_clk0 runs at 250000000"),
    ("host window outside HPM0",
     lambda t: t.replace("-offset 0xA0000000", "-offset 0x80000000"),
     "outside M_AXI_HPM0_FPD's windows"),
    ("host port straight on HPM0 (no SmartConnect)",
     lambda t: t.replace("connect_bd_intf_net [get_bd_intf_pins ps/M_AXI_HPM0_FPD] [get_bd_intf_pins host_ic/S00_AXI]\n"
                         "connect_bd_intf_net [get_bd_intf_pins host_ic/M00_AXI] [get_bd_intf_pins fenn/s_axil]",
                         "connect_bd_intf_net [get_bd_intf_pins ps/M_AXI_HPM0_FPD] [get_bd_intf_pins fenn/s_axil]"),
     "AXI4 to AXI4LITE needs a protocol converter"),
    ("interrupt left out",
     lambda t: re.sub(r"connect_bd_net \[get_bd_pins fenn/halted\][^\n]*\n", "", t),
     "intr pin ps/pl_ps_irq0 is not connected"),
    ("reset of the wrong polarity",
     lambda t: t.replace("rst_pl/peripheral_reset] [get_bd_pins fenn/rst]", "rst_pl/peripheral_aresetn] [get_bd_pins fenn/rst]")
                .replace("[get_bd_pins rst_pl/peripheral_aresetn] [get_bd_pins host_ic/aresetn]",
                         "[get_bd_pins rst_pl/interconnect_aresetn] [get_bd_pins host_ic/aresetn]"),
     "fenn/rst is ACTIVE_HIGH, its driver rst_pl/peripheral_aresetn is ACTIVE_LOW"),
    ("another board's part",
     lambda t: t.replace("-part xck26-sfvc784-2LV-c", "-part xczu7ev-ffvc1156-2-e"),
     "is for xck26-sfvc784-2LV-c, the project is for xczu7ev-ffvc1156-2-e"),
    ("SOM without its carrier",
     lambda t: re.sub(r"set_property board_connections[^\n]*\n", "", t),
     "needs board_connections naming its carrier"),
]


@pytest.mark.parametrize("what, edit, message", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_the_standin_catches_a_broken_script(tmp_path, what, edit, message):
    board = BOARDS["kv260"]
    write_project(board, tmp_path, small_soc(board))
    script = tmp_path / "fenn_build.tcl"
    edited = edit(script.read_text())
    assert edited != script.read_text(), f"the edit '{what}' did not apply"
    script.write_text(edited)
    result = run_script(tmp_path)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_the_standin_checks_the_wrapper_against_the_rtl_top(tmp_path):
    board = BOARDS["kv260"]
    project = write_project(board, tmp_path, small_soc(board))
    wrapper = project.files["wrapper"]
    wrapper.write_text(wrapper.read_text().replace(".m_axi__awlen(m_axi_awlen)", ".m_axi__awlenx(m_axi_awlen)"))
    result = run_script(tmp_path)
    assert result.returncode != 0 and "fenn_soc has no port m_axi__awlenx" in result.stderr


@pytest.mark.slow
def test_every_board_default_soc_through_fenn_build(tmp_path, capsys, monkeypatch):
    """`fenn build --board NAME` with each board's default SoC (the full Verilog, ~20 s to emit
    per distinct SocConfig unless cached), then the stand-in Vivado run of its script."""
    from fenn.cli import main
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    for name, board in BOARDS.items():
        out = tmp_path / name
        assert main(["build", "--board", name, "--out", str(out)]) == 0
        assert "vivado -mode batch" in capsys.readouterr().err
        result = run_script(out)
        assert result.returncode == 0, result.stderr
        assert "module fenn_soc_bd instantiates fenn_soc" in result.stdout
        assert json.loads((out / "fenn_overlay.json").read_text())["soc_id"] == board.soc.soc_id
