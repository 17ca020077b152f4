"""The ``fenn`` command line.

Each subcommand registers itself on the argparse sub-parsers and sets ``func`` (parsed
args -> exit status). ``asm`` and ``disasm`` live here; other parts of fenn add theirs by
appending ``"module.path"`` to :data:`SUBCOMMAND_MODULES`, where the module defines
``register(subparsers)`` and keeps heavy imports inside its ``func``. A module whose
optional dependencies are missing still shows up in ``--help`` and fails with the reason.

Expected failures (bad input, missing files) raise :class:`CliError` or another
:class:`fenn.errors.FennError` (which names the problem and the fix) and print one line, ``fenn: error: ...``, with
exit status 1; ``--debug`` shows the stack.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from pathlib import Path

from .errors import FennError, FennWarning

__all__ = ["main", "build_parser", "CliError", "SUBCOMMAND_MODULES", "read_words", "write_words",
           "existing_file", "assemble_file", "load_program"]

#: modules that define ``register(subparsers)`` (e.g. run-asm, compile, inspect, hw)
SUBCOMMAND_MODULES: list[str] = [
    "fenn.sim.cli",
    "fenn.hw.cli",
    "fenn.compiler.cli",
    "fenn.boards.cli",
    "fenn.plot.cli",
    "fenn.evaluation",
    "fenn.run_cli",
]


class CliError(FennError):
    """A command-line failure that is not one of fenn's other errors: a missing file, an
    input file of the wrong kind, an option value out of range.

    Fix: the message names the file or option and what it expected (``fenn COMMAND --help``).
    """


# ---------------------------------------------------------------------------- input files

def existing_file(path) -> Path:
    """``path`` as a Path; a CliError naming it if there is no such file."""
    path = Path(path)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    return path


def read_text(path, what: str) -> str:
    """The text of an existing file; a CliError if it is not text (``what`` says what it
    should have been)."""
    path = existing_file(path)
    try:
        return path.read_text()
    except UnicodeDecodeError as error:
        raise CliError(f"{path} is not a text file (byte {error.start} is not UTF-8); expected "
                       f"{what}") from None


def assemble_file(path):
    """Assemble the FeNN assembly file ``path`` (an ``Assembled``; errors name the file)."""
    from .asm import assemble_text
    return assemble_text(read_text(path, "FeNN assembly"), str(path))


def load_program(path):
    """The :class:`fenn.Program` saved in ``path`` (.npz)."""
    from .program import Program
    return Program.load(existing_file(path))


def read_words(path: Path) -> tuple[list[int], dict[str, int]]:
    """Instruction words (and symbols, if the file has them) from .bin, .hex or a Program .npz."""
    path = existing_file(path)
    if path.suffix == ".npz":
        program = load_program(path)
        return [int(w) for w in program.text], dict(program.symbols)
    if path.suffix == ".hex":
        words = []
        text = read_text(path, "one hexadecimal word per line")
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.split("//", 1)[0].split("#", 1)[0].strip()
            if not line:
                continue
            try:
                words.append(int(line, 16))
            except ValueError:
                raise CliError(f"{path}:{lineno}: expected one hexadecimal word per line, got {line!r}") from None
        return words, {}
    data = path.read_bytes()
    if len(data) % 4:
        raise CliError(f"{path}: {len(data)} bytes is not a whole number of 32-bit words "
                       f"(expected a raw little-endian .bin, a .hex or a Program .npz)")
    return [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)], {}


def write_words(path: Path, words, fmt: str) -> None:
    """``bin``: raw little-endian (the IMEM image); ``hex``: one word per line ($readmemh)."""
    if fmt == "hex":
        path.write_text("".join(f"{int(w):08x}\n" for w in words))
    else:
        path.write_bytes(b"".join(int(w).to_bytes(4, "little") for w in words))


# ---------------------------------------------------------------------------- asm / disasm

def _asm(args) -> int:
    source = Path(args.source)
    result = assemble_file(source)
    fmt = args.format or ("hex" if args.output and Path(args.output).suffix == ".hex" else "bin")
    output = Path(args.output) if args.output else source.with_suffix("." + fmt)
    write_words(output, result.words, fmt)
    if args.listing:
        sys.stdout.write(result.listing())
    print(f"{output}: {len(result.words)} words ({4 * len(result.words)} bytes), "
          f"{len(result.symbols)} label{'s' * (len(result.symbols) != 1)}", file=sys.stderr)
    return 0


def _disasm(args) -> int:
    from .disasm import disassemble, disassemble_program
    words, symbols = read_words(Path(args.binary))
    if args.plain:
        sys.stdout.write("".join(disassemble(w) + "\n" for w in words))
    else:
        sys.stdout.write(disassemble_program(words, symbols))
    return 0


def _register_asm(subparsers) -> None:
    p = subparsers.add_parser(
        "asm", help="assemble a .s file into instruction words",
        description="Assemble FeNN assembly (docs/assembly.md) into a raw little-endian image "
                    "of 32-bit words, as loaded into IMEM at address 0.",
        epilog="example: fenn asm loop.s -o loop.bin --listing")
    p.add_argument("source", metavar="FILE.s", help="assembly source")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (default: FILE.bin)")
    p.add_argument("--format", choices=["bin", "hex"],
                   help="bin: raw little-endian words; hex: one word per line for $readmemh "
                        "(default: from the output suffix, else bin)")
    p.add_argument("-l", "--listing", action="store_true",
                   help="also print the listing (addresses, words, labels, source lines)")
    p.set_defaults(func=_asm)


def _register_disasm(subparsers) -> None:
    p = subparsers.add_parser(
        "disasm", help="disassemble instruction words into assembly",
        description="Print the words of a .bin (raw little-endian), .hex (one word per line) or "
                    "Program .npz as assembly that `fenn asm` turns back into the same words.",
        epilog="example: fenn disasm loop.bin > loop_again.s")
    p.add_argument("binary", metavar="FILE.bin", help="words to disassemble")
    p.add_argument("--plain", action="store_true",
                   help="one statement per line, without addresses, words or labels")
    p.set_defaults(func=_disasm)


def _register_module(subparsers, module_name: str) -> None:
    try:
        importlib.import_module(module_name).register(subparsers)
    except ImportError as e:
        name = module_name.rsplit(".", 1)[-1].replace("_", "-")
        p = subparsers.add_parser(name, help=f"(unavailable: {e})")
        p.set_defaults(func=_unavailable(name, e))


def _unavailable(name: str, error: ImportError):
    def func(args):
        raise CliError(f"{name} is unavailable: {error} (install the extra it needs, "
                       f"e.g. pip install -e '.[hdl]')")
    return func


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors as the one ``fenn: error: ...`` line too."""

    def error(self, message):
        self.exit(2, f"fenn: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fenn",
        description="fenn: spiking neural networks for FeNN, a RISC-V vector soft core. "
                    "Run `fenn COMMAND --help` for the options of each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  fenn asm prog.s -o prog.bin     assemble (syntax: docs/assembly.md)\n"
               "  fenn asm prog.s --listing       assemble to prog.bin and print the listing\n"
               "  fenn disasm prog.bin            disassemble; the output reassembles to the same words")
    parser.add_argument("--debug", "--traceback", dest="debug", action="store_true",
                        help="show the Python stack on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _register_asm(subparsers)
    _register_disasm(subparsers)
    for module_name in SUBCOMMAND_MODULES:
        _register_module(subparsers, module_name)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return int(args.func(args) or 0)
    except (FennError, OSError) as e:
        if args.debug:
            raise
        print(f"fenn: error: {_message(e)}", file=sys.stderr)
        return 1


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """fenn's warnings as ``fenn: warning: ...`` lines; others as Python prints them."""
    if issubclass(category, FennWarning):
        print(f"fenn: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _message(error: BaseException) -> str:
    """The message of ``error``; a file error names its file."""
    text = str(error).strip() or type(error).__name__
    if isinstance(error, OSError) and error.filename and str(error.filename) not in text:
        text = f"{error.filename}: {error.strerror or text}"
    return text


if __name__ == "__main__":
    sys.exit(main())
