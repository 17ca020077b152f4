"""fenn.boards: the boards fenn builds bitstreams for, and the ``pynq`` backend that runs them.

``fenn.boards.BOARDS`` maps a name to its :class:`Board`; ``board(name)`` looks one up.
Nothing here imports the RTL or PYNQ: ``fenn.boards.build`` (needs the hdl extra) and
``fenn.boards.pynq`` (on a board) are imported on first use.
"""

from __future__ import annotations

from fenn.errors import FennError

from .._lazy import lazy_package as _lazy_package
from . import kv260, ultra96v2, zcu102, zcu104
from .board import HP_PORT_BITS, HP_PORTS, Board, Resources

__all__ = ["BOARDS", "Board", "Resources", "HP_PORTS", "HP_PORT_BITS", "UnknownBoard", "board"]

__getattr__, __dir__ = _lazy_package(globals())   # other submodules on first use

#: every board, in the order ``fenn boards`` lists them (the first target first)
BOARDS: dict[str, Board] = {module.BOARD.name: module.BOARD for module in (kv260, zcu104, zcu102, ultra96v2)}


class UnknownBoard(FennError, ValueError):
    """A board name that is not in :data:`BOARDS`.

    Fix: use one of the names ``fenn boards`` lists (docs/boards.md).
    """


def board(name: str) -> Board:
    """The board called ``name`` (``fenn boards`` lists them)."""
    try:
        return BOARDS[name]
    except KeyError:
        raise UnknownBoard(f"unknown board {name!r}; fenn knows {', '.join(BOARDS)} "
                           f"(`fenn boards` lists them)") from None
