"""``fenn.run``: push inputs into a device, run the program, pull recordings out.

The runtime speaks only the :class:`fenn.device.Device` protocol. A batch runs sample
after sample on the one loaded program: for each sample it writes the RNG seed and the
input event streams, runs to ``ecall`` and reads the recordings. ``backend="reference"``
runs the integer reference model instead (same results, bit for bit) and
``backend="float"`` the float64 model.
"""

from __future__ import annotations

import dataclasses
import weakref
from pathlib import Path

import numpy as np

from .device import Device, device_cores, open_device
from .errors import FennError, InputError, ReferenceMismatch

__all__ = ["run", "Results", "RunStats", "InputError", "first_difference"]


@dataclasses.dataclass
class RunStats:
    """What the runs cost: totals over the batch, and cycles per sample."""
    cycles: int = 0
    instructions: int = 0
    dma_bytes: int = 0
    samples: int = 0
    cycles_per_sample: list = dataclasses.field(default_factory=list)
    stalls: dict = dataclasses.field(default_factory=dict)
    #: per population: results clamped by saturating arithmetic (reference backend, or
    #: check=True), None when not measured
    saturations: dict | None = None

    @property
    def cycles_per_timestep(self) -> float:
        steps = self.samples * self._timesteps if self.samples else 0
        return self.cycles / steps if steps else float("nan")

    _timesteps: int = 0


class Results:
    """Recordings of a run: ``results["hidden.spikes"]`` etc., plus ``.stats``.

    Values are in real units (floats; spikes as bool). With a batch input the first axis
    is the sample; a single sample gives arrays without it. ``.raw`` holds the integers
    the device stored (spikes bool, state int16, ``mean`` recordings as exact int sums).
    """

    def __init__(self, values: dict, raw: dict, stats: RunStats, batched: bool, formats: dict):
        self._values, self.raw, self.stats = values, raw, stats
        self.batched, self.formats = batched, formats

    def __getitem__(self, key):
        if key not in self._values:
            raise KeyError(f"no recording {key!r}; recorded: {sorted(self._values)} "
                           f"(add one with net.record(...))")
        value = self._values[key]
        return value if self.batched else value[0]

    def keys(self):
        return self._values.keys()

    def __contains__(self, key):
        return key in self._values

    def difference(self, other: "Results", names: tuple[str, str] = ("this run", "the other")) -> str | None:
        """Where this run's recordings first differ from ``other``'s (see
        :func:`first_difference`), or None when they are identical bit for bit."""
        return first_difference(self.raw, other.raw, names=names)

    def __repr__(self):
        return f"Results({sorted(self._values)}, cycles={self.stats.cycles})"


# ----------------------------------------------------------------------- inputs

def _batches(program, inputs) -> tuple[dict[str, np.ndarray], bool, int]:
    """Every input as a bool raster batch (S, T, N); also whether a batch was given."""
    from .inputs import to_batch
    sizes = program.meta["inputs"]
    T = program.meta["timesteps"]
    dt = program.meta.get("dt", 1.0)
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        if len(sizes) != 1:
            raise InputError(f"the network has inputs {sorted(sizes)}; pass a dict {{name: spikes}}")
        inputs = {next(iter(sizes)): inputs}
    unknown = set(inputs) - set(sizes)
    if unknown:
        raise InputError(f"inputs {sorted(unknown)} are not inputs of this network "
                         f"(it has {sorted(sizes)})")
    missing = set(sizes) - set(inputs)
    if missing:
        raise InputError(f"missing spikes for inputs {sorted(missing)}; pass "
                         f"inputs={{{', '.join(repr(m) + ': ...' for m in sorted(missing))}}}")
    rasters, batched = {}, False
    shapes = program.meta.get("input_shapes", {})
    currents = program.meta.get("currents", {})
    for name, value in inputs.items():
        if _is_packed(value):
            rasters[name] = _checked_packed(value, sizes[name], T, name)
            batched = True
            continue
        value = _flattened(value, shapes.get(name), name)
        if name in currents:
            rasters[name] = _current_batch(value, sizes[name], T, name)
            batched |= np.ndim(value) == 3
            continue
        if isinstance(value, (str, Path)):          # an SHD-format HDF5 file: every sample
            from .inputs import read_shd
            value = read_shd(value, dt=dt, timesteps=T, n_units=sizes[name])
        array = value.rasters if hasattr(value, "rasters") else value
        if isinstance(array, np.ndarray) and array.ndim == 3 or hasattr(value, "rasters") \
                or (isinstance(value, list) and not _is_pair(value)):
            batched = True
        try:
            rasters[name] = to_batch(value, sizes[name], T, dt, what=f"inputs[{name!r}]").rasters
        except ValueError as error:
            raise InputError(str(error)) from None
    counts = {name: r.shape[0] for name, r in rasters.items()}
    if len(set(counts.values())) > 1:
        raise InputError(f"inputs have different numbers of samples: {counts}")
    samples = next(iter(counts.values())) if counts else 1
    return rasters, batched, samples


def _is_packed(value) -> bool:
    from .streams import PackedRasters
    return isinstance(value, PackedRasters)


def _checked_packed(value, size: int, T: int, name: str):
    from .streams import packed_bytes
    if (value.timesteps, value.units) != (T, size) or value.bits.dtype != np.uint8 \
            or value.bits.ndim != 2 or value.bits.shape[1] != packed_bytes(T * size):
        raise InputError(f"inputs[{name!r}] is PackedRasters of {value.timesteps} timesteps x "
                         f"{value.units} units (bits {value.bits.dtype} {value.bits.shape}); this "
                         f"input takes {T} x {size}: PackedRasters.pack(rasters (samples, {T}, {size}))")
    return value


def _unpacked(rasters: dict) -> dict:
    """Bool rasters for the models that read rasters (reference, float)."""
    return {name: r.unpack() if _is_packed(r) else r for name, r in rasters.items()}


def _flattened(value, shape, name: str):
    """An array laid out in an input's shape, (T, *shape) or (S, T, *shape), as rasters
    (T, N) or (S, T, N), flattened in C order; anything else unchanged."""
    if shape is None or not isinstance(value, np.ndarray) or value.ndim < len(shape) + 1:
        return value
    shape, size = tuple(shape), int(np.prod(shape))
    if value.shape[-1] == size and value.ndim in (2, 3):
        return value                                  # already flat
    if value.shape[-len(shape):] != shape:
        if value.ndim in (len(shape) + 1, len(shape) + 2):
            raise InputError(f"inputs[{name!r}] has shape {value.shape}; the input is shaped "
                             f"{shape}, so pass (timesteps, {', '.join(map(str, shape))}), a "
                             f"batch (samples, timesteps, ...) of those, or flat rasters "
                             f"(timesteps, {size})")
        return value
    return value.reshape(*value.shape[:-len(shape)], size)


def _current_batch(value, size: int, T: int, name: str) -> np.ndarray:
    """A current input's real values as float (S, T, N)."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"inputs[{name!r}] is a current input: pass real values as an array "
                         f"(timesteps, {size}) or (samples, timesteps, {size})") from None
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != (T, size):
        raise InputError(f"inputs[{name!r}] has shape {array.shape}; this current input takes "
                         f"(timesteps, channels) = ({T}, {size}) or a batch (samples, {T}, {size})")
    if not np.all(np.isfinite(array)):
        raise InputError(f"inputs[{name!r}] holds NaN or infinity; currents must be finite")
    return array


def current_values(program, name: str, values: np.ndarray) -> np.ndarray:
    """A current input's real values as the int16 the device reads (its format; rounded to
    nearest, saturating at the format's range)."""
    from .compiler.formats import parse_format, quantise
    return quantise(values, parse_format(program.meta["currents"][name])).values.reshape(values.shape)


def _is_pair(value) -> bool:
    return isinstance(value, tuple) and len(value) == 2


def encode_events(raster: np.ndarray, capacity: int, name: str) -> np.ndarray:
    """One sample's raster (T, N) -> the DMEM stream: per timestep a count, then units."""
    from .streams import encode_packed, pack
    steps, units = raster.shape
    return encode_packed(pack(raster[None])[0], steps, units, capacity, name)


def _input_stream(program, name: str, batch, s: int) -> np.ndarray:
    """Sample ``s`` of an input batch (bool rasters, :class:`fenn.streams.PackedRasters` or
    a current input's real values) as the data its DMEM buffer takes."""
    from .streams import PackedRasters, encode_packed
    buffer = program.io[f"input.{name}"]
    if buffer.meta.get("kind") == "current":
        return current_values(program, name, batch[s])
    if isinstance(batch, PackedRasters):
        stream = encode_packed(batch.bits[s], batch.timesteps, batch.units, buffer.shape[0], name)
    else:
        stream = encode_events(batch[s], buffer.shape[0], name)
    if buffer.meta.get("kind") == "events-vmem":     # events in VMEM: blocks of vectors
        from .events_layout import vector_layout
        return vector_layout(stream, program.meta["timesteps"], buffer.meta["block"],
                             buffer.shape[0], name)
    return stream


# ----------------------------------------------------------------------- outputs

def _read_raw(device: Device, program, key: str, buffer, **where) -> np.ndarray:
    return _decode(key, buffer, device.read(buffer.memory, buffer.address, buffer.nbytes, **where))


def _decode(key: str, buffer, raw: np.ndarray) -> np.ndarray:
    """A recording's bytes as the device stored them -> its integer array."""
    data = np.ascontiguousarray(raw).view(buffer.dtype).reshape(buffer.shape)
    meta = buffer.meta
    size = meta.get("size")
    kind = meta.get("kind")
    if kind == "spikes":
        rows = np.ascontiguousarray(data[meta.get("first_row", 0):], dtype="<u4")
        bits = np.unpackbits(rows.view(np.uint8), axis=1, bitorder="little")
        return bits[:, :size].astype(bool)
    if kind == "trace":
        return data[:, :size].copy()
    if kind == "mean":
        lo = data[:, 0, :].reshape(-1).astype(np.int64)
        hi = data[:, 1, :].reshape(-1).astype(np.int64)
        return (hi * 256 + lo)[:size]
    if kind == "max":
        return data.reshape(-1)[:size].copy()
    if kind == "profile":
        return data.astype(np.int64)[1:]
    if kind == "last":
        return data[:, meta["slot"], :].reshape(-1)[:size].copy()
    raise ValueError(f"unknown recording kind {kind!r} for {key}")


def _to_real(program, raw: dict) -> tuple[dict, dict]:
    from .compiler.formats import parse_format
    values, formats = {}, {}
    T = program.meta["timesteps"]
    for key, buffer in program.io.items():
        if buffer.role != "output":
            continue
        if key not in raw:       # device-only outputs (profile counters): no reference value
            continue
        data = raw[key]
        kind = buffer.meta.get("kind")
        if kind in ("spikes", "profile"):
            values[key] = data
            continue
        fmt = parse_format(buffer.meta["format"])
        formats[key] = str(fmt)
        scale = fmt.scale * (T if kind == "mean" else 1)
        values[key] = data.astype(np.float64) / scale
    return values, formats


# ----------------------------------------------------------------------- run

def _progress(total: int, enabled, desc: str):
    if enabled is False or (enabled is None and total < 8):
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="sample")


def run(program, inputs=None, *, backend: str = "sim", device: Device | None = None,
        progress: bool | None = None, strict: bool = False, first_sample: int = 0,
        check: bool = False, reset: bool = True, read=None) -> Results:
    """Run ``program`` on ``inputs`` ({input name: spikes}; a single raster/event list is
    fine for a one-input network) and return :class:`Results`.

    Spikes: bool raster (T, N), events ``(times, units)``, a batch (S, T, N), a list of
    samples, a :class:`fenn.inputs.SpikeBatch` or the path of an SHD-format HDF5 file
    (every sample in it; events after the last timestep are dropped). ``backend``: ``"sim"`` (default),
    ``"rtl"``, ``"pynq"`` (or pass an open ``device``), ``"reference"`` (the integer
    reference model) or ``"float"`` (the float64 model, needs ``program.network``).
    ``progress``: tqdm bar for batches (None: only for 8 or more samples; False: never).
    ``check=True`` also runs the reference model and raises
    :class:`~fenn.errors.ReferenceMismatch` naming the recording, sample, step and neuron
    that first differ.

    ``reset=False`` continues the network from where the last ``fenn.run`` of this Program
    on the same open ``device`` left it (neuron state, synaptic input, delays, RNG, time):
    runs of T and T' steps give what one run of T + T' steps over the concatenated inputs
    gives, recordings split between them (streaming input, closed loops). One sample per
    core; the first such call on a device starts from the beginning.

    ``read``: the recordings to read back (e.g. ``["output.v"]``; default all of them). The
    others stay in the device's memory, which saves their read-back and decoding when only
    a readout matters (``fenn.evaluate``); ``check=True`` then compares those read.
    """
    if not reset:
        _can_carry(program, backend, device, check)
    outputs = _outputs(program, read)
    rasters, batched, samples = _batches(program, inputs)
    T = program.meta["timesteps"]
    stats = RunStats(samples=samples)
    stats._timesteps = T
    if backend == "reference":
        raw, stats.saturations = _run_reference(program, rasters, first_sample)
        raw = {k: v for k, v in raw.items() if k in outputs}
    elif backend == "float":
        return _run_float(program, rasters, batched, stats, outputs)
    else:
        raw = _run_device(program, rasters, samples, device or _open(backend, program, strict),
                          stats, progress, first_sample, reset, outputs)
        if check:
            expected, stats.saturations = _run_reference(program, rasters, first_sample)
            expected = {k: v for k, v in expected.items() if k in outputs}
            _check(raw, expected, backend if device is None else device.name, first_sample)
    values, formats = _to_real(program, raw)
    return Results(values, raw, stats, batched, formats)


def _outputs(program, read) -> dict:
    """The output buffers to read back: all of them, or those named in ``read``."""
    outputs = {k: b for k, b in program.io.items() if b.role == "output"}
    if read is None:
        return outputs
    read = [read] if isinstance(read, str) else list(read)
    unknown = sorted(set(read) - set(outputs))
    if unknown:
        raise InputError(f"read={read}: {unknown} not recorded by this Program; it records "
                         f"{sorted(outputs)}")
    return {k: b for k, b in outputs.items() if k in read}


def first_difference(got: dict, want: dict, first_sample: int = 0,
                     names: tuple[str, str] = ("the first run", "the second")) -> str | None:
    """Where two runs' raw recordings (``Results.raw``) first part, or None if they agree:
    the recording, sample, step and neuron of the earliest difference (earliest sample, then
    earliest step, over every recording), the two values and how many entries differ.
    Recordings only one side has, and shapes that differ, are named first. ``names``: how
    the message calls ``got`` and ``want``."""
    if sorted(got) != sorted(want):
        return f"recordings: {names[0]} has {sorted(got)}, {names[1]} {sorted(want)}"
    first = None
    for key in sorted(want):
        a, b = got[key], want[key]
        if a.shape != b.shape:
            return f"recording {key!r}: shape {a.shape} in {names[0]}, {b.shape} in {names[1]}"
        differ = np.argwhere(a != b)
        if differ.size:
            index = tuple(int(i) for i in differ[0])
            # (sample, step, neuron) for traces and spikes; (sample, neuron) for reductions
            order = (index[0], index[1] if len(index) == 3 else float("inf"), key)
            if first is None or order < first[0]:
                first = (order, key, index, a[index].item(), b[index].item(), len(differ))
    if first is None:
        return None
    _, key, index, a, b, count = first
    where = f"sample {index[0] + first_sample}"
    where += f", step {index[1]}, neuron {index[2]}" if len(index) == 3 else \
        f", neuron {index[-1]} (a reduction over the run)"
    return f"recording {key!r}, {where}: {names[0]} gives {a!r}, {names[1]} {b!r} ({count} entries of {key!r} differ)"


def _check(raw: dict, expected: dict, backend: str, first_sample: int) -> None:
    """Raise :class:`ReferenceMismatch` naming the recording, sample, step and neuron where
    the device first left the reference model."""
    recorded = {key: value for key, value in raw.items() if key in expected}   # not profile counters
    difference = first_difference(recorded, expected, first_sample, (backend, "the reference"))
    if difference is not None:
        raise ReferenceMismatch(
            f"check=True: {backend} and the reference model first differ in {difference}. "
            f"The device ran something other than the "
            f"compiled network: a modified Program or a bug in fenn; please report it with the "
            f"Program file and the inputs")


def _open(backend, program, strict):
    if backend == "sim":
        return open_device("sim", soc=program.soc, strict=strict)
    return open_device(backend)


def _count(stats: RunStats, status, what: str) -> int:
    """Add a finished run to ``stats`` and return its cycles; refuse one that did not end in
    ``ecall``."""
    if status.reason != "ecall":
        raise FennError(f"{what} stopped with {status.reason} at pc 0x{status.pc:x} instead of finishing")
    stats.cycles += status.cycles
    stats.instructions += status.instructions
    dma = status.stats.get("dma_bytes", {})
    stats.dma_bytes += int(dma.get("total", 0)) if isinstance(dma, dict) else int(dma)
    for k, v in status.stats.get("stalls", {}).items():
        stats.stalls[k] = stats.stalls.get(k, 0) + int(v)
    return status.cycles


def _on(device, core: int) -> dict:
    """The ``core=`` argument for a device's memory access (none on a one-core device)."""
    return {"core": core} if device_cores(device) > 1 else {}


def _run_cores(device, cores: list[int]) -> list:
    """Run these cores together (a one-core device: ``run``); their statuses."""
    return device.run_cores(cores) if device_cores(device) > 1 else [device.run()]


#: open device -> what its last run of fenn.run left on it (for reset=False)
_CARRIED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@dataclasses.dataclass
class _Carried:
    """The network a device holds after a run: which Program, how many samples (one per
    core), and the RNG states the last run started from and how far it drew them."""
    program: object
    samples: int
    seeds: np.ndarray
    draws: int

    def next_seeds(self) -> np.ndarray:
        """The RNG states where the last run left them (computed only when continuing)."""
        from .lanerng import advance
        return np.stack([advance(s, self.draws) for s in self.seeds])


def _can_carry(program, backend: str, device, check: bool) -> None:
    """Refuse ``reset=False`` where a run cannot continue the last one."""
    if device is None or backend in ("reference", "float"):
        raise FennError("reset=False continues the network that the last fenn.run left on an "
                        "open device: open one (device = fenn.open_device('sim')) and pass "
                        "device=device to every call; the reference and float models keep no "
                        "state between calls (run them once over the concatenated inputs)")
    if "batch" in program.meta:
        raise FennError("reset=False: a batch Program (fenn.compile(..., batch=True)) runs whole "
                        "samples in the firmware and cannot carry state between calls; compile "
                        "without batch=True")
    if "carry" not in program.io:
        raise FennError("reset=False: this Program was compiled by a fenn that could not carry "
                        "state between runs; compile it again")
    if check:
        raise FennError("check=True runs the reference model, which cannot continue a run: "
                        "check with reset=False off, or compare fenn.reference.simulate over "
                        "the concatenated inputs")


def _carried(program, device, samples: int, reset: bool) -> _Carried | None:
    """What a ``reset=False`` run continues (None: start from the beginning)."""
    if reset:
        return None
    last = _CARRIED.get(device)
    if last is None:
        return None
    if last.program is not program:
        raise FennError("reset=False: the device's last run was of another Program, so there "
                        "is nothing of this one to continue; run this Program with reset=True "
                        "first (or pass the same Program object)")
    if samples != last.samples:
        raise FennError(f"reset=False: the last run had {last.samples} sample(s) and this one "
                        f"{samples}; a continued run carries on every sample of the last one")
    return last


def _run_device(program, rasters, samples, device, stats, progress, first_sample, reset=True,
                outputs=None):
    """Sample after sample; on a device of N cores, N samples at a time, sample ``s`` of a
    wave on core ``s - first`` (the results do not depend on the core count)."""
    from .compiler.ir import seeds_for
    if "batch" in program.meta:
        _CARRIED.pop(device, None)
        return _run_batch(program, rasters, samples, device, stats, progress, first_sample,
                          outputs)
    cores = device_cores(device)
    if not reset and samples > cores:
        raise FennError(f"reset=False: each sample's state stays on its own core and this "
                        f"device has {cores}; pass at most {cores} sample(s) per call")
    carried = _carried(program, device, samples, reset)
    if carried is None:
        device.load(program)
    outputs = outputs if outputs is not None else _outputs(program, None)
    raw = {k: [] for k in outputs}
    seeds = carried.next_seeds() if carried else seeds_for(program.meta["seed"], samples, first_sample)
    bar = _progress(samples, progress, "fenn.run")
    for first in range(0, samples, cores):
        wave = range(first, min(first + cores, samples))
        for core, s in enumerate(wave):
            seed = program.io["rng_seed"]
            device.write(seed.memory, seed.address, seeds[s], **_on(device, core))
            if "carry" in program.io:
                flag = program.io["carry"]
                device.write(flag.memory, flag.address, np.array([carried is not None], "<u4"),
                             **_on(device, core))
            for name, batch in rasters.items():
                buffer = program.io[f"input.{name}"]
                device.write(buffer.memory, buffer.address, _input_stream(program, name, batch, s),
                             **_on(device, core))
        for core, (s, status) in enumerate(zip(wave, _run_cores(device, list(range(len(wave)))))):
            stats.cycles_per_sample.append(_count(stats, status, f"sample {s}: the program"))
            for key, buffer in outputs.items():
                raw[key].append(_read_raw(device, program, key, buffer, **_on(device, core)))
        if bar is not None:
            bar.update(len(wave))
    if bar is not None:
        bar.close()
    if samples <= cores and "carry" in program.io:
        draws = program.meta["rng_draws_per_step"] * program.meta["timesteps"]
        _CARRIED[device] = _Carried(program, samples, seeds, draws)
    else:
        _CARRIED.pop(device, None)
    return {k: np.stack(v) for k, v in raw.items()}


def _run_batch(program, rasters, samples, device, stats, progress, first_sample, outputs=None):
    """A batch Program (``fenn.compile(..., batch=True)``): the whole batch in DDR, one run
    of the resident firmware per part that fits (``fenn.firmware``). On N cores the batch
    is cut into N consecutive shards, and the cores run their shards' parts together."""
    from .compiler.ir import seeds_for
    from .firmware import HEADER, Batch
    device.load(program)
    batch = Batch(program)
    outputs = outputs if outputs is not None else _outputs(program, None)
    seeds = seeds_for(program.meta["seed"], samples, first_sample)
    streams = [[_input_stream(program, name[len("input."):], rasters[name[len("input."):]], s)
                 for name in batch.meta["inputs"]] for s in range(samples)]
    bar = _progress(samples, progress, "fenn.run")
    out_bytes = batch.meta["out_bytes"]
    cores = device_cores(device)
    shard = -(-samples // cores)
    # per core, its parts as ranges of sample numbers
    parts = [[range(lo + part.start, lo + part.stop) for part in batch.split(streams[lo:min(lo + shard, samples)])]
             for lo in range(0, samples, shard)]
    per_sample: list = [None] * samples
    for wave in range(max(len(p) for p in parts)):
        running = [(core, p[wave]) for core, p in enumerate(parts) if wave < len(p)]
        outs_of = {}
        for core, part in running:
            blob, table, outs = batch.pack(seeds[part.start:part.stop], streams[part.start:part.stop])
            device.write("ddr", batch.base, blob, **_on(device, core))
            for field, value in (("table", table), ("count", len(part))):
                device.write("dmem", batch.meta["area"] + HEADER[field], np.array([value], dtype="<u4"),
                             **_on(device, core))
            outs_of[core] = outs[0]
        for (core, part), status in zip(running, _run_firmware(device, batch, running)):
            _count(stats, status, "the batch firmware")
            blocks = device.read("ddr", outs_of[core], out_bytes * len(part), **_on(device, core))
            for index, block in enumerate(blocks.reshape(len(part), out_bytes)):
                per_sample[part.start + index] = batch.unpack(block, index)
            if bar is not None:
                bar.update(len(part))
    if bar is not None:
        bar.close()
    raw = {k: [] for k in outputs}
    for counts, recordings in per_sample:
        stats.cycles_per_sample.append(counts["cycles"])
        for key, buffer in outputs.items():
            raw[key].append(_decode(key, buffer, recordings[key]))
    return {k: np.stack(v) for k, v in raw.items()}


def _run_firmware(device, batch, running) -> list:
    """One run of the batch firmware on each running core; a fault names the sample that
    was running on the core that faulted (``MachineFault.sample``)."""
    from .errors import MachineFault
    from .firmware import HEADER
    try:
        return _run_cores(device, [core for core, _ in running])
    except MachineFault as fault:
        core = getattr(fault, "core", None)
        part = dict(running).get(core) if core is not None else running[0][1] if len(running) == 1 else None
        if part is not None:
            index = device.read("dmem", batch.meta["area"] + HEADER["index"], 4, **_on(device, core or 0))
            fault.sample = part.start + int(index.view("<u4")[0])
            fault.args = (f"sample {fault.sample}: {fault.args[0]}",)
        raise


def _lowered(program):
    lowered = getattr(program, "lowered", None)
    if lowered is None:
        why = getattr(program, "lowered_missing", "") or "this Program has no lowered network"
        raise FennError(f"the reference model needs the lowered network: {why}")
    return lowered


def _run_reference(program, rasters, first_sample):
    from .reference import simulate
    currents = program.meta.get("currents", {})
    rasters = {name: current_values(program, name, r) if name in currents else r
               for name, r in _unpacked(rasters).items()}
    result = simulate(_lowered(program), rasters, first_sample=first_sample)
    return result.recordings, result.saturations


def _run_float(program, rasters, batched, stats, outputs):
    from .floatmodel import simulate_float
    net = getattr(program, "network", None)
    if net is None:
        raise FennError("the float backend needs the fenn.Network the program was compiled from "
                        "(program.network, set by fenn.compile); a Program file does not hold it "
                        "(float weights and Python neuron models are not saved), so run the float "
                        "model on the Program fenn.compile returns")
    values = simulate_float(net, _unpacked(rasters), program.meta["timesteps"])
    values = {k: v for k, v in values.items() if k in outputs}
    return Results(values, {}, stats, batched, {})
