"""``python -m fenn.boards.measure``: the per-core resource figures the fit check reads.

Writes ``boards/core_resources.json`` from two syntheses (yosys ``synth_xilinx -family xcup``,
native pyosys when installed, from RTLIL):

- the whole default SoC (one core), as ``fenn hw report`` does; or pass an existing
  ``fenn hw report --json FILE`` with ``--soc-report FILE``;
- VMEM alone, with the core's four ports (core read/write, DMA read/write), in every
  (size, style) the boards' default SoCs use: URAM (``ultra``) and block RAM (``block``).

A board whose VMEM differs from the measured SoC's (another size, or block RAM on a device
without URAM) is estimated as the measured SoC minus its VMEM plus the board's VMEM.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import sys

from fenn.soc import DEFAULT_SOC, SocConfig

__all__ = ["DATA_FILE", "vmem_key", "measure_vmem", "measure", "main"]

DATA_FILE = pathlib.Path(__file__).with_name("core_resources.json")


def vmem_key(vmem_bytes: int, style: str) -> str:
    return f"{style}:{vmem_bytes}"


def _vmem_component(soc: SocConfig, style: str):
    """VMEM as the core builds it (hw/memories.py shape, hw/core.py ports), nothing else."""
    from amaranth import Module
    from amaranth.lib import wiring
    from amaranth.lib.memory import Memory
    from amaranth.lib.wiring import In, Out

    width, depth = 8 * soc.vector_bytes, soc.vmem_bytes // soc.vector_bytes
    ports = {}
    for p, granularity in (("core", 32), ("dma", 128)):
        ports.update({f"{p}_addr": In(range(depth)), f"{p}_wdata": In(width),
                      f"{p}_we": In(width // granularity), f"{p}_rdata": Out(width)})

    class Vmem(wiring.Component):
        def __init__(self):
            super().__init__(ports)

        def elaborate(self, platform):
            m = Module()
            m.submodules.vmem = vmem = Memory(shape=width, depth=depth, init=[], attrs={"ram_style": style})
            core_wp, dma_wp = vmem.write_port(granularity=32), vmem.write_port(granularity=128)
            core_rp, dma_rp = vmem.read_port(transparent_for=(dma_wp,)), vmem.read_port()
            for name, wp, rp in (("core", core_wp, core_rp), ("dma", dma_wp, dma_rp)):
                addr = getattr(self, f"{name}_addr")
                m.d.comb += [wp.addr.eq(addr), rp.addr.eq(addr), wp.data.eq(getattr(self, f"{name}_wdata")),
                             wp.en.eq(getattr(self, f"{name}_we")), rp.en.eq(~wp.en.any()),
                             getattr(self, f"{name}_rdata").eq(rp.data)]
            return m

    return Vmem()


def _resources(synthesis) -> dict:
    from fenn.hw.report import categorize
    resources = categorize(synthesis.cells())
    resources.pop("other")
    return resources


def synthesize(component, name: str) -> dict:
    """Resources of an Amaranth ``component`` after yosys ``synth_xilinx -family xcup -flatten``
    (:func:`fenn.hw.synth.synth_component`: RTLIL, native pyosys when installed)."""
    from fenn.hw.synth import synth_component
    return _resources(synth_component(component, name))


def measure_vmem(soc: SocConfig, style: str) -> dict:
    """Resources of VMEM alone for ``soc``'s size, mapped as ``style`` (``ultra`` or ``block``)."""
    return synthesize(_vmem_component(soc, style), "vmem")


def measure(soc_report: dict | None = None) -> dict:
    """Everything the fit check needs, as written to :data:`DATA_FILE`."""
    from fenn.boards import BOARDS
    if soc_report is None:
        from fenn.hw.synth import synth_soc
        synthesis = synth_soc(DEFAULT_SOC, netlist=False)
        soc_report = {"soc_id": DEFAULT_SOC.soc_id, "resources": _resources(synthesis),
                      "source": f"python -m fenn.boards.measure: {synthesis.yosys} synth_xilinx -family xcup -flatten "
                                f"of the default SoC"}
    if soc_report["soc_id"] != DEFAULT_SOC.soc_id:
        raise ValueError(f"the SoC report is for SocConfig 0x{soc_report['soc_id']:08x}, "
                         f"not the default 0x{DEFAULT_SOC.soc_id:08x}: run `fenn hw report --json FILE`")
    wanted = {(DEFAULT_SOC.vmem_bytes, "ultra")} | {(b.soc.vmem_bytes, b.vmem_style) for b in BOARDS.values()}
    vmem = {vmem_key(size, style): measure_vmem(DEFAULT_SOC.__class__(vmem_bytes=size), style)
            for size, style in sorted(wanted)}
    resources = {k: v for k, v in soc_report["resources"].items() if k != "other"}
    return {
        "what": "per-core resources of the default SoC and of VMEM alone, yosys synth_xilinx -family xcup",
        "command": "python -m fenn.boards.measure [--soc-report FILE from `fenn hw report --json FILE`]",
        "date": datetime.date.today().isoformat(),
        "soc_id": soc_report["soc_id"],
        "soc": DEFAULT_SOC.to_dict(),
        "soc_report": soc_report.get("source", "fenn hw report (this run)"),
        "resources": resources,
        "vmem": vmem,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fenn.boards.measure", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--soc-report", metavar="FILE",
                        help="the default SoC's `fenn hw report --json FILE` (else synthesise it here)")
    parser.add_argument("--out", default=str(DATA_FILE), help=f"where to write (default {DATA_FILE})")
    args = parser.parse_args(argv)
    report = json.loads(pathlib.Path(args.soc_report).read_text()) if args.soc_report else None
    data = measure(report)
    pathlib.Path(args.out).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"{args.out}: default SoC 0x{data['soc_id']:08x} {data['resources']}; VMEM {data['vmem']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
