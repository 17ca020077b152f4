"""Integer constant expressions in assembly text: ``N*2 + 4``, ``0x40 << 2``, ``-(1 << 11)``.

Python's parser reads the expression; only integer literals, ``.equ`` names and the
operators ``+ - * / % << >> & | ^ ~`` and parentheses are allowed (``/`` truncates
towards zero, as in GNU as).
"""

from __future__ import annotations

import ast
import operator

from .errors import AsmError

__all__ = ["evaluate"]

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.LShift: operator.lshift, ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.BitXor: operator.xor,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}


def _divide(a: int, b: int, op: type) -> int:
    if b == 0:
        raise AsmError("division by zero")
    q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
    return q if op is ast.Div else a - q * b


def evaluate(text: str, names: dict[str, int]) -> int:
    """The value of ``text``; AsmError naming the unknown symbol or the bad syntax."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise AsmError(f"cannot read {text.strip()!r} as an integer expression") from None

    def walk(node) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name):
            if node.id in names:
                return names[node.id]
            raise AsmError(f"unknown symbol {node.id!r} in {text.strip()!r} "
                           f"(define constants with '.equ {node.id}, value' before use)")
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left), walk(node.right)
            if type(node.op) in (ast.LShift, ast.RShift) and not 0 <= right < 64:
                raise AsmError(f"shift count {right} out of range in {text.strip()!r}")
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.BinOp) and type(node.op) in (ast.Div, ast.Mod):
            return _divide(walk(node.left), walk(node.right), type(node.op))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](walk(node.operand))
        raise AsmError(f"cannot read {text.strip()!r} as an integer expression "
                       f"(allowed: integers, .equ names, + - * / % << >> & | ^ ~ and parentheses)")

    return walk(tree.body)
