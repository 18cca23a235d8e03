"""Figure of docs/corrections.md: the shipped model geohazard:correctedsbas on the Mexico City stack
(as `make demo` runs it) against the uncorrected SBAS velocity with the same reference point.

    make link && /usr/bin/python3 docs/make_corrections_figure.py [WORK_FOLDER]

Writes docs/img/corrections_mexico_city.png: one interferogram before / after the tropospheric and ramp
corrections, the removed part, and the SBAS velocity before / after.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMG = os.path.join(ROOT, "docs", "img", "corrections_mexico_city.png")
MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city", "geotiffs")


def _read(path):
    import numpy as np
    from osgeo import gdal

    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    arr = band.ReadAsArray().astype(float)
    nodata = band.GetNoDataValue()
    ds = None
    if nodata is not None and np.isfinite(nodata):
        arr[arr == nodata] = np.nan
    return arr


def _demo():
    spec = importlib.util.spec_from_file_location("run_demo", os.path.join(ROOT, "demo", "run_demo.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(work: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    demo = _demo()
    os.makedirs(work, exist_ok=True)
    step = next(s for s in demo.steps(work) if s["alg"] == "geohazard:correctedsbas")
    step["prepare"]()
    res = demo.qgis_process(step["alg"], {k: v() if callable(v) else v for k, v in step["params"].items()})
    from osgeo import ogr

    ds = ogr.Open(res["reference:REFERENCE"])
    layer = ds.GetLayer(0)
    feature = layer.GetNextFeature()
    geom = feature.GetGeometryRef()
    ref = f"{geom.GetX()!r},{geom.GetY()!r} [EPSG:4326]"
    feature = layer = ds = None
    raw = demo.qgis_process("geohazard:sbasinversion", {
        "INTERFEROGRAMS": MEXICO, "COHERENCE": MEXICO, "REFERENCE": ref,
        "OUTPUT_TIMESERIES": os.path.join(work, "raw_ts.tif"), "OUTPUT_VELOCITY": os.path.join(work, "raw_v.tif")})
    name = "cropA_20180307-20180611_VV_8rlks_eqa_unw.tif"
    before = _read(os.path.join(MEXICO, name))
    after = _read(os.path.join(res["ramps:CORRECTED"], name))
    v0, v1 = _read(raw["OUTPUT_VELOCITY"]), _read(res["sbas:VELOCITY"])
    fig, ax = plt.subplots(2, 3, figsize=(13, 6.2), dpi=100)
    lim = np.nanpercentile(np.abs(before - np.nanmedian(before)), 98)
    for a, arr, title in ((ax[0, 0], before - np.nanmedian(before), f"{name[6:23]} before (rad)"),
                          (ax[0, 1], after - np.nanmedian(after), "after troposphere + ramps (rad)"),
                          (ax[0, 2], (before - after) - np.nanmedian(before - after), "removed (rad)")):
        im = a.imshow(arr, cmap="RdBu_r", vmin=-lim, vmax=lim)
        a.set_title(title, fontsize=9)
        fig.colorbar(im, ax=a, shrink=0.8)
    vl = np.nanpercentile(np.abs(v0), 99)
    for a, arr, title in ((ax[1, 0], v0, "SBAS velocity, uncorrected (mm/yr)"),
                          (ax[1, 1], v1, "SBAS velocity, Corrected SBAS model (mm/yr)"),
                          (ax[1, 2], v1 - v0, "difference (mm/yr)")):
        im = a.imshow(arr, cmap="RdBu_r", vmin=-vl, vmax=vl)
        a.set_title(title, fontsize=9)
        fig.colorbar(im, ax=a, shrink=0.8)
    for a in ax.ravel():
        a.axvline(14.5, color="k", lw=0.8, ls="--")
        a.set_xticks([])
        a.set_yticks([])
    fig.suptitle("Mexico City, Sentinel-1 (30 interferograms, 2018): dashed line = east edge of the stable strip",
                 fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(IMG), exist_ok=True)
    fig.savefig(IMG)
    ok = np.isfinite(v0) & np.isfinite(v1)
    print(f"wrote {IMG}; velocity change: median {np.median((v1 - v0)[ok]):.1f} mm/yr, 5-95 % "
          f"{np.percentile((v1 - v0)[ok], 5):.1f}..{np.percentile((v1 - v0)[ok], 95):.1f} mm/yr; "
          f"stable strip RMS before {np.sqrt(np.nanmean(v0[:, :15] ** 2)):.1f}, after "
          f"{np.sqrt(np.nanmean(v1[:, :15] ** 2)):.1f} mm/yr")
    return IMG


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="corrections_figure_"))
