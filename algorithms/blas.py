"""BLAS's threads: one thread around many small products, and around LAPACK steps whose bits follow the thread count.

:func:`one_blas_thread` runs a block of work with BLAS on one thread. Two reasons:

* **speed**: stacks of small products (a few columns per pixel or point) gain nothing from BLAS's threads: waking
  them costs more than the product, and on a busy machine each call waits for a thread the scheduler has put aside.
  A forecast's 800 series of 60 dates took 2.7 CPU-s with OpenBLAS's two threads and 1.3 on one, on an idle 2-core
  machine; its block-memory test case took 200 s beside two busy processes, and 18 s on one thread; the temporal
  models' frozen-loop test 5.7 s against 2.2 s at load 8. Used by the forecast's and the temporal models' blocks.
  Products this small are not split among threads by BLAS (it splits only long reductions and large matrices), so
  their bits are the same either way.
* **same bytes**: OpenBLAS (0.3.21, Debian 12's) splits some LAPACK steps among its threads however small the
  matrix: ``eigh`` (``syevd``) from 3 x 3 on, ``solve`` and ``inv`` (``gesv``) from 6 x 6, ``lstsq`` of a network
  of 60 dates, and the Gram matrix ``X X^T`` (``syrk``) of 100 dates x 1,024 pixels; the last bits then depend on
  the thread count, which differs between a desktop run (all cores), a Dask worker (one thread: distributed's nanny
  sets ``OPENBLAS_NUM_THREADS=1``) and another machine. Work that cannot avoid LAPACK (the PCA's eigen-
  decompositions) runs inside :func:`one_blas_thread`; small solves run in a fixed order without LAPACK
  (:func:`algorithms.ordered.spd_solve`).

The limit needs threadpoolctl (it comes with scikit-learn); without it :func:`one_blas_thread` leaves BLAS as it is
and yields False (:func:`threads_pinned` says so beforehand). The limit is process-wide: nested and concurrent uses
(engine blocks on Python threads) share one, set by the first to enter and lifted by the last to leave.
"""

from __future__ import annotations

import contextlib
import threading

_LOCK = threading.Lock()
_DEPTH = 0
_LIMITER = None


def threads_pinned() -> bool:
    """True when :func:`one_blas_thread` can hold BLAS to one thread (threadpoolctl is installed)."""
    try:
        import threadpoolctl  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def one_blas_thread():
    """BLAS on one thread for the duration, where threadpoolctl is installed (yields True); else BLAS as it is (yields
    False: only slower on a busy machine, and LAPACK's last bits may follow the thread count)."""
    global _DEPTH, _LIMITER
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield False
        return
    with _LOCK:
        if _DEPTH == 0:
            _LIMITER = threadpool_limits(limits=1, user_api="blas")
        _DEPTH += 1
    try:
        yield True
    finally:
        with _LOCK:
            _DEPTH -= 1
            if _DEPTH == 0:
                limiter, _LIMITER = _LIMITER, None
                limiter.restore_original_limits()
