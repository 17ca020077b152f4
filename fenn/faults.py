"""Fault codes: one table for the simulator, the RTL's error code and host drivers.

A fault halts the core in the issue cycle of the faulting instruction (docs/timing.md).
The simulator and the RTL report the same code for the same program (the RTL parity
tests compare them), and the host reads it from the STATUS register's ``fault`` field.
The simulator's kernel keeps these numbers as Numba constants; a test holds it to this
table.
"""

from __future__ import annotations

import enum

__all__ = ["Fault", "CAUSES", "FAULT_BITS"]


class Fault(enum.IntEnum):
    """Why the core stopped with a fault (0: it did not)."""

    NONE = 0
    ILLEGAL = 1
    FETCH = 2
    JUMP = 3
    LOAD_ALIGN = 4
    LOAD_RANGE = 5
    STORE_ALIGN = 6
    STORE_RANGE = 7
    VMEM_ALIGN = 8
    VMEM_RANGE = 9
    LLM = 10
    HAZARD = 11
    CSR = 12
    CSR_READONLY = 13
    DMA_ALIGN = 14
    DMA_RANGE = 15
    DMA_BUSY = 16
    DMA_WINDOW = 17


#: a short cause for each code, for reports that have no operands to show
CAUSES: dict[Fault, str] = {
    Fault.ILLEGAL: "illegal instruction",
    Fault.FETCH: "instruction fetch outside IMEM or at a misaligned pc",
    Fault.JUMP: "branch or jump target outside IMEM or not a multiple of 4",
    Fault.LOAD_ALIGN: "misaligned load from DMEM",
    Fault.LOAD_RANGE: "load from outside DMEM",
    Fault.STORE_ALIGN: "misaligned store to DMEM",
    Fault.STORE_RANGE: "store to outside DMEM",
    Fault.VMEM_ALIGN: "VMEM address not a multiple of 64",
    Fault.VMEM_RANGE: "VMEM address outside VMEM",
    Fault.LLM: "an enabled lane's lane-local address is odd or outside its memory",
    Fault.HAZARD: "vload-use hazard (strict mode: FeNN has no interlock on vector loads)",
    Fault.CSR: "access to a CSR that does not exist",
    Fault.CSR_READONLY: "write to a read-only CSR",
    Fault.DMA_ALIGN: "DMA start with SRC, DST or COUNT not a multiple of 64",
    Fault.DMA_RANGE: "DMA transfer leaves VMEM",
    Fault.DMA_BUSY: "DMA start while the channel's previous transfer is running",
    Fault.DMA_WINDOW: "DMA transfer leaves the DDR window the host set (DDR_BASE, DDR_SIZE)",
}

#: width of the fault field in hardware
FAULT_BITS = max(Fault).bit_length()
