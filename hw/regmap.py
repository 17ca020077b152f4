"""The host's AXI4-Lite register map: ONE description, from which the RTL decoder
(``fenn.hw.host``), the drivers' offsets and docs/host_registers.md are all generated.

Each core has its own host port, decoding 27 address bits (a 128 MiB aperture; its place
in the host's address space: ``fenn.hw.ports``), split by bits 26:24: window 0 holds the
control registers below, windows 1.. map the core's memories (byte offsets within a window are the memory's own
byte addresses; accesses are 32-bit words). Memory windows are reachable only while the
core is stopped (STATUS.running = 0); while it runs, window accesses answer SLVERR
(writes are dropped, reads return 0), as do addresses in no window.

The DDR window (DDR_BASE, DDR_SIZE) confines the core's DMA: every DDR address a transfer
names (MM2S SRC, S2MM DST) is an offset inside it, so a wrong or hostile program cannot
reach memory the host did not give it. Only the host sets it; the pynq backend sets it to
the buffer it allocated.
"""

from __future__ import annotations

import dataclasses

from fenn.faults import CAUSES, FAULT_BITS
from fenn.soc import SocConfig

from .core import HostSpace
from .ports import HOST_APERTURE_BITS

__all__ = ["Register", "REGISTERS", "BY_NAME", "WINDOWS", "WINDOW_SHIFT", "RTL_VERSION",
           "markdown", "window_base"]

#: RTL version readable by the host: (major << 16) | minor. Minor 2: the DDR window
#: (DDR_BASE, DDR_SIZE, fault DMA_WINDOW) and the CORES register.
RTL_VERSION = (0 << 16) | 2
WINDOW_SHIFT = 24


@dataclasses.dataclass(frozen=True)
class Register:
    name: str
    offset: int
    access: str          # "r", "w" or "rw"
    doc: str
    #: bit field name -> (lsb, width, description)
    fields: tuple[tuple[str, int, int, str], ...] = ()


REGISTERS: tuple[Register, ...] = (
    Register("ID", 0x00, "r", "SocConfig.soc_id of the configuration this bitstream was built for; "
                              "a driver refuses to load a Program built for another"),
    Register("VERSION", 0x04, "r", "RTL version, major x 65536 + minor"),
    Register("CONTROL", 0x08, "w", "write 1 to a bit to act",
             (("start", 0, 1, "run from pc 0 (counters restart)"),
              ("reset", 1, 1, "stop the core: pipeline, counters and DMA state to reset values"))),
    Register("STATUS", 0x0C, "r", "why the core is not running, and its error code",
             (("halt", 0, 3, "0 idle (never started), 1 running, 2 ecall, 3 ebreak, 4 fault"),
              ("running", 3, 1, "1 while running (memory windows are closed)"),
              ("fault", 4, FAULT_BITS, "error code after a fault (fenn.faults.Fault; table below)"))),
    Register("HALT_PC", 0x10, "r", "pc of the instruction that halted the core"),
    Register("CYCLES_LO", 0x14, "r", "cycles of the last run (uninhibited), low word"),
    Register("CYCLES_HI", 0x18, "r", "cycles of the last run, high word"),
    Register("INSTRET_LO", 0x1C, "r", "instructions retired in the last run (ecall not counted), low word"),
    Register("INSTRET_HI", 0x20, "r", "instructions retired in the last run, high word"),
    Register("IMEM_BYTES", 0x24, "r", "size of IMEM (window 1)"),
    Register("DMEM_BYTES", 0x28, "r", "size of DMEM (window 2)"),
    Register("VMEM_BYTES", 0x2C, "r", "size of VMEM (window 3)"),
    Register("LLM_BYTES_PER_LANE", 0x30, "r", "lane-local memory per lane (window 4: lane i at i x this)"),
    Register("DDR_BASE", 0x34, "rw", "DDR window base: the AXI address of DMA DDR offset 0 (bits 5:0 are 0). "
                                     "Writable only while the core is stopped (else SLVERR); only a system "
                                     "reset restores it (to core x SocConfig.ddr_bytes)"),
    Register("DDR_SIZE", 0x38, "rw", "DDR window size in bytes (bits 5:0 are 0): a DMA whose DDR offset + "
                                     "COUNT exceeds it faults with DMA_WINDOW (a host start: SLVERR). The core "
                                     "cannot write either register. Reset: SocConfig.ddr_bytes"),
    Register("CORES", 0x3C, "r", "the SoC's cores (each with its own host port, memories, DMA masters "
                                 "and DDR window: fenn.hw.ports)",
             (("count", 0, 8, "SocConfig.cores"), ("index", 8, 8, "this core's number (its mhartid)"))),
    *(Register(f"DMA_{ch}_{name}", base + offset, access, doc.format(ch=ch), fields)
      for ch, base in (("MM2S", 0x40), ("S2MM", 0x60))
      for name, offset, access, doc, fields in (
          ("SRC", 0x0, "w", "{ch} source byte address (the same register as the core's CSR)", ()),
          ("DST", 0x4, "w", "{ch} destination byte address", ()),
          ("COUNT", 0x8, "w", "{ch} byte count (multiples of 64)", ()),
          ("CONTROL", 0xC, "w", "{ch}: write 1 to start (while the core is stopped; a bad or busy "
                                "start is refused with SLVERR)", (("start", 0, 1, "start the transfer"),)),
          ("STATUS", 0x10, "r", "{ch} status, bits as the core's status CSR (spec/isa.md section 5)", ()))),
)
BY_NAME = {r.name: r for r in REGISTERS}

#: window number -> (name, host space of the core's port)
WINDOWS: dict[int, tuple[str, HostSpace]] = {
    1: ("IMEM", HostSpace.IMEM),
    2: ("DMEM", HostSpace.DMEM),
    3: ("VMEM", HostSpace.VMEM),
    4: ("LLM", HostSpace.LLM),
    5: ("XREG", HostSpace.XREG),
    6: ("VREG", HostSpace.VREG),
    7: ("RNG", HostSpace.RNG),
}


def window_base(name: str) -> int:
    for number, (window, _) in WINDOWS.items():
        if window == name:
            return number << WINDOW_SHIFT
    raise KeyError(f"no window {name!r}; windows: {[w for w, _ in WINDOWS.values()]}")


def register_values(soc: SocConfig, core: int = 0) -> dict[str, int]:
    """The constant read-only registers of one configuration's core ``core``."""
    return {"ID": soc.soc_id, "VERSION": RTL_VERSION, "IMEM_BYTES": soc.imem_bytes,
            "DMEM_BYTES": soc.dmem_bytes, "VMEM_BYTES": soc.vmem_bytes,
            "LLM_BYTES_PER_LANE": soc.llm_bytes_per_lane, "CORES": soc.cores | core << 8}


def markdown() -> str:
    """docs/host_registers.md, generated (``python -m fenn.hw.regmap > docs/host_registers.md``)."""
    lines = ["# FeNN host register map (AXI4-Lite)", "",
             "Generated from `fenn/hw/regmap.py` by `python -m fenn.hw.regmap`; do not edit.", "",
             __doc__.split("\n\n", 1)[1].strip(), "",
             "## Control registers (window 0)", "",
             "| offset | name | access | meaning |", "|---|---|---|---|"]
    for r in REGISTERS:
        lines.append(f"| 0x{r.offset:03x} | {r.name} | {r.access} | {r.doc} |")
        for name, lsb, width, doc in r.fields:
            bits = f"{lsb}" if width == 1 else f"{lsb + width - 1}:{lsb}"
            lines.append(f"| | `{name}` [{bits}] | | {doc} |")
    lines += ["", "## Memory windows", "", "| base | window | what |", "|---|---|---|"]
    for number, (name, _) in WINDOWS.items():
        lines.append(f"| 0x{number << WINDOW_SHIFT:08x} | {name} | {_WINDOW_DOCS[name]} |")
    lines += ["", "## Fault codes (STATUS.fault)", "",
              "The simulator raises the same code for the same program (`MachineFault.code`).", "",
              "| code | name | cause |", "|---|---|---|"]
    lines += [f"| {int(code)} | {code.name} | {cause} |" for code, cause in CAUSES.items()]
    return "\n".join(lines) + "\n"


_WINDOW_DOCS = {
    "IMEM": "instruction memory, read/write",
    "DMEM": "scalar data memory, read/write",
    "VMEM": "vector memory, read/write",
    "LLM": "lane-local memories, lane i at i x LLM_BYTES_PER_LANE",
    "XREG": "x0..x31 at 4 i (writes to x0 ignored)",
    "VREG": "v0..v31 at 64 r, lane i in the halfword at 64 r + 2 i",
    "RNG": "RNG state: S0 of lane i at 2 i, S1 at 64 + 2 i",
}


if __name__ == "__main__":
    print(markdown(), end="")
