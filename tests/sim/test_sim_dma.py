"""The DMA engine: round trips, timing of completion and status, and its faults."""

import numpy as np
import pytest

from fenn.asm import assemble_text
from fenn.errors import MachineFault
from fenn.sim import Machine
from fenn.soc import SocConfig

SOC = SocConfig(imem_bytes=4096, dmem_bytes=4096, vmem_bytes=65536, ddr_bytes=65536,
                dma_ports=1, dma_read_latency=4)


def start(channel, src, dst, count):
    """Assembly that starts one transfer (``channel`` is mm2s or s2mm)."""
    return f"""
        li t0, {src}
        csrw {channel}_src, t0
        li t0, {dst}
        csrw {channel}_dst, t0
        li t0, {count}
        csrw {channel}_count, t0
        csrwi {channel}_control, 1
    """


def wait(channel):
    return f"""
    wait_{channel}:
        csrr t1, {channel}_status
        andi t1, t1, 2
        beqz t1, wait_{channel}
    """


def machine_with(source, ddr=None, vmem=None, soc=SOC):
    m = Machine(soc)
    m.load(assemble_text(source).words, ddr=ddr, vmem=vmem)
    return m


def start_cycle(m):
    """Issue cycle of the last CONTROL write: straight-line code, one cycle per word."""
    return max(i for i, w in enumerate(m.imem[:64]) if (w >> 20) in (0xBC3, 0xBD3))


def test_round_trip_ddr_vmem_ddr():
    rng = np.random.default_rng(0)
    ddr = rng.integers(0, 256, 4096, dtype=np.uint8)
    m = machine_with(start("mm2s", 1024, 128, 640) + wait("mm2s")
                     + start("s2mm", 128, 8192, 640) + wait("s2mm") + "ecall", ddr=ddr)
    status = m.run()
    assert np.array_equal(m.vmem[128:768], ddr[1024:1664])
    assert np.array_equal(m.ddr[8192:8832], ddr[1024:1664])
    assert not m.vmem[:128].any() and not m.vmem[768:].any()
    assert status.stats["dma_bytes"] == {"mm2s": 640, "s2mm": 640, "total": 1280}
    assert m.csr("mm2s_status") == 0x82 and m.csr("s2mm_status") == 0x82


def test_status_sequence_and_completion_cycle():
    # start issues in cycle t = 6 (li, csrw x2 = 4 + li + csrw... counted below);
    # COUNT 64 at 16 bytes/cycle = 4 beats, latency 4: done at the end of t + 8
    source = """
        li t0, 64
        csrw mm2s_count, t0        # cycle 1
        csrwi mm2s_control, 1      # cycle 2 = t
    """ + "\n".join(f"csrr x{10 + i}, mm2s_status" for i in range(11)) + "\n ecall"
    m = machine_with(source)
    status = m.run()
    # reads issue in cycles 3..13; start while r <= t + 4 = 6, transferring while r <= 10
    expected = [4] * 4 + [8] * 4 + [0x82] * 3
    assert list(m.x[10:21]) == expected
    assert status.cycles == 15                 # ecall at 14, DMA long done


def test_ecall_waits_for_the_dma():
    m = machine_with(start("mm2s", 0, 0, 6400) + "ecall")
    status = m.run()
    t = start_cycle(m)                      # li 6400 is lui + addi: t = 7
    assert t == 7
    assert status.cycles == t + 4 + 400 + 1
    assert status.stats["stalls"]["dma_wait"] == (t + 4 + 400) - (t + 1)
    assert m.csr("mm2s_status") == 0x82


def test_destination_changes_only_at_completion():
    ddr = np.full(64, 7, np.uint8)
    source = start("mm2s", 0, 0, 64) + """
        vloadv v1, x0, 0           # issues right after the start: old VMEM
    """ + wait("mm2s") + """
        vloadv v2, x0, 0
        nop
        ecall
    """
    m = machine_with(source, ddr=ddr)
    m.run()
    assert (m.v[1] == 0).all() and (m.v[2] == 0x0707).all()


def test_zero_count_completes_at_once():
    m = machine_with(start("s2mm", 0, 0, 0) + "csrr a0, s2mm_status\n ecall")
    status = m.run()
    assert m.x[10] == 0x82
    assert status.stats["dma_bytes"]["total"] == 0


def test_both_channels_run_concurrently():
    ddr = np.arange(256, dtype=np.uint8)
    vmem = np.arange(256, dtype=np.uint8)[::-1].copy()
    m = machine_with(start("mm2s", 0, 1024, 256) + start("s2mm", 0, 4096, 256)
                     + "csrr a0, mm2s_status\n csrr a1, s2mm_status\n ecall", ddr=ddr, vmem=vmem)
    status = m.run()
    assert m.x[10] in (4, 8) and m.x[11] in (4, 8)         # both busy at once
    assert np.array_equal(m.vmem[1024:1280], ddr) and np.array_equal(m.ddr[4096:4352], vmem)
    # s2mm starts last and takes 4 + 16 cycles; the ecall, 3 cycles later, waits for it
    assert status.cycles == start_cycle(m) + 20 + 1


def test_more_ports_move_more_bytes_per_cycle():
    soc4 = SocConfig(imem_bytes=4096, dmem_bytes=4096, vmem_bytes=65536, ddr_bytes=65536,
                     dma_ports=4, dma_read_latency=4)
    m = machine_with(start("mm2s", 0, 0, 6400) + "ecall", soc=soc4)
    assert m.run().cycles == start_cycle(m) + 4 + 100 + 1


@pytest.mark.parametrize("src, dst, count, cause", [
    (32, 0, 64, "not all multiples of 64"),
    (0, 32, 64, "not all multiples of 64"),
    (0, 0, 100, "not all multiples of 64"),
    (65536 - 64, 0, 128, "leaves the DDR window"),
    (0, 65536 - 64, 128, "leaves VMEM"),
])
def test_bad_transfers_fault(src, dst, count, cause):
    m = machine_with(start("mm2s", src, dst, count) + "ecall")
    with pytest.raises(MachineFault, match=cause) as info:
        m.run()
    assert "mm2s_control" in info.value.text or "0xbc3" in info.value.text.lower()
    assert m.csr("mm2s_status") == 2           # nothing started
    assert m.pc == 4 * start_cycle(m)


def test_start_while_busy_faults():
    m = machine_with(start("s2mm", 0, 0, 640) + "csrwi s2mm_control, 1\n ecall")
    with pytest.raises(MachineFault, match="S2MM started while its previous transfer is running"):
        m.run()
    assert m.csr("s2mm_status") in (4, 8)


def test_status_is_read_only():
    m = machine_with("csrw mm2s_status, x0\n ecall")
    with pytest.raises(MachineFault, match="read-only CSR"):
        m.run()


def test_a_new_run_after_an_abandoned_one_finds_the_channel_idle():
    from fenn.errors import MachineFault
    m = machine_with(start("mm2s", 0, 0, 6400) + "loop: j loop")
    with pytest.raises(MachineFault, match="budget"):
        m.run(max_steps=20)
    assert m.csr("mm2s_status") in (4, 8)
    m.write("imem", 0, assemble_text(start("mm2s", 0, 64, 64) + "ecall").words)
    status = m.run()                     # would fault 'busy' if the old transfer were running
    assert status.reason == "ecall" and m.csr("mm2s_status") == 0x82


def test_dma_ddr_addresses_are_offsets_inside_the_window():
    ddr = np.random.default_rng(5).integers(0, 256, SOC.ddr_bytes, dtype=np.uint8)
    m = Machine(SOC)
    m.set_ddr_window(8192, 4096)
    m.load(assemble_text(start("mm2s", 128, 0, 256) + wait("mm2s") + start("s2mm", 0, 1024, 256) + "ecall").words)
    m.ddr[:] = ddr
    m.run()
    assert m.vmem[:256].tolist() == ddr[8192 + 128:8192 + 384].tolist()
    expected = ddr.copy()
    expected[8192 + 1024:8192 + 1280] = ddr[8192 + 128:8192 + 384]
    assert np.array_equal(m.ddr, expected)          # nothing outside the window moved


@pytest.mark.parametrize("channel, src, dst, count", [
    ("mm2s", 4096 - 64, 0, 128),       # DDR source runs past the window's end
    ("s2mm", 0, 4096, 64),             # DDR destination starts at the window's end
    ("mm2s", 0xFFFFFFC0, 0, 128),      # an offset that wraps 32 bits
])
def test_a_transfer_leaving_the_window_faults_with_its_own_code(channel, src, dst, count):
    from fenn.faults import Fault
    m = Machine(SOC)
    m.set_ddr_window(8192, 4096)          # the modelled DDR goes on far beyond it
    m.load(assemble_text(start(channel, src, dst, count) + "ecall").words)
    before = m.ddr.copy()
    with pytest.raises(MachineFault, match="leaves the DDR window") as info:
        m.run()
    assert info.value.code == Fault.DMA_WINDOW
    assert "4096 bytes (DDR_SIZE) at 0x2000 (DDR_BASE)" in info.value.hint
    assert m.csr(f"{channel}_status") == 2 and np.array_equal(m.ddr, before)


def test_the_window_survives_a_core_reset_and_load_clears_only_the_window():
    m = Machine(SOC)
    assert m.ddr_window == (0, SOC.ddr_bytes)       # after power-up: all of the modelled DDR
    m.ddr[:] = 7
    m.set_ddr_window(4096, 8192)
    m.load(assemble_text("ecall").words, ddr=np.ones(64, np.uint8))
    m.reset()
    assert m.ddr_window == (4096, 8192)
    assert m.ddr[4096:4160].tolist() == [1] * 64 and not m.ddr[4160:4096 + 8192].any()
    assert (m.ddr[:4096] == 7).all() and (m.ddr[4096 + 8192:] == 7).all()


@pytest.mark.parametrize("base, size, why", [(32, 64, "multiples of 64"), (0, 100, "multiples of 64"),
                                             (SOC.ddr_bytes - 64, 128, "does not fit")])
def test_a_bad_window_is_refused(base, size, why):
    with pytest.raises(ValueError, match=why):
        Machine(SOC).set_ddr_window(base, size)


def test_sim_device_ddr_space_is_the_window():
    from fenn.sim import SimDevice
    device = SimDevice(SOC)
    device.set_ddr_window(4096, 1024)
    device.write("ddr", 64, np.arange(8, dtype=np.uint8))
    assert device.machine.ddr[4096 + 64:4096 + 72].tolist() == list(range(8))
    assert device.read("ddr", 64, 8).tolist() == list(range(8))
    with pytest.raises(ValueError, match="outside the DDR window"):
        device.read("ddr", 1024 - 4, 8)
