"""displacementforecast against timeseriesmodels on the same time-series raster (run with QGIS's Python):

    make bench FAMILY=models CASE=forecast [SIZE=ROWSxCOLSxDATES] [REPEATS=N]   (bench_forecast.py SIZE REPEATS)

Pairs through processing.run in this process (CPU seconds of every thread): MODEL 0 (six models, best by BIC) vs
timeseriesmodels' six, MODEL 1 (linear) vs its linear model, MODEL 0 with HOLDOUT 20.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time

from bench_qgis import start_qgis
from common import cpu_s, create_tif


def stack(path, rows, cols, n):
    import numpy as np
    rng = np.random.default_rng(0)
    dates = [dt.date(2019, 1, 3) + dt.timedelta(days=6 * k) for k in range(n)]
    t = np.arange(n) * 6 / 365.25
    ds = create_tif(path, rows, cols, n, options=["TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=3", "INTERLEAVE=BAND"])
    vel = rng.normal(-10, 8, (rows, cols))
    amp = rng.uniform(0, 4, (rows, cols))
    for k in range(n):
        band = ds.GetRasterBand(k + 1)
        band.SetDescription(dates[k].isoformat())
        band.WriteArray((vel * t[k] + amp * np.sin(2 * np.pi * t[k]) + rng.normal(0, 2, (rows, cols)))
                        .astype(np.float32))
    ds = None
    return dates


def main():
    size = sys.argv[1] if len(sys.argv) > 1 else "100x100x200"
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rows, cols, n = (int(v) for v in size.split("x"))
    _app, _plugin = start_qgis()
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "ts.tif")
    dates = stack(path, rows, cols, n)
    last = dates[-1]
    fdates = f"{last + dt.timedelta(days=365)},{last + dt.timedelta(days=730)}"

    def run(alg, params):
        c0, w0 = cpu_s(), time.time()
        processing.run(f"geohazard:{alg}", params, context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
        return cpu_s() - c0, time.time() - w0

    jobs = [
        ("timeseriesmodels, six models", "timeseriesmodels", {"INPUT_RASTER": path, "MODELS": [0, 1, 2, 3, 4, 5]}),
        ("displacementforecast MODEL 0 (six models)", "displacementforecast",
         {"INPUT_RASTER": path, "MODEL": 0, "FORECAST_DATES": fdates}),
        ("timeseriesmodels, linear", "timeseriesmodels", {"INPUT_RASTER": path, "MODELS": [0]}),
        ("displacementforecast MODEL 1 (linear)", "displacementforecast",
         {"INPUT_RASTER": path, "MODEL": 1, "FORECAST_DATES": fdates}),
        ("displacementforecast MODEL 0, HOLDOUT 20", "displacementforecast",
         {"INPUT_RASTER": path, "MODEL": 0, "HOLDOUT": 20, "FORECAST_DATES": fdates}),
    ]
    # a first small run of each tool: imports and lazily bound modules out of the timings
    for _, alg, params in jobs[:2]:
        run(alg, dict(params, OUTPUT_RASTER=os.path.join(tmp, "warm.tif")))
    times = {}
    for r in range(repeats):
        for label, alg, params in jobs:
            out = {"OUTPUT_RASTER": os.path.join(tmp, f"{alg}_{r}.tif")}
            if alg == "displacementforecast":
                out.update(OUTPUT_SIGMA=os.path.join(tmp, f"s_{r}.tif"), OUTPUT_MODEL=os.path.join(tmp, f"m_{r}.tif"))
            times.setdefault(label, []).append(run(alg, dict(params, **out)))
    px = rows * cols
    print(f"{rows} x {cols} px x {n} dates ({px} px), load {os.getloadavg()[0]:.1f}")
    for label, t in times.items():
        c = min(x[0] for x in t)
        w = min(x[1] for x in t)
        print(f"  {label:45s} CPU {c:7.2f} s  wall {w:7.2f} s  -> 1 Mpx: {c * 1e6 / px:7.0f} CPU-s")
    best = {k: min(x[0] for x in v) for k, v in times.items()}
    six = best["displacementforecast MODEL 0 (six models)"] / best["timeseriesmodels, six models"]
    linear = best["displacementforecast MODEL 1 (linear)"] / best["timeseriesmodels, linear"]
    print(f"  CPU ratio forecast / timeseriesmodels: six models {six:.2f}, linear {linear:.2f}")


if __name__ == "__main__":
    main()
