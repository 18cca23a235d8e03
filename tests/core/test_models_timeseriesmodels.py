"""Core: temporal models, model choice, breakpoints and the inverse-velocity forecast (no QGIS)."""

import datetime as dt

import numpy as np
import pytest
from testutils import RecordingProgress

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.models.inversevelocity import forecast_failure, smoothed_velocity
from insar_geohazards.algorithms.models.timeseriesmodels import (
    MODELS,
    PARAM_NAMES,
    TimeBase,
    design_matrix,
    fit_model,
    fit_models,
    information_criterion,
    predict,
    seasonal_amplitude,
)
from insar_geohazards.algorithms.timeseries.breakpoints import NO_BREAK, STEP, TREND_CHANGE, detect_breakpoints

DATES = [dt.date(2018, 1, 3) + dt.timedelta(days=12 * i) for i in range(100)]


def _series(model, truth, m=400, sigma=1.0, gaps=0.1, seed=0, **tb_kw):
    rng = np.random.default_rng(seed)
    tb = TimeBase(DATES, **tb_kw)
    clean = design_matrix(model, tb) @ np.asarray(truth, float)
    d = clean[:, None] + rng.normal(0.0, sigma, (len(DATES), m))
    d[rng.random(d.shape) < gaps] = np.nan
    return d


@pytest.mark.parametrize("model,truth", [
    ("linear", [3.0, -10.0]),
    ("seasonal", [1.0, -5.0, 3.0, -2.0, 1.0, 0.5]),
    ("quadratic", [0.0, -4.0, -6.0]),
    ("logarithmic", [0.0, -8.0, -3.0]),
    ("consolidation", [0.0, -12.0]),
])
def test_linear_models_recover_parameters_and_honest_uncertainties(model, truth):
    d = _series(model, truth)
    fit = fit_model(d, DATES, model)
    assert fit.param_names == PARAM_NAMES[model]
    m = d.shape[1]
    mean, spread, claimed = fit.params.mean(0), fit.params.std(0), np.median(fit.stdev, 0)
    # unbiased: the mean of m estimates lies within 4 standard errors of the truth
    assert np.all(np.abs(mean - truth) < 4 * spread / np.sqrt(m) + 1e-9), (mean, truth)
    # the reported 1-sigma matches the scatter of the estimates
    np.testing.assert_allclose(claimed, spread, rtol=0.2)
    np.testing.assert_allclose(np.median(fit.rms_mm), 1.0, rtol=0.1)


def test_afterslip_recovers_amplitude_and_time_constant():
    origin = dt.date(2017, 12, 20)
    tb = TimeBase(DATES, origin_date=origin)
    rng = np.random.default_rng(3)
    d = (2.0 + 25.0 * np.log10(1.0 + tb.tau_days / 40.0))[:, None] + rng.normal(0, 1.0, (100, 300))
    fit = fit_model(d, DATES, "afterslip", origin_date=origin)
    assert abs(np.median(fit.param("amplitude_mm")) - 25.0) < 0.5
    assert abs(np.median(fit.param("tau_days")) - 40.0) < 3.0
    np.testing.assert_allclose(np.median(fit.stdev[:, 2]), np.std(fit.param("tau_days")), rtol=0.3)


def test_small_case_matches_polyfit_and_input_not_mutated():
    dates = [dt.date(2020, 1, 1), dt.date(2020, 7, 1), dt.date(2021, 1, 1), dt.date(2021, 7, 2)]
    d = np.array([[0.0, 1.0], [-5.0, np.nan], [-9.0, 3.0], [-16.0, 4.5]])
    before = d.copy()
    fit = fit_model(d, dates, "linear")
    t = np.array([(x - dates[0]).days for x in dates]) / 365.25
    v0, a0 = np.polyfit(t, d[:, 0], 1)
    ok = np.isfinite(d[:, 1])
    v1, a1 = np.polyfit(t[ok], d[ok, 1], 1)
    np.testing.assert_allclose(fit.params, [[a0, v0], [a1, v1]], rtol=1e-10)
    np.testing.assert_array_equal(fit.n_used, [4, 3])
    np.testing.assert_array_equal(np.isnan(d), np.isnan(before))
    np.testing.assert_array_equal(d[np.isfinite(d)], before[np.isfinite(before)])


def test_model_choice_by_criterion_finds_the_true_model():
    for model, truth, minimum in [("linear", [0, -10.0], 0.85), ("seasonal", [0, -5, 4, -2, 0, 0], 0.95),
                                  ("quadratic", [0, -4, -6], 0.95)]:
        d = _series(model, truth, m=200, seed=7)
        sel = fit_models(d, DATES, models=("linear", "seasonal", "quadratic"), criterion="bic")
        share = np.mean(sel.best_name() == model)
        assert share >= minimum, (model, share)
    ic = information_criterion(np.array([10.0]), np.array([20]), 2, "aicc")
    np.testing.assert_allclose(ic, 20 * np.log(0.5) + 6 + 2 * 3 * 4 / 16)


def test_seasonal_amplitude_and_peak_day():
    tb = TimeBase(DATES)
    peak_doy = 200.0
    w = 2 * np.pi * tb.year_frac
    clean = 4.0 * np.cos(w - 2 * np.pi * (peak_doy - 1) / 365.25) - 3.0 * tb.t_yr
    fit = fit_model(clean[:, None] + np.random.default_rng(1).normal(0, 0.2, (100, 1)), DATES, "seasonal")
    amp, amp_sd, peak = seasonal_amplitude(fit)
    assert abs(amp[0] - 4.0) < 4 * amp_sd[0] + 0.05
    assert abs(peak[0] - peak_doy) < 5


def test_predict_reproduces_fitted_curve():
    d = _series("quadratic", [1.0, -4.0, -6.0], m=3, sigma=0.0, gaps=0.0)
    fit = fit_model(d, DATES, "quadratic")
    np.testing.assert_allclose(predict("quadratic", fit.params, DATES, TimeBase(DATES)), d, atol=1e-8)


def test_bad_inputs_give_clear_messages():
    five = DATES[:5]
    with pytest.raises(GeohazardError, match="seasonal model has 6 parameters and needs at least 7 dates, got 5"):
        fit_model(np.zeros(5), five, "seasonal")
    with pytest.raises(GeohazardError, match="strictly increasing.*2018-01-03 follows 2018-01-15"):
        fit_model(np.zeros(3), [DATES[0], DATES[1], DATES[0]], "linear")
    with pytest.raises(GeohazardError, match="unknown model 'cubic'"):
        fit_models(np.zeros((10, 1)), DATES[:10], models=("cubic",))
    with pytest.raises(GeohazardError, match="cannot read a date from 'VEL'"):
        fit_model(np.zeros(3), ["VEL", "D20200101", "D20200113"], "linear")
    with pytest.raises(GeohazardError, match="origin/event date 2018-02-01"):
        fit_model(np.zeros((10, 1)), DATES[:10], "logarithmic", origin_date=dt.date(2018, 2, 1))
    with pytest.raises(GeohazardError, match="has 9 dates but 10 dates"):
        fit_model(np.zeros((9, 2)), DATES[:10], "linear")
    with pytest.raises(GeohazardError, match="unknown criterion 'hqc'"):
        fit_models(np.zeros((10, 1)), DATES[:10], criterion="hqc")


def test_series_with_too_few_valid_dates_are_left_empty_and_reported():
    d = _series("linear", [0, 1.0], m=3, gaps=0.0)
    d[2:, 1] = np.nan
    log = RecordingProgress()
    fit = fit_model(d, DATES, "linear", progress=log)
    assert np.isnan(fit.params[1]).all() and np.isfinite(fit.params[[0, 2]]).all()
    assert log.warnings and "1 series have fewer than 3 valid dates" in log.warnings[0]


def test_breakpoints_find_steps_and_trend_changes_and_not_noise():
    rng = np.random.default_rng(11)
    dates = DATES[:80]
    t = np.arange(80) * 12 / 365.25
    d = (-5 * t)[:, None] + rng.normal(0, 1, (80, 300))
    d[40:, :100] -= 8.0
    d[:, 100:200] += (-10 * np.maximum(t - t[49], 0))[:, None]
    b = detect_breakpoints(d, dates)
    assert np.mean(b.kind[:100] == STEP) > 0.95
    assert np.median(b.index[:100]) == 40
    assert abs(np.nanmedian(b.step_mm[:100]) + 8.0) < 0.3
    assert np.mean(b.kind[100:200] == TREND_CHANGE) > 0.9
    assert abs(np.median(b.index[100:200]) - 50) <= 2
    assert abs(np.nanmedian(b.velocity_after_mm_yr[100:200]) + 15.0) < 1.0
    assert np.mean(b.kind[200:] == NO_BREAK) > 0.95
    with pytest.raises(GeohazardError, match="needs at least 10 dates"):
        detect_breakpoints(np.zeros((9, 1)), dates[:9])


def _voight(days, tf, a_coef):
    """Cumulative displacement of 1/v = A (tf - t) (alpha = 2), zero at t = 0, moving away (negative)."""
    return (1.0 / a_coef) * np.log((tf - days) / tf)


def test_inverse_velocity_forecast_lands_in_its_window():
    tf, a_coef = 400.0, 0.1826  # 5 mm/yr at t=0, ~66 mm/yr 30 days before failure
    days = np.arange(0, 372, 6.0)
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=int(x)) for x in days]
    rng = np.random.default_rng(5)
    d = _voight(days, tf, a_coef)[:, None] + rng.normal(0, 0.1, (len(days), 200))
    fc = forecast_failure(d, dates, smooth_window=5, fit_window=10)
    bounded = np.isfinite(fc.failure_low_day)
    assert bounded.mean() > 0.8
    inside = (fc.failure_low_day <= tf) & (tf <= fc.failure_high_day)
    assert inside[bounded].mean() > 0.9
    assert abs(np.median(fc.failure_day) - tf) < 10
    assert np.all(fc.direction == -1)
    # failure 34 days after the last acquisition: orange (<= 90 days) or red (<= 30 days)
    assert np.mean(fc.alert >= 2) > 0.9
    assert np.all(fc.alert[fc.slope_significant & (fc.failure_day - 366 <= 30)] == 3)
    assert fc.to_date(tf) == dt.date(2021, 2, 4)


def test_inverse_velocity_quiet_for_steady_or_noisy_motion():
    days = np.arange(0, 600, 12.0)
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=int(x)) for x in days]
    rng = np.random.default_rng(2)
    d = (-20 * days / 365.25)[:, None] + rng.normal(0, 1.0, (len(days), 300))
    fc = forecast_failure(d, dates)
    assert np.mean(fc.alert > 0) < 0.05
    t, v = smoothed_velocity(d[:, :1], days, window=5)
    assert abs(np.nanmedian(v) * 365.25 + 20) < 3


def test_inverse_velocity_bad_parameters():
    dates = DATES[:20]
    with pytest.raises(GeohazardError, match="red_days \\(100\\) must not exceed orange_days \\(90"):
        forecast_failure(np.zeros(20), dates, red_days=100)
    with pytest.raises(GeohazardError, match="smooth_window must be >= 3"):
        forecast_failure(np.zeros(20), dates, smooth_window=2)
    with pytest.raises(GeohazardError, match="the series has 4 dates, fewer than the smoothing window of 5"):
        forecast_failure(np.zeros(4), dates[:4])
    with pytest.raises(GeohazardError, match="confidence must be between 0 and 1"):
        forecast_failure(np.zeros(20), dates, confidence=95)


def test_every_model_has_parameter_names():
    from insar_geohazards.algorithms.models.timeseriesmodels import ALL_MODELS, FORECAST_ONLY

    assert set(PARAM_NAMES) == set(ALL_MODELS) == set(MODELS) | set(FORECAST_ONLY)
    assert not set(MODELS) & set(FORECAST_ONLY)  # timeseriesmodels' menu and its stored codes stay as they were
