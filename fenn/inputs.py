"""Spike inputs: boolean rasters, event lists and SHD-format HDF5 files.

FeNN consumes one bit per input neuron per timestep, so every input form is turned into a
boolean raster of shape ``(timesteps, n_units)`` (or a batch ``(samples, timesteps,
n_units)``). The conversions here are the single place where that happens; they never drop
or merge spikes silently: events after the last timestep raise an error unless the caller
asks for them to be dropped, and dropped / merged counts are reported.

Time units: event times and ``dt`` are in the same unit (``fenn.Network(dt)`` uses
milliseconds). SHD files store seconds; :class:`SHDFile` converts them to milliseconds.

Event binning: an event at time ``t`` falls in timestep ``floor((t - t_start) / dt)``; an
event exactly on a step boundary belongs to the later step. Times within 1e-9 steps of a
boundary count as on it, so ``0.3 / 0.1`` (2.9999999999999996 in floating point) is step 3.
Two events of one unit in one timestep become one spike (counted as ``merged``).
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .hdf5 import not_hdf5
from .errors import InputError

__all__ = [
    "Events", "SpikeBatch", "events_to_raster", "bin_events", "check_raster", "to_raster",
    "to_batch", "SHDFile", "read_shd", "write_shd", "synthetic_shd_events", "write_synthetic_shd",
    "SHD_UNITS", "SHD_CLASSES",
]

#: input channels and classes of the Spiking Heidelberg Digits data set
SHD_UNITS = 700
SHD_CLASSES = 20

#: relative tolerance (in timesteps) under which a time counts as on a step boundary
_EDGE_TOLERANCE = 1e-9


@dataclasses.dataclass(frozen=True)
class Events:
    """A spike event list: ``times[k]`` is when unit ``units[k]`` fired (any order)."""
    times: np.ndarray
    units: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "times", np.asarray(self.times, dtype=np.float64))
        object.__setattr__(self, "units", np.asarray(self.units))


@dataclasses.dataclass
class SpikeBatch:
    """A batch of input rasters ready to run, with what the conversion had to do.

    ``dropped[i]`` events of sample ``i`` fell after the last timestep and were left out;
    ``merged[i]`` events shared a (unit, timestep) with another event and became one spike.
    """
    rasters: np.ndarray                 # bool (samples, timesteps, n_units)
    labels: np.ndarray | None = None    # int (samples,)
    dropped: np.ndarray | None = None   # int (samples,)
    merged: np.ndarray | None = None    # int (samples,)

    def __len__(self) -> int:
        return self.rasters.shape[0]


def _refusing(convert):
    """``convert``, with numpy's complaints about values that are not spikes at all (ragged
    lists, strings, None) turned into an InputError that says what is accepted."""
    @functools.wraps(convert)
    def wrapper(value, *args, **kwargs):
        try:
            return convert(value, *args, **kwargs)
        except InputError:
            raise
        except (ValueError, TypeError) as error:
            raise InputError(f"{kwargs.get('what', 'input')}: cannot read a "
                             f"{type(value).__name__} as spikes ({error}); give a bool raster "
                             f"(timesteps, units), events (times, units), a batch (samples, "
                             f"timesteps, units) or a list of samples (docs/inputs.md)") from None
    return wrapper


def _as_units(units, n_units: int, what: str) -> np.ndarray:
    units = np.asarray(units)
    if units.ndim != 1:
        raise InputError(f"{what}: units must be 1-D, got shape {units.shape}")
    if units.size == 0:
        return units.astype(np.int64)
    if not np.issubdtype(units.dtype, np.integer):
        if not np.issubdtype(units.dtype, np.floating) or not np.all(np.isfinite(units)) \
                or np.any(units != np.round(units)):
            raise InputError(f"{what}: units must be integers (neuron indices), got dtype "
                             f"{units.dtype}")
    units = units.astype(np.int64)
    bad = (units < 0) | (units >= n_units)
    if bad.any():
        raise InputError(f"{what}: {int(bad.sum())} event(s) name units outside 0..{n_units - 1} "
                         f"(e.g. unit {int(units[bad][0])}); the input has {n_units} neurons")
    return units


@_refusing
def bin_events(times, units, n_units: int, dt: float, timesteps: int | None = None, *,
               t_start: float = 0.0, late: str = "error", what: str = "events"):
    """Validate an event list and return ``(steps, units, timesteps, dropped)``.

    ``steps[k]`` is the timestep of event ``k`` (events after ``timesteps`` removed when
    ``late="drop"``). ``timesteps=None`` means "up to the last event".
    """
    if late not in ("error", "drop"):
        raise InputError(f"late must be 'error' or 'drop', got {late!r}")
    if not (np.isscalar(dt) and np.isfinite(dt) and dt > 0):
        raise InputError(f"dt must be a positive number, got {dt!r}")
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1:
        raise InputError(f"{what}: times must be 1-D, got shape {times.shape}")
    units = _as_units(units, n_units, what)
    if times.shape != units.shape:
        raise InputError(f"{what}: {times.size} times but {units.size} units; an event list "
                         f"needs one unit per time")
    if not np.all(np.isfinite(times)):
        raise InputError(f"{what}: times contain NaN or infinity")
    position = (times - t_start) / dt
    steps = np.floor(position + _EDGE_TOLERANCE).astype(np.int64)
    if np.any(steps < 0):
        first = float(times[steps < 0].min())
        raise InputError(f"{what}: event at time {first} is before t_start={t_start}")
    if timesteps is None:
        if steps.size == 0:
            raise InputError(f"{what}: cannot infer the number of timesteps from an empty event "
                             f"list; pass timesteps=")
        timesteps = int(steps.max()) + 1
    elif int(timesteps) != timesteps or timesteps < 1:
        raise InputError(f"timesteps must be a positive integer, got {timesteps!r}")
    timesteps = int(timesteps)
    after = steps >= timesteps
    dropped = int(after.sum())
    if dropped and late == "error":
        last = float(times[after].max())
        raise InputError(
            f"{what}: {dropped} event(s) fall after the last timestep (latest at t={last}, "
            f"window ends at t={t_start + timesteps * dt} = {timesteps} steps of dt={dt}); "
            f"pass more timesteps, or late='drop' to leave them out")
    keep = ~after
    return steps[keep], units[keep], timesteps, dropped


@_refusing
def events_to_raster(times, units, n_units: int, dt: float, timesteps: int | None = None, *,
                     t_start: float = 0.0, late: str = "error", counts: bool = False):
    """Bin an event list into a boolean raster ``(timesteps, n_units)``.

    With ``counts=True`` returns ``(raster, dropped, merged)`` so the caller can report
    what binning did.
    """
    steps, units, timesteps, dropped = bin_events(times, units, n_units, dt, timesteps,
                                                  t_start=t_start, late=late)
    raster = np.zeros((timesteps, n_units), dtype=bool)
    raster[steps, units] = True
    if counts:
        merged = int(steps.size - np.count_nonzero(raster))
        return raster, dropped, merged
    return raster


@_refusing
def check_raster(raster, n_units: int, timesteps: int | None = None,
                 what: str = "raster") -> np.ndarray:
    """Return ``raster`` as bool ``(timesteps, n_units)``, refusing anything but 0/1 values."""
    raster = np.asarray(raster)
    if raster.ndim != 2:
        raise InputError(f"{what}: a raster is 2-D (timesteps, {n_units}), got shape {raster.shape}")
    if raster.shape[1] != n_units:
        hint = " (transposed? rasters are (timesteps, units))" if raster.shape[0] == n_units else ""
        raise InputError(f"{what}: raster has {raster.shape[1]} columns but the input has "
                         f"{n_units} neurons{hint}")
    if timesteps is not None and raster.shape[0] != timesteps:
        raise InputError(f"{what}: raster has {raster.shape[0]} timesteps, expected {timesteps}")
    if raster.dtype != bool:
        if not (np.issubdtype(raster.dtype, np.number)) or np.any((raster != 0) & (raster != 1)):
            raise InputError(f"{what}: raster values must be 0/1 or bool (one spike per unit per "
                             f"timestep); use events_to_raster for spike times or counts")
        raster = raster != 0
    return raster


def _is_event_pair(value) -> bool:
    if isinstance(value, Events):
        return True
    if isinstance(value, tuple) and len(value) == 2:
        a, b = (np.asarray(v) for v in value)
        return a.ndim == 1 and b.ndim == 1
    return False


@_refusing
def to_raster(value, n_units: int, timesteps: int | None = None, dt: float = 1.0, *,
              late: str = "error", what: str = "input") -> np.ndarray:
    """One sample in any supported form -> bool raster ``(timesteps, n_units)``.

    Accepts a raster (bool or 0/1 array, shape ``(timesteps, n_units)``), an
    :class:`Events`, or a tuple ``(times, units)`` of 1-D arrays (times in the unit of dt).
    """
    if _is_event_pair(value):
        ev = value if isinstance(value, Events) else Events(*value)
        return events_to_raster(ev.times, ev.units, n_units, dt, timesteps, late=late)
    return check_raster(value, n_units, timesteps, what)


@_refusing
def to_batch(value, n_units: int, timesteps: int, dt: float = 1.0, *, late: str = "error",
             what: str = "input") -> SpikeBatch:
    """A sample or a batch in any supported form -> :class:`SpikeBatch` ``(samples, T, N)``.

    Accepts everything :func:`to_raster` does (one sample), a 3-D array ``(samples,
    timesteps, n_units)``, a :class:`SpikeBatch`, or a sequence of samples.
    """
    if isinstance(value, SpikeBatch):
        rasters = value.rasters
        if rasters.ndim != 3:
            raise InputError(f"{what}: SpikeBatch.rasters must be 3-D, got shape {rasters.shape}")
        for i in range(rasters.shape[0]):
            check_raster(rasters[i], n_units, timesteps, f"{what}[{i}]")
        return value
    if _is_event_pair(value):
        return _batch_of([value], n_units, timesteps, dt, late, what)
    if isinstance(value, np.ndarray) or not isinstance(value, (list, tuple)):
        array = np.asarray(value)
        if array.ndim == 3:
            if array.shape[0] == 0:
                raise InputError(f"{what}: empty batch")
            # the whole batch is checked as one (samples*timesteps, units) raster: no copy
            # for bool input, which matters for data sets of thousands of samples
            check_raster(array.reshape(-1, array.shape[-1]), n_units, None, what)
            if array.shape[1] != timesteps:
                raise InputError(f"{what}: batch has {array.shape[1]} timesteps, expected "
                                 f"{timesteps}")
            rasters = array if array.dtype == bool else array != 0
            zeros = np.zeros(len(rasters), np.int64)
            return SpikeBatch(rasters, dropped=zeros, merged=zeros.copy())
        if array.ndim == 2:
            return _batch_of([array], n_units, timesteps, dt, late, what)
        raise InputError(f"{what}: expected a raster (timesteps, {n_units}), a batch (samples, "
                         f"timesteps, {n_units}) or events (times, units); got an array of shape "
                         f"{array.shape}")
    return _batch_of(list(value), n_units, timesteps, dt, late, what)


def _batch_of(samples: list, n_units, timesteps, dt, late, what) -> SpikeBatch:
    if not samples:
        raise InputError(f"{what}: empty batch")
    rasters = np.zeros((len(samples), timesteps, n_units), dtype=bool)
    dropped = np.zeros(len(samples), np.int64)
    merged = np.zeros(len(samples), np.int64)
    for i, sample in enumerate(samples):
        name = f"{what}[{i}]"
        if _is_event_pair(sample):
            ev = sample if isinstance(sample, Events) else Events(*sample)
            steps, units, _, dropped[i] = bin_events(ev.times, ev.units, n_units, dt, timesteps,
                                                     late=late, what=name)
            rasters[i, steps, units] = True
            merged[i] = steps.size - np.count_nonzero(rasters[i])
        else:
            rasters[i] = check_raster(sample, n_units, timesteps, name)
    return SpikeBatch(rasters, dropped=dropped, merged=merged)


# --------------------------------------------------------------------------- SHD files

class SHDFile:
    """A Spiking-Heidelberg-Digits-format HDF5 file, read lazily with h5py.

    Layout: ``/spikes/times`` and ``/spikes/units`` are ragged (one variable-length array per
    sample; times in seconds), ``/labels`` holds one integer class per sample. Samples are
    binned at ``dt`` milliseconds into ``timesteps`` steps; events after the window are
    dropped and counted (SHD recordings vary in length, so a fixed window is the norm).
    """

    def __init__(self, path, n_units: int = SHD_UNITS):
        import h5py
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(2, "no such SHD file", str(self.path))
        why = not_hdf5(self.path)
        if why is not None:
            raise InputError(f"{self.path} is not an SHD-format file: SHD files are HDF5 and this "
                             f"one {why} (write one with "
                             f"fenn.inputs.write_shd)")
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as error:
            raise InputError(f"{self.path} is a damaged HDF5 file ({error})") from None
        try:
            self._check_layout()
        except BaseException as error:
            self._file.close()
            if isinstance(error, InputError):
                raise
            if isinstance(error, (ValueError, TypeError, KeyError, OSError)):
                raise InputError(f"{self.path} is not an SHD-format file: its datasets cannot be "
                                 f"read as spike times, units and labels ({error})") from None
            raise
        self.n_units = n_units

    def _check_layout(self) -> None:
        import h5py
        missing = [k for k in ("spikes/times", "spikes/units", "labels") if k not in self._file]
        if missing:
            have = sorted(self._file.keys())
            raise InputError(f"{self.path} is not an SHD-format file: missing "
                             f"{', '.join('/' + m for m in missing)} (top-level keys: {have})")
        self._times = self._file["spikes/times"]
        self._units = self._file["spikes/units"]
        if not all(isinstance(d, h5py.Dataset) and d.ndim == 1
                   for d in (self._times, self._units, self._file["labels"])):
            raise InputError(f"{self.path} is not an SHD-format file: /spikes/times, "
                             f"/spikes/units and /labels must be 1-D datasets (one entry per sample)")
        self.labels = np.asarray(self._file["labels"][()], dtype=np.int64)
        if not (len(self._times) == len(self._units) == len(self.labels)):
            n = (len(self._times), len(self._units), len(self.labels))
            raise InputError(f"{self.path}: /spikes/times, /spikes/units and /labels have "
                             f"{n[0]}, {n[1]} and {n[2]} samples; they must match")

    def __len__(self) -> int:
        return len(self.labels)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._file.close()

    def events(self, i: int, time_scale: float = 1000.0) -> Events:
        """Sample ``i`` as an event list, times converted from seconds by ``time_scale``
        (default: milliseconds)."""
        if not 0 <= i < len(self):
            raise IndexError(f"sample {i} out of range: {self.path} has {len(self)} samples")
        try:
            return Events(np.asarray(self._times[i], np.float64) * time_scale,
                          np.asarray(self._units[i]))
        except (ValueError, TypeError) as error:
            raise InputError(f"{self.path}: sample {i} is not a list of spike times and units "
                             f"({error})") from None

    def batch(self, indices: Sequence[int] | slice | None = None, *, dt: float = 1.0,
              timesteps: int, late: str = "drop") -> SpikeBatch:
        """Samples ``indices`` (default all) binned at ``dt`` ms into ``timesteps`` steps."""
        if indices is None:
            indices = range(len(self))
        elif isinstance(indices, slice):
            indices = range(*indices.indices(len(self)))
        indices = list(indices)
        samples = [self.events(i) for i in indices]
        batch = _batch_of(samples, self.n_units, timesteps, dt, late, str(self.path))
        batch.labels = self.labels[indices]
        return batch

    def batches(self, batch_size: int, *, dt: float = 1.0, timesteps: int,
                late: str = "drop") -> Iterator[SpikeBatch]:
        """Consecutive batches of at most ``batch_size`` samples, so a whole data set never
        has to sit in memory as rasters."""
        if batch_size < 1:
            raise InputError(f"batch_size must be at least 1, got {batch_size}")
        for start in range(0, len(self), batch_size):
            yield self.batch(slice(start, start + batch_size), dt=dt, timesteps=timesteps,
                             late=late)


def read_shd(path, *, dt: float = 1.0, timesteps: int, indices=None, late: str = "drop",
             n_units: int = SHD_UNITS) -> SpikeBatch:
    """Read (a subset of) an SHD-format file into one :class:`SpikeBatch`."""
    with SHDFile(path, n_units=n_units) as f:
        return f.batch(indices, dt=dt, timesteps=timesteps, late=late)


def write_shd(path, times: Sequence[np.ndarray], units: Sequence[np.ndarray],
              labels: Sequence[int]) -> Path:
    """Write samples in the SHD layout (times in seconds, ragged per sample)."""
    import h5py
    if not (len(times) == len(units) == len(labels)):
        raise InputError(f"write_shd: {len(times)} times, {len(units)} units and {len(labels)} "
                         f"labels; one of each per sample")
    path = Path(path)
    with h5py.File(path, "w") as f:
        spikes = f.create_group("spikes")
        t = spikes.create_dataset("times", (len(times),), dtype=h5py.vlen_dtype(np.float32))
        u = spikes.create_dataset("units", (len(units),), dtype=h5py.vlen_dtype(np.uint16))
        for i, (ti, ui) in enumerate(zip(times, units)):
            if len(ti) != len(ui):
                raise InputError(f"write_shd: sample {i} has {len(ti)} times and {len(ui)} units")
            t[i] = np.asarray(ti, np.float32)
            u[i] = np.asarray(ui, np.uint16)
        f.create_dataset("labels", data=np.asarray(labels, np.uint8))
    return path


def synthetic_shd_events(samples: int, *, rng: np.random.Generator, rate: float = 7.0,
                         duration: float = 1.0, n_units: int = SHD_UNITS,
                         n_classes: int = SHD_CLASSES):
    """Poisson event lists shaped like SHD: ``rate`` is the mean number of input spikes per
    millisecond over the whole population (SHD averages about 7), ``duration`` in seconds.

    Returns ``(times, units, labels)``: lists of per-sample arrays (seconds, unit indices)
    and an int array. Each class prefers its own band of units, so labels are learnable.
    """
    times, units = [], []
    labels = rng.integers(0, n_classes, samples)
    band = max(1, n_units // n_classes)
    for label in labels:
        count = rng.poisson(rate * duration * 1000.0)
        t = np.sort(rng.uniform(0.0, duration, count))
        preferred = rng.random(count) < 0.5
        u = np.where(preferred, label * band + rng.integers(0, band, count),
                     rng.integers(0, n_units, count)) % n_units
        times.append(t)
        units.append(u)
    return times, units, labels


def write_synthetic_shd(path, samples: int, *, rng: np.random.Generator, **kwargs) -> Path:
    """A small SHD-format file of synthetic Poisson samples, for tests and demos."""
    return write_shd(path, *synthetic_shd_events(samples, rng=rng, **kwargs))
