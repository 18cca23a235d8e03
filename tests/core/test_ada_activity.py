"""Landslide activity core: minimum points by area, point in polygon, activity states."""

import numpy as np
import pytest

from insar_geohazards.algorithms._numba import HAVE_NUMBA
from insar_geohazards.algorithms.ada import activity as act
from insar_geohazards.algorithms.errors import GeohazardError


def test_min_points_grows_with_area():
    n = act.min_points_for_area([0.001, 0.05, 0.2236, 1.0, 5.0])
    assert n.tolist()[0] == 5 and n.tolist()[1] == 5
    assert n.tolist()[-2:] == [20, 20]
    assert 5 < n[2] < 20  # geometric midpoint of 0.05..1 km2 -> 12.5 -> 13
    assert n[2] == 13
    with pytest.raises(GeohazardError, match="area_km2"):
        act.min_points_for_area([-1.0])


def square(x0, y0, s):
    return np.array([[x0, y0], [x0 + s, y0], [x0 + s, y0 + s], [x0, y0 + s], [x0, y0]], float)


def test_points_in_polygons_with_hole_and_two_polygons():
    outer, hole = square(0, 0, 10), square(4, 4, 2)
    polys = [[outer, hole], [square(20, 0, 5)]]
    x = np.array([1.0, 5.0, 9.9, 22.0, 30.0, -1.0])
    y = np.array([1.0, 5.0, 9.9, 2.0, 2.0, 5.0])
    assert act.points_in_polygons(x, y, polys).tolist() == [0, -1, 0, 1, -1, -1]


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed: only the Python path exists")
def test_ring_kernel_numba_equals_python():
    rng = np.random.default_rng(0)
    ring = np.array([[0, 0], [3, 1], [4, 4], [1, 5], [-1, 2], [0, 0]], float)
    px, py = rng.uniform(-2, 6, 500), rng.uniform(-2, 6, 500)
    np.testing.assert_array_equal(act._in_ring(px, py, ring), act._in_ring.py_func(px, py, ring))


def test_activity_states_and_downslope_preference():
    # landslide 0: 6 points at -8 mm/yr (area 0.01 km2 -> needs 5): active
    # landslide 1: 6 points at -0.5: inactive ; landslide 2: 2 points: not enough data
    idx = np.array([0] * 6 + [1] * 6 + [2] * 2 + [-1] * 3)
    v = np.array([-8.0] * 6 + [-0.5] * 6 + [-9.0] * 2 + [-20.0] * 3)
    res = act.landslide_activity(idx, v, np.array([0.01, 0.01, 0.01]), threshold_mm_yr=2.0)
    assert res["state"].tolist() == ["active", "inactive", "not enough data"]
    assert res["n_points"].tolist() == [6, 6, 2]
    assert res["share_moving"][0] == 1.0 and res["share_moving"][1] == 0.0
    assert res["rep_source"].tolist() == ["V_LOS", "V_LOS", "V_LOS"]
    vs = np.where(idx == 1, 10.0, np.nan)  # enough V_SLOPE points on landslide 1 -> they decide
    res = act.landslide_activity(idx, v, np.array([0.01, 0.01, 0.01]), threshold_mm_yr=2.0, v_slope_mm_yr=vs)
    assert res["state"][1] == "active" and res["rep_source"][1] == "V_SLOPE"
    assert res["max_vslope"][1] == 10.0
    with pytest.raises(GeohazardError, match="threshold"):
        act.landslide_activity(idx, v, np.ones(3), threshold_mm_yr=0.0)
