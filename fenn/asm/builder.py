"""The Python face of the assembler: one method per instruction of ``fenn.isa.TABLE``.

    a = Assembler()
    a.li(x5, 10)
    a.label("loop")
    a.vadd_s(v1, v1, v2)
    a.addi(x5, x5, -1)
    a.bnez(x5, "loop")
    a.ecall()
    program = a.assemble()        # .words, .symbols, .source

Method names are the mnemonics with ``.`` -> ``_`` (``sext_b``, ``fence_i``) and a trailing
``_`` on Python keywords (``and_``, ``or_``, ``not_``); :meth:`Assembler.emit` takes the
mnemonic as text. Operands come in table order, which is also the text order (``a.lw(x5,
8, x2)`` is ``lw x5, 8(x2)``). Branch and jump targets are label names or pc-relative byte
offsets. Bad arguments raise :class:`AsmError` naming the caller's ``file:line`` and the
call at once; undefined labels and out-of-reach branches are reported by ``assemble()``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import keyword
import os
import sys
from typing import NamedTuple

import numpy as np

from ..isa import BY_MNEMONIC, TABLE, Instruction
from .errors import AsmError
from .operands import check_label_name, normalise
from .pseudo import PSEUDOS, Pseudo

__all__ = ["Assembler", "Assembled", "SourceEntry", "method_name"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class SourceEntry(NamedTuple):
    """One statement: the address of its first word, its text and where it came from."""
    address: int
    text: str
    origin: str


@dataclasses.dataclass
class Assembled:
    """The result of :meth:`Assembler.assemble`."""
    words: np.ndarray                       # uint32, one per 4-byte address from 0
    symbols: dict[str, int]                 # label -> byte address
    source: list[SourceEntry]

    def __len__(self) -> int:
        return len(self.words)

    def to_bytes(self) -> bytes:
        """Little-endian image, as loaded into IMEM."""
        return self.words.astype("<u4").tobytes()

    def listing(self) -> str:
        """Disassembly with addresses, labels and source, which reassembles to these words."""
        from ..disasm import disassemble_program
        return disassemble_program(self.words, self.symbols, self.source)


@dataclasses.dataclass
class _Item:
    address: int
    row: Instruction | None       # None: already encoded (data, or no label to resolve)
    values: tuple                 # normalised operand values; label names where unresolved
    statement: str
    where: str


def method_name(mnemonic: str) -> str:
    name = mnemonic.replace(".", "_")
    return name + "_" if keyword.iskeyword(name) else name


@functools.lru_cache(maxsize=256)
def _display_name(filename: str) -> str:
    if filename.startswith("<"):
        return filename
    try:
        return os.path.relpath(filename)
    except ValueError:          # another drive on Windows
        return filename


@functools.lru_cache(maxsize=256)
def _in_package(filename: str) -> bool:
    return os.path.dirname(os.path.abspath(filename)) == _PACKAGE_DIR


def _caller() -> str:
    """``file:line`` of the first frame outside this package (the user's call site)."""
    frame = sys._getframe(2)
    while frame is not None and _in_package(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{_display_name(frame.f_code.co_filename)}:{frame.f_lineno}"


class Assembler:
    """Collects instructions, data words and labels; :meth:`assemble` resolves and encodes."""

    def __init__(self):
        self._items: list[_Item] = []
        self._symbols: dict[str, int] = {}
        self._label_where: dict[str, str] = {}
        self._source: list[SourceEntry] = []

    # ------------------------------------------------------------------ positions, labels, data
    def here(self) -> int:
        """Byte address of the next word."""
        return 4 * len(self._items)

    def label(self, name: str, *, where: str | None = None) -> int:
        """Define ``name`` at the current address and return that address."""
        where = where or _caller()
        try:
            check_label_name(name)
        except AsmError as e:
            raise AsmError(e.problem, where, f"label({name!r})") from None
        if name in self._symbols:
            raise AsmError(f"duplicate label {name!r} (first defined at {self._label_where[name]})",
                           where, f"label({name!r})")
        self._symbols[name] = self.here()
        self._label_where[name] = where
        return self.here()

    def word(self, *values: int, where: str | None = None, statement: str | None = None) -> int:
        """Data words (``.word``): each any 32-bit value, signed or unsigned."""
        where = where or _caller()
        statement = statement or f"word({', '.join(map(repr, values))})"
        address = self.here()
        if not values:
            raise AsmError("word needs at least one value", where, statement)
        checked = []
        for value in values:
            if isinstance(value, (str, bool)) or not hasattr(value, "__index__"):
                raise AsmError(f"data word must be an integer, got {value!r}", where, statement)
            value = value.__index__()
            if not -(1 << 31) <= value < (1 << 32):
                raise AsmError(f"data word {value} does not fit in 32 bits", where, statement)
            checked.append(value & 0xFFFFFFFF)
        self._source.append(SourceEntry(address, statement, where))
        for value in checked:
            self._items.append(_Item(self.here(), None, (value,), statement, where))
        return address

    # ------------------------------------------------------------------ instructions
    def emit(self, mnemonic: str, *args, where: str | None = None, statement: str | None = None) -> int:
        """Emit an instruction or pseudo-instruction by its text mnemonic; returns its address."""
        where = where or _caller()
        if statement is None:
            statement = f"{method_name(mnemonic)}({', '.join(map(repr, args))})"
        spec = BY_MNEMONIC.get(mnemonic) or PSEUDOS.get(mnemonic)
        if spec is None:
            raise AsmError(f"unknown mnemonic {mnemonic!r}", where, statement)
        address = self.here()
        try:
            values = self._check(mnemonic, spec.operands, args)
            if isinstance(spec, Pseudo):
                rows = [(BY_MNEMONIC[m], self._check(m, BY_MNEMONIC[m].operands, v))
                        for m, *v in spec.expand(*values)]
            else:
                rows = [(spec, values)]
            items = [self._item(address + 4 * i, row, tuple(v), statement, where)
                     for i, (row, v) in enumerate(rows)]
        except AsmError as e:
            raise AsmError(e.problem, where, statement) from None
        self._source.append(SourceEntry(address, statement, where))
        self._items.extend(items)
        return address

    @staticmethod
    def _check(mnemonic, operands, args) -> list:
        if len(args) != len(operands):
            names = ", ".join(op.name for op in operands) or "none"
            raise AsmError(f"{mnemonic} takes {len(operands)} operand{'s' * (len(operands) != 1)} "
                           f"({names}), got {len(args)}")
        return [normalise(op, arg) for op, arg in zip(operands, args)]

    @staticmethod
    def _item(address, row, values, statement, where) -> _Item:
        """Encode now unless a label is still unresolved."""
        if any(isinstance(v, str) for v in values):
            return _Item(address, row, values, statement, where)
        return _Item(address, None, (row.encode(*values),), statement, where)

    # ------------------------------------------------------------------ result
    def assemble(self) -> Assembled:
        """Resolve labels and encode; raises AsmError for undefined or out-of-reach targets."""
        words = np.empty(len(self._items), dtype=np.uint32)
        for i, item in enumerate(self._items):
            if item.row is None:
                words[i] = item.values[0]
                continue
            values = []
            for op, value in zip(item.row.operands, item.values):
                if isinstance(value, str):
                    if value not in self._symbols:
                        raise AsmError(f"undefined label {value!r}", item.where, item.statement)
                    offset = self._symbols[value] - item.address
                    problem = op.encoding.check(offset)
                    if problem:
                        raise AsmError(f"label {value!r} is {offset:+d} bytes away; {item.row.mnemonic} "
                                       f"{op.name} {problem}", item.where, item.statement)
                    value = offset
                values.append(value)
            words[i] = item.row.encode(*values)
        return Assembled(words, dict(self._symbols), list(self._source))


def _make_method(mnemonic: str, operands, summary: str):
    def method(self, *args):
        return self.emit(mnemonic, *args, where=_caller(),
                         statement=f"{method_name(mnemonic)}({', '.join(map(repr, args))})")
    method.__name__ = method.__qualname__ = method_name(mnemonic)
    method.__doc__ = f"``{mnemonic} {', '.join(op.name for op in operands)}``: {summary}"
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
    params += [inspect.Parameter(op.name, inspect.Parameter.POSITIONAL_ONLY) for op in operands]
    method.__signature__ = inspect.Signature(params)
    return method


for _row in TABLE:
    setattr(Assembler, method_name(_row.mnemonic), _make_method(_row.mnemonic, _row.operands, _row.summary))
for _pseudo in PSEUDOS.values():
    setattr(Assembler, method_name(_pseudo.mnemonic),
            _make_method(_pseudo.mnemonic, _pseudo.operands, "pseudo-instruction: " + _pseudo.summary))
