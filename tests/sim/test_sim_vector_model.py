"""Every vector instruction against the simple model (tests/sim/vector_model.py).

Hypothesis picks the instruction's fields and a seed for the whole machine state (every
x and v register, RNG state, VMEM, lane-local memory, with extreme values over-
represented); the simulator's complete register state and memories after the
instruction must equal the model's. Registers may alias (vd == vs1 ...).
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fenn import isa
from fenn.sim import Machine
from sim_helpers import ECALL, SMALL
import vector_model as model

VECTOR_MNEMONICS = [row.mnemonic for row in isa.TABLE if row.is_vector]
EXTREMES = np.array([-32768, -32767, -16384, -1, 0, 1, 2, 15, 16, 31, 16383, 32767], dtype=np.int16)
LLM_HALF = SMALL.llm_bytes_per_lane // 2


@pytest.fixture(scope="module")
def machine():
    return Machine(SMALL)


def random_int16(rng, shape):
    values = rng.integers(-32768, 32768, size=shape).astype(np.int16)
    pick = rng.random(shape) < 0.3
    values[pick] = rng.choice(EXTREMES, size=int(pick.sum()))
    return values


def fields_for(row, draw_int, rng):
    """Operand values for one instruction that a legal program could execute."""
    values = {}
    for op in row.operands:
        name = op.name
        if op.kind in (isa.Kind.XREG, isa.Kind.VREG):
            values[name] = draw_int(0 if name in ("vd", "vs1", "vs2", "xd") else 1, 31)
        elif name == "imm" and row.mnemonic == "vlui":
            values[name] = draw_int(0, 0xFFFFF)
        elif name == "imm":
            values[name] = None        # chosen with the addresses below
        else:
            values[name] = draw_int(op.encoding.lo_value, op.encoding.hi_value)
    return values


@pytest.mark.parametrize("mnemonic", VECTOR_MNEMONICS)
@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=st.data())
def test_vector_instruction_matches_model(machine, mnemonic, data):
    row = isa.BY_MNEMONIC[mnemonic]
    seed = data.draw(st.integers(0, 2**32 - 1), label="state seed")
    rng = np.random.default_rng(seed)
    f = fields_for(row, lambda lo, hi: data.draw(st.integers(lo, hi)), rng)

    x = rng.integers(0, 2**32, size=32, dtype=np.uint64).astype(np.uint32)
    x[rng.random(32) < 0.3] = rng.choice(np.array([0, 1, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
                                                   0xFFFFFFFF], dtype=np.uint32), size=1)
    x[0] = 0
    v = random_int16(rng, (32, 32))
    s0 = rng.integers(0, 65536, size=32).astype(np.uint16)
    s1 = rng.integers(0, 65536, size=32).astype(np.uint16)
    vmem = random_int16(rng, SMALL.vmem_bytes // 2)
    llm = random_int16(rng, (32, LLM_HALF))

    if mnemonic in ("vloadv", "vloadr0", "vloadr1", "vstore"):
        f["imm"] = data.draw(st.integers(0 if mnemonic == "vstore" else -2048, 2047))
        target = 64 * data.draw(st.integers(0, SMALL.vmem_bytes // 64 - 1))
        x[f["xs1"]] = (target - f["imm"]) & 0xFFFFFFFF
        if f["xs1"] == 0:
            f["xs1"] = 1
            x[1] = (target - f["imm"]) & 0xFFFFFFFF
    elif mnemonic in ("vloadl", "vstorel"):
        imm = 2 * data.draw(st.integers(0 if mnemonic == "vstorel" else -1024, 1023))
        f["imm"] = imm
        enabled = rng.random(32) < 0.7
        addr = 2 * rng.integers(max(0, imm) // 2, LLM_HALF, size=32)
        lanes = np.where(enabled, addr - imm, -rng.integers(1, 32769, size=32))
        v[f["vs1"]] = lanes.astype(np.int16)

    word = isa.encode(mnemonic, *(f[op.name] for op in row.operands))
    m = machine
    m.load([word, ECALL], vmem=vmem, llm=llm)
    m.x[:] = x
    m.v[:] = v
    m.s0[:] = s0
    m.s1[:] = s1

    state = model.State([int(a) for a in x], [[int(a) for a in r] for r in v],
                        [int(a) for a in s0], [int(a) for a in s1], vmem.copy(), llm.copy())
    model.execute(state, mnemonic, f)
    m.run()

    assert np.array_equal(m.x, np.array(state.x, dtype=np.uint32)), "x registers"
    assert np.array_equal(m.v, np.array(state.v, dtype=np.int16)), "v registers"
    assert np.array_equal(m.s0, np.array(state.s0, dtype=np.uint16)), "RNG S0"
    assert np.array_equal(m.s1, np.array(state.s1, dtype=np.uint16)), "RNG S1"
    assert np.array_equal(m.vmem.view(np.int16), state.vmem), "VMEM"
    assert np.array_equal(m.llm, state.llm), "lane-local memory"


def test_model_covers_every_vector_row():
    assert len(VECTOR_MNEMONICS) == 34
    assert all(m.startswith("v") for m in VECTOR_MNEMONICS)
