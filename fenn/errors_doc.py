"""Render docs/errors.md from the error classes: ``python -m fenn.errors_doc > docs/errors.md``.

The page lists every :class:`fenn.errors.FennError` subclass and every
:class:`fenn.errors.FennWarning`, wherever in fenn it is defined, with its docstring: the
cause, then a ``Fix:`` paragraph. A class added anywhere (a new fault, a board error)
appears here once its module is importable; a test checks that the committed page is
up to date and that every class says its fix.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys

from .errors import FennError, FennWarning

__all__ = ["render", "classes", "import_all"]

#: fenn's packages (those beside fenn/ in the repository are subpackages too)
PACKAGES = ("fenn", "fenn.compiler", "fenn.hw", "fenn.firmware", "fenn.boards", "fenn.models")
#: modules not imported to find classes: they start programs when imported
_SKIP = ("fenn.__main__",)

_INTRO = """\
# Errors and warnings

Every error fenn raises on purpose is a `fenn.errors.FennError` (catch them all with
`except fenn.errors.FennError`); each message names the problem and what to do. The
command line prints one line, `fenn: error: ...`, and exits with status 1 (`fenn --debug
...` shows the Python stack). Warnings are `fenn.errors.FennWarning`s (`fenn: warning: ...`
on the command line); `warnings.simplefilter("error", fenn.FennWarning)` turns them into
errors. Many errors also derive from the Python exception they refine (`ValueError`,
`ImportError`, `AssertionError`, ...), so older `except` clauses still work.

This page is generated from the classes' docstrings (`python -m fenn.errors_doc >
docs/errors.md`); `tests/test_errors_doc.py` checks that it is up to date and that every
class states its cause and its fix.
"""


def import_all() -> list[str]:
    """Import every module of fenn's packages; the names of those that could not be
    imported here (an optional extra is missing) are returned."""
    skipped = []
    for package_name in PACKAGES:
        try:
            package = importlib.import_module(package_name)
        except ImportError:
            skipped.append(package_name)
            continue
        for module in pkgutil.walk_packages(package.__path__, package_name + "."):
            if module.name in _SKIP or module.name in sys.modules:
                continue
            try:
                importlib.import_module(module.name)
            except ImportError:
                skipped.append(module.name)
    return skipped


def _subclasses(base: type) -> list[type]:
    found, todo = [], [base]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def classes() -> list[type]:
    """Every FennError and FennWarning class fenn defines, in the page's order: by module
    (fenn.errors first), then by name."""
    import_all()
    found = {cls for base in (FennError, FennWarning) for cls in _subclasses(base)
             if cls.__module__.split(".")[0] == "fenn" and not cls.__name__.startswith("_")}
    return sorted(found, key=lambda c: (issubclass(c, FennWarning), c not in (FennError, FennWarning),
                                        c.__module__ != "fenn.errors", c.__module__, c.__name__))


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _section(cls: type) -> str:
    bases = ", ".join(f"`{_name(b) if b.__module__.startswith('fenn') else b.__name__}`"
                      for b in cls.__bases__)
    doc = inspect.cleandoc(cls.__doc__ or "(undocumented)")
    return f"### {cls.__name__}\n\n`{_name(cls)}`, derives from {bases}.\n\n{doc}\n"


def render() -> str:
    found = classes()
    errors = [c for c in found if issubclass(c, FennError)]
    warnings = [c for c in found if issubclass(c, FennWarning)]
    index = ["| class | module |", "|---|---|"]
    index += [f"| [{c.__name__}](#{c.__name__.lower()}) | `{c.__module__}` |" for c in found]
    parts = [_INTRO, "\n".join(index) + "\n", "## Errors\n"]
    parts += [_section(c) for c in errors]
    parts += ["## Warnings\n"] + [_section(c) for c in warnings]
    return "\n".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render())
