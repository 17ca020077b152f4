"""Convolutions and pooling from NIR: the matrices equal torch's operators, and a small
snnTorch convolutional network on N-MNIST-shaped frames (2, 34, 34) imported through NIR
runs like snnTorch (step for step, at the bounds of test_interop_snntorch.py) and, compiled,
bit for bit like the reference model on the strict simulator."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the torch extra: pip install -e '.[torch]'")
snn = pytest.importorskip("snntorch", reason="needs the torch extra: pip install -e '.[torch]'")
pytest.importorskip("nirtorch", reason="needs the torch extra: pip install -e '.[torch]'")
import torch.nn.functional as F  # noqa: E402
from snntorch.export_nir import export_to_nir  # noqa: E402

import fenn  # noqa: E402
from fenn.floatmodel import simulate_float  # noqa: E402
from fenn.nir import NIRImportError, import_nir  # noqa: E402
from fenn.nir_conv import conv2d_matrix, pool2d_matrix  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:nirtorch.extract_nir_graph:DeprecationWarning")

DT = 1e-4                 # the timestep snnTorch's NIR export assumes
T = 40
FRAME = (2, 34, 34)       # N-MNIST's polarity x height x width


@pytest.mark.parametrize("c_in, c_out, kernel, stride, padding, dilation, groups", [
    (2, 4, 5, 2, 1, 1, 1),
    (3, 6, 3, 1, 0, 2, 3),
    (2, 2, (3, 2), (1, 2), (2, 0), 1, 2),
    (1, 3, 3, 1, "same", 1, 1),
])
def test_conv2d_matrix_equals_torch(c_in, c_out, kernel, stride, padding, dilation, groups):
    rng = np.random.default_rng(0)
    shape = (c_in, 9, 11)
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    weight = rng.normal(size=(c_out, c_in // groups, kh, kw))
    x = rng.normal(size=shape)
    matrix, out_shape = conv2d_matrix(weight, shape, stride, padding, dilation, groups)
    want = F.conv2d(torch.tensor(x)[None], torch.tensor(weight), stride=stride, padding=padding,
                    dilation=dilation, groups=groups)[0].numpy()
    assert want.shape == out_shape
    np.testing.assert_allclose(matrix @ x.reshape(-1), want.reshape(-1), atol=1e-12)


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 2, 1), ((2, 3), 1, 0)])
def test_pooling_matrices_equal_torch(kernel, stride, padding):
    x = np.random.default_rng(1).normal(size=(3, 8, 10))
    average, out_shape = pool2d_matrix(x.shape, kernel, stride, padding, average=True)
    summed, _ = pool2d_matrix(x.shape, kernel, stride, padding)
    want = F.avg_pool2d(torch.tensor(x)[None], kernel, stride, padding)[0].numpy()
    area = np.prod(kernel if isinstance(kernel, tuple) else (kernel, kernel))
    assert want.shape == out_shape
    np.testing.assert_allclose(average @ x.reshape(-1), want.reshape(-1), atol=1e-12)
    np.testing.assert_allclose(summed @ x.reshape(-1), area * want.reshape(-1), atol=1e-12)


def test_conv1d_through_nir_equals_torch():
    import nir
    rng = np.random.default_rng(2)
    weight, bias = rng.normal(size=(4, 2, 3)), rng.normal(size=4)
    node = nir.Conv1d(input_shape=20, weight=weight, stride=2, padding=1, dilation=1, groups=1,
                      bias=bias)
    from fenn.nir_conv import as_linear
    linear = as_linear("conv", node)
    x = rng.normal(size=(2, 20))
    want = F.conv1d(torch.tensor(x)[None], torch.tensor(weight), torch.tensor(bias), stride=2,
                    padding=1)[0].numpy()
    np.testing.assert_allclose(linear.weight @ x.reshape(-1) + linear.bias, want.reshape(-1),
                               atol=1e-12)


def test_a_pooling_node_without_a_shape_is_refused_with_the_fix():
    import nir
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([2, 4, 4])}),
               "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                     padding=np.array([0, 0])),
               "lif": nir.LIF(tau=np.full(8, 0.01), r=np.ones(8), v_leak=np.zeros(8),
                              v_threshold=np.ones(8)),
               "output": nir.Output(output_type={"output": np.array([8])})},
        edges=[("input", "pool"), ("pool", "lif"), ("lif", "output")], type_check=False)
    with pytest.raises(NIRImportError, match=r"infer_types\(\)"):
        import_nir(graph, DT, method="euler")


def conv_net(seed=0):
    """Conv(2->4, 5x5, stride 2) -> LIF (4, 16, 16) -> AvgPool 2 -> Flatten -> Linear -> LIF 10."""
    torch.manual_seed(seed)
    conv = torch.nn.Conv2d(2, 4, 5, stride=2, padding=1, bias=False)
    fc = torch.nn.Linear(4 * 8 * 8, 10, bias=False)
    with torch.no_grad():
        conv.weight.mul_(6.0)
        fc.weight.mul_(12.0)
    hidden = snn.Leaky(beta=torch.full((4, 16, 16), 0.9), threshold=torch.ones(4, 16, 16),
                       init_hidden=True, reset_mechanism="zero")
    out = snn.Leaky(beta=torch.full((10,), 0.85), threshold=torch.ones(10), init_hidden=True,
                    output=True, reset_mechanism="zero")
    # Flatten from dim 0: one unbatched sample per step, as the exporter traces it
    net = torch.nn.Sequential(conv, hidden, torch.nn.AvgPool2d(2), torch.nn.Flatten(0), fc, out)
    return net, hidden


def snntorch_run(net, hidden, frames):
    from snntorch import utils
    utils.reset(net)
    captured, outs = [], []
    handle = hidden.register_forward_hook(
        lambda module, args, result: captured.append(result.detach().clone()))
    with torch.no_grad():
        for t in range(len(frames)):
            outs.append(net(torch.tensor(frames[t], dtype=torch.float32))[0].numpy().copy())
    handle.remove()
    hidden_spikes = np.array([c.numpy().reshape(-1) for c in captured]) > 0
    return hidden_spikes, np.array(outs) > 0


@pytest.fixture(scope="module")
def imported():
    net, hidden = conv_net()
    graph = export_to_nir(net, torch.zeros(FRAME))
    frames = np.random.default_rng(3).random((T, *FRAME)) < 0.08
    return net, hidden, graph, frames


def test_the_conv_network_runs_like_snntorch(imported):
    net, hidden, graph, frames = imported
    imp = import_nir(graph, DT, method="euler", exporter="snntorch")
    fnet = imp.network
    assert fnet.inputs[0].shape == FRAME
    conv_layer = next(p for p in fnet.populations if p.size == 4 * 16 * 16)
    conv_connection = next(c for c in fnet.connections if c.post is conv_layer)
    assert conv_connection.sparse is not None          # 50 of 2,312 inputs per neuron
    fnet.record(conv_layer.spikes)
    (out_key,) = imp.outputs.values()
    result = simulate_float(fnet, {fnet.inputs[0].name: frames.reshape(1, T, -1)}, T)
    got_hidden, got_out = result[f"{conv_layer.name}.spikes"][0], result[out_key][0]
    want_hidden, want_out = snntorch_run(net, hidden, frames)
    assert want_hidden.sum() > 200 and want_out.sum() > 20        # the network is active
    hidden_agree = np.mean(got_hidden == want_hidden)
    out_agree = np.mean(got_out[1:] == want_out[:-1])              # one step of propagation
    print(f"conv network: hidden agreement {hidden_agree:.4f}, output (shifted) {out_agree:.4f}")
    assert hidden_agree >= 0.99 and out_agree >= 0.99


def test_the_compiled_conv_network_equals_the_reference_model(imported):
    _, _, graph, frames = imported
    imp = import_nir(graph, DT, method="euler", exporter="snntorch")
    program = fenn.compile(imp.network, T, rounding="stochastic")
    batch = np.stack([frames, np.roll(frames, 1, axis=0)])          # (samples, T, 2, 34, 34)
    result = fenn.run(program, batch, strict=True, check=True, progress=False)
    (out_key,) = imp.outputs.values()
    assert result[out_key].shape == (2, T, 10)
    assert result.stats.cycles > 0
