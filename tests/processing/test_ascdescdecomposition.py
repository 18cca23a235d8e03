"""geohazard:ascdescdecomposition — parameters, wrong parameters, synthetic rasters, real EGMS points, cancel."""

import datetime as dt
import os

import numpy as np
import pytest
from testutils import output_files, parameter_ids, write_geotiff
from testutils import read_bands as _read

from insar_geohazards.algorithms.geometry.los import los_unit_vector

NAME = "ascdescdecomposition"


def _out(tmp_path):
    return output_files(tmp_path, OUTPUT_EAST="e.tif", OUTPUT_UP="u.tif", OUTPUT_QUALITY="q.tif")


def test_parameters(alg):
    ids = parameter_ids(a := alg(NAME))
    assert ids[:10] == ["ASC_RASTER", "ASC_HEADING", "ASC_INCIDENCE", "ASC_SIGMA", "ASC_POINTS", "DESC_RASTER",
                        "DESC_HEADING", "DESC_INCIDENCE", "DESC_SIGMA", "DESC_POINTS"]
    # STD_FIELD and CELL_SIZE: hidden former IDs of VELOCITY_STD_FIELD and PIXEL_SIZE
    assert ids[10:] == ["VELOCITY_FIELD", "VELOCITY_STD_FIELD", "STD_FIELD", "PIXEL_SIZE", "CELL_SIZE", "GRID_CRS",
                        "TEMPLATE", "ORIGIN_X", "ORIGIN_Y",
                        "NORTH_VELOCITY", "WEIGHTING",
                        "MAX_CONDITION", "TIME_SERIES", "SPACING_DAYS", "MAX_GAP_DAYS", "OUTPUT_EAST", "OUTPUT_UP",
                        "OUTPUT_QUALITY", "OUTPUT_EAST_TS", "OUTPUT_UP_TS"]
    assert a.parameterDefinition("PIXEL_SIZE").defaultValue() == 100.0
    # the EGMS L3 Ortho route (time series) is the default; undated inputs fall back to velocities
    assert a.parameterDefinition("TIME_SERIES").defaultValue() is True
    assert a.parameterDefinition("ORIGIN_X").defaultValue() == 0.0
    assert "EPSG:3035" in a.shortHelpString()


def test_synthetic_rasters_velocity_and_time_series(run_alg, tmp_path):
    rng = np.random.default_rng(2)
    east, up = rng.normal(0, 4, (6, 7)), rng.normal(-5, 3, (6, 7))
    a, d = los_unit_vector(39.0, -10.0), los_unit_vector(35.0, 190.0)
    va = a[0] * east + a[2] * up
    vd = d[0] * east + d[2] * up
    sa = write_geotiff(tmp_path / "a.tif", va)
    sd = write_geotiff(tmp_path / "d.tif", vd)
    params = {"ASC_RASTER": sa, "DESC_RASTER": sd, "ASC_HEADING": -10.0, "ASC_INCIDENCE": 39.0,
              "DESC_HEADING": 190.0, "DESC_INCIDENCE": 35.0, "ASC_SIGMA": 1.0, "DESC_SIGMA": 1.0, **_out(tmp_path)}
    res = run_alg(NAME, params)
    np.testing.assert_allclose(_read(res["OUTPUT_EAST"])[0][0], east, atol=1e-4)
    np.testing.assert_allclose(_read(res["OUTPUT_UP"])[0][0], up, atol=1e-4)
    q, ds = _read(res["OUTPUT_QUALITY"])
    assert q.shape[0] == 4 and ds.GetRasterBand(3).GetDescription() == "condition number"
    assert np.all(q[1] > 0) and np.all((q[2] > 1.0) & (q[2] < 2.0))
    # time series on two different date sets (12-day repeat, 6 days apart)
    da = [dt.date(2021, 1, 1) + dt.timedelta(days=12 * i) for i in range(30)]
    dd = [dt.date(2021, 1, 7) + dt.timedelta(days=12 * i) for i in range(30)]
    ta = np.array([(x - dt.date(2021, 1, 1)).days / 365.25 for x in da])
    td = np.array([(x - dt.date(2021, 1, 1)).days / 365.25 for x in dd])
    sa = write_geotiff(tmp_path / "ats.tif", va[None] * ta[:, None, None], descriptions=[x.isoformat() for x in da])
    sd = write_geotiff(tmp_path / "dts.tif", vd[None] * td[:, None, None], descriptions=[x.isoformat() for x in dd])
    out = {k: v.replace(".tif", "_ts.tif") for k, v in _out(tmp_path).items()}
    res = run_alg(NAME, {**params, "ASC_RASTER": sa, "DESC_RASTER": sd, "TIME_SERIES": True, **out,
                         "OUTPUT_UP_TS": str(tmp_path / "upts.tif")})
    np.testing.assert_allclose(_read(res["OUTPUT_UP"])[0][0], up, atol=1e-3)
    uts, ds = _read(res["OUTPUT_UP_TS"])
    assert ds.GetRasterBand(1).GetDescription() == "2021-01-07"


def test_real_egms_points_gridded_like_egms_l3(run_alg, tmp_path, data_dir):
    g = os.path.join(data_dir, "egms_ustica")
    pts = {"ASC_POINTS": os.path.join(g, "asc_117_subset.gpkg"), "DESC_POINTS": os.path.join(g, "desc_022_subset.gpkg")}
    res = run_alg(NAME, {**pts, "TIME_SERIES": False, **_out(tmp_path)})
    up, ds = _read(res["OUTPUT_UP"])
    gt = ds.GetGeoTransform()
    # cell edges on multiples of 100 m, as the official EGMS L3 tiles (E45N17: corner 4500000, 1800000)
    assert gt[1] == 100.0 and gt[0] % 100.0 == 0 and gt[3] % 100.0 == 0
    assert "3035" in ds.GetProjection() or "Lambert_Azimuthal" in ds.GetProjection()
    valid = np.isfinite(up[0])
    assert valid.sum() >= 10
    # per-cell least squares by hand from the same points (the EGMS L3 Ortho equations)
    from osgeo import ogr

    rows = []
    for name in ("asc_117_subset.gpkg", "desc_022_subset.gpkg"):
        src = ogr.Open(os.path.join(g, name))
        for f in src.GetLayer(0):
            p = f.GetGeometryRef()
            rows.append((p.GetX(), p.GetY(), f["los_east"], f["los_up"], f["mean_velocity"], name[:3]))
    arr = np.array([r[:5] for r in rows])
    col = np.floor((arr[:, 0] - gt[0]) / 100.0).astype(int)
    row = np.floor((gt[3] - arr[:, 1]) / 100.0).astype(int)
    geo = np.array([r[5] for r in rows])
    for rr, cc in zip(*np.nonzero(valid)):
        m = (row == rr) & (col == cc)
        assert set(geo[m]) == {"asc", "des"}
        sol, *_ = np.linalg.lstsq(arr[m][:, [2, 3]], arr[m][:, 4], rcond=None)
        assert up[0, rr, cc] == pytest.approx(sol[1], abs=1e-4)
    # EGMS L3 route: decompose the 6-day interpolated series, then fit the velocity
    out_ts = {k: v.replace(".tif", "_ts.tif") for k, v in _out(tmp_path).items()}
    res = run_alg(NAME, {**pts, "OUTPUT_UP_TS": str(tmp_path / "upts.tif"), **out_ts})  # default route
    up_ts_vel, _ = _read(res["OUTPUT_UP"])
    both = valid & np.isfinite(up_ts_vel[0])
    assert both.sum() == valid.sum()
    assert np.median(np.abs(up_ts_vel[0][both] - up[0][both])) < 0.5  # mm/yr, same data two routes
    uts, ds = _read(res["OUTPUT_UP_TS"])
    assert uts.shape[0] > 200 and ds.GetRasterBand(1).GetDescription() == "2020-01-03"


def test_egms_points_snapped_to_template_or_origin(run_alg, tmp_path, data_dir):
    """TEMPLATE = a raster with the official L3 tile layout: output on exactly that grid."""
    g = os.path.join(data_dir, "egms_ustica")
    pts = {"ASC_POINTS": os.path.join(g, "asc_117_subset.gpkg"), "DESC_POINTS": os.path.join(g, "desc_022_subset.gpkg"),
           "TIME_SERIES": False}
    free = run_alg(NAME, {**pts, **_out(tmp_path)})
    up, ds = _read(free["OUTPUT_UP"])
    gt = ds.GetGeoTransform()
    # a 2 km x 2 km piece of tile E45N17 (EPSG:3035, 100 m cells, top-left corner 4598000, 1742000)
    tgt = (4598000.0, 100.0, 0.0, 1742000.0, 0.0, -100.0)
    tpl = write_geotiff(tmp_path / "tile.tif", np.zeros((20, 20), np.float32), geotransform=tgt, epsg=3035)
    out = {k: v.replace(".tif", "_tpl.tif") for k, v in _out(tmp_path).items()}
    snapped = run_alg(NAME, {**pts, "TEMPLATE": tpl, "GRID_CRS": "EPSG:32633", **out})
    up_t, ds_t = _read(snapped["OUTPUT_UP"])
    assert ds_t.GetGeoTransform() == tgt and up_t.shape == (1, 20, 20)
    assert "3035" in ds_t.GetProjection() or "Lambert_Azimuthal" in ds_t.GetProjection()
    r0, c0 = int(round((tgt[3] - gt[3]) / 100.0)), int(round((gt[0] - tgt[0]) / 100.0))
    h, w = up.shape[1:]
    part = up_t[0, r0:r0 + h, c0:c0 + w]
    np.testing.assert_array_equal(np.isfinite(part), np.isfinite(up[0]))
    np.testing.assert_allclose(part[np.isfinite(part)], up[0][np.isfinite(up[0])], atol=1e-6)
    assert np.isfinite(up_t).sum() == np.isfinite(up).sum() >= 5
    # ORIGIN: centres on multiples of 100 (edges at k*100 + 50)
    out = {k: v.replace(".tif", "_o.tif") for k, v in _out(tmp_path).items()}
    res = run_alg(NAME, {**pts, "ORIGIN_X": 50.0, "ORIGIN_Y": 50.0, **out})
    gt_o = _read(res["OUTPUT_UP"])[1].GetGeoTransform()
    assert gt_o[0] % 100.0 == 50.0 and gt_o[3] % 100.0 == 50.0


def test_wrong_parameters_give_clear_messages_and_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    sa = write_geotiff(tmp_path / "a.tif", np.ones((4, 4)))
    far = write_geotiff(tmp_path / "far.tif", np.ones((4, 4)),
                        geotransform=(900000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0))
    with pytest.raises(QgsProcessingException, match="one geometry is missing: DESC_RASTER"):
        run_alg(NAME, {"ASC_RASTER": sa, **_out(tmp_path)})
    with pytest.raises(QgsProcessingException, match="do not overlap"):
        run_alg(NAME, {"ASC_RASTER": sa, "DESC_RASTER": far, **_out(tmp_path)})
    pts = os.path.join(os.path.dirname(__file__), "..", "data", "egms_ustica", "asc_117_subset.gpkg")
    with pytest.raises(QgsProcessingException, match="not a mix"):
        run_alg(NAME, {"ASC_RASTER": sa, "DESC_POINTS": pts, **_out(tmp_path)})
    with pytest.raises(QgsProcessingException, match="GRID_CRS must be a projected CRS"):
        run_alg(NAME, {"ASC_POINTS": pts, "DESC_POINTS": pts, "GRID_CRS": "EPSG:4326", **_out(tmp_path)})
    with pytest.raises(QgsProcessingException, match="no field 'velocity'"):
        run_alg(NAME, {"ASC_POINTS": pts, "DESC_POINTS": pts, "VELOCITY_FIELD": "velocity", **_out(tmp_path)})
    sb = write_geotiff(tmp_path / "b.tif", np.ones((4, 4)))
    with pytest.raises(QgsProcessingException, match="TEMPLATE snaps the grid of point inputs"):
        run_alg(NAME, {"ASC_RASTER": sa, "DESC_RASTER": sb, "TEMPLATE": sb, **_out(tmp_path)})
    geo = write_geotiff(tmp_path / "geo.tif", np.ones((4, 4)), geotransform=(13.0, 0.001, 0.0, 38.7, 0.0, -0.001),
                        epsg=4326)
    with pytest.raises(QgsProcessingException, match="TEMPLATE must be in a projected CRS"):
        run_alg(NAME, {"ASC_POINTS": pts, "DESC_POINTS": pts, "TEMPLATE": geo, **_out(tmp_path)})
    with pytest.raises(QgsProcessingException, match="no point of ASC_POINTS/DESC_POINTS falls inside TEMPLATE"):
        run_alg(NAME, {"ASC_POINTS": pts, "DESC_POINTS": pts, "TEMPLATE": sb, **_out(tmp_path)})
    assert not any(os.path.exists(v) for v in _out(tmp_path).values())


def test_cancel_leaves_no_output(qgis_app, run_alg, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    g = os.path.join(os.path.dirname(__file__), "..", "data", "egms_ustica")
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg(NAME, {"ASC_POINTS": os.path.join(g, "asc_117_subset.gpkg"),
                       "DESC_POINTS": os.path.join(g, "desc_022_subset.gpkg"), **_out(tmp_path)}, feedback=feedback)
    assert not any(os.path.exists(v) for v in _out(tmp_path).values())


def test_the_geometry_the_rasters_carry_replaces_the_defaults(run_alg, tmp_path):
    """ASC/DESC heading and incidence left at their defaults: the HEADING_DEG / INCIDENCE_DEG each raster carries
    (as the stack tools write them) give the right components."""
    rng = np.random.default_rng(4)
    east, up = rng.normal(0, 4, (6, 7)), rng.normal(-5, 3, (6, 7))
    a, d = los_unit_vector(43.5, -13.0), los_unit_vector(31.0, 193.0)
    sa = write_geotiff(tmp_path / "a.tif", a[0] * east + a[2] * up,
                       metadata={"INCIDENCE_DEG": "43.5", "HEADING_DEG": "-13"})
    sd = write_geotiff(tmp_path / "d.tif", d[0] * east + d[2] * up,
                       metadata={"INCIDENCE_DEG": "31", "HEADING_DEG": "193"})
    res = run_alg(NAME, {"ASC_RASTER": sa, "DESC_RASTER": sd, **_out(tmp_path)})
    np.testing.assert_allclose(_read(res["OUTPUT_EAST"])[0][0], east, atol=1e-4)
    np.testing.assert_allclose(_read(res["OUTPUT_UP"])[0][0], up, atol=1e-4)


def test_no_geometry_typed_or_carried_is_refused(run_alg, tmp_path):
    """Formerly a silent -12 / 192 degrees heading and 37 degrees incidence: now the run stops naming what to
    type; the points route needs the numbers only where the points carry no LOS fields."""
    from qgis.core import QgsProcessingException

    sa = write_geotiff(tmp_path / "a.tif", np.full((6, 7), 2.0), metadata={"HEADING_DEG": "-13"})
    sd = write_geotiff(tmp_path / "d.tif", np.full((6, 7), 3.0))
    with pytest.raises(QgsProcessingException, match=r"ASC_INCIDENCE: the inputs carry no incidence angle .*type "
                                                     r"ASC_INCIDENCE \(degrees from the vertical"):
        run_alg(NAME, {"ASC_RASTER": sa, "DESC_RASTER": sd, **_out(tmp_path)})
    with pytest.raises(QgsProcessingException, match=r"DESC_HEADING: the inputs carry no heading .*type DESC_HEADING "
                                                     r"\(flight direction"):
        run_alg(NAME, {"ASC_RASTER": sa, "DESC_RASTER": sd, "ASC_INCIDENCE": 40.0, "DESC_INCIDENCE": 33.0,
                       **_out(tmp_path)})
    assert not any(os.path.exists(v) for v in _out(tmp_path).values())
