"""CPU seconds of phase linking's core in this process, for a side-by-side comparison of two trees on a loaded machine.

    python3 side_by_side.py STACK.npz [compiled|numpy] [ROWS]

Prints one JSON line: the CPU-s (process time, every thread) of ``phase_link`` on the stack of ``bench_psds.py
simulate`` (GLRT alpha 0.05, 11 x 11, beta 0.01, PS mask), best of ``BENCH_REPEAT`` (2) per estimator. ``compiled``
warms the kernels up first (numba's cache) and times EMI, EVD and the coherence-weighted EVD on the whole stack
(core_emi, core_evd, core_evd_weighted); ``numpy`` times EMI on the numpy path (the kernels run as Python, as a
small first run does) on the first ``ROWS`` x ``ROWS`` pixels (100). Run it with each tree's package first on
``PYTHONPATH``, rounds alternated, and compare medians: the CPU time of one process varies with the load of the
others.
"""

import json
import os
import sys
import time

import numpy as np

from insar_geohazards.algorithms import _numba, kernel_families
from insar_geohazards.algorithms.psds.phase_linking import phase_link


def main(path, mode="compiled", rows=100):
    d = np.load(path)
    slc, ps = d["slc"], d["ps_mask"]
    kw = dict(window=(11, 11), shp_method="glrt", alpha=0.05, beta=0.01)
    repeat = int(os.environ.get("BENCH_REPEAT", 2))
    out = {"mode": mode, "load": os.getloadavg()[0]}
    if mode == "numpy":
        rows = int(rows)
        with _numba.python_kernels(kernel_families.BY_NAME["phase_linking"].modules()):
            best = float("inf")
            for _ in range(repeat):
                t0 = time.process_time()
                phase_link(slc[:, :rows, :rows], method="emi", ps_mask=ps[:rows, :rows], **kw)
                best = min(best, time.process_time() - t0)
        out["emi_numpy_cpu_s"] = round(best, 3)
    else:
        for m in ("emi", "evd", "cevd"):
            phase_link(slc[:, :40, :40], method=m, ps_mask=ps[:40, :40], **kw)
        for m in ("emi", "evd", "cevd"):
            best = float("inf")
            for _ in range(repeat):
                t0 = time.process_time()
                phase_link(slc, method=m, ps_mask=ps, **kw)
                best = min(best, time.process_time() - t0)
            out[f"{m}_cpu_s"] = round(best, 3)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
