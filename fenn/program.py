"""The Program: what the compiler emits and every backend loads.

A Program is self-contained: instruction words, the initial images of every memory, the
symbol map, the host I/O layout, the DMA schedule and the :class:`SocConfig` it was built
for. It saves to one ``.npz`` file, so a program built on a laptop runs on a board.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from .soc import SocConfig

__all__ = ["Program", "IoBuffer", "MEMORIES"]

#: memory spaces a Program can initialise and a Device can read and write
MEMORIES = ("imem", "dmem", "vmem", "llm", "ddr")


@dataclasses.dataclass
class IoBuffer:
    """A host-visible buffer: where it lives, its element type and shape.

    ``role`` is ``"input"`` (host writes before a run) or ``"output"`` (host reads after).
    """
    name: str
    memory: str            # one of MEMORIES
    address: int           # byte address in that memory
    dtype: str             # numpy dtype string, e.g. "<i2", "<u4"
    shape: tuple[int, ...]
    role: str = "output"
    #: free-form description (e.g. fixed-point format "s7.8", bitfield layout)
    meta: dict = dataclasses.field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return int(np.dtype(self.dtype).itemsize * np.prod(self.shape, dtype=np.int64))


@dataclasses.dataclass
class Program:
    """Instruction words plus everything a backend needs to load and run them."""
    text: np.ndarray                          # uint32 instruction words, loaded at IMEM 0
    soc: SocConfig
    #: initial memory images: name -> (byte address, uint8 array); llm images are
    #: int16 arrays of shape (lanes, n) starting at lane address 0
    images: dict[str, tuple[int, np.ndarray]] = dataclasses.field(default_factory=dict)
    symbols: dict[str, int] = dataclasses.field(default_factory=dict)
    io: dict[str, IoBuffer] = dataclasses.field(default_factory=dict)
    #: the DMA transfers the program performs, in order, for the user to inspect
    dma_schedule: list[dict] = dataclasses.field(default_factory=list)
    #: anything else worth keeping (formats chosen, source annotations, compile stats)
    meta: dict = dataclasses.field(default_factory=dict)
    #: the lowered network (``fenn.compiler.ir.LoweredNetwork``) the reference model runs:
    #: set by fenn.compile, saved in the file and loaded with it (``fenn.compiler.saved``)
    lowered: object = dataclasses.field(default=None, repr=False, compare=False)
    #: after a load without ``lowered``: why it is missing
    lowered_missing: str = dataclasses.field(default="", repr=False, compare=False)

    def __post_init__(self):
        self.text = np.asarray(self.text, dtype=np.uint32)
        if self.text.nbytes > self.soc.imem_bytes:
            raise ValueError(f"program text is {self.text.nbytes} bytes but IMEM holds "
                             f"{self.soc.imem_bytes}; use a SocConfig with a larger imem_bytes")
        for name in self.images:
            if name not in MEMORIES:
                raise ValueError(f"unknown memory {name!r} in images; expected one of {MEMORIES}")

    def save(self, path, lowered: bool = True) -> None:
        """Write the ``.npz``; ``lowered=False`` leaves the lowered network out (a smaller
        file for large networks: it repeats the weights; the reference backend then refuses it)."""
        arrays = {"text": self.text}
        addresses = {}
        for name, (address, data) in self.images.items():
            arrays[f"image.{name}"] = np.asarray(data)
            addresses[name] = int(address)
        header = {
            "soc": self.soc.to_dict(),
            "addresses": addresses,
            "symbols": self.symbols,
            "io": {k: dataclasses.asdict(v) for k, v in self.io.items()},
            "dma_schedule": self.dma_schedule,
            "meta": self.meta,
        }
        if lowered and self.lowered is not None:
            from .compiler.saved import pack
            header["lowered"], network_arrays = pack(self.lowered)
            arrays.update({_LOWERED + name: array for name, array in network_arrays.items()})
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        np.savez_compressed(Path(path), **arrays)

    @classmethod
    def load(cls, path) -> "Program":
        with np.load(Path(path), allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            images = {name: (address, data[f"image.{name}"].copy())
                      for name, address in header["addresses"].items()}
            text = data["text"].copy()
            lowered, missing = _load_lowered(header, data, path)
        io = {k: IoBuffer(**{**v, "shape": tuple(v["shape"])}) for k, v in header["io"].items()}
        return cls(text=text, soc=SocConfig.from_dict(header["soc"]), images=images,
                   symbols=header["symbols"], io=io, dma_schedule=header["dma_schedule"],
                   meta=header["meta"], lowered=lowered, lowered_missing=missing)


#: prefix of the lowered network's arrays in the .npz
_LOWERED = "lowered."


def _load_lowered(header: dict, data, path) -> tuple[object, str]:
    """(lowered network, "") or (None, why there is none) from an open .npz."""
    if "lowered" not in header:
        return None, (f"{path} holds no lowered network (saved with lowered=False, by a fenn from "
                      f"before Program files kept it, or not built by fenn.compile); compile the "
                      f"network again with fenn.compile and save that Program")
    from .compiler.saved import SavedFormatError, unpack
    arrays = {name[len(_LOWERED):]: data[name] for name in data.files if name.startswith(_LOWERED)}
    try:
        return unpack(header["lowered"], arrays), ""
    except SavedFormatError as error:
        return None, f"{path}: {error}"
