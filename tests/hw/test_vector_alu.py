"""The vector ALU, the lane multiplier and the RNG bank reproduce every ALU case of the golden vectors."""

import pathlib

import numpy as np
import pytest

pytest.importorskip("amaranth")
from amaranth import Module  # noqa: E402
from amaranth.sim import Simulator  # noqa: E402

from fenn.hw.decoder import Decoder  # noqa: E402
from fenn.hw.lanes import pack_lanes, unpack_lanes  # noqa: E402
from fenn.hw.multiplier import LaneMultiplier  # noqa: E402
from fenn.hw.rng import RngBank  # noqa: E402
from fenn.hw.vector_alu import VectorAlu  # noqa: E402
from fenn.timing import MUL_UNIT  # noqa: E402

GOLDEN = pathlib.Path(__file__).resolve().parents[2] / "spec/vectors/fenn_vector_golden.npz"
MEMORY_GROUPS = {"vloadl", "vstorel", "vloadv_vstore", "ref_quirk_vstore_negimm"}
X_RESULT_GROUPS = {"vteq", "vtne", "vtlt", "vtge", "vextract"}


@pytest.fixture(scope="module")
def golden():
    if not GOLDEN.exists():
        pytest.skip(f"golden vectors not found at {GOLDEN}")
    return np.load(GOLDEN)


class Bench:
    """Decoder -> vector ALU and lane multiplier (operands shared), with the RNG bank feeding
    draws and advancing on a tick; the multiplier's result is read after the tick that
    registers its product."""

    def __init__(self):
        self.m = m = Module()
        m.submodules.dec = self.dec = Decoder()
        m.submodules.alu = self.alu = VectorAlu()
        m.submodules.mul = self.mul = LaneMultiplier()
        m.submodules.rng = self.rng = RngBank()
        for field in ("vk", "lane"):
            m.d.comb += getattr(self.alu, field).eq(getattr(self.dec, field))
        m.d.comb += [self.alu.rows.eq(self.dec.rows), self.alu.imm_u.eq(self.dec.imm_u),
                     self.alu.rng.eq(self.rng.out),
                     self.mul.rows.eq(self.dec.rows), self.mul.vshift.eq(self.dec.vshift),
                     self.mul.vshamt.eq(self.dec.vshamt), self.mul.rng.eq(self.rng.out),
                     self.mul.vs1.eq(self.alu.vs1), self.mul.vs2.eq(self.alu.vs2)]


def _inputs(z, group, c):
    def arr(name, default=None):
        key = f"{group}.{name}"
        return z[key][c] if key in z.files else default
    return {
        "vs1": arr("in_vs1", np.zeros(32)), "vs2": arr("in_vs2", np.zeros(32)),
        "vd": arr("in_vd", np.zeros(32)),
        "xs1": int(arr("in_xrs1", 0)), "xs2": int(arr("in_xrs2", 0)),
    }


def _run_groups(z, groups):
    bench = Bench()
    alu, rng = bench.alu, bench.rng
    failures = []
    checked = {"cases": 0}

    async def tb(ctx):
        for group in groups:
            n = len(z[f"{group}.inst"])
            draws = int(z["meta.vrng_draws"]) if group == "vrng" else 1
            stateful = f"{group}.in_s0" in z.files
            for c in range(n):
                ctx.set(bench.dec.inst, int(z[f"{group}.inst"][c]))
                ins = _inputs(z, group, c)
                ctx.set(alu.vs1, pack_lanes(ins["vs1"]))
                ctx.set(alu.vs2, pack_lanes(ins["vs2"]))
                ctx.set(alu.vd, pack_lanes(ins["vd"]))
                ctx.set(alu.xs1, ins["xs1"])
                ctx.set(alu.xs2, ins["xs2"])
                if stateful:
                    ctx.set(rng.data, pack_lanes(z[f"{group}.in_s0"][c]))
                    ctx.set(rng.load_s0, 1)
                    await ctx.tick()
                    ctx.set(rng.load_s0, 0)
                    ctx.set(rng.data, pack_lanes(z[f"{group}.in_s1"][c]))
                    ctx.set(rng.load_s1, 1)
                    await ctx.tick()
                    ctx.set(rng.load_s1, 0)
                for d in range(draws):
                    if group in MUL_UNIT:                 # second stage: after the product's tick
                        ctx.set(rng.advance, stateful and ctx.get(alu.draws_rng))
                        await ctx.tick()
                        ctx.set(rng.advance, 0)
                        got = unpack_lanes(ctx.get(bench.mul.vd_out)).tolist()
                        if got != z[f"{group}.out_vd"][c].tolist():
                            failures.append((group, c, d, z[f"{group}.asm"][c]))
                        continue
                    if group in X_RESULT_GROUPS:
                        got, want = ctx.get(alu.xd_out), int(z[f"{group}.out_xrd"][c])
                    else:
                        got = unpack_lanes(ctx.get(alu.vd_out))
                        want = z[f"{group}.out_vd"][c]
                        if group == "vrng":
                            want = want[d]
                        got, want = got.tolist(), want.tolist()
                    if got != want:
                        failures.append((group, c, d, z[f"{group}.asm"][c]))
                    if stateful:
                        ctx.set(rng.advance, ctx.get(alu.draws_rng))
                        await ctx.tick()
                        ctx.set(rng.advance, 0)
                if stateful:
                    s0 = unpack_lanes(ctx.get(rng.s0), signed=False).tolist()
                    s1 = unpack_lanes(ctx.get(rng.s1), signed=False).tolist()
                    if s0 != z[f"{group}.out_s0"][c].tolist() or s1 != z[f"{group}.out_s1"][c].tolist():
                        failures.append((group, c, "rng state", z[f"{group}.asm"][c]))
                checked["cases"] += 1

    sim = Simulator(bench.m)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return failures, checked["cases"]


def _alu_groups(z):
    return [str(g) for g in z["groups"] if str(g) not in MEMORY_GROUPS]


def test_every_alu_golden_case(golden):
    groups = _alu_groups(golden)
    failures, cases = _run_groups(golden, groups)
    assert not failures, f"{len(failures)} failures, first: {failures[:8]}"
    assert cases == sum(len(golden[f"{g}.inst"]) for g in groups)


def test_bench_detects_a_wrong_answer(golden):
    """Corrupt one expected value: the same harness must report it (the test can fail)."""
    corrupted = {k: golden[k] for k in golden.files}
    out = corrupted["vadd.out_vd"].copy()
    out[3, 7] ^= 1
    corrupted["vadd.out_vd"] = out
    failures, _ = _run_groups(_Npz(corrupted), ["vadd"])
    assert [(g, c) for g, c, *_ in failures] == [("vadd", 3)]


class _Npz(dict):
    @property
    def files(self):
        return list(self.keys())
