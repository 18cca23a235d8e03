"""I/O floor of the SBAS run: GDAL alone reads every input interferogram and writes the five outputs (a finished
run's values, loaded before the clock), nothing computed.

Usage: /usr/bin/python3 io_floor.py STACK_DIR OUR_OUTPUT_DIR [--only gdal_default|our_options]

Prints per floor ``read_s``, ``write_s`` and ``total_s``: with GDAL's default options for our layout (256-px tiles,
DEFLATE 6, predictor 3, one thread) and with our writer's (DEFLATE 1, ZSTD 1 for the series, worker threads).
"""

from __future__ import annotations

import glob
import json
import os
import sys
import tempfile
import time

from common import cpu_s
from osgeo import gdal

gdal.UseExceptions()
NAMES = ("output_timeseries", "output_velocity", "output_velocity_std", "output_temporal_coherence",
         "output_cohcount")


def floor(stack_dir, values, options, tmp, overrides=None):
    files = sorted(glob.glob(os.path.join(stack_dir, "tif", "*_unw.tif")))
    t0, c0 = time.perf_counter(), cpu_s()
    total = 0.0
    for f in files:
        ds = gdal.Open(f)
        total += float(ds.GetRasterBand(1).ReadAsArray()[0, 0])
    t_read = time.perf_counter() - t0
    drv = gdal.GetDriverByName("GTiff")
    for name, (arr, gtype) in values.items():
        n = arr.shape[0] if arr.ndim == 3 else 1
        opts = list((overrides or {}).get(name, options)) + (["INTERLEAVE=BAND"] if n > 1 else [])
        if gtype == gdal.GDT_Int16:
            opts = [o for o in opts if not o.startswith("PREDICTOR")]
        ds = drv.Create(os.path.join(tmp, name + ".tif"), arr.shape[-1], arr.shape[-2], n, gtype, opts)
        for i in range(n):
            ds.GetRasterBand(i + 1).WriteArray(arr[i] if arr.ndim == 3 else arr)
        ds = None
    wall = time.perf_counter() - t0
    return {"read_s": round(t_read, 3), "write_s": round(wall - t_read, 3), "total_s": round(wall, 3),
            "cpu_s": round(cpu_s() - c0, 3), "n_inputs": len(files)}


def main():
    stack_dir, our_dir = sys.argv[1], sys.argv[2]
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    values = {}
    for name in NAMES:
        ds = gdal.Open(os.path.join(our_dir, name + ".tif"))
        values[name] = (ds.ReadAsArray(), ds.GetRasterBand(1).DataType)
    base = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "PREDICTOR=3", "BIGTIFF=IF_SAFER"]
    out = {}
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(our_dir))) as tmp:
        if only in (None, "gdal_default"):
            out["gdal_default"] = floor(stack_dir, values, base + ["NUM_THREADS=1"], tmp)
            out["gdal_default_s"] = out["gdal_default"]["total_s"]
        if only in (None, "our_options"):
            ours = base + ["ZLEVEL=1", "NUM_THREADS=ALL_CPUS"]
            ts = [o for o in ours if o not in ("COMPRESS=DEFLATE", "ZLEVEL=1")] + ["COMPRESS=ZSTD", "ZSTD_LEVEL=1"]
            out["our_options"] = floor(stack_dir, values, ours, tmp, {"output_timeseries": ts})
            out["our_options_s"] = out["our_options"]["total_s"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
