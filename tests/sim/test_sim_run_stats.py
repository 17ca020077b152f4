"""A run's statistics as the host reads them: retired per mnemonic, in a stable order."""

from fenn.asm import assemble_text
from fenn.sim import Machine
from sim_helpers import SMALL


def test_mnemonics_by_count_then_first_executed_pc():
    m = Machine(SMALL)
    m.load(assemble_text("""
        li   t0, 2
    loop:
        sub  t2, t2, t2
        add  t1, t1, t1
        addi t0, t0, -1
        bnez t0, loop
        ecall
    """).words)
    status = m.run(max_steps=1000)
    stats = status.stats
    # sub, add and bne retire twice each: sub's pc comes first, so it is listed first
    assert list(stats["mnemonics"].items()) == [("addi", 3), ("sub", 2), ("add", 2),
                                                ("bne", 2), ("ecall", 1)]
    assert sum(stats["stalls"].values()) == status.cycles - status.instructions - 1
