"""Vivado's text reports (``report_utilization``, ``report_timing_summary``, ``report_power``)
turned into one JSON-able dict, so a build's result can be read by a program."""

from __future__ import annotations

import pathlib
import re

from fenn.errors import FennError

__all__ = ["ReportError", "pipe_tables", "parse_utilization", "parse_timing_summary", "parse_power",
           "parse_reports", "UTILIZATION_ROWS"]

#: the utilisation rows kept, by the name fenn uses (UltraScale+ site types)
UTILIZATION_ROWS = {"LUT": "CLB LUTs", "LUTRAM": "LUT as Memory", "FF": "CLB Registers", "CARRY": "CARRY8",
                    "BRAM36": "Block RAM Tile", "URAM": "URAM", "DSP": "DSPs"}


class ReportError(FennError, ValueError):
    """A report that is not in the format Vivado writes.

    Fix: pass the report file Vivado wrote, unedited.
    """


def _number(text: str):
    text = text.strip().rstrip("*").replace(",", "")
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def pipe_tables(text: str) -> list[list[list[str]]]:
    """Every ``+---+`` / ``| a | b |`` table in ``text``: a list of rows of stripped cells (header first)."""
    tables, current = [], None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            if current is None:
                current = []
                tables.append(current)
            current.append([cell.strip() for cell in stripped[1:-1].split("|")])
        elif stripped.startswith("+-"):
            continue
        else:
            current = None
    return tables


def parse_utilization(text: str) -> dict:
    """``{name: {"used", "available", "util_percent"}}`` for :data:`UTILIZATION_ROWS`."""
    found = {}
    for table in pipe_tables(text):
        header = table[0]
        if "Site Type" not in header or "Used" not in header:
            continue
        col = {name: header.index(name) for name in ("Used", "Available", "Util%") if name in header}
        for row in table[1:]:
            for ours, theirs in UTILIZATION_ROWS.items():
                if row[0] == theirs and ours not in found:
                    found[ours] = {"used": _number(row[col["Used"]]),
                                   "available": _number(row[col["Available"]]) if "Available" in col else None,
                                   "util_percent": _number(row[col["Util%"]]) if "Util%" in col else None}
    if "LUT" not in found:
        raise ReportError("not a Vivado report_utilization of an UltraScale+ design (no 'CLB LUTs' row)")
    return found


def _columns(header: str, dashes: str, values: str) -> dict:
    """Cells of a dash-underlined table: column names are what stands above each run of
    dashes, values the row's tokens in order (a ``{...}`` waveform is one token; a value
    may be wider than its dashes, so positions are not used for the values)."""
    names = [header[m.start():m.end()].strip() for m in re.finditer(r"-+", dashes)]
    tokens = re.findall(r"\{[^}]*\}|\S+", values)
    if len(tokens) != len(names):
        raise ReportError(f"a row with {len(tokens)} values under {len(names)} columns: {values.strip()!r}")
    return dict(zip(names, tokens))


def parse_timing_summary(text: str) -> dict:
    """Design timing summary (WNS/TNS/WHS/THS/WPWS in ns, failing endpoints), whether all
    constraints are met, and the clocks (name, period, frequency)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "| Design Timing Summary" in line), len(lines))
    summary = None
    for i, line in enumerate(lines[start:], start):
        if "WNS(ns)" in line and i + 2 < len(lines):
            width = max(len(line), len(lines[i + 1]), len(lines[i + 2]))
            header, dashes, values = (s.ljust(width) for s in lines[i:i + 3])
            cells = _columns(header, dashes, values)
            summary = {re.sub(r"\W+", "_", k.replace("(ns)", "_ns")).strip("_").lower(): _number(v)
                       for k, v in cells.items()}
            break
    if summary is None:
        raise ReportError("not a Vivado report_timing_summary (no 'Design Timing Summary' WNS line)")
    clocks = []
    for i, line in enumerate(lines):
        if re.match(r"\s*Clock\s+Waveform\(ns\)\s+Period\(ns\)\s+Frequency\(MHz\)", line):
            j = i + 2
            while j < len(lines) and lines[j].strip():
                width = max(len(line), len(lines[i + 1]), len(lines[j]))
                row = _columns(line.ljust(width), lines[i + 1].ljust(width), lines[j].ljust(width))
                clocks.append({"name": row["Clock"], "period_ns": _number(row["Period(ns)"]),
                               "frequency_mhz": _number(row["Frequency(MHz)"])})
                j += 1
            break
    met = "All user specified timing constraints are met." in text
    return {**summary, "constraints_met": met and summary.get("wns_ns", -1) >= 0, "clocks": clocks}


def parse_power(text: str) -> dict:
    """The report's summary table: on-chip power split and temperature, keyed by snake-case name."""
    for table in pipe_tables(text):
        if table and table[0][0].startswith("Total On-Chip Power"):
            out = {}
            for row in table:
                key = re.sub(r"\W+", "_", row[0].replace("(W)", "w").replace("(C/W)", "c_per_w")
                             .replace("(C)", "c")).strip("_").lower()
                out[key] = _number(row[1]) if len(row) > 1 else None
            return out
    raise ReportError("not a Vivado report_power (no 'Total On-Chip Power (W)' summary)")


def parse_reports(directory, outputs: dict) -> dict:
    """Parse the three reports a build left in ``directory`` (names from ``OUTPUTS``)."""
    directory = pathlib.Path(directory)
    parsers = {"utilization": parse_utilization, "timing": parse_timing_summary, "power": parse_power}
    result = {}
    for key, parse in parsers.items():
        path = directory / outputs[key]
        if not path.is_file():
            raise ReportError(f"{path}: no such report; did Vivado finish? (run fenn_build.tcl first)")
        try:
            result[key] = parse(path.read_text())
        except ReportError as error:
            raise ReportError(f"{path}: {error}") from None
    return result
