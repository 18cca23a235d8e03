"""EGMS Ustica ascending + descending -> 100 m east/up (EPSG:3035) by two routes (per-cell least squares of the mean
velocities; EGMS L3 Ortho's per-date route), their agreement as JSON and both grids in
OUT_DIR/ustica_decomposition.npz (docs/geometry.md's figure: docs/make_geometry_figure.py).

Usage (make bench FAMILY=geometry CASE=egms_ustica): egms_ustica.py EGMS_DIR OUT_DIR
"""

import glob
import json
import os
import sys
import time

import numpy as np

from insar_geohazards.algorithms.geometry import decomposition as dc
from insar_geohazards.algorithms.geometry.egms_csv import point_set, read_egms_csv


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    files = sorted(glob.glob(os.path.join(src, "EGMS_L2b_*.zip")))
    t0 = time.perf_counter()
    sets = [read_egms_csv(f) for f in files]
    t_read = time.perf_counter() - t0
    data = [point_set(s) for s in sets]
    # ascending first (los_east < 0 for a right-looking ascending pass)
    data.sort(key=lambda d: np.nanmean(d["e"]))
    grid = dc.grid_for_points(np.concatenate([d["x"] for d in data]), np.concatenate([d["y"] for d in data]), 100.0)
    t0 = time.perf_counter()
    res, dates = dc.decompose_point_sets(data, grid, ts=True, spacing=6, max_gap=90.0)
    t_dec = time.perf_counter() - t0
    up_v, east_v = res["up_from_velocity"], res["east_from_velocity"]
    up_ts, east_ts = res["up"], res["east"]
    ok = np.isfinite(up_v) & np.isfinite(up_ts)
    du, de = up_ts[ok] - up_v[ok], east_ts[ok] - east_v[ok]
    stats = {
        "points": [int(d["x"].size) for d in data], "cells_100m": int(ok.sum()), "common_dates": len(dates),
        "first_date": dates[0].isoformat(), "last_date": dates[-1].isoformat(),
        "up_median_mm_yr": float(np.median(up_v[ok])), "east_median_mm_yr": float(np.median(east_v[ok])),
        "up_ts_minus_vel_median_abs": float(np.median(np.abs(du))), "up_ts_minus_vel_p95_abs":
            float(np.percentile(np.abs(du), 95)),
        "east_ts_minus_vel_median_abs": float(np.median(np.abs(de))),
        "corr_up": float(np.corrcoef(up_ts[ok], up_v[ok])[0, 1]),
        "median_sigma_up": float(np.nanmedian(res["sigma_up"][ok])),
        "median_condition": float(np.median(res["condition"][ok])),
        "read_s": round(t_read, 1), "decompose_s": round(t_dec, 1),
    }
    print(json.dumps(stats))
    np.savez_compressed(os.path.join(out, "ustica_decomposition.npz"), up=up_ts, east=east_ts, up_v=up_v,
                        east_v=east_v, geotransform=np.array(grid.geotransform))


if __name__ == "__main__":
    main()
