"""The Device protocol: the one interface that sim, rtl and pynq backends implement.

The runtime (``fenn.run``) speaks only to this protocol, and backends are loaded lazily
by name, so ``import fenn`` never imports Numba kernels, Amaranth or PYNQ.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import BackendUnavailable, OptionError
from .program import Program

__all__ = ["Device", "RunStatus", "open_device", "BACKENDS", "check_range", "device_cores"]


@dataclasses.dataclass
class RunStatus:
    """How a run ended and what it cost."""
    reason: str                 # "ecall" | "ebreak" | "budget"
    pc: int
    cycles: int
    instructions: int
    stats: dict = dataclasses.field(default_factory=dict)


def check_range(action: str, memory: str, address: int, nbytes: int, size: int) -> None:
    """Refuse a host access that does not lie inside a memory of ``size`` bytes."""
    if address < 0 or address + nbytes > size:
        raise ValueError(f"{action} of {nbytes} bytes at {memory} 0x{address:x} is outside "
                         f"{memory} ({size} bytes)")


@runtime_checkable
class Device(Protocol):
    """A FeNN SoC of one or more cores (``cores``, from ``SocConfig.cores``). Memory access
    names a core (``core=``, default 0); ``ddr`` addresses are offsets inside that core's DDR
    window. ``fenn.run`` shards a batch's samples across the cores with ``run_cores``."""

    name: str

    def load(self, program: Program) -> None:
        """Reset the machine, load the text and every initial image of ``program`` (every core)."""

    def write(self, memory: str, address: int, data: np.ndarray, core: int = 0) -> None:
        """Write raw bytes (any numpy array, taken as its bytes) into a memory space."""

    def read(self, memory: str, address: int, nbytes: int, core: int = 0) -> np.ndarray:
        """Read ``nbytes`` raw bytes (uint8) from a memory space."""

    def run(self, max_cycles: int | None = None) -> RunStatus:
        """Run core 0 from pc 0 until ``ecall``/``ebreak`` (or the budget); raise on a fault."""

    def run_cores(self, cores, max_cycles: int | None = None) -> list[RunStatus]:
        """Run the cores numbered ``cores`` from pc 0, together; their statuses in that order."""


def device_cores(device) -> int:
    """How many cores a device has (1 for one that predates several)."""
    return int(getattr(device, "cores", 1))


#: backend name -> (module, class, extra that provides it)
BACKENDS = {
    "sim": ("fenn.sim", "SimDevice", None),
    "rtl": ("fenn.hw.device", "RtlDevice", "hdl"),
    "pynq": ("fenn.boards.pynq", "PynqDevice", "board"),
}


def open_device(backend: str = "sim", **options) -> Device:
    """Instantiate a backend by name, importing it only now. An unknown name is an
    :class:`~fenn.errors.OptionError`; a backend that cannot load here is
    :class:`~fenn.errors.BackendUnavailable`, naming the module that is missing."""
    try:
        module_name, class_name, extra = BACKENDS[backend]
    except (KeyError, TypeError):
        raise OptionError(f"unknown backend {backend!r}; choose one of {sorted(BACKENDS)}") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise BackendUnavailable(_missing(backend, module_name, extra, error)) from error
    if not hasattr(module, class_name):
        raise BackendUnavailable(f"backend {backend!r} is not in this fenn yet: {module_name} has "
                                 f"no {class_name}; use backend='sim' (or 'rtl')")
    return getattr(module, class_name)(**options)


def _missing(backend: str, module_name: str, extra: str | None, error: ImportError) -> str:
    """What is really missing when a backend's module does not import."""
    missing = getattr(error, "name", None) or ""
    if missing and (module_name == missing or module_name.startswith(missing + ".")):
        return (f"backend {backend!r} is not in this fenn yet ({module_name} does not exist); "
                f"use backend='sim' (or 'rtl')")
    where = " on the board" if extra == "board" else ""
    install = f"pip install 'fenn[{extra}]'{where}" if extra else "reinstall fenn"
    package = f"the Python package {missing!r}" if missing else "a module"
    return (f"backend {backend!r} needs {package}, which is not installed here ({error}); "
            f"{install}")
