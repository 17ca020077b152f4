"""Every scalar (RV32I, mul, Zbb, Zicsr, system) encoding compared with GNU binutils.

Generated programs cover every scalar mnemonic with edge and random operands. For each
statement: our builder's word == GNU's word for the test's own GNU-syntax text, and GNU's
word for our disassembler's text is the same word again (numeric CSRs, which GNU
accepts for FeNN's DMA CSRs that it does not know by name).
"""

import random
import shutil
import subprocess

import pytest

from fenn.asm import Assembler, XReg, assemble_text, method_name
from fenn.disasm import disassemble
from fenn.isa import CSR_ADDRESSES, TABLE, Kind, Syntax

AS = shutil.which("riscv64-unknown-elf-as")
OBJCOPY = shutil.which("riscv64-unknown-elf-objcopy")
pytestmark = pytest.mark.skipif(not (AS and OBJCOPY), reason="GNU binutils for RISC-V missing: "
                                "apt-get install binutils-riscv64-unknown-elf (make test does this)")

SCALAR = [row for row in TABLE if not row.is_vector]


def gnu_assemble(source: str, tmp_path) -> list[int]:
    """Assemble with GNU as (no relaxation, no compressed) and return the .text words."""
    src, obj, binary = tmp_path / "p.s", tmp_path / "p.o", tmp_path / "p.bin"
    src.write_text(".option norelax\n" + source + "\n")
    for march in ("rv32im_zbb_zicsr_zifencei", "rv32im_zbb_zicsr"):
        result = subprocess.run([AS, f"-march={march}", "-mabi=ilp32", "-mno-relax", "-o", obj, src],
                                capture_output=True, text=True)
        if result.returncode == 0:
            break
    assert result.returncode == 0, result.stderr[:3000]
    subprocess.run([OBJCOPY, "-O", "binary", "-j", ".text", obj, binary], check=True)
    data = binary.read_bytes()
    return [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]


def _edges(op, rng: random.Random) -> list:
    if op.kind is Kind.XREG:
        return [XReg(0), XReg(1), XReg(31), XReg(rng.randrange(32))]
    enc = op.encoding
    lo, hi, step = enc.lo_value, enc.hi_value, enc.step
    values = {lo, hi, rng.randrange(lo // step, hi // step + 1) * step}
    values |= {v for v in (0, step, -step, 2047, -2048, 0x800, 0x7FFFF, 0x80000) if lo <= v <= hi and v % step == 0}
    if op.kind is Kind.CSR:
        values |= set(CSR_ADDRESSES.values())
    return sorted(values)


def _cases(rng: random.Random):
    """(row, values): each operand through its edges with the others random, plus random rows."""
    for row in SCALAR:
        if not row.operands:
            yield row, ()
        for i, op in enumerate(row.operands):
            for value in _edges(op, rng):
                values = [rng.choice(_edges(other, rng)) for other in row.operands]
                values[i] = value
                yield row, tuple(values)
    for _ in range(300):
        row = rng.choice(SCALAR)
        yield row, tuple(rng.choice(_edges(op, rng)) for op in row.operands)


def gnu_text(row, values) -> str:
    """GNU syntax, written here independently of fenn.disasm."""
    parts = []
    for op, value in zip(row.operands, values):
        if op.kind is Kind.XREG:
            parts.append(f"x{int(value)}")
        elif op.kind is Kind.OFFSET:
            parts.append(f". + {value}" if value >= 0 else f". - {-value}")
        elif op.kind is Kind.CSR:
            parts.append(hex(value))
        else:
            parts.append(str(value))
    if row.syntax is Syntax.MEM:
        parts = [parts[0], f"{parts[1]}({parts[2]})"]
    return f"{row.mnemonic} {', '.join(parts)}".strip()


@pytest.fixture(scope="module")
def cases():
    return list(_cases(random.Random(2024)))


def test_cases_cover_every_scalar_mnemonic(cases):
    assert {row.mnemonic for row, _ in cases} == {row.mnemonic for row in SCALAR}
    assert len(cases) > 500


def test_builder_words_equal_gnu(cases, tmp_path):
    a = Assembler()
    for row, values in cases:
        getattr(a, method_name(row.mnemonic))(*values)
    ours = a.assemble().words.tolist()
    gnu = gnu_assemble("\n".join(gnu_text(row, values) for row, values in cases), tmp_path)
    mismatches = [(gnu_text(row, v), hex(o), hex(g)) for (row, v), o, g in zip(cases, ours, gnu) if o != g]
    assert len(gnu) == len(ours) and not mismatches[:10]


def test_disassembly_is_accepted_by_gnu_and_gives_the_same_words(cases, tmp_path):
    a = Assembler()
    for row, values in cases:
        getattr(a, method_name(row.mnemonic))(*values)
    words = a.assemble().words.tolist()
    texts = [disassemble(w, csr_names=False) for w in words]
    assert gnu_assemble("\n".join(texts), tmp_path) == words
    assert assemble_text("\n".join(texts)).words.tolist() == words


def test_pseudo_instructions_equal_gnu(tmp_path):
    """Our pseudo-instructions expand as GNU's do (except call, which is jal ra here)."""
    lines = ["nop", "mv x5, x6", "not x5, x6", "neg x5, x6", "seqz x5, x6", "snez x5, x6",
             "sltz x5, x6", "sgtz x5, x6", "j .+8", "jr x7", "ret", "beqz x5, .-8",
             "bnez x5, .+16", "bltz x5, .+4", "bgez x5, .+4", "blez x5, .+4", "bgtz x5, .+4",
             "bgt x5, x6, .+4", "ble x5, x6, .+4", "bgtu x5, x6, .+4", "bleu x5, x6, .+4",
             "csrr x5, 0xb00", "csrw 0xbc3, x6", "csrs 0x320, x6", "csrc 0x320, x6",
             "csrwi 0x320, 5", "csrsi 0x320, 31", "csrci 0x320, 1"]
    for value in (0, 1, -1, 2047, -2048, 2048, -2049, 0x800, 0xFFF, 0x1000, 0x12345678,
                  0x7FFFFFFF, -0x80000000, 0x80000000, 0xFFFFF800, 0xFFFFF7FF, 0xDEADBEEF, 0x7FFFF800):
        lines.append(f"li x9, {value}")
    text = "\n".join(lines)
    assert assemble_text(text).words.tolist() == gnu_assemble(text, tmp_path)
