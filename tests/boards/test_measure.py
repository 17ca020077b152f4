"""The VMEM synthesis that the fit check's figures come from (python -m fenn.boards.measure)."""

import pytest

from fenn.boards.measure import measure_vmem
from fenn.soc import SocConfig


@pytest.mark.slow
def test_vmem_maps_to_the_style_asked_and_holds_its_bits():
    soc = SocConfig(vmem_bytes=32 * 1024)
    bits = 8 * soc.vmem_bytes
    ultra, block = measure_vmem(soc, "ultra"), measure_vmem(soc, "block")
    assert ultra["BRAM36"] == 0 and ultra["URAM"] * 288 * 1024 >= bits
    assert block["URAM"] == 0 and block["BRAM36"] * 36 * 1024 >= bits
