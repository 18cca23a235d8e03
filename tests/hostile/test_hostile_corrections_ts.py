"""Hostile inputs for the corrections of part B: unwrapclosurecorrection, demerrorcorrection."""

import datetime as dt
import os

import numpy as np
import testutils_hostile as hk
from testutils import write_geotiff

TOOLS = ["unwrapclosurecorrection", "demerrorcorrection", "pcaatmosphere"]


def _ts(path, *, gt=hk.GT, epsg=32633, nan=False, n=12, shape=(16, 18)):
    rng = np.random.default_rng(0)
    dates = [dt.date(2021, 1, 5) + dt.timedelta(days=12 * i) for i in range(n)]
    arr = np.full((n,) + shape, np.nan) if nan else np.cumsum(rng.normal(0, 2, (n,) + shape), axis=0)
    return write_geotiff(path, arr, geotransform=gt, epsg=epsg, descriptions=[d.isoformat() for d in dates]), dates


def recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    if tool == "unwrapclosurecorrection":
        files = hk.ifg_stack(j(tmp, "ifgs"))
        params = {"INTERFEROGRAMS": files, "OUTPUT": j(out, "fixed"), "OUTPUT_STATS": j(out, "stats.csv"),
                  "OUTPUT_CYCLES": j(out, "cycles.tif")}

        return hk.Recipe(params, ["OUTPUT", "OUTPUT_STATS", "OUTPUT_CYCLES"], ("INTERFEROGRAMS", "OUTPUT_CYCLES"),
                         hk.stack_spoil, raster="INTERFEROGRAMS", nocrs="accept", overlap=hk.far_coherence(tmp),
                         implausible={"WAVELENGTH_M": 1e6})
    if tool == "pcaatmosphere":
        ts, _ = _ts(j(tmp, "ts.tif"), n=24)

        def spoil_ts(kind, folder):
            if kind == "truncated":
                p, _ = _ts(j(folder, "trunc.tif"), n=24)
                hk.truncate(p)
                return {"INPUT": p}, "trunc.tif"
            if kind == "nan":
                p, _ = _ts(j(folder, "nan.tif"), nan=True, n=24)
                return {"INPUT": p}, "no valid pixel"
            p, _ = _ts(j(folder, "radar.tif"), epsg=None, gt=None, n=24)
            return {"INPUT": p}, None

        return hk.Recipe({"INPUT": ts, "TILE_PIXELS": 8, "OUTPUT": j(out, "cor.tif")}, ["OUTPUT"], ("INPUT", "OUTPUT"),
                         spoil_ts, raster="INPUT", nocrs="accept")
    ts, dates = _ts(j(tmp, "ts.tif"))
    csvf = j(tmp, "bperp.csv")
    with open(csvf, "w") as fh:
        fh.write("".join(f"{d.isoformat()},{40 * np.sin(i):.3f}\n" for i, d in enumerate(dates)))
    params = {"INPUT": ts, "BASELINES": [csvf], "OUTPUT": j(out, "cor.tif"), "OUTPUT_DEM_ERROR": j(out, "dz.tif")}

    def spoil(kind, folder):
        if kind == "truncated":
            p, _ = _ts(j(folder, "trunc.tif"))
            hk.truncate(p)
            return {"INPUT": p}, "trunc.tif"
        if kind == "nan":
            p, _ = _ts(j(folder, "nan.tif"), nan=True)
            return {"INPUT": p}, "no valid pixel"
        p, _ = _ts(j(folder, "radar.tif"), epsg=None, gt=None)
        return {"INPUT": p}, None

    inc = write_geotiff(j(tmp, "inc_far.tif"), np.full((16, 18), 39.0), geotransform=hk.FAR_GT)
    return hk.Recipe(params, ["OUTPUT", "OUTPUT_DEM_ERROR"], ("INPUT", "OUTPUT"), spoil, raster="INPUT",
                     nocrs="accept", overlap={"INCIDENCE_RASTER": inc}, implausible={"INCIDENCE": 95.0})


test_hostile = hk.hostile_cases(TOOLS, recipe)
