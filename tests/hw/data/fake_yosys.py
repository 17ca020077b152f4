#!/usr/bin/env python3
"""A stand-in ``yosys`` binary for the report's CLI tests: answers ``-V`` and runs ``-s SCRIPT``
by writing the statistics and netlist that ``$FAKE_YOSYS_DATA`` (a JSON file) gives, as the real
one would write them for the commands the script names: ``stat`` after a synthesis of the SoC
top gives "flat"; after a synthesis of a block alone (``-top MODULE``), the "blocks" entry whose
key ends MODULE's name (no cells if none does)."""
import json
import os
import pathlib
import re
import sys

if sys.argv[1:] == ["-V"]:
    print("Yosys 0.0+fake (test double)")
    sys.exit(0)
script = pathlib.Path(sys.argv[sys.argv.index("-s") + 1]).read_text()
data = json.loads(pathlib.Path(os.environ["FAKE_YOSYS_DATA"]).read_text())
top = None
for line in script.splitlines():
    words = line.split()
    if words and words[0] in ("read_verilog", "read_rtlil") and not pathlib.Path(words[-1]).is_file():
        print(f"ERROR: Can't open input file `{words[-1]}'")
        sys.exit(1)
    if words[:1] == ["synth_xilinx"]:
        top = re.search(r"-top (\S+)", line).group(1)
    if words[:3] == ["tee", "-q", "-o"] and "stat" in words:
        if top == "fenn_soc":
            stat = data["flat"]["stat"]
        else:
            cells = next((c for key, c in data["blocks"].items() if top.endswith(key)), {})
            stat = {"modules": {f"\\{top}": {"num_cells_by_type": cells}}}
        pathlib.Path(words[3]).write_text(json.dumps(stat))
    if words[:1] == ["write_json"]:
        pathlib.Path(words[1]).write_text(json.dumps(data["flat"]["netlist"]))
