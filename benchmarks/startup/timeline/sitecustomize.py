"""Timeline of one ``qgis_process.bin`` run, for ``benchmarks/startup/run_timeline.py`` (on PYTHONPATH only there).

With GEOHAZARD_TIMELINE=<file> set, stamps wall seconds since the process started and the process's CPU seconds
(all threads) at the edges of the plugin's start-up and run steps, and writes them to <file> when the process
ends. QGIS ends ``qgis_process`` without finalising Python (no ``atexit``): the file is written by a C exit
handler. Without the variable nothing is loaded or changed.
"""

import os

_OUT = os.environ.get("GEOHAZARD_TIMELINE")
if _OUT:
    import ctypes
    import importlib.abc
    import sys
    import threading
    import time

    with open("/proc/self/stat") as _f:
        _ticks = int(_f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as _f:
        _T0 = time.perf_counter() - (float(_f.read().split()[0]) - _ticks / os.sysconf("SC_CLK_TCK"))
    _LOG = []

    def _mark(name):
        _LOG.append((time.perf_counter() - _T0, time.process_time(), threading.current_thread().name, name))

    _mark("python init")
    _P = "insar_geohazards."
    #: module -> (class or None, function) whose calls are stamped
    _TARGETS = {
        _P + "plugin": [("InsarGeohazardsPlugin", "initProcessing")],
        _P + "processing_provider.tools._base": [("GeohazardAlgorithm", "checkParameterValues"),
                                                 ("GeohazardAlgorithm", "processAlgorithm")],
        _P + "processing_provider.early_kernels": [(None, "join"), (None, "_start")],
        _P + "processing_provider.inputs.guard": [(None, "check_before")],
        _P + "fileio.base.blocks": [(None, "run_blocks")],
        _P + "algorithms.engine": [("BackgroundWriter", "stop")],
        "processing": [],
    }

    def _wrap(owner, attr, label):
        fn = getattr(owner, attr, None)
        if fn is None or isinstance(owner.__dict__.get(attr) if isinstance(owner, type) else None, staticmethod):
            return

        def stamped(*a, **k):
            _mark("> " + label)
            try:
                return fn(*a, **k)
            finally:
                _mark("< " + label)

        stamped.__name__, stamped.__doc__, stamped.__wrapped__ = fn.__name__, fn.__doc__, fn
        setattr(owner, attr, stamped)

    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name not in _TARGETS:
                return None
            for finder in sys.meta_path:
                if finder is not self and hasattr(finder, "find_spec"):
                    spec = finder.find_spec(name, path, target)
                    if spec is not None:
                        break
            else:
                return None
            run_module = spec.loader.exec_module

            def exec_module(module):
                _mark("import " + name)
                run_module(module)
                _mark("imported " + name)
                for cls, attr in _TARGETS[name]:
                    _wrap(getattr(module, cls) if cls else module, attr, f"{cls or name.rsplit('.', 1)[-1]}.{attr}")

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _Finder())

    def _write(_arg=None):
        _mark("exit")
        with open(_OUT, "w") as fh:
            for t, c, thread, name in _LOG:
                fh.write(f"{t:.4f}\t{c:.4f}\t{thread}\t{name}\n")

    _EXIT = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(_write)
    ctypes.CDLL("libc.so.6").__cxa_atexit(ctypes.cast(_EXIT, ctypes.c_void_p), None, None)
