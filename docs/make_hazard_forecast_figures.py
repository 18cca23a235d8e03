"""Figures of docs/hazard.md from the bundled real data, EGMS L2b points on Ustica (run with QGIS's Python):

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 docs/make_hazard_forecast_figures.py

The swath chart is the tool's own OUTPUT_CHART; the forecast figure draws the tool's model (the core it calls) at
many future dates to show the sigma widening with the horizon.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile

import figure_common

ROOT = figure_common.ROOT
IMG = os.path.join(ROOT, "docs", "img")
USTICA = os.path.join(ROOT, "tests", "data", "egms_ustica", "asc_117_subset.gpkg")


def main():
    import numpy as np
    app, _plugin, processing = figure_common.start_processing()
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    os.makedirs(IMG, exist_ok=True)
    tmp = tempfile.mkdtemp()

    def run(alg, params):
        return processing.run(f"geohazard:{alg}", params, context=QgsProcessingContext(),
                              feedback=QgsProcessingFeedback())

    # a profile across the Ustica subset, west to east (EPSG:3035)
    line = figure_common.load_demo().line_gpkg(
        os.path.join(tmp, "line.gpkg"), "LINESTRING(4598610 1741450, 4598850 1741600, 4599090 1741600)", 3035, "line")
    run("swathprofile", {"INPUT": USTICA, "FIELD": "mean_velocity", "LINE": line, "WIDTH": 200.0, "STEP": 40.0,
                         "OUTPUT": os.path.join(tmp, "p.gpkg"), "OUTPUT_CHART": os.path.join(IMG, "hazard_swath.png")})
    run("swathprofile", {"INPUT": USTICA, "LINE": line, "WIDTH": 200.0, "STEP": 40.0,
                         "OUTPUT": os.path.join(tmp, "s.gpkg"),
                         "OUTPUT_CHART": os.path.join(IMG, "hazard_swath_series.png")})
    res = run("displacementforecast", {"INPUT": USTICA, "MODEL": 0, "HOLDOUT": 20, "FORECAST_DATES": "2025-12-31",
                                       "OUTPUT": os.path.join(tmp, "f.gpkg")})

    from osgeo import ogr

    from insar_geohazards.algorithms.formats.dates import dated_fields
    from insar_geohazards.algorithms.hazard import forecast as fc

    ds = ogr.Open(USTICA)
    lyr = ds.GetLayer(0)
    names = [lyr.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(lyr.GetLayerDefn().GetFieldCount())]
    pairs = sorted(dated_fields(names), key=lambda p: p[1])
    feats = list(lyr)
    series = np.array([[f.GetField(n) if f.GetField(n) is not None else np.nan for n, _ in pairs] for f in feats]).T
    ds = None
    dates = [d for _, d in pairs]
    speed = np.nanmean(np.abs(np.diff(series, axis=0)), axis=0)
    picks = [int(np.nanargmax(speed)), int(np.argsort(speed)[len(speed) // 2])]
    future = [dates[-1] + dt.timedelta(days=30 * k) for k in range(1, 25)]
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), dpi=100)
    axes = fig.subplots(1, 2)
    for ax, j in zip(axes, picks):
        f = fc.forecast_series(series[:, j], dates, future, model=fc.BEST, holdout=20)
        ax.plot(dates, series[:, j], ".", ms=3, color="0.4", label="EGMS L2b (mm, LOS)")
        chosen = fc.FORECAST_MODELS[f.model_code[0] - 1]
        ax.plot(future, f.value_mm[:, 0], color="tab:red", label=f"forecast ({chosen})")
        ax.fill_between(future, f.value_mm[:, 0] - f.sigma_mm[:, 0], f.value_mm[:, 0] + f.sigma_mm[:, 0],
                        color="tab:red", alpha=0.25, label="+- 1 sigma of a future measurement")
        rmse = fc.holdout_rmse(f.holdout_sse.sum(), f.holdout_count.sum())
        ax.set_title(f"point {j + 1}: hold-out RMSE {rmse:.1f} mm (last 20 dates)", fontsize=9)
        ax.set_ylabel("displacement (mm)")
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(f"displacementforecast on 207 EGMS points of Ustica: hold-out RMSE of the whole layer "
                 f"{res['HOLDOUT_RMSE_MM']:.2f} mm", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(IMG, "hazard_forecast.png"))
    print(f"hold-out RMSE {res['HOLDOUT_RMSE_MM']:.3f} mm")
    app.exitQgis()


if __name__ == "__main__":
    main()
