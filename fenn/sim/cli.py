"""``fenn run-asm FILE.s``: assemble, run on the simulator, print registers and statistics."""

from __future__ import annotations

import sys

__all__ = ["register"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "run-asm", help="assemble a .s file and run it on the simulator",
        description="Assemble FeNN assembly, run it on the instruction-set simulator (fenn.sim) "
                    "from pc 0 until ecall/ebreak, and print the registers that are not zero, "
                    "cycles, stalls and per-instruction counts (cycle model: docs/timing.md).",
        epilog="example: fenn run-asm loop.s --trace --max-steps 1000")
    p.add_argument("source", metavar="FILE.s", help="assembly source")
    p.add_argument("--max-steps", type=int, default=100_000_000,
                   help="fault if the program runs longer than this (default: 1e8 instructions)")
    p.add_argument("--strict", action="store_true",
                   help="fault on FeNN hazards (a vector load read by the next instruction) "
                        "and on words with ignored fields set")
    p.add_argument("--trace", action="store_true", help="print every retired instruction")
    p.add_argument("--vectors", action="store_true", help="print all 32 lanes of non-zero v registers")
    p.set_defaults(func=_run_asm)


def _run_asm(args) -> int:
    from ..cli import CliError, assemble_file
    from ..errors import MachineFault
    from ..isa import XREG_ABI_NAMES
    from .machine import Machine

    program = assemble_file(args.source)
    m = Machine(strict=args.strict)
    m.load(program.words)
    out = sys.stdout
    try:
        if args.trace:
            for r in m.trace(max_steps=args.max_steps):
                writes = " ".join([f"x{reg}={val:#x}" for reg, val in r.x_writes]
                                  + [f"v{reg}=[{lanes[0]}, {lanes[1]}, ...]" for reg, lanes in r.v_writes])
                out.write(f"{r.cycle:8d}  {r.pc:08x}  {r.word:08x}  {r.text:32s} {writes}\n")
            status = m.last_status
            if status is None:
                raise MachineFault(f"trace stopped after --max-steps {args.max_steps}", m.pc, cycle=m.cycle)
        else:
            status = m.run(max_steps=args.max_steps)
    except MachineFault as fault:
        _print_registers(m, XREG_ABI_NAMES, args.vectors, out)
        raise CliError(str(fault)) from fault
    _print_registers(m, XREG_ABI_NAMES, args.vectors, out)
    s = status.stats
    out.write(f"{status.reason} at pc 0x{status.pc:08x}: {status.instructions} instructions, "
              f"{status.cycles} cycles\n")
    stalls = ", ".join(f"{k} {v}" for k, v in s["stalls"].items() if v)
    out.write(f"stall cycles: {stalls or 'none'}\n")
    if s["dma_bytes"]["total"]:
        out.write(f"DMA bytes: MM2S {s['dma_bytes']['mm2s']}, S2MM {s['dma_bytes']['s2mm']}\n")
    out.write("instructions: " + ", ".join(f"{k} {v}" for k, v in s["mnemonics"].items()) + "\n")
    return 0


def _print_registers(m, abi, all_lanes: bool, out) -> None:
    for i in range(1, 32):
        if m.x[i]:
            value = int(m.x[i])
            signed = value - (1 << 32) if value & 0x80000000 else value
            out.write(f"x{i:<2d} {abi[i]:>4s} = 0x{value:08x} ({signed})\n")
    for i in range(32):
        if m.v[i].any():
            lanes = m.v[i] if all_lanes else m.v[i][:8]
            tail = "" if all_lanes else ", ..."
            out.write(f"v{i:<2d} = [{', '.join(str(int(a)) for a in lanes)}{tail}]\n")
