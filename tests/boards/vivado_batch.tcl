# tclsh vivado_batch.tcl SCRIPT: what `vivado -mode batch -source SCRIPT` does, with the
# stand-in Vivado commands: run SCRIPT, and on an error print it as Vivado does and exit 1.
source [file join [file dirname [info script]] vivado_standin.tcl]
if {[catch {source [lindex $argv 0]} message]} {
    puts "ERROR: $message"
    puts stderr "ERROR: $message"
    exit 1
}
exit 0
