"""`fenn hw verilog` writes stable Verilog (no paths) of the configuration it is given."""

import json

import pytest

pytest.importorskip("amaranth")
from fenn.cli import main  # noqa: E402
from fenn.soc import SocConfig  # noqa: E402

SOC = SocConfig(imem_bytes=1024, dmem_bytes=1024, vmem_bytes=4096, llm_bytes_per_lane=64, ddr_bytes=65536)


def test_verilog_is_stable_and_names_its_configuration(tmp_path, capsys):
    config = tmp_path / "soc.json"
    config.write_text(json.dumps(SOC.to_dict()))
    outputs = []
    for name in ("a", "b"):
        assert main(["hw", "verilog", "--out", str(tmp_path / name), "--soc", str(config)]) == 0
        outputs.append((tmp_path / name / "fenn_soc.v").read_text())
    assert outputs[0] == outputs[1]
    assert str(tmp_path) not in outputs[0] and "/work" not in outputs[0]
    assert "module fenn_soc(" in outputs[0] and f"0x{SOC.soc_id:08x}" in outputs[0]
    manifest = json.loads((tmp_path / "a" / "fenn_soc.json").read_text())
    assert manifest["soc_id"] == SOC.soc_id and SocConfig.from_dict(manifest["soc"]) == SOC


def test_bad_config_file_is_named(tmp_path, capsys):
    config = tmp_path / "soc.json"
    config.write_text(json.dumps({"lanes": 32, "vmem_bytes": 1000}))
    assert main(["hw", "verilog", "--out", str(tmp_path / "o"), "--soc", str(config)]) != 0
    assert "soc.json" in capsys.readouterr().err


def test_report_groups_xilinx_cells_like_a_utilisation_report():
    from fenn.hw.report import categorize
    cells = {"LUT6": 10, "LUT2": 5, "MUXF7": 1, "FDRE": 7, "FDSE": 1, "RAMB36E2": 3, "RAMB18E2": 3,
             "URAM288": 2, "DSP48E2": 4, "RAM32M": 6, "CARRY8": 2, "IBUF": 9}
    res = categorize(cells)
    assert (res["LUT"], res["FF"], res["BRAM36"], res["URAM"], res["DSP"], res["LUTRAM"], res["CARRY"]) == \
        (16, 8, 4.5, 2, 4, 6, 2)
    assert res["other"] == {"IBUF": 9}


def _cell(kind, connections, outputs):
    return {"type": kind, "parameters": {}, "connections": connections,
            "port_directions": {p: "output" if p in outputs else "input" for p in connections}}


def _fake_yosys(tmp_path, monkeypatch, soc=SOC):
    """A ``yosys`` on PATH that writes canned results (tests/hw/data/fake_yosys.py): a flat netlist with one
    two-LUT path from register ``pc`` to register ``npc``, and the cells of two blocks synthesised alone."""
    from pathlib import Path
    flat_cells = {"LUT2": 40, "FDRE": 2, "DSP48E2": 2, "RAMB18E2": 3}
    netlist = {"modules": {"fenn_soc": {"attributes": {"top": "00000000000000000000000000000001"}, "ports": {},
                                        "netnames": {"pc": {"hide_name": 0, "bits": [2]},
                                                     "npc": {"hide_name": 0, "bits": [4]}},
                                        "cells": {
        "r1": _cell("FDRE", {"C": [1], "D": [4], "CE": ["1"], "R": ["0"], "Q": [2]}, {"Q"}),
        "l1": _cell("LUT1", {"I0": [2], "O": [3]}, {"O"}),
        "l2": _cell("LUT2", {"I0": [3], "I1": [2], "O": [5]}, {"O"}),
        "r2": _cell("FDRE", {"C": [1], "D": [5], "CE": ["1"], "R": ["0"], "Q": [4]}, {"Q"})}}}}
    blocks = {"core.dec": {"LUT2": 3}, "core.vmul": {"LUT2": 7, "DSP48E2": 1}}
    data = {"flat": {"stat": {"modules": {"\\fenn_soc": {"num_cells_by_type": flat_cells}}}, "netlist": netlist},
            "blocks": blocks}
    (tmp_path / "fake.json").write_text(json.dumps(data))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "yosys").symlink_to(Path(__file__).parent / "data" / "fake_yosys.py")
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    monkeypatch.setenv("FAKE_YOSYS_DATA", str(tmp_path / "fake.json"))
    config = tmp_path / "soc.json"
    config.write_text(json.dumps(soc.to_dict()))
    return config


def test_report_names_the_yosys_that_ran_and_prints_depth_and_blocks(tmp_path, monkeypatch, capsys):
    config = _fake_yosys(tmp_path, monkeypatch, SocConfig.from_dict({**SOC.to_dict(), "cores": 2}))
    out = tmp_path / "report.json"
    assert main(["hw", "report", "--soc", str(config), "--yosys", "yosys", "--by-block", "--json", str(out),
                 "--workdir", str(tmp_path / "work")]) == 0
    text = capsys.readouterr().out
    assert "LUT             40" in text and "BRAM36         1.5" in text
    assert "longest   2  pc  ->  npc" in text
    assert "yosys: yosys 0.0+fake (native)" in text
    assert [line for line in text.splitlines() if "tile0.core.dec" in line][0].endswith("decoder")
    report = json.loads(out.read_text())
    assert report["depth"]["longest"]["levels"] == 2
    rows = {row["block"]: row for row in report["blocks"]["blocks"]}
    assert "tile1.core.dec" not in rows                         # one instance synthesised, counted twice
    assert rows["tile0.core.dec"]["instances"] == 2 and rows["tile0.core.vmul"]["resources"]["DSP"] == 1
    assert rows["tile0.core.valu"]["resources"]["LUT"] == 0      # a block yosys found no cells in
    # the rest is the flat total minus every block times its instances; the rows add up to the total
    assert rows["rest"]["cells"] == {"LUT2": 40 - 2 * 3 - 2 * 7, "FDRE": 2, "RAMB18E2": 3}
    assert sum(row["resources"]["LUT"] * row["instances"] for row in rows.values()) == \
        report["blocks"]["total"]["LUT"] == 40
    source = (tmp_path / "work" / "fenn_soc.il").read_text()
    assert "module \\fenn_soc.tile1.core.valu" in source      # yosys reads the design as RTLIL


def test_by_block_synthesis_runs_the_flat_synthesis_unchanged_then_each_block_from_a_fresh_read(tmp_path):
    """yosys's result depends on what ran before it in the process, so the flat figures of
    ``--by-block`` are the plain report's only if the flat commands come first, unchanged."""
    from fenn.hw.synth import synth_script
    source = tmp_path / "fenn_soc.il"
    plain = synth_script(source, "fenn_soc")
    by_block = synth_script(source, "fenn_soc", blocks=["fenn_soc.tile0.core.dec", "fenn_soc.tile0.core.vmul"])
    assert by_block[:len(plain)] == plain
    rest = by_block[len(plain):]
    assert rest[0::5] == ["design -reset"] * 2 and rest[1::5] == [plain[0]] * 2
    assert rest[2] == "hierarchy -top fenn_soc.tile0.core.dec" and rest[9] == "tee -q -o block1.json stat -json"


def test_report_json_alone_prints_json(tmp_path, monkeypatch, capsys):
    config = _fake_yosys(tmp_path, monkeypatch)
    assert main(["hw", "report", "--soc", str(config), "--json", "--yosys", "yosys"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["resources"]["FF"] == 2 and report["yosys"].startswith("yosys 0.0+fake")
    assert "blocks" not in report


def test_verilog_leaves_out_only_empty_initialisers():
    from fenn.hw.verilog import core_verilog, soc_verilog, strip_zero_initialisers
    synthesis_text = soc_verilog(SOC)
    assert "initial begin" not in synthesis_text and "reg [511:0] vmem [" in synthesis_text
    simulation_text = core_verilog(SOC, zero_memories=True)
    assert simulation_text.count("initial begin") >= 3 + SOC.lanes      # imem, dmem, vmem, every LLM lane
    kept = "  initial begin\n    rom[0] = 32'd0;\n    rom[1] = 32'd7;\n  end\n"
    empty = "  initial begin\n    ram[0] = 16'h0000;\n    ram[1] = 16'd0;\n  end\n"
    assert strip_zero_initialisers("a\n" + empty + kept + "b\n") == "a\n" + kept + "b\n"
