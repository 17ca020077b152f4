"""The SoC configuration: the one place where sizes, lanes and DMA parameters live.

The compiler's memory planner, the simulator, the RTL generator and the board files all
read this object, and its ``soc_id`` is what the RTL exposes in its ID register so that
a driver can refuse a bitstream built for another configuration.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

__all__ = ["SocConfig", "DEFAULT_SOC", "rng_reset_state"]

KiB = 1024


@dataclasses.dataclass(frozen=True)
class SocConfig:
    """Parameters of one FeNN SoC. Frozen and hashable; serialise with :meth:`to_dict`."""

    lanes: int = 32
    lane_bits: int = 16
    imem_bytes: int = 64 * KiB
    dmem_bytes: int = 128 * KiB
    vmem_bytes: int = 512 * KiB
    llm_bytes_per_lane: int = 2 * KiB
    ddr_bytes: int = 64 * 1024 * KiB
    #: number of 128-bit AXI ports to DDR; each moves 16 bytes per core clock
    dma_ports: int = 1
    #: cycles from a DMA start (or a new burst) to its first beat arriving
    dma_read_latency: int = 24
    clock_hz: int = 200_000_000
    cores: int = 1

    def __post_init__(self):
        checks = [
            (self.lanes == 32, "lanes must be 32 (the FeNN vector unit is 32 lanes wide)"),
            (self.lane_bits == 16, "lane_bits must be 16"),
            (self.dma_ports >= 1, "dma_ports must be at least 1"),
            (self.dma_read_latency >= 0, "dma_read_latency must be >= 0"),
            (self.cores >= 1, "cores must be at least 1"),
        ]
        for name in ("imem_bytes", "dmem_bytes", "vmem_bytes", "llm_bytes_per_lane", "ddr_bytes"):
            size = getattr(self, name)
            checks.append((size > 0 and size & (size - 1) == 0,
                           f"{name}={size} must be a power of two (memories map to BRAM/URAM)"))
        for ok, message in checks:
            if not ok:
                raise ValueError(f"SocConfig: {message}")

    @property
    def vector_bytes(self) -> int:
        """Bytes in one vector register (64 for 32 lanes of 16 bits)."""
        return self.lanes * self.lane_bits // 8

    @property
    def dma_bytes_per_cycle(self) -> int:
        return 16 * self.dma_ports

    def ddr_window(self, core: int = 0) -> tuple[int, int]:
        """(base, size) of core ``core``'s DDR window after a reset: its own ``ddr_bytes``
        slice of the modelled DDR (``cores x ddr_bytes``). Its DMA DDR addresses are offsets
        inside the window; the host may move it (DDR_BASE, DDR_SIZE: docs/host_registers.md)."""
        if not 0 <= core < self.cores:
            raise ValueError(f"SocConfig: core {core} does not exist (cores={self.cores})")
        return core * self.ddr_bytes, self.ddr_bytes

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SocConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"SocConfig: unknown fields {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)

    @property
    def soc_id(self) -> int:
        """32-bit identifier of this configuration (stable across Python runs)."""
        text = json.dumps(self.to_dict(), sort_keys=True).encode()
        return int.from_bytes(hashlib.sha256(text).digest()[:4], "little")


DEFAULT_SOC = SocConfig()


def rng_reset_state(lanes: int = 32) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per-lane RNG state (S0, S1) after a core reset, shared by the simulator and the RTL.

    Lane i starts at S0 = i + 1, S1 = 0x9E37 (both non-zero, every lane different).
    Programs normally load their own state with ``vloadr0``/``vloadr1``.
    """
    return tuple(range(1, lanes + 1)), (0x9E37,) * lanes
