"""cocotb test of the SoC top through its AXI4-Lite host port (driven by tests/hw/test_soc_host.py).

It also drives the DMA channels from the host registers.

The host loads a program and data through the memory windows, starts the core, polls
STATUS, and reads results, cycles and registers back; expected values come from fenn.sim
via the FENN_SOC_JOB JSON file.
"""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiResp

from fenn.hw.ddr_model import attach_ddr, pause_channels
from fenn.hw.ports import soc_ports
from fenn.hw.regmap import BY_NAME, window_base
from fenn.soc import SocConfig


class WindowView:
    """The shared DDR as the driven core's DMA sees it after reset: from its window's base."""

    def __init__(self, ram, base):
        self.ram, self.base = ram, base

    def write(self, address, data):
        self.ram.write(self.base + address, data)

    def read(self, address, n):
        return self.ram.read(self.base + address, n)


async def read32(master, address):
    return int.from_bytes((await master.read(address, 4)).data, "little")


@cocotb.test()
async def host_runs_a_program(dut):
    job = json.loads(open(os.environ["FENN_SOC_JOB"]).read())
    soc = SocConfig.from_dict(job["soc"])
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    ports = soc_ports(soc)
    core = job.get("core", 0)                # the core this test drives; the others stay idle
    host = AxiLiteMaster(AxiLiteBus.from_prefix(dut, ports.cores[core].host + "_"), dut.clk, dut.rst)
    # cocotbext-axi, as a board's DDR would be: not ours
    pause = job.get("pause", 0.0)            # randomised back-pressure on every AXI channel
    ram = attach_ddr(dut, soc, model="axiram", prefixes=[name + "_" for name in ports.dma_masters],
                     pause=pause, seed=1)
    if pause:
        pause_channels([host.write_if.aw_channel, host.write_if.w_channel, host.write_if.b_channel,
                        host.read_if.ar_channel, host.read_if.r_channel], pause, seed=2)
    ddr = WindowView(ram, soc.ddr_window(core)[0])
    ddr.write(0, bytes(job["ddr"]))
    dut.rst.value = 1
    for _ in range(3):
        await FallingEdge(dut.clk)
    dut.rst.value = 0
    reg = {name: r.offset for name, r in BY_NAME.items()}

    assert await read32(host, reg["ID"]) == soc.soc_id
    assert await read32(host, reg["CORES"]) == soc.cores | core << 8
    assert await read32(host, reg["DMEM_BYTES"]) == soc.dmem_bytes
    for i, word in enumerate(job["words"]):
        await host.write(window_base("IMEM") + 4 * i, int(word).to_bytes(4, "little"))
    await host.write(window_base("DMEM"), int(job["dmem0"]).to_bytes(4, "little"))
    assert await read32(host, window_base("IMEM") + 4) == job["words"][1]

    await host.write(reg["CONTROL"], (1).to_bytes(4, "little"))           # start
    status = await read32(host, reg["STATUS"])
    assert status & 0b1000, f"STATUS 0x{status:x} should say running"
    resp = await host.write(reg["DDR_SIZE"], (64).to_bytes(4, "little"))
    assert resp.resp == AxiResp.SLVERR, "the DDR window must not move while the core runs"
    while (status := await read32(host, reg["STATUS"])) & 0b1000:
        pass
    assert status & 0b111 == 2, f"expected an ecall halt, STATUS 0x{status:x}"
    got = {
        "cycles": await read32(host, reg["CYCLES_LO"]),
        "instructions": await read32(host, reg["INSTRET_LO"]),
        "dmem": [await read32(host, window_base("DMEM") + 4 * i) for i in range(len(job["expect_dmem"]))],
        "x": [await read32(host, window_base("XREG") + 4 * i) for i in range(32)],
        "ddr": list(ddr.read(0, len(job["expect_ddr"]))),
    }
    json.dump(got, open(os.environ["FENN_SOC_JOB"] + ".out", "w"))

    # the host drives the DMA channels itself: DDR -> VMEM, then VMEM -> DDR elsewhere
    async def transfer(ch, src, dst, count):
        for name, value in (("SRC", src), ("DST", dst), ("COUNT", count)):
            await host.write(reg[f"DMA_{ch}_{name}"], value.to_bytes(4, "little"))
        resp = await host.write(reg[f"DMA_{ch}_CONTROL"], (1).to_bytes(4, "little"))
        if resp.resp != AxiResp.OKAY:
            return resp.resp
        while not (await read32(host, reg[f"DMA_{ch}_STATUS"])) & 0b10:
            pass
        return resp.resp

    before = ddr.read(0, 512)
    assert await transfer("MM2S", 0, 3072, 512) == AxiResp.OKAY
    vmem = b""
    for i in range(128):
        vmem += (await read32(host, window_base("VMEM") + 3072 + 4 * i)).to_bytes(4, "little")
    assert vmem == before, "host-driven MM2S moved the wrong bytes"
    assert await transfer("S2MM", 3072, 8192, 512) == AxiResp.OKAY
    assert ddr.read(8192, 512) == before, "host-driven S2MM moved the wrong bytes"
    status = await read32(host, reg["DMA_S2MM_STATUS"])
    assert status == 0b10000010, f"S2MM status after a transfer: 0x{status:x}"
    assert await transfer("MM2S", 0, 3072, 100) == AxiResp.SLVERR        # count not a multiple of 64

    # the DDR window: reset to all of the modelled DDR; moved, DMA offsets land inside it
    assert (await read32(host, reg["DDR_BASE"]), await read32(host, reg["DDR_SIZE"])) == soc.ddr_window(core)
    await host.write(reg["DDR_BASE"], (ddr.base + 16384 + 5).to_bytes(4, "little"))    # bits 5:0 are 0
    await host.write(reg["DDR_SIZE"], (4096).to_bytes(4, "little"))
    assert (await read32(host, reg["DDR_BASE"]), await read32(host, reg["DDR_SIZE"])) == (ddr.base + 16384, 4096)
    assert await transfer("S2MM", 3072, 4096 - 512, 512) == AxiResp.OKAY
    assert ddr.read(16384 + 4096 - 512, 512) == before, "S2MM did not land at DDR_BASE + DST"
    around = ddr.read(16384 + 3072, 2048)
    assert await transfer("S2MM", 3072, 4096 - 448, 512) == AxiResp.SLVERR   # leaves the window
    assert await transfer("MM2S", 4096, 3072, 64) == AxiResp.SLVERR
    assert ddr.read(16384 + 3072, 2048) == around, "a refused transfer moved data"

    await host.write(reg["CONTROL"], (2).to_bytes(4, "little"))           # reset
    assert await read32(host, reg["STATUS"]) & 0b111 == 0
    assert await read32(host, reg["DDR_BASE"]) == ddr.base + 16384, "a core reset must keep the DDR window"
