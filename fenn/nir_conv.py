"""NIR's convolution and pooling nodes as the (out, in) matrices they are.

A ``Conv1d``, ``Conv2d``, ``SumPool2d`` or ``AvgPool2d`` node is a linear map from its
flattened input (C, H, W) to its flattened output (C', H', W'), both in C order, as
``Flatten`` and fenn's shaped inputs lay them out. The importer replaces each such node by
the ``nir.Linear`` / ``nir.Affine`` node with that matrix, so the linear-chain algebra,
delays, biases and the compiler (dense rows, or sparse rows for the mostly empty matrices
that convolutions give) need nothing new. docs/nir.md, Convolutions, states the costs.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CONV_NODES", "as_linear", "conv2d_matrix", "pool2d_matrix", "output_size"]

CONV_NODES = ("Conv1d", "Conv2d", "SumPool2d", "AvgPool2d")


class ConvShapeError(ValueError):
    """A convolution node whose input shape cannot be known."""


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output length of one spatial axis (PyTorch's and NIR's formula)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _pairs(value, n: int) -> tuple[int, ...]:
    values = tuple(int(v) for v in np.atleast_1d(np.asarray(value)).reshape(-1))
    return values * n if len(values) == 1 else values


def _padding(padding, kernel, dilation, stride) -> tuple[int, ...]:
    """Explicit padding per axis from an int, a tuple, "valid" or "same" (stride 1)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * len(kernel)
        if any(s != 1 for s in stride):
            raise ConvShapeError("padding='same' needs stride 1 (as in PyTorch)")
        return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
    return _pairs(padding, len(kernel))


def conv2d_matrix(weight: np.ndarray, shape: tuple[int, int, int], stride=1, padding=0,
                  dilation=1, groups: int = 1) -> tuple[np.ndarray, tuple[int, int, int]]:
    """(matrix (C_out*H'*W', C*H*W), output shape) of a 2-D convolution (cross-correlation,
    as PyTorch computes it) of weight (C_out, C/groups, kH, kW) over input ``shape``."""
    weight = np.asarray(weight, dtype=np.float64)
    c_out, c_per_group, kh, kw = weight.shape
    c, h, w = shape
    if c != c_per_group * groups or c_out % groups:
        raise ConvShapeError(f"weight {weight.shape} with groups={groups} does not fit "
                             f"{c} input channels")
    stride, dilation = _pairs(stride, 2), _pairs(dilation, 2)
    pad = _padding(padding, (kh, kw), dilation, stride)
    ho = output_size(h, kh, stride[0], pad[0], dilation[0])
    wo = output_size(w, kw, stride[1], pad[1], dilation[1])
    if ho < 1 or wo < 1:
        raise ConvShapeError(f"a {kh}x{kw} kernel does not fit a {h}x{w} input")
    o, ci, ky, kx, oy, ox = np.meshgrid(np.arange(c_out), np.arange(c_per_group), np.arange(kh),
                                        np.arange(kw), np.arange(ho), np.arange(wo),
                                        indexing="ij")
    iy = oy * stride[0] - pad[0] + ky * dilation[0]
    ix = ox * stride[1] - pad[1] + kx * dilation[1]
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    channel = (o // (c_out // groups)) * c_per_group + ci
    rows = ((o * ho + oy) * wo + ox)[inside]
    cols = ((channel * h + iy) * w + ix)[inside]
    matrix = np.zeros((c_out * ho * wo, c * h * w))
    np.add.at(matrix, (rows, cols), weight[o, ci, ky, kx][inside])
    return matrix, (c_out, ho, wo)


def pool2d_matrix(shape: tuple[int, int, int], kernel, stride=None, padding=0,
                  average: bool = False) -> tuple[np.ndarray, tuple[int, int, int]]:
    """(matrix, output shape) of sum (or average: divided by the kernel's area, padding
    included, as PyTorch's default) pooling of each channel of ``shape`` on its own."""
    c, _, _ = shape
    kernel = _pairs(kernel, 2)
    stride = kernel if stride is None else _pairs(stride, 2)
    value = 1.0 / (kernel[0] * kernel[1]) if average else 1.0
    weight = np.zeros((c, 1, *kernel))
    weight[:] = value
    return conv2d_matrix(weight, shape, stride, padding, 1, groups=c)


def _input_shape(name: str, node, kind: str) -> tuple[int, ...]:
    known = (node.input_type or {}).get("input")
    if known is not None and np.size(known):
        return tuple(int(v) for v in np.asarray(known).reshape(-1))
    if kind in ("Conv1d", "Conv2d") and getattr(node, "input_shape", None) is not None:
        spatial = tuple(int(v) for v in np.atleast_1d(np.asarray(node.input_shape)))
        return (int(np.shape(node.weight)[1]) * int(node.groups), *spatial)
    raise ConvShapeError(f"{kind} node {name!r} does not say the shape of its input; type the "
                         f"graph (graph.infer_types(), or give the Input node its shape, e.g. "
                         f"np.array([2, 34, 34]))")


def as_linear(name: str, node):
    """The ``nir.Affine`` (a convolution with a bias) or ``nir.Linear`` node equal to a
    convolution or pooling node, typed with its flat input and output sizes."""
    import nir
    kind = type(node).__name__
    shape = _input_shape(name, node, kind)
    if kind == "Conv1d":
        if len(shape) != 2:
            raise ConvShapeError(f"Conv1d node {name!r}: input shape {shape} is not (C, L)")
        weight = np.asarray(node.weight, dtype=np.float64)[:, :, None, :]
        matrix, out = conv2d_matrix(weight, (shape[0], 1, shape[1]), (1, *_pairs(node.stride, 1)),
                                    (0, *_pairs(node.padding, 1)) if not isinstance(
                                        node.padding, str) else node.padding,
                                    (1, *_pairs(node.dilation, 1)), int(node.groups))
    elif len(shape) != 3:
        raise ConvShapeError(f"{kind} node {name!r}: input shape {shape} is not (C, H, W)")
    elif kind == "Conv2d":
        matrix, out = conv2d_matrix(node.weight, shape, node.stride, node.padding, node.dilation,
                                    int(node.groups))
    else:
        matrix, out = pool2d_matrix(shape, node.kernel_size, node.stride, node.padding,
                                    average=kind == "AvgPool2d")
    bias = getattr(node, "bias", None)
    bias = None if bias is None else np.asarray(bias, dtype=np.float64).reshape(-1)
    if bias is not None and bias.any():
        per_output = np.repeat(bias, int(np.prod(out[1:])))
        linear = nir.Affine(weight=matrix, bias=per_output)
    else:
        linear = nir.Linear(weight=matrix)
    linear.metadata = dict(getattr(node, "metadata", None) or {}, fenn_lowered_from=kind)
    return linear
