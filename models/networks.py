"""Reference networks and their synthetic inputs (benchmarks, tests and demos).

The SHD classifier is the network FeNN's papers measure: 700 input channels -> 256
recurrent adaptive LIF neurons -> 20 leaky-integrator readouts. Without a trained model
(no data set is downloaded here) its weights are synthetic, scaled so that SHD-like
input (about 7 input spikes per timestep) drives about one hidden spike per timestep,
the activity the FeNN cycle figures assume.
"""

from __future__ import annotations

import numpy as np

__all__ = ["shd_classifier", "synthetic_shd_inputs", "SHD_SHAPE", "vogels_abbott", "va_kick"]

#: (inputs, hidden, outputs) of the SHD classifier
SHD_SHAPE = (700, 256, 20)
_WEIGHT_KEYS = {"input_hidden": (0, 1), "hidden_hidden": (1, 1), "hidden_output": (1, 2)}


def _synthetic_weights(rng: np.random.Generator, shape) -> dict[str, np.ndarray]:
    n_in, n_hid, n_out = shape
    return {
        # zero-mean; scales chosen (float model, 7 input spikes per step) for about one
        # hidden spike per timestep, tests/interop/test_interop_shd_network.py checks it
        "input_hidden": rng.normal(0.0, 0.035, (n_in, n_hid)),
        "hidden_hidden": rng.normal(0.0, 0.02, (n_hid, n_hid)),
        "hidden_output": rng.normal(0.0, 0.2, (n_hid, n_out)),
    }


def shd_classifier(*, rng: np.random.Generator | None = None,
                   weights: dict[str, np.ndarray] | None = None, dt: float = 1.0,
                   shape=SHD_SHAPE, record_hidden: bool = True):
    """The SHD classifier as a ``fenn.Network`` named ``input`` -> ``hidden`` -> ``output``.

    ``weights`` (dense, (pre, post)) under the keys ``input_hidden``, ``hidden_hidden``
    and ``hidden_output`` (e.g. trained with mlGeNN or snnTorch); missing keys are drawn
    from ``rng`` (default seed 0). Records ``hidden.spikes`` (unless ``record_hidden`` is
    False) and ``output.v`` averaged over time, the classifier's readout.
    """
    from fenn.network import Network
    from .neurons import ALIF, LI

    weights = dict(weights or {})
    unknown = set(weights) - set(_WEIGHT_KEYS)
    if unknown:
        raise ValueError(f"unknown weight keys {sorted(unknown)}; expected {sorted(_WEIGHT_KEYS)}")
    drawn = _synthetic_weights(rng if rng is not None else np.random.default_rng(0), shape)
    for key, (pre, post) in _WEIGHT_KEYS.items():
        w = np.asarray(weights.get(key, drawn[key]), dtype=np.float64)
        if w.shape != (shape[pre], shape[post]):
            raise ValueError(f"weights[{key!r}] has shape {w.shape}, expected "
                             f"{(shape[pre], shape[post])} (pre, post)")
        weights[key] = w
    net = Network(dt=dt)
    inp = net.input(shape[0], name="input")
    hid = net.population(shape[1], ALIF(tau_mem=20.0, tau_adapt=2000.0, beta=0.0174,
                                        v_thresh=0.6, refractory=4), name="hidden")
    out = net.population(shape[2], LI(tau_mem=20.0), name="output")
    net.connect(inp, hid, weights=weights["input_hidden"])
    net.connect(hid, hid, weights=weights["hidden_hidden"])
    net.connect(hid, out, weights=weights["hidden_output"])
    if record_hidden:
        net.record(hid.spikes)
    net.record(out.v, reduce="mean")
    return net


def synthetic_shd_inputs(samples: int, timesteps: int, rate: float = 7.0, *,
                         rng: np.random.Generator | None = None,
                         n_units: int = SHD_SHAPE[0]) -> np.ndarray:
    """Poisson spike rasters (samples, timesteps, n_units) with ``rate`` expected input
    spikes per timestep over the whole population (SHD averages about 7).

    Spikes are placed directly (not by thresholding a dense random array), so thousands of
    samples cost memory for the boolean raster only.
    """
    if samples < 1 or timesteps < 1:
        raise ValueError(f"samples and timesteps must be positive, got {samples}, {timesteps}")
    if not 0 <= rate <= n_units:
        raise ValueError(f"rate is spikes per timestep over {n_units} units: 0..{n_units}, "
                         f"got {rate}")
    rng = rng if rng is not None else np.random.default_rng(0)
    rasters = np.zeros((samples, timesteps, n_units), dtype=bool)
    p = rate / n_units
    for s in range(samples):
        count = rng.binomial(timesteps * n_units, p)
        flat = rng.choice(timesteps * n_units, size=count, replace=False) if count else []
        rasters[s].reshape(-1)[flat] = True
    return rasters


def vogels_abbott(n: int = 16_000, *, connectivity: float = 0.1, excitatory: float = 0.8,
                  rng: np.random.Generator | None = None, dt: float = 1.0, sparse: bool = False):
    """A Vogels-Abbott-like recurrent network: ``n`` LIF neurons (the first ``excitatory``
    fraction excitatory), random connectivity, one recurrent connection: dense (rows
    stored uncompressed, so it is what dense DDR streaming is measured on) or, with
    ``sparse=True``, the same synapses (the same draws) as a sparse connection.

    Units are normalised: threshold 1, reset 0, resting potential 1.5 (above threshold,
    as in the CUBA benchmark, so activity sustains itself without external input),
    tau 20 steps, 5 refractory steps. Inhibition dominates (``g = 8``) and the summed
    weights (``K J``) do not depend on ``n``, so every size sits in an asynchronous,
    fluctuating regime of about 9 Hz (dt = 1 ms). The potentials start at rest; the
    input ``kick`` (one channel, weights uniform in [-1.5, -0.5), see :func:`va_kick`)
    spikes once at step 0 and so spreads them uniformly over [0, 1) (below threshold).
    Records the membrane potentials after the run.
    """
    from fenn.network import Network
    from .neurons import LIF

    if n < 2 or not 0 < connectivity <= 1 or not 0 < excitatory < 1:
        raise ValueError(f"need n >= 2, 0 < connectivity <= 1, 0 < excitatory < 1; got {n}, "
                         f"{connectivity}, {excitatory}")
    rng = rng if rng is not None else np.random.default_rng(0)
    n_exc = int(round(n * excitatory))
    # 1280 excitatory and 320 inhibitory inputs per neuron at n = 16,000: 0.0025 and -0.02
    j_exc = 40.0 / (n * connectivity * 10)
    j_inh = -8 * j_exc
    weights = None if sparse else np.empty((n, n), dtype=np.float64)   # filled in blocks
    synapses = []
    block = max(1, (1 << 22) // n)
    for first in range(0, n, block):
        rows = slice(first, min(n, first + block))
        mask = rng.random((rows.stop - first, n), dtype=np.float32) < connectivity
        sign = np.where(np.arange(first, rows.stop) < n_exc, j_exc, j_inh)[:, None]
        if sparse:
            pre, post = np.nonzero(mask)
            synapses.append((pre + first, post, sign[pre, 0]))
        else:
            np.multiply(mask, sign, out=weights[rows])
    net = Network(dt=dt)
    kick = net.input(1, name="kick")
    pop = net.population(n, LIF(tau_mem=20.0, v_thresh=1.0, v_reset=0.0, v_rest=1.5,
                                 refractory=5, reset="zero"), name="va")
    net.connect(kick, pop, weights=-0.5 - rng.random((1, n)), name="kick")
    if sparse:
        pre, post, w = (np.concatenate(part) for part in zip(*synapses))
        net.connect(pop, pop, sparse=(pre, post, w), name="recurrent")
    else:
        net.connect(pop, pop, weights=weights, name="recurrent")
    net.record(pop.v, reduce="last")
    return net


def va_kick(timesteps: int) -> np.ndarray:
    """The input of :func:`vogels_abbott`: its one channel spikes at step 0 only."""
    raster = np.zeros((timesteps, 1), dtype=bool)
    raster[0, 0] = True
    return raster
