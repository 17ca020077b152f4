"""fenn.train: train any fenn network with torch (the ``torch`` extra).

The traced neuron models get a fourth reader, a differentiable torch evaluation with a
surrogate gradient wherever a comparison makes a spike, so every model (built-in or
your own) trains with exactly the discretisation and timing the float model and the
hardware use::

    model = fenn.train.Trainable(net)              # weights -> torch parameters
    history = fenn.train.fit(model, data, readout="output.v", epochs=20)
    model.quantise()                               # quantisation-aware fine-tuning
    fenn.train.fit(model, data, readout="output.v", epochs=3)
    model.write_back()                             # weights back into net
    program = fenn.compile(net, T, formats=model.compile_formats)

torch loads on first use of anything here, not at ``import fenn``.
"""

from __future__ import annotations

import importlib

__all__ = ["Trainable", "TrainError", "Surrogate", "fast_sigmoid", "sigmoid", "atan", "triangle",
           "fit", "predict", "History", "fake_quantise", "Tuned"]

_WHERE = {
    "Trainable": "trainable", "TrainError": "trainable",
    "Surrogate": "surrogate", "fast_sigmoid": "surrogate", "sigmoid": "surrogate",
    "atan": "surrogate", "triangle": "surrogate",
    "fit": "loop", "predict": "loop", "History": "loop",
    "fake_quantise": "quantise", "Tuned": "tuned",
}


def __getattr__(name):
    if name not in _WHERE:
        raise AttributeError(f"module 'fenn.train' has no attribute {name!r}")
    try:
        module = importlib.import_module(f"{__name__}.{_WHERE[name]}")
    except ModuleNotFoundError as error:
        if error.name != "torch":
            raise
        from ..errors import FennError
        raise FennError("fenn.train needs torch: pip install 'fenn[torch]' (CPU wheels: add "
                        "--extra-index-url https://download.pytorch.org/whl/cpu)") from None
    value = getattr(module, name)
    globals()[name] = value
    return value
