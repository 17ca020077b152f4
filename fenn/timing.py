"""The static facts of the cycle model (docs/timing.md): which instructions stall the next one.

One place for what the simulator's decoder, the compiler's hazard fixing and scheduling,
and the RTL's interlock all need: an instruction whose result is not ready for the very
next instruction (a load, whose data comes back from a synchronous memory a cycle later;
an operation of the lane multiplier, whose rounding and saturation take a second stage)
makes that next instruction wait one cycle if it reads the result; so does an RNG state
load (``vloadr0``/``vloadr1``) followed by a draw. Every penalty depends
on the program text alone (the next instruction is always the next word), so the
simulator resolves them when it decodes a program.
"""

from __future__ import annotations

from . import isa

__all__ = ["SCALAR_LOADS", "VECTOR_LOADS", "MUL_UNIT", "BIT_COUNTS", "READS_VD", "LATE_RESULT", "STALL_KEYS", "DRAWS_RNG",
           "RNG_LOADS", "late_kind", "waits_for_rng"]

SCALAR_LOADS = ("lb", "lh", "lw", "lbu", "lhu")
#: vector loads into a v register (``vloadr0``/``vloadr1`` write the RNG state, no register)
VECTOR_LOADS = ("vloadv", "vloadl")
#: instructions whose lanes may keep the old ``vd``, so they read it too
READS_VD = ("vsel", "vloadl")


def _vector_family(*prefixes: str) -> tuple[str, ...]:
    return tuple(r.mnemonic for r in isa.TABLE if r.is_vector and r.mnemonic.split("_")[0] in prefixes)


#: the multiply unit: one DSP per lane (a x b + rounding bias, registered), then the
#: right shift and saturation in the next stage; and the scalar ``mul`` (registered DSPs,
#: summed in the next stage)
MUL_UNIT = ("mul",) + _vector_family("vmul", "vsrai", "vsll", "vslli", "vsra")
#: Zbb bit counts: their operand is registered at the end of X and counted in W (charged
#: as ``mul_use`` too: the same second stage)
BIT_COUNTS = ("clz", "ctz", "cpop")

#: instructions that draw from the lane RNGs (spec/isa.md §4): their order matters
DRAWS_RNG = tuple(r.mnemonic for r in isa.TABLE if r.is_vector and
                  ("rs" in r.mnemonic.split("_")[1:] or r.mnemonic == "vrng"))

#: RNG state loads: their data reaches the generators in W, a draw right behind waits
RNG_LOADS = ("vloadr0", "vloadr1")

#: stat key (docs/timing.md) of each instruction whose result is ready a cycle late
LATE_RESULT = {**{m: "load_use" for m in SCALAR_LOADS}, **{m: "vload_use" for m in VECTOR_LOADS},
               **{m: "mul_use" for m in MUL_UNIT + BIT_COUNTS}}
#: the stall keys of run statistics charged to late results, in a fixed order
STALL_KEYS = ("load_use", "vload_use", "mul_use", "rng_use")


def late_kind(mnemonic: str) -> str | None:
    """The stall key charged when the next instruction reads this one's result, else None."""
    return LATE_RESULT.get(mnemonic)


def waits_for_rng(mnemonic: str, next_mnemonic: str | None) -> bool:
    """Whether ``next_mnemonic`` right after ``mnemonic`` waits for an RNG state load (``rng_use``)."""
    return mnemonic in RNG_LOADS and next_mnemonic in DRAWS_RNG
