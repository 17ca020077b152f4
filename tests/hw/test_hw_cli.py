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
