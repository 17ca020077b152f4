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
        self._window = None           # the DDR window the host set, if not the reset one

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
            if self._window is not None:
                self._session.set_ddr_window(*self._window)
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
    def load(self, program: Program) -> None:
        """As ``sim``: every memory zeroed, the text and images written, then a core reset
        (registers, RNG, CSRs, counters, DMA channels)."""
        if self._session is not None and self.soc != program.soc:
            self.close()
            self._window = None
        self.soc = program.soc
        session = self._live(fresh=True)
        for memory in _MEMORIES:
            session.clear(memory)
        session.reset()
        session.write("imem", 0, np.asarray(program.text, dtype=np.uint32))
        lane_bytes = self.soc.llm_bytes_per_lane
        for name, (address, data) in program.images.items():
            if name == "llm":            # int16[lanes, n] at a byte address inside every lane
                data = np.asarray(data, dtype=np.int16)
                for lane in range(data.shape[0]):
                    session.write("llm", lane * lane_bytes + address, data[lane])
            else:
                self.write(name, address, data)

    def write(self, memory: str, address: int, data: np.ndarray) -> None:
        """Raw bytes into a memory (``llm`` is lane-major: lane i at i * llm_bytes_per_lane;
        ``ddr`` addresses are offsets inside the DDR window)."""
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        self._live().write(self._memory(memory), self._physical(memory, address, raw.size, "write"), raw)

    def read(self, memory: str, address: int, nbytes: int) -> np.ndarray:
        return self._live().read(self._memory(memory), self._physical(memory, address, nbytes, "read"), nbytes)

    @property
    def ddr_window(self) -> tuple[int, int]:
        """(base, size) of the DDR window (DDR_BASE, DDR_SIZE)."""
        if self.soc is None:
            raise RuntimeError("RtlDevice: load(program) first (or create it with a SocConfig)")
        return self._window or self.soc.ddr_window(0)

    def set_ddr_window(self, base: int, size: int) -> None:
        """Set the DDR window, as the host does through DDR_BASE and DDR_SIZE: the DMA's DDR
        addresses become offsets below ``size`` added to ``base``."""
        self._live().set_ddr_window(base, size)
        self._window = (int(base), int(size))

    def _physical(self, memory: str, address: int, nbytes: int, action: str) -> int:
        if memory != "ddr":
            return address
        base, size = self.ddr_window
        check_range(action, "the DDR window", address, nbytes, size)
        return base + address

    def run(self, max_cycles: int | None = None) -> RunStatus:
        session = self._live()
        budget = DEFAULT_MAX_CYCLES if max_cycles is None else int(max_cycles)
        result = session.run(budget)
        if result.status == Halt.FAULT:
            word = int(session.read("imem", result.halt_pc & ~3, 4).view(np.uint32)[0]) \
                if result.halt_pc < self.soc.imem_bytes else None
            raise MachineFault(FAULT_CAUSES.get(result.fault, result.fault.name), result.halt_pc, word,
                               disassemble(word) if word is not None else None, code=result.fault)
        if result.status not in (Halt.ECALL, Halt.EBREAK):
            raise MachineFault(f"run exceeded its budget (max_cycles={budget})", result.halt_pc,
                               hint="raise max_cycles or look for an endless loop; the next run "
                                    "restarts the core at pc 0")
        return RunStatus("ecall" if result.status == Halt.ECALL else "ebreak", result.halt_pc,
                         result.cycles, result.instructions,
                         {"instructions": result.instructions, "cycles": result.cycles})

    @staticmethod
    def _memory(memory: str) -> str:
        if memory not in _MEMORIES:
            raise ValueError(f"unknown memory {memory!r}; expected one of {_MEMORIES}")
        return memory
