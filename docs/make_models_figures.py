"""Figures of docs/models.md from the bundled real data (run with QGIS's Python under xvfb-run).

    xvfb-run -a /usr/bin/python3 docs/make_models_figures.py
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import tempfile

import figure_common

ROOT = figure_common.ROOT
IMG = os.path.join(ROOT, "docs", "img")


def main():
    import numpy as np
    app, plugin, processing = figure_common.start_processing(gui=True)
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsVectorLayer

    shp = glob.glob(os.path.join(ROOT, "tests", "data", "radarsat_boissano", "*.shp"))[0]
    os.makedirs(IMG, exist_ok=True)

    # 1. map of the linear velocity and best model on the real PS
    tmp = tempfile.mkdtemp()
    out = processing.run("geohazard:timeseriesmodels",
                         {"INPUT": shp, "MODELS": [0, 1, 2], "BREAKPOINTS": True,
                          "OUTPUT": os.path.join(tmp, "m.gpkg")},
                         context=QgsProcessingContext(), feedback=QgsProcessingFeedback())["OUTPUT"]
    res = QgsVectorLayer(out, "m", "ogr")
    rows = [(f.geometry().asPoint().x(), f.geometry().asPoint().y(), f["VEL"], f["LIN_VEL"], f["BEST_MODEL"],
             f["BRK_KIND"]) for f in res.getFeatures()]
    x = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    vel = np.array([r[2] for r in rows])
    lin = np.array([r[3] for r in rows])
    best = np.array([r[4] for r in rows])
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15, 4.6), dpi=100)
    ax1, ax2, ax3 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.6, 1.0, 1.6]})
    sc = ax1.scatter(x, y, c=lin, cmap="RdBu", vmin=-8, vmax=8, s=6)
    fig.colorbar(sc, ax=ax1, label="LIN_VEL (mm/yr)", shrink=0.6)
    ax1.set_title("RADARSAT PS Boissano: linear velocity")
    ax1.set_aspect("equal")
    ax1.tick_params(labelsize=7)
    ax1.ticklabel_format(useOffset=False, style="plain")
    ax2.plot(vel, lin, ".", ms=3)
    ax2.plot([-12, 6], [-12, 6], "k-", lw=0.5)
    ax2.set_xlabel("product VEL (mm/yr)")
    ax2.set_ylabel("our LIN_VEL (mm/yr)")
    ax2.set_title(f"max |diff| = {np.max(np.abs(lin - vel)):.3f} mm/yr (product rounds to 0.01)", fontsize=9)
    names = ["linear", "seasonal", "quadratic"]
    for k, nm in enumerate(names):
        sel = best == nm
        ax3.scatter(x[sel], y[sel], s=6, color=f"C{k}", label=f"{nm} ({sel.sum()})")
    ax3.legend(fontsize=8, markerscale=2)
    ax3.set_title("best model by BIC")
    ax3.set_aspect("equal")
    ax3.tick_params(labelsize=7)
    ax3.ticklabel_format(useOffset=False, style="plain")
    fig.tight_layout()
    fig.savefig(os.path.join(IMG, "models_radarsat.png"))

    # 2. inverse velocity on a synthetic failure with known time (1/v = A (tf - t))
    from insar_geohazards.algorithms.models.inversevelocity import forecast_failure
    from insar_geohazards.fileio.display.charts import forecast as plot_forecast

    days = np.arange(0, 372, 6.0)
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=int(t)) for t in days]
    d = (1 / 0.1826) * np.log((400.0 - days) / 400.0) + np.random.default_rng(5).normal(0, 0.1, days.size)
    fc = forecast_failure(d, dates)
    plot_forecast(os.path.join(IMG, "models_inverse_velocity.png"),
                  "synthetic tertiary creep, true failure 2021-02-04", dates, d, fc, 0)
    print("figures in", IMG)
    app.processEvents()
    plugin.unload()


if __name__ == "__main__":
    main()
