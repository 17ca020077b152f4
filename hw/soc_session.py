"""A live RTL simulation of the SoC top ``fenn_soc`` as a board's processor sees it.

``SocSession(soc, simulator=...)`` builds ``fenn_soc`` once (cached like
:class:`fenn.hw.session.RtlSession`) and serves the bench :mod:`fenn.hw.soc_bench`: MMIO
reads and writes through the AXI4-Lite host ports (cocotbext-axi's AxiLiteMaster; core i's
at i x the host aperture), the
DDR behind the DMA masters (cocotbext-axi's AxiRam), the SoC's reset line, and letting
clock cycles pass. The pynq test double (:mod:`fenn.boards.pynq_double`) is made of it.
"""

from __future__ import annotations

import weakref

import numpy as np

from fenn.soc import DEFAULT_SOC, SocConfig

from .session import RtlSimulationError, _Simulator, build, choose_simulator
from .verilog import SOC_TOP_NAME

__all__ = ["SocSession", "AxiError"]


class AxiError(RtlSimulationError):
    """An AXI4-Lite access answered with an error response (SLVERR/DECERR).

    Fix: access only the registers and windows of the register map (docs/host_registers.md).
    """


class SocSession:
    """One live simulation of ``fenn_soc`` for one SocConfig."""

    def __init__(self, soc: SocConfig = DEFAULT_SOC, simulator: str | None = None, build_root=None):
        self.soc = soc
        self.simulator = choose_simulator(simulator)
        self.build_dir = build(soc, self.simulator, build_root, top=SOC_TOP_NAME)
        self._sim = _Simulator(self.simulator, self.build_dir, soc, bench="fenn.hw.soc_bench", top=SOC_TOP_NAME)
        self._finalizer = weakref.finalize(self, self._sim.close)

    def close(self) -> None:
        """End the simulator process (also done on garbage collection and at exit)."""
        self._finalizer()

    def __enter__(self) -> "SocSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def mmio_read(self, address: int, words: int = 1) -> np.ndarray:
        """``words`` 32-bit words from the host port at byte ``address``."""
        data, resp = self._sim.call("mmio_read", int(address), int(words))
        if resp:
            raise AxiError(f"AXI4-Lite read of {words} words at 0x{address:08x} answered {resp} "
                           f"(2 SLVERR: a memory window while the core runs, or no such address)")
        return np.frombuffer(data, dtype="<u4").copy()

    def mmio_write(self, address: int, data) -> None:
        """32-bit writes of ``data`` (an int, or any array taken as its bytes) from ``address``."""
        raw = int(data).to_bytes(4, "little") if isinstance(data, (int, np.integer)) \
            else np.ascontiguousarray(data).tobytes()
        resp = self._sim.call("mmio_write", int(address), raw)
        if resp:
            raise AxiError(f"AXI4-Lite write of {len(raw)} bytes at 0x{address:08x} answered {resp} "
                           f"(2 SLVERR: refused, e.g. a DMA start while busy or a window while running)")

    def ram_read(self, address: int, nbytes: int) -> np.ndarray:
        """Bytes of the DDR behind the DMA masters (no simulated time)."""
        return np.frombuffer(self._sim.call("ram_read", int(address), int(nbytes)), dtype=np.uint8).copy()

    def ram_write(self, address: int, data) -> None:
        self._sim.call("ram_write", int(address), np.ascontiguousarray(data).tobytes())

    def advance(self, cycles: int) -> None:
        """Let ``cycles`` clock cycles pass."""
        self._sim.call("advance", int(cycles), timeout=None)

    def reset(self) -> None:
        """Pulse the SoC's reset line."""
        self._sim.call("reset")
