"""NIR graph walking and discretisation (fenn.nir.lower), checked against independent models.

- the per-step rule against a fine-grained integration of the NIR ODEs;
- lower()'s description (matrices multiplied out, delays, biases) executed step by step
  against NIRStepper, which evaluates the NIR nodes themselves;
- every supported node type, nested graphs, recurrent edges, and the errors.
"""

import nir
import numpy as np
import pytest

from fenn.nir import (NIRImportError, SUPPORTED_NODES, UnsupportedNIRNode, decay_factor, lower)

from nir_stepper import NIRStepper

RNG = np.random.default_rng(1234)


def fine_ode(tau, r, v_leak, current, v0, dt, substeps=20000):
    """tau dv/dt = (v_leak - v) + r*I with I held for one step, integrated finely."""
    h = dt / substeps
    v = v0
    for _ in range(substeps):
        v = v + h / tau * ((v_leak - v) + r * current)
    return v


@pytest.mark.parametrize("tau, dt", [(20e-3, 1e-3), (5.0, 1.0), (1e-3, 1e-4)])
def test_exact_rule_is_the_ode_solution_for_a_held_input(tau, dt):
    r, v_leak, current, v0 = 1.7, -0.3, 0.9, 0.4
    a = decay_factor(tau, dt, "exact")
    stepped = a * v0 + (1 - a) * (v_leak + r * current)
    assert stepped == pytest.approx(fine_ode(tau, r, v_leak, current, v0, dt), abs=1e-4)


def test_euler_rule_is_one_forward_euler_step():
    tau, dt, r, v_leak, current, v0 = 10.0, 1.0, 2.0, 0.1, 0.5, 0.3
    a = decay_factor(tau, dt, "euler")
    assert a * v0 + (1 - a) * (v_leak + r * current) == pytest.approx(
        v0 + dt / tau * ((v_leak - v0) + r * current))
    with pytest.raises(NIRImportError, match="forward Euler needs tau >= dt"):
        decay_factor(0.5, 1.0, "euler")


def test_snntorch_convention_maps_to_beta_under_euler():
    # snnTorch exports beta as tau = dt/(1-beta), r = tau/dt at dt = 1e-4
    beta, dt = 0.85, 1e-4
    tau = dt / (1 - beta)
    g = lower(seq(nir.Linear(weight=np.eye(3)),
                  nir.LIF(tau=np.full(3, tau), r=np.full(3, tau / dt), v_leak=np.zeros(3),
                          v_threshold=np.ones(3))), dt, "euler").groups["lif"]
    assert g.alpha == pytest.approx(beta) and g.gain == pytest.approx(1.0)


# --------------------------------------------------------------------------- graph builders

def seq(*nodes, n_in=None):
    return nir.NIRGraph.from_list(*nodes)


def vec(x, n):
    """``x`` for each of ``n`` neurons (an array of n is taken as it is)."""
    return np.broadcast_to(np.asarray(x, dtype=np.float64), (n,)).copy()


def lif(n, tau=0.02, thr=1.0, r=None, v_leak=0.0, reset=0.0):
    return nir.LIF(tau=vec(tau, n), r=vec(r if r is not None else tau / 1e-3, n), v_leak=vec(v_leak, n),
                   v_threshold=vec(thr, n), v_reset=vec(reset, n))


def cuba_lif(n, tau_mem=0.02, tau_syn=0.005, thr=1.0, w_in=5.0):
    return nir.CubaLIF(tau_mem=vec(tau_mem, n), tau_syn=vec(tau_syn, n), r=vec(20.0, n),
                       v_leak=vec(0.0, n), v_threshold=vec(thr, n), v_reset=vec(0.0, n),
                       w_in=vec(w_in, n))


def li(n, tau=0.02, r=20.0, v_leak=0.0):
    return nir.LI(tau=vec(tau, n), r=vec(r, n), v_leak=vec(v_leak, n))


def cuba_li(n, tau_mem=0.02, tau_syn=0.005):
    return nir.CubaLI(tau_mem=vec(tau_mem, n), tau_syn=vec(tau_syn, n), r=vec(20.0, n),
                      v_leak=vec(0.0, n), w_in=vec(5.0, n))


def w(n_out, n_in, scale=1.0):
    return RNG.normal(0.0, scale, (n_out, n_in))


def graphs():
    """Small graphs covering every supported node type."""
    n_in = 6
    out = {}
    out["linear_lif"] = seq(nir.Linear(weight=w(5, n_in, 1.5)), lif(5))
    out["affine_li"] = seq(nir.Affine(weight=w(4, n_in), bias=RNG.normal(0, 1, 4)), li(4))
    out["scale_if"] = seq(nir.Linear(weight=w(5, n_in)), nir.Scale(scale=RNG.uniform(0.5, 2, 5)),
                          nir.IF(r=vec(30.0, 5), v_threshold=vec(1.0, 5), v_reset=vec(0.0, 5)))
    out["flatten_cuba"] = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([2, 3])),
               "flat": nir.Flatten(input_type={"input": np.array([2, 3])}, start_dim=0),
               "fc": nir.Linear(weight=w(4, 6, 3.0)),
               "cuba": cuba_lif(4),
               "output": nir.Output(output_type=np.array([4]))},
        edges=[("input", "flat"), ("flat", "fc"), ("fc", "cuba"), ("cuba", "output")])
    out["delay_cubali"] = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([n_in])),
               "fc1": nir.Linear(weight=w(5, n_in, 2.0)),
               "delay": nir.Delay(delay=np.array([0.0, 1e-3, 2e-3, 2e-3, 5e-3])),
               "lif": lif(5),
               "fc2": nir.Affine(weight=w(3, 5, 2.0), bias=RNG.normal(0, 0.5, 3)),
               "readout": cuba_li(3),
               "output": nir.Output(output_type=np.array([3]))},
        edges=[("input", "fc1"), ("fc1", "delay"), ("delay", "lif"), ("lif", "fc2"),
               ("fc2", "readout"), ("readout", "output")])
    out["recurrent"] = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([n_in])),
               "fc": nir.Affine(weight=w(7, n_in, 1.5), bias=RNG.normal(0.0, 0.05, 7)),
               "lif": lif(7),
               "rec": nir.Linear(weight=w(7, 7, 0.8)),
               "output": nir.Output(output_type=np.array([7]))},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"),
               ("lif", "output")])
    inner = nir.NIRGraph(
        nodes={"in": nir.Input(input_type=np.array([5])),
               "lif": lif(5, tau=0.01),
               "rec": nir.Linear(weight=w(5, 5, 0.7)),
               "out": nir.Output(output_type=np.array([5]))},
        edges=[("in", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")])
    out["nested"] = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([n_in])),
               "fc": nir.Linear(weight=w(5, n_in, 2.0)),
               "sub": inner,
               "fc2": nir.Linear(weight=w(3, 5, 2.0)),
               "readout": li(3),
               "output": nir.Output(output_type=np.array([3]))},
        edges=[("input", "fc"), ("fc", "sub"), ("sub", "fc2"), ("fc2", "readout"),
               ("readout", "output")])
    # Identity is not exported by nir 1.0 (nor serialisable there): in memory only
    out["identity"] = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([n_in])),
               "id": nir.ir.graph.Identity(input_type={"input": np.array([n_in])}),
               "fc": nir.Linear(weight=w(4, n_in, 1.5)),
               "lif": lif(4),
               "output": nir.Output(output_type=np.array([4]))},
        edges=[("input", "id"), ("id", "fc"), ("fc", "lif"), ("lif", "output")])
    # two paths between the same populations, one delayed: the same synapse twice
    out["branches"] = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([n_in])),
               "a": nir.Linear(weight=w(4, n_in, 1.5)),
               "b": nir.Linear(weight=w(4, n_in, 1.5)),
               "delay": nir.Delay(delay=vec(3e-3, 4)),
               "lif": lif(4),
               "output": nir.Output(output_type=np.array([4]))},
        edges=[("input", "a"), ("input", "b"), ("b", "delay"), ("a", "lif"), ("delay", "lif"),
               ("lif", "output")])
    # neuron to neuron with no linear node between: one-to-one synapses of weight 1
    out["direct"] = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([n_in])),
               "fc": nir.Linear(weight=w(4, n_in, 2.0)),
               "a": lif(4, tau=0.005),
               "b": lif(4, tau=0.05, r=1000.0),
               "output": nir.Output(output_type=np.array([4]))},
        edges=[("input", "fc"), ("fc", "a"), ("a", "b"), ("b", "output")])
    # two graph inputs converging on one population
    out["two_inputs"] = nir.NIRGraph(
        nodes={"left": nir.Input(input_type=np.array([3])),
               "right": nir.Input(input_type=np.array([5])),
               "wl": nir.Linear(weight=w(4, 3, 1.5)),
               "wr": nir.Affine(weight=w(4, 5, 1.5), bias=vec(0.02, 4)),
               "lif": lif(4),
               "output": nir.Output(output_type=np.array([4]))},
        edges=[("left", "wl"), ("right", "wr"), ("wl", "lif"), ("wr", "lif"),
               ("lif", "output")])
    # per-neuron time constants, leak levels and biases (snnTorch's per-neuron beta):
    # parameters of the fenn models, exact from step 0
    tau = RNG.uniform(0.005, 0.04, 6)
    out["per_neuron"] = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([n_in])),
               "fc1": nir.Affine(weight=w(6, n_in, 2.0), bias=RNG.uniform(-0.05, 0.1, 6)),
               "lif": nir.LIF(tau=tau, r=tau / 1e-3, v_leak=RNG.uniform(-0.1, 0.1, 6),
                              v_threshold=vec(1.0, 6), v_reset=vec(0.0, 6)),
               "fc2": nir.Affine(weight=w(3, 6, 2.0), bias=RNG.normal(0, 0.3, 3)),
               "readout": nir.CubaLI(tau_mem=RNG.uniform(0.01, 0.03, 3),
                                     tau_syn=RNG.uniform(0.003, 0.008, 3), r=vec(20.0, 3),
                                     v_leak=RNG.uniform(-0.05, 0.05, 3), w_in=vec(5.0, 3)),
               "output": nir.Output(output_type=np.array([3]))},
        edges=[("input", "fc1"), ("fc1", "lif"), ("lif", "fc2"), ("fc2", "readout"),
               ("readout", "output")])
    return out


GRAPHS = graphs()


def run_lowered(L, inputs, T):
    """Execute lower()'s description by its documented per-step rule."""
    spikes = {n: np.zeros((T, g.n), bool) for n, g in L.groups.items()}
    volts = {n: np.zeros((T, g.n)) for n, g in L.groups.items()}
    v = {n: np.zeros(g.n) for n, g in L.groups.items()}
    i = {n: np.zeros(g.n) for n, g in L.groups.items()}
    for t in range(T):
        x = {n: np.zeros(g.n) for n, g in L.groups.items()}
        for p in L.projections:
            for d, weights in p.weights.items():
                arrival = t - d if p.source in L.inputs else t - 1 - d
                if arrival < 0:
                    continue
                s = (inputs if p.source in L.inputs else spikes)[p.source][arrival]
                x[p.target] += s @ weights
        for n, g in L.groups.items():
            for first_step, current in g.late_bias.items():      # biases behind Delays
                if t >= first_step:
                    x[n] += current
        for n, g in L.groups.items():
            if g.alpha_syn is not None:
                i[n] = g.alpha_syn * i[n] + g.syn_gain * x[n] + g.syn_drive
                x[n] = i[n]
            v[n] = g.alpha * v[n] + g.drive + g.gain * x[n]
            if g.spiking:
                spikes[n][t] = v[n] > g.v_threshold
                v[n] = np.where(spikes[n][t], g.v_reset, v[n])
            volts[n][t] = v[n]
    return spikes, volts


def random_inputs(graph, T, p=0.3, seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.random((T, int(np.prod(node.input_type["input"])))) < p
            for name, node in graph.nodes.items() if isinstance(node, nir.Input)}


@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("method", ["exact", "euler"])
def test_lowered_graph_equals_node_by_node_model(name, method):
    graph, T, dt = GRAPHS[name], 40, 1e-3
    inputs = random_inputs(graph, T)
    L = lower(graph, dt, method)
    got_spikes, got_v = run_lowered(L, inputs, T)
    want_spikes, want_v = NIRStepper(graph, dt, method).run(inputs)
    assert set(got_spikes) == set(want_spikes)
    activity = 0
    for n in got_spikes:
        np.testing.assert_allclose(got_v[n], want_v[n], rtol=1e-9, atol=1e-9, err_msg=n)
        assert np.array_equal(got_spikes[n], want_spikes[n]), n
        activity += got_spikes[n].sum() + np.abs(got_v[n]).sum()
    assert activity > 0            # the comparison saw something happen


@pytest.mark.parametrize("name", sorted(set(GRAPHS) - {"identity"}))
def test_graph_survives_a_file_round_trip(name, tmp_path):
    """nir.write -> nir.read -> lower gives the same description as the graph in memory."""
    nir.write(tmp_path / "g.nir", GRAPHS[name])
    a, b = lower(GRAPHS[name], 1e-3), lower(tmp_path / "g.nir", 1e-3)
    assert a.inputs == b.inputs and a.outputs == b.outputs and set(a.groups) == set(b.groups)
    for n, g in a.groups.items():
        for field in ("alpha", "gain", "drive", "v_threshold", "v_reset", "syn_drive"):
            np.testing.assert_array_equal(getattr(g, field), getattr(b.groups[n], field))
    key = lambda p: (p.source, p.target)  # noqa: E731
    assert sorted(map(key, a.projections)) == sorted(map(key, b.projections))
    for p, q in zip(sorted(a.projections, key=key), sorted(b.projections, key=key)):
        assert set(p.weights) == set(q.weights)
        for d in p.weights:
            np.testing.assert_array_equal(p.weights[d], q.weights[d])


def test_delays_become_whole_timesteps_per_synapse():
    L = lower(GRAPHS["delay_cubali"], 1e-3)
    (proj,) = [p for p in L.projections if p.target == "lif"]
    assert sorted(proj.weights) == [0, 1, 2, 5]
    # delay 2 carries the post neurons 2 and 3 only
    assert np.flatnonzero(np.any(proj.weights[2] != 0, axis=0)).tolist() == [2, 3]
    with pytest.raises(NIRImportError, match=r"Delay node 'delay'.*not a whole number of "
                                             r"timesteps of dt=0.0007"):
        lower(GRAPHS["delay_cubali"], 7e-4)


def test_nested_graph_names_and_recurrence():
    L = lower(GRAPHS["nested"], 1e-3)
    assert set(L.groups) == {"sub.lif", "readout"}
    edges = {(p.source, p.target) for p in L.projections}
    assert edges == {("input", "sub.lif"), ("sub.lif", "sub.lif"), ("sub.lif", "readout")}
    assert L.outputs == {"output": ("readout", "v")}


def test_affine_bias_is_a_constant_current():
    L = lower(GRAPHS["affine_li"], 1e-3)
    g = L.groups["li"]
    bias = GRAPHS["affine_li"].nodes["affine"].bias
    np.testing.assert_allclose(g.v_rest, 20.0 * bias)     # v_leak 0, r 20: rests at r*b
    np.testing.assert_allclose(g.drive, (1 - g.alpha) * 20.0 * bias)


# --------------------------------------------------------------------------- errors

def test_unsupported_node_names_node_type_and_supported_set():
    graph = seq(nir.Linear(weight=np.eye(3)), nir.Threshold(threshold=np.ones(3)))
    with pytest.raises(UnsupportedNIRNode) as info:
        lower(graph, 1e-3)
    message = str(info.value)
    assert "'threshold'" in message and "type Threshold" in message
    for kind in SUPPORTED_NODES:
        assert kind in message
    integrator = seq(nir.I(r=np.ones(3)))
    with pytest.raises(UnsupportedNIRNode, match="has type I"):
        lower(integrator, 1e-3)


def test_a_convolution_lowers_to_the_projection_of_its_matrix():
    weight = np.arange(1.0, 7.0).reshape(2, 1, 3)
    conv = nir.Conv1d(input_shape=8, weight=weight, stride=1, padding=0, dilation=1, groups=1,
                      bias=np.zeros(2))
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([1, 8])}), "conv": conv,
               "lif": lif(12), "output": nir.Output(output_type={"output": np.array([12])})},
        edges=[("input", "conv"), ("conv", "lif"), ("lif", "output")], type_check=False)
    low = lower(graph, 1e-3)
    (projection,) = low.projections
    matrix = projection.weights[0]                  # (pre, post) = (8 inputs, 2 x 6 outputs)
    for o in range(2):
        for x in range(6):
            np.testing.assert_array_equal(matrix[x:x + 3, o * 6 + x], weight[o, 0])
    assert np.count_nonzero(matrix) == 2 * 6 * 3


def test_loop_without_a_neuron_is_refused():
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([3])), "a": nir.Linear(weight=np.eye(3)),
               "b": nir.Linear(weight=np.eye(3)), "lif": lif(3),
               "output": nir.Output(output_type=np.array([3]))},
        edges=[("input", "a"), ("a", "b"), ("b", "a"), ("b", "lif"), ("lif", "output")])
    with pytest.raises(NIRImportError, match="loop a -> b -> a has no neuron"):
        lower(graph, 1e-3)


def test_non_spiking_node_cannot_feed_a_population():
    graph = seq(nir.Linear(weight=np.eye(3)), li(3), nir.Linear(weight=np.eye(3)), lif(3))
    with pytest.raises(NIRImportError, match="LI node 'li' feeds 'lif'"):
        lower(graph, 1e-3)


def test_output_after_a_linear_node_is_refused():
    graph = seq(nir.Linear(weight=np.eye(3)), lif(3), nir.Linear(weight=np.eye(3)))
    with pytest.raises(NIRImportError, match="Output 'output' is reached from 'lif' through "
                                             "linear"):
        lower(graph, 1e-3)


def test_bad_dt_and_method():
    with pytest.raises(ValueError, match="dt must be a positive number"):
        lower(GRAPHS["linear_lif"], 0)
    with pytest.raises(ValueError, match="method must be one of"):
        lower(GRAPHS["linear_lif"], 1e-3, method="rk4")


def test_size_mismatch_is_named():
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([3])), "fc": nir.Linear(weight=np.eye(4)),
               "lif": lif(4), "output": nir.Output(output_type=np.array([4]))},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")], type_check=False)
    with pytest.raises(NIRImportError, match="size mismatch on edge 'input' -> 'fc'"):
        lower(graph, 1e-3)


def test_output_with_two_sources_is_refused():
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([3])), "fc": nir.Linear(weight=np.eye(3)),
               "a": lif(3), "b": lif(3), "output": nir.Output(output_type=np.array([3]))},
        edges=[("input", "fc"), ("fc", "a"), ("fc", "b"), ("a", "output"), ("b", "output")])
    with pytest.raises(NIRImportError, match="Output 'output' is fed by both 'a' and 'b'"):
        lower(graph, 1e-3)


def test_scalar_parameters_take_their_size_from_neighbours():
    """snnTorch with a shared (scalar) beta exports shape-() parameters; NIR's own type
    check rejects that graph, but fenn sizes such nodes from the edges around them."""
    scalar = nir.LIF(tau=np.array(0.02), r=np.array(20.0), v_leak=np.array(0.0),
                     v_threshold=np.array(1.0), v_reset=np.array(0.0))
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([6])), "fc": nir.Linear(weight=w(5, 6)),
               "lif": scalar, "scale": nir.Scale(scale=np.array(2.0)),
               "fc2": nir.Linear(weight=w(3, 5)), "li": li(3),
               "output": nir.Output(output_type=np.array([3]))},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "scale"), ("scale", "fc2"),
               ("fc2", "li"), ("li", "output")], type_check=False)
    L = lower(graph, 1e-3)
    assert L.groups["lif"].n == 5 and L.groups["lif"].v_threshold.tolist() == [1.0] * 5
    (proj,) = [p for p in L.projections if p.source == "lif"]
    np.testing.assert_allclose(proj.weights[0], 2.0 * graph.nodes["fc2"].weight.T)


# --------------------------------------------------------------------------- random graphs

from hypothesis import given, settings, strategies as st  # noqa: E402


@st.composite
def random_graphs(draw):
    """Neuron nodes joined by random chains of linear nodes, recurrence and branches
    included; the last node feeds the Output."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    n_in = draw(st.integers(2, 5))
    count = draw(st.integers(1, 3))
    kinds = [draw(st.sampled_from(["LIF", "IF", "CubaLIF"])) for _ in range(count - 1)]
    kinds.append(draw(st.sampled_from(["LIF", "IF", "CubaLIF", "LI", "CubaLI"])))
    sizes = [draw(st.integers(2, 5)) for _ in range(count)]
    nodes = {"input": nir.Input(input_type=np.array([n_in]))}
    for j, (kind, n) in enumerate(zip(kinds, sizes)):
        # per-neuron time constants and leak levels in about half the nodes
        spread = rng.uniform(0.7, 1.3, n) if draw(st.booleans()) else np.ones(n)
        tau = rng.uniform(2e-3, 3e-2) * spread
        common = dict(r=vec(rng.uniform(5, 30), n))
        if kind == "LIF":
            node = nir.LIF(tau=vec(tau, n), v_leak=vec(rng.uniform(-0.2, 0.2), n) * spread,
                           v_threshold=vec(1.0, n), v_reset=vec(rng.uniform(-0.3, 0), n), **common)
        elif kind == "IF":
            node = nir.IF(r=vec(rng.uniform(50, 300), n), v_threshold=vec(1.0, n),
                          v_reset=vec(0.0, n))
        elif kind == "LI":
            node = nir.LI(tau=vec(tau, n), v_leak=vec(0.0, n), **common)
        else:
            extra = dict(v_threshold=vec(1.0, n), v_reset=vec(0.0, n)) if kind == "CubaLIF" else {}
            node = getattr(nir, kind)(tau_mem=vec(tau, n), tau_syn=vec(tau / 3, n),
                                      v_leak=0.05 * (spread - 1), w_in=vec(rng.uniform(1, 4), n),
                                      **common, **extra)
        nodes[f"n{j}"] = node
    edges, chain_id = [], 0

    def chain(src, n_src, dst, n_dst):
        nonlocal chain_id
        ops = []
        if draw(st.booleans()):
            ops.append(("scale", n_src))
        if draw(st.booleans()):
            ops.append(("delay", n_src))
        ops.append(("affine" if draw(st.booleans()) else "linear", n_src))
        if draw(st.booleans()):
            ops.append(("delay", n_dst))
        prev = src
        for kind, n in ops:
            name = f"{kind}{chain_id}"
            chain_id += 1
            if kind == "scale":
                nodes[name] = nir.Scale(scale=rng.uniform(0.5, 2.0, n))
            elif kind == "delay":
                nodes[name] = nir.Delay(delay=rng.integers(0, 4, n) * 1e-3)
            elif kind == "linear":
                nodes[name] = nir.Linear(weight=rng.normal(0, 1.5, (n_dst, n_src)))
            else:
                nodes[name] = nir.Affine(weight=rng.normal(0, 1.5, (n_dst, n_src)),
                                         bias=rng.normal(0, 0.05, n_dst))
            edges.append((prev, name))
            prev = name
        edges.append((prev, dst))

    spiking = [f"n{j}" for j in range(count) if kinds[j] in ("LIF", "IF", "CubaLIF")]
    for j in range(count):
        chain("input" if j == 0 else f"n{j - 1}", n_in if j == 0 else sizes[j - 1],
              f"n{j}", sizes[j])
        extra_sources = draw(st.lists(st.sampled_from(["input"] + spiking), max_size=2,
                                      unique=True))
        for src in extra_sources:                 # branches, skips and recurrent edges
            n_src = n_in if src == "input" else sizes[int(src[1:])]
            chain(src, n_src, f"n{j}", sizes[j])
    nodes["output"] = nir.Output(output_type=np.array([sizes[-1]]))
    edges.append((f"n{count - 1}", "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


@settings(max_examples=30, derandomize=True, deadline=None)
@given(random_graphs(), st.sampled_from(["exact", "euler"]))
def test_random_graphs_lower_like_the_node_by_node_model(graph, method):
    T, dt = 30, 1e-3
    inputs = random_inputs(graph, T, p=0.4, seed=1)
    L = lower(graph, dt, method)
    got_spikes, got_v = run_lowered(L, inputs, T)
    want_spikes, want_v = NIRStepper(graph, dt, method).run(inputs)
    for n in got_spikes:
        np.testing.assert_allclose(got_v[n], want_v[n], rtol=1e-9, atol=1e-9, err_msg=n)
        assert np.array_equal(got_spikes[n], want_spikes[n]), n


def test_output_through_a_subgraph_output_records_the_neuron():
    inner = nir.NIRGraph(
        nodes={"in": nir.Input(input_type=np.array([4])), "lif": lif(4),
               "out": nir.Output(output_type=np.array([4]))},
        edges=[("in", "lif"), ("lif", "out")])
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([3])), "fc": nir.Linear(weight=w(4, 3)),
               "sub": inner, "output": nir.Output(output_type=np.array([4]))},
        edges=[("input", "fc"), ("fc", "sub"), ("sub", "output")])
    assert lower(graph, 1e-3).outputs == {"output": ("sub.lif", "spikes")}
