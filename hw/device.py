"""``RtlDevice``: the ``rtl`` backend of the :class:`fenn.device.Device` protocol.

The device keeps the SoC's memories, registers and RNG state on the host side; each
``run`` simulates the emitted Verilog on Icarus (cocotb, DDR through cocotbext-axi) from
a core reset with that state loaded, and takes the final state back. So, as with the
``sim`` backend, memories, x/v registers and the RNG state carry over from one run to
the next, and every run starts at pc 0. Not carried over: CSRs (mcycle, minstret,
mcountinhibit restart from their reset values in every run) and DMA channel state.
"""

from __future__ import annotations

import numpy as np

from fenn.device import RunStatus, check_range
from fenn.errors import MachineFault
from fenn.faults import CAUSES as FAULT_CAUSES
from fenn.program import Program
from fenn.soc import DEFAULT_SOC, SocConfig, rng_reset_state

from .core import Halt

__all__ = ["RtlDevice"]

_MEMORIES = ("imem", "dmem", "vmem", "llm", "ddr")

class RtlDevice:
    """The FeNN SoC's RTL, simulated with cocotb on Icarus Verilog."""

    name = "rtl"

    def __init__(self, soc: SocConfig | None = None, build_root=None):
        self._build_root = build_root
        self._core = None
        self.soc = soc
        if soc is not None:
            self._reset_state(soc)

    def _reset_state(self, soc: SocConfig) -> None:
        if self._core is not None and self._core.soc != soc:
            self._core = None
        self.soc = soc
        self.mem = {
            "imem": np.zeros(soc.imem_bytes, dtype=np.uint8),
            "dmem": np.zeros(soc.dmem_bytes, dtype=np.uint8),
            "vmem": np.zeros(soc.vmem_bytes, dtype=np.uint8),
            "llm": np.zeros(soc.lanes * soc.llm_bytes_per_lane, dtype=np.uint8),
            "ddr": np.zeros(soc.ddr_bytes, dtype=np.uint8),
        }
        self.x = np.zeros(32, dtype=np.uint32)
        self.v = np.zeros((32, soc.lanes), dtype=np.int16)
        s0, s1 = rng_reset_state(soc.lanes)
        self.s0 = np.array(s0, dtype=np.uint16)
        self.s1 = np.array(s1, dtype=np.uint16)

    def _need_soc(self) -> SocConfig:
        if self.soc is None:
            raise RuntimeError("RtlDevice: load(program) first (or create it with a SocConfig)")
        return self.soc

    # ------------------------------------------------------------------ Device protocol
    def load(self, program: Program) -> None:
        self._reset_state(program.soc)
        self.write("imem", 0, program.text)
        for name, (address, data) in program.images.items():
            if name == "llm":
                data = np.asarray(data, dtype=np.int16)
                llm = self.mem["llm"].view(np.int16).reshape(self.soc.lanes, -1)
                llm[:, address // 2: address // 2 + data.shape[1]] = data
            else:
                self.write(name, address, data)

    def write(self, memory: str, address: int, data: np.ndarray) -> None:
        """Raw bytes into a memory (``llm`` is lane-major: lane i at i * llm_bytes_per_lane)."""
        target = self._memory(memory)
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        check_range("write", memory, address, raw.size, target.size)
        target[address:address + raw.size] = raw

    def read(self, memory: str, address: int, nbytes: int) -> np.ndarray:
        source = self._memory(memory)
        check_range("read", memory, address, nbytes, source.size)
        return source[address:address + nbytes].copy()

    def run(self, max_cycles: int | None = None) -> RunStatus:
        soc = self._need_soc()
        if self._core is None:
            from .icarus import IcarusCore
            kwargs = {} if self._build_root is None else {"build_root": self._build_root}
            self._core = IcarusCore(soc, **kwargs)
        job = dict(words=self.mem["imem"].view(np.uint32), dmem=self.mem["dmem"], vmem=self.mem["vmem"],
                   llm=self.mem["llm"].view(np.int16).reshape(soc.lanes, -1), ddr=self.mem["ddr"],
                   x=self.x, v=self.v, s0=self.s0, s1=self.s1)
        budget = 10_000_000 if max_cycles is None else int(max_cycles)
        state = self._core.run([job], max_cycles=budget)[0]
        self.mem["dmem"][:] = state.dmem
        self.mem["vmem"][:] = state.vmem
        self.mem["llm"][:] = state.llm.view(np.uint8).reshape(-1)
        if state.ddr is not None:
            self.mem["ddr"][:] = state.ddr
        self.x, self.v, self.s0, self.s1 = state.x, state.v, state.s0, state.s1
        if state.status == Halt.FAULT:
            word = int(self.mem["imem"].view(np.uint32)[state.halt_pc // 4]) \
                if state.halt_pc < soc.imem_bytes else None
            raise MachineFault(FAULT_CAUSES.get(state.fault, state.fault.name), state.halt_pc, word,
                               _disassemble(word) if word is not None else None, code=state.fault)
        if state.status not in (Halt.ECALL, Halt.EBREAK):
            raise MachineFault(f"run exceeded its budget (max_cycles={budget})", state.halt_pc,
                               hint="raise max_cycles or look for an endless loop")
        return RunStatus("ecall" if state.status == Halt.ECALL else "ebreak", state.halt_pc,
                         state.cycles, state.instructions,
                         {"instructions": state.instructions, "cycles": state.cycles})

    def _memory(self, memory: str) -> np.ndarray:
        self._need_soc()
        if memory not in _MEMORIES:
            raise ValueError(f"unknown memory {memory!r}; expected one of {_MEMORIES}")
        return self.mem[memory]


def _disassemble(word: int) -> str:
    try:
        from fenn.disasm import disassemble
        return disassemble(word)
    except Exception as error:
        return f"<{error}>"
