"""Figure of docs/corrections.md: the shipped model geohazard:correctedsbas on the Mexico City stack
(as `make demo` runs it) against the uncorrected SBAS velocity with the same reference point.

    make link && /usr/bin/python3 docs/make_corrections_figure.py [WORK_FOLDER]

Writes docs/img/corrections_mexico_city.png: one interferogram before / after the corrections and the removed
part; the plain SBAS velocity, the model's final velocity and their difference, with the demo's stable strip and
with the dialog defaults (no stable area); prints the numbers quoted in docs/corrections.md (peak rate, pixels
faster than -100 mm/yr, correlation of the difference with the DEM, its tilt across the crop, time-series scatter
on the strip).
"""

from __future__ import annotations

import os
import sys
import tempfile

import figure_common

ROOT = figure_common.ROOT
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


def _tilt(diff):
    """Range over the crop of the plane fitted to a velocity difference (mm/yr)."""
    import numpy as np

    ok = np.isfinite(diff)
    rr, cc = np.nonzero(ok)
    g = np.stack([np.ones(rr.size), cc, rr], axis=1)
    c = np.linalg.lstsq(g, diff[ok], rcond=None)[0]
    return abs(c[1]) * (diff.shape[1] - 1) + abs(c[2]) * (diff.shape[0] - 1)


def _scatter(ts, years, sel):
    """RMS (mm) of the time series about their straight line, over the pixels ``sel``."""
    import numpy as np

    x = ts[:, sel]
    x = x[:, np.isfinite(x).all(axis=0)]
    g = np.stack([np.ones_like(years), years], axis=1)
    return float(np.sqrt(np.mean((x - g @ np.linalg.lstsq(g, x, rcond=None)[0]) ** 2)))


def _series(path):
    import numpy as np
    from osgeo import gdal

    ds = gdal.Open(path)
    arr = ds.ReadAsArray().astype(float)
    dates = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    ds = None
    import datetime as dt

    d = [dt.date.fromisoformat(x) for x in dates]
    years = np.array([(x - d[0]).days for x in d]) / 365.25
    return np.where(np.isfinite(arr), arr, np.nan), years


def main(work: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    demo = figure_common.load_demo()
    os.makedirs(work, exist_ok=True)
    step = next(s for s in demo.steps(work) if s["alg"] == "geohazard:correctedsbas")
    step["prepare"]()
    params = {k: v() if callable(v) else v for k, v in step["params"].items()}
    params["demerror:VELOCITY_UNFILTERED"] = os.path.join(work, "velocity_unfiltered.tif")
    res = demo.qgis_process(step["alg"], params)
    # the dialog defaults: no stable area
    free = {k: (os.path.join(work, "defaults_" + os.path.basename(v)) if ":" in k else v)
            for k, v in params.items() if k != "STABLE_AREA"}
    res0 = demo.qgis_process(step["alg"], free)
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
    raw0 = demo.qgis_process("geohazard:sbasinversion", {
        "INTERFEROGRAMS": MEXICO, "COHERENCE": MEXICO,
        "OUTPUT_TIMESERIES": os.path.join(work, "raw0_ts.tif"), "OUTPUT_VELOCITY": os.path.join(work, "raw0_v.tif")})
    name = "cropA_20180307-20180611_VV_8rlks_eqa_unw.tif"
    before = _read(os.path.join(MEXICO, name))
    after = _read(os.path.join(res["ramps:CORRECTED"], name))
    v0, v1 = _read(raw["OUTPUT_VELOCITY"]), _read(res["demerror:VELOCITY"])
    w0, w1 = _read(raw0["OUTPUT_VELOCITY"]), _read(res0["demerror:VELOCITY"])
    dem = _read(os.path.join(MEXICO, "cropA_T005A_dem.tif"))
    fig, ax = plt.subplots(3, 3, figsize=(13, 9.0), dpi=100)
    lim = np.nanpercentile(np.abs(before - np.nanmedian(before)), 98)
    for a, arr, title in ((ax[0, 0], before - np.nanmedian(before), f"{name[6:23]} before (rad)"),
                          (ax[0, 1], after - np.nanmedian(after), "after the corrections (rad)"),
                          (ax[0, 2], (before - after) - np.nanmedian(before - after), "removed (rad)")):
        im = a.imshow(arr, cmap="RdBu_r", vmin=-lim, vmax=lim)
        a.set_title(title, fontsize=9)
        fig.colorbar(im, ax=a, shrink=0.8)
    vl = np.nanpercentile(np.abs(v0), 99)
    u1, u0 = _read(res["demerror:VELOCITY_UNFILTERED"]), _read(res0["demerror:VELOCITY_UNFILTERED"])
    rows = ((ax[1], v0, v1, u1, "with the demo's stable strip"),
            (ax[2], w0, w1, u0, "dialog defaults (no stable area)"))
    strip = np.zeros(v0.shape, bool)
    strip[:, :15] = True
    stats = []
    for axes, p, c, u, label in rows:
        d = c - p
        d = d - np.nanmedian(d)  # same reference point: only the corrections differ (constant: none)
        for a, arr, title, lims in ((axes[0], p, f"plain SBAS velocity (mm/yr),\n{label}", vl),
                                    (axes[1], c, "Corrected SBAS final velocity (mm/yr),\n"
                                                  "3 x 3 noise-adaptive filter", vl),
                                    (axes[2], d, "corrected - plain (mm/yr)", 30.0)):
            im = a.imshow(arr, cmap="RdBu_r", vmin=-lims, vmax=lims)
            a.set_title(title, fontsize=9)
            fig.colorbar(im, ax=a, shrink=0.8)
        ok = np.isfinite(d) & np.isfinite(dem)
        stats.append({"setup": label, "peak_plain": float(np.nanpercentile(p, 0.5)),
                      "peak_corrected": float(np.nanpercentile(c, 0.5)),
                      "peak_unfiltered": float(np.nanpercentile(u, 0.5)),
                      "faster_than_100_plain": int(np.sum(p < -100)),
                      "faster_than_100_corrected": int(np.sum(c < -100)),
                      "r_diff_dem": float(np.corrcoef(d[ok], dem[ok])[0, 1]), "tilt": float(_tilt(d)),
                      "diff_rms": float(np.nanstd(d)),
                      # velocity scatter on the stable strip: plain, corrected before and after the final filter
                      "strip_std_plain": float(np.nanstd(p[strip])), "strip_std_unfiltered": float(np.nanstd(u[strip])),
                      "strip_std_corrected": float(np.nanstd(c[strip]))})
    for a in ax[:2].ravel():
        a.axvline(14.5, color="k", lw=0.8, ls="--")
    for a in ax.ravel():
        a.set_xticks([])
        a.set_yticks([])
    fig.suptitle("Mexico City, Sentinel-1 (30 interferograms, 2018): dashed line = east edge of the demo's stable "
                 "strip; differences with their median removed", fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(IMG), exist_ok=True)
    fig.savefig(IMG)
    ts_p, years = _series(raw["OUTPUT_TIMESERIES"])
    ts_c, _ = _series(res["demerror:TIMESERIES"])
    print(f"wrote {IMG}")
    for st in stats:
        print("  " + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in st.items()))
    print(f"  time-series scatter about a line on the stable strip: plain {_scatter(ts_p, years, strip):.2f} mm, "
          f"corrected {_scatter(ts_c, years, strip):.2f} mm")
    return IMG


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="corrections_figure_"))
