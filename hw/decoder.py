"""The instruction decoder, generated from ``fenn.isa.TABLE``.

Nothing here names an opcode or a funct value: every row of the table becomes one
``(word & mask) == match`` comparator (one bit of the one-hot ``rows`` vector), and every
operand encoding of the table becomes one field extractor whose bit wiring is *measured*
from the encoding's own ``get`` function (see :func:`bit_sources`). The decoder also says
which registers an instruction reads and writes, derived from the operand kinds.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from fenn import isa

__all__ = ["Decoder", "ENCODINGS", "bit_sources", "row_index"]


def _named_encodings() -> dict[str, isa.Encoding]:
    """Every operand encoding used by the table, keyed by its lower-cased name in fenn.isa."""
    by_id = {id(v): k.lower() for k, v in vars(isa).items() if isinstance(v, isa.Encoding)}
    found: dict[str, isa.Encoding] = {}
    for row in isa.TABLE:
        for op in row.operands:
            name = by_id.get(id(op.encoding))
            if name is None:
                raise RuntimeError(f"operand {op.name} of {row.mnemonic} uses an encoding that is "
                                   "not a module-level name in fenn.isa; give it one")
            found[name] = op.encoding
    return found


#: field name (e.g. ``imm_i``, ``rd``) -> the table's encoding
ENCODINGS: dict[str, isa.Encoding] = _named_encodings()


def bit_sources(encoding: isa.Encoding) -> list[int | None]:
    """For each bit of the 32-bit operand value, the instruction bit it comes from (or None).

    Every encoding in the ISA is a bit permutation plus sign extension, so feeding the
    encoding's ``get`` one instruction bit at a time reveals the wiring.
    """
    sources: list[int | None] = [None] * 32
    for bit in range(32):
        if not encoding.mask >> bit & 1:
            continue
        value = encoding.get(1 << bit) & 0xFFFFFFFF
        for j in range(32):
            if value >> j & 1:
                if sources[j] is not None:
                    raise RuntimeError(f"{encoding.name}: value bit {j} has two sources")
                sources[j] = bit
    return sources


def _field_shape(encoding: isa.Encoding):
    sources = bit_sources(encoding)
    if encoding.lo_value < 0:
        return signed(32), sources
    width = max(j for j, s in enumerate(sources) if s is not None) + 1
    return unsigned(width), sources


def row_index(mnemonic: str) -> int:
    """Position of a mnemonic's row in the table (its bit in ``Decoder.rows``)."""
    for i, row in enumerate(isa.TABLE):
        if row.mnemonic == mnemonic:
            return i
    raise KeyError(f"unknown mnemonic {mnemonic!r}")


def _uses(row: isa.Instruction, kind: isa.Kind, encoding: isa.Encoding) -> bool:
    return any(op.kind is kind and op.encoding is encoding for op in row.operands)


#: register-port usage flags, each derived from the operands of a row
USAGE = {
    "reads_x_rs1": lambda r: _uses(r, isa.Kind.XREG, isa.RS1),
    "reads_x_rs2": lambda r: _uses(r, isa.Kind.XREG, isa.RS2),
    "writes_x_rd": lambda r: _uses(r, isa.Kind.XREG, isa.RD),
    "reads_v_rs1": lambda r: _uses(r, isa.Kind.VREG, isa.RS1),
    "reads_v_rs2": lambda r: _uses(r, isa.Kind.VREG, isa.RS2),
    # vsel and vloadl keep old lanes of vd, so they read it too (docs/timing.md)
    "reads_v_rd": lambda r: r.mnemonic in ("vsel", "vloadl"),
    "writes_v_rd": lambda r: _uses(r, isa.Kind.VREG, isa.RD),
}


class Decoder(wiring.Component):
    """Combinational decoder: ``inst`` in; one-hot ``rows``, ``illegal``, fields and usage out."""

    def __init__(self):
        members = {
            "inst": In(32),
            "rows": Out(len(isa.TABLE)),
            "illegal": Out(1),
            "op": Out(range(len(isa.TABLE))),
        }
        self._sources = {}
        for name, encoding in ENCODINGS.items():
            shape, sources = _field_shape(encoding)
            members[name] = Out(shape)
            self._sources[name] = sources
        for name in USAGE:
            members[name] = Out(1)
        super().__init__(members)

    def is_(self, *mnemonics: str):
        """1 when the decoded row is any of ``mnemonics``."""
        bits = [self.rows[row_index(m)] for m in mnemonics]
        return Cat(*bits).any()

    def elaborate(self, platform):
        m = Module()
        inst = self.inst
        for i, row in enumerate(isa.TABLE):
            m.d.comb += self.rows[i].eq((inst & row.mask) == (row.match & row.mask))
        m.d.comb += self.illegal.eq(~self.rows.any())
        for i in range(len(isa.TABLE)):
            with m.If(self.rows[i]):
                m.d.comb += self.op.eq(i)
        for name, sources in self._sources.items():
            field = getattr(self, name)
            bits = [inst[s] if s is not None else Const(0, 1) for s in sources[:len(field)]]
            m.d.comb += field.eq(Cat(*bits))
        for name, uses in USAGE.items():
            rows = [self.rows[i] for i, row in enumerate(isa.TABLE) if uses(row)]
            m.d.comb += getattr(self, name).eq(Cat(*rows).any() if rows else 0)
        return m
