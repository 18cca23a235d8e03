"""ADA classification rules and helpers (seasonal fit, plane slope) on hand-made cases."""

import numpy as np
import pytest

from insar_geohazards.algorithms.ada import classification as cl
from insar_geohazards.algorithms.ada.faults import distance_bands
from insar_geohazards.algorithms.errors import GeohazardError


def test_seasonal_fit_recovers_trend_and_amplitude():
    t = np.arange(0, 4, 12 / 365.25)
    s = 1.0 - 3.0 * t + 5.0 * np.cos(2 * np.pi * t + 0.7)
    trend, amp = cl.seasonal_fit(s[None], t)
    assert trend[0] == pytest.approx(-3.0, abs=1e-6)
    assert amp[0] == pytest.approx(5.0, abs=1e-6)


def test_plane_slope_of_a_tilted_plane():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 100, 50), rng.uniform(0, 100, 50)
    z = np.tan(np.radians(20.0)) * x
    lab = np.zeros(50, int)
    lab[:3] = 1  # too few points for group 1
    out = cl.plane_slope_deg(x, y, z, lab, 2)
    assert out[0] == pytest.approx(20.0, abs=1e-6) and np.isnan(out[1])


def test_rules_fire_in_order():
    v = np.array([-5, -5, -5, 4, -15, -5, -5, -3, -5.0])
    area = np.array([1e5, 1e5, 1e5, 1e5, 5e3, 3e4, 1e5, 1e5, 1e5])
    slope = np.array([25, 3, 3, 3, 3, 3, 3, np.nan, 3.0])
    inls = np.array([0, 1, 0, 0, 0, 0, 0, 0, 0], bool)
    amp = np.array([0, 0, 6, 0, 0, 0, 0, 0, 0.0])
    trend = np.array([-5, -5, -1, 4, -15, -5, -5, -3, -5.0])
    land = ["", "", "", "", "", "residential area", "", "", ""]
    dist = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0.9])
    c, why = cl.classify_ada(v, area, slope_deg=slope, in_landslide=inls, trend_mm_yr=trend, seasonal_amplitude_mm=amp,
                             land_use=land, distorted_share=dist)
    assert c.tolist() == ["landslide", "landslide", "thermal_dilation", "uplift", "sinkhole_collapse", "settlement",
                          "subsidence", "unclassified", "distorted"]
    assert "slope gate" in why[0] and "mapped landslide" in why[1] and "layover" in why[8]
    c2, _ = cl.classify_ada(v[:1], area[:1], slope_deg=slope[:1], slope_gate_deg=30.0)
    assert c2[0] == "subsidence"  # the gate is tunable
    c3, why3 = cl.classify_ada(np.array([-4.0]), np.array([1e4]), slope_deg=np.array([2.0]), geology=["Gypsum marls"])
    assert c3[0] == "sinkhole_collapse" and "Gypsum" in why3[0]
    with pytest.raises(GeohazardError, match="area_m2"):
        cl.classify_ada(v, area[:2])


def test_distance_bands():
    d = np.array([0.0, 400, 500, 900, 1500, 8000, np.nan])
    t = distance_bands(d, [500, 1000, 5000])
    assert t["count"].tolist() == [3, 1, 1, 1]
    np.testing.assert_allclose(t["cumulative_share"], [0.5, 4 / 6, 5 / 6, 1.0])
    assert np.isinf(t["upper_m"][-1])
    with pytest.raises(GeohazardError, match="increasing"):
        distance_bands(d, [1000, 500])
