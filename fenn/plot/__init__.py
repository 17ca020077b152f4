"""fenn.plot: pictures of what a network did (matplotlib, the ``plot`` extra).

- :func:`raster` — spikes of one sample, neuron against time;
- :func:`traces` — state variables (membrane potentials) over time;
- :func:`confusion` — the confusion matrix of a classifier;
- :func:`history` — loss and accuracy per training epoch;
- :func:`plot_results` — all that applies to a results file (``fenn plot results.npz``).

Each function draws on ``ax`` if given, else on a new figure, and returns the figure;
:func:`save` writes it as PNG. matplotlib loads on first use (the Agg backend, so no
display is needed), never at ``import fenn``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import FennError

__all__ = ["raster", "traces", "confusion", "confusion_matrix", "history", "save",
           "plot_results", "save_results", "PlotError"]


class PlotError(FennError, ValueError):
    """Something that cannot be plotted as given.

    Fix: the message says what was expected.
    """


def _pyplot():
    try:
        import matplotlib
    except ModuleNotFoundError:
        raise PlotError("fenn.plot needs matplotlib: pip install 'fenn[plot]'") from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


def _axes(ax, size=(6.0, 4.0)):
    if ax is not None:
        return ax.figure, ax
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    return fig, ax


def raster(spikes, *, dt: float = 1.0, ax=None, title: str = "spikes"):
    """Dots at (time, neuron) for a bool ``spikes`` array (timesteps, neurons)."""
    spikes = np.asarray(spikes)
    if spikes.ndim != 2:
        raise PlotError(f"raster: expected spikes of one sample (timesteps, neurons), got shape "
                        f"{spikes.shape}")
    fig, ax = _axes(ax)
    t, n = np.nonzero(spikes)
    ax.scatter(t * dt, n, s=4, marker="|", color="black", linewidths=0.8)
    ax.set(xlim=(0, spikes.shape[0] * dt), ylim=(-0.5, spikes.shape[1] - 0.5),
           xlabel="time (ms)" if dt != 1.0 else "timestep", ylabel="neuron",
           title=f"{title} ({len(t)} spikes)")
    return fig


def traces(values, *, dt: float = 1.0, ax=None, title: str = "membrane", labels=None,
           highlight: int | None = None):
    """One line per neuron for ``values`` (timesteps, neurons); ``highlight`` draws one
    neuron (e.g. the true class) thicker."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise PlotError(f"traces: expected values of one sample (timesteps, neurons), got shape "
                        f"{values.shape}")
    fig, ax = _axes(ax)
    time = np.arange(values.shape[0]) * dt
    for k in range(values.shape[1]):
        label = labels[k] if labels is not None else (str(k) if values.shape[1] <= 12 else None)
        ax.plot(time, values[:, k], lw=2.4 if k == highlight else 1.0, label=label)
    ax.set(xlabel="time (ms)" if dt != 1.0 else "timestep", ylabel="value", title=title)
    if values.shape[1] <= 12:
        ax.legend(fontsize="small", ncols=2)
    return fig


def confusion_matrix(labels, predicted, classes: int | None = None) -> np.ndarray:
    """Counts (true class, predicted class)."""
    labels, predicted = np.asarray(labels, np.int64), np.asarray(predicted, np.int64)
    if labels.shape != predicted.shape or labels.ndim != 1:
        raise PlotError(f"confusion: labels {labels.shape} and predictions {predicted.shape} "
                        f"must be 1-D and of one length")
    classes = classes or int(max(labels.max(initial=0), predicted.max(initial=0))) + 1
    matrix = np.zeros((classes, classes), np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def confusion(labels, predicted, *, classes: int | None = None, ax=None, title: str = "confusion"):
    """The confusion matrix as an image, counts written in the cells."""
    matrix = confusion_matrix(labels, predicted, classes)
    fig, ax = _axes(ax, (5.0, 4.5))
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    if len(matrix) <= 20:
        ax.set(xticks=range(len(matrix)), yticks=range(len(matrix)))
        for (i, j), count in np.ndenumerate(matrix):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                        color="white" if count > matrix.max() / 2 else "black")
    accuracy = np.trace(matrix) / max(1, matrix.sum())
    ax.set(xlabel="predicted class", ylabel="true class",
           title=f"{title} (accuracy {100 * accuracy:.1f}%)")
    return fig


def history(history, *, ax=None, title: str = "training"):
    """Loss (left axis) and accuracy (right axis) per epoch of a
    :class:`fenn.train.History` (anything with ``loss``, ``train_accuracy``,
    ``test_accuracy`` lists)."""
    loss = np.asarray(history.loss, dtype=np.float64)
    if loss.size == 0:
        raise PlotError("history: no epochs to plot")
    fig, ax = _axes(ax)
    epochs = np.arange(1, loss.size + 1)
    ax.plot(epochs, loss, "o-", color="tab:red", label="loss")
    ax.set(xlabel="epoch", ylabel="loss", title=title)
    right = ax.twinx()
    right.plot(epochs, 100 * np.asarray(history.train_accuracy), "s-", color="tab:blue",
               label="train accuracy")
    test = np.asarray(history.test_accuracy, dtype=np.float64)
    if np.isfinite(test).any():
        right.plot(epochs, 100 * test, "^-", color="tab:green", label="test accuracy")
    right.set(ylabel="accuracy (%)", ylim=(0, 100))
    lines = ax.get_lines() + right.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="center right", fontsize="small")
    return fig


def save(fig, path) -> Path:
    """Write ``fig`` as PNG to ``path`` and close it; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    _pyplot().close(fig)
    return path


# --------------------------------------------------------------------------- results files

def save_results(path, results, *, labels=None, predicted=None, **extra) -> Path:
    """Save recordings (a ``fenn.run`` Results, or a dict of batched arrays) and, for a
    classifier, ``labels`` and ``predicted`` classes (plus any ``extra`` arrays), in one
    ``.npz`` for ``fenn plot``. Recordings are saved batched (samples first), also from a
    one-sample run."""
    one = getattr(results, "batched", True) is False
    arrays = {key: np.asarray(results[key])[None] if one else np.asarray(results[key])
              for key in results.keys()}
    arrays.update({key: np.asarray(value) for key, value in extra.items()})
    if labels is not None:
        arrays["labels"] = np.asarray(labels)
    if predicted is not None:
        arrays["predicted"] = np.asarray(predicted)
    path = Path(path)
    np.savez_compressed(path, **arrays)
    return path


def plot_results(path, out_dir=None, *, sample: int = 0, dt: float = 1.0) -> list[Path]:
    """PNGs of everything in a results file: a raster per spike recording and traces per
    state recording (of sample ``sample``), and the confusion matrix if the file has
    ``labels`` and ``predicted``. Returns the paths written (in ``out_dir``, default
    beside the file)."""
    path = Path(path)
    if not path.is_file():
        raise PlotError(f"{path}: no such results file (write one with fenn.plot.save_results)")
    try:
        data = dict(np.load(path))
    except (OSError, ValueError) as error:
        raise PlotError(f"{path}: not a results .npz file ({error})") from None
    out_dir = Path(out_dir) if out_dir is not None else path.parent
    stem, written = path.stem, []
    for key, value in data.items():
        if "." not in key:
            continue
        if value.ndim != 3:
            continue                          # reduced over time: one number per neuron
        if not 0 <= sample < value.shape[0]:
            raise PlotError(f"{path}: sample {sample} out of range (the file has "
                            f"{value.shape[0]} samples)")
        one = value[sample]
        if key.endswith(".spikes"):
            fig = raster(one, dt=dt, title=f"{key}, sample {sample}")
        else:
            label = data.get("labels")
            fig = traces(one, dt=dt, title=f"{key}, sample {sample}",
                         highlight=None if label is None else int(label[sample]))
        written.append(save(fig, out_dir / f"{stem}_{key.replace('.', '_')}.png"))
    if "labels" in data and "predicted" in data:
        written.append(save(confusion(data["labels"], data["predicted"]),
                            out_dir / f"{stem}_confusion.png"))
    if not written:
        raise PlotError(f"{path}: nothing to plot (no per-timestep recordings such as "
                        f"'hidden.spikes' or 'output.v', and no labels/predicted)")
    return written
