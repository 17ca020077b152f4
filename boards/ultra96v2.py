"""Avnet Ultra96-V2 (XCZU3EG, -1 speed grade, no URAM): a small device, so its default SoC
has half the VMEM (256 KiB, in block RAM) and a 150 MHz clock."""

from fenn.soc import SocConfig

from .board import Board, Resources

BOARD = Board(
    name="ultra96v2",
    title="Avnet Ultra96-V2",
    part="xczu3eg-sbva484-1-i",
    board_part="avnet.com:ultra96v2:part0",
    board_part_version="1.2",
    board_connections="",
    board_files="Avnet's board files: git clone https://github.com/Avnet/bdf into "
                "$XILINX_VIVADO/data/boards/board_files",
    resources=Resources(lut=70_560, ff=141_120, bram36=216, uram=0, dsp=360),
    soc=SocConfig(vmem_bytes=256 * 1024, clock_hz=150_000_000),
    ddr_bytes=2 << 30,
    pynq_image="PYNQ Ultra96-V2 SD image (Avnet)",
)
