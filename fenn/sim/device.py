"""``SimDevice``: the ``sim`` backend of the :class:`fenn.device.Device` protocol."""

from __future__ import annotations

import numpy as np

from ..device import RunStatus, check_range
from ..errors import MachineFault
from ..program import Program
from ..soc import SocConfig
from .machine import Machine, _aligned_zeros

__all__ = ["SimDevice"]


class SimDevice:
    """The SoC's ``SocConfig.cores`` cores as :class:`Machine` s behind the Device protocol.

    Each core has its own memories and registers (core ``i`` is hart ``i``); their DMA
    engines share one DDR of ``cores x ddr_bytes``, each confined to its DDR window (after
    reset its own ``ddr_bytes`` slice, ``SocConfig.ddr_window``). Loading the same program
    again is cheap (its decode is cached), and each run starts at pc 0 with memories as the
    host left them.
    """

    name = "sim"

    def __init__(self, soc: SocConfig | None = None, strict: bool = False):
        self._strict = strict
        self.machines: list[Machine] = []
        if soc is not None:
            self._build(soc)

    def _build(self, soc: SocConfig) -> None:
        # one core has a DDR of its own (so it knows when its DDR is still zero: a cheap load)
        ddr = _aligned_zeros(soc.cores * soc.ddr_bytes, dtype=np.uint8) if soc.cores > 1 else None
        self.machines = [Machine(soc, self._strict, hart_id=i, ddr=ddr) for i in range(soc.cores)]
        for i, machine in enumerate(self.machines):
            machine.set_ddr_window(*soc.ddr_window(i))

    @property
    def machine(self) -> Machine | None:
        """Core 0 (the only one of a one-core SoC), or None before a program is loaded."""
        return self.machines[0] if self.machines else None

    @property
    def cores(self) -> int:
        return len(self.machines) or 1

    def _need_machine(self, core: int = 0) -> Machine:
        if not self.machines:
            raise RuntimeError("SimDevice: load(program) first")
        if not 0 <= core < len(self.machines):
            raise ValueError(f"core {core} does not exist (this SoC has {len(self.machines)})")
        return self.machines[core]

    def load(self, program: Program) -> None:
        """Every core: memories zeroed (DDR: its window), a core reset, the text and images."""
        if not self.machines or self.machines[0].soc != program.soc:
            self._build(program.soc)
        for machine in self.machines:
            machine.load_program(program)

    def write(self, memory: str, address: int, data: np.ndarray, core: int = 0) -> None:
        machine = self._need_machine(core)
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        machine.write(memory, self._physical(machine, memory, address, raw.size, "write"), raw)

    def read(self, memory: str, address: int, nbytes: int, core: int = 0) -> np.ndarray:
        machine = self._need_machine(core)
        return machine.read(memory, self._physical(machine, memory, address, nbytes, "read"), nbytes)

    def ddr_window(self, core: int = 0) -> tuple[int, int]:
        """(base, size) of a core's DDR window in the SoC's DDR."""
        return self._need_machine(core).ddr_window

    def set_ddr_window(self, base: int, size: int, core: int = 0) -> None:
        """Set a core's DDR window (DDR_BASE, DDR_SIZE): the part of the SoC's DDR its DMA
        may reach; ``ddr`` addresses of read/write are offsets inside it."""
        self._need_machine(core).set_ddr_window(base, size)

    @staticmethod
    def _physical(machine: Machine, memory: str, address: int, nbytes: int, action: str) -> int:
        """``ddr`` addresses are offsets inside the DDR window; other memories' are their own."""
        if memory != "ddr":
            return address
        base, size = machine.ddr_window
        check_range(action, "the DDR window", address, nbytes, size)
        return base + address

    def run(self, max_cycles: int | None = None) -> RunStatus:
        return self._need_machine().run(max_cycles=max_cycles)

    def run_cores(self, cores, max_cycles: int | None = None) -> list[RunStatus]:
        """Run the cores numbered ``cores`` (one after the other: they share nothing but DDR,
        where their windows keep them apart); their statuses in that order."""
        statuses = []
        for core in cores:
            try:
                statuses.append(self._need_machine(core).run(max_cycles=max_cycles))
            except MachineFault as fault:
                if len(self.machines) > 1:
                    fault.add_note(f"on core {core}")
                raise
        return statuses
