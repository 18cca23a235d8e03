"""geohazard:basindetection — parameters, simulated interferograms with known basins, a velocity map, a gradient
map, the same polygons at any block size, the real Sentinel-1 stack of Mexico City."""

import math
import os

import numpy as np
import pytest
from testutils import vector_features, write_geotiff

from insar_geohazards.algorithms.interferograms import basin_sim

NAME = "basindetection"
GT = (500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0)


def _centre(row, col, gt=GT):
    return gt[0] + col * gt[1], gt[3] + row * gt[5]


def _polygons(path):
    from osgeo import ogr

    _, rows = vector_features(path)
    for r in rows:
        g = ogr.CreateGeometryFromWkt(r[None])
        c = g.Centroid()
        r["x"], r["y"] = c.GetX(), c.GetY()
    return rows


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids[:6] == ["INPUT", "INPUT_TYPE", "MIN_SIZE_M", "FRINGE_MM", "ANOMALY_SIGMAS", "OUTPUT"]
    assert "MAX_MEMORY_MB" in ids
    assert a.group() == "Interferograms"
    assert "MLPClassifier" in a.shortHelpString()


@pytest.fixture(scope="module")
def frames():
    """Two wrapped interferograms of known basins (a Gaussian bowl and probability-integral panels, 3-4 fringes) in
    a power-law atmosphere with pixel noise: ``[(phase, [(row, col, radius)])]``."""
    shape = (128, 128)
    rng = np.random.default_rng(11)
    two_pi = 2 * math.pi
    a = basin_sim.gaussian_bowl(shape, 40.0, 38.0, sx=8.0, sy=7.0, angle=0.4, depth=-4 * two_pi)
    a += basin_sim.knothe_panel(shape, 92.0, 90.0, a=9.0, b=7.0, r=12.0, angle=1.0, depth=-3 * two_pi)
    b = basin_sim.knothe_panel(shape, 60.0, 70.0, a=12.0, b=10.0, r=14.0, angle=0.2, depth=3.5 * two_pi)
    out = []
    for phase, truth in ((a, [(40.0, 38.0, 15.0), (92.0, 90.0, 14.0)]), (b, [(60.0, 70.0, 18.0)])):
        phase = phase + 0.6 * basin_sim.fractal_field(rng, shape, basin_sim.ATMOSPHERE_BETA)
        phase += 0.3 * rng.standard_normal(shape)
        out.append((np.angle(np.exp(1j * phase)).astype(np.float32), truth))
    return out


def test_simulated_interferograms_basins_found_with_their_pairs(run_alg, tmp_path, frames):
    folder = tmp_path / "ifgs"
    folder.mkdir()
    pairs = ["20200101_20200113", "20200113_20200125"]
    for pair, (phase, _truth) in zip(pairs, frames):
        write_geotiff(folder / f"{pair}.wrapped.tif", phase, geotransform=GT)
    res = run_alg(NAME, {"INPUT": str(folder), "MIN_SIZE_M": 0.0, "OUTPUT": str(tmp_path / "b.gpkg")})
    rows = _polygons(res["OUTPUT"])
    assert {r["PAIR"] for r in rows} <= set(pairs)
    for pair, (_phase, truth) in zip(pairs, frames):
        mine = [r for r in rows if r["PAIR"] == pair]
        assert len(mine) == len(truth), (pair, mine)
        for row, col, rad in truth:
            x, y = _centre(row, col)
            assert any(math.hypot(r["x"] - x, r["y"] - y) <= 0.5 * rad * 30.0 for r in mine), (pair, row, col)
    for r in rows:
        assert 0.0 <= r["SCORE"] <= 1.0 and r["DIAMETER_M"] > 0


def test_one_polygon_per_basin_and_pair(run_alg, tmp_path):
    """An elongated basin of two lobes (5 fringes, 2.5:1) gives one polygon per interferogram, which holds both
    lobes; windows on the two lobes are joined, not reported twice."""
    from osgeo import ogr

    shape = (128, 160)
    two_pi = 2 * math.pi
    w = basin_sim.gaussian_bowl(shape, 64.0, 62.0, sx=16.0, sy=7.0, angle=0.3, depth=1.0)
    w += 0.8 * basin_sim.gaussian_bowl(shape, 73.0, 92.0, sx=14.0, sy=7.0, angle=0.3, depth=1.0)
    w *= -5 * two_pi / w.max()
    folder = tmp_path / "ifgs"
    folder.mkdir()
    pairs = ["20200101_20200113", "20200113_20200125"]
    for k, pair in enumerate(pairs):
        rng = np.random.default_rng(30 + k)
        phase = w + 0.5 * basin_sim.fractal_field(rng, shape, basin_sim.ATMOSPHERE_BETA)
        phase += 0.3 * rng.standard_normal(shape)
        write_geotiff(folder / f"{pair}.wrapped.tif", np.angle(np.exp(1j * phase)).astype(np.float32),
                      geotransform=GT)
    res = run_alg(NAME, {"INPUT": str(folder), "MIN_SIZE_M": 0.0, "OUTPUT": str(tmp_path / "b.gpkg")})
    _, rows = vector_features(res["OUTPUT"])
    assert sorted(r["PAIR"] for r in rows) == pairs
    for r in rows:
        g = ogr.CreateGeometryFromWkt(r[None])
        for row, col in ((64.0, 62.0), (73.0, 92.0)):
            x, y = _centre(row, col)
            pt = ogr.Geometry(ogr.wkbPoint)
            pt.AddPoint_2D(x, y)
            assert g.Contains(pt), (r["PAIR"], row, col)


def test_velocity_map_bowl(run_alg, tmp_path):
    shape = (120, 120)
    v = basin_sim.gaussian_bowl(shape, 60.0, 64.0, sx=10.0, sy=10.0, angle=0.0, depth=-110.0)  # mm/yr
    v += np.random.default_rng(0).normal(0.0, 2.0, shape)
    src = write_geotiff(tmp_path / "velocity.tif", v, geotransform=GT)
    res = run_alg(NAME, {"INPUT": [src], "INPUT_TYPE": 1, "FRINGE_MM": 28.0, "MIN_SIZE_M": 200.0,
                         "OUTPUT": str(tmp_path / "b.gpkg")})
    rows = _polygons(res["OUTPUT"])
    assert len(rows) == 1 and rows[0]["PAIR"] is None
    x, y = _centre(60.0, 64.0)
    assert math.hypot(rows[0]["x"] - x, rows[0]["y"] - y) < 4 * 30.0
    assert 0.5 * 1200.0 <= rows[0]["DIAMETER_M"] <= 2.0 * 1200.0  # radius 2 sigma = 20 px = 600 m


def test_a_velocity_map_in_metres_per_year_that_holds_nothing_gets_the_unit_hint(run_alg, tmp_path):
    """The same bowl in m/yr (-0.11 m/yr) wraps to no fringe at 28 mm per fringe: nothing is found, and the log says
    the map may be in m/yr; the bowl in mm/yr (found) and a flat map in mm/yr (nothing, values of millimetres) get
    no such warning."""
    from testutils import recording_feedback

    shape = (120, 120)
    v = basin_sim.gaussian_bowl(shape, 60.0, 64.0, sx=10.0, sy=10.0, angle=0.0, depth=-110.0)
    v += np.random.default_rng(0).normal(0.0, 2.0, shape)
    flat = np.random.default_rng(1).normal(0.0, 3.0, shape)
    for name, arr, hint in (("m_yr", v / 1000.0, True), ("mm_yr", v, False), ("flat", flat, False)):
        src = write_geotiff(tmp_path / f"{name}.tif", arr, geotransform=GT)
        fb = recording_feedback()
        res = run_alg(NAME, {"INPUT": [src], "INPUT_TYPE": 1, "FRINGE_MM": 28.0, "MIN_SIZE_M": 200.0,
                             "OUTPUT": str(tmp_path / f"{name}.gpkg")}, feedback=fb)
        warned = [w for w in fb.warnings if "m/yr" in w and "1000" in w]
        assert bool(warned) == hint, (name, fb.warnings)
        if hint:
            assert _polygons(res["OUTPUT"]) == []


def test_gradient_map_anomalies(run_alg, tmp_path):
    g = np.random.default_rng(1).gamma(2.0, 2.0, (80, 90))
    g[20:32, 30:45] += 40.0
    src = write_geotiff(tmp_path / "grad.tif", g, geotransform=GT)
    res = run_alg(NAME, {"INPUT": [src], "INPUT_TYPE": 2, "MIN_SIZE_M": 200.0, "OUTPUT": str(tmp_path / "b.gpkg")})
    rows = _polygons(res["OUTPUT"])
    assert len(rows) == 1 and rows[0]["PAIR"] is None
    x, y = _centre(26.0, 37.5)
    assert math.hypot(rows[0]["x"] - x, rows[0]["y"] - y) < 30.0
    assert rows[0]["DIAMETER_M"] == pytest.approx(2 * math.sqrt(180 / math.pi) * 30.0, rel=0.05)


def test_same_polygons_at_any_block_size(run_alg, tmp_path, monkeypatch, frames):
    src = write_geotiff(tmp_path / "20200101_20200113.wrapped.tif", frames[0][0], geotransform=GT)
    got = []
    for mb in ("512", "0.3"):
        monkeypatch.setenv("INSAR_GEOHAZARDS_MAX_MEMORY_MB", mb)
        res = run_alg(NAME, {"INPUT": [src], "MIN_SIZE_M": 0.0, "OUTPUT": str(tmp_path / f"b{mb}.gpkg")})
        _, rows = vector_features(res["OUTPUT"])
        got.append([(r["SCORE"], r["PAIR"], r["DIAMETER_M"], r["__wkb__"]) for r in rows])
    assert got[0] == got[1] and got[0]


def test_real_mexico_city_subsidence(run_alg, tmp_path, data_dir):
    """The Sentinel-1 stack of Mexico City (unwrapped interferograms, wrapped again): the fast subsiding bowl in the
    north-east of the crop (about 19.437 N, 99.085 W: row 10, column 76) is found in most pairs of 60 days or more,
    where it holds two fringes or more."""
    import datetime as dt

    folder = os.path.join(data_dir, "sentinel1_mexico_city", "geotiffs")
    res = run_alg(NAME, {"INPUT": folder, "OUTPUT": str(tmp_path / "mexico.gpkg")})
    rows = _polygons(res["OUTPUT"])
    pairs = {os.path.basename(f)[6:23].replace("-", "_") for f in os.listdir(folder) if f.endswith("_unw.tif")}

    def days(pair):
        a, b = (dt.datetime.strptime(d, "%Y%m%d") for d in pair.split("_"))
        return (b - a).days

    long_pairs = {p for p in pairs if days(p) >= 60}
    assert len(long_pairs) == 15
    near = {r["PAIR"] for r in rows if math.hypot(r["x"] + 99.085, r["y"] - 19.437) < 0.012}
    assert len(near & long_pairs) >= 10, sorted(near)
