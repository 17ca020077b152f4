"""The logic-depth walk on circuits whose depth is known, synthesised by the same yosys flow as the SoC."""

import pathlib

import pytest

pytest.importorskip("amaranth")
from fenn.hw.depth import format_depth, logic_depth  # noqa: E402
from fenn.hw.synth import synth_xilinx  # noqa: E402
from fenn.hw.yosys import YosysError, find_yosys  # noqa: E402

CASES = pathlib.Path(__file__).parent / "data" / "depth_cases.v"


def _yosys():
    try:
        return find_yosys()
    except YosysError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    synthesis = synth_xilinx(CASES, "depth_cases", yosys=_yosys(), workdir=tmp_path_factory.mktemp("depth"))
    return synthesis, logic_depth(synthesis.netlist, keep=100)


@pytest.mark.slow
def test_each_case_has_the_depth_it_was_built_with(cases):
    synthesis, report = cases
    assert synthesis.cells()["LUT6"] == 3 and synthesis.cells()["DSP48E2"] == 2   # kept as instantiated
    depth = {p.end: p.levels for p in report.deepest}
    assert depth["chain3"] == 3                      # three LUT6 in series
    assert depth["carry2"] == 2                      # LUT, CARRY8 (0), LUT
    assert depth["dsp6"] == 1 + 4 + 1                # LUT, unregistered DSP48E2 (4), LUT
    assert depth["bram2"] == 2                       # from the block RAM's output
    assert depth["preg_dsp (PREG)"] == 1 + 4         # ends in the DSP's P register
    assert depth["preg1"] == 1                       # and starts again at it
    paths = {p.end: p for p in report.deepest}
    assert paths["bram2"].start == "bram.DOUTADOUT[0]" or paths["bram2"].start == "bram.DOUTADOUT[1]"
    assert paths["chain3"].start.startswith("a[") and paths["chain3"].through[:3] == ("c1", "c2", "c3")


@pytest.mark.slow
def test_longest_path_counts_and_the_unregistered_dsp_are_reported(cases):
    _, report = cases
    assert report.longest.levels == 6 and report.longest.end == "dsp6" and report.longest.start == "a[4]"
    assert report.ends_over == {6: 0, 8: 0, 10: 0}
    assert sum(n for levels, n in report.histogram.items() if levels > 2) == 3    # chain3, dsp6, the PREG input
    [dsp] = report.dsp_paths                          # only the DSP without any internal register
    assert (dsp.dsp, dsp.levels, dsp.levels_before, dsp.levels_after, dsp.start, dsp.end) == \
        ("comb_dsp", 6, 1, 1, "a[4]", "dsp6")
    text = format_depth(report)
    assert "longest   6  a[4]  ->  dsp6" in text and "comb_dsp" in text
    assert format_depth(report.to_dict()) == text


def _net(module):
    return {"modules": {"t": {"attributes": {"top": "1"}, **module}}}


def _cell(kind, connections, outputs, parameters=None):
    return {"type": kind, "parameters": parameters or {}, "connections": connections,
            "port_directions": {p: "output" if p in outputs else "input" for p in connections}}


def test_walk_of_a_hand_made_netlist_counts_levels_and_refuses_loops():
    # FF q(2) -> LUT(3) -> MUXF7(4) -> LUT(5) -> FF d; a second LUT path from q is shorter
    cells = {
        "ff_a": _cell("FDRE", {"C": [1], "D": [9], "CE": ["1"], "R": ["0"], "Q": [2]}, {"Q"}),
        "l1": _cell("LUT2", {"I0": [2], "I1": [2], "O": [3]}, {"O"}),
        "mx": _cell("MUXF7", {"I0": [3], "I1": [2], "S": [2], "O": [4]}, {"O"}),
        "l2": _cell("LUT1", {"I0": [4], "O": [5]}, {"O"}),
        "ff_b": _cell("FDRE", {"C": [1], "D": [5], "CE": ["1"], "R": ["0"], "Q": [6]}, {"Q"}),
        "l3": _cell("LUT1", {"I0": [6], "O": [9]}, {"O"}),
    }
    names = {"a": {"hide_name": 0, "bits": [2]}, "b": {"hide_name": 0, "bits": [6]},
             "$abc$1": {"hide_name": 1, "bits": [3]}, "mid": {"hide_name": 0, "bits": [4]}}
    report = logic_depth(_net({"ports": {}, "cells": cells, "netnames": names}))
    assert (report.longest.levels, report.longest.start, report.longest.end) == (2, "a", "b")
    assert report.longest.through == ("mid",)
    cells["l3"]["connections"]["I0"] = [9]           # l3 now feeds itself
    cells["ff_a"]["connections"]["D"] = [7]
    cells["l3"]["connections"]["O"] = [9]
    cells["l4"] = _cell("LUT1", {"I0": [9], "O": [9]}, {"O"})
    with pytest.raises(ValueError, match="combinational loop"):
        logic_depth(_net({"ports": {}, "cells": cells, "netnames": names}))
