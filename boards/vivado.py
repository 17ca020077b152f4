"""The Vivado batch script of ``fenn build``: project, block design, implementation, bitstream.

:func:`build_tcl` writes one Tcl script from a :class:`~fenn.boards.board.Board` and the
SoC top's interfaces (:mod:`fenn.boards.top`). What it builds:

- a project for the board's part and board part (the newest version of the board files
  installed), with the SoC's Verilog and its block-design wrapper;
- a block design ``fenn``: the Zynq UltraScale+ PS with the board preset, ``pl_clk0`` at
  the SoC's clock and a ``proc_sys_reset`` from ``pl_resetn0``; an AXI SmartConnect from
  ``M_AXI_HPM0_FPD`` to every core's AXI4-Lite host port; every DMA master on an
  ``S_AXI_HPn_FPD`` port (128 bits; a SmartConnect per port when masters outnumber the
  four ports); the ``halted`` lines on ``pl_ps_irq0`` (and ``pl_ps_irq1`` past eight);
  addresses assigned (:func:`host_windows`, :func:`dma_routes`), then validated;
- synthesis and implementation; reports; a stop with a clear message when WNS < 0;
  the bitstream, the ``.hwh`` beside it (PYNQ reads both) and an ``.xsa``.
"""

from __future__ import annotations

import dataclasses

from fenn.errors import FennError

from .board import HP_PORT_BITS, Board
from .top import BD_MODULE, Interface, TopInterfaces

__all__ = ["VIVADO_VERSION", "HPM0_WINDOWS", "HostWindow", "DmaRoute", "host_windows", "dma_routes",
           "build_tcl", "OUTPUTS", "TooManyCores"]

#: the Vivado release the script is written and checked against
VIVADO_VERSION = "2023.2"
#: M_AXI_HPM0_FPD's address windows: (base, size), the 32-bit one first
HPM0_WINDOWS = ((0xA000_0000, 0x1000_0000), (0x4_0000_0000, 0x1_0000_0000))
#: what the script leaves in the output directory, by role
OUTPUTS = {"bitstream": "fenn_overlay.bit", "hwh": "fenn_overlay.hwh", "xsa": "fenn_overlay.xsa",
           "utilization": "reports/utilization.rpt", "timing": "reports/timing_summary.rpt",
           "power": "reports/power.rpt", "project": "vivado"}
#: interrupt lines: pl_ps_irq0 and pl_ps_irq1, eight each
IRQ_LINES = 8
PS, RESETTER, HOST_IC, SOC_CELL = "ps", "rst_pl", "host_ic", "fenn"


class TooManyCores(FennError):
    """More cores than the PS has interrupt lines or host address space for.

    Fix: use fewer cores per SoC (the message gives the most this board takes).
    """


@dataclasses.dataclass(frozen=True)
class HostWindow:
    interface: Interface
    base: int
    size: int


@dataclasses.dataclass(frozen=True)
class DmaRoute:
    hp_port: int                       #: index into Board.hp_ports
    masters: tuple[Interface, ...]     #: the DMA masters sharing it (a SmartConnect if more than one)


def host_windows(top: TopInterfaces) -> list[HostWindow]:
    """Each host port's address on HPM0_FPD: its offset (``fenn.hw.ports``) from 0xA000_0000 when
    they all fit that 256 MiB window, else from 0x4_0000_0000 (4 GiB)."""
    need = max(top.host_offsets) + top.host_window_bytes
    for base, size in HPM0_WINDOWS:
        if need <= size:
            return [HostWindow(i, base + offset, top.host_window_bytes) for i, offset in zip(top.host, top.host_offsets)]
    raise TooManyCores(f"{len(top.host)} host windows of {top.host_window_bytes >> 20} MiB do not fit "
                       f"M_AXI_HPM0_FPD's {HPM0_WINDOWS[-1][1] >> 20} MiB")


def dma_routes(top: TopInterfaces, board: Board) -> list[DmaRoute]:
    """DMA masters dealt round-robin onto the HP ports (master i on port i mod 4)."""
    ports = len(board.hp_ports)
    routes = [DmaRoute(p, tuple(m for i, m in enumerate(top.dma) if i % ports == p)) for p in range(ports)]
    return [r for r in routes if r.masters]


def _hp_gp(port: int) -> int:
    """S_AXI_HPn_FPD is the PS's S_AXI_GP(n+2) in the IP's CONFIG names."""
    return port + 2


def _hex(value: int) -> str:
    return f"0x{value:X}"


def build_tcl(board: Board, top: TopInterfaces, *, verilog_files: list[str], fenn_version: str,
              jobs: int = 4) -> str:
    """The whole Vivado batch script (paths relative to the script's directory)."""
    soc = top.soc
    if len(top.interrupts) > 2 * IRQ_LINES:
        raise TooManyCores(f"{len(top.interrupts)} cores need more than the PS's {2 * IRQ_LINES} PL interrupt lines")
    windows, routes = host_windows(top), dma_routes(top, board)
    clock_mhz = soc.clock_hz / 1e6
    used_hp = {r.hp_port for r in routes}
    irq_groups = [top.interrupts[i:i + IRQ_LINES] for i in range(0, len(top.interrupts), IRQ_LINES)]
    t = []
    add = t.append

    add(f"# Vivado {VIVADO_VERSION} batch script written by fenn {fenn_version} (fenn build --board {board.name})")
    add(f"# SocConfig id 0x{soc.soc_id:08x}: {soc.cores} core(s), {clock_mhz:g} MHz; run it with")
    add("#   vivado -mode batch -source fenn_build.tcl")
    add("# from this directory. It stops with an error when timing is not met (WNS < 0).")
    add("set here [file dirname [file normalize [info script]]]")
    add("proc fenn_step {n what} { puts \"fenn: step $n/7: $what\" }")
    add(f"if {{![string match {VIVADO_VERSION}* [version -short]]}} {{")
    add(f"    puts \"fenn: WARNING: written for Vivado {VIVADO_VERSION}, running [version -short]\"")
    add("}")

    add("fenn_step 1 \"project for the " + board.title + "\"")
    add(f"create_project -force fenn_{board.name} $here/{OUTPUTS['project']} -part {board.part}")
    add(f"set board_part [lindex [get_board_parts -quiet -latest_file_version {{{board.board_part}:*}}] 0]")
    add("if {$board_part eq \"\"} {")
    add(f"    error \"fenn: Vivado has no board files for {board.board_part}; install them: {board.board_files}\"")
    add("}")
    add("set_property board_part $board_part [current_project]")
    if board.board_connections:
        add(f"set_property board_connections {{{board.board_connections}}} [current_project]")
    add("add_files -norecurse [list " + " ".join(f"$here/{f}" for f in verilog_files) + "]")
    add("update_compile_order -fileset sources_1")

    add("fenn_step 2 \"block design\"")
    add("create_bd_design fenn")
    add(f"create_bd_cell -type ip -vlnv xilinx.com:ip:zynq_ultra_ps_e {PS}")
    add(f"# the PS starts from the {board.ps_preset}")
    add(f"apply_bd_automation -rule xilinx.com:bd_rule:zynq_ultra_ps_e -config {{apply_board_preset \"1\"}} "
        f"[get_bd_cells {PS}]")
    config = {"PSU__USE__M_AXI_GP0": 1, "PSU__MAXIGP0__DATA_WIDTH": 32,
              "PSU__USE__M_AXI_GP1": 0, "PSU__USE__M_AXI_GP2": 0,
              "PSU__USE__S_AXI_GP0": 0, "PSU__USE__S_AXI_GP1": 0, "PSU__USE__S_AXI_GP6": 0}
    for port in range(len(board.hp_ports)):
        config[f"PSU__USE__S_AXI_GP{_hp_gp(port)}"] = int(port in used_hp)
        if port in used_hp:
            config[f"PSU__SAXIGP{_hp_gp(port)}__DATA_WIDTH"] = HP_PORT_BITS
    for n in range(2):
        config[f"PSU__USE__IRQ{n}"] = int(n < len(irq_groups))
    config.update({"PSU__FPGA_PL0_ENABLE": 1, "PSU__FPGA_PL1_ENABLE": 0, "PSU__FPGA_PL2_ENABLE": 0,
                   "PSU__FPGA_PL3_ENABLE": 0, "PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ": f"{clock_mhz:g}",
                   "PSU__NUM_FABRIC_RESETS": 1})
    add("set_property -dict [list \\")
    for key, value in config.items():
        add(f"    CONFIG.{key} {{{value}}} \\")
    add(f"] [get_bd_cells {PS}]")
    add(f"puts \"fenn: pl_clk0 is [get_property CONFIG.PSU__CRL_APB__PL0_REF_CTRL__ACT_FREQMHZ "
        f"[get_bd_cells {PS}]] MHz (asked {clock_mhz:g})\"")

    add(f"create_bd_cell -type module -reference {BD_MODULE} {SOC_CELL}")
    add(f"create_bd_cell -type ip -vlnv xilinx.com:ip:proc_sys_reset {RESETTER}")
    add(f"create_bd_cell -type ip -vlnv xilinx.com:ip:smartconnect {HOST_IC}")
    add(f"set_property -dict [list CONFIG.NUM_SI {{1}} CONFIG.NUM_MI {{{len(top.host)}}}] [get_bd_cells {HOST_IC}]")
    shared = [r for r in routes if len(r.masters) > 1]
    for r in shared:
        add(f"create_bd_cell -type ip -vlnv xilinx.com:ip:smartconnect hp_ic{r.hp_port}")
        add(f"set_property -dict [list CONFIG.NUM_SI {{{len(r.masters)}}} CONFIG.NUM_MI {{1}}] "
            f"[get_bd_cells hp_ic{r.hp_port}]")
    for n, group in enumerate(irq_groups):
        if len(group) > 1:
            add(f"create_bd_cell -type ip -vlnv xilinx.com:ip:xlconcat irq_concat{n}")
            add(f"set_property -dict [list CONFIG.NUM_PORTS {{{len(group)}}}] [get_bd_cells irq_concat{n}]")

    # clock and reset
    clocked = [f"{SOC_CELL}/{top.clock}", f"{PS}/maxihpm0_fpd_aclk", f"{RESETTER}/slowest_sync_clk", f"{HOST_IC}/aclk"]
    clocked += [f"{PS}/saxihp{r.hp_port}_fpd_aclk" for r in routes] + [f"hp_ic{r.hp_port}/aclk" for r in shared]
    add(f"connect_bd_net [get_bd_pins {PS}/pl_clk0] " + " ".join(f"[get_bd_pins {p}]" for p in clocked))
    add(f"connect_bd_net [get_bd_pins {PS}/pl_resetn0] [get_bd_pins {RESETTER}/ext_reset_in]")
    add(f"connect_bd_net [get_bd_pins {RESETTER}/peripheral_reset] [get_bd_pins {SOC_CELL}/{top.reset}]")
    add(f"connect_bd_net [get_bd_pins {RESETTER}/peripheral_aresetn] [get_bd_pins {HOST_IC}/aresetn]"
        + "".join(f" [get_bd_pins hp_ic{r.hp_port}/aresetn]" for r in shared))

    # host: HPM0_FPD -> SmartConnect -> every core's AXI4-Lite port
    add(f"connect_bd_intf_net [get_bd_intf_pins {PS}/M_AXI_HPM0_FPD] [get_bd_intf_pins {HOST_IC}/S00_AXI]")
    for n, w in enumerate(windows):
        add(f"connect_bd_intf_net [get_bd_intf_pins {HOST_IC}/M{n:02d}_AXI] "
            f"[get_bd_intf_pins {SOC_CELL}/{w.interface.name}]")
    # DMA: every master on an HP port
    for r in routes:
        hp = board.hp_ports[r.hp_port]
        if len(r.masters) == 1:
            add(f"connect_bd_intf_net [get_bd_intf_pins {SOC_CELL}/{r.masters[0].name}] [get_bd_intf_pins {PS}/{hp}]")
        else:
            for n, m in enumerate(r.masters):
                add(f"connect_bd_intf_net [get_bd_intf_pins {SOC_CELL}/{m.name}] "
                    f"[get_bd_intf_pins hp_ic{r.hp_port}/S{n:02d}_AXI]")
            add(f"connect_bd_intf_net [get_bd_intf_pins hp_ic{r.hp_port}/M00_AXI] [get_bd_intf_pins {PS}/{hp}]")
    # interrupts
    for n, group in enumerate(irq_groups):
        if len(group) == 1:
            add(f"connect_bd_net [get_bd_pins {SOC_CELL}/{group[0].name}] [get_bd_pins {PS}/pl_ps_irq{n}]")
        else:
            for k, line in enumerate(group):
                add(f"connect_bd_net [get_bd_pins {SOC_CELL}/{line.name}] [get_bd_pins irq_concat{n}/In{k}]")
            add(f"connect_bd_net [get_bd_pins irq_concat{n}/dout] [get_bd_pins {PS}/pl_ps_irq{n}]")

    # addresses: host windows on HPM0_FPD, each DMA master reaches the DDR window through its HP port
    for w in windows:
        add(f"assign_bd_address -target_address_space [get_bd_addr_spaces {PS}/Data] -offset {_hex(w.base)} "
            f"-range {_hex(w.size)} [get_bd_addr_segs {SOC_CELL}/{w.interface.name}/reg0]")
    ddr_base, ddr_size = board.ddr_window
    for r in routes:
        n = r.hp_port
        for m in r.masters:
            add(f"assign_bd_address -target_address_space [get_bd_addr_spaces {SOC_CELL}/{m.name}] "
                f"-offset {_hex(ddr_base)} -range {_hex(ddr_size)} "
                f"[get_bd_addr_segs {PS}/SAXIGP{_hp_gp(n)}/HP{n}_DDR_LOW]")
    add("validate_bd_design")
    add("save_bd_design")

    add("fenn_step 3 \"HDL wrapper and output products\"")
    add("set bd_file [get_files fenn.bd]")
    add("add_files -norecurse [make_wrapper -files $bd_file -top]")
    add("set_property top fenn_wrapper [current_fileset]")
    add("update_compile_order -fileset sources_1")
    add("generate_target all $bd_file")

    add("fenn_step 4 \"synthesis\"")
    add(f"launch_runs synth_1 -jobs {jobs}")
    add("wait_on_run synth_1")
    add("if {[get_property PROGRESS [get_runs synth_1]] ne \"100%\"} {")
    add("    error \"fenn: synthesis failed; see [get_property DIRECTORY [get_runs synth_1]]/runme.log\"")
    add("}")
    add("fenn_step 5 \"implementation\"")
    add(f"launch_runs impl_1 -jobs {jobs}")
    add("wait_on_run impl_1")
    add("if {[get_property PROGRESS [get_runs impl_1]] ne \"100%\"} {")
    add("    error \"fenn: implementation failed; see [get_property DIRECTORY [get_runs impl_1]]/runme.log\"")
    add("}")

    add("fenn_step 6 \"reports and timing\"")
    add("open_run impl_1")
    add("file mkdir $here/reports")
    add(f"report_utilization -file $here/{OUTPUTS['utilization']}")
    add(f"report_timing_summary -max_paths 10 -file $here/{OUTPUTS['timing']}")
    add(f"report_power -file $here/{OUTPUTS['power']}")
    add("set wns [get_property SLACK [get_timing_paths -delay_type max -max_paths 1]]")
    add("if {$wns eq \"\" || $wns < 0} {")
    add(f"    error \"fenn: timing not met at {clock_mhz:g} MHz: WNS = $wns ns (see "
        f"$here/{OUTPUTS['timing']}); no bitstream written. Build for a slower clock: "
        f"fenn build --board {board.name} --clock-mhz <lower>\"")
    add("}")
    add(f"puts \"fenn: timing met at {clock_mhz:g} MHz, WNS = $wns ns\"")

    add("fenn_step 7 \"bitstream, hardware handoff\"")
    add(f"write_bitstream -force $here/{OUTPUTS['bitstream']}")
    add("set hwh [lindex [glob -nocomplain $here/vivado/*.gen/sources_1/bd/fenn/hw_handoff/fenn.hwh "
        "$here/vivado/*.srcs/sources_1/bd/fenn/hw_handoff/fenn.hwh] 0]")
    add("if {$hwh eq \"\"} { error \"fenn: the block design's fenn.hwh was not generated\" }")
    add(f"file copy -force $hwh $here/{OUTPUTS['hwh']}")
    add(f"write_hw_platform -fixed -include_bit -force -file $here/{OUTPUTS['xsa']}")
    add(f"puts \"fenn: done: $here/{OUTPUTS['bitstream']}, {OUTPUTS['hwh']}, fenn_overlay.json\"")
    return "\n".join(t) + "\n"
