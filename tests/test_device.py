"""Host accesses outside a memory are refused with the memory, address and size named."""

import numpy as np
import pytest

from fenn.device import check_range, open_device
from fenn.soc import SocConfig


def test_check_range_accepts_the_last_byte_and_refuses_one_more():
    check_range("read", "dmem", 96, 4, 100)
    with pytest.raises(ValueError, match=r"read of 5 bytes at dmem 0x60 is outside dmem \(100 bytes\)"):
        check_range("read", "dmem", 96, 5, 100)
    with pytest.raises(ValueError, match="write of 1 bytes at vmem"):
        check_range("write", "vmem", -1, 1, 100)


def test_sim_device_refuses_out_of_range_host_access():
    soc = SocConfig(dmem_bytes=1024)
    device = open_device("sim", soc=soc)
    with pytest.raises(ValueError, match="write of 8 bytes at dmem 0x3fc is outside dmem"):
        device.write("dmem", 1020, np.zeros(2, np.uint32))
    with pytest.raises(ValueError, match="read of 4 bytes at dmem 0x400 is outside"):
        device.read("dmem", 1024, 4)
