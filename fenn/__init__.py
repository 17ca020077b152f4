"""fenn: spiking neural networks compiled for FeNN, simulated bit-exactly on the CPU.

Importing ``fenn`` is cheap: backends (the Numba simulator, the RTL, boards) load when
first used, so users without the ``hdl`` or ``board`` extras never pay for them. The
public API (``Network``, ``compile``, ``run``, ``models``) is loaded on first access too.
"""

from .soc import SocConfig, DEFAULT_SOC

__version__ = "0.1.0"
__all__ = ["SocConfig", "DEFAULT_SOC", "__version__", "Network", "compile", "run", "models",
           "from_nir"]

#: public name -> (module, attribute or None for the module itself)
_LAZY = {
    "Network": ("fenn.network", "Network"),
    "compile": ("fenn.compiler", "compile"),
    "run": ("fenn.runtime", "run"),
    "models": ("fenn.models", None),
    "from_nir": ("fenn.nir", "from_nir"),
}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module_name, attribute = _LAZY[name]
        module = importlib.import_module(module_name)
        value = module if attribute is None else getattr(module, attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fenn' has no attribute {name!r}")
