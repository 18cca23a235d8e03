"""Where the CPU time of the distortion tool goes, part by part, on one DEM (no QGIS).

Usage: /usr/bin/python3 profile_distortion.py DEM.tif OUT_DIR [HEADING]

The tool's steps one after the other in this thread, with its block height and writers; process CPU seconds per
step (decode, range scans, classification, counts, stores, writes). Decode + writes is the floor of any tool that
reads this DEM and writes these rasters. Prints one JSON line.
"""

import json
import os
import resource
import sys
import tempfile
import time

import numpy as np
from common import cpu_s

from insar_geohazards.algorithms.geometry import distortion as dist
from insar_geohazards.fileio.base import raster
from insar_geohazards.fileio.base.blocks import RunSettings
from insar_geohazards.fileio.base.writers import compression_threads, exact_float_dtype
from insar_geohazards.fileio.geometry import geometry


def main():
    dem_path, out = sys.argv[1], sys.argv[2]
    heading = float(sys.argv[3]) if len(sys.argv) > 3 else -12.0
    os.makedirs(out, exist_ok=True)
    info = raster.raster_info(dem_path, "DEM")
    dx_rows, dy = geometry.metric_pixel_size(info, "DEM")
    rows, cols = info.height, info.width
    block_rows = geometry.distortion_block_rows(RunSettings(), cols)
    dtype = exact_float_dtype(dem_path)
    inc = np.full((1, 1), 37.0)
    parts = dict.fromkeys(["decode", "scan_first", "scan_second", "classify_kernel", "class_counts",
                           "temp_store", "write_classes", "write_rindex", "write_visibility"], 0.0)

    def timed(key, fn, *a, **k):
        c = cpu_s()
        r = fn(*a, **k)
        parts[key] += cpu_s() - c
        return r

    # compile the kernels outside the timings (the tool's numba cache does the same after the first run)
    z = raster.read_band(dem_path, rows=(0, 3), name="DEM", dtype=dtype)
    dist.classify_block(z, dx_rows[1:2], dy, inc, np.zeros((1, cols), np.uint8), heading_deg=heading,
                        rindex_dtype=np.float32, sensitivity=False)
    dist.class_rows(np.zeros((1, cols), np.uint8), dx_rows[:1], dy)
    t0, c0 = time.perf_counter(), cpu_s()
    kw = dict(heading_deg=heading, dx_m=float(np.nanmean(dx_rows)), dy_m=dy)
    back = dist.RangeScanner(rows, cols, forward=False, **kw)
    fwd = dist.RangeScanner(rows, cols, forward=True, **kw)
    first, second = (fwd, back) if back.plan.rows_top_down and not fwd.plan.rows_top_down else (back, fwd)
    blocks = [(r, min(rows, r + block_rows)) for r in range(0, rows, block_rows)]
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        heights = dist._RowStore(f"{tmp}/dem.raw", rows, cols, dtype=dtype)
        flags = dist._RowStore(f"{tmp}/flags.u8", rows, cols)
        for r0, r1 in first.block_order(blocks):
            z = timed("decode", raster.read_band, dem_path, rows=(r0, r1), name="DEM", dtype=dtype)
            timed("temp_store", heights.write, r0, z)
            f = timed("scan_first", first.scan_block, z, inc, dx_rows[r0:r1], r0)
            timed("temp_store", flags.write, r0, f)
        paths = {k: os.path.join(out, f"{k}.tif") for k in ("classes", "rindex", "visibility")}
        with compression_threads():
            writers = geometry.distortion_writers(info, paths)
        for r0, r1 in second.block_order(blocks):
            q0, q1 = max(0, r0 - 1), min(rows, r1 + 1)
            halo = np.full((r1 - r0 + 2, cols), np.nan, dtype)
            halo[q0 - r0 + 1: q1 - r0 + 1] = timed("temp_store", heights.read, q0, q1)
            f = timed("scan_second", second.scan_block, halo[1:-1], inc, dx_rows[r0:r1], r0)
            f |= timed("temp_store", flags.read, r0, r1)
            cls, ri, vis, _ = timed("classify_kernel", dist.classify_block, halo, dx_rows[r0:r1], dy, inc, f,
                                    heading_deg=heading, rindex_dtype=np.float32, sensitivity=False)
            timed("class_counts", dist.class_rows, cls, dx_rows[r0:r1], dy)
            timed("class_counts", dist.class_rows, vis, dx_rows[r0:r1], dy)
            for k, a in (("classes", cls), ("rindex", ri), ("visibility", vis)):
                timed("write_" + k, writers[k].write, a, row=r0)
        for k, w in writers.items():
            timed("write_" + k, w.commit)
    total = cpu_s() - c0
    floor = parts["decode"] + parts["write_classes"] + parts["write_rindex"] + parts["write_visibility"]
    print(json.dumps({"rows": rows, "cols": cols, "block_rows": block_rows, "cpu_s": round(total, 1),
                      "wall_s": round(time.perf_counter() - t0, 1), "load_avg_1min": round(os.getloadavg()[0], 1),
                      "gdal_read_write_floor_cpu_s": round(floor, 1),
                      "parts_cpu_s": {k: round(v, 2) for k, v in parts.items()},
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


if __name__ == "__main__":
    main()
