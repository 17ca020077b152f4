"""The `rtl` backend behind the Device protocol agrees with the `sim` backend, run after run:
one live simulation keeps memories, registers, RNG state, CSRs, counters and the DMA
channels' registers and status bits from one run to the next, exactly as `sim` does."""

import gc
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

pytest.importorskip("cocotb_tools")
import fenn  # noqa: E402
import fenn.hw.session as session_module  # noqa: E402
from fenn.asm import assemble_text  # noqa: E402
from fenn.device import open_device  # noqa: E402
from fenn.errors import MachineFault  # noqa: E402
from fenn.hw.batch import icarus_available  # noqa: E402
from fenn.hw.parity import NETWORK_SOC, recurrent_network  # noqa: E402
from fenn.hw.session import RtlSimulationError  # noqa: E402
from fenn.isa import encode as e  # noqa: E402
from fenn.program import Program  # noqa: E402
from fenn.soc import SocConfig  # noqa: E402

pytestmark = [pytest.mark.rtl,
              pytest.mark.skipif(not icarus_available(), reason="Icarus Verilog is not installed (make tools)")]

SOC = SocConfig(imem_bytes=4096, dmem_bytes=2048, vmem_bytes=4096, llm_bytes_per_lane=256, ddr_bytes=64 * 1024)


def _program():
    # x1 counts runs in DMEM[0]; a vector accumulates in VMEM row 1; an RNG draw each run
    text = [e("lw", 1, 0, 0), e("addi", 1, 1, 1), e("sw", 1, 0, 0),
            e("vloadv", 2, 0, 64), e("vrng", 3), e("vadd", 2, 2, 3), e("vstore", 2, 0, 64),
            e("vadd", 4, 4, 3), e("ecall")]
    vmem = np.arange(64, dtype=np.int16)
    return Program(text=np.array(text, dtype=np.uint32), soc=SOC,
                   images={"vmem": (0, vmem.view(np.uint8)), "dmem": (0, np.array([5], np.uint32).view(np.uint8))})


def test_two_runs_with_a_host_write_between_match_sim():
    devices = [open_device("sim", soc=SOC), open_device("rtl", soc=SOC)]
    results = []
    for dev in devices:
        dev.load(_program())
        first = dev.run()
        dev.write("dmem", 0, np.array([100], dtype=np.uint32))
        second = dev.run()
        results.append((first.cycles, first.instructions, second.cycles,
                        dev.read("dmem", 0, 4).tobytes(), dev.read("vmem", 0, 256).tobytes()))
    assert results[0] == results[1]
    assert np.frombuffer(results[1][3], np.uint32)[0] == 101


#: each run records its number n, the counters, mcountinhibit and the MM2S channel's registers
#: and status at DMEM 64 + 64 n before it changes anything; run 1 starts the counters, run 2
#: starts a DMA transfer (the halt waits for it), run 4 stops minstret only
RECORDING = """
    lw   s0, 0(zero)
    addi s1, s0, 1
    sw   s1, 0(zero)
    slli s2, s0, 6
    addi s2, s2, 64
    csrr t0, mcycle
    sw   t0, 0(s2)
    csrr t0, mcycleh
    sw   t0, 4(s2)
    csrr t0, minstret
    sw   t0, 8(s2)
    csrr t0, mcountinhibit
    sw   t0, 12(s2)
    csrr t0, mm2s_status
    sw   t0, 16(s2)
    csrr t0, mm2s_src
    sw   t0, 20(s2)
    csrr t0, mm2s_dst
    sw   t0, 24(s2)
    csrr t0, mm2s_count
    sw   t0, 28(s2)
    csrr t0, s2mm_status
    sw   t0, 32(s2)
    sw   s0, 36(s2)
    li   t1, 1
    bne  s0, t1, no_counters
    csrwi mcountinhibit, 0
no_counters:
    li   t1, 2
    bne  s0, t1, no_dma
    li   t0, 128
    csrw mm2s_src, t0
    li   t0, 64
    csrw mm2s_dst, t0
    li   t0, 192
    csrw mm2s_count, t0
    csrwi mm2s_control, 1
no_dma:
    li   t1, 4
    bne  s0, t1, done
    csrwi mcountinhibit, 4
done:
    ecall
"""
RUNS = 6


def _recording_runs(dev):
    rng = np.random.default_rng(3)
    dev.load(Program(text=assemble_text(RECORDING).words, soc=SOC,
                     images={"ddr": (0, rng.integers(0, 256, 1024, dtype=np.uint8))}))
    statuses = []
    for n in range(RUNS):
        statuses.append(dev.run())
        if n == 3:
            dev.write("dmem", 8, np.array([7], np.uint32))       # the host writes between runs
    records = dev.read("dmem", 64, 64 * RUNS).view(np.uint32).reshape(RUNS, 16)[:, :10]
    return ([(s.reason, s.cycles, s.instructions) for s in statuses], records,
            dev.read("vmem", 0, 512), dev.read("dmem", 0, 16))


def test_csrs_counters_and_dma_status_carry_over_between_runs_as_on_sim():
    sim_runs, sim_records, sim_vmem, sim_dmem = _recording_runs(open_device("sim", soc=SOC))
    with open_device("rtl", soc=SOC) as dev:
        rtl_runs, rtl_records, rtl_vmem, rtl_dmem = _recording_runs(dev)
    assert rtl_runs == sim_runs
    diff = np.argwhere(rtl_records != sim_records)
    assert not diff.size, (f"run {diff[0][0]} field {diff[0][1]}: rtl {rtl_records[tuple(diff[0])]} "
                           f"sim {sim_records[tuple(diff[0])]}\nrtl\n{rtl_records}\nsim\n{sim_records}")
    assert np.array_equal(rtl_vmem, sim_vmem) and np.array_equal(rtl_dmem, sim_dmem)
    # not vacuous: the counters start in run 1 and keep counting; run 3 sees run 2's transfer
    mcycle, minstret, inhibit, status, src = (sim_records[:, i] for i in (0, 2, 3, 4, 5))
    assert list(inhibit) == [5, 5, 0, 0, 0, 4]
    assert mcycle[1] == 0 and 0 < mcycle[2] < mcycle[3] < mcycle[4] < mcycle[5]
    assert 0 < minstret[2] < minstret[3] < minstret[4] < minstret[5]
    assert status[2] & 0x80 == 0 and status[3] & 0x80 and src[3] == 128
    assert sim_vmem[64:256].any()


def test_rng_state_continues_between_runs_as_on_sim():
    text = [e("vrng", 1), e("vstore", 1, 5, 0), e("addi", 5, 5, 64), e("ecall")]
    program = Program(text=np.array(text, np.uint32), soc=SOC)
    draws = []
    for backend in ("sim", "rtl"):
        dev = open_device(backend, soc=SOC)
        dev.load(program)
        for _ in range(3):
            dev.run()            # x5 (the row address) carries over too
        draws.append(dev.read("vmem", 0, 3 * 64).view(np.int16).reshape(3, 32))
        if backend == "rtl":
            dev.close()
    assert np.array_equal(draws[0], draws[1])
    assert len({row.tobytes() for row in draws[1]}) == 3


def test_load_resets_the_core_and_replaces_the_memories():
    devices = [open_device("sim", soc=SOC), open_device("rtl", soc=SOC)]
    seen = []
    for dev in devices:
        _recording_runs(dev)                         # leaves counters on, DMA done, memories written
        dev.load(Program(text=assemble_text(RECORDING).words, soc=SOC))
        first = dev.run()
        seen.append((first.cycles, dev.read("dmem", 0, 256).tobytes(), dev.read("vmem", 0, 512).tobytes(),
                     dev.read("ddr", 0, 1024).tobytes()))
    assert seen[0] == seen[1]
    record = np.frombuffer(seen[1][1], np.uint32)[16:26]
    assert record[3] == 5 and not record[4] & 0x80 and record[0] == 0 and not any(seen[1][3])
    devices[1].close()


def test_faults_raise_machine_fault_naming_the_pc():
    with open_device("rtl", soc=SOC) as dev:
        dev.load(Program(text=np.array([e("addi", 1, 0, 3), e("lw", 2, 2, 1), e("ecall")], np.uint32), soc=SOC))
        with pytest.raises(MachineFault) as info:
            dev.run()
    assert info.value.pc == 4 and "misaligned" in str(info.value)


def test_close_and_garbage_collection_end_the_simulator():
    dev = open_device("rtl", soc=SOC)
    dev.load(_program())
    process = dev._session._sim.process
    assert process.poll() is None
    dev.close()
    assert process.poll() is not None
    dev.load(_program())                          # a closed device opens a new session when used
    process = dev._session._sim.process
    del dev
    gc.collect()
    process.wait(timeout=30)


def test_interpreter_exit_ends_the_simulator():
    script = textwrap.dedent(f"""
        import numpy as np
        from fenn.device import open_device
        from fenn.isa import encode
        from fenn.program import Program
        from fenn.soc import SocConfig
        soc = SocConfig.from_dict({SOC.to_dict()!r})
        device = open_device("rtl", soc=soc)
        device.load(Program(text=np.array([encode("ecall")], np.uint32), soc=soc))
        print(device._session._sim.process.pid, flush=True)
    """)          # exits with the device still open
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=1800)          # only a hang guard: the child may build the RTL
    assert done.returncode == 0, done.stderr[-2000:]
    pid = int(done.stdout.split()[-1])
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid), f"simulator process {pid} outlived its interpreter"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"     # a zombie has ended
    except FileNotFoundError:
        return False


def test_a_dead_simulator_gives_an_error_with_its_log_not_a_hang():
    dev = open_device("rtl", soc=SOC)
    dev.load(_program())
    process = dev._session._sim.process          # the simulator this test started
    process.kill()
    process.wait()          # dead before the command is sent (so the send fails, each time)
    with pytest.raises(RtlSimulationError, match=r"failed while doing 'run'.*sim\.log"):
        dev.run()
    with pytest.raises(RtlSimulationError, match="has ended.*load a program again"):
        dev.read("dmem", 0, 4)                    # its state is gone: no silent fresh simulator
    dev.load(_program())                          # a load needs none of it: a new simulator
    assert dev.run().reason == "ecall"
    dev.close()


def test_unknown_simulator_is_refused_naming_the_choices(monkeypatch):
    with pytest.raises(ValueError, match="icarus"):
        open_device("rtl", simulator="modelsim")
    monkeypatch.setenv("FENN_RTL_SIM", "xcelium")
    with pytest.raises(ValueError, match="FENN_RTL_SIM.*verilator"):
        open_device("rtl")


def test_fenn_run_on_rtl_uses_one_simulation_for_all_samples(monkeypatch):
    started = []

    class Counted(session_module._Simulator):       # every simulator process starts here
        def __init__(self, *args, **kwargs):
            started.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(session_module, "_Simulator", Counted)
    rng = np.random.default_rng(5)
    program = fenn.compile(recurrent_network(rng), 4, soc=NETWORK_SOC, rounding="stochastic")
    inputs = {"inp": rng.random((3, 4, 32)) < 0.3}
    sim = fenn.run(program, inputs, backend="sim", progress=False)
    rtl = fenn.run(program, inputs, backend="rtl", progress=False)
    assert len(started) == 1
    assert sim.difference(rtl) is None
    assert sim.stats.cycles_per_sample == rtl.stats.cycles_per_sample
    assert len(rtl.stats.cycles_per_sample) == 3 and sim.raw["hid.spikes"].any()
