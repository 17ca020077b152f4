"""The DDR behind the SoC's DMA masters, for cocotb testbenches.

One place decides which model answers the SoC's AXI4 read and write bursts, so every
bench (the core bench, the SoC host bench) sees the same memory with the same timing.

The model is an exact-latency AXI4 slave, one per master, all over one byte array: a read
burst's first beat is valid :func:`fenn.hw.dma.ddr_read_delay` cycles after its AR
handshake (the slowest memory the RTL claims to meet docs/timing.md with), then one beat
a cycle, bursts back to back; AR, AW and W are always ready; a write response is valid
the cycle after a burst's last beat. (cocotbext-axi's AxiRam, measured on Icarus: first
beat 2 cycles after AR, write response 2 cycles after the last beat; it serves one master
and its latency is its own, so it cannot stand for "the slowest DDR the RTL tolerates".)
"""

from __future__ import annotations

import collections

from fenn.soc import SocConfig

__all__ = ["attach_ddr", "ExactLatencyDdr", "port_prefixes", "MODELS"]

RESP_OKAY, RESP_DECERR = 0, 3


def port_prefixes(soc: SocConfig, prefix: str) -> list[str]:
    """Signal prefixes of the SoC's masters: ``prefix`` for port 0 (``axi_``, ``m_axi_``),
    then the same with the port number (``axi1_``, ``m_axi1_``), as fenn.hw.dma names them."""
    base = prefix[:-1] if prefix.endswith("_") else prefix
    return [prefix if p == 0 else f"{base}{p}_" for p in range(soc.dma_ports)]


class _Port:
    """One master's signals and the bursts in flight on it."""

    NAMES = ("arvalid", "araddr", "arlen", "rready", "awvalid", "awaddr", "awlen", "wvalid", "wdata",
             "wstrb", "wlast", "bready")
    DRIVEN = ("arready", "awready", "wready", "rvalid", "rdata", "rresp", "rlast", "rid", "bvalid", "bresp", "bid")

    def __init__(self, dut, prefix: str):
        def handle(name):
            full = f"{prefix}_{name}"
            if not hasattr(dut, full):
                raise AttributeError(f"the DUT has no AXI signal {full} (attach_ddr prefix {prefix!r})")
            return getattr(dut, full)
        self.sig = {name: handle(name) for name in self.NAMES + self.DRIVEN}
        self.reads = collections.deque()     # [first cycle, address, beats left]
        self.writes = collections.deque()    # [address, beats left] of accepted AW
        self.b_owed = 0
        self.shown = {}                      # last value written to each driven signal

    def show(self, sig, name: str, value: int) -> None:
        if self.shown.get(name) != value:
            sig[name].value = value
            self.shown[name] = value

    def idle(self) -> bool:
        return not (self.reads or self.writes or self.b_owed)


class ExactLatencyDdr:
    """``write(address, data)`` / ``read(address, n)`` touch the memory without simulated
    time; :meth:`serve` answers the masters cycle by cycle."""

    def __init__(self, dut, soc: SocConfig, prefixes: list[str], read_delay: int):
        if read_delay < 1:
            raise ValueError(f"a DDR read answers at least one cycle after its address, not {read_delay}")
        self.dut = dut
        self.mem = bytearray(soc.cores * soc.ddr_bytes)
        self.read_delay = read_delay
        self.ports = [_Port(dut, p) for p in prefixes]
        for port in self.ports:
            for name in ("arready", "awready", "wready"):
                port.sig[name].value = 1
            for name in ("rvalid", "rdata", "rresp", "rlast", "rid", "bvalid", "bresp", "bid"):
                port.show(port.sig, name, 0)

    def write(self, address: int, data: bytes) -> None:
        self._check(address, len(data))
        self.mem[address:address + len(data)] = data

    def read(self, address: int, n: int) -> bytes:
        self._check(address, n)
        return bytes(self.mem[address:address + n])

    def _check(self, address, n):
        if address < 0 or address + n > len(self.mem):
            raise ValueError(f"DDR bytes [{address}, {address + n}) are outside the {len(self.mem)}-byte DDR")

    async def serve(self):
        from cocotb.triggers import Edge, First, FallingEdge, ReadOnly
        clk = self.dut.clk
        cycle = 0
        await FallingEdge(clk)
        while True:
            # outputs for this cycle (driven mid-cycle, sampled by the master at the next rising edge)
            shown = [self._drive(port, cycle) for port in self.ports]
            await ReadOnly()
            busy = False
            for port, (r_beat, b_shown) in zip(self.ports, shown):
                busy |= self._sample(port, cycle, r_beat, b_shown) or r_beat is not None or b_shown
            if not busy:
                # nothing in flight, no request, RVALID and BVALID low: sleep until a master asks
                # (then serve from that cycle's falling edge)
                await First(*[Edge(p.sig[n]) for p in self.ports for n in ("arvalid", "awvalid", "wvalid")])
            await FallingEdge(clk)
            cycle += 1

    def _drive(self, port: _Port, cycle: int):
        sig = port.sig
        r_beat = None
        if port.reads and port.reads[0][0] <= cycle:
            _, address, beats = port.reads[0]
            r_beat = (address, beats == 1)
            inside = address + 16 <= len(self.mem)
            sig["rdata"].value = int.from_bytes(self.mem[address:address + 16], "little") if inside else 0
            port.show(sig, "rresp", RESP_OKAY if inside else RESP_DECERR)
            port.show(sig, "rlast", int(beats == 1))
        port.show(sig, "rvalid", int(r_beat is not None))
        b_shown = port.b_owed > 0
        port.show(sig, "bvalid", int(b_shown))
        return r_beat, b_shown

    def _sample(self, port: _Port, cycle: int, r_beat, b_shown) -> bool:
        """Handshakes of this cycle; returns whether anything is in flight or asked for."""
        sig = port.sig
        if self.dut.rst.value:              # a reset abandons whatever was in flight
            port.reads.clear()
            port.writes.clear()
            port.b_owed = 0
            return False
        asked = False
        if sig["arvalid"].value:
            asked = True
            port.reads.append([cycle + self.read_delay, int(sig["araddr"].value), int(sig["arlen"].value) + 1])
        if r_beat is not None and sig["rready"].value:
            burst = port.reads[0]
            burst[1] += 16
            burst[2] -= 1
            if burst[2] == 0:
                port.reads.popleft()
        if sig["awvalid"].value:
            asked = True
            port.writes.append([int(sig["awaddr"].value), int(sig["awlen"].value) + 1])
        if sig["wvalid"].value:
            asked = True
            if not port.writes:
                raise AssertionError("a W beat before its burst's AW (this DDR model needs AW first)")
            burst = port.writes[0]
            address = burst[0]
            data = int(sig["wdata"].value).to_bytes(16, "little")
            strobe = int(sig["wstrb"].value)
            if address + 16 <= len(self.mem):
                if strobe == 0xFFFF:
                    self.mem[address:address + 16] = data
                else:
                    for k in range(16):
                        if strobe >> k & 1:
                            self.mem[address + k] = data[k]
            burst[0] += 16
            burst[1] -= 1
            if bool(sig["wlast"].value) != (burst[1] == 0):
                raise AssertionError(f"WLAST is {int(sig['wlast'].value)} with {burst[1]} beats of the burst left")
            if burst[1] == 0:
                port.writes.popleft()
                port.b_owed += 1
        if b_shown and sig["bready"].value:
            port.b_owed -= 1
        return asked or not port.idle()


#: cocotbext-axi's AxiRam, measured on Icarus: AR handshake to first read beat
AXIRAM_READ_DELAY = 2
MODELS = ("exact", "axiram")


def random_pauses(seed: int, probability: float):
    """An endless, seeded stream of pause decisions, one a clock cycle (cocotbext-axi's
    ``set_pause_generator``): True holds the channel (VALID or READY low) that cycle."""
    import random
    rng = random.Random(seed)
    while True:
        yield rng.random() < probability


def pause_channels(channels, probability: float, seed: int) -> None:
    """Randomised back-pressure and delays on cocotbext-axi channel endpoints, each its own
    seeded stream."""
    for index, channel in enumerate(channels):
        channel.set_pause_generator(random_pauses(seed * 1009 + index, probability))


def attach_ddr(dut, soc: SocConfig, prefix: str = "axi_", model: str = "exact", prefixes: list[str] | None = None,
               pause: float = 0.0, seed: int = 0):
    """A DDR model of ``cores x ddr_bytes`` on every AXI4 master of the DUT: ``prefixes``
    names them all, or ``prefix`` names one core's port 0 (see :func:`port_prefixes`). Call
    from a running cocotb test.

    ``model="exact"`` is :class:`ExactLatencyDdr` at the slowest delay the RTL tolerates;
    ``model="axiram"`` is cocotbext-axi's AxiRam (one per master, one shared memory), an
    independent implementation of the AXI4 slave side. The returned object has
    ``write(address, data: bytes)`` and ``read(address, n) -> bytes``, which touch the
    memory without simulated time. ``pause`` (AxiRam only): the probability that each of
    its AR, R, AW, W and B channels stalls in a cycle (seeded by ``seed``), so the masters
    meet random back-pressure and late responses.
    """
    import cocotb

    from .dma import ddr_read_delay
    delay = ddr_read_delay(soc)
    prefixes = port_prefixes(soc, prefix) if prefixes is None else prefixes
    if model == "axiram":
        if delay < AXIRAM_READ_DELAY:
            raise ValueError(f"AxiRam answers {AXIRAM_READ_DELAY} cycles after AR, but this SoC "
                             f"(dma_ports={soc.dma_ports}, dma_read_latency={soc.dma_read_latency}) "
                             f"needs {delay}; use model='exact' or raise dma_read_latency")
        from cocotbext.axi import AxiBus, AxiRam
        rams = []
        for name in prefixes:
            shared = rams[0].mem if rams else None
            rams.append(AxiRam(AxiBus.from_prefix(dut, name), dut.clk, dut.rst,
                               size=soc.cores * soc.ddr_bytes, mem=shared))
        if pause:
            pause_channels([channel for ram in rams for channel in
                            (ram.read_if.ar_channel, ram.read_if.r_channel, ram.write_if.aw_channel,
                             ram.write_if.w_channel, ram.write_if.b_channel)], pause, seed)
        return rams[0]
    if pause:
        raise ValueError("pause= needs model='axiram' (the exact model answers at one fixed latency)")
    if model != "exact":
        raise ValueError(f"unknown DDR model {model!r}; expected one of {MODELS}")
    ddr = ExactLatencyDdr(dut, soc, prefixes, max(1, delay))
    cocotb.start_soon(ddr.serve())
    return ddr
