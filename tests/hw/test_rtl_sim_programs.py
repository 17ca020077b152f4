"""Parity set 1: every program the simulator's own per-instruction suites run, replayed on
the RTL (cocotb + Icarus) from the same starting state, must end in the same state with
the same cycle count (or fault at the same pc).

The programs are captured by running those suites with the tests/hw/sim_recorder.py
plugin, so new simulator tests join this parity check without being copied here.
"""

import collections
import json
import os
import pathlib
import subprocess
import sys
import types

import numpy as np
import pytest

pytest.importorskip("cocotb_tools")
from fenn.hw.core import Halt  # noqa: E402
from fenn.hw.dma import check_rtl_dma  # noqa: E402
from fenn.hw.batch import RtlBatch, icarus_available  # noqa: E402
from fenn.hw.parity import differences  # noqa: E402
from fenn.soc import SocConfig  # noqa: E402

pytestmark = [pytest.mark.rtl, pytest.mark.slow,
              pytest.mark.skipif(not icarus_available(), reason="Icarus Verilog is not installed (make tools)")]

ROOT = pathlib.Path(__file__).resolve().parents[2]
#: suites whose runs are many and alike (each loads a whole random lane-local memory):
#: replay every k-th run of each of their tests
SAMPLE_EVERY = {"test_sim_vector_model.py": 5}
SIM_SUITES = ["test_sim_scalar.py", "test_sim_timing.py", "test_sim_dma.py", "test_sim_faults.py",
              "test_sim_rng_rounding.py", "test_sim_vector_model.py"]


def rtl_limit(soc: SocConfig) -> str | None:
    """Why the RTL refuses this SoC (its stated limits, fenn.hw.dma.check_rtl_dma), or None."""
    try:
        check_rtl_dma(soc)
    except ValueError as refused:
        return str(refused).split(";")[0]
    return None


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim-runs")
    env = dict(os.environ, FENN_RECORD_DIR=str(out),
               PYTHONPATH=os.pathsep.join([str(ROOT / "tests/hw"), str(ROOT / "tests/sim"),
                                           os.environ.get("PYTHONPATH", "")]))
    suites = [str(ROOT / "tests/sim" / name) for name in SIM_SUITES if (ROOT / "tests/sim" / name).exists()]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "sim_recorder", "-p", "no:cacheprovider",
                             *suites], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    runs = sorted(out.glob("*.npz"))
    assert len(runs) > 200, f"only {len(runs)} simulator runs were recorded"
    return runs


def test_simulator_suite_programs_match_on_the_rtl(recorded):
    by_soc = collections.defaultdict(list)
    skipped = collections.Counter()
    seen = collections.Counter()
    for path in recorded:
        z = np.load(path)
        meta = json.loads(str(z["meta"]))
        soc = SocConfig.from_dict(meta["soc"])
        suite = meta["test"].split("::")[0].split("/")[-1]
        seen[meta["test"]] += 1
        if (seen[meta["test"]] - 1) % SAMPLE_EVERY.get(suite, 1):
            skipped[f"sampled out of {suite}"] += 1
        elif (limit := rtl_limit(soc)) is not None:
            skipped[limit] += 1
        elif meta["hart_id"] != 0:
            skipped["hart_id != 0"] += 1
        elif tuple(meta.get("ddr_window", soc.ddr_window(0))) != soc.ddr_window(0):
            # RtlBatch starts every core in its reset window; moved windows are replayed by
            # test_rtl_parity.py::test_dma_through_a_moved_ddr_window_matches_the_simulator
            skipped["moved DDR window"] += 1
        else:
            by_soc[soc].append((path.name, z, meta))
    print(f"\nsimulator runs: {len(recorded)}; replayed: {sum(map(len, by_soc.values()))}; "
          f"not replayed: {dict(skipped)}")
    # the DMA suite's runs are replayed (all but those whose SoC the RTL refuses)
    dma_runs = [r for runs in by_soc.values() for r in runs if "test_sim_dma.py" in r[2]["test"]]
    assert len(dma_runs) >= 10, (len(dma_runs), dict(skipped))
    failures, compared = [], 0
    for soc, runs in by_soc.items():
        icarus = RtlBatch(soc)
        jobs = [dict(words=z["start_imem"], dmem=z["start_dmem"], vmem=z["start_vmem"], llm=z["start_llm"],
                     ddr=z["start_ddr"], x=z["start_x"], v=z["start_v"], s0=z["start_s0"], s1=z["start_s1"])
                for _, z, _ in runs]
        states = icarus.run(jobs, max_cycles=200_000)
        for (name, z, meta), rtl in zip(runs, states):
            compared += 1
            if meta["kind"] == "fault":
                if rtl.status != Halt.FAULT or rtl.halt_pc != meta["pc"] or rtl.fault != meta["code"]:
                    failures.append(f"{name}: sim faults at pc 0x{meta['pc']:x} ({meta['cause']}); "
                                    f"rtl {rtl.status.name} {rtl.fault.name} at pc 0x{rtl.halt_pc:x}")
                continue
            end = types.SimpleNamespace(**{k: z[f"end_{k}"] for k in ("x", "v", "s0", "s1", "dmem", "vmem", "llm", "ddr")})
            status = types.SimpleNamespace(reason=meta["kind"], cycles=meta["cycles"], instructions=meta["instructions"])
            diff = differences(rtl, end, status)
            if diff:
                failures.append(f"{name}: " + "; ".join(diff[:4]))
    assert not failures, f"{len(failures)} of {compared} runs differ:\n" + "\n".join(failures[:20])
    assert compared > 200, (compared, dict(skipped))
