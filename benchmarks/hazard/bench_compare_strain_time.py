"""comparelayers, strainrate and miningsubsidence MODE 2 through processing.run (run with QGIS's Python):

    make bench FAMILY=hazard CASE=compare_strain_time [SIZE=N]   (bench_compare_strain_time.py N)

On N x N synthetic rasters (default 2000: 4 Mpx): comparelayers raster against raster (difference raster and
statistics; peer: scipy.stats' pearsonr + ttest_rel + wilcoxon on the same pairs, arrays in memory), strainrate
(sigma 3 pixels; floor: numpy.gradient of both components), the time mode's fit (5,000 samples x 60 dates) and
forecast (3 dates on the N x N grid). CPU seconds of this process, a warm-up run of each tool first.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sys
import tempfile
import time

import numpy as np
from common import ROOT, cpu_s
from osgeo import gdal
from testutils import write_geotiff

sys.path.insert(0, os.path.join(ROOT, "demo"))
from run_demo import write_mine_plan  # noqa: E402


def tif(path, arr, gt, meta=None, descriptions=None):
    return write_geotiff(path, arr, geotransform=gt, metadata=meta, descriptions=descriptions,
                         options=["TILED=YES", "COMPRESS=DEFLATE", "ZLEVEL=1"])


def timed(processing, label, alg, params):
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    c0, w0 = cpu_s(), time.time()
    res = processing.run(alg, params, context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    print(f"{label}: {time.time() - w0:.2f} s wall, {cpu_s() - c0:.2f} CPU-s")
    return res


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(f"load {os.getloadavg()[0]:.1f}, {n} x {n} px")
    from bench_qgis import start_qgis

    _app, _plugin = start_qgis()
    import processing

    tmp = tempfile.mkdtemp()
    rng = np.random.default_rng(0)
    gt = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)
    truth = rng.normal(-5, 4, (n, n)).astype(np.float32)
    a = tif(os.path.join(tmp, "a.tif"), truth + rng.normal(0, 1, (n, n)), gt, {"UNIT": "mm/yr"})
    b = tif(os.path.join(tmp, "b.tif"), truth + rng.normal(0.3, 1, (n, n)), gt, {"UNIT": "mm/yr"})
    small = {"INPUT": a, "REFERENCE": b, "OUTPUT_TABLE": os.path.join(tmp, "w.csv")}
    processing.run("geohazard:comparelayers", dict(small, OUTPUT_RASTER=os.path.join(tmp, "w.tif")))
    timed(processing, f"comparelayers raster/raster {n * n:,} pairs", "geohazard:comparelayers",
          dict(small, OUTPUT_RASTER=os.path.join(tmp, "d.tif"), OUTPUT_TABLE=os.path.join(tmp, "t.csv")))
    from scipy import stats as st

    ds_a, ds_b = gdal.Open(a), gdal.Open(b)
    xa, xb = ds_a.ReadAsArray().astype(float).ravel(), ds_b.ReadAsArray().astype(float).ravel()
    c0 = cpu_s()
    st.pearsonr(xa, xb), st.ttest_rel(xa, xb), st.wilcoxon(xa, xb)
    print(f"peer: scipy.stats pearsonr + ttest_rel + wilcoxon in memory: {cpu_s() - c0:.2f} CPU-s")

    xx, yy = np.meshgrid(np.arange(n) * 20.0, -np.arange(n) * 20.0)
    ve = 1e-5 * xx
    vn = 30 / math.pi * np.arctan((xx - n * 10.0) / 8000.0) + 0.5e-5 * yy
    e = tif(os.path.join(tmp, "ve.tif"), ve, gt, {"UNIT": "mm/yr", "COMPONENT": "EAST"})
    nn = tif(os.path.join(tmp, "vn.tif"), vn, gt, {"UNIT": "mm/yr", "COMPONENT": "NORTH"})
    outs = {k: os.path.join(tmp, f"{k}.tif") for k in ("OUTPUT_DILATATION", "OUTPUT_MAX_SHEAR", "OUTPUT_ROTATION",
                                                         "OUTPUT_PRINCIPAL")}
    timed(processing, f"strainrate {n * n:,} px, SMOOTHING_M 60 (3 px), four outputs", "geohazard:strainrate",
          dict(outs, INPUT_EAST=e, INPUT_NORTH=nn, SMOOTHING_M=60.0))
    c0 = cpu_s()
    np.gradient(ve, 20.0), np.gradient(vn, 20.0)
    print(f"floor: numpy.gradient of both components in memory: {cpu_s() - c0:.2f} CPU-s")

    from insar_geohazards.algorithms.hazard.miningsubsidence import Panel, pim_displacement

    e0, n0 = 500000.0 + n * 10.0 - 300, 4100000.0 - n * 10.0 - 120
    ring = [(e0, n0), (e0 + 600, n0), (e0 + 600, n0 + 240), (e0, n0 + 240)]
    dates = [dt.date(2021, 1, 4) + dt.timedelta(days=12 * k) for k in range(60)]
    m = min(n, 300)
    sgt = (e0 - 2700.0, 20.0, 0.0, n0 + 3120.0, 0.0, -20.0)
    sx, sy = np.meshgrid(sgt[0] + (np.arange(m) + 0.5) * 20, sgt[3] - (np.arange(m) + 0.5) * 20)
    up = pim_displacement(sx, sy, [Panel.from_vertices(ring, 300.0, 3.0)], subsidence_factor=0.8, tan_beta=2.0)[2]
    frac = np.array([1 - math.exp(-1.3 * (d - dt.date(2021, 2, 1)).days / 365.25) if d > dt.date(2021, 2, 1) else 0
                     for d in dates])
    cube = frac[:, None, None] * up[None] + rng.normal(0, 4, (len(dates), m, m))
    series = tif(os.path.join(tmp, "series.tif"), cube - cube[0], sgt, {"UNIT": "mm", "COMPONENT": "VERTICAL"},
                 [d.isoformat() for d in dates])
    plan = write_mine_plan(os.path.join(tmp, "plan.gpkg"), [(ring, 300.0, 3.0)], 32633)
    res = timed(processing, f"miningsubsidence MODE 2 fit: 5,000 samples x {len(dates)} dates ({m} x {m} series), "
                "forecast on its grid, 3 dates", "geohazard:miningsubsidence",
                {"MODE": 2, "PANELS": plan, "INPUT": series, "INPUT_COMPONENT": 1, "END_DATE": "2021-02-01",
                 "FORECAST_DATES": "2022-01-01,2023-01-01,2026-01-01", "OUTPUT_VERTICAL": os.path.join(tmp, "f1.tif"),
                 "OUTPUT_PARAMETERS": os.path.join(tmp, "p.csv")})
    with open(res["OUTPUT_PARAMETERS"]) as fh:
        row = [r for r in fh.read().splitlines() if r.startswith("time_factor_per_year")][0]
    print(f"  fitted {row} (truth 1.3)")
    timed(processing, f"miningsubsidence MODE 2 forecast, typed c, {n * n:,} px x 3 dates",
          "geohazard:miningsubsidence",
          {"MODE": 2, "PANELS": plan, "TIME_FACTOR": 1.3, "END_DATE": "2021-02-01", "PIXEL_SIZE": 20.0,
           "EXTENT": f"{gt[0]},{gt[0] + n * 20},{gt[3] - n * 20},{gt[3]} [EPSG:32633]",
           "FORECAST_DATES": "2022-01-01,2023-01-01,2026-01-01", "OUTPUT_VERTICAL": os.path.join(tmp, "f2.tif")})

if __name__ == "__main__":
    main()
