"""The board catalogue and its readers agree: the Tcl generator, the fit check, `fenn boards`."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from fenn.boards import BOARDS, HP_PORT_BITS, UnknownBoard, board
from fenn.boards.cli import boards_table
from fenn.boards.fit import CEILINGS, GLUE_FIXED, Fit, core_resources, fit
from fenn.boards.measure import DATA_FILE
from fenn.cli import main
from fenn.soc import DEFAULT_SOC


def test_the_issue_boards_and_parts():
    assert list(BOARDS)[0] == "kv260"
    parts = {name: b.part.upper() for name, b in BOARDS.items()}
    assert parts["kv260"].startswith("XCK26-SFVC784-2LV")
    assert parts["zcu104"].startswith("XCZU7EV-FFVC1156-2")
    assert parts["zcu102"].startswith("XCZU9EG-FFVB1156-2")
    assert parts["ultra96v2"].startswith("XCZU3EG-SBVA484-1")


@pytest.mark.parametrize("name", list(BOARDS))
def test_board_descriptions_are_consistent(name):
    b = BOARDS[name]
    assert b.board_part.endswith(":part0") and re.fullmatch(r"\d+\.\d+", b.board_part_version)
    assert len(b.hp_ports) == 4 and HP_PORT_BITS == 128
    base, size = b.ddr_window
    assert base == 0 and 0 < size <= b.ddr_bytes and size <= 1 << 32     # 32-bit DMA addresses
    assert b.soc.ddr_bytes <= size
    assert b.vmem_style == ("ultra" if b.resources.uram else "block")
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.part = "x"


def test_unknown_board_names_the_known_ones():
    with pytest.raises(UnknownBoard, match="unknown board 'kv26'; fenn knows kv260, zcu104"):
        board("kv26")


def test_measured_figures_are_for_the_default_soc():
    data = json.loads(DATA_FILE.read_text())
    assert data["soc_id"] == DEFAULT_SOC.soc_id, "core_resources.json is stale: run python -m fenn.boards.measure"
    per_core = core_resources(DEFAULT_SOC, "ultra")
    assert per_core.lut == data["resources"]["LUT"] and per_core.uram == data["resources"]["URAM"]
    # VMEM in BRAM: no URAM left, and the BRAM grows by what VMEM alone measured
    block = core_resources(DEFAULT_SOC, "block")
    assert block.uram == 0
    assert block.bram36 == data["resources"]["BRAM36"] + data["vmem"][f"block:{DEFAULT_SOC.vmem_bytes}"]["BRAM36"]


@pytest.mark.parametrize("name", list(BOARDS))
def test_fit_is_the_largest_count_under_every_ceiling(name):
    b = BOARDS[name]
    answer = fit(b)
    assert answer.cores >= 1, f"the {name} default SoC must fit"
    for cores, fits in ((answer.cores, True), (answer.cores + 1, False)):
        total = answer.total(cores)
        under = {f: getattr(total, f) <= c * getattr(b.resources, f) for f, c in CEILINGS.items()
                 if getattr(answer.per_core, f)}
        assert all(under.values()) == fits, (cores, under)
    over = getattr(answer.total(answer.cores + 1), answer.limit)
    assert over > CEILINGS[answer.limit] * getattr(b.resources, answer.limit), "the named limit is what stops one more"
    assert answer.total(0) == GLUE_FIXED


def test_default_soc_gives_two_cores_on_a_kv260():
    assert fit(BOARDS["kv260"]).cores >= 2


def test_boards_command_lists_what_the_catalogue_and_fit_say(capsys):
    assert main(["boards", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == boards_table()
    for row in rows:
        b = BOARDS[row["board"]]
        assert row["part"] == b.part and row["soc_id"] == f"0x{b.soc.soc_id:08x}"
        assert row["cores_fit"] == fit(b).cores
    assert main(["boards"]) == 0
    text = capsys.readouterr().out
    for name, b in BOARDS.items():
        line = next(line for line in text.splitlines() if line.startswith(name))
        assert b.part in line and f" {fit(b).cores} " in line


def test_fit_refuses_a_soc_without_figures():
    from fenn.boards.fit import NoMeasuredFigures
    with pytest.raises(NoMeasuredFigures, match="no synthesis figures for SocConfig"):
        fit(BOARDS["kv260"], dataclasses.replace(DEFAULT_SOC, dmem_bytes=64 * 1024))
    assert isinstance(fit(BOARDS["kv260"]), Fit)
