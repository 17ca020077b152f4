"""fenn: spiking neural networks compiled for FeNN, simulated bit-exactly on the CPU.

Importing ``fenn`` is cheap: backends (the Numba simulator, the RTL, boards) load when
first used, so users without the ``hdl`` or ``board`` extras never pay for them.
"""

from .soc import SocConfig, DEFAULT_SOC
from .nir import from_nir

__version__ = "0.1.0"
__all__ = ["SocConfig", "DEFAULT_SOC", "from_nir", "__version__"]
