"""PCA atmosphere correction vs phase-elevation on synthetic stacks with known truth.

Usage: /usr/bin/python3 bench_pca.py OUT_JSON [--tile 64]

Scenarios of turbulent and stratified delays, a surge outside the temporal model, few dates; methods: none, PCA, a
phase-elevation fit per tile and over the image; RMS of the series (mm) and velocity (mm/yr) errors.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from common import save_json
from testutils_atmosphere import atmosphere_stack, velocity

from insar_geohazards.algorithms.corrections.pca import pca_block, phase_elevation_block, smooth_model

SCENARIOS = [
    ("turbulent", dict(strat_mm_per_km=2, turb_mm=6)),
    ("random stratified", dict(strat_mm_per_km=15, turb_mm=1)),
    ("stratified + turbulent", dict(strat_mm_per_km=10, turb_mm=5)),
    ("seasonal stratified", dict(strat_mm_per_km=1, seasonal_mm_per_km=20, turb_mm=1)),
    ("surge, date not declared", dict(strat_mm_per_km=3, turb_mm=4, surge_mm=-40.0)),
    ("surge, date declared", dict(strat_mm_per_km=3, turb_mm=4, surge_mm=-40.0)),
    ("16 dates", dict(n_dates=16, strat_mm_per_km=10, turb_mm=5)),
]


def rms(a):
    return float(np.sqrt(np.mean(np.asarray(a, np.float64) ** 2)))


def main():
    out_json = os.path.abspath(sys.argv[1])
    tile = int(sys.argv[sys.argv.index("--tile") + 1]) if "--tile" in sys.argv else 64
    rows = []
    for name, kw in SCENARIOS:
        s = atmosphere_stack(seed=11, **kw)
        n = len(s["dates"])
        steps = [s["dates"][n // 2]] if name == "surge, date declared" else []
        g = smooth_model(s["dates"], step_dates=steps)
        t0 = time.perf_counter()
        pca = pca_block(s["series_mm"], g, tile=tile)["corrected_mm"]
        t_pca = time.perf_counter() - t0
        methods = {"none": s["series_mm"], "PCA": pca,
                   "phase-elevation (tile)": phase_elevation_block(s["series_mm"], s["dem_m"], tile=tile),
                   "phase-elevation (image)": phase_elevation_block(s["series_mm"], s["dem_m"], tile=10 ** 6)}
        vt = velocity(s["deformation_mm"], s["years"])
        row = {"scenario": name, "dates": n, "tile": tile, "pca_seconds": t_pca,
               "ts_rms_mm": {k: rms(v - s["deformation_mm"]) for k, v in methods.items()},
               "velocity_rms_mm_yr": {k: rms(velocity(v, s["years"]) - vt) for k, v in methods.items()}}
        rows.append(row)
        print(f"{name:26s} ts RMS " + "  ".join(f"{k} {v:5.2f}" for k, v in row["ts_rms_mm"].items())
              + " | vel RMS " + "  ".join(f"{v:5.2f}" for v in row["velocity_rms_mm_yr"].values()))
    save_json(out_json, {"load": os.getloadavg(), "rows": rows})


if __name__ == "__main__":
    main()
