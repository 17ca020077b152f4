"""Run programs on the emitted Verilog with cocotb on Icarus Verilog.

``IcarusCore(soc).run(jobs)`` builds (once per configuration and Verilog text, cached
under ``build_dir``) and then simulates a whole batch of programs in one Icarus process,
returning one :class:`fenn.hw.pysim.RtlState` per program.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import tempfile

import numpy as np

from fenn.soc import DEFAULT_SOC, SocConfig

from .core import Fault, Halt
from .lanes import unpack_lanes
from .pysim import Retired, RtlState
from .verilog import TOP_NAME, core_verilog

__all__ = ["IcarusCore", "icarus_available", "DEFAULT_BUILD_ROOT"]

DEFAULT_BUILD_ROOT = pathlib.Path(os.environ.get("FENN_RTL_BUILD", pathlib.Path(tempfile.gettempdir()) / "fenn-rtl"))
TIMESCALE = ("1ns", "1ps")          # Amaranth's Verilog carries none


def icarus_available() -> bool:
    return shutil.which("iverilog") is not None and shutil.which("vvp") is not None


class IcarusCore:
    """One built simulator of ``fenn_core`` for one SocConfig."""

    def __init__(self, soc: SocConfig = DEFAULT_SOC, build_root=DEFAULT_BUILD_ROOT):
        if not icarus_available():
            raise RuntimeError("Icarus Verilog (iverilog, vvp) is not installed; "
                               "install it with: apt-get install iverilog (or run `make tools`)")
        from cocotb_tools.runner import get_runner
        self.soc = soc
        text = core_verilog(soc)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        self.build_dir = pathlib.Path(build_root) / f"{TOP_NAME}-{digest}"
        self.build_dir.mkdir(parents=True, exist_ok=True)
        source = self.build_dir / f"{TOP_NAME}.v"
        if not source.exists() or source.read_text() != text:
            source.write_text(text)
        self.runner = get_runner("icarus")
        self.runner.build(sources=[source], hdl_toplevel=TOP_NAME, build_dir=self.build_dir,
                          timescale=TIMESCALE, always=False,
                          log_file=self.build_dir / "build.log")
        self._batch = 0

    def run(self, jobs: list[dict], max_cycles: int = 1_000_000, trace: bool = False) -> list[RtlState]:
        """Run each job from a core reset; the final states, in order.

        A job is a dict: ``words`` (uint32 text), optional images ``dmem``/``vmem``/``ddr``
        (bytes from address 0), ``llm`` (int16[lanes, n]), and initial registers ``x``
        (uint32[32]), ``v`` (int16[32, lanes]) and RNG state ``s0``/``s1`` (uint16[lanes]).
        """
        soc = self.soc
        self._batch += 1
        work = pathlib.Path(tempfile.mkdtemp(prefix="batch-", dir=self.build_dir))
        manifest = {"soc": soc.to_dict(), "jobs": []}
        for n, job in enumerate(jobs):
            images = {"imem": _bytes(np.asarray(job["words"], dtype=np.uint32), soc.imem_bytes, "imem")}
            for name, size in (("dmem", soc.dmem_bytes), ("vmem", soc.vmem_bytes), ("ddr", soc.ddr_bytes)):
                if job.get(name) is not None:
                    images[name] = _bytes(job[name], size, name)
            if job.get("x") is not None:
                images["xreg"] = np.asarray(job["x"], dtype=np.uint32).view(np.uint8)
            if job.get("v") is not None:
                images["vreg"] = np.asarray(job["v"], dtype=np.int16).view(np.uint8).reshape(-1)
            if job.get("s0") is not None:
                images["rng"] = np.concatenate([np.asarray(job["s0"], dtype=np.uint16),
                                                np.asarray(job["s1"], dtype=np.uint16)]).view(np.uint8)
            if job.get("llm") is not None:
                llm = np.zeros((soc.lanes, soc.llm_bytes_per_lane // 2), dtype=np.int16)
                given = np.asarray(job["llm"], dtype=np.int16)
                llm[:, :given.shape[1]] = given
                images["llm"] = llm.view(np.uint8).reshape(-1)
            np.savez(work / f"in{n}.npz", **images)
            manifest["jobs"].append({"input": str(work / f"in{n}.npz"), "output": str(work / f"out{n}.npz"),
                                     "max_cycles": max_cycles, "trace": trace})
        (work / "jobs.json").write_text(json.dumps(manifest))
        self.runner.test(test_module="fenn.hw.cocotb_bench", hdl_toplevel=TOP_NAME,
                         build_dir=self.build_dir, test_dir=work, timescale=TIMESCALE,
                         extra_env={"FENN_RTL_JOBS": str(work / "jobs.json")},
                         results_xml=str(work / "results.xml"), log_file=work / "sim.log")
        states = []
        for n, job in enumerate(manifest["jobs"]):
            out = pathlib.Path(job["output"])
            if not out.exists():
                log = (work / "sim.log").read_text(errors="replace") if (work / "sim.log").exists() else ""
                tail = log[log.find("Traceback"):][:3000] if "Traceback" in log else log[-3000:]
                raise RuntimeError(f"the RTL simulation did not finish job {n} (log: {work / 'sim.log'}):\n{tail}")
            states.append(_state(np.load(out), soc))
        shutil.rmtree(work, ignore_errors=True)
        return states


def _bytes(image, size: int, name: str) -> np.ndarray:
    raw = np.ascontiguousarray(image).reshape(-1).view(np.uint8)
    if raw.size > size:
        raise ValueError(f"{name} image of {raw.size} bytes does not fit in {size} bytes")
    out = np.zeros(size, dtype=np.uint8)
    out[:raw.size] = raw
    return out


def _state(z, soc: SocConfig) -> RtlState:
    lanes = soc.lanes
    v = z["vreg"].view(np.int16).reshape(32, lanes)
    rng = z["rng"].view(np.uint16)
    return RtlState(
        status=Halt(int(z["status"])), fault=Fault(int(z["fault"])), halt_pc=int(z["halt_pc"]),
        cycles=int(z["cycles"]), instructions=int(z["instructions"]),
        x=z["xreg"].astype(np.uint32), v=v.copy(),
        s0=rng[:lanes].copy(), s1=rng[lanes:].copy(),
        dmem=z["dmem"].view(np.uint8).copy(), vmem=z["vmem"].view(np.uint8).copy(),
        llm=z["llm"].view(np.int16).reshape(lanes, -1).copy(),
        trace=[Retired(int(c), int(pc), 0,
                       (int(xr), int(xd)) if xr >= 0 else None,
                       (int(vr), z["trace_v"][i].copy()) if vr >= 0 else None)
               for i, (c, pc, xr, xd, vr) in enumerate(z["trace"])],
        ddr=z["ddr"].view(np.uint8).copy(),
    )


_ = unpack_lanes
