"""``fenn.evaluate``: a Program's accuracy on a labelled data set, sharded over processes or
a Dask cluster, with results that do not depend on the sharding.

The samples are cut into contiguous shards; the shard starting at sample ``k`` runs
``fenn.run(program, its samples, first_sample=k)``, so every sample gets the RNG seed it
would get in one unsharded run, and predictions, confusion matrix and cycles are identical
for any number of workers, any shard size and any backend that is bit-exact.

Where shards run:

- ``workers=1, scheduler=None``: in this process;
- ``workers=N``: ``N`` local processes (spawned; the simulator's Numba code comes from its
  on-disk cache, so a worker starts in about a second);
- ``scheduler="tcp://host:port"`` (or a ``distributed.Client``): the workers of a Dask
  distributed cluster (the ``dask`` extra), which receive the Program once, as its file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import FennError

__all__ = ["evaluate", "Evaluation", "EvaluationError", "READOUT_REDUCTIONS", "register"]

#: how a recorded trace (samples, timesteps, neurons) becomes one score per neuron
READOUT_REDUCTIONS = {
    "max": lambda values: values.max(axis=1),
    "mean": lambda values: values.mean(axis=1),
    "sum": lambda values: values.sum(axis=1),
    "last": lambda values: values[:, -1],
}


class EvaluationError(FennError, ValueError):
    """A data set, readout or cluster that evaluate() cannot use.

    Fix: the message says why and what evaluate() expects.
    """


@dataclasses.dataclass
class Evaluation:
    """What :func:`evaluate` measured. ``predictions[i]`` is the class the readout chose for
    sample ``i``; ``scores`` are the per-class readout values it chose from."""
    labels: np.ndarray
    predictions: np.ndarray
    scores: np.ndarray
    cycles_per_sample: np.ndarray
    timesteps: int
    clock_hz: int
    backend: str
    workers: int
    seconds: float

    @property
    def samples(self) -> int:
        return len(self.labels)

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.predictions == self.labels)) if self.samples else float("nan")

    @property
    def classes(self) -> int:
        return int(max(self.scores.shape[1], self.labels.max(initial=-1) + 1))

    @property
    def confusion(self) -> np.ndarray:
        """``confusion[true, predicted]`` sample counts."""
        from .plot import confusion_matrix            # numpy only: matplotlib is not imported
        return confusion_matrix(self.labels, self.predictions, self.classes)

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.seconds if self.seconds > 0 else float("inf")

    @property
    def cycles_per_timestep(self) -> float:
        return float(self.cycles_per_sample.mean()) / self.timesteps if self.samples else float("nan")

    @property
    def board_seconds_per_sample(self) -> float:
        """Time one sample takes on one FeNN core at the SoC's clock."""
        return float(self.cycles_per_sample.mean()) / self.clock_hz if self.samples else float("nan")

    def summary(self) -> str:
        return (f"{self.samples} samples on {self.backend} ({self.workers} worker"
                f"{'s' * (self.workers != 1)}): accuracy {100 * self.accuracy:.2f} %, "
                f"{self.cycles_per_timestep:.1f} cycles per timestep "
                f"({1e3 * self.board_seconds_per_sample:.2f} ms per sample on one core at "
                f"{self.clock_hz / 1e6:.0f} MHz); {self.samples_per_second:.1f} samples/s here")

    def save(self, path) -> None:
        """An ``.npz`` that ``fenn plot`` (its confusion matrix) and numpy read: labels,
        predicted, scores, confusion, cycles_per_sample."""
        from .plot import save_results
        save_results(path, {}, labels=self.labels, predicted=self.predictions,
                     scores=self.scores, confusion=self.confusion,
                     cycles_per_sample=self.cycles_per_sample)


def evaluate(program, dataset, labels=None, *, backend: str = "sim", workers: int = 1,
             scheduler=None, readout=None, shard_size: int | None = None,
             progress: bool | None = None, check: bool = False) -> Evaluation:
    """Run ``program`` on every sample of ``dataset`` and compare the readout with the labels.

    ``dataset``: a data set split (``fenn.datasets``: anything with ``labels`` and
    ``batch(indices)``), an SHD-format HDF5 path, a :class:`fenn.inputs.SpikeBatch` with
    labels, or inputs as ``fenn.run`` takes them together with ``labels``.
    ``readout``: the recording whose per-neuron score picks the class — a key such as
    ``"output.v"``, ``(key, "max" | "mean" | "sum" | "last")`` for traces, or a function of
    :class:`fenn.runtime.Results` returning scores (samples, classes); default: the last
    recording of the network (spike recordings are counted, traces reduced by max).
    ``workers``: how many local processes, or a ``concurrent.futures`` process pool to reuse
    across calls (its workers keep the Program loaded); ``scheduler``: a Dask scheduler
    address or Client.
    """
    from .program import Program
    if not isinstance(program, Program):
        program = Program.load(program)
    executor = _is_executor(workers)
    if not executor and workers < 1:
        raise EvaluationError(f"workers must be at least 1, got {workers}")
    source = _Source.of(program, dataset, labels)
    readout = _readout(program, readout)
    if len(source) == 0:
        raise EvaluationError("the data set has no samples")
    parallel = _pool_size(workers) if executor else workers
    if scheduler is not None:
        parallel = _cluster_size(scheduler)
    shards = _shards(len(source), parallel, shard_size)
    job = _Job(backend, readout, check)
    started = time.perf_counter()
    if scheduler is not None:
        done = _on_dask(program, source, shards, job, scheduler, progress)
    elif not executor and workers == 1:
        done = _in_process(program, source, shards, job, progress)
    else:
        done = _on_processes(program, source, shards, job, workers, progress)
    seconds = time.perf_counter() - started
    scores = np.concatenate([done[start][0] for start, _ in shards])
    cycles = np.concatenate([done[start][1] for start, _ in shards])
    return Evaluation(labels=source.labels, predictions=scores.argmax(axis=1), scores=scores,
                      cycles_per_sample=cycles, timesteps=program.meta["timesteps"],
                      clock_hz=program.soc.clock_hz, backend=backend,
                      workers=parallel, seconds=seconds)


def _shards(samples: int, parallel: int, size: int | None = None) -> list[tuple[int, int]]:
    """Contiguous (start, stop) sample ranges: ``size`` samples each, or by default a quarter
    of what is left per worker (at most 64, at least 4), so shards shrink towards the end
    and no worker waits long on the last one while the others are idle."""
    shards, start = [], 0
    while start < samples:
        n = size or max(4, min(64, -(-(samples - start) // (4 * parallel))))
        shards.append((start, min(start + n, samples)))
        start += n
    return shards


# ----------------------------------------------------------------------- the data

class _Source:
    """The samples and labels of a data set, handed out shard by shard as packed rasters
    (:class:`fenn.streams.PackedRasters`: 8× smaller to ship to a worker than bool arrays,
    and encoded there without unpacking)."""

    def __init__(self, labels: np.ndarray, take: Callable[[int, int], object], program,
                 file: "_FileShard | None" = None):
        self.labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        self._take, self._program, self._file = take, program, file

    def __len__(self) -> int:
        return len(self.labels)

    def rasters(self, start: int, stop: int) -> dict:
        """Samples ``start`` to ``stop`` as ``fenn.run`` takes them (spike rasters, or the
        real values of current inputs)."""
        from .runtime import _batches
        rasters, _, samples = _batches(self._program, self._take(start, stop))
        if samples != stop - start:
            raise EvaluationError(f"samples {start}..{stop - 1} of the data set gave {samples} "
                                  f"samples")
        return rasters

    def shard(self, start: int, stop: int, local: bool = False):
        """The same, spikes packed to travel to a worker process; on this machine
        (``local``), a file's samples as what to read, which the worker reads itself."""
        if local and self._file is not None:
            return dataclasses.replace(self._file, start=start, stop=stop)
        from .streams import PackedRasters
        return {name: PackedRasters.pack(r) if r.dtype == bool else r   # currents as they are
                for name, r in self.rasters(start, stop).items()}

    @classmethod
    def of(cls, program, dataset, labels) -> "_Source":
        if isinstance(dataset, (str, Path)):
            return cls._shd_file(program, Path(dataset), labels)
        if labels is None and hasattr(dataset, "batch") and hasattr(dataset, "labels"):
            return cls(dataset.labels, lambda a, b: dataset.batch(range(a, b)), program)
        if labels is None:
            labels = getattr(dataset, "labels", None)
        if labels is None:
            raise EvaluationError("evaluate() needs labels: pass a data set split "
                                  "(fenn.datasets), a SpikeBatch with labels, or labels=...")
        from .runtime import _batches
        rasters, _, samples = _batches(program, dataset)
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != samples:
            raise EvaluationError(f"{samples} input samples but {len(labels)} labels")
        return cls(labels, lambda a, b: {k: r[a:b] for k, r in rasters.items()}, program)

    @classmethod
    def _shd_file(cls, program, path: Path, labels) -> "_Source":
        from .inputs import SHDFile
        if len(program.meta["inputs"]) != 1:
            raise EvaluationError(f"{path}: an SHD file feeds one input, but the network has "
                                  f"{sorted(program.meta['inputs'])}")
        (n_units,) = program.meta["inputs"].values()
        file = SHDFile(path, n_units=n_units)
        dt, T = program.meta.get("dt", 1.0), program.meta["timesteps"]
        (name,) = program.meta["inputs"]
        return cls(file.labels if labels is None else labels,
                   lambda a, b: file.batch(range(a, b), dt=dt, timesteps=T), program,
                   _FileShard(str(path.resolve()), name, n_units, dt, T, 0, 0))


@dataclasses.dataclass(frozen=True)
class _FileShard:
    """Samples ``start`` to ``stop`` of an SHD-format file, for the worker that runs them
    to read (the parent sends a path and two numbers, not the spikes)."""
    path: str
    name: str
    n_units: int
    dt: float
    timesteps: int
    start: int
    stop: int

    def read(self) -> dict:
        batch = _shd_file(self.path, self.n_units).batch(range(self.start, self.stop),
                                                          dt=self.dt, timesteps=self.timesteps)
        return {self.name: batch.rasters}


_SHD_FILES: dict = {}


def _shd_file(path: str, n_units: int):
    """An SHD file opened once per worker (again if it changed on disk)."""
    from .inputs import SHDFile
    stat = Path(path).stat()
    key = (path, n_units, stat.st_mtime_ns, stat.st_size)
    if key not in _SHD_FILES:
        for old in [k for k in _SHD_FILES if k[0] == path]:
            _SHD_FILES.pop(old).close()
        _SHD_FILES[key] = SHDFile(path, n_units=n_units)
    return _SHD_FILES[key]


# ----------------------------------------------------------------------- the readout

def _readout(program, readout):
    """A picklable description of the readout: a function, or (key, reduction)."""
    if callable(readout):
        return readout
    outputs = [k for k, b in program.io.items()
               if b.role == "output" and b.meta.get("kind") not in (None, "profile")]
    if not outputs:
        raise EvaluationError("the network records nothing to read a class from; record the "
                              "output layer (net.record(out.v, reduce='max') or out.spikes)")
    key, how = (readout, None) if not isinstance(readout, tuple) else readout
    key = key or _last_layer(program, outputs)
    if key not in outputs:
        raise EvaluationError(f"readout {key!r} is not recorded; recorded: {outputs}")
    kind = program.io[key].meta["kind"]
    if kind in ("trace", "spikes"):
        how = how or ("sum" if kind == "spikes" else "max")
        if how not in READOUT_REDUCTIONS:
            raise EvaluationError(f"readout reduction {how!r}: choose one of "
                                  f"{sorted(READOUT_REDUCTIONS)}")
    elif how is not None:
        raise EvaluationError(f"{key!r} is already reduced over time ({kind}); pass the key alone")
    return (key, how)


def _last_layer(program, outputs: list[str]) -> str:
    """The recording of the population created last (the output layer, as networks are
    written input to output); its state before its spikes."""
    order = list(program.meta.get("populations", ()))
    def rank(key):
        name, variable = key.rsplit(".", 1)
        return (order.index(name) if name in order else -1, variable != "spikes")
    return max(outputs, key=rank)


def _scores(results, readout) -> np.ndarray:
    if callable(readout):
        return np.asarray(readout(results), dtype=np.float64)
    key, how = readout
    values = np.asarray(results[key], dtype=np.float64)
    return READOUT_REDUCTIONS[how](values) if how else values


# ----------------------------------------------------------------------- running shards

@dataclasses.dataclass(frozen=True)
class _Job:
    backend: str
    readout: object
    check: bool


def run_shard(program, shard: dict, start: int, job: _Job):
    """One shard on one worker: (scores, cycles per sample). ``program`` is a Program, the
    bytes of its file (Dask) or the path of its file (local processes). Public so that
    Dask can pickle it by name."""
    if not hasattr(program, "io"):
        program = _loaded(program)
    if isinstance(shard, _FileShard):
        shard = shard.read()
    return _run_rasters(program, shard, start, job)


def _run_rasters(program, rasters: dict, start: int, job: _Job):
    from .runtime import run
    # only what the scores need, unless check=True compares every recording
    read = None if callable(job.readout) or job.check else [job.readout[0]]
    results = run(program, rasters, backend=job.backend, first_sample=start, progress=False,
                  check=job.check, device=_device(program, job.backend), read=read)
    scores = _scores(results, job.readout)
    if scores.ndim != 2 or scores.shape[0] != results.stats.samples:
        raise EvaluationError(f"the readout gave scores of shape {scores.shape}; it must give "
                              f"(samples, classes) = ({results.stats.samples}, ...)")
    return scores, np.asarray(results.stats.cycles_per_sample, dtype=np.int64)


_PROGRAMS: dict[object, object] = {}
_DEVICES: dict[int, object] = {}


def _device(program, backend: str):
    """One simulator per Program in this process, reused by every shard (opening one
    allocates the SoC's memories, DDR included); other backends open their own."""
    if backend != "sim":
        return None
    if id(program) not in _DEVICES:
        from .device import open_device
        _DEVICES.clear()                          # one Program at a time: free the last one
        _DEVICES[id(program)] = (program, open_device("sim", soc=program.soc))
    return _DEVICES[id(program)][1]


def _loaded(source: bytes | str):
    """The Program saved in ``source`` (file bytes or a path), loaded once per worker."""
    from .program import Program
    key = hashlib.sha256(source).hexdigest() if isinstance(source, bytes) else source
    if key not in _PROGRAMS:
        while len(_PROGRAMS) >= 4:                     # the few Programs used last
            _PROGRAMS.pop(next(iter(_PROGRAMS)))
        if isinstance(source, bytes):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "program.npz"
                path.write_bytes(source)
                _PROGRAMS[key] = Program.load(path)
        else:
            _PROGRAMS[key] = Program.load(source)
    return _PROGRAMS[key]


def _as_bytes(program) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "program.npz"
        program.save(path)
        return path.read_bytes()


def _bar(total: int, progress):
    from .runtime import _progress
    return _progress(total, progress, "fenn.evaluate")


def _in_process(program, source, shards, job, progress) -> dict:
    done, bar = {}, _bar(len(source), progress)
    for start, stop in shards:
        done[start] = _run_rasters(program, source.rasters(start, stop), start, job)
        if bar is not None:
            bar.update(stop - start)
    if bar is not None:
        bar.close()
    return done


def _on_processes(program, source, shards, job, workers, progress) -> dict:
    import concurrent.futures
    import multiprocessing
    done, bar = {}, _bar(len(source), progress)
    path = _saved(program)
    pool = workers if isinstance(workers, concurrent.futures.Executor) else \
        concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        # at most two shards in flight per worker: the data set is never all in memory
        pending, limit = {}, 2 * _pool_size(pool)
        for start, stop in shards:
            future = pool.submit(run_shard, path, source.shard(start, stop, local=True), start, job)
            pending[future] = (start, stop)
            if len(pending) >= limit:
                _collect(pending, done, bar)
        while pending:
            _collect(pending, done, bar)
    finally:
        if pool is not workers:
            pool.shutdown()
    if bar is not None:
        bar.close()
    return done


_SAVED: dict[int, str] = {}
_FOLDER: list = []
_NUMBERS = itertools.count()


def _saved(program) -> str:
    """The file of ``program``, saved once per Program in a temporary folder of this process
    (the file goes with the Program): a worker loads a Program once per path, so a reused
    pool loads it once, not once per call."""
    path = _SAVED.get(id(program))
    if path is None:
        if not _FOLDER:
            _FOLDER.append(tempfile.TemporaryDirectory(prefix="fenn-evaluate-"))
        path = str(Path(_FOLDER[0].name) / f"program-{next(_NUMBERS)}.npz")   # never reused
        program.save(path)
        _SAVED[id(program)] = path
        weakref.finalize(program, _forget, id(program), path)
    return path


def _forget(key: int, path: str) -> None:
    _SAVED.pop(key, None)
    Path(path).unlink(missing_ok=True)


def _pool_size(pool) -> int:
    return getattr(pool, "_max_workers", 1)


def _is_executor(workers) -> bool:
    import concurrent.futures
    return isinstance(workers, concurrent.futures.Executor)


def _collect(pending: dict, done: dict, bar) -> None:
    import concurrent.futures
    finished, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
    for future in finished:
        start, stop = pending.pop(future)
        done[start] = future.result()
        if bar is not None:
            bar.update(stop - start)


def _client(scheduler):
    try:
        from distributed import Client
    except ImportError as error:
        raise EvaluationError(f"scheduler= needs Dask distributed ({error}); install it with "
                              f"pip install 'fenn[dask]'") from None
    if isinstance(scheduler, Client):
        return scheduler, False
    if not isinstance(scheduler, str):
        raise EvaluationError(f"scheduler must be an address such as 'tcp://host:8786' or a "
                              f"distributed.Client, got {scheduler!r}")
    try:
        return Client(scheduler, timeout="30s"), True
    except OSError as error:
        raise EvaluationError(f"cannot reach the Dask scheduler at {scheduler}: {error}; start "
                              f"one with `dask scheduler` and workers with `dask worker "
                              f"{scheduler}`") from None


def _cluster_size(scheduler) -> int:
    client, owned = _client(scheduler)
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    finally:
        if owned:
            client.close()


def _on_dask(program, source, shards, job, scheduler, progress) -> dict:
    from distributed import as_completed
    client, owned = _client(scheduler)
    try:
        data = client.scatter(_as_bytes(program), broadcast=True)
        futures = {client.submit(run_shard, data, source.shard(a, b), a, job, pure=False): (a, b)
                   for a, b in shards}
        done, bar = {}, _bar(len(source), progress)
        for future in as_completed(futures):
            start, stop = futures[future]
            done[start] = future.result()
            if bar is not None:
                bar.update(stop - start)
        if bar is not None:
            bar.close()
        return done
    finally:
        if owned:
            client.close()


# ----------------------------------------------------------------------- command line

def register(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="accuracy of a Program on a labelled data set (sharded over processes "
                         "or a Dask cluster)",
        description="Run a Program on every sample of a labelled data set and print accuracy, "
                    "confusion matrix and cycles. DATA is an SHD-format HDF5 file or an .npz "
                    "with arrays `inputs` (samples, timesteps, units) and `labels`.",
        epilog="example: fenn evaluate shd.npz shd_test.h5 --workers 2 --save results.npz")
    p.add_argument("program", help="Program .npz (from fenn compile or Program.save)")
    p.add_argument("data", help="SHD-format .h5, or .npz with `inputs` and `labels`")
    p.add_argument("--backend", default="sim", help="sim (default), rtl, pynq or reference")
    p.add_argument("--workers", type=int, default=1, help="local processes (default 1)")
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--readout", help="recording to read the class from, e.g. output.v or "
                                     "output.v:max (default: the last recording)")
    p.add_argument("--save", metavar="OUT.npz", help="write labels, predictions, scores, confusion")
    p.set_defaults(func=_evaluate_command)


def _evaluate_command(args) -> int:
    from .cli import existing_file, load_program
    program = load_program(Path(args.program))
    data = existing_file(Path(args.data))
    dataset, labels = data, None
    if data.suffix == ".npz":
        with np.load(data) as arrays:
            if "inputs" not in arrays or "labels" not in arrays:
                raise EvaluationError(f"{data}: an .npz data set needs arrays `inputs` and "
                                      f"`labels`; it has {sorted(arrays.files)}")
            dataset, labels = arrays["inputs"], arrays["labels"]
    readout = tuple(args.readout.split(":", 1)) if args.readout and ":" in args.readout \
        else args.readout
    result = evaluate(program, dataset, labels, backend=args.backend, workers=args.workers,
                      scheduler=args.scheduler, readout=readout, progress=sys.stderr.isatty())
    print(result.summary())
    print("confusion matrix (rows: true class, columns: predicted):")
    print(_matrix(result.confusion))
    if args.save:
        result.save(args.save)
        print(f"wrote {args.save}", file=sys.stderr)
    return 0


def _matrix(matrix: np.ndarray) -> str:
    width = max(3, len(str(matrix.max(initial=0))) + 1)
    head = " " * 4 + "".join(f"{c:>{width}}" for c in range(matrix.shape[1]))
    rows = [f"{r:>3} " + "".join(f"{v:>{width}}" for v in row) for r, row in enumerate(matrix)]
    return "\n".join([head, *rows])
