"""load() leaves DDR zero (but for the images) however it was written since the last load:
by the S2MM channel (in a run that halts, faults or is stopped), by host writes, or
through the live ``ddr`` view. (A machine skips re-zeroing a DDR nothing wrote.)"""

import numpy as np
import pytest

from fenn.asm import assemble_text
from fenn.errors import MachineFault
from fenn.sim import Machine, SimDevice
from test_sim_dma import SOC, start, wait

VMEM = np.arange(1, 257, dtype=np.uint16).astype(np.uint8)      # nothing zero in it
COPY_OUT = start("s2mm", 0, 4096, 256) + wait("s2mm")


def loaded(source: str) -> Machine:
    m = Machine(SOC)
    m.load(assemble_text("ecall").words)          # a first load, so the next one may skip
    m.load(assemble_text(source).words, vmem=VMEM)
    return m


def reload_is_zero(m: Machine) -> bool:
    m.load(assemble_text("ecall").words)
    return not m.read("ddr", 0, SOC.ddr_bytes).any()   # (not the live view: it counts as a write)


def test_after_an_s2mm_transfer():
    m = loaded(COPY_OUT + "ecall")
    m.run()
    assert m.read("ddr", 4096, 256).tolist() == VMEM.tolist()
    assert reload_is_zero(m)


def test_after_a_run_that_faults_or_stops_after_writing():
    m = loaded(COPY_OUT + ".word 0")
    with pytest.raises(MachineFault, match="illegal"):
        m.run()
    assert reload_is_zero(m)
    m = loaded(COPY_OUT + "loop: j loop")
    with pytest.raises(MachineFault, match="budget"):
        m.run(max_steps=500)
    assert reload_is_zero(m)


def test_after_runs_without_transfers_and_host_writes():
    m = loaded("ecall")
    m.run()
    m.write("ddr", 128, np.full(8, 3, np.uint8))
    assert reload_is_zero(m)
    m.ddr[1000] = 1                                # the live view
    assert reload_is_zero(m)
    m.load(assemble_text("ecall").words, ddr=np.full(64, 9, np.uint8))
    assert (m.read("ddr", 0, 64) == 9).all()
    assert reload_is_zero(m)                       # the image of the last load too


def test_sim_device_loads_clear_ddr():
    device = SimDevice(SOC)
    for _ in range(2):
        m = device.machine
        device.write("ddr", 256, np.full(16, 4, np.uint8))
        m.load(assemble_text("ecall").words)
        assert not device.read("ddr", 0, SOC.ddr_bytes).any()


def test_a_moved_window_clears_its_part_of_what_was_written():
    m = Machine(SOC)
    m.set_ddr_window(4096, 8192)
    m.write("ddr", 100, np.full(8, 7, np.uint8))      # physical addresses: outside the window
    m.write("ddr", 5000, np.full(8, 9, np.uint8))     # and inside it
    m.load(assemble_text("ecall").words)
    ddr = m.read("ddr", 0, SOC.ddr_bytes)
    assert (ddr[100:108] == 7).all() and not ddr[:100].any() and not ddr[108:].any()
    m.set_ddr_window(0, SOC.ddr_bytes)
    assert reload_is_zero(m)
