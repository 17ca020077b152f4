"""The SoC's memories as parameterised Amaranth memories, sized from ``SocConfig``.

IMEM and DMEM hold 32-bit words (DMEM with byte write enables), VMEM one 64-byte vector
per row (32-bit write granularity so the host can write single words; on UltraScale+ it
maps to URAM), and LLM one memory per lane of 32-bit words with 16-bit write granularity.
"""

from __future__ import annotations

from amaranth.lib.memory import Memory

from fenn.soc import SocConfig

__all__ = ["SocMemories"]


class SocMemories:
    """Creates the memories of one SoC; ``add_to(m)`` makes them submodules of ``m``."""

    def __init__(self, soc: SocConfig):
        self.soc = soc
        block, ultra = {"ram_style": "block"}, {"ram_style": "ultra"}     # Xilinx/yosys mapping hints
        self.imem = Memory(shape=32, depth=soc.imem_bytes // 4, init=[], attrs=block)
        self.dmem = Memory(shape=32, depth=soc.dmem_bytes // 4, init=[], attrs=block)
        self.vmem = Memory(shape=8 * soc.vector_bytes, depth=soc.vmem_bytes // soc.vector_bytes, init=[],
                           attrs=ultra)
        if soc.llm_bytes_per_lane < 4:
            raise ValueError("SocConfig.llm_bytes_per_lane must be at least 4 for the RTL")
        self.llm = [Memory(shape=32, depth=soc.llm_bytes_per_lane // 4, init=[], attrs=block)
                    for _ in range(soc.lanes)]

    def add_to(self, m) -> None:
        m.submodules.imem = self.imem
        m.submodules.dmem = self.dmem
        m.submodules.vmem = self.vmem
        for i, lane in enumerate(self.llm):
            m.submodules[f"llm{i}"] = lane
