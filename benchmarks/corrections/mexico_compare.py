"""The real Mexico City stack (tests/data, 30 interferograms) through the Corrected SBAS chain and MintPy's
matching steps, side by side, step by step: no truth, so each side's velocity (peak subsidence, the stable strip's
scatter, correlation with the DEM) and their agreement.

    /usr/bin/python3 benchmarks/corrections/mexico_compare.py [--work DIR]

Both sides: the demo's western strip as the stable area, incidence 39.7036 deg and slant range 878 314.5 m (the GAMMA
MLI header of the upstream PyRate test data; they only scale the DEM error). MintPy 1.6.4 runs chain_mintpy.py with
``mintpy_chain.cfg``, the strip as ``deramp.maskFile`` ("stable") or its ``maskTempCoh.h5`` ("ref").
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil

import chain_ours  # first: it sets the numba cache and puts ROOT on sys.path (``algorithms``)
import numpy as np
import world_compare
from common import ROOT, save_json, write_tif

HERE = os.path.dirname(os.path.abspath(__file__))

MEXICO = os.path.join(ROOT, "tests", "data", "sentinel1_mexico_city")
INCIDENCE_DEG = 39.7036
SLANT_RANGE_M = 878314.5356
STRIP_COLS = 15


def write_stack_dir(folder: str) -> None:
    """The stack in chain_stacks.py's layout (what chain_mintpy.py reads)."""
    from osgeo import gdal

    from algorithms.corrections.dem_error import read_date_baselines
    from algorithms.formats.dates import parse_date_pair

    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.join(folder, "ifg"))
    os.makedirs(os.path.join(folder, "coh"))
    unw = sorted(glob.glob(os.path.join(MEXICO, "geotiffs", "*_unw.tif")))
    dates = set()
    for p in unw:
        a, b = parse_date_pair(p)
        dates |= {a, b}
        tag = f"{a:%Y%m%d}_{b:%Y%m%d}"
        gdal.Translate(os.path.join(folder, "ifg", f"{tag}.unw.tif"), p)
        gdal.Translate(os.path.join(folder, "coh", f"{tag}.cc.tif"), p.replace("_eqa_unw.tif", "_flat_eqa_cc.tif"))
    dem_path = os.path.join(MEXICO, "geotiffs", "cropA_T005A_dem.tif")
    gdal.Translate(os.path.join(folder, "dem.tif"), dem_path, outputType=gdal.GDT_Float32)
    dem = gdal.Open(dem_path)
    h, w = dem.RasterYSize, dem.RasterXSize

    def const(name, value):
        write_tif(os.path.join(folder, name), value(np.zeros((h, w), np.float32)), gt=dem.GetGeoTransform(),
                  epsg=dem.GetProjection())

    const("incidence.tif", lambda z: z + INCIDENCE_DEG)
    const("slant_range.tif", lambda z: z + SLANT_RANGE_M)
    const("stable.tif", lambda z: (np.arange(w)[None, :] < STRIP_COLS) + z)
    dates = sorted(dates)
    bp = read_date_baselines(sorted(glob.glob(os.path.join(MEXICO, "baselines", "*"))), dates)
    with open(os.path.join(folder, "bperp.csv"), "w") as f:
        f.write("date,bperp_m\n")
        for d, b in zip(dates, bp):
            f.write(f"{d:%Y-%m-%d},{b:.4f}\n")


def stats(v, stable, dem, sel):
    vr = v - np.nanmean(v[stable & np.isfinite(v)])
    ok = sel & np.isfinite(vr)
    return {"peak_0.5pct": round(float(np.percentile(vr[ok], 0.5)), 1),
            "median": round(float(np.median(vr[ok])), 1),
            "faster_than_-100": int((vr[ok] < -100).sum()),
            "strip_sd": round(float(np.nanstd(vr[stable & ok])), 2),
            "r_dem": round(float(np.corrcoef(vr[ok], dem[ok])[0, 1]), 3)}


def agreement(a, b, stable, dem, sel):
    """RMS of a - b (both referenced to the strip), their correlation, and the plane / height terms of a - b."""
    ar = a - np.nanmean(a[stable & np.isfinite(a)])
    br = b - np.nanmean(b[stable & np.isfinite(b)])
    ok = sel & np.isfinite(ar) & np.isfinite(br)
    diff = (ar - br)[ok]
    rr, cc = np.nonzero(ok)
    g = np.column_stack([np.ones(diff.size), cc / a.shape[1], rr / a.shape[0], (dem[ok] - dem[ok].mean()) / 1000.0])
    coef = np.linalg.lstsq(g, diff, rcond=None)[0]
    return {"rms": round(float(np.sqrt(np.mean(diff ** 2))), 2),
            "r": round(float(np.corrcoef(ar[ok], br[ok])[0, 1]), 4),
            "plane_x_per_scene": round(float(coef[1]), 2), "plane_y_per_scene": round(float(coef[2]), 2),
            "per_km_height": round(float(coef[3]), 2), "pixels": int(ok.sum())}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/geohazard_mexico")
    ap.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "results", "corrections",
                                                  "mexico_vs_mintpy.json"))
    args = ap.parse_args()
    sdir = os.path.join(args.work, "stack")
    if not os.path.exists(os.path.join(sdir, "bperp.csv")):
        write_stack_dir(sdir)
    d = chain_ours.load_mexico()
    h, w = d["dem"].shape
    d["incidence_deg"] = np.full((h, w), INCIDENCE_DEG)
    d["slant_range_m"] = np.full((h, w), SLANT_RANGE_M)
    series, out, ref = world_compare.our_run(d, {})
    mint = {s: world_compare.mintpy_run(sdir, os.path.join(args.work, "mintpy", s), s, "linear")[0]
            for s in world_compare.MINTPY_SETUPS}
    plain = chain_ours.plain(d)["velocity"]
    stable, dem = d["stable"], d["dem"]
    sel = (d["coherence"].mean(axis=0) >= 0.3) & np.isfinite(dem)
    vel = {"ours": out["velocity_unfiltered"], "ours_filtered": out["velocity"], "plain": plain,
           **{f"mintpy_{k}": m["velocity"] for k, m in mint.items()}}
    common = sel & np.logical_and.reduce([np.isfinite(v) for v in vel.values()])
    result = {"reference_px": list(ref), "pixels": int(sel.sum()), "common": int(common.sum()),
              "coverage": {k: int((sel & np.isfinite(v)).sum()) for k, v in vel.items()},
              "velocity": {k: stats(v, stable, dem, common) for k, v in vel.items()},
              "agreement": {f"ours vs {k}": agreement(vel["ours"], vel[k], stable, dem, common)
                            for k in ("mintpy_stable", "mintpy_ref", "plain")}}
    result["agreement"]["mintpy_stable vs plain"] = agreement(vel["mintpy_stable"], plain, stable, dem, common)
    steps = {}
    for step in world_compare.STEPS:
        ok = common & np.all(np.isfinite(series[step]), axis=0)
        for m in mint.values():
            ok &= np.all(np.isfinite(m[step]), axis=0)
        a = world_compare.referenced(series[step], stable)
        steps[step] = {k: round(float(np.sqrt(np.mean((a - world_compare.referenced(m[step], stable))[:, ok] ** 2))),
                                2) for k, m in mint.items()}
    result["series_rms_difference_mm"] = steps
    print(json.dumps(result, indent=1))
    save_json(args.out, result)


if __name__ == "__main__":
    main()
