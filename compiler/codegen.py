"""From a lowered network to a FeNN Program: memory plan, kernels, time loop, host I/O.

Program structure::

    prologue   load the sample's RNG seed, initialise state, zero accumulators and rows
               (or, when the host set the carry flag, keep them and resume the time)
    step:      propagation  (per target population: every incoming connection)
               updates      (per population: its lowered update, chunk by chunk)
               bookkeeping  (advance input-event and spike-row pointers, t += 1)
    ecall

Input spikes arrive as a halfword stream per input in DMEM (per timestep: a count, then
the spiking units in ascending order); spike bitfields live in DMEM (one 32-bit word per
32 neurons per timestep); state, weights and recordings of state live in VMEM.
"""

from __future__ import annotations

import numpy as np

from .. import firmware
from ..errors import CompileLimitError, OptionError
from ..isa import CSR_ADDRESSES
from ..program import IoBuffer, Program
from .emit import Code, V, X
from .plan import MemoryPlan
from .plan import MemoryPlanError
from .events import (EventReaders, InputRing, emit_dma_drain, emit_ring_cold, emit_ring_prologue, ring_block,
                     ring_capacity)
from .propagate import ACC_REGS, emit_connection_group, emit_lane_local_group, lane_local_table
from .stream_sparse import SparseStreamLayout, sparse_rows
from .stream import (Prefetch, StreamLayout, TiledLayout, ring_units, step_events, tiled_sizes,
                     tiles_of, tiling)
from .update import UpdateLayout, emit_update

__all__ = ["generate", "T_REG", "TMAX"]

T_REG, TMAX = X(3), X(4)
_SLOT_AREA = 1024      # DMEM bytes for scalar slots (addressable from x0)
_SLOT_AREA_MAX = 2048  # all that a 12-bit offset from x0 reaches: 512 slots


class SlotsFull(CompileLimitError):
    """More scalar slots than the slot area holds (the compiler retries with all 512 that
    x0-relative loads reach before it gives up).

    Fix: as for :class:`~fenn.errors.CompileLimitError`.
    """


class Slots:
    """Named 32-bit scalar slots at the bottom of DMEM (reachable with a 12-bit offset)."""

    def __init__(self, plan: MemoryPlan, area: int = _SLOT_AREA):
        self.base = plan.alloc("dmem", "slots", area, what="scalar slots")
        self.area = area
        self.names: dict[str, int] = {}

    def __getitem__(self, name: str) -> int:
        if name not in self.names:
            address = self.base + 4 * len(self.names)
            if address + 4 > self.base + self.area:
                raise SlotsFull(
                    f"the network needs more than {self.area // 4} scalar slots (DMEM words that "
                    f"x0-relative loads reach: 2 per spiking population, 1 per input and per "
                    f"state trace recording, a few per DDR-streamed connection); {_SLOT_AREA_MAX // 4} "
                    f"is the limit, about 250 spiking populations. Merge populations that share "
                    f"a neuron model into one (parameters may differ per neuron, docs/models.md) "
                    f"or record fewer traces")
            self.names[name] = address
        return self.names[name]


def _events_capacity(plan: MemoryPlan, ln, requested: int | None, reserved: int = 0,
                     skip: set = frozenset()) -> int:
    """Halfwords per input stream in DMEM: what was asked for, or an equal share of free
    DMEM (less ``reserved`` bytes); inputs in ``skip`` have their events in VMEM."""
    spiking = [name for name, _ in ln.inputs if name not in ln.currents and name not in skip]
    n = max(1, len(spiking))
    if requested is not None:
        return int(requested)
    return max(ln.timesteps, ((plan.free("dmem") - reserved) // n // 2) & ~1) if spiking else 0


PHASES = ("propagation", "dma_wait", "update", "bookkeeping")


def _input_rings(plan: MemoryPlan, ln, slots, streams: dict, placement: str,
                 dmem_data: dict) -> dict[str, InputRing]:
    """The inputs whose events go to VMEM (compiler/events.py): with ``placement`` "auto",
    all spiking inputs when the network's own code uses no DMA and VMEM and DDR have room
    (the room of the batch firmware's staging kept, so a batch build chooses alike); with
    ``input_capacity`` given, "auto" means DMEM."""
    read = {c.pre for c in ln.conns}          # an input nothing reads keeps a DMEM buffer
    spiking = [(name, size) for name, size in ln.inputs if name not in ln.currents and name in read]
    if placement == "dmem" or not spiking:
        return {}
    why, memory = None, None
    if streams:
        why = "the network streams weights from DDR (the DMA channel is taken)"
    elif max(size for _, size in spiking) > 32767:
        why = "an input has more than 32,767 units"
    else:
        vmem = sum(128 * ring_block(size) for _, size in spiking) + 64 * firmware.STAGING_VECTORS
        ddr = sum(64 * ring_capacity(size, ln.timesteps) + 64 for _, size in spiking)
        for memory, need in (("vmem", vmem), ("ddr", ddr)):
            if need > plan.free(memory) - 64:
                why = (f"{memory.upper()} has {max(0, plan.free(memory)):,} bytes free and the "
                       f"input events need {need:,} there")
                break
        else:
            memory = None
    if why is not None:
        if placement == "vmem":
            message = (f"input_events='vmem' is not possible here: {why}; use "
                       f"input_events='auto' or 'dmem'")
            raise MemoryPlanError(message, memory) if memory else OptionError(message)
        return {}
    rings = {}
    for name, size in spiking:
        block = ring_block(size)
        ring = plan.alloc("vmem", f"{name}.event_ring", 128 * block, align=64,
                          what=f"input events: two blocks of {block} vectors fetched from DDR")
        ddr = plan.alloc("ddr", f"{name}.events", 64 * ring_capacity(size, ln.timesteps), align=64,
                         what="input events of a plain run's sample, in blocks of vectors")
        rings[name] = InputRing(name, size, block, ring, ddr, slots[f"events:{name}"],
                                slots[f"events_fetch:{name}"], slots[f"events_source:{name}"])
        dmem_data[rings[name].source] = np.array([ddr], dtype=np.uint32)
    return rings


INPUT_PLACEMENTS = ("auto", "vmem", "dmem")


def generate(ln, soc, *, input_capacity: int | None = None, weights: str = "auto",
             profile: bool = False, batch: bool = False, input_events: str = "auto") -> Program:
    """Compile a :class:`~fenn.compiler.ir.LoweredNetwork` for ``soc`` (see :func:`_fit`);
    a network with more than 256 scalar slots gets a slot area of all that x0 reaches."""
    if input_events not in INPUT_PLACEMENTS:
        raise OptionError(f"input_events must be one of {INPUT_PLACEMENTS}, got {input_events!r}")
    options = dict(input_capacity=input_capacity, weights=weights, profile=profile, batch=batch,
                   input_events=input_events)
    try:
        try:
            return _fit(ln, soc, slot_area=_SLOT_AREA, **options)
        except SlotsFull:
            return _fit(ln, soc, slot_area=_SLOT_AREA_MAX, **options)
    except _ReadersTooLarge:          # "auto": the unrolled VMEM readers overflow IMEM
        return generate(ln, soc, **{**options, "input_events": "dmem"})


class _ReadersTooLarge(Exception):
    """The program with its inputs' events in VMEM (an unrolled reader per connection
    from an input) does not fit IMEM; "auto" then keeps them in DMEM."""


def _fit(ln, soc, *, input_capacity: int | None, weights: str, profile: bool, batch: bool,
         slot_area: int, input_events: str = "auto") -> Program:
    """Compile a :class:`~fenn.compiler.ir.LoweredNetwork` for ``soc``.

    ``weights``: ``"vmem"`` (every connection's weights in VMEM), ``"ddr"`` (every
    connection streams its rows from DDR: dense rows, or compressed rows into targets with
    sparse or delayed inputs) or ``"auto"`` (VMEM, streaming the largest connections from
    DDR only as far as needed to fit). ``batch``: link the network into the resident batch
    firmware (``fenn.firmware``). ``input_events``: where input spike events live,
    ``"vmem"`` (fetched from DDR by the DMA, compiler/events.py), ``"dmem"`` (written by the
    host or copied by the firmware) or ``"auto"`` (VMEM when the network's own code uses no
    DMA and there is room, with DMEM as the fallback).
    """
    _check_currents(ln, batch)
    # a current input's weights stay in VMEM: every row is used every step
    streamable = [ci for ci, c in enumerate(ln.conns) if c.pre not in ln.currents]
    if weights == "vmem":
        return _generate_ring(ln, soc, input_capacity, set(), profile, batch, slot_area, input_events)
    if weights == "ddr":
        return _generate_ring(ln, soc, input_capacity, set(streamable), profile, batch, slot_area,
                         input_events)
    if weights != "auto":
        raise OptionError(f"weights must be 'auto', 'vmem' or 'ddr', got {weights!r}")
    streamed: set[int] = set()
    by_size = sorted(streamable, key=lambda ci: -_vmem_bytes(ln, ln.conns[ci]))
    while True:
        try:
            return _generate_ring(ln, soc, input_capacity, streamed, profile, batch, slot_area,
                             input_events)
        except MemoryPlanError as error:
            if error.memory != "vmem" or not by_size:
                raise
            streamed.add(by_size.pop(0))


def _generate_ring(*args) -> Program:
    """:func:`_generate` with deep VMEM rings for whole-row streams, or with double-buffered
    ones where deep rings do not fit VMEM."""
    try:
        return _generate(*args)
    except MemoryPlanError as error:
        if error.memory != "vmem":
            raise
        return _generate(*args, deep_rings=False)


def _check_currents(ln, batch: bool) -> None:
    """Refuse what current inputs do not support (yet), naming the way out."""
    if ln.currents and batch:
        raise OptionError(f"inputs {sorted(ln.currents)} carry currents, which the batch "
                          f"firmware does not stream; compile without batch=True")
    for c in ln.conns:
        if c.pre in ln.currents and _lane_local(ln, c.post):
            raise OptionError(f"population {c.post!r} is fed by the current input {c.pre!r} and "
                              f"also has sparse or delayed inputs, which current inputs cannot "
                              f"share yet; give it dense, undelayed inputs only")


def _lane_local(ln, post: str) -> bool:
    return any(c.post == post and (c.kind == "sparse" or c.delays is not None) for c in ln.conns)


def _vmem_bytes(ln, c) -> int:
    """About what connection ``c`` takes in VMEM (the order 'auto' streams them in)."""
    if not _lane_local(ln, c.post):
        return c.weights.nbytes
    synapses = c.sparse[2].size if c.kind == "sparse" else c.weights.size
    return 4 * synapses


def _generate(ln, soc, input_capacity, streamed: set, profile: bool = False,
              batch: bool = False, slot_area: int = _SLOT_AREA, input_events: str = "auto",
              deep_rings: bool = True) -> Program:
    plan = MemoryPlan(soc)
    slots = Slots(plan, slot_area)
    code = Code()
    io: dict[str, IoBuffer] = {}
    if profile:
        code.profile = {name: slots[f"profile:{name}"] for name in ("mark", *PHASES)}
        io["profile"] = IoBuffer("profile", "dmem", code.profile["mark"], "<u4",
                                 (1 + len(PHASES),), "output",
                                 {"kind": "profile", "phases": list(PHASES)})
    T = ln.timesteps

    # ------------------------------------------------------------------ VMEM
    seed = plan.alloc("vmem", "rng_seed", 128, align=64, what="RNG state S0, S1")
    io["rng_seed"] = IoBuffer("rng_seed", "vmem", seed, "<u2", (2, 32), "input",
                              {"what": "per-lane xoroshiro32++ state (S0, S1) loaded at start"})
    layouts = {}
    state, initial, vmem_data = {}, {}, {}
    lane_local = {p.name for p in ln.pops
                  if any(c.post == p.name and (c.kind == "sparse" or c.delays is not None)
                         for c in ln.conns)}
    for p in ln.pops:
        nslots = len(p.slots)
        state[p.name] = plan.alloc("vmem", f"{p.name}.state", p.nvec * nslots * 64, align=64,
                                   what=f"state {p.slots}, chunk-major")
        if p.per_neuron_init:
            image = _initial_image(p)
            initial[p.name] = plan.alloc("vmem", f"{p.name}.initial", image.nbytes, align=64,
                                         what="per-neuron start of the state block, copied "
                                              "into it at the start of every run")
            vmem_data[initial[p.name]] = image
        if p.name in lane_local:
            ring_slots = max(p.ring_slots, 1)
            stride = 2 * _pow2(p.nvec)
            base = plan.alloc("llm", f"{p.name}.ring", ring_slots * stride, align=2,
                              what=f"synaptic input ring: {ring_slots} slots x {p.nvec} per lane")
            layouts[p.name] = {"isyn": ("llm", base, ring_slots, stride)}
        else:
            isyn = plan.alloc("vmem", f"{p.name}.isyn", p.nvec * 64, align=64, what="synaptic input")
            layouts[p.name] = {"isyn": ("vmem", isyn)}
    weights, tables, ddr_data, dmem_data, streams, dma_schedule = {}, {}, {}, {}, {}, []
    for ci, c in enumerate(ln.conns):
        if c.post in lane_local and ci in streamed:
            isyn = layouts[c.post]["isyn"]
            rows = sparse_rows(c, ln.pop(c.post), isyn[1:])
            ddr = plan.alloc("ddr", f"{c.name}.rows", rows.image.nbytes, align=64,
                             what=f"{rows.kind} rows ({rows.synapses:,} synapses), one "
                                  f"transfer per spiking row")
            ddr_data[ddr] = rows.image
            table = plan.alloc("dmem", f"{c.name}.row_table", rows.offsets.nbytes,
                               what="DDR address of every row, and where the last ends")
            if ddr + rows.image.nbytes >= 1 << 32:
                raise MemoryPlanError(f"{c.name}: sparse rows must end below DDR address 4 GiB "
                                      f"(32-bit DMA addresses)", "ddr")
            dmem_data[table] = (ddr + 64 * rows.offsets.astype(np.int64)).astype(np.uint32)
            list_base = None if c.pre_is_input else plan.alloc(
                "dmem", f"{c.name}.spike_list", 2 * c.pre_size, what="spiking pre indices")
            buffers = plan.alloc("vmem", f"{c.name}.row_buffers", 2 * rows.buffer_bytes(),
                                 align=64, what=f"two {rows.kind}-row buffers (double-buffered)")
            tables[ci] = SparseStreamLayout(rows, ddr, table, buffers, list_base)
            dma_schedule.append({
                "connection": c.name, "direction": "mm2s (DDR -> VMEM)",
                "when": "every timestep, one transfer per spiking pre neuron, ascending",
                "source": f"DDR 0x{ddr:x} + 64 * row_table[pre]",
                "count": "64 * (row_table[pre + 1] - row_table[pre])",
                "destination": f"VMEM buffers 0x{buffers:x} (two)",
                "layout": rows.kind, "rows_per_batch": 1,
                "overlap": "row r+1 is fetched while row r is added"})
            streams[ci] = tables[ci]
            continue
        if c.post in lane_local:
            isyn = layouts[c.post]["isyn"]
            table = lane_local_table(c, ln.pop(c.post), isyn[3], isyn[2])
            address = plan.alloc("vmem", f"{c.name}.synapses", table.nbytes, align=64,
                                 what=f"{c.kind} rows of (target+delay, weight) vector pairs, "
                                      f"{table.shape[1]} per row")
            tables[ci] = (address, table.shape[1])
            vmem_data[address] = table
            continue
        if ci in streamed:
            post = ln.pop(c.post)
            row_bytes = 64 * post.nvec
            ddr = plan.alloc("ddr", f"{c.name}.weights", c.weights.nbytes, align=64,
                             what=f"dense weights ({c.pre_size} x {post.npad}) int16, row-major")
            ddr_data[ddr] = c.weights
            list_base = None if c.pre_is_input else plan.alloc(
                "dmem", f"{c.name}.spike_list", 2 * c.pre_size, what="spiking pre indices")
            if post.nvec > ACC_REGS:
                k, tile_vectors = tiling(soc.dma_ports)[:2]
                units = ring_units(soc.dma_ports, len(tiles_of(post.nvec, tile_vectors)), deep_rings)
                sizes = tiled_sizes(c.pre_size, post.nvec, soc.dma_ports, units)
                buffers = plan.alloc("vmem", f"{c.name}.row_buffers", sizes["ring"], align=64,
                                     what=f"ring of {units * k} row-segment buffers ({units} "
                                          f"units: batches of {k} rows, tiles "
                                          f"{tiles_of(post.nvec, tile_vectors)} vectors)")
                zero_row = plan.alloc("vmem", f"{c.name}.zero_row", sizes["zero_row"], align=64,
                                      what="zeros standing in for rows past the last spike") \
                    if sizes["zero_row"] else None
                triples = plan.alloc("dmem", f"{c.name}.transfers", sizes["triples"],
                                     what="per-step DMA transfer list (src, dst, bytes)")
                unit_ends = plan.alloc("dmem", f"{c.name}.unit_ends", sizes["unit_ends"],
                                       what="end of each unit's transfers in that list")
                streams[ci] = TiledLayout(ddr, row_bytes, buffers, zero_row, list_base, triples,
                                          unit_ends, soc.dma_ports, units)
                count = f"{64 * tiles_of(post.nvec, tile_vectors)[0]} per tile segment"
            else:
                k = 1
                buffers = plan.alloc("vmem", f"{c.name}.row_buffers", 2 * row_bytes, align=64,
                                     what="two weight-row buffers (double-buffered)")
                streams[ci] = StreamLayout(ddr, row_bytes, buffers, list_base)
                count = row_bytes
            dma_schedule.append({
                "connection": c.name, "direction": "mm2s (DDR -> VMEM)",
                "when": "every timestep, one transfer per spiking pre neuron (and tile), ascending",
                "source": f"DDR 0x{ddr:x} + pre * {row_bytes}", "count": count,
                "destination": f"VMEM ring 0x{buffers:x}",
                "rows_per_batch": k,
                "overlap": "rows of batch b+1 are fetched while batch b is added"})
            continue
        weights[ci] = plan.alloc("vmem", f"{c.name}.weights", c.weights.nbytes, align=64,
                                 what=f"dense weights ({c.pre_size} x {c.weights.shape[1]}) int16")
        vmem_data[weights[ci]] = c.weights
    prefetches = _prefetches(ln, streams, slots)
    for entry in dma_schedule:
        for prefetch in prefetches.values():
            if entry["connection"] == prefetch.connection:
                entry["prefetch"] = (f"up to {prefetch.cap} transfers started during "
                                     f"{prefetch.pre}'s update, which lists its spikes")
    rec_layout = {p.name: [] for p in ln.pops}
    for r in ln.recs:
        p = ln.pop(r.pop)
        if r.variable == "spikes":
            continue
        if r.reduce is None:
            base = plan.alloc("vmem", f"{r.key}.trace", T * p.nvec * 64, align=64,
                              what=f"{r.key} every timestep")
            rec_layout[p.name].append((r, "trace", slots[f"rec:{r.key}"]))
            io[r.key] = IoBuffer(r.key, "vmem", base, "<i2", (T, p.npad), "output",
                                 {"format": str(r.fmt), "size": p.size, "kind": "trace",
                                  "pointer_slot": slots[f"rec:{r.key}"]})
        elif r.reduce == "mean":
            base = plan.alloc("vmem", f"{r.key}.sum", p.nvec * 128, align=64, what="exact sum")
            rec_layout[p.name].append((r, "mean", base))
            io[r.key] = IoBuffer(r.key, "vmem", base, "<i2", (p.nvec, 2, 32), "output",
                                 {"format": str(r.fmt), "size": p.size, "kind": "mean",
                                  "timesteps": T})
        elif r.reduce == "max":
            base = plan.alloc("vmem", f"{r.key}.max", p.nvec * 64, align=64, what="running max")
            rec_layout[p.name].append((r, "max", base))
            io[r.key] = IoBuffer(r.key, "vmem", base, "<i2", (p.nvec, 32), "output",
                                 {"format": str(r.fmt), "size": p.size, "kind": "max"})
        else:   # last: the state itself after the run
            slot = p.slots.index(r.variable)
            io[r.key] = IoBuffer(r.key, "vmem", state[p.name], "<i2",
                                 (p.nvec, len(p.slots), 32), "output",
                                 {"format": str(r.fmt), "size": p.size, "kind": "last", "slot": slot})

    # ------------------------------------------------------------------ DMEM
    spike_rows = {}
    recorded_spikes = {r.pop for r in ln.recs if r.variable == "spikes"}
    for p in ln.pops:
        if not p.spiking:
            continue
        rows = T + 1 if p.name in recorded_spikes else 2
        base = plan.alloc("dmem", f"{p.name}.spikes", rows * p.nwords * 4, what="spike bitfield rows")
        spike_rows[p.name] = (base, rows)
        if p.name in recorded_spikes:
            io[f"{p.name}.spikes"] = IoBuffer(f"{p.name}.spikes", "dmem", base, "<u4",
                                              (T + 1, p.nwords), "output",
                                              {"size": p.size, "kind": "spikes", "first_row": 1})
    events, currents = {}, {}
    for name, size in ln.inputs:
        if name in ln.currents:
            base = plan.alloc("dmem", f"{name}.values", 2 * T * size,
                              what="input currents: per timestep a value per channel")
            currents[name] = (base, size)
            io[f"input.{name}"] = IoBuffer(f"input.{name}", "dmem", base, "<i2", (T, size), "input",
                                           {"size": size, "kind": "current",
                                            "format": str(ln.currents[name]),
                                            "encoding": "int16 values, step-major"})
    # input_capacity sizes DMEM event buffers: asking for it asks for them
    placement = "dmem" if input_events == "auto" and input_capacity is not None else input_events
    rings = _input_rings(plan, ln, slots, streams, placement, dmem_data)
    for name, ring in rings.items():
        io[f"input.{name}"] = IoBuffer(f"input.{name}", "ddr", ring.ddr, "<i2",
                                       (32 * ring_capacity(ring.units, T),), "input",
                                       {"size": ring.units, "kind": "events-vmem",
                                        "encoding": "blocks of vectors: per timestep the units, "
                                                    "then -1 (next vector) or -2 (next block)",
                                        "block": ring.block, "source_slot": ring.source})
    capacity = _events_capacity(plan, ln, input_capacity, firmware.AREA_BYTES if batch else 0,
                                skip=set(rings))
    if batch:         # the firmware moves whole 64-byte planes into the event buffers
        capacity = max(32, capacity // 32 * 32)
    for name, size in ln.inputs:
        if name in ln.currents or name in rings:
            continue
        base = plan.alloc("dmem", f"{name}.events", 2 * capacity,
                          what="input events: per timestep a count, then the units")
        events[name] = base
        io[f"input.{name}"] = IoBuffer(f"input.{name}", "dmem", base, "<u2", (capacity,), "input",
                                       {"size": size, "encoding": "count-prefixed units per timestep"})
    # last, so that the network's own addresses (and code) are those of a plain build
    reservation = firmware.reserve(plan) if batch else None
    plan.check()

    # ------------------------------------------------------------------ prologue
    code.note = "prologue: RNG seed, state, rows"
    code.csrrw(X(0), CSR_ADDRESSES["mcountinhibit"], X(0))     # count cycles (reset: stopped)
    if profile:
        for name in ("mark", *PHASES):
            code.sw(X(0), code.profile[name], X(0))
    code.li(X(5), seed)
    code.vloadr0(X(5), 0)
    code.vloadr1(X(5), 64)
    # a run that carries state on (the host set the carry flag) keeps the neuron state,
    # the synaptic input (rings) and the last spike row, and goes on counting time
    carry, resume, started = slots["carry"], code.new_label("resume"), code.new_label("started")
    io["carry"] = IoBuffer("carry", "dmem", carry, "<u4", (1,), "input",
                           {"what": "non-zero: continue from the state the last run left "
                                    "(fenn.run(..., reset=False))", "time_slot": slots["time"]})
    code.lw(X(5), carry, X(0))
    code.bne(X(5), X(0), resume)
    for p in ln.pops:
        code.note = f"prologue: {p.name} state"
        if p.name in initial:
            _copy_vectors(code, initial[p.name], state[p.name], p.nvec * len(p.slots))
        else:
            _fill_vectors(code, state[p.name], p.nvec * len(p.slots), [p.init[v] for v in p.slots])
        isyn = layouts[p.name]["isyn"]
        if isyn[0] == "vmem":
            _fill_vectors(code, isyn[1], p.nvec, [0])
        else:
            _zero_lane_local(code, isyn[1], isyn[2] * isyn[3])
    code.note = "prologue: spike rows"
    for name, (base, rows) in spike_rows.items():
        p = ln.pop(name)
        for w in range(p.nwords):             # row 0, "the spikes of step -1": none
            if w % 512 == 0:                  # 12-bit store offsets: a new base every 2 KiB
                code.li(X(6), base + 4 * w)
            code.sw(X(0), 4 * (w % 512), X(6))
    code.li(T_REG, 0)
    code.j(started)
    code.label(resume)
    code.note = "prologue: carry on (last spike rows to row 0, time)"
    for name, (base, rows) in spike_rows.items():
        _copy_words(code, slots[f"prev:{name}"], base, ln.pop(name).nwords)
    code.lw(T_REG, slots["time"], X(0))
    code.label(started)
    for p in ln.pops:
        code.note = f"prologue: {p.name} recordings"
        for r, kind, where in rec_layout[p.name]:
            if kind == "mean":
                _fill_vectors(code, where, 2 * p.nvec, [0])
            elif kind == "max":
                _fill_vectors(code, where, p.nvec, [-32768])
            elif kind == "trace":
                code.li(X(6), io[r.key].address)
                code.sw(X(6), where, X(0))
    code.note = "prologue: spike row and input pointers"
    for name, (base, rows) in spike_rows.items():
        p = ln.pop(name)
        code.li(X(6), base)
        code.sw(X(6), slots[f"prev:{name}"], X(0))
        code.li(X(6), base + 4 * p.nwords)
        code.sw(X(6), slots[f"cur:{name}"], X(0))
    for name, base in [*events.items(), *((n, b) for n, (b, _) in currents.items())]:
        code.li(X(6), base)
        code.sw(X(6), slots[f"events:{name}"], X(0))
    for ring in rings.values():
        emit_ring_prologue(code, ring)
    code.li(TMAX, T)
    code.add(TMAX, TMAX, T_REG)
    for prefetch in prefetches.values():
        code.note = "prologue: nothing prefetched yet"
        code.sw(X(0), prefetch.listed, X(0))
        code.sw(X(0), prefetch.started, X(0))
    if prefetches:      # an empty transfer, so that every DMA status read follows a transfer
        for register in ("mm2s_src", "mm2s_dst", "mm2s_count"):
            code.csrrw(X(0), CSR_ADDRESSES[register], X(0))
        code.csrrwi(X(0), CSR_ADDRESSES["mm2s_control"], 1)

    # ------------------------------------------------------------------ time loop
    code.phase(None)                    # prologue cycles are not part of any step phase
    readers = EventReaders(rings, [c for p in ln.pops for c in ln.conns if c.post == p.name])
    code.label("step")
    for p in ln.pops:
        incoming = [(ci, c) for ci, c in enumerate(ln.conns) if c.post == p.name]
        if incoming and p.name in lane_local:
            _, base, ring_slots, stride = layouts[p.name]["isyn"]
            emit_lane_local_group(code, p, incoming, tables, (base, ring_slots, stride), slots, ln,
                                  readers)
        elif incoming:
            emit_connection_group(code, p, incoming, weights, layouts[p.name]["isyn"][1],
                                  slots, ln, streams, readers)
    code.phase("propagation")
    for p in ln.pops:
        has_input = any(c.post == p.name for c in ln.conns)
        rewritten = p.nvec <= ACC_REGS or not has_input   # register accumulators store it all
        layout = UpdateLayout(p, state[p.name], layouts[p.name]["isyn"],
                              slots[f"cur:{p.name}"] if p.spiking else None,
                              [entry for entry in rec_layout[p.name]], clear_input=not rewritten,
                              prefetch=prefetches.get(p.name))
        emit_update(code, layout)
    code.phase("update")
    code.note = "step bookkeeping"
    for name in events:
        ptr, count = X(5), X(6)
        step_events(code, slots[f"events:{name}"], ptr, count)
        code.slli(count, count, 1)
        code.add(ptr, ptr, count)
        code.sw(ptr, slots[f"events:{name}"], X(0))
    for name, (_, size) in currents.items():         # on by a step of values
        code.lw(X(5), slots[f"events:{name}"], X(0))
        code.li(X(6), 2 * size)
        code.add(X(5), X(5), X(6))
        code.sw(X(5), slots[f"events:{name}"], X(0))
    for name, (base, rows) in spike_rows.items():
        p = ln.pop(name)
        prev, cur = X(5), X(6)
        code.lw(prev, slots[f"prev:{name}"], X(0))
        code.lw(cur, slots[f"cur:{name}"], X(0))
        if rows == 2:                             # ping-pong: swap
            code.sw(cur, slots[f"prev:{name}"], X(0))
            code.sw(prev, slots[f"cur:{name}"], X(0))
        else:                                     # recorded: move on one row
            code.sw(cur, slots[f"prev:{name}"], X(0))
            if 4 * p.nwords < 2048:
                code.addi(cur, cur, 4 * p.nwords)
            else:
                code.li(X(7), 4 * p.nwords)
                code.add(cur, cur, X(7))
            code.sw(cur, slots[f"cur:{name}"], X(0))
    code.phase("bookkeeping")
    code.addi(T_REG, T_REG, 1)
    code.beq(T_REG, TMAX, "done")
    code.j("step")
    code.label("done")
    code.sw(T_REG, slots["time"], X(0))
    if rings:
        emit_dma_drain(code)
    firmware_source = None
    if batch:
        code.j(firmware.RETURN_LABEL)
        firmware_source, firmware_tables, batch_meta = firmware.link(reservation, io, soc)
    else:
        code.ecall()
    for ring in rings.values():
        emit_ring_cold(code, ring)

    assembled = code.assemble(prefix=firmware_source)
    if rings and input_events == "auto" and 4 * len(assembled.words) > soc.imem_bytes:
        raise _ReadersTooLarge()
    listing = [(e.address, e.text, e.origin) for e in assembled.source]
    meta = {
        "timesteps": T,
        "rounding": ln.rounding,
        "seed": ln.seed,
        # per-lane RNG draws in a timestep: how far a run moves the generators, so that
        # the host can seed a run that carries state on (fenn.run(..., reset=False))
        "rng_draws_per_step": sum(p.nvec * sum(op.draws for op in p.kernel.ops) for p in ln.pops),
        "populations": {p.name: {"size": p.size, "model": repr(p.model), "format": str(p.fmt),
                                 "variables": p.variables} for p in ln.pops},
        "inputs": dict(ln.inputs),
        "currents": {name: str(fmt) for name, fmt in ln.currents.items()},
        "report": ln.report,
        "memory": plan.summary(),
        "memory_map": plan.table(),
        "instructions": int(len(assembled.words)),
        "listing": listing,
        "dt": ln.dt,
    }
    images = {memory: (0, _image(data)) for memory, data in (("vmem", vmem_data), ("ddr", ddr_data)) if data}
    dmem_blocks = [(a, _image({0: d})) for a, d in dmem_data.items()]
    if batch:
        dmem_blocks.append(firmware_tables)
        meta["batch"] = batch_meta
    if dmem_blocks:
        images["dmem"] = _merged(dmem_blocks)
    meta["streamed"] = [ln.conns[ci].name for ci in streams]
    program = Program(text=assembled.words, soc=soc, symbols=assembled.symbols, io=io,
                      images=images, dma_schedule=dma_schedule, meta=meta, lowered=ln)
    return program


def _prefetches(ln, streams: dict, slots) -> dict:
    """{pre population: Prefetch} for the first DMA stream of a timestep, when it is a tiled
    stream from a population: its first transfers start during that population's update
    (no other transfer can come between, so the channel is its own)."""
    for p in ln.pops:
        for ci, c in enumerate(ln.conns):
            if c.post != p.name or ci not in streams:
                continue
            layout = streams[ci]
            if not isinstance(layout, TiledLayout) or c.pre_is_input or not ln.pop(c.pre).spiking:
                return {}
            tiles = tiles_of(p.nvec, layout.tile_vectors)
            layout.prefetch = Prefetch(c, layout, tiles, slots, slots[f"cur:{c.pre}"], T_REG, TMAX)
            return {c.pre: layout.prefetch}
    return {}


def _image(blocks: dict[int, np.ndarray]) -> np.ndarray:
    """One memory image (bytes from address 0) holding int16 (or uint32) ``blocks``
    {byte address: array}."""
    end = max(address + data.nbytes for address, data in blocks.items())
    image = np.zeros(end, dtype=np.uint8)
    for address, data in blocks.items():
        data = np.ascontiguousarray(data)
        raw = data.astype("<u4" if data.dtype == np.uint32 else "<i2").view(np.uint8).reshape(-1)
        image[address:address + raw.size] = raw
    return image


def _merged(blocks: list[tuple[int, np.ndarray]]) -> tuple[int, np.ndarray]:
    """One (address, bytes) image holding every (address, bytes) block."""
    start = min(address for address, _ in blocks)
    image = np.zeros(max(address + data.size for address, data in blocks) - start, np.uint8)
    for address, data in blocks:
        image[address - start:address - start + data.size] = data
    return start, image


def _initial_image(p) -> np.ndarray:
    """The state block's start (nvec, slots, 32) int16, chunk-major like the block itself."""
    image = np.empty((p.nvec, len(p.slots), 32), dtype=np.int16)
    for k, slot in enumerate(p.slots):
        image[:, k, :] = np.broadcast_to(p.init[slot], (p.npad,)).reshape(p.nvec, 32)
    return image


def _copy_vectors(code: Code, source: int, destination: int, count: int):
    """Copy ``count`` vectors from VMEM ``source`` to ``destination`` (four per pass)."""
    regs = [V(20 + k) for k in range(4)]
    code.li(X(5), source)
    code.li(X(6), destination)
    groups, rest = divmod(count, len(regs))
    if groups:
        loop = code.new_label("copy")
        code.li(X(7), groups)
        code.label(loop)
        for k, reg in enumerate(regs):
            code.vloadv(reg, X(5), 64 * k)
        for k, reg in enumerate(regs):
            code.vstore(reg, X(6), 64 * k)
        code.addi(X(5), X(5), 64 * len(regs))
        code.addi(X(6), X(6), 64 * len(regs))
        code.addi(X(7), X(7), -1)
        code.bne(X(7), X(0), loop)
    for k in range(rest):
        code.vloadv(regs[k], X(5), 64 * k)
    for k in range(rest):
        code.vstore(regs[k], X(6), 64 * k)


def _copy_words(code: Code, source_slot: int, destination: int, count: int):
    """Copy ``count`` DMEM words from the address held in slot ``source_slot`` to
    ``destination`` (a no-op copy when they are the same)."""
    source, target, left, word = X(5), X(6), X(7), X(8)
    loop = code.new_label("copy_words")
    code.lw(source, source_slot, X(0))
    code.li(target, destination)
    code.li(left, count)
    code.label(loop)
    code.lw(word, 0, source)
    code.sw(word, 0, target)
    code.addi(source, source, 4)
    code.addi(target, target, 4)
    code.addi(left, left, -1)
    code.bne(left, X(0), loop)


def _pow2(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


def _zero_lane_local(code: Code, base: int, nbytes: int):
    """Zero ``nbytes`` of every lane's local memory from ``base`` (vstorel, all lanes)."""
    address, zero, step = V(21), V(20), V(22)
    unroll = 16
    code.vsub(zero, zero, zero)
    code.vlui(step, 2 * unroll)
    code.li(X(6), base)
    code.vfill(address, X(6))
    groups, rest = divmod(nbytes // 2, unroll)
    if groups:
        loop = code.new_label("zero_llm")
        code.li(X(7), groups)
        code.label(loop)
        for k in range(unroll):
            code.vstorel(zero, address, 2 * k)
        code.vadd(address, address, step)
        code.addi(X(7), X(7), -1)
        code.bne(X(7), X(0), loop)
    for k in range(rest):
        code.vstorel(zero, address, 2 * k)


def _fill_vectors(code: Code, base: int, count: int, pattern: list[int]):
    """Store ``count`` vectors from ``base``, cycling through the constant ``pattern``."""
    if count == 0:
        return
    regs = [V(20 + k) for k in range(len(pattern))]
    for reg, value in zip(regs, pattern):
        code.vlui(reg, value & 0xFFFF)
    period = len(pattern)
    code.li(X(5), base)
    groups = count // period
    if groups > 1:
        loop = code.new_label("fill")
        code.li(X(7), groups)
        code.label(loop)
        for k, reg in enumerate(regs):
            code.vstore(reg, X(5), 64 * k)
        code.addi(X(5), X(5), 64 * period) if 64 * period < 2048 else (code.li(X(6), 64 * period), code.add(X(5), X(5), X(6)))
        code.addi(X(7), X(7), -1)
        code.bne(X(7), X(0), loop)
    else:
        for k, reg in enumerate(regs):
            code.vstore(reg, X(5), 64 * k)
