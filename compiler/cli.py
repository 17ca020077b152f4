"""``fenn compile`` and ``fenn inspect``: build a Program from a network file, look inside one.

    fenn compile net.py --timesteps 1170 -o net.npz     # net.py defines `net` or build()
    fenn inspect net.npz [--listing]                     # memory map, formats, errors, DMA
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

__all__ = ["register", "load_network", "describe"]


def register(subparsers) -> None:
    p = subparsers.add_parser("compile", help="compile a network (a Python file or a NIR graph) "
                                              "to a Program .npz")
    p.add_argument("network", help="Python file defining `net` (a fenn.Network) or build() -> "
                                   "Network, or a NIR graph (.nir, with --dt)")
    p.add_argument("--timesteps", "-T", type=_positive, required=True)
    p.add_argument("--dt", type=float, help="NIR graphs: the timestep in the graph's time unit "
                                            "(seconds; snnTorch: 1e-4)")
    p.add_argument("--method", default="exact", choices=["exact", "euler"],
                   help="NIR graphs: the discretisation (docs/nir.md)")
    p.add_argument("--exporter", choices=["snntorch", "norse"],
                   help="NIR graphs: the tool that wrote the graph (docs/nir.md, Exporters)")
    p.add_argument("--formats", default="auto", help="'auto' or one format for all, e.g. s7.8")
    p.add_argument("--rounding", default="nearest", choices=["nearest", "stochastic", "floor"])
    p.add_argument("--weights", default="auto", choices=["auto", "vmem", "ddr"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quantisation", default="warn", choices=["warn", "error", "ignore"],
                   help="when weights or constants lose more than 5%% in fixed point: warn "
                        "(default), refuse (error) or accept silently (ignore)")
    p.add_argument("-o", "--output", help="Program file (default: NETWORK with .npz)")
    p.set_defaults(func=_compile)
    p = subparsers.add_parser("inspect", help="show a Program: memory map, formats, "
                                              "quantisation, DMA schedule, listing")
    p.add_argument("program", help="Program .npz (from fenn compile or Program.save)")
    p.add_argument("--listing", action="store_true",
                   help="also print the disassembly annotated with its source")
    p.set_defaults(func=_inspect)


def _positive(text: str) -> int:
    import argparse
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number of timesteps, "
                                         f"got {text!r}")
    return value


def load_network(path: Path, args=None):
    """The fenn.Network a Python file defines, or a NIR graph (.nir) imports."""
    from ..cli import CliError, existing_file
    from ..errors import FennError
    from ..network import Network
    path = existing_file(path)
    if path.suffix == ".nir":
        from ..nir import from_nir
        if args is None or args.dt is None:
            raise CliError(f"{path}: a NIR graph needs --dt, the timestep in the graph's time "
                           f"unit (e.g. --dt 1e-4 for snnTorch's exports, docs/nir.md)")
        return from_nir(path, args.dt, method=args.method, exporter=args.exporter)
    if path.suffix != ".py":
        raise CliError(f"{path}: expected a Python file (.py) that defines `net`, or a NIR graph "
                       f"(.nir)")
    try:
        namespace = runpy.run_path(str(path))
        net = namespace.get("net")
        if net is None and callable(namespace.get("build")):
            net = namespace["build"]()
    except FennError:
        raise
    except Exception as error:          # the user's script failed: say where, one line
        raise CliError(f"{path}: running it raised {type(error).__name__}: {error} (--debug "
                       f"shows the stack)") from error
    if not isinstance(net, Network):
        raise CliError(f"{path}: define `net = fenn.Network(...)` or `def build(): return net`")
    return net


def _compile(args) -> int:
    from . import compile as compile_network
    source = Path(args.network)
    net = load_network(source, args)
    program = compile_network(net, args.timesteps, formats=args.formats, rounding=args.rounding,
                              weights=args.weights, seed=args.seed,
                              quantisation=args.quantisation)
    output = Path(args.output) if args.output else source.with_suffix(".npz")
    program.save(output)
    sys.stdout.write(describe(program))
    print(f"wrote {output}", file=sys.stderr)
    return 0


def _inspect(args) -> int:
    from ..cli import load_program
    program = load_program(args.program)
    sys.stdout.write(describe(program))
    if args.listing:
        from ..disasm import disassemble_program
        sys.stdout.write("\nlisting:\n")
        sys.stdout.write(disassemble_program(program.text, program.symbols,
                                             program.meta.get("listing", ())))
    return 0


def describe(program) -> str:
    """A human-readable summary of a Program (what ``fenn inspect`` prints)."""
    meta = program.meta
    lines = [f"program: {len(program.text)} instructions ({4 * len(program.text)} of "
             f"{program.soc.imem_bytes} bytes IMEM), {meta.get('timesteps')} timesteps, "
             f"rounding {meta.get('rounding')}, SoC id 0x{program.soc.soc_id:08x}"]
    if "compile_seconds" in meta:
        lines[0] += f", compiled in {meta['compile_seconds']:.2f} s"
    lines.append("populations:")
    for name, pop in meta.get("populations", {}).items():
        formats = meta.get("report", {}).get("formats", {}).get(name, {})
        shown = ", ".join(f"{k} {v}" for k, v in formats.items() if k != "value")
        lines.append(f"  {name}: {pop['size']} x {pop['model']}; value format {pop['format']} "
                     f"({shown})")
    weights = meta.get("report", {}).get("weights", {})
    if weights:
        lines.append("connections (weight quantisation):")
        for name, w in weights.items():
            where = "DDR (streamed)" if name in meta.get("streamed", []) else "on chip"
            lines.append(f"  {name}: {w['synapses']} synapses, {w['format']}, RMS error "
                         f"{w['rms_error']:.3g} ({100 * w['rms_relative']:.2f} % of RMS weight), "
                         f"max error {w['max_error']:.3g}, clipped {w['clipped']}; {where}")
    constants = meta.get("report", {}).get("constants", {})
    if constants:
        lines.append("constants (as quantised):")
        for name, items in constants.items():
            shown = ", ".join(f"{c['value']:g} -> {c['integer']} ({c['format']})" for c in items)
            lines.append(f"  {name}: {shown}")
    parameters = meta.get("report", {}).get("parameters", {})
    if parameters:
        lines.append("per-neuron parameters (vectors in the state block):")
        for name, items in parameters.items():
            shown = ", ".join(f"{slot} {p['min']:g}..{p['max']:g} ({p['format']})"
                              for slot, p in items.items())
            lines.append(f"  {name}: {shown}")
    lines.append("memory:")
    for memory, use in meta.get("memory", {}).items():
        unit = " per lane" if memory == "llm" else ""
        lines.append(f"  {memory.upper():5} {use['used']:>10,} of {use['capacity']:>11,} bytes{unit}")
    lines.append("memory map:")
    for region in meta.get("memory_map", []):
        lines.append(f"  {region['memory']:5} 0x{region['address']:08x} {region['nbytes']:>10,} B  "
                     f"{region['name']}: {region['what']}")
    lines.append("host I/O:")
    for key, buffer in program.io.items():
        lines.append(f"  {buffer.role:6} {key}: {buffer.memory} 0x{buffer.address:x} "
                     f"{buffer.dtype} {tuple(buffer.shape)}")
    if program.dma_schedule:
        lines.append("DMA schedule:")
        for entry in program.dma_schedule:
            lines.append("  " + "; ".join(f"{k}: {v}" for k, v in entry.items()))
    return "\n".join(lines) + "\n"
