"""A test double of the part of the ``pynq`` API that :mod:`fenn.boards.pynq` uses, made of
the live RTL of the SoC top (:class:`fenn.hw.soc_session.SocSession`), so that the board
driver's own code runs unmodified against the RTL:

- ``Overlay(path)``: "downloads" the bitstream (the double's SoC, fixed when the double is
  made) and lists the SoC's host port in ``ip_dict`` (``phys_addr``, ``addr_range``);
- ``MMIO(base, length)``: ``read(offset)``, ``write(offset, int | bytes)`` and ``array``
  slices go through the SoC's AXI4-Lite port (cocotbext-axi's AxiLiteMaster);
- ``allocate(shape, dtype)``: a numpy array with a ``device_address`` whose bytes live in
  the AXI RAM the DMA masters see (cocotbext-axi's AxiRam) once ``flush()``ed, and come
  back from it on ``invalidate()``, as a board's non-coherent buffers do.

Time: the SoC runs only while the double does something. Each MMIO access first lets
``access_cycles`` clock cycles pass (a Python MMIO access on a board takes about a
microsecond, a few hundred cycles of the PL clock), so a driver polling STATUS sees the
core progress by a fixed amount per poll: its timeouts count polls, never seconds.
``accesses`` counts MMIO calls and ``words`` the 32-bit AXI4-Lite transactions they made
(the host work the benchmarks compare).
"""

from __future__ import annotations

import pathlib

import numpy as np

from fenn.soc import SocConfig

__all__ = ["RtlPynq", "HOST_BASE"]

#: where the double maps the SoC's host ports (M_AXI_HPM0_FPD's range on Zynq UltraScale+),
#: core i's at i x the SoC's host aperture from here
HOST_BASE = 0xA000_0000


class RtlPynq:
    """``pynq`` on the RTL of ``soc``: pass it to ``PynqDevice(..., pynq=RtlPynq(soc))``."""

    def __init__(self, soc: SocConfig, simulator: str | None = None, access_cycles: int = 200,
                 build_root=None):
        from fenn.hw.ports import soc_ports
        from fenn.hw.soc_session import SocSession
        self.soc = soc
        self.ports = soc_ports(soc)
        self.host_range = self.ports.host_aperture * soc.cores
        self.session = SocSession(soc, simulator=simulator, build_root=build_root)
        self.access_cycles = int(access_cycles)
        self.accesses = 0                   # MMIO calls
        self.words = 0                      # 32-bit AXI4-Lite transactions they made
        self.downloaded: list[str] = []
        self._live: dict[int, int] = {}     # physical address -> bytes of each live buffer
        double = self

        class Overlay:
            def __init__(self, bitfile_name: str, download: bool = True):
                if not pathlib.Path(bitfile_name).exists():
                    raise OSError(f"bitstream {bitfile_name} does not exist")
                self.bitfile_name = bitfile_name
                self.ip_dict = {f"fenn_{core.index}": {"phys_addr": HOST_BASE + core.host_offset,
                                                       "addr_range": double.ports.host_aperture,
                                                       "type": "fenn:user:fenn_soc:1.0"}
                                for core in double.ports.cores}
                if download:
                    double.session.reset()
                    double.downloaded.append(bitfile_name)

        class MMIO:
            def __init__(self, base_addr: int, length: int = 4, **_):
                if base_addr < HOST_BASE or base_addr + length > HOST_BASE + double.host_range:
                    raise ValueError(f"MMIO 0x{base_addr:x}+0x{length:x} is outside the PL's "
                                     f"host ports in this double")
                self.base_addr, self.length = base_addr, length
                self.array = _Words(double, base_addr - HOST_BASE, length)

            def read(self, offset: int = 0, **_) -> int:
                if offset % 4:
                    raise MemoryError("Unaligned read: offset must be multiple of 4.")
                return int(double._read(self.base_addr - HOST_BASE + offset, 1)[0])

            def write(self, offset: int, data) -> None:
                if offset % 4:
                    raise MemoryError("Unaligned write: offset must be multiple of 4.")
                if type(data) is int:
                    data = int(np.uint32(data)).to_bytes(4, "little")
                elif type(data) is not bytes:
                    raise ValueError("Data type must be int or bytes.")
                double._write(self.base_addr - HOST_BASE + offset, data)

        self.Overlay, self.MMIO = Overlay, MMIO

    def allocate(self, shape, dtype="u4", **_) -> np.ndarray:
        """A buffer in the DMA masters' memory, page aligned (contiguous, as CMA gives)."""
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        address = 0                         # first fit
        for start, nbytes in sorted(self._live.items()):
            if address + size <= start:
                break
            address = -(-(start + nbytes) // 4096) * 4096
        ddr = self.soc.cores * self.soc.ddr_bytes
        if address + size > ddr:
            raise MemoryError(f"the double's DDR ({ddr} bytes) has no room for "
                              f"{size} more bytes (live buffers: {self._live})")
        self._live[address] = size
        buffer = np.zeros(shape, dtype=dtype).view(_Buffer)
        buffer.device_address, buffer.double = address, self
        return buffer

    def close(self) -> None:
        self.session.close()

    # ------------------------------------------------------------------ the bus
    def _tick(self) -> None:
        self.accesses += 1
        self.session.advance(self.access_cycles)

    def _read(self, address: int, words: int) -> np.ndarray:
        self._tick()
        self.words += words
        return self.session.mmio_read(address, words)

    def _write(self, address: int, data: bytes) -> None:
        self._tick()
        self.words += -(-len(data) // 4)
        self.session.mmio_write(address, data)


class _Words:
    """``MMIO.array``: 32-bit words of the mapped range; a slice is one access."""

    def __init__(self, double: RtlPynq, base: int, length: int):
        self.double, self.base, self.length = double, base, length

    def __getitem__(self, index):
        if isinstance(index, slice):
            first, stop, step = index.indices(self.length // 4)
            if step != 1:
                raise IndexError("the double reads contiguous word ranges only")
            return self.double._read(self.base + 4 * first, max(0, stop - first))
        return self.double._read(self.base + 4 * int(index), 1)[0]


class _Buffer(np.ndarray):
    """``pynq.allocate``'s buffer: host-side numpy memory, device-side AXI RAM."""

    device_address: int = 0
    double: RtlPynq | None = None
    coherent = False

    def __array_finalize__(self, obj):
        self.device_address = getattr(obj, "device_address", 0)
        self.double = getattr(obj, "double", None)

    @property
    def physical_address(self) -> int:
        return self.device_address

    def flush(self) -> None:
        """Make the host's writes visible to the PL (to the AXI RAM)."""
        self.double.session.ram_write(self.device_address, np.ascontiguousarray(self).view(np.uint8))

    def invalidate(self) -> None:
        """Make the PL's writes visible to the host (from the AXI RAM)."""
        data = self.double.session.ram_read(self.device_address, self.nbytes)
        self.view(np.uint8).reshape(-1)[:] = data

    def freebuffer(self) -> None:
        self.double._live.pop(self.device_address, None)

    close = freebuffer
