"""Randman: random manifolds as a spike-timing classification task (Zenke & Vogels 2021,
"The remarkable robustness of surrogate gradient learning for instilling complex function
in spiking neural networks", Neural Computation 33(4)).

Each class is a smooth random map from a ``dim``-dimensional cube of intrinsic
coordinates into the ``units``-dimensional unit cube. A sample draws intrinsic
coordinates uniformly and maps them; coordinate ``j`` of the image is the firing time of
input unit ``j`` (one spike per unit, early to late over the window). The maps are sums
of sines whose amplitudes fall as ``1 / k**alpha`` with frequency ``k``: larger
``alpha`` makes smoother manifolds, larger ``dim`` and more classes make harder tasks.
Everything follows from ``seed``, so the data set is embedded, not downloaded.
"""

from __future__ import annotations

import numpy as np

from .base import Split

__all__ = ["Randman"]

#: sine components per intrinsic dimension
_HARMONICS = 8


class Randman:
    """A seeded Randman task with ``train`` and ``test`` splits (``test_fraction`` of
    the ``samples_per_class * classes`` samples, classes balanced in both)."""

    def __init__(self, classes: int = 10, units: int = 50, timesteps: int = 50, *, dim: int = 1,
                 alpha: float = 2.0, samples_per_class: int = 500, spikes_per_unit: int = 1,
                 test_fraction: float = 0.2, seed: int = 0):
        for name, value in (("classes", classes), ("units", units), ("timesteps", timesteps),
                            ("dim", dim), ("samples_per_class", samples_per_class),
                            ("spikes_per_unit", spikes_per_unit)):
            if not (isinstance(value, (int, np.integer)) and value >= 1):
                raise ValueError(f"Randman: {name} must be a positive integer, got {value!r}")
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"Randman: test_fraction must be in (0, 1), got {test_fraction!r}")
        self.classes, self.units, self.timesteps, self.dim = classes, units, timesteps, dim
        self.alpha, self.seed = float(alpha), seed
        rng = np.random.default_rng([seed, classes, units, dim])
        manifolds = [_Manifold(rng, units, dim, self.alpha) for _ in range(classes)]
        times, labels = [], []
        for label, manifold in enumerate(manifolds):
            points = rng.random((samples_per_class, spikes_per_unit, dim))
            times.append(np.stack([manifold(points[:, k]) for k in range(spikes_per_unit)], 1))
            labels.append(np.full(samples_per_class, label))
        times, labels = np.concatenate(times), np.concatenate(labels)    # (S, spikes, units)
        steps = np.minimum((times * timesteps).astype(np.int64), timesteps - 1)
        rasters = np.zeros((len(labels), timesteps, units), dtype=bool)
        sample = np.arange(len(labels))[:, None, None]
        rasters[sample, steps, np.arange(units)[None, None, :]] = True
        order = rng.permutation(len(labels))
        n_test = max(1, int(round(test_fraction * len(labels))))
        test, train = order[:n_test], order[n_test:]
        self.train = self._split("train", rasters[np.sort(train)], labels[np.sort(train)])
        self.test = self._split("test", rasters[np.sort(test)], labels[np.sort(test)])

    def _split(self, name, rasters, labels) -> Split:
        return Split(f"randman {name}", labels, lambda idx: rasters[idx], self.units, self.timesteps)

    def __repr__(self):
        return (f"Randman(classes={self.classes}, units={self.units}, timesteps={self.timesteps}, "
                f"dim={self.dim}, alpha={self.alpha}, seed={self.seed}: {len(self.train)} train, "
                f"{len(self.test)} test)")


class _Manifold:
    """A smooth random map [0, 1]^dim -> [0, 1]^units (one class)."""

    def __init__(self, rng, units, dim, alpha):
        k = np.arange(1, _HARMONICS + 1)
        self.amplitude = rng.random((units, dim, _HARMONICS)) / k ** alpha
        self.frequency = k * rng.uniform(0.5, 1.0, (units, dim, _HARMONICS))
        self.phase = rng.random((units, dim, _HARMONICS))
        grid = rng.random((4096, dim))                  # the range each unit spans
        raw = self._raw(grid)
        self.low, self.span = raw.min(axis=0), np.ptp(raw, axis=0) + 1e-12

    def _raw(self, points):                            # (samples, dim) -> (samples, units)
        angle = 2 * np.pi * (points[:, None, :, None] * self.frequency + self.phase)
        return (self.amplitude * np.sin(angle)).sum(axis=(2, 3))

    def __call__(self, points):
        return np.clip((self._raw(points) - self.low) / self.span, 0.0, 1.0)
