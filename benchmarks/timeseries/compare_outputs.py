"""Pin the SBAS answer across code changes: compare the five rasters of two runs (e.g. a saved run of
main and a run of a branch) value by value.

Usage: /usr/bin/python3 compare_outputs.py DIR_A DIR_B   (each holding output_*.tif from bench_sbas / run_1mpx)
Prints, per output, whether the NaN masks agree, the largest absolute difference and bit-identity.
"""

import sys

import numpy as np
from osgeo import gdal

NAMES = ("output_timeseries", "output_velocity", "output_velocity_std", "output_temporal_coherence",
         "output_cohcount")


def main(a, b):
    ok = True
    for name in NAMES:
        da, db = gdal.Open(f"{a}/{name}.tif"), gdal.Open(f"{b}/{name}.tif")
        x, y = da.ReadAsArray().astype(np.float64), db.ReadAsArray().astype(np.float64)
        same_nan = bool(np.array_equal(np.isnan(x), np.isnan(y)))
        diff = float(np.nanmax(np.abs(x - y)))
        ident = bool(np.array_equal(x, y, equal_nan=True))
        ok &= same_nan and diff <= 1e-6
        print(f"{name}: NaN masks equal {same_nan}, max abs diff {diff:.3g}, bit-identical {ident}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
