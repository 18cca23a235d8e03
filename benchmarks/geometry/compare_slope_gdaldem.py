"""Our metric Horn slope vs `gdaldem slope` (GDAL, Horn 1981) on the same DEM window, timed side by side.

Usage: /usr/bin/python3 compare_slope_gdaldem.py DEM.tif N
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from osgeo import gdal

from insar_geohazards.algorithms.geometry.terrain import slope_aspect_metric


def main():
    dem, n = sys.argv[1], int(sys.argv[2])
    with tempfile.TemporaryDirectory() as tmp:
        win = os.path.join(tmp, "win.tif")
        gdal.Translate(win, dem, srcWin=[0, 0, n, n])
        t0 = time.perf_counter()
        subprocess.run(["gdaldem", "slope", "-q", win, os.path.join(tmp, "s.tif")], check=True)
        subprocess.run(["gdaldem", "aspect", "-q", win, os.path.join(tmp, "a.tif")], check=True)
        t_gdal = time.perf_counter() - t0
        ref_s = gdal.Open(os.path.join(tmp, "s.tif")).ReadAsArray().astype(float)
        ref_a = gdal.Open(os.path.join(tmp, "a.tif")).ReadAsArray().astype(float)
        ds = gdal.Open(win)
        z = ds.GetRasterBand(1).ReadAsArray().astype(float)
        px = ds.GetGeoTransform()[1]
        t0 = time.perf_counter()
        s, a = slope_aspect_metric(z, px, px)
        t_ours = time.perf_counter() - t0
    inner = (slice(1, -1), slice(1, -1))
    ok = np.isfinite(s[inner]) & (ref_s[inner] > -9999) & (s[inner] > 1)
    da = np.abs((a[inner][ok] - ref_a[inner][ok] + 180) % 360 - 180)
    print(json.dumps({"pixels": n * n, "gdaldem_s": round(t_gdal, 2), "ours_s": round(t_ours, 2),
                      "max_abs_slope_diff_deg": float(np.max(np.abs(s[inner][ok] - ref_s[inner][ok]))),
                      "max_abs_aspect_diff_deg": float(da.max())}))


if __name__ == "__main__":
    main()
