"""``SimDevice``: the ``sim`` backend of the :class:`fenn.device.Device` protocol."""

from __future__ import annotations

import numpy as np

from ..device import RunStatus, check_range
from ..program import Program
from ..soc import DEFAULT_SOC, SocConfig
from .machine import Machine

__all__ = ["SimDevice"]


class SimDevice:
    """A :class:`Machine` behind the Device protocol.

    Loading the same program again is cheap (its decode is cached), and each ``run``
    starts at pc 0 with memories as the host left them.
    """

    name = "sim"

    def __init__(self, soc: SocConfig | None = None, strict: bool = False):
        self._soc = soc
        self._strict = strict
        self.machine: Machine | None = Machine(soc, strict) if soc is not None else None

    def _need_machine(self) -> Machine:
        if self.machine is None:
            raise RuntimeError("SimDevice: load(program) first")
        return self.machine

    def load(self, program: Program) -> None:
        if self.machine is None or self.machine.soc != program.soc:
            self.machine = Machine(program.soc, self._strict)
        self.machine.load_program(program)

    def write(self, memory: str, address: int, data: np.ndarray) -> None:
        machine = self._need_machine()
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        machine.write(memory, self._physical(machine, memory, address, raw.size, "write"), raw)

    def read(self, memory: str, address: int, nbytes: int) -> np.ndarray:
        machine = self._need_machine()
        return machine.read(memory, self._physical(machine, memory, address, nbytes, "read"), nbytes)

    def set_ddr_window(self, base: int, size: int) -> None:
        """Set the DDR window (DDR_BASE, DDR_SIZE): the part of the modelled DDR the core's
        DMA may reach; ``ddr`` addresses of read/write are offsets inside it."""
        self._need_machine().set_ddr_window(base, size)

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
