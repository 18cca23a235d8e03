"""I/O floor of the 1-Mpx corrections (issue 16): read every interferogram of the benchmark stack once and write
it back as the correction tools do (one tiled Float32 GeoTIFF per interferogram, RasterWriter with the tools'
codec), with no computation. Wall and CPU time (all threads of this process) of each part.

    /usr/bin/python3 benchmarks/corrections/io_floor_1mpx.py STACK_FOLDER [--threads 2]

STACK_FOLDER is the benchmark stack of benchmarks/timeseries/make_stack.py (its tif/ folder is read).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stack")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    os.environ["GDAL_NUM_THREADS"] = str(a.threads)
    plugins = os.path.join(ROOT, ".build", "plugins")
    sys.path.insert(0, plugins)
    from insar_geohazards.algorithms.engine import ReadRequest
    from insar_geohazards.io.blocks import GdalOpener
    from insar_geohazards.io.corrections import CODEC
    from insar_geohazards.io.raster import RasterWriter, raster_info

    tif = os.path.join(a.stack, "tif")
    files = sorted(os.path.join(tif, f) for f in os.listdir(tif) if f.endswith("_unw.tif"))
    info = raster_info(files[0])
    opener = GdalOpener()
    tmp = tempfile.mkdtemp(prefix="corrections_floor_")
    print(f"load before: {os.getloadavg()}")
    try:
        t0, c0 = time.time(), time.process_time()
        data = [opener(ReadRequest(p, (1,), (0, info.height, 0, info.width), "float32", p))[0] for p in files]
        t1, c1 = time.time(), time.process_time()
        for p, arr in zip(files, data):
            with RasterWriter.like(os.path.join(tmp, os.path.basename(p)), info, compress=CODEC) as w:
                w.write(arr, row=0)
        t2, c2 = time.time(), time.process_time()
        size = sum(os.path.getsize(os.path.join(tmp, f)) for f in os.listdir(tmp))
        print(f"{len(files)} interferograms of {info.height} x {info.width} px, GDAL_NUM_THREADS={a.threads}")
        print(f"read:  wall {t1 - t0:.2f} s, CPU {c1 - c0:.2f} s")
        print(f"write ({CODEC}): wall {t2 - t1:.2f} s, CPU {c2 - c1:.2f} s, {size / 2**20:.0f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
