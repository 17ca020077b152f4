"""A slow, simple interpreter of whole programs: the reference for random-program tests.

It decodes every step with ``fenn.isa.decode``, runs scalar instructions with plain
Python integers and vector instructions with ``vector_model``, and charges cycles by
reading docs/timing.md's rules literally (taken branches and jumps 2, a load, a
multiply-unit operation or a bit count whose destination the next word reads 1, an RNG state load
followed by a draw 1). No CSRs or DMA: those have their own tests.
"""

import numpy as np

from fenn import isa
import vector_model

M32 = 0xFFFFFFFF


def _s(a):
    a &= M32
    return a - (1 << 32) if a & 0x80000000 else a


def _reads(word):
    """x and v registers the instruction in ``word`` reads (docs/timing.md, "Source")."""
    try:
        d = isa.decode(word)
    except isa.IllegalInstruction:
        return set(), set()
    xs, vs = set(), set()
    for op, value in zip(d.instruction.operands, d.values):
        if op.kind is isa.Kind.XREG and op.name in ("rs1", "rs2", "xs1", "xs2"):
            xs.add(value)
        if op.kind is isa.Kind.VREG and (op.name in ("vs1", "vs2") or
                                         (op.name == "vd" and d.mnemonic in ("vsel", "vloadl"))):
            vs.add(value)
    return xs, vs


def _mnemonic(word):
    try:
        return isa.decode(word).mnemonic
    except isa.IllegalInstruction:
        return None


ALU = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "xor": lambda a, b: a ^ b,
    "or": lambda a, b: a | b, "and": lambda a, b: a & b, "mul": lambda a, b: a * b,
    "sll": lambda a, b: a << (b & 31), "srl": lambda a, b: a >> (b & 31),
    "sra": lambda a, b: _s(a) >> (b & 31), "slt": lambda a, b: int(_s(a) < _s(b)),
    "sltu": lambda a, b: int(a < b),
}
ALU_IMM = {"addi": "add", "xori": "xor", "ori": "or", "andi": "and", "slli": "sll",
           "srli": "srl", "srai": "sra", "slti": "slt", "sltiu": "sltu"}
BRANCH = {"beq": lambda a, b: a == b, "bne": lambda a, b: a != b,
          "blt": lambda a, b: _s(a) < _s(b), "bge": lambda a, b: _s(a) >= _s(b),
          "bltu": lambda a, b: a < b, "bgeu": lambda a, b: a >= b}
LOADS = {"lb": (1, True), "lbu": (1, False), "lh": (2, True), "lhu": (2, False), "lw": (4, True)}
STORES = {"sb": 1, "sh": 2, "sw": 4}
#: docs/timing.md's multiply unit, spelled out here (not taken from fenn.timing)
RNG_DRAWS = ("vrng", "vmul_rs", "vmul_s_rs", "vsrai_rs")
VECTOR_MUL_UNIT = ("vmul", "vmul_rn", "vmul_rs", "vmul_s", "vmul_s_rn", "vmul_s_rs", "vsll", "vsll_s",
                   "vslli", "vsra", "vsrai", "vsrai_rn", "vsrai_rs")


def run_model(words, x, v, s0, s1, dmem, vmem, llm, max_steps=100_000):
    """Run ``words`` from pc 0 to ecall; return (state, cycles, retired)."""
    st = vector_model.State([int(a) for a in x], [[int(a) for a in r] for r in v],
                            [int(a) for a in s0], [int(a) for a in s1],
                            vmem.view(np.int16).copy(), llm.copy())
    dmem = dmem.copy()
    words = [int(w) for w in words]
    pc = cycle = retired = 0
    for _ in range(max_steps):
        word = words[pc // 4]
        d = isa.decode(word)
        f = dict(zip((op.name for op in d.instruction.operands), d.values))
        m = d.mnemonic
        nxt, cost = pc + 4, 1
        X = st.x
        if m == "ecall":
            return st, dmem, cycle + 1, retired
        if m in ALU:
            st.setx(f["rd"], ALU[m](X[f["rs1"]], X[f["rs2"]]))
            if m == "mul" and f["rd"] and f["rd"] in _reads(words[pc // 4 + 1])[0]:
                cost += 1
        elif m in ALU_IMM:
            imm = f["imm"] if "imm" in f else f["shamt"]
            st.setx(f["rd"], ALU[ALU_IMM[m]](X[f["rs1"]], imm & M32))
        elif m == "lui":
            st.setx(f["rd"], f["imm"] << 12)
        elif m == "auipc":
            st.setx(f["rd"], pc + (f["imm"] << 12))
        elif m in BRANCH:
            if BRANCH[m](X[f["rs1"]], X[f["rs2"]]):
                nxt, cost = pc + f["target"], 3
        elif m == "jal":
            st.setx(f["rd"], pc + 4)
            nxt, cost = pc + f["target"], 3
        elif m in LOADS:
            size, signed = LOADS[m]
            a = (X[f["rs1"]] + f["imm"]) & M32
            value = int.from_bytes(dmem[a:a + size].tobytes(), "little", signed=signed)
            st.setx(f["rd"], value)
            if f["rd"] and f["rd"] in _reads(words[pc // 4 + 1])[0]:
                cost += 1
        elif m in STORES:
            size = STORES[m]
            a = (X[f["rs1"]] + f["imm"]) & M32
            dmem[a:a + size] = np.frombuffer((X[f["rs2"]] & M32).to_bytes(4, "little")[:size], np.uint8)
        elif m in ("clz", "ctz", "cpop", "sext.b", "sext.h"):
            a = X[f["rs1"]]
            bits = format(a, "032b")
            st.setx(f["rd"], {"clz": len(bits) - len(bits.lstrip("0")),
                              "ctz": len(bits) - len(bits.rstrip("0")),
                              "cpop": bits.count("1"),
                              "sext.b": _s((a & 0xFF) << 24) >> 24,
                              "sext.h": _s((a & 0xFFFF) << 16) >> 16}[m])
            if m in ("clz", "ctz", "cpop") and f["rd"] and f["rd"] in _reads(words[pc // 4 + 1])[0]:
                cost += 1
        elif d.instruction.is_vector:
            vector_model.execute(st, m, f)
            if m in ("vloadv", "vloadl") + VECTOR_MUL_UNIT and f["vd"] in _reads(words[pc // 4 + 1])[1]:
                cost += 1
            if m in ("vloadr0", "vloadr1") and _mnemonic(words[pc // 4 + 1]) in RNG_DRAWS:
                cost += 1
        else:
            raise NotImplementedError(m)
        pc = nxt
        cycle += cost
        retired += 1
    raise RuntimeError("model: step budget exceeded")
