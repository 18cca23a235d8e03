"""algorithms.interferograms.targetsuitability: the density table, the suitability of a block by hand, missing codes
named, points of an area as density x area."""

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.interferograms import targetsuitability as targets


def test_parse_densities_reads_labels_semicolons_and_comments():
    t = targets.parse_densities("# expected targets per km2\nclass;density;label\n311;2.5;forest\n111;1000;town\n")
    assert t.codes.tolist() == [111, 311]
    assert t.density.tolist() == [1000.0, 2.5]
    assert t.label(111) == "town" and t.label(311) == "forest"
    assert targets.parse_densities("class,density\n512,0\n").label(512) == "water bodies"  # CORINE name


@pytest.mark.parametrize("text, match", [
    ("", "empty"),
    ("code,value\n1,2\n", "class,density"),
    ("class,density\n111,abc\n", "must be numbers"),
    ("class,density\n111.5,3\n", "not an integer"),
    ("class,density\n111,-3\n", ">= 0"),
    ("class,density\n111,3\n111,4\n", "given twice"),
    ("class,density\n", "no class"),
])
def test_parse_densities_refuses_bad_tables(text, match):
    with pytest.raises(GeohazardError, match=match):
        targets.parse_densities(text)


def test_suitability_block_by_hand():
    table = targets.parse_densities("class,density\n111,1000\n211,40\n")
    lc = np.array([[111.0, 111.0, 211.0], [211.0, np.nan, 111.0]])
    r = np.array([[0.5, -0.2, np.nan], [1.7, 0.3, 0.25]])
    out = targets.suitability_block(None, {"land_cover": lc, "rindex": r}, table=table)["density"]
    np.testing.assert_allclose(out, [[500.0, 0.0, 0.0], [40.0, np.nan, 250.0]])
    assert out.dtype == np.float32
    cls = np.array([[2.0, 0.0, 3.0], [4.0, 0.0, 0.0]])
    out = targets.suitability_block(None, {"land_cover": lc, "rindex": r, "classes": cls}, table=table)["density"]
    np.testing.assert_allclose(out, [[0.0, 0.0, 0.0], [0.0, np.nan, 250.0]])


def test_grid_codes_to_corine():
    got = targets.grid_codes_to_corine(np.array([1.0, 2.0, 12.0, 44.0, 48.0, 50.0, np.nan]))
    np.testing.assert_array_equal(got, [111.0, 112.0, 211.0, 523.0, np.nan, 50.0, np.nan])
    assert len(targets.CORINE_CODES) == 44 and set(targets.CORINE_CODES) == set(targets.CORINE_NAMES)


def test_missing_codes_message_lists_every_code_with_counts():
    table = targets.parse_densities("class,density\n111,1000\n")
    counts = targets.class_counts_block(None, {"land_cover": np.array([[111.0, 311.0, 311.0], [999.0, 7.5, np.nan]])})
    msg = targets.missing_codes_message(counts["codes"], counts["counts"], table)
    assert "3 class code(s)" in msg
    assert "311 (broad-leaved forest): 2 px" in msg and "999: 1 px" in msg and "7.5: 1 px" in msg
    assert targets.missing_codes_message(np.array([111.0]), np.array([4]), table) == ""


def test_expected_points_is_density_times_area():
    dens = np.array([[100.0, 100.0], [np.nan, 50.0]])
    inside = np.array([[True, False], [True, True]])
    points, area, covered = targets.expected_points(dens, np.array([[0.01], [0.02]]), inside)
    assert points == pytest.approx(100 * 0.01 + 50 * 0.02)
    assert area == pytest.approx(0.01 + 0.02 + 0.02) and covered == pytest.approx(0.03)


# ---- densities measured on a calibration result ------------------------------------------------------------------
def _calibrate(lc, pts, r=None, *, area=0.01, inside=None):
    inputs = {"land_cover": lc, "points": pts, "inside": np.ones(lc.shape) if inside is None else inside}
    if r is not None:
        inputs["rindex"] = r
    out = targets.calibration_block(None, inputs, pixel_area_km2=np.full(lc.shape[0], area))
    return targets.derive_densities(targets.add_calibration({}, out)), out["left_out"]


def test_points_grid_counts_each_point_on_its_pixel():
    flat = np.sort(np.array([0, 0, 5, 7, 7, 7, 11]))  # a 3 x 4 grid
    np.testing.assert_array_equal(targets.points_grid(flat, 0, 3, 4), [[2, 0, 0, 0], [0, 1, 0, 3], [0, 0, 0, 1]])
    np.testing.assert_array_equal(targets.points_grid(flat, 1, 2, 4), [[0, 1, 0, 3]])


def test_calibration_by_hand_6x6():
    # 6 x 6 pixels of 0.25 km2; class 1 the left half, class 2 the right half but its bottom-right 2 x 2, class 3
    # those 4 pixels; the last row outside the calibration area
    lc = np.ones((6, 6))
    lc[:, 3:] = 2
    lc[4:, 4:] = 3
    r = np.full((6, 6), 0.5)
    r[:, 3:] = 1.0
    r[0, 0] = -0.2  # layover: not seen
    pts = np.zeros((6, 6))
    pts[0, 0], pts[1, 1], pts[2, 3], pts[4, 4], pts[5, 0] = 3, 6, 5, 1, 4
    inside = np.ones((6, 6))
    inside[5] = 0
    cal, left = _calibrate(lc, pts, r, area=0.25, inside=inside)
    # class 1: 15 px in the area (3.75 km2), 14 seen at 0.5 -> 1.75 km2 seen, 9 points (the 4 of the last row are
    # left out) -> 9 / 1.75; class 2: 13 px (3.25 km2), R 1 -> 3.25 km2 seen, 5 points -> 5 / 3.25; class 3: 2 px
    # in the area (0.5 km2) -> no value
    assert cal.codes.tolist() == [1.0, 2.0, 3.0]
    np.testing.assert_allclose(cal.area_km2, [3.75, 3.25, 0.5])
    np.testing.assert_allclose(cal.seen_km2, [1.75, 3.25, 0.5])
    np.testing.assert_allclose(cal.points, [9, 5, 1])
    np.testing.assert_allclose(cal.density[:2], [9 / 1.75, 5 / 3.25])
    assert np.isnan(cal.density[2]) and left == 4
    lines, small = targets.calibration_report(cal)
    assert len(lines) == 2 and "class 3 (0.500 km2, 0.500 km2 seen)" in small
    t = cal.table()
    assert t.codes.tolist() == [1, 2]
    # density x clip(R) summed over the calibration pixels gives back the points counted
    out = targets.suitability_block(None, {"land_cover": np.where(lc == 3, 2, lc), "rindex": r}, table=t)["density"]
    assert float((out[:5][lc[:5] == 1] * 0.25).sum()) == pytest.approx(9.0, rel=1e-6)
    csv_text = targets.format_calibration(cal)
    back = targets.parse_densities(csv_text)
    np.testing.assert_allclose(back.density, t.density, rtol=1e-6)
    assert "# 3,,,1,0.5: less than 1 km2 seen" in csv_text


def test_merge_tables_user_rows_win():
    derived = targets.parse_densities("class,density\n111,500\n211,30\n")
    given = targets.parse_densities("class,density,label\n211,12,mine\n512,0\n")
    m = targets.merge_tables(given, derived)
    assert m.codes.tolist() == [111, 211, 512] and m.density.tolist() == [500.0, 12.0, 0.0]
    assert m.label(211) == "mine"
    assert targets.merge_tables(None, derived) is derived


def test_planted_poisson_world_recovers_the_intensities():
    # a random class map (three classes, 300 x 300 pixels of 0.01 km2), a random R-index, and Poisson points of
    # known intensity per km2 of seen area in each class; the measured densities lie within 3 Poisson sigma of
    # the truth (sigma = sqrt(lambda / seen km2)). The seed was not used while the code was written.
    rng = np.random.default_rng(918273)
    truth = {1: 900.0, 2: 140.0, 3: 12.0}
    lc = rng.choice([1.0, 2.0, 3.0], size=(300, 300), p=[0.2, 0.5, 0.3])
    r = rng.uniform(-0.3, 1.3, size=lc.shape)
    lam = np.vectorize(truth.get)(lc) * np.clip(r, 0, 1) * 0.01
    pts = rng.poisson(lam).astype(float)
    # the points as positions inside their pixels, back to pixels through points_grid
    flat = np.sort(np.repeat(np.arange(lc.size), pts.ravel().astype(int)))
    grid = targets.points_grid(flat, 0, 300, 300)
    np.testing.assert_array_equal(grid, pts)
    cal, _left = _calibrate(lc, grid, r)
    for c, d, s in zip(cal.codes, cal.density, cal.seen_km2):
        sigma = np.sqrt(truth[int(c)] / s)
        assert abs(d - truth[int(c)]) < 3 * sigma, (c, d, truth[int(c)], sigma)


def test_hull_ring_and_degenerate_points():
    ring = targets.hull_ring(np.array([0.0, 1, 1, 0, 0.5]), np.array([0.0, 0, 1, 1, 0.5]))
    assert len(ring) == 5 and (ring[0] == ring[-1]).all()
    with pytest.raises(GeohazardError, match="CALIBRATION_POINTS.*CALIBRATION_AREA"):
        targets.hull_ring(np.array([0.0, 1, 2]), np.array([0.0, 1, 2]))
    with pytest.raises(GeohazardError, match="2 distinct"):
        targets.hull_ring(np.array([0.0, 1, 1]), np.array([0.0, 1, 1]))


def test_flat_ground_densities_come_back_on_flat_ground():
    """A density on flat open ground divided by sin(incidence), the flat ground's R-index (Notti et al. 2014): times
    R = sin(incidence - 0) it gives the density back (the ISBAS study's 8,000 points per km2 on flat urban ground)."""
    import math

    table = targets.parse_densities("class,density\n111,8000\n311,25\n")
    per_r = targets.per_unit_r(table, 23.0)
    np.testing.assert_allclose(per_r.density * math.sin(math.radians(23.0)), [8000.0, 25.0], rtol=1e-12)
    for bad in (0.0, 90.0, float("nan")):
        with pytest.raises(GeohazardError, match="incidence"):
            targets.per_unit_r(table, bad)


def test_an_r_index_in_degrees_is_an_error_and_one_slightly_beyond_1_a_warning():
    assert targets.rindex_problem(-1.0, 1.0) == ("", "")
    err, warn = targets.rindex_problem(-12.0, 66.0)
    assert "angle in degrees" in err and warn == ""
    err, warn = targets.rindex_problem(-0.3, 1.2)
    assert err == "" and "beyond the -1..1" in warn


def test_sufficient_compares_with_min_points_and_leaves_no_value_without_one():
    got = targets.sufficient(np.array([90.0, 4.99, 5.0, np.nan]), 5.0)
    assert list(got) == [True, False, True, None]
