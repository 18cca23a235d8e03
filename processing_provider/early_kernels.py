"""The numba start of a run, begun while its inputs are checked.

A tool with numba kernels pays, before its first block, the import of numba and of its core modules
(~0.1 CPU-s) and the start of numba's CPU target at the first kernel load (~0.1 CPU-s): work of the main thread,
one core, while the input checks before it mostly wait for the GDAL reads of their probe threads.
:func:`start` runs that start in a thread beside the checks; the run joins it before its first kernel
(:func:`join`), so a kernel is never loaded while the target starts, and a failed import is raised again
by the run's own import, with its own message.

``qgis_process run geohazard:TOOL`` begins it sooner, when the plugin is loaded (:func:`start_for_command_line`):
the start then runs beside QGIS's Processing start and the parameter checks too, and the run joins that thread.
Nothing starts early in QGIS's desktop, in ``qgis_process list`` or ``help``, or for another provider's tool.
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


#: (kernels, thread) begun at the plugin's load for the one tool a ``qgis_process run`` runs
_begun: Optional[tuple] = None


def start(kernels) -> Optional[threading.Thread]:
    """Import the core modules ``kernels`` (names under ``algorithms``, a tool's ``KERNELS``) and start numba's
    CPU target in a thread; None when there is nothing to start (no kernels, numba turned off, already
    started in this process). The thread :func:`start_for_command_line` began for these kernels is handed to
    the first run asking for them."""
    global _begun
    if _begun is not None and _begun[0] == tuple(kernels or ()):
        thread, _begun = _begun[1], None
        return thread
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


def command_line_tool(arguments, provider_id: str) -> str:
    """The name of the provider's tool that the command line ``arguments`` (the process's, program first) runs
    with ``qgis_process run PROVIDER:TOOL``; "" for any other command or program."""
    args = [str(a) for a in arguments]
    if not args or not os.path.basename(args[0]).lower().startswith("qgis_process"):
        return ""
    words = [a for a in args[1:] if not a.startswith("-")]  # qgis_process's own options (--json, ...) skipped
    if len(words) < 2 or words[0] != "run" or not words[1].startswith(provider_id + ":"):
        return ""
    return words[1][len(provider_id) + 1:]


def start_for_command_line(provider, arguments=None) -> Optional[threading.Thread]:
    """At the plugin's load in ``qgis_process run PROVIDER:TOOL``: begin TOOL's numba start (:func:`start`) now,
    for its run to join; None (nothing begun) in any other process or command, or for a tool without kernels.
    ``arguments``: the command line, program first (default: the application's)."""
    global _begun
    if arguments is None:
        from qgis.PyQt.QtCore import QCoreApplication

        arguments = QCoreApplication.arguments()
    name = command_line_tool(arguments, provider.id())
    algorithm = provider.algorithm(name) if name else None
    kernels = tuple(getattr(algorithm, "KERNELS", ()) or ())
    thread = start(kernels) if kernels else None
    if thread is not None:
        _begun = (kernels, thread)
    return thread
