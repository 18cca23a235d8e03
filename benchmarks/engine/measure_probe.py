"""CPU and wall time of the input probe (``fileio.base.probe.probe_rasters``) on many small and a few large rasters.

    python3 benchmarks/engine/measure_probe.py [--repeat R]

Writes 300 GeoTIFFs of 100 x 100 float32 and 30 of 3,000 x 3,000 float32 (tiled, deflate) in a temporary folder,
then probes each set ``--repeat`` times and prints the best wall and CPU seconds of each set. Measured on 2026-11-26
(load 1-3, 2 cores): four probe threads 0.154 s wall / 0.154 CPU-s (small) and 0.723 / 0.753 (large); one thread
0.147 / 0.142 and 0.723 / 0.705: the probe runs in the calling thread since.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

import numpy as np  # noqa: E402
from osgeo import gdal, osr  # noqa: E402

from insar_geohazards.fileio.base import probe  # noqa: E402


def write(path, n, rng):
    ds = gdal.GetDriverByName("GTiff").Create(path, n, n, 1, gdal.GDT_Float32,
                                              ["TILED=YES", "COMPRESS=DEFLATE"] if n > 1000 else [])
    ds.SetGeoTransform((500000.0, 30.0, 0.0, 4200000.0, 0.0, -30.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    ds.SetProjection(srs.ExportToWkt())
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(0.0)
    band.WriteArray(rng.normal(size=(n, n)).astype(np.float32))
    ds = None


def timed(jobs, repeat):
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        probe._WKT_BY_GEOKEYS.clear()
        w0, c0 = time.perf_counter(), time.process_time()
        probe.probe_rasters(jobs)
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    opts = {"complex_ok": False, "multiband_ok": False, "coherence": False}
    with tempfile.TemporaryDirectory() as tmp:
        small = [os.path.join(tmp, f"s{i:03d}.tif") for i in range(300)]
        large = [os.path.join(tmp, f"L{i:02d}.tif") for i in range(30)]
        for p in small:
            write(p, 100, rng)
        for p in large:
            write(p, 3000, rng)
        for label, paths in (("300 small (100 x 100)", small), ("30 large (3,000 x 3,000)", large)):
            wall, cpu = timed([("INPUT", p, opts) for p in paths], args.repeat)
            print(f"{label}: wall {wall:.3f} s, CPU {cpu:.3f} s (best of {args.repeat})")


if __name__ == "__main__":
    main()
