"""Every ``fenn`` command that reads a file says the same one line when it is missing
(they share fenn.cli.existing_file), and an assembly error names the file for run-asm too."""

import pytest

from fenn import cli


@pytest.mark.parametrize("argv", [
    ["asm", "{missing}"], ["disasm", "{missing}"], ["run-asm", "{missing}"],
    ["compile", "{missing}", "--timesteps", "2"], ["inspect", "{missing}"],
])
def test_a_missing_input_file_is_one_line(tmp_path, capsys, argv):
    missing = tmp_path / "nothing_here.npz"
    assert cli.main([a.format(missing=missing) for a in argv]) == 1
    assert capsys.readouterr().err == f"fenn: error: {missing}: no such file\n"


def test_run_asm_errors_name_the_source_line(tmp_path, capsys):
    source = tmp_path / "bad.s"
    source.write_text("nop\nfrob x1\n")
    assert cli.main(["run-asm", str(source)]) == 1
    assert "bad.s:2:" in capsys.readouterr().err
