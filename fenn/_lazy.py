"""Submodules a package loads on first attribute access, so ``import fenn`` reaches them all.

``fenn.nir.import_nir`` or ``fenn.compiler.saved`` work after a bare ``import fenn``
without importing anything heavy up front: a package passes its ``globals()`` to
:func:`lazy_package` and takes back ``__getattr__`` and ``__dir__`` (PEP 562).
"""

from __future__ import annotations

import importlib
import pkgutil

__all__ = ["lazy_package"]


def lazy_package(namespace: dict, attributes: dict | None = None, extra: tuple = ()):
    """(``__getattr__``, ``__dir__``) for the package whose globals are ``namespace``.

    ``attributes`` maps a public name to ``(module, attribute or None for the module)``;
    every submodule found on the package's path (plus the ``extra`` ones, which live
    elsewhere) is an attribute too, imported when first used.
    """
    attributes = attributes or {}
    package = namespace["__name__"]

    def submodules() -> set[str]:
        found = {m.name for m in pkgutil.iter_modules(namespace["__path__"])} | set(extra)
        return {name for name in found if not name.startswith("_")}

    def __getattr__(name):
        if name in attributes:
            module_name, attribute = attributes[name]
            module = importlib.import_module(module_name)
            value = module if attribute is None else getattr(module, attribute)
        elif not name.startswith("_") and name in submodules():
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(attributes) | submodules())

    return __getattr__, __dir__
