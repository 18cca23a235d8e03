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



def _plane_slope_per_group(x, y, z, lab, n_groups):
    """Each group fitted on its own mask (independent of how plane_slope_deg gathers the groups)."""
    out = np.full(n_groups, np.nan)
    for g in range(n_groups):
        m = (lab == g) & np.isfinite(z)
        if m.sum() >= 4:
            a = np.column_stack([x[m] - x[m].mean(), y[m] - y[m].mean(), np.ones(m.sum())])
            coef, _, rank, _ = np.linalg.lstsq(a, z[m], rcond=None)
            if rank == 3:
                out[g] = np.degrees(np.arctan(np.hypot(coef[0], coef[1])))
    return out


def test_plane_slope_groups_gathered_at_once_equal_each_group_fitted_alone():
    # interleaved groups, unlabelled points (-1), NaN heights, groups of 0-5 points, a collinear group
    rng = np.random.default_rng(3)
    n, k = 20000, 300
    x, y = rng.uniform(0, 5e4, n), rng.uniform(0, 5e4, n)
    z = 0.05 * x - 0.02 * y + rng.normal(0, 3, n)
    z[rng.random(n) < 0.05] = np.nan
    lab = np.where(rng.random(n) < 0.3, rng.integers(0, k, n), -1)
    lab[lab == 7] = -1
    lab[np.flatnonzero(lab == 8)[3:]] = -1  # 3 points: too few
    line = np.flatnonzero(lab == 9)
    y[line] = 2.0 * x[line]  # collinear footprint: rank 2
    z[line] = 1.0
    out = cl.plane_slope_deg(x, y, z, lab, k + 2)  # the last two groups are empty
    assert np.isnan(out[[7, 8, 9, k, k + 1]]).all()
    assert np.array_equal(out, _plane_slope_per_group(x, y, z, lab, k + 2), equal_nan=True)
    assert np.isfinite(out).sum() > k - 10

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
