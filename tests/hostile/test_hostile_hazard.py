"""Hostile inputs for the hazard-map tools: susceptibility, miningsubsidence, damageproxy, displacementforecast,
swathprofile (each tool's recipe below, named by its entry in tests/registry.py)."""

import datetime as dt
import os

import numpy as np
import pytest
import registry
import testutils_hostile as hk
from testutils import write_geotiff
from testutils_ada import write_wkt_layer
from testutils_susceptibility import GT, make_world, write_world

E0, N0 = 500000.0, 4100000.0


# ------------------------------------------------------------------------------------------- miningsubsidence
MINING_GT = (E0 - 450.0, 30.0, 0.0, N0 + 600.0, 0.0, -30.0)


def mine_plan(path, *, dx=0.0, epsg=32633, depth=300.0, thickness=3.0, fields=None):
    wkt = (f"POLYGON(({E0 + dx} {N0},{E0 + dx + 500} {N0},{E0 + dx + 500} {N0 + 200},{E0 + dx} {N0 + 200},"
           f"{E0 + dx} {N0}))")
    fields = {"DEPTH_M": [depth], "THICKNESS_M": [thickness]} if fields is None else fields
    return hk.polygon_layer(path, [wkt], fields=fields, epsg=epsg)


def mining_los(path, *, nan=False, epsg=32633, gt=MINING_GT):
    from insar_geohazards.algorithms.geometry.los import los_unit_vector
    from insar_geohazards.algorithms.hazard import miningsubsidence as pim

    x = gt[0] + (np.arange(46) + 0.5) * gt[1]
    y = gt[3] + (np.arange(42) + 0.5) * gt[5]
    xx, yy = np.meshgrid(x, y)
    panel = pim.Panel.from_vertices([(E0 + 30, N0 - 20), (E0 + 530, N0 - 20), (E0 + 530, N0 + 180),
                                     (E0 + 30, N0 + 180)], 300.0, 3.0)
    e, n, u = pim.pim_displacement(xx, yy, [panel], subsidence_factor=0.75, tan_beta=2.1, offset_m=20.0,
                                   horizontal_factor=0.3)
    los = pim.los_from_enu(e, n, u, np.array(los_unit_vector(39.0, -12.0)).ravel())
    los += np.random.default_rng(0).normal(0, 3.0, los.shape)
    if nan:
        los[:] = np.nan
    return write_geotiff(path, los, geotransform=gt, epsg=epsg)


def mining_recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    params = {"MODE": 1, "PANELS": mine_plan(j(tmp, "plan.gpkg")), "INPUT": mining_los(j(tmp, "los.tif")),
              "INCIDENCE": 39.0, "HEADING": -12.0, "MAX_SAMPLES": 800, "OUTPUT_VERTICAL": j(out, "up.tif"),
              "OUTPUT_PARAMETERS": j(out, "par.gpkg"), "OUTPUT_PANEL": j(out, "goaf.gpkg")}
    spoil = hk.spoil_input("INPUT", mining_los, ".tif", trunc_message="trunc.tif", nan_message="no valid pixel")
    return hk.Recipe(params, ["OUTPUT_VERTICAL", "OUTPUT_PARAMETERS", "OUTPUT_PANEL"], ("INPUT", "OUTPUT_VERTICAL"),
                     spoil, raster="INPUT", overlap={"PANELS": mine_plan(j(tmp, "far.gpkg"), dx=9e5)},
                     implausible={"INCIDENCE": 89.999})


def _forward(tmp, **changes):
    params = {"PANELS": mine_plan(os.path.join(tmp, "plan.gpkg")), "PIXEL_SIZE": 50.0,
              "EXTENT": f"{E0 - 500},{E0 + 1000},{N0 - 500},{N0 + 700} [EPSG:32633]",
              "OUTPUT_VERTICAL": os.path.join(tmp, "out", "up.tif")}
    os.makedirs(os.path.join(tmp, "out"), exist_ok=True)
    params.update(changes)
    return params


def _nothing_written(tmp):
    out = os.path.join(str(tmp), "out")
    assert not os.path.isdir(out) or not hk.listing(out)


def test_mining_panel_deeper_than_plausible_is_refused(qgis_app, tmp_path):
    deep = mine_plan(str(tmp_path / "deep.gpkg"), depth=5000.0)
    msg = hk.expect_refusal("miningsubsidence", _forward(str(tmp_path), PANELS=deep), "not physically plausible")
    assert "DEPTH_M = 5000 m" in msg and "panel" in msg
    _nothing_written(tmp_path)


def test_mining_missing_depth_and_thickness_with_nothing_typed_is_refused(qgis_app, tmp_path):
    bare = mine_plan(str(tmp_path / "bare.gpkg"), fields={"other": [1.0]})
    msg = hk.expect_refusal("miningsubsidence", _forward(str(tmp_path), PANELS=bare), "DEPTH_M")
    assert "type DEPTH_M" in msg
    only_depth = _forward(str(tmp_path), PANELS=bare, DEPTH_M=300.0)
    assert "THICKNESS_M" in hk.expect_refusal("miningsubsidence", only_depth, "THICKNESS_M")
    _nothing_written(tmp_path)


def test_mining_panel_outside_the_input_is_refused(qgis_app, tmp_path):
    r = mining_recipe("miningsubsidence", tmp_path)
    far = mine_plan(str(tmp_path / "beside.gpkg"), dx=3000.0)  # beside the map: the extents do not touch
    hk.expect_refusal("miningsubsidence", dict(r.params, PANELS=far), "do not overlap")
    _nothing_written(tmp_path)


@pytest.mark.parametrize("q", [0.0, -0.5, 1.25, 3.0])
def test_mining_subsidence_factor_outside_0_1_2_is_refused(qgis_app, tmp_path, q):
    msg = hk.expect_refusal("miningsubsidence", _forward(str(tmp_path), SUBSIDENCE_FACTOR=q),
                            "SUBSIDENCE_FACTOR")
    assert "outside the accepted range" in msg or "not physically plausible" in msg
    _nothing_written(tmp_path)


def test_mining_extent_away_from_the_panels_is_refused(qgis_app, tmp_path):
    params = _forward(str(tmp_path), EXTENT=f"{E0 + 5000},{E0 + 6000},{N0},{N0 + 1000} [EPSG:32633]")
    hk.expect_refusal("miningsubsidence", params, "lies outside the grid")
    _nothing_written(tmp_path)


def test_mining_forward_los_without_a_geometry_is_refused(qgis_app, tmp_path):
    params = _forward(str(tmp_path), OUTPUT_LOS=str(tmp_path / "out" / "los.tif"))
    hk.expect_refusal("miningsubsidence", params, "type INCIDENCE|type HEADING")
    _nothing_written(tmp_path)


def _advance(tmp, **changes):
    """A MODE 3 run with a typed time factor (forecast maps on EXTENT), the panel dated and its face's azimuth
    typed."""
    params = dict(MODE=3, TIME_FACTOR=1.5, START_DATE="2020-01-01", END_DATE="2020-08-01", ADVANCE_AZIMUTH_DEG=90.0,
                  FORECAST_DATES="2020-05-01,2021-01-01")
    params.update(changes)
    return _forward(tmp, **params)


def test_mining_during_extraction_without_a_start_or_an_azimuth_is_refused(qgis_app, tmp_path):
    params = _advance(str(tmp_path))
    del params["START_DATE"]
    msg = hk.expect_refusal("miningsubsidence", params, "START_DATE")
    assert "type START_DATE" in msg
    params = _advance(str(tmp_path))
    del params["ADVANCE_AZIMUTH_DEG"]
    assert "degrees clockwise from north" in hk.expect_refusal("miningsubsidence", params, "ADVANCE_AZIMUTH_DEG")
    _nothing_written(tmp_path)


def test_mining_during_extraction_a_text_azimuth_or_reversed_dates_are_named(qgis_app, tmp_path):
    text = hk.polygon_layer(str(tmp_path / "t.gpkg"), [f"POLYGON(({E0} {N0},{E0 + 500} {N0},{E0 + 500} {N0 + 200},"
                                                      f"{E0} {N0 + 200},{E0} {N0}))"],
                            fields={"DEPTH_M": [300.0], "THICKNESS_M": [3.0], "ADVANCE_AZIMUTH_DEG": ["east"]},
                            text_fields=("ADVANCE_AZIMUTH_DEG",))
    params = _advance(str(tmp_path), PANELS=text)
    del params["ADVANCE_AZIMUTH_DEG"]
    msg = hk.expect_refusal("miningsubsidence", params, "not a number")
    assert "'east'" in msg and "degrees clockwise from north" in msg
    hk.expect_refusal("miningsubsidence", _advance(str(tmp_path), START_DATE="2021-01-01"),
                      "START_DATE 2021-01-01 is after END_DATE 2020-08-01")
    _nothing_written(tmp_path)


def test_mining_during_extraction_a_series_ending_before_the_face_starts_is_refused(qgis_app, tmp_path):
    dates = [dt.date(2019, 1, 1) + dt.timedelta(days=12 * k) for k in range(5)]
    series = write_geotiff(str(tmp_path / "early.tif"), np.random.default_rng(1).normal(0, 3, (5, 42, 46)),
                           geotransform=MINING_GT, descriptions=[d.isoformat() for d in dates],
                           metadata={"UNIT": "mm", "COMPONENT": "VERTICAL"})
    params = _advance(str(tmp_path), INPUT=series, INPUT_COMPONENT=1)
    del params["TIME_FACTOR"]
    hk.expect_refusal("miningsubsidence", params, "before the first START_DATE")
    _nothing_written(tmp_path)


# ------------------------------------------------------------------------------------------------ damageproxy
PRE = ["20200101_20200113", "20200113_20200125", "20200125_20200206"]
CO = ["20200206_20200301"]


def coherence_set(folder, names, *, nan=False, epsg=32633, gt=hk.GT, scale=1.0, seed=0):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = []
    for name in names:
        arr = np.clip(rng.normal(0.7, 0.05, (24, 28)), 0, 1) * scale
        if name in CO:
            arr[4:10, 5:12] = 0.2 * scale
        if nan:
            arr[:] = np.nan
        out.append(write_geotiff(os.path.join(folder, f"{name}_coh.tif"), arr, geotransform=gt, epsg=epsg))
    return out


def damage_recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    params = {"PRE_COHERENCE": coherence_set(j(tmp, "pre"), PRE), "CO_COHERENCE": coherence_set(j(tmp, "co"), CO),
              "EVENT_DATE": "2020-02-20", "MIN_AREA_M2": 0.0, "OUTPUT": j(out, "dpm.tif"),
              "OUTPUT_AREAS": j(out, "areas.gpkg")}

    def spoil(kind, folder):
        if kind == "truncated":
            files = coherence_set(j(folder, "trunc"), PRE)
            hk.truncate(files[1])
            return {"PRE_COHERENCE": files}, os.path.basename(files[1])
        if kind == "nan":
            return {"PRE_COHERENCE": coherence_set(j(folder, "nan"), PRE, nan=True)}, "no valid pixel"
        return {"PRE_COHERENCE": coherence_set(j(folder, "nocrs"), PRE, epsg=None),
                "CO_COHERENCE": coherence_set(j(folder, "nocrs"), CO, epsg=None)}, None

    return hk.Recipe(params, ["OUTPUT", "OUTPUT_AREAS"], ("PRE_COHERENCE", "OUTPUT"), spoil, raster="PRE_COHERENCE",
                     overlap={"CO_COHERENCE": coherence_set(j(tmp, "far"), CO, gt=hk.FAR_GT)},
                     implausible={"EVENT_DATE": "1900-01-01"})


def test_damage_coherence_on_0_255_is_refused(qgis_app, tmp_path):
    r = damage_recipe("damageproxy", tmp_path)
    byte = coherence_set(str(tmp_path / "byte"), PRE, scale=255.0)
    msg = hk.expect_refusal("damageproxy", dict(r.params, PRE_COHERENCE=byte), "0-255")
    assert "PRE_COHERENCE" in msg
    _nothing_written(tmp_path)


def test_damage_pairs_on_the_wrong_side_of_the_event_are_refused(qgis_app, tmp_path):
    r = damage_recipe("damageproxy", tmp_path)
    msg = hk.expect_refusal("damageproxy", dict(r.params, PRE_COHERENCE=r.params["PRE_COHERENCE"]
                                                + r.params["CO_COHERENCE"]), "does not end before the event")
    assert "20200206_20200301_coh.tif" in msg
    hk.expect_refusal("damageproxy", dict(r.params, CO_COHERENCE=r.params["PRE_COHERENCE"][:1]),
                      "does not span the event")
    _nothing_written(tmp_path)


def _susceptibility(tmp, out):
    j = os.path.join
    paths, inv = write_world(j(tmp, "world"), make_world((60, 80), seed=3))
    params = {"INVENTORY": inv, "FACTORS": [paths["slope"], paths["spurious"]],
              "CATEGORICAL_FACTORS": [paths["lithology"]], "TREES": 20,
              "REPEATS": 2,  # two partitions show that repeats add up; the default's ten cost five times the CPU
              "OUTPUT": j(out, "s.tif"), "OUTPUT_CLASSES": j(out, "c.tif"), "OUTPUT_REPORT": j(out, "r.html")}

    def spoil(kind, folder):
        if kind == "truncated":
            return {"FACTORS": [hk.truncate(hk.dem_raster(j(folder, "trunc.tif"), gt=GT, shape=(60, 80))),
                                paths["spurious"]]}, "trunc.tif"
        if kind == "nan":
            return {"FACTORS": [paths["slope"], hk.dem_raster(j(folder, "nan.tif"), gt=GT, shape=(60, 80),
                                                              nan=True)]}, "no valid pixel"
        return {"FACTORS": [hk.dem_raster(j(folder, "nocrs.tif"), gt=GT, shape=(60, 80), epsg=None),
                            paths["spurious"]]}, None

    far = write_wkt_layer(j(tmp, "far.gpkg"), ["POINT(1500000 5100000)", "POINT(1500100 5100000)"])
    return hk.Recipe(params, ["OUTPUT", "OUTPUT_CLASSES", "OUTPUT_REPORT"], ("FACTORS", "OUTPUT"), spoil,
                     raster="FACTORS", vector="INVENTORY", overlap={"INVENTORY": far})


def susceptibility_recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    return _susceptibility(tmp, out)


# ------------------------------------------------------------------------------------------- forecast, swath
SERIES_DATES = [dt.date(2020, 1, 4) + dt.timedelta(days=12 * i) for i in range(16)]


def series_raster(path, *, nan=False, epsg=32633, gt=hk.GT, shape=(16, 18), seed=0):
    """A time series (mm, one band per date): linear trends with noise and a few no-data pixels."""
    rng = np.random.default_rng(seed)
    t = np.arange(len(SERIES_DATES)) * 12 / 365.25
    cube = rng.normal(-6.0, 3.0, shape)[None] * t[:, None, None] + rng.normal(0, 1.0, (len(t),) + shape)
    cube[:, 2, 3:6] = np.nan
    if nan:
        cube[:] = np.nan
    return write_geotiff(path, cube, geotransform=gt, epsg=epsg, descriptions=[d.isoformat() for d in SERIES_DATES])


def forecast_recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    params = {"INPUT_RASTER": series_raster(j(tmp, "ts.tif")), "MODEL": 0, "HOLDOUT": 3,
              "FORECAST_DATES": "2021-01-01,2021-06-01", "OUTPUT_RASTER": j(out, "f.tif"),
              "OUTPUT_SIGMA": j(out, "s.tif"), "OUTPUT_MODEL": j(out, "m.tif")}

    spoil = hk.spoil_input("INPUT_RASTER", series_raster, ".tif", trunc_message="trunc.tif",
                           nan_message="no valid pixel", radar=True)

    far = write_geotiff(j(tmp, "h_far.tif"), np.full((16, 18), 20.0), geotransform=hk.FAR_GT)
    return hk.Recipe(params, ["OUTPUT_RASTER", "OUTPUT_SIGMA", "OUTPUT_MODEL"], ("INPUT_RASTER", "OUTPUT_RASTER"),
                     spoil, raster="INPUT_RASTER", nocrs="accept", overlap={"THICKNESS": far},
                     implausible={"ORIGIN_DATE": "1900-01-01"})


def profile_line(path, *, epsg=32633, far=False):
    x0 = 1500000.0 if far else 500000.0
    return hk.write_layer(path, [f"LINESTRING({x0 + 40} {4099700}, {x0 + 800} {4099400})"], epsg=epsg,
                          layer="lines")


def swath_recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    params = {"INPUT": hk.los_raster(j(tmp, "vel.tif")), "LINE": profile_line(j(tmp, "line.gpkg")), "WIDTH": 150.0,
              "STEP": 60.0, "OUTPUT": j(out, "profile.gpkg"), "OUTPUT_CHART": j(out, "profile.html")}

    spoil = hk.spoil_input("INPUT", hk.los_input, ".tif", trunc_message="trunc.tif",
                           nan_message="no valid pixel|no-data", radar=True)

    return hk.Recipe(params, ["OUTPUT", "OUTPUT_CHART"], ("INPUT", "OUTPUT"), spoil, raster="INPUT",
                     nocrs="refuse", overlap={"LINE": profile_line(j(tmp, "far.gpkg"), far=True)})


def compare_recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    params = {"INPUT": hk.los_raster(j(tmp, "insar.tif"), seed=1), "REFERENCE": hk.los_raster(j(tmp, "model.tif"),
                                                                                             seed=2),
              "OUTPUT_RASTER": j(out, "diff.tif"), "OUTPUT_TABLE": j(out, "stats.gpkg")}

    spoil = hk.spoil_input("INPUT", hk.los_input, ".tif", trunc_message="trunc.tif",
                           nan_message="no valid pixel|only 0 pairs", radar=True)

    return hk.Recipe(params, ["OUTPUT_RASTER", "OUTPUT_TABLE"], ("INPUT", "OUTPUT_RASTER"), spoil, raster="INPUT",
                     nocrs="refuse", overlap={"REFERENCE": hk.los_raster(j(tmp, "far.tif"), gt=hk.FAR_GT)})


# ------------------------------------------------------------------------------------------- slope stability
def slope_recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    params = {"DEM": hk.dem_raster(j(tmp, "dem.tif")), "COHESION_KPA": 3.0, "FRICTION_DEG": 30.0,
              "SOIL_DEPTH_M": 1.5, "WETNESS": 0.5, "OUTPUT": j(out, "fs.tif"), "OUTPUT_CLASSES": j(out, "c.tif")}

    spoil = hk.spoil_input("DEM", hk.dem_raster, ".tif", trunc_message="trunc.tif",
                           nan_message="no valid pixel|no-data", radar=True)

    far = hk.dem_raster(j(tmp, "far.tif"), gt=hk.FAR_GT)
    return hk.Recipe(params, ["OUTPUT", "OUTPUT_CLASSES"], ("DEM", "OUTPUT"), spoil, raster="DEM",
                     overlap={"COHESION_KPA_RASTER": far}, implausible={"FRICTION_DEG": 95.0})


# ------------------------------------------------------------------------------------------- DEM difference
def dem_pair(path, *, shift=0.0, nan=False, epsg=32633, gt=hk.GT, shape=(40, 44)):
    """Hills sampled ``shift`` metres east (the second DEM of a pair), heights in metres."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]].astype(float)
    x = cols * 30.0 - shift
    z = 500.0 + 40.0 * np.sin(x / 90.0) * np.cos(rows / 4.0) + 15.0 * np.sin((x + 60.0 * rows) / 70.0)
    return write_geotiff(path, np.full(shape, np.nan) if nan else z, geotransform=gt, epsg=epsg)


def dem_difference_recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    params = {"INPUT": dem_pair(j(tmp, "ref.tif")), "INPUT_2": dem_pair(j(tmp, "other.tif"), shift=7.0),
              "OUTPUT": j(out, "dod.tif"), "OUTPUT_ALIGNED": j(out, "aligned.tif")}

    spoil = hk.spoil_input("INPUT_2", dem_pair, ".tif", trunc_message="trunc.tif",
                           nan_message="no valid pixel|no-data", radar=True, also={"INPUT": dem_pair})

    return hk.Recipe(params, ["OUTPUT", "OUTPUT_ALIGNED"], ("INPUT", "OUTPUT"), spoil, raster="INPUT",
                     overlap={"INPUT_2": dem_pair(j(tmp, "far.tif"), gt=hk.FAR_GT)})


#: the tools of the family and the recipe tests/registry.py names for each; they serve every hostile case
TOOLS, recipe = registry.hostile_family("hazard", globals())
test_hostile = hk.hostile_cases(TOOLS, recipe)


def _base(tmp_path):
    r = recipe("susceptibility", tmp_path)
    return r.params, os.path.join(str(tmp_path), "world")


def _expect(params, tmp_path, match):
    msg = hk.expect_refusal("susceptibility", params, match)
    left = hk.listing(os.path.join(str(tmp_path), "out"))
    assert not left, left
    return msg


def test_an_inventory_covering_the_area_is_refused_as_unbalanced(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    x0, y0 = GT[0], GT[3]
    whole = write_wkt_layer(tmp_path / "whole.gpkg", [f"POLYGON(({x0} {y0},{x0 + 2400} {y0},{x0 + 2400} {y0 - 1700},"
                                                      f"{x0} {y0 - 1700},{x0} {y0}))"])
    msg = _expect({**params, "INVENTORY": whole}, tmp_path, "INVENTORY: the inventory covers")
    assert "ABSENCE_BUFFER_M" in msg


def test_too_few_events_are_refused(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    few = write_wkt_layer(tmp_path / "few.gpkg", [f"POINT({GT[0] + 45 + 90 * i} {GT[3] - 45})" for i in range(4)])
    _expect({**params, "INVENTORY": few}, tmp_path, r"INVENTORY: only 4 inventory pixel\(s\)")


def test_a_categorical_raster_of_floats_is_refused_naming_it(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    rng = np.random.default_rng(0)
    floats = write_geotiff(tmp_path / "geology_float.tif", rng.uniform(0, 5, (60, 80)), geotransform=GT)
    msg = _expect({**params, "CATEGORICAL_FACTORS": [floats]}, tmp_path, "CATEGORICAL_FACTORS: geology_float holds "
                                                                         "codes that are not whole numbers")
    assert "FACTORS instead" in msg


def test_a_categorical_raster_of_hundreds_of_classes_is_refused(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    many = write_geotiff(tmp_path / "parcels.tif", np.arange(60 * 80).reshape(60, 80) % 400, geotransform=GT)
    _expect({**params, "CATEGORICAL_FACTORS": [many]}, tmp_path, "CATEGORICAL_FACTORS: parcels has more than 50 "
                                                                 "classes")


def test_a_constant_factor_is_refused_naming_it(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    flat = write_geotiff(tmp_path / "flat.tif", np.full((60, 80), 3.0), geotransform=GT)
    _expect({**params, "FACTORS": params["FACTORS"] + [flat]}, tmp_path, "FACTORS: flat is constant")


def test_an_inventory_partly_off_the_grid_is_used_where_it_overlaps_and_named(qgis_app, tmp_path):
    """Features off the factors' grid are left out with a warning naming INVENTORY; those on it are used."""
    from osgeo import ogr

    params, world = _base(tmp_path)
    src = ogr.Open(params["INVENTORY"])
    wkts = [f.GetGeometryRef().ExportToWkt() for f in src.GetLayer(0)] + ["POINT(1500000 5100000)"]
    src = None
    mixed = write_wkt_layer(tmp_path / "mixed.gpkg", wkts, geom_type=ogr.wkbUnknown)
    fb = hk.warning_feedback()
    res = hk.run("susceptibility", {**params, "INVENTORY": mixed}, fb)
    assert any("INVENTORY: 1 of" in w and "off the factors' grid" in w for w in fb.warnings), fb.warnings
    assert res["AUC"] > 0.5


def test_factors_in_different_crss_are_resampled_and_a_factor_without_crs_on_another_grid_refused(qgis_app,
                                                                                                  tmp_path):
    from osgeo import gdal

    params, _ = _base(tmp_path)
    moved = str(tmp_path / "spurious_wgs84.tif")
    gdal.Warp(moved, params["FACTORS"][1], dstSRS="EPSG:4326")
    res = hk.run("susceptibility", {**params, "FACTORS": [params["FACTORS"][0], moved]})
    assert os.path.exists(res["OUTPUT"])
    nocrs = write_geotiff(tmp_path / "coarse_nocrs.tif", np.random.default_rng(1).normal(size=(30, 40)),
                          geotransform=(GT[0], 60.0, 0.0, GT[3], 0.0, -60.0), epsg=None)
    os.makedirs(tmp_path / "out2")
    hk.expect_refusal("susceptibility", {**params, "FACTORS": [params["FACTORS"][0], nocrs],
                                         "OUTPUT": str(tmp_path / "out2" / "s.tif")},
                      "coarse_nocrs has no CRS and is not on the grid")


def test_a_geographic_first_factor_is_refused(qgis_app, tmp_path):
    from osgeo import gdal

    params, _ = _base(tmp_path)
    geo = str(tmp_path / "slope_wgs84.tif")
    gdal.Warp(geo, params["FACTORS"][0], dstSRS="EPSG:4326")
    _expect({**params, "FACTORS": [geo, params["FACTORS"][1]]}, tmp_path, "geographic CRS")


def test_a_block_size_too_large_for_the_folds_is_refused(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    _expect({**params, "BLOCK_SIZE_M": 50000.0}, tmp_path, "BLOCK_SIZE_M: the inventory lies in 1 block")


def test_an_inventory_of_one_polygon_is_refused_not_scored(qgis_app, tmp_path):
    """One landslide polygon of 64 pixels: blocks used to cut it and score the map on its own pixels (AUC 0.84
    for a map scoring 0.51 on real events); an event is never cut, so one event cannot fill five folds."""
    params, _ = _base(tmp_path)
    x0, y0 = GT[0] + 20 * GT[1], GT[3] + 20 * GT[5]
    s = 8 * GT[1]
    one = write_wkt_layer(str(tmp_path / "one.gpkg"),
                          [f"POLYGON(({x0} {y0},{x0 + s} {y0},{x0 + s} {y0 - s},{x0} {y0 - s},{x0} {y0}))"])
    for block in (0.0, 150.0):
        _expect({**params, "INVENTORY": one, "BLOCK_SIZE_M": block}, tmp_path,
                r"INVENTORY: its samples belong to 1 event\(s\)")


def test_a_study_area_or_absences_off_the_grid_are_refused_naming_them(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    far_poly = write_wkt_layer(str(tmp_path / "far_area.gpkg"),
                               ["POLYGON((1500000 5100000,1501000 5100000,1501000 5101000,1500000 5100000))"])
    far_pts = write_wkt_layer(str(tmp_path / "far_pts.gpkg"), ["POINT(1500000 5100000)", "POINT(1500100 5100000)"])
    _expect({**params, "STUDY_AREA": far_poly}, tmp_path, "STUDY_AREA: its polygons do not overlap the factors' grid")
    _expect({**params, "ABSENCE": far_pts}, tmp_path, "ABSENCE: none of its features lies on the factors' grid")


def test_a_model_applied_to_other_factors_is_refused_naming_it(qgis_app, tmp_path):
    params, _ = _base(tmp_path)
    model = str(tmp_path / "m.zip")
    hk.run("susceptibility", {**params, "OUTPUT_MODEL": model})
    for name in os.listdir(tmp_path / "out"):
        os.remove(tmp_path / "out" / name)
    msg = _expect({"FACTORS": params["FACTORS"], "SAVED_MODEL": model, "OUTPUT": params["OUTPUT"]}, tmp_path,
                  r"SAVED_MODEL: the model takes 2 continuous and 1 categorical factor\(s\)")
    assert "lithology (classes)" in msg
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK not really")
    _expect({**params, "SAVED_MODEL": str(junk)}, tmp_path, "SAVED_MODEL: junk.zip is not a susceptibility model")


def test_displacementforecast_date_before_the_last_is_refused_and_nothing_written(qgis_app, tmp_path):
    params = forecast_recipe("displacementforecast", tmp_path).params
    params["FORECAST_DATES"] = "2020-03-01"
    msg = hk.expect_refusal("displacementforecast", params, "FORECAST_DATES: 2020-03-01 is not after the last date")
    assert "2020-07-02" in msg
    assert not os.listdir(os.path.join(str(tmp_path), "out"))


def test_displacementforecast_series_too_short_for_the_model_is_refused(qgis_app, tmp_path):
    params = forecast_recipe("displacementforecast", tmp_path).params
    params.update(MODEL=4, HOLDOUT=11)  # logarithmic creep: 4 parameters, needs 6 dates; 5 are left
    hk.expect_refusal("displacementforecast", params, "logcreep model needs at least 6")


def test_swathprofile_line_partly_off_the_raster_runs_with_empty_bins(qgis_app, tmp_path):
    tmp, out = hk.folders(tmp_path)
    line = hk.write_layer(os.path.join(tmp, "long.gpkg"), ["LINESTRING(500100 4099700, 502000 4099700)"],
                          layer="lines")
    res = hk.run("swathprofile", {"INPUT": hk.los_raster(os.path.join(tmp, "v.tif")), "LINE": line, "WIDTH": 60.0,
                                  "STEP": 100.0, "OUTPUT": os.path.join(out, "p.gpkg")})
    from testutils_models import read_layer

    _, rows = read_layer(res["OUTPUT"])
    assert rows[0]["count"] > 0 and rows[-1]["count"] == 0 and rows[-1]["mean"] is None
