"""The figures of the strainrate and comparelayers sections and of the mining time mode, each from a real run of
the tool through the Processing framework.

Run (after `make link`): /usr/bin/python3 docs/make_strain_compare_mining_figures.py [work folder]
  docs/img/geometry_strainrate.png     strainrate on an analytic velocity field (uniform strain + screw dislocation)
  docs/img/hazard_comparelayers.png    comparelayers' own chart: EGMS Ustica descending points projected to the
                                       vertical against the ascending + descending decomposition's up (real data)
  docs/img/hazard_mining_time.png      miningsubsidence MODE 2 on a SIMULATED series: c fitted, forecasts
"""

from __future__ import annotations

import datetime as dt
import math
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

IMG = os.path.join(ROOT, "docs", "img")
DATA = os.path.join(ROOT, "tests", "data")


def write_tif(path, arr, gt, epsg, meta=None, descriptions=None):
    return write_geotiff(path, arr, geotransform=gt, epsg=epsg, metadata=meta, descriptions=descriptions)


def band(path, k=1):
    ds = gdal.Open(path)
    return ds.GetRasterBand(k).ReadAsArray().astype(float)


def strain(processing, work):
    """Uniform strain + a right-lateral screw dislocation striking N150E (30 mm/yr, locked 8 km), 200 m pixels."""
    n, pix = 200, 200.0
    x = (np.arange(n) + 0.5 - n / 2) * pix
    xx, yy = np.meshgrid(x, -x)
    s, c = math.sin(math.radians(150.0)), math.cos(math.radians(150.0))
    v = 30.0 / math.pi * np.arctan((xx * c - yy * s) / 8000.0)
    ve, vn = 1e-5 * xx - 0.5e-5 * yy + v * s, 0.4e-5 * xx + v * c
    gt = (500000.0 - n / 2 * pix, pix, 0.0, 4200000.0 + n / 2 * pix, 0.0, -pix)
    e = write_tif(os.path.join(work, "ve.tif"), ve, gt, 32633, {"UNIT": "mm/yr", "COMPONENT": "EAST"})
    nn = write_tif(os.path.join(work, "vn.tif"), vn, gt, 32633, {"UNIT": "mm/yr", "COMPONENT": "NORTH"})
    res = processing.run("geohazard:strainrate", {
        "INPUT_EAST": e, "INPUT_NORTH": nn, "SMOOTHING_M": 1000.0,
        "OUTPUT_DILATATION": os.path.join(work, "dil.tif"), "OUTPUT_MAX_SHEAR": os.path.join(work, "shear.tif"),
        "OUTPUT_ROTATION": os.path.join(work, "rot.tif"), "OUTPUT_PRINCIPAL": os.path.join(work, "axes.tif")})
    fig = Figure(figsize=(14, 4.2), dpi=80)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 4)
    ext = [x[0] / 1000, x[-1] / 1000, x[0] / 1000, x[-1] / 1000]
    q = axes[0].quiver(xx[::12, ::12] / 1000, yy[::12, ::12] / 1000, ve[::12, ::12], vn[::12, ::12], scale=300)
    axes[0].quiverkey(q, 0.75, -0.16, 10, "10 mm/yr", labelpos="E")
    axes[0].set_title("input velocities (mm/yr)", fontsize=10)
    axes[0].set_aspect("equal")
    for ax, key, title, cmap in ((axes[1], "OUTPUT_DILATATION", "dilatation (nanostrain/yr)", "RdBu_r"),
                                 (axes[2], "OUTPUT_MAX_SHEAR", "max shear (e1 - e2)/2 (nanostrain/yr)", "viridis"),
                                 (axes[3], "OUTPUT_ROTATION", "rotation, + anticlockwise (nrad/yr)", "RdBu_r")):
        arr = band(res[key])
        lim = np.nanmax(np.abs(arr))
        im = ax.imshow(arr, extent=ext, cmap=cmap, vmin=-lim if cmap == "RdBu_r" else 0, vmax=lim)
        ax.set_title(title, fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.8)
    for ax in axes:
        ax.set_xlabel("km")
    fig.tight_layout()
    fig.savefig(os.path.join(IMG, "geometry_strainrate.png"))
    peak = 30.0 / (math.pi * 8000.0) * 1e6 / 2
    print(f"strain: analytic peak shear of the dislocation {peak:.0f} nanostrain/yr, map max "
          f"{np.nanmax(band(res['OUTPUT_MAX_SHEAR'])):.0f}")


def compare(processing, work):
    """EGMS Ustica: descending points projected to the vertical against the decomposed up (100 m, EPSG:3035)."""
    g = os.path.join(DATA, "egms_ustica")
    dec = processing.run("geohazard:ascdescdecomposition", {
        "ASC_POINTS": os.path.join(g, "asc_117_subset.gpkg"), "DESC_POINTS": os.path.join(g, "desc_022_subset.gpkg"),
        "OUTPUT_EAST": os.path.join(work, "east.tif"), "OUTPUT_UP": os.path.join(work, "up.tif"),
        "OUTPUT_QUALITY": os.path.join(work, "q.tif")})
    proj = processing.run("geohazard:losprojection", {"POINTS": os.path.join(g, "asc_117_subset.gpkg"),
                                                      "OUTPUT_POINTS": os.path.join(work, "asc_vertical.gpkg")})
    res = processing.run("geohazard:comparelayers", {
        "INPUT": proj["OUTPUT_POINTS"], "FIELD": "v_vertical", "REFERENCE": dec["OUTPUT_UP"],
        "OUTPUT": os.path.join(work, "pairs.gpkg"), "OUTPUT_TABLE": os.path.join(work, "stats.csv"),
        "OUTPUT_CHART": os.path.join(IMG, "hazard_comparelayers.png")})
    print("compare:", {k: res[k] for k in ("N", "BIAS", "RMSE", "R")})
    with open(res["OUTPUT_TABLE"]) as fh:
        print(fh.read())


def mining_time(processing, work):
    """SIMULATED: a 600 x 240 m longwall 300 m deep, 3 m mined, extraction ended 2021-02-01; a vertical series of
    12-day dates from 2021-01-04 with c = 1.3 /yr and 4 mm noise."""
    sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
    from insar_geohazards.algorithms.hazard.miningsubsidence import Panel, pim_displacement

    e0, n0 = 520000.0, 2140000.0
    ring = [(e0, n0), (e0 + 600, n0), (e0 + 600, n0 + 240), (e0, n0 + 240)]
    end = dt.date(2021, 2, 1)
    dates = [dt.date(2021, 1, 4) + dt.timedelta(days=12 * k) for k in range(45)]
    gt = (e0 - 600.0, 20.0, 0.0, n0 + 840.0, 0.0, -20.0)
    xx, yy = np.meshgrid(gt[0] + (np.arange(90) + 0.5) * 20, gt[3] - (np.arange(72) + 0.5) * 20)
    up = pim_displacement(xx, yy, [Panel.from_vertices(ring, 300.0, 3.0)], subsidence_factor=0.8, tan_beta=2.0,
                          offset_m=20.0, horizontal_factor=0.3)[2]
    frac = np.array([1 - math.exp(-1.3 * (d - end).days / 365.25) if d > end else 0.0 for d in dates])
    cube = frac[:, None, None] * up[None]
    cube = cube - cube[0] + np.random.default_rng(3).normal(0, 4.0, cube.shape)
    series = write_tif(os.path.join(work, "simulated_series.tif"), cube, gt, 32614,
                       {"UNIT": "mm", "COMPONENT": "VERTICAL"}, [d.isoformat() for d in dates])
    plan = os.path.join(work, "plan.gpkg")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32614)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(plan)
    lyr = ds.CreateLayer("panels", srs, ogr.wkbPolygon)
    for name, kind in (("DEPTH_M", ogr.OFTReal), ("THICKNESS_M", ogr.OFTReal), ("END_DATE", ogr.OFTDate)):
        lyr.CreateField(ogr.FieldDefn(name, kind))
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt("POLYGON((" + ",".join(f"{a} {b}" for a, b in ring + ring[:1]) + "))"))
    f.SetField("DEPTH_M", 300.0)
    f.SetField("THICKNESS_M", 3.0)
    f.SetField("END_DATE", "2021/02/01")
    lyr.CreateFeature(f)
    ds = None
    forecast = ["2022-06-01", "2023-06-01", "2026-06-01"]
    res = processing.run("geohazard:miningsubsidence", {
        "MODE": 2, "PANELS": plan, "INPUT": series, "INPUT_COMPONENT": 1, "SUBSIDENCE_FACTOR": 0.8, "TAN_BETA": 2.0,
        "OFFSET_M": 20.0, "FORECAST_DATES": ",".join(forecast), "OUTPUT_VERTICAL": os.path.join(work, "fc.tif"),
        "OUTPUT_PARAMETERS": os.path.join(work, "par.csv")})
    with open(res["OUTPUT_PARAMETERS"]) as fh:
        rows = {r.split(",")[0]: r.split(",")[1:] for r in fh.read().splitlines()[1:]}
    c, se = float(rows["time_factor_per_year"][0]), float(rows["time_factor_per_year"][1])
    print(f"mining time: c = {c:.4f} +- {se:.4f} /yr (truth 1.3)")
    fig = Figure(figsize=(13, 4.2), dpi=80)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    r0, c0 = np.unravel_index(np.argmin(up), up.shape)
    days = np.array([(d - end).days for d in dates])
    axes[0].plot(days, cube[:, r0, c0], ".", color="#2b6ca3", label="SIMULATED series (centre pixel)")
    t = np.linspace(0, 1900, 300)
    base = up[r0, c0] * frac[0]
    axes[0].plot(t, up[r0, c0] * (1 - np.exp(-c * t / 365.25)) - base, color="#c0392b",
                 label=f"fitted: c = {c:.4f} +- {se:.2g} /yr (truth 1.3)")
    for d in forecast:
        axes[0].axvline((dt.date.fromisoformat(d) - end).days, color="0.6", ls=":")
    axes[0].set_xlabel("days since END_DATE")
    axes[0].set_ylabel("vertical (mm, up positive)")
    axes[0].legend(fontsize=8)
    for ax, k in zip(axes[1:], (1, 3)):
        arr = band(res["OUTPUT_VERTICAL"], k)
        im = ax.imshow(arr, cmap="RdBu", vmin=-2000, vmax=2000)
        ax.set_title(f"forecast {forecast[k - 1]} (mm)", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, shrink=0.8)
    axes[0].set_title("Knothe time function fitted to the series", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(IMG, "hazard_mining_time.png"))


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "figures_strain_compare_mining")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.makedirs(IMG, exist_ok=True)
    app, plugin, processing = start_processing()
    strain(processing, work)
    compare(processing, work)
    mining_time(processing, work)
    del plugin
    app.exitQgis()


if __name__ == "__main__":
    main()
