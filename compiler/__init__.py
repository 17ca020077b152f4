"""fenn.compiler: lowering networks to FeNN Programs (see docs/compiler.md).

``compile(net, timesteps)`` chooses fixed-point formats, lowers every neuron model to lane
operations, quantises the weights, plans memory and generates the program.
"""

from __future__ import annotations

import time

__all__ = ["compile"]


def compile(net, timesteps: int, *, formats="auto", rounding: str = "nearest", soc=None,
            seed: int = 0, input_capacity: int | None = None, weights: str = "auto",
            profile: bool = False, batch: bool = False, quantisation: str = "warn",
            quantisation_threshold: float = 0.05, input_events: str = "auto"):
    """Compile ``net`` for ``timesteps`` steps; returns a :class:`fenn.program.Program`.

    ``formats``: ``"auto"``, one format for every population (``"s7.8"``) or a dict
    ``{population: format}``. ``rounding``: ``"nearest"``, ``"stochastic"`` (per-lane
    xoroshiro32++ bits, seeded per sample from ``seed``) or ``"floor"``.
    ``input_capacity``: halfwords of DMEM per input for spike events (default: the free
    DMEM, shared equally). ``weights``: ``"auto"`` (VMEM, streaming the largest dense
    matrices from DDR only if needed), ``"vmem"`` or ``"ddr"``. ``profile=True`` adds cycle counters per phase (propagation,
    DMA wait, update, bookkeeping; they cost a few cycles each). ``program.meta`` reports formats, quantisation errors, the
    memory map and the listing.
    ``batch=True`` links the network into the resident batch firmware (``fenn.firmware``):
    ``fenn.run`` then hands the device a whole batch at once, on every backend.
    ``input_events``: where input spike events live while the network runs: ``"vmem"``
    (fetched from DDR block by block by the DMA while the network runs; the batch firmware
    then copies nothing), ``"dmem"``, or ``"auto"`` (VMEM unless the network streams
    weights from DDR or there is no room; docs/firmware.md).
    ``quantisation``: ``"warn"`` (``fenn.QuantisationWarning``), ``"error"``
    (``fenn.errors.QuantisationError``) or ``"ignore"`` when a connection's weights or a
    model's constants move by more than ``quantisation_threshold`` (RMS error relative to
    the RMS value) in fixed point, or saturate (``fenn.compiler.quality``).
    """
    from ..soc import DEFAULT_SOC
    from .codegen import generate
    from .ir import lower_network
    from .quality import check
    started = time.perf_counter()
    lowered = lower_network(net, timesteps, formats=formats, rounding=rounding, seed=seed)
    check(net, lowered, quantisation, quantisation_threshold)
    program = generate(lowered, soc or DEFAULT_SOC, input_capacity=input_capacity, weights=weights,
                       profile=profile, batch=batch, input_events=input_events)
    program.meta["compile_seconds"] = time.perf_counter() - started
    shapes = {g.name: list(g.shape) for g in net.inputs if g.shape != (g.size,)}
    if shapes:
        program.meta["input_shapes"] = shapes
    program.network = net
    return program


from .._lazy import lazy_package as _lazy_package  # noqa: E402

__getattr__, __dir__ = _lazy_package(globals())   # submodules on first use
