"""The kernel's CSR map is fenn.isa.CSR_ADDRESSES: the same entries, every one implemented.

The kernel keeps literal copies of the addresses (Numba's cache only sees its own file),
so these tests, and the kernel's import-time check, are what keep the two one fact.
"""

import pytest

from fenn import isa
from fenn.errors import MachineFault
from fenn.sim import kernel as K

from sim_helpers import run_words, small_machine  # noqa: F401 (fixture)

READ_ONLY = {name for name, address in isa.CSR_ADDRESSES.items() if address >> 10 == 0b11}
#: plain read/write registers: what is written reads back
STORAGE = [name for name in isa.CSR_ADDRESSES if name.endswith(("_src", "_dst", "_count"))]


@pytest.mark.parametrize("name, address", sorted(isa.CSR_ADDRESSES.items()))
def test_kernel_constant_equals_table_entry(name, address):
    assert getattr(K, f"CSR_{name.upper()}") == address


def test_kernel_has_no_csr_the_table_lacks():
    assert K.CSRS == isa.CSR_ADDRESSES


def test_kernel_status_bits_equal_table():
    for name in ("idle", "start", "transferring", "last_ok"):
        assert getattr(K, f"STATUS_{name.upper()}") == isa.DMA_STATUS_BITS[name]


def test_import_check_names_a_differing_entry(monkeypatch):
    monkeypatch.setitem(isa.CSR_ADDRESSES, "mhartid", 0xF15)
    with pytest.raises(ImportError, match="mhartid: table 0xf15, kernel 0xf14"):
        K._check_against_isa()
    monkeypatch.setitem(isa.CSR_ADDRESSES, "mscratch", 0x340)
    monkeypatch.setitem(isa.CSR_ADDRESSES, "mhartid", 0xF14)
    with pytest.raises(ImportError, match="mscratch"):
        K._check_against_isa()


def test_exactly_the_table_addresses_are_readable(small_machine):
    """Over the whole 12-bit CSR space: a read succeeds if and only if the table names the address."""
    small_machine.load([isa.encode("ecall")])
    readable = set()
    for address in range(1 << 12):
        try:
            small_machine.csr(address)
            readable.add(address)
        except ValueError:
            pass
    assert readable == set(isa.CSR_ADDRESSES.values())


@pytest.mark.parametrize("name", sorted(isa.CSR_ADDRESSES))
def test_every_table_csr_reads_through_an_instruction(small_machine, name):
    status = run_words(small_machine, [("csrrs", 1, isa.CSR_ADDRESSES[name], 0)])
    assert status.reason == "ecall"


@pytest.mark.parametrize("name", STORAGE)
def test_storage_csrs_read_back_what_was_written(small_machine, name):
    address = isa.CSR_ADDRESSES[name]
    run_words(small_machine, [("csrrw", 0, address, 1), ("csrrs", 2, address, 0)], x={1: 0x1234_5640})
    assert small_machine.x[2] == 0x1234_5640


@pytest.mark.parametrize("name", sorted(READ_ONLY))
def test_read_only_csrs_refuse_writes(small_machine, name):
    with pytest.raises(MachineFault, match="read-only CSR"):
        run_words(small_machine, [("csrrw", 0, isa.CSR_ADDRESSES[name], 0)])


@pytest.mark.parametrize("mnemonic, source, writes", [
    ("csrrw", 0, True), ("csrrs", 0, False), ("csrrc", 0, False),
    ("csrrwi", 0, True), ("csrrsi", 0, False), ("csrrci", 0, False),
    ("csrrs", 1, True), ("csrrc", 1, True), ("csrrsi", 1, True), ("csrrci", 1, True),
])
def test_which_forms_write(small_machine, mnemonic, source, writes):
    """Set/clear with x0 or zimm 0 only read, so they may name a read-only CSR; the rest write."""
    instruction = [(mnemonic, 2, isa.CSR_ADDRESSES["mhartid"], source)]
    if writes:
        with pytest.raises(MachineFault, match="read-only CSR"):
            run_words(small_machine, instruction, x={1: 0})
    else:
        status = run_words(small_machine, instruction, x={2: 99})
        assert status.reason == "ecall" and small_machine.x[2] == 0     # the hart id, 0


def test_counter_halves_read_back_what_was_written_while_inhibited(small_machine):
    names = ["mcycle", "mcycleh", "minstret", "minstreth"]
    values = {"mcycle": 0x8000_0001, "mcycleh": 0x1234, "minstret": 0x7FFF_FFFF, "minstreth": 0x55}
    a = isa.CSR_ADDRESSES
    program = [("csrrwi", 0, a["mcountinhibit"], 0b101)]
    program += [("csrrw", 0, a[n], 10 + k) for k, n in enumerate(names)]
    program += [("csrrs", 20 + k, a[n], 0) for k, n in enumerate(names)]
    run_words(small_machine, program, x={10 + k: values[n] for k, n in enumerate(names)})
    assert [int(small_machine.x[20 + k]) for k in range(4)] == [values[n] for n in names]


def test_a_running_counter_keeps_the_written_high_half(small_machine):
    a = isa.CSR_ADDRESSES
    run_words(small_machine, [("csrrwi", 0, a["mcountinhibit"], 0),        # counting from here
                              ("csrrw", 0, a["mcycleh"], 1), ("csrrw", 0, a["minstreth"], 2),
                              ("csrrs", 3, a["mcycleh"], 0), ("csrrs", 4, a["minstreth"], 0),
                              ("csrrs", 5, a["minstret"], 0)], x={1: 7, 2: 9})
    assert [int(small_machine.x[r]) for r in (3, 4)] == [7, 9]
    # counted: the mcycleh write and the two reads; the minstreth write itself is not (a
    # written counter does not count the writing instruction, docs/timing.md)
    assert int(small_machine.x[5]) == 3
