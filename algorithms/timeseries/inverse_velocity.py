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
4. The acceleration counts ("significant") when the slope's confidence interval excludes
   zero and at least ``min_positive_fraction`` of the fit window moves along the direction
   of motion. Alert level: 3 (red) when ``t_f - now <= red_days``, 2 (orange) when
   ``<= orange_days``, 1 (yellow) when the acceleration is significant but the forecast
   is further away, 0 otherwise; points slower than ``min_velocity_mm_yr`` get 0.

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
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..conventions import DAYS_PER_YEAR
from ..errors import GeohazardError
from ..formats.dates import parse_date
from .models import _as_2d, check_dates

#: Alert levels. -1 "no data" (fewer than 3 smoothed velocities in the fit window: the
#: series is empty or too gappy to judge) is distinct from 0 "none" (judged: no alert).
ALERT_NAMES = {-1: "no data", 0: "none", 1: "yellow", 2: "orange", 3: "red"}
#: Alert level of a feature without enough data for a forecast.
NO_DATA = -1


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
        Forecast failure time and its confidence window (NaN: none / open ended).
    slope, intercept : float
        Fitted ``1/v = intercept + slope t`` (day/mm per day, day/mm).
    r2 : float
        Coefficient of determination of the 1/v fit.
    slope_significant : bool
        The slope is negative and its confidence interval excludes zero.
    velocity_last_mm_yr : float
        Last smoothed velocity along the direction of motion.
    direction : int
        +1 motion toward the satellite, -1 away.
    n_used : int
        Number of 1/v samples fitted.
    days_to_failure : float
        ``failure_day - now``.
    alert : int
        -1 no data (fewer than 3 valid smoothed velocities in the fit window: not judged),
        0 none, 1 yellow, 2 orange, 3 red (see module notes).
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

    def to_date(self, day) -> Optional[_dt.date]:
        if day is None or not np.isfinite(day):
            return None
        try:  # a nearly flat 1/v trend puts the failure millions of years away: no calendar date
            return self.first_date + _dt.timedelta(days=float(np.round(day)))
        except (OverflowError, ValueError):
            return None


def forecast_failure(displacement_mm, dates: Sequence, *, smooth_window: int = 5, fit_window: int = 10,
                     confidence: float = 0.95, min_velocity_mm_yr: float = 5.0, red_days: float = 30.0,
                     orange_days: float = 90.0, now=None, direction: int = 0,
                     min_positive_fraction: float = 0.8) -> InverseVelocityForecast:
    """Fukuzono inverse-velocity forecast of the failure time for every series.

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
        Points whose last smoothed velocity is slower get alert 0.
    red_days, orange_days : float
        Alert thresholds on ``t_f - now`` (days); ``red_days <= orange_days``.
    now : date, optional
        Date the alert refers to (default: the last acquisition).
    direction : {0, 1, -1}
        Direction of motion: 0 from the sign of the net displacement, +1 toward the
        satellite, -1 away from it.
    min_positive_fraction : float
        Fraction of the fit window whose smoothed velocity must be along the direction of
        motion for the acceleration to count (noise gives velocities of both signs).

    Returns
    -------
    InverseVelocityForecast
    """
    ds = check_dates(dates)
    d = _as_2d(displacement_mm, len(ds), "displacement_mm")
    if fit_window < 3:
        raise GeohazardError(f"fit_window must be >= 3 velocity samples, got {fit_window}")
    if not 0.0 < confidence < 1.0:
        raise GeohazardError(f"confidence must be between 0 and 1, got {confidence}")
    if red_days > orange_days:
        raise GeohazardError(f"red_days ({red_days}) must not exceed orange_days ({orange_days})")
    if direction not in (0, 1, -1):
        raise GeohazardError(f"direction must be 0, 1 or -1, got {direction}")
    days = np.array([(x - ds[0]).days for x in ds], dtype=np.float64)
    now_day = days[-1] if now is None else float((parse_date(now) - ds[0]).days)
    t_v, v = smoothed_velocity(d, days, window=smooth_window)
    m = d.shape[1]
    if direction == 0:
        idx = np.arange(m)
        valid = np.isfinite(d)
        first = np.where(valid.any(0), d[np.argmax(valid, axis=0), idx], np.nan)
        last = np.where(valid.any(0), d[d.shape[0] - 1 - np.argmax(valid[::-1], axis=0), idx], np.nan)
        sign = np.where(last - first < 0, -1.0, 1.0)
    else:
        sign = np.full(m, float(direction))
    v_dir = v * sign[None, :]
    # the last fit_window finite velocity samples of each series
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
        dx = (t_v - xbar) * w
        dx = np.where(use, dx, 0.0)
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
    v_last = np.full(m, np.nan)
    any_finite = finite.any(0)
    last_idx = finite.shape[0] - 1 - np.argmax(finite[::-1], axis=0)
    v_last[any_finite] = v_dir[last_idx[any_finite], np.arange(m)[any_finite]] * DAYS_PER_YEAR
    to_fail = tf - now_day
    # a trend of noise gives velocities of both signs: require the window to move consistently
    n_window = in_window.sum(0)
    consistent = n >= np.ceil(min_positive_fraction * n_window)
    significant &= consistent
    fast = np.nan_to_num(v_last, nan=-np.inf) >= min_velocity_mm_yr
    alert = np.zeros(m, np.int64)
    alert[fast & significant] = 1
    alert[fast & significant & (to_fail <= orange_days)] = 2
    alert[fast & significant & (to_fail <= red_days)] = 3
    alert[n_window < 3] = NO_DATA
    return InverseVelocityForecast(
        failure_day=tf, failure_low_day=low, failure_high_day=high, slope=np.where(enough, a, np.nan),
        intercept=np.where(enough, b, np.nan), r2=np.where(enough, r2, np.nan), slope_significant=significant,
        velocity_last_mm_yr=v_last, direction=sign.astype(np.int64), n_used=n.astype(np.int64),
        days_to_failure=to_fail, alert=alert, first_date=ds[0], t_velocity_days=t_v, velocity_mm_day=v_dir,
        fit_mask=use)


def plot_forecast(path: str, title: str, dates, displacement_mm, fc, j: int) -> str:
    """PNG of feature ``j`` of the forecast ``fc``: the displacement (mm) on ``dates``, the smoothed velocity and the
    1/v fit with its forecast window."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    first = fc.first_date
    as_dates = [first + _dt.timedelta(days=float(x)) for x in fc.t_velocity_days[:, j] if np.isfinite(x)]
    fig = Figure(figsize=(8, 6), dpi=100)
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    ax1.plot(dates, displacement_mm, ".", ms=3, color="0.3")
    ax1.set_ylabel("LOS displacement (mm)")
    ax1.set_title(title)
    ok = np.isfinite(fc.t_velocity_days[:, j]) & np.isfinite(fc.velocity_mm_day[:, j])
    v = fc.velocity_mm_day[ok, j]
    with np.errstate(divide="ignore"):
        inv = np.where(v > 0, 1.0 / v, np.nan)
    used = fc.fit_mask[ok, j]
    ax2.plot(as_dates, inv, "o", ms=3, mfc="none", color="0.5", label="1/v (smoothed)")
    ax2.plot([d for d, u in zip(as_dates, used) if u], inv[used], "o", ms=4, color="tab:blue", label="fitted")
    if np.isfinite(fc.failure_day[j]):
        t0 = fc.t_velocity_days[ok, j][used].min()
        tt = np.linspace(t0, fc.failure_day[j], 50)
        ax2.plot([first + _dt.timedelta(days=float(x)) for x in tt], fc.intercept[j] + fc.slope[j] * tt,
                 "-", color="tab:red", label="1/v trend")
        tf = fc.to_date(fc.failure_day[j])
        ax2.axvline(tf, color="tab:red", ls="--", lw=1)
        lo, hi = fc.to_date(fc.failure_low_day[j]), fc.to_date(fc.failure_high_day[j])
        if lo is not None and hi is not None:
            ax2.axvspan(lo, hi, color="tab:red", alpha=0.12, label="forecast window")
        ax2.set_title(f"forecast failure {tf.isoformat()}  alert: {ALERT_NAMES[int(fc.alert[j])]}", fontsize=10)
    ax2.set_ylabel("inverse velocity (day/mm)")
    ax2.set_ylim(bottom=0)
    ax2.legend(fontsize=8, loc="upper right")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    return path
