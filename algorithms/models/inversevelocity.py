"""Inverse-velocity failure-time forecast (Fukuzono 1985; Voight 1988).

Before a slope fails by tertiary creep the velocity grows as ``dv/dt = A v^alpha``; for
``alpha = 2`` (the usual case) the inverse velocity falls linearly with time and reaches
zero at the failure time::

    1 / v(t) = A (t_f - t)

Steps, vectorised over all series:

1. Smoothed velocity: slope of a local straight-line fit over ``smooth_window``
   consecutive acquisitions (a Savitzky-Golay derivative that accepts uneven sampling
   and gaps), placed at the mean time of the window; velocities are taken along the
   main direction of motion (sign of the net displacement), so both toward- and
   away-from-satellite movements accelerate "positively".
2. Straight line ``1/v = b + a t`` fitted by least squares on the last ``fit_window``
   smoothed velocities (non-positive velocities are left out).
3. Forecast ``t_f = -b / a`` when ``a < 0``; its confidence window is the set of times
   where zero lies inside the confidence band of the fitted line (inverse prediction,
   Fieller's method), with the residual variance inflated for the serial correlation of
   overlapping smoothing windows. When the slope is not significant there is no window.
4. The alert rests on the displacement, not on the 1/v line: a noisy 1/v trend through a
   handful of overlapping smoothed velocities crosses zero by chance, and the regression's own
   standard errors do not know the overlap. :func:`acceleration.acceleration_test` asks whether
   the displacement bends away from a steady trend (with annual terms over 540 days or more) from
   the start of the forecast window, half-way to it or the first date, more than its own noise
   allows (one-sided F test, ``p < significance`` after Bonferroni over the onsets), and is not
   better explained by one step (an unwrapping error) nor, over shorter series, by an annual cycle.
   The trend velocity at the last valid date must also exceed ``min_velocity_mm_yr`` by the
   test's margin (a significant but negligible bend of a still point is no warning).
5. Levels, in order: ``no data`` (fewer than 3 smoothed velocities in the fit window) and
   ``not judged`` (fewer valid dates than the forecast window) are IV_ALERT -1. A significant
   acceleration fast enough is ``passed`` (-2) when
   ``t_f`` is before the reference date or the last valid date (the data or the slope have
   changed: check them), ``red`` (3) / ``orange`` (2) when ``t_f - now <= red_days`` /
   ``orange_days``, ``yellow`` (1) otherwise or without a usable 1/v trend. Every other series
   is ``none`` (0) when slower than ``min_velocity_mm_yr`` over the series or when the test
   would have seen a slope that accelerates from the window start at the series' velocity
   and fails ``orange_days`` after the reference date (expected statistic above the
   threshold), else ``not judged`` (-1): too noisy for its motion. A significant bend that an annual
   cycle fits better or about as well over less than 540 days is ``not judged``, never ``none``: a cycle not
   seen repeating cannot rule out the acceleration (six months of a slope failing a month after the last date
   were ``none`` in 27 % of the series).

References
----------
Fukuzono T. (1985), A new method for predicting the failure time of a slope, Proc. 4th
Int. Conf. and Field Workshop on Landslides, Tokyo, 145-150.
Voight B. (1988), A method for prediction of volcanic eruptions, Nature 332, 125-130,
doi:10.1038/332125a0.
Bretherton C. S. et al. (1999), The effective number of spatial degrees of freedom of a
time-varying field, J. Climate 12, 1990-2009, doi:10.1175/1520-0442(1999)012<1990:TENOSD>2.0.CO;2.
Intrieri E., Carlà T., Gigli G. (2019), Forecasting the time of failure of landslides at
slope-scale: a literature review, Earth-Sci. Rev. 193, 333-349,
doi:10.1016/j.earscirev.2019.03.019.
Carlà T., Intrieri E., Di Traglia F., Nolesini T., Gigli G., Casagli N. (2017), Guidelines on the use
of inverse velocity method as a tool for setting alarm thresholds and forecasting landslides and
structure collapses, Landslides 14, 517-534, doi:10.1007/s10346-016-0731-5.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..conventions import DAYS_PER_YEAR
from ..errors import GeohazardError
from ..formats.dates import parse_date
from ..timeseries.acceleration import AccelerationTest, acceleration_test, expected_t
from .timeseriesmodels import check_dates, series_matrix

#: Alert codes (IV_ALERT). Negative codes are not alerts: -1 the series was not judged (no data, or too short or
#: too noisy for the test), -2 the forecast failure time is already past (check the data); 0 judged, no alert.
ALERT_NAMES = {-2: "passed", -1: "not judged", 0: "none", 1: "yellow", 2: "orange", 3: "red"}
#: Alert code of a series without enough data, or too short or too noisy to judge.
NO_DATA = NOT_JUDGED = -1
#: Alert code of a significant acceleration whose forecast failure time is before the reference date.
PASSED = -2

#: Why a series got its level (:attr:`InverseVelocityForecast.reason`).
REASON_NO_DATA = 0          # fewer than 3 smoothed velocities in the fit window
REASON_TOO_SHORT = 1        # fewer valid dates than the forecast window
REASON_TOO_NOISY = 2        # a failure within the orange horizon at this velocity would go unseen
REASON_SLOW = 3             # slower than the minimum velocity
REASON_STEADY = 4           # no significant acceleration
REASON_STEP = 5             # a step (unwrapping error) explains the series better than an acceleration
REASON_NO_FORECAST = 6      # significant acceleration, no usable 1/v trend
REASON_FORECAST = 7         # significant acceleration, forecast in the future
REASON_PASSED = 8           # significant acceleration, forecast already past
REASON_SEASONAL = 9         # too short for the annual terms; an annual cycle fits better than the acceleration: a
                            # cycle not seen repeating cannot rule an acceleration out (not judged, never none)
REASON_AMBIGUOUS = 10       # too short for the annual terms; an annual cycle fits about as well (BIC within 2)
#: BIC margin by which an acceleration must beat an annual cycle over a series too short for the annual terms
#: ("positive evidence", Kass & Raftery 1995).
SEASONAL_MARGIN = 2.0
#: The level name of each reason where it differs from ``ALERT_NAMES[alert]``.
LEVEL_OF_REASON = {REASON_NO_DATA: "no data"}
#: Reasons of the series that were not judged (IV_ALERT -1).
NOT_JUDGED_REASONS = (REASON_NO_DATA, REASON_TOO_SHORT, REASON_TOO_NOISY, REASON_SEASONAL, REASON_AMBIGUOUS)


def smoothed_velocity(displacement_mm, days, *, window: int = 5, min_valid: int = 3):
    """Velocity (mm/day) from local straight-line fits over ``window`` consecutive dates.

    Parameters
    ----------
    displacement_mm : ndarray, shape (n_dates, m)
    days : ndarray, shape (n_dates,)
        Time in days (any origin).
    window : int
        Acquisitions per window (>= 3).

    Returns
    -------
    t_days : ndarray, shape (n_windows, m)
        Mean time of the valid samples of each window.
    velocity_mm_day : ndarray, shape (n_windows, m)
        NaN where a window has fewer than ``min_valid`` valid samples.
    """
    d = np.asarray(displacement_mm, dtype=np.float64)
    n = d.shape[0]
    if window < 3:
        raise GeohazardError(f"smooth_window must be >= 3 acquisitions, got {window}")
    if n < window:
        raise GeohazardError(f"the series has {n} dates, fewer than the smoothing window of {window}")
    n_win = n - window + 1
    t_out = np.full((n_win, d.shape[1]), np.nan)
    v_out = np.full((n_win, d.shape[1]), np.nan)
    mask = np.isfinite(d)
    for i in range(n_win):
        m = mask[i:i + window]
        w = m.astype(np.float64)
        tt = days[i:i + window, None] * w
        dd = np.where(m, d[i:i + window], 0.0)
        cnt = w.sum(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            tbar = tt.sum(0) / cnt
            dbar = dd.sum(0) / cnt
            dt = (days[i:i + window, None] - tbar) * w
            sxx = (dt * dt).sum(0)
            sxy = (dt * (dd - dbar * w)).sum(0)
            v = sxy / sxx
        ok = (cnt >= min_valid) & (sxx > 0)
        t_out[i] = np.where(ok, tbar, np.nan)
        v_out[i] = np.where(ok, v, np.nan)
    return t_out, v_out


@dataclass
class InverseVelocityForecast:
    """Per-series forecast (all arrays shape ``(m,)``; times in days since the first date).

    Attributes
    ----------
    failure_day, failure_low_day, failure_high_day : float
        Forecast failure time and its confidence window: NaN without a significant acceleration and a usable
        1/v line (``REASON_FORECAST`` and ``REASON_PASSED`` only) or, for the window, when it is open ended.
    slope, intercept : float
        Fitted ``1/v = intercept + slope t`` (day/mm per day, day/mm).
    r2 : float
        Coefficient of determination of the 1/v fit.
    slope_significant : bool
        The 1/v slope is negative and its confidence interval excludes zero.
    velocity_last_mm_yr : float
        Last smoothed velocity along the direction of motion.
    direction : int
        +1 motion toward the satellite, -1 away.
    n_used : int
        Number of 1/v samples fitted.
    days_to_failure : float
        ``failure_day - now``.
    acceleration : AccelerationTest
        The displacement test the alert rests on (acceleration, its standard error, p-value, noise).
    expected_t, t_threshold : float
        The test statistic a failure at the end of the orange horizon, at this series' velocity, would give,
        and the threshold a statistic must pass.
    reference_day : float
        The later of the reference date and the last valid date: forecasts before it have passed.
    settings : dict
        The options the levels were decided with (``significance``, ``min_velocity_mm_yr``, ``red_days``,
        ``orange_days``, ``needed_dates``).
    reason : int
        Why the series got its level (``REASON_*``).
    alert : int
        -2 passed (significant acceleration, forecast failure time already past: check the data),
        -1 not judged (no data, or too short or too noisy), 0 none, 1 yellow, 2 orange, 3 red.
    """

    failure_day: np.ndarray
    failure_low_day: np.ndarray
    failure_high_day: np.ndarray
    slope: np.ndarray
    intercept: np.ndarray
    r2: np.ndarray
    slope_significant: np.ndarray
    velocity_last_mm_yr: np.ndarray
    direction: np.ndarray
    n_used: np.ndarray
    days_to_failure: np.ndarray
    alert: np.ndarray
    first_date: _dt.date
    t_velocity_days: np.ndarray  # (n_windows, m) smoothed velocity times
    velocity_mm_day: np.ndarray  # (n_windows, m) along the direction of motion
    fit_mask: np.ndarray  # (n_windows, m) samples used in the 1/v fit
    acceleration: AccelerationTest = None
    expected_t: np.ndarray = None
    t_threshold: np.ndarray = None
    reason: np.ndarray = None
    reference_day: np.ndarray = None
    settings: dict = None

    def to_date(self, day) -> Optional[_dt.date]:
        if day is None or not np.isfinite(day):
            return None
        try:  # a nearly flat 1/v trend puts the failure millions of years away: no calendar date
            return self.first_date + _dt.timedelta(days=float(np.round(day)))
        except (OverflowError, ValueError):
            return None

    def level(self, j: int) -> str:
        """Level name of series ``j``: ``no data``, ``not judged``, ``passed``, ``none``, ``yellow``, ``orange``,
        ``red``."""
        return LEVEL_OF_REASON.get(int(self.reason[j]), ALERT_NAMES[int(self.alert[j])])


def _check_options(fit_window, confidence, red_days, orange_days, direction, significance):
    if fit_window < 3:
        raise GeohazardError(f"fit_window must be >= 3 velocity samples, got {fit_window}")
    if not 0.0 < confidence < 1.0:
        raise GeohazardError(f"confidence must be between 0 and 1, got {confidence}")
    if red_days > orange_days:
        raise GeohazardError(f"red_days ({red_days}) must not exceed orange_days ({orange_days})")
    if direction not in (0, 1, -1):
        raise GeohazardError(f"direction must be 0, 1 or -1, got {direction}")
    if not 0.0 < significance < 0.5:
        raise GeohazardError(f"significance must be between 0 and 0.5, got {significance}")


def _direction(d, direction):
    """+1 / -1 per series: the sign of the net displacement (first to last valid date) or the one given."""
    m = d.shape[1]
    if direction != 0:
        return np.full(m, float(direction))
    idx = np.arange(m)
    valid = np.isfinite(d)
    first = np.where(valid.any(0), d[np.argmax(valid, axis=0), idx], np.nan)
    last = np.where(valid.any(0), d[d.shape[0] - 1 - np.argmax(valid[::-1], axis=0), idx], np.nan)
    return np.where(last - first < 0, -1.0, 1.0)


def _inverse_velocity_line(t_v, v_dir, fit_window, confidence):
    """The straight line ``1/v = b + a t`` through the last ``fit_window`` positive smoothed velocities.

    Returns a dict: ``tf`` (-b/a where a < 0), its Fieller window ``low``/``high``, ``a``, ``b``, ``r2``,
    ``n`` (samples fitted), ``significant`` (slope < 0 and its interval excludes zero), ``in_window`` and
    ``use`` masks (n_windows, m).
    """
    finite = np.isfinite(v_dir)
    rank_from_end = np.cumsum(finite[::-1], axis=0)[::-1]
    in_window = finite & (rank_from_end <= fit_window)
    use = in_window & (v_dir > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(use, 1.0 / v_dir, 0.0)
    x = np.where(use, t_v, 0.0)
    w = use.astype(np.float64)
    n = w.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        xbar = x.sum(0) / n
        ybar = y.sum(0) / n
        dx = np.where(use, (t_v - xbar) * w, 0.0)
        dy = np.where(use, y - ybar, 0.0)
        sxx = (dx * dx).sum(0)
        sxy = (dx * dy).sum(0)
        syy = (dy * dy).sum(0)
        a = sxy / sxx
        b = ybar - a * xbar
        resid = np.where(use, y - (b + a * t_v), 0.0)
        rss = (resid * resid).sum(0)
        r2 = 1.0 - rss / syy
        # smoothed velocities of overlapping windows are serially correlated: inflate the
        # variance by (1 + rho) / (1 - rho) from the lag-1 residual autocorrelation rho
        # and use the effective number of samples for the t quantile (Bretherton et al. 1999)
        pair = use[1:] & use[:-1]
        num = np.where(pair, resid[1:] * resid[:-1], 0.0).sum(0)
        rho = np.clip(num / rss, 0.0, 0.9)
        inflate = (1.0 + rho) / (1.0 - rho)
        n_eff = np.maximum(n / inflate, 3.0)
        s2 = rss / (n - 2) * inflate
        from scipy import stats  # imported here: loading the provider must not import scipy.stats

        tcrit = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n_eff - 2, 1))
        q = tcrit ** 2 * s2
        se_a = np.sqrt(s2 / sxx)
        enough = (n >= 3) & (sxx > 0)
        tf = np.where(enough & (a < 0), -b / a, np.nan)
        significant = enough & (a < 0) & (np.abs(a) > tcrit * se_a)
        # Fieller: (ybar + a u)^2 = q (1/n + u^2/sxx), u = t - xbar
        qa = a * a - q / sxx
        qb = 2.0 * a * ybar
        qc = ybar * ybar - q / n
        disc = qb * qb - 4.0 * qa * qc
        root = np.sqrt(np.maximum(disc, 0.0))
        u1 = (-qb - root) / (2.0 * qa)
        u2 = (-qb + root) / (2.0 * qa)
        bounded = significant & (qa > 0) & (disc >= 0)
        low = np.where(bounded, xbar + np.minimum(u1, u2), np.nan)
        high = np.where(bounded, xbar + np.maximum(u1, u2), np.nan)
    return {"tf": tf, "low": low, "high": high, "a": np.where(enough, a, np.nan), "b": np.where(enough, b, np.nan),
            "r2": np.where(enough, r2, np.nan), "n": n, "significant": significant, "in_window": in_window,
            "use": use}


def _voight_template(days, window_start_day, failure_day, velocity_mm_day):
    """Displacement beyond the steady trend of a slope that follows ``1/v = A (t_f - t)`` from the window start,
    where it moves at ``velocity_mm_day`` (Voight 1988, alpha = 2), shape (n_dates, m); zero before the window.
    """
    t = days[:, None]
    tw, tf, v0 = window_start_day[None, :], failure_day[None, :], velocity_mm_day[None, :]
    u = np.clip(t - tw, 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        span = tf - tw
        e = v0 * (span * np.log(span / np.maximum(span - u, 1e-9)) - u)
    return np.where(np.isfinite(e), e, 0.0)


def _onsets(first_valid, window_start, days):
    """Candidate onsets of the acceleration (3, m): the first valid date (a quadratic over the whole series),
    the start of the forecast window, and half-way between; one closer than a sampling interval to a later
    candidate is dropped."""
    step = float(np.median(np.diff(days))) if days.size > 1 else 1.0
    mid = 0.5 * (first_valid + window_start)
    onsets = np.stack([first_valid, mid, window_start])
    onsets[1][~(window_start - mid >= step)] = np.nan
    onsets[0][~(window_start - first_valid >= step)] = np.nan
    return onsets


def forecast_failure(displacement_mm, dates: Sequence, *, smooth_window: int = 5, fit_window: int = 10,
                     confidence: float = 0.95, min_velocity_mm_yr: float = 5.0, red_days: float = 30.0,
                     orange_days: float = 90.0, now=None, direction: int = 0,
                     min_positive_fraction: float = 0.8, significance: float = 0.001) -> InverseVelocityForecast:
    """Fukuzono inverse-velocity forecast of the failure time for every series, alerting only on a significant
    acceleration.

    Parameters
    ----------
    displacement_mm : array_like, shape (n_dates,) or (n_dates, m)
        Cumulative displacement in mm, NaN for gaps.
    dates : sequence of date
        Strictly increasing acquisition dates.
    smooth_window : int
        Acquisitions per local velocity fit (>= 3).
    fit_window : int
        Number of most recent smoothed velocities used in the 1/v line (>= 3).
    confidence : float
        Confidence level of the failure window (0 < confidence < 1).
    min_velocity_mm_yr : float
        An alert needs the trend velocity at the last valid date (of the accelerating model) to exceed this by
        the test's margin (``t_threshold`` standard errors); series moving slower over the whole series are
        judged "none" without the noise check.
    red_days, orange_days : float
        Alert thresholds on ``t_f - now`` (days); ``red_days <= orange_days``.
    now : date, optional
        Date the alert refers to (default: the last acquisition).
    direction : {0, 1, -1}
        Direction of motion: 0 from the sign of the net displacement, +1 toward the
        satellite, -1 away from it.
    min_positive_fraction : float
        Fraction of the fit window whose smoothed velocity must be along the direction of
        motion for the 1/v trend to give a forecast.
    significance : float
        Level of the one-sided acceleration test (:func:`acceleration.acceleration_test`): the largest share
        of steady series allowed to pass it by chance.

    Returns
    -------
    InverseVelocityForecast

    Notes
    -----
    Levels, in this order: **no data** (fewer than 3 smoothed velocities in the fit window); **not judged**
    when the series has fewer valid dates than the forecast window (``smooth_window + fit_window - 1``); a
    significant acceleration (``p < significance``, not better explained by a step or, over less than 540
    days, an annual cycle) whose trend velocity at the last date is significantly above ``min_velocity_mm_yr``
    is **passed** when the 1/v forecast is before ``now`` or the last valid
    date, **red** / **orange** within ``red_days`` / ``orange_days``, **yellow** otherwise or without a
    usable 1/v trend; other series are **none** when they move slower than ``min_velocity_mm_yr`` or
    when a slope failing ``orange_days`` after the reference date, moving at their own velocity when the
    window starts, would give a test statistic above the threshold (the test would see it more often than
    not), and **not judged** (too noisy for their motion) otherwise. A significant bend that, over less than
    540 days, an annual cycle fits better than or about as well as an acceleration is **not judged**.
    """
    ds = check_dates(dates)
    d = series_matrix(displacement_mm, len(ds), "displacement_mm")
    _check_options(fit_window, confidence, red_days, orange_days, direction, significance)
    days = np.array([(x - ds[0]).days for x in ds], dtype=np.float64)
    now_day = days[-1] if now is None else float((parse_date(now) - ds[0]).days)
    t_v, v = smoothed_velocity(d, days, window=smooth_window)
    m = d.shape[1]
    sign = _direction(d, direction)
    v_dir = v * sign[None, :]
    line = _inverse_velocity_line(t_v, v_dir, fit_window, confidence)
    in_window = line["in_window"]
    finite = np.isfinite(v_dir)
    v_last = np.full(m, np.nan)
    any_finite = finite.any(0)
    last_idx = finite.shape[0] - 1 - np.argmax(finite[::-1], axis=0)
    v_last[any_finite] = v_dir[last_idx[any_finite], np.arange(m)[any_finite]] * DAYS_PER_YEAR
    # the window the forecast rests on starts at the first acquisition of its first smoothed velocity
    n_window = in_window.sum(0)
    k0 = np.argmax(in_window, axis=0)
    window_start = np.where(n_window > 0, days[np.minimum(k0, days.size - 1)], np.nan)
    valid = np.isfinite(d)
    first_valid = np.where(valid.any(0), days[np.argmax(valid, axis=0)], np.nan)
    last_valid = np.where(valid.any(0), days[d.shape[0] - 1 - np.argmax(valid[::-1], axis=0)], np.nan)
    acc = acceleration_test(d, days, sign, _onsets(first_valid, window_start, days))
    reference = np.maximum(now_day, last_valid)
    horizon = max(float(orange_days), float(np.median(np.diff(days))) if days.size > 1 else 1.0)
    template = _voight_template(days, window_start, reference + horizon,
                                np.maximum(np.nan_to_num(acc.velocity_mm_yr), 0.0) / DAYS_PER_YEAR)
    t_expected = expected_t(acc, template * sign[None, :], valid, days, sign)
    from scipy import stats  # imported here: loading the provider must not import scipy.stats

    t_crit = stats.t.isf(significance / np.maximum(acc.n_onsets, 1),
                         np.maximum(np.nan_to_num(acc.dof, nan=1.0), 1.0))
    tf = line["tf"]
    to_fail = tf - now_day
    reason = _classify(n_window=n_window, n_valid=acc.n_valid, needed=smooth_window + fit_window - 1,
                       p_value=acc.p_value, step_like=acc.step_like, seasonal_dbic=acc.seasonal_dbic,
                       significance=significance,
                       fast=np.nan_to_num(acc.velocity_end_mm_yr - t_crit * acc.velocity_end_se_mm_yr,
                                          nan=-np.inf) >= min_velocity_mm_yr,
                       slow=np.nan_to_num(acc.velocity_mm_yr, nan=0.0) < min_velocity_mm_yr,
                       detectable=np.nan_to_num(t_expected, nan=0.0) >= t_crit,
                       forecastable=np.isfinite(tf) & (line["n"] >= np.ceil(min_positive_fraction * n_window)),
                       passed=tf < reference)
    # a forecast date only where the acceleration is significant and the 1/v line usable: elsewhere the line's
    # zero crossing is the chance event the test guards against
    dated = np.isin(reason, (REASON_FORECAST, REASON_PASSED))
    tf = np.where(dated, tf, np.nan)
    to_fail = np.where(dated, to_fail, np.nan)
    alert = np.zeros(m, np.int64)
    alert[np.isin(reason, NOT_JUDGED_REASONS)] = NOT_JUDGED
    alert[reason == REASON_PASSED] = PASSED
    alert[reason == REASON_NO_FORECAST] = 1
    fc_ = reason == REASON_FORECAST
    alert[fc_] = 1
    alert[fc_ & (to_fail <= orange_days)] = 2
    alert[fc_ & (to_fail <= red_days)] = 3
    return InverseVelocityForecast(
        failure_day=tf, failure_low_day=np.where(dated, line["low"], np.nan),
        failure_high_day=np.where(dated, line["high"], np.nan), slope=line["a"],
        intercept=line["b"], r2=line["r2"], slope_significant=line["significant"], velocity_last_mm_yr=v_last,
        direction=sign.astype(np.int64), n_used=line["n"].astype(np.int64), days_to_failure=to_fail, alert=alert,
        first_date=ds[0], t_velocity_days=t_v, velocity_mm_day=v_dir, fit_mask=line["use"], acceleration=acc,
        expected_t=t_expected, t_threshold=t_crit, reason=reason, reference_day=reference,
        settings={"significance": significance, "min_velocity_mm_yr": min_velocity_mm_yr, "red_days": red_days,
                  "orange_days": orange_days, "needed_dates": smooth_window + fit_window - 1})


def _classify(*, n_window, n_valid, needed, p_value, step_like, seasonal_dbic, significance, fast, slow, detectable,
              forecastable, passed):
    """``REASON_*`` per series from the tests, in the order of :func:`forecast_failure`'s notes."""
    significant = np.nan_to_num(p_value, nan=1.0) < significance
    step_like = significant & step_like
    seasonal_like = significant & ~step_like & (seasonal_dbic < 0)
    ambiguous = significant & ~step_like & (seasonal_dbic >= 0) & (seasonal_dbic < SEASONAL_MARGIN)
    accelerating = significant & ~step_like & ~seasonal_like & ~ambiguous
    reason = np.full(n_window.shape, REASON_STEADY, np.int64)
    reason[~detectable] = REASON_TOO_NOISY
    reason[slow] = REASON_SLOW
    reason[step_like] = REASON_STEP
    reason[seasonal_like] = REASON_SEASONAL
    reason[ambiguous] = REASON_AMBIGUOUS
    reason[accelerating & ~fast] = REASON_SLOW
    reason[accelerating & fast & ~forecastable] = REASON_NO_FORECAST
    reason[accelerating & fast & forecastable] = REASON_FORECAST
    reason[accelerating & fast & forecastable & passed] = REASON_PASSED
    reason[n_valid < needed] = REASON_TOO_SHORT
    reason[n_window < 3] = REASON_NO_DATA
    return reason
