"""The register map is one description: offsets unique and aligned, docs generated from it."""

import pathlib

from fenn.hw import regmap

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs/host_registers.md"


def test_offsets_unique_aligned_and_inside_window_zero():
    offsets = [r.offset for r in regmap.REGISTERS]
    assert len(set(offsets)) == len(offsets)
    assert all(o % 4 == 0 and o < 1 << regmap.WINDOW_SHIFT for o in offsets)


def test_docs_are_generated_from_the_description():
    assert DOC.read_text() == regmap.markdown(), \
        "docs/host_registers.md is stale: run python -m fenn.hw.regmap > docs/host_registers.md"
