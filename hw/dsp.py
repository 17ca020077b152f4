"""A multiply-add registered at the DSP's output: ``p <= a * b + c`` one cycle later.

yosys (0.70) maps a multiply to a DSP48E2 but never packs a register into it for UltraScale+
(``xilinx_dsp`` packs DSP48E1 only): a registered product stays a combinational DSP48E2
followed by fabric flip-flops, and a sum behind the product adds a fabric level. So, when
elaborated for UltraScale+ (``platform`` :data:`ULTRASCALE_PLUS`: the Verilog of ``fenn hw
verilog``, ``fenn hw report`` and board builds), :class:`MulAdd` is a ``DSP48E2`` instance doing
``A x B + C`` with only its output register (``PREG``) set, which is what Vivado would build
from the behavioural form. Otherwise (the RTL simulators, other FPGA families) it is the same
function written in Amaranth. ``tests/hw/test_dsp.py`` runs both against each other, the
instance through a model of the DSP48E2 features it uses (UG579).
"""

from __future__ import annotations

from amaranth import ClockSignal, Const, Instance, Module, ResetSignal, Shape, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["MulAdd", "UltraScalePlus", "ULTRASCALE_PLUS", "DSP48E2_PARAMETERS", "OPMODE_M_PLUS_C", "dsp48e2_ports"]


class UltraScalePlus:
    """The platform ``fenn.hw`` elaborates for when the Verilog goes to UltraScale+ synthesis
    (``amaranth.back.verilog.convert(..., platform=ULTRASCALE_PLUS)``): vendor primitives where
    yosys would not infer them."""

    dsp48e2 = True


ULTRASCALE_PLUS = UltraScalePlus()

#: every register off but the output's; the multiplier's operands straight from A and B
DSP48E2_PARAMETERS = {
    "ACASCREG": 0, "ADREG": 0, "ALUMODEREG": 0, "AREG": 0, "BCASCREG": 0, "BREG": 0, "CARRYINREG": 0,
    "CARRYINSELREG": 0, "CREG": 0, "DREG": 0, "INMODEREG": 0, "MREG": 0, "OPMODEREG": 0, "PREG": 1,
    "A_INPUT": "DIRECT", "B_INPUT": "DIRECT", "AMULTSEL": "A", "BMULTSEL": "B", "PREADDINSEL": "A",
    "USE_MULT": "MULTIPLY", "USE_SIMD": "ONE48",
}
#: OPMODE: W = 0 (bits 8:7), Z = C (6:4 = 011), Y = X = the multiplier's two partial products (01, 01)
OPMODE_M_PLUS_C = 0b00_011_01_01

#: widths of the DSP48E2 ports the instance drives
_A_BITS, _MULT_A_BITS, _B_BITS, _C_BITS, _P_BITS = 30, 27, 18, 48, 48


class MulAdd(wiring.Component):
    """``p`` = ``a x b + c`` of the previous cycle, truncated to ``p``'s width (reset: 0).

    ``a`` up to 27 bits signed (26 unsigned), ``b`` up to 18 signed (17 unsigned), ``c`` up to
    47 bits unsigned: the DSP48E2's multiplier and post-adder widths.
    """

    def __init__(self, a, b, c, p):
        shapes = {name: Shape.cast(s) for name, s in (("a", a), ("b", b), ("c", c), ("p", p))}
        for name, limit in (("a", _MULT_A_BITS), ("b", _B_BITS), ("c", _C_BITS)):
            shape = shapes[name]
            if shape.width + (0 if shape.signed else 1) > limit:
                raise ValueError(f"MulAdd: {name} of {shape} does not fit the DSP48E2's {limit}-bit signed port")
        super().__init__({"a": In(shapes["a"]), "b": In(shapes["b"]), "c": In(shapes["c"]), "p": Out(shapes["p"])})

    def elaborate(self, platform):
        m = Module()
        if not getattr(platform, "dsp48e2", False):
            m.d.sync += self.p.eq(self.a * self.b + self.c)
            return m
        a, b, c, p = Signal(signed(_A_BITS)), Signal(signed(_B_BITS)), Signal(signed(_C_BITS)), Signal(_P_BITS)
        m.d.comb += [a.eq(self.a), b.eq(self.b), c.eq(self.c), self.p.eq(p[:len(self.p)])]   # sign- or zero-extended
        m.submodules.dsp = Instance("DSP48E2", **dsp48e2_ports(a, b, c, p))
        return m


def dsp48e2_ports(a, b, c, p) -> dict:
    """``Instance("DSP48E2", ...)`` keyword arguments: registered ``p = a x b + c`` (A 30, B 18, C and P 48 bits)."""
    unused = ("CEA1", "CEA2", "CEAD", "CEALUMODE", "CEB1", "CEB2", "CEC", "CECARRYIN", "CECTRL", "CED",
              "CEINMODE", "CEM", "RSTA", "RSTALLCARRYIN", "RSTALUMODE", "RSTB", "RSTC", "RSTCTRL", "RSTD",
              "RSTINMODE", "RSTM", "CARRYIN", "CARRYCASCIN", "MULTSIGNIN")
    return {
        **{f"p_{k}": v for k, v in DSP48E2_PARAMETERS.items()},
        "i_CLK": ClockSignal(), "i_A": a, "i_B": b, "i_C": c, "o_P": p,
        "i_OPMODE": Const(OPMODE_M_PLUS_C, 9), "i_INMODE": Const(0, 5), "i_ALUMODE": Const(0, 4),
        "i_CARRYINSEL": Const(0, 3), "i_D": Const(0, 27), "i_ACIN": Const(0, 30), "i_BCIN": Const(0, 18),
        "i_PCIN": Const(0, 48), "i_CEP": Const(1, 1), "i_RSTP": ResetSignal(),
        **{f"i_{name}": Const(0, 1) for name in unused},
    }
