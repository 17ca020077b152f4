"""The `rtl` backend behind the Device protocol agrees with the `sim` backend."""

import numpy as np
import pytest

pytest.importorskip("cocotb_tools")
from fenn.device import open_device  # noqa: E402
from fenn.errors import MachineFault  # noqa: E402
from fenn.hw.icarus import icarus_available  # noqa: E402
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


def test_faults_raise_machine_fault_naming_the_pc():
    dev = open_device("rtl", soc=SOC)
    dev.load(Program(text=np.array([e("addi", 1, 0, 3), e("lw", 2, 2, 1), e("ecall")], np.uint32), soc=SOC))
    with pytest.raises(MachineFault) as info:
        dev.run()
    assert info.value.pc == 4 and "misaligned" in str(info.value)
