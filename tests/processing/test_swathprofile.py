"""geohazard:swathprofile — a plane raster (the mean along the profile by hand), a line leaving the raster, a line
in EPSG:4326 over a UTM raster, a time-series raster and its chart, points with a field and dated points, refusals."""

import datetime as dt
import os

import numpy as np
import pytest
from testutils import write_geotiff
from testutils_hostile import write_layer
from testutils_models import read_layer, write_dated_layer

NAME = "swathprofile"
GT = (500000.0, 10.0, 0.0, 4100000.0, 0.0, -10.0)  # 10 m pixels, UTM 33N
SHAPE = (60, 80)


def line_layer(path, wkts, epsg=32633):
    return write_layer(path, wkts, epsg=epsg, layer="lines")


def _plane(tmp_path, a=0.02, b=-0.01, c=3.0):
    rows, cols = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    x = GT[0] + (cols + 0.5) * GT[1]
    y = GT[3] + (rows + 0.5) * GT[5]
    z = a * (x - GT[0]) + b * (y - 4099000.0) + c
    return write_geotiff(tmp_path / "plane.tif", z, geotransform=GT, metadata={"UNIT": "mm/yr"}), (x, y, z)


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids[:9] == ["INPUT", "POINTS", "FIELD", "UNIT", "LINE", "WIDTH", "STEP", "OUTPUT", "OUTPUT_CHART"]
    # the field's parent takes points only (a parent that accepts rasters crashes QGIS 3.22's field widget)
    assert a.parameterDefinition("FIELD").parentLayerParameterName() == "POINTS"
    assert a.group() == "Hazard maps"


def test_plane_raster_mean_along_a_horizontal_line_is_the_hand_computed_one(run_alg, tmp_path):
    """Line y = 4099700 from x = 500105 to 500695, width 100 m, step 50 m: the pixels whose centre is within 50 m
    of the line and whose x is on it; per bin, the mean of z over them (z linear: a x + b y + c)."""
    path, (x, y, z) = _plane(tmp_path)
    lines = line_layer(tmp_path / "l.gpkg", ["LINESTRING(500105 4099700, 500695 4099700)"])
    res = run_alg(NAME, {"INPUT": path, "LINE": lines, "WIDTH": 100.0, "STEP": 50.0,
                         "OUTPUT": str(tmp_path / "p.gpkg"), "OUTPUT_CHART": str(tmp_path / "p.html")})
    names, rows = read_layer(res["OUTPUT"])
    assert names[:5] == ["profile", "distance_m", "x", "y", "flag"] and "p95" in names
    assert len(rows) == 12  # 590 m in 50 m bins: 11 whole and one of 40 m
    assert [r["flag"] for r in rows] == [""] * 11 + ["edge"]  # the last bin, 40 m, is short
    inside = (np.abs(y - 4099700.0) <= 50.0) & (x >= 500105.0) & (x <= 500695.0)
    along = x[inside] - 500105.0
    zz = z[inside]
    for i, r in enumerate(rows):
        sel = np.clip(np.floor(along / 50.0), 0, 11) == i
        assert r["count"] == sel.sum()
        assert r["mean"] == pytest.approx(zz[sel].mean(), abs=1e-5)
        assert r["median"] == pytest.approx(np.median(zz[sel]), abs=1e-5)
        assert r["p05"] == pytest.approx(np.percentile(zz[sel], 5), abs=1e-5)
        assert r["std"] == pytest.approx(np.std(zz[sel], ddof=1), abs=1e-5)
    assert rows[0]["distance_m"] == 25.0 and rows[-1]["distance_m"] == 570.0
    assert rows[3]["x"] == pytest.approx(500105.0 + 175.0) and rows[3]["y"] == pytest.approx(4099700.0)
    html = open(res["OUTPUT_CHART"]).read()
    assert "data:image/png;base64," in html and "profile" in html


def test_a_line_leaving_the_raster_gives_empty_bins_and_one_outside_is_refused(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    path, _ = _plane(tmp_path)
    lines = line_layer(tmp_path / "l.gpkg", ["LINESTRING(500400 4099700, 501400 4099700)"])  # raster ends at 500800
    res = run_alg(NAME, {"INPUT": path, "LINE": lines, "WIDTH": 40.0, "STEP": 100.0,
                         "OUTPUT": str(tmp_path / "p.gpkg")})
    _, rows = read_layer(res["OUTPUT"])
    counts = [r["count"] for r in rows]
    assert counts[:4] == [40, 40, 40, 40] and counts[4:] == [0] * 6
    assert all(r["mean"] is None for r in rows[4:])
    far = line_layer(tmp_path / "far.gpkg", ["LINESTRING(600000 4099700, 601000 4099700)"])
    with pytest.raises(QgsProcessingException, match="do not overlap"):
        run_alg(NAME, {"INPUT": path, "LINE": far, "WIDTH": 40.0, "STEP": 100.0, "OUTPUT": str(tmp_path / "q.gpkg")})
    assert not os.path.exists(tmp_path / "q.gpkg")


def test_a_line_in_epsg_4326_over_a_utm_raster_is_the_same_profile(run_alg, tmp_path):
    from pyproj import Transformer

    path, _ = _plane(tmp_path)
    utm = ["LINESTRING(500103.3 4099401.7, 500693.1 4099703.9)"]
    to_ll = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_ll.transform([500103.3, 500693.1], [4099401.7, 4099703.9])
    geo = [f"LINESTRING({lon0:.10f} {lat0:.10f}, {lon1:.10f} {lat1:.10f})"]
    ref = run_alg(NAME, {"INPUT": path, "LINE": line_layer(tmp_path / "u.gpkg", utm), "WIDTH": 80.0, "STEP": 60.0,
                         "OUTPUT": str(tmp_path / "u_out.gpkg")})
    got = run_alg(NAME, {"INPUT": path, "LINE": line_layer(tmp_path / "g.gpkg", geo, epsg=4326), "WIDTH": 80.0,
                         "STEP": 60.0, "OUTPUT": str(tmp_path / "g_out.gpkg")})
    _, a = read_layer(ref["OUTPUT"])
    _, b = read_layer(got["OUTPUT"])
    assert len(a) == len(b) == 12
    # a straight line in UTM is a slightly curved one in degrees: densified before the transform, it stays within
    # millimetres of the UTM line, and the bins hold the same pixels
    assert [r["count"] for r in a] == [r["count"] for r in b]
    for ra, rb in zip(a, b):
        assert rb["mean"] == pytest.approx(ra["mean"], abs=1e-6)
        assert rb["x"] == pytest.approx(ra["x"], abs=0.01) and rb["y"] == pytest.approx(ra["y"], abs=0.01)


def test_time_series_raster_gives_a_column_set_per_date_and_an_image_chart(run_alg, tmp_path):
    dates = [dt.date(2021, 1, 1) + dt.timedelta(days=12 * i) for i in range(5)]
    rows, cols = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    cube = np.stack([-0.1 * k * cols for k in range(5)])
    path = write_geotiff(tmp_path / "ts.tif", cube, geotransform=GT, descriptions=[d.isoformat() for d in dates])
    lines = line_layer(tmp_path / "l.gpkg", ["LINESTRING(500005 4099700, 500795 4099700)"])
    res = run_alg(NAME, {"INPUT": path, "LINE": lines, "WIDTH": 20.0, "STEP": 10.0,
                         "OUTPUT": str(tmp_path / "p.gpkg"), "OUTPUT_CHART": str(tmp_path / "p.png")})
    names, out = read_layer(res["OUTPUT"])
    assert "mean_20210101" in names and "p95_20210218" in names and "mean" not in names
    # pixel column c is at distance 10 c from the start: value -0.1 k c
    assert [r["mean_20210125"] for r in out[:3]] == pytest.approx([0.0, -0.2, -0.4])
    assert open(res["OUTPUT_CHART"], "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_points_with_a_field_match_numpy_statistics_per_bin(run_alg, tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    xs = rng.uniform(500000.0, 501000.0, n)
    ys = 4099500.0 + rng.uniform(-60.0, 60.0, n)
    v = -5.0 + 0.01 * (xs - 500000.0) + rng.normal(0, 2.0, n)
    wkts = [f"POINT({a} {b})" for a, b in zip(xs, ys)]
    pts = write_layer(tmp_path / "pts.gpkg", wkts, {"VEL": v})
    lines = line_layer(tmp_path / "l.gpkg", ["LINESTRING(500100 4099500, 500900 4099500)"])
    res = run_alg(NAME, {"INPUT": pts, "FIELD": "VEL", "LINE": lines, "WIDTH": 80.0, "STEP": 200.0,
                         "OUTPUT": str(tmp_path / "p.gpkg")})
    _, out = read_layer(res["OUTPUT"])
    inside = (np.abs(ys - 4099500.0) <= 40.0) & (xs >= 500100.0) & (xs <= 500900.0)
    bins = np.clip(np.floor((xs[inside] - 500100.0) / 200.0), 0, 3)
    for i, r in enumerate(out):
        sel = v[inside][bins == i]
        assert r["count"] == sel.size
        assert r["mean"] == pytest.approx(sel.mean(), rel=1e-9)
        assert r["p95"] == pytest.approx(np.percentile(sel, 95), rel=1e-9)
        assert r["median"] == pytest.approx(np.median(sel), rel=1e-9)


def test_dated_points_give_a_column_set_per_date(run_alg, tmp_path):
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=6 * i) for i in range(4)]
    vals = np.arange(4)[:, None] * np.array([1.0, 2.0, 3.0])[None, :]
    src = write_dated_layer(tmp_path / "d.gpkg", dates, vals, epsg=32632)
    names, rows = read_layer(src)
    from osgeo import ogr

    ds = ogr.Open(src)
    xs = [f.GetGeometryRef().GetX() for f in ds.GetLayer(0)]
    ys = [f.GetGeometryRef().GetY() for f in ds.GetLayer(0)]
    ds = None
    y0 = float(np.mean(ys))
    lines = line_layer(tmp_path / "l.gpkg", [f"LINESTRING({min(xs) - 50} {y0}, {max(xs) + 50} {y0})"], epsg=32632)
    res = run_alg(NAME, {"INPUT": src, "LINE": lines, "WIDTH": 2000.0, "STEP": 5000.0,
                         "OUTPUT": str(tmp_path / "p.gpkg")})
    names, out = read_layer(res["OUTPUT"])
    assert {f"mean_{d:%Y%m%d}" for d in dates} <= set(names)
    assert out[0]["count_20200113"] == 3 and out[0]["mean_20200113"] == pytest.approx(4.0)


def test_refusals(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    path, _ = _plane(tmp_path)
    lines = line_layer(tmp_path / "l.gpkg", ["LINESTRING(500105 4099700, 500695 4099700)"])
    with pytest.raises(QgsProcessingException, match="WIDTH|outside the accepted range"):
        run_alg(NAME, {"INPUT": path, "LINE": lines, "WIDTH": 0.0, "STEP": 10.0, "OUTPUT": str(tmp_path / "a.gpkg")})
    pts = write_layer(tmp_path / "pts.gpkg", ["POINT(500200 4099700)"], {"VEL": [1.0]})
    with pytest.raises(QgsProcessingException, match="line layer"):
        run_alg(NAME, {"INPUT": path, "LINE": pts, "WIDTH": 10.0, "STEP": 10.0, "OUTPUT": str(tmp_path / "b.gpkg")})


def test_csv_table_and_too_many_dates_for_a_geopackage(run_alg, tmp_path, monkeypatch):
    from qgis.core import QgsProcessingException

    from insar_geohazards.fileio.hazard import swathprofile as swath

    path, (x, y, z) = _plane(tmp_path)
    lines = line_layer(tmp_path / "l.gpkg", ["LINESTRING(500105 4099700, 500695 4099700)"])
    res = run_alg(NAME, {"INPUT": path, "LINE": lines, "WIDTH": 100.0, "STEP": 50.0,
                         "OUTPUT": str(tmp_path / "p.csv")})
    header = open(res["OUTPUT"]).readline().strip().split(",")
    assert header[-9:] == ["x", "y", "flag", "count", "mean", "std", "median", "p05", "p95"]
    monkeypatch.setattr(swath, "GPKG_MAX_FIELDS", 9)
    with pytest.raises(QgsProcessingException, match="more than a GeoPackage holds"):
        run_alg(NAME, {"INPUT": path, "LINE": lines, "WIDTH": 100.0, "STEP": 50.0, "OUTPUT": str(tmp_path / "q.gpkg")})
    assert not os.path.exists(tmp_path / "q.gpkg")


def test_points_given_in_points_with_a_unit_match_the_former_input_and_field(run_alg, tmp_path):
    """POINTS + FIELD (the dialog's way) and INPUT + FIELD (scripts and models written before POINTS) give the same
    table; the unit comes from UNIT, else from the field's name, else the log says there is none."""
    from testutils import recording_feedback

    rng = np.random.default_rng(3)
    xs = rng.uniform(500000.0, 501000.0, 500)
    ys = 4099500.0 + rng.uniform(-60.0, 60.0, 500)
    v = rng.normal(0, 2.0, 500)
    pts = write_layer(tmp_path / "pts.gpkg", [f"POINT({a} {b})" for a, b in zip(xs, ys)], {"VEL": v, "vel_mm_yr": v})
    lines = line_layer(tmp_path / "l.gpkg", ["LINESTRING(500100 4099500, 500900 4099500)"])
    common = {"LINE": lines, "WIDTH": 80.0, "STEP": 200.0}
    old = run_alg(NAME, {"INPUT": pts, "FIELD": "VEL", **common, "OUTPUT": str(tmp_path / "a.gpkg")})
    fb = recording_feedback()
    new = run_alg(NAME, {"POINTS": pts, "FIELD": "VEL", **common, "OUTPUT": str(tmp_path / "b.gpkg")}, fb)
    assert read_layer(old["OUTPUT"])[1] == read_layer(new["OUTPUT"])[1]
    assert any("names no unit" in w and "UNIT" in w for w in fb.warnings), fb.warnings
    for params in ({"FIELD": "VEL", "UNIT": "mm/yr"}, {"FIELD": "vel_mm_yr"}):
        fb = recording_feedback()
        res = run_alg(NAME, {"POINTS": pts, **params, **common, "OUTPUT": str(tmp_path / "c.gpkg")}, fb)
        assert not any("unit" in w for w in fb.warnings)
        from qgis.core import QgsVectorLayer

        layer = QgsVectorLayer(res["OUTPUT"], "t", "ogr")
        labels = [r.label() for r in layer.renderer().ranges()] if hasattr(layer.renderer(), "ranges") else []
        assert labels and all(lab.endswith(" mm/yr") for lab in labels), labels  # the legend says the unit


def test_a_text_field_and_a_missing_input_are_refused_with_what_is_expected(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    pts = write_layer(tmp_path / "pts.gpkg", ["POINT(500200 4099500)", "POINT(500300 4099500)"],
                      {"NAME": ["a", "b"], "VEL": [1.0, 2.0]}, text_fields=("NAME",))
    lines = line_layer(tmp_path / "l.gpkg", ["LINESTRING(500100 4099500, 500900 4099500)"])
    common = {"LINE": lines, "WIDTH": 80.0, "STEP": 200.0, "OUTPUT": str(tmp_path / "a.gpkg")}
    for key in ("POINTS", "INPUT"):
        with pytest.raises(QgsProcessingException, match="FIELD: field 'NAME' .* numeric field"):
            run_alg(NAME, {key: pts, "FIELD": "NAME", **common})
    with pytest.raises(QgsProcessingException, match="INPUT.*POINTS.*needed"):
        run_alg(NAME, common)
    with pytest.raises(QgsProcessingException, match="not both"):
        run_alg(NAME, {"INPUT": pts, "POINTS": pts, "FIELD": "VEL", **common})
    assert not os.path.exists(tmp_path / "a.gpkg")


def test_a_bend_on_a_raster_spreads_the_outer_wedge_and_flags_the_bins(run_alg, tmp_path):
    """A line turning by 112 degrees over a 10 m raster, swath 300 m, bins of 50 m: the vertex's bin held the whole
    outer wedge (307 pixels against 83 and 101 beside it, 150 in a straight bin); now the two bins at the vertex
    hold fewer than a straight bin and none more than 1.25 times one, and the bins within W / 2 tan(56 deg) = 222 m
    of the vertex are flagged bend."""
    gt = (500000.0, 10.0, 0.0, 4101000.0, 0.0, -10.0)
    z = np.arange(100 * 100, dtype=np.float64).reshape(100, 100)
    path = write_geotiff(tmp_path / "dem.tif", z, geotransform=gt, metadata={"UNIT": "m"})
    vx, vy = 500400.0, 4100400.0
    bx, by = vx + 500.0 * np.cos(np.radians(112.0)), vy + 500.0 * np.sin(np.radians(112.0))
    lines = line_layer(tmp_path / "l.gpkg", [f"LINESTRING(500000 4100400, {vx} {vy}, {bx} {by})"])
    res = run_alg(NAME, {"INPUT": path, "LINE": lines, "WIDTH": 300.0, "STEP": 50.0,
                         "OUTPUT": str(tmp_path / "p.gpkg")})
    _, rows = read_layer(res["OUTPUT"])
    counts = np.array([r["count"] for r in rows])
    straight = 300.0 * 50.0 / 100.0  # pixels of 100 m2 in a straight bin
    assert counts[0] == straight and counts.max() < 1.25 * straight
    assert counts[7] < straight and counts[8] < straight  # the bins either side of the vertex, at 400 m
    reach = 150.0 * np.tan(np.radians(56.0))
    for r in rows:
        near = abs(r["distance_m"] - 400.0) <= 25.0 + reach
        assert ("bend" in (r["flag"] or "")) == near, r
