"""The figure of the miningsubsidence MODE 3 section (docs/hazard.md): a SIMULATED longwall whose face advances east,
its vertical series made element by element in numpy (tests/testutils_mining_worlds.simulate: each 5 m cell
extracted when the face reaches it, its Gaussian influence lagged by Knothe's function, a steeper draw on the
right of the advance), 3 mm of noise; the tool (MODE 3, through the Processing framework) fits c and the basin
from the defaults and forecasts.

Run (after `make link`): /usr/bin/python3 docs/make_mining_advance_figure.py [work folder]
  docs/img/hazard_mining_advance.png
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from osgeo import gdal, ogr, osr

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
from figure_common import start_processing  # noqa: E402
from testutils import write_geotiff  # noqa: E402
from testutils_mining_worlds import rectangle, simulate  # noqa: E402

IMG = os.path.join(ROOT, "docs", "img")
E0, N0, EPSG = 520000.0, 2140000.0, 32614
TRUTH = dict(q=0.72, tan_beta=2.4, tan_beta_2=3.2, offset_m=15.0, b=0.3, c=2.2)


def world(work):
    """SIMULATED: a 1,000 x 240 m longwall 320 m deep, 3.2 m mined, its face advancing east from 2021-03-01 to
    2021-12-01; a vertical series every 12 days from 2021-01-04 (60 dates) with 3 mm noise."""
    panel = dict(centre=np.array([E0, N0]), length_m=1000.0, width_m=240.0, axis_deg=90.0, depth_m=320.0,
                 thickness_m=3.2, start=dt.date(2021, 3, 1), end=dt.date(2021, 12, 1))
    dates = [dt.date(2021, 1, 4) + dt.timedelta(days=12 * k) for k in range(60)]
    pixel = 25.0
    gt = (E0 - 850.0, pixel, 0.0, N0 + 520.0, 0.0, -pixel)
    xx, yy = np.meshgrid(gt[0] + (np.arange(68) + 0.5) * pixel, gt[3] - (np.arange(42) + 0.5) * pixel)
    clean = simulate((xx.ravel(), yy.ravel()), dates, [panel], q=TRUTH["q"], tan_beta=TRUTH["tan_beta"],
                     tan_beta_2=TRUTH["tan_beta_2"], offset_m=TRUTH["offset_m"], b=TRUTH["b"], c=TRUTH["c"])
    clean = clean.reshape(len(dates), *xx.shape)
    noise = np.random.default_rng(5).normal(0, 3.0, clean.shape)
    cube = clean - clean[0] + noise - noise[0]
    series = write_geotiff(os.path.join(work, "simulated_series.tif"), cube, geotransform=gt, epsg=EPSG,
                           metadata={"UNIT": "mm", "COMPONENT": "VERTICAL"},
                           descriptions=[d.isoformat() for d in dates])
    plan = os.path.join(work, "plan.gpkg")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(plan)
    lyr = ds.CreateLayer("panels", srs, ogr.wkbPolygon)
    for name, kind in (("DEPTH_M", ogr.OFTReal), ("THICKNESS_M", ogr.OFTReal), ("START_DATE", ogr.OFTDate),
                       ("END_DATE", ogr.OFTDate), ("ADVANCE_AZIMUTH_DEG", ogr.OFTReal)):
        lyr.CreateField(ogr.FieldDefn(name, kind))
    ring = rectangle(panel["centre"], panel["length_m"], panel["width_m"], 90.0)
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt("POLYGON((" + ",".join(f"{a} {b}" for a, b in list(ring) + [ring[0]])
                                            + "))"))
    for name, value in (("DEPTH_M", 320.0), ("THICKNESS_M", 3.2), ("START_DATE", "2021/03/01"),
                        ("END_DATE", "2021/12/01"), ("ADVANCE_AZIMUTH_DEG", 90.0)):
        f.SetField(name, value)
    lyr.CreateFeature(f)
    ds = None
    return panel, dates, gt, xx, yy, clean, cube, series, plan, ring


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "figure_mining_advance")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.makedirs(IMG, exist_ok=True)
    panel, dates, gt, xx, yy, clean, cube, series, plan, ring = world(work)
    app, plugin, processing = start_processing()
    forecast = [d.isoformat() for d in dates] + ["2023-01-01", "2026-01-01"]
    res = processing.run("geohazard:miningsubsidence", {
        "MODE": 3, "PANELS": plan, "INPUT": series, "INPUT_COMPONENT": 1, "TAN_BETA_2": 2.0,
        "FORECAST_DATES": ",".join(forecast), "OUTPUT_VERTICAL": os.path.join(work, "fc.tif"),
        "OUTPUT_PARAMETERS": os.path.join(work, "par.csv")})
    with open(res["OUTPUT_PARAMETERS"]) as fh:
        rows = {r.split(",")[0]: [float(v) if v else np.nan for v in r.split(",")[1:]]
                for r in fh.read().splitlines()[1:]}
    c, se = rows["time_factor_per_year"]
    print(f"mining advance: c = {c:.4f} +- {se:.4f} /yr (truth {TRUTH['c']}); " + ", ".join(
        f"{k} {rows[k][0]:.3f} +- {rows[k][1]:.3f}" for k in ("subsidence_factor", "tan_beta", "tan_beta_2",
                                                              "offset_m")))
    fc = gdal.Open(res["OUTPUT_VERTICAL"]).ReadAsArray()
    n = len(dates)
    fig = Figure(figsize=(14, 4.4), dpi=80)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    mid = next(k for k, d in enumerate(dates) if d >= dt.date(2021, 8, 1))
    ext = (gt[0] - E0, gt[0] + gt[1] * xx.shape[1] - E0, gt[3] + gt[5] * xx.shape[0] - N0, gt[3] - N0)
    im = axes[0].imshow(fc[mid], cmap="RdBu", vmin=-2000, vmax=2000, extent=ext)
    face = -500 + 1000 * (dates[mid] - panel["start"]).days / (panel["end"] - panel["start"]).days
    closed = np.vstack([ring, ring[:1]]) - [E0, N0]
    axes[0].plot(closed[:, 0], closed[:, 1], color="k", lw=1)
    axes[0].plot([face, face], [-120, 120], color="#c0392b", lw=2, label=f"face on {dates[mid]}")
    axes[0].set_title(f"MODE 3 on {dates[mid]} (mm, up positive)", fontsize=10)
    axes[0].set_xlabel("east of the panel's centre (m)")
    axes[0].legend(fontsize=8, loc="lower left")
    fig.colorbar(im, ax=axes[0], shrink=0.8)
    row = int(np.argmin(np.abs(yy[:, 0] - N0)))
    x = xx[row] - E0
    for k, colour in zip((mid - 8, mid, mid + 10, n + 1), ("#9ecae1", "#4292c6", "#08519c", "#000000")):
        label = forecast[k]
        axes[1].plot(x, fc[k, row], color=colour, label=f"tool {label}")
        if k < n:
            axes[1].plot(x[::3], clean[k, row, ::3], "o", ms=3, color=colour, mfc="none")
    axes[1].set_title("profile along the advance: tool (lines), element simulation (circles)", fontsize=9)
    axes[1].set_xlabel("east of the panel's centre (m)")
    axes[1].set_ylabel("vertical (mm)")
    axes[1].legend(fontsize=7)
    days = np.array([(d - dates[0]).days for d in dates])
    for xe, colour in ((-350.0, "#2b6ca3"), (350.0, "#c0392b")):
        col = int(np.argmin(np.abs(xx[0] - E0 - xe)))
        axes[2].plot(days, cube[:, row, col], ".", color=colour, ms=4, label=f"SIMULATED series x = {xe:+.0f} m")
        axes[2].plot(days, fc[:n, row, col] - fc[0, row, col], color=colour)
    axes[2].set_title(f"fitted from the defaults: c = {c:.4f} +- {se:.4f} /yr (truth {TRUTH['c']})", fontsize=9)
    axes[2].set_xlabel(f"days since {dates[0]}")
    axes[2].set_ylabel("vertical since the first date (mm)")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(IMG, "hazard_mining_advance.png"))
    del plugin
    app.exitQgis()


if __name__ == "__main__":
    main()
