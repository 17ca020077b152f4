"""How many FeNN cores fit a board: measured per-core resources against the device's.

Method (docs/boards.md states it too):

1. Per core: the default SoC's resources from synthesis (``fenn hw report``, yosys
   ``synth_xilinx -family xcup``), committed in ``core_resources.json`` by
   ``python -m fenn.boards.measure``. A board whose VMEM differs (size, or block RAM on a
   device without URAM) swaps the measured VMEM for its own, measured the same way.
2. Glue the SoC does not contain: an allowance (not a measurement) for the PS-side
   block design: a fixed part (reset block, interrupt concat, the SmartConnects' shared
   logic) plus a part per core (one SmartConnect master port with its AXI4-Lite
   conversion, and a share of the HP-side SmartConnects when cores outnumber HP ports).
3. Ceilings: a design is taken to fit when it uses at most 80 % of the LUTs and flip-flops
   (room for placement and routing: timing at 200 MHz degrades quickly above that), 95 %
   of the block RAM and DSPs and all of the URAM (hard blocks, placed column by column).

The largest core count whose total passes every ceiling is the answer; the resource that
stops it is named.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math

from fenn.errors import FennError
from fenn.soc import SocConfig

from .board import Board, Resources
from .measure import DATA_FILE, vmem_key

__all__ = ["CEILINGS", "GLUE_FIXED", "GLUE_PER_CORE", "Fit", "NoMeasuredFigures", "core_resources", "fit"]

#: the share of each device resource a design may use
CEILINGS = {"lut": 0.80, "ff": 0.80, "bram36": 0.95, "uram": 1.00, "dsp": 0.95}
#: PS-side block design outside the SoC (allowance, see the module docstring)
GLUE_FIXED = Resources(lut=3_000, ff=4_000, bram36=0, uram=0, dsp=0)
GLUE_PER_CORE = Resources(lut=1_500, ff=2_000, bram36=0, uram=0, dsp=0)


class NoMeasuredFigures(FennError, LookupError):
    """The fit check has no synthesis figures for this SocConfig.

    Fix: measure them (docs/boards.md, the fit check) or use a SocConfig that has them.
    """


@functools.cache
def _measured() -> dict:
    if not DATA_FILE.is_file():
        raise NoMeasuredFigures(f"{DATA_FILE} is missing: make it with `python -m fenn.boards.measure`")
    return json.loads(DATA_FILE.read_text())


def core_resources(soc: SocConfig, vmem_style: str) -> Resources:
    """Resources of one core of ``soc`` with VMEM mapped as ``vmem_style`` (``ultra``/``block``)."""
    data = _measured()
    measured = SocConfig.from_dict(data["soc"])
    if dataclasses.replace(soc, vmem_bytes=measured.vmem_bytes, clock_hz=measured.clock_hz,
                           cores=measured.cores) != measured:
        raise NoMeasuredFigures(
            f"no synthesis figures for SocConfig 0x{soc.soc_id:08x} (only VMEM size and style may differ "
            f"from the measured default SoC 0x{measured.soc_id:08x}); measure it with `fenn hw report --soc FILE`")
    base = data["resources"]
    swap_out = data["vmem"][vmem_key(measured.vmem_bytes, "ultra")]
    try:
        swap_in = data["vmem"][vmem_key(soc.vmem_bytes, vmem_style)]
    except KeyError:
        raise NoMeasuredFigures(f"no synthesis figures for a {soc.vmem_bytes}-byte VMEM in {vmem_style} RAM; "
                                f"add it with `python -m fenn.boards.measure`") from None
    total = {}
    for field, name in Resources.REPORT_NAMES.items():
        total[field] = base[name] - swap_out[name] + swap_in[name]
    if vmem_style == "block":
        total["uram"] = base["URAM"] - swap_out["URAM"]          # nothing else uses URAM
    return Resources(**{k: (v if k == "bram36" else int(v)) for k, v in total.items()})


@dataclasses.dataclass(frozen=True)
class Fit:
    """The answer for one board and SocConfig."""

    board: str
    per_core: Resources
    cores: int                  #: the largest number of cores that fits
    limit: str                  #: the resource that stops one more core
    use: dict                   #: share of each resource used at ``cores`` cores

    def total(self, cores: int) -> Resources:
        return Resources(**{f: getattr(GLUE_FIXED, f) + cores * (getattr(self.per_core, f) + getattr(GLUE_PER_CORE, f))
                            for f in Resources.REPORT_NAMES})


def fit(board: Board, soc: SocConfig | None = None) -> Fit:
    """How many cores of ``soc`` (default: the board's) fit ``board``, and what limits it."""
    soc = soc or board.soc
    per_core = core_resources(soc, board.vmem_style)
    device = board.resources
    best, limit = math.inf, ""
    for field, ceiling in CEILINGS.items():
        need = getattr(per_core, field) + getattr(GLUE_PER_CORE, field)
        if need == 0:
            continue
        room = ceiling * getattr(device, field) - getattr(GLUE_FIXED, field)
        n = max(0, math.floor(room / need))
        if n < best:
            best, limit = n, field
    partial = Fit(board.name, per_core, best, limit, {})
    total = partial.total(best)
    use = {f: (getattr(total, f) / getattr(device, f) if getattr(device, f) else 0.0) for f in Resources.REPORT_NAMES}
    return dataclasses.replace(partial, use=use)
