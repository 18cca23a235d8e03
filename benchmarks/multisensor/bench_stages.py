"""CPU time of each stage of one block solve on the speed benchmark's problem (bench_speed.py), per pixel.

One block of ROWS x 1000 px is generated, solved once on a tiny grid (compilation) and then REPS times; the
stages of the fastest solve are printed in microseconds of CPU per pixel: the joint kernel (``solve_pixels``,
both passes: every pixel, then the pixels whose noise is raised), the per-stack network inversion, the noise
statistics, the weights, the refinement decision. One thread: run with ``NUMBA_NUM_THREADS=1``.

Usage: NUMBA_NUM_THREADS=1 /usr/bin/python3 bench_stages.py [ifg|series] [ROWS] [REPS]
"""

from __future__ import annotations

import collections
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_speed as bs  # noqa: E402

from insar_geohazards.algorithms.timeseries import multisensor_kernels as mk  # noqa: E402
from insar_geohazards.algorithms.timeseries import sbas  # noqa: E402


def main():
    kind, rows, reps, prob, inputs = bs.one_block_from_argv(sys.argv, 3)
    cols = prob.shape[1]
    acc = collections.defaultdict(float)

    def timed(owner, name, label):
        func = getattr(owner, name)

        def run(*args, **kw):
            t0 = time.process_time()
            out = func(*args, **kw)
            acc[label] += time.process_time() - t0
            return out

        setattr(owner, name, run)

    for name in ("solve_pixels", "series_statistics", "network_residual_sigma", "observation_weights",
                 "refine_weights"):
        if hasattr(mk, name):  # kernels of earlier versions have fewer stages
            timed(mk, name, name)
    timed(sbas.SbasSolver, "solve", "network inversion (SbasSolver.solve)")
    bs.problem(kind, 2, 8).solve_arrays({k: v[:, :2, :8] for k, v in inputs.items()}, (2, 8))
    best = None
    for _ in range(reps):
        acc.clear()
        t0 = time.process_time()
        prob.solve_arrays(inputs, (rows, cols))
        cur = dict(acc, total=time.process_time() - t0)
        best = cur if best is None or cur["total"] < best["total"] else best
    best["rest (Python, allocation, copies)"] = 2 * best["total"] - sum(best.values())
    n_px = rows * cols
    print(f"{kind}: {n_px} px, {len(prob.dates)} dates, best of {reps}, load {os.getloadavg()[0]:.1f}")
    for k, v in sorted(best.items(), key=lambda kv: -kv[1]):
        print(f"  {k:40s} {1e6 * v / n_px:6.1f} us/px")


if __name__ == "__main__":
    main()
