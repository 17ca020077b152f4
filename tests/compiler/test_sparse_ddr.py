"""Sparse, sparse + delayed and mixed connections with their rows streamed from DDR
(one transfer per spiking row, double-buffered) equal the reference model bit for bit."""

import numpy as np
import pytest

import fenn
from conftest import assert_bit_exact, poisson, run_both
from fenn.compiler.plan import MemoryPlanError
from fenn.compiler.stream_sparse import sparse_rows
from fenn.models.networks import va_kick, vogels_abbott
from fenn.soc import SocConfig


def _sparse(rng, n_pre, n_post, p, mean=0.3, sd=0.3):
    pre, post = np.nonzero(rng.random((n_pre, n_post)) < p)
    return pre, post, rng.normal(mean, sd, pre.size)


def _mixed(rng):
    net = fenn.Network()
    inp = net.input(70, name="inp")
    a = net.population(90, fenn.models.LIF(tau_mem=10.0, v_thresh=0.8, refractory=1), name="a")
    b = net.population(40, fenn.models.ALIF(tau_mem=15.0, tau_adapt=100.0, beta=0.05), name="b")
    c = net.population(300, fenn.models.LIF(tau_mem=10.0, v_thresh=0.8), name="c")
    pre, post, w = _sparse(rng, 70, 90, 0.2)
    net.connect(inp, a, sparse=(pre, post, w), name="sparse_in")                 # pairs, ring
    pre, post, w = _sparse(rng, 90, 90, 0.1, 0.0, 0.4)
    net.connect(a, a, sparse=(pre, post, w), delays=rng.integers(0, 6, pre.size),
                name="sparse_delayed_rec")                                         # pairs, ring
    net.connect(inp, b, weights=rng.normal(0.1, 0.2, (70, 40)),
                delays=rng.integers(0, 3, (70, 40)), name="dense_delayed")
    net.connect(a, b, weights=rng.normal(0.0, 0.2, (90, 40)), name="dense_into_ring")
    pre, post, _ = _sparse(rng, 70, 300, 0.1)
    net.connect(inp, c, sparse=(pre, post, np.where(pre % 3 == 0, -0.3, 0.4)),
                name="shared")                                                     # one weight per row
    pre, post, w = _sparse(rng, 90, 300, 0.05, 0.1, 0.3)
    net.connect(a, c, sparse=(pre, post, w), name="pairs_direct")                  # no ring
    # duplicate synapses (same pre and target twice, within a lane) must both count
    net.connect(inp, c, sparse=(np.array([0, 0, 5]), np.array([3, 3, 3]), np.array([0.5, 0.5, 0.5])),
                name="duplicates")
    for pop in (a, b, c):
        net.record(pop.spikes)
    return net


@pytest.mark.parametrize("dma_ports", [1, 2])
def test_sparse_delayed_and_mixed_rows_from_ddr_equal_reference(rng, dma_ports):
    net = _mixed(rng)
    inputs = {"inp": poisson(rng, 2, 30, 70, 0.15)}
    program, device, reference = run_both(net, 30, inputs, weights="ddr",
                                          soc=SocConfig(dma_ports=dma_ports))
    layouts = {d["connection"]: d.get("layout") for d in program.dma_schedule}
    assert layouts == {"sparse_in": "pairs", "sparse_delayed_rec": "pairs",
                       "dense_delayed": "pairs", "dense_into_ring": "pairs",
                       "shared": "shared", "pairs_direct": "pairs", "duplicates": "shared"}
    assert_bit_exact(device, reference)
    for pop, least in (("a", 100), ("b", 50), ("c", 100)):
        assert device[f"{pop}.spikes"].sum() > least, pop
    # one transfer per spiking row, of exactly that row's bytes
    expected = 0
    lowered = program.lowered
    for c in lowered.conns:
        post = lowered.pop(c.post)
        region = next(r for r in program.meta["memory_map"] if r["name"] == f"{post.name}.ring")
        slots = max(post.ring_slots, 1)
        rows = sparse_rows(c, post, (region["address"], slots, region["nbytes"] // slots))
        length = 64 * np.diff(rows.offsets.astype(np.int64))
        if c.pre_is_input:
            counts = inputs["inp"].sum(axis=(0, 1))
        else:
            counts = device[f"{c.pre}.spikes"][:, :-1].sum(axis=(0, 1))
        expected += int((counts * length).sum())
    assert device.stats.dma_bytes == expected
    vmem = fenn.run(fenn.compile(net, 30, weights="vmem", soc=SocConfig(dma_ports=dma_ports)),
                    inputs, progress=False)
    assert_bit_exact(device, vmem)


def test_auto_streams_sparse_rows_that_do_not_fit_vmem(rng):
    """A sparse connection too large for VMEM goes to DDR under weights='auto'; the small
    one stays in VMEM; results still equal the reference."""
    net = fenn.Network()
    inp = net.input(200, name="inp")
    pop = net.population(2000, fenn.models.LIF(tau_mem=10.0, v_thresh=0.6), name="pop")
    pre, post, w = _sparse(rng, 200, 2000, 0.3, 0.05, 0.2)
    net.connect(inp, pop, sparse=(pre, post, w), name="big")
    pre, post, w = _sparse(rng, 200, 2000, 0.005, 0.2, 0.1)
    net.connect(inp, pop, sparse=(pre, post, w), delays=rng.integers(0, 3, pre.size), name="small")
    net.record(pop.spikes)
    soc = SocConfig(vmem_bytes=256 * 1024)
    with pytest.raises(MemoryPlanError, match="VMEM"):
        fenn.compile(net, 10, weights="vmem", soc=soc)
    inputs = {"inp": poisson(rng, 1, 10, 200, 0.1)}
    program, device, reference = run_both(net, 10, inputs, soc=soc)
    assert program.meta["streamed"] == ["big"]
    assert_bit_exact(device, reference)
    assert device["pop.spikes"].sum() > 100


def test_rows_in_ddr_layout(rng):
    """Each row is whole loop passes of 64-byte vectors; a lane's synapses keep their order;
    shared rows lead with their weight vector."""
    net = fenn.Network()
    inp = net.input(5, name="inp")
    pop = net.population(100, fenn.models.LIF(), name="pop")
    pre = np.array([0, 0, 0, 2, 2, 4])
    post = np.array([1, 33, 33, 7, 90, 65])
    net.connect(inp, pop, sparse=(pre, post, np.full(6, 0.5)))
    lowered = fenn.compile(net, 2, weights="ddr").lowered
    c, p = lowered.conns[0], lowered.pop("pop")
    rows = sparse_rows(c, p, (0, 1, 8))
    assert rows.shared and rows.direct
    length = np.diff(rows.offsets.astype(np.int64))
    assert (length % 4 == 1).all()             # a weight vector, then a multiple of 4
    row0 = rows.image[rows.offsets[0]:rows.offsets[1]]
    assert (row0[0] == c.sparse[2][0]).all()
    assert row0[1:4, 1].tolist() == [0, 2, 2]       # lane 1: targets 1, 33, 33 (addresses 2 k)
    assert (row0[4:, 1] == -2).all() and (row0[1:, 5] == -2).all()      # padding lanes


@pytest.mark.parametrize("shared", [True, False])
def test_long_rows_take_several_passes(rng, shared):
    """Rows longer than one pass of the unrolled loop (shared: 32 vectors, pairs: 16),
    entered part-way, with and without one weight per row."""
    net = fenn.Network()
    inp = net.input(12, name="inp")
    pop = net.population(2500, fenn.models.IF(v_thresh=50.0), name="pop")
    pre, post = np.nonzero(rng.random((12, 2500)) < 0.6)
    w = np.where(pre % 2, 0.02, -0.03) if shared else rng.normal(0.0, 0.03, pre.size)
    net.connect(inp, pop, sparse=(pre, post, w))
    net.record(pop.v)
    inputs = {"inp": poisson(rng, 1, 4, 12, 0.5)}
    program, device, reference = run_both(net, 4, inputs, weights="ddr")
    assert program.dma_schedule[0]["layout"] == ("shared" if shared else "pairs")
    lowered = program.lowered
    rows = sparse_rows(lowered.conns[0], lowered.pop("pop"), (0, 1, 256))
    assert np.diff(rows.offsets.astype(np.int64)).min() > (33 if shared else 2 * 17)
    assert_bit_exact(device, reference)


@pytest.mark.slow
def test_recurrent_sparse_population_beyond_16k_neurons():
    """A Vogels-Abbott-like network of 17,000 neurons (spike rows past 2 KiB, the LLM ring
    of 1,024 bytes per lane) with its sparse rows in DDR equals the reference."""
    T = 4
    net = vogels_abbott(17_000, connectivity=0.001, rng=np.random.default_rng(3), sparse=True)
    net.record(net.populations[0].spikes)
    program, device, reference = run_both(net, T, {"kick": va_kick(T)}, weights="ddr",
                                          soc=SocConfig(ddr_bytes=1 << 27))
    assert program.meta["streamed"] == ["kick", "recurrent"]
    assert_bit_exact(device, reference)
    assert device["va.spikes"].sum() > 0
