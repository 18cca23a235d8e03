"""The numba kernels of the multi-sensor solver, at their former import path: they live in
:mod:`.multisensor.kernels` (and the modules it names)."""

from .multisensor.kernels import *  # noqa: F401,F403
from .multisensor.kernels import __all__  # noqa: F401
