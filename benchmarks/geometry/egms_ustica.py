"""EGMS Ustica ascending + descending -> 100 m east/up (EPSG:3035), two routes, plus a figure.

1. velocity level: every point's mean_velocity with its own LOS vector, per-cell least squares;
2. EGMS L3 Ortho route (as in the open reference implementation): each point's series
   interpolated onto a 6-day cadence (gaps up to 90 days), per-cell least squares per date,
   then the velocity fitted to the east/up series (linear + annual term).
Prints agreement statistics as JSON; writes docs/img/geometry_egms_ustica.png when
matplotlib is available.

Usage: /usr/bin/python3 egms_ustica.py EGMS_DIR OUT_DIR
"""

import glob
import json
import os
import sys
import time

import numpy as np

from insar_geohazards.algorithms.geometry import decomposition as dc
from insar_geohazards.algorithms.geometry.egms_csv import point_set, read_egms_csv

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


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
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    ext = [grid.x0, grid.x0 + grid.n_cols * 100, grid.y0 - grid.n_rows * 100, grid.y0]
    fig, ax = plt.subplots(1, 3, figsize=(13, 4.2))
    for a, arr, title in ((ax[0], up_ts, "Up (mm/yr), EGMS L3 route"), (ax[1], east_ts, "East (mm/yr), EGMS L3 route")):
        im = a.imshow(arr, extent=ext, cmap="RdBu", vmin=-4, vmax=4)
        a.set_title(title, fontsize=10)
        a.set_xlabel("easting EPSG:3035 (m)", fontsize=8)
        a.tick_params(labelsize=7)
        fig.colorbar(im, ax=a, shrink=0.8)
    ax[2].plot(up_v[ok], up_ts[ok], ".", ms=3, label="up")
    ax[2].plot(east_v[ok], east_ts[ok], ".", ms=3, label="east")
    lim = [-5, 5]
    ax[2].plot(lim, lim, "k-", lw=0.5)
    ax[2].set_xlabel("velocity-level decomposition (mm/yr)", fontsize=8)
    ax[2].set_ylabel("time-series decomposition + fit (mm/yr)", fontsize=8)
    ax[2].set_title("Ustica 100 m cells: the two routes", fontsize=10)
    ax[2].legend(fontsize=8)
    fig.tight_layout()
    img = os.path.join(ROOT, "docs", "img")
    os.makedirs(img, exist_ok=True)
    fig.savefig(os.path.join(img, "geometry_egms_ustica.png"), dpi=90)


if __name__ == "__main__":
    main()
