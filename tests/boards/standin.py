"""Run a generated fenn_build.tcl in a real tclsh with the stand-in Vivado commands."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest

HERE = pathlib.Path(__file__).parent
STANDIN = HERE / "vivado_standin.tcl"
REPORTS = HERE / "data"

TCLSH = shutil.which("tclsh")
needs_tclsh = pytest.mark.skipif(TCLSH is None, reason="tclsh is not installed (apt-get install tcl; make tools does it)")


def standin_env(wns: float = 0.137, timing: str = "timing_summary.rpt") -> dict:
    return {**os.environ, "FENN_STANDIN_WNS": str(wns), "FENN_STANDIN_REPORTS": str(REPORTS),
            "FENN_STANDIN_TIMING": timing}


#: tclsh ARGV: stand-ins, then the script; an error ends it as Vivado's batch mode does
DRIVER = HERE / "vivado_batch.tcl"


def run_script(directory, script: str = "fenn_build.tcl", **env) -> subprocess.CompletedProcess:
    """tclsh: source the stand-ins, then the script (as ``vivado -mode batch -source`` would)."""
    return subprocess.run([TCLSH, str(DRIVER), str(pathlib.Path(directory) / script)], cwd=directory,
                          capture_output=True, text=True, env=standin_env(**env))


def fake_vivado(bin_dir) -> pathlib.Path:
    """A ``vivado`` executable for PATH: ``vivado -mode batch ... -source FILE`` runs FILE in tclsh
    with the stand-ins (so ``fenn build`` runs its real Vivado path)."""
    bin_dir = pathlib.Path(bin_dir)
    bin_dir.mkdir(parents=True, exist_ok=True)
    exe = bin_dir / "vivado"
    exe.write_text("#!/bin/sh\n"
                   "while [ $# -gt 0 ]; do case \"$1\" in -source) script=\"$2\"; shift;; esac; shift; done\n"
                   f"exec {TCLSH} {DRIVER} \"$script\"\n")
    exe.chmod(0o755)
    return exe
