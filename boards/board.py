"""What fenn needs to know about a board: one frozen description, read by the Vivado Tcl
generator, the fit check, ``fenn boards`` and docs/boards.md.

Every Zynq UltraScale+ board here is built the same way: the processing system (PS) runs
Linux and PYNQ, its ``M_AXI_HPM0_FPD`` master reaches each core's AXI4-Lite host port,
each DMA master reaches DDR through one of the PS's four 128-bit ``S_AXI_HPn_FPD`` slave
ports, and the PS's ``pl_clk0`` clocks the programmable logic (PL).
"""

from __future__ import annotations

import dataclasses

from fenn.soc import SocConfig

__all__ = ["Board", "Resources", "HP_PORTS", "HP_PORT_BITS"]

#: the PS slave ports the DMA masters use, in the order they are handed out
HP_PORTS = ("S_AXI_HP0_FPD", "S_AXI_HP1_FPD", "S_AXI_HP2_FPD", "S_AXI_HP3_FPD")
#: their data width (the DMA masters' width, so no width converter sits in the DDR path)
HP_PORT_BITS = 128

GiB = 1 << 30


@dataclasses.dataclass(frozen=True)
class Resources:
    """Programmable-logic resources of a device (datasheet DS891 figures) or a design."""

    lut: int
    ff: int
    bram36: float
    uram: int
    dsp: int

    #: the names ``fenn hw report`` uses for the same resources
    REPORT_NAMES = {"lut": "LUT", "ff": "FF", "bram36": "BRAM36", "uram": "URAM", "dsp": "DSP"}

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Board:
    """One board: its device, how Vivado knows it, its PS wiring and the SoC it defaults to."""

    name: str                    #: the name ``fenn build --board`` takes
    title: str                   #: what people call it
    part: str                    #: Vivado part name
    #: Vivado board part without its version (``vendor:board:part0``); the script takes the
    #: newest version installed, so a Vivado release's board-file bump does not break it
    board_part: str
    board_part_version: str      #: the version the script was written against (documentation)
    #: ``board_connections`` the board part needs (a Kria SOM names its carrier card), or ""
    board_connections: str
    board_files: str             #: where the board files come from when Vivado lacks them
    resources: Resources         #: the device's PL resources (DS891)
    soc: SocConfig               #: the SocConfig ``fenn build --board`` uses by default
    ddr_bytes: int               #: the PS DDR on the board
    #: the PS DDR the 32-bit DMA masters reach through an HP port: (base, size)
    ddr_window: tuple[int, int] = (0, 2 * GiB)
    hp_ports: tuple[str, ...] = HP_PORTS
    pynq_image: str = ""         #: the PYNQ image the board runs (docs/boards.md)

    @property
    def pl_clock_mhz(self) -> float:
        """The PL clock of the default SoC (``SocConfig.clock_hz``)."""
        return self.soc.clock_hz / 1e6

    @property
    def vmem_style(self) -> str:
        """Where VMEM goes: ``ultra`` (URAM) on devices that have it, else ``block`` (BRAM)."""
        return "ultra" if self.resources.uram else "block"

    @property
    def ps_preset(self) -> str:
        """The PS configuration the block design starts from: the board files' preset
        (``apply_board_preset``: DDR, MIO, clocks as the board is wired); fenn then sets only
        the ports, PL clock, reset and interrupts it uses."""
        return f"{self.board_part} board preset"

    @property
    def board_part_latest(self) -> str:
        """The board part with the version the script was written against."""
        return f"{self.board_part}:{self.board_part_version}"
