"""What the time-series dock's pick of one pixel on every date costs, by grid size and tile layout.

Usage: /usr/bin/python3 bench_pick.py [OUT_DIR] [SIZES]   SIZES: e.g. 40x40x783,200x200x400,600x600x400 (default)

Each size's series raster is written through ``RasterWriter`` in the former layout (256 x 256 tiles, DEFLATE) and in
the current one (``series_tile_size``'s square tiles, ZSTD), then read on freshly opened datasets: a pick (one pixel
on every band, as ``ui.timeseries_data.read_pixel``; also with GDAL's multi-threaded decoding), a whole band and a
decimated one (a render), every band in 256-row blocks (a tool), and the write itself. Medians of this process's CPU
seconds; one JSON line per size and layout.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np
from osgeo import gdal

from insar_geohazards.fileio.base.raster import RasterWriter
from insar_geohazards.fileio.base.series_tiles import series_tile_size

PICKS = 9
GT = (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)


def write(path, rows, cols, dates, edge):
    """A series raster of smooth random walks (mm), written in blocks of 64 rows; returns (seconds, bytes)."""
    rng = np.random.default_rng(0)
    kw = {} if edge is None else {"tile_rows": edge, "tile_cols": edge, "compress": "ZSTD"}
    t0 = time.process_time()
    with RasterWriter(path, width=cols, height=rows, geotransform=GT, crs_wkt="", count=dates,
                      descriptions=[f"d{i}" for i in range(dates)], **kw) as w:
        for r0 in range(0, rows, 64):
            h = min(64, rows - r0)
            steps = rng.normal(0.0, 0.8, (dates, h, cols)).astype(np.float32)
            w.write(np.cumsum(steps, axis=0, dtype=np.float32), row=r0)
        w.commit()
    return time.process_time() - t0, os.path.getsize(path)


def timed(fn, repeat=1):
    """Median CPU seconds of ``fn`` (every thread of this process: the machine's other load does not count)."""
    out = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return statistics.median(out)


def pick_times(path, rows, cols, threads=False):
    """Median (CPU seconds, wall seconds) of one pixel read on every band, a fresh dataset each time."""
    pts = [(int(r), int(c)) for r, c in zip(np.linspace(0, rows - 1, PICKS), np.linspace(cols - 1, 0, PICKS))]
    cpu, wall = [], []
    gdal.SetConfigOption("GDAL_NUM_THREADS", "ALL_CPUS" if threads else None)
    try:
        for r, c in pts:
            t0, w0 = time.process_time(), time.perf_counter()
            ds = gdal.Open(path)
            v = ds.ReadAsArray(c, r, 1, 1)
            ds = None
            cpu.append(time.process_time() - t0)
            wall.append(time.perf_counter() - w0)
            assert v.shape[1:] == (1, 1)
    finally:
        gdal.SetConfigOption("GDAL_NUM_THREADS", None)
    return statistics.median(cpu), statistics.median(wall)


def band_times(path, rows, cols, dates):
    def full(b):
        ds = gdal.Open(path)
        ds.GetRasterBand(b).ReadAsArray()

    def quarter(b):
        ds = gdal.Open(path)
        ds.GetRasterBand(b).ReadAsArray(buf_xsize=max(1, cols // 4), buf_ysize=max(1, rows // 4))

    bands = [1, dates // 3, dates // 2, 2 * dates // 3, dates]
    return (statistics.median(timed(lambda b=b: full(b), 3) for b in bands),
            statistics.median(timed(lambda b=b: quarter(b), 3) for b in bands))


def chain_time(path, rows):
    def run():
        ds = gdal.Open(path)
        for r0 in range(0, rows, 256):
            ds.ReadAsArray(0, r0, ds.RasterXSize, min(256, rows - r0))
    return timed(run, 3)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="bench_pick_")
    sizes = sys.argv[2] if len(sys.argv) > 2 else "40x40x783,200x200x400,600x600x400"
    os.makedirs(out_dir, exist_ok=True)
    for size in sizes.split(","):
        rows, cols, dates = (int(x) for x in size.split("x"))
        for layout, edge in (("before", None), ("now", series_tile_size(cols, rows, dates))):
            path = os.path.join(out_dir, f"series_{size}_{layout}.tif")
            w_s, nbytes = write(path, rows, cols, dates, edge)
            ds = gdal.Open(path)
            block = ds.GetRasterBand(1).GetBlockSize()
            ds = None
            band_full, band_quarter = band_times(path, rows, cols, dates)
            pick_cpu, pick_wall = pick_times(path, rows, cols)
            rec = {"size": size, "layout": layout, "tile": block, "mb": round(nbytes / 1e6, 1),
                   "write_s": round(w_s, 2), "pick_s": round(pick_cpu, 4), "pick_wall_s": round(pick_wall, 4),
                   "band_full_s": round(band_full, 4), "band_quarter_s": round(band_quarter, 4),
                   "chain_s": round(chain_time(path, rows), 3)}
            if layout == "before":
                rec["pick_wall_threads_s"] = round(pick_times(path, rows, cols, threads=True)[1], 4)
            print(json.dumps(rec), flush=True)
            os.remove(path)


if __name__ == "__main__":
    main()
