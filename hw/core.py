"""The FeNN core: RV32I + mul + Zbb subset + Zicsr, with the 32-lane vector unit.

Pipeline and timing follow docs/timing.md exactly:

* F: the IMEM read port (synchronous BRAM read) at ``pc_f``;
* D: decodes the word the read port holds (``Decoder``); X gets the decode registered;
* X: reads the register files, runs the scalar ALU / vector ALU / branch / CSRs / the
  multiply unit's DSPs, issues memory accesses. A taken branch or a jump redirects F and
  squashes D and the word arriving from F: the next instruction issues 2 cycles later.
* W: load data arrives from the synchronous memories, the multiply unit shifts and
  saturates, registers are written; X reads the register files through a bypass from W
  that carries ALU results only. An instruction in X that reads the destination of a
  load or a multiply-unit operation in W is held one cycle (``load_use`` /
  ``vload_use`` / ``mul_use``), as the cycle model charges. Faults are acted on in W too:
  the faulting instruction and the one behind it (in X) have no effect, and the core halts.

Cycle 0 of a run is the cycle in which the first instruction (pc 0) enters X; the run
counter ``cycles`` counts from there and includes the cycle of the final ``ecall``.
The host reaches every memory and the register files through a word-wide port while the
core is stopped (``host_*``).
"""

from __future__ import annotations

import enum

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from fenn import isa
from fenn.faults import FAULT_BITS, Fault
from fenn.soc import DEFAULT_SOC, SocConfig, rng_reset_state
from fenn.timing import BIT_COUNTS, DRAWS_RNG, MUL_UNIT, SCALAR_LOADS

from .decoder import Decoder, row_index
from .dma import CHANNELS, AxiMaster, Dma, axi_port_names, check_rtl_dma
from .memories import SocMemories
from .multiplier import LaneMultiplier, ScalarMultiplier
from .rng import RngBank
from .scalar_alu import CONTROLS as ALU_CONTROLS
from .scalar_alu import BitCounts, ScalarAlu
from .vector_alu import VectorAlu

__all__ = ["Core", "Halt", "Fault", "HostSpace"]


class Halt(enum.IntEnum):
    """Why the core is not running (``status``)."""
    IDLE = 0        # never started since reset
    RUNNING = 1
    ECALL = 2
    EBREAK = 3
    FAULT = 4


class HostSpace(enum.IntEnum):
    """What ``host_addr`` (a byte address, word aligned) points into."""
    IMEM = 0
    DMEM = 1
    VMEM = 2
    LLM = 3      # lane i at [i * llm_bytes_per_lane, (i + 1) * llm_bytes_per_lane)
    XREG = 4     # x[i] at 4 i (writes to x0 are ignored)
    VREG = 5     # v[r] at 64 r
    RNG = 6      # S0 at 0..63, S1 at 64..127


SCALAR_STORES = ("sb", "sh", "sw")
BRANCHES = ("beq", "bne", "blt", "bge", "bltu", "bgeu")
CSR_REG = ("csrrw", "csrrs", "csrrc")
CSR_IMM = ("csrrwi", "csrrsi", "csrrci")
INHIBIT_RESET = 0b101


class DecodedInX:
    """The decoder's outputs for the instruction in X: registered copies (``latch``) of a
    :class:`Decoder` that decodes in D, with the same names and ``is_``.

    ``is_`` of several mnemonics is a flag of its own, ORed in D and registered with the
    rest, so that X sees one flip-flop instead of an OR of rows (X is the deep stage)."""

    def __init__(self, decoder: Decoder):
        self._decoder = decoder
        self._names = [n for n in decoder.signature.members if n != "inst"]
        for name in self._names:
            setattr(self, name, Signal.like(getattr(decoder, name), name=f"x_{name}"))
        self._groups: dict[tuple[str, ...], Signal] = {}
        self._csrs: dict[str, Signal] = {}

    def latch(self) -> list:
        """Call once, after the last ``is_`` and ``csr_is``."""
        self._latched = True
        return ([getattr(self, n).eq(getattr(self._decoder, n)) for n in self._names]
                + [flag.eq(self._decoder.is_(*group)) for group, flag in self._groups.items()]
                + [flag.eq(self._decoder.csr_field == isa.CSR_ADDRESSES[name]) for name, flag in self._csrs.items()])

    def csr_is(self, name: str):
        """The CSR field names CSR ``name`` (compared in D, registered)."""
        if name not in self._csrs:
            assert not getattr(self, "_latched", False), "csr_is of a new CSR after latch()"
            self._csrs[name] = Signal(name=f"x_csr_{name}")
        return self._csrs[name]

    def is_(self, *mnemonics: str):
        if len(mnemonics) == 1:
            return self.rows[row_index(mnemonics[0])]
        group = tuple(sorted(set(mnemonics)))
        if group not in self._groups:
            assert not getattr(self, "_latched", False), "is_ of a new group after latch()"
            self._groups[group] = Signal(name="x_is_" + "_".join(n.replace(".", "_") for n in group[:3])
                                         + ("_etc" if len(group) > 3 else ""))
        return self._groups[group]


class Core(wiring.Component):
    def __init__(self, soc: SocConfig = DEFAULT_SOC, hart_id: int = 0):
        self.soc = soc
        self.hart_id = hart_id
        width = 8 * soc.vector_bytes
        #: architectural state, reachable by simulators' testbenches (``ctx.get(core.xregs.data[i])``)
        self.memories = SocMemories(soc)
        self.xregs = Memory(shape=32, depth=32, init=[])
        self.vregs = Memory(shape=width, depth=32, init=[])
        self.rng = RngBank(soc.lanes, *rng_reset_state(soc.lanes))
        check_rtl_dma(soc)
        super().__init__({
            "start": In(1),
            "status": Out(3),
            "fault": Out(FAULT_BITS),
            "halt_pc": Out(32),
            "cycles": Out(64),
            "retired": Out(64),       # instructions retired in this run (not ecall/ebreak), uninhibited
            "host_space": In(3),
            "host_addr": In(32),
            "host_we": In(1),
            "host_wdata": In(32),
            "host_rdata": Out(32),
            # lock-step trace
            "retire": Out(1),
            "retire_pc": Out(32),
            "retire_inst": Out(32),
            "wb_x": Out(1),
            "wb_x_rd": Out(5),
            "wb_x_data": Out(32),
            "wb_v": Out(1),
            "wb_v_rd": Out(5),
            "wb_v_data": Out(width),
            "stall_load_use": Out(1),
            "written": Out(3),            # since start: bit 0 DMEM, bit 1 VMEM, bit 2 LLM was written
            # DMA masters to DDR: axi, then axi1, ... for SocConfig.dma_ports > 1
            **{name: Out(AxiMaster()) for name in axi_port_names(soc)},
            # the host drives the DMA channels too (while the core is stopped): register
            # index = 4 * channel + (0 src, 1 dst, 2 count, 3 control)
            "host_dma_we": In(1),
            "host_dma_reg": In(3),
            "host_dma_wdata": In(32),
            "host_dma_refused": Out(1),   # that write was dropped (core running, or a bad start)
            "dma_status": Out(16),        # MM2S status in bits 7:0, S2MM in 15:8
            # the DDR window the host set: DMA DDR addresses are offsets below ddr_size, added to ddr_base
            "ddr_base": In(32, init=soc.ddr_window(hart_id)[0]),
            "ddr_size": In(32, init=soc.ddr_window(hart_id)[1]),
        })

    # ----------------------------------------------------------------------- elaborate
    def elaborate(self, platform):
        soc = self.soc
        lanes = soc.lanes
        vwidth = 8 * soc.vector_bytes
        m = Module()

        mems = self.memories
        mems.add_to(m)
        imem_rp = mems.imem.read_port()
        imem_wp = mems.imem.write_port()
        dmem_rp = mems.dmem.read_port()
        dmem_wp = mems.dmem.write_port(granularity=8)
        # VMEM has two read/write ports, as a URAM288 does (yosys: rdwr no_change; port A
        # reads the other port's same-cycle write as new data, port B as old): A for the core
        # (vloadv/vloadr read, vstore write, one address), B for the DMA engine
        vmem_wp = mems.vmem.write_port(granularity=32)
        dma_wp = mems.vmem.write_port(granularity=128)      # DMA rows, 16-byte enables
        vmem_rp = mems.vmem.read_port(transparent_for=(dma_wp,))
        dma_rp = mems.vmem.read_port()
        m.d.comb += [vmem_rp.en.eq(~vmem_wp.en.any()), dma_rp.en.eq(~dma_wp.en.any())]
        llm_rp = [mem.read_port() for mem in mems.llm]
        llm_wp = [mem.write_port(granularity=16) for mem in mems.llm]

        m.submodules.xregs = xregs = self.xregs
        m.submodules.vregs = vregs = self.vregs
        xr = [xregs.read_port(domain="comb") for _ in range(2)]
        xr_host = xregs.read_port(domain="comb")        # the host's own: no host address in front of rs1, rs2
        vr = [vregs.read_port(domain="comb") for _ in range(3)]
        xw = xregs.write_port()
        vw = vregs.write_port(granularity=32)

        m.submodules.dma = dma_engine = Dma(soc)
        for name in axi_port_names(soc):
            wiring.connect(m, wiring.flipped(getattr(self, name)), getattr(dma_engine, name))
        m.d.comb += [dma_wp.addr.eq(dma_engine.vmem_addr), dma_wp.data.eq(dma_engine.vmem_wdata),
                     dma_wp.en.eq(dma_engine.vmem_we), dma_rp.addr.eq(dma_engine.vmem_addr),
                     dma_engine.vmem_rdata.eq(dma_rp.data)]
        # D decodes the word the IMEM read port holds; X gets the decode registered
        m.submodules.dec = dec_d = Decoder()
        dec = DecodedInX(dec_d)
        m.submodules.alu = alu = ScalarAlu()
        m.submodules.valu = valu = VectorAlu(lanes)
        m.submodules.vmul = vmul = LaneMultiplier(lanes)
        m.submodules.smul = smul = ScalarMultiplier()
        m.submodules.counts = counts = BitCounts()
        m.submodules.rng = rng = self.rng

        def is_(*names):
            return dec.is_(*names)

        # ------------------------------------------------------------- state
        running = Signal()
        draining = Signal()          # ecall/ebreak issued, waiting for DMA to finish
        halt_reason = Signal(3)
        status = Signal(3, init=Halt.IDLE)
        fault = Signal(FAULT_BITS)
        halt_pc = Signal(32)
        pc_f = Signal(32)
        d_valid, d_pc = Signal(), Signal(32)
        x_valid, x_pc, x_inst = Signal(), Signal(32), Signal(32)
        issued = Signal()
        cycles = Signal(64)
        retired = Signal(64)
        mcycle = Signal(64)
        minstret = Signal(64)
        inhibit = Signal(3, init=INHIBIT_RESET)

        # W slot (registered at the end of X)
        w_valid = Signal()
        w_rd = Signal(5)
        w_x_we, w_v_we = Signal(), Signal()
        w_x_data = Signal(32)
        w_v_data = Signal(vwidth)
        w_load = Signal(len(SCALAR_LOADS))      # one-hot: which scalar load
        w_vmul, w_smul = Signal(), Signal()     # the result comes from the multiply unit
        w_count = Signal()                      # ... from the bit counts
        w_halts = Signal()                      # ecall/ebreak: not counted as retired
        w_faulted = Signal()                    # it faulted (set with the fault checks below)
        w_counts = Signal()                     # minstret counts it (inhibit and writes of its X cycle)
        w_retiring = Signal()
        m.d.comb += w_retiring.eq(w_valid & ~w_faulted & ~w_halts)
        minstret_now = Signal(64)               # minstret as an instruction in X reads it
        m.d.comb += minstret_now.eq(minstret + (w_retiring & w_counts))
        w_off = Signal(2)
        w_vloadv, w_vloadl, w_vloadr0, w_vloadr1 = Signal(), Signal(), Signal(), Signal()
        w_llm_en = Signal(lanes)
        w_llm_hi = Signal(lanes)

        m.d.comb += [self.status.eq(status), self.fault.eq(fault), self.halt_pc.eq(halt_pc),
                     self.cycles.eq(cycles), self.retired.eq(retired)]

        # ------------------------------------------------------------- W: write-back data
        dword = dmem_rp.data >> Cat(Const(0, 3), w_off)
        load_value = Signal(32)
        formats = {"lb": dword[:8].as_signed(), "lh": dword[:16].as_signed(), "lw": dmem_rp.data,
                   "lbu": dword[:8], "lhu": dword[:16]}
        lv = Const(0, 32)
        for i, name in enumerate(SCALAR_LOADS):
            widened = Signal(32, name=f"load_{name}")
            m.d.comb += widened.eq(formats[name])
            lv = lv | Mux(w_load[i], widened, 0)
        m.d.comb += load_value.eq(lv)
        x_wdata = Signal(32)
        m.d.comb += x_wdata.eq(Mux(w_load.any(), load_value, Mux(w_smul, smul.result,
                                                                         Mux(w_count, counts.result, w_x_data))))

        llm_merged = []
        for i in range(lanes):
            word = llm_rp[i].data
            half = Mux(w_llm_hi[i], word[16:], word[:16])
            llm_merged.append(Mux(w_llm_en[i], half, w_v_data.word_select(i, 16)))
        v_wdata = Signal(vwidth)
        m.d.comb += v_wdata.eq(Mux(w_vloadv, vmem_rp.data, Mux(w_vloadl, Cat(*llm_merged),
                                                             Mux(w_vmul, vmul.vd_out, w_v_data))))

        w_done = w_valid & ~w_faulted
        x_we = w_done & w_x_we
        v_we = w_done & w_v_we
        m.d.comb += [
            xw.en.eq(x_we), xw.addr.eq(w_rd), xw.data.eq(x_wdata),
            vw.en.eq(Mux(v_we, (1 << (vwidth // 32)) - 1, 0)), vw.addr.eq(w_rd), vw.data.eq(v_wdata),
            rng.load_s0.eq(w_done & w_vloadr0), rng.load_s1.eq(w_done & w_vloadr1),
            rng.data.eq(vmem_rp.data),
            self.wb_x.eq(x_we), self.wb_x_rd.eq(w_rd), self.wb_x_data.eq(x_wdata),
            self.wb_v.eq(v_we), self.wb_v_rd.eq(w_rd), self.wb_v_data.eq(v_wdata),
        ]

        # ------------------------------------------------------------- X: operands
        m.d.comb += dec_d.inst.eq(imem_rp.data)
        m.d.comb += [xr[0].addr.eq(dec.rs1), xr[1].addr.eq(dec.rs2), xr_host.addr.eq(self.host_addr[2:7]),
                     vr[0].addr.eq(dec.rs1), vr[1].addr.eq(dec.rs2), vr[2].addr.eq(dec.rd)]

        # The bypass from W, and the interlock, compare the registers of the instruction in X with
        # the destination of the one in W. Both are known a cycle earlier, when the first is in D
        # and the second in X, so the comparisons are made there and registered (``pair``): X sees
        # flip-flops. They hold when both instructions moved on (the one in W is the one that was
        # in X); after a stall, a halt or a start, W holds a bubble or nothing to forward.
        pair = {name: Signal(name=f"x_{name}") for name in
                ("fwd_x_rs1", "fwd_x_rs2", "fwd_v_rs1", "fwd_v_rs2", "fwd_v_rd",
                 "late_x_rs1", "late_x_rs2", "late_v_rs1", "late_v_rs2", "late_v_rd", "rng_loaded")}
        # interlock (load_use / vload_use / mul_use / rng_use): the instruction in X reads a result
        # that the one in W is still producing (a load's data, the multiply unit's second stage),
        # or draws right behind an RNG state load
        hazard = Signal()
        m.d.comb += hazard.eq((pair["late_x_rs1"] & dec.reads_x_rs1) | (pair["late_x_rs2"] & dec.reads_x_rs2)
                              | (pair["late_v_rs1"] & dec.reads_v_rs1) | (pair["late_v_rs2"] & dec.reads_v_rs2)
                              | (pair["late_v_rd"] & dec.reads_v_rd) | (pair["rng_loaded"] & is_(*DRAWS_RNG)))

        # the bypass carries ALU results only: a load's or the multiply unit's result is
        # never read by the instruction right behind it (the interlock below holds that one);
        # it ignores a fault in W, which drops the instruction in X anyway
        rs1, rs2 = Signal(32), Signal(32)
        vs1, vs2, vdo = Signal(vwidth), Signal(vwidth), Signal(vwidth)
        m.d.comb += [rs1.eq(Mux(pair["fwd_x_rs1"], w_x_data, xr[0].data)),
                     rs2.eq(Mux(pair["fwd_x_rs2"], w_x_data, xr[1].data)),
                     vs1.eq(Mux(pair["fwd_v_rs1"], w_v_data, vr[0].data)),
                     vs2.eq(Mux(pair["fwd_v_rs2"], w_v_data, vr[1].data)),
                     vdo.eq(Mux(pair["fwd_v_rd"], w_v_data, vr[2].data))]
        active = Signal()
        m.d.comb += [active.eq(running & ~draining & x_valid & ~hazard),
                     self.stall_load_use.eq(running & x_valid & hazard)]

        # ------------------------------------------------------------- X: scalar ALU, branches
        m.d.comb += [alu.rows.eq(dec.rows), alu.pc.eq(x_pc), alu.rs1.eq(rs1), alu.rs2.eq(rs2),
                     alu.imm_i.eq(dec.imm_i), alu.imm_u.eq(dec.imm_u),
                     *[getattr(alu, f"is_{name}").eq(is_(*rows)) for name, rows in ALU_CONTROLS.items()]]
        is_jal, is_jalr = is_("jal"), is_("jalr")
        target = Signal(32)
        m.d.comb += target.eq(Mux(is_jalr, (rs1 + dec.imm_i) & ~1,
                                  x_pc + Mux(is_jal, dec.imm_j, dec.imm_b)))
        wants_redirect = is_jal | is_jalr | alu.taken

        # ------------------------------------------------------------- X: vector ALU, RNG
        for field in ("vk", "lane"):
            m.d.comb += getattr(valu, field).eq(getattr(dec, field))
        m.d.comb += [valu.rows.eq(dec.rows), valu.imm_u.eq(dec.imm_u),
                     valu.vs1.eq(vs1), valu.vs2.eq(vs2), valu.vd.eq(vdo),
                     valu.xs1.eq(rs1), valu.xs2.eq(rs2), valu.rng.eq(rng.out)]
        m.d.comb += [vmul.rows.eq(dec.rows), vmul.vshift.eq(dec.vshift), vmul.vshamt.eq(dec.vshamt),
                     vmul.vs1.eq(vs1), vmul.vs2.eq(vs2), vmul.rng.eq(rng.out),
                     smul.a.eq(rs1), smul.b.eq(rs2), counts.rows.eq(dec.rows), counts.rs1.eq(rs1)]

        # ------------------------------------------------------------- X: memory addresses
        is_load, is_store = is_(*SCALAR_LOADS), is_(*SCALAR_STORES)
        uses_s_imm = is_(*SCALAR_STORES, "vstore", "vstorel")
        offset = Mux(uses_s_imm, dec.imm_s, dec.imm_i)
        addr = Signal(32)
        m.d.comb += addr.eq(rs1 + offset)
        half_access = is_("lh", "lhu", "sh")
        word_access = is_("lw", "sw")
        dmem_misaligned = (half_access & addr[0]) | (word_access & addr[:2].any())
        dmem_outside = addr >= soc.dmem_bytes
        is_vmem = is_("vloadv", "vloadr0", "vloadr1", "vstore")
        vmem_misaligned, vmem_outside = addr[:6].any(), addr >= soc.vmem_bytes
        is_llm = is_("vloadl", "vstorel")
        llm_addr, llm_en, llm_bad = [], Signal(lanes), []
        for i in range(lanes):
            base = vs1.word_select(i, 16).as_signed()
            sa = Signal(range(-(1 << 17), 1 << 17), name=f"llm_sa{i}")
            m.d.comb += sa.eq(base + offset.as_signed())
            llm_addr.append(sa)
            m.d.comb += llm_en[i].eq(~base[15])
            llm_bad.append(llm_en[i] & (sa[0] | (sa < 0) | (sa >= soc.llm_bytes_per_lane)))
        llm_any_bad = Cat(*llm_bad).any()

        # ------------------------------------------------------------- X: CSRs
        csr_addr = dec.csr_field
        is_csr_imm, is_csr = is_(*CSR_IMM), is_(*CSR_REG, *CSR_IMM)
        csr_src = Mux(is_csr_imm, dec.zimm, rs1)
        csr_sets_or_clears = is_("csrrs", "csrrc", "csrrsi", "csrrci")
        csr_writes = is_csr & ~(csr_sets_or_clears & (Mux(is_csr_imm, dec.zimm, dec.rs1) == 0))
        csr_is = dec.csr_is
        known = Cat(*[csr_is(n) for n in isa.CSR_ADDRESSES]).any()
        read_only = csr_addr[10:12] == 0b11          # RISC-V: CSRs 0xC00-0xFFF are read-only
        dma = {name: Signal(32, name=f"dma_{name}") for name in
               ("mm2s_src", "mm2s_dst", "mm2s_count", "s2mm_src", "s2mm_dst", "s2mm_count")}
        dma_status = {f"{ch}_status": getattr(dma_engine, f"{ch}_status") for ch in CHANNELS}
        csr_values = {
            "mcountinhibit": inhibit, "mcycle": mcycle[:32], "mcycleh": mcycle[32:],
            "minstret": minstret_now[:32], "minstreth": minstret_now[32:], "mhartid": Const(self.hart_id, 32),
            "mm2s_control": Const(0, 32), "s2mm_control": Const(0, 32),
            **dma, **dma_status,
        }
        csr_old = Signal(32)
        old = Const(0, 32)
        for name, value in csr_values.items():
            old = old | Mux(csr_is(name), value, 0)
        m.d.comb += csr_old.eq(old)
        csr_new = Signal(32)
        m.d.comb += csr_new.eq(Mux(is_("csrrw", "csrrwi"), csr_src,
                                   Mux(is_("csrrs", "csrrsi"), csr_old | csr_src, csr_old & ~csr_src)))
        csr_unknown = is_csr & ~known
        csr_read_only = is_csr & csr_writes & read_only
        dma_start = {ch: Signal(name=f"{ch}_start") for ch in CHANNELS}
        # of the channel this instruction starts
        dma_misaligned = dma_outside = dma_off_window = dma_busy = Const(0, 1)
        host_dma = ~running & self.host_dma_we
        host_start = {}
        host_refused = ~host_dma & self.host_dma_we
        for index, ch in enumerate(CHANNELS):
            # CONTROL reads as 0: csrrw/csrrs write (and start with) bit 0 of their source, csrrc writes 0
            m.d.comb += dma_start[ch].eq(is_csr & csr_writes & csr_is(f"{ch}_control")
                                         & ~is_("csrrc", "csrrci") & csr_src[0])
            src, dst, count = (dma[f"{ch}_{k}"] for k in ("src", "dst", "count"))
            ddr_at, vmem_at = (src, dst) if ch == "mm2s" else (dst, src)
            misaligned = (src | dst | count)[:6].any()
            outside = (vmem_at + count) > soc.vmem_bytes                 # 33-bit sums
            off_window = (ddr_at + count) > self.ddr_size
            busy = getattr(dma_engine, f"{ch}_busy")
            dma_misaligned = dma_misaligned | (dma_start[ch] & misaligned)
            dma_outside = dma_outside | (dma_start[ch] & outside)
            dma_off_window = dma_off_window | (dma_start[ch] & off_window)
            dma_busy = dma_busy | (dma_start[ch] & busy)
            wants = host_dma & (self.host_dma_reg == 4 * index + 3) & self.host_dma_wdata[0]
            bad = misaligned | outside | off_window | busy
            host_start[ch] = wants & ~bad
            host_refused = host_refused | (wants & bad)
            # the engine gets AXI addresses: DDR offsets moved into the window
            ddr_address = (ddr_at + self.ddr_base)[:32]
            m.d.comb += [getattr(dma_engine, f"{ch}_src").eq(ddr_address if ch == "mm2s" else src),
                         getattr(dma_engine, f"{ch}_dst").eq(dst if ch == "mm2s" else ddr_address),
                         getattr(dma_engine, f"{ch}_count").eq(count)]

        # ------------------------------------------------------------- X: faults
        def fetch_outside(pc):
            return pc[:2].any() | (pc >= soc.imem_bytes)

        x_fetch_bad = Signal()       # x_pc is no instruction's address (checked in D, registered with x_pc)
        checks = [   # in the simulator's order: the first that holds is the fault
            (x_fetch_bad, Fault.FETCH),
            (dec.illegal, Fault.ILLEGAL),
            (is_load & dmem_misaligned, Fault.LOAD_ALIGN),
            (is_load & dmem_outside, Fault.LOAD_RANGE),
            (is_store & dmem_misaligned, Fault.STORE_ALIGN),
            (is_store & dmem_outside, Fault.STORE_RANGE),
            (wants_redirect & fetch_outside(target), Fault.JUMP),
            (is_vmem & vmem_misaligned, Fault.VMEM_ALIGN),
            (is_vmem & vmem_outside, Fault.VMEM_RANGE),
            (is_llm & llm_any_bad, Fault.LLM),
            (csr_unknown, Fault.CSR),
            (csr_read_only, Fault.CSR_READONLY),
            (dma_misaligned, Fault.DMA_ALIGN),
            (dma_outside, Fault.DMA_RANGE),
            (dma_off_window, Fault.DMA_WINDOW),
            (dma_busy, Fault.DMA_BUSY),
        ]
        # A fault is acted on in W: the conditions are registered (w_faults) and the core halts
        # from there, so no fault check sits in front of X's side effects. X's own writes (memory,
        # CSRs, DMA starts, RNG, redirects) are gated by the few faults each instruction can
        # have; everything of the instruction behind a fault (now in X) is dropped, and register
        # writes in W are gated by the fault.
        faults_x = Signal(len(checks))
        m.d.comb += faults_x.eq(Cat(*[condition for condition, _ in checks]))
        w_faults = Signal(len(checks))
        w_pc = Signal(32)
        w_faulty = Signal()    # w_faults.any(), ORed at the end of X
        m.d.sync += [w_faults.eq(faults_x), w_faulty.eq(faults_x.any()), w_pc.eq(x_pc)]
        m.d.comb += w_faulted.eq(w_valid & w_faulty)
        w_fault_code = Signal(FAULT_BITS)
        for condition, code in reversed(list(zip(w_faults, [code for _, code in checks]))):
            with m.If(condition):
                m.d.comb += w_fault_code.eq(code)
        go = Signal()          # the instruction in X issues (it may still fault, in W)
        fetch_bad = checks[0][0]
        m.d.comb += go.eq(active & ~w_faulted)
        clean = go & ~fetch_bad      # ... and its word is an instruction
        execute = Signal()     # ... and it faults nowhere (the trace only)
        m.d.comb += execute.eq(go & ~faults_x.any())
        # ecall/ebreak wait for both DMA channels to go idle ("draining")
        halt_request = clean & is_("ecall", "ebreak")
        m.d.comb += [self.host_dma_refused.eq(host_refused),
                     self.dma_status.eq(Cat(dma_engine.mm2s_status, dma_engine.s2mm_status))]
        for index, ch in enumerate(CHANNELS):
            starts = clean & dma_start[ch] & ~(dma_misaligned | dma_outside | dma_off_window | dma_busy)
            m.d.comb += getattr(dma_engine, f"{ch}_start").eq(starts | host_start[ch])
            for k, reg in enumerate(("src", "dst", "count")):
                with m.If(host_dma & (self.host_dma_reg == 4 * index + k)):
                    m.d.sync += dma[f"{ch}_{reg}"].eq(self.host_dma_wdata)
        halting = Signal()
        m.d.comb += halting.eq(halt_request | draining | w_faulted)
        stop_now = Signal()
        m.d.comb += stop_now.eq(w_faulted | ((halt_request | draining) & ~dma_engine.busy_after))
        redirect = Signal()
        m.d.comb += redirect.eq(go & wants_redirect)
        m.d.comb += [self.retire.eq(execute), self.retire_pc.eq(x_pc), self.retire_inst.eq(x_inst),
                     rng.advance.eq(clean & valu.draws_rng)]

        # ------------------------------------------------------------- memory ports
        host_word = self.host_addr[2:]
        llm_bits = ceil_log2(soc.llm_bytes_per_lane)
        host_lane = self.host_addr[llm_bits:]
        host_we = ~running & self.host_we
        space = self.host_space
        advance = Signal()
        m.d.comb += advance.eq(running & ~halting & ~(x_valid & hazard))
        m.d.comb += [
            imem_rp.addr.eq(Mux(running, pc_f[2:], host_word)),
            imem_rp.en.eq(~running | advance),
            imem_wp.addr.eq(host_word), imem_wp.data.eq(self.host_wdata),
            imem_wp.en.eq(host_we & (space == HostSpace.IMEM)),
            dmem_rp.addr.eq(Mux(running, addr[2:], host_word)),
        ]
        # VMEM's core port (a URAM port): one address for vloadv/vloadr reads and vstore writes
        vmem_addr = Signal(range(soc.vmem_bytes // soc.vector_bytes))
        m.d.comb += [vmem_rp.addr.eq(vmem_addr), vmem_wp.addr.eq(vmem_addr)]
        store_bytes = Mux(is_("sb"), 0b0001, Mux(is_("sh"), 0b0011, 0b1111))
        with m.If(running):
            m.d.comb += [dmem_wp.addr.eq(addr[2:]), dmem_wp.data.eq(rs2 << Cat(Const(0, 3), addr[:2])),
                         dmem_wp.en.eq(Mux(clean & is_store & ~dmem_misaligned & ~dmem_outside,
                                           store_bytes << addr[:2], 0)),
                         vmem_addr.eq(addr[6:]), vmem_wp.data.eq(vs2),
                         vmem_wp.en.eq(Mux(clean & is_("vstore") & ~vmem_misaligned & ~vmem_outside,
                                           (1 << (vwidth // 32)) - 1, 0))]
            for i in range(lanes):
                la = llm_addr[i]
                m.d.comb += [llm_rp[i].addr.eq(la[2:]), llm_wp[i].addr.eq(la[2:]),
                             llm_wp[i].data.eq(Cat(vs2.word_select(i, 16), vs2.word_select(i, 16))),
                             llm_wp[i].en.eq(Mux(clean & is_("vstorel") & ~llm_any_bad & llm_en[i],
                                                 Mux(la[1], 0b10, 0b01), 0))]
        with m.Else():
            m.d.comb += [dmem_wp.addr.eq(host_word), dmem_wp.data.eq(self.host_wdata),
                         dmem_wp.en.eq(Mux(host_we & (space == HostSpace.DMEM), 0b1111, 0)),
                         vmem_addr.eq(self.host_addr[6:]),
                         vmem_wp.data.eq(self.host_wdata.replicate(vwidth // 32)),
                         vmem_wp.en.eq(Mux(host_we & (space == HostSpace.VMEM),
                                           1 << self.host_addr[2:6], 0))]
            for i in range(lanes):
                m.d.comb += [llm_rp[i].addr.eq(self.host_addr[2:llm_bits]),
                             llm_wp[i].addr.eq(self.host_addr[2:llm_bits]),
                             llm_wp[i].data.eq(self.host_wdata),
                             llm_wp[i].en.eq(Mux(host_we & (space == HostSpace.LLM) & (host_lane == i),
                                                 0b11, 0))]
            m.d.comb += [rng.host_we.eq(host_we & (space == HostSpace.RNG)), rng.host_index.eq(self.host_addr[2:7]),
                         rng.host_data.eq(self.host_wdata)]
            # the host reads v registers through the vd port (vs1 and vs2 keep their addresses)
            m.d.comb += [vr[2].addr.eq(self.host_addr[6:11]),
                         xw.addr.eq(self.host_addr[2:7]), xw.data.eq(self.host_wdata),
                         xw.en.eq(host_we & (space == HostSpace.XREG) & (self.host_addr[2:7] != 0)),
                         vw.addr.eq(self.host_addr[6:11]), vw.data.eq(self.host_wdata.replicate(vwidth // 32)),
                         vw.en.eq(Mux(host_we & (space == HostSpace.VREG), 1 << self.host_addr[2:6], 0))]

        # host read data: sync memories answer next cycle; register the rest to match
        q_space, q_word, q_lane, q_reg = Signal(3), Signal(4), Signal(5), Signal(32)
        m.d.sync += [q_space.eq(space), q_word.eq(self.host_addr[2:6]), q_lane.eq(host_lane)]
        rng_words = Cat(rng.s0, rng.s1)
        with m.Switch(space):
            with m.Case(HostSpace.XREG):
                m.d.sync += q_reg.eq(xr_host.data)
            with m.Case(HostSpace.VREG):
                m.d.sync += q_reg.eq(vr[2].data.word_select(self.host_addr[2:6], 32))
            with m.Case(HostSpace.RNG):
                m.d.sync += q_reg.eq(rng_words.word_select(self.host_addr[2:7], 32))
        llm_word = Signal(32)
        with m.Switch(q_lane):
            for i in range(lanes):
                with m.Case(i):
                    m.d.comb += llm_word.eq(llm_rp[i].data)
        with m.Switch(q_space):
            with m.Case(HostSpace.IMEM):
                m.d.comb += self.host_rdata.eq(imem_rp.data)
            with m.Case(HostSpace.DMEM):
                m.d.comb += self.host_rdata.eq(dmem_rp.data)
            with m.Case(HostSpace.VMEM):
                m.d.comb += self.host_rdata.eq(vmem_rp.data.word_select(q_word, 32))
            with m.Case(HostSpace.LLM):
                m.d.comb += self.host_rdata.eq(llm_word)
            with m.Default():
                m.d.comb += self.host_rdata.eq(q_reg)

        # ------------------------------------------------------------- sequencing
        with m.If(running):
            m.d.sync += self.written.eq(self.written | Cat(
                dmem_wp.en.any(), vmem_wp.en.any() | dma_wp.en.any(), Cat(*[p.en.any() for p in llm_wp]).any()))
        counting = running & (x_valid | issued) & ~w_faulted     # a fault's W cycle is not a cycle
        csr_write = clean & is_csr & csr_writes
        writes_mcycle = csr_write & (csr_is("mcycle") | csr_is("mcycleh"))
        writes_minstret = csr_write & (csr_is("minstret") | csr_is("minstreth"))
        with m.If(counting):
            m.d.sync += cycles.eq(cycles + 1)
            with m.If(~inhibit[0] & ~writes_mcycle):
                m.d.sync += mcycle.eq(mcycle + 1)
        # instructions retire in W (a fault there is known); minstret counts them with the
        # inhibit bit and write of their X cycle (w_counts), and reads see the one in W
        with m.If(w_retiring):
            m.d.sync += retired.eq(retired + 1)
        with m.If(w_retiring & w_counts):
            m.d.sync += minstret.eq(minstret + 1)
        with m.If(running & x_valid):
            m.d.sync += issued.eq(1)

        csr_targets = {**csr_values, "minstret": minstret[:32], "minstreth": minstret[32:]}
        with m.If(csr_write):
            for name, value in csr_targets.items():
                if isa.CSR_ADDRESSES[name] >> 10 == 0b11 or name.endswith("_control"):
                    continue
                with m.If(csr_is(name)):
                    if name == "mcountinhibit":
                        m.d.sync += inhibit.eq(csr_new[:3] & 0b101)
                    else:
                        m.d.sync += value.eq(csr_new)

        # W slot
        m.d.sync += [
            w_valid.eq(go),
            w_halts.eq(is_("ecall", "ebreak")),
            w_counts.eq(~inhibit[2] & ~writes_minstret),
            w_rd.eq(dec.rd),
            w_x_we.eq(dec.writes_x_rd & (dec.rd != 0)),
            w_v_we.eq(dec.writes_v_rd),
            w_x_data.eq(Mux(is_csr, csr_old,
                            Mux(is_("vteq", "vtne", "vtlt", "vtge", "vextract"), valu.xd_out, alu.result))),
            w_v_data.eq(Mux(is_("vloadl"), vdo, valu.vd_out)),
            w_load.eq(Cat(*[dec.rows[row_index(n)] for n in SCALAR_LOADS])),
            w_vmul.eq(is_(*[n for n in MUL_UNIT if n != "mul"])), w_smul.eq(is_("mul")),
            w_count.eq(is_(*BIT_COUNTS)),
            w_off.eq(addr[:2]),
            w_vloadv.eq(is_("vloadv")), w_vloadl.eq(is_("vloadl")),
            w_vloadr0.eq(is_("vloadr0")), w_vloadr1.eq(is_("vloadr1")),
            w_llm_en.eq(llm_en),
            w_llm_hi.eq(Cat(*[a[1] for a in llm_addr])),
        ]

        # bypass and interlock: the register fields of the instruction in D (straight from the
        # word) against the destination of the one in X, registered when both move on (``pair``);
        # which registers the instruction reads is applied in X, from its registered decode
        both_move = go & advance
        x_writes_x = dec.writes_x_rd & (dec.rd != 0)
        x_late_x = x_writes_x & is_(*SCALAR_LOADS, "mul", *BIT_COUNTS)
        x_late_v = dec.writes_v_rd & is_("vloadv", "vloadl", *[n for n in MUL_UNIT if n != "mul"])
        same = {port: getattr(dec_d, port) == dec.rd for port in ("rs1", "rs2", "rd")}
        m.d.sync += [
            pair["fwd_x_rs1"].eq(both_move & x_writes_x & same["rs1"]),
            pair["fwd_x_rs2"].eq(both_move & x_writes_x & same["rs2"]),
            pair["fwd_v_rs1"].eq(both_move & dec.writes_v_rd & same["rs1"]),
            pair["fwd_v_rs2"].eq(both_move & dec.writes_v_rd & same["rs2"]),
            pair["fwd_v_rd"].eq(both_move & dec.writes_v_rd & same["rd"]),
            pair["late_x_rs1"].eq(both_move & x_late_x & same["rs1"]),
            pair["late_x_rs2"].eq(both_move & x_late_x & same["rs2"]),
            pair["late_v_rs1"].eq(both_move & x_late_v & same["rs1"]),
            pair["late_v_rs2"].eq(both_move & x_late_v & same["rs2"]),
            pair["late_v_rd"].eq(both_move & x_late_v & same["rd"]),
            pair["rng_loaded"].eq(both_move & is_("vloadr0", "vloadr1")),
        ]
        decode_latch = dec.latch()      # after the last is_ of a group
        with m.If(advance):
            m.d.sync += [
                x_valid.eq(d_valid & ~redirect), x_pc.eq(d_pc), x_fetch_bad.eq(fetch_outside(d_pc)),
                x_inst.eq(imem_rp.data),
                d_valid.eq(~redirect), d_pc.eq(pc_f),
                pc_f.eq(Mux(redirect, target, pc_f + 4)),
            ]
            m.d.sync += decode_latch
        halt_kind = Mux(is_("ebreak"), Halt.EBREAK, Halt.ECALL)
        with m.If(halt_request):
            m.d.sync += [halt_pc.eq(x_pc), halt_reason.eq(halt_kind)]
        with m.If(halt_request & ~stop_now):
            m.d.sync += draining.eq(1)
        with m.If(w_faulted):
            m.d.sync += [halt_pc.eq(w_pc), fault.eq(w_fault_code)]
        with m.If(stop_now):
            m.d.sync += [running.eq(0), draining.eq(0),
                         status.eq(Mux(w_faulted, Halt.FAULT, Mux(halt_request, halt_kind, halt_reason)))]
        with m.If(self.start):
            m.d.sync += self.written.eq(0)
            m.d.sync += [running.eq(1), status.eq(Halt.RUNNING), fault.eq(0), pc_f.eq(0),
                         d_valid.eq(0), x_valid.eq(0), w_valid.eq(0), issued.eq(0), draining.eq(0),
                         cycles.eq(0), retired.eq(0), *[flag.eq(0) for flag in pair.values()]]
            # CSRs keep their values (timing.md)
        return m
