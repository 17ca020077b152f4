"""docs/boards.md's board table is what the catalogue and the fit check say."""

import pathlib

from fenn.boards.docs import board_table

PAGE = pathlib.Path(__file__).parents[2] / "docs" / "boards.md"


def test_board_table_is_current():
    text = PAGE.read_text()
    start = text.index("<!-- board table: python -m fenn.boards.docs -->\n") + len("<!-- board table: python -m fenn.boards.docs -->\n")
    end = text.index("<!-- end of board table -->")
    assert text[start:end] == board_table(), "docs/boards.md is stale: paste `python -m fenn.boards.docs` into it"
