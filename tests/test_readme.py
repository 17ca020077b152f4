"""The README's example is the first code a user pastes: it must run as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_example_runs_and_reports(capsys):
    blocks = python_blocks(README.read_text())
    assert blocks, "README.md lost its Python example"
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    spikes, cycles = re.fullmatch(r"(\d+) hidden spikes; (\d+) FeNN cycles\n", out).groups()
    result = namespace["result"]
    assert int(spikes) == result["hidden.spikes"].sum() > 0
    assert int(cycles) == result.stats.cycles > 0


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    text = README.read_text()
    assert "make demo" in text and "make test" in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, flags=re.M)
