"""loadegms in this process with 1 and N worker threads on the same tiles: process CPU, the writer thread's own
CPU, wall time, peak RSS, and whether the outputs are the same bytes.

Usage: /usr/bin/python3 threads.py TILE_DIR_OR_ZIPS... [--series none|table|fields] [--workers N] [--first K]

On a shared machine the wall time follows the load; what two idle cores would take is bounded below by the
writer thread's CPU (SQLite inserts, the repeated-ID check: one thread) and by half the process CPU.
"""

import argparse
import filecmp
import glob
import os
import resource
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

from osgeo import gdal  # noqa: E402

from insar_geohazards.io.egms import load_tiles  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--series", default="table")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--first", type=int, default=0, help="only the first K tiles (0: all)")
    ap.add_argument("--out", default=os.path.join(ROOT, ".build", "egms"))
    a = ap.parse_args(argv)
    files = []
    for p in a.inputs:
        files += sorted(glob.glob(os.path.join(p, "*.zip"))) if os.path.isdir(p) else [p]
    if a.first:
        files = files[:a.first]
    gdal.SetConfigOption("OGR_CURRENT_DATE", "2020-01-01T00:00:00Z")
    outs = []
    for workers in sorted({1, a.workers}):
        out = os.path.join(a.out, f"threads_{a.series}_{workers}.gpkg")
        if os.path.exists(out):
            os.remove(out)
        load = os.getloadavg()[0]
        c0, t0, w0 = time.process_time(), time.thread_time(), time.perf_counter()
        r = load_tiles(files, out, series=a.series, workers=workers, spatial_index_max=0)
        cpu, main_cpu, wall = time.process_time() - c0, time.thread_time() - t0, time.perf_counter() - w0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"series={a.series} workers={workers} (load {load:.1f}): {r.rows} rows of {len(files)} tiles, "
              f"{sum(r.layers.values())} points; wall {wall:.1f} s, CPU {cpu:.1f} s (writer thread {main_cpu:.1f} s), "
              f"peak RSS so far {rss:.0f} MB; threads alive {threading.active_count()}", flush=True)
        outs.append(out)
    if len(outs) == 2:
        print("same bytes:", filecmp.cmp(outs[0], outs[1], shallow=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
