"""Vivado report parsers on report text in Vivado's formats (tests/boards/data)."""

from __future__ import annotations

import pathlib

import pytest

from fenn.boards.reports import ReportError, parse_power, parse_timing_summary, parse_utilization

DATA = pathlib.Path(__file__).parent / "data"


def text(name):
    return (DATA / name).read_text()


def test_utilization():
    u = parse_utilization(text("utilization.rpt"))
    assert u["LUT"] == {"used": 38211, "available": 117120, "util_percent": 32.63}
    assert u["FF"]["used"] == 6934 and u["LUTRAM"]["used"] == 437
    assert u["BRAM36"] == {"used": 64, "available": 144, "util_percent": 44.44}
    assert u["URAM"]["used"] == 16 and u["DSP"]["used"] == 35 and u["CARRY"]["used"] == 902


def test_utilization_without_the_prohibited_column():
    # Vivado before 2020 has no Prohibited column: columns are found by their names
    old = """1. CLB Logic
------------

+-------------------------+-------+-------+-----------+-------+
|        Site Type        |  Used | Fixed | Available | Util% |
+-------------------------+-------+-------+-----------+-------+
| CLB LUTs                | 38211 |     0 |    117120 | 32.63 |
| CLB Registers           |  6934 |     0 |    234240 |  2.96 |
+-------------------------+-------+-------+-----------+-------+
"""
    u = parse_utilization(old)
    assert u["LUT"] == {"used": 38211, "available": 117120, "util_percent": 32.63}
    assert u["FF"]["used"] == 6934 and "URAM" not in u


def test_timing_met_and_failed():
    met = parse_timing_summary(text("timing_summary.rpt"))
    assert met["wns_ns"] == 0.137 and met["whs_ns"] == 0.010 and met["tns_failing_endpoints"] == 0
    assert met["constraints_met"] is True
    assert met["clocks"] == [{"name": "clk_pl_0", "period_ns": 5.0, "frequency_mhz": 200.0}]
    failed = parse_timing_summary(text("timing_summary_failed.rpt"))
    assert failed["wns_ns"] == -1.482 and failed["tns_ns"] == -3811.265 and failed["tns_failing_endpoints"] == 4102
    assert failed["constraints_met"] is False


def test_power():
    p = parse_power(text("power.rpt"))
    assert p["total_on_chip_power_w"] == 3.912 and p["dynamic_w"] == 3.372 and p["device_static_w"] == 0.540
    assert p["ps_power_w"] == 2.754 and p["junction_temperature_c"] == 34.0 and p["confidence_level"] == "Low"


@pytest.mark.parametrize("parse, name", [(parse_utilization, "power.rpt"), (parse_timing_summary, "utilization.rpt"),
                                         (parse_power, "timing_summary.rpt")])
def test_the_wrong_report_is_refused(parse, name):
    with pytest.raises(ReportError, match="not a Vivado report"):
        parse(text(name))
