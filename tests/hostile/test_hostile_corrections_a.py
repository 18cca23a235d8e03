"""Hostile inputs for the stack correction tools of issue 16 part A: modifynetwork, referencepoint, rampremoval,
troposphericcorrection (phase-elevation)."""

import os

import numpy as np
import testutils_hostile as hk
from testutils import write_geotiff

TOOLS = ["modifynetwork", "referencepoint", "rampremoval", "troposphericcorrection"]
OUTPUT = {"referencepoint": ("OUTPUT", "ref.gpkg")}


def recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    files = hk.ifg_stack(j(tmp, "ifgs"), shape=(20, 22))
    name, value = OUTPUT.get(tool, ("OUTPUT", "corrected"))
    params = {"INTERFEROGRAMS": files, name: j(out, value)}
    if tool in ("rampremoval", "troposphericcorrection"):
        params["MIN_PIXELS"] = 20
    if tool == "troposphericcorrection":
        params["DEM"] = hk.dem_raster(j(tmp, "dem.tif"), shape=(20, 22))

    def spoil(kind, folder):
        if kind == "truncated":
            bad = hk.ifg_stack(j(folder, "trunc"), shape=(20, 22))
            hk.truncate(bad[2])
            return {"INTERFEROGRAMS": bad}, os.path.basename(bad[2])
        if kind == "nan":
            return {"INTERFEROGRAMS": hk.ifg_stack(j(folder, "nan"), nan=True, shape=(20, 22))}, "no valid pixel"
        over = {"INTERFEROGRAMS": hk.ifg_stack(j(folder, "radar"), epsg=None, gt=None, shape=(20, 22))}
        if tool == "troposphericcorrection":
            over["DEM"] = hk.dem_raster(j(folder, "radar_dem.tif"), shape=(20, 22), epsg=None, gt=None)
        return over, None

    far = hk.ifg_stack(j(tmp, "far"), gt=hk.FAR_GT, shape=(20, 22))
    overlap = {"COHERENCE": [f.replace(".tif", "_coh.tif") for f in far]}
    for f in overlap["COHERENCE"]:
        write_geotiff(f, np.full((20, 22), 0.8), geotransform=hk.FAR_GT)
    return hk.Recipe(params, [name], ("INTERFEROGRAMS", name), spoil, raster="INTERFEROGRAMS", nocrs="accept",
                     overlap=overlap, implausible={"WAVELENGTH_M": 1e6})


test_hostile = hk.hostile_cases(TOOLS, recipe)


def test_dem_far_away_is_refused(qgis_app, tmp_path):
    r = recipe("troposphericcorrection", tmp_path)
    far = hk.dem_raster(str(tmp_path / "far_dem.tif"), shape=(20, 22), gt=hk.FAR_GT)
    hk.expect_refusal("troposphericcorrection", dict(r.params, DEM=far), "DEM")
