"""Per-pixel cost of the joint solver's kernel alone on the speed benchmark's problem (bench_speed.py).

The inputs of ``solve_pixels`` are captured from one block solve, then the kernel runs again on them, best of
``REPS`` CPU times: the solution alone (no sigma) and the full solve (every date's sigma, velocities). One thread:
run with ``NUMBA_NUM_THREADS=1``.

Usage: NUMBA_NUM_THREADS=1 /usr/bin/python3 bench_kernel.py [ifg|series] [ROWS] [REPS]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_speed as bs  # noqa: E402

from insar_geohazards.algorithms.timeseries.multisensor import kernels as mk  # noqa: E402
from insar_geohazards.algorithms.timeseries.multisensor import solve as ms_solve  # noqa: E402


def main():
    kind, rows, reps, prob, inputs = bs.one_block_from_argv(sys.argv, 5)
    cols = prob.shape[1]
    captured = []
    kernel = mk.solve_pixels

    def capture(*args):
        captured.append([a.copy() if isinstance(a, np.ndarray) else a for a in args])
        return kernel(*args)

    ms_solve._k.solve_pixels = capture  # the kernels the solve module calls
    try:
        prob.solve_arrays(inputs, (rows, cols))
    finally:
        ms_solve._k.solve_pixels = kernel
    args0 = captured[0]
    n_px = args0[-15].size  # the pixels solved
    best = {}
    for _ in range(reps):
        for full in (False, True):
            args = [a.copy() if isinstance(a, np.ndarray) else a for a in args0]
            args[-18] = args[-17] = args[-16] = full  # fun_det, full, want_leak
            t0 = time.process_time()
            kernel(*args)
            best[full] = min(best.get(full, np.inf), time.process_time() - t0)
    print(f"{kind}: {n_px} px, {len(prob.knot_dates)} knots, {len(prob.dates)} dates: solution "
          f"{1e6 * best[False] / n_px:.1f} us/px, full solve {1e6 * best[True] / n_px:.1f} us/px "
          f"(best of {reps}, load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
