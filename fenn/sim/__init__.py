"""``fenn.sim``: the Numba instruction-set simulator of one FeNN core (the ``sim`` backend).

:class:`Machine` is the core with its memories and DMA engine; :class:`SimDevice` puts it
behind the :class:`fenn.device.Device` protocol. Semantics: ``spec/isa.md``; timing:
``docs/timing.md``.
"""

from .device import SimDevice
from .machine import Machine, TraceRecord, RESET_S0, RESET_S1

__all__ = ["Machine", "SimDevice", "TraceRecord", "RESET_S0", "RESET_S1"]
