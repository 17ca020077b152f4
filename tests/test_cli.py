"""The ``fenn`` command: asm and disasm round trip, help, one-line errors."""

import subprocess
import sys

import pytest

from fenn import cli
from fenn.asm import assemble_text
from fenn.asm.demo import SOURCE as DEMO_SOURCE


def test_asm_then_disasm_round_trips(tmp_path, capsys):
    source = tmp_path / "demo.s"
    source.write_text(DEMO_SOURCE)
    assert cli.main(["asm", str(source), "-o", str(tmp_path / "out.bin")]) == 0
    assert "words" in capsys.readouterr().err
    data = (tmp_path / "out.bin").read_bytes()
    assert data == assemble_text(DEMO_SOURCE).to_bytes()
    assert cli.main(["disasm", str(tmp_path / "out.bin")]) == 0
    listing = capsys.readouterr().out
    assert "vsrai_rn 4, v4, v1" in listing
    assert assemble_text(listing).to_bytes() == data
    assert cli.main(["disasm", "--plain", str(tmp_path / "out.bin")]) == 0
    plain = capsys.readouterr().out
    assert plain.splitlines()[0] == "csrrwi x0, mcountinhibit, 0"
    assert assemble_text(plain).to_bytes() == data


def test_default_output_name_hex_format_and_listing(tmp_path, capsys):
    source = tmp_path / "p.s"
    source.write_text("loop: addi x1, x1, -1\nbnez x1, loop\n")
    assert cli.main(["asm", str(source), "--listing"]) == 0
    assert (tmp_path / "p.bin").read_bytes() == bytes.fromhex("9380f0ffe39e00fe")
    assert "loop:" in capsys.readouterr().out
    assert cli.main(["asm", str(source), "-o", str(tmp_path / "p.hex")]) == 0
    assert (tmp_path / "p.hex").read_text() == "fff08093\nfe009ee3\n"
    capsys.readouterr()
    assert cli.main(["disasm", str(tmp_path / "p.hex")]) == 0
    assert "bne x1, x0, .-4" in capsys.readouterr().out


def test_disasm_of_a_program_npz_shows_its_labels(tmp_path, capsys):
    from fenn.program import Program
    from fenn.soc import DEFAULT_SOC
    result = assemble_text("start: nop\nj start\n")
    Program(text=result.words, soc=DEFAULT_SOC, symbols=result.symbols).save(tmp_path / "p.npz")
    assert cli.main(["disasm", str(tmp_path / "p.npz")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("start:\n") and "-> start" in out


@pytest.mark.parametrize("argv, content, message", [
    (["asm", "{tmp}/missing.s"], None, "missing.s: no such file"),
    (["asm", "{tmp}/bad.s"], "nop\naddi x1, x2\n", "bad.s:2: addi x1, x2: addi takes 3 operands (rd, rs1, imm), got 2"),
    (["disasm", "{tmp}/bad.bin"], b"\x01\x02\x03", "3 bytes is not a whole number of 32-bit words"),
    (["disasm", "{tmp}/bad.hex"], "zz\n", "bad.hex:1: expected one hexadecimal word per line, got 'zz'"),
])
def test_errors_are_one_line_with_status_1(tmp_path, capsys, argv, content, message):
    argv = [a.format(tmp=tmp_path) for a in argv]
    if content is not None:
        path = tmp_path / argv[-1].rsplit("/", 1)[-1]
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("fenn: error: ") and message in err and err.count("\n") == 1


def test_console_script_help_and_no_traceback(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "fenn.cli", *a], capture_output=True, text=True)
    helped = run("--help")
    assert helped.returncode == 0
    assert "fenn asm prog.s -o prog.bin" in helped.stdout and "disasm" in helped.stdout
    assert "raw little-endian" in run("asm", "--help").stdout
    (tmp_path / "e.s").write_text("frob x1\n")
    failed = run("asm", str(tmp_path / "e.s"))
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "unknown mnemonic 'frob'" in failed.stderr


def test_unavailable_subcommand_module_reports_why(monkeypatch, capsys):
    monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", ["fenn.no_such_module_for_test"])
    assert "(unavailable" in cli.build_parser().format_help()
    assert cli.main(["no-such-module-for-test"]) == 1
    assert "no-such-module-for-test is unavailable" in capsys.readouterr().err


def test_demo_runs_and_reports_identical_bytes(capsys):
    from fenn.asm import demo
    assert demo.main() == 0
    assert "reassembles to identical bytes: yes" in capsys.readouterr().out
