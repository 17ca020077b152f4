"""All 4,222 golden vector cases of spec/vectors (recorded on FeNN's reference simulator).

Each case runs through the public Machine API: inputs go into the registers its fields
name, the instruction runs, followed by ecall, and every recorded output must match
exactly (register, lane-local memory, VMEM, RNG state). The ``ref_quirk`` group asserts
the isa.md semantics (sign-extended S-immediate), not the reference simulator's quirk.
"""

from pathlib import Path

import numpy as np
import pytest

from fenn import isa
from fenn.sim import Machine
from fenn.soc import SocConfig

GOLDEN = Path(__file__).resolve().parents[2] / "spec/vectors/fenn_vector_golden.npz"

SOC = SocConfig(ddr_bytes=4096)          # DDR is unused here; keep loads cheap
ECALL = isa.encode("ecall")
NOP = isa.encode("addi", 0, 0, 0)


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module")
def machine():
    return Machine(SOC)


def _group(golden, name):
    prefix = name + "."
    return {k[len(prefix):]: v for k, v in golden.items() if k.startswith(prefix)}


SIMPLE_GROUPS = ["vadd", "vadd_s", "vsub", "vsub_s", "vand", "vsll", "vsra", "vmul", "vmul_rn",
                 "vmul_s", "vmul_s_rn", "vslli", "vsrai", "vsrai_rn", "vteq", "vtne", "vtlt", "vtge",
                 "vsel", "vlui", "vfill", "vextract", "vandadd", "vmul_rs", "vmul_s_rs", "vsrai_rs",
                 "vloadl"]


def _set_inputs(m, g, c):
    rd, rs1, rs2 = (int(g[f][c]) if f in g else None for f in ("rd", "rs1", "rs2"))
    for name, reg, bank in (("in_vs1", rs1, "v"), ("in_vs2", rs2, "v"), ("in_vd", rd, "v"),
                            ("in_xrs1", rs1, "x"), ("in_xrs2", rs2, "x"), ("in_xrd", rd, "x")):
        if name in g:
            getattr(m, bank)[reg] = g[name][c]
    if "in_s0" in g:
        m.s0[:] = g["in_s0"][c]
        m.s1[:] = g["in_s1"][c]
    return rd


@pytest.mark.parametrize("group", SIMPLE_GROUPS)
def test_register_groups(golden, machine, group):
    g = _group(golden, group)
    m = machine
    n = len(g["inst"])
    assert n >= 128
    failures = []
    for c in range(n):
        m.load([int(g["inst"][c]), ECALL], llm=g.get("llm_image"))
        rd = _set_inputs(m, g, c)
        m.run()
        got = {}
        if "out_vd" in g:
            got["out_vd"] = m.v[rd]
        if "out_xrd" in g:
            got["out_xrd"] = m.x[rd]
        if "out_s0" in g:
            got["out_s0"], got["out_s1"] = m.s0, m.s1
        for key, value in got.items():
            if not np.array_equal(value, g[key][c]):
                failures.append(f"case {c} {g['asm'][c]}: {key} {value} != {g[key][c]}")
    assert not failures, f"{len(failures)} of {n} cases differ:\n" + "\n".join(failures[:5])


def test_vrng_four_draws(golden, machine):
    g = _group(golden, "vrng")
    m = machine
    for c in range(len(g["inst"])):
        m.load([int(g["inst"][c]), ECALL])
        rd = _set_inputs(m, g, c)
        for draw in range(4):
            m.run()
            assert np.array_equal(m.v[rd], g["out_vd"][c, draw]), (c, draw)
        assert np.array_equal(m.s0, g["out_s0"][c]) and np.array_equal(m.s1, g["out_s1"][c]), c


def test_vstorel_sequence(golden, machine):
    g = _group(golden, "vstorel")
    m = machine
    llm = g["llm_image"].copy()
    lanes = np.arange(32)
    for c in range(len(g["inst"])):
        m.load([int(g["inst"][c]), ECALL], llm=llm)
        m.v[int(g["rs1"][c])] = g["in_vs1"][c]
        m.v[int(g["rs2"][c])] = g["in_vs2"][c]
        m.run()
        index = g["llm_index"][c]
        valid = index >= 0
        expected = llm.copy()
        enabled = g["in_vs1"][c] >= 0
        expected[lanes[enabled], index[enabled]] = g["in_vs2"][c][enabled]
        assert np.array_equal(m.llm, expected), c
        assert np.array_equal(m.llm[lanes[valid], index[valid]], g["out_llm"][c][valid]), c
        llm = m.llm.copy()
    assert np.array_equal(llm, g["llm_final"])


def _li(reg, value):
    """lui + addi words that put a 32-bit value into x[reg]."""
    value &= 0xFFFFFFFF
    low = ((value & 0xFFF) ^ 0x800) - 0x800
    high = ((value - low) >> 12) & 0xFFFFF
    return [isa.encode("lui", reg, high), isa.encode("addi", reg, reg, low)]


@pytest.mark.parametrize("group", ["vloadv_vstore", "ref_quirk_vstore_negimm"])
def test_vector_memory_round_trips(golden, machine, group):
    g = _group(golden, group)
    m = machine
    for c in range(len(g["inst"])):
        load_word, store_word = (int(w) for w in g["inst"][c])
        srs1 = int(g["store_rs1"][c])
        middle = _li(srs1, int(g["store_xrs1"][c])) if srs1 else [NOP]
        m.load([load_word] + middle + [store_word, ECALL])
        lrs1 = int(g["load_rs1"][c])
        if lrs1:
            m.x[lrs1] = g["load_xrs1"][c]
        load_addr, store_addr = int(g["load_addr"][c]), int(g["store_addr"][c])
        m.vmem.view(np.int16)[load_addr // 2: load_addr // 2 + 32] = g["in_mem"][c]
        if store_addr != load_addr:
            m.vmem.view(np.int16)[store_addr // 2: store_addr // 2 + 32] = g["in_dst"][c]
        if group.startswith("ref_quirk"):
            ref = int(g["ref_store_addr"][c])
            m.vmem.view(np.int16)[ref // 2: ref // 2 + 32] = g["in_ref_dst"][c]
        m.run()
        rd = int(g["rd"][c])
        assert np.array_equal(m.v[rd], g["out_vd"][c]), c
        stored = m.vmem.view(np.int16)[store_addr // 2: store_addr // 2 + 32]
        # isa.md: the S-immediate is sign-extended, so the vector lands at store_addr
        assert np.array_equal(stored, g["out_vd"][c]), c
        if group.startswith("ref_quirk"):
            untouched = m.vmem.view(np.int16)[ref // 2: ref // 2 + 32]
            assert np.array_equal(untouched, g["in_ref_dst"][c]), c


def test_every_case_is_covered(golden):
    covered = set(SIMPLE_GROUPS) | {"vrng", "vstorel", "vloadv_vstore", "ref_quirk_vstore_negimm"}
    assert covered == set(golden["groups"])
    assert sum(len(golden[f"{g}.inst"]) for g in golden["groups"]) == 4222
