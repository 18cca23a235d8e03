"""The phase-linking tool's block pass without QGIS, kernel call by kernel call: wall and CPU seconds of each kernel
call, of the main thread in it, and of the pass outside the kernels (first block's read, gaps, last writes).

    /usr/bin/python3 benchmarks/psds/block_trace.py [PLUGINS_DIR] [PASSES] [BLOCK_ROWS_CAP]

Runs what ``geohazard:phaselinking`` runs on the stack of ``whole_run.sh`` (``benchmarks/results/psds_whole/tifs``:
30 x 200 x 200, EMI, GLRT, 11 x 11, PS mask): the SLC stack and PS mask as engine sources (the SLC rows prepared
where they are read when the checkout has ``PreparedSlcSource``), ``phase_link_block`` over the tool's plan (blocks of
at most BLOCK_ROWS_CAP rows, default 64), the three outputs written by a background writer. PASSES (default 3)
passes in one process after numba's start, the first one with the first calls' cache loads. ``PLUGINS_DIR``: a
folder holding ``insar_geohazards`` (default this checkout's ``.build/plugins``), e.g. a ``git archive`` copy of main.
Prints an md5 of the three files per pass (equal across checkouts when the bytes are).
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main(plugins: str, passes: int, cap: int) -> None:
    sys.path.insert(0, plugins)
    from insar_geohazards.algorithms import engine
    from insar_geohazards.algorithms.timeseries import phase_linking as pl
    from insar_geohazards.io import blocks, raster, slc
    from insar_geohazards.processing_provider import early_kernels

    early_kernels._start(tuple(f"insar_geohazards.algorithms.timeseries.{m}" for m in ("shp", "phase_linking")))
    work = os.path.join(ROOT, "benchmarks", "results", "psds_whole", "tifs")
    files = sorted(os.path.join(work, "slc", f) for f in os.listdir(os.path.join(work, "slc")) if f.endswith(".tif"))
    log = []
    kernel = pl._phase_link_kernel

    def stamped(*args):
        t, c, m = time.perf_counter(), time.process_time(), time.thread_time()
        out = kernel(*args)
        log.append((args[12], args[13], t, time.perf_counter() - t, time.process_time() - c, time.thread_time() - m))
        return out

    pl._phase_link_kernel = stamped
    for p in range(passes):
        stack = slc.SlcStack(files, "INPUT")
        info, n = stack.info, len(stack)
        out = tempfile.mkdtemp(prefix="geohazard-block-trace-")
        plan = pl.phase_link_plan(info.shape, n, window=(11, 11),
                                  block_rows=slc.slc_block_rows(stack, cap=cap, copies=5))
        src = pl.PreparedSlcSource(stack.source(), "glrt") if hasattr(pl, "PreparedSlcSource") else stack.source()
        sources = {"slc": src, "ps_mask": blocks.raster_source(os.path.join(work, "ps_mask.tif"), name="PS_MASK")}
        func = functools.partial(pl.phase_link_block, window=(11, 11), method="emi", shp_method="glrt", alpha=0.05)
        names = ("phase.tif", "tcoh.tif", "count.tif")
        w_ph = raster.RasterWriter.like(os.path.join(out, names[0]), info, count=n,
                                        descriptions=[d.isoformat() for d in stack.dates])
        w_tc = raster.RasterWriter.like(os.path.join(out, names[1]), info)
        w_n = raster.RasterWriter.like(os.path.join(out, names[2]), info, dtype=np.int32, nodata=0)

        def write(block, o, w_ph=w_ph, w_tc=w_tc, w_n=w_n):
            w_ph.write(o["phase"], row=block.row0)
            w_tc.write(o["temporal_coherence"], row=block.row0)
            w_n.write(o["shp_count"], row=block.row0)

        log.clear()
        t0, c0 = time.perf_counter(), time.process_time()
        engine.process_blocks(plan, func, write, sources=sources, background_write=True)
        for w in (w_ph, w_tc, w_n):
            w.commit()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        kw = sum(k[3] for k in log)
        print(f"pass {p}: {len(plan)} blocks, {wall:.3f} s wall / {cpu:.3f} CPU-s; kernel calls {kw:.3f} s / "
              f"{sum(k[4] for k in log):.3f} CPU-s (main thread {sum(k[5] for k in log):.3f}); outside the kernels "
              f"{wall - kw:.3f} s; load {os.getloadavg()[0]:.2f}")
        for r0, r1, t, w, c, m in log:
            print(f"   rows {r0}-{r1} of the block read, from {t - t0:.3f} s: {w:.3f} s / {c:.3f} CPU-s, "
                  f"main thread {m:.3f}")
        digest = hashlib.md5(b"".join(open(os.path.join(out, f), "rb").read() for f in names)).hexdigest()[:12]
        print(f"   md5 {digest}")


if __name__ == "__main__":
    a = sys.argv[1:]
    main(os.path.abspath(a[0]) if a else os.path.join(ROOT, ".build", "plugins"), int(a[1]) if len(a) > 1 else 3,
         int(a[2]) if len(a) > 2 else 64)
