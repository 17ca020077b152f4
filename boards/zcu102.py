"""AMD Zynq UltraScale+ MPSoC ZCU102 evaluation kit (XCZU9EG: no URAM, so VMEM is in block RAM)."""

from fenn.soc import SocConfig

from .board import Board, Resources

BOARD = Board(
    name="zcu102",
    title="AMD ZCU102",
    part="xczu9eg-ffvb1156-2-e",
    board_part="xilinx.com:zcu102:part0",
    board_part_version="3.4",
    board_connections="",
    board_files="shipped with Vivado",
    resources=Resources(lut=274_080, ff=548_160, bram36=912, uram=0, dsp=2_520),
    soc=SocConfig(),
    ddr_bytes=4 << 30,
    pynq_image="PYNQ ZCU102 image (built from the PYNQ sdbuild flow)",
)
