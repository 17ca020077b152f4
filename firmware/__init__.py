"""fenn.firmware: the resident code that is the same for every network (docs/firmware.md).

``batch.s`` is the batch loop, written once in FeNN assembly: per sample it takes a
descriptor from a table in DDR, brings the sample's RNG seed and input events in by DMA,
runs the compiled network, sends its recordings out by DMA, writes a status vector and,
after the last sample, halts (``ecall``: the SoC's ``halted`` line, the interrupt).

The compiler links a network into it (``fenn.compile(..., batch=True)``): it reserves the
firmware's memory (:func:`reserve`), puts the program's addresses in front of the source
as ``.equ`` lines and the network's code behind it (:func:`link`). The host side
(:class:`Batch`) lays a batch out in DDR and reads the results back; ``fenn.run`` uses it
on every backend, so sim, rtl and pynq run the same firmware.

DMA moves DDR <-> VMEM only, but input events and spike recordings live in DMEM, so they
cross VMEM in *plane format*: a 64-byte vector of 32 lanes stands for 16 DMEM words,
word ``k`` bit ``i`` = lane ``i`` bit ``15 - k``. The core converts with ``vtlt`` (32 bits
per instruction) one way and ``vsel`` the other; the host converts with numpy.
"""

from __future__ import annotations

import dataclasses
import pathlib

import numpy as np

from ..errors import FennError

__all__ = ["SOURCE", "reserve", "link", "Batch", "to_planes", "from_planes", "BatchError",
           "STAGING_VECTORS", "AREA_BYTES", "HEADER"]

SOURCE_PATH = pathlib.Path(__file__).with_name("batch.s")
SOURCE = SOURCE_PATH.read_text()
#: where the network returns to instead of halting
RETURN_LABEL = "sample_done"
#: VMEM staging vectors (a DMA chunk of inputs or DMEM outputs)
STAGING_VECTORS = 16
#: the firmware's DMEM area: header, plane words, then the link tables
AREA_BYTES = 1024
#: byte offsets in the area the host and the firmware share (``.equ F_TABLE`` etc. in batch.s)
HEADER = {"table": 0, "count": 4, "index": 8, "plane": 64}
_TABLES = 128
MAX_INPUTS = 14                 # descriptor words d2..d15
MAX_OUTPUTS = (AREA_BYTES - _TABLES - 4 * MAX_INPUTS) // 16
#: the status vector's first word once a sample is done
DONE = 1
#: what the firmware's measurement adds to a network run's cycles and instructions
#: (the jumps in and out and the counter reads; fixed, checked against per-sample runs)
CYCLE_OFFSET = 7
INSTRET_OFFSET = 7


class BatchError(FennError, ValueError):
    """A network or batch the batch firmware cannot take (too many inputs or recordings,
    a batch larger than the DDR above the program).

    Fix: the message says what to change; or compile without ``batch=True``.
    """


def _pad64(n: int) -> int:
    return -(-n // 64) * 64


# ------------------------------------------------------------------ plane format

def to_planes(data) -> np.ndarray:
    """DMEM bytes (zero-padded to 64) -> the VMEM bytes that ``planes_in`` turns into them."""
    raw = np.frombuffer(np.ascontiguousarray(data).tobytes(), dtype=np.uint8)
    padded = np.zeros(_pad64(raw.size), dtype=np.uint8)
    padded[:raw.size] = raw
    words = padded.view("<u4").reshape(-1, 16).astype(np.uint32)
    bits = (words[:, :, None] >> np.arange(32, dtype=np.uint32)) & 1          # (n, k, lane)
    lanes = (bits << (15 - np.arange(16, dtype=np.uint32))[None, :, None]).sum(axis=1)
    return lanes.astype("<u2").view(np.uint8).reshape(-1)


def from_planes(data) -> np.ndarray:
    """VMEM bytes in plane format -> the DMEM bytes they stand for (the inverse)."""
    lanes = np.frombuffer(np.ascontiguousarray(data).tobytes(), dtype="<u2").reshape(-1, 32).astype(np.uint32)
    bits = (lanes[:, None, :] >> (15 - np.arange(16, dtype=np.uint32))[None, :, None]) & 1  # (n, k, lane)
    words = (bits << np.arange(32, dtype=np.uint32)).sum(axis=2, dtype=np.uint64).astype("<u4")
    return words.view(np.uint8).reshape(-1)


# ------------------------------------------------------------------ compiler side

@dataclasses.dataclass
class Reservation:
    """Memory the compiler set aside for the firmware."""
    area: int                   # DMEM
    staging: int                # VMEM, STAGING_VECTORS x 64 bytes


def reserve(plan) -> Reservation:
    """Reserve the firmware's DMEM area and VMEM staging in a ``compiler.plan.MemoryPlan``
    (after the network's own buffers, so that they keep the addresses of a plain build)."""
    return Reservation(plan.alloc("dmem", "firmware", AREA_BYTES, align=64,
                                  what="firmware: batch header, plane words, link tables"),
                       plan.alloc("vmem", "firmware.staging", 64 * STAGING_VECTORS, align=64,
                                  what="firmware: DMA staging of descriptors, inputs, DMEM outputs"))


def link(reservation: Reservation, io: dict, soc) -> tuple[str, tuple[int, np.ndarray], dict]:
    """The firmware source for a program with host buffers ``io`` (``fenn.program.IoBuffer``):
    ``(source text, DMEM image (address, bytes) of its link tables, meta["batch"])``."""
    area = reservation.area
    inputs = [b for b in io.values() if b.role == "input" and b.name.startswith("input.")]
    outputs = [b for b in io.values() if b.role == "output"]
    vouts = [b for b in outputs if b.memory == "vmem"]
    douts = [b for b in outputs if b.memory == "dmem"]
    if len(inputs) > MAX_INPUTS or len(vouts) > MAX_OUTPUTS or len(douts) > MAX_OUTPUTS:
        raise BatchError(f"the batch firmware takes at most {MAX_INPUTS} inputs and {MAX_OUTPUTS} "
                         f"VMEM and DMEM recordings each; this network has {len(inputs)} inputs, "
                         f"{len(vouts)} VMEM and {len(douts)} DMEM recordings: compile it without batch=True")
    for b in vouts:
        if b.address % 64 or b.nbytes % 64:
            raise BatchError(f"recording {b.name!r} is not whole 64-byte VMEM rows")
    for b in douts + [b for b in inputs if b.memory == "dmem"]:
        if b.address % 4 or b.address + _pad64(b.nbytes) > soc.dmem_bytes:
            raise BatchError(f"{b.name!r} (DMEM 0x{b.address:x}, {b.nbytes} bytes) cannot be moved "
                             f"in whole 64-byte planes")
    seed = io["rng_seed"]
    in_table = area + _TABLES
    vout_table = in_table + 4 * len(inputs)
    dout_table = vout_table + 8 * len(vouts)
    # an input whose events are in VMEM: its slot for the sample's DDR address, bit 0 set
    words = [b.meta["source_slot"] | 1 if b.memory == "ddr" else b.address for b in inputs]
    words += [v for b in vouts for v in (b.address, b.nbytes)]
    words += [v for b in douts for v in (b.address, _pad64(b.nbytes) // 64)]
    constants = {"FW": area, "STAGING": reservation.staging, "STAGING_VECTORS": STAGING_VECTORS,
                 "SEED": seed.address, "INPUTS": in_table, "N_INPUTS": len(inputs),
                 "VOUTS": vout_table, "N_VOUTS": len(vouts), "DOUTS": dout_table, "N_DOUTS": len(douts)}
    constants.update({f"F_{name.upper()}": offset for name, offset in HEADER.items()})
    source = "".join(f".equ {name}, {value}\n" for name, value in constants.items()) + SOURCE
    image = (in_table, np.asarray(words, dtype="<u4").view(np.uint8).copy())
    offset, layout = 64, []
    for b in vouts + douts:
        size = b.nbytes if b.memory == "vmem" else _pad64(b.nbytes)
        layout.append({"key": b.name, "memory": b.memory, "offset": offset, "nbytes": b.nbytes})
        offset += size
    # a fetch of VMEM-placed events may read two blocks past a sample's own
    slack = max([2 * 64 * b.meta["block"] for b in inputs if b.memory == "ddr"], default=0)
    meta = {"area": area, "staging": reservation.staging, "inputs": [b.name for b in inputs],
            "input_bytes": [b.nbytes for b in inputs], "outputs": layout, "out_bytes": offset,
            "input_planes": [b.memory == "dmem" for b in inputs], "slack": slack}
    return source, image, meta


# ------------------------------------------------------------------ host side

class Batch:
    """A batch of samples laid out in DDR for the firmware of ``program`` (a batch Program).

    DDR from ``base`` (above the program's own DDR use): the descriptor table, the output
    blocks, then the input blocks. :meth:`split` cuts a batch into runs that fit.
    """

    def __init__(self, program):
        meta = program.meta.get("batch")
        if meta is None:
            raise BatchError("this Program has no batch firmware; compile it with "
                             "fenn.compile(..., batch=True)")
        self.program, self.meta = program, meta
        used = program.meta["memory"]["ddr"]["used"]
        self.base = -(-used // 4096) * 4096
        self.room = program.soc.ddr_bytes - self.base - meta.get("slack", 0)

    def sample_bytes(self, streams: list[np.ndarray]) -> int:
        """DDR one sample takes: descriptor, output block, seed and input planes."""
        return 64 + self.meta["out_bytes"] + 128 + sum(_pad64(s.nbytes) for s in streams)

    def split(self, streams: list[list[np.ndarray]]) -> list[range]:
        """Consecutive runs of samples whose layout fits the DDR above the program's own."""
        runs, first, used = [], 0, 0
        for s, sample in enumerate(streams):
            need = self.sample_bytes(sample)
            if need > self.room:
                raise BatchError(f"sample {s} needs {need:,} bytes of DDR for the batch firmware "
                                 f"but only {self.room:,} are free above the program's own; use a "
                                 f"SocConfig with a larger ddr_bytes")
            if used + need > self.room:
                runs.append(range(first, s))
                first, used = s, 0
            used += need
        runs.append(range(first, len(streams)))
        return runs

    def pack(self, seeds: np.ndarray, streams: list[list[np.ndarray]]) -> tuple[np.ndarray, int, list[int]]:
        """``(bytes from base, table address, output block addresses)`` for these samples."""
        n = len(streams)
        out_bytes = self.meta["out_bytes"]
        table = self.base
        outs = [table + 64 * n + out_bytes * s for s in range(n)]
        cursor = table + 64 * n + out_bytes * n
        blob = bytearray(cursor - table)
        descriptors = np.zeros((n, 16), dtype="<u4")
        planar = self.meta.get("input_planes") or [True] * len(self.meta["inputs"])
        for s, sample in enumerate(streams):
            descriptors[s, 0], descriptors[s, 1] = cursor, outs[s]
            block = [np.ascontiguousarray(seeds[s], dtype="<u2").view(np.uint8).reshape(-1)]
            for k, stream in enumerate(sample):
                planes = to_planes(stream) if planar[k] else \
                    np.ascontiguousarray(stream).view(np.uint8).reshape(-1)
                descriptors[s, 2 + k] = planes.size // 64
                block.append(planes)
            block = np.concatenate(block)
            blob += block.tobytes()
            cursor += block.size
        blob[:64 * n] = to_planes(descriptors).tobytes()
        return np.frombuffer(bytes(blob), dtype=np.uint8), table, outs

    def unpack(self, block: np.ndarray, sample: int) -> tuple[dict, dict[str, np.ndarray]]:
        """One sample's output block -> (status words, {recording: its bytes as in memory})."""
        status = from_planes(block[:64]).view("<u4")
        if status[0] != DONE or status[1] != sample:
            raise BatchError(f"sample {sample}: the firmware left no status (status words "
                             f"{status[:2].tolist()}): the batch did not finish it")
        recordings = {}
        for out in self.meta["outputs"]:
            data = block[out["offset"]:out["offset"] + _pad64(out["nbytes"])]
            if out["memory"] == "dmem":
                data = from_planes(data)
            recordings[out["key"]] = data[:out["nbytes"]]
        return {"cycles": int(status[2]) - CYCLE_OFFSET,
                "instructions": int(status[3]) - INSTRET_OFFSET}, recordings
