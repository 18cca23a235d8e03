"""Slope/aspect and downslope projection on analytic planes."""

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.geometry.los import los_unit_vector
from insar_geohazards.algorithms.geometry.terrain import downslope_sensitivity, los_to_downslope, slope_aspect


def plane(slope_deg, aspect_deg, n=7, dx=10.0):
    """Heights of a plane dipping ``slope_deg`` toward azimuth ``aspect_deg`` (row 0 = north)."""
    rows, cols = np.mgrid[0:n, 0:n]
    east = cols * dx
    north = -rows * dx
    a = np.radians(aspect_deg)
    downhill = east * np.sin(a) + north * np.cos(a)
    return -np.tan(np.radians(slope_deg)) * downhill


@pytest.mark.parametrize("slope, aspect", [(30.0, 90.0), (10.0, 225.0), (45.0, 0.0), (20.0, 315.0)])
def test_slope_aspect_of_planes(slope, aspect):
    s, a = slope_aspect(plane(slope, aspect), 10.0, 10.0)
    assert np.isnan(s[0, 0]) and np.isnan(s[-1, -1])
    np.testing.assert_allclose(s[1:-1, 1:-1], slope, atol=1e-9)
    np.testing.assert_allclose(a[1:-1, 1:-1], aspect, atol=1e-9)


def test_downslope_projection_east_facing_slope_ascending():
    # ascending Sentinel-1 looks east: an east-facing slope moving downhill moves away
    e, n, u = los_unit_vector(39.0, -10.0)
    c = downslope_sensitivity(e, n, u, 30.0, 90.0)
    assert c < -0.5
    v_true = 12.0  # mm/yr downhill
    v_los = v_true * c
    v_slope, c2 = los_to_downslope(v_los, e, n, u, 30.0, 90.0)
    assert v_slope == pytest.approx(v_true)
    # a north-facing gentle slope is nearly invisible -> masked
    v_slope, c3 = los_to_downslope(1.0, e, n, u, 5.0, 0.0, min_sensitivity=0.3)
    assert np.isnan(v_slope) and abs(c3) < 0.3


def test_bad_arguments():
    with pytest.raises(GeohazardError, match="pixel size"):
        slope_aspect(np.zeros((3, 3)), 0.0, 1.0)
    with pytest.raises(GeohazardError, match="min_sensitivity"):
        los_to_downslope(1.0, 0, 0, 1, 10, 10, min_sensitivity=0)
