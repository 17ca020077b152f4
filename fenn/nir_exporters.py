"""What NIR exporters write that a graph alone does not say, and how fenn reads it.

A NIR graph states continuous-time nodes, but each exporter has conventions of its own
(docs/nir.md, *Exporters*), and some change the meaning of the numbers:

- snnTorch writes ``tau = dt/(1 - beta)``, ``r = tau/dt`` for ``dt = 1e-4`` s (forward Euler,
  so ``from_nir(graph, dt=1e-4, method="euler")`` reproduces it) and always ``v_reset = 0``:
  its default subtractive reset (``reset_mechanism="subtract"``) is exported as a reset to
  zero, which NIR cannot tell apart.
- Norse writes ``tau = dt/tau_inv`` (``dt`` of its ``to_nir``, 1e-3 s by default) where the
  time constant is ``1/tau_inv``, so every tau is ``dt*tau_true`` (far below ``dt``); its
  synaptic current adds weighted spikes undamped and its IF adds them to ``v`` directly,
  while it writes ``w_in = r = 1``; its neurons step by forward Euler.

:func:`plain` turns array-likes (Norse keeps torch tensors in its nodes) into numpy;
:func:`undo` applies a named exporter's convention (``exporter="norse"``); :func:`check`
warns (:class:`fenn.errors.NIRConventionWarning`) where a graph looks like an exporter's
and the import options do not match it.
"""

from __future__ import annotations

import copy

import numpy as np

from .errors import NIRConventionWarning, warn

__all__ = ["EXPORTERS", "SNNTORCH_DT", "plain", "undo", "check", "exporter_of"]

EXPORTERS = ("snntorch", "norse")
#: the timestep snnTorch's exporter writes its nodes for
SNNTORCH_DT = 1e-4
#: the time-constant fields of each neuron node
TAU_FIELDS = {"LIF": ("tau",), "LI": ("tau",), "CubaLIF": ("tau_mem", "tau_syn"),
              "CubaLI": ("tau_mem", "tau_syn")}


def _array(value):
    """numpy for a torch tensor (or anything with ``detach``/``__array__``), else the value."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    if hasattr(value, "__array__") and not isinstance(value, np.ndarray):
        return np.asarray(value)
    return value


def plain(node):
    """A copy of a NIR node whose parameters (and type shapes) are numpy arrays."""
    fields = getattr(node, "__dataclass_fields__", None)
    if not fields:
        return node
    clone = copy.copy(node)
    for name in fields:
        value = getattr(node, name, None)
        if isinstance(value, dict):
            if name != "metadata":
                setattr(clone, name, {k: _array(v) for k, v in value.items()})
        else:
            setattr(clone, name, _array(value))
    return clone


def exporter_of(graph) -> str | None:
    """The exporter a graph's metadata names, if it names one of :data:`EXPORTERS`."""
    metadata = getattr(graph, "metadata", None) or {}
    for value in metadata.values():
        for exporter in EXPORTERS:
            if isinstance(value, str) and exporter in value.lower():
                return exporter
    return None


def undo(nodes: dict, exporter: str | None, dt: float) -> None:
    """Rewrite ``nodes`` (name -> plain node, in place) from ``exporter``'s convention to NIR's.

    Norse (``dt`` must be the ``dt`` given to Norse's ``to_nir``): ``tau = tau/dt``,
    Cuba ``w_in = tau_syn/dt`` (a spike adds its weight to the current: NIR's
    ``(1 - a_syn)*w_in`` with Euler's ``1 - a_syn = dt/tau_syn``), IF ``r = r/dt``
    (a spike adds its weight to ``v``). snnTorch's numbers already mean what NIR says.
    """
    if exporter != "norse":
        return
    for name, node in list(nodes.items()):
        kind = type(node).__name__
        node = nodes[name] = copy.copy(node)
        for field in TAU_FIELDS.get(kind, ()):
            setattr(node, field, np.asarray(getattr(node, field), dtype=np.float64) / dt)
        if kind in ("CubaLIF", "CubaLI"):
            node.w_in = np.asarray(node.w_in, dtype=np.float64) * node.tau_syn / dt
        if kind == "IF":
            node.r = np.asarray(node.r, dtype=np.float64) / dt


def _looks_like_snntorch(node) -> bool:
    """snnTorch's signature: ``r = tau/1e-4``, no leak, reset to zero."""
    kind = type(node).__name__
    if kind not in ("LIF", "CubaLIF"):
        return False
    tau = np.asarray(node.tau if kind == "LIF" else node.tau_mem, dtype=np.float64)
    reset = np.asarray(node.v_reset if node.v_reset is not None else 0.0, dtype=np.float64)
    return (np.allclose(np.asarray(node.r, dtype=np.float64), tau / SNNTORCH_DT, rtol=1e-6)
            and not np.any(np.asarray(node.v_leak, dtype=np.float64)) and not np.any(reset))


def _warn(message: str) -> None:
    warn(message, NIRConventionWarning)


def check(nodes: dict, dt: float, method: str, exporter: str | None) -> None:
    """Warn where the graph's numbers look like an exporter convention the options miss."""
    neurons = {n: node for n, node in nodes.items() if type(node).__name__ in TAU_FIELDS}
    if exporter is None:
        snn = next((n for n, node in neurons.items() if _looks_like_snntorch(node)), None)
        if snn is not None:
            _warn(f"the graph looks like snnTorch's export ({type(nodes[snn]).__name__} {snn!r} "
                  f"has r = tau/{SNNTORCH_DT:g}, no leak and v_reset = 0). snnTorch exports its "
                  f"default subtractive reset (reset_mechanism='subtract') as a reset to zero, and "
                  f"fenn follows the graph: for the same spikes train with "
                  f"reset_mechanism='zero' and export again. Pass exporter='snntorch' to say the "
                  f"graph is snnTorch's (fenn then checks dt and method against it)")
    if exporter == "snntorch" and (not np.isclose(dt, SNNTORCH_DT, rtol=1e-9) or method != "euler"):
        _warn(f"snnTorch's exporter writes its nodes for dt={SNNTORCH_DT:g} s and simulates "
              f"forward Euler, but this import uses dt={dt:g}, method={method!r}: pass "
              f"dt={SNNTORCH_DT:g}, method='euler' to reproduce the snnTorch model's beta")
    if exporter == "norse" and method != "euler":
        _warn("Norse steps its neurons by forward Euler: pass method='euler' to reproduce them "
              "(method='exact' solves the same equations differently)")
    if exporter is None and method == "exact":
        for name, node in neurons.items():
            for field in TAU_FIELDS[type(node).__name__]:
                tau = np.asarray(getattr(node, field), dtype=np.float64)
                if tau.size and np.min(tau) < dt:
                    _warn(f"{type(node).__name__} {name!r} has {field} = {np.min(tau):g}, "
                          f"{dt / np.min(tau):.3g}x shorter than dt = {dt:g}: with "
                          f"method='exact' its state forgets almost everything each step. Norse's "
                          f"exporter writes tau = dt/tau_inv: if the graph is Norse's, pass "
                          f"exporter='norse', method='euler' and the dt given to norse's to_nir "
                          f"(1e-3 by default); otherwise check the graph's time unit (time_unit=) "
                          f"or use a smaller dt")
                    return
