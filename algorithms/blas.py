"""BLAS's threads around many small products.

:func:`one_blas_thread` runs a block of work with BLAS on one thread. Stacks of small products (a few columns per
pixel or point) gain nothing from BLAS's threads: waking them costs more than the product, and on a busy machine each
call waits for a thread the scheduler has put aside. A forecast's 800 series of 60 dates took 2.7 CPU-s with
OpenBLAS's two threads and 1.3 on one, on an idle 2-core machine; its block-memory test case took 200 s beside two
busy processes, and 18 s on one thread; the temporal models' frozen-loop test 5.7 s against 2.2 s at load 8. Used by
the forecast's and the temporal models' blocks. Products this small are not split among threads by BLAS (it splits
only long reductions and large matrices), so their bits are the same either way.
"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def one_blas_thread():
    """BLAS on one thread for the duration, where threadpoolctl is installed (it comes with scikit-learn); else BLAS as
    it is (only slower on a busy machine)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
