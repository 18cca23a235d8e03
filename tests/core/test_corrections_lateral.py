"""Phase-elevation with a slope that varies across the scene (lateral humidity gradients), how far the data resolve
it (two halves of the scene fitted apart), and the per-date limit of the ramp removal about the dates' median.

The delay model behind the lateral terms: the zenith wet delay above a point decays with height as
``Zw(x, y, t) exp(-h / H)`` (scale height of 1-3 km; Hanssen 2001, doi:10.1007/0-306-47633-9, ch. 4) and its size
changes across a scene from one date to the next, so the phase-elevation slope of a date follows the lateral
gradient (Doin et al. 2009, doi:10.1016/j.jappgeo.2009.03.010: the phase-elevation relation varies in space and
time)."""

from __future__ import annotations

import numpy as np
import pytest
from testutils_corrections import smooth_noise

from insar_geohazards.algorithms.corrections.ramp_limits import guarded_ramps
from insar_geohazards.algorithms.corrections.ramps import FitSums, ramp_normal_block, sum_rows
from insar_geohazards.algorithms.corrections.troposphere import (
    correct_phase_elevation,
    elevation_normal_block,
    filter_radius,
    guarded_elevation_per_date,
    half_coefficients,
    height_scaling,
    lateral_reliability,
    solve_elevation,
)
from insar_geohazards.algorithms.engine import Block, plan_blocks
from insar_geohazards.algorithms.errors import GeohazardError


def _stack(*, lateral: float, turb_mm: float, seed: int, shape=(80, 110), n_dates=16, relief=1500.0, turb_px=6.0):
    """Per date a wet delay ``Z(t) (1 + gx(t) x + gy(t) y) exp(-h / 2 km)`` (``g`` ~ N(0, lateral)), turbulence,
    3-neighbour pairs. Returns the interferograms (mm), the DEM, the per-date delay and the network indices."""
    rng = np.random.default_rng(seed)
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    x, y = 2 * xx / (w - 1) - 1, 2 * yy / (h - 1) - 1
    dem = 300 + relief * (0.5 + 0.25 * smooth_noise(rng, shape, 12) + 0.08 * smooth_noise(rng, shape, 2))
    z = 150.0 * np.exp(rng.normal(0, 0.3, n_dates))
    g = rng.normal(0, lateral, (n_dates, 2))
    delay = np.stack([-z[d] * (1 + g[d, 0] * x + g[d, 1] * y) * np.exp(-dem / 2000.0) for d in range(n_dates)])
    turb = np.stack([turb_mm * smooth_noise(rng, shape, turb_px) for _ in range(n_dates)])
    series = delay + turb
    pairs = [(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + 4))]
    ifg = np.stack([series[j] - series[i] for i, j in pairs])
    ref = np.array([i for i, _ in pairs])
    sec = np.array([j for _, j in pairs])
    years = np.arange(n_dates) * 24 / 365.25
    return ifg, dem, delay, (ref, sec, n_dates, None), years, pairs


def _left(corrected, ifg, delay, pairs):
    """RMS (mm) of what is left of the delay in the corrected interferograms, each less its best plane (the ramp
    removal that follows in a chain: the lateral gradient's part at the lowest height is a ramp)."""
    res = corrected - ifg + np.stack([delay[j] - delay[i] for i, j in pairs])
    m, h, w = res.shape
    yy, xx = np.mgrid[0:h, 0:w]
    g = np.column_stack([np.ones(h * w), xx.ravel(), yy.ravel()])
    r = res.reshape(m, -1).T
    return float(np.sqrt(np.mean((r - g @ np.linalg.lstsq(g, r, rcond=None)[0]) ** 2)))


def test_lateral_variation_removes_a_slope_that_changes_across_the_scene():
    ifg, dem, delay, per_date, years, pairs = _stack(lateral=0.15, turb_mm=1.0, seed=3)
    kw = dict(per_date=per_date, years=years, filter_px=3.0, z=2.0, min_pixels=50)
    plain, _ = correct_phase_elevation(ifg, dem, **kw)
    lat, _ = correct_phase_elevation(ifg, dem, lateral=True, **kw)
    before = _left(ifg, ifg, delay, pairs)
    assert _left(lat, ifg, delay, pairs) < 0.6 * _left(plain, ifg, delay, pairs) < 0.5 * before


def _shares(ifg, dem, per_date):
    h0, hs = height_scaling(dem.min(), dem.max())
    m, rows, cols = ifg.shape
    normals = sum_rows(elevation_normal_block(Block(0, 0, rows, 0, rows, rows, cols), {"stack": ifg, "dem": dem},
                                              h0=h0, hscale=hs, filter_px=3.0, lateral=True))
    names = [str(i) for i in range(m)]
    coef, _, _ = solve_elevation(normals, names=names, min_pixels=50)
    halves = half_coefficients(normals, names=names)
    return guarded_elevation_per_date(coef, per_date[0], per_date[1], np.arange(per_date[2]) / 15.0,
                                      halves=halves)[1].lateral_share


def test_an_unresolved_lateral_variation_is_left_out():
    """No lateral variation, strong short-scale noise: the halves disagree as much as the dates vary, the lateral
    terms are shrunk to (nearly) nothing and the result is the plain correction's; with a real one they are kept."""
    ifg, dem, delay, per_date, years, pairs = _stack(lateral=0.0, turb_mm=5.0, seed=5, relief=600.0, turb_px=1.5)
    shares = _shares(ifg, dem, per_date)
    assert shares.min() < 0.2
    kw = dict(per_date=per_date, years=years, filter_px=3.0, z=2.0, min_pixels=50)
    plain, _ = correct_phase_elevation(ifg, dem, **kw)
    lat, _ = correct_phase_elevation(ifg, dem, lateral=True, **kw)
    assert _left(lat, ifg, delay, pairs) <= 1.05 * _left(plain, ifg, delay, pairs)
    ifg2, dem2, _, per_date2, _, _ = _stack(lateral=0.15, turb_mm=1.0, seed=3)
    assert _shares(ifg2, dem2, per_date2).min() > 0.9


def test_lateral_reliability_is_the_signal_share():
    """Halves = signal + independent noise of variance 2 v each; the whole scene's estimate has noise v: with many
    dates (F quantile near 1) the share is var(signal) / (var(signal) + v); with pure noise it is 0 in 95 % of the
    cases whatever the number of dates (the F quantile of the variance ratio)."""
    from scipy.stats import f as f_dist

    rng = np.random.default_rng(0)
    n = 20000
    signal = rng.normal(0, 2.0, (n, 2))
    e1, e2 = rng.normal(0, np.sqrt(2.0), (2, n, 2))
    share = lateral_reliability(signal + (e1 + e2) / 2, signal + e1, signal + e2)
    q = f_dist.ppf(0.95, n - 1, n - 1)
    np.testing.assert_allclose(share, 1.0 - q * 1.0 / 5.0, atol=0.02)
    kept = []
    for seed in range(400):
        e1, e2 = np.random.default_rng(seed).normal(0, 1.0, (2, 16, 2))
        kept.append(lateral_reliability((e1 + e2) / 2, e1, e2) > 0)
    assert 0.02 < np.mean(kept) < 0.08
    # the quantile to the bit: few dates, where it matters most
    for m in (2, 3, 5, 16, 29):
        e1, e2 = np.random.default_rng(m).normal(0, 1.0, (2, m, 2))
        full = (e1 + e2) / 2 + np.random.default_rng(m + 100).normal(0, 3.0, (m, 2))
        q = f_dist.ppf(0.95, max(m - 1, 1), max(m - 1, 1))
        expected = np.clip(1.0 - q * (e1 - e2).var(axis=0) / 4.0 / full.var(axis=0), 0.0, 1.0)
        assert np.array_equal(lateral_reliability(full, e1, e2), expected)


def test_correction_tools_run_without_scipy_stats():
    """The trend guard's and the lateral share's quantiles come from scipy.special: a run of the troposphere or
    ramp steps never imports scipy.stats (0.1-0.3 CPU-s, more than a small stack's whole step)."""
    import os
    import subprocess
    import sys
    import textwrap

    plugins = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".build",
                           "plugins")
    code = textwrap.dedent("""
        import sys
        import numpy as np
        from insar_geohazards.algorithms.corrections.trend import split_trend
        from insar_geohazards.algorithms.corrections.troposphere import lateral_reliability
        rng = np.random.default_rng(1)
        split_trend(rng.normal(size=(12, 3)), np.arange(12) / 30.0, z=2.0)
        lateral_reliability(rng.normal(size=(12, 2)), rng.normal(size=(12, 2)), rng.normal(size=(12, 2)))
        print("scipy.stats" in sys.modules)
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": plugins})
    assert out.returncode == 0 and out.stdout.strip() == "False", (out.stdout, out.stderr)


def test_lateral_normals_do_not_depend_on_the_blocks():
    ifg, dem, *_ = _stack(lateral=0.1, turb_mm=1.0, seed=9, shape=(70, 60), n_dates=5)
    ifg[1, 10:14, 20:30] = np.nan
    h0, hs = height_scaling(dem.min(), dem.max())
    rows, cols = dem.shape
    kw = dict(h0=h0, hscale=hs, filter_px=3.0, lateral=True)
    whole = sum_rows(elevation_normal_block(Block(0, 0, rows, 0, rows, rows, cols), {"stack": ifg, "dem": dem}, **kw))
    assert whole["atb"].shape[-1] == 4 and (whole["n_a"] + whole["n_b"] == whole["n"]).all()
    for rows_per_block in (7, 16, 33):
        total = FitSums()
        for b in plan_blocks(rows, cols, halo=filter_radius(3.0), block_rows=rows_per_block):
            total(b, elevation_normal_block(b, {"stack": ifg[:, b.read0:b.read1], "dem": dem[b.read0:b.read1]}, **kw))
        for key, v in whole.items():  # the same bits for any block layout, halves included
            np.testing.assert_array_equal(total.result()[key], v)


def test_lateral_variation_refused_with_windows_or_without_dates():
    ifg, dem, _, per_date, years, _ = _stack(lateral=0.1, turb_mm=1.0, seed=1, shape=(40, 50), n_dates=6)
    with pytest.raises(GeohazardError, match="WINDOW"):
        correct_phase_elevation(ifg, dem, lateral=True, window=20, per_date=per_date, years=years, min_pixels=30)
    with pytest.raises(GeohazardError, match="per date"):
        correct_phase_elevation(ifg, dem, lateral=True, min_pixels=30)


def test_per_date_limit_is_about_the_dates_median_surface():
    """A steep ramp on the first date only: per date the surfaces are relative to the first date, so capping them
    as they are would cap every other date (the first date's ramp is in all of them); about the dates' median only
    the first date is capped."""
    rng = np.random.default_rng(4)
    rows, cols, n = 40, 60, 8
    yy, xx = np.mgrid[0:rows, 0:cols].astype(float)
    x = 2 * xx / (cols - 1) - 1
    series = np.stack([rng.normal(0, 0.3, (rows, cols)) + (40.0 * x if d == 0 else rng.normal(0, 1.0) * x)
                       for d in range(n)])
    pairs = [(i, j) for i in range(n) for j in range(i + 1, min(n, i + 3))]
    ifg = np.stack([series[j] - series[i] for i, j in pairs])
    normals = sum_rows(ramp_normal_block(Block(0, 0, rows, 0, rows, rows, cols), {"stack": ifg}, kind="linear",
                                         with_all=True))
    per_date = (np.array([i for i, _ in pairs]), np.array([j for _, j in pairs]), n, None)
    _, rep = guarded_ramps(normals, kind="linear", names=[str(k) for k in range(len(pairs))], shape=(rows, cols),
                           pixel_km=(0.1, 0.1), min_pixels=50, per_date=per_date, max_gradient_per_km=3.0)
    assert [c[0] for c in rep.capped] == ["date 0"]
