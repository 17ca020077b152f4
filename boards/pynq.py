"""``PynqDevice``: the ``pynq`` backend of :class:`fenn.device.Device`, a FeNN bitstream on
an UltraScale+ board driven from its Linux through PYNQ (docs/boards.md).

``fenn.open_device("pynq", overlay="fenn.bit")`` loads the overlay, reads the SoC's ID and
VERSION registers, and from then on speaks only to the SoC's AXI4-Lite host port (MMIO)
and to one DDR buffer from ``pynq.allocate`` that the SoC's DMA masters reach:

- ``load`` refuses a Program built for another SocConfig (naming both and the ``fenn
  build`` command that makes the right bitstream), stops the core, zeroes its memories and
  registers as ``sim`` does, writes the text by MMIO and the VMEM image by the SoC's DMA;
- ``write``/``read`` go through the memory windows (DDR: the buffer, flushed/invalidated);
- ``run`` starts the core and polls STATUS; a timeout counts polls (``timeout /
  poll_interval`` of them), so it does not depend on how busy the board is; a fault
  becomes the same :class:`fenn.errors.MachineFault` (code, pc, disassembly) as on ``sim``.

A batch Program (``fenn.compile(..., batch=True)``) runs through the resident firmware:
``fenn.run`` lays the batch out in the DDR buffer and the core runs every sample without
the host. PYNQ is imported here only, and only when a device is made (the ``board``
extra). Tests run this module unmodified against the RTL through
:mod:`fenn.boards.pynq_double`.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import pathlib
import time

import numpy as np

from fenn.device import RunStatus, check_range
from fenn.disasm import disassemble
from fenn.errors import FennError, MachineFault
from fenn.faults import CAUSES, Fault
from fenn.program import Program
from fenn.soc import SocConfig

__all__ = ["PynqDevice", "BitstreamMismatch", "PynqTimeout", "MANIFEST"]

#: the overlay manifest `fenn build` writes next to the bitstream
MANIFEST = "fenn_overlay.json"
#: ip_dict entries whose name starts with this are FeNN SoC host ports (one per core)
IP_PREFIX = "fenn"
_HALT = {2: "ecall", 3: "ebreak", 4: "fault"}
_RUNNING = 1 << 3
_DMA_IDLE = 1 << 1


class BitstreamMismatch(FennError):
    """The overlay was built for another SocConfig (or RTL version) than the Program.

    Fix: build the overlay for the Program's SocConfig (``fenn build``), or compile the
    network for the SocConfig of the overlay on the board.
    """


class PynqTimeout(FennError):
    """The core did not halt within the timeout (it has been stopped).

    Fix: run the Program on ``backend="sim"`` to see where it loops or faults, or give a
    longer timeout if the run is simply long.
    """


class PynqDevice:
    """A FeNN overlay on a PYNQ board."""

    name = "pynq"

    def __init__(self, overlay=None, *, timeout: float = 60.0, poll_interval: float = 1e-4,
                 download: bool = True, pynq=None):
        """``overlay``: the ``.bit`` (its ``.hwh`` and ``fenn_overlay.json`` beside it), default
        ``$FENN_OVERLAY``. ``timeout``: seconds a run may take, counted as
        ``timeout / poll_interval`` polls of STATUS ``poll_interval`` apart. ``pynq``: the
        module providing Overlay, MMIO and allocate (default: ``import pynq``)."""
        from fenn.hw.regmap import BY_NAME, RTL_VERSION
        overlay = overlay or os.environ.get("FENN_OVERLAY")
        if not overlay:
            raise FennError("the pynq backend needs an overlay: open_device('pynq', overlay='fenn.bit') "
                            "or set FENN_OVERLAY (`fenn build --board NAME --out DIR` makes one)")
        self._pynq = pynq if pynq is not None else _import_pynq()
        self._reg = {name: r.offset for name, r in BY_NAME.items()}
        self.overlay_path = pathlib.Path(overlay)
        self.overlay = self._pynq.Overlay(str(self.overlay_path), download=download)
        self.manifest = _manifest(self.overlay_path)
        # one MMIO per core's host port (``cores`` is the Device protocol's core count)
        self.host_ports = [self._pynq.MMIO(base, size) for base, size in self._host_windows()]
        self.soc_id = self.host_ports[0].read(self._reg["ID"])
        self.version = self.host_ports[0].read(self._reg["VERSION"])
        if self.version >> 16 != RTL_VERSION >> 16:
            raise BitstreamMismatch(
                f"overlay {self.overlay_path} has RTL version {self.version >> 16}.{self.version & 0xFFFF}, "
                f"this fenn drives {RTL_VERSION >> 16}.{RTL_VERSION & 0xFFFF}; rebuild the bitstream "
                f"with this fenn (`fenn build`)")
        self.polls = max(1, math.ceil(timeout / poll_interval))
        self.timeout, self.poll_interval = timeout, poll_interval
        self.soc: SocConfig | None = None
        self._ddr: list = []                # per core: its DDR buffer (its DDR window)

    @property
    def cores(self) -> int:
        """Cores of the overlay (one host port each)."""
        return len(self.host_ports)

    # ------------------------------------------------------------------ Device protocol
    def load(self, program: Program) -> None:
        """As ``sim``, on every core: memories and registers zeroed, then the text and images."""
        self._check_soc(program.soc)
        soc = self.soc = program.soc
        self._ddr_buffers()
        for core in range(self.cores):
            self._load_core(program, core)

    def _load_core(self, program: Program, core: int) -> None:
        soc = self.soc
        self._control(core, reset=True)
        self._window(core)
        self._write_window("IMEM", 0, _padded(program.text, soc.imem_bytes), core)
        for window, size in (("DMEM", soc.dmem_bytes), ("LLM", soc.lanes * soc.llm_bytes_per_lane),
                             ("XREG", 4 * 32), ("VREG", 32 * soc.vector_bytes)):
            self._write_window(window, 0, np.zeros(size, np.uint8), core)
        vmem = np.zeros(soc.vmem_bytes, np.uint8)
        for name, (address, data) in program.images.items():
            if name == "vmem":
                raw = np.ascontiguousarray(data).view(np.uint8).reshape(-1)
                vmem[address:address + raw.size] = raw
        self._load_vmem(vmem, core)
        ddr = self._ddr[core]
        ddr[:] = 0
        for name, (address, data) in program.images.items():
            if name == "ddr":
                raw = np.ascontiguousarray(data).view(np.uint8).reshape(-1)
                ddr[address:address + raw.size] = raw
            elif name in ("dmem", "imem"):
                self.write(name, address, data, core)
            elif name == "llm":             # int16[lanes, n] at a byte address inside every lane
                lanes = np.asarray(data, dtype="<i2")
                for lane in range(lanes.shape[0]):
                    self.write("llm", lane * soc.llm_bytes_per_lane + address, lanes[lane], core)
        ddr.flush()

    def write(self, memory: str, address: int, data, core: int = 0) -> None:
        """Raw bytes into a core's memory (``llm`` lane-major; ``ddr`` offsets in the core's
        DDR buffer, its DDR window)."""
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        check_range("write", memory, int(address), raw.size, self._size(memory))
        if memory == "ddr":
            self._ddr[core][address:address + raw.size] = raw
            self._ddr[core].flush()
            return
        self._write_window(memory.upper(), int(address), raw, core)

    def read(self, memory: str, address: int, nbytes: int, core: int = 0) -> np.ndarray:
        check_range("read", memory, int(address), int(nbytes), self._size(memory))
        if memory == "ddr":
            self._ddr[core].invalidate()
            return np.array(self._ddr[core][address:address + nbytes], dtype=np.uint8)
        first, end = address // 4, -(-(address + nbytes) // 4)
        base = _window(memory.upper()) // 4
        raw = np.asarray(self.host_ports[core].array[base + first: base + end], dtype="<u4").view(np.uint8)
        return raw[address - 4 * first: address - 4 * first + nbytes].copy()

    def run(self, max_cycles: int | None = None) -> RunStatus:
        """Run core 0 from pc 0 until it halts (see :meth:`run_cores`)."""
        return self.run_cores([0], max_cycles)[0]

    def run_cores(self, cores, max_cycles: int | None = None) -> list[RunStatus]:
        """Start the cores numbered ``cores`` together and poll until all halt; their statuses
        in that order. Raise on a fault, past ``max_cycles`` (checked at each poll) or after
        the timeout (the cores are then stopped)."""
        self._need_soc()
        cores = list(cores)
        for core in cores:
            self._control(core, start=True)
        halted = self._wait(cores, max_cycles)
        statuses = []
        for core in cores:
            status, mmio = halted[core], self.host_ports[core]
            pc = mmio.read(self._reg["HALT_PC"])
            on = f" (core {core})" if self.cores > 1 else ""
            if _HALT.get(status & 0b111) == "fault":
                code = Fault((status >> 4) & 0x1F)
                word = int(self.read("imem", pc & ~3, 4, core).view("<u4")[0]) if pc < self.soc.imem_bytes else None
                raise MachineFault(CAUSES.get(code, code.name) + on, pc, word,
                                   disassemble(word) if word is not None else None, code=code)
            cycles, instructions = self._counter(core, "CYCLES"), self._counter(core, "INSTRET")
            statuses.append(RunStatus(_HALT.get(status & 0b111, "?"), pc, cycles, instructions,
                                      {"cycles": cycles, "instructions": instructions}))
        return statuses

    def close(self) -> None:
        """Free the DDR buffers."""
        for buffer in self._ddr:
            buffer.freebuffer()
        self._ddr = []

    def __enter__(self) -> "PynqDevice":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ the SoC
    def _host_windows(self) -> list[tuple[int, int]]:
        """(base, bytes) of every core's host port: the manifest's core map (``fenn build``),
        else the overlay's ``fenn*`` IPs."""
        core_map = self.manifest.get("core_map")
        if core_map:
            return [(core["host_base"], core["host_bytes"]) for core in sorted(core_map, key=lambda c: c["index"])]
        ip = self.overlay.ip_dict
        hosts = sorted(name for name in ip if name.lower().startswith(IP_PREFIX))
        if not hosts:
            raise FennError(f"overlay {self.overlay_path} has no FeNN SoC (no {MANIFEST} core map beside "
                            f"it and no IP named {IP_PREFIX}*; it has {sorted(ip)}); build one with `fenn build`")
        return [(ip[name]["phys_addr"], ip[name]["addr_range"]) for name in hosts]

    def _check_soc(self, soc: SocConfig) -> None:
        if soc.soc_id == self.soc_id:
            return
        built = self.manifest.get("soc")
        theirs = f"SocConfig {json.dumps(built, sort_keys=True)}" if built else "a SocConfig"
        board = self.manifest.get("board", "BOARD")
        raise BitstreamMismatch(
            f"overlay {self.overlay_path} was built for {theirs} (id 0x{self.soc_id:08x}), but the "
            f"Program was compiled for SocConfig {json.dumps(soc.to_dict(), sort_keys=True)} "
            f"(id 0x{soc.soc_id:08x}). Build a bitstream for the Program's SocConfig (save it with "
            f"json.dump(program.soc.to_dict(), open('soc.json', 'w'))): "
            f"fenn build --board {board} --soc soc.json --out DIR, or compile the network for the "
            f"overlay's SocConfig (fenn.compile(..., soc=...)).")

    def _need_soc(self) -> SocConfig:
        if self.soc is None:
            raise FennError("PynqDevice: load(program) first")
        return self.soc

    def _size(self, memory: str) -> int:
        soc = self._need_soc()
        sizes = {"imem": soc.imem_bytes, "dmem": soc.dmem_bytes, "vmem": soc.vmem_bytes,
                 "llm": soc.lanes * soc.llm_bytes_per_lane, "ddr": soc.ddr_bytes}
        if memory not in sizes:
            raise ValueError(f"unknown memory {memory!r}; expected one of {tuple(sizes)}")
        return sizes[memory]

    def _ddr_buffers(self) -> None:
        """The DDR each core's DMA reaches: one buffer of ``ddr_bytes`` per core."""
        soc = self.soc
        if len(self._ddr) != self.cores or self._ddr[0].nbytes != soc.ddr_bytes:
            self.close()
            self._ddr = [self._pynq.allocate(shape=(soc.ddr_bytes,), dtype=np.uint8) for _ in range(self.cores)]

    def _window(self, core: int) -> None:
        """Point the core's DDR window (DDR_BASE, DDR_SIZE) at its buffer."""
        base = int(self._ddr[core].device_address)
        if "DDR_BASE" in self._reg:
            self.host_ports[core].write(self._reg["DDR_BASE"], base)
            self.host_ports[core].write(self._reg["DDR_SIZE"], self.soc.ddr_bytes)
        elif base != 0:
            raise FennError(f"this RTL's DMA has no DDR window (DDR_BASE), so its DDR addresses "
                            f"are physical, but pynq.allocate gave 0x{base:x}; use a fenn whose "
                            f"SoC has the DDR window")

    def _load_vmem(self, image: np.ndarray, core: int) -> None:
        """VMEM through the core's own DMA (MM2S) from its DDR buffer, not word by word."""
        ddr, mmio = self._ddr[core], self.host_ports[core]
        if image.size > ddr.nbytes:
            self._write_window("VMEM", 0, image, core)
            return
        ddr[:image.size] = image
        ddr.flush()
        for name, value in (("SRC", 0), ("DST", 0), ("COUNT", image.size)):
            mmio.write(self._reg[f"DMA_MM2S_{name}"], value)
        mmio.write(self._reg["DMA_MM2S_CONTROL"], 1)
        for _ in range(self.polls):
            if mmio.read(self._reg["DMA_MM2S_STATUS"]) & _DMA_IDLE:
                return
            self._pause()
        raise PynqTimeout(f"loading VMEM by DMA did not finish within {self.timeout} s "
                          f"({self.polls} polls): check the DMA masters' connection to DDR")

    def _write_window(self, window: str, address: int, raw: np.ndarray, core: int) -> None:
        """Bytes into a memory window as whole 32-bit words (edges read, merged, written)."""
        raw = np.ascontiguousarray(raw).reshape(-1).view(np.uint8)
        first, end = address // 4 * 4, -(-(address + raw.size) // 4) * 4
        if (first, end) != (address, address + raw.size):
            span = self.read(window.lower(), first, end - first, core)
            span[address - first:address - first + raw.size] = raw
            raw = span
        self.host_ports[core].write(_window(window) + first, raw.tobytes())

    def _control(self, core: int, start: bool = False, reset: bool = False) -> None:
        self.host_ports[core].write(self._reg["CONTROL"], int(start) | int(reset) << 1)

    def _counter(self, core: int, name: str) -> int:
        mmio = self.host_ports[core]
        return mmio.read(self._reg[f"{name}_LO"]) | mmio.read(self._reg[f"{name}_HI"]) << 32

    def _wait(self, cores: list[int], max_cycles: int | None) -> dict[int, int]:
        """Poll the cores' STATUS until none runs: {core: STATUS}."""
        halted: dict[int, int] = {}
        for _ in range(self.polls):
            for core in cores:
                if core not in halted:
                    status = self.host_ports[core].read(self._reg["STATUS"])
                    if not status & _RUNNING:
                        halted[core] = status
                    elif max_cycles is not None and self._counter(core, "CYCLES") > max_cycles:
                        pc = self._stop(cores)
                        raise MachineFault(f"run exceeded its budget (max_cycles={max_cycles})", pc,
                                           hint="raise max_cycles or look for an endless loop; the "
                                                "cores have been stopped")
            if len(halted) == len(cores):
                return halted
            self._pause()
        late = [core for core in cores if core not in halted]
        cycles = self._counter(late[0], "CYCLES")
        pc = self._stop(cores)
        raise PynqTimeout(f"core {late[0]} did not halt within the timeout of {self.timeout} s "
                          f"({self.polls} polls of STATUS, {self.poll_interval} s apart); it had run "
                          f"{cycles} cycles and was stopped (CONTROL.reset) at pc 0x{pc:x}. Raise "
                          f"timeout= for longer batches, or look for an endless loop")

    def _stop(self, cores: list[int]) -> int:
        """Stop the cores (CONTROL.reset); the first one's HALT_PC."""
        for core in cores:
            self._control(core, reset=True)
        return self.host_ports[cores[0]].read(self._reg["HALT_PC"])

    def _pause(self) -> None:
        if self.poll_interval > 0:
            time.sleep(self.poll_interval)


def _window(name: str) -> int:
    from fenn.hw.regmap import window_base
    return window_base(name)


def _padded(words, nbytes: int) -> np.ndarray:
    raw = np.zeros(nbytes, np.uint8)
    text = np.ascontiguousarray(words, dtype="<u4").view(np.uint8)
    raw[:text.size] = text
    return raw


def _manifest(overlay: pathlib.Path) -> dict:
    path = overlay.with_name(MANIFEST)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _import_pynq():
    try:
        return importlib.import_module("pynq")
    except ImportError as error:
        raise ImportError(f"the pynq backend needs PYNQ, which runs on the board: pip install "
                          f"'fenn[board]' there ({error})") from error
