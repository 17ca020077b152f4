"""The core reproduces every case of the golden vectors' memory groups (vloadl, vstorel,
vloadv/vstore round trips): each group runs as one program on Amaranth's simulator that
loads each case's operands with vloadv and executes the case's own instruction words."""

import pathlib

import numpy as np
import pytest

pytest.importorskip("amaranth")
from fenn.hw.core import Halt  # noqa: E402
from fenn.hw.pysim import run_program  # noqa: E402
from fenn.isa import encode as e  # noqa: E402
from fenn.soc import SocConfig  # noqa: E402

GOLDEN = pathlib.Path("/work/shared/spec/vectors/fenn_vector_golden.npz")
for parent in pathlib.Path(__file__).resolve().parents:
    if (parent / "shared/spec/vectors/fenn_vector_golden.npz").exists():
        GOLDEN = parent / "shared/spec/vectors/fenn_vector_golden.npz"
        break
SOC = SocConfig(imem_bytes=8192, dmem_bytes=1024, vmem_bytes=512 * 1024, llm_bytes_per_lane=2048)
NOP = e("addi", 0, 0, 0)


@pytest.fixture(scope="module")
def golden():
    if not GOLDEN.exists():
        pytest.skip(f"golden vectors not found at {GOLDEN}")
    return np.load(GOLDEN)


def li(rd, value):
    """Two instructions that put a 32-bit value in x[rd]."""
    value &= 0xFFFFFFFF
    low = ((value & 0xFFF) ^ 0x800) - 0x800
    return [e("lui", rd, ((value - low) >> 12) & 0xFFFFF), e("addi", rd, rd, low)]


class Rows:
    """VMEM rows handed out in order, with their initial contents."""

    def __init__(self):
        self.rows = []

    def add(self, lanes):
        self.rows.append(np.asarray(lanes, dtype=np.int16))
        return 64 * (len(self.rows) - 1)

    def image(self):
        return np.stack(self.rows).view(np.uint8).reshape(-1)


def run(words, **images):
    st = run_program(SOC, np.array(words + [e("ecall")], dtype=np.uint32), max_cycles=10_000, **images)
    assert st.status == Halt.ECALL, (st.status, st.fault, hex(st.halt_pc))
    return st


def test_vloadl_cases(golden):
    g = "vloadl"
    rows, words, outputs = Rows(), [], []
    for c in range(len(golden[f"{g}.inst"])):
        rs1, rd = int(golden[f"{g}.rs1"][c]), int(golden[f"{g}.rd"][c])
        a = rows.add(golden[f"{g}.in_vs1"][c])
        b = rows.add(golden[f"{g}.in_vd"][c])
        out = rows.add(np.zeros(32))
        outputs.append(out)
        words += li(1, a) + [e("vloadv", rs1, 1, 0), e("vloadv", rd, 1, b - a), NOP,
                             int(golden[f"{g}.inst"][c]), NOP, e("vstore", rd, 1, out - a)]
    st = run(words, vmem=rows.image(), llm=golden[f"{g}.llm_image"])
    got = np.stack([st.vmem[o:o + 64].view(np.int16) for o in outputs])
    bad = np.nonzero((got != golden[f"{g}.out_vd"]).any(axis=1))[0]
    assert not bad.size, f"cases {bad.tolist()} differ, first: {golden[f'{g}.asm'][bad[0]]}"


def test_vstorel_cases(golden):
    g = "vstorel"
    rows, words = Rows(), []
    for c in range(len(golden[f"{g}.inst"])):
        rs1, rs2 = int(golden[f"{g}.rs1"][c]), int(golden[f"{g}.rs2"][c])
        a = rows.add(golden[f"{g}.in_vs1"][c])
        b = rows.add(golden[f"{g}.in_vs2"][c])
        words += li(1, a) + [e("vloadv", rs1, 1, 0), e("vloadv", rs2, 1, b - a), NOP,
                             int(golden[f"{g}.inst"][c])]
    st = run(words, vmem=rows.image(), llm=golden[f"{g}.llm_image"])
    bad = np.argwhere(st.llm != golden[f"{g}.llm_final"])
    assert not bad.size, f"{len(bad)} LLM halfwords differ from llm_final, first (lane, index) {bad[0].tolist()}"


def test_vloadv_vstore_round_trips(golden):
    g = "vloadv_vstore"
    vmem = np.zeros(SOC.vmem_bytes // 2, dtype=np.int16)
    words = []
    for c in range(len(golden[f"{g}.inst"])):
        load_addr, store_addr = int(golden[f"{g}.load_addr"][c]), int(golden[f"{g}.store_addr"][c])
        vmem[load_addr // 2: load_addr // 2 + 32] = golden[f"{g}.in_mem"][c]
        vmem[store_addr // 2: store_addr // 2 + 32] = golden[f"{g}.in_dst"][c]
        load_rs1, store_rs1 = int(golden[f"{g}.load_rs1"][c]), int(golden[f"{g}.store_rs1"][c])
        load_word, store_word = (int(w) for w in golden[f"{g}.inst"][c])
        words += li(load_rs1, int(golden[f"{g}.load_xrs1"][c])) if load_rs1 else []
        words.append(load_word)
        words += li(store_rs1, int(golden[f"{g}.store_xrs1"][c])) if store_rs1 else [NOP, NOP]
        words.append(store_word)
    st = run(words, vmem=vmem)
    got = st.vmem.view(np.int16)
    bad = [c for c in range(len(golden[f"{g}.inst"]))
           if (got[golden[f"{g}.store_addr"][c] // 2:][:32] != golden[f"{g}.out_mem"][c]).any()]
    assert not bad, f"cases {bad} differ, first: {golden[f'{g}.asm'][bad[0]]}"
