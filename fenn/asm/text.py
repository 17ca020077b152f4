"""The text face of the assembler: ``.s`` source -> the same builder calls.

Syntax (docs/assembly.md): one statement per line; ``#`` starts a comment; ``name:``
defines a label (several may precede a statement); ``.word v, ...`` emits data words;
``.equ NAME, value`` (or ``.set``) defines a constant usable in any later immediate.
Operands are written in ``fenn.isa`` table order; scalar loads, stores and ``jalr`` use
``imm(rs1)``; branch and jump targets are a label, ``.+N`` / ``.-N`` or an integer
pc-relative offset. Errors name ``file:line``, the statement and the problem.
"""

from __future__ import annotations

import re

from ..isa import BY_MNEMONIC, Kind, Syntax
from .builder import Assembled, Assembler
from .errors import AsmError
from .expr import evaluate
from .operands import LABEL_RE, a_or_an
from .pseudo import PSEUDOS
from .registers import parse_register

__all__ = ["assemble_text", "parse_into"]

_LABEL_DEF = re.compile(r"([A-Za-z_.$][A-Za-z0-9_.$]*)\s*:")
_STATEMENT = re.compile(r"([A-Za-z_.][A-Za-z0-9_.]*)(?:\s+(.*))?\Z")
_EQU_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MEMORY = re.compile(r"(.*)\(\s*([A-Za-z0-9_]+)\s*\)\Z")


def _split_operands(text: str) -> list[str]:
    """Split at commas outside parentheses."""
    if not text.strip():
        return []
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    if any(not p for p in parts):
        raise AsmError("empty operand (stray comma?)")
    return parts


def _operand(op, text: str, equ: dict[str, int]):
    """Text of one operand -> the value the builder takes for it."""
    kind = op.kind
    register = parse_register(text)
    if kind in (Kind.XREG, Kind.VREG):
        if register is None:
            which = "an x register (x0..x31, zero, ra, sp, a0, t0, ...)" if kind is Kind.XREG \
                else "a v register (v0..v31)"
            raise AsmError(f"operand {op.name} must be {which}, got {text!r}")
        return register
    if register is not None:
        raise AsmError(f"operand {op.name} must be {a_or_an(kind.value)}, got register {text!r}")
    if kind is Kind.OFFSET:
        if text == ".":
            return 0
        if text.startswith(".") and text[1:].lstrip()[:1] in ("+", "-"):
            return evaluate(text[1:], equ)
        if LABEL_RE.match(text):
            return text
        return evaluate(text, equ)
    if kind is Kind.CSR and _EQU_NAME.match(text) and text not in equ:
        return text                     # a CSR name; the builder checks it
    return evaluate(text, equ)


def _instruction(asm: Assembler, mnemonic: str, rest: str, equ, where: str, statement: str):
    spec = BY_MNEMONIC.get(mnemonic) or PSEUDOS.get(mnemonic)
    if spec is None:
        raise AsmError(f"unknown mnemonic {mnemonic!r} (see docs/isa.md and docs/assembly.md)")
    texts = _split_operands(rest)
    names = ", ".join(op.name for op in spec.operands)
    if getattr(spec, "syntax", Syntax.PLAIN) is Syntax.MEM:
        form = f"{mnemonic} {spec.operands[0].name}, {spec.operands[1].name}({spec.operands[2].name})"
        match = _MEMORY.match(texts[1]) if len(texts) == 2 else None
        if match is None:
            raise AsmError(f"expected '{form}'")
        texts = [texts[0], match.group(1).strip() or "0", match.group(2)]
    elif len(texts) != len(spec.operands):
        raise AsmError(f"{mnemonic} takes {len(spec.operands)} operand"
                       f"{'s' * (len(spec.operands) != 1)} ({names or 'none'}), got {len(texts)}")
    values = [_operand(op, t, equ) for op, t in zip(spec.operands, texts)]
    asm.emit(mnemonic, *values, where=where, statement=statement)


def _directive(asm: Assembler, name: str, rest: str, equ, equ_where, where: str, statement: str):
    if name == ".word":
        values = [evaluate(t, equ) for t in _split_operands(rest)]
        if not values:
            raise AsmError(".word needs at least one value")
        asm.word(*values, where=where, statement=statement)
    elif name in (".equ", ".set"):
        parts = _split_operands(rest)
        if len(parts) != 2 or not _EQU_NAME.match(parts[0]):
            raise AsmError(f"expected '{name} NAME, value' with NAME made of letters, digits and '_'")
        if parts[0] in equ:
            raise AsmError(f"{parts[0]!r} is already defined (at {equ_where[parts[0]]})")
        if parse_register(parts[0]) is not None:
            raise AsmError(f"{parts[0]!r} is a register name and cannot be a constant")
        equ[parts[0]] = evaluate(parts[1], equ)
        equ_where[parts[0]] = where
    else:
        raise AsmError(f"unknown directive {name!r} (supported: .word, .equ, .set)")


def parse_into(asm: Assembler, source: str, filename: str = "<text>") -> None:
    """Append the statements of ``source`` to ``asm`` (labels, directives, instructions)."""
    equ: dict[str, int] = {}
    equ_where: dict[str, str] = {}
    for lineno, raw in enumerate(source.splitlines(), 1):
        where = f"{filename}:{lineno}"
        line = raw.split("#", 1)[0].strip()
        while (match := _LABEL_DEF.match(line)) is not None:
            asm.label(match.group(1), where=where)
            line = line[match.end():].strip()
        if not line:
            continue
        statement = line
        try:
            if ";" in line:
                raise AsmError("';' is neither a comment nor a separator here: "
                               "use '#' for comments and one statement per line")
            match = _STATEMENT.match(line)
            if match is None:
                raise AsmError("expected 'label:', a directive or 'mnemonic operands'")
            name, rest = match.group(1).lower(), match.group(2) or ""
            if name.startswith("."):
                _directive(asm, name, rest, equ, equ_where, where, statement)
            else:
                _instruction(asm, name, rest, equ, where, statement)
        except AsmError as e:
            if e.where is not None:
                raise
            raise AsmError(e.problem, where, statement) from None


def assemble_text(source: str, filename: str = "<text>") -> Assembled:
    """Assemble ``.s`` source text; AsmError names ``filename:line`` for any problem."""
    asm = Assembler()
    parse_into(asm, source, filename)
    return asm.assemble()
