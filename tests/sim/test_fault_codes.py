"""The simulator's fault constants are the shared table of fenn.faults.

The Numba kernel keeps them as literals (its disk cache only notices edits to its own
file), so this test is what holds the two together.
"""

from fenn.faults import CAUSES, Fault
from fenn.sim import kernel


def test_kernel_fault_constants_are_the_shared_codes():
    for code in Fault:
        assert getattr(kernel, f"F_{code.name}") == code, code.name


def test_every_fault_has_a_cause():
    assert set(CAUSES) == set(Fault) - {Fault.NONE}
