"""fenn.boards."""

from .._lazy import lazy_package as _lazy_package

__getattr__, __dir__ = _lazy_package(globals())   # submodules on first use
