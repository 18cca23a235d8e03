"""Core: the acceleration test the inverse-velocity alerts rest on (no QGIS)."""

import numpy as np
import pytest
from scipy import stats

from insar_geohazards.algorithms.timeseries.acceleration import NOISE_FLOOR_MM, acceleration_test

DAYS = np.arange(0.0, 366.0, 6.0)


def _onsets(m, *days):
    return np.tile(np.array(days, float)[:, None], (1, m))


def test_one_onset_is_the_one_sided_f_test_of_nested_least_squares():
    """The statistic is the one-sided form of the nested-model F test (Berti et al. 2013, doi:10.5194/nhess-13-
    1945-2013; Bovenga et al. 2021, doi:10.3390/rs13122302), computed here independently with numpy's lstsq for
    both models and scipy's F distribution: T^2 = F and p = P(F_{1,n-p} > F) / 2 when the acceleration is along
    the motion. Two years: the annual terms are in both models."""
    rng = np.random.default_rng(3)
    days = np.arange(0.0, 731.0, 12.0)
    onset = 500.0
    t = days / 365.25
    h = 0.5 * (np.maximum(days - onset, 0.0) / 365.25) ** 2
    d = -20.0 * t - 100.0 * h + 4.0 * np.sin(2 * np.pi * t + 1.0) + rng.normal(0, 2.0, days.size)
    d[[5, 17]] = np.nan
    r = acceleration_test(d[:, None], days, np.array([-1.0]), _onsets(1, onset), autocorrelation=False)
    ok = np.isfinite(d)
    g0 = np.column_stack([np.ones(ok.sum()), t[ok], np.sin(2 * np.pi * t[ok]), np.cos(2 * np.pi * t[ok])])
    g1 = np.column_stack([g0, h[ok]])
    rss0 = np.linalg.lstsq(g0, d[ok], rcond=None)[1][0]
    beta1, rss1 = np.linalg.lstsq(g1, d[ok], rcond=None)[:2]
    dof = ok.sum() - 5
    f = (rss0 - rss1[0]) / (rss1[0] / dof)
    assert r.seasonal[0] and r.n_onsets[0] == 1
    assert r.t_stat[0] ** 2 == pytest.approx(f, rel=1e-8)
    assert r.p_value[0] == pytest.approx(stats.f.sf(f, 1, dof) / 2.0, rel=1e-6)
    assert r.acceleration_mm_yr2[0] == pytest.approx(-beta1[4], rel=1e-8)  # along the motion (away: -1)
    assert r.noise_mm[0] == pytest.approx(np.sqrt(rss1[0] / dof), rel=1e-8)
    # the trend velocity at the last date: v + c (t_last - t_w), along the motion
    assert r.velocity_end_mm_yr[0] == pytest.approx(-(beta1[1] + beta1[4] * (t[-1] - onset / 365.25)), rel=1e-8)


def test_steady_series_pass_at_the_nominal_rate_and_accelerating_ones_are_found():
    """White noise around a line: the Bonferroni p-values over three onsets pass a level no more often than the
    level says; a Voight (1988) alpha = 2 acceleration well above the noise passes nearly always."""
    rng = np.random.default_rng(7)
    m = 4000
    v = -rng.uniform(5, 100, m)
    d = v[None, :] * DAYS[:, None] / 365.25 + rng.normal(0, 3.0, (DAYS.size, m))
    sign = np.full(m, -1.0)
    onsets = _onsets(m, 0.0, 150.0, 300.0)
    r = acceleration_test(d, DAYS, sign, onsets)
    for level in (0.05, 0.01):
        rate = np.mean(r.p_value < level)
        assert rate <= level + 3 * np.sqrt(level / m), (level, rate)
    assert np.mean(r.p_value < 0.05) > 0.01  # not blind either
    # Voight alpha = 2, failure 20 days after the last date, 200 mm/yr 30 days before failure
    tf = DAYS[-1] + 20.0
    acc = -(200.0 / 365.25) * 30.0 * np.log(tf / (tf - DAYS))
    r = acceleration_test(acc[:, None] + rng.normal(0, 3.0, (DAYS.size, 500)), DAYS, np.full(500, -1.0),
                          _onsets(500, 0.0, 150.0, 300.0))
    assert np.mean(r.p_value < 1e-3) > 0.95
    assert np.all(r.acceleration_mm_yr2 > 0)
    assert r.step_like.mean() < 0.05 and np.mean(r.seasonal_dbic < 2.0) < 0.1


def test_a_step_is_a_step_and_an_annual_cycle_over_half_a_year_is_seasonal():
    """One unwrapping error of half the C-band wavelength (27.7 mm) makes a line look accelerating; the step model
    explains it better. Over nine months an annual cycle is not in the models, but it fits better than the
    acceleration it fakes (over six months a crest and a parabola are too alike: docs/models.md)."""
    rng = np.random.default_rng(11)
    m = 300
    t = DAYS / 365.25
    d = -30.0 * t[:, None] + np.where(DAYS[:, None] >= 330.0, -27.7, 0.0) + rng.normal(0, 2.0, (DAYS.size, m))
    r = acceleration_test(d, DAYS, np.full(m, -1.0), _onsets(m, 0.0, 150.0, 300.0))
    significant = r.p_value < 1e-3
    assert significant.all()  # a late jump bends the quadratic every time
    assert r.step_like.all()
    nine = DAYS[DAYS <= 270]
    # a crest of the annual cycle early in nine months: the downward motion speeds up after it
    d = (-10.0 * nine / 365.25 + 12.0 * np.cos(2 * np.pi * (nine / 365.25 - 0.25)))[:, None] \
        + rng.normal(0, 1.0, (nine.size, m))
    r = acceleration_test(d, nine, np.full(m, -1.0), _onsets(m, 0.0, 100.0, 190.0))
    significant = r.p_value < 1e-3
    assert significant.mean() > 0.9 and not r.seasonal.any()
    assert np.all(r.seasonal_dbic[significant] < 0)


def test_annual_terms_over_a_year_keep_seasonal_motion_quiet():
    rng = np.random.default_rng(5)
    days = np.arange(0.0, 3 * 365.25, 12.0)
    m = 1000
    phase = rng.uniform(0, 2 * np.pi, m)
    d = (-20.0 * days[:, None] / 365.25 + 10.0 * np.sin(2 * np.pi * days[:, None] / 365.25 + phase[None, :])
         + rng.normal(0, 2.0, (days.size, m)))
    r = acceleration_test(d, days, np.full(m, -1.0), _onsets(m, 0.0, 500.0, 900.0))
    assert r.seasonal.all()
    assert np.mean(r.p_value < 1e-3) < 0.005


def test_gaps_exact_series_and_inputs_not_mutated():
    """Series without a fit get NaN; an exact line is not 'significant' by round-off (noise floor)."""
    m = 4
    d = np.column_stack([-0.02 * DAYS, np.full(DAYS.size, np.nan), np.where(DAYS < 340, np.nan, 1.0),
                         -0.02 * DAYS + 1e-4 * (DAYS / 365.25) ** 2])
    before = d.copy()
    r = acceleration_test(d, DAYS, np.full(m, -1.0), _onsets(m, 0.0, 300.0))
    np.testing.assert_array_equal(d, before)
    assert np.isnan(r.p_value[1]) and np.isnan(r.p_value[2])
    assert r.p_value[0] > 0.1 and r.p_value[3] > 0.1
    assert r.noise_mm[0] == NOISE_FLOOR_MM
    assert r.velocity_mm_yr[0] == pytest.approx(0.02 * 365.25)
    # an exact quadratic: a clear acceleration, neither a step nor an annual cycle (misfits compared above the floor)
    exact = (-0.02 * DAYS - 2e-4 * DAYS ** 2)[:, None]
    r = acceleration_test(exact, DAYS, np.array([-1.0]), _onsets(1, 0.0, 300.0))
    assert r.p_value[0] < 1e-12 and not r.step_like[0] and r.seasonal_dbic[0] > 2.0
    assert r.acceleration_mm_yr2[0] == pytest.approx(4e-4 * 365.25 ** 2, rel=1e-6)
