"""AMD Kria KV260 Vision AI Starter Kit: the K26 SOM (XCK26, URAM for VMEM) on the KV260 carrier."""

from fenn.soc import SocConfig

from .board import Board, Resources

BOARD = Board(
    name="kv260",
    title="AMD Kria KV260",
    part="xck26-sfvc784-2LV-c",
    board_part="xilinx.com:kv260_som:part0",
    board_part_version="1.4",
    board_connections="som240_1_connector xilinx.com:kv260_carrier:som240_1_connector:1.3",
    board_files="Vivado's board store (Tools > Vivado Store > Boards: Kria KV260)",
    resources=Resources(lut=117_120, ff=234_240, bram36=144, uram=64, dsp=1_248),
    soc=SocConfig(),
    ddr_bytes=4 << 30,
    pynq_image="Ubuntu 22.04 for Kria + Kria-PYNQ",
)
