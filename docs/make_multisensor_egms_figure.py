"""EGMS Ustica (L2b 2020-2024, track 117 ascending + track 022 descending): joint east/up histories on 100 m cells.

Every point series is averaged onto the 100 m cells of EGMS L3 (EPSG:3035, edges on multiples of 100 m) with
its cell's mean LOS vector (:func:`grid_points_to_stack`); the two gridded stacks are solved jointly
(:func:`solve_multisensor`, north neglected, as EGMS L3 does without its GNSS model). The same cells are
decomposed by the EGMS L3 Ortho route of ``ascdescdecomposition`` (6-day interpolation, per-date least
squares, velocity fitted afterwards) for comparison. Prints statistics as JSON; with ``--figure PNG`` draws
one cell's input LOS series and its east and up histories (the docs' figure).

Run: `make link` then /usr/bin/python3 docs/make_multisensor_egms_figure.py [EGMS_DIR] [--json OUT] [--figure PNG]
(EGMS_DIR defaults to the bundled tests/data/egms_ustica.)
"""

from __future__ import annotations

import glob
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

from insar_geohazards.algorithms.geometry import decomposition as dc  # noqa: E402
from insar_geohazards.algorithms.geometry.egms_csv import point_set, read_egms_csv  # noqa: E402
from insar_geohazards.algorithms.timeseries.multisensor import Stack, grid_points_to_stack, solve_multisensor  # noqa: E402


def load(src):
    files = sorted(glob.glob(os.path.join(src, "EGMS_L2b_*.zip")))
    if len(files) != 2:
        raise SystemExit(f"expected the two EGMS L2b zips in {src}, found {files}")
    sets = [read_egms_csv(f) for f in files]
    sets.sort(key=lambda s: np.nanmean(s["columns"]["los_east"]))  # ascending first (los_east < 0)
    return sets


def run(src):
    sets = load(src)
    xs = np.concatenate([s["columns"]["easting"] for s in sets])
    ys = np.concatenate([s["columns"]["northing"] for s in sets])
    grid = dc.grid_for_points(xs, ys, 100.0)
    stacks, gridded = [], []
    for s, name in zip(sets, ("EGMS-117-asc", "EGMS-022-desc")):
        c = s["columns"]
        g = grid_points_to_stack(c["easting"], c["northing"], s["series"], c["los_east"], c["los_north"], c["los_up"],
                                 grid)
        gridded.append(g)
        stacks.append(Stack(name, dates=s["dates"], values=g["values"], los_east=g["los_east"],
                            los_north=g["los_north"], los_up=g["los_up"], wavelength_m=0.05546576))
    t0 = time.process_time()
    res = solve_multisensor(stacks)
    cpu = time.process_time() - t0
    # the EGMS L3 Ortho route on the same points and cells
    data = [point_set(s) for s in sets]
    route, route_dates = dc.decompose_point_sets(data, grid, ts=True, spacing=6, max_gap=90.0)
    ok = (res["status"] == 0) & np.isfinite(route["up"])
    stats = {
        "points": [int(s["columns"]["easting"].size) for s in sets], "cells": int(grid.n_rows * grid.n_cols),
        "cells_solved": int((res["status"] == 0).sum()), "cells_compared": int(ok.sum()),
        "dates": len(res.dates), "first": str(res.dates[0]), "last": str(res.dates[-1]),
        "status_counts": np.bincount(res["status"].ravel(), minlength=4).tolist(),
        "up_velocity_median": float(np.median(res["velocity"][1][ok])),
        "east_velocity_median": float(np.median(res["velocity"][0][ok])),
        "up_velocity_vs_route_median_abs": float(np.median(np.abs(res["velocity"][1][ok] - route["up"][ok]))),
        "east_velocity_vs_route_median_abs": float(np.median(np.abs(res["velocity"][0][ok] - route["east"][ok]))),
        "corr_up_velocity": float(np.corrcoef(res["velocity"][1][ok], route["up"][ok])[0, 1]),
        "sigma_up_velocity_median": float(np.nanmedian(res["sigma_velocity"][1][ok])),
        "sigma_up_last_date_median": float(np.nanmedian(res["sigma_up"][-1][ok])),
        "noise_sigma_median": [float(np.nanmedian(res["noise_sigma"][k][ok])) for k in (0, 1)],
        "residual_rms_median": [float(np.nanmedian(res["residual_rms"][k][ok])) for k in (0, 1)],
        "chi2_median": float(np.nanmedian(res["chi2"][ok])),
        "leak_up_per_north_median": float(np.nanmedian(res["leak_per_north"][1][ok])),
        "solve_cpu_s": round(cpu, 1), "report": res.report,
    }
    return res, route, route_dates, gridded, sets, stats, ok


def figure(path, res, route, route_dates, gridded, sets, ok):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = np.minimum(gridded[0]["count"], gridded[1]["count"])
    score = np.where(ok, np.abs(res["velocity"][1]) * (count >= 3), -1)
    r, c = np.unravel_index(int(np.argmax(score)), score.shape)
    fig, ax = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    for g, s, col, lab in zip(gridded, sets, ("tab:blue", "tab:orange"), ("ascending 117", "descending 022")):
        ax[0].plot(s["dates"], g["values"][:, r, c], ".", ms=3, color=col,
                   label=f"{lab}: mean of {int(g['count'][r, c])} points")
    ax[0].set_ylabel("LOS (mm, toward satellite)")
    ax[0].legend(loc="best", fontsize=8)
    for k, name in enumerate(("east", "up")):
        a = ax[1 + k]
        d = np.asarray(res[name][:, r, c], float)
        s_ = np.asarray(res["sigma_" + name][:, r, c], float)
        a.fill_between(res.dates, d - s_, d + s_, color="0.8", label="joint solution, 1 sigma")
        a.plot(res.dates, d, "-", color="k", lw=1, label="joint solution (every acquisition)")
        rt = np.asarray(route[f"{name}_ts"][:, r, c], float)
        # the route's series start at its first common date; put them on the joint solution's datum there
        i0 = int(np.argmin([abs((x - route_dates[0]).days) for x in res.dates]))
        a.plot(route_dates, rt - rt[0] + d[i0], ".", ms=2, color="tab:red", label="6-day route (ascdescdecomposition)")
        a.set_ylabel(f"{name} (mm)")
        a.legend(loc="best", fontsize=8)
    ax[0].set_title(f"EGMS Ustica, 100 m cell row {r} col {c}: up {res['velocity'][1][r, c]:.1f} "
                    f"+/- {res['sigma_velocity'][1][r, c]:.2f} mm/yr, east {res['velocity'][0][r, c]:.1f} "
                    f"+/- {res['sigma_velocity'][0][r, c]:.2f} mm/yr (north neglected)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return int(r), int(c)


def main():
    args = [a for a in sys.argv[1:]]
    src = args[0] if args and not args[0].startswith("--") else os.path.join(ROOT, "tests", "data", "egms_ustica")
    res, route, route_dates, gridded, sets, stats, ok = run(src)
    if "--figure" in args:
        stats["figure_cell"] = figure(args[args.index("--figure") + 1], res, route, route_dates, gridded, sets, ok)
    print(json.dumps(stats, indent=1))
    if "--json" in args:
        with open(args[args.index("--json") + 1], "w") as fh:
            json.dump(stats, fh, indent=1)


if __name__ == "__main__":
    main()
