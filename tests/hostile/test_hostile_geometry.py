"""Hostile inputs for the geometry tools: losvelocitytovertical, geometricdistortion, losprojection,
ascdescdecomposition, strainrate."""

import os

import numpy as np
import pytest
import registry
import testutils_hostile as hk
from testutils import write_geotiff

TOOLS = registry.hostile_tools("geometry")  # the tools whose hostile family is "geometry" in tests/registry.py


def recipe(tool, tmp):
    tmp, out = hk.folders(tmp)
    j = os.path.join
    if tool == "losvelocitytovertical":
        src = hk.los_raster(j(tmp, "ifg.tif"))
        params = {"INPUT": src, "INCIDENCE": 37.0, "OUTPUT": j(out, "vert.tif")}

        spoil = hk.spoil_input("INPUT", hk.los_input, ".tif", trunc_message="trunc.tif",
                               nan_message="no valid pixel", radar=True)

        far = hk.los_raster(j(tmp, "inc_far.tif"), value=37.0, gt=hk.FAR_GT)
        return hk.Recipe(params, ["OUTPUT"], ("INPUT", "OUTPUT"), spoil, raster="INPUT", nocrs="accept",
                        overlap={"INCIDENCE_RASTER": far}, implausible={"INCIDENCE": 89.999})
    if tool == "geometricdistortion":
        dem = hk.dem_raster(j(tmp, "dem.tif"))
        params = {"DEM": dem, "HEADING": -12.0, "INCIDENCE": 37.0, "OUTPUT_CLASSES": j(out, "cls.tif"),
                  "OUTPUT_RINDEX": j(out, "r.tif"), "OUTPUT_VISIBILITY": j(out, "vis.tif"),
                  "OUTPUT_TABLE": j(out, "t.csv")}

        spoil = hk.spoil_input("DEM", hk.dem_raster, ".tif", trunc_message="trunc.tif", nan_message="no valid pixel")

        far = hk.los_raster(j(tmp, "inc_far.tif"), value=37.0, gt=hk.FAR_GT)
        return hk.Recipe(params, ["OUTPUT_CLASSES", "OUTPUT_RINDEX", "OUTPUT_VISIBILITY", "OUTPUT_TABLE"],
                        ("DEM", "OUTPUT_RINDEX"), spoil, raster="DEM", nocrs="refuse",
                        overlap={"INCIDENCE_RASTER": far}, implausible={"INCIDENCE": 89.999})
    if tool == "losprojection":
        src = hk.los_raster(j(tmp, "vel.tif"))
        dem = hk.dem_raster(j(tmp, "dem.tif"))
        params = {"INPUT": src, "DEM": dem, "HEADING": -10.0, "INCIDENCE": 39.0,
                  "OUTPUT_VERTICAL": j(out, "v.tif"), "OUTPUT_DOWNSLOPE": j(out, "s.tif")}

        spoil = hk.spoil_input("INPUT", hk.los_input, ".tif", trunc_message="trunc.tif",
                               nan_message="no valid pixel", also={"DEM": hk.dem_raster})

        return hk.Recipe(params, ["OUTPUT_VERTICAL", "OUTPUT_DOWNSLOPE"], ("DEM", "OUTPUT_DOWNSLOPE"), spoil,
                        raster="INPUT", nocrs="refuse",
                        overlap={"DEM": hk.dem_raster(j(tmp, "far_dem.tif"), gt=hk.FAR_GT)},
                        implausible={"INCIDENCE": 89.999})
    if tool == "ascdescdecomposition":
        asc = hk.los_raster(j(tmp, "asc.tif"), seed=1)
        desc = hk.los_raster(j(tmp, "desc.tif"), seed=2)
        params = {"ASC_RASTER": asc, "DESC_RASTER": desc, "ASC_HEADING": -12.0, "ASC_INCIDENCE": 37.0,
                  "DESC_HEADING": 192.0, "DESC_INCIDENCE": 37.0, "OUTPUT_EAST": j(out, "e.tif"),
                  "OUTPUT_UP": j(out, "u.tif"), "OUTPUT_QUALITY": j(out, "q.tif")}

        spoil = hk.spoil_input("ASC_RASTER", hk.los_input, ".tif", nan_message="no valid pixel",
                               also={"DESC_RASTER": hk.los_input})

        return hk.Recipe(params, ["OUTPUT_EAST", "OUTPUT_UP", "OUTPUT_QUALITY"], ("DESC_RASTER", "OUTPUT_UP"), spoil,
                        raster="ASC_RASTER", nocrs="accept",
                        overlap={"DESC_RASTER": hk.los_raster(j(tmp, "far.tif"), gt=hk.FAR_GT)},
                        implausible={"DESC_INCIDENCE": 89.999})
    if tool == "strainrate":
        east = hk.los_raster(j(tmp, "ve.tif"), seed=1)
        north = hk.los_raster(j(tmp, "vn.tif"), seed=2)
        params = {"INPUT_EAST": east, "INPUT_NORTH": north, "SMOOTHING_M": 60.0,
                  "OUTPUT_DILATATION": j(out, "dil.tif"), "OUTPUT_MAX_SHEAR": j(out, "sh.tif"),
                  "OUTPUT_ROTATION": j(out, "rot.tif"), "OUTPUT_PRINCIPAL": j(out, "pr.tif")}

        spoil = hk.spoil_input("INPUT_EAST", hk.los_input, ".tif", nan_message="no valid pixel",
                               also={"INPUT_NORTH": hk.los_input})

        return hk.Recipe(params, ["OUTPUT_DILATATION", "OUTPUT_MAX_SHEAR", "OUTPUT_ROTATION", "OUTPUT_PRINCIPAL"],
                         ("INPUT_NORTH", "OUTPUT_ROTATION"), spoil, raster="INPUT_EAST", nocrs="refuse",
                         overlap={"INPUT_NORTH": hk.los_raster(j(tmp, "far.tif"), gt=hk.FAR_GT)})
    raise KeyError(tool)


test_hostile = hk.hostile_cases(TOOLS, recipe)


def test_complex_raster_is_refused_not_cast(qgis_app, tmp_path):
    path = write_geotiff(tmp_path / "ifg_complex.tif", np.full((8, 10), 3 + 4j), geotransform=hk.GT,
                         dtype="complex64")
    msg = hk.expect_refusal("losvelocitytovertical", {"INPUT": path, "OUTPUT": str(tmp_path / "v.tif")}, "complex")
    assert "ifg_complex.tif" in msg and not (tmp_path / "v.tif").exists()


def test_wrong_output_extension_is_refused_before_computing(qgis_app, tmp_path):
    src = hk.los_raster(tmp_path / "ifg.tif")
    hk.expect_refusal("losvelocitytovertical", {"INPUT": src, "OUTPUT": str(tmp_path / "v.png")}, r"\.tif")


def test_incidence_raster_near_90_degrees_is_refused(qgis_app, tmp_path):
    src = hk.los_raster(tmp_path / "ifg.tif")
    inc = write_geotiff(tmp_path / "inc.tif", np.full((24, 28), 89.999), geotransform=hk.GT)
    hk.expect_refusal("losvelocitytovertical", {"INPUT": src, "INCIDENCE_RASTER": inc,
                                               "OUTPUT": str(tmp_path / "v.tif")}, "INCIDENCE_RASTER")


# ------------------------------------------------------------ products as delivered, dropped in the wrong place
def test_a_half_downloaded_mintpy_velocity_is_named(qgis_app, tmp_path):
    import testutils_mintpy as tm

    pytest.importorskip("h5py", reason="h5py is not installed")
    days, _, vel = tm.scene(rows=60, cols=80)
    src = tm.write_velocity(tmp_path / "velocity.h5", vel, days)
    hk.truncate(src, 0.5)
    msg = hk.expect_refusal("losvelocitytovertical", {"INPUT": src, "INCIDENCE": 37.0,
                                                      "OUTPUT": str(tmp_path / "v.tif")}, "velocity.h5")
    assert "Traceback" not in msg and not (tmp_path / "v.tif").exists()


def test_a_mintpy_stack_or_radar_geometry_in_a_raster_parameter_is_refused(qgis_app, tmp_path):
    import datetime as dt

    import testutils_mintpy as tm

    pytest.importorskip("h5py", reason="h5py is not installed")
    from insar_geohazards.algorithms.formats.mintpy import write_ifgram_stack

    stack = write_ifgram_stack(str(tmp_path / "ifgramStack.h5"), np.zeros((1, 8, 9), np.float32),
                               [(dt.date(2020, 1, 1), dt.date(2020, 1, 13))], wavelength_m=0.0555,
                               geotransform=hk.GT, epsg=32633)
    hk.expect_refusal("losprojection", {"INPUT": stack, "HEADING": -12.0, "INCIDENCE": 37.0,
                                        "OUTPUT_VERTICAL": str(tmp_path / "v.tif")}, "sbasinversion INTERFEROGRAMS")
    radar = tm.write_geometry(tmp_path / "geometryRadar.h5", (8, 9), geo=None)
    src = hk.los_raster(str(tmp_path / "ifg.tif"))
    hk.expect_refusal("losvelocitytovertical", {"INPUT": src, "INCIDENCE_RASTER": radar,
                                                "OUTPUT": str(tmp_path / "v.tif")}, "radar coordinates.*geocode.py")
    assert not (tmp_path / "v.tif").exists()


def test_angle_rasters_that_contradict_their_declared_content_are_refused(qgis_app, tmp_path):
    """HyP3 lv_theta (radians, look-vector elevation) declared as degrees of elevation, LiCSAR E.tif (a unit-vector
    component) and MintPy's azimuthAngle given with the default content settings: refused naming what fits, nothing
    written. (lv_theta at the default content is read as what it is: tests/processing/test_losvelocitytovertical.)"""
    import testutils_mintpy as tm

    src = hk.los_raster(str(tmp_path / "vel.tif"))
    shape = (24, 28)
    theta = write_geotiff(tmp_path / "S1AA_20200101T010101_20200113T010101_VVP012_INT80_G_ueF_ABCD_lv_theta.tif",
                          np.full(shape, np.radians(52.0)), geotransform=hk.GT)
    east = write_geotiff(tmp_path / "124D_05291_131313.geo.E.tif", np.full(shape, -0.6), geotransform=hk.GT)
    out = {"OUTPUT_VERTICAL": str(tmp_path / "v.tif")}
    hk.expect_refusal("losprojection", {"INPUT": src, "HEADING": -12.0, "INCIDENCE_RASTER": theta,
                                        "INCIDENCE_UNITS": 2, **out},
                      r"lv_theta.tif holds the look vector's elevation angle .*\(3\)")
    hk.expect_refusal("losprojection", {"INPUT": src, "HEADING": -12.0, "INCIDENCE_RASTER": east, **out},
                      r"LiCSAR E/N.*U.tif")
    pytest.importorskip("h5py", reason="h5py is not installed")
    geo = dict(tm.UTM, X_FIRST=hk.GT[0], Y_FIRST=hk.GT[3], X_STEP=hk.GT[1], Y_STEP=hk.GT[5], EPSG=32633)
    geom = tm.write_geometry(tmp_path / "geometryGeo.h5", shape, geo=geo)
    hk.expect_refusal("losprojection", {"INPUT": src, "INCIDENCE": 37.0, "HEADING_RASTER": geom, **out},
                      r"azimuthAngle.*set HEADING_UNITS to 'ISCE los band 2.*\(3\)")
    assert not (tmp_path / "v.tif").exists()


def test_losprojection_vertical_only_needs_no_heading_and_downslope_does(qgis_app, tmp_path):
    """Only the vertical output asked: no heading typed or carried is fine (v / cos(incidence) does not use it);
    the downslope output still needs one and says so."""
    src = hk.los_raster(str(tmp_path / "vel.tif"))
    from testutils import read_array

    res = hk.run("losprojection", {"INPUT": src, "INCIDENCE": 40.0, "OUTPUT_VERTICAL": str(tmp_path / "v.tif")})
    np.testing.assert_allclose(read_array(res["OUTPUT_VERTICAL"]), read_array(src) / np.cos(np.radians(40.0)),
                               rtol=1e-5)
    dem = hk.dem_raster(str(tmp_path / "dem.tif"))
    hk.expect_refusal("losprojection", {"INPUT": src, "INCIDENCE": 40.0, "DEM": dem,
                                        "OUTPUT_DOWNSLOPE": str(tmp_path / "d.tif")},
                      "HEADING: the inputs carry no heading")
    assert not (tmp_path / "d.tif").exists()


# ------------------------------------------------------------------------------- strainrate as users type it
S_GT = (hk.GT[0], 100.0, 0.0, hk.GT[3], 0.0, -100.0)


def _field(tmp, gradient, *, scale=1.0, meta=None, sentinel=None, shape=(30, 32), names=("e.tif", "n.tif")):
    """East and north components of a uniform gradient (per m) on S_GT, times ``scale``; written with ``meta``."""
    r, c = np.mgrid[0:shape[0], 0:shape[1]].astype(float)
    x, y = (c + 0.5) * 100.0, -(r + 0.5) * 100.0
    e = (gradient[0][0] * x + gradient[0][1] * y) * scale
    n = (gradient[1][0] * x + gradient[1][1] * y) * scale
    if sentinel is not None:
        e[5:8, 6:9] = sentinel
    return (write_geotiff(os.path.join(tmp, names[0]), e, geotransform=S_GT, metadata=meta),
            write_geotiff(os.path.join(tmp, names[1]), n, geotransform=S_GT, metadata=meta))


def _uniform_strain(g):
    """dilatation and rotation (nano) of a uniform gradient g (per m): an independent reading of the definitions."""
    return (g[0][0] + g[1][1]) * 1e6, 0.5 * (g[1][0] - g[0][1]) * 1e6


@pytest.mark.parametrize("meta,unit_option,factor", [({"UNIT": "mm"}, 0, 1.0), ({"UNIT": "m"}, 0, 1e-3),
                                                     (None, 2, 1.0), ({"UNIT": "mm/yr"}, 0, 1.0)])
def test_strainrate_displacements_give_strain_named_so(qgis_app, tmp_path, meta, unit_option, factor):
    """A coseismic displacement (mm or m declared, or UNIT = displacement) gives strain in nanostrain, described and
    named so; a velocity strain per year."""
    from osgeo import gdal
    from testutils import read_array

    from insar_geohazards.fileio.display.arrange import layer_title

    rng = np.random.default_rng(int(factor * 7) + unit_option)
    g = rng.normal(0.0, 2e-4, (2, 2))
    tmp, out = hk.folders(tmp_path)
    e, n = _field(tmp, g, scale=factor, meta=meta)
    params = {"INPUT_EAST": e, "INPUT_NORTH": n, "UNIT": unit_option, "SMOOTHING_M": 250.0,
              "OUTPUT_DILATATION": os.path.join(out, "dil.tif"), "OUTPUT_ROTATION": os.path.join(out, "rot.tif")}
    res = hk.run("strainrate", params)
    dil, rot = _uniform_strain(g)
    assert np.nanmax(np.abs(read_array(res["OUTPUT_DILATATION"]) - dil)) < 1e-3 * max(1.0, abs(dil))
    assert np.nanmax(np.abs(read_array(res["OUTPUT_ROTATION"]) - rot)) < 1e-3 * max(1.0, abs(rot))
    rate = meta == {"UNIT": "mm/yr"}
    ds = gdal.Open(res["OUTPUT_DILATATION"])
    want = "nanostrain/yr" if rate else "nanostrain"
    assert ds.GetMetadataItem("UNIT") == want
    assert ds.GetRasterBand(1).GetDescription() == ("dilatation_nstrain_yr" if rate else "dilatation_nstrain")
    ds = None
    assert layer_title("Dilatation", res["OUTPUT_DILATATION"]) == f"Dilatation ({want})"


def test_strainrate_a_unit_choice_against_the_files_is_refused(qgis_app, tmp_path):
    tmp, out = hk.folders(tmp_path)
    e, n = _field(tmp, [[1e-4, 0], [0, 1e-4]], meta={"UNIT": "mm/yr"})
    msg = hk.expect_refusal("strainrate", {"INPUT_EAST": e, "INPUT_NORTH": n, "UNIT": 2, "SMOOTHING_M": 250.0,
                                           "OUTPUT_DILATATION": os.path.join(out, "d.tif")}, "UNIT says displacement")
    assert "declare a rate" in msg
    d_e, _ = _field(tmp, [[1e-4, 0], [0, 1e-4]], meta={"UNIT": "mm"}, names=("de.tif", "dn.tif"))
    hk.expect_refusal("strainrate", {"INPUT_EAST": d_e, "INPUT_NORTH": n, "SMOOTHING_M": 250.0,
                                     "OUTPUT_DILATATION": os.path.join(out, "d.tif")},
                      "INPUT_EAST declares a displacement and INPUT_NORTH a rate")
    assert not hk.listing(out)


def test_strainrate_undeclared_no_data_is_no_velocity(qgis_app, tmp_path):
    from testutils import read_array

    tmp, out = hk.folders(tmp_path)
    g = [[1e-4, 2e-5], [-3e-5, 5e-5]]
    e, n = _field(tmp, g, meta={"UNIT": "mm/yr"}, sentinel=-9999.0)
    fb = hk.warning_feedback()
    res = hk.run("strainrate", {"INPUT_EAST": e, "INPUT_NORTH": n, "SMOOTHING_M": 250.0,
                                "OUTPUT_DILATATION": os.path.join(out, "d.tif")}, fb)
    assert any("INPUT_EAST: e.tif declares no no-data value" in w for w in fb.warnings), fb.warnings
    d = read_array(res["OUTPUT_DILATATION"])
    assert np.isnan(d[5:8, 6:9]).all() and np.nanmax(np.abs(d - _uniform_strain(g)[0])) < 0.1


def _gnss(path, xy, ve, vn):
    return hk.write_layer(path, [f"POINT({float(x)!r} {float(y)!r})" for x, y in xy], {"VE": list(ve), "VN": list(vn)})


@pytest.mark.parametrize("layout,match", [("line", "lie on one line"), ("spot", "distinct position"),
                                          ("sparse", "raise SMOOTHING_M to at least")])
def test_strainrate_networks_that_hold_no_plane_say_why(qgis_app, tmp_path, layout, match):
    """Collinear or co-located stations were told to "raise SMOOTHING_M"."""
    tmp, out = hk.folders(tmp_path)
    rng = np.random.default_rng(4)
    if layout == "line":
        t = rng.uniform(0, 20000, 30)
        xy = np.c_[hk.GT[0] + t, hk.GT[3] + 0.5 * t]
    elif layout == "spot":
        xy = np.repeat([[hk.GT[0], hk.GT[3]], [hk.GT[0] + 10.0, hk.GT[3]]], 10, axis=0)
    else:
        xy = np.c_[hk.GT[0] + rng.uniform(0, 200000, 30), hk.GT[3] + rng.uniform(0, 200000, 30)]
    pts = _gnss(os.path.join(tmp, "gnss.gpkg"), xy, rng.normal(0, 1, len(xy)), rng.normal(0, 1, len(xy)))
    msg = hk.expect_refusal("strainrate", {"POINTS": pts, "EAST_FIELD": "VE", "NORTH_FIELD": "VN",
                                           "SMOOTHING_M": 1000.0, "OUTPUT_POINTS": os.path.join(out, "s.gpkg")}, match)
    assert msg.startswith("POINTS")
    assert not hk.listing(out)


def test_strainrate_empty_stations_are_counted_and_explained(qgis_app, tmp_path):
    """12 of 160 stations were left empty with no word."""
    from osgeo import ogr

    tmp, out = hk.folders(tmp_path)
    rng = np.random.default_rng(8)
    xy = np.c_[hk.GT[0] + rng.uniform(0, 40000, 148), hk.GT[3] + rng.uniform(0, 40000, 148)]
    far = np.c_[hk.GT[0] + 200000 + 50000 * np.arange(12), np.full(12, hk.GT[3])]  # isolated stations
    xy = np.r_[xy, far]
    g = np.array([[3e-5, 1e-5], [-2e-5, 4e-5]])
    ve, vn = (g @ (xy - xy[0]).T)
    pts = _gnss(os.path.join(tmp, "gnss.gpkg"), xy, ve, vn)
    fb = hk.warning_feedback()
    res = hk.run("strainrate", {"POINTS": pts, "EAST_FIELD": "VE", "NORTH_FIELD": "VN", "SMOOTHING_M": 5000.0,
                                "OUTPUT_POINTS": os.path.join(out, "s.gpkg")}, fb)
    said = [w for w in fb.warnings if "points have no strain rate" in w]
    assert said and said[0].startswith("POINTS: 12 of 160") and "12 with fewer than 3" in said[0], fb.warnings
    ds = ogr.Open(res["OUTPUT_POINTS"])
    dil = np.array([f["dilatation"] if f["dilatation"] is not None else np.nan for f in ds.GetLayer(0)])
    assert np.isnan(dil).sum() == 12 and np.allclose(dil[np.isfinite(dil)], _uniform_strain(g)[0], rtol=1e-6)


def test_strainrate_gnss_in_latitude_longitude_and_a_text_field(qgis_app, tmp_path):
    """GNSS held in EPSG:4326 was refused ("a projected CRS in metres is needed"): now projected locally, giving the
    strain of the same stations in UTM within 0.5 %; a text field is named."""
    from osgeo import ogr, osr

    tmp, out = hk.folders(tmp_path)
    rng = np.random.default_rng(17)
    xy = np.c_[hk.GT[0] + rng.uniform(-20000, 20000, 80), hk.GT[3] + rng.uniform(-20000, 20000, 80)]
    g = np.array([[4e-5, -1e-5], [2e-5, 1e-5]])
    ve, vn = g @ (xy - xy.mean(axis=0)).T
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromEPSG(32633)
    dst.ImportFromEPSG(4326)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lonlat = np.array(osr.CoordinateTransformation(src, dst).TransformPoints(xy))[:, :2]
    pts = hk.write_layer(os.path.join(tmp, "gnss.gpkg"), [f"POINT({float(x)!r} {float(y)!r})" for x, y in lonlat],
                         {"VE": list(ve), "VN": list(vn)}, epsg=4326)
    fb = hk.warning_feedback()
    res = hk.run("strainrate", {"POINTS": pts, "EAST_FIELD": "VE", "NORTH_FIELD": "VN", "SMOOTHING_M": 8000.0,
                                "OUTPUT_POINTS": os.path.join(out, "s.gpkg")}, fb)
    assert any("projected from EPSG:4326" in i for i in fb.info), fb.info
    ds = ogr.Open(res["OUTPUT_POINTS"])
    dil = np.array([f["dilatation"] for f in ds.GetLayer(0) if f["dilatation"] is not None])
    ds = None
    assert dil.size > 60 and np.allclose(dil, _uniform_strain(g)[0], rtol=5e-3)
    txt = hk.write_layer(os.path.join(tmp, "txt.gpkg"), [f"POINT({float(x)!r} {float(y)!r})" for x, y in xy[:5]],
                         {"VE": ["1"] * 5, "VN": list(vn[:5])}, text_fields=("VE",))
    msg = hk.expect_refusal("strainrate", {"POINTS": txt, "EAST_FIELD": "VE", "NORTH_FIELD": "VN",
                                           "OUTPUT_POINTS": os.path.join(out, "t.gpkg")}, "EAST_FIELD: the field 'VE'")
    assert "not a number" in msg


def test_strainrate_gnss_fields_in_m_yr_are_said(qgis_app, tmp_path):
    """A GNSS layer in m/yr (fields declare no unit) gave strain rates 1000 times too small without a word."""
    tmp, out = hk.folders(tmp_path)
    rng = np.random.default_rng(23)
    xy = np.c_[hk.GT[0] + rng.uniform(0, 30000, 60), hk.GT[3] + rng.uniform(0, 30000, 60)]
    ve, vn = rng.normal(0, 3e-3, 60), rng.normal(0, 3e-3, 60)  # m/yr
    pts = _gnss(os.path.join(tmp, "gnss.gpkg"), xy, ve, vn)
    fb = hk.warning_feedback()
    hk.run("strainrate", {"POINTS": pts, "EAST_FIELD": "VE", "NORTH_FIELD": "VN", "SMOOTHING_M": 6000.0,
                          "OUTPUT_POINTS": os.path.join(out, "s.gpkg")}, fb)
    assert any("fields VE and VN are read as mm/yr" in w and "look like m/yr" in w for w in fb.warnings), fb.warnings
