"""The speed benchmark still runs (tiny sizes; the figures themselves are not asserted)."""

import importlib.util
from pathlib import Path


def test_benchmark_script_runs(capsys):
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "iss_speed.py"
    spec = importlib.util.spec_from_file_location("iss_speed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--minstr", "0.05", "--repeats", "1", "--no-network"])
    out = capsys.readouterr().out
    assert "scalar" in out and "vector" in out and out.count("MIPS") == 2
