"""Every Python example in README.md and docs/*.md runs, as written, in a fresh interpreter.

A page's examples run in order in one interpreter (later ones may use earlier names), in
an empty directory. An example that cannot run here (it needs a board, a data set or
names the text only describes) is fenced as ```` ```python illustrative ````; it must still
be valid Python.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python( illustrative)?[ \t]*\n(.*?)^```", re.M | re.S)


def examples(page: Path) -> list[tuple[bool, str]]:
    """(runnable, source) of each Python block of a page, in order."""
    return [(not illustrative, source) for illustrative, source in BLOCK.findall(page.read_text())]


def test_the_examples_are_found():
    found = {page.name: examples(page) for page in PAGES}
    assert found["README.md"][0][0] and "fenn.compile" in found["README.md"][0][1]
    assert sum(runnable for blocks in found.values() for runnable, _ in blocks) >= 5
    fences = sum(page.read_text().count("```python") for page in PAGES)
    assert fences == sum(len(blocks) for blocks in found.values()), "a ```python fence is malformed"


@pytest.mark.parametrize("page", [p for p in PAGES if examples(p)], ids=lambda p: p.name)
def test_the_examples_of_a_page_run(page, tmp_path):
    blocks = examples(page)
    for runnable, source in blocks:
        compile(source, str(page), "exec")                 # illustrative ones too: valid Python
    script = "\n".join(source for runnable, source in blocks if runnable)
    if not script:
        pytest.skip(f"{page.name} has only illustrative examples")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode == 0, (f"{page.name}: its examples fail (fence one as ```python "
                                  f"illustrative if it cannot run here):\n{done.stderr[-3000:]}")
