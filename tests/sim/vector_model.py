"""A deliberately simple model of the vector instructions of spec/isa.md §3-4.

Plain Python integers, one lane at a time, written straight from the spec table so that
it shares nothing with the simulator's kernel. ``execute`` takes a state (lists and
numpy copies) and the operand values of one instruction and returns nothing: it updates
the state in place.
"""

from dataclasses import dataclass

import numpy as np

LANES = 32


def wrap16(n):
    return ((n + 0x8000) & 0xFFFF) - 0x8000


def sat16(n):
    return max(-32768, min(32767, n))


def rotl16(value, k):
    return ((value << k) | (value >> (16 - k))) & 0xFFFF


def xoroshiro32pp(s0, s1):
    """One step of xoroshiro32++: (output, new s0, new s1)."""
    r = (rotl16((s0 + s1) & 0xFFFF, 9) + s0) & 0xFFFF
    s1 ^= s0
    s0 = rotl16(s0, 13) ^ s1 ^ ((s1 << 5) & 0xFFFF)
    s1 = rotl16(s1, 10)
    return r, s0, s1


def signed32(n):
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


@dataclass
class State:
    x: list          # 32 Python ints, unsigned 32-bit
    v: list          # 32 lists of 32 Python ints (int16 values)
    s0: list
    s1: list
    vmem: np.ndarray  # int16 words
    llm: np.ndarray   # int16 [32, halfwords]

    def draw(self):
        """One RNG output per lane, advancing every lane."""
        out = []
        for i in range(LANES):
            r, self.s0[i], self.s1[i] = xoroshiro32pp(self.s0[i], self.s1[i])
            out.append(r)
        return out

    def setx(self, rd, value):
        if rd:
            self.x[rd] = value & 0xFFFFFFFF


def _rounded(p, shift, rnd, r):
    if rnd == "":
        return p >> shift
    if rnd == "_rn":
        h = (1 << (shift - 1)) if shift else 0
        return (p + h) >> shift
    return (p + (r & ((1 << shift) - 1))) >> shift


def execute(s: State, mnemonic: str, f: dict):
    """Apply one instruction; ``f`` maps operand names (vd, vs1, xs1, shift, ...) to values."""
    vd, vs1, vs2 = f.get("vd"), f.get("vs1"), f.get("vs2")
    a = s.v[vs1][:] if vs1 is not None else None
    b = s.v[vs2][:] if vs2 is not None else None
    base = mnemonic.split("_")[0]
    sat = "_s" in mnemonic[len(base):].replace("_rs", "")
    if base in ("vadd", "vsub"):
        res = [x + y if base == "vadd" else x - y for x, y in zip(a, b)]
        s.v[vd] = [sat16(n) if sat else wrap16(n) for n in res]
    elif base == "vand":
        s.v[vd] = [x & y for x, y in zip(a, b)]
    elif base == "vsll":
        out = []
        for x, y in zip(a, b):
            sh = y & 31
            out.append(sat16(x * 2 ** sh) if sat else (0 if sh >= 16 else wrap16(x * 2 ** sh)))
        s.v[vd] = out
    elif base == "vsra":
        s.v[vd] = [x >> min(y & 31, 15) for x, y in zip(a, b)]
    elif base == "vmul":
        rnd = "_rs" if mnemonic.endswith("_rs") else "_rn" if mnemonic.endswith("_rn") else ""
        r = s.draw() if rnd == "_rs" else [0] * LANES
        out = []
        for i in range(LANES):
            q = _rounded(a[i] * b[i], f["shift"], rnd, r[i])
            out.append(sat16(q) if sat else wrap16(q))
        s.v[vd] = out
    elif base == "vslli":
        s.v[vd] = [wrap16(x << f["shamt"]) for x in a]
    elif base == "vsrai":
        rnd = "_rs" if mnemonic.endswith("_rs") else "_rn" if mnemonic.endswith("_rn") else ""
        r = s.draw() if rnd == "_rs" else [0] * LANES
        s.v[vd] = [wrap16(_rounded(a[i], f["shamt"], rnd, r[i])) for i in range(LANES)]
    elif base in ("vteq", "vtne", "vtlt", "vtge"):
        cmp = {"vteq": lambda p, q: p == q, "vtne": lambda p, q: p != q,
               "vtlt": lambda p, q: p < q, "vtge": lambda p, q: p >= q}[base]
        s.setx(f["xd"], sum(1 << i for i in range(LANES) if cmp(a[i], b[i])))
    elif base == "vsel":
        mask = s.x[f["xs1"]]
        s.v[vd] = [b[i] if (mask >> i) & 1 else s.v[vd][i] for i in range(LANES)]
    elif base == "vlui":
        lane = wrap16(f["imm"] & 0xFFFF)
        s.v[vd] = [lane] * LANES
    elif base == "vfill":
        xv = s.x[f["xs1"]]
        s.v[vd] = [wrap16(((xv >> 16) & 0x8000) | (xv & 0x7FFF))] * LANES
    elif base == "vextract":
        s.setx(f["xd"], s.v[vs1][f["lane"]])
    elif base == "vrng":
        s.v[vd] = [r >> 1 for r in s.draw()]
    elif base == "vandadd":
        add = wrap16(s.x[f["xs2"]] & 0xFFFF)
        s.v[vd] = [wrap16((x & ((1 << f["k"]) - 1)) + add) for x in a]
    elif base in ("vloadv", "vloadr0", "vloadr1", "vstore"):
        addr = (s.x[f["xs1"]] + f["imm"]) & 0xFFFFFFFF
        assert addr % 64 == 0
        words = slice(addr // 2, addr // 2 + LANES)
        if base == "vloadv":
            s.v[vd] = [int(w) for w in s.vmem[words]]
        elif base == "vloadr0":
            s.s0 = [int(w) & 0xFFFF for w in s.vmem[words]]
        elif base == "vloadr1":
            s.s1 = [int(w) & 0xFFFF for w in s.vmem[words]]
        else:
            s.vmem[words] = b
    elif base == "vloadl":
        out = s.v[vd][:]
        for i in range(LANES):
            if a[i] >= 0:
                out[i] = int(s.llm[i, (a[i] + f["imm"]) // 2])
        s.v[vd] = out
    elif base == "vstorel":
        for i in range(LANES):
            if a[i] >= 0:
                s.llm[i, (a[i] + f["imm"]) // 2] = b[i]
    else:
        raise NotImplementedError(mnemonic)
