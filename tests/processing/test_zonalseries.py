"""geohazard:zonalseries — a time-series raster with no-data and overlapping zones (one with a hole, one in EPSG:4326
over the UTM raster): every statistic equals numpy's on the pixels whose centre QGIS's own geometry test puts in the
zone; dated points likewise; the same table under tiny memory blocks (groups of dates); refusals and warnings."""

import datetime as dt

import numpy as np
import pytest
from testutils import recording_feedback, write_geotiff
from testutils_hostile import write_layer
from testutils_models import read_layer, write_dated_layer
from testutils_seed import drawn_seed

NAME = "zonalseries"
GT = (500000.0, 20.0, 0.0, 4100000.0, 0.0, -20.0)  # 20 m pixels, UTM 33N
SHAPE = (40, 50)
DATES = [dt.date(2020, 1, 3) + dt.timedelta(days=12 * i) for i in range(7)]

ZONES_UTM = [
    # (vertices off the lattice of pixel centres, x = 500010 + 20 k, y = 4099990 - 20 k: no centre on an edge)
    # a square with a square hole
    "POLYGON((500103 4099893,500503 4099893,500503 4099493,500103 4099493,500103 4099893),"
    "(500253 4099743,500353 4099743,500353 4099643,500253 4099643,500253 4099743))",
    # a triangle overlapping the first (its nearest pixel centre 0.5 m from an edge)
    "POLYGON((500403.37 4099943.71,500903.52 4099293.18,500303.91 4099293.44,500403.37 4099943.71))",
    # two parts
    "MULTIPOLYGON(((500053 4099243,500153 4099243,500153 4099143,500053 4099143,500053 4099243)),"
    "((500703 4099793,500803 4099793,500803 4099693,500703 4099693,500703 4099793)))",
    # far away: no pixel
    "POLYGON((600003 3999993,600103 3999993,600103 4000093,600003 3999993))",
]


def _series(seed):
    rng = np.random.default_rng(seed)
    values = np.cumsum(rng.normal(-1.0, 2.0, (len(DATES),) + SHAPE), axis=0).astype(np.float32)
    values[0] = 0.0
    values[rng.random(values.shape) < 0.15] = np.nan
    return values


def _raster(tmp_path, values, **kw):
    return write_geotiff(tmp_path / "series.tif", values, geotransform=GT,
                         descriptions=[d.isoformat() for d in DATES], metadata={"UNIT": "mm"}, **kw)


def _zones(tmp_path, wkts, epsg=32633, name="zones.gpkg"):
    return write_layer(tmp_path / name, wkts, {"name": [f"z{i}" for i in range(len(wkts))]}, epsg=epsg,
                       text_fields=("name",))


def _members_by_qgis(wkt, xs, ys):
    """Indices of the (x, y) points QGIS's geometry engine puts inside the polygon ``wkt`` (in the points' CRS)."""
    from qgis.core import QgsGeometry, QgsPointXY

    geom = QgsGeometry.fromWkt(wkt)
    return np.array([i for i, (x, y) in enumerate(zip(xs, ys)) if geom.contains(QgsPointXY(x, y))], dtype=np.int64)


def _expected(values_flat, members):
    """numpy's statistics of ``values_flat`` (dates, n) over ``members``, per date, on the finite values."""
    out = []
    for k in range(values_flat.shape[0]):
        v = values_flat[k, members].astype(np.float64)
        v = v[np.isfinite(v)]
        out.append({"count": v.size, "mean": np.mean(v) if v.size else None,
                    "median": np.median(v) if v.size else None,
                    "std": np.std(v, ddof=1) if v.size > 1 else None,
                    "p95": np.percentile(v, 95) if v.size else None})
    return out


def _check(rows, zone_id, expected):
    mine = [r for r in rows if r["zone_id"] == zone_id]
    assert [str(r["date"]).replace("/", "-") for r in mine] == [d.isoformat() for d in DATES]
    for r, e in zip(mine, expected):
        assert r["count"] == e["count"]
        for s in ("mean", "median", "std", "p95"):
            if e[s] is None:
                assert r[s] is None
            else:
                assert r[s] == pytest.approx(e[s], rel=1e-12, abs=1e-12)


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids[:6] == ["INPUT", "ZONES", "ZONE_FIELD", "STATISTICS", "OUTPUT", "OUTPUT_CHART"]
    assert a.group() == "Time-series models and early warning"


def test_raster_zones_overlapping_with_hole_parts_and_another_crs(run_alg, tmp_path):
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject

    values = _series(drawn_seed())
    path = _raster(tmp_path, values)
    utm = QgsCoordinateReferenceSystem("EPSG:32633")
    wgs = QgsCoordinateReferenceSystem("EPSG:4326")
    to_wgs = QgsCoordinateTransform(utm, wgs, QgsProject.instance())
    # the triangle given in EPSG:4326 (its vertices transformed; the run brings it back to UTM)
    from qgis.core import QgsGeometry

    tri = QgsGeometry.fromWkt(ZONES_UTM[1])
    tri.transform(to_wgs)
    zones_utm = _zones(tmp_path, [ZONES_UTM[0], ZONES_UTM[2], ZONES_UTM[3]])
    zones_wgs = _zones(tmp_path, [tri.asWkt(12)], epsg=4326, name="wgs.gpkg")
    rows_, cols_ = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    xs = (GT[0] + (cols_ + 0.5) * GT[1]).ravel()
    ys = (GT[3] + (rows_ + 0.5) * GT[5]).ravel()
    flat = values.reshape(len(DATES), -1)

    fb = recording_feedback()
    res = run_alg(NAME, {"INPUT": path, "ZONES": zones_utm, "ZONE_FIELD": "name", "STATISTICS": [0, 1, 2, 3, 7],
                         "OUTPUT": str(tmp_path / "t.gpkg"), "OUTPUT_CHART": str(tmp_path / "c.html")}, fb)
    names, rows = read_layer(res["OUTPUT"])
    assert names[:4] == ["zone_id", "zone", "date", "n_members"] and names[-1] == "unit"
    assert len(rows) == 3 * len(DATES)
    for fid, wkt in ((1, ZONES_UTM[0]), (2, ZONES_UTM[2])):
        members = _members_by_qgis(wkt, xs, ys)
        assert members.size > 10
        assert {r["n_members"] for r in rows if r["zone_id"] == fid} == {members.size}
        _check(rows, fid, _expected(flat, members))
    assert {r["zone"] for r in rows} == {"z0", "z1", "z2"} and {r["unit"] for r in rows} == {"mm"}
    far = [r for r in rows if r["zone_id"] == 3]
    assert all(r["count"] == 0 and r["mean"] is None for r in far)
    assert any("hold no pixel centre or point" in w and "z2" in w for w in fb.warnings)

    res = run_alg(NAME, {"INPUT": path, "ZONES": zones_wgs, "STATISTICS": [0, 1, 2, 3, 7],
                         "OUTPUT": str(tmp_path / "w.gpkg")})
    _, rows = read_layer(res["OUTPUT"])
    members = _members_by_qgis(ZONES_UTM[1], xs, ys)
    assert members.size > 50 and {r["n_members"] for r in rows} == {members.size}
    assert {r["zone"] for r in rows} == {"1"}  # no ZONE_FIELD: the feature id
    _check(rows, 1, _expected(flat, members))


def test_same_table_under_tiny_blocks_and_groups_of_dates(run_alg, tmp_path, monkeypatch):
    values = _series(5)
    path = _raster(tmp_path, values)
    zones = _zones(tmp_path, ZONES_UTM[:3])
    params = {"INPUT": path, "ZONES": zones, "STATISTICS": list(range(8))}
    res = run_alg(NAME, {**params, "OUTPUT": str(tmp_path / "a.csv")})
    monkeypatch.setenv("INSAR_GEOHAZARDS_MAX_MEMORY_MB", "0.0005")  # a block of a few rows, one date per group
    res2 = run_alg(NAME, {**params, "OUTPUT": str(tmp_path / "b.csv")})
    assert open(res["OUTPUT"], "rb").read() == open(res2["OUTPUT"], "rb").read()


def test_dated_points_in_zones(run_alg, tmp_path):
    rng = np.random.default_rng(drawn_seed())
    m = 400
    values = np.cumsum(rng.normal(0.0, 1.5, (len(DATES), m)), axis=0)
    values[rng.random(values.shape) < 0.1] = np.nan
    path = write_dated_layer(tmp_path / "pts.gpkg", DATES, values, epsg=32633)
    # write_dated_layer puts point j at (500000 + 20 j, 4800000): zones over that line
    wkts = ["POLYGON((500990 4799990,503010 4799990,503010 4800010,500990 4800010,500990 4799990))",
            "POLYGON((502005 4799990,506005 4799990,506005 4800010,502005 4800010,502005 4799990))"]
    zones = _zones(tmp_path, wkts)
    res = run_alg(NAME, {"INPUT": path, "ZONES": zones, "STATISTICS": [0, 1, 2, 3, 7],
                         "OUTPUT": str(tmp_path / "p.gpkg")})
    _, rows = read_layer(res["OUTPUT"])
    xs, ys = 500000.0 + 20.0 * np.arange(m), np.full(m, 4800000.0)
    for fid, wkt in zip((1, 2), wkts):
        members = _members_by_qgis(wkt, xs, ys)
        assert members.size > 40
        _check(rows, fid, _expected(values, members))


def test_refusals(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    path = _raster(tmp_path, _series(1))
    far = _zones(tmp_path, [ZONES_UTM[3]], name="far.gpkg")
    with pytest.raises(QgsProcessingException, match="do not overlap"):
        run_alg(NAME, {"INPUT": path, "ZONES": far, "OUTPUT": str(tmp_path / "x.gpkg")})
    undated = write_geotiff(tmp_path / "undated.tif", _series(2), geotransform=GT)
    with pytest.raises(QgsProcessingException, match="date"):
        run_alg(NAME, {"INPUT": undated, "ZONES": _zones(tmp_path, ZONES_UTM[:1], name="z1.gpkg"),
                       "OUTPUT": str(tmp_path / "y.gpkg")})
    assert not (tmp_path / "x.gpkg").exists() and not (tmp_path / "y.gpkg").exists()
