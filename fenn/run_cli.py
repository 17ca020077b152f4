"""``fenn run PROGRAM --inputs FILE``: run a saved Program on inputs from a file and save
the recordings for ``fenn plot`` (and numpy)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

__all__ = ["register", "read_inputs"]

HDF5_SUFFIXES = (".h5", ".hdf5")


def read_inputs(path: Path, program) -> tuple[object, np.ndarray | None]:
    """(inputs for ``fenn.run``, labels or None) from an ``.npz``, ``.npy`` or SHD ``.h5``."""
    from .cli import CliError
    names = sorted(program.meta["inputs"])
    if path.suffix in HDF5_SUFFIXES:
        return str(path), None
    if path.suffix == ".npy":
        if len(names) != 1:
            raise CliError(f"{path}: one array feeds one input, but the network has inputs "
                           f"{names}; use an .npz with one array per input name")
        return np.load(path), None
    if path.suffix != ".npz":
        raise CliError(f"{path}: inputs come from .npz (arrays named after the inputs), .npy "
                       f"or an SHD-format .h5 file")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    labels = arrays.pop("labels", None)
    if set(names) <= set(arrays):
        return {name: arrays[name] for name in names}, labels
    if len(names) == 1 and len(arrays) == 1:
        return next(iter(arrays.values())), labels
    raise CliError(f"{path} holds arrays {sorted(arrays)}; the network's inputs are {names}: "
                   f"name one array after each input (or hold a single array for a one-input "
                   f"network)")


def _run(args) -> int:
    from .cli import existing_file, load_program
    from .runtime import run
    program = load_program(args.program)
    inputs, labels = read_inputs(existing_file(args.inputs), program)
    results = run(program, inputs, backend=args.backend, check=args.check,
                  progress=sys.stderr.isatty())
    out = Path(args.out) if args.out else Path(args.program).with_name(
        Path(args.program).stem + "_results.npz")
    from .plot import save_results               # numpy only: matplotlib is not imported
    save_results(out, results, labels=labels,
                 cycles_per_sample=np.asarray(results.stats.cycles_per_sample))
    stats = results.stats
    print(f"{stats.samples} sample{'s' * (stats.samples != 1)} on {args.backend}: "
          f"{stats.cycles} cycles ({stats.cycles_per_timestep:.1f} per timestep, "
          f"{1e3 * stats.cycles / max(stats.samples, 1) / program.soc.clock_hz:.3f} ms per "
          f"sample at {program.soc.clock_hz / 1e6:.0f} MHz)")
    for key in results.keys():
        value = np.asarray(results[key])
        print(f"  {key}: {(value if results.batched else value[None]).shape} {value.dtype}")
    print(f"wrote {out} (draw it with: fenn plot {out})")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "run", help="run a Program on inputs from a file and save the recordings",
        description="Run a saved Program on the inputs in FILE — an .npz with one array per "
                    "input name (or a single array; an optional `labels` array is kept), an "
                    ".npy, or an SHD-format .h5 — and save every recording, batched, in an "
                    ".npz that `fenn plot` draws.",
        epilog="example: fenn run net.npz --inputs spikes.npz -o results.npz && "
               "fenn plot results.npz")
    p.add_argument("program", help="Program .npz (from fenn compile or Program.save)")
    p.add_argument("--inputs", "-i", required=True, metavar="FILE",
                   help=".npz, .npy or SHD-format .h5 with the input spikes")
    p.add_argument("--backend", default="sim", help="sim (default), rtl, pynq, reference")
    p.add_argument("--check", action="store_true",
                   help="also run the reference model and stop at the first difference")
    p.add_argument("-o", "--out", metavar="RESULTS.npz",
                   help="where to save the recordings (default: PROGRAM_results.npz)")
    p.set_defaults(func=_run)
