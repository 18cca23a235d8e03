"""Hostile inputs for the correction tools: modifynetwork, referencepoint, rampremoval, troposphericcorrection
(phase-elevation) on stacks; unwrapclosurecorrection, demerrorcorrection, pcaatmosphere on time series."""

import datetime as dt
import os

import numpy as np
import registry
import testutils_hostile as hk
from testutils import write_geotiff

OUTPUT = {"referencepoint": ("OUTPUT", "ref.gpkg")}


def recipe_stack(tool, tmp):
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


def test_dem_far_away_is_refused(qgis_app, tmp_path):
    r = recipe_stack("troposphericcorrection", tmp_path)
    far = hk.dem_raster(str(tmp_path / "far_dem.tif"), shape=(20, 22), gt=hk.FAR_GT)
    hk.expect_refusal("troposphericcorrection", dict(r.params, DEM=far), "DEM")


def _ts(path, *, gt=hk.GT, epsg=32633, nan=False, n=12, shape=(16, 18)):
    rng = np.random.default_rng(0)
    dates = [dt.date(2021, 1, 5) + dt.timedelta(days=12 * i) for i in range(n)]
    arr = np.full((n,) + shape, np.nan) if nan else np.cumsum(rng.normal(0, 2, (n,) + shape), axis=0)
    return write_geotiff(path, arr, geotransform=gt, epsg=epsg, descriptions=[d.isoformat() for d in dates]), dates


def recipe_series(tool, tmp):
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
    params = {"INPUT": ts, "BASELINES": [csvf], "SLANT_RANGE": 850000.0, "INCIDENCE": 39.0, "OUTPUT": j(out, "cor.tif"),
              "OUTPUT_DEM_ERROR": j(out, "dz.tif")}

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


#: the tools of the family and the recipe (recipe_stack or recipe_series) tests/registry.py names for each
TOOLS, recipe = registry.hostile_family("corrections", globals())
test_hostile = hk.hostile_cases(TOOLS, recipe)


def test_demerrorcorrection_without_a_geometry_is_refused(qgis_app, tmp_path):
    """A series carrying no slant range or incidence, none typed: formerly 850 km / 39 degrees, silently."""
    ts, dates = _ts(str(tmp_path / "ts.tif"))
    (tmp_path / "b.csv").write_text("".join(f"{d.isoformat()},{40 * np.sin(i):.3f}\n" for i, d in enumerate(dates)))
    out = {"OUTPUT": str(tmp_path / "c.tif"), "OUTPUT_DEM_ERROR": str(tmp_path / "dz.tif")}
    hk.expect_refusal("demerrorcorrection", {"INPUT": ts, "BASELINES": [str(tmp_path / "b.csv")], **out},
                      r"SLANT_RANGE_M: the inputs carry no slant range .*type SLANT_RANGE_M \(one value in metres"
                      r".*the Corrected SBAS model's SLANT_RANGE raster")
    assert not any(os.path.exists(v) for v in out.values())


def test_referencepoint_stable_area_without_a_full_pixel_is_refused_and_a_choice_is_said(qgis_app, tmp_path):
    """A stable area whose pixels all lack data in one interferogram is refused naming it; a scene with no
    consistent ground (pure noise: no loop closes anywhere) is a warning naming the pixel taken, its map
    coordinates and what to give instead, not a silent pick."""
    from testutils import recording_feedback

    files = hk.ifg_stack(str(tmp_path / "ifgs"), shape=(20, 22))
    from osgeo import gdal

    ds = gdal.Open(files[1], gdal.GA_Update)
    arr = ds.ReadAsArray()
    arr[:5, :5] = np.nan
    ds.GetRasterBand(1).WriteArray(arr)
    gt, wkt = ds.GetGeoTransform(), ds.GetProjection()
    ds = None
    mask = np.zeros((20, 22))
    mask[:5, :5] = 1
    from testutils_corrections import write_tif

    m = write_tif(str(tmp_path / "mask.tif"), mask, wkt, gt)
    out = str(tmp_path / "out" / "ref.gpkg")
    os.makedirs(os.path.dirname(out))
    hk.expect_refusal("referencepoint", {"INTERFEROGRAMS": files, "MASK": m, "OUTPUT": out},
                      "STABLE_AREA / MASK: no pixel of the stable area has data in every interferogram")
    assert not os.listdir(os.path.dirname(out))
    rng = np.random.default_rng(1)
    for f in files:
        ds = gdal.Open(f, gdal.GA_Update)
        ds.GetRasterBand(1).WriteArray(rng.normal(0.0, 10.0, (20, 22)))
        ds = None
    fb = recording_feedback()
    hk.run("referencepoint", {"INTERFEROGRAMS": files, "OUTPUT": out}, fb)
    said = [w for w in fb.warnings if w.startswith("REFERENCE: row ")]
    assert said, fb.text
    assert "no consistent ground" in said[0] and "[EPSG:32633]" in said[0] and "REFERENCE point" in said[0]
