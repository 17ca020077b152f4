"""Batches of programs on the emitted Verilog, each from a core reset (the parity tests' API).

``RtlBatch(soc).run(jobs)`` runs every job in one live :class:`fenn.hw.session.RtlSession`
(``simulator``, else $FENN_RTL_SIM, else Icarus): a core reset, the job's
images written where they differ from what the memories hold, a run, the final state
read back. It returns one :class:`fenn.hw.pysim.RtlState` per job.
"""

from __future__ import annotations

import numpy as np

from fenn.soc import DEFAULT_SOC, SocConfig

from .pysim import RtlState, padded_image
from .session import DEFAULT_BUILD_ROOT, TIMESCALE, RtlSession, simulator_missing, space_sizes

__all__ = ["RtlBatch", "icarus_available", "verilator_available", "DEFAULT_BUILD_ROOT", "TIMESCALE"]


def icarus_available() -> bool:
    return simulator_missing("icarus") is None


def verilator_available() -> bool:
    return simulator_missing("verilator") is None


class RtlBatch:
    """One live simulator of ``fenn_core`` for one SocConfig, running jobs from a core reset."""

    def __init__(self, soc: SocConfig = DEFAULT_SOC, build_root=None, simulator: str | None = None):
        self.soc = soc
        self.session = RtlSession(soc, simulator=simulator, build_root=build_root)
        self.build_dir = self.session.build_dir
        #: what each space holds now (the emitted Verilog starts every memory at zero)
        self._held = {space: np.zeros(size, dtype=np.uint8) for space, size in space_sizes(soc).items()}

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "RtlBatch":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, jobs: list[dict], max_cycles: int = 1_000_000, trace: bool = False) -> list[RtlState]:
        """Run each job from a core reset; the final states, in order.

        A job is a dict: ``words`` (uint32 text), optional images ``dmem``/``vmem``/``ddr``
        (bytes from address 0), ``llm`` (int16[lanes, n]), and initial registers ``x``
        (uint32[32]), ``v`` (int16[32, lanes]) and RNG state ``s0``/``s1`` (uint16[lanes]);
        ``window``: the DDR window (base, size) for the run (default: the reset one). The
        ``ddr`` image covers the whole modelled DDR, whatever the window.
        """
        return [self._run_one(job, max_cycles, trace) for job in jobs]

    def _run_one(self, job: dict, max_cycles: int, trace: bool) -> RtlState:
        soc, session, held = self.soc, self.session, self._held
        session.set_ddr_window(*job.get("window", soc.ddr_window(0)))
        session.reset()                                  # x, v registers are zero now
        held["xreg"][:] = 0
        held["vreg"][:] = 0
        for space, image in self._images(job).items():
            changed = np.flatnonzero(image != held[space])
            if changed.size:
                lo, hi = int(changed[0]), int(changed[-1]) + 1
                session.write(space, lo, image[lo:hi])
                held[space][:] = image
        if job.get("s0") is not None:
            session.write("rng", 0, np.concatenate([np.asarray(job["s0"], dtype=np.uint16),
                                                    np.asarray(job["s1"], dtype=np.uint16)]))
        result = session.run(max_cycles, trace)
        maybe_written = {"dmem": result.written & 1, "vmem": result.written & 2, "llm": result.written & 4,
                         "xreg": True, "vreg": True, "ddr": True}
        for space, changed in maybe_written.items():
            if changed:
                held[space] = session.read(space, 0, held[space].size)
        rng = session.read("rng", 0, held["rng"].size).view(np.uint16)
        lanes = soc.lanes
        return RtlState(
            status=result.status, fault=result.fault, halt_pc=result.halt_pc,
            cycles=result.cycles, instructions=result.instructions,
            x=held["xreg"].view(np.uint32).copy(), v=held["vreg"].view(np.int16).reshape(32, lanes).copy(),
            s0=rng[:lanes].copy(), s1=rng[lanes:].copy(),
            dmem=held["dmem"].copy(), vmem=held["vmem"].copy(),
            llm=held["llm"].view(np.int16).reshape(lanes, -1).copy(),
            trace=result.trace, ddr=held["ddr"].copy())

    def _images(self, job: dict) -> dict[str, np.ndarray]:
        """Every space's wanted contents as bytes (zero where the job gives nothing)."""
        sizes = space_sizes(self.soc)
        images = {"imem": padded_image(np.asarray(job["words"], dtype=np.uint32), sizes["imem"], "imem")}
        for name in ("dmem", "vmem", "ddr"):
            images[name] = padded_image(job[name] if job.get(name) is not None else np.zeros(0, np.uint8),
                                        sizes[name], name)
        llm = np.zeros((self.soc.lanes, self.soc.llm_bytes_per_lane // 2), dtype=np.int16)
        if job.get("llm") is not None:
            given = np.asarray(job["llm"], dtype=np.int16)
            llm[:, :given.shape[1]] = given
        images["llm"] = llm.view(np.uint8).reshape(-1)
        if job.get("x") is not None:
            images["xreg"] = padded_image(np.asarray(job["x"], dtype=np.uint32), sizes["xreg"], "x")
        if job.get("v") is not None:
            images["vreg"] = padded_image(np.asarray(job["v"], dtype=np.int16), sizes["vreg"], "v")
        return images
