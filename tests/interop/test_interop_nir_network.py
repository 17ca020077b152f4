"""fenn.from_nir: the imported fenn.Network, run by fenn's float64 model, against the
independent node-by-node NIR model (NIRStepper)."""

import nir
import numpy as np
import pytest

import fenn.nir as fnir
from fenn.floatmodel import simulate_float
from fenn.nir import NIRImportError, from_nir, import_nir

from nir_stepper import NIRStepper
from test_interop_nir_lowering import GRAPHS, lif, random_inputs, seq, vec, w

T = 40
DT = 1e-3


def run_imported(imp, inputs, record_all=True):
    net = imp.network
    if record_all:
        recorded = {r.key for r in net.recordings}
        for nir_name, fenn_name in imp.names.items():
            group = net.group(fenn_name)
            if nir_name in imp.lowered.groups:
                for target in ((group.spikes,) if group.model.spiking else ()) + (group.v,):
                    if target.key not in recorded:
                        net.record(target)
    batch = {imp.names[k]: v[None] for k, v in inputs.items()}
    return {k: v[0] for k, v in simulate_float(net, batch, T).items()}


@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("method", ["exact", "euler"])
def test_float_model_of_imported_network_equals_nir_model(name, method):
    graph = GRAPHS[name]
    inputs = random_inputs(graph, T, seed=3)
    imp = import_nir(graph, DT, method=method)
    got = run_imported(imp, inputs)
    # exact from step 0: per-neuron biases and leak levels are model parameters
    want_spikes, want_v = NIRStepper(graph, DT, method).run(inputs)
    for nir_name, group in imp.lowered.groups.items():
        key = imp.names[nir_name]
        k = imp.voltage_scales[nir_name]
        np.testing.assert_allclose(got[f"{key}.v"], k * want_v[nir_name],
                                   rtol=1e-9, atol=1e-9, err_msg=nir_name)
        if group.spiking:
            assert np.array_equal(got[f"{key}.spikes"], want_spikes[nir_name]), nir_name
    # every NIR Output is recorded under the key import_nir reports
    for out, key in imp.outputs.items():
        assert key in got


def test_from_nir_returns_the_network_and_records_outputs():
    net = from_nir(GRAPHS["delay_cubali"], DT)
    assert [r.key for r in net.recordings] == ["readout.v"]
    assert net.dt == pytest.approx(1.0)                 # seconds -> fenn's milliseconds
    assert {p.name for p in net.populations} >= {"lif", "readout"}
    net_ms = from_nir(GRAPHS["recurrent"], DT, time_unit="ms")   # graph read as milliseconds
    assert net_ms.dt == DT
    with pytest.raises(ValueError, match="time_unit must be 's' or 'ms'"):
        from_nir(GRAPHS["recurrent"], DT, time_unit="us")


def test_path_input(tmp_path):
    nir.write(tmp_path / "g.nir", GRAPHS["recurrent"])
    imp = import_nir(tmp_path / "g.nir", DT)
    assert imp.outputs == {"output": "lif.spikes"}


def test_per_neuron_thresholds_are_normalised():
    n = 5
    thresholds = np.linspace(0.5, 1.5, n)
    node = nir.LIF(tau=vec(0.02, n), r=vec(20.0, n), v_leak=np.linspace(-0.2, 0.2, n),
                   v_threshold=thresholds, v_reset=-0.2 * thresholds)
    graph = seq(nir.Linear(weight=w(n, 6, 1.5)), node)
    inputs = random_inputs(graph, T, seed=5)
    imp = import_nir(graph, DT)
    model = imp.network.group("lif").model
    assert (model.v_thresh, model.v_reset) == (1.0, pytest.approx(-0.2))
    assert imp.clock is None              # differing leak voltages: a per-neuron parameter
    assert isinstance(model.drive, np.ndarray)
    got = run_imported(imp, inputs)
    want_spikes, want_v = NIRStepper(graph, DT).run(inputs)
    np.testing.assert_allclose(got["lif.v"], want_v["lif"] / thresholds, atol=1e-9)
    assert np.array_equal(got["lif.spikes"], want_spikes["lif"])
    assert want_spikes["lif"].sum() > 0


def test_thresholds_and_resets_without_a_common_ratio_are_per_neuron_parameters():
    """Resets not proportional to thresholds (and a non-positive threshold) cannot be
    normalised to threshold 1: they become per-neuron parameters, voltage scale 1."""
    n = 4
    node = nir.LIF(tau=vec(0.02, n), r=vec(20.0, n), v_leak=vec(0.0, n),
                   v_threshold=np.array([1.0, 2.0, 0.5, -0.2]), v_reset=np.array([0.5, 0.5, 0.0, -1.0]))
    graph = seq(nir.Linear(weight=w(n, 6, 1.5)), node)
    imp = import_nir(graph, DT)
    model = imp.network.group("lif").model
    assert isinstance(model.v_thresh, np.ndarray) and isinstance(model.v_reset, np.ndarray)
    assert np.all(imp.voltage_scales["lif"] == 1.0)
    inputs = random_inputs(graph, T, seed=5)
    got = run_imported(imp, inputs)
    want_spikes, want_v = NIRStepper(graph, DT).run(inputs)
    np.testing.assert_allclose(got["lif.v"], want_v["lif"], atol=1e-9)
    assert np.array_equal(got["lif.spikes"], want_spikes["lif"])
    assert want_spikes["lif"][:, :3].sum() > 0


def test_uniform_bias_needs_no_clock_and_is_exact_from_step_zero():
    graph = seq(nir.Affine(weight=w(4, 6), bias=vec(0.03, 4)), lif(4))
    imp = import_nir(graph, DT)
    assert imp.clock is None
    inputs = random_inputs(graph, T, seed=2)
    got = run_imported(imp, inputs)
    want_spikes, want_v = NIRStepper(graph, DT).run(inputs)
    np.testing.assert_allclose(got["lif.v"], want_v["lif"], atol=1e-9)


def test_per_neuron_time_constants_and_biases_are_exact_from_step_zero():
    """Per-neuron tau (LIF and CubaLIF) and per-neuron biases: parameters of the models,
    no bias clock, and the float model equals the NIR model from step 0."""
    rng = np.random.default_rng(8)
    n, m = 6, 4
    hidden = nir.LIF(tau=rng.uniform(0.005, 0.05, n), r=rng.uniform(5, 20, n),
                     v_leak=rng.uniform(-0.1, 0.1, n), v_threshold=vec(1.0, n), v_reset=vec(0.0, n))
    cuba = nir.CubaLIF(tau_mem=rng.uniform(0.01, 0.04, m), tau_syn=rng.uniform(0.002, 0.01, m),
                       r=vec(10.0, m), w_in=vec(1.0, m), v_leak=rng.uniform(-0.05, 0.05, m),
                       v_threshold=vec(0.5, m), v_reset=vec(0.0, m))
    graph = seq(nir.Affine(weight=w(n, 6, 1.5), bias=rng.uniform(-0.05, 0.1, n)), hidden,
                nir.Affine(weight=w(m, n, 2.0), bias=rng.uniform(0.0, 0.05, m)), cuba)
    inputs = random_inputs(graph, T, seed=9)
    for method in ("exact", "euler"):
        imp = import_nir(graph, DT, method=method)
        assert imp.clock is None
        model_h = imp.network.group(imp.names["lif"]).model
        assert isinstance(model_h.alpha, np.ndarray) and isinstance(model_h.drive, np.ndarray)
        got = run_imported(imp, inputs)
        want_spikes, want_v = NIRStepper(graph, DT, method).run(inputs)
        for nir_name, group in imp.lowered.groups.items():
            key = imp.names[nir_name]
            np.testing.assert_allclose(got[f"{key}.v"], want_v[nir_name], rtol=1e-9, atol=1e-9,
                                       err_msg=f"{nir_name} {method}")
            assert np.array_equal(got[f"{key}.spikes"], want_spikes[nir_name]), nir_name
        # the biases act in step 0 already (a graph without them differs there)
        assert np.any(np.abs(got[f"{imp.names['lif']}.v"][0]) > 1e-3)
        assert sum(want_spikes[k].sum() for k in want_spikes) > 5


def test_names_become_identifiers():
    imp = import_nir(GRAPHS["nested"], DT)
    assert imp.names["sub.lif"] == "sub_lif"
    snn_style = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([3])), "0": nir.Linear(weight=np.eye(3)),
               "1": lif(3), "output": nir.Output(output_type=np.array([3]))},
        edges=[("input", "0"), ("0", "1"), ("1", "output")])
    assert import_nir(snn_style, DT).outputs == {"output": "n1.spikes"}


def test_same_synapse_under_two_delays_becomes_two_connections():
    imp = import_nir(GRAPHS["branches"], DT)
    conns = [c for c in imp.network.connections if c.post.name == "lif"]
    assert len(conns) == 2 and sorted(c.max_delay for c in conns) == [0, 3]


def test_fenn_nir_is_listed_as_supported_in_errors():
    assert "CubaLIF" in fnir.SUPPORTED_NODES and "NIRGraph" in fnir.SUPPORTED_NODES


from hypothesis import given, settings, strategies as st  # noqa: E402

from test_interop_nir_lowering import random_graphs  # noqa: E402


@settings(max_examples=30, derandomize=True, deadline=None)
@given(random_graphs(), st.sampled_from(["exact", "euler"]))
def test_random_graphs_import_like_the_node_by_node_model(graph, method):
    """Random chains of linear nodes, branches, recurrence, delayed biases: the fenn
    network's float run equals the NIR model from step 0."""
    inputs = random_inputs(graph, T, p=0.4, seed=1)
    imp = import_nir(graph, DT, method=method)
    got = run_imported(imp, inputs)
    want_spikes, want_v = NIRStepper(graph, DT, method).run(inputs)
    for nir_name, group in imp.lowered.groups.items():
        key = imp.names[nir_name]
        np.testing.assert_allclose(got[f"{key}.v"], imp.voltage_scales[nir_name] *
                                   want_v[nir_name], rtol=1e-9, atol=1e-9, err_msg=nir_name)
        if group.spiking:
            assert np.array_equal(got[f"{key}.spikes"], want_spikes[nir_name]), nir_name


def test_inputs_and_outputs_by_nir_name():
    graph = seq(nir.Linear(weight=w(3, 6, 1.5)),
                nir.LIF(tau=vec(0.02, 3), r=vec(20.0, 3), v_leak=vec(0.0, 3),
                        v_threshold=np.array([0.5, 1.0, 2.0]), v_reset=vec(0.0, 3)))
    graph.nodes["lif"].v_reset = np.zeros(3)
    imp = import_nir(graph, DT)
    x = random_inputs(graph, T, seed=4)
    assert set(imp.inputs(x)) == {"input"}
    with pytest.raises(KeyError, match="are not Input nodes"):
        imp.inputs({"nope": x["input"]})
    imp.network.record(imp.network.group("lif").v)
    result = {k: v[0] for k, v in simulate_float(imp.network, {"input": x["input"][None]},
                                                 T).items()}
    outs = imp.outputs_of(result)
    want_spikes, want_v = NIRStepper(graph, DT).run(x)
    assert np.array_equal(outs["output"], want_spikes["lif"])
    # a recording of v comes back in NIR units through the voltage scale
    np.testing.assert_allclose(result["lif.v"] / imp.voltage_scales["lif"], want_v["lif"],
                               atol=1e-9)


def test_readout_output_by_nir_name():
    graph = GRAPHS["nested"]
    imp = import_nir(graph, DT)
    x = random_inputs(graph, T, seed=6)
    batch = {k: v[None] for k, v in imp.inputs(x).items()}
    outs = imp.outputs_of({k: v[0] for k, v in simulate_float(imp.network, batch, T).items()})
    want_spikes, want_v = NIRStepper(graph, DT).run(x)
    np.testing.assert_allclose(outs["output"], want_v["readout"], atol=1e-9)
    assert np.abs(outs["output"]).max() > 0.1


def test_real_valued_inputs_import_as_currents():
    """currents= makes a NIR Input real-valued: the float model equals the node-by-node
    model on real inputs, and the compiled program on the strict simulator equals the
    reference model bit for bit."""
    import fenn
    graph = GRAPHS["recurrent"]
    rng = np.random.default_rng(5)
    n = int(np.prod(graph.nodes["input"].input_type["input"]))
    inputs = {"input": rng.uniform(-0.5, 1.5, (T, n))}
    imp = import_nir(graph, DT, currents={"input": 2.0})
    got = run_imported(imp, inputs)
    want_spikes, want_v = NIRStepper(graph, DT, "exact").run(inputs)
    np.testing.assert_allclose(got["lif.v"], imp.voltage_scales["lif"] * want_v["lif"],
                               rtol=1e-9, atol=1e-9)
    assert np.array_equal(got["lif.spikes"], want_spikes["lif"]) and want_spikes["lif"].any()
    program = fenn.compile(imp.network, T)
    sim = fenn.run(program, imp.inputs(inputs), strict=True)
    reference = fenn.run(program, imp.inputs(inputs), backend="reference")
    assert sim.difference(reference) is None
    with pytest.raises(ValueError, match="not Input nodes"):
        import_nir(graph, DT, currents={"frames": 1.0})
