"""Pin the SBAS answer across code changes: compare the five rasters of two runs (e.g. a saved run of
main and a run of a branch) value by value.

Usage: /usr/bin/python3 compare_outputs.py DIR_A DIR_B   (each holding output_*.tif from bench_sbas / bench_sbas_1mpx)
Prints, per output, whether the NaN masks agree, the largest absolute difference and bit-identity. Reads band by
band in windows of rows (at most ~64 MB of each file at once), so the 10 Mpx x 88-date series of run_scale.sh
(3.6 GB a file) compares in bounded memory.
"""

import sys

import numpy as np
from osgeo import gdal

NAMES = ("output_timeseries", "output_velocity", "output_velocity_std", "output_temporal_coherence",
         "output_cohcount")
WINDOW_BYTES = 64 << 20


def compare(da, db):
    """NaN masks equal, largest absolute difference (NaN pairs left out), bit-identical, over every band."""
    if (da.RasterXSize, da.RasterYSize, da.RasterCount) != (db.RasterXSize, db.RasterYSize, db.RasterCount):
        return False, float("inf"), False
    cols, rows = da.RasterXSize, da.RasterYSize
    step = max(1, WINDOW_BYTES // (8 * cols))
    same_nan, diff, ident = True, 0.0, True
    for band in range(1, da.RasterCount + 1):
        ba, bb = da.GetRasterBand(band), db.GetRasterBand(band)
        for r0 in range(0, rows, step):
            n = min(step, rows - r0)
            x = ba.ReadAsArray(0, r0, cols, n).astype(np.float64)
            y = bb.ReadAsArray(0, r0, cols, n).astype(np.float64)
            nx, ny = np.isnan(x), np.isnan(y)
            same_nan &= bool(np.array_equal(nx, ny))
            both = ~(nx | ny)
            if both.any():
                diff = max(diff, float(np.max(np.abs(x[both] - y[both]))))
            ident &= bool(np.array_equal(x, y, equal_nan=True))
    return same_nan, diff, ident


def main(a, b):
    ok = True
    for name in NAMES:
        same_nan, diff, ident = compare(gdal.Open(f"{a}/{name}.tif"), gdal.Open(f"{b}/{name}.tif"))
        ok &= same_nan and diff <= 1e-6
        print(f"{name}: NaN masks equal {same_nan}, max abs diff {diff:.3g}, bit-identical {ident}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
