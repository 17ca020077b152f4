"""The integer reference model: what a compiled network must produce, bit for bit.

It works at the network level (no instructions): per timestep it delivers spikes by adding
quantised weights into saturating 16-bit accumulators in the order the program does
(connection order, then pre index order / input event order, then post index), then runs
each population's lowered update (:mod:`fenn.compiler.lower`) lane by lane, drawing
stochastic-rounding bits from per-lane xoroshiro32++ generators exactly as the FeNN vector
unit does (one draw per lane for every ``_rs`` operation, padding lanes included).

The simulation function is generated as Python source from the lowered network and
compiled with Numba (``parallel=True``: samples run in a ``prange``), so a new neuron model
needs no change here. Generated functions are cached per network structure.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import os
import sys
import textwrap
from pathlib import Path

import numpy as np

from .progress import note

__all__ = ["simulate", "ReferenceResult", "reference_source", "events_csr"]

_CACHE: dict[str, object] = {}


@dataclasses.dataclass
class ReferenceResult:
    """Recordings (integer, as the device stores them) and saturation counts per population."""
    recordings: dict[str, np.ndarray]
    saturations: dict[str, np.ndarray]      # population -> (samples,) count of clamped results


def events_csr(rasters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bool (S, T, N) rasters -> (ptr (S, T+1) int64 absolute offsets, units int32) with
    units ascending within each timestep (the order the program delivers them)."""
    s_idx, t_idx, u_idx = np.nonzero(rasters)          # C order: sample, time, unit ascending
    S, T, _ = rasters.shape
    counts = np.zeros(S * T, dtype=np.int64)
    np.add.at(counts, s_idx * T + t_idx, 1)
    flat = np.concatenate([[0], np.cumsum(counts)])
    ptr = np.empty((S, T + 1), dtype=np.int64)
    for s in range(S):
        ptr[s] = flat[s * T: s * T + T + 1]
    return ptr, u_idx.astype(np.int32)


def _rec_shape(rec, pop, samples, timesteps):
    if rec.variable == "spikes":
        return (samples, timesteps, pop.size), np.bool_
    if rec.reduce is None:
        return (samples, timesteps, pop.size), np.int16
    if rec.reduce == "mean":
        return (samples, pop.size), np.int64
    return (samples, pop.size), np.int16


def _op_code(op, pop_name: str, sat: str) -> list[str]:
    """One lane operation as Numba-compilable Python (the lane semantics of isa.md)."""
    d = f"x{op.dst}"
    a = [f"x{i}" for i in op.args]
    m = [f"m{i}" for i in op.args]
    clamp = [f"if {d} > 32767:", f"    {d} = 32767", f"    {sat} += 1",
             f"elif {d} < -32768:", f"    {d} = -32768", f"    {sat} += 1"]
    if op.op == "load":
        return [f"{d} = st_{pop_name}_{op.name}[n]"]
    if op.op == "input":
        return [f"{d} = acc_{pop_name}[slot_{pop_name}, n]"]
    if op.op == "const":
        return [f"{d} = {op.value}"]
    if op.op in ("add", "sub"):
        sign = "+" if op.op == "add" else "-"
        return [f"{d} = {a[0]} {sign} {a[1]}", *clamp]
    if op.op in ("mul", "srai"):
        p = f"{a[0]} * {a[1]}" if op.op == "mul" else a[0]
        lines = [f"{d} = {p}"]
        if op.rnd == "_rn" and op.shift:
            lines.append(f"{d} = ({d} + {1 << (op.shift - 1)}) >> {op.shift}")
        elif op.rnd == "_rs":
            lines += [f"r = _draw(s0, s1, lane)", f"{d} = ({d} + (r & {(1 << op.shift) - 1})) >> {op.shift}"]
        elif op.shift:
            lines.append(f"{d} = {d} >> {op.shift}")
        if op.op == "mul":
            lines += clamp
        else:   # vsrai never saturates; its result always fits
            lines.append(f"{d} = ((({d}) + 32768) & 65535) - 32768")
        return lines
    if op.op == "cmp":
        rel = {"vtge": ">=", "vtlt": "<", "vteq": "==", "vtne": "!="}[op.cond]
        return [f"m{op.dst} = {a[0]} {rel} {a[1]}"]
    if op.op == "mand":
        return [f"m{op.dst} = {m[0]} and {m[1]}"]
    if op.op == "mor":
        return [f"m{op.dst} = {m[0]} or {m[1]}"]
    if op.op == "mnot":
        return [f"m{op.dst} = not {m[0]}"]
    if op.op == "mconst":
        return [f"m{op.dst} = {bool(op.value)}"]
    if op.op == "select":
        return [f"{d} = {a[1]} if m{op.args[0]} else {a[2]}"]
    raise ValueError(f"reference model: unknown lane operation {op.op!r}")


def reference_source(ln) -> tuple[str, list[str]]:
    """Python source of the simulation module for ``ln`` (a compiled helper per connection
    and per population, called by a sample-parallel driver) and the driver's arguments.
    Small functions keep Numba's compile time down."""
    args = ["T", "seeds"]
    body: list[str] = []
    w = body.append
    for name, _ in ln.inputs:
        args += [f"cur_{name}"] if name in ln.currents else [f"ptr_{name}", f"units_{name}"]
    for ci, c in enumerate(ln.conns):
        if c.kind == "dense":
            args.append(f"W{ci}")
        else:
            args += [f"Sptr{ci}", f"Spost{ci}", f"Sw{ci}"]
        if c.delays is not None:
            args.append(f"D{ci}")
    for ri, _ in enumerate(ln.recs):
        args.append(f"R{ri}")
    for p in ln.pops:
        args += [_init_arg(p, slot) for slot in p.slots if isinstance(p.init[slot], np.ndarray)]
    args.append("sat")

    w("S = seeds.shape[0]")
    w("for b in prange(S):")
    inner: list[str] = []
    i = inner.append
    i("s0 = seeds[b, 0].astype(np.int64)")
    i("s1 = seeds[b, 1].astype(np.int64)")
    for pi, p in enumerate(ln.pops):
        for var in p.slots:
            if isinstance(p.init[var], np.ndarray):     # per-neuron start (or parameter)
                i(f"st_{p.name}_{var} = {_init_arg(p, var)}.astype(np.int64)")
            else:
                i(f"st_{p.name}_{var} = np.full({p.npad}, {p.init[var]}, np.int64)")
        i(f"acc_{p.name} = np.zeros(({max(p.ring_slots, 1)}, {p.npad}), np.int64)")
        i(f"nsat_{pi} = 0")
        if p.spiking:
            i(f"prev_{p.name} = np.zeros({p.npad}, np.bool_)")
            i(f"cur_{p.name} = np.zeros({p.npad}, np.bool_)")
        for ri, r in enumerate(ln.recs):
            if r.pop == p.name and r.reduce == "mean":
                i(f"lo{ri} = np.zeros({p.npad}, np.int64)")
                i(f"hi{ri} = np.zeros({p.npad}, np.int64)")
            if r.pop == p.name and r.reduce == "max":
                i(f"mx{ri} = np.full({p.npad}, -32768, np.int64)")
    i("for t in range(T):")
    step: list[str] = []
    s = step.append
    pidx = {p.name: k for k, p in enumerate(ln.pops)}
    for p in ln.pops:
        mask = max(p.ring_slots, 1) - 1
        s(f"slot_{p.name} = t & {mask}")
    helpers: list[str] = []
    decorator = "@njit(cache=True, error_model='numpy')"
    # ---- propagation, in connection order: one compiled helper per connection
    for ci, c in enumerate(ln.conns):
        post = ln.pop(c.post)
        mask = max(post.ring_slots, 1) - 1
        weights = f"W{ci}" if c.kind == "dense" else f"Sptr{ci}, Spost{ci}, Sw{ci}"
        if c.pre in ln.currents:
            helpers.append(_current_helper(ci, c, post, ln.currents[c.pre].frac, decorator))
            s(f"nsat_{pidx[c.post]} += _prop{ci}(acc_{c.post}, slot_{c.post}, cur_{c.pre}[b, t], W{ci})")
            continue
        delays = f", D{ci}" if c.delays is not None else ""
        spikes = "units, start, stop" if c.pre_is_input else "prev"
        h = [decorator, f"def _prop{ci}(acc, t, slot, {spikes}, {weights}{delays}):", "    nsat = 0"]
        if c.pre_is_input:
            h += ["    for e in range(start, stop):", "        j = units[e]"]
        else:
            h += [f"    for j in range({c.pre_size}):", "        if not prev[j]:", "            continue"]
        if c.kind == "dense":
            h.append(f"        for k in range({post.npad}):")
            slot = f"(t + D{ci}[j, k]) & {mask}" if c.delays is not None else "slot"
            h += [f"            q = {slot}", f"            x = acc[q, k] + W{ci}[j, k]"]
        else:
            h += [f"        for y in range(Sptr{ci}[j], Sptr{ci}[j + 1]):", f"            k = Spost{ci}[y]"]
            slot = f"(t + D{ci}[y]) & {mask}" if c.delays is not None else "slot"
            h += [f"            q = {slot}", f"            x = acc[q, k] + Sw{ci}[y]"]
        h += ["            if x > 32767:", "                x = 32767", "                nsat += 1",
              "            elif x < -32768:", "                x = -32768", "                nsat += 1",
              "            acc[q, k] = x", "    return nsat"]
        helpers.append("\n".join(h))
        call_spikes = (f"units_{c.pre}, ptr_{c.pre}[b, t], ptr_{c.pre}[b, t + 1]" if c.pre_is_input
                       else f"prev_{c.pre}")
        call_delays = f", D{ci}" if c.delays is not None else ""
        s(f"nsat_{pidx[c.post]} += _prop{ci}(acc_{c.post}, t, slot_{c.post}, {call_spikes}, "
          f"{weights}{call_delays})")
    # ---- neuron updates, population order, 32-lane chunks in order: one helper each
    for pi, p in enumerate(ln.pops):
        states = ", ".join(f"st_{p.name}_{v}" for v in p.slots)
        cur = f", cur_{p.name}" if p.spiking else ""
        h = [decorator, f"def _upd{pi}({states}, acc_{p.name}, slot_{p.name}, s0, s1{cur}):",
             f"    nsat_{pi} = 0", f"    for n in range({p.npad}):", "        lane = n & 31"]
        for op in p.kernel.ops:
            h += ["        " + line for line in _op_code(op, p.name, f"nsat_{pi}")]
        for var, vid in p.kernel.stores.items():
            h.append(f"        st_{p.name}_{var}[n] = x{vid}")
        h.append(f"        acc_{p.name}[slot_{p.name}, n] = 0")
        if p.spiking:
            h.append(f"        cur_{p.name}[n] = m{p.kernel.spike} and n < {p.size}")
        h.append(f"    return nsat_{pi}")
        helpers.append("\n".join(h))
        s(f"nsat_{pi} += _upd{pi}({states}, acc_{p.name}, slot_{p.name}, s0, s1{cur})")
    # ---- recordings after all updates
    for ri, r in enumerate(ln.recs):
        p = ln.pop(r.pop)
        if r.variable == "spikes":
            s(f"R{ri}[b, t, :] = cur_{p.name}[:{p.size}]")
        elif r.reduce is None:
            s(f"for n in range({p.size}):")
            s(f"    R{ri}[b, t, n] = st_{p.name}_{r.variable}[n]")
        elif r.reduce == "mean":
            s(f"for n in range({p.npad}):")
            s(f"    v = st_{p.name}_{r.variable}[n]")
            s(f"    lo{ri}[n] += v & 255")
            s(f"    c = lo{ri}[n] >> 8")
            s(f"    lo{ri}[n] &= 255")
            s(f"    h = hi{ri}[n] + (v >> 8)")
            s(f"    h = 32767 if h > 32767 else (-32768 if h < -32768 else h)")
            s(f"    h = h + c")
            s(f"    hi{ri}[n] = 32767 if h > 32767 else (-32768 if h < -32768 else h)")
        elif r.reduce == "max":
            s(f"for n in range({p.npad}):")
            s(f"    if st_{p.name}_{r.variable}[n] > mx{ri}[n]:")
            s(f"        mx{ri}[n] = st_{p.name}_{r.variable}[n]")
    for p in ln.pops:
        if p.spiking:
            s(f"prev_{p.name}[:] = cur_{p.name}")
    inner += ["    " + line for line in step]
    for ri, r in enumerate(ln.recs):
        if r.reduce == "mean":
            i(f"for n in range({ln.pop(r.pop).size}):")
            i(f"    R{ri}[b, n] = hi{ri}[n] * 256 + lo{ri}[n]")
        elif r.reduce == "max":
            i(f"for n in range({ln.pop(r.pop).size}):")
            i(f"    R{ri}[b, n] = mx{ri}[n]")
        elif r.reduce == "last":
            i(f"for n in range({ln.pop(r.pop).size}):")
            i(f"    R{ri}[b, n] = st_{r.pop}_{r.variable}[n]")
    for pi, _ in enumerate(ln.pops):
        i(f"sat[b, {pi}] = nsat_{pi}")
    body += ["    " + line for line in inner]
    driver = (f"@njit(parallel=True, cache=True, error_model='numpy')\n"
              f"def _simulate({', '.join(args)}):\n" + textwrap.indent("\n".join(body), "    ") + "\n")
    return "\n\n\n".join(helpers + [driver]), args


def _current_helper(ci: int, c, post, shift: int, decorator: str) -> str:
    """A current input's propagation: acc += round(W[j] * x[j] >> shift) per channel in
    order, the product saturated (``vmul_s[_rn]``), then the saturating add."""
    rnd = f"            p = (p + {1 << (shift - 1)}) >> {shift}" if shift else "            p = p"
    return "\n".join([
        decorator, f"def _prop{ci}(acc, slot, x, W{ci}):", "    nsat = 0",
        f"    for j in range({c.pre_size}):", "        v = np.int64(x[j])", "        if v == 0:",
        "            continue", f"        for k in range({post.npad}):",
        f"            p = np.int64(W{ci}[j, k]) * v", rnd,
        "            if p > 32767:", "                p = 32767", "                nsat += 1",
        "            elif p < -32768:", "                p = -32768", "                nsat += 1",
        "            y = acc[slot, k] + p",
        "            if y > 32767:", "                y = 32767", "                nsat += 1",
        "            elif y < -32768:", "                y = -32768", "                nsat += 1",
        "            acc[slot, k] = y", "    return nsat"])


def _init_arg(p, slot: str) -> str:
    """Driver argument holding a slot's per-neuron start values."""
    return f"init_{p.name}_{slot}"


def _cache_dir() -> Path:
    root = os.environ.get("FENN_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "fenn")
    path = Path(root) / "reference"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _compile(ln):
    """The compiled simulation function: generated source written to a cache file so
    that Numba's on-disk cache serves the next process (compiling takes seconds)."""
    source, args = reference_source(ln)
    key = hashlib.sha256(source.encode()).hexdigest()[:20]
    if key not in _CACHE:
        module_text = (
            "# generated by fenn.reference; do not edit\n"
            "import numpy as np\n"
            "from numba import njit, prange\n"
            "from fenn.lanerng import draw as _draw\n\n\n" + source)
        path = _cache_dir() / f"ref_{key}.py"
        if not path.exists() or path.read_text() != module_text:
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(module_text)
            os.replace(temporary, path)
        if not any((path.parent / "__pycache__").glob(f"{path.stem}.*.nbi")):
            note("compiling the reference model of this network with Numba (seconds; "
                 "cached for the next run)")
        spec = importlib.util.spec_from_file_location(f"fenn_ref_{key}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module        # Numba's cache re-imports it by name
        spec.loader.exec_module(module)
        _CACHE[key] = module._simulate
    return _CACHE[key], args


def simulate(ln, inputs: dict, seeds: np.ndarray | None = None,
             first_sample: int = 0) -> ReferenceResult:
    """Run the reference model on bool rasters ``inputs[name]`` of shape (S, T, N), or
    on event lists ``inputs[name] = (ptr, units)`` as :func:`events_csr` makes them
    (``ptr`` (S, T+1) offsets, units ascending per timestep): no raster needed. A current
    input takes its int16 values (S, T, N) in its format (``ln.currents``).

    ``seeds`` (S, 2, 32) are the per-sample RNG states; by default those the runtime loads
    for samples ``first_sample...`` (see :func:`fenn.compiler.ir.seeds_for`).
    """
    from .compiler.ir import seeds_for
    names = [name for name, _ in ln.inputs]
    missing = set(names) - set(inputs)
    if missing:
        raise ValueError(f"missing inputs {sorted(missing)}; the network has inputs {names}")
    events, currents = {}, {}
    for name in names:
        value = inputs[name]
        if name in ln.currents:          # int16 (S, T, N) values in the input's format
            currents[name] = np.asarray(value, dtype=np.int16)
            continue
        if isinstance(value, tuple):
            ptr, units = value
            events[name] = (np.asarray(ptr, dtype=np.int64), np.asarray(units, dtype=np.int32))
        else:
            events[name] = events_csr(np.asarray(value, dtype=bool))
    counts = {**{k: v[0].shape[0] for k, v in events.items()},
              **{k: v.shape[0] for k, v in currents.items()}}
    samples = set(counts.values()) or {1}
    if len(samples) != 1:
        raise ValueError(f"inputs have different numbers of samples: {counts}")
    S = samples.pop()
    if seeds is None:
        seeds = seeds_for(ln.seed, S, first_sample)
    function, arg_names = _compile(ln)
    values = {"T": ln.timesteps, "seeds": np.asarray(seeds)}
    for name in names:
        if name in currents:
            values[f"cur_{name}"] = currents[name]
        else:
            values[f"ptr_{name}"], values[f"units_{name}"] = events[name]
    for ci, c in enumerate(ln.conns):
        if c.kind == "dense":
            values[f"W{ci}"] = c.weights
        else:
            pre, post, w = c.sparse
            ptr = np.zeros(c.pre_size + 1, dtype=np.int64)
            np.add.at(ptr, pre + 1, 1)
            values[f"Sptr{ci}"], values[f"Spost{ci}"], values[f"Sw{ci}"] = np.cumsum(ptr), post, w
        if c.delays is not None:
            values[f"D{ci}"] = c.delays
    outputs = {}
    for ri, r in enumerate(ln.recs):
        shape, dtype = _rec_shape(r, ln.pop(r.pop), S, ln.timesteps)
        values[f"R{ri}"] = outputs[r.key] = np.zeros(shape, dtype=dtype)
    for p in ln.pops:
        for slot in p.slots:
            if isinstance(p.init[slot], np.ndarray):
                values[_init_arg(p, slot)] = np.asarray(p.init[slot], dtype=np.int16)
    values["sat"] = sat = np.zeros((S, len(ln.pops)), dtype=np.int64)
    function(*(values[a] for a in arg_names))
    return ReferenceResult(outputs, {p.name: sat[:, k] for k, p in enumerate(ln.pops)})
