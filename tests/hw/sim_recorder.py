"""pytest plugin: record every fresh simulator run of a test session for replay on the RTL.

Loaded with ``-p sim_recorder`` by tests/hw/test_rtl_sim_programs.py around the
simulator's own per-instruction suites. A run is recorded when it is the first run
after a load/reset, starts at pc 0 and the machine is not in strict mode: its whole
starting state (memories, x/v registers, RNG) and its outcome go to one .npz in
$FENN_RECORD_DIR.
"""

import json
import os
import pathlib

import numpy as np

from fenn.errors import MachineFault
from fenn.sim import machine as machine_module

_counter = [0]


def _snapshot(m):
    return {"imem": m.imem.astype(np.uint32), "dmem": m.dmem.copy(), "vmem": m.vmem.copy(),
            "llm": m.llm.copy(), "ddr": m.ddr.copy(), "x": m.x.copy(), "v": m.v.copy(),
            "s0": m.s0.copy(), "s1": m.s1.copy()}


def pytest_configure(config):
    out = os.environ.get("FENN_RECORD_DIR")
    if not out:
        return
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cls = machine_module.Machine
    original_run, original_reset = cls.run, cls.reset

    def reset(self, *args, **kwargs):
        self._fenn_fresh = True
        return original_reset(self, *args, **kwargs)

    def run(self, *args, **kwargs):
        fresh = getattr(self, "_fenn_fresh", False) and kwargs.get("pc", 0) == 0 and not self.strict
        self._fenn_fresh = False
        if not fresh:
            return original_run(self, *args, **kwargs)
        start = _snapshot(self)
        outcome = {"soc": self.soc.to_dict(), "hart_id": self.hart_id,
                   "ddr_window": [int(v) for v in self.ddr_window],
                   "test": os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]}
        error = None
        try:
            status = original_run(self, *args, **kwargs)
        except MachineFault as fault:
            if "budget" in fault.cause:
                raise
            error = fault
            outcome.update(kind="fault", pc=int(fault.pc), cause=fault.cause, code=int(fault.code))
        else:
            outcome.update(kind=status.reason, cycles=status.cycles, instructions=status.instructions)
        end = _snapshot(self)
        _counter[0] += 1
        np.savez_compressed(out / f"run{os.getpid()}_{_counter[0]:05d}.npz",
                            meta=json.dumps(outcome),
                            **{f"start_{k}": v for k, v in start.items()},
                            **{f"end_{k}": v for k, v in end.items()})
        if error is not None:
            raise error
        return status

    cls.reset = reset
    cls.run = run
