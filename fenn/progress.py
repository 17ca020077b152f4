"""One line on stderr before a step that takes a while, so that a long silence has a reason.

``note("building the RTL simulation ...")`` prints ``fenn: building the RTL simulation ...``
at once (flushed). Setting ``FENN_QUIET=1`` in the environment silences these notes; errors
and warnings are not notes and still appear.
"""

from __future__ import annotations

import os
import sys

__all__ = ["note"]


def note(message: str) -> None:
    """Say what fenn is about to spend a while on (unless ``FENN_QUIET`` is set)."""
    if os.environ.get("FENN_QUIET", "") not in ("", "0"):
        return
    print(f"fenn: {message}", file=sys.stderr, flush=True)
