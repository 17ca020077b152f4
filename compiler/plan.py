"""Memory planning: where every buffer lives in DMEM, VMEM, LLM (and DDR).

Each kernel asks for its buffers by name; :meth:`MemoryPlan.check` compares the totals
with the :class:`~fenn.soc.SocConfig` and, when something does not fit, raises
:class:`MemoryPlanError` naming the memory, the bytes needed and available, the largest
users and what would make it fit.
"""

from __future__ import annotations

import dataclasses

from ..errors import FennError

__all__ = ["MemoryPlan", "MemoryPlanError", "Region"]

#: what to try when a memory overflows
_HINTS = {
    "vmem": "stream the weights from DDR (fenn.compile(..., weights='ddr'); 'auto' streams "
            "the largest connections, dense or sparse, only as far as needed), use sparse "
            "connectivity for weakly connected layers, record reductions (reduce='mean'/'max'/"
            "'last') instead of whole state traces, or use a SocConfig with a larger vmem_bytes",
    "dmem": "run fewer timesteps per call, record fewer populations' spikes, lower "
            "input_capacity, keep small sparse connections in VMEM (weights='auto' rather than "
            "'ddr': a streamed one keeps a row table and a spike list in DMEM), or use a "
            "SocConfig with a larger dmem_bytes",
    "llm": "use fewer delay slots (smaller maximum delay) or fewer neurons in delayed/sparse "
           "targets, or a SocConfig with a larger llm_bytes_per_lane",
    "ddr": "use a SocConfig with a larger ddr_bytes or sparse connectivity",
    "imem": "use a SocConfig with a larger imem_bytes",
}


class MemoryPlanError(FennError, MemoryError):
    """A network that does not fit the SoC's memories (``memory`` names which).

    Fix: the message names the memory, the bytes needed and available, the largest users
    and what would make it fit (weights from DDR, sparse connections, reductions instead of
    traces, fewer timesteps, a larger SocConfig).
    """

    def __init__(self, message: str, memory: str = ""):
        super().__init__(message)
        self.memory = memory


@dataclasses.dataclass
class Region:
    memory: str
    name: str
    address: int
    nbytes: int
    what: str = ""


class MemoryPlan:
    def __init__(self, soc):
        self.soc = soc
        self.regions: list[Region] = []
        self._next = {"dmem": 0, "vmem": 0, "llm": 0, "ddr": 0}

    def capacity(self, memory: str) -> int:
        return {"dmem": self.soc.dmem_bytes, "vmem": self.soc.vmem_bytes,
                "llm": self.soc.llm_bytes_per_lane, "ddr": self.soc.ddr_bytes,
                "imem": self.soc.imem_bytes}[memory]

    def alloc(self, memory: str, name: str, nbytes: int, align: int = 4, what: str = "") -> int:
        """Reserve ``nbytes`` (LLM: bytes per lane) and return the byte address."""
        address = -(-self._next[memory] // align) * align
        self._next[memory] = address + int(nbytes)
        self.regions.append(Region(memory, name, address, int(nbytes), what))
        return address

    def used(self, memory: str) -> int:
        return self._next[memory]

    def free(self, memory: str) -> int:
        return self.capacity(memory) - self.used(memory)

    def region(self, name: str) -> Region:
        for r in self.regions:
            if r.name == name:
                return r
        raise KeyError(name)

    def check(self, memories=("dmem", "vmem", "llm", "ddr")):
        for memory in memories:
            need, room = self.used(memory), self.capacity(memory)
            if need > room:
                users = sorted((r for r in self.regions if r.memory == memory), key=lambda r: -r.nbytes)
                top = ", ".join(f"{r.name} {r.nbytes:,} B" for r in users[:4])
                unit = " per lane" if memory == "llm" else ""
                raise MemoryPlanError(
                    f"the network does not fit {memory.upper()}: it needs {need:,} bytes{unit} but "
                    f"{memory.upper()} holds {room:,} (largest: {top}). To fit: {_HINTS[memory]}",
                    memory)

    def table(self) -> list[dict]:
        return [dataclasses.asdict(r) for r in self.regions]

    def summary(self) -> dict:
        return {m: {"used": self.used(m), "capacity": self.capacity(m)} for m in self._next}
