# Stand-in definitions of the Vivado commands fenn_build.tcl calls, for a plain tclsh.
#
# They record the project and the block design the script builds and check what Vivado's
# IP integrator would refuse or silently get wrong: unknown parts, board parts and CONFIG
# names; pins and interfaces that do not exist; interfaces, clock, reset and interrupt pins
# left unconnected; master/slave, protocol and data-width mismatches; clock frequencies
# that disagree; address windows that are unreachable, misaligned, outside the master's
# range or overlapping; DMA masters that do not end on an HP port of the PS. The module
# reference is elaborated from the Verilog the script adds: its X_INTERFACE attributes
# give its interfaces, and every port its instance of the RTL top connects must exist there
# with the same width and direction.
#
# Nothing here knows fenn: the facts about the Vivado IP (port names, CONFIG names, address
# windows) and the board files (board part -> part) are written down independently.
#
# Environment: FENN_STANDIN_WNS (worst setup slack the "implementation" reaches, ns),
# FENN_STANDIN_REPORTS (directory with utilization.rpt, power.rpt and the timing report
# FENN_STANDIN_TIMING, default timing_summary.rpt, copied where the script asks).

namespace eval vs {
    variable project {}
    variable files {}
    variable cells {}
    variable nets {}
    variable intf_nets {}
    variable addresses {}
    variable validated 0
    variable top {}
    variable runs {}
    variable opened {}

    # board files: board part -> {part, board_connections the part needs}
    variable board_files {
        xilinx.com:kv260_som:part0:1.3 {xck26-sfvc784-2LV-c kv260_carrier}
        xilinx.com:kv260_som:part0:1.4 {xck26-sfvc784-2LV-c kv260_carrier}
        xilinx.com:zcu104:part0:1.1 {xczu7ev-ffvc1156-2-e {}}
        xilinx.com:zcu102:part0:3.4 {xczu9eg-ffvb1156-2-e {}}
        avnet.com:ultra96v2:part0:1.2 {xczu3eg-sbva484-1-i {}}
    }
    variable parts {xck26-sfvc784-2LV-c xczu7ev-ffvc1156-2-e xczu9eg-ffvb1156-2-e xczu3eg-sbva484-1-i}

    # zynq_ultra_ps_e: masters and slaves by CONFIG.PSU__USE__* name
    #   interface, its clock pin, width CONFIG, mode, address space or segment prefix
    variable ps_masters {
        M_AXI_GP0 {M_AXI_HPM0_FPD maxihpm0_fpd_aclk PSU__MAXIGP0__DATA_WIDTH}
        M_AXI_GP1 {M_AXI_HPM1_FPD maxihpm1_fpd_aclk PSU__MAXIGP1__DATA_WIDTH}
        M_AXI_GP2 {M_AXI_HPM0_LPD maxihpm0_lpd_aclk PSU__MAXIGP2__DATA_WIDTH}
    }
    variable ps_slaves {
        S_AXI_GP0 {S_AXI_HPC0_FPD saxihpc0_fpd_aclk PSU__SAXIGP0__DATA_WIDTH SAXIGP0 HPC0}
        S_AXI_GP1 {S_AXI_HPC1_FPD saxihpc1_fpd_aclk PSU__SAXIGP1__DATA_WIDTH SAXIGP1 HPC1}
        S_AXI_GP2 {S_AXI_HP0_FPD saxihp0_fpd_aclk PSU__SAXIGP2__DATA_WIDTH SAXIGP2 HP0}
        S_AXI_GP3 {S_AXI_HP1_FPD saxihp1_fpd_aclk PSU__SAXIGP3__DATA_WIDTH SAXIGP3 HP1}
        S_AXI_GP4 {S_AXI_HP2_FPD saxihp2_fpd_aclk PSU__SAXIGP4__DATA_WIDTH SAXIGP4 HP2}
        S_AXI_GP5 {S_AXI_HP3_FPD saxihp3_fpd_aclk PSU__SAXIGP5__DATA_WIDTH SAXIGP5 HP3}
        S_AXI_GP6 {S_AXI_LPD saxi_lpd_aclk PSU__SAXIGP6__DATA_WIDTH SAXIGP6 LPD}
    }
    # M_AXI_HPM0_FPD's windows in the PS address space Data: {base size}
    variable hpm0_windows {{0xA0000000 0x10000000} {0x400000000 0x100000000}}
    # a state of the PS after create_bd_cell (as Vivado's defaults: three masters on)
    variable ps_defaults {
        PSU__USE__M_AXI_GP0 1 PSU__USE__M_AXI_GP1 1 PSU__USE__M_AXI_GP2 1
        PSU__MAXIGP0__DATA_WIDTH 128 PSU__MAXIGP1__DATA_WIDTH 128 PSU__MAXIGP2__DATA_WIDTH 32
        PSU__USE__S_AXI_GP0 0 PSU__USE__S_AXI_GP1 0 PSU__USE__S_AXI_GP2 0 PSU__USE__S_AXI_GP3 0
        PSU__USE__S_AXI_GP4 0 PSU__USE__S_AXI_GP5 0 PSU__USE__S_AXI_GP6 0
        PSU__SAXIGP0__DATA_WIDTH 128 PSU__SAXIGP1__DATA_WIDTH 128 PSU__SAXIGP2__DATA_WIDTH 128
        PSU__SAXIGP3__DATA_WIDTH 128 PSU__SAXIGP4__DATA_WIDTH 128 PSU__SAXIGP5__DATA_WIDTH 128
        PSU__SAXIGP6__DATA_WIDTH 128
        PSU__USE__IRQ0 1 PSU__USE__IRQ1 0
        PSU__FPGA_PL0_ENABLE 1 PSU__FPGA_PL1_ENABLE 0 PSU__FPGA_PL2_ENABLE 0 PSU__FPGA_PL3_ENABLE 0
        PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ 100 PSU__CRL_APB__PL1_REF_CTRL__FREQMHZ 100
        PSU__CRL_APB__PL2_REF_CTRL__FREQMHZ 100 PSU__CRL_APB__PL3_REF_CTRL__FREQMHZ 100
        PSU__NUM_FABRIC_RESETS 1 PSU__PRESET_APPLIED 0
    }
    variable ip_vlnvs {
        xilinx.com:ip:zynq_ultra_ps_e ps xilinx.com:ip:smartconnect smartconnect
        xilinx.com:ip:proc_sys_reset proc_sys_reset xilinx.com:ip:xlconcat xlconcat
    }
    variable ip_config_names {
        smartconnect {NUM_SI NUM_MI NUM_CLKS}
        proc_sys_reset {C_EXT_RST_WIDTH C_AUX_RST_WIDTH}
        xlconcat {NUM_PORTS}
    }
}

proc vs::fail {message} {
    puts stderr "standin: ERROR: $message"
    exit 3
}

proc vs::note {message} { puts "standin: $message" }

proc vs::strip {name} { string trimleft $name / }

proc vs::cell_kind {cell} { dict get $vs::cells $cell kind }

proc vs::config {cell key} { dict get $vs::cells $cell config $key }

# ---------------------------------------------------------------- the model of each cell

# interfaces of a cell: name -> {mode protocol width clock space segs}
proc vs::interfaces {cell} {
    set kind [vs::cell_kind $cell]
    set out [dict create]
    switch $kind {
        ps {
            foreach {use spec} $vs::ps_masters {
                lassign $spec name clock width
                if {[vs::config $cell PSU__USE__$use]} {
                    dict set out $name [dict create mode master protocol AXI4 width [vs::config $cell $width] \
                        addr_width 40 clock $clock space Data segs {}]
                }
            }
            foreach {use spec} $vs::ps_slaves {
                lassign $spec name clock width gp prefix
                if {[vs::config $cell PSU__USE__$use]} {
                    dict set out $name [dict create mode slave protocol AXI4 width [vs::config $cell $width] \
                        addr_width 49 clock $clock space {} \
                        segs [list $gp/${prefix}_DDR_LOW $gp/${prefix}_DDR_HIGH $gp/${prefix}_LPS_OCM $gp/${prefix}_QSPI]]
                }
            }
        }
        smartconnect {
            for {set i 0} {$i < [vs::config $cell NUM_SI]} {incr i} {
                dict set out [format S%02d_AXI $i] [dict create mode slave protocol any width any addr_width any \
                    clock aclk space {} segs {}]
            }
            for {set i 0} {$i < [vs::config $cell NUM_MI]} {incr i} {
                dict set out [format M%02d_AXI $i] [dict create mode master protocol any width any addr_width any \
                    clock aclk space {} segs {}]
            }
        }
        module { set out [dict get $vs::cells $cell interfaces] }
    }
    return $out
}

# pins of a cell: name -> {dir type width polarity freq}
proc vs::pins {cell} {
    set kind [vs::cell_kind $cell]
    set out [dict create]
    switch $kind {
        ps {
            for {set n 0} {$n < 4} {incr n} {
                if {[vs::config $cell PSU__FPGA_PL${n}_ENABLE]} {
                    dict set out pl_clk$n [dict create dir out type clk width 1 polarity {} \
                        freq [expr {round([vs::config $cell PSU__CRL_APB__PL${n}_REF_CTRL__FREQMHZ] * 1e6)}]]
                }
            }
            for {set n 0} {$n < [vs::config $cell PSU__NUM_FABRIC_RESETS]} {incr n} {
                dict set out pl_resetn$n [dict create dir out type rst width 1 polarity ACTIVE_LOW freq {}]
            }
            for {set n 0} {$n < 2} {incr n} {
                if {[vs::config $cell PSU__USE__IRQ$n]} {
                    dict set out pl_ps_irq$n [dict create dir in type intr width 1-8 polarity {} freq {}]
                }
            }
            dict for {name intf} [vs::interfaces $cell] {
                dict set out [dict get $intf clock] [dict create dir in type clk width 1 polarity {} freq {}]
            }
        }
        smartconnect {
            dict set out aclk [dict create dir in type clk width 1 polarity {} freq {}]
            dict set out aresetn [dict create dir in type rst width 1 polarity ACTIVE_LOW freq {}]
        }
        proc_sys_reset {
            dict set out slowest_sync_clk [dict create dir in type clk width 1 polarity {} freq {}]
            dict set out ext_reset_in [dict create dir in type rst width 1 polarity ACTIVE_LOW freq {}]
            dict set out aux_reset_in [dict create dir in type optional width 1 polarity {} freq {}]
            dict set out mb_debug_sys_rst [dict create dir in type optional width 1 polarity {} freq {}]
            dict set out dcm_locked [dict create dir in type optional width 1 polarity {} freq {}]
            dict set out peripheral_reset [dict create dir out type rst width 1 polarity ACTIVE_HIGH freq {}]
            dict set out peripheral_aresetn [dict create dir out type rst width 1 polarity ACTIVE_LOW freq {}]
            dict set out interconnect_aresetn [dict create dir out type rst width 1 polarity ACTIVE_LOW freq {}]
            dict set out bus_struct_reset [dict create dir out type rst width 1 polarity ACTIVE_HIGH freq {}]
            dict set out mb_reset [dict create dir out type rst width 1 polarity ACTIVE_HIGH freq {}]
        }
        xlconcat {
            set n [vs::config $cell NUM_PORTS]
            for {set i 0} {$i < $n} {incr i} {
                dict set out In$i [dict create dir in type intr width 1 polarity {} freq {}]
            }
            dict set out dout [dict create dir out type intr width $n polarity {} freq {}]
        }
        module { set out [dict get $vs::cells $cell pins] }
    }
    return $out
}

# ---------------------------------------------------------------- Verilog of a module reference

proc vs::module_text {name} {
    foreach f $vs::files {
        set fh [open $f]
        set text [read $fh]
        close $fh
        set at [string first "module $name" $text]
        while {$at >= 0} {
            set after [string index $text [expr {$at + [string length "module $name"]}]]
            if {$after in {" " "(" "\n"} && ($at == 0 || [string index $text [expr {$at - 1}]] in {"\n" " "})} {
                set end [string first endmodule $text $at]
                return [string range $text $at $end]
            }
            set at [string first "module $name" $text [expr {$at + 1}]]
        }
    }
    vs::fail "create_bd_cell -reference $name: no module $name in the project's files ($vs::files)"
}

# ports of a module: name -> {dir width attributes}
proc vs::module_ports {name} {
    set text [vs::module_text $name]
    set ports [dict create]
    set attrs {}
    # ANSI header (the wrapper): attributes then "input wire [N:0] name"
    set header_end [string first ");" $text]
    set header [string range $text 0 $header_end]
    foreach line [split $header "\n"] {
        set line [string trim $line]
        if {[regexp {^\(\*\s*(\w+)\s*=\s*"([^"]*)"\s*\*\)$} $line -> key value]} {
            lappend attrs $key $value
        } elseif {[regexp {^(input|output)\s+(?:wire\s+)?(?:\[(\d+):0\]\s*)?(\w+),?$} $line -> dir msb port]} {
            dict set ports $port [dict create dir [string map {input in output out} $dir] \
                width [expr {$msb eq "" ? 1 : $msb + 1}] attributes $attrs]
            set attrs {}
        }
    }
    # non-ANSI (yosys' write_verilog): "input [N:0] name;" in the body
    foreach {all dir msb port} [regexp -all -inline -line {^\s*(input|output)\s+(?:\[(\d+):0\]\s*)?\\?([\w$]+)\s*;} $text] {
        dict set ports $port [dict create dir [string map {input in output out} $dir] \
            width [expr {$msb eq "" ? 1 : $msb + 1}] attributes {}]
    }
    return $ports
}

proc vs::parse_parameters {text} {
    set out [dict create]
    foreach item [split $text ,] {
        set item [string trim $item]
        set key [lindex $item 0]
        dict set out $key [string trim [string range $item [string length $key] end]]
    }
    return $out
}

# elaborate a module reference: its interfaces and pins from the X_INTERFACE attributes,
# and its instances of other modules checked against their port lists
proc vs::elaborate_module {cell reference} {
    set ports [vs::module_ports $reference]
    set interfaces [dict create]
    set pins [dict create]
    set signals [dict create]
    dict for {port info} $ports {
        set attributes [dict get $info attributes]
        set xinfo [expr {[dict exists $attributes X_INTERFACE_INFO] ? [dict get $attributes X_INTERFACE_INFO] : ""}]
        set params [vs::parse_parameters [expr {[dict exists $attributes X_INTERFACE_PARAMETER] ? \
            [dict get $attributes X_INTERFACE_PARAMETER] : ""}]]
        lassign $xinfo vlnv intf signal
        switch -glob -- $vlnv {
            xilinx.com:interface:aximm:1.0 {
                if {![dict exists $interfaces $intf]} {
                    dict set interfaces $intf [dict create mode {} protocol {} width {} addr_width {} clock {} \
                        space {} segs {}]
                }
                if {[dict exists $params XIL_INTERFACENAME]} {
                    if {[dict get $params XIL_INTERFACENAME] ne $intf} {
                        vs::fail "$reference/$port: XIL_INTERFACENAME [dict get $params XIL_INTERFACENAME] on interface $intf"
                    }
                    dict set interfaces $intf mode [string tolower [dict get $params MODE]]
                    dict set interfaces $intf protocol [dict get $params PROTOCOL]
                    dict set interfaces $intf width [dict get $params DATA_WIDTH]
                    dict set interfaces $intf addr_width [dict get $params ADDR_WIDTH]
                    dict set interfaces $intf freq [dict get $params FREQ_HZ]
                }
                dict set signals $intf $signal [list [dict get $info dir] [dict get $info width]]
            }
            xilinx.com:signal:clock:1.0 {
                dict set pins $port [dict create dir in type clk width 1 polarity {} freq [dict get $params FREQ_HZ] \
                    busif [split [dict get $params ASSOCIATED_BUSIF] :] reset [dict get $params ASSOCIATED_RESET]]
            }
            xilinx.com:signal:reset:1.0 {
                dict set pins $port [dict create dir in type rst width 1 polarity [dict get $params POLARITY] freq {}]
            }
            xilinx.com:signal:interrupt:1.0 {
                if {[dict get $info dir] ne "out" || [dict get $params SENSITIVITY] ne "LEVEL_HIGH"} {
                    vs::fail "$reference/$port: an interrupt must be a LEVEL_HIGH output"
                }
                dict set pins $port [dict create dir out type intr width [dict get $info width] polarity {} freq {}]
            }
            "" { vs::fail "$reference/$port: no X_INTERFACE_INFO; the block design would not know what it is" }
            default { vs::fail "$reference/$port: unknown interface $vlnv" }
        }
    }
    # every AXI interface complete, directions as its mode says, widths as its parameters say
    set lite {AWADDR AWVALID AWREADY WDATA WSTRB WVALID WREADY BRESP BVALID BREADY ARADDR ARVALID ARREADY RDATA RRESP RVALID RREADY}
    set full [concat $lite {AWLEN AWSIZE AWBURST WLAST RLAST}]
    set from_slave {AWREADY WREADY BRESP BVALID BID ARREADY RDATA RRESP RVALID RLAST RID}
    dict for {intf info} $interfaces {
        if {[dict get $info mode] eq ""} { vs::fail "$reference: interface $intf has no XIL_INTERFACENAME parameters" }
        set needed [expr {[dict get $info protocol] eq "AXI4LITE" ? $lite : $full}]
        foreach s $needed {
            if {![dict exists $signals $intf $s]} { vs::fail "$reference: interface $intf lacks $s" }
        }
        dict for {s dw} [dict get $signals $intf] {
            lassign $dw dir width
            set out_of_master [expr {$s ni $from_slave}]
            set expect [expr {([dict get $info mode] eq "master") == $out_of_master ? "out" : "in"}]
            if {$dir ne $expect} { vs::fail "$reference: $intf $s is an ${dir}put of a [dict get $info mode]" }
        }
        foreach {s key} {WDATA width RDATA width AWADDR addr_width ARADDR addr_width} {
            if {[lindex [dict get $signals $intf $s] 1] != [dict get $info $key]} {
                vs::fail "$reference: $intf $s is [lindex [dict get $signals $intf $s] 1] bits, its parameters say [dict get $info $key]"
            }
        }
        if {[lindex [dict get $signals $intf WSTRB] 1] * 8 != [dict get $info width]} {
            vs::fail "$reference: $intf WSTRB does not cover WDATA"
        }
        if {[dict get $info mode] eq "slave"} {
            dict set interfaces $intf segs [list $intf/reg0]
        } else {
            dict set interfaces $intf space $intf
        }
    }
    # the clock: associated with every bus interface and the reset
    set clocks [dict filter $pins script {k v} {expr {[dict get $v type] eq "clk"}}]
    if {[dict size $clocks] != 1} { vs::fail "$reference: [dict size $clocks] clock pins, expected 1" }
    set clock [lindex [dict keys $clocks] 0]
    foreach intf [dict keys $interfaces] {
        if {$intf ni [dict get $clocks $clock busif]} { vs::fail "$reference: $intf is not in $clock's ASSOCIATED_BUSIF" }
        dict set interfaces $intf clock $clock
        if {[dict get $interfaces $intf freq] != [dict get $clocks $clock freq]} {
            vs::fail "$reference: $intf FREQ_HZ differs from $clock's"
        }
    }
    # instances of other project modules: each named connection is a port of that module
    set text [vs::module_text $reference]
    foreach {all inner instance body} [regexp -all -inline {\n\s*(\w+)\s+(\w+)\s*\(([^;]*)\);} $text] {
        if {$inner in {module input output wire}} { continue }
        set inner_ports [vs::module_ports $inner]
        set connected {}
        foreach {m formal actual} [regexp -all -inline {\.(\w+)\((\w+)\)} $body] {
            if {![dict exists $inner_ports $formal]} { vs::fail "$reference: $inner has no port $formal" }
            if {![dict exists $ports $actual]} { vs::fail "$reference: $actual is not a port of $reference" }
            foreach key {dir width} {
                if {[dict get $inner_ports $formal $key] ne [dict get $ports $actual $key]} {
                    vs::fail "$reference: $inner.$formal and $actual differ in $key"
                }
            }
            lappend connected $formal
        }
        foreach formal [dict keys $inner_ports] {
            if {$formal ni $connected} { vs::fail "$reference: port $formal of $inner is not connected" }
        }
        vs::note "module $reference instantiates $inner: [llength $connected] ports, all matching"
    }
    dict set vs::cells $cell interfaces $interfaces
    dict set vs::cells $cell pins $pins
}

# ---------------------------------------------------------------- Vivado commands

proc version {args} { return 2023.2 }

proc create_project {args} {
    set force [expr {"-force" in $args}]
    set args [lsearch -all -inline -not -exact $args -force]
    set i [lsearch $args -part]
    if {$i < 0} { vs::fail "create_project without -part" }
    set part [lindex $args [expr {$i + 1}]]
    set positional [lreplace $args $i [expr {$i + 1}]]
    lassign $positional name dir
    if {$part ni $vs::parts} { vs::fail "create_project: unknown part $part" }
    file mkdir $dir
    set vs::project [dict create name $name dir $dir part $part board_part {} board_connections {} top {}]
    vs::note "project $name part $part"
    return $name
}

proc current_project {args} { return [dict get $vs::project name] }
proc current_fileset {args} { return sources_1 }

proc get_board_parts {args} {
    set args [lsearch -all -inline -not -regexp $args {^-(quiet|latest_file_version)$}]
    set pattern [lindex $args end]
    set found [lsort -dictionary [lsearch -all -inline -glob [dict keys $vs::board_files] $pattern]]
    return [lrange $found end end]
}

proc set_property {args} {
    if {[lindex $args 0] eq "-dict"} {
        set pairs [lindex $args 1]
        set objects [lrange $args 2 end]
    } else {
        set pairs [lrange $args 0 1]
        set objects [lrange $args 2 end]
    }
    foreach object [join $objects] {
        foreach {key value} $pairs { vs::set_one $object $key $value }
    }
}

proc vs::set_one {object key value} {
    set object [vs::strip $object]
    if {$object eq [dict get $vs::project name]} {
        switch $key {
            board_part {
                if {![dict exists $vs::board_files $value]} { vs::fail "board_part $value is not an installed board" }
                lassign [dict get $vs::board_files $value] part carrier
                if {$part ne [dict get $vs::project part]} {
                    vs::fail "board_part $value is for $part, the project is for [dict get $vs::project part]"
                }
                dict set vs::project board_part $value
            }
            board_connections {
                lassign [dict get $vs::board_files [dict get $vs::project board_part]] part carrier
                if {$carrier eq "" || ![string match "*:${carrier}:*" $value]} {
                    vs::fail "board_connections $value do not name this SOM's carrier ($carrier)"
                }
                dict set vs::project board_connections $value
            }
            default { vs::fail "set_property $key on the project: not something the stand-in knows" }
        }
        return
    }
    if {$object eq "sources_1"} {
        if {$key ne "top"} { vs::fail "set_property $key on a fileset" }
        dict set vs::project top $value
        return
    }
    if {![dict exists $vs::cells $object]} { vs::fail "set_property $key on $object: no such cell" }
    if {![string match CONFIG.* $key]} { vs::fail "set_property $key on cell $object: not a CONFIG property" }
    set name [string range $key 7 end]
    set kind [vs::cell_kind $object]
    if {$kind eq "ps"} {
        if {![dict exists $vs::ps_defaults $name]} { vs::fail "zynq_ultra_ps_e has no CONFIG.$name" }
        if {[string match *DATA_WIDTH $name] && $value ni {32 64 128}} { vs::fail "CONFIG.$name $value: not 32, 64 or 128" }
        if {[string match *FREQMHZ $name] && ($value <= 0 || $value > 600)} { vs::fail "CONFIG.$name $value MHz" }
    } elseif {$kind eq "module"} {
        vs::fail "set_property CONFIG on the module reference $object"
    } elseif {$name ni [dict get $vs::ip_config_names $kind]} {
        vs::fail "$kind has no CONFIG.$name"
    }
    if {$vs::validated} { set vs::validated 0 }
    dict set vs::cells $object config $name $value
}

proc get_property {key object} {
    set object [vs::strip $object]
    if {[dict exists $vs::runs $object]} {
        switch $key {
            PROGRESS { return [dict get $vs::runs $object progress] }
            DIRECTORY { return [dict get $vs::project dir]/runs/$object }
            default { vs::fail "get_property $key of run $object" }
        }
    }
    if {$object eq "timing_path"} {
        if {$key ne "SLACK"} { vs::fail "get_property $key of a timing path" }
        return $::env(FENN_STANDIN_WNS)
    }
    if {[dict exists $vs::cells $object] && [string match CONFIG.* $key]} {
        set name [string range $key 7 end]
        if {$name eq "PSU__CRL_APB__PL0_REF_CTRL__ACT_FREQMHZ"} { return [vs::config $object PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ] }
        return [vs::config $object $name]
    }
    vs::fail "get_property $key of $object"
}

proc add_files {args} {
    foreach f [join [lsearch -all -inline -not -glob $args -*]] {
        if {![file isfile $f]} { vs::fail "add_files: $f does not exist" }
        lappend vs::files $f
    }
}

proc update_compile_order {args} {}

proc create_bd_design {name} {
    dict set vs::project bd $name
    return $name
}

proc create_bd_cell {args} {
    set type [lindex $args [expr {[lsearch $args -type] + 1}]]
    set name [lindex $args end]
    if {[dict exists $vs::cells $name]} { vs::fail "create_bd_cell: $name exists" }
    switch $type {
        ip {
            set vlnv [lindex $args [expr {[lsearch $args -vlnv] + 1}]]
            if {![dict exists $vs::ip_vlnvs $vlnv]} { vs::fail "create_bd_cell: unknown IP $vlnv" }
            set kind [dict get $vs::ip_vlnvs $vlnv]
            set config [dict create]
            switch $kind {
                ps { set config $vs::ps_defaults }
                smartconnect { set config [dict create NUM_SI 1 NUM_MI 2 NUM_CLKS 1] }
                xlconcat { set config [dict create NUM_PORTS 2] }
                proc_sys_reset { set config [dict create C_EXT_RST_WIDTH 4 C_AUX_RST_WIDTH 4] }
            }
            dict set vs::cells $name [dict create kind $kind config $config]
        }
        module {
            set reference [lindex $args [expr {[lsearch $args -reference] + 1}]]
            dict set vs::cells $name [dict create kind module config {} reference $reference]
            vs::elaborate_module $name $reference
        }
        default { vs::fail "create_bd_cell -type $type" }
    }
    return /$name
}

proc apply_bd_automation {args} {
    set rule [lindex $args [expr {[lsearch $args -rule] + 1}]]
    set cell [vs::strip [lindex $args end]]
    if {$rule ne "xilinx.com:bd_rule:zynq_ultra_ps_e" || [vs::cell_kind $cell] ne "ps"} {
        vs::fail "apply_bd_automation $rule on $cell"
    }
    if {[dict get $vs::project board_part] eq ""} { vs::fail "apply_board_preset without a board part" }
    lassign [dict get $vs::board_files [dict get $vs::project board_part]] part carrier
    if {$carrier ne "" && [dict get $vs::project board_connections] eq ""} {
        vs::fail "the board preset of a SOM needs board_connections naming its carrier"
    }
    dict set vs::cells $cell config PSU__PRESET_APPLIED 1
}

proc get_bd_cells {args} {
    set out {}
    foreach name $args {
        set name [vs::strip $name]
        if {![dict exists $vs::cells $name]} { vs::fail "get_bd_cells $name: no such cell" }
        lappend out /$name
    }
    return $out
}

proc vs::split_pin {path} {
    set path [vs::strip $path]
    set i [string first / $path]
    return [list [string range $path 0 [expr {$i - 1}]] [string range $path [expr {$i + 1}] end]]
}

proc get_bd_pins {path} {
    lassign [vs::split_pin $path] cell pin
    if {![dict exists $vs::cells $cell] || ![dict exists [vs::pins $cell] $pin]} {
        vs::fail "get_bd_pins $path: no such pin (cell $cell has: [expr {[dict exists $vs::cells $cell] ? [dict keys [vs::pins $cell]] : {no such cell}}])"
    }
    return /$cell/$pin
}

proc get_bd_intf_pins {path} {
    lassign [vs::split_pin $path] cell intf
    if {![dict exists $vs::cells $cell] || ![dict exists [vs::interfaces $cell] $intf]} {
        vs::fail "get_bd_intf_pins $path: no such interface (cell $cell has: [expr {[dict exists $vs::cells $cell] ? [dict keys [vs::interfaces $cell]] : {no such cell}}])"
    }
    return /$cell/$intf
}

proc get_bd_addr_spaces {path} {
    lassign [vs::split_pin $path] cell space
    dict for {name intf} [vs::interfaces $cell] {
        if {[dict get $intf mode] eq "master" && [dict get $intf space] eq $space} { return /$cell/$space }
    }
    vs::fail "get_bd_addr_spaces $path: no such address space"
}

proc get_bd_addr_segs {path} {
    lassign [vs::split_pin $path] cell seg
    dict for {name intf} [vs::interfaces $cell] {
        if {$seg in [dict get $intf segs]} { return /$cell/$seg }
    }
    vs::fail "get_bd_addr_segs $path: no such segment"
}

proc connect_bd_net {args} {
    set pins {}
    set drivers 0
    foreach p $args {
        lassign [vs::split_pin $p] cell pin
        set info [dict get [vs::pins $cell] $pin]
        if {[dict get $info dir] eq "out"} { incr drivers }
        foreach net $vs::nets { if {"$cell/$pin" in $net} { vs::fail "connect_bd_net: $cell/$pin is already connected" } }
        lappend pins $cell/$pin
    }
    if {$drivers != 1} { vs::fail "connect_bd_net $pins: $drivers drivers" }
    lappend vs::nets $pins
    set vs::validated 0
}

proc connect_bd_intf_net {a b} {
    set ends {}
    foreach p [list $a $b] {
        lassign [vs::split_pin $p] cell intf
        foreach pair $vs::intf_nets { if {"$cell/$intf" in $pair} { vs::fail "connect_bd_intf_net: $cell/$intf is already connected" } }
        lappend ends [list $cell $intf [dict get [vs::interfaces $cell] $intf]]
    }
    lassign $ends x y
    set modes [lsort [list [dict get [lindex $x 2] mode] [dict get [lindex $y 2] mode]]]
    if {$modes ne {master slave}} { vs::fail "connect_bd_intf_net $a $b: $modes, not a master and a slave" }
    set px [dict get [lindex $x 2] protocol]; set py [dict get [lindex $y 2] protocol]
    if {"any" ni [list $px $py] && $px ne $py} {
        vs::fail "connect_bd_intf_net $a $b: $px to $py needs a protocol converter (a SmartConnect)"
    }
    set wx [dict get [lindex $x 2] width]; set wy [dict get [lindex $y 2] width]
    if {"any" ni [list $wx $wy] && $wx != $wy} {
        vs::fail "connect_bd_intf_net $a $b: data widths $wx and $wy differ"
    }
    lappend vs::intf_nets [list [lindex $x 0]/[lindex $x 1] [lindex $y 0]/[lindex $y 1]]
    set vs::validated 0
}

proc assign_bd_address {args} {
    set opts [dict create -offset {} -range {} -target_address_space {}]
    set rest {}
    for {set i 0} {$i < [llength $args]} {incr i} {
        set a [lindex $args $i]
        if {[dict exists $opts $a]} { dict set opts $a [lindex $args [incr i]] } else { lappend rest $a }
    }
    set space [vs::strip [dict get $opts -target_address_space]]
    set seg [vs::strip [lindex $rest 0]]
    set offset [dict get $opts -offset]; set range [dict get $opts -range]
    if {$space eq "" || $seg eq "" || $offset eq "" || $range eq ""} {
        vs::fail "assign_bd_address $args: give -target_address_space, -offset, -range and the segment"
    }
    if {$range <= 0 || ($range & ($range - 1))} { vs::fail "assign_bd_address $seg: range $range is not a power of two" }
    if {$offset % $range} { vs::fail "assign_bd_address $seg: offset $offset is not aligned to its range $range" }
    lappend vs::addresses [list $space $seg [expr {$offset}] [expr {$range}]]
}

# the slave interfaces a master interface reaches through SmartConnects
proc vs::reach {cell intf} {
    set out {}
    foreach pair $vs::intf_nets {
        set i [lsearch $pair $cell/$intf]
        if {$i < 0} { continue }
        lassign [vs::split_pin [lindex $pair [expr {1 - $i}]]] other other_intf
        if {[vs::cell_kind $other] eq "smartconnect"} {
            dict for {name info} [vs::interfaces $other] {
                if {[dict get $info mode] eq "master"} { lappend out {*}[vs::reach $other $name] }
            }
        } else {
            lappend out $other/$other_intf
        }
    }
    return $out
}

# the pins on the net of a pin (empty if none)
proc vs::net_of {pin} {
    foreach net $vs::nets { if {$pin in $net} { return $net } }
    return {}
}

proc vs::driver {net} {
    foreach p $net {
        lassign [vs::split_pin $p] cell pin
        if {[dict get [vs::pins $cell] $pin dir] eq "out"} { return [list $p [dict get [vs::pins $cell] $pin]] }
    }
}

proc validate_bd_design {args} {
    set problems {}
    # interfaces connected
    dict for {cell info} $vs::cells {
        dict for {intf spec} [vs::interfaces $cell] {
            set found 0
            foreach pair $vs::intf_nets { if {"$cell/$intf" in $pair} { set found 1 } }
            if {!$found} { lappend problems "interface $cell/$intf is not connected" }
        }
    }
    # clock, reset and interrupt pins
    dict for {cell info} $vs::cells {
        dict for {pin spec} [vs::pins $cell] {
            if {[dict get $spec dir] ne "in" || [dict get $spec type] eq "optional"} { continue }
            set net [vs::net_of $cell/$pin]
            if {$net eq ""} { lappend problems "[dict get $spec type] pin $cell/$pin is not connected"; continue }
            lassign [vs::driver $net] source driver
            if {[dict get $driver type] ne [dict get $spec type]} {
                lappend problems "$cell/$pin ([dict get $spec type]) is driven by $source ([dict get $driver type])"
            }
            if {[dict get $spec type] eq "rst" && [dict get $spec polarity] ne [dict get $driver polarity]} {
                lappend problems "$cell/$pin is [dict get $spec polarity], its driver $source is [dict get $driver polarity]"
            }
            if {[dict get $spec type] eq "clk" && [dict get $spec freq] ne "" && [dict get $spec freq] != [dict get $driver freq]} {
                lappend problems "$cell/$pin expects FREQ_HZ [dict get $spec freq], $source runs at [dict get $driver freq]"
            }
            if {[dict get $spec width] eq "1-8" && [dict get $driver width] > 8} {
                lappend problems "$cell/$pin takes at most 8 interrupts, gets [dict get $driver width]"
            }
        }
    }
    # every output interrupt of a module reaches the PS
    dict for {cell info} $vs::cells {
        dict for {pin spec} [vs::pins $cell] {
            if {[dict get $spec type] ne "intr" || [dict get $spec dir] ne "out" || [vs::cell_kind $cell] ne "module"} { continue }
            set net [vs::net_of $cell/$pin]
            set sinks [lsearch -all -inline -not -exact $net $cell/$pin]
            set ok 0
            foreach s $sinks {
                lassign [vs::split_pin $s] c p
                if {[vs::cell_kind $c] eq "ps"} { set ok 1 }
                if {[vs::cell_kind $c] eq "xlconcat"} {
                    foreach t [vs::net_of $c/dout] { if {[vs::cell_kind [lindex [vs::split_pin $t] 0]] eq "ps"} { set ok 1 } }
                }
            }
            if {!$ok} { lappend problems "interrupt $cell/$pin does not reach the PS" }
        }
    }
    # addresses: every slave segment of a module mapped once from the PS's HPM0, reachable, in a window, no overlap
    set hpm0 {}
    dict for {cell info} $vs::cells { if {[vs::cell_kind $cell] eq "ps"} { set ps $cell } }
    dict for {cell info} $vs::cells {
        if {[vs::cell_kind $cell] ne "module"} { continue }
        dict for {intf spec} [vs::interfaces $cell] {
            if {[dict get $spec mode] eq "slave"} {
                set maps [lsearch -all -inline -index 1 $vs::addresses $cell/$intf/reg0]
                if {[llength $maps] != 1} { lappend problems "$cell/$intf/reg0 is mapped [llength $maps] times"; continue }
                lassign [lindex $maps 0] space seg offset range
                if {$space ne "$ps/Data"} { lappend problems "$seg is mapped in $space, not the PS's Data space"; continue }
                if {"$cell/$intf" ni [vs::reach $ps M_AXI_HPM0_FPD]} { lappend problems "$cell/$intf is not reachable from M_AXI_HPM0_FPD" }
                set inside 0
                foreach w $vs::hpm0_windows {
                    lassign $w base size
                    if {$offset >= $base && $offset + $range <= $base + $size} { set inside 1 }
                }
                if {!$inside} { lappend problems "$seg at [format 0x%X $offset] is outside M_AXI_HPM0_FPD's windows" }
                foreach other $hpm0 {
                    lassign $other o_seg o_offset o_range
                    if {$offset < $o_offset + $o_range && $o_offset < $offset + $range} {
                        lappend problems "$seg and $o_seg overlap"
                    }
                }
                lappend hpm0 [list $seg $offset $range]
            } else {
                set hp [lsearch -all -inline -glob [vs::reach $cell $intf] $ps/S_AXI_HP*_FPD]
                if {[llength $hp] != 1} { lappend problems "DMA master $cell/$intf reaches [llength $hp] HP ports"; continue }
                set port [lindex [vs::split_pin [lindex $hp 0]] 1]
                set n [string index $port 8]
                set maps [lsearch -all -inline -index 0 $vs::addresses $cell/$intf]
                if {[llength $maps] != 1} { lappend problems "DMA master $cell/$intf has [llength $maps] address maps"; continue }
                lassign [lindex $maps 0] space seg offset range
                if {![string match "$ps/SAXIGP*/HP${n}_DDR_LOW" $seg]} { lappend problems "$cell/$intf is mapped to $seg, not HP${n}_DDR_LOW" }
                if {$offset != 0 || $range > 0x80000000} { lappend problems "$cell/$intf: DDR_LOW is 2 GiB at 0, not $range at $offset" }
                if {$offset + $range > (1 << [dict get $spec addr_width])} { lappend problems "$cell/$intf cannot address $seg" }
                vs::note "dma $cell/$intf -> $ps/$port [format 0x%X $offset]+[format 0x%X $range]"
            }
        }
    }
    foreach h $hpm0 { vs::note "host [lindex $h 0] at [format 0x%X [lindex $h 1]]+[format 0x%X [lindex $h 2]]" }
    if {[llength $problems]} { vs::fail "validate_bd_design:\n  [join $problems "\n  "]" }
    set vs::validated 1
    vs::note "validated: [dict size $vs::cells] cells, [llength $vs::nets] nets, [llength $vs::intf_nets] interface nets"
}

proc save_bd_design {args} {}
proc regenerate_bd_layout {args} {}

proc get_files {pattern} {
    set bd [dict get $vs::project bd]
    if {$pattern ne "$bd.bd"} { vs::fail "get_files $pattern" }
    return [dict get $vs::project dir]/[dict get $vs::project name].srcs/sources_1/bd/$bd/$bd.bd
}

proc vs::gen_dir {} {
    return [dict get $vs::project dir]/[dict get $vs::project name].gen/sources_1/bd/[dict get $vs::project bd]
}

proc make_wrapper {args} {
    if {!$vs::validated} { vs::fail "make_wrapper before validate_bd_design" }
    set path [vs::gen_dir]/hdl/[dict get $vs::project bd]_wrapper.v
    file mkdir [file dirname $path]
    set fh [open $path w]; puts $fh "module [dict get $vs::project bd]_wrapper ();\nendmodule"; close $fh
    return $path
}

proc generate_target {args} {
    if {!$vs::validated} { vs::fail "generate_target before validate_bd_design" }
    set path [vs::gen_dir]/hw_handoff/[dict get $vs::project bd].hwh
    file mkdir [file dirname $path]
    set fh [open $path w]; puts $fh "<MODULES/>"; close $fh
}

proc launch_runs {run args} {
    if {!$vs::validated} { vs::fail "launch_runs before validate_bd_design" }
    if {[dict get $vs::project top] ne "[dict get $vs::project bd]_wrapper"} {
        vs::fail "launch_runs: the top is '[dict get $vs::project top]', not the block design's wrapper"
    }
    if {$run eq "impl_1" && (![dict exists $vs::runs synth_1])} { vs::fail "impl_1 before synth_1" }
    dict set vs::runs $run progress 100%
}

proc get_runs {run} {
    if {![dict exists $vs::runs $run]} { vs::fail "get_runs $run: not launched" }
    return $run
}

proc wait_on_run {run} { get_runs $run }

proc open_run {run} {
    if {$run ne "impl_1" || ![dict exists $vs::runs impl_1]} { vs::fail "open_run $run" }
    set vs::opened $run
}

proc vs::report {name args} {
    if {$vs::opened eq ""} { vs::fail "$name without an open implemented design" }
    set path [lindex $args [expr {[lsearch $args -file] + 1}]]
    set source [dict get {report_utilization utilization.rpt report_power power.rpt} $name]
    file copy -force $::env(FENN_STANDIN_REPORTS)/$source $path
}
proc report_utilization {args} { vs::report report_utilization {*}$args }
proc report_power {args} { vs::report report_power {*}$args }
proc report_timing_summary {args} {
    if {$vs::opened eq ""} { vs::fail "report_timing_summary without an open implemented design" }
    set timing [expr {[info exists ::env(FENN_STANDIN_TIMING)] ? $::env(FENN_STANDIN_TIMING) : "timing_summary.rpt"}]
    file copy -force $::env(FENN_STANDIN_REPORTS)/$timing [lindex $args [expr {[lsearch $args -file] + 1}]]
}

proc get_timing_paths {args} {
    if {$vs::opened eq ""} { vs::fail "get_timing_paths without an open design" }
    return timing_path
}

proc write_bitstream {args} {
    if {$vs::opened ne "impl_1"} { vs::fail "write_bitstream without the implemented design" }
    set fh [open [lindex $args end] w]; puts $fh "bitstream"; close $fh
}

proc write_hw_platform {args} {
    if {"-fixed" ni $args || "-include_bit" ni $args} { vs::fail "write_hw_platform: not a fixed platform with the bitstream" }
    set fh [open [lindex $args [expr {[lsearch $args -file] + 1}]] w]; puts $fh "xsa"; close $fh
}
