"""Dense propagation with weights streamed from DDR by the DMA engine, double-buffered.

Per timestep and connection the spiking pre neurons are listed (input events are a list
already; a bitfield row is scanned into one), then their weight rows are fetched from DDR
into VMEM buffers while earlier rows are added. A small *pump* (poll MM2S status; when
idle and allowed, start the next transfer) runs while waiting and inside the compute
loop. It never runs more than one buffer set ahead, so a buffer is not overwritten
before it has been used, and rows are used only after their transfers completed (the
channel's completed count, from its status, reaches them).

Targets of at most 16 vectors (:func:`emit_streamed`) go row by row through two buffers
into register accumulators (latency-bound). Larger ones (:func:`emit_streamed_tiled`)
cut rows into tiles and add ``k`` rows per pass over VMEM accumulators,
``acc += w_0 + ... + w_k-1`` with saturating adds in row order, so the sums equal the
reference model's.
"""

from __future__ import annotations

from ..isa import CSR_ADDRESSES, DMA_STATUS_BITS
from .emit import Code, V, X

__all__ = ["emit_streamed", "StreamLayout", "emit_streamed_tiled", "TiledLayout", "tiled_sizes",
           "tiles_of", "tiling"]

NEXTP, N, FETCHED, DSTP, LIMIT, WDDR, RB, BUF0, BUFEND, DONE, S, S2 = (X(n) for n in range(5, 17))
R = [X(17)]
CN, IDX, ONE, END, HALF = X(24), X(26), X(27), X(28), X(29)
PTR, WORD, TMP, WIDX = X(1), X(2), X(30), X(31)

GROUP = 32          # most vectors per pass of the compute loop (immediate offsets up to 1984)


class StreamLayout:
    """Addresses of one row-by-row streamed connection (small targets)."""

    def __init__(self, ddr: int, row_bytes: int, buffers: int, list_base: int | None):
        self.ddr, self.row_bytes = ddr, row_bytes
        self.buffers, self.list_base = buffers, list_base


def _csrw(code: Code, name: str, reg: X):
    code.csrrw(X(0), CSR_ADDRESSES[name], reg)


def _mm2s_idle(code: Code, reg: X):
    """``reg`` = non-zero if and only if the MM2S channel is idle (its status "idle" bit)."""
    code.csrrs(reg, CSR_ADDRESSES["mm2s_status"], X(0))
    code.andi(reg, reg, 1 << DMA_STATUS_BITS["idle"])


def _unless_free(code: Code, scratch: X, started: X, limit: X, done: str):
    """Branch to ``done`` unless the MM2S channel is idle and ``started < limit``."""
    _mm2s_idle(code, scratch)
    code.beq(scratch, X(0), done)
    code.bge(started, limit, done)


def _pump(code: Code, first: bool = False):
    """Start the next row's transfer if the channel is idle and the row may be fetched.

    ``first``: the channel is known to be idle and a row is due (the kernel's first
    transfer), so the status is not read (FeNN's toolchain reads no status before the
    first transfer of a run).
    """
    done = code.new_label("pump_done")
    if not first:
        _unless_free(code, S, FETCHED, LIMIT, done)
    code.lhu(IDX, 0, NEXTP)
    code.addi(NEXTP, NEXTP, 2)
    code.mul(S, IDX, RB)
    code.add(S, S, WDDR)
    _csrw(code, "mm2s_src", S)
    _csrw(code, "mm2s_dst", DSTP)
    _csrw(code, "mm2s_count", RB)
    _csrw(code, "mm2s_control", ONE)
    code.addi(FETCHED, FETCHED, 1)
    code.add(DSTP, DSTP, RB)
    code.blt(DSTP, BUFEND, done)
    code.addi(DSTP, BUF0, 0)
    code.label(done)


#: bitfield words tested per pass of the spike-list scan (one OR tree, one branch)
GATHER_WORDS = 8


def _gather_bitfield(code: Code, slot: int, nwords: int, list_base: int):
    """Write the indices of the set bits of the pre row into a halfword list; N = count.

    Sparse rows are mostly zero words: they are loaded eight at a time and OR-ed, so an
    empty group costs about 2.75 cycles per word; groups with spikes go out of line."""
    words = [X(n) for n in range(16, 24)]
    group_end = X(25)
    code.lw(PTR, slot, X(0))
    code.li(NEXTP, list_base)
    code.li(WIDX, 0)
    groups, rest = divmod(nwords, GATHER_WORDS)
    handlers, scanned = [], code.new_label("gscanned")

    def bits(word: X, offset: int):
        """Append the set bits of ``word`` (unit index WIDX + offset + bit), clearing it."""
        def append():
            code.add(IDX, IDX, WIDX)
            if offset:
                code.addi(IDX, IDX, offset)
            code.sh(IDX, 0, NEXTP)
            code.addi(NEXTP, NEXTP, 2)
        skip = code.new_label("gskip")
        code.beq(word, X(0), skip)
        code.for_each_set_bit(word, IDX, TMP, append, stem="gbit")
        code.label(skip)

    if groups:
        loop, hit, back = code.new_label("ggroup"), code.new_label("ghit"), code.new_label("gback")
        code.li(group_end, 4 * GATHER_WORDS * groups)
        code.add(group_end, group_end, PTR)
        code.label(loop)
        for j, word in enumerate(words):
            code.lw(word, 4 * j, PTR)
        code.or_(TMP, words[0], words[1])
        for j in range(2, GATHER_WORDS, 2):
            code.or_(IDX, words[j], words[j + 1])
            code.or_(TMP, TMP, IDX)
        code.bne(TMP, X(0), hit)
        code.label(back)
        code.addi(PTR, PTR, 4 * GATHER_WORDS)
        code.addi(WIDX, WIDX, 32 * GATHER_WORDS)
        code.bne(PTR, group_end, loop)
        handlers.append((hit, back))
    for j in range(rest):                   # the last words, straight-line
        code.lw(words[0], 4 * j, PTR)
        bits(words[0], 32 * j)
    code.j(scanned)
    for hit, back in handlers:              # a group with spikes: every word's bits
        code.label(hit)
        for j, word in enumerate(words):
            bits(word, 32 * j)
        code.j(back)
    code.label(scanned)
    code.li(S, list_base)
    code.sub(N, NEXTP, S)
    code.srli(N, N, 1)
    code.addi(NEXTP, S, 0)


def step_events(code: Code, slot: int, ptr: X, count: X):
    """``ptr`` = this step's input units (halfwords), ``count`` = how many: the event stream
    at the address in DMEM ``slot`` holds per timestep a count, then the units."""
    code.lw(ptr, slot, X(0))
    code.nop()
    code.lhu(count, 0, ptr)
    code.addi(ptr, ptr, 2)


def _spike_list(code: Code, c, slots, ln, list_base: int, ptr: X, count: X):
    """``ptr`` = this step's presynaptic spikes as a halfword list, ``count`` = its length:
    an input's events where the host wrote them, a population's gathered from its bitfield."""
    if c.pre_is_input:
        step_events(code, slots[f"events:{c.pre}"], ptr, count)
        return
    _gather_bitfield(code, slots[f"prev:{c.pre}"], ln.pop(c.pre).nwords, list_base)
    for gathered, wanted in ((NEXTP, ptr), (N, count)):
        if wanted != gathered:
            code.addi(wanted, gathered, 0)


def _compute_registers(code: Code, accs: list[V]):
    w = [V(1), V(2)]
    code.vloadv(w[0], R[0], 0)
    for k in range(len(accs)):
        if k + 1 < len(accs):
            code.vloadv(w[(k + 1) % 2], R[0], 64 * (k + 1))
        code.vadd_s(accs[k], accs[k], w[k % 2])


def emit_streamed(code: Code, c, post, layout: StreamLayout, slots, ln, accs: list[V],
                  isyn_base: int):
    """Small targets: rows streamed one by one into two buffers (row ``i + 1`` is fetched
    while row ``i`` is added into the register accumulators ``accs``)."""
    code.note = f"{c.name}: propagation (weights streamed from DDR)"
    finished = code.new_label("stream_done")
    _spike_list(code, c, slots, ln, layout.list_base, NEXTP, N)
    code.beq(N, X(0), finished)
    code.li(WDDR, layout.ddr)
    code.li(RB, layout.row_bytes)
    code.li(BUF0, layout.buffers)
    code.li(BUFEND, layout.buffers + 2 * layout.row_bytes)
    code.li(ONE, 1)
    code.li(FETCHED, 0)
    code.addi(DSTP, BUF0, 0)
    code.li(DONE, 0)                        # rows added so far
    code.li(HALF, 0)                        # offset of the buffer row DONE is in
    row, wait, limit_ok = code.new_label("row"), code.new_label("wait"), code.new_label("limit_ok")
    _pump(code, first=True)
    code.label(row)
    code.addi(END, DONE, 1)                 # wait until row DONE has arrived
    code.addi(LIMIT, DONE, 2)               # and let the pump fetch at most one row ahead
    code.bge(N, LIMIT, limit_ok)
    code.addi(LIMIT, N, 0)
    code.label(limit_ok)
    code.phase("propagation")
    code.label(wait)
    _pump(code)
    _mm2s_idle(code, S)
    code.sltiu(S2, S, 1)                    # 1 while a transfer is in flight
    code.sub(S2, FETCHED, S2)               # transfers completed
    code.blt(S2, END, wait)
    code.phase("dma_wait")
    code.add(R[0], BUF0, HALF)
    _pump(code)                             # start the next row before adding this one
    _compute_registers(code, accs)
    code.addi(DONE, DONE, 1)
    code.sub(HALF, RB, HALF)                # the other buffer
    code.blt(DONE, N, row)
    code.label(finished)


# --------------------------------------------------------------------------- large targets
#
# Rows of a large target are cut into tiles of at most TILE_VECTORS vectors, so that
# batches of k rows (TILING, by DMA ports) fit a double-buffered ring. Each (batch, tile) is a *unit*
# of up to k row segments. Per timestep the kernel first writes the transfer list
# (source, destination, bytes per segment, unit by unit, plus where each unit ends);
# the pump then only copies the next triple into the DMA registers while the list
# pointer is below the limit (the end of the unit after the one being added).

#: DMA ports -> (rows per batch k, largest tile in vectors, vectors between pumps[,
#: vectors per loop pass, default GROUP]).
#: One port is DMA-bound: whole rows (long transfers), few rows per batch (a short drain)
#: and frequent cheap pumps (short idle gaps). Two ports: 10 rows per pass (2.2
#: instructions per vector, the most the VMEM ring allows with 250-vector tiles) and one
#: pump per loop pass, with its start inline: a pass of 25 vectors (25 x 22 + 28
#: cycles) outlasts one 250-vector transfer (24 + 500 cycles in the cycle model), so
#: every pump finds the channel idle and no cycles go to checks that find it busy
#: (24 vectors still do; 23 do not, then the channel idles for a whole pass).
TILING = {1: (2, 512, 4), 2: (10, 256, 25, 25)}
#: DMA ports -> units the VMEM ring holds (2: double-buffered). One port is DMA-bound, so
#: a deeper ring lets the update prefetch more rows (about the update's length in
#: transfers); when VMEM is short the compiler falls back to 2.
RING_UNITS = {1: 6}


def tiling(dma_ports: int) -> tuple[int, int, int, int]:
    """(k, tile vectors, pump interval, loop pass) for ``dma_ports``."""
    k, tile, pump_every, *group = TILING[min(dma_ports, max(TILING))]
    return k, tile, pump_every, (group[0] if group else GROUP)


# live throughout the transfers and additions
T_XP, T_LIMIT, T_S, T_S2, T_AP, T_CN, T_STEP, T_UEP, T_N, T_B, T_HALF = (X(n) for n in range(5, 16))
T_R = [X(n) for n in range(16, 32)] + [X(1)]        # up to 17 row pointers (x2: T_PRE)
# list building only (the row-pointer registers are free then)
T_LIST, T_IDX, T_WDDR, T_RB, T_TB, T_BUF0, T_BP, T_HB = (X(n) for n in range(16, 24))
#: 1 while the MM2S registers hold the list entry at T_XP (live throughout; k <= 17)
T_PRE = X(2)


def tiles_of(nvec: int, tile_vectors: int) -> list[int]:
    count = -(-nvec // tile_vectors)
    size = -(-nvec // count)
    return [size] * (count - 1) + [nvec - size * (count - 1)]


def ring_units(dma_ports: int, ntiles: int, deep: bool = True) -> int:
    """Units the ring holds: deeper than 2 only for whole rows (one tile)."""
    return RING_UNITS.get(min(dma_ports, max(TILING)), 2) if deep and ntiles == 1 else 2


class TiledLayout:
    def __init__(self, ddr: int, row_bytes: int, buffers: int, zero_row: int,
                 list_base: int | None, triples: int, unit_ends: int, dma_ports: int,
                 units: int = 2):
        self.ddr, self.row_bytes, self.buffers, self.zero_row = ddr, row_bytes, buffers, zero_row
        self.list_base, self.triples, self.unit_ends = list_base, triples, unit_ends
        self.k, self.tile_vectors, self.pump_every, self.group = tiling(dma_ports)
        self.units = units                   # units in the VMEM ring
        #: a :class:`Prefetch` when the pre population's update starts the first transfers
        self.prefetch: Prefetch | None = None


class Prefetch:
    """The first transfers of a tiled stream, started while its pre population updates.

    The step's propagation has finished by then, so the VMEM ring is free; the update
    lists the spiking neurons chunk by chunk (so the next propagation scans no bitfield)
    and, at each chunk with spikes, starts the next of the first ring's transfers when
    the channel is idle and its row is listed: transfer ``j`` fills ring slot ``j`` (the
    first ``units`` units of whole rows, or the first two tiles of the first batch).
    Nothing is started in the last timestep. The list's end and the count of started
    transfers go to DMEM slots for the propagation (``listed`` = 0: not listed, scan).
    """

    #: scalar registers the update leaves to the prefetch (out of its mask pool)
    REGISTERS = tuple(X(n) for n in range(26, 32))

    def __init__(self, c, layout: TiledLayout, tiles: list[int], slots, cur_slot: int,
                 time: X, end: X):
        self.layout, self.tiles, self.cur_slot, self.time, self.end = layout, tiles, cur_slot, time, end
        self.connection, self.pre = c.name, c.pre
        self.listed = slots[f"stream:{c.name}:listed"]
        self.started = slots[f"stream:{c.name}:prefetched"]
        k = layout.k
        first_slice = slice_rows(c.pre_size, len(tiles), k)
        self.cap = min(k * layout.units, first_slice) if len(tiles) == 1 else 2 * k
        self.handlers: list = []

    def begin(self, code: Code):
        lp, j, a = self.REGISTERS[:3]
        skip = code.new_label("pf_on")
        code.li(lp, self.layout.list_base)
        code.li(j, 0)
        code.addi(a, self.time, 1)           # the last step: nothing to prefetch for
        code.bne(a, self.end, skip)
        code.li(j, self.cap)
        code.label(skip)

    def chunk(self, code: Code, mask: X, spk: X, rel: int):
        """After a chunk's spike word (``mask``, stored at ``spk + 4 rel``)."""
        handler, back = code.new_label("pf_spikes"), code.new_label("pf_back")
        code.bne(mask, X(0), handler)
        code.label(back)
        self.handlers.append((handler, back, mask, spk, rel))

    def end_update(self, code: Code):
        lp, j = self.REGISTERS[:2]
        code.sw(lp, self.listed, X(0))
        code.sw(j, self.started, X(0))
        if not self.handlers:
            return
        over = code.new_label("pf_over")
        code.j(over)
        for handler in self.handlers:
            self._handler(code, *handler)
        self.handlers.clear()
        code.label(over)

    def _handler(self, code: Code, label: str, back: str, mask: X, spk: X, rel: int):
        lp, j, a, b, c, d = self.REGISTERS
        layout, k = self.layout, self.layout.k
        tile_bytes = 64 * self.tiles[0]
        code.label(label)
        code.lw(a, self.cur_slot, X(0))      # the neuron of bit 0: 8 x (word address - row)
        code.addi(b, mask, 0)
        code.sub(a, spk, a)
        code.slli(a, a, 3)
        if rel:
            code.addi(a, a, 32 * rel)

        def append():
            code.add(c, c, a)
            code.sh(c, 0, lp)
            code.addi(lp, lp, 2)
        code.for_each_set_bit(b, c, d, append, stem="pf_bit")
        # the next transfer, if the channel is idle, one is due and its row is listed
        _mm2s_idle(code, a)
        code.beq(a, X(0), back)
        code.li(a, self.cap)
        code.bge(j, a, back)
        go = code.new_label("pf_go")

        def row_j():
            """Transfer j: row j, tile 0 (back unless row j is listed)."""
            code.slli(a, j, 1)
            code.li(b, layout.list_base)
            code.add(a, a, b)
            code.bge(a, lp, back)
            code.li(d, 0)
            code.li(b, tile_bytes)

        if len(self.tiles) == 1:             # transfer j: row j
            row_j()
        else:                                # j < k: row j, tile 0; then row j - k, tile 1
            second = code.new_label("pf_tile1")
            code.li(b, k)
            code.bge(j, b, second)
            row_j()
            code.j(go)
            code.label(second)
            code.li(a, layout.list_base + 2 * (k - 1))   # the whole first batch is listed
            code.bge(a, lp, back)
            code.sub(a, j, b)
            code.slli(a, a, 1)
            code.li(b, layout.list_base)
            code.add(a, a, b)
            code.li(d, tile_bytes)
            code.li(b, 64 * self.tiles[1])
        code.label(go)                       # a: list entry, d: tile offset, b: bytes
        _csrw(code, "mm2s_count", b)
        code.lhu(c, 0, a)
        code.li(b, layout.row_bytes)
        code.mul(c, c, b)
        code.add(c, c, d)
        code.li(b, layout.ddr)
        code.add(c, c, b)
        _csrw(code, "mm2s_src", c)
        code.li(b, tile_bytes)
        code.mul(b, j, b)
        code.li(d, layout.buffers)
        code.add(b, b, d)
        _csrw(code, "mm2s_dst", b)
        code.csrrwi(X(0), CSR_ADDRESSES["mm2s_control"], 1)
        code.addi(j, j, 1)
        code.j(back)


#: DMEM bytes for one transfer list; longer spike lists are handled in slices
TRANSFER_LIST_BYTES = 24 * 1024


def slice_rows(pre_size: int, ntiles: int, k: int) -> int:
    """Spiking rows handled per slice (the transfer list holds one slice)."""
    return min(pre_size, max(k, TRANSFER_LIST_BYTES // (12 * ntiles) // k * k))


def tiled_sizes(pre_size: int, nvec: int, dma_ports: int, ring: int = 2) -> dict:
    """Bytes the tiled kernel needs (``ring`` units in the VMEM ring): VMEM ring and zero
    row, DMEM lists."""
    k, tile_vectors, _, _ = tiling(dma_ports)
    tiles = tiles_of(nvec, tile_vectors)
    rows = slice_rows(pre_size, len(tiles), k)
    units = -(-rows // k) * len(tiles)
    # two rows per batch: a partial batch is one row, added by a half pass (no zero row)
    return {"ring": ring * k * 64 * tiles[0], "zero_row": 64 * tiles[0] if k > 2 else 0,
            "triples": 12 * rows * len(tiles), "unit_ends": 4 * (units + ring + 1)}


def _tiled_pump_fast(code: Code, cold: list, count: bool, scratch: X = T_S2):
    """Three cycles unless a transfer starts (channel idle and one loaded): the start is
    out of line."""
    start, back = code.new_label("tpump_start"), code.new_label("tpump_back")
    _ready(code)
    code.bne(T_S, X(0), start)
    code.label(back)
    cold.append((start, back, scratch, count))


def _emit_cold_pumps(code: Code, cold: list, inline: bool = False):
    """The out-of-line starts of ``cold``'s pumps (emptied). ``inline``: placed in the
    instruction stream (jumped over), near their pumps so the branches stay short."""
    if not cold:
        return
    after = code.new_label("cold_after")
    if inline:
        code.j(after)
    for start, back, scratch, count in cold:
        code.label(start)
        _start_loaded(code, scratch, count)
        code.j(back)
    cold.clear()
    if inline:
        code.label(after)


def _load_triple(code: Code, scratch: X, count: bool):
    """The list entry at T_XP (source, destination[, bytes]) into the MM2S registers
    (``count``: also its bytes; else every transfer of the stream has the same count,
    written once)."""
    code.lw(T_S, 0, T_XP)                    # loads interleaved: no load-use stalls
    code.lw(scratch, 4, T_XP)
    _csrw(code, "mm2s_src", T_S)
    if count:
        code.lw(T_S, 8, T_XP)
    _csrw(code, "mm2s_dst", scratch)
    if count:
        _csrw(code, "mm2s_count", T_S)


#: T_PRE's value while the MM2S registers hold an entry that may start: the status's idle
#: bit, so that ``status & T_PRE`` is non-zero exactly when a transfer should start
_LOADED = 1 << DMA_STATUS_BITS["idle"]


def _ready(code: Code):
    """T_S = non-zero if and only if the channel is idle and a transfer is loaded."""
    code.csrrs(T_S, CSR_ADDRESSES["mm2s_status"], X(0))
    code.and_(T_S, T_S, T_PRE)


def _preload(code: Code, count: bool, scratch: X = T_S2):
    """Keep the invariant "T_PRE != 0 exactly when the entry at T_XP is allowed (below
    T_LIMIT) and loaded" after T_XP or T_LIMIT moved: load it if it is allowed now.

    A started transfer has latched its registers, so the next entry is written into them
    while the channel is busy: a start is then a single CSR write, and a pump costs its
    three cycles whether or not the channel is idle while nothing may start."""
    done = code.new_label("preloaded")
    code.bne(T_PRE, X(0), done)
    code.bge(T_XP, T_LIMIT, done)
    _load_triple(code, scratch, count)
    code.li(T_PRE, _LOADED)
    code.label(done)


def _start_loaded(code: Code, scratch: X, count: bool):
    """Start the loaded transfer, then load the next one if it is allowed."""
    done = code.new_label("tpump_done")
    code.csrrwi(X(0), CSR_ADDRESSES["mm2s_control"], 1)
    code.addi(T_XP, T_XP, 12)
    code.li(T_PRE, 0)
    code.bge(T_XP, T_LIMIT, done)
    _load_triple(code, scratch, count)
    code.li(T_PRE, _LOADED)
    code.label(done)


def _tiled_pump(code: Code, count: bool, scratch: X = T_S2):
    """Start the loaded transfer if the channel is idle (``scratch`` is a register that is
    free where the pump is placed)."""
    done = code.new_label("tpump_idle")
    _ready(code)
    code.beq(T_S, X(0), done)
    _start_loaded(code, scratch, count)
    code.label(done)


def _next_unit(code: Code, offset: X, unit_bytes: X, units: int, nbytes: int):
    """``offset`` (of a unit in the ring) moves on to the next unit's, ``unit_bytes`` =
    ``nbytes`` (T_S is clobbered when the ring holds more than two units)."""
    if units == 2:
        code.sub(offset, unit_bytes, offset)
        return
    wrapped = code.new_label("ring_ok")
    code.add(offset, offset, unit_bytes)
    code.li(T_S, units * nbytes)
    code.blt(offset, T_S, wrapped)
    code.li(offset, 0)
    code.label(wrapped)


def _tiled_compute(code: Code, k: int, nvec: int, isyn_base: int, pump_every: int, cold: list,
                   write_count: bool, group: int = GROUP):
    """acc += rows 0..k-1 over ``nvec`` vectors, ``group`` vectors per loop pass, a pump
    every ``pump_every`` vectors (inline starts when that is once per pass; ``write_count``:
    the pumps write each transfer's byte count)."""
    inline = pump_every is not None and pump_every >= group
    acc = [V(1), V(2)]
    w = [V(3 + n) for n in range(k)]

    def vectors(first, count):
        if k == 1:                           # the store trails by a vector: no load-use gap
            w2 = [V(3), V(4)]
            for v in range(first, first + count):
                code.vloadv(acc[v % 2], T_AP, 64 * v)
                code.vloadv(w2[v % 2], T_R[0], 64 * v)
                if v > first:
                    code.vstore(acc[(v - 1) % 2], T_AP, 64 * (v - 1))
                code.vadd_s(acc[v % 2], acc[v % 2], w2[v % 2])
            code.vstore(acc[(first + count - 1) % 2], T_AP, 64 * (first + count - 1))
            return
        for v in range(first, first + count):
            a, off = acc[v % 2], 64 * v
            code.vloadv(a, T_AP, off)
            code.vloadv(w[0], T_R[0], off)
            code.vloadv(w[1], T_R[1], off)
            for r in range(k):
                code.vadd_s(a, a, w[r])
                if r + 2 < k:
                    code.vloadv(w[r + 2], T_R[r + 2], off)
            code.vstore(a, T_AP, off)

    def advance(count):
        for r in range(k):
            code.addi(T_R[r], T_R[r], 64 * count) if 64 * count < 2048 else code.add(T_R[r], T_R[r], T_STEP)
        code.addi(T_AP, T_AP, 64 * count) if 64 * count < 2048 else code.add(T_AP, T_AP, T_STEP)

    def pass_of(count):
        """``count`` vectors at offsets 0.., a cheap pump every ``pump_every`` (None: none)."""
        if pump_every is None:
            vectors(0, count)
            return
        for first in range(0, count, pump_every):
            vectors(first, min(pump_every, count - first))
            if inline:
                _tiled_pump(code, write_count)
            else:
                _tiled_pump_fast(code, cold, write_count)

    code.li(T_AP, isyn_base)
    groups, rest = divmod(nvec, group)
    if groups:
        loop = code.new_label("tile_pass")
        code.li(T_CN, isyn_base + 64 * group * groups)     # the accumulator pointer's end
        code.label(loop)
        pass_of(group)
        advance(group)
        code.bne(T_AP, T_CN, loop)
        _emit_cold_pumps(code, cold, inline=True)     # near their pumps: short branches
    if rest:
        pass_of(rest)
        _emit_cold_pumps(code, cold, inline=True)


def partial_passes(k: int) -> list[int]:
    """Rows of the shorter passes a step's last batch may use (ascending): about a quarter,
    half and three quarters of ``k``, so that it adds at most ~k/8 zero rows on average."""
    return sorted({-(-k * q // 4) for q in (1, 2, 3)} - {k})


def emit_streamed_tiled(code: Code, c, post, layout: TiledLayout, slots, ln, isyn_base: int):
    """Large targets: batches of k rows, cut into tiles, transfers listed then pumped."""
    k = layout.k
    cold: list = []
    tiles = tiles_of(post.nvec, layout.tile_vectors)
    tile_bytes = 64 * tiles[0]
    count = len(set(tiles)) > 1              # the pumps write each transfer's bytes
    code.note = f"{c.name}: propagation (weights streamed from DDR, tiled)"
    finished = code.new_label("tiled_done")
    prefetch = layout.prefetch
    if prefetch is None:
        _spike_list(code, c, slots, ln, layout.list_base, T_LIST, T_N)
    else:                                    # listed by the update (0: not yet, scan the row)
        scan, listed = code.new_label("tscan"), code.new_label("tlisted")
        code.lw(T_N, prefetch.listed, X(0))
        code.beq(T_N, X(0), scan)
        code.li(T_LIST, layout.list_base)
        code.sub(T_N, T_N, T_LIST)
        code.srli(T_N, T_N, 1)
        code.j(listed)
        code.label(scan)
        _spike_list(code, c, slots, ln, layout.list_base, T_LIST, T_N)
        code.label(listed)
    code.beq(T_N, X(0), finished)
    # long spike lists go in slices, each with its own transfer list
    cap = slice_rows(c.pre_size, len(tiles), k)
    remaining, list_slot = slots[f"stream:{c.name}:remaining"], slots[f"stream:{c.name}:list"]
    next_slice = code.new_label("tslice")
    code.sw(T_N, remaining, X(0))
    code.sw(T_LIST, list_slot, X(0))
    code.label(next_slice)
    code.lw(T_N, remaining, X(0))
    code.lw(T_LIST, list_slot, X(0))
    code.li(T_S, cap)
    fits = code.new_label("slice_ok")
    code.bge(T_S, T_N, fits)
    code.addi(T_N, T_S, 0)
    code.label(fits)
    code.li(T_WDDR, layout.ddr)
    code.li(T_RB, layout.row_bytes)
    code.li(T_TB, tile_bytes)
    if not count:                            # one size for every transfer: written once
        _csrw(code, "mm2s_count", T_TB)
    code.li(T_BUF0, layout.buffers)
    # ---- the transfer list: unit by unit (batch, tile), one triple per row segment
    code.li(T_UEP, layout.unit_ends)
    code.li(T_B, 0)
    code.li(T_XP, 0)                         # nothing to fetch until the first batch is listed
    code.li(T_PRE, 0)
    code.li(T_LIMIT, 0)
    code.li(X(24 + len(tiles) - 1), layout.triples)    # the list's write position
    code.addi(T_BP, T_LIST, 0)
    code.li(T_HB, 0)
    build, built = code.new_label("tbuild"), code.new_label("tbuilt")
    if len(tiles) > 4:
        raise ValueError(f"{c.name}: {len(tiles)} tiles per row; at most 4 (raise TILING's tile size)")
    pointers = [X(n) for n in range(24, 24 + len(tiles))]      # next triple of each unit
    destinations = [X(n) for n in range(28, 28 + len(tiles))]  # next buffer of each unit
    code.label(build)
    code.sub(T_S2, T_N, T_B)                 # rows in this batch: min(k, N - B)
    code.li(T_S, k)
    rows_ok = code.new_label("rows_ok")
    code.bge(T_S, T_S2, rows_ok)
    code.addi(T_S2, T_S, 0)
    code.label(rows_ok)
    # unit t of this batch starts at XP + t * rows * 12 and uses half (B/k * tiles + t) % 2
    code.slli(T_S, T_S2, 3)
    code.slli(T_IDX, T_S2, 2)
    code.add(T_STEP, T_S, T_IDX)             # rows * 12
    code.li(T_AP, k * tile_bytes)
    for t in range(len(tiles)):
        if t:
            code.add(pointers[t], pointers[t - 1], T_STEP)
        elif len(tiles) > 1:
            code.addi(pointers[0], pointers[-1], 0)   # continue after the previous batch
        code.add(destinations[t], T_BUF0, T_HB)
        _next_unit(code, T_HB, T_AP, layout.units, k * tile_bytes)
    code.addi(T_CN, T_S2, 0)
    counts = dict(zip(sorted(set(tiles)), (T_STEP, T_HALF)))     # segment bytes, hoisted
    for size, register in counts.items():
        code.li(register, 64 * size)
    row = code.new_label("trow")
    code.label(row)                          # one row: its segment in every tile's unit
    _tiled_pump_fast(code, cold, count, T_AP)    # transfers start while the list is written
    code.lhu(T_IDX, 0, T_BP)
    code.addi(T_BP, T_BP, 2)
    code.mul(T_S, T_IDX, T_RB)
    code.add(T_S, T_S, T_WDDR)
    for t, size in enumerate(tiles):
        if t:
            code.add(T_S, T_S, T_TB)
        code.sw(T_S, 0, pointers[t])
        code.sw(destinations[t], 4, pointers[t])
        code.sw(counts[size], 8, pointers[t])
        code.addi(pointers[t], pointers[t], 12)
        code.add(destinations[t], destinations[t], T_TB)
    code.addi(T_CN, T_CN, -1)
    code.bne(T_CN, X(0), row)
    _emit_cold_pumps(code, cold, inline=True)
    for t in range(len(tiles)):              # where each unit's transfers end
        code.sw(pointers[t], 4 * t, T_UEP)
    in_ring = code.new_label("in_ring")      # the units of the first ring may all be fetched
    code.li(T_S, k * layout.units if len(tiles) == 1 else 1)
    code.bge(T_B, T_S, in_ring)
    code.addi(T_LIMIT, pointers[min(layout.units, len(tiles)) - 1], 0)
    code.label(in_ring)
    listed_first = code.new_label("first_listed")
    code.bne(T_B, X(0), listed_first)        # after the first batch: fetch from its start
    code.li(T_XP, layout.triples)
    if prefetch is not None:                 # after those the update started (first slice)
        code.lw(T_S, prefetch.started, X(0))
        code.sw(X(0), prefetch.started, X(0))
        code.slli(T_IDX, T_S, 3)
        code.slli(T_S, T_S, 2)
        code.add(T_S, T_S, T_IDX)
        code.add(T_XP, T_XP, T_S)
    code.label(listed_first)
    _preload(code, count, scratch=T_AP)
    started = code.new_label("fetching")
    code.bne(T_B, X(0), started)
    if prefetch is None:                     # the kernel's first transfer: the channel is idle
        _start_loaded(code, T_AP, count)
    else:
        _tiled_pump(code, count, T_AP)
    code.label(started)
    code.addi(T_UEP, T_UEP, 4 * len(tiles))
    code.li(T_S, 2 * (k - 1))                # skip the rest of a partial batch's indices
    code.add(T_BP, T_BP, T_S)
    code.slli(T_S, T_S2, 1)
    code.sub(T_BP, T_BP, T_S)
    code.addi(T_BP, T_BP, 2)
    code.addi(T_B, T_B, k)
    code.blt(T_B, T_N, build)
    code.label(built)
    for sentinel in range(layout.units + 1):     # "limit = end of list"
        code.sw(pointers[-1], 4 * sentinel, T_UEP)
    # ---- transfers and additions (the first transfer started while listing)
    code.li(T_UEP, layout.unit_ends)
    code.lw(T_LIMIT, 4 * (layout.units - 1), T_UEP)     # the first ring's units may be fetched
    _preload(code, count)
    code.li(T_B, 0)
    code.li(T_HALF, 0)
    batch = code.new_label("tbatch")
    code.label(batch)
    for tile, size in enumerate(tiles):
        wait = code.new_label("twait")
        code.lw(T_CN, 0, T_UEP)              # this unit's end in the list
        code.phase("propagation")
        code.label(wait)
        _tiled_pump(code, count)
        _mm2s_idle(code, T_S)
        code.sltiu(T_S, T_S, 1)              # 1 while a transfer is in flight
        code.slli(T_S2, T_S, 3)
        code.slli(T_S, T_S, 2)
        code.add(T_S, T_S, T_S2)             # 12 bytes per in-flight triple
        code.sub(T_S, T_XP, T_S)             # end of the completed triples
        code.blt(T_S, T_CN, wait)
        code.phase("dma_wait")
        _tiled_pump(code, count)
        code.li(T_S, layout.buffers)
        code.add(T_R[0], T_S, T_HALF)
        code.li(T_S2, tile_bytes)
        for r in range(1, k):
            code.add(T_R[r], T_R[r - 1], T_S2)
        full_batch = code.new_label("tbatch_full")
        code.addi(T_S, T_B, k)
        code.bge(T_N, T_S, full_batch)       # rows past the last spike read the zero row
        for r in range(1, k if layout.zero_row is not None else 0):
            keep = code.new_label("trow_ok")
            code.addi(T_S, T_B, r)
            code.blt(T_S, T_N, keep)
            code.li(T_R[r], layout.zero_row)
            code.label(keep)
        code.label(full_batch)
        code.li(T_STEP, 64 * layout.group)
        base = isyn_base + tile * tile_bytes
        full, added = code.new_label("tfull"), code.new_label("tadded")
        if partial_passes(k):
            code.addi(T_S, T_B, k)
            code.bge(T_N, T_S, full)
        for rows in partial_passes(k):       # a last batch of at most ``rows`` rows
            larger = code.new_label("tlarger")
            code.addi(T_S, T_B, rows)
            code.blt(T_S, T_N, larger)
            _tiled_compute(code, rows, size, base, None if len(tiles) == 1 else layout.pump_every,
                           cold, count, layout.group)
            code.j(added)
            code.label(larger)
        code.label(full)
        _tiled_compute(code, k, size, base, layout.pump_every, cold, count, layout.group)
        code.label(added)
        code.lw(T_LIMIT, 4 * layout.units, T_UEP)   # this unit's buffers are free: one more unit may come
        code.addi(T_UEP, T_UEP, 4)
        _preload(code, count)
        code.li(T_S2, k * tile_bytes)
        _next_unit(code, T_HALF, T_S2, layout.units, k * tile_bytes)
    code.addi(T_B, T_B, k)
    code.blt(T_B, T_N, batch)
    code.lw(T_S, remaining, X(0))
    code.sub(T_S, T_S, T_N)
    code.sw(T_S, remaining, X(0))
    code.lw(T_S2, list_slot, X(0))
    code.add(T_S2, T_S2, T_N)
    code.add(T_S2, T_S2, T_N)
    code.sw(T_S2, list_slot, X(0))
    code.blt(X(0), T_S, next_slice)
    code.j(finished)
    _emit_cold_pumps(code, cold)
    code.label(finished)
