"""Logic depth of a netlist mapped by ``synth_xilinx``: the longest register-to-register paths in LUT levels.

A stand-in for static timing where no Vivado runs. The walk reads yosys's JSON netlist of one
flattened module and counts, along every combinational path:

- a LUT (``LUT1``..``LUT6``, ``LUT6_2``) or a LUTRAM read (``RAM32M``, ``RAM64X1D``, ...): 1 level;
- a carry chain (``CARRY4``/``CARRY8``, bit by bit) and a wide-function mux (``MUXF7``..``MUXF9``):
  0 levels (dedicated wiring inside a slice, no routing);
- a ``DSP48E2`` without its output register (``PREG=0``): 4 levels, or 2 behind an ``MREG``;
  its registered inputs end paths and a ``PREG`` starts them.

Paths start at flip-flop outputs, block RAM/URAM outputs, a registered DSP's outputs and the
module's input ports; they end at flip-flop inputs (D, CE, set/reset), block RAM/URAM and
registered DSP inputs, LUTRAM write inputs, and output ports. Start and end are named by the
RTL signals yosys kept (the flip-flop's Q net for a register, ``cell.port`` for a memory).
"""

from __future__ import annotations

import dataclasses
import re

__all__ = ["DepthReport", "Path", "DspPath", "logic_depth", "format_depth", "THRESHOLDS"]

#: levels past which paths are counted
THRESHOLDS = (6, 8, 10)

_LUTS = {"LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", "LUT6_2"}
_WIDE_MUXES = {"MUXF7", "MUXF8", "MUXF9"}
_CARRIES = {"CARRY4", "CARRY8"}
_FLOPS = {"FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE", "FDRE_1", "FDSE_1", "FDCE_1", "FDPE_1"}
_BLOCK_MEMORIES = re.compile(r"^(RAMB\d+E\d|URAM288(_BASE)?|FIFO\d+E\d)$")
_LUTRAMS = re.compile(r"^RAM\d+(X\d+[SDQ]|M\d*)$")
_PASS_THROUGH = {"INV": 0, "BUF": 0}
_IGNORED = {"BUFG", "BUFGCE", "BUFG_GT", "VCC", "GND", "$scopeinfo"}
_CLOCKS = re.compile(r"^(C|CLK|WCLK|CLK[A-Z]*|[A-Z]*CLK[A-Z]*)$")
#: DSP48E2 input ports behind each input-register parameter
_DSP_INPUT_REGISTERS = {
    "AREG": ("A", "ACIN"), "BREG": ("B", "BCIN"), "CREG": ("C",), "DREG": ("D",),
    "INMODEREG": ("INMODE",), "OPMODEREG": ("OPMODE",), "ALUMODEREG": ("ALUMODE",),
    "CARRYINREG": ("CARRYIN",), "CARRYINSELREG": ("CARRYINSEL",),
}
_DSP_REGISTERS = (*_DSP_INPUT_REGISTERS, "ACASCREG", "BCASCREG", "ADREG", "MREG", "PREG")
DSP_LEVELS, DSP_LEVELS_AFTER_MREG = 4, 2


@dataclasses.dataclass(frozen=True)
class Path:
    levels: int
    start: str
    end: str
    #: RTL signals the path passes, in order (the named nets among its LUT outputs)
    through: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class DspPath:
    """The deepest path through one DSP48E2 used without any of its internal registers."""

    dsp: str
    levels: int
    start: str
    end: str
    levels_before: int
    levels_after: int

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class DepthReport:
    longest: Path | None
    #: {N: number of path ends (register input bits) whose deepest path has more than N levels}
    ends_over: dict[int, int]
    #: every DSP48E2 without internal registers, deepest first
    dsp_paths: tuple[DspPath, ...]
    #: path ends by depth: {levels: count}
    histogram: dict[int, int]
    ends: int
    #: cell types the walk does not know (treated as 1 level from every input to every output)
    unknown_cells: dict[str, int] = dataclasses.field(default_factory=dict)
    #: a few more of the deepest paths, each to a different end register
    deepest: tuple[Path, ...] = ()

    def to_dict(self) -> dict:
        return {"longest": self.longest.to_dict() if self.longest else None,
                "ends_over": {str(k): v for k, v in self.ends_over.items()},
                "dsp_paths": [p.to_dict() for p in self.dsp_paths],
                "histogram": {str(k): v for k, v in sorted(self.histogram.items())},
                "ends": self.ends, "unknown_cells": dict(self.unknown_cells),
                "deepest": [p.to_dict() for p in self.deepest]}


def _param_int(value) -> int:
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text, 2) if set(text) <= {"0", "1"} else int(text, 0)


class _Graph:
    """Bits of one module as nodes; ``fanin[bit]`` lists (input bit, levels) of the cell that drives it."""

    def __init__(self, module: dict):
        self.fanin: dict[int, list[tuple[int, int]]] = {}
        self.starts: dict[int, str] = {}             # bit -> name of the start point
        self.ends: list[tuple[int, str, str]] = []   # (bit, end name, owner: the cell or port)
        self.dsps: list[tuple[str, list[int], list[int]]] = []   # unregistered DSPs: (name, inputs, outputs)
        self.unknown: dict[str, int] = {}
        self.names = _bit_names(module)
        for name, port in module.get("ports", {}).items():
            for i, bit in enumerate(port["bits"]):
                if isinstance(bit, int):
                    label = _indexed(name, i, len(port["bits"]))
                    if port["direction"] == "input":
                        self.starts[bit] = f"port {label}"
                    else:
                        self.ends.append((bit, f"port {label}", f"port {name}"))
        for name, cell in module.get("cells", {}).items():
            self._add_cell(name, cell)

    def _add_cell(self, name: str, cell: dict) -> None:
        kind = cell["type"]
        conns = cell["connections"]
        dirs = cell.get("port_directions", {})
        ins = {p: bits for p, bits in conns.items() if dirs.get(p) == "input" and not _CLOCKS.match(p)}
        outs = {p: bits for p, bits in conns.items() if dirs.get(p) == "output"}
        if kind in _IGNORED:
            return
        if kind in _LUTS or kind in _WIDE_MUXES or kind in _PASS_THROUGH:
            levels = 1 if kind in _LUTS else 0
            self._comb(_all(ins), _all(outs), levels)
        elif kind in _CARRIES:
            self._carry(ins, outs)
        elif kind in _FLOPS:
            self._register(name, ins, outs)
        elif kind == "IBUF":          # named by the port on the pad side
            for bit, pad in zip(outs.get("O", ()), conns.get("I", ())):
                self.starts[bit] = f"port {self.names.get(pad, name)}"
        elif kind == "OBUF":
            for bit, pad in zip(ins.get("I", ()), conns.get("O", ())):
                self.ends.append((bit, f"port {self.names.get(pad, name)}", name))
        elif _BLOCK_MEMORIES.match(kind):
            self._register(name, ins, outs, named_by_cell=True)
        elif _LUTRAMS.match(kind):
            reads = [b for p, bits in ins.items() if p.startswith(("ADDR", "A", "DPRA", "RADR")) for b in bits]
            self._comb(reads, _all(outs), 1)
            for port, bits in ins.items():
                for i, bit in enumerate(bits):
                    if isinstance(bit, int):
                        self.ends.append((bit, f"{name}.{_indexed(port, i, len(bits))}", name))
        elif kind == "DSP48E2":
            self._dsp(name, cell, ins, outs)
        else:
            self.unknown[kind] = self.unknown.get(kind, 0) + 1
            self._comb(_all(ins), _all(outs), 1)

    def _comb(self, inputs, outputs, levels: int) -> None:
        edges = [(b, levels) for b in inputs if not isinstance(b, str)]        # str: a constant "0", "1", "x"
        for bit in outputs:
            if not isinstance(bit, str):
                self.fanin.setdefault(bit, []).extend(edges)

    def _carry(self, ins, outs) -> None:
        """Bit i of O and CO depends on the chain's carry in and on S, DI of bits 0..i."""
        carry_in = [b for p in ("CI", "CYINIT", "CI_TOP") for b in ins.get(p, ())]
        width = len(outs.get("O", outs.get("CO", ())))
        for i in range(width):
            below = [*carry_in, *ins.get("S", ())[:i + 1], *ins.get("DI", ())[:i + 1]]
            self._comb(below, [outs[p][i] for p in ("O", "CO") if p in outs], 0)

    def _register(self, name, ins, outs, named_by_cell=False) -> None:
        for port, bits in outs.items():
            for i, bit in enumerate(bits):
                if isinstance(bit, int):
                    self.starts[bit] = f"{name}.{_indexed(port, i, len(bits))}" if named_by_cell \
                        else self.names.get(bit, name)
        q = [b for b in _all(outs) if isinstance(b, int)]
        label = (self.names.get(q[0], name) if q and not named_by_cell else name)
        for port, bits in ins.items():
            for i, bit in enumerate(bits):
                if isinstance(bit, int):
                    end = f"{name}.{_indexed(port, i, len(bits))}" if named_by_cell else label
                    self.ends.append((bit, end, name))

    def _dsp(self, name, cell, ins, outs) -> None:
        """Every input counts as a multiplier input; internal registers end and start paths inside."""
        params = {k: _param_int(v) for k, v in cell.get("parameters", {}).items() if k in _DSP_REGISTERS}
        registered = {p for reg, ports in _DSP_INPUT_REGISTERS.items() if params.get(reg, 0) for p in ports}
        any_register = any(params.values())
        multiplier_inputs = []
        for port, bits in ins.items():
            if port.startswith(("CE", "RST")):
                if any_register:
                    self._ends_at(name, port, bits)
            elif port in registered:
                self._ends_at(name, port, bits)
            else:
                multiplier_inputs.extend(b for b in bits if isinstance(b, int))
        if registered:
            self.starts[(name, "input registers")] = f"{name} (input registers)"
            multiplier_inputs.append((name, "input registers"))
        alu_inputs, alu_levels = multiplier_inputs, DSP_LEVELS
        if params.get("MREG", 0):
            self._internal_register(name, "MREG", multiplier_inputs, DSP_LEVELS - DSP_LEVELS_AFTER_MREG)
            alu_inputs, alu_levels = [(name, "MREG")], DSP_LEVELS_AFTER_MREG
        out_bits = [b for b in _all(outs) if isinstance(b, int)]
        if params.get("PREG", 0):
            self._internal_register(name, "PREG", alu_inputs, alu_levels)
            self._comb([(name, "PREG")], out_bits, 0)
        else:
            self._comb(alu_inputs, out_bits, alu_levels)
        if not any_register:
            self.dsps.append((name, multiplier_inputs, out_bits))

    def _internal_register(self, name, register, inputs, levels) -> None:
        """A register inside a cell: the path ends at its input node and starts again at its output node."""
        self._comb(inputs, [(name, register, "D")], levels)
        self.ends.append(((name, register, "D"), f"{name} ({register})", name))
        self.starts[(name, register)] = f"{name} ({register})"

    def _ends_at(self, name, port, bits) -> None:
        for i, bit in enumerate(bits):
            if isinstance(bit, int):
                self.ends.append((bit, f"{name}.{_indexed(port, i, len(bits))}", name))


def _all(ports: dict) -> list:
    return [b for bits in ports.values() for b in bits]


def _indexed(name: str, i: int, width: int) -> str:
    return f"{name}[{i}]" if width > 1 else name


def _bit_names(module: dict) -> dict[int, str]:
    """The most readable RTL name of each bit: public names first, then the fewest ``$``, then the shortest."""
    best: dict[int, tuple] = {}
    for name, net in module.get("netnames", {}).items():
        bits = net["bits"]
        hidden = net.get("hide_name", 0) or name.startswith("$")
        for i, bit in enumerate(bits):
            if isinstance(bit, int):
                label = _indexed(name.lstrip("\\"), i, len(bits))
                key = (hidden, name.count("$"), len(label), label)
                if bit not in best or key < best[bit]:
                    best[bit] = key
    return {bit: key[3] for bit, key in best.items()}


def _public(graph: _Graph, bit) -> str | None:
    name = graph.names.get(bit) if isinstance(bit, int) else None
    return name if name and "$" not in name else None


def logic_depth(netlist: dict, top: str | None = None, keep: int = 5) -> DepthReport:
    """Walk ``top`` (default: the only or the ``top`` module) of a yosys JSON netlist; see the module doc."""
    modules = netlist["modules"]
    if top is None:
        tops = [n for n, m in modules.items() if _param_int(m.get("attributes", {}).get("top", 0))]
        top = tops[0] if tops else next(iter(modules))
    graph = _Graph(modules[top])
    order = _topological(graph)
    arrival: dict = {}
    parent: dict = {}
    for bit in order:
        best, via = 0, None
        for src, levels in graph.fanin.get(bit, ()):
            candidate = arrival.get(src, 0) + levels
            if via is None or candidate > best:
                best, via = candidate, src
        arrival[bit], parent[bit] = best, via
    ends = [(arrival.get(bit, 0), bit, end, owner) for bit, end, owner in graph.ends]
    histogram: dict[int, int] = {}
    for levels, *_ in ends:
        histogram[levels] = histogram.get(levels, 0) + 1
    over = {n: sum(1 for levels, *_ in ends if levels > n) for n in THRESHOLDS}
    ends.sort(key=lambda e: (-e[0], e[2]))
    deepest, seen = [], set()
    for levels, bit, end, owner in ends:
        signal = end.split("[")[0]                   # one path per register, not per bit
        if signal in seen:
            continue
        seen.add(signal)
        deepest.append(_trace(graph, parent, arrival, bit, end))
        if len(deepest) >= keep:
            break
    return DepthReport(longest=deepest[0] if deepest else None, ends_over=over,
                       dsp_paths=tuple(_dsp_paths(graph, order, arrival, parent)), histogram=histogram,
                       ends=len(ends), unknown_cells=graph.unknown, deepest=tuple(deepest))


def _topological(graph: _Graph) -> list:
    """Every driven bit after the bits it depends on (iterative DFS); a combinational loop raises."""
    order, state = [], {}
    for root in list(graph.fanin):
        if root in state:
            continue
        stack = [(root, iter(graph.fanin.get(root, ())))]
        state[root] = 1
        while stack:
            bit, edges = stack[-1]
            for src, _ in edges:
                if src in graph.starts and src not in graph.fanin:
                    continue
                mark = state.get(src)
                if mark == 1:
                    raise ValueError(f"combinational loop through {graph.names.get(src, src)}")
                if mark is None:
                    state[src] = 1
                    stack.append((src, iter(graph.fanin.get(src, ()))))
                    break
            else:
                stack.pop()
                state[bit] = 2
                order.append(bit)
    return order


def _trace(graph: _Graph, parent, arrival, bit, end: str) -> Path:
    levels = arrival.get(bit, 0)
    through = []
    while parent.get(bit) is not None:
        name = _public(graph, bit)
        if name and (not through or through[-1] != name):
            through.append(name)
        bit = parent[bit]
    start = graph.starts.get(bit) or graph.names.get(bit, str(bit))
    through.reverse()
    return Path(levels=levels, start=start, end=end, through=tuple(n for n in through if n not in (start, end)))


def _dsp_paths(graph: _Graph, order, arrival, parent) -> list[DspPath]:
    if not graph.dsps:
        return []
    fanout: dict = {}
    for bit, edges in graph.fanin.items():
        for src, levels in edges:
            fanout.setdefault(src, []).append((bit, levels))
    end_names = {}
    for bit, end, _ in graph.ends:
        end_names.setdefault(bit, end)
    tail, toward = {}, {}                # levels from a bit to its deepest end, and the end's name
    for bit in reversed(order):
        best, name = (0, end_names[bit]) if bit in end_names else (-1, None)
        for dst, levels in fanout.get(bit, ()):
            if tail.get(dst, -1) >= 0 and tail[dst] + levels > best:
                best, name = tail[dst] + levels, toward[dst]
        tail[bit], toward[bit] = best, name
    out = []
    for name, inputs, outputs in graph.dsps:
        before = max(inputs, key=lambda b: arrival.get(b, 0), default=None)
        after = max(outputs, key=lambda b: tail.get(b, -1), default=None)
        levels_before = arrival.get(before, 0) if before is not None else 0
        levels_after = max(tail.get(after, -1), 0) if after is not None else 0
        start = _trace(graph, parent, arrival, before, "").start if before is not None else "(constant)"
        end = toward.get(after) or "(nothing)"
        out.append(DspPath(dsp=name, levels=levels_before + DSP_LEVELS + levels_after, start=start, end=end,
                           levels_before=levels_before, levels_after=levels_after))
    out.sort(key=lambda p: (-p.levels, p.dsp))
    return out


def format_depth(report, dsp_lines: int = 8) -> str:
    """The logic-depth part of ``fenn hw report``, from a :class:`DepthReport` or its ``to_dict()``."""
    r = report.to_dict() if isinstance(report, DepthReport) else report
    lines = ["Logic depth (LUT levels register to register; carry chains 0, unregistered DSP48E2 4)"]
    p = r["longest"]
    if p is None:
        return "\n".join(lines + ["  no register-to-register paths"])
    lines.append(f"  longest {p['levels']:>3}  {p['start']}  ->  {p['end']}")
    if p["through"]:
        lines.append("           through " + ", ".join(p["through"][:8]) + (" ..." if len(p["through"]) > 8 else ""))
    for q in r["deepest"][1:]:
        lines.append(f"  next    {q['levels']:>3}  {q['start']}  ->  {q['end']}")
    over = ", ".join(f"> {n}: {r['ends_over'][str(n)]}" for n in THRESHOLDS)
    lines.append(f"  path ends (register input bits) deeper than N levels, of {r['ends']}: {over}")
    dsps = r["dsp_paths"]
    lines.append(f"  DSP48E2 without internal registers: {len(dsps) or 'none'}")
    for d in dsps[:dsp_lines]:
        lines.append(f"    {d['levels']:>3} = {d['levels_before']} + {DSP_LEVELS} + {d['levels_after']}  "
                     f"{d['start']}  ->  {d['dsp']}  ->  {d['end']}")
    if len(dsps) > dsp_lines:
        lines.append(f"    ... {len(dsps) - dsp_lines} more (--json lists all)")
    if r["unknown_cells"]:
        lines.append("  cells counted as 1 level (unknown to the walk): "
                     + ", ".join(f"{k} {v}" for k, v in sorted(r["unknown_cells"].items())))
    return "\n".join(lines)
