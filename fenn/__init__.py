"""fenn: spiking neural networks compiled for FeNN, simulated bit-exactly on the CPU.

Importing ``fenn`` is cheap: backends (the Numba simulator, the RTL, boards) load when
first used, so users without the ``hdl`` or ``board`` extras never pay for them. The
public API (``Network``, ``compile``, ``run``, ``models``, ...) and every submodule
(``fenn.nir``, ``fenn.program``, ``fenn.inputs``, ...) load on first access too, so
``import fenn`` is all a user writes; ``dir(fenn)`` lists them.
"""

from ._lazy import lazy_package as _lazy_package
from .errors import FennError, FennWarning, NIRConventionWarning, QuantisationWarning
from .soc import SocConfig, DEFAULT_SOC

__version__ = "0.1.0"

#: public name -> (module, attribute or None for the module itself)
_LAZY = {
    "Network": ("fenn.network", "Network"),
    "compile": ("fenn.compiler", "compile"),
    "run": ("fenn.runtime", "run"),
    "models": ("fenn.models", None),
    "from_nir": ("fenn.nir", "from_nir"),
    "Program": ("fenn.program", "Program"),
    "open_device": ("fenn.device", "open_device"),
    "evaluate": ("fenn.evaluation", "evaluate"),
}

__all__ = ["SocConfig", "DEFAULT_SOC", "__version__", "FennError", "FennWarning",
           "QuantisationWarning", "NIRConventionWarning", *_LAZY]

# compiler, hw, ... live beside fenn/ in the repository (pyproject's package-dir)
__getattr__, __dir__ = _lazy_package(globals(), _LAZY,
                                     extra=("compiler", "hw", "firmware", "boards", "models"))
