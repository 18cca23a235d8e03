"""The noise-adaptive (Lee / local Wiener) filter of the final velocity: against a direct formula, noise
removed where the pixels' own errors explain the local variation, steps and single fast pixels kept, the
propagated standard error against a Monte Carlo, gaps, and the same bytes for any row layout."""

import numpy as np
import pytest

from insar_geohazards.algorithms.corrections.dem_error import dem_error_engine_block, design_matrix
from insar_geohazards.algorithms.corrections.velocity_filter import (
    StdReduction,
    adaptive_velocity_filter,
    filter_radius,
)
from insar_geohazards.algorithms.engine import plan_blocks
from insar_geohazards.algorithms.errors import GeohazardError


def _direct(v, s, k):
    """Window statistics written out pixel by pixel (the clipped window at the edges)."""
    r = k // 2
    out = np.full(v.shape, np.nan)
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            if not np.isfinite(v[i, j]):
                continue
            w = v[max(0, i - r):i + r + 1, max(0, j - r):j + r + 1]
            w = w[np.isfinite(w)]
            mu, lv = w.mean(), w.var()
            g = 0.0 if lv <= 0 else min(1.0, max(0.0, 1 - s[i, j] ** 2 / lv))
            out[i, j] = mu + g * (v[i, j] - mu)
    return out


@pytest.mark.parametrize("k", [3, 5])
def test_equals_the_formula_with_gaps_and_edges(k):
    rng = np.random.default_rng(0)
    v = rng.normal(0, 3, (17, 23)) + np.linspace(-20, 20, 23)[None]
    v[4, 5:9] = np.nan
    s = rng.uniform(1, 4, v.shape)
    got = adaptive_velocity_filter(v, s, window_px=k)
    np.testing.assert_allclose(got["velocity_mm_yr"], _direct(v, s, k), rtol=0, atol=1e-10, equal_nan=True)
    assert np.array_equal(np.isfinite(got["velocity_mm_yr"]), np.isfinite(v))  # coverage unchanged


def test_noise_removed_steps_and_fast_pixels_kept():
    rng = np.random.default_rng(1)
    truth = np.zeros((60, 60))
    truth[:, 30:] = -40.0  # a landslide's border
    truth[10, 10] = 60.0  # one fast pixel
    s = np.full(truth.shape, 3.0)
    v = truth + rng.normal(0, 3.0, truth.shape)
    f = adaptive_velocity_filter(v, s, window_px=3)["velocity_mm_yr"]
    flat = np.s_[20:50, 2:27]
    assert np.sqrt(np.mean((f - truth)[flat] ** 2)) < 0.7 * np.sqrt(np.mean((v - truth)[flat] ** 2))
    assert abs(f[10, 10] - v[10, 10]) < 0.05 * abs(v[10, 10])  # far beyond the noise: kept (gain 0.97)
    # across the border the filter does not mix the two sides
    assert np.all(np.abs(f[:, 29] - truth[:, 29]) < 12.0) and np.all(np.abs(f[:, 30] - truth[:, 30]) < 12.0)


def _split(v, s, i, j):
    """Pixel (i, j)'s variance split into the part its 3 x 3 window does not share and the shared one."""
    w = v[i - 1:i + 2, j - 1:j + 2]
    white = min(s[i, j] ** 2, w.var() * 9 / 8)
    return white, s[i, j] ** 2 - white


@pytest.mark.parametrize("weighting", ["mean", "inverse_variance"])
def test_propagated_std_is_that_of_the_weights(weighting):
    """Gain taken as given: the value is sum(w_j v_j) of explicit weights and the variance
    sum(w_j^2 white_j) + (sum(w_j sqrt(common_j)))^2."""
    rng = np.random.default_rng(2)
    v = rng.normal(0, 2, (11, 11))
    s = rng.uniform(1, 3, v.shape)
    out = adaptive_velocity_filter(v, s, window_px=3, weighting=weighting)
    g = out["gain"][5, 5]
    p = np.ones((3, 3)) if weighting == "mean" else 1 / s[4:7, 4:7] ** 2
    w = (1 - g) * p / p.sum()
    w[1, 1] += g
    assert out["velocity_mm_yr"][5, 5] == pytest.approx(np.sum(w * v[4:7, 4:7]), rel=1e-12)
    parts = np.array([[_split(v, s, i, j) for j in range(4, 7)] for i in range(4, 7)])
    want = np.sum(w ** 2 * parts[..., 0]) + np.sum(w * np.sqrt(parts[..., 1])) ** 2
    assert out["velocity_std_mm_yr"][5, 5] == pytest.approx(np.sqrt(want), rel=1e-12)


def test_stated_std_matches_the_scatter():
    """White noise: the stated error is not below the filtered values' scatter (and within 1.3 x of it);
    noise shared by the window (blocks of 3 x 3 equal values): no reduction is claimed that did not happen."""
    rng = np.random.default_rng(5)
    s = np.full((240, 240), 3.0)
    f = adaptive_velocity_filter(rng.normal(0, 3, s.shape), s, window_px=3)
    actual, stated = np.std(f["velocity_mm_yr"]), np.sqrt(np.mean(f["velocity_std_mm_yr"] ** 2))
    assert actual < 0.45 * 3.0 and actual <= stated < 1.3 * actual
    shared = np.kron(rng.normal(0, 3, (80, 80)), np.ones((3, 3)))
    f = adaptive_velocity_filter(shared, s, window_px=3)
    assert np.median(f["velocity_std_mm_yr"]) > 0.9 * np.std(f["velocity_mm_yr"])


def test_off_missing_std_and_refusals():
    v = np.arange(20.0).reshape(4, 5)
    s = np.ones_like(v)
    s[1, 1] = np.nan
    off = adaptive_velocity_filter(v, s, window_px=0)
    assert np.array_equal(off["velocity_mm_yr"], v)
    on = adaptive_velocity_filter(v, s, window_px=3)
    assert on["velocity_mm_yr"][1, 1] == v[1, 1] and np.isnan(on["velocity_std_mm_yr"][1, 1])
    for bad in (2, 4, -1):
        with pytest.raises(GeohazardError, match="window_px"):
            adaptive_velocity_filter(v, s, window_px=bad)
    with pytest.raises(GeohazardError, match="weighting"):
        adaptive_velocity_filter(v, s, window_px=3, weighting="median")
    with pytest.raises(GeohazardError, match="one shape"):
        adaptive_velocity_filter(v, s[:2], window_px=3)


@pytest.mark.parametrize("rows", [1, 2, 7])
def test_block_layout_gives_the_same_bytes(rows):
    """The DEM-error block function with the filter, over row blocks read with the halo, equals one block."""
    rng = np.random.default_rng(3)
    n, h, w = 14, 23, 11
    dates = [np.datetime64("2021-01-01") + np.timedelta64(12 * i, "D") for i in range(n)]
    import datetime as dt

    dates = [dt.date.fromisoformat(str(d)) for d in dates]
    years = np.array([(d - dates[0]).days / 365.25 for d in dates])
    g = design_matrix(dates, rng.normal(0, 80, n), poly_order=1)
    series = rng.normal(-5, 3, (h, w))[None] * years[:, None, None] + rng.normal(0, 2, (n, h, w))
    series[:, 5, 3:6] = np.nan
    kw = dict(g=g, slant_range_m=850e3, incidence_deg=39.0, years=years, filter_window_px=5)
    whole = dem_error_engine_block(plan_blocks(h, w, block_rows=h)[0], {"series": series}, **kw)
    parts = {k: [] for k in ("velocity_mm_yr", "velocity_std_mm_yr", "velocity_unfiltered_mm_yr")}
    for b in plan_blocks(h, w, block_rows=rows, halo=filter_radius(5)):
        out = dem_error_engine_block(b, {"series": series[:, b.read0:b.read1]}, **kw)
        for k in parts:
            parts[k].append(out[k])
    for k, x in parts.items():
        assert np.concatenate(x).tobytes() == whole[k].tobytes(), k


def test_std_reduction_median():
    red = StdReduction()
    out = {"velocity_std_mm_yr": np.array([[0.5, 1.0, np.nan]]), "velocity_std_unfiltered_mm_yr": np.ones((1, 3))}
    red.add(None, out)
    red.add(None, {k: v * np.array([[2.0, 2.0, 2.0]]) for k, v in out.items()})
    assert red.median() == pytest.approx(0.5005)
    assert "50 % lower" in red.describe()
