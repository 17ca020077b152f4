"""AMD Zynq UltraScale+ MPSoC ZCU104 evaluation kit (XCZU7EV, URAM for VMEM)."""

from fenn.soc import SocConfig

from .board import Board, Resources

BOARD = Board(
    name="zcu104",
    title="AMD ZCU104",
    part="xczu7ev-ffvc1156-2-e",
    board_part="xilinx.com:zcu104:part0",
    board_part_version="1.1",
    board_connections="",
    board_files="shipped with Vivado",
    resources=Resources(lut=230_400, ff=460_800, bram36=312, uram=96, dsp=1_728),
    soc=SocConfig(),
    ddr_bytes=2 << 30,
    pynq_image="PYNQ ZCU104 SD image",
)
