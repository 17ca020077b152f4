"""``RtlDevice``: the ``rtl`` backend of the :class:`fenn.device.Device` protocol.

The device holds one live :class:`fenn.hw.session.RtlSession` (the emitted Verilog on
Icarus or Verilator, DDR through the cocotb DDR model), so, exactly as on the ``sim``
backend, every run continues from the state the previous one left: memories, x/v
registers, RNG state, CSRs (mcycle, minstret, mcountinhibit), DMA channel registers and
status bits. Every run starts at pc 0. ``load`` is a core reset plus new memory contents.
Choose the simulator with ``RtlDevice(simulator="verilator")``,
``open_device("rtl", simulator=...)`` or ``FENN_RTL_SIM``.
"""

from __future__ import annotations

import numpy as np

from fenn.device import RunStatus, check_range
from fenn.disasm import disassemble
from fenn.errors import MachineFault
from fenn.faults import CAUSES as FAULT_CAUSES
from fenn.program import Program
from fenn.soc import SocConfig

from .core import Halt

__all__ = ["RtlDevice"]

_MEMORIES = ("imem", "dmem", "vmem", "llm", "ddr")
#: budget of a run given none (the simulator has no cheaper way to notice an endless loop)
DEFAULT_MAX_CYCLES = 10_000_000


class RtlDevice:
    """The FeNN SoC's RTL in a live cocotb simulation."""

    name = "rtl"

    def __init__(self, soc: SocConfig | None = None, build_root=None, simulator: str | None = None):
        from .session import choose_simulator
        self._build_root = build_root
        self.simulator = choose_simulator(simulator)     # refuse a bad choice now, not at the first run
        self.soc = soc
        self._session = None
        self._windows = {}            # core -> the DDR window the host set, if not the reset one

    # ------------------------------------------------------------------ lifetime
    def _live(self, fresh: bool = False):
        """The session; a new one if there is none yet, or if ``fresh`` (load) and the last ended."""
        if self.soc is None:
            raise RuntimeError("RtlDevice: load(program) first (or create it with a SocConfig)")
        if self._session is not None and self._session.closed and fresh:
            self._session.close()
            self._session = None
        if self._session is None:
            from .session import RtlSession
            self._session = RtlSession(self.soc, simulator=self.simulator, build_root=self._build_root)
            for core, window in self._windows.items():
                self._session.set_ddr_window(*window, core)
        return self._session

    def close(self) -> None:
        """End the simulator process (also done on garbage collection and at exit)."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> "RtlDevice":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ Device protocol
    @property
    def cores(self) -> int:
        """Cores of the SoC (``SocConfig.cores``): each runs its own copy of the program."""
        return self.soc.cores if self.soc is not None else 1

    def load(self, program: Program) -> None:
        """As ``sim``: every memory of every core zeroed, a core reset (registers, RNG, CSRs,
        counters, DMA channels), then each core gets the text and images (DDR images at the
        start of its DDR window)."""
        if self._session is not None and self.soc != program.soc:
            self.close()
            self._windows = {}
        self.soc = program.soc
        session = self._live(fresh=True)
        for core in range(self.cores):
            for memory in _MEMORIES:
                session.clear(memory, core)
        session.reset()
        lane_bytes = self.soc.llm_bytes_per_lane
        for core in range(self.cores):
            session.write("imem", 0, np.asarray(program.text, dtype=np.uint32), core)
            for name, (address, data) in program.images.items():
                if name == "llm":            # int16[lanes, n] at a byte address inside every lane
                    data = np.asarray(data, dtype=np.int16)
                    for lane in range(data.shape[0]):
                        session.write("llm", lane * lane_bytes + address, data[lane], core)
                else:
                    self.write(name, address, data, core)

    def write(self, memory: str, address: int, data: np.ndarray, core: int = 0) -> None:
        """Raw bytes into a core's memory (``llm`` is lane-major: lane i at i * llm_bytes_per_lane;
        ``ddr`` addresses are offsets inside the core's DDR window)."""
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        self._live().write(self._memory(memory), self._physical(memory, address, raw.size, "write", core), raw, core)

    def read(self, memory: str, address: int, nbytes: int, core: int = 0) -> np.ndarray:
        return self._live().read(self._memory(memory), self._physical(memory, address, nbytes, "read", core),
                                 nbytes, core)

    def ddr_window(self, core: int = 0) -> tuple[int, int]:
        """(base, size) of a core's DDR window (DDR_BASE, DDR_SIZE)."""
        if self.soc is None:
            raise RuntimeError("RtlDevice: load(program) first (or create it with a SocConfig)")
        return self._windows.get(core) or self.soc.ddr_window(core)

    def set_ddr_window(self, base: int, size: int, core: int = 0) -> None:
        """Set a core's DDR window, as the host does through DDR_BASE and DDR_SIZE: its DMA's
        DDR addresses become offsets below ``size`` added to ``base``."""
        self._live().set_ddr_window(base, size, core)
        self._windows[core] = (int(base), int(size))

    def _physical(self, memory: str, address: int, nbytes: int, action: str, core: int) -> int:
        if memory != "ddr":
            return address
        base, size = self.ddr_window(core)
        check_range(action, "the DDR window", address, nbytes, size)
        return base + address

    def run(self, max_cycles: int | None = None) -> RunStatus:
        """Run core 0 from pc 0 until ``ecall``/``ebreak``; raise on a fault or the budget."""
        return self.run_cores([0], max_cycles)[0]

    def run_cores(self, cores, max_cycles: int | None = None) -> list[RunStatus]:
        """Start the cores numbered ``cores`` together and wait for all; their statuses in
        that order (a fault or an exhausted budget on any raises, naming the core)."""
        session = self._live()
        budget = DEFAULT_MAX_CYCLES if max_cycles is None else int(max_cycles)
        cores = list(cores)
        statuses = []
        for core, result in zip(cores, session.run_cores(budget, cores)):
            on = f" (core {core})" if self.cores > 1 else ""
            if result.status == Halt.FAULT:
                word = int(session.read("imem", result.halt_pc & ~3, 4, core).view(np.uint32)[0]) \
                    if result.halt_pc < self.soc.imem_bytes else None
                raise MachineFault(FAULT_CAUSES.get(result.fault, result.fault.name) + on, result.halt_pc, word,
                                   disassemble(word) if word is not None else None, code=result.fault)
            if result.status not in (Halt.ECALL, Halt.EBREAK):
                raise MachineFault(f"run exceeded its budget (max_cycles={budget}){on}", result.halt_pc,
                                   hint="raise max_cycles or look for an endless loop; the next run "
                                        "restarts the core at pc 0")
            statuses.append(RunStatus("ecall" if result.status == Halt.ECALL else "ebreak", result.halt_pc,
                                      result.cycles, result.instructions,
                                      {"instructions": result.instructions, "cycles": result.cycles}))
        return statuses

    @staticmethod
    def _memory(memory: str) -> str:
        if memory not in _MEMORIES:
            raise ValueError(f"unknown memory {memory!r}; expected one of {_MEMORIES}")
        return memory
