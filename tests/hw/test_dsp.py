"""MulAdd: the DSP48E2 instance (UltraScale+ synthesis) computes what the Amaranth form does.

No simulator here has a DSP48E2 model, so the instance runs through a model of the features
it uses, written from UG579 (the outside API, not our logic): the 27 x 18 signed multiplier
on A[26:0] and B, the X/Y/Z/W multiplexers selected by OPMODE, ALUMODE 0000 (Z + W + X + Y),
and the P register. The model refuses any other setting, so a change of parameters or of the
control words fails here rather than on a board.
"""

from __future__ import annotations

import random

import pytest
from amaranth import Fragment, Instance, Module, Signal, signed, unsigned
from amaranth.sim import Simulator

from fenn.hw.dsp import DSP48E2_PARAMETERS, ULTRASCALE_PLUS, MulAdd
from fenn.hw.multiplier import LaneMultiplier, ScalarMultiplier


def _const(value) -> int:
    return value.value if hasattr(value, "value") else int(value)


class Dsp48e2Model:
    """The DSP48E2 as :class:`MulAdd` configures it, from the instance's own parameters and ports."""

    def __init__(self, instance: Instance):
        params, ports = instance.parameters, {name: value for name, (value, _) in instance.ports.items()}
        self.a, self.b, self.c, self.p = ports["A"], ports["B"], ports["C"], ports["P"]
        registers = {k: v for k, v in params.items() if k.endswith("REG")}
        assert registers == {k: v for k, v in DSP48E2_PARAMETERS.items() if k.endswith("REG")}
        assert registers["PREG"] == 1 and sum(registers.values()) == 1, "only the output register"
        assert (params["AMULTSEL"], params["BMULTSEL"], params["USE_MULT"], params["USE_SIMD"]) == \
            ("A", "B", "MULTIPLY", "ONE48")
        assert _const(ports["INMODE"]) == 0 and _const(ports["ALUMODE"]) == 0 and _const(ports["CARRYIN"]) == 0
        opmode = _const(ports["OPMODE"])
        x, y, z, w = opmode & 3, (opmode >> 2) & 3, (opmode >> 4) & 7, (opmode >> 7) & 3
        assert (x, y, w) == (1, 1, 0), "X and Y: the multiplier's partial products; W: 0"
        assert z in (0, 3), "Z: 0 or C"
        self.z_is_c = z == 3
        assert _const(ports["CEP"]) == 1

    def elaborate(self, m: Module) -> None:
        a27 = Signal(signed(27))
        b18 = Signal(signed(18))
        m.d.comb += [a27.eq(self.a[:27]), b18.eq(self.b)]
        m.d.sync += self.p.eq(a27 * b18 + (self.c if self.z_is_c else 0))


def _with_models(top):
    """``top`` elaborated for UltraScale+, with every DSP48E2 instance replaced by the model."""
    fragment = Fragment.get(top, ULTRASCALE_PLUS)
    replaced = []

    def walk(frag):
        for i, (sub, name, src) in enumerate(frag.subfragments):
            if isinstance(sub, Instance) and sub.type == "DSP48E2":
                model = Module()
                Dsp48e2Model(sub).elaborate(model)
                frag.subfragments[i] = (Fragment.get(model, None), name, src)
                replaced.append(name)
            else:
                walk(sub)

    walk(fragment)
    return fragment, replaced


def _run(fragment, inputs, outputs, vectors):
    """Apply each vector for a cycle; return the outputs read after each clock edge."""
    seen = []
    sim = Simulator(fragment)
    sim.add_clock(1e-6)

    async def bench(ctx):
        for vector in vectors:
            for signal, value in zip(inputs, vector):
                ctx.set(signal, value)
            await ctx.tick()
            seen.append(tuple(ctx.get(o) for o in outputs))

    sim.add_testbench(bench)
    sim.run()
    return seen


@pytest.mark.parametrize("shapes", [
    (signed(16), signed(18), unsigned(16), signed(34)),
    (unsigned(16), unsigned(16), unsigned(0), unsigned(32)),
])
def test_dsp48e2_instance_equals_amaranth_form(shapes):
    rng = random.Random(1)
    plain = MulAdd(*shapes)
    primitive = MulAdd(*shapes)
    fragment, replaced = _with_models(primitive)
    assert replaced == ["dsp"]

    def draw(shape):
        if shape.width == 0:
            return 0
        lo = -(1 << (shape.width - 1)) if shape.signed else 0
        return rng.randrange(lo, lo + (1 << shape.width))

    vectors = [tuple(draw(s) for s in shapes[:3]) for _ in range(200)]
    vectors += [tuple((-(1 << (s.width - 1)) if s.signed else (1 << s.width) - 1) if s.width else 0
                      for s in shapes[:3])]
    got = _run(fragment, [primitive.a, primitive.b, primitive.c], [primitive.p], vectors)
    want = _run(plain, [plain.a, plain.b, plain.c], [plain.p], vectors)
    assert got == want
    a_shape, b_shape, c_shape, p_shape = shapes
    for (a, b, c), (p,) in zip(vectors, got):
        expected = (a * b + c) & ((1 << p_shape.width) - 1)
        if p_shape.signed and expected >> (p_shape.width - 1):
            expected -= 1 << p_shape.width
        assert p == expected


def test_multiply_units_are_dsp48e2_with_output_register_for_ultrascale():
    assert len(_with_models(LaneMultiplier(32))[1]) == 32
    assert len(_with_models(ScalarMultiplier())[1]) == 3


def test_too_wide_operand_is_refused():
    with pytest.raises(ValueError, match="b of .* does not fit"):
        MulAdd(signed(16), signed(19), unsigned(16), signed(34))
