"""RNG sequences for known seeds (computed by hand below) and statistics of rounding."""

import numpy as np

from fenn.asm import Assembler, x1, x2, x3, v1, v2, v3
from fenn.sim import Machine, RESET_S0, RESET_S1
from sim_helpers import SMALL, run_words, small_machine  # noqa: F401 (fixture)


def test_xoroshiro32pp_first_outputs_by_hand(small_machine):
    # seed S0 = 1, S1 = 0 in every lane:
    #   draw 1: r = rotl(1 + 0, 9) + 1 = 0x0201;  s1 = 0 ^ 1 = 1
    #           s0 = rotl(1, 13) ^ 1 ^ (1 << 5) = 0x2021;  s1 = rotl(1, 10) = 0x0400
    #   draw 2: r = rotl(0x2421, 9) + 0x2021 = 0x4248 + 0x2021 = 0x6269;  s1 = 0x0400 ^ 0x2021 = 0x2421
    #           s0 = rotl(0x2021, 13) ^ 0x2421 ^ 0x8420 = 0x2404 ^ 0x2421 ^ 0x8420 = 0x8405
    #           s1 = rotl(0x2421, 10) = 0x8490
    m = small_machine
    vmem = np.zeros(64, np.int16)
    vmem[:32] = 1
    run_words(m, [("vloadr0", 0, 0), ("vloadr1", 0, 64), ("vrng", 5), ("vrng", 6)], vmem=vmem)
    assert (m.v[5] == 0x0201 >> 1).all()
    assert (m.v[6] == 0x6269 >> 1).all()
    assert (m.s0 == 0x8405).all() and (m.s1 == 0x8490).all()


def test_rs_rounding_adds_the_low_bits_of_the_output(small_machine):
    # same seed; draw 1 = 0x0201 (low 4 bits 1): vsrai_rs 4 of 15 = (15 + 1) >> 4 = 1
    # draw 2 = 0x6269 (low 4 bits 9): vmul_rs 4 of 6 * 1 = (6 + 9) >> 4 = 0, of 7 * 1 = 16 >> 4 = 1
    vmem = np.zeros(64, np.int16)
    vmem[:32] = 1
    m = small_machine
    lanes = np.array([6] * 16 + [7] * 16, np.int16)
    run_words(m, [("vloadr0", 0, 0), ("vloadr1", 0, 64), ("vsrai_rs", 4, 3, 4), ("vmul_rs", 4, 5, 6, 9)],
              vmem=vmem, v={4: np.full(32, 15, np.int16), 6: lanes, 9: np.ones(32, np.int16)})
    assert (m.v[3] == 1).all()
    assert np.array_equal(m.v[5], [0] * 16 + [1] * 16)


def test_reset_seed_is_the_documented_one(small_machine):
    m = small_machine
    m.load([0x73])
    assert np.array_equal(m.s0, np.arange(1, 33)) and (m.s1 == 0x9E37).all()
    assert np.array_equal(RESET_S0, m.s0) and np.array_equal(RESET_S1, m.s1)


def _sweep(rounding: str, shift: int, vectors: int, seed: int = 3):
    """Multiply ``vectors`` random VMEM vectors by 1 with ``vmul_<rounding> shift``."""
    rng = np.random.default_rng(seed)
    data = rng.integers(-32768, 32768, size=(vectors, 32)).astype(np.int16)
    a = Assembler()
    a.li(x1, vectors)
    a.li(x2, 0)
    a.li(x3, 1)
    a.vfill(v2, x3)
    a.label("loop")
    a.vloadv(v1, x2, 0)
    a.addi(x1, x1, -1)
    getattr(a, "vmul" + rounding)(shift, v3, v1, v2)
    a.vstore(v3, x2, 0)
    a.addi(x2, x2, 64)
    a.bnez(x1, "loop")
    a.ecall()
    m = Machine(SMALL)
    m.load(a.assemble().words, vmem=data)
    m.run()
    out = m.vmem.view(np.int16)[: vectors * 32].reshape(vectors, 32)
    return data.astype(np.float64) / 2 ** shift, out.astype(np.float64)


def test_stochastic_rounding_is_unbiased():
    exact, got = _sweep("_rs", 8, 800)
    error = got - exact
    assert np.all((got == np.floor(exact)) | (got == np.ceil(exact)))
    assert abs(error.mean()) < 0.01                     # floor would give about -0.5
    # the probability of rounding up equals the fraction being rounded away
    frac = exact - np.floor(exact)
    up = got > np.floor(exact)
    assert abs(up.mean() - frac.mean()) < 0.01


def test_nearest_rounding_max_error_half_lsb_ties_up():
    exact, got = _sweep("_rn", 5, 800)
    error = got - exact
    assert np.abs(error).max() <= 0.5
    ties = exact - np.floor(exact) == 0.5
    assert ties.any() and np.all(got[ties] == np.ceil(exact[ties]))


def test_floor_rounding_is_floor():
    exact, got = _sweep("", 7, 100)
    assert np.array_equal(got, np.floor(exact))
