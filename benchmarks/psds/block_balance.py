"""How evenly the phase-linking block pass splits its kernel work between two threads, and what the blocks' halo
rows cost: each block of the engine's plan and each of its row chunks (one per numba thread) timed alone on one
thread, CPU seconds (user + sys of this process), best of two.

    NUMBA_NUM_THREADS=1 /usr/bin/python3 benchmarks/psds/block_balance.py STACK.npz [BLOCK_ROWS,...] [PLUGINS_DIR]

STACK.npz from ``bench_psds.py simulate`` (``benchmarks/results/psds_whole/stack.npz`` of ``whole_run.sh``; EMI,
GLRT, 11 x 11, PS mask). For each block height (default ``64,200``: the tool's cap on this stack, and the whole
image as one block) prints the CPU of the per-block preparation (transposition, masks, GLRT logarithms), the
kernel summed over all chunks, and the sum over blocks of the slower chunk (what two threads wait for) against
half the sum (a perfect split). ``PLUGINS_DIR``: a folder holding ``insar_geohazards`` (default this checkout's).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main(stack: str, heights: list, plugins: str) -> None:
    sys.path.insert(0, plugins)
    from insar_geohazards.algorithms.engine import plan_blocks
    from insar_geohazards.algorithms.timeseries import phase_linking as pl
    from insar_geohazards.algorithms.timeseries.shp import shp_inputs

    d = np.load(stack)
    slc, ps_mask = d["slc"], d["ps_mask"]
    n, rows, cols = slc.shape
    pl.phase_link(slc[:, :20], window=(11, 11), ps_mask=ps_mask[:20])  # numba's cache load
    threshold = float(pl._check_options(n, (rows, cols), (11, 11), "emi", "glrt", 0.05, 0.01)[2])
    tile = pl._chunks_and_tile(rows, cols, n, 11, 11)[1]

    def prepare(a, b):  # what phase_link does before its kernel
        t = time.process_time()
        slc_t = np.ascontiguousarray(np.moveaxis(slc[:, a:b], 0, -1).astype(np.complex64))
        usable = np.all(np.isfinite(slc_t), axis=2) & np.any(slc_t != 0, axis=2)
        ps = np.asarray(ps_mask[a:b], bool) & usable
        slc_t[~usable] = 0
        sorted_amp, mean_int = shp_inputs(slc_t, "glrt")
        return (slc_t, usable, ps, sorted_amp, mean_int, pl._log_mean(mean_int)), time.process_time() - t

    def kernel(args, r0, r1):
        nr = r1 - r0
        out = (np.empty((n, nr, cols), np.float32), np.empty((nr, cols), np.float32), np.empty((nr, cols), np.int32))
        t = time.process_time()
        pl._phase_link_kernel(*args, 0, threshold, 5, 5, 0, 0.01, r0, r1, *out, True, 1, tile)
        return time.process_time() - t

    for height in heights:
        plan = plan_blocks(rows, cols, halo=5, block_rows=height)
        prep = total = slower = 0.0
        lines = []
        for blk in plan:
            args, tp = prepare(blk.read0, blk.read1)
            a0, a1 = blk.row0 - blk.read0, blk.row1 - blk.read0
            chunks = [min(kernel(args, a0 + (a1 - a0) * k // 2, a0 + (a1 - a0) * (k + 1) // 2) for _ in range(2))
                      for k in range(2)]
            prep, total, slower = prep + tp, total + sum(chunks), slower + max(chunks)
            lines.append(f"    rows {blk.row0}-{blk.row1}: preparation {tp:.3f}, chunks "
                         + " / ".join(f"{c:.3f}" for c in chunks))
        print(f"block rows {height}: {len(plan)} blocks; preparation {prep:.3f} CPU-s, kernel {total:.3f} CPU-s, "
              f"slower chunks {slower:.3f} (perfect split {total / 2:.3f}, +{100 * (2 * slower / total - 1):.1f} %); "
              f"load {os.getloadavg()[0]:.1f}")
        print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], [int(x) for x in (sys.argv[2] if len(sys.argv) > 2 else "64,200").split(",")],
         os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else os.path.join(ROOT, ".build", "plugins"))
