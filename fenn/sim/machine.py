"""One simulated FeNN core: state as numpy arrays, runs in the compiled kernel.

Run semantics (the Device contract): :meth:`Machine.run` starts at pc 0 (or ``pc``) and
runs until ``ecall``/``ebreak``; registers, RNG state, CSRs and memories are kept between
runs, so a host can rewrite memories (or registers) and run again. :meth:`Machine.reset`
is the core reset (registers, RNG, CSRs, DMA); :meth:`Machine.load` also replaces IMEM
and the memory images. A fault or an exhausted budget raises
:class:`fenn.errors.MachineFault` and leaves everything as it was when the offending
instruction issued; :meth:`Machine.resume` continues after a budget stop.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np
from numba import njit

from .. import isa
from ..device import RunStatus, check_range
from ..disasm import disassemble
from ..errors import MachineFault
from ..faults import Fault
from ..soc import DEFAULT_SOC, SocConfig, rng_reset_state
from ..timing import STALL_KEYS
from . import kernel as K
from .decode import Slot, decode_words, destination

__all__ = ["Machine", "TraceRecord", "RESET_S0", "RESET_S1"]

#: RNG state after reset, shared with the RTL (fenn.soc.rng_reset_state: lane i starts at
#: S0 = i + 1, S1 = 0x9E37). Programs normally load their own with vloadr0/vloadr1.
RESET_S0, RESET_S1 = (np.array(lanes, dtype=np.uint16) for lanes in rng_reset_state(32))

#: steps per call into the kernel when no budget is given (lets Ctrl-C through)
_CHUNK = 1 << 27
#: most cycles one instruction can take (a taken branch or jump, docs/timing.md)
_MAX_COST = 3


def _aligned_zeros(shape, dtype, alignment: int = 64) -> np.ndarray:
    """Zeros whose data starts on a 64-byte boundary, so a vector row is one cache line."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.zeros(nbytes + alignment, dtype=np.uint8)
    start = (-raw.ctypes.data) % alignment
    return raw[start:start + nbytes].view(dtype).reshape(shape)


@dataclasses.dataclass
class TraceRecord:
    """One retired instruction: where, what, its issue cycle within the run, the register it wrote."""
    pc: int
    word: int
    text: str
    cycle: int
    x_writes: tuple[tuple[int, int], ...]            # (register, new uint32 value)
    v_writes: tuple[tuple[int, np.ndarray], ...]     # (register, new int16[32] lanes)


_MEMORY_NAMES = ("imem", "dmem", "vmem", "llm", "ddr")


class Machine:
    """A FeNN core, its memories and its DMA engine, sized by a :class:`SocConfig`."""

    def __init__(self, soc: SocConfig = DEFAULT_SOC, strict: bool = False, hart_id: int = 0,
                 ddr: np.ndarray | None = None):
        """``ddr``: the DDR this core's DMA reaches, as uint8 bytes (several cores may share
        one array; their DDR windows then say which part each may use). Default: its own
        ``soc.ddr_bytes``, all of it its window."""
        self.soc = soc
        self.strict = bool(strict)
        self.hart_id = int(hart_id)
        self._imem_words = soc.imem_bytes // 4
        self._words = np.zeros(self._imem_words, dtype=np.uint32)
        self._slots: list[Slot] = []
        self._code = np.full(self._imem_words, K.ILLEGAL, dtype=np.int64)
        self._decoded_key: bytes | None = None
        self._hits = np.zeros(self._imem_words, dtype=np.int64)
        self._x = np.zeros(K.X0_SINK + 1, dtype=np.int32)     # + the x0 write sink
        self._xu = self._x[:32].view(np.uint32)
        self._v = _aligned_zeros((32, 32), dtype=np.int16)
        self._s0 = _aligned_zeros(32, dtype=np.uint16)
        self._s1 = _aligned_zeros(32, dtype=np.uint16)
        self._dmem = np.zeros(soc.dmem_bytes, dtype=np.uint8)
        self._vmem = _aligned_zeros(soc.vmem_bytes, dtype=np.uint8)
        self._llm = np.zeros((32, soc.llm_bytes_per_lane // 2), dtype=np.int16)
        self._ddr = _aligned_zeros(soc.ddr_bytes, dtype=np.uint8) if ddr is None else ddr
        if self._ddr.dtype != np.uint8 or self._ddr.ndim != 1:
            raise ValueError("Machine(ddr=...) must be a 1-D uint8 array")
        self._window = (0, min(soc.ddr_bytes, self._ddr.size))
        # the part of DDR that may be non-zero (byte range), so that load() zeroes that
        # instead of 64 MB: known only for a DDR of its own; host writes extend it, a run
        # with an S2MM transfer or the live ``ddr`` view make it all of DDR
        self._owns_ddr = ddr is None
        self._dirty = (0, 0) if self._owns_ddr else (0, self._ddr.size)
        self._st = np.zeros(K.ST_SIZE, dtype=np.int64)
        self._run_start = (0, 0, 0, 0)
        self.last_status: RunStatus | None = None
        self.reset()

    # ------------------------------------------------------------ state
    x = property(lambda self: self._xu, lambda self, value: self._xu.__setitem__(..., value),
                 doc="x0..x31 as uint32[32] (live view; x0 reads 0)")
    v = property(lambda self: self._v, lambda self, value: self._v.__setitem__(..., value),
                 doc="v0..v31 as int16[32 registers, 32 lanes] (live)")
    s0 = property(lambda self: self._s0, lambda self, value: self._s0.__setitem__(..., value),
                  doc="RNG state S0, uint16[32 lanes]")
    s1 = property(lambda self: self._s1, lambda self, value: self._s1.__setitem__(..., value),
                  doc="RNG state S1, uint16[32 lanes]")
    dmem = property(lambda self: self._dmem, doc="DMEM bytes (live)")
    vmem = property(lambda self: self._vmem, doc="VMEM bytes (live)")
    llm = property(lambda self: self._llm, doc="lane-local memory, int16[32 lanes, halfwords] (live)")
    @property
    def ddr(self) -> np.ndarray:
        """DDR bytes (live; all of it, not only the window)."""
        self._dirty = (0, self._ddr.size)           # the caller may write through it
        return self._ddr

    @property
    def ddr_window(self) -> tuple[int, int]:
        """(base, size) of the DDR window: a DMA's DDR address is an offset below ``size``,
        added to ``base``; a transfer that would leave the window faults (DMA_WINDOW)."""
        return self._window

    def set_ddr_window(self, base: int, size: int) -> None:
        """What the host does through the DDR_BASE and DDR_SIZE registers. A core reset keeps
        the window (the registers live in the host interface)."""
        base, size = int(base), int(size)
        if base % 64 or size % 64 or base < 0 or size < 0:
            raise ValueError(f"DDR window base 0x{base:x} and size {size} must be non-negative "
                             "multiples of 64 (the DMA moves whole 64-byte rows)")
        if base + size > self._ddr.size:
            raise ValueError(f"DDR window of {size} bytes at 0x{base:x} does not fit the modelled "
                             f"DDR ({self._ddr.size} bytes)")
        self._window = (base, size)
        self._st[K.WINDOW_BASE], self._st[K.WINDOW_SIZE] = base, size
    imem = property(lambda self: self._words.copy(), doc="IMEM words (a copy; change with load/write)")

    @property
    def pc(self) -> int:
        return int(self._st[K.PC])

    @pc.setter
    def pc(self, value: int) -> None:
        self._st[K.PC] = int(value)

    @property
    def cycle(self) -> int:
        """Issue cycle of the next instruction, counted from reset (never inhibited)."""
        return int(self._st[K.CYCLE])

    def csr(self, address: int | str) -> int:
        """Read a CSR as the next instruction would (no side effects)."""
        if isinstance(address, str):
            address = isa.CSR_ADDRESSES[address.lower()]
        value, ok = K.csr_read(self._st, int(address), self._st[K.CYCLE], self._st[K.INSTRET])
        if not ok:
            raise ValueError(f"no CSR at 0x{address:03x}; known: "
                             + ", ".join(f"{n} 0x{a:03x}" for n, a in isa.CSR_ADDRESSES.items()))
        return int(value)

    def reset(self) -> None:
        """Core reset: registers, RNG, CSRs, DMA channels and pc; memories are kept."""
        self._x[:] = 0
        self._v[:] = 0
        self._s0[:] = RESET_S0
        self._s1[:] = RESET_S1
        st = self._st
        st[:] = 0
        st[K.INHIBIT] = 0b101
        st[K.HARTID] = self.hart_id
        st[K.DMA_NEXT] = K.NEVER
        st[K.DMA_LATENCY] = self.soc.dma_read_latency
        st[K.DMA_BPC] = self.soc.dma_bytes_per_cycle
        st[K.WINDOW_BASE], st[K.WINDOW_SIZE] = self._window
        for ch in range(2):
            st[K.DMA_BASE + 16 * ch + K.D_START] = -1
            st[K.DMA_BASE + 16 * ch + K.D_DONE] = -1
        self._halted = True
        self._hits[:] = 0

    # ------------------------------------------------------------ loading
    def load(self, words, dmem=None, vmem=None, llm=None, ddr=None) -> None:
        """Reset, put ``words`` at IMEM 0 and images at address 0 of each memory (rest zero;
        DDR: the image at the start of the DDR window, the rest of the window zero)."""
        self._set_text(np.asarray(words, dtype=np.uint32))
        for memory, image in (("dmem", dmem), ("vmem", vmem)):
            target = getattr(self, "_" + memory)
            target[:] = 0
            if image is not None:
                self.write(memory, 0, image)
        self._zero_window()
        if ddr is not None:
            self._write_window(0, ddr)
        self._llm[:] = 0
        if llm is not None:
            llm = np.asarray(llm, dtype=np.int16)
            if llm.ndim != 2 or llm.shape[0] != 32 or llm.shape[1] > self._llm.shape[1]:
                raise ValueError(f"llm image must be int16[32, <= {self._llm.shape[1]}], got {llm.shape}")
            self._llm[:, :llm.shape[1]] = llm
        self.reset()

    def load_program(self, program) -> None:
        """Reset and load a :class:`fenn.program.Program`: its text and every image."""
        if program.soc != self.soc:
            raise ValueError("program was built for a different SocConfig than this Machine; "
                             "create the Machine with Machine(soc=program.soc)")
        self.load(program.text)
        for name, (address, data) in program.images.items():
            if name == "llm":
                data = np.asarray(data, dtype=np.int16)
                self._llm[:, address // 2: address // 2 + data.shape[1]] = data
            elif name == "ddr":
                self._write_window(address, data)
            else:
                self.write(name, address, data)

    def _written(self, address: int, nbytes: int) -> None:
        """DDR bytes ``address`` to ``address + nbytes`` may now be non-zero."""
        lo, hi = self._dirty
        self._dirty = (address, address + nbytes) if lo >= hi else \
            (min(lo, address), max(hi, address + nbytes))

    def _zero_window(self) -> None:
        """Zero the DDR window, touching only the part that may be non-zero."""
        base, size = self._window
        lo, hi = self._dirty
        if max(lo, base) < min(hi, base + size):
            self._ddr[max(lo, base):min(hi, base + size)] = 0
        if self._owns_ddr and base <= lo and hi <= base + size:
            self._dirty = (0, 0)

    def _write_window(self, offset: int, data) -> None:
        """Bytes at an offset inside the DDR window (where the core's DMA sees them)."""
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        base, size = self._window
        check_range("write", "the DDR window", offset, raw.size, size)
        self._written(base + offset, raw.size)
        self._ddr[base + offset:base + offset + raw.size] = raw

    def _set_text(self, words: np.ndarray) -> None:
        key = words.tobytes() + bytes([self.strict])
        if key != self._decoded_key:
            self._code, self._slots = decode_words(words, self._imem_words, self.strict)
            self._slot_tables = _slot_tables(self._slots, self._code)
            self._decoded_key = key
            self._words[:] = 0
            self._words[:words.size] = words

    def _memory(self, memory: str) -> np.ndarray:
        if memory not in _MEMORY_NAMES:
            raise ValueError(f"unknown memory {memory!r}; expected one of {_MEMORY_NAMES}")
        if memory == "imem":
            return self._words.view(np.uint8)
        if memory == "llm":
            return self._llm.reshape(-1).view(np.uint8)
        return getattr(self, "_" + memory)

    def write(self, memory: str, address: int, data) -> None:
        """Write raw bytes into a memory (``llm`` bytes are lane-major: lane i at i*llm_bytes_per_lane)."""
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        target = self._memory(memory)
        check_range("write", memory, address, raw.size, target.size)
        if memory == "imem":
            if address % 4 or raw.size % 4:
                raise ValueError("IMEM writes must be whole, aligned 32-bit words")
            words = self._words.copy()
            words.view(np.uint8)[address:address + raw.size] = raw
            used = int(np.max(np.nonzero(words)[0], initial=-1)) + 1
            self._set_text(words[:used])
            return
        if memory == "ddr":
            self._written(address, raw.size)
        target[address:address + raw.size] = raw

    def read(self, memory: str, address: int, nbytes: int) -> np.ndarray:
        """A copy of ``nbytes`` raw bytes of a memory."""
        source = self._memory(memory)
        check_range("read", memory, address, nbytes, source.size)
        return source[address:address + nbytes].copy()

    # ------------------------------------------------------------ running
    def _kernel(self, max_steps: int) -> int:
        self._x[0] = 0             # the host may have written it; programs cannot
        return K.run(self._code, self._hits, self._x, self._v, self._s0, self._s1,
                     self._dmem, self._dmem.view(np.int16), self._dmem.view(np.int32),
                     self._vmem, self._vmem.view(np.int16), self._llm, self._ddr,
                     self._st, max_steps)

    def _begin(self, pc: int) -> None:
        st = self._st
        # a run begins after outstanding transfers (of an abandoned run) have completed
        K.dma_settle(st, K.NEVER, self._vmem, self._ddr)
        for ch in range(2):
            done = int(st[K.DMA_BASE + 16 * ch + K.D_DONE])
            st[K.CYCLE] = max(int(st[K.CYCLE]), done + 1)
        st[K.PC] = pc
        st[K.REASON] = K.RUNNING
        st[K.FAULT] = K.F_NONE
        self._hits[:len(self._slots)] = 0
        # a run's S2MM transfers may write anywhere in the window: DDR keeps its known
        # non-zero part only through a run that halts without one
        self._dirty_at_start, self._dirty = self._dirty, (0, self._ddr.size)
        self._run_start = (int(st[K.CYCLE]), int(st[K.INSTRET]),
                           int(st[K.DMA_BASE + K.D_BYTES]), int(st[K.DMA_BASE + 16 + K.D_BYTES]))
        self._halted = False

    def run(self, max_steps: int | None = None, max_cycles: int | None = None, pc: int = 0) -> RunStatus:
        """Run from ``pc`` until ecall/ebreak; raise MachineFault on a fault or budget overrun."""
        self._begin(pc)
        return self._continue(max_steps, max_cycles)

    def resume(self, max_steps: int | None = None, max_cycles: int | None = None) -> RunStatus:
        """Continue a run stopped by its budget, from where it stopped."""
        if self._halted:
            raise RuntimeError("nothing to resume: the last run halted; call run()")
        self._st[K.REASON] = K.RUNNING
        return self._continue(max_steps, max_cycles)

    def _continue(self, max_steps, max_cycles) -> RunStatus:
        st = self._st
        steps_left = max_steps
        cycle_limit = None if max_cycles is None else self._run_start[0] + max_cycles
        while True:
            n = _CHUNK if steps_left is None else min(steps_left, _CHUNK)
            if cycle_limit is not None:
                left = cycle_limit - int(st[K.CYCLE])
                if left <= 0:
                    break
                n = min(n, max(1, left // _MAX_COST))   # so a chunk cannot overshoot much
            if n <= 0:
                break
            done = int(self._kernel(n))
            if steps_left is not None:
                steps_left -= done
            if st[K.REASON] != K.RUNNING:
                break
        reason = int(st[K.REASON])
        if reason == K.R_FAULT:
            raise self._fault()
        if reason == K.RUNNING:
            budget = (f"max_steps={max_steps}" if max_cycles is None else f"max_cycles={max_cycles}")
            raise self._make_fault(f"run exceeded its budget ({budget})",
                                   hint="raise the budget or look for an endless loop; "
                                        "Machine.resume() continues the run")
        # halt: wait for the DMA channels, then the run is over
        c = int(st[K.CYCLE])
        d = max(int(st[K.DMA_BASE + K.D_DONE]), int(st[K.DMA_BASE + 16 + K.D_DONE]))
        end = max(c, d) + 1
        K.dma_settle(st, end, self._vmem, self._ddr)
        st[K.CYCLE] = end
        self._halted = True
        s2mm = int(st[K.DMA_BASE + 16 + K.D_BYTES]) - self._run_start[3]
        if s2mm == 0:
            self._dirty = self._dirty_at_start
        status = RunStatus("ecall" if reason == K.R_ECALL else "ebreak", self.pc,
                           end - self._run_start[0], int(st[K.INSTRET]) - self._run_start[1],
                           self._stats(issue_cycle=c, end_cycle=end))
        self.last_status = status
        return status

    def stats(self) -> dict:
        """Statistics of the last run, or of the current one so far (after a budget stop)."""
        if self._halted and self.last_status is not None:
            return self.last_status.stats
        c = int(self._st[K.CYCLE])
        return self._stats(c, c)

    def executed(self) -> tuple[np.ndarray, np.ndarray]:
        """Per instruction word of the text: how often the last run (or the current one so
        far) executed it, and its static stall penalty in cycles (docs/timing.md; a taken
        branch's 2 cycles come on top). For cycle accounting by code region."""
        return self._hits[:len(self._slots)].copy(), self._slot_tables[3].copy()

    def _stats(self, issue_cycle: int, end_cycle: int) -> dict:
        st = self._st
        start_cycle, start_instret, mm2s0, s2mm0 = self._run_start
        instructions = int(st[K.INSTRET]) - start_instret
        hits = self._hits[:len(self._slots)]          # nothing past the text retires
        names, name_of, stall_of, penalty = self._slot_tables
        stalls = {"branch": 0, **{key: 0 for key in STALL_KEYS},
                  "dma_wait": end_cycle - issue_cycle - 1 if end_cycle > issue_cycle else 0}
        counts, order, charged = _tally(hits, name_of, stall_of, penalty, len(names), len(_STALLS))
        for k, stall in enumerate(_STALLS):
            stalls[stall] += int(charged[k])
        static = sum(stalls[key] for key in STALL_KEYS) + stalls["branch"]
        stalls["branch"] += (issue_cycle - start_cycle) - instructions - static
        mm2s = int(st[K.DMA_BASE + K.D_BYTES]) - mm2s0
        s2mm = int(st[K.DMA_BASE + 16 + K.D_BYTES]) - s2mm0
        return {
            "instructions": instructions,
            "cycles": end_cycle - start_cycle,
            "stalls": stalls,
            # by count, ties in the order their first executed pc appears
            "mnemonics": {names[i]: int(counts[i]) for i in sorted(order, key=lambda i: -counts[i])},
            "dma_bytes": {"mm2s": mm2s, "s2mm": s2mm, "total": mm2s + s2mm},
        }

    # ------------------------------------------------------------ tracing
    def trace(self, max_steps: int | None = None, pc: int = 0) -> Iterator[TraceRecord]:
        """Run like :meth:`run`, yielding one :class:`TraceRecord` per retired instruction.

        It steps the same compiled kernel one instruction at a time, so it has exactly the
        semantics of :meth:`run`. The final :class:`RunStatus` is ``last_status``.
        """
        self._begin(pc)
        st = self._st
        steps = 0
        while max_steps is None or steps < max_steps:
            here, cycle = int(st[K.PC]), int(st[K.CYCLE]) - self._run_start[0]
            done = int(self._kernel(1))
            if done == 0:
                break
            steps += 1
            slot = self._slots[here >> 2]
            dest = destination(slot.decoded)
            xw: tuple = ()
            vw: tuple = ()
            if dest is not None and dest[0] == "x":
                xw = ((dest[1], int(self._xu[dest[1]])),)
            elif dest is not None:
                vw = ((dest[1], self._v[dest[1]].copy()),)
            if slot.text is None:
                slot.text = disassemble(slot.word)
            yield TraceRecord(here, slot.word, slot.text, cycle, xw, vw)
        if st[K.REASON] != K.RUNNING:
            self._continue(0, None)   # finish: raises on a fault, sets last_status on a halt

    # ------------------------------------------------------------ faults
    def _slot_at(self, pc: int) -> Slot | None:
        index = pc >> 2
        if 0 <= pc < self.soc.imem_bytes and pc % 4 == 0:
            if index < len(self._slots):
                return self._slots[index]
            return Slot(0, None, isa.IllegalInstruction(0, "IMEM past the loaded program is zero"))
        return None

    def _make_fault(self, cause: str, hint: str | None = None, code: Fault | None = None) -> MachineFault:
        pc = self.pc
        slot = self._slot_at(pc)
        word = slot.word if slot is not None else None
        text = disassemble(word) if word is not None else None
        return MachineFault(cause, pc, word, text, self.cycle, hint, code)

    def _fault(self) -> MachineFault:
        st = self._st
        code, a, b = int(st[K.FAULT]), int(st[K.FA]), int(st[K.FB])
        soc = self.soc
        slot = self._slot_at(self.pc)
        mnemonic = slot.decoded.mnemonic if slot is not None and slot.decoded is not None else "?"
        channel = ("MM2S", "S2MM")[a] if code in (K.F_DMA_ALIGN, K.F_DMA_RANGE, K.F_DMA_BUSY,
                                                  K.F_DMA_WINDOW) else ""
        base = K.DMA_BASE + 16 * (a if channel else 0)
        src, dst, count = (int(st[base + K.D_SRC]), int(st[base + K.D_DST]), int(st[base + K.D_COUNT]))
        causes = {
            K.F_ILLEGAL: (f"illegal instruction ({slot.error.reason if slot and slot.error else '?'})",
                          "the program ran into a word that is not a FeNN instruction; "
                          "end programs with ecall"),
            K.F_FETCH: ("instruction fetch outside IMEM",
                        f"IMEM holds {soc.imem_bytes} bytes; end programs with ecall"),
            K.F_JUMP: (f"{mnemonic} target 0x{a & 0xFFFFFFFF:08x} is misaligned or outside IMEM",
                       f"targets must be multiples of 4 below {soc.imem_bytes}"),
            K.F_LOAD_ALIGN: (f"misaligned {mnemonic} from DMEM address 0x{a:08x}",
                             "lh/lhu need a multiple of 2, lw a multiple of 4"),
            K.F_LOAD_RANGE: (f"{mnemonic} from DMEM address 0x{a:08x} outside DMEM",
                             f"DMEM holds {soc.dmem_bytes} bytes"),
            K.F_STORE_ALIGN: (f"misaligned {mnemonic} to DMEM address 0x{a:08x}",
                              "sh needs a multiple of 2, sw a multiple of 4"),
            K.F_STORE_RANGE: (f"{mnemonic} to DMEM address 0x{a:08x} outside DMEM",
                              f"DMEM holds {soc.dmem_bytes} bytes"),
            K.F_VMEM_ALIGN: (f"{mnemonic} VMEM address 0x{a:08x} is not a multiple of 64",
                             "vector memory is accessed in whole 64-byte vectors"),
            K.F_VMEM_RANGE: (f"{mnemonic} VMEM address 0x{a:08x} outside VMEM",
                             f"VMEM holds {soc.vmem_bytes} bytes"),
            K.F_LLM: (f"{mnemonic} lane {a} address {b} is odd or outside lane-local memory",
                      f"each lane holds {soc.llm_bytes_per_lane} bytes; lanes whose address "
                      "register is negative are disabled"),
            K.F_HAZARD: (f"vload-use hazard: the next instruction reads the register this {mnemonic} loads",
                         "FeNN hardware has no interlock on vector loads; put an independent "
                         "instruction in between (strict mode)"),
            K.F_CSR: ("access to a CSR that does not exist",
                      "known CSRs: " + ", ".join(f"{n} 0x{v:03x}" for n, v in isa.CSR_ADDRESSES.items())),
            K.F_CSR_READONLY: ("write to a read-only CSR", "CSRs 0xC00-0xFFF are read-only"),
            K.F_DMA_ALIGN: (f"DMA {channel} start with SRC 0x{src:x}, DST 0x{dst:x}, COUNT {count} "
                            "not all multiples of 64", "DMA moves whole 64-byte vectors"),
            K.F_DMA_RANGE: (f"DMA {channel} transfer of {count} bytes from 0x{src:x} to 0x{dst:x} "
                            "leaves VMEM", f"VMEM holds {soc.vmem_bytes} bytes"),
            K.F_DMA_WINDOW: (f"DMA {channel} transfer of {count} bytes from 0x{src:x} to 0x{dst:x} "
                             "leaves the DDR window",
                             f"DMA DDR addresses are offsets inside the window the host set: "
                             f"{self._window[1]} bytes (DDR_SIZE) at 0x{self._window[0]:x} (DDR_BASE)"),
            K.F_DMA_BUSY: (f"DMA {channel} started while its previous transfer is running",
                           "poll the channel's STATUS CSR until it reads idle (bit 1)"),
        }
        cause, hint = causes.get(code, (f"fault code {code}", None))
        return self._make_fault(cause, hint, Fault(code))


#: the statically known stalls a slot can carry (decode.Slot.stall)
_STALLS = ("branch", *STALL_KEYS)


@njit(cache=True, nogil=True)
def _tally(hits, name_of, stall_of, penalty, n_names, n_stalls):
    """One pass over a run's retire counts per slot: retired per mnemonic, the mnemonics
    in the order of their first executed pc, and the static stall cycles per kind."""
    counts = np.zeros(n_names, np.int64)
    order = np.empty(n_names, np.int64)
    seen = 0
    charged = np.zeros(n_stalls, np.int64)
    for i in range(hits.size):
        h = hits[i]
        if h:
            name = name_of[i]
            if counts[name] == 0:
                order[seen] = name
                seen += 1
            counts[name] += h
            if stall_of[i] >= 0:
                charged[stall_of[i]] += h * penalty[i]
    return counts, order[:seen], charged


def _slot_tables(slots, code):
    """Per decoded slot: its mnemonic (as an index into a name list), its static stall kind
    (an index into _STALLS, -1 for none) and penalty, so that a run's statistics are a few
    array operations instead of a loop over every executed pc."""
    names, index = [], {}
    name_of = np.empty(len(slots), np.int64)
    stall_of = np.full(len(slots), -1, np.int64)
    for i, slot in enumerate(slots):
        name = slot.decoded.mnemonic if slot is not None and slot.decoded is not None else "?"
        name_of[i] = index.setdefault(name, len(names))
        if name_of[i] == len(names):
            names.append(name)
        if slot is not None and slot.stall:
            stall_of[i] = _STALLS.index(slot.stall)
    penalty = ((np.asarray(code[:len(slots)]) >> K.PENALTY_SHIFT) & 3).astype(np.int64)
    return names, name_of, stall_of, penalty
