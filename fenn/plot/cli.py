"""``fenn plot RESULTS.npz``: PNG pictures of a results file, their paths printed."""

from __future__ import annotations

__all__ = ["register"]


def _plot(args) -> int:
    from . import plot_results
    for path in plot_results(args.results, args.out, sample=args.sample, dt=args.dt):
        print(path)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "plot", help="draw the recordings of a results file as PNG",
        description="Write a spike raster per spike recording, traces per state recording "
                    "(one sample) and, if the file has labels and predictions, the confusion "
                    "matrix. Results files come from fenn.plot.save_results (make demo writes "
                    "one). Needs the plot extra (matplotlib).",
        epilog="example: fenn plot build/demo/results.npz --sample 3")
    p.add_argument("results", metavar="RESULTS.npz", help="recordings saved by save_results")
    p.add_argument("-o", "--out", metavar="DIR", help="folder for the PNGs (default: beside the file)")
    p.add_argument("--sample", type=int, default=0, help="which sample to draw (default 0)")
    p.add_argument("--dt", type=float, default=1.0, help="ms per timestep for the time axis")
    p.set_defaults(func=_plot)
