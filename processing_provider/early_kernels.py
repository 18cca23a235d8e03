"""The numba start of a run, begun while its inputs are checked.

A tool with numba kernels pays, before its first block, the import of numba and the making of its kernels'
dispatchers (~0.1 CPU-s) and the start of numba's CPU target at the first kernel load (~0.1 CPU-s): work of the
main thread, one core, while the input checks before it mostly wait for the GDAL reads of their probe threads.
:func:`start` runs that start in a thread beside the checks; the run joins it before its first kernel
(:func:`join`), so a kernel is never loaded while the target starts, and a failed import is raised again
by the run's own import, with its own message.
"""

from __future__ import annotations

import importlib
import sys
import threading
from typing import Optional

from ..algorithms import _numba


def _start(modules: tuple) -> None:
    try:
        loaded = [importlib.import_module(name) for name in modules]
        if not _numba.have_numba():
            return
        from numba.core.compiler_lock import global_compiler_lock
        from numba.core.registry import cpu_target

        # what the first cached kernel's load does first (numba's lock: a kernel loaded meanwhile waits)
        with global_compiler_lock:
            cpu_target.target_context.refresh()
            cpu_target.typing_context.refresh()
        _numba.make_kernels(loaded)  # the dispatchers the first calls would make
    except Exception:  # noqa: BLE001 - the run imports these again and reports what fails there
        return


def start(kernels) -> Optional[threading.Thread]:
    """Import numba, start its CPU target and make the dispatchers of the core modules ``kernels`` (names under
    ``algorithms``, a tool's ``KERNELS``) in a thread; None when there is nothing to start (no kernels, numba
    turned off, already started in this process)."""
    if not kernels or _numba.numba_disabled():
        return None
    package = __package__.rsplit(".", 1)[0] + ".algorithms"
    modules = tuple(f"{package}.{m}" for m in kernels)
    if _numba.numba_loaded() and all(m in sys.modules for m in modules):
        return None
    thread = threading.Thread(target=_start, args=(modules,), name="geohazard-kernels", daemon=True)
    thread.start()
    return thread


def join(thread: Optional[threading.Thread]) -> None:
    """Wait for :func:`start`'s thread (nothing when None)."""
    if thread is not None:
        thread.join()
