"""Random programs: the simulator against the slow interpreter of tests/sim/program_model.py.

Each program mixes scalar ALU, Zbb, loads and stores, forward branches and jumps, and
vector instructions (arithmetic, RNG, VMEM and lane-local memory), with registers chosen
so that load-use pairs are frequent. Final registers, RNG state, memories, the cycle
count and the retired-instruction count must all agree.
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fenn import isa
from fenn.sim import Machine
from sim_helpers import SMALL
from program_model import run_model

DBASE, VBASE = 31, 30                      # x31 -> DMEM window, x30 -> VMEM window (never written)
SCALAR_RR = ["add", "sub", "xor", "or", "and", "mul", "sll", "srl", "sra", "slt", "sltu"]
SCALAR_RI = ["addi", "xori", "ori", "andi", "slti", "sltiu"]
SHIFTS = ["slli", "srli", "srai"]
UNARY = ["clz", "ctz", "cpop", "sext.b", "sext.h"]
LOADS = {"lb": 1, "lbu": 1, "lh": 2, "lhu": 2, "lw": 4}
STORES = {"sb": 1, "sh": 2, "sw": 4}
BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]
VECTOR_RR = ["vadd", "vadd_s", "vsub", "vsub_s", "vand", "vsll", "vsll_s", "vsra"]
VMUL = ["vmul", "vmul_rn", "vmul_rs", "vmul_s", "vmul_s_rn", "vmul_s_rs"]


def random_program(rng, length=60):
    """(words, x, v) for one random program ending in ecall."""
    xr = lambda: int(rng.integers(1, 8))          # few registers: many dependencies
    vr = lambda: int(rng.integers(0, 6))
    items = []
    for i in range(length):
        kind = rng.integers(0, 12)
        if kind == 0:
            items.append((str(rng.choice(SCALAR_RR)), xr(), xr(), xr()))
        elif kind == 1:
            items.append((str(rng.choice(SCALAR_RI)), xr(), xr(), int(rng.integers(-2048, 2048))))
        elif kind == 2:
            m = str(rng.choice(SHIFTS + UNARY))
            items.append((m, xr(), xr(), int(rng.integers(0, 32))) if m in SHIFTS else (m, xr(), xr()))
        elif kind == 3:
            m = str(rng.choice(list(LOADS)))
            items.append((m, xr(), LOADS[m] * int(rng.integers(0, 64 // LOADS[m])), DBASE))
        elif kind == 4:
            m = str(rng.choice(list(STORES)))
            items.append((m, xr(), STORES[m] * int(rng.integers(0, 64 // STORES[m])), DBASE))
        elif kind == 5 and i < length - 2:
            skip = int(rng.integers(1, min(6, length - i)))
            m = str(rng.choice(BRANCHES + ["jal"]))
            items.append(("jal", 0 if rng.random() < 0.5 else xr(), 4 * skip) if m == "jal"
                         else (m, xr(), xr(), 4 * skip))
        elif kind == 6:
            items.append((str(rng.choice(VECTOR_RR)), vr(), vr(), vr()))
        elif kind == 7:
            items.append((str(rng.choice(VMUL)), int(rng.integers(0, 16)), vr(), vr(), vr()))
        elif kind == 8:
            m = str(rng.choice(["vsrai", "vsrai_rn", "vsrai_rs", "vslli"]))
            items.append((m, int(rng.integers(0, 16)), vr(), vr()))
        elif kind == 9:
            m = str(rng.choice(["vloadv", "vstore"]))
            off = 64 * int(rng.integers(0, 8))
            items.append(("vloadv", vr(), VBASE, off) if m == "vloadv" else ("vstore", vr(), VBASE, off))
        elif kind == 10:
            m = str(rng.choice(["vteq", "vtne", "vtlt", "vtge", "vsel", "vfill", "vextract", "vrng",
                                "vandadd", "vlui"]))
            items.append({"vsel": ("vsel", vr(), xr(), vr()), "vfill": ("vfill", vr(), xr()),
                          "vextract": ("vextract", xr(), vr(), int(rng.integers(0, 32))),
                          "vrng": ("vrng", vr()),
                          "vandadd": ("vandadd", int(rng.integers(0, 16)), vr(), vr(), xr()),
                          "vlui": ("vlui", vr(), int(rng.integers(0, 1 << 20)))}.get(m, (m, xr(), vr(), vr())))
        else:
            # lane-local memory through an address vector kept in v7 (never a destination)
            m = str(rng.choice(["vloadl", "vstorel"]))
            imm = 2 * int(rng.integers(0, 64))
            items.append(("vloadl", vr(), 7, imm) if m == "vloadl" else ("vstorel", vr(), 7, imm))
    words = [isa.encode(m, *ops) for m, *ops in items] + [isa.encode("ecall")]
    x = rng.integers(0, 2**32, 32, dtype=np.uint64).astype(np.uint32)
    x[0] = 0
    x[DBASE], x[VBASE] = 256, 1024
    v = rng.integers(-32768, 32768, (32, 32)).astype(np.int16)
    lanes = 2 * rng.integers(0, 128, 32)
    v[7] = np.where(rng.random(32) < 0.75, lanes, -1 - lanes).astype(np.int16)
    return words, x, v


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_program_matches_the_model(seed):
    rng = np.random.default_rng(seed)
    words, x, v = random_program(rng)
    s0 = rng.integers(0, 65536, 32).astype(np.uint16)
    s1 = rng.integers(0, 65536, 32).astype(np.uint16)
    dmem = rng.integers(0, 256, SMALL.dmem_bytes).astype(np.uint8)
    vmem = rng.integers(0, 256, SMALL.vmem_bytes).astype(np.uint8)
    llm = rng.integers(-32768, 32768, (32, SMALL.llm_bytes_per_lane // 2)).astype(np.int16)

    m = Machine(SMALL)
    m.load(words, dmem=dmem, vmem=vmem, llm=llm)
    m.x[:], m.v[:], m.s0[:], m.s1[:] = x, v, s0, s1
    status = m.run(max_steps=10_000)

    state, model_dmem, cycles, retired = run_model(words, x, v, s0, s1, dmem, vmem, llm)
    assert np.array_equal(m.x, np.array(state.x, np.uint32)), "x registers"
    assert np.array_equal(m.v, np.array(state.v, np.int16)), "v registers"
    assert np.array_equal(m.s0, np.array(state.s0, np.uint16)) and np.array_equal(m.s1, np.array(state.s1, np.uint16))
    assert np.array_equal(m.dmem, model_dmem), "DMEM"
    assert np.array_equal(m.vmem.view(np.int16), state.vmem), "VMEM"
    assert np.array_equal(m.llm, state.llm), "lane-local memory"
    assert (status.cycles, status.instructions) == (cycles, retired)
