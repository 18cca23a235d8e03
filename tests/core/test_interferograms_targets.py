"""algorithms.interferograms.targets: the density table, the suitability of a block by hand, missing codes named,
points of an area as density x area."""

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.interferograms import targets


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
