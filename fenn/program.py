"""The Program: what the compiler emits and every backend loads.

A Program is self-contained: instruction words, the initial images of every memory, the
symbol map, the host I/O layout, the DMA schedule and the :class:`SocConfig` it was built
for. It saves to one ``.npz`` file, so a program built on a laptop runs on a board. The
file's header names its format and version and holds a SHA-256 checksum of every array
and of itself; :meth:`Program.load` refuses a file that does not match them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .errors import ProgramFileError
from .soc import SocConfig

__all__ = ["Program", "IoBuffer", "MEMORIES", "FILE_FORMAT", "FILE_VERSION"]

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
        header["checksums"] = {name: _checksum(array) for name, array in arrays.items()}
        header["checksums"]["header"] = _header_checksum(json.loads(json.dumps(header)))
        arrays["header"] = np.frombuffer(
            json.dumps({"format": FILE_FORMAT, "version": FILE_VERSION, **header}).encode(),
            dtype=np.uint8)
        np.savez_compressed(Path(path), **arrays)

    @classmethod
    def load(cls, path) -> "Program":
        """The Program saved in ``path``; a :class:`~fenn.errors.ProgramFileError` naming
        the problem if the file is not one, is of another version, or was modified."""
        path = Path(path)
        with open(path, "rb") as file:
            start = file.read(4)
        if start != _ZIP_MAGIC:
            what = "is empty" if not start else "is not an .npz (zip) file"
            raise ProgramFileError(f"{path} {what}, so it is not a Program file (an .npz written "
                                   f"by Program.save); {_RECOMPILE}")
        try:
            with np.load(path, allow_pickle=False) as data:
                header = _read_header(data, path)
                arrays = {name: data[name] for name in data.files if name != "header"}
        except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as error:
            if isinstance(error, ProgramFileError):
                raise
            raise ProgramFileError(f"{path} is truncated or damaged ({_why(error)}); "
                                   f"{_RECOMPILE}") from None
        _verify(header, arrays, path)
        try:
            images = {name: (int(address), arrays[f"image.{name}"].copy())
                      for name, address in header["addresses"].items()}
            io = {k: IoBuffer(**{**v, "shape": tuple(v["shape"])}) for k, v in header["io"].items()}
            lowered, missing = _load_lowered(header, arrays, path)
            return cls(text=arrays["text"].copy(), soc=SocConfig.from_dict(header["soc"]),
                       images=images, symbols=header["symbols"], io=io,
                       dma_schedule=header["dma_schedule"], meta=header["meta"], lowered=lowered,
                       lowered_missing=missing)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ProgramFileError(f"{path}: its contents do not make a Program of file version "
                                   f"{FILE_VERSION} ({_why(error)}); {_RECOMPILE}") from None


#: prefix of the lowered network's arrays in the .npz
_LOWERED = "lowered."
#: what a Program file's header says it is, and the layout version this fenn writes and reads
FILE_FORMAT = "fenn Program"
FILE_VERSION = 1
_ZIP_MAGIC = b"PK\x03\x04"
_RECOMPILE = "compile the network again (fenn compile, or fenn.compile(...).save(path))"


def _why(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _checksum(array: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes."""
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()


def _header_checksum(header: dict) -> str:
    """SHA-256 of the header (layout, symbols, I/O, meta) without its checksums."""
    fields = {k: v for k, v in header.items() if k not in ("checksums", "format", "version")}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _read_header(data, path: Path) -> dict:
    """The JSON header of an open .npz, or the reason it is not a Program file of this version."""
    if "header" not in data.files:
        raise ProgramFileError(f"{path} is an .npz but not a Program file (it has no header; it "
                               f"holds {', '.join(sorted(data.files)[:5]) or 'nothing'}); "
                               f"{_RECOMPILE}")
    try:
        header = json.loads(bytes(data["header"]).decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProgramFileError(f"{path}: its header is not valid JSON ({error}); the file is "
                               f"damaged; {_RECOMPILE}") from None
    if not isinstance(header, dict) or "version" not in header:
        raise ProgramFileError(f"{path} has no file format version: it was written by a fenn "
                               f"from before Program files had one (or by hand); {_RECOMPILE}")
    if header.get("format") != FILE_FORMAT or header["version"] != FILE_VERSION:
        raise ProgramFileError(f"{path} is {header.get('format')!r} file version "
                               f"{header['version']!r}, and this fenn reads {FILE_FORMAT!r} "
                               f"version {FILE_VERSION}; {_RECOMPILE}")
    return header


def _verify(header: dict, arrays: dict, path: Path) -> None:
    """Refuse a file whose arrays or header no longer match the checksums saved with them."""
    saved = header.get("checksums")
    if not isinstance(saved, dict):
        raise ProgramFileError(f"{path} has no checksums; {_RECOMPILE}")
    names = set(arrays) | {"header"}
    if set(saved) != names:
        odd = sorted(set(saved) ^ names)
        raise ProgramFileError(f"{path} was modified after it was saved: arrays "
                               f"{', '.join(odd)} were added or removed; {_RECOMPILE}")
    changed = [name for name, array in sorted(arrays.items()) if _checksum(array) != saved[name]]
    if _header_checksum(header) != saved["header"]:
        changed.append("header (layout, symbols, I/O or meta)")
    if changed:
        raise ProgramFileError(f"{path} was modified after it was saved: the checksum of "
                               f"{', '.join(changed)} does not match; a modified program computes "
                               f"something else, so it is refused; {_RECOMPILE}")


def _load_lowered(header: dict, data: dict, path) -> tuple[object, str]:
    """(lowered network, "") or (None, why there is none) from the arrays of a .npz."""
    if "lowered" not in header:
        return None, (f"{path} holds no lowered network (saved with lowered=False, by a fenn from "
                      f"before Program files kept it, or not built by fenn.compile); compile the "
                      f"network again with fenn.compile and save that Program")
    from .compiler.saved import SavedFormatError, unpack
    arrays = {name[len(_LOWERED):]: array for name, array in data.items() if name.startswith(_LOWERED)}
    try:
        return unpack(header["lowered"], arrays), ""
    except SavedFormatError as error:
        return None, f"{path}: {error}"
