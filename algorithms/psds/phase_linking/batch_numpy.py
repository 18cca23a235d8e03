"""EMI's linear algebra on every pixel of a tile at once: the numpy form of :mod:`.batch`.

Each lane function of :mod:`.batch` (those with lane loops; the batch's control is the numpy path's own,
:mod:`.vectorised`) made from its one source at the first use of this module's names (:func:`.lane_passes.sliced`):
its lane axis the pixel axis, each lane statement one numpy statement on arrays whose last axis is the pixel (``(n,
n, P)`` matrices, held transposed as in :mod:`.batch`; ``(n, P)`` vectors; ``(P,)`` values and flags), with the same
IEEE operations on each element in the same order: a pixel gets the compiled kernel's bits. What the batch does per
lane (``and``, ``not``, a conditional value) is element-wise here (``&``, ``~``, ``np.where``), and a loop marked
``independent`` one step over a slice of its range.
"""

from __future__ import annotations

import threading

import numpy as np  # noqa: F401 - the numpy forms made here call it

from ..._numba import Kernel
from ...lane_passes import has_lane_loops, sliced
from . import batch

_LOCK = threading.Lock()
_MADE = []


def _make() -> None:
    """Every lane function of :mod:`.batch` in its numpy form, into this module (the forms call each other here)."""
    for name, value in list(vars(batch).items()):
        if isinstance(value, Kernel) and value.__module__ == batch.__name__ and has_lane_loops(value.__wrapped__):
            globals()[name] = sliced(value.__wrapped__, globals())


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    with _LOCK:
        if not _MADE:
            _make()
            _MADE.append(True)
    if name in globals():
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
