"""Exporter conventions (docs/nir.md, *Exporters*): graphs as snnTorch and Norse write them.

Norse cannot be installed here (it needs torchvision, which would pull a CUDA torch), so
its graphs are built exactly as ``norse.torch.utils.export_nir`` writes them: torch tensors
in the nodes, ``tau = dt/tau_inv``, ``r = 1``, no ``w_in``. They are checked against the
update Norse's ``lif_box_feed_forward_step``/``lif_feed_forward_step`` perform, written
out below in numpy.
"""

import warnings

import nir
import numpy as np
import pytest

import fenn
from fenn.errors import NIRConventionWarning
from fenn.nir import NIRImportError, import_nir

torch = pytest.importorskip("torch")

DT = 1e-3                      # the dt given to Norse's to_nir (its default)
N_IN, N = 12, 8
T = 60


def norse_graph(kind: str, seed: int = 0, metadata=None):
    """A one-layer graph as Norse's exporter writes a Linear + LIFBoxCell / LIFCell."""
    rng = np.random.default_rng(seed)
    weight = torch.tensor(rng.normal(0.6, 0.5, (N, N_IN)), dtype=torch.float32)
    tau_mem_inv = torch.tensor(rng.uniform(60.0, 150.0, N), dtype=torch.float32)
    tau_syn_inv = torch.tensor(rng.uniform(150.0, 300.0, N), dtype=torch.float32)
    v_th, v_leak = torch.full((N,), 0.3), torch.zeros(N)
    if kind == "LIF":
        neuron = nir.LIF(tau=DT / tau_mem_inv, v_threshold=v_th, v_leak=v_leak,
                         r=torch.ones_like(v_leak))
    else:
        neuron = nir.CubaLIF(tau_mem=DT / tau_mem_inv, tau_syn=DT / tau_syn_inv,
                             v_threshold=v_th, v_leak=v_leak, r=torch.ones_like(v_leak))
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": torch.tensor([N_IN])}),
               "linear": nir.Affine(weight, torch.zeros(N)), "lif": neuron,
               "output": nir.Output(output_type={"output": torch.tensor([N])})},
        edges=[("input", "linear"), ("linear", "lif"), ("lif", "output")],
        metadata=metadata or {})
    params = {k: v.numpy().astype(np.float64) for k, v in
              dict(weight=weight, tau_mem_inv=tau_mem_inv, tau_syn_inv=tau_syn_inv,
                   v_th=v_th).items()}
    return graph, params


def norse_run(kind: str, p: dict, spikes: np.ndarray) -> np.ndarray:
    """Norse's forward-Euler steps (reset to v_reset = 0), spikes (T, N)."""
    v, i = np.zeros(N), np.zeros(N)
    out = np.zeros((len(spikes), N), dtype=bool)
    for t, s in enumerate(spikes):
        current = p["weight"] @ s
        if kind == "LIF":                                   # lif_box_feed_forward_step
            v = v + DT * p["tau_mem_inv"] * (current - v)
        else:                                               # lif_feed_forward_step
            i = i + current
            v = v + DT * p["tau_mem_inv"] * (i - v)
            i = i - DT * p["tau_syn_inv"] * i
        out[t] = v > p["v_th"]
        v = np.where(out[t], 0.0, v)
    return out


@pytest.mark.parametrize("kind", ["LIF", "CubaLIF"])
def test_norse_graph_with_exporter_norse_reproduces_norse(kind):
    graph, params = norse_graph(kind)
    spikes = np.random.default_rng(1).random((T, N_IN)) < 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("error", NIRConventionWarning)      # the right options: silent
        imported = import_nir(graph, DT, method="euler", exporter="norse")
    program = fenn.compile(imported.network, T)
    result = fenn.run(program, imported.inputs({"input": spikes}), backend="float")
    fenn_spikes = imported.outputs_of(result)["output"]
    expected = norse_run(kind, params, spikes.astype(np.float64))
    assert expected.sum() > T // 2
    assert np.array_equal(fenn_spikes, expected)


def test_norse_graph_read_as_plain_nir_warns_naming_the_fix():
    graph, _ = norse_graph("LIF")
    with pytest.warns(NIRConventionWarning, match=r"LIF 'lif' has tau = .*\d+x shorter than "
                                                  r"dt.*exporter='norse', method='euler'"):
        import_nir(graph, DT)
    with pytest.raises(NIRImportError, match="exporter='norse'"):
        import_nir(graph, DT, method="euler")             # Euler cannot step tau < dt at all


def test_norse_exact_method_warns_that_norse_is_euler():
    graph, _ = norse_graph("LIF")
    with pytest.warns(NIRConventionWarning, match="forward Euler: pass method='euler'"):
        import_nir(graph, DT, exporter="norse")


def test_exporter_named_in_the_graph_metadata_is_used():
    graph, _ = norse_graph("LIF", metadata={"source": "norse 1.1"})
    with warnings.catch_warnings():
        warnings.simplefilter("error", NIRConventionWarning)
        a = import_nir(graph, DT, method="euler")
    b = import_nir(norse_graph("LIF")[0], DT, method="euler", exporter="norse")
    assert np.array_equal(a.lowered.groups["lif"].alpha, b.lowered.groups["lif"].alpha)


def test_torch_tensors_in_nodes_import_like_numpy():
    graph, _ = norse_graph("CubaLIF")
    as_numpy = nir.NIRGraph(
        nodes={name: type(node)(**{f: (getattr(node, f).numpy() if hasattr(getattr(node, f), "numpy")
                                       else getattr(node, f))
                                   for f in node.__dataclass_fields__
                                   if f not in ("input_type", "output_type", "metadata")})
               if name in ("linear", "lif") else node for name, node in graph.nodes.items()},
        edges=graph.edges)
    a = import_nir(graph, DT, method="euler", exporter="norse").lowered
    b = import_nir(as_numpy, DT, method="euler", exporter="norse").lowered
    assert np.array_equal(a.projections[0].weights[0], b.projections[0].weights[0])
    assert np.array_equal(a.groups["lif"].syn_gain, b.groups["lif"].syn_gain)


# ----------------------------------------------------------------------------- snnTorch

snn = pytest.importorskip("snntorch")


def snntorch_graph(reset):
    from snntorch.export_nir import export_to_nir
    options = {} if reset is None else {"reset_mechanism": reset}
    net = torch.nn.Sequential(
        torch.nn.Linear(N_IN, N),
        snn.Leaky(beta=torch.full((N,), 0.9), threshold=torch.ones(N), init_hidden=True,
                  output=True, **options))
    return export_to_nir(net, torch.zeros(N_IN))


def test_snntorch_default_export_warns_about_its_subtractive_reset():
    graph = snntorch_graph(None)
    with pytest.warns(NIRConventionWarning, match=r"snnTorch.*reset_mechanism='zero'.*"
                                                  r"exporter='snntorch'") as record:
        fenn.from_nir(graph, dt=1e-4, method="euler")
    assert [w.filename for w in record] == [__file__]    # once, pointing at the user's call


def test_snntorch_named_with_its_options_is_silent_and_other_options_warn():
    graph = snntorch_graph("zero")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NIRConventionWarning)
        fenn.from_nir(graph, dt=1e-4, method="euler", exporter="snntorch")
    with pytest.warns(NIRConventionWarning, match=r"dt=0.0001, method='euler'"):
        fenn.from_nir(graph, dt=1e-3, method="exact", exporter="snntorch")


def test_unknown_exporter_is_refused():
    with pytest.raises(ValueError, match="snntorch"):
        import_nir(snntorch_graph("zero"), 1e-4, exporter="brian2")


def test_a_graph_without_an_input_node_is_refused():
    graph = nir.NIRGraph(                 # a loop: nir adds no Input without type checking
        nodes={"lif": nir.LIF(tau=np.full(3, 1e-2), r=np.ones(3), v_leak=np.zeros(3),
                              v_threshold=np.ones(3)),
               "w": nir.Linear(weight=np.eye(3)),
               "output": nir.Output(output_type={"output": np.array([3])})},
        edges=[("lif", "w"), ("w", "lif"), ("lif", "output")], type_check=False)
    assert not any(isinstance(node, nir.Input) for node in graph.nodes.values())
    with pytest.raises(NIRImportError, match="no Input node.*empty network.*nir.Input"):
        fenn.from_nir(graph, dt=1e-3)
