"""Small shim so the core runs (slower) where numba is missing.

Use ``from ..._numba import njit, prange`` in kernels. When numba is not importable,
or the environment variable ``INSAR_GEOHAZARDS_DISABLE_NUMBA=1`` is set (the test suite
runs the kernels both ways), ``njit`` returns the plain Python function and ``prange``
is ``range``.
"""

from __future__ import annotations

import os

HAVE_NUMBA = False
if os.environ.get("INSAR_GEOHAZARDS_DISABLE_NUMBA", "") not in ("1", "true", "yes"):
    try:
        import numba as _numba

        HAVE_NUMBA = True
    except ImportError:  # numba is optional: the pure-Python path is the fallback
        _numba = None


def njit(*args, **kwargs):
    """``numba.njit`` when available, else an identity decorator.

    Accepts both ``@njit`` and ``@njit(cache=True, parallel=True, ...)``.
    """
    if HAVE_NUMBA:
        kwargs.setdefault("cache", True)
        return _numba.njit(*args, **kwargs)
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]

    def wrap(fn):
        return fn

    return wrap


if HAVE_NUMBA:
    prange = _numba.prange
else:
    prange = range


def parallel_threading_layer() -> str:
    """Name of numba's threading layer (``"tbb"``, ``"omp"``, ``"workqueue"``), ``""`` without numba.

    Starts numba's thread pool if needed. Only ``tbb`` and ``omp`` accept parallel kernels
    launched from several threads at once; ``workqueue`` aborts the whole process when that
    happens, so callers running kernels in concurrent threads check this first.
    """
    if not HAVE_NUMBA:
        return ""
    try:
        from numba.np.ufunc import parallel

        parallel._launch_threads()
        return str(_numba.threading_layer())
    except Exception:  # an unknown numba layout: report nothing rather than guess
        return ""
