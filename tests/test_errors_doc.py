"""docs/errors.md lists every FennError and FennWarning with its cause and fix, generated
from the classes themselves, so an error class added anywhere in fenn shows up (or this
test says to regenerate the page)."""

import inspect
import pathlib

import pytest

from fenn.errors import FennError, FennWarning
from fenn.errors_doc import classes, import_all, render

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "errors.md"


@pytest.fixture(scope="module")
def found():
    return classes()


def test_every_class_states_its_cause_and_fix(found):
    for cls in found:
        doc = inspect.cleandoc(cls.__doc__ or "")
        cause, _, fix = doc.partition("\nFix: ")
        assert cause.strip() and fix.strip(), (
            f"{cls.__module__}.{cls.__name__}: its docstring must say the cause, then a "
            f"paragraph 'Fix: ...' (docs/errors.md is generated from it)")


def test_the_known_classes_are_found(found):
    names = {cls.__name__ for cls in found}
    assert {"FennError", "MachineFault", "ProgramFileError", "NIRImportError", "AsmError",
            "MemoryPlanError", "NetworkError", "ModelError", "InputError", "OptionError",
            "QuantisationWarning", "NIRConventionWarning", "CompileLimitError"} <= names
    assert all(issubclass(c, (FennError, FennWarning)) for c in found)


def test_committed_errors_md_is_up_to_date():
    missing = import_all()
    if missing:
        pytest.skip(f"modules that need extras not installed here: {missing}")
    assert DOC.read_text() == render(), "regenerate it: python -m fenn.errors_doc > docs/errors.md"


def test_a_new_subclass_anywhere_is_picked_up():
    class BoardOnFire(FennError):
        """A board too hot to run.

        Fix: let it cool.
        """
    BoardOnFire.__module__ = "fenn.boards.test_only"
    try:
        assert "### BoardOnFire" in render() and "Fix: let it cool." in render()
    finally:
        del BoardOnFire
        import gc
        gc.collect()
