"""fenn.hw.ports is the one list of the SoC top's interfaces: FennSoc has exactly those
ports, per core, and the host apertures and DDR windows of the cores do not overlap."""

import dataclasses

import pytest

from fenn.hw.ports import soc_ports
from fenn.hw.regmap import BY_NAME, register_values
from fenn.hw.soc import FennSoc
from fenn.soc import SocConfig

SOC = SocConfig(imem_bytes=1024, dmem_bytes=1024, vmem_bytes=4096, llm_bytes_per_lane=64, ddr_bytes=65536)


@pytest.mark.parametrize("cores, dma_ports", [(1, 1), (1, 2), (3, 1), (2, 2)])
def test_the_top_has_exactly_the_listed_ports(cores, dma_ports):
    soc = dataclasses.replace(SOC, cores=cores, dma_ports=dma_ports, dma_read_latency=8)
    ports = soc_ports(soc)
    listed = {name for core in ports.cores for name in (core.host, core.halted, *core.dma)}
    assert set(FennSoc(soc).signature.members) == listed
    assert len(ports.dma_masters) == cores * dma_ports == len(set(ports.dma_masters))
    assert ports.cores[0].host == "s_axil" and ports.cores[0].dma[0] == "m_axi" and ports.cores[0].halted == "halted"
    apertures = sorted((c.host_offset, c.host_offset + ports.host_aperture) for c in ports.cores)
    windows = sorted((c.ddr_window[0], sum(c.ddr_window)) for c in ports.cores)
    for spans in (apertures, windows):
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), spans
    # every register of the map lies inside the aperture, and CORES tells a core who it is
    assert all(r.offset < ports.host_aperture for r in BY_NAME.values())
    assert [register_values(soc, c.index)["CORES"] for c in ports.cores] == [cores | i << 8 for i in range(cores)]
