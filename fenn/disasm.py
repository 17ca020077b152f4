"""Words -> assembly text that the text assembler turns back into the same words.

``disassemble(word)`` gives one statement: the instruction in ``fenn.isa`` operand order
(the syntax of docs/assembly.md and of the golden vectors' ``asm`` strings), or
``.word 0x...  # illegal: <reason>`` for illegal words, or ``.word 0x...  # <text>
(ignored bits 0x...)`` for legal words that set ignored fields, so every 32-bit word
reassembles to itself. ``disassemble_program`` adds addresses, labels and source.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .asm.operands import LABEL_RE
from .isa import CSR_NAMES, IMM_U, Decoded, IllegalInstruction, Kind, Syntax, decode

__all__ = ["disassemble", "format_decoded", "format_operand", "disassemble_program"]


def format_operand(kind: Kind, value: int, *, hex_imm: bool = False, csr_names: bool = True) -> str:
    if kind is Kind.XREG:
        return f"x{value}"
    if kind is Kind.VREG:
        return f"v{value}"
    if kind is Kind.OFFSET:
        return f".{value:+d}"
    if kind is Kind.CSR:
        return CSR_NAMES[value] if csr_names and value in CSR_NAMES else f"0x{value:03x}"
    return f"0x{value:05x}" if hex_imm else str(value)


def format_decoded(decoded: Decoded, *, csr_names: bool = True) -> str:
    """The statement for a decoded word (ignoring any ignored-field bits)."""
    row = decoded.instruction
    parts = [format_operand(op.kind, value, hex_imm=op.encoding is IMM_U, csr_names=csr_names)
             for op, value in zip(row.operands, decoded.values)]
    if row.syntax is Syntax.MEM:
        parts = [parts[0], f"{parts[1]}({parts[2]})"]
    return f"{row.mnemonic} {', '.join(parts)}" if parts else row.mnemonic


def disassemble(word: int, *, csr_names: bool = True) -> str:
    """One word as a statement that reassembles to exactly this word.

    ``csr_names=False`` prints CSR addresses as numbers (the form GNU as accepts for
    FeNN's DMA CSRs, which it does not know by name).
    """
    word = int(word) & 0xFFFFFFFF
    try:
        decoded = decode(word)
    except IllegalInstruction as e:
        return f".word 0x{word:08x}  # illegal: {e.reason}"
    text = format_decoded(decoded, csr_names=csr_names)
    if decoded.ignored_bits:
        return f".word 0x{word:08x}  # {text} (ignored bits 0x{decoded.ignored_bits:08x})"
    return text


def _label_line(name: str) -> str:
    """``name:``, or a comment when the symbol is not a valid label (e.g. ``buf[3]``)."""
    return f"{name}:" if LABEL_RE.match(name) else f"# {name}:"


def _target_note(word: int, address: int, labels: dict[int, list[str]]) -> str:
    try:
        decoded = decode(word)
    except IllegalInstruction:
        return ""
    for op, value in zip(decoded.instruction.operands, decoded.values):
        if op.kind is Kind.OFFSET:
            target = (address + value) & 0xFFFFFFFF
            return f" -> {labels[target][0]}" if target in labels else f" -> 0x{target:04x}"
    return ""


def disassemble_program(words: Iterable[int], symbols: dict[str, int] | None = None,
                        source: Sequence | None = None) -> str:
    """A listing that is also valid assembly: labels on their own lines, each statement
    followed by a comment with its address, word, branch target and source statement.

    ``source`` is a sequence of ``(address, text, origin)`` as in ``Assembled.source``.
    Labels past the end of the words are listed last (a label at the very end reassembles;
    others are shown as comments).
    """
    labels: dict[int, list[str]] = {}
    for name, address in sorted((symbols or {}).items(), key=lambda kv: (kv[1], kv[0])):
        labels.setdefault(address, []).append(name)
    notes = {int(entry[0]): f"{entry[1]}  @ {entry[2]}" for entry in (source or ())}
    lines = []
    end = 0
    for index, word in enumerate(words):
        address, word = 4 * index, int(word) & 0xFFFFFFFF
        end = address + 4
        lines += [_label_line(name) for name in labels.get(address, [])]
        text = disassemble(word)
        comment = f"{address:04x}: {word:08x}{_target_note(word, address, labels)}"
        if address in notes:
            comment += f"  | {notes[address]}"
        lines.append(f"    {text}  | {comment}" if "#" in text else f"    {text:<32}  # {comment}")
    for address in sorted(a for a in labels if a >= end or a % 4):
        where = "" if address == end else f"# (at 0x{address:x}, outside the words) "
        lines += [f"{where}{name}:" if where else _label_line(name) for name in labels[address]]
    return "\n".join(lines) + "\n"
