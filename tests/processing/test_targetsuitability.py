"""geohazard:targetsuitability — parameters, a hand-computed map, polygon totals against area x density, unknown
codes listed, R-index on another grid, the same bytes at any block size; densities measured on calibration points
(a 4 x 4 case by hand, points in another CRS, real EGMS points over Ustica)."""

import hashlib
import os

import numpy as np
import pytest
import testutils_hostile as hk
from testutils import read_array, vector_features, write_geotiff

NAME = "targetsuitability"
GT = (500000.0, 100.0, 0.0, 4100000.0, 0.0, -100.0)  # 100 m pixels: 0.01 km2 each


def _csv(path, rows, header="class,density,label"):
    with open(path, "w", encoding="utf-8") as f:
        f.write(header + "\n" + "\n".join(rows) + "\n")
    return str(path)


@pytest.fixture
def inputs(tmp_path):
    lc = np.array([[111, 111, 211, 211], [111, 512, 211, 311], [311, 311, 512, -1]], dtype=float)
    r = np.array([[0.5, 1.2, 0.8, -0.3], [np.nan, 0.6, 0.25, 0.9], [0.7, 0.1, 0.4, 0.5]])
    dens = _csv(tmp_path / "d.csv", ["111,1000,town", "211,40,arable", "311,2.5,forest", "512,0"])
    return (write_geotiff(tmp_path / "lc.tif", lc, geotransform=GT, nodata=-1),
            write_geotiff(tmp_path / "r.tif", r, geotransform=GT), dens, lc, r)


def test_parameters(alg):
    a = alg(NAME)
    ids = [p.name() for p in a.parameterDefinitions()]
    assert ids[:11] == ["LAND_COVER", "LAND_COVER_CODES", "DENSITIES", "R_INDEX", "DISTORTION", "AREAS",
                        "CALIBRATION_POINTS", "CALIBRATION_AREA", "OUTPUT", "OUTPUT_TABLE", "OUTPUT_DENSITIES"]
    assert "MAX_MEMORY_MB" in ids
    assert "doi:10.1016/j.rse.2014.06.025" in a.shortHelpString()
    assert a.group() == "Interferograms"


def test_hand_computed_map(run_alg, tmp_path, inputs):
    lc_path, r_path, dens, _lc, _r = inputs
    out = run_alg(NAME, {"LAND_COVER": lc_path, "DENSITIES": dens, "R_INDEX": r_path,
                         "OUTPUT": str(tmp_path / "t.tif")})["OUTPUT"]
    # density x clip(R, 0, 1); R <= 0 layover and NaN active shadow give 0; land-cover no-data stays no-data
    expected = np.array([[1000 * 0.5, 1000 * 1.0, 40 * 0.8, 0.0],
                         [0.0, 0.0, 40 * 0.25, 2.5 * 0.9],
                         [2.5 * 0.7, 2.5 * 0.1, 0.0, np.nan]])
    np.testing.assert_allclose(read_array(out), expected, rtol=1e-6)


def test_distortion_classes_zero_passive_shadow_and_nodata_outside(run_alg, tmp_path, inputs):
    lc_path, r_path, dens, _lc, _r = inputs
    cls = np.zeros((3, 4))
    cls[0, 0] = 4  # passive shadow: its R-index is positive, nothing is seen all the same
    cls[0, 1] = 2  # passive layover
    r = read_array(r_path).astype(float)
    r[2, 0] = np.nan  # outside the DEM: no class, no R-index
    cls[2, 0] = np.nan
    r_path2 = write_geotiff(tmp_path / "r2.tif", r, geotransform=GT)
    out = run_alg(NAME, {"LAND_COVER": lc_path, "DENSITIES": dens, "R_INDEX": r_path2,
                         "DISTORTION": write_geotiff(tmp_path / "c.tif", cls, geotransform=GT),
                         "OUTPUT": str(tmp_path / "t.tif")})["OUTPUT"]
    arr = read_array(out)
    assert arr[0, 0] == 0 and arr[0, 1] == 0
    assert np.isnan(arr[2, 0])
    assert arr[0, 2] == pytest.approx(32.0)


def test_polygon_totals_equal_area_times_density(run_alg, tmp_path):
    # one class at 250 targets per km2, R = 1 everywhere: a polygon of n whole pixels expects 250 x n x 0.01 points
    lc = np.full((20, 30), 111.0)
    r = np.ones((20, 30))
    dens = _csv(tmp_path / "d.csv", ["111,250"], header="class,density")
    polys = hk.polygon_layer(str(tmp_path / "areas.gpkg"),
                             [hk.square(500200.0, 4098200.0, 600.0), hk.square(501000.0, 4099000.0, 300.0)])
    res = run_alg(NAME, {"LAND_COVER": write_geotiff(tmp_path / "lc.tif", lc, geotransform=GT),
                         "DENSITIES": dens, "R_INDEX": write_geotiff(tmp_path / "r.tif", r, geotransform=GT),
                         "AREAS": polys, "OUTPUT": str(tmp_path / "t.tif"),
                         "OUTPUT_TABLE": str(tmp_path / "table.gpkg")})
    names, rows = vector_features(res["OUTPUT_TABLE"])
    assert names == ["AREA_FID", "AREA_KM2", "COVERED_KM2", "EXPECTED_POINTS", "POINTS_KM2", "sufficient"]
    side_km = [0.6, 0.3]
    for row, s in zip(rows, side_km):
        assert row["AREA_KM2"] == pytest.approx(s * s, rel=1e-9)
        assert row["EXPECTED_POINTS"] == pytest.approx(250.0 * s * s, rel=1e-9)
        assert row["POINTS_KM2"] == pytest.approx(250.0, rel=1e-9)


def test_geographic_grid_uses_ellipsoidal_pixel_areas(run_alg, tmp_path):
    # 0.01 deg pixels at 45 N: the pixel area on the WGS84 ellipsoid (closed form of the authalic strip) x density
    gt = (10.0, 0.01, 0.0, 45.05, 0.0, -0.01)
    lc = np.full((10, 10), 111.0)
    dens = _csv(tmp_path / "d.csv", ["111,100"], header="class,density")
    polys = hk.polygon_layer(str(tmp_path / "a.gpkg"), ["POLYGON((9.9 44.9,10.2 44.9,10.2 45.2,9.9 45.2,9.9 44.9))"],
                             epsg=4326)
    res = run_alg(NAME, {"LAND_COVER": write_geotiff(tmp_path / "lc.tif", lc, geotransform=gt, epsg=4326),
                         "DENSITIES": dens, "R_INDEX": write_geotiff(tmp_path / "r.tif", np.ones((10, 10)),
                                                                     geotransform=gt, epsg=4326),
                         "AREAS": polys, "OUTPUT": str(tmp_path / "t.tif"),
                         "OUTPUT_TABLE": str(tmp_path / "table.gpkg")})
    _, rows = vector_features(res["OUTPUT_TABLE"])
    a, e2 = 6378137.0, 6.69437999014e-3
    e = np.sqrt(e2)

    def q(phi):  # authalic function: area between the equator and phi is pi a^2 (1 - e2) q(phi) / pi per radian
        s = np.sin(np.radians(phi))
        return s / (1 - e2 * s * s) - np.log((1 - e * s) / (1 + e * s)) / (2 * e)

    area_km2 = 0.5 * a * a * (1 - e2) * np.radians(0.1) * (q(45.05) - q(44.95)) / 1e6
    # the pixels covered: the grid's 10 x 10 (0.1 deg x 0.1 deg) lie inside the polygon
    assert rows[0]["AREA_KM2"] == pytest.approx(area_km2, rel=2e-3)
    assert rows[0]["EXPECTED_POINTS"] == pytest.approx(100 * area_km2, rel=2e-3)


def test_unknown_codes_are_listed(run_alg, tmp_path, inputs):
    lc_path, r_path, _dens, _lc, _r = inputs
    dens = _csv(tmp_path / "d.csv", ["111,1000", "211,40"])
    with pytest.raises(Exception) as err:
        run_alg(NAME, {"LAND_COVER": lc_path, "DENSITIES": dens, "R_INDEX": r_path,
                       "OUTPUT": str(tmp_path / "t.tif")})
    msg = str(err.value)
    assert "311 (broad-leaved forest): 3 px" in msg and "512 (water bodies): 2 px" in msg
    assert "not taken as 0" in msg
    assert not os.path.exists(tmp_path / "t.tif")


def test_corine_grid_codes(run_alg, tmp_path):
    grid = np.array([[1, 12, 23, 41], [48, 1, 1, 12]], dtype=float)  # 111, 211, 311, 512; 48 no data
    dens = _csv(tmp_path / "d.csv", ["111,1000", "211,40", "311,2.5", "512,0"])
    out = run_alg(NAME, {"LAND_COVER": write_geotiff(tmp_path / "lc.tif", grid, geotransform=GT),
                         "LAND_COVER_CODES": 1, "DENSITIES": dens,
                         "R_INDEX": write_geotiff(tmp_path / "r.tif", np.ones((2, 4)), geotransform=GT),
                         "OUTPUT": str(tmp_path / "t.tif")})["OUTPUT"]
    np.testing.assert_allclose(read_array(out), [[1000, 40, 2.5, 0], [np.nan, 1000, 1000, 40]])


def test_r_index_on_another_grid_is_resampled(run_alg, tmp_path):
    lc = np.full((6, 8), 111.0)
    dens = _csv(tmp_path / "d.csv", ["111,100"], header="class,density")
    coarse = (500000.0, 200.0, 0.0, 4100000.0, 0.0, -200.0)  # R-index at twice the pixel size, constant 0.5
    out = run_alg(NAME, {"LAND_COVER": write_geotiff(tmp_path / "lc.tif", lc, geotransform=GT),
                         "DENSITIES": dens,
                         "R_INDEX": write_geotiff(tmp_path / "r.tif", np.full((3, 4), 0.5), geotransform=coarse),
                         "OUTPUT": str(tmp_path / "t.tif")})["OUTPUT"]
    np.testing.assert_allclose(read_array(out), 50.0, rtol=1e-6)


def test_same_bytes_at_any_block_size(run_alg, tmp_path, monkeypatch):
    rng = np.random.default_rng(4)
    lc = rng.choice([111.0, 211.0, 311.0, 512.0], size=(300, 170))
    r = rng.uniform(-0.3, 1.2, size=(300, 170))
    r[rng.random(r.shape) < 0.05] = np.nan
    dens = _csv(tmp_path / "d.csv", ["111,1000", "211,40", "311,2.5", "512,0"])
    lc_p = write_geotiff(tmp_path / "lc.tif", lc, geotransform=GT)
    r_p = write_geotiff(tmp_path / "r.tif", r, geotransform=GT)
    digests = []
    for mb in ("512", "0.05"):  # one block, then blocks of a few rows
        monkeypatch.setenv("INSAR_GEOHAZARDS_MAX_MEMORY_MB", mb)
        out = run_alg(NAME, {"LAND_COVER": lc_p, "DENSITIES": dens, "R_INDEX": r_p,
                             "OUTPUT": str(tmp_path / f"t{mb}.tif")})["OUTPUT"]
        digests.append(hashlib.sha256(read_array(out).tobytes()).hexdigest())
    assert digests[0] == digests[1]


# ---- densities measured on calibration points ------------------------------------------------------------------
KM = (500000.0, 1000.0, 0.0, 4100000.0, 0.0, -1000.0)  # 1 km pixels: 1 km2 each
CAL_LC = np.array([[111, 111, 211, 211], [111, 111, 211, 211], [311, 311, 311, 512], [311, 311, 311, 311]], float)
CAL_R = np.array([[1.0, 0.5, 0.8, 0.8], [1.2, -0.1, 0.8, 0.8], [0.6, 0.6, np.nan, 0.9], [0.6, 0.6, 0.6, 0.6]])
#: points per pixel: 10 on 111, 8 on 211, 9 on 311, 2 on 512
CAL_N = np.array([[4, 3, 2, 2], [2, 1, 2, 2], [2, 1, 3, 2], [1, 1, 1, 0]])


def _calibration_points(path, epsg=4326, seed=0):
    """CAL_N points in each pixel, spread inside it (at least 100 m from its edges), written in ``epsg``."""
    from pyproj import Transformer

    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for (r, c), n in np.ndenumerate(CAL_N):
        xs += list(KM[0] + c * 1000 + rng.uniform(100, 900, n))
        ys += list(KM[3] - r * 1000 - rng.uniform(100, 900, n))
    x, y = Transformer.from_crs("EPSG:32633", f"EPSG:{epsg}", always_xy=True).transform(xs, ys)
    return hk.write_layer(str(path), [f"POINT({float(a)!r} {float(b)!r})" for a, b in zip(x, y)], epsg=epsg,
                          layer="points")


@pytest.fixture
def calibration(tmp_path):
    return {"LAND_COVER": write_geotiff(tmp_path / "lc.tif", CAL_LC, geotransform=KM),
            "R_INDEX": write_geotiff(tmp_path / "r.tif", CAL_R, geotransform=KM),
            "CALIBRATION_POINTS": _calibration_points(tmp_path / "pts.gpkg"),
            "CALIBRATION_AREA": hk.polygon_layer(str(tmp_path / "cal.gpkg"), [hk.square(500000.0, 4096000.0, 4000.0)]),
            "OUTPUT": str(tmp_path / "t.tif")}


def test_calibration_by_hand_with_points_in_another_crs(run_alg, tmp_path, calibration):
    # seen km2 = sum of clip(R, 0, 1) x 1 km2: 111 2.5 (R 1.2 -> 1, -0.1 -> 0), 211 3.2, 311 3.6 (NaN -> 0),
    # 512 0.9 (< 1 km2: no density); densities = points / seen km2: 10 / 2.5, 8 / 3.2, 9 / 3.6
    params = dict(calibration, DENSITIES=_csv(tmp_path / "d.csv", ["512,0"], header="class,density"),
                  OUTPUT_DENSITIES=str(tmp_path / "measured.csv"))
    res = run_alg(NAME, params)
    text = open(res["OUTPUT_DENSITIES"], encoding="utf-8").read()
    rows = [ln.split(",") for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert rows[0] == ["class", "density", "label", "points", "area_km2"]
    got = {int(r[0]): (float(r[1]), int(r[3]), float(r[4])) for r in rows[1:]}
    assert got == {111: (4.0, 10, 4.0), 211: (pytest.approx(2.5, rel=1e-7), 8, 4.0),  # R 0.8 as float32
                   311: (pytest.approx(2.5, rel=1e-7), 9, 7.0)}
    assert "# 512,,water bodies,2,1" in text
    dens = read_array(res["OUTPUT"])
    expected = np.array([4.0, 2.5, 2.5, 0.0])[np.searchsorted([111, 211, 311, 512], CAL_LC)] * \
        np.clip(np.nan_to_num(CAL_R), 0, 1)
    np.testing.assert_allclose(dens, expected, rtol=1e-6)
    for code, n in ((111, 10), (211, 8), (311, 9)):  # density x R gives back the points counted
        assert dens[CAL_LC == code].sum() == pytest.approx(n, rel=1e-6)
    # the table measured is what DENSITIES reads: the same map from it
    (tmp_path / "d2.csv").write_text(text + "512,0,water\n", encoding="utf-8")
    again = run_alg(NAME, {"LAND_COVER": calibration["LAND_COVER"], "R_INDEX": calibration["R_INDEX"],
                           "DENSITIES": str(tmp_path / "d2.csv"), "OUTPUT": str(tmp_path / "t2.tif")})
    np.testing.assert_allclose(read_array(again["OUTPUT"]), dens, rtol=1e-7)


def test_calibration_names_small_classes_and_densities_win(run_alg, tmp_path, calibration):
    with pytest.raises(Exception) as err:  # 512 has no measured density and no row: refused, named
        run_alg(NAME, dict(calibration, OUTPUT_DENSITIES=str(tmp_path / "m.csv")))
    assert "no density in CALIBRATION_POINTS: 512 (water bodies): 1 px" in str(err.value)
    assert not os.path.exists(tmp_path / "m.csv") and not os.path.exists(tmp_path / "t.tif")
    res = run_alg(NAME, dict(calibration, DENSITIES=_csv(tmp_path / "d.csv", ["111,7", "512,0"],
                                                         header="class,density")))
    dens = read_array(res["OUTPUT"])
    assert dens[0, 0] == pytest.approx(7.0) and dens[0, 2] == pytest.approx(2.5 * 0.8)


def test_calibration_hull_of_the_points_by_default(run_alg, tmp_path, calibration):
    # without CALIBRATION_AREA the area is the convex hull of the points: the pixels whose centre is inside it
    params = {k: v for k, v in calibration.items() if k != "CALIBRATION_AREA"}
    params.update(DENSITIES=_csv(tmp_path / "d.csv", ["512,0"], header="class,density"),
                  OUTPUT_DENSITIES=str(tmp_path / "m.csv"))
    res = run_alg(NAME, params)
    assert os.path.exists(res["OUTPUT_DENSITIES"])


def test_calibration_same_bytes_at_any_block_size(run_alg, tmp_path, monkeypatch):
    rng = np.random.default_rng(11)
    lc = rng.choice([111.0, 211.0, 311.0], size=(240, 130))
    r = rng.uniform(-0.2, 1.2, size=lc.shape)
    n = rng.poisson(np.where(lc == 111, 0.6, np.where(lc == 211, 0.2, 0.02)) * np.clip(r, 0, 1))
    rows, cols = np.nonzero(n)
    rows, cols = np.repeat(rows, n[rows, cols]), np.repeat(cols, n[rows, cols])
    x = GT[0] + (cols + rng.uniform(0.05, 0.95, rows.size)) * 100
    y = GT[3] - (rows + rng.uniform(0.05, 0.95, rows.size)) * 100
    pts = hk.write_layer(str(tmp_path / "p.gpkg"), [f"POINT({float(a)!r} {float(b)!r})" for a, b in zip(x, y)],
                         layer="points")
    params = {"LAND_COVER": write_geotiff(tmp_path / "lc.tif", lc, geotransform=GT),
              "R_INDEX": write_geotiff(tmp_path / "r.tif", r, geotransform=GT), "CALIBRATION_POINTS": pts}
    got = []
    for mb in ("512", "0.05"):  # one block, then blocks of a few rows
        monkeypatch.setenv("INSAR_GEOHAZARDS_MAX_MEMORY_MB", mb)
        res = run_alg(NAME, dict(params, OUTPUT=str(tmp_path / f"t{mb}.tif"),
                                 OUTPUT_DENSITIES=str(tmp_path / f"d{mb}.csv")))
        got.append((open(res["OUTPUT_DENSITIES"]).read(), read_array(res["OUTPUT"]).tobytes()))
    assert got[0] == got[1]


def test_calibration_on_a_geographic_grid_uses_ellipsoidal_pixel_areas(run_alg, tmp_path):
    # 0.01 deg pixels at 45 N, 5 points at each pixel centre, R = 1: density = 500 / the WGS84 area of the
    # 0.1 x 0.1 deg strip (closed form of the authalic latitude, as in the polygon test above)
    gt = (10.0, 0.01, 0.0, 45.05, 0.0, -0.01)
    cx, cy = np.meshgrid(10.005 + 0.01 * np.arange(10), 45.045 - 0.01 * np.arange(10))
    pts = hk.write_layer(str(tmp_path / "p.gpkg"), [f"POINT({float(a)!r} {float(b)!r})" for a, b in
                                                    zip(np.repeat(cx.ravel(), 5), np.repeat(cy.ravel(), 5))],
                         epsg=4326, layer="points")
    area = hk.polygon_layer(str(tmp_path / "a.gpkg"), ["POLYGON((9.9 44.9,10.2 44.9,10.2 45.2,9.9 45.2,9.9 44.9))"],
                            epsg=4326)
    res = run_alg(NAME, {"LAND_COVER": write_geotiff(tmp_path / "lc.tif", np.full((10, 10), 111.0), geotransform=gt,
                                                     epsg=4326),
                         "R_INDEX": write_geotiff(tmp_path / "r.tif", np.ones((10, 10)), geotransform=gt, epsg=4326),
                         "CALIBRATION_POINTS": pts, "CALIBRATION_AREA": area, "OUTPUT": str(tmp_path / "t.tif"),
                         "OUTPUT_DENSITIES": str(tmp_path / "m.csv")})
    a, e2 = 6378137.0, 6.69437999014e-3
    e = np.sqrt(e2)

    def q(phi):
        s = np.sin(np.radians(phi))
        return s / (1 - e2 * s * s) - np.log((1 - e * s) / (1 + e * s)) / (2 * e)

    area_km2 = 0.5 * a * a * (1 - e2) * np.radians(0.1) * (q(45.05) - q(44.95)) / 1e6
    row = open(res["OUTPUT_DENSITIES"]).read().splitlines()[2].split(",")
    assert int(row[3]) == 500 and float(row[4]) == pytest.approx(area_km2, rel=2e-3)
    assert float(row[1]) == pytest.approx(500 / area_km2, rel=2e-3)


def _egms_points(path):
    """The descending EGMS burst over Ustica (EPSG:3035) as a point layer, and its coordinates."""
    import csv
    import io
    import zipfile

    here = os.path.join(os.path.dirname(__file__), "..", "data", "egms_ustica",
                        "EGMS_L2b_022_0845_IW2_VV_2020_2024_1.zip")
    with zipfile.ZipFile(here) as z:
        name = [n for n in z.namelist() if n.endswith(".csv")][0]
        rows = csv.reader(io.TextIOWrapper(z.open(name), encoding="utf-8"))
        head = next(rows)
        ie, iN = head.index("easting"), head.index("northing")
        xy = np.array([(float(r[ie]), float(r[iN])) for r in rows])
    hk.write_layer(str(path), [f"POINT({float(a)!r} {float(b)!r})" for a, b in xy], epsg=3035, layer="egms")
    return str(path), xy


def test_calibration_on_real_egms_points(run_alg, tmp_path):
    # real points (EGMS L2b, Ustica, 11,590), a land cover we made: there is no real land-cover map of the island
    # here, so two 1 km x 2 km halves (classes 1 and 2) of a UTM 33N square in the middle of the island, R = 1.
    # Expected: the points falling in each half, counted here from their coordinates (pyproj), per km2.
    from pyproj import Transformer

    pts, xy = _egms_points(tmp_path / "egms.gpkg")
    x, y = Transformer.from_crs("EPSG:3035", "EPSG:32633", always_xy=True).transform(xy[:, 0], xy[:, 1])
    x0, y1 = np.floor(np.median(x) / 100) * 100 - 1000, np.floor(np.median(y) / 100) * 100 + 1000
    gt = (x0, 100.0, 0.0, y1, 0.0, -100.0)
    lc = np.where(np.arange(20)[None, :] < 10, 1.0, 2.0) * np.ones((20, 1))
    res = run_alg(NAME, {"LAND_COVER": write_geotiff(tmp_path / "lc.tif", lc, geotransform=gt),
                         "R_INDEX": write_geotiff(tmp_path / "r.tif", np.ones((20, 20)), geotransform=gt),
                         "CALIBRATION_POINTS": pts, "OUTPUT": str(tmp_path / "t.tif"),
                         "OUTPUT_DENSITIES": str(tmp_path / "m.csv")})
    # the calibration area is the convex hull of the points: the pixels whose centre is inside it (scipy's
    # Delaunay triangulation of the points decides here), 0.01 km2 each
    from scipy.spatial import Delaunay

    row, col = np.floor((y1 - y) / 100).astype(int), np.floor((x - x0) / 100).astype(int)
    cr, cc = np.mgrid[0:20, 0:20]
    hull = (Delaunay(np.column_stack([x, y])).find_simplex(np.column_stack([(x0 + 50 + 100 * cc).ravel(),
                                                                            (y1 - 50 - 100 * cr).ravel()])) >= 0)
    hull = hull.reshape(20, 20)
    on = (row >= 0) & (row < 20) & (col >= 0) & (col < 20)
    on[on] &= hull[row[on], col[on]]
    rows = [ln.split(",") for ln in open(res["OUTPUT_DENSITIES"]).read().splitlines()[2:]]
    got = {int(r[0]): (float(r[1]), int(r[3]), float(r[4])) for r in rows}
    for code, half in ((1, col < 10), (2, col >= 10)):
        n = int((on & half).sum())
        area = 0.01 * (hull & ((cc < 10) if code == 1 else (cc >= 10))).sum()
        assert n > 500
        assert got[code] == (pytest.approx(n / area, rel=1e-5), n, pytest.approx(area, rel=1e-6))


# ------------------------------------------------------------------ density reference, enough points, R-index checks
ISBAS_URBAN = 8000.0  # points per km2 on flat urban ground (Cigna et al. 2014, doi:10.1016/j.rse.2014.06.025)


def _flat_town(tmp_path, incidence_deg, *, slope_deg=0.0, r_metadata=None):
    """Flat continuous urban fabric (CORINE 111), its R-index sin(incidence - slope along range) (Notti et al. 2014)
    written from the formula; 100 m pixels."""
    lc = np.full((10, 12), 111.0)
    r = np.full((10, 12), np.sin(np.radians(incidence_deg)))
    r[:, 6:] = np.sin(np.radians(incidence_deg - slope_deg))  # the east half slopes toward the sensor
    return (write_geotiff(tmp_path / "lc.tif", lc, geotransform=GT),
            write_geotiff(tmp_path / "r.tif", r, geotransform=GT, metadata=r_metadata),
            _csv(tmp_path / "d.csv", [f"111,{ISBAS_URBAN:g}"], header="class,density"))


def test_the_isbas_flat_urban_density_comes_back_with_the_flat_ground_reference(run_alg, tmp_path):
    """8,000 points per km2 on flat urban ground: per unit R-index (the default) the map gives 8,000 x sin(23 deg)
    on flat ground; with the flat-ground reference and the scene's incidence it gives 8,000 back there, and on a
    slope of 10 deg toward the sensor 8,000 x sin(13 deg) / sin(23 deg)."""
    import math

    lc, r, dens = _flat_town(tmp_path, 23.0, slope_deg=10.0)
    per_r = read_array(run_alg(NAME, {"LAND_COVER": lc, "R_INDEX": r, "DENSITIES": dens,
                                      "OUTPUT": str(tmp_path / "a.tif")})["OUTPUT"])
    np.testing.assert_allclose(per_r[:, :6], ISBAS_URBAN * math.sin(math.radians(23.0)), rtol=1e-6)
    flat = read_array(run_alg(NAME, {"LAND_COVER": lc, "R_INDEX": r, "DENSITIES": dens, "DENSITY_REFERENCE": 1,
                                     "INCIDENCE": 23.0, "OUTPUT": str(tmp_path / "b.tif")})["OUTPUT"])
    np.testing.assert_allclose(flat[:, :6], ISBAS_URBAN, rtol=1e-6)
    np.testing.assert_allclose(flat[:, 6:], ISBAS_URBAN * math.sin(math.radians(13.0)) / math.sin(math.radians(23.0)),
                               rtol=1e-6)


def test_the_flat_ground_reference_takes_the_incidence_the_r_index_carries_or_stops(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    lc, r, dens = _flat_town(tmp_path, 38.0, r_metadata={"INCIDENCE_DEG": "38.0"})
    flat = read_array(run_alg(NAME, {"LAND_COVER": lc, "R_INDEX": r, "DENSITIES": dens, "DENSITY_REFERENCE": 1,
                                     "OUTPUT": str(tmp_path / "b.tif")})["OUTPUT"])
    np.testing.assert_allclose(flat, ISBAS_URBAN, rtol=1e-6)
    (tmp_path / "bare").mkdir()
    lc, r, dens = _flat_town(tmp_path / "bare", 38.0)
    with pytest.raises(QgsProcessingException, match="INCIDENCE"):
        run_alg(NAME, {"LAND_COVER": lc, "R_INDEX": r, "DENSITIES": dens, "DENSITY_REFERENCE": 1,
                       "OUTPUT": str(tmp_path / "c.tif")})
    assert not (tmp_path / "c.tif").exists()


def test_sufficient_per_area_and_no_value_for_an_area_off_the_land_cover(run_alg, tmp_path):
    """250 targets per km2 seen whole: 0.36 km2 expects 90 points (enough at MIN_POINTS 50), 0.09 km2 22.5 (not
    enough); an area 90 km off the land cover gets NULL in EXPECTED_POINTS and sufficient, with a warning."""
    from testutils import recording_feedback

    lc = np.full((20, 30), 111.0)
    polys = hk.polygon_layer(str(tmp_path / "areas.gpkg"),
                             [hk.square(500200.0, 4098200.0, 600.0), hk.square(501000.0, 4099000.0, 300.0),
                              hk.square(590000.0, 4098200.0, 600.0)])
    fb = recording_feedback()
    res = run_alg(NAME, {"LAND_COVER": write_geotiff(tmp_path / "lc.tif", lc, geotransform=GT),
                         "DENSITIES": _csv(tmp_path / "d.csv", ["111,250"], header="class,density"),
                         "R_INDEX": write_geotiff(tmp_path / "r.tif", np.ones((20, 30)), geotransform=GT),
                         "AREAS": polys, "MIN_POINTS": 50, "OUTPUT": str(tmp_path / "t.tif"),
                         "OUTPUT_TABLE": str(tmp_path / "table.gpkg")}, feedback=fb)
    _names, rows = vector_features(res["OUTPUT_TABLE"])
    assert [r["EXPECTED_POINTS"] for r in rows[:2]] == [pytest.approx(90.0), pytest.approx(22.5)]
    assert [r["sufficient"] for r in rows] == [True, False, None]
    assert rows[2]["EXPECTED_POINTS"] is None and rows[2]["POINTS_KM2"] is None
    assert any("no expected points (NULL)" in w and "AREA_FID" in w for w in fb.warnings), fb.warnings


def test_an_r_index_in_degrees_is_refused_and_one_slightly_beyond_1_is_warned(run_alg, tmp_path, inputs):
    from qgis.core import QgsProcessingException
    from testutils import recording_feedback

    lc_path, _r_path, dens, _lc, _r = inputs
    degrees = write_geotiff(tmp_path / "r_deg.tif", np.degrees(np.arcsin(np.clip(np.nan_to_num(_r), -1, 1))) + 30.0,
                            geotransform=GT)
    with pytest.raises(QgsProcessingException, match=r"R_INDEX: values range from .*angle in degrees"):
        run_alg(NAME, {"LAND_COVER": lc_path, "DENSITIES": dens, "R_INDEX": degrees,
                       "OUTPUT": str(tmp_path / "deg.tif")})
    assert not (tmp_path / "deg.tif").exists()
    fb = recording_feedback()
    run_alg(NAME, {"LAND_COVER": lc_path, "DENSITIES": dens, "R_INDEX": _r_path, "OUTPUT": str(tmp_path / "ok.tif")},
            feedback=fb)
    assert any("beyond the -1..1 of an R-index" in w for w in fb.warnings), fb.warnings  # the fixture's 1.2


def test_measured_densities_link_to_densities_in_the_modeler(qgis_app, tmp_path, calibration):
    """OUTPUT_DENSITIES of one step is offered to DENSITIES of the next and the model runs: the second step's map
    is the first one's (the same densities, per unit R-index)."""
    from qgis.core import QgsProcessingParameterFeatureSource, QgsProcessingParameterRasterLayer
    from testutils_modeler import UserModel, offered, run_model

    m = UserModel("measure then plan")
    m.input(QgsProcessingParameterRasterLayer("LC", "Land cover"))
    m.input(QgsProcessingParameterRasterLayer("R", "R-index"))
    m.input(QgsProcessingParameterFeatureSource("PTS", "Calibration points"))
    m.input(QgsProcessingParameterFeatureSource("CAL", "Calibration area"))
    # class 512 has too little area for a density of its own: the measuring step gets it typed
    dens = _csv(tmp_path / "d512.csv", ["512,0"], header="class,density")
    m.step("measure", "geohazard:targetsuitability", "Measure densities",
           {"LAND_COVER": ("input", "LC"), "R_INDEX": ("input", "R"), "CALIBRATION_POINTS": ("input", "PTS"),
            "CALIBRATION_AREA": ("input", "CAL"), "DENSITIES": dens}, {"MEASURED": "OUTPUT", "CSV": "OUTPUT_DENSITIES"})
    m.input(QgsProcessingParameterRasterLayer("LC2", "Land cover of the area planned"))
    m.step("plan", "geohazard:targetsuitability", "Plan with them",
           {"LAND_COVER": ("input", "LC2"), "R_INDEX": ("input", "R"),
            "DENSITIES": ("step", "measure", "OUTPUT_DENSITIES")}, {"PLANNED": "OUTPUT"})
    model = m.done()
    assert ("measure", "OUTPUT_DENSITIES") in offered(model, "plan", "DENSITIES")
    lc2 = CAL_LC.copy()
    lc2[lc2 == 512] = 311  # the measured table has no density for 512 (too small to measure)
    got = run_model(model, {"LC": calibration["LAND_COVER"], "R": calibration["R_INDEX"],
                            "LC2": write_geotiff(tmp_path / "lc2.tif", lc2, geotransform=KM),
                            "PTS": calibration["CALIBRATION_POINTS"], "CAL": calibration["CALIBRATION_AREA"],
                            "measure:MEASURED": str(tmp_path / "m.tif"), "measure:CSV": str(tmp_path / "m.csv"),
                            "plan:PLANNED": str(tmp_path / "p.tif")})
    assert os.path.exists(tmp_path / "m.csv")
    planned, measured = read_array(got["plan:PLANNED"]), read_array(got["measure:MEASURED"])
    same = CAL_LC != 512
    np.testing.assert_allclose(planned[same], measured[same], rtol=1e-6)
    assert np.isfinite(planned).sum() == np.isfinite(measured).sum()


def test_the_flat_ground_reference_without_typed_densities_is_refused(run_alg, tmp_path, calibration):
    """Measured densities are per unit R-index: a flat-ground reference with no DENSITIES to apply it to stops."""
    from qgis.core import QgsProcessingException

    params = dict(calibration, DENSITY_REFERENCE=1, INCIDENCE=35.0)
    params.pop("CALIBRATION_AREA")
    with pytest.raises(QgsProcessingException, match="DENSITY_REFERENCE 'flat open ground'.*leave it at 0"):
        run_alg(NAME, params)
    assert not os.path.exists(calibration["OUTPUT"])
