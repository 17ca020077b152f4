"""SimDevice (the Device protocol), Program loading, memory access and tracing."""

import numpy as np
import pytest

from fenn.asm import assemble_text
from fenn.device import Device, open_device
from fenn.program import Program
from fenn.sim import Machine, SimDevice
from sim_helpers import SMALL

ACCUMULATE = """
    lw   t0, 0(x0)          # input
    lw   t1, 4(x0)          # running total
    add  t1, t1, t0
    sw   t1, 4(x0)
    vloadv v1, x0, 0
    nop
    vadd v1, v1, v1
    vstore v1, x0, 64
    ecall
"""


def program():
    words = assemble_text(ACCUMULATE).words
    return Program(text=words, soc=SMALL,
                   images={"dmem": (4, np.array([100], np.uint32).view(np.uint8)),
                           "vmem": (0, np.arange(32, dtype=np.int16).view(np.uint8)),
                           "llm": (0, np.full((32, 4), 3, np.int16))})


def test_device_protocol_and_back_to_back_runs():
    dev = open_device("sim")
    assert isinstance(dev, Device) and dev.name == "sim"
    dev.load(program())
    assert np.array_equal(dev.read("llm", 0, 8).view(np.int16), [3, 3, 3, 3])
    total = 100
    for value in (5, 7, 11):
        dev.write("dmem", 0, np.array([value], np.uint32))
        status = dev.run()
        total += value
        assert status.reason == "ecall" and status.pc == 8 * 4
        assert dev.read("dmem", 4, 4).view(np.uint32)[0] == total
    assert np.array_equal(dev.read("vmem", 64, 64).view(np.int16), 2 * np.arange(32))
    assert status.cycles == status.instructions + 1 + 1   # one load-use stall (lw t1 -> add)
    dev.load(program())                                   # load again resets the images
    assert dev.read("dmem", 4, 4).view(np.uint32)[0] == 100


def test_device_errors_name_the_problem():
    dev = SimDevice()
    with pytest.raises(RuntimeError, match="load"):
        dev.run()
    dev.load(program())
    with pytest.raises(ValueError, match="outside dmem"):
        dev.write("dmem", SMALL.dmem_bytes - 2, np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="unknown memory 'sram'"):
        dev.read("sram", 0, 4)


def test_program_for_another_soc_is_refused():
    m = Machine()
    with pytest.raises(ValueError, match="different SocConfig"):
        m.load_program(program())


def test_trace_matches_run_and_names_register_writes():
    m = Machine(SMALL)
    m.load_program(program())
    m.write("dmem", 0, np.array([5], np.uint32))
    records = list(m.trace())
    traced = (m.x.copy(), m.v.copy(), m.last_status)
    m.load_program(program())
    m.write("dmem", 0, np.array([5], np.uint32))
    status = m.run()
    assert np.array_equal(traced[0], m.x) and np.array_equal(traced[1], m.v)
    assert traced[2].cycles == status.cycles and traced[2].stats == status.stats
    assert [r.pc for r in records] == list(range(0, 32, 4))
    assert records[0].text == "lw x5, 0(x0)" and records[0].x_writes == ((5, 5),)
    assert records[2].x_writes == ((6, 105),)
    assert records[3].x_writes == () and records[3].v_writes == ()     # sw
    reg, lanes = records[6].v_writes[0]
    assert reg == 1 and np.array_equal(lanes, 2 * np.arange(32))
    # issue cycles: lw, lw (stall), add, sw, vloadv, nop, vadd, vstore
    assert [r.cycle for r in records] == [0, 1, 3, 4, 5, 6, 7, 8]


def test_imem_write_redecodes():
    m = Machine(SMALL)
    m.load(assemble_text("addi x1, x0, 1\n ecall").words)
    m.write("imem", 0, assemble_text("addi x1, x0, 2").words)
    m.run()
    assert m.x[1] == 2


def test_trace_and_run_agree_on_a_loop_with_dma_counters_and_rng():
    source = """
        csrw mcountinhibit, x0
        li   t0, 64
        csrw mm2s_count, t0
        csrwi mm2s_control, 1
        li   a0, 5
    loop:
        vloadv v1, x0, 0
        vmul_s_rs 3, v2, v1, v1
        vadd_s v3, v2, v1
        vtge a1, v3, v1
        vsel v3, a1, v2
        vstore v3, x0, 128
        csrr a2, mcycle
        csrr a3, mm2s_status
        addi a0, a0, -1
        bnez a0, loop
        ecall
    """
    words = assemble_text(source).words
    rng = np.random.default_rng(5)
    ddr = rng.integers(0, 256, 64, dtype=np.uint8)
    vmem = rng.integers(-300, 300, 32, dtype=np.int16)
    a, b = Machine(SMALL), Machine(SMALL)
    for m in (a, b):
        m.load(words, vmem=vmem, ddr=ddr)
    status = a.run()
    records = list(b.trace())
    assert len(records) == status.instructions
    assert b.last_status.cycles == status.cycles and b.last_status.stats == status.stats
    for name in ("x", "v", "s0", "s1", "vmem"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.x[13] == 0x82 and a.x[12] > 0
