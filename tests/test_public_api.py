"""Every name the docs use is reachable after a bare ``import fenn``, in a fresh process.

Each check runs in its own interpreter: in this one, other tests have imported modules
already, which is how a missing lazy attribute went unnoticed.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


#: file names that look like dotted names (fenn.bit, fenn.json, ...)
FILE_SUFFIXES = {"bit", "hwh", "bin", "json", "v", "sv", "npz", "nir", "h5", "py", "md", "tcl",
                 "xsa", "xdc", "s", "hex", "log", "txt", "csv"}


def documented_names() -> dict[str, str]:
    """``fenn.a.b`` dotted names written in README.md and docs/*.md -> the file naming it."""
    names = {}
    for path in DOCUMENTS:
        for match in re.finditer(r"(?<![\w./-])fenn(?:\.[A-Za-z_]\w*)+", path.read_text()):
            if match.group(0).rsplit(".", 1)[-1] not in FILE_SUFFIXES:
                names.setdefault(match.group(0), path.name)
    return names


def fresh(code: str):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_every_documented_name_resolves_from_import_fenn():
    names = documented_names()
    assert "fenn.nir.import_nir" in names and "fenn.inputs.read_shd" in names
    missing = fresh(f"""
import json, fenn
missing = []
for name in {sorted(names)!r}:
    value = fenn
    for part in name.split(".")[1:]:
        try:
            value = getattr(value, part)
        except AttributeError as error:
            missing.append(name + ": " + str(error))
            break
print(json.dumps(missing))
""")
    assert not missing, "\n".join(f"{m} (named in {names[m.split(':')[0]]})" for m in missing)


def test_issue_names_and_dir_of_fenn():
    listed = fresh("""
import json, fenn
fenn.nir.import_nir, fenn.program.Program.load, fenn.inputs.read_shd, fenn.compiler.saved.pack
print(json.dumps(dir(fenn)))
""")
    for name in ("Network", "compile", "run", "from_nir", "models", "nir", "program", "inputs",
                 "errors", "compiler", "QuantisationWarning", "FennError", "Program", "sim"):
        assert name in listed, name


def test_import_fenn_and_its_light_modules_load_no_backend():
    loaded = fresh("""
import json, sys, fenn
fenn.nir, fenn.program, fenn.inputs, fenn.errors, dir(fenn)
print(json.dumps([m for m in ("numba", "amaranth", "torch", "cocotb", "h5py") if m in sys.modules]))
""")
    assert loaded == []


def test_unknown_attribute_is_still_an_attribute_error():
    assert fresh("""
import json, fenn
try:
    fenn.no_such_thing
except AttributeError as error:
    print(json.dumps(str(error)))
""") == "module 'fenn' has no attribute 'no_such_thing'"
