"""Code.schedule: late results (docs/timing.md) hidden by moving independent instructions,
without changing what a program computes."""

import numpy as np

from fenn.compiler.emit import Code, V, X
from fenn.sim import Machine
from fenn.soc import SocConfig

SOC = SocConfig(imem_bytes=4096, dmem_bytes=4096, vmem_bytes=8192, llm_bytes_per_lane=256)


def _kernel(code: Code):
    """Multiply-unit and load results read right away, with independent work further down."""
    code.li(X(5), 7)
    code.vfill(V(1), X(5))
    code.vfill(V(2), X(5))
    code.vmul(1, V(3), V(1), V(2))          # v3 = 24 (49 >> 1)
    code.vadd(V(4), V(3), V(1))             # reads v3 at once: mul_use
    code.vsrai_rs(2, V(5), V(4))            # draws the RNG
    code.vsub(V(6), V(5), V(2))             # mul_use
    code.vrng(V(7))                         # a second draw: must stay after vsrai_rs
    code.mul(X(6), X(5), X(5))
    code.add(X(7), X(6), X(5))              # mul_use on x6
    code.vloadv(V(8), X(0), 64)
    code.vadd(V(9), V(8), V(8))             # vload_use
    code.vstore(V(9), X(0), 128)
    code.lw(X(8), 0, X(0))                  # a load may not pass a store
    code.addi(X(9), X(0), 3)                # independent: may move up
    code.addi(X(10), X(0), 4)
    code.vlui(V(10), 5)
    code.vlui(V(11), 6)
    code.ecall()


def _run(code: Code, schedule: bool):
    if not schedule:
        code.schedule = lambda: 0
    words = code.assemble().words
    m = Machine(SOC, strict=True)
    vmem = np.arange(SOC.vmem_bytes // 2, dtype=np.int16)
    m.load(words, vmem=vmem.view(np.uint8))
    status = m.run(max_steps=1000)
    return m, status, len(words)


def test_scheduling_hides_late_results_and_keeps_the_results():
    plain, plain_status, plain_words = _run(_kernel_code(), schedule=False)
    tuned, tuned_status, tuned_words = _run(_kernel_code(), schedule=True)
    assert np.array_equal(plain.v, tuned.v) and np.array_equal(plain.x, tuned.x)
    assert np.array_equal(plain.vmem, tuned.vmem) and np.array_equal(plain.dmem, tuned.dmem)
    assert plain_status.stats["stalls"]["mul_use"] == 3
    assert tuned_status.stats["stalls"]["mul_use"] < plain_status.stats["stalls"]["mul_use"]
    assert tuned_words <= plain_words                    # the vload nop may go too
    assert tuned_status.cycles < plain_status.cycles


def test_rng_draws_keep_their_order():
    code = _kernel_code()
    code.assemble()
    draws = [item[1] for item in code.items if item[0] == "ins" and item[1] in ("vsrai_rs", "vrng")]
    assert draws == ["vsrai_rs", "vrng"]
    stores_then_loads = [item[1] for item in code.items if item[0] == "ins" and item[1] in ("vstore", "lw")]
    assert stores_then_loads == ["vstore", "lw"]


def _kernel_code() -> Code:
    code = Code()
    _kernel(code)
    return code
