"""Helpers shared by the simulator tests (a plain module, not a conftest: several test
folders import helpers by module name, and two modules called conftest would collide)."""

import numpy as np
import pytest

from fenn import isa
from fenn.sim import Machine
from fenn.soc import SocConfig

#: a small SoC so that loads (which zero every memory) stay cheap in tight test loops
SMALL = SocConfig(imem_bytes=4096, dmem_bytes=4096, vmem_bytes=65536, ddr_bytes=65536)

ECALL = isa.encode("ecall")


def words(*instructions):
    """Encode (mnemonic, operands...) tuples, in isa table operand order."""
    return [isa.encode(m, *ops) for m, *ops in instructions]


@pytest.fixture(scope="module")
def small_machine():
    return Machine(SMALL)


def run_words(m, instructions, x=None, v=None, dmem=None, vmem=None):
    """Load instructions + ecall, set registers, run, return the status."""
    m.load(words(*instructions) + [ECALL], dmem=dmem, vmem=vmem)
    for reg, value in (x or {}).items():
        m.x[reg] = np.uint32(value & 0xFFFFFFFF)
    for reg, lanes in (v or {}).items():
        m.v[reg] = lanes
    return m.run(max_steps=10_000)
