"""Networks that do not fit raise errors naming the memory, the bytes and the remedy."""

import numpy as np
import pytest

import fenn
from fenn.compiler.plan import MemoryPlanError
from fenn.soc import SocConfig


def test_vmem_overflow_names_memory_bytes_and_remedies():
    net = fenn.Network()
    inp = net.input(1000, name="inp")
    pop = net.population(1000, fenn.models.LIF(), name="pop")
    net.connect(inp, pop, weights=np.zeros((1000, 1000)))
    with pytest.raises(MemoryPlanError) as info:
        fenn.compile(net, 10, weights="vmem")
    message = str(info.value)
    assert "VMEM" in message and "524,288" in message
    assert "inp_to_pop.weights 2,048,000 B" in message
    assert "DDR" in message and "sparse" in message
    # the default streams the matrix from DDR instead, and says so
    program = fenn.compile(net, 10)
    assert program.meta["streamed"] == ["inp_to_pop"]
    assert program.dma_schedule[0]["connection"] == "inp_to_pop"


def test_dmem_overflow_from_spike_recordings():
    net = fenn.Network()
    inp = net.input(8, name="inp")
    pop = net.population(2048, fenn.models.LIF(), name="pop")
    net.connect(inp, pop, weights=np.zeros((8, 2048)))
    net.record(pop.spikes)
    with pytest.raises(MemoryPlanError, match=r"DMEM: it needs [\d,]+ bytes but DMEM holds 131,072"):
        fenn.compile(net, 2000)
    # a bigger SoC makes it fit
    program = fenn.compile(net, 2000, soc=SocConfig(dmem_bytes=1 << 20))
    assert program.meta["memory"]["dmem"]["used"] > 131072


def test_input_capacity_error_at_run_time():
    net = fenn.Network()
    inp = net.input(100, name="inp")
    pop = net.population(4, fenn.models.LIF(), name="pop")
    net.connect(inp, pop, weights=np.zeros((100, 4)))
    net.record(pop.spikes)
    program = fenn.compile(net, 10, input_capacity=50)
    with pytest.raises(fenn.runtime.InputError, match="input_capacity"):
        fenn.run(program, {"inp": np.ones((10, 100), bool)})
