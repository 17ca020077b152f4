"""A plain training loop: mini-batch BPTT with Adam and cross-entropy on a readout.

The readout is one of the network's recordings (``"output.v"`` recorded with
``reduce="mean"`` or ``"max"``, a class per neuron): the same value ``fenn.run`` returns
from the compiled program, so the training metric and the deployed one are one thing.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

import numpy as np
import torch

from .trainable import TrainError

__all__ = ["fit", "predict", "History", "readout_scores"]


@dataclasses.dataclass
class History:
    """Per epoch: mean training loss, training and test accuracy (test: NaN without
    test data), and wall-clock seconds."""
    loss: list = dataclasses.field(default_factory=list)
    train_accuracy: list = dataclasses.field(default_factory=list)
    test_accuracy: list = dataclasses.field(default_factory=list)
    seconds: list = dataclasses.field(default_factory=list)

    def extend(self, other: "History") -> "History":
        for field in dataclasses.fields(self):
            getattr(self, field.name).extend(getattr(other, field.name))
        return self


def _data(data, what):
    """(rasters or split, labels) from a pair, a SpikeBatch or a data set split; the first
    is indexed with an array of sample numbers."""
    if isinstance(data, tuple) and len(data) == 2:
        x, y = data
    elif hasattr(data, "batch") and hasattr(data, "labels"):    # a fenn.datasets split
        x, y = _Lazy(data), data.labels
    elif hasattr(data, "rasters") and hasattr(data, "labels"):
        x, y = data.rasters, data.labels
    else:
        raise TrainError(f"{what} must be (rasters, labels) or have .rasters and .labels "
                         f"(a fenn.inputs.SpikeBatch or a fenn.datasets split), got {type(data).__name__}")
    if y is None or len(x) != len(y):
        raise TrainError(f"{what}: {len(x)} samples but "
                         f"{'no' if y is None else len(y)} labels")
    return x, np.asarray(y, dtype=np.int64)


class _Lazy:
    """A split indexed like an array: ``split[indices]`` -> rasters, read when asked."""

    def __init__(self, split):
        self.split = split

    def __len__(self):
        return len(self.split)

    def __getitem__(self, indices):
        if isinstance(indices, slice):
            indices = range(*indices.indices(len(self.split)))
        return self.split.batch(indices).rasters


def readout_scores(recordings: dict, readout: str):
    """Class scores (samples, classes) from recording ``readout``: used as is when
    reduced over time; spike counts for spikes; the mean over time for a state trace."""
    if readout not in recordings:
        raise TrainError(f"readout {readout!r} is not recorded; recorded: {sorted(recordings)} "
                         f"(add net.record(output.v, reduce='mean'))")
    value = recordings[readout]
    if value.ndim == 3:
        return value.sum(dim=1) if readout.endswith(".spikes") else value.mean(dim=1)
    return value


def predict(model, rasters, readout: str, *, batch_size: int = 256) -> np.ndarray:
    """Class scores (samples, classes) of ``model`` on ``rasters`` (no gradients)."""
    scores = []
    with torch.no_grad():
        for start in range(0, len(rasters), batch_size):
            recordings = model(rasters[start:start + batch_size])
            scores.append(readout_scores(recordings, readout).to(torch.float64).numpy())
    return np.concatenate(scores)


def fit(model, train, *, readout: str, epochs: int = 10, batch_size: int = 64,
        lr: float = 1e-3, test=None, optimizer=None, regulariser: Callable | None = None,
        seed: int = 0, threads: int | None = 1, log: Callable[[str], None] | None = print
        ) -> History:
    """Train ``model`` (a :class:`~fenn.train.Trainable`) on ``train`` for ``epochs``.

    ``train``/``test``: ``(rasters, labels)``, a :class:`fenn.inputs.SpikeBatch` or a
    data set split. Loss: cross-entropy of :func:`readout_scores`, plus
    ``regulariser(recordings)`` if given (e.g. a firing-rate penalty). ``optimizer``:
    a torch optimizer over ``model.parameters()`` (default Adam at ``lr``); pass the same
    one again to continue. ``log``: called with one line per epoch (None: silent).
    ``threads``: torch CPU threads while training (the per-timestep matrices are small,
    so one thread is fastest and does not fight other processes; None: torch's choice).
    """
    saved = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _fit(model, train, readout, epochs, batch_size, lr, test, optimizer, regulariser,
                    seed, log)
    finally:
        torch.set_num_threads(saved)


def _fit(model, train, readout, epochs, batch_size, lr, test, optimizer, regulariser, seed, log):
    x, y = _data(train, "train")
    test_data = None if test is None else _data(test, "test")
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    order_rng = np.random.default_rng(seed)
    history = History()
    targets = torch.from_numpy(y)
    for epoch in range(epochs):
        started = time.perf_counter()
        total, correct, count = 0.0, 0, 0
        for batch in np.array_split(order_rng.permutation(len(x)), max(1, len(x) // batch_size)):
            recordings = model(x[np.sort(batch)])
            scores = readout_scores(recordings, readout)
            target = targets[np.sort(batch)]
            loss = torch.nn.functional.cross_entropy(scores, target)
            if regulariser is not None:
                loss = loss + regulariser(recordings)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(batch)
            correct += int((scores.argmax(dim=1) == target).sum())
            count += len(batch)
        history.loss.append(total / count)
        history.train_accuracy.append(correct / count)
        accuracy = float("nan")
        if test_data is not None:
            accuracy = float(np.mean(predict(model, test_data[0], readout).argmax(1) == test_data[1]))
        history.test_accuracy.append(accuracy)
        history.seconds.append(time.perf_counter() - started)
        if log is not None:
            tested = f"  test {100 * accuracy:5.1f}%" if test_data is not None else ""
            log(f"epoch {epoch + 1:3d}/{epochs}  loss {history.loss[-1]:.4f}  train "
                f"{100 * history.train_accuracy[-1]:5.1f}%{tested}  ({history.seconds[-1]:.1f} s)")
    return history
