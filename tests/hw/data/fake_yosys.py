#!/usr/bin/env python3
"""A stand-in ``yosys`` binary for the report's CLI tests: answers ``-V`` and runs ``-s SCRIPT``
by writing the statistics and netlist that ``$FAKE_YOSYS_DATA`` (a JSON file) gives for a flat or a
hierarchical synthesis, as the real one would write them for the commands the script names."""
import json
import os
import pathlib
import sys

if sys.argv[1:] == ["-V"]:
    print("Yosys 0.0+fake (test double)")
    sys.exit(0)
script = pathlib.Path(sys.argv[sys.argv.index("-s") + 1]).read_text()
data = json.loads(pathlib.Path(os.environ["FAKE_YOSYS_DATA"]).read_text())
kind = "flat" if "-flatten" in script else "hierarchy"
print("fake yosys:", kind)
for line in script.splitlines():
    words = line.split()
    if words[:2] == ["read_verilog"] or (words and words[0] == "read_verilog"):
        if not pathlib.Path(words[-1]).is_file():
            print(f"ERROR: Can't open input file `{words[-1]}'")
            sys.exit(1)
    if words[:3] == ["tee", "-q", "-o"] and "stat" in words:
        pathlib.Path(words[3]).write_text(json.dumps(data[kind]["stat"]))
    if words[:1] == ["write_json"]:
        pathlib.Path(words[1]).write_text(json.dumps(data[kind]["netlist"]))
