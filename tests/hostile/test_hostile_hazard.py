"""Hostile inputs for the hazard-map tools: susceptibility, miningsubsidence, damageproxy, displacementforecast,
swathprofile (each tool's recipe below, named by its entry in tests/registry.py)."""

import datetime as dt
import os
import shutil

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
              "OUTPUT_SIGMA": j(out, "s.tif"), "OUTPUT_MODEL": j(out, "m.tif"), "OUTPUT_STEPS": j(out, "st.tif"),
              "OUTPUT_CHOICE": j(out, "c.tif")}

    spoil = hk.spoil_input("INPUT_RASTER", series_raster, ".tif", trunc_message="trunc.tif",
                           nan_message="no valid pixel", radar=True)

    far = write_geotiff(j(tmp, "h_far.tif"), np.full((16, 18), 20.0), geotransform=hk.FAR_GT)
    return hk.Recipe(params, ["OUTPUT_RASTER", "OUTPUT_SIGMA", "OUTPUT_MODEL", "OUTPUT_STEPS", "OUTPUT_CHOICE"],
                     ("INPUT_RASTER", "OUTPUT_RASTER"),
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


# ------------------------------------------------------------------------------- the newest tools as users type them
DEM_GT = (E0, 10.0, 0.0, N0, 0.0, -10.0)


def hills(x, y):
    """Analytic terrain: a DEM moved by any amount is the same formula at moved coordinates."""
    return (300 + 60 * np.sin(x / 230.0) * np.cos(y / 310.0) + 25 * np.sin((x + 2 * y) / 97.0)
            + 12 * np.cos((3 * x - y) / 61.0))


def _dem(path, shift=(0.0, 0.0), *, shape=(120, 130), gt=DEM_GT, epsg=32633, scale=1.0, dtype="float32",
         voids=None, unit=None):
    """``hills`` sampled on ``gt`` (in ``epsg``; heights times ``scale``) moved by ``shift`` (m, east, north) in
    EPSG:32633; ``voids`` (value, rows, cols) written where no data is."""
    from osgeo import gdal, osr

    r, c = np.mgrid[0:shape[0], 0:shape[1]].astype(float)
    x, y = gt[0] + (c + 0.5) * gt[1], gt[3] + (r + 0.5) * gt[5]
    if epsg != 32633:
        src, dst = osr.SpatialReference(), osr.SpatialReference()
        src.ImportFromEPSG(epsg)
        dst.ImportFromEPSG(32633)
        for s in (src, dst):
            s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        pts = np.array(osr.CoordinateTransformation(src, dst).TransformPoints(np.c_[x.ravel(), y.ravel()]))
        x, y = pts[:, 0].reshape(shape), pts[:, 1].reshape(shape)
    z = hills(x - shift[0], y - shift[1]) * scale
    if voids is not None:
        z[voids[1], voids[2]] = voids[0]
    written = write_geotiff(path, z, geotransform=gt, epsg=epsg, dtype=dtype)
    if unit:
        ds = gdal.Open(written, gdal.GA_Update)
        ds.GetRasterBand(1).SetUnitType(unit)
        ds = None
    return written


def _dod(tmp, **params):
    out = os.path.join(str(tmp), "out")
    os.makedirs(out, exist_ok=True)
    return dict(params, OUTPUT=os.path.join(out, "dod.tif"))


@pytest.mark.parametrize("sentinel", [-32768.0, float(np.finfo(np.float32).min), -9999.0])
def test_demdifference_undeclared_no_data_is_read_as_no_data_with_a_warning(qgis_app, tmp_path, sentinel):
    """A void of an undeclared no-data value (SRTM's -32768, the float32 minimum, -9999) gave a vertical shift of
    3.6e34 m; now the void is no data, said, and the shift is the truth's."""
    from testutils import read_array

    rng = np.random.default_rng(int(abs(sentinel)) % 1000)
    shift = tuple(rng.uniform(-6.0, 6.0, 2))
    rows, cols = slice(30, 50), slice(40, 70)
    params = _dod(tmp_path, INPUT=_dem(str(tmp_path / "ref.tif")),
                  INPUT_2=_dem(str(tmp_path / "other.tif"), shift, voids=(sentinel, rows, cols),
                               dtype="int16" if sentinel == -32768.0 else "float32"))
    fb = hk.warning_feedback()
    res = hk.run("demdifference", params, fb)
    said = [w for w in fb.warnings if "INPUT_2" in w and "no no-data value" in w]
    assert said and f"{sentinel:g}" in said[0] and "gdal_edit -a_nodata" in said[0], fb.warnings
    tol = 0.1 * 10.0 + (0.5 if sentinel == -32768.0 else 0.0)  # int16 heights are rounded to the metre
    assert abs(res["SHIFT_X_M"] + shift[0]) < tol and abs(res["SHIFT_Y_M"] + shift[1]) < tol
    assert abs(res["SHIFT_Z_M"]) < 1.0
    assert np.isnan(read_array(res["OUTPUT"])[rows, cols]).all()


def test_demdifference_dem_declared_in_feet_is_read_as_metres_and_undeclared_feet_refused(qgis_app, tmp_path):
    shift = (4.0, -3.0)
    ref = _dem(str(tmp_path / "ref.tif"))
    feet = _dem(str(tmp_path / "feet.tif"), shift, scale=1 / 0.3048, unit="ft")
    fb = hk.warning_feedback()
    res = hk.run("demdifference", _dod(tmp_path, INPUT=ref, INPUT_2=feet), fb)
    assert any("INPUT_2" in i and "ft" in i and "metres" in i for i in fb.info), fb.info
    assert abs(res["SHIFT_X_M"] + shift[0]) < 1.0 and abs(res["SHIFT_Y_M"] + shift[1]) < 1.0
    assert abs(res["SHIFT_Z_M"]) < 0.5
    shutil.rmtree(os.path.dirname(res["OUTPUT"]))
    bare = _dem(str(tmp_path / "feet_bare.tif"), shift, scale=1 / 0.3048)
    msg = hk.expect_refusal("demdifference", _dod(tmp_path, INPUT=ref, INPUT_2=bare), "feet against metres")
    assert "INPUT_2" in msg and "gdal_edit -units" in msg
    _nothing_written(tmp_path)


def test_demdifference_dem_in_cm_beyond_any_height_is_refused_naming_it(qgis_app, tmp_path):
    ref = _dem(str(tmp_path / "ref.tif"))
    cm = _dem(str(tmp_path / "cm.tif"), scale=100.0)
    msg = hk.expect_refusal("demdifference", _dod(tmp_path, INPUT=ref, INPUT_2=cm), "beyond any height on Earth")
    assert "INPUT_2: cm.tif" in msg and "in cm it would be" in msg
    _nothing_written(tmp_path)


def test_demdifference_a_dem_minus_itself_or_no_other_dem_is_refused(qgis_app, tmp_path):
    ref = _dem(str(tmp_path / "ref.tif"))
    msg = hk.expect_refusal("demdifference", _dod(tmp_path, INPUT=ref, INPUT_2=ref), "are the same DEM")
    assert "ref.tif" in msg
    hk.expect_refusal("demdifference", _dod(tmp_path, INPUT=ref), "INPUT_2: no DEM given")
    _nothing_written(tmp_path)


def test_demdifference_input_2_is_not_prefilled_in_the_dialog(qgis_app):
    """QGIS fills a required layer input with the active layer: both DEMs were the same layer."""
    from qgis.core import QgsApplication, QgsProcessingParameterDefinition

    alg = QgsApplication.processingRegistry().algorithmById("geohazard:demdifference")
    assert alg.parameterDefinition("INPUT_2").flags() & QgsProcessingParameterDefinition.Flag.FlagOptional


def test_demdifference_barely_overlapping_dems_are_named_as_such(qgis_app, tmp_path):
    ref = _dem(str(tmp_path / "ref.tif"))
    gt = (DEM_GT[0] + 126 * 10.0, 10.0, 0.0, DEM_GT[3], 0.0, -10.0)  # 4 columns in common
    edge = _dem(str(tmp_path / "edge.tif"), gt=gt)
    msg = hk.expect_refusal("demdifference", _dod(tmp_path, INPUT=ref, INPUT_2=edge), "barely overlap")
    assert "INPUT and INPUT_2 share heights on only" in msg
    _nothing_written(tmp_path)


def test_demdifference_dem_in_another_crs_is_warped_exactly(qgis_app, tmp_path):
    """INPUT_2 in the next UTM zone: GDAL's approximate transform moved it by up to 0.07 px; the shift found is now
    the truth's within 0.1 px."""
    rng = np.random.default_rng(11)
    shift = tuple(rng.uniform(-8.0, 8.0, 2))
    from osgeo import osr

    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(32633)
    dst.ImportFromEPSG(32634)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    x0, y0, _ = osr.CoordinateTransformation(src, dst).TransformPoint(DEM_GT[0] - 100, DEM_GT[3] + 100)
    other = _dem(str(tmp_path / "utm34.tif"), shift, shape=(150, 160), gt=(x0 - 200, 10.0, 0.0, y0 + 200, 0.0, -10.0),
                 epsg=32634)
    fb = hk.warning_feedback()
    res = hk.run("demdifference", _dod(tmp_path, INPUT=_dem(str(tmp_path / "ref.tif")), INPUT_2=other), fb)
    assert any("transformed exactly" in i for i in fb.info), fb.info
    assert abs(res["SHIFT_X_M"] + shift[0]) < 1.0 and abs(res["SHIFT_Y_M"] + shift[1]) < 1.0


def _slope(tmp, **changes):
    tmp, out = hk.folders(tmp)
    params = {"DEM": _dem(os.path.join(tmp, "dem.tif"), shape=(60, 64)), "COHESION_KPA": 2.0, "FRICTION_DEG": 32.0,
              "SOIL_DEPTH_M": 1.5, "WETNESS": 0.6, "OUTPUT": os.path.join(out, "fs.tif")}
    params.update(changes)
    return params


@pytest.mark.parametrize("pid,value,hint", [("UNIT_WEIGHT_KN_M3", 5.0, "10 to 30"),
                                            ("UNIT_WEIGHT_KN_M3", 1.85, "times 9.81"),
                                            ("FRICTION_DEG", 0.56, "radians"),
                                            ("FRICTION_DEG_MAX", 95.0, "5 to 60")])
def test_slopestability_impossible_soils_are_refused_naming_the_unit(qgis_app, tmp_path, pid, value, hint):
    """Unit weights of 5 or 1.85 kN/m3 gave negative factors of safety; a friction of 0.56 deg (32 typed in radians)
    made 91 % unstable."""
    msg = hk.expect_refusal("slopestability", _slope(tmp_path, **{pid: value}), pid)
    assert hint in msg and f"{value:g}" in msg
    _nothing_written(tmp_path)


def test_slopestability_soil_raster_out_of_range_is_refused_naming_it(qgis_app, tmp_path):
    grams = write_geotiff(str(tmp_path / "density.tif"), np.full((60, 64), 1.9), geotransform=DEM_GT)
    msg = hk.expect_refusal("slopestability", _slope(tmp_path, UNIT_WEIGHT_KN_M3_RASTER=grams),
                            "UNIT_WEIGHT_KN_M3_RASTER: values from 1.9")
    assert "kN/m3" in msg and "9.81" in msg


def test_slopestability_dem_in_cm_is_read_as_metres_or_refused(qgis_app, tmp_path):
    """A DEM in cm gave 15.6 % unstable for 3.8 %: declared, it is read as metres (the same factors of safety);
    undeclared, its slopes betray it."""
    from testutils import read_array

    params = _slope(tmp_path)
    truth = read_array(hk.run("slopestability", params)["OUTPUT"])
    tmp, out = hk.folders(tmp_path / "cm")
    cm = _dem(os.path.join(tmp, "dem_cm.tif"), shape=(60, 64), scale=100.0, unit="cm")
    got = read_array(hk.run("slopestability", dict(params, DEM=cm, OUTPUT=os.path.join(out, "fs.tif")))["OUTPUT"])
    assert np.allclose(got, truth, rtol=1e-4, equal_nan=True)
    low = _dem(os.path.join(tmp, "low_cm.tif"), shape=(60, 64), scale=10.0)
    os.makedirs(os.path.join(str(tmp_path), "low", "out"))
    msg = hk.expect_refusal("slopestability", dict(params, DEM=low, OUTPUT=str(tmp_path / "low" / "out" / "f.tif")),
                            "median slope")
    assert "DEM" in msg and "gdal_edit -units" in msg


def test_slopestability_monte_carlo_says_its_time_and_precision_first(qgis_app, tmp_path):
    """SAMPLES = 100,000 ran ~500 s with no estimate: the log now gives the expected time and the precision before
    the draws start, and progress moves block by block."""
    from testutils import read_array

    fb = hk.warning_feedback()
    steps = []
    fb.progressChanged.connect(steps.append)
    params = _slope(tmp_path, COHESION_KPA_MAX=8.0, SAMPLES=20000,
                    OUTPUT_PROBABILITY=os.path.join(str(tmp_path), "out", "p.tif"))
    res = hk.run("slopestability", params, fb)
    said = [t for t in fb.info + fb.warnings if t.startswith("Monte Carlo:")]
    assert said and "3,840 cells x 20,000 draws, about" in said[0] and "within 0.0035" in said[0], said
    p = read_array(res["OUTPUT_PROBABILITY"])
    assert np.nanmax(p) <= 1.0 and len({round(s) for s in steps}) > 3


def _table(path):
    """The statistics table of comparelayers as {date: {statistic: value}}."""
    from osgeo import ogr

    ds = ogr.Open(str(path))
    out = {}
    for f in ds.GetLayer(0):
        out.setdefault(f["date"], {})[f["statistic"]] = f["value"] if f["value"] is not None else np.nan
    return out


def _cmp_grids(tmp, rng, *, shape=(30, 34), meta_in=None, meta_ref=None, ref_scale=1.0, dates=None):
    """A velocity field (or series) and a noisy reference of it; returns paths and the arrays as written."""
    truth = rng.normal(-6.0, 4.0, ((len(dates),) if dates else ()) + shape)
    inp = truth + rng.normal(0.0, 1.0, truth.shape)
    ref = (truth + rng.normal(0.5, 0.8, truth.shape)) * ref_scale
    desc = [d.isoformat() for d in dates] if dates else None
    a = write_geotiff(os.path.join(tmp, "insar.tif"), inp, geotransform=hk.GT, metadata=meta_in, descriptions=desc)
    b = write_geotiff(os.path.join(tmp, "other.tif"), ref, geotransform=hk.GT, metadata=meta_ref,
                      descriptions=desc if dates is None else None)
    return a, b, inp.astype(np.float32).astype(float), ref.astype(np.float32).astype(float)


def _scipy_stats(a, b):
    from scipy import stats as st

    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    return {"n": ok.sum(), "bias": (a - b).mean(), "t_test_p": st.ttest_rel(a, b).pvalue,
            "wilcoxon_p": st.wilcoxon(a, b).pvalue, "pearson_r": st.pearsonr(a, b)[0]}


def _same_stats(t, want):
    assert t["n"] == want["n"]
    for k in ("bias", "t_test_p", "wilcoxon_p", "pearson_r"):
        assert t[k] == pytest.approx(want[k], rel=1e-6, abs=1e-300), k


@pytest.mark.parametrize("sentinel", [-32768.0, float(np.finfo(np.float32).min)])
def test_comparelayers_undeclared_no_data_is_left_out_with_a_warning(qgis_app, tmp_path, sentinel):
    tmp, out = hk.folders(tmp_path)
    rng = np.random.default_rng(5)
    a, b, inp, ref = _cmp_grids(tmp, rng)
    ref[3:9, 4:12] = sentinel
    b = write_geotiff(os.path.join(tmp, "holes.tif"), ref, geotransform=hk.GT)
    fb = hk.warning_feedback()
    res = hk.run("comparelayers", {"INPUT": a, "REFERENCE": b, "OUTPUT_TABLE": os.path.join(out, "t.gpkg")}, fb)
    assert any("REFERENCE: holes.tif declares no no-data value" in w for w in fb.warnings), fb.warnings
    ref[3:9, 4:12] = np.nan
    _same_stats(_table(res["OUTPUT_TABLE"])["all"], _scipy_stats(inp, ref))


def test_comparelayers_declared_m_yr_against_mm_yr_is_converted(qgis_app, tmp_path):
    """A raster declared m/yr against one in mm/yr gave a bias of -2.61 for a true 1.46."""
    tmp, out = hk.folders(tmp_path)
    rng = np.random.default_rng(8)
    a, b, inp, ref = _cmp_grids(tmp, rng, meta_in={"UNIT": "mm/yr"}, meta_ref={"UNIT": "m/yr"}, ref_scale=1e-3)
    fb = hk.warning_feedback()
    res = hk.run("comparelayers", {"INPUT": a, "REFERENCE": b, "OUTPUT_TABLE": os.path.join(out, "t.gpkg")}, fb)
    assert any("REFERENCE declares UNIT=m/yr" in i and "x 1000" in i for i in fb.info), fb.info
    assert res["BIAS"] == pytest.approx(np.mean(inp - ref * 1000.0), rel=1e-5)


def test_comparelayers_m_yr_undeclared_against_mm_yr_is_refused(qgis_app, tmp_path):
    """mm/yr against m/yr undeclared gave a bias of -3.00 for -0.20."""
    tmp, out = hk.folders(tmp_path)
    rng = np.random.default_rng(9)
    a, b, _, _ = _cmp_grids(tmp, rng, meta_in={"UNIT": "mm/yr"}, ref_scale=1e-3)
    msg = hk.expect_refusal("comparelayers", {"INPUT": a, "REFERENCE": b, "OUTPUT_TABLE": os.path.join(out, "t.gpkg")},
                            "INPUT's values are")
    assert "REFERENCE declares no unit" in msg and "gdal_edit -mo UNIT=" in msg
    _nothing_written(tmp_path)


def _stations(path, xy, values, *, epsg=32633, field="VEL", text=False):
    return hk.write_layer(path, [f"POINT({float(x)!r} {float(y)!r})" for x, y in xy], {field: list(values)}, epsg=epsg,
                          text_fields=(field,) if text else ())


def test_comparelayers_duplicated_stations_pair_with_the_first_every_time(qgis_app, tmp_path):
    """Duplicated GNSS stations (one position, two values): 45 of 101 took the other copy; now the first in the
    layer's order, every run."""
    tmp, out = hk.folders(tmp_path)
    rng = np.random.default_rng(3)
    xy = np.c_[E0 + rng.uniform(0, 3000, 101), N0 + rng.uniform(0, 3000, 101)]
    first, second = rng.normal(-4, 2, 101), rng.normal(-4, 2, 101)
    order = np.arange(202) % 101  # every station twice: all first copies, then all second ones
    ref = _stations(os.path.join(tmp, "gnss.gpkg"), xy[order], np.r_[first, second])
    vel = first + rng.normal(0, 0.5, 101)
    ps = _stations(os.path.join(tmp, "ps.gpkg"), xy + rng.normal(0, 3.0, xy.shape), vel)
    fb = hk.warning_feedback()
    params = {"INPUT": ps, "FIELD": "VEL", "REFERENCE": ref, "REFERENCE_FIELD": "VEL", "MAX_DISTANCE_M": 30.0,
              "OUTPUT": os.path.join(out, "p.gpkg"), "OUTPUT_TABLE": os.path.join(out, "t.gpkg")}
    res = hk.run("comparelayers", params, fb)
    assert any("101 point(s) share their position" in w for w in fb.warnings), fb.warnings
    _same_stats(_table(res["OUTPUT_TABLE"])["all"], _scipy_stats(vel, first))


def test_comparelayers_gnss_in_latitude_longitude_against_points_in_epsg_3035(qgis_app, tmp_path):
    """A GNSS layer in EPSG:4326 was refused ("a point layer in a projected CRS is needed")."""
    from osgeo import osr

    tmp, out = hk.folders(tmp_path)
    rng = np.random.default_rng(12)
    laea = np.c_[4321000.0 + rng.uniform(0, 20000, 60), 3210000.0 + rng.uniform(0, 20000, 60)]
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(3035)
    dst.ImportFromEPSG(4326)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lonlat = np.array(osr.CoordinateTransformation(src, dst).TransformPoints(laea + rng.normal(0, 5.0, laea.shape)))
    gnss_v = rng.normal(-3, 2, 60)
    egms_v = gnss_v + rng.normal(0.3, 0.6, 60)
    gnss = _stations(os.path.join(tmp, "gnss.gpkg"), lonlat[:, :2], gnss_v, epsg=4326)
    egms = _stations(os.path.join(tmp, "egms.gpkg"), laea, egms_v, epsg=3035)
    for inp, ref, vi, vr, how in ((egms, gnss, egms_v, gnss_v, "from EPSG:4326 to EPSG:3035"),
                                  (gnss, egms, gnss_v, egms_v, "azimuthal equidistant")):
        fb = hk.warning_feedback()
        res = hk.run("comparelayers", {"INPUT": inp, "FIELD": "VEL", "REFERENCE": ref, "REFERENCE_FIELD": "VEL",
                                       "MAX_DISTANCE_M": 50.0, "OUTPUT_TABLE": os.path.join(out, f"t{len(how)}.gpkg")},
                     fb)
        assert any(how in i for i in fb.info), fb.info
        _same_stats(_table(res["OUTPUT_TABLE"])["all"], _scipy_stats(vi, vr))


def test_comparelayers_a_text_field_is_refused_naming_it(qgis_app, tmp_path):
    tmp, out = hk.folders(tmp_path)
    xy = [(E0 + 100.0 * i, N0 - 100.0 * i) for i in range(5)]
    txt = _stations(os.path.join(tmp, "txt.gpkg"), xy, ["1.5", "2", "3", "4", "5"], text=True)
    msg = hk.expect_refusal("comparelayers", {"INPUT": hk.los_raster(os.path.join(tmp, "v.tif")), "REFERENCE": txt,
                                              "REFERENCE_FIELD": "VEL", "OUTPUT_TABLE": os.path.join(out, "t.gpkg")},
                            "REFERENCE_FIELD: the field 'VEL'")
    assert "not a number" in msg
    _nothing_written(tmp_path)


def test_comparelayers_series_date_by_date_against_scipy(qgis_app, tmp_path):
    """Two dated rasters with dates in common and unmatched: a table per date, each = scipy on that date's pairs,
    the unmatched named; every band compared, not band 1."""
    tmp, out = hk.folders(tmp_path)
    rng = np.random.default_rng(21)
    days = [dt.date(2021, 1, 3) + dt.timedelta(days=12 * k) for k in range(8)]
    a, _, inp, ref = _cmp_grids(tmp, rng, dates=days, meta_in={"UNIT": "mm"})
    keep = [0, 1, 2, 4, 5, 7]
    other = days[:]
    other[7] = other[7] + dt.timedelta(days=1)  # one day off: unmatched
    b = write_geotiff(os.path.join(tmp, "ref_series.tif"), ref[keep], geotransform=hk.GT,
                      descriptions=[other[k].isoformat() for k in keep], metadata={"UNIT": "mm"})
    fb = hk.warning_feedback()
    res = hk.run("comparelayers", {"INPUT": a, "REFERENCE": b, "OUTPUT_RASTER": os.path.join(out, "d.tif"),
                                   "OUTPUT_TABLE": os.path.join(out, "t.gpkg")}, fb)
    assert not any("only band 1" in w for w in fb.warnings), fb.warnings
    assert any("INPUT: 3 date(s)" in w and days[7].isoformat() in w for w in fb.warnings), fb.warnings
    t = _table(res["OUTPUT_TABLE"])
    for k in (0, 1, 2, 4, 5):
        _same_stats(t[days[k].isoformat()], _scipy_stats(inp[k], ref[k]))
    both = [0, 1, 2, 4, 5]
    _same_stats(t["all"], _scipy_stats(inp[both], ref[both]))
    from osgeo import gdal

    ds = gdal.Open(res["OUTPUT_RASTER"])
    assert ds.RasterCount == 5 and ds.GetRasterBand(4).GetDescription() == days[4].isoformat()
    assert os.path.exists(os.path.splitext(res["OUTPUT_RASTER"])[0] + ".qml")  # styled


def test_comparelayers_dated_points_against_a_series_per_point_paired_tests(qgis_app, tmp_path):
    """Levelling at a few benchmarks (dated fields) against an InSAR series: per point, the paired t test and the
    Wilcoxon test over the dates equal scipy's."""
    from osgeo import ogr
    from scipy import stats as st

    tmp, out = hk.folders(tmp_path)
    rng = np.random.default_rng(31)
    days = [dt.date(2020, 1, 5) + dt.timedelta(days=24 * k) for k in range(12)]
    a, _, inp, _ = _cmp_grids(tmp, rng, dates=days)
    rows, cols = np.array([3, 10, 20, 25]), np.array([4, 15, 30, 8])
    x, y = hk.GT[0] + (cols + 0.5) * 30.0, hk.GT[3] - (rows + 0.5) * 30.0
    lev = inp[:, rows, cols] + rng.normal(0.4, 1.0, (12, 4))
    lev[5, 1] = -9999.0  # a missed survey written as -9999
    fields = {f"D{d.strftime('%Y%m%d')}": list(lev[k]) for k, d in enumerate(days)}
    pts = hk.write_layer(os.path.join(tmp, "lev.gpkg"), [f"POINT({u} {v})" for u, v in zip(x, y)], fields)
    fb = hk.warning_feedback()
    res = hk.run("comparelayers", {"INPUT": a, "REFERENCE": pts, "OUTPUT": os.path.join(out, "p.gpkg"),
                                   "OUTPUT_TABLE": os.path.join(out, "t.gpkg")}, fb)
    assert any(f"field D{days[5].strftime('%Y%m%d')}" in w and "-9999" in w for w in fb.warnings), fb.warnings
    lev[5, 1] = np.nan
    ds = ogr.Open(res["OUTPUT"])
    feats = list(ds.GetLayer(0))
    for i, f in enumerate(feats):
        a_i, b_i = inp[:, rows[i], cols[i]], lev[:, i]
        ok = np.isfinite(b_i)
        assert f["n_dates"] == ok.sum()
        assert f["t_test_p"] == pytest.approx(st.ttest_rel(a_i[ok], b_i[ok]).pvalue, rel=1e-6)
        assert f["wilcoxon_p"] == pytest.approx(st.wilcoxon(a_i[ok], b_i[ok]).pvalue, rel=1e-6)
        assert f["diff_20200105"] == pytest.approx(a_i[0] - b_i[0], rel=1e-9)


def test_comparelayers_desktop_outputs(qgis_app, tmp_path):
    """The dialog asked for the points output on two rasters ("layers were not correctly generated"): it is off by
    default, and one asked anyway is said and not loaded; the difference raster is styled."""
    from qgis.core import QgsApplication, QgsProcessingContext

    alg = QgsApplication.processingRegistry().algorithmById("geohazard:comparelayers")
    assert not alg.parameterDefinition("OUTPUT").createByDefault()
    assert alg.parameterDefinition("OUTPUT_RASTER").createByDefault()
    import processing

    tmp, out = hk.folders(tmp_path)
    rng = np.random.default_rng(2)
    a, b, _, _ = _cmp_grids(tmp, rng)
    context = QgsProcessingContext()
    fb = hk.warning_feedback()
    pts = os.path.join(out, "p.gpkg")
    context.addLayerToLoadOnCompletion(pts, QgsProcessingContext.LayerDetails("p", context.project(), "OUTPUT"))
    res = processing.run("geohazard:comparelayers", {"INPUT": a, "REFERENCE": b, "OUTPUT": pts,
                                                     "OUTPUT_RASTER": os.path.join(out, "d.tif"),
                                                     "OUTPUT_TABLE": os.path.join(out, "t.gpkg")},
                         context=context, feedback=fb)
    assert any("OUTPUT is not written: two rasters are compared" in i for i in fb.info), fb.info
    assert not context.willLoadLayerOnCompletion(pts) and "OUTPUT" not in res
    assert os.path.exists(os.path.join(out, "d.qml"))


def _mine_series(tmp, *, end, sign=1.0, began=None, c=1.5, seed=0):
    """A vertical series (mm, a band per date) over mine_plan's panel: the PIM basin times Knothe's 1 - exp(-c t)
    from ``began`` (default ``end``), measured from the first date, 2 mm of noise; ``sign`` -1 flips it."""
    from insar_geohazards.algorithms.hazard import miningsubsidence as pim

    dates = [end - dt.timedelta(days=300) + dt.timedelta(days=12 * k) for k in range(45)]
    gt = MINING_GT
    xx, yy = np.meshgrid(gt[0] + (np.arange(46) + 0.5) * gt[1], gt[3] + (np.arange(42) + 0.5) * gt[5])
    panel = pim.Panel.from_vertices([(E0, N0), (E0 + 500, N0), (E0 + 500, N0 + 200), (E0, N0 + 200)], 300.0, 3.0)
    up = pim.pim_displacement(xx, yy, [panel], subsidence_factor=0.8, tan_beta=2.0, offset_m=0.0,
                              horizontal_factor=0.3)[2]
    start = began or end
    frac = np.array([1 - np.exp(-c * (d - start).days / 365.25) if d > start else 0.0 for d in dates])
    cube = sign * (frac[:, None, None] * up[None])
    cube = cube - cube[0] + np.random.default_rng(seed).normal(0, 2.0, cube.shape)
    return write_geotiff(os.path.join(tmp, "series.tif"), cube, geotransform=gt,
                         descriptions=[d.isoformat() for d in dates], metadata={"UNIT": "mm", "COMPONENT": "UP"})


def _mine_time(tmp, series, end):
    wkt = f"POLYGON(({E0} {N0},{E0 + 500} {N0},{E0 + 500} {N0 + 200},{E0} {N0 + 200},{E0} {N0}))"
    plan = hk.polygon_layer(os.path.join(tmp, "plan.gpkg"), [wkt], fields={
        "DEPTH_M": [300.0], "THICKNESS_M": [3.0], "END_DATE": [end.isoformat()]}, text_fields=("END_DATE",))
    return {"MODE": 2, "PANELS": plan, "INPUT": series, "INPUT_COMPONENT": 1, "SUBSIDENCE_FACTOR": 0.8,
            "TAN_BETA": 2.0, "OFFSET_M": 0.0, "OUTPUT_VERTICAL": os.path.join(tmp, "out", "fc.tif")}


def test_mining_time_series_reads_every_band_without_the_band_1_warning_and_is_styled(qgis_app, tmp_path):
    """Every MODE 2 run warned "only band 1 is read"; its dated raster loaded as an RGB composite."""
    import processing
    from qgis.core import QgsProcessingContext, QgsRasterLayer

    tmp, out = hk.folders(tmp_path)
    end = dt.date(2021, 3, 1)
    params = _mine_time(tmp, _mine_series(tmp, end=end), end)
    context = QgsProcessingContext()
    path = params["OUTPUT_VERTICAL"]
    context.addLayerToLoadOnCompletion(path, QgsProcessingContext.LayerDetails("fc", context.project(),
                                                                               "OUTPUT_VERTICAL"))
    fb = hk.warning_feedback()
    processing.run("geohazard:miningsubsidence", params, context=context, feedback=fb)
    assert not any("only band 1" in w for w in fb.warnings), fb.warnings
    options = QgsRasterLayer.LayerOptions()
    options.loadDefaultStyle = False  # as Processing loads a result: its style comes from the run
    layer = QgsRasterLayer(path, "fc", "gdal", options)
    assert layer.renderer().type() == "multibandcolor"  # what QGIS gives a 45-band raster by default
    context.layerToLoadOnCompletionDetails(path).postProcessor().postProcessLayer(layer, context, fb)
    assert layer.renderer().type() == "singlebandpseudocolor"


@pytest.mark.parametrize("case,match", [("flipped", "its sign looks flipped"), ("began", "began earlier")])
def test_mining_time_series_against_the_plan_says_why(qgis_app, tmp_path, case, match):
    """A sign-flipped series, or an END_DATE after the subsidence began, got "the series does not constrain c"."""
    tmp, out = hk.folders(tmp_path)
    end = dt.date(2021, 3, 1)
    series = _mine_series(tmp, end=end, sign=-1.0 if case == "flipped" else 1.0,
                          began=end - dt.timedelta(days=250) if case == "began" else None, seed=3)
    msg = hk.expect_refusal("miningsubsidence", _mine_time(tmp, series, end), match)
    assert msg.startswith("INPUT")
    _nothing_written(tmp_path)


def test_slopestability_undeclared_no_data_in_the_dem_and_a_soil_raster(qgis_app, tmp_path):
    """-32768 voids in a DEM and -9999 in a cohesion raster, no no-data declared: no data, said; FS elsewhere as
    without them."""
    from testutils import read_array

    params = _slope(tmp_path)
    truth = read_array(hk.run("slopestability", params)["OUTPUT"])
    tmp, out = hk.folders(tmp_path / "holes")
    rows, cols = slice(20, 26), slice(30, 40)
    dem = _dem(os.path.join(tmp, "dem_void.tif"), shape=(60, 64), voids=(-32768.0, rows, cols))
    coh = np.full((60, 64), 2.0)
    coh[40:45, 5:9] = -9999.0
    c_path = write_geotiff(os.path.join(tmp, "cohesion.tif"), coh, geotransform=DEM_GT)
    fb = hk.warning_feedback()
    res = hk.run("slopestability", dict(params, DEM=dem, COHESION_KPA_RASTER=c_path,
                                        OUTPUT=os.path.join(out, "fs.tif")), fb)
    assert any("DEM: dem_void.tif declares no no-data value" in w for w in fb.warnings), fb.warnings
    assert any("COHESION_KPA_RASTER: cohesion.tif" in w and "-9999" in w for w in fb.warnings), fb.warnings
    fs = read_array(res["OUTPUT"])
    assert np.isnan(fs[rows, cols]).all() and np.isnan(fs[40:45, 5:9]).all()
    far = np.ones(fs.shape, bool)
    far[17:29, 27:43] = False  # the void and its Horn neighbours
    far[40:45, 5:9] = False
    assert np.array_equal(fs[far], truth[far], equal_nan=True)


def test_a_raster_of_nothing_but_an_undeclared_no_data_value_is_refused(qgis_app, tmp_path):
    tmp, out = hk.folders(tmp_path)
    void = write_geotiff(os.path.join(tmp, "void.tif"), np.full((40, 44), -9999.0), geotransform=DEM_GT)
    msg = hk.expect_refusal("demdifference", _dod(tmp_path, INPUT=_dem(os.path.join(tmp, "ref.tif")), INPUT_2=void),
                            "INPUT_2: every cell of void.tif holds -9999")
    assert "no valid pixel" in msg
    _nothing_written(tmp_path)
