"""The lowered network inside a Program file, so a loaded Program still has its reference model.

:func:`pack` turns a :class:`~fenn.compiler.ir.LoweredNetwork` into a JSON-able tree plus
numpy arrays (weights, sparse indices, delays), the form ``Program.save`` writes into the
``.npz`` without pickle; :func:`unpack` is the inverse. The tree is written by walking the
dataclasses of :mod:`fenn.compiler.ir` and :mod:`fenn.compiler.lower`, so a field added
there is saved without a change here; :data:`FORMAT_VERSION` says which layout a file has,
and a file of another version is refused with the reason. The user's neuron model objects
are not saved (arbitrary Python); a loaded network keeps only their ``repr``, which is all
the reference model and the listings use.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import FennError
from .formats import Format, parse_format
from .ir import ConnIR, LoweredNetwork, PopIR, RecIR
from .lower import Kernel, LaneOp

__all__ = ["FORMAT_VERSION", "SavedFormatError", "pack", "unpack", "SavedModel"]

#: layout of the saved tree; bump it when a change of the classes below changes what a file holds
FORMAT_VERSION = 1

_CLASSES = {cls.__name__: cls for cls in (LoweredNetwork, PopIR, ConnIR, RecIR, Kernel, LaneOp)}


class SavedFormatError(FennError, ValueError):
    """A Program file whose saved lowered network (the reference model's input) this
    version of fenn cannot read: written by a fenn with another layout.

    Fix: compile the network again with this fenn and save the new Program.
    """


@dataclasses.dataclass(frozen=True)
class SavedModel:
    """Stands for a neuron model in a loaded network: its ``repr`` and nothing else."""
    text: str

    def __repr__(self):
        return self.text


def pack(lowered: LoweredNetwork) -> tuple[dict, dict[str, np.ndarray]]:
    """(JSON-able tree with the format version, arrays by name) of ``lowered``."""
    arrays: dict[str, np.ndarray] = {}

    def encode(value, where: str):
        if isinstance(value, np.ndarray):
            key = f"a{len(arrays)}"
            arrays[key] = value
            return {"array": key}
        if isinstance(value, Format):
            return {"format": str(value)}
        if isinstance(value, np.generic):
            return value.item()
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (list, tuple)):
            items = [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return items if isinstance(value, list) else {"tuple": items}
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError(f"{where}: only string-keyed dicts can be saved")
            return {"dict": {k: encode(v, f"{where}.{k}") for k, v in value.items()}}
        if dataclasses.is_dataclass(value) and type(value).__name__ in _CLASSES:
            fields = {}
            for f in dataclasses.fields(value):
                v = getattr(value, f.name)
                if isinstance(value, PopIR) and f.name == "model":
                    v = repr(v)              # a user's Python object: its description only
                fields[f.name] = encode(v, f"{where}.{f.name}")
            return {"class": type(value).__name__, "fields": fields}
        raise TypeError(f"{where}: cannot save a {type(value).__name__} in a Program file; "
                        f"add its class to fenn.compiler.saved")

    return {"version": FORMAT_VERSION, "network": encode(lowered, "lowered")}, arrays


def unpack(tree: dict, arrays) -> LoweredNetwork:
    """The network ``pack`` saved; ``arrays`` maps the array names to arrays (an NpzFile will do)."""
    version = tree.get("version")
    if version != FORMAT_VERSION:
        raise SavedFormatError(
            f"the Program file holds its lowered network in format version {version}, and this "
            f"fenn reads version {FORMAT_VERSION}; compile the network again with fenn.compile "
            f"and save the new Program")

    def decode(value):
        if isinstance(value, list):
            return [decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "array" in value:
            return np.array(arrays[value["array"]])
        if "format" in value:
            return parse_format(value["format"])
        if "tuple" in value:
            return tuple(decode(v) for v in value["tuple"])
        if "dict" in value:
            return {k: decode(v) for k, v in value["dict"].items()}
        cls = _CLASSES[value["class"]]
        fields = {k: decode(v) for k, v in value["fields"].items()}
        if cls is PopIR:
            fields["model"] = SavedModel(fields["model"])
        return cls(**fields)

    return decode(tree["network"])
