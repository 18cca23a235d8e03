"""The numba start of a run, begun while its inputs are checked.

A tool with numba kernels pays, before its first block, the import of numba and of its core modules
(~0.1 CPU-s) and the start of numba's CPU target at the first kernel load (~0.1 CPU-s): work of the main thread,
one core, while the input checks before it mostly wait for the GDAL reads of their probe threads.
:func:`start` runs that start in a thread beside the checks; the run joins it before its first kernel
(:func:`join`), so a kernel is never loaded while the target starts, and a failed import is raised again
by the run's own import, with its own message.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from typing import Optional


def _start(modules: tuple) -> None:
    try:
        for name in modules:
            importlib.import_module(name)
        from ..algorithms import _numba

        if not _numba.HAVE_NUMBA:
            return
        from numba.core.compiler_lock import global_compiler_lock
        from numba.core.registry import cpu_target

        # what the first cached kernel's load does first (numba's lock: a kernel loaded meanwhile waits)
        with global_compiler_lock:
            cpu_target.target_context.refresh()
            cpu_target.typing_context.refresh()
    except Exception:  # noqa: BLE001 - the run imports these again and reports what fails there
        return


def start(kernels) -> Optional[threading.Thread]:
    """Import the core modules ``kernels`` (names under ``algorithms``, a tool's ``KERNELS``) and start numba's
    CPU target in a thread; None when there is nothing to start (no kernels, numba turned off, already
    started in this process)."""
    if not kernels or os.environ.get("INSAR_GEOHAZARDS_DISABLE_NUMBA", "") in ("1", "true", "yes"):
        return None
    package = __package__.rsplit(".", 1)[0] + ".algorithms"
    modules = tuple(f"{package}.{m}" for m in kernels)
    if all(m in sys.modules for m in modules) and "numba" in sys.modules:
        return None
    thread = threading.Thread(target=_start, args=(modules,), name="geohazard-kernels", daemon=True)
    thread.start()
    return thread


def join(thread: Optional[threading.Thread]) -> None:
    """Wait for :func:`start`'s thread (nothing when None)."""
    if thread is not None:
        thread.join()
