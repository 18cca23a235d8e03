"""Displacement forecasts (algorithms/hazard/forecast.py) and the model fits they share with timeseriesmodels:
series made from each model with known parameters, the sigma's calibration on noisy realisations, the hold-out
RMSE against a hand computation, the model choice, refusals."""

import datetime as dt
import warnings

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.hazard import forecast as fc
from insar_geohazards.algorithms.models import timeseriesmodels as tsm
from insar_geohazards.algorithms.progress import NullProgress

DATES = [dt.date(2019, 1, 3) + dt.timedelta(days=12 * i) for i in range(90)]
ORIGIN = dt.date(2018, 12, 1)
TP = 30.0
FUTURE = [dt.date(2022, 6, 1), dt.date(2023, 1, 1)]
NOISE = 1.5


def truth(model, dates):
    """Each model with known parameters, written from its published form (not the code's design matrices)."""
    tau = np.array([(d - ORIGIN).days for d in dates], float)
    t = np.array([(d - DATES[0]).days for d in dates], float) / 365.25
    y = np.array([(d - dt.date(d.year, 1, 1)).days for d in dates], float) / 365.25
    return {"linear": 1.0 - 8.0 * t,
            "annual": 2.0 - 10.0 * t + 6.0 * np.sin(2 * np.pi * y) - 4.0 * np.cos(2 * np.pi * y),
            "quadratic": 1.0 - 5.0 * t - 0.5 * 8.0 * t ** 2,
            "logcreep": 3.0 - 15.0 * np.log(1.0 + tau / 40.0) - 4.0 * tau / 365.25,
            "consolidation": -30.0 * np.log10(tau / TP),
            "expdecay": -40.0 * (1.0 - np.exp(-tau / 250.0))}[model]


def noisy(model, m, seed):
    rng = np.random.default_rng(seed)
    return truth(model, DATES)[:, None] + rng.normal(0.0, NOISE, (len(DATES), m))


@pytest.mark.parametrize("model", fc.FORECAST_MODELS)
def test_forecast_of_each_model_is_within_its_sigma_and_the_sigma_is_calibrated(model):
    """On 400 noisy realisations of the model the forecast's error to the truth is small against the sigma, and a
    new noisy measurement falls within +-1 sigma of the forecast about 68 % of the time (the sigma is that of a
    future measurement)."""
    m = 400
    res = fc.forecast_series(noisy(model, m, 1), DATES, FUTURE, model=model, origin_date=ORIGIN,
                             primary_end_days=TP)
    exact = truth(model, FUTURE)[:, None]
    assert np.isfinite(res.value_mm).all() and (res.model_code == fc.FORECAST_MODELS.index(model) + 1).all()
    # the model's own error (no measurement noise) is within the parameters' part of the sigma
    assert np.median(np.abs(res.value_mm - exact)) < np.median(res.sigma_mm)
    new = exact + np.random.default_rng(2).normal(0.0, NOISE, (len(FUTURE), m))
    coverage = np.mean(np.abs(new - res.value_mm) < res.sigma_mm)
    assert 0.62 < coverage < 0.75, coverage
    # the sigma exceeds the noise (the parameters' part adds to it) and grows with the horizon
    assert (res.sigma_mm > NOISE * 0.8).mean() > 0.95
    assert np.median(res.sigma_mm[1]) >= np.median(res.sigma_mm[0])


def test_fitted_parameters_of_the_new_models_are_the_true_ones():
    """logcreep, expdecay and annual recover their parameters within a few sigma; the time constants too."""
    for model, expected in (("logcreep", (3.0, -15.0, -4.0, 40.0)), ("expdecay", (0.0, -40.0, 250.0)),
                            ("annual", (2.0, -10.0, 6.0, -4.0))):
        fit = tsm.fit_model(noisy(model, 200, 3), DATES, model, origin_date=ORIGIN)
        med = np.median(fit.params, axis=0)
        sd = np.median(fit.stdev, axis=0)
        assert np.all(np.abs(med - expected) < 3 * sd / np.sqrt(200) + 1e-6 + 0.02 * np.abs(expected)), (model, med)
        # the covariance's diagonal is the stdev squared
        assert np.allclose(np.sqrt(np.diagonal(fit.cov, axis1=1, axis2=2)), fit.stdev, equal_nan=True)


def test_prediction_sigma_of_a_line_is_the_textbook_formula():
    """Linear regression: var(y_new) = s^2 (1 + 1/n + (x0 - xbar)^2 / Sxx) (e.g. Draper & Smith, Applied
    Regression Analysis, 3rd ed., eq. 3.1.8 plus the new observation's variance). Residuals that alternate in sign
    (no positive lag-1 correlation, so no AR(1) inflation) and a rolling origin whose errors are within the sigma
    (calibration factor 1): the calibrated sigma is the textbook one."""
    d = truth("linear", DATES) + np.where(np.arange(len(DATES)) % 2, 1.5, -1.5)
    res = fc.forecast_series(d, DATES, FUTURE, model="linear")
    x = np.array([(q - DATES[0]).days for q in DATES]) / 365.25
    x0 = np.array([(q - DATES[0]).days for q in FUTURE]) / 365.25
    slope, icept = np.polyfit(x, d, 1)
    s2 = np.sum((d - (icept + slope * x)) ** 2) / (x.size - 2)
    sxx = np.sum((x - x.mean()) ** 2)
    expected = np.sqrt(s2 * (1 + 1 / x.size + (x0 - x.mean()) ** 2 / sxx))
    assert np.allclose(res.sigma_mm[:, 0], expected, rtol=1e-9)
    assert np.allclose(res.value_mm[:, 0], icept + slope * x0, rtol=1e-9)


def test_ar1_inflation_is_the_textbook_factor_and_widens_the_sigma():
    """(1 + phi) / (1 - phi) with phi the lag-1 autocorrelation (numpy's by hand); AR(1) noise of phi 0.8 gives a
    wider sigma than white noise of the same variance, and its forecasts' 2-sigma interval covers a new
    realisation of the process about 95 % of the time."""
    rng = np.random.default_rng(21)
    r = rng.normal(size=(90, 3))
    r[1:, 1] += 0.9 * r[:-1, 1]
    phi = np.sum(r[1:] * r[:-1], axis=0) / np.sum(r * r, axis=0)
    expected = (1 + np.clip(phi, 0, fc.PHI_MAX)) / (1 - np.clip(phi, 0, fc.PHI_MAX))
    assert np.allclose(fc.ar1_inflation(r), expected, rtol=1e-12)
    m, n_all = 300, len(DATES) + 30
    noise = np.zeros((n_all, m))
    noise[0] = rng.normal(0, 2.0, m)
    for i in range(1, n_all):
        noise[i] = 0.8 * noise[i - 1] + rng.normal(0, 2.0 * np.sqrt(1 - 0.64), m)
    dates = [DATES[0] + dt.timedelta(days=12 * i) for i in range(n_all)]
    d = truth("linear", dates)[:, None] + noise
    future = dates[len(DATES):]
    ar = fc.forecast_series(d[:len(DATES)], DATES, future, model="linear")
    white = fc.forecast_series(truth("linear", DATES)[:, None] + rng.normal(0, 2.0, (len(DATES), m)), DATES,
                               future, model="linear")
    assert np.median(ar.sigma_mm) > 1.05 * np.median(white.sigma_mm)
    coverage = np.mean(np.abs(d[len(DATES):] - ar.value_mm) <= 2 * ar.sigma_mm)
    assert 0.85 <= coverage <= 0.995, coverage


def test_rolling_origin_coverage_is_counted_by_hand():
    """The rolling origins spread over the last half of the dates; a fixed model's coverage counts every held-out
    value of every origin once, and on white noise about 95 % of them fall within 2 sigma."""
    assert fc.rolling_origins(90, 4) == [45, 56, 67, 78, 89]
    assert fc.rolling_origins(10, 4) == [5, 6, 7, 8, 9]
    assert fc.rolling_origins(5, 4) == [4] and fc.rolling_origins(4, 4) == []
    res = fc.forecast_series(noisy("linear", 200, 22), DATES, FUTURE, model="linear")
    assert (res.coverage_count == sum(90 - o for o in fc.rolling_origins(90, 4))).all()
    share = fc.coverage_share(res.coverage_hits.sum(), res.coverage_count.sum())
    assert 0.92 <= share <= 0.99, share
    assert np.isnan(fc.coverage_share(0.0, 0.0))


def test_walk_rate_is_a_slope_through_zero_and_widens_the_sigma_of_a_random_walk(monkeypatch):
    """The random-walk rate is numpy's least squares of ``e^2 - k2 s^2`` on the horizon through zero (0 where
    negative); on a line plus a random walk (0.8 mm a step) cut at 70 %, the sigma with it covers more of the
    future than without it, and at least 85 % of it within 2 sigma."""
    rng = np.random.default_rng(5)
    h = rng.uniform(12, 400, (30, 4))
    e2 = rng.gamma(1.0, 4.0, (30, 4)) + 0.05 * h * np.array([1.0, 0.0, 2.0, 0.5])
    s2 = rng.uniform(1.0, 3.0, (30, 4))
    k2 = np.array([1.0, 3.0, 1.5, 1.2])
    got = fc._walk_rate((h * e2).sum(0), (h * s2).sum(0), (h * h).sum(0), k2)
    for j in range(4):
        slope = np.linalg.lstsq(h[:, j:j + 1], e2[:, j] - k2[j] * s2[:, j], rcond=None)[0][0]
        assert got[j] == pytest.approx(max(slope, 0.0), rel=1e-10)
    m, k = 300, 63
    t = np.arange(len(DATES)) * 12 / 365.25
    d = -8 * t[:, None] + np.cumsum(rng.normal(0, 0.8, (len(DATES), m)), axis=0) + rng.normal(0, 1.0, (len(DATES), m))

    def coverage():
        res = fc.forecast_series(d[:k], DATES[:k], DATES[k:], model="linear")
        return np.mean(np.abs(d[k:] - res.value_mm) <= 2 * res.sigma_mm)

    with_walk = coverage()
    monkeypatch.setattr(fc, "_walk_rate", lambda he2, hs2, hh, k2: np.zeros_like(he2))
    assert with_walk > coverage() and with_walk >= 0.85, with_walk


def test_the_line_is_kept_on_correlated_noise_and_on_a_short_series():
    """A line with random-walk or AR(1) noise: the default keeps the line for most series (a curve follows the last
    wiggle); a 16-date, 180-day series of a strong acceleration keeps the line (too short to show a curvature)."""
    rng = np.random.default_rng(23)
    m = 200
    t = np.arange(len(DATES)) * 12 / 365.25
    walk = np.cumsum(rng.normal(0, 0.6, (len(DATES), m)), axis=0)
    res = fc.forecast_series(-8 * t[:, None] + walk, DATES, FUTURE)
    assert np.mean(res.model_code == 1) > 0.75, np.bincount(res.model_code, minlength=7)
    short = DATES[:16]
    ts = t[:16]
    d = (-5 * ts - 200 * ts ** 2)[:, None] + rng.normal(0, 0.5, (16, 50))
    res = fc.forecast_series(d, short, [short[-1] + dt.timedelta(days=60)])
    assert (res.model_code == 1).all()


def test_holdout_rmse_is_the_hand_computed_one():
    """The model fitted on the first 80 dates by numpy's polyfit, predicted on the last 10: the RMSE over both
    series and those dates; the forecast itself comes from the fit on all 90 dates."""
    d = noisy("quadratic", 2, 5)
    d[85, 1] = np.nan  # a gap among the held-out dates: not counted
    res = fc.forecast_series(d, DATES, FUTURE, model="linear", holdout=10)
    x = np.array([(q - DATES[0]).days for q in DATES]) / 365.25
    sq = []
    for j in range(2):
        coef = np.polyfit(x[:80], d[:80, j], 1)
        err = d[80:, j] - np.polyval(coef, x[80:])
        sq.extend(err[np.isfinite(err)] ** 2)
    assert res.holdout_count.sum() == 19
    rmse = fc.holdout_rmse(res.holdout_sse.sum(), res.holdout_count.sum())
    assert rmse == pytest.approx(np.sqrt(np.mean(sq)), rel=1e-10)
    full = np.polyfit(x, d[:, 0], 1)
    x0 = np.array([(q - DATES[0]).days for q in FUTURE]) / 365.25
    assert np.allclose(res.value_mm[:, 0], np.polyval(full, x0), rtol=1e-9)


@pytest.mark.parametrize("model", fc.FORECAST_MODELS)
def test_the_default_picks_the_true_model_on_clean_ish_series(model):
    """90 dates of each model with 1.5 mm white noise: the model itself is chosen for most series (the line is
    preferred unless another model predicts the rolling-origin hold-out clearly better)."""
    res = fc.forecast_series(noisy(model, 100, 6), DATES, FUTURE, model=fc.BEST, origin_date=ORIGIN,
                             primary_end_days=TP)
    share = np.mean(res.model_code == fc.FORECAST_MODELS.index(model) + 1)
    assert share > 0.7, (model, np.bincount(res.model_code, minlength=7))


def test_thickness_keeps_the_forecast_gives_c_alpha_and_removes_consolidation_where_missing():
    d = noisy("consolidation", 3, 7)
    h = np.array([20.0, np.nan, 10.0])
    with_h = fc.forecast_series(d, DATES, FUTURE, model="consolidation", origin_date=ORIGIN, primary_end_days=TP,
                                thickness_m=h)
    without = fc.forecast_series(d, DATES, FUTURE, model="consolidation", origin_date=ORIGIN, primary_end_days=TP)
    assert np.array_equal(with_h.value_mm[:, [0, 2]], without.value_mm[:, [0, 2]])
    assert np.isnan(with_h.value_mm[:, 1]).all() and with_h.model_code[1] == 0
    k = tsm.fit_model(d, DATES, "consolidation", origin_date=ORIGIN, primary_end_days=TP).param("rate_mm_per_decade")
    assert with_h.c_alpha[0] == pytest.approx(-k[0] / (1000 * 20.0))
    assert with_h.c_alpha[2] == pytest.approx(-k[2] / (1000 * 10.0))


def test_too_short_series_and_dates_inside_the_series_are_refused():
    short = DATES[:5]
    with pytest.raises(GeohazardError, match="quadratic model needs at least 5"):
        fc.check_series_length(4, "quadratic", 0)
    with pytest.raises(GeohazardError, match="before the 3 held out"):
        fc.forecast_series(np.zeros((5, 1)), short, FUTURE, model="linear", holdout=3)
    with pytest.raises(GeohazardError, match="even the linear model"):
        fc.check_series_length(3, fc.BEST, 0)
    assert fc.check_series_length(5, fc.BEST, 0) == ["linear", "quadratic", "consolidation", "expdecay"]
    with pytest.raises(GeohazardError, match="not after the last date"):
        fc.forecast_dates_of("2020-01-01", DATES)
    with pytest.raises(GeohazardError, match="not after the last date"):
        fc.forecast_dates_of([DATES[-1]], DATES)
    with pytest.raises(GeohazardError, match="not a date"):
        fc.forecast_dates_of("2030-13-45", DATES)
    with pytest.raises(GeohazardError, match="at least one"):
        fc.forecast_dates_of(" , ", DATES)


def test_an_origin_date_on_or_after_the_first_date_is_refused():
    with pytest.raises(GeohazardError, match="ORIGIN_DATE 2019-02-01 is not before the first date"):
        fc.forecast_series(noisy("linear", 2, 1), DATES, FUTURE, origin_date=dt.date(2019, 2, 1))
    with pytest.raises(GeohazardError, match="not before the first date"):
        fc.check_origin(DATES[0], DATES, ["expdecay"])
    fc.check_origin(DATES[0], DATES, ["linear"])  # the line does not count time from it


def test_no_numpy_warning_on_gaps_empty_and_constant_series():
    d = noisy("linear", 4, 24)
    d[:, 1] = np.nan
    d[:, 2] = 5.0
    d[::2, 3] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = fc.forecast_series(d, DATES, FUTURE, origin_date=ORIGIN, holdout=5)
    assert res.model_code[1] == 0 and res.model_code[2] > 0


def test_a_far_horizon_is_warned_about():
    class Log(NullProgress):
        def __init__(self):
            self.warnings = []

        def push_warning(self, message):
            self.warnings.append(message)

    log = Log()
    assert fc.forecast_dates_of("2023-01-01, 2022-06-01", DATES, progress=log) == sorted(FUTURE)
    assert not log.warnings
    fc.forecast_dates_of("2040-01-01", DATES, progress=log)
    assert log.warnings and "extrapolated" in log.warnings[0]


def test_gaps_and_empty_series_and_inputs_not_mutated():
    d = noisy("linear", 3, 8)
    d[::3, 0] = np.nan
    d[:, 1] = np.nan
    d[:-3, 2] = np.nan  # three dates left: fewer than the linear model's four
    keep = d.copy()
    res = fc.forecast_series(d, DATES, FUTURE, model=fc.BEST)
    assert np.array_equal(d, keep, equal_nan=True)
    assert np.isfinite(res.value_mm[:, 0]).all() and res.model_code[0] > 0
    assert np.isnan(res.value_mm[:, 1:]).all() and (res.model_code[1:] == 0).all()


def test_raster_block_is_the_series_forecast_and_does_not_depend_on_the_block():
    class B:
        rows = 4

    cube = noisy("expdecay", 24, 9).reshape(len(DATES), 4, 6)
    opts = dict(model=fc.BEST, criterion="bic", origin_date=ORIGIN, primary_end_days=TP, holdout=5)
    whole = fc.forecast_raster_block(B, {"series": cube}, dates=DATES, forecast_dates=FUTURE, opts=opts)
    top = fc.forecast_raster_block(B, {"series": cube[:, :1]}, dates=DATES, forecast_dates=FUTURE, opts=opts)
    assert np.array_equal(whole["forecast"][:, :1], top["forecast"])
    assert np.array_equal(whole["sigma"][:, :1], top["sigma"])
    assert np.array_equal(whole["sse"][:1], top["sse"])
    assert np.array_equal(whole["cover_hits"][:1], top["cover_hits"])
    assert np.array_equal(whole["cover_count"][:1], top["cover_count"])
    assert whole["model"].dtype == np.uint8 and whole["forecast"].shape == (2, 4, 6)


@pytest.mark.parametrize("model, seed", [("linear", 11), ("logcreep", 12), ("expdecay", 13), ("annual", 14)])
def test_irregular_sampling_gaps_and_heavy_tailed_noise(model, seed):
    """A world made apart from the fixtures above: 6-36 day gaps between acquisitions, 15 % of the values missing,
    Student-t noise (3 degrees of freedom, scaled to 1.5 mm): the forecast stays within 3 sigma of the truth for
    nearly every series and the hold-out RMSE is near the noise's own RMS."""
    rng = np.random.default_rng(seed)
    steps = rng.integers(6, 37, 70)
    dates = [dt.date(2019, 1, 3) + dt.timedelta(days=int(d)) for d in np.r_[0, np.cumsum(steps)]]
    future = [dates[-1] + dt.timedelta(days=200)]
    m = 150
    noise = rng.standard_t(3, (len(dates), m)) * 1.5 / np.sqrt(3.0)
    d = truth(model, dates)[:, None] + noise
    d[rng.random(d.shape) < 0.15] = np.nan
    res = fc.forecast_series(d, dates, future, model=model, origin_date=ORIGIN, holdout=8)
    err = np.abs(res.value_mm - truth(model, future)[:, None]) / res.sigma_mm
    assert np.mean(err < 3) > 0.95
    rmse = fc.holdout_rmse(res.holdout_sse.sum(), res.holdout_count.sum())
    held = noise[-8:][np.isfinite(d[-8:])]
    assert 0.8 * np.sqrt(np.mean(held ** 2)) < rmse < 1.6 * np.sqrt(np.mean(held ** 2))


def _line_with_steps(m, seed, *, n_steps=1, size=(3.0, 10.0), noise=1.5):
    """Lines of -15..+5 mm/yr with ``n_steps`` offsets at dates drawn away from the ends, white noise: the series,
    the noise-free truth and the offsets' dates."""
    rng = np.random.default_rng(seed)
    n = len(DATES)
    t = np.arange(n) * 12 / 365.25
    clean = rng.uniform(-2, 2, m)[None, :] + rng.uniform(-15, 5, m)[None, :] * t[:, None]
    at = np.sort(rng.integers(10, n - 10, (n_steps, m)), axis=0)
    for k in range(n_steps):
        clean = clean + (np.arange(n)[:, None] >= at[k][None, :]) * (rng.uniform(*size, m)
                                                                     * rng.choice([-1, 1], m))[None, :]
    return clean + rng.normal(0.0, noise, (n, m)), clean, at


def test_step_scan_of_white_series_finds_the_least_squares_offset_of_a_brute_force_search():
    """One offset per series, with gaps, noise taken as white: the scan's date is that of numpy's lstsq of
    ``[1, t, H(t >= t_k)]`` at every allowed date, the best kept (an independent search over all dates); the
    forecast of the line with it is that lstsq's line continued with the offset in place."""
    from insar_geohazards.algorithms.hazard.forecast_noise import gaps_of
    from insar_geohazards.algorithms.hazard.forecast_steps import step_scan

    d, _, at = _line_with_steps(12, 31, n_steps=1)
    d[[5, 40, 41, 77], 3] = np.nan
    d[50:53, 7] = np.nan
    x = np.array([(q - DATES[0]).days for q in DATES]) / 365.25
    days = x * 365.25
    steps = step_scan(d, days, gaps_of(d, days), np.zeros(12), max_steps=1)
    xf = np.array([(q - DATES[0]).days for q in FUTURE]) / 365.25
    _, value, _ = fc._line_steps(d, DATES, steps, FUTURE, gaps_of(d, days), "bic")
    for j in range(d.shape[1]):
        ok = np.isfinite(d[:, j])
        best = (np.inf, None, None)
        for k in range(len(DATES)):
            h = (np.arange(len(DATES)) >= k).astype(float)
            if not ok[k] or h[ok].sum() < 3 or (1 - h)[ok].sum() < 3:
                continue
            g = np.column_stack([np.ones(ok.sum()), x[ok], h[ok]])
            coef, rss, *_ = np.linalg.lstsq(g, d[ok, j], rcond=None)
            if rss[0] < best[0]:
                best = (rss[0], k, coef)
        assert steps.count[j] == 1 and steps.at[0, j] == best[1]
        assert abs(best[1] - at[0, j]) <= 1  # the true date, within a sampling interval
        coef = best[2]
        assert np.allclose(value[:, j], coef[0] + coef[1] * xf + coef[2], rtol=1e-9, atol=1e-9)


def test_offsets_are_found_in_few_series_of_lines_with_ar1_noise():
    """Lines with AR(1) noise of a correlation drawn in 0..0.95 (90 dates): offsets found (and used) in at most
    2 % of the series, and the line chosen for nearly all."""
    rng = np.random.default_rng(32)
    m, n = 400, len(DATES)
    phi = rng.uniform(0.0, 0.95, m)
    e = np.zeros((n, m))
    e[0] = rng.normal(0.0, 2.0, m)
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal(0.0, 2.0 * np.sqrt(1 - phi * phi), m)
    t = np.arange(n) * 12 / 365.25
    res = fc.forecast_series(rng.uniform(-15, 5, m)[None, :] * t[:, None] + e, DATES, FUTURE)
    assert np.mean(res.steps_count > 0) <= 0.02, np.mean(res.steps_count > 0)
    assert np.mean(res.steps_used) <= np.mean(res.steps_count > 0)
    assert np.mean(res.model_code == 3) < 0.05 and np.mean(res.model_code == 1) > 0.9, np.bincount(res.model_code)


def _true_at(seed, m, n_steps=2):
    return _line_with_steps(m, seed, n_steps=n_steps)[2]


def test_offsets_before_the_last_date_neither_bend_a_curve_nor_bias_the_forecast():
    """Lines with two offsets of 3-10 mm before the last date: the default keeps the line for nearly every series
    and forecasts from the level after the offsets, nearer the truth than the plain line (MODEL 1), with a
    sigma that covers it."""
    d, clean, _ = _line_with_steps(200, 33, n_steps=2)
    best = fc.forecast_series(d, DATES, FUTURE)
    line = fc.forecast_series(d, DATES, FUTURE, model="linear")
    # the truth at the forecast dates: the line continued from the last date with every offset in place
    slope = (clean[-1] - clean[-2]) / (12 / 365.25)
    tf = np.array([(q - DATES[-1]).days for q in FUTURE]) / 365.25
    true = clean[-1][None, :] + slope[None, :] * tf[:, None]
    assert np.mean(best.model_code == 1) >= 0.95, np.bincount(best.model_code, minlength=7)
    # the outputs say it: offsets found and used where the line with them was chosen, their dates near the true ones
    found = best.steps_used
    assert found.mean() >= 0.85 and (best.steps_count[found] >= 1).all() and (best.model_code[found] == 1).all()
    two = found & (best.steps_count == 2)
    assert np.mean(np.abs(np.sort(best.steps_at[:2, two], axis=0) - np.sort(_true_at(33, 200), axis=0)[:, two])
                   <= 1) >= 0.9
    rmse = np.sqrt(np.mean((best.value_mm - true) ** 2))
    rmse_line = np.sqrt(np.mean((line.value_mm - true) ** 2))
    assert rmse < 0.75 * rmse_line, (rmse, rmse_line)  # 3.2 against 5.0 mm
    assert np.mean(np.abs(best.value_mm - true) <= 2 * best.sigma_mm) >= 0.9


def test_steps_keep_the_same_bytes_whatever_the_block():
    """Series with offsets and gaps in one block or split: the same forecast, sigma and model."""
    d, _, _ = _line_with_steps(24, 34, n_steps=2)
    d[3:9, 5] = np.nan
    opts = dict(model=fc.BEST, criterion="bic", origin_date=None, primary_end_days=None, holdout=5)
    whole = fc.forecast_raster_block(None, {"series": d.reshape(len(DATES), 4, 6)}, dates=DATES,
                                     forecast_dates=FUTURE, opts=opts)
    for r in range(4):
        part = fc.forecast_raster_block(None, {"series": d[:, 6 * r:6 * r + 6].reshape(len(DATES), 1, 6)},
                                        dates=DATES, forecast_dates=FUTURE, opts=opts)
        for key in ("forecast", "sigma"):
            assert np.array_equal(whole[key][:, r:r + 1], part[key])
        assert np.array_equal(whole["model"][r:r + 1], part["model"])
