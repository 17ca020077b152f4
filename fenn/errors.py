"""The project's exception and warning types.

Every error that ``fenn`` raises on purpose derives from :class:`FennError`, so a user can
catch all of them at once; each says what went wrong and what to do about it. Every
warning derives from :class:`FennWarning`. docs/errors.md is generated from these classes
(and the ones other modules derive from them): each docstring states the cause, then a
paragraph ``Fix: ...`` (``python -m fenn.errors_doc > docs/errors.md``).

This module imports nothing of the project, so every layer may raise these.
"""

from __future__ import annotations

__all__ = ["FennError", "MachineFault", "ProgramFileError", "InputError", "QuantisationError",
           "ReferenceMismatch", "OptionError", "BackendUnavailable", "CompileLimitError", "FennWarning",
           "QuantisationWarning", "NIRConventionWarning", "warn"]


class FennError(Exception):
    """Base class of every error ``fenn`` raises deliberately; the message names the
    problem and what to do about it.

    Fix: read the message. ``except fenn.errors.FennError`` catches every one of them;
    the command line prints it as one ``fenn: error: ...`` line (``--debug`` shows the stack).
    """


class MachineFault(FennError):
    """A program did something the machine cannot do (bad access, illegal word, ...).

    The machine that raised it is left as it was when the faulting instruction issued
    (that instruction has no effect), so its registers and memories can be inspected.

    Fix: the message names the pc, the instruction and the cause (docs/sim.md lists the
    fault codes); correct the program, or the compiler input that produced it.
    """

    def __init__(self, cause: str, pc: int, word: int | None = None, text: str | None = None,
                 cycle: int | None = None, hint: str | None = None, code=None):
        self.cause = cause
        #: the :class:`fenn.faults.Fault` code, when the machine gave one
        self.code = code
        self.pc = pc
        self.word = word
        self.text = text
        self.cycle = cycle
        self.hint = hint
        where = f"pc 0x{pc:08x}"
        if word is not None:
            where += f" (0x{word:08x}: {text or '?'})"
        if cycle is not None:
            where += f", cycle {cycle}"
        message = f"{cause} at {where}"
        if hint:
            message += f"; {hint}"
        super().__init__(message)


class ProgramFileError(FennError, ValueError):
    """A Program file that cannot be loaded: not a ``.npz`` at all, truncated, empty, an
    ``.npz`` that no fenn wrote, a file format version this fenn does not read, or an
    image whose checksum no longer matches (the file was modified after it was saved).

    Fix: compile the network again (``fenn compile`` or ``fenn.compile(...).save(path)``);
    never edit a Program file by hand.
    """


class InputError(FennError, ValueError):
    """Inputs that the program cannot take: unknown or missing input names, rasters of the
    wrong shape, events outside the run, a spike file that is not SHD-format HDF5.

    Fix: the message names the input and what it expected; docs/inputs.md lists the forms.
    """


class QuantisationError(FennError, ValueError):
    """A connection's weights or a population's constants lose too much in fixed point,
    and the compile was asked to refuse that (``fenn.compile(..., quantisation="error")``).

    Fix: as for :class:`QuantisationWarning`, which names the culprit values.
    """


class ReferenceMismatch(FennError, AssertionError):
    """``fenn.run(..., check=True)``: the device's recordings differ from the integer
    reference model's; the message names the recording, sample, step and neuron that
    first differ.

    Fix: this is a bug in fenn (or a modified Program file): report it with the Program
    file and the inputs.
    """


class OptionError(FennError, ValueError):
    """An argument or option outside what it accepts: ``timesteps=0``, an unknown backend,
    rounding, format, NIR ``method`` or ``exporter``.

    Fix: the message lists what is accepted.
    """


class BackendUnavailable(FennError, ImportError):
    """A backend (``rtl``, ``pynq``) whose software is not installed here, or a board
    backend asked for off the board.

    Fix: install the extra the message names (``pip install 'fenn[hdl]'``), or run on
    ``backend="sim"``, which needs nothing else.
    """


class CompileLimitError(FennError):
    """A network past a fixed limit of the code generator (e.g. more than 512 scalar
    slots: about 250 spiking populations).

    Fix: the message names the limit and what uses it; usually merging populations that
    share a neuron model into one (parameters may differ per neuron) brings it under.
    """


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` pointing at the first line outside fenn (the user's call), however
    deep inside fenn the warning is found."""
    import sys
    import warnings
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "fenn":
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


class FennWarning(UserWarning):
    """Base class of every warning ``fenn`` gives: the result will run, but may not be
    what you meant.

    Fix: read the message; ``warnings.simplefilter("error", fenn.errors.FennWarning)``
    turns them all into errors.
    """


class QuantisationWarning(FennWarning):
    """``fenn.compile``: quantising a connection's weights (or a population's constants
    and initial values) to 16-bit fixed point moved them more than the threshold
    (``quantisation_threshold``, RMS error relative to the RMS value, default 5 %), or
    saturated some. Typically one outlier weight forced a coarse format that rounds every
    other weight to zero.

    Fix: the message names the largest values: clip outliers, scale the weights (and the
    threshold) down, or give the population a finer format (``formats={"pop": "s3.12"}``);
    ``quantisation="error"`` refuses such a compile, ``quantisation="ignore"`` accepts it.
    """


class NIRConventionWarning(FennWarning):
    """A NIR graph whose numbers look like an exporter convention fenn cannot see through:
    a time constant shorter than ``dt`` with ``method="exact"`` (Norse writes
    ``tau = dt/tau_inv``), or an exporter known to write another reset than it simulates
    (snnTorch's subtractive reset exported as a reset to zero).

    Fix: the message names the node and the exporter option, ``dt`` or ``method`` to use;
    docs/nir.md lists each exporter's conventions.
    """
