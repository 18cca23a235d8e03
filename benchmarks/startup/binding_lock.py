"""How long QGIS binding calls take while another Python thread runs: why numba's start cannot run beside QGIS's
own start-up work.

    /usr/bin/python3 benchmarks/startup/binding_lock.py [CALLS]

QGIS's Python bindings give up the interpreter's lock inside their calls. A call that does so while another thread
runs Python has to wait for that thread to hand the lock back, which it does at its switch interval (5 ms by
default). Times CALLS (default 20,000) constructions of a ``QgsProcessingParameterNumber`` (what a
provider's tools do by the thousand when they load) alone, beside a thread that only counts (a stand-in for numba's
import, which is Python holding the lock), and the same with a 0.1 ms switch interval. Prints seconds for each.
"""

from __future__ import annotations

import os
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def construct(calls: int) -> float:
    from qgis.core import QgsProcessingParameterNumber

    kind = QgsProcessingParameterNumber.Type.Double
    t = time.perf_counter()
    for i in range(calls):
        QgsProcessingParameterNumber(f"A{i}", "a", kind, 1.0)
    return time.perf_counter() - t


def beside_spinner(calls: int, interval: float) -> float:
    stop = threading.Event()

    def spin():
        n = 0
        while not stop.is_set():
            n += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        return construct(calls)
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(old)


def main(calls: int) -> None:
    construct(min(calls, 2000))  # first calls: the bindings' own set-up
    alone = construct(calls)
    default = beside_spinner(calls, sys.getswitchinterval())
    short = beside_spinner(calls, 1e-4)
    print(f"{calls} constructions: alone {alone:.3f} s; beside a Python-bound thread {default:.3f} s "
          f"(switch interval {sys.getswitchinterval() * 1e3:g} ms), {short:.3f} s (0.1 ms)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
