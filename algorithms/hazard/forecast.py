"""Displacement at future dates: a temporal model chosen for each series, evaluated at forecast dates with the
uncertainty of a future measurement, optionally scored on held-out last dates.

The models and their fitting are those of ``timeseriesmodels`` (:mod:`algorithms.models.timeseriesmodels`): the same
least squares, the same time axes (origin date, end of primary consolidation ``T_p``). A forecast adds:

* **the choice** (MODEL 0, :func:`_chosen`): every model is fitted, its residuals' AR(1) correlation ``phi`` found by
  restricted maximum likelihood and the model scored by its generalised-least-squares likelihood under that noise
  (:mod:`.forecast_noise`), with the criterion's price for each parameter beyond the line's two multiplied by
  ``(1 + phi) / (1 - phi)`` (correlated dates are worth fewer independent ones: on short correlated series the
  likelihood ratio of an extra parameter exceeds its white-noise law, and a curve extrapolates the wander it
  followed). The line with the offsets found in the whitened series (:mod:`.forecast_steps`) is a candidate too. A
  model is admissible only where its shape is what it names: a quadratic is an *acceleration* (its speed grows over
  the window: the velocity does not turn back after the first quarter of it; a curve that slows down or reverses
  belongs to the decay models, and a quadratic extrapolated past its turning point predicts a reversal no process of
  the menu implies), logarithmic creep decelerates (its log term and its steady rate in one direction), and the
  series spans what the model needs (:data:`SHOWS`). The lowest criterion wins; the runner-up, the gap to it and
  the chosen model's weight ``exp(-gap/2)`` normalised (Burnham & Anderson 2004) are kept, and a gap below
  :data:`CLOSE_GAP` flags a close choice;
* **the prediction** of the chosen model at dates after the series, and its **1-sigma** as that of a future
  measurement: the parameters' covariance (inflated for AR(1) residuals) through the model's Jacobian plus the
  residual variance, times the calibration factor of the model's own rolling-origin errors, plus a random-walk
  variance growing with the horizon, plus the spread of the other candidates' forecasts weighted by their weights
  (model-selection uncertainty, Burnham & Anderson 2004 eq. 6);
* **secondary consolidation**: with an ``ORIGIN_DATE`` (the loading date) the Buisman curve ``a + K log10(tau/T_p)``;
  without one, the time since loading is unknown and fitted: ``a + K log10(1 + tau/t_l)`` (the ``settlement`` model
  of ``timeseriesmodels``), the same law with ``T_p`` the time from loading to the first date. With a fill thickness
  ``H`` (m), ``C = |K| / (1000 H)`` (strain per decade of time) is reported; where ``H`` is missing or not positive
  the consolidation model is not used;
* **the hold-out score**: with ``holdout = N`` the model is chosen and fitted on the dates before the last ``N``,
  predicted on those, and the squared errors summed; the forecast itself comes from a refit on all dates.

Models (``MODEL`` of the tool, 0 = the choice above): linear, linear + annual, quadratic, logarithmic creep
``A + B ln(1 + tau / tau_c) + C tau``, secondary consolidation, exponential decay ``a + A (1 - exp(-tau / tau_c))``;
``t`` in the last three counted from the origin (event, loading) date. Values in mm, LOS positive toward the
satellite, with the input's reference: the forecast is the model's value, in the frame of the input.

References
----------
Buisman A. S. K. (1936), Results of long duration settlement tests, Proc. 1st ICSMFE 1, 103-106.
Burnham K. P., Anderson D. R. (2004), Multimodel inference, Sociol. Methods Res. 33(2), 261-304,
doi:10.1177/0049124104268644.
Cheang W.-K., Reinsel G. C. (2000), Bias reduction of autoregressive estimates in time series regression model
through restricted maximum likelihood, J. Am. Stat. Assoc. 95(452), 1173-1184, doi:10.1080/01621459.2000.10474318.
Savage J. C., Langbein J. (2008), Postearthquake relaxation after the 2004 M6 Parkfield earthquake and
rate-and-state friction, JGR 113, B10407, doi:10.1029/2008JB005723.
Tashman L. J. (2000), Out-of-sample tests of forecasting accuracy: an analysis and review, Int. J. Forecasting
16(4), 437-450, doi:10.1016/S0169-2070(00)00065-0.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from ..blas import one_blas_thread
from ..conventions import DAYS_PER_YEAR
from ..errors import GeohazardError
from ..formats.dates import parse_date
from ..models.timeseriesmodels import (
    CRITERIA,
    PARAM_NAMES,
    TIME_CONSTANT_MODELS,
    TimeBase,
    check_dates,
    design_matrix,
    evaluate,
    fit_model,
    jacobian,
)
from ..ordered import row_sums, sum_first_axis
from ..progress import warn
from .forecast_noise import Gaps, ar1_fit, ar1_fits, columns_of, gaps_of, normal_equations
from .forecast_steps import STEP_MAX, STEP_PRICE, Steps, step_scan

#: The forecast models, in the order of the tool's MODEL options 1..6 (0 = the choice).
FORECAST_MODELS = ("linear", "annual", "quadratic", "logcreep", "consolidation", "expdecay")
#: Option 0 of MODEL.
BEST = "best"
#: A horizon longer than this many times the observed span is warned about.
FAR_HORIZON = 1.0
#: Models that count time from the origin date (:class:`~algorithms.models.timeseriesmodels.TimeBase`).
ORIGIN_MODELS = ("logcreep", "consolidation", "expdecay")
#: Rolling-origin hold-out (the sigma's calibration): origins spread over the last ``ROLLING_SHARE`` of the dates,
#: at most ``ROLLING_ORIGINS`` (half: the earliest origin's horizon is as long as the forecasts a user asks for).
ROLLING_SHARE = 0.5
ROLLING_ORIGINS = 5
#: ``(days spanned, valid dates)`` a series needs before a model with a curvature or a season may be chosen.
SHOWS = {"annual": (730.0, 24), "quadratic": (365.0, 20), "logcreep": (365.0, 20), "consolidation": (365.0, 20),
         "expdecay": (365.0, 20)}
#: The lag-1 autocorrelation of the residuals is taken in [0, PHI_MAX] for the covariance's inflation.
PHI_MAX = 0.9
#: Weight, in origins, of the prior calibration factor 1 in the empirical one (few origins: a noisy factor).
PRIOR_ORIGINS = 2.0
#: A quadratic is an acceleration where its velocity does not change sign after this share of the window (the speed
#: may start from rest, not turn back).
TURN_SHARE = 0.25
#: A choice is close where the runner-up's criterion is within this of the chosen model's ("substantial support"
#: for the runner-up, Burnham & Anderson 2004, section 2.6).
CLOSE_GAP = 2.0
#: Code of the line with offsets among the candidates (the model code stays 1, linear; the offsets are "used").
STEPS_CANDIDATE = len(FORECAST_MODELS)


def min_dates(model: str) -> int:
    """The fewest valid dates a series needs for ``model``: its parameters plus two (a residual variance with at
    least two degrees of freedom, so a forecast has a sigma); the consolidation model counts the loading time it
    fits without an origin date."""
    return len(PARAM_NAMES["settlement" if model == "consolidation" else model]) + 2


def forecast_dates_of(text_or_dates, dates: Sequence, *, name: str = "FORECAST_DATES", progress=None) -> list:
    """The forecast dates (comma-separated ISO dates or a sequence of dates), strictly after the series.

    Raises
    ------
    GeohazardError
        Naming ``name`` when none is given, one is not a date, repeated, or on/before the last date of the series
        (a forecast is for dates the series does not cover; inside the series, read the data or the model fit).

    A horizon longer than the observed span is warned about: the model is then extrapolated further than the
    data constrain it."""
    items = [s.strip() for s in text_or_dates.split(",")] if isinstance(text_or_dates, str) else list(text_or_dates)
    items = [s for s in items if s not in ("", None)]
    if not items:
        raise GeohazardError(f"{name}: give at least one forecast date (YYYY-MM-DD, comma separated)")
    out = []
    for s in items:
        try:
            out.append(parse_date(s))
        except (GeohazardError, ValueError):
            raise GeohazardError(f"{name}: {s!r} is not a date (YYYY-MM-DD)") from None
    if len(set(out)) != len(out):
        raise GeohazardError(f"{name}: a date is given twice ({', '.join(d.isoformat() for d in out)})")
    first, last = dates[0], dates[-1]
    early = [d for d in out if d <= last]
    if early:
        raise GeohazardError(
            f"{name}: {early[0].isoformat()} is not after the last date of the series ({last.isoformat()}); a "
            f"forecast is for dates after {last.isoformat()} (the series spans {first.isoformat()}.."
            f"{last.isoformat()})")
    out = sorted(out)
    span = max((last - first).days, 1)
    horizon = (out[-1] - last).days
    if horizon > FAR_HORIZON * span:
        warn(progress, f"{name}: {out[-1].isoformat()} is {horizon} days after the last date, more than the "
                       f"{span} days the series spans: the model is extrapolated far beyond what the data "
                       "constrain; read the sigma and prefer a nearer horizon")
    return out


def check_series_length(n_dates: int, model: str, holdout: int, *, name: str = "INPUT") -> list:
    """The models to fit (``model`` one of :data:`FORECAST_MODELS` or :data:`BEST`), refused when the series
    (less the held-out dates) is too short: for ``best`` the models the dates allow, at least the linear one."""
    n_fit = n_dates - holdout
    if holdout < 0:
        raise GeohazardError(f"HOLDOUT must be 0 or more, got {holdout}")
    if model != BEST:
        if model not in FORECAST_MODELS:
            raise GeohazardError(f"MODEL: unknown model {model!r}; choose one of {', '.join(FORECAST_MODELS)}")
        if n_fit < min_dates(model):
            raise GeohazardError(
                f"{name} has {n_dates} dates" + (f", {n_fit} before the {holdout} held out" if holdout else "")
                + f": the {model} model needs at least {min_dates(model)} to fit and give a sigma; use a longer "
                  "series" + (", fewer held-out dates" if holdout else "") + " or a simpler model")
        return [model]
    usable = [m for m in FORECAST_MODELS if n_fit >= min_dates(m)]
    if not usable:
        raise GeohazardError(
            f"{name} has {n_dates} dates" + (f", {n_fit} before the {holdout} held out" if holdout else "")
            + f": even the linear model needs {min_dates('linear')} to fit and give a sigma")
    return usable


def check_origin(origin_date, dates: Sequence, models: Sequence[str], *, name: str = "ORIGIN_DATE") -> None:
    """Refuse an origin (event, loading) date on or after the first date when a model counting time from it is
    fitted: those models take the logarithm or the decay of the time since the origin, undefined at or before it."""
    if origin_date is None or not any(m in ORIGIN_MODELS for m in models):
        return
    origin = parse_date(origin_date)
    if origin >= dates[0]:
        raise GeohazardError(
            f"{name} {origin.isoformat()} is not before the first date of the series ({dates[0].isoformat()}): "
            "the logarithmic creep, consolidation and exponential-decay models count time from the event or "
            f"loading date; give a date before {dates[0].isoformat()}, or leave it empty (one sampling interval "
            "before the first date)")


def origin_of(text: str, dates: Sequence, model: str, *, name: str = "ORIGIN_DATE"):
    """The origin date typed (empty: None), checked by :func:`check_origin` for ``model`` (or :data:`BEST`)."""
    if not text:
        return None
    try:
        origin = parse_date(text)
    except (GeohazardError, ValueError):
        raise GeohazardError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None
    check_origin(origin, dates, FORECAST_MODELS if model == BEST else (model,), name=name)
    return origin


def rolling_origins(n_dates: int, min_fit: int) -> list:
    """The rolling origins: indices ``o`` (fit on the dates before ``o``, predict the dates from ``o`` on) spread
    evenly over the last :data:`ROLLING_SHARE` of the dates, none before ``min_fit`` dates; at most
    :data:`ROLLING_ORIGINS`."""
    first = max(n_dates - max(int(round(ROLLING_SHARE * n_dates)), 1), int(min_fit))
    if first > n_dates - 1:
        return []
    k = min(ROLLING_ORIGINS, n_dates - first)
    return sorted({int(x) for x in np.round(np.linspace(first, n_dates - 1, k))})


@dataclass
class Forecast:
    """Forecasts of ``m`` series at ``n_f`` dates.

    Attributes
    ----------
    value_mm, sigma_mm : ndarray, shape (n_f, m)
        Forecast displacement and its calibrated 1-sigma (NaN where no model could be fitted).
    model_code : ndarray of uint8, shape (m,)
        1-based index into :data:`FORECAST_MODELS` of the model used (0 = none).
    holdout_sse, holdout_count : ndarray, shape (m,)
        Sum of the squared hold-out errors (mm^2) and their number, per series (0 without a hold-out).
    c_alpha : ndarray, shape (m,) or None
        ``|K| / (1000 H)`` of the consolidation fit where a thickness was given (else None).
    coverage_hits, coverage_count : ndarray, shape (m,)
        Rolling-origin forecasts of the chosen model: how many held-out values fell within 2 sigma, out of how many.
    steps_count, steps_at : ndarray, shapes (m,) and (STEP_MAX, m)
        Offsets found in the residuals of the model used (for the line with offsets, its own): their number and the
        index of the first date after each (-1 = none).
    steps_used : ndarray of bool, shape (m,)
        Where the forecast continues from the level after the offsets (the line with offsets chosen).
    runner_up : ndarray of uint8, shape (m,)
        Model code of the best other candidate (0 = none, or a model typed in MODEL).
    gap : ndarray, shape (m,)
        Its criterion minus the chosen one's (NaN without a runner-up).
    weight : ndarray, shape (m,)
        The chosen candidate's weight among the candidates, ``exp(-gap_i / 2)`` normalised (NaN for a typed model).
    close : ndarray of bool, shape (m,)
        ``gap < CLOSE_GAP``: another model is about as well supported.
    """

    value_mm: np.ndarray
    sigma_mm: np.ndarray
    model_code: np.ndarray
    holdout_sse: np.ndarray
    holdout_count: np.ndarray
    c_alpha: Optional[np.ndarray] = None
    coverage_hits: Optional[np.ndarray] = None
    coverage_count: Optional[np.ndarray] = None
    steps_count: Optional[np.ndarray] = None
    steps_at: Optional[np.ndarray] = None
    steps_used: Optional[np.ndarray] = None
    runner_up: Optional[np.ndarray] = None
    gap: Optional[np.ndarray] = None
    weight: Optional[np.ndarray] = None
    close: Optional[np.ndarray] = None

    def step_dates(self, dates, j: int) -> list:
        """The dates (first date after each offset) of the offsets of series ``j``."""
        return [dates[int(k)] for k in self.steps_at[:, j] if k >= 0]


@dataclass
class _Skill:
    """Rolling-origin record of one model: mean squared error (mm^2, NaN without an origin), the squared calibration
    factor of its sigma, the random-walk variance rate ``walk`` (mm^2 per day of horizon, :func:`_walk_rate`), and
    the held-out values within 2 calibrated sigma (each origin's calibration taken from the other origins) out of
    how many."""

    mse: np.ndarray
    origin_mse: list
    k2: np.ndarray
    hits: np.ndarray
    count: np.ndarray
    walk: Optional[np.ndarray] = None


def _fit(d, dates, mod, opts):
    """``(fit, ok (m,))`` of ``mod`` on ``d`` (series with too few dates, or without a thickness for the
    consolidation model, not ok). The consolidation model fits its loading time where no origin was given
    (``opts["fit_loading"]``)."""
    name = "settlement" if mod == "consolidation" and opts.get("fit_loading") else mod
    fit = fit_model(d, dates, name, origin_date=opts["origin_date"], primary_end_days=opts["primary_end_days"],
                    min_dates=min_dates(mod))
    ok = np.isfinite(fit.params).all(axis=1) & np.isfinite(fit.cov).all(axis=(1, 2))
    if mod == "consolidation" and opts.get("thickness_ok") is not None:
        ok &= opts["thickness_ok"]
    return fit, ok


def ar1_inflation(resid) -> np.ndarray:
    """``(1 + phi) / (1 - phi)`` per series, ``phi`` the lag-1 autocorrelation of the residuals ``(n, m)`` (NaN =
    gap; pairs of consecutive valid dates) taken in ``[0, PHI_MAX]``: the factor by which AR(1) residuals inflate
    the variance of a least-squares trend over white ones (e.g. Box, Jenkins & Reinsel, Time Series Analysis)."""
    ok = np.isfinite(resid)
    r = np.where(ok, resid, 0.0)
    num = np.zeros(r.shape[1])
    den = np.zeros(r.shape[1])
    for i in range(r.shape[0]):  # date order, series by series
        den += r[i] * r[i]
        if i:
            num += np.where(ok[i] & ok[i - 1], r[i] * r[i - 1], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    phi = np.clip(phi, 0.0, PHI_MAX)
    return (1.0 + phi) / (1.0 - phi)


def _predict(fit, d, dates, at_dates):
    """``(value, sigma)`` ``(n_at, m)`` of a fit on ``d`` at ``at_dates``: ``sigma^2 = F J Cov J^T + s^2``, the
    parameters' covariance inflated by the residuals' AR(1) factor ``F`` (:func:`ar1_inflation`) plus the residual
    variance."""
    value = evaluate(fit, at_dates)
    resid = d - evaluate(fit, dates)
    jac = jacobian(fit.model, fit.params, fit.timebase.at(at_dates))
    var = np.zeros(jac.shape[:2])
    with np.errstate(invalid="ignore", over="ignore"):
        for q in range(jac.shape[2]):
            for r in range(jac.shape[2]):
                var += jac[:, :, q] * fit.cov[None, :, q, r] * jac[:, :, r]
        dof = fit.n_used - fit.n_params
        s2 = np.where(dof > 0, fit.rss / np.maximum(dof, 1), np.nan)
        sigma = np.sqrt(ar1_inflation(resid)[None, :] * np.maximum(var, 0.0) + s2[None, :])
    return value, sigma


def _rolling(d, dates, mod, origins, opts) -> _Skill:
    """Rolling-origin hold-out of ``mod``: fitted on the dates before each origin, predicted on the dates from it on."""
    m = d.shape[1]
    sse, cnt = np.zeros(m), np.zeros(m)
    zsum, norig = np.zeros(m), np.zeros(m)
    he2, hs2, hh = np.zeros(m), np.zeros(m), np.zeros(m)
    parts, origin_mse = [], []
    for o in origins:
        if o < min_dates(mod):
            continue
        fit, ok = _fit(d[:o], dates[:o], mod, opts)
        value, sigma = _predict(fit, d[:o], dates[:o], dates[o:])
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            err = d[o:] - value
            valid = np.isfinite(err) & np.isfinite(sigma) & (sigma > 0) & ok[None, :]
            e = np.where(valid, err, 0.0)
            z2 = np.where(valid, e * e / np.where(valid, sigma * sigma, 1.0), 0.0)
        c = sum_first_axis(valid.astype(np.float64))
        # the longer horizons weigh more: the forecast is for dates at least as far
        w = np.array([(x - dates[o - 1]).days for x in dates[o:]], dtype=np.float64)[:, None] * valid
        sw = sum_first_axis(w)
        own = sum_first_axis(w * e * e)
        sse += own
        cnt += sw
        origin_mse.append(np.where(sw > 0, own / np.where(sw > 0, sw, 1.0), np.nan))
        zmean = np.where(sw > 0, sum_first_axis(w * z2) / np.where(sw > 0, sw, 1.0), 0.0)
        has = (c > 0).astype(np.float64)
        zsum += zmean
        norig += has
        s2 = np.where(valid, sigma * sigma, 0.0)
        sums = (sum_first_axis(w * e * e), sum_first_axis(w * s2), sum_first_axis(w * w))
        he2 += sums[0]
        hs2 += sums[1]
        hh += sums[2]
        parts.append((e, s2, w, valid, zmean, has, sums))
    k2 = np.maximum((zsum + PRIOR_ORIGINS) / (norig + PRIOR_ORIGINS), 1.0)  # never narrower than the fit's own
    walk = _walk_rate(he2, hs2, hh, k2)
    hits, count = np.zeros(m), np.zeros(m)
    for e, s2, w, valid, zmean, has, sums in parts:  # each origin judged with the calibration of the others
        k2_other = np.maximum((zsum - zmean + PRIOR_ORIGINS) / (norig - has + PRIOR_ORIGINS), 1.0)
        walk_other = _walk_rate(he2 - sums[0], hs2 - sums[1], hh - sums[2], k2_other)
        bound = 4.0 * (k2_other[None, :] * s2 + walk_other[None, :] * w)
        hits += sum_first_axis((valid & (e * e <= bound)).astype(np.float64))
        count += sum_first_axis(valid.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        mse = np.where(cnt > 0, sse / np.maximum(cnt, 1.0), np.nan)
    if len(origin_mse) < len(origins):  # origins too early for this model: none of its records
        origin_mse = [np.full(m, np.nan)] * (len(origins) - len(origin_mse)) + origin_mse
    return _Skill(mse, origin_mse, k2, hits, count, walk)


def _walk_rate(he2, hs2, hh, k2) -> np.ndarray:
    """Random-walk variance rate (mm^2 per day, >= 0): the least-squares slope through zero of the rolling-origin
    squared errors left after the calibrated sigma, ``e^2 - k2 s^2``, against the horizon ``h`` (days), from the
    sums ``sum h e^2``, ``sum h s^2``, ``sum h^2``: errors of a random walk grow in variance with the horizon, and
    a constant factor fitted on short horizons leaves the long ones uncovered (e.g. Hyndman & Athanasopoulos,
    Forecasting: principles and practice, 3rd ed., section 5.5)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(hh > 0, np.maximum((he2 - k2 * hs2) / np.where(hh > 0, hh, 1.0), 0.0), 0.0)


def _rolling_where(d, dates, mod, origins, opts, where) -> _Skill:
    """:func:`_rolling` of the series ``where`` (m,) only; elsewhere no record (mean squared error NaN, factor 1,
    no coverage count)."""
    m = d.shape[1]
    if where.all():
        return _rolling(d, dates, mod, origins, opts)
    full = _Skill(np.full(m, np.nan), [np.full(m, np.nan) for _ in origins], np.ones(m), np.zeros(m), np.zeros(m),
                  np.zeros(m))
    if not where.any():
        return full
    sub_opts = dict(opts)
    if opts.get("thickness_ok") is not None:
        sub_opts["thickness_ok"] = opts["thickness_ok"][where]
    part = _rolling(d[:, where], dates, mod, origins, sub_opts)
    for whole, sub in ((full.mse, part.mse), (full.k2, part.k2), (full.hits, part.hits), (full.count, part.count),
                       (full.walk, part.walk)):
        whole[where] = sub
    for whole, sub in zip(full.origin_mse, part.origin_mse):
        whole[where] = sub
    return full


def _span_and_count(d, dates):
    """Days between the first and the last valid date of each series, and its number of valid dates."""
    days = np.array([(x - dates[0]).days for x in dates], dtype=np.float64)
    ok = np.isfinite(d)
    first = np.where(ok.any(axis=0), days[np.argmax(ok, axis=0)], 0.0)
    last = np.where(ok.any(axis=0), days[d.shape[0] - 1 - np.argmax(ok[::-1], axis=0)], 0.0)
    return last - first, sum_first_axis(ok.astype(np.float64))


def _penalty(n, p: int, criterion: str) -> np.ndarray:
    """The criterion's price of one parameter for ``n`` valid dates and ``p`` parameters: AIC 2, AICc
    ``2 n / (n - p - 2)``, BIC ``ln n`` (Burnham & Anderson 2004)."""
    n = np.asarray(n, dtype=np.float64)
    if criterion == "aic":
        return np.full(n.shape, 2.0)
    if criterion == "aicc":
        return 2.0 * n / np.maximum(n - p - 2.0, 1.0)
    return np.log(np.maximum(n, 2.0))


def _days(dates, at=None) -> np.ndarray:
    """Days of ``at`` (default ``dates``) since the first of ``dates``."""
    return np.array([(x - dates[0]).days for x in (dates if at is None else at)], dtype=np.float64)


def _shaped(mod: str, fit, d, dates) -> np.ndarray:
    """Where the fit of ``mod`` has the shape the model names (``(m,)``): a quadratic accelerates (its velocity keeps
    one sign after the first :data:`TURN_SHARE` of the window); a model with a time constant has it inside the window
    (logarithmic creep, consolidation without an origin date, exponential decay); logarithmic creep decelerates (its
    log term and its steady rate in one direction)."""
    m = d.shape[1]
    if mod == "quadratic":
        days = _days(dates)
        ok = np.isfinite(d)
        first = np.where(ok.any(axis=0), days[np.argmax(ok, axis=0)], 0.0)
        last = np.where(ok.any(axis=0), days[len(dates) - 1 - np.argmax(ok[::-1], axis=0)], 0.0)
        v0, acc = fit.param("velocity_mm_yr"), fit.param("acceleration_mm_yr2")
        with np.errstate(invalid="ignore", divide="ignore"):
            turn = -v0 / acc * DAYS_PER_YEAR
        return np.nan_to_num(turn, nan=np.inf) <= first + TURN_SHARE * (last - first)
    if mod in TIME_CONSTANT_MODELS:
        # a decay is seen as one where the window holds its time constant: beyond it the fit is a line with a
        # slight bend, and its time constant sits at the search's edge
        span, _ = _span_and_count(d, dates)
        seen = np.nan_to_num(fit.params[:, -1], nan=np.inf) <= span
        if mod == "logcreep":
            seen &= np.nan_to_num(fit.param("creep_mm") * fit.param("velocity_mm_yr"), nan=-1.0) >= 0.0
        return seen
    return np.ones(m, bool)


def _ols_predict(cols, cols_at, d):
    """Least squares of ``d`` ``(n, m)`` on the columns ``cols`` (each ``(n, m)``), and the value and the 1-sigma
    of a future measurement on the columns ``cols_at`` (each ``(n_at, m)``): ``sigma^2 = F J Cov J^T + s^2`` as
    :func:`_predict` (series by series)."""
    ok = np.isfinite(d)
    y = np.where(ok, d, 0.0)
    cols = [np.where(ok, c, 0.0) for c in cols]
    p, m = len(cols), d.shape[1]
    N, b = normal_equations(cols, y)
    diag = np.sqrt(np.maximum(np.diagonal(N, axis1=1, axis2=2), 1e-300))
    S = N / (diag[:, :, None] * diag[:, None, :])
    good = np.isfinite(S).all(axis=(1, 2))
    with np.errstate(invalid="ignore"):
        good[good] = np.linalg.cond(S[good]) < 1e10 if good.any() else good[good]
    Ninv = np.linalg.inv(np.where(good[:, None, None], S, np.eye(p))) / (diag[:, :, None] * diag[:, None, :])
    beta = np.zeros((m, p))
    for q in range(p):
        beta += Ninv[:, :, q] * b[:, q, None]
    resid = y.copy()
    for q in range(p):
        resid -= cols[q] * beta[None, :, q]
    n = sum_first_axis(ok.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.where(n > p, sum_first_axis(resid * resid) / np.maximum(n - p, 1.0), np.nan)
    value = np.zeros(cols_at[0].shape)
    var = np.zeros(cols_at[0].shape)
    for q in range(p):
        value += cols_at[q] * beta[None, :, q]
        for r in range(p):
            var += cols_at[q] * (Ninv[None, :, q, r] * s2[None, :]) * cols_at[r]
    sigma = np.sqrt(ar1_inflation(np.where(ok, resid, np.nan))[None, :] * np.maximum(var, 0.0) + s2[None, :])
    bad = ~good | ~np.isfinite(s2)
    return np.where(bad[None, :], np.nan, value), np.where(bad[None, :], np.nan, sigma)


def _line_steps_columns(steps: Steps, count: int, dates, at_dates=None) -> list:
    """Columns of the line with its first ``count`` offsets, on the series' dates or (``at_dates``) after them
    (every offset in place)."""
    n = len(dates)
    t = _days(dates)[:, None] / DAYS_PER_YEAR
    m = steps.count.size
    if at_dates is None:
        return [np.ones((n, m)), np.broadcast_to(t, (n, m))] + steps.columns(n)[:count]
    tf = _days(dates, at_dates)[:, None] / DAYS_PER_YEAR
    nf = len(at_dates)
    return [np.ones((nf, m)), np.broadcast_to(tf, (nf, m))] + [np.ones((nf, m))] * count


def _subset(steps: Steps, sel) -> Steps:
    """The offsets of the series ``sel``."""
    return Steps(steps.count[sel], steps.at[:, sel])


def _line_steps(d, dates, steps: Steps, at_dates, gaps_full, criterion: str):
    """The line with the offsets ``steps`` on every series with at least one: its criterion ``(m,)`` (inf
    elsewhere) and its value and sigma at ``at_dates`` ``(n_at, m)`` (series grouped by their number of offsets, each
    on its own)."""
    n, m = d.shape
    ic = np.full(m, np.inf)
    value = np.full((len(at_dates), m), np.nan)
    sigma = np.full((len(at_dates), m), np.nan)
    for c in range(1, STEP_MAX + 1):
        sel = steps.count == c
        if not sel.any():
            continue
        part = _subset(steps, sel)
        cols = _line_steps_columns(part, c, dates)
        noise = ar1_fit(cols, d[:, sel], gaps_full.subset(sel))
        with np.errstate(invalid="ignore"):
            ic[sel] = np.nan_to_num(-2.0 * noise.loglik + 2.0 * _penalty(noise.n, 2, criterion)
                                    + STEP_PRICE * np.log(np.maximum(noise.n, 2.0)) * c * noise.inflation(),
                                    nan=np.inf)
        v, s = _ols_predict(cols, _line_steps_columns(part, c, dates, at_dates), d[:, sel])
        value[:, sel], sigma[:, sel] = v, s
    return ic, value, sigma


def _columns(fit, part=None, shared=None) -> list:
    """The columns of the fit's linear parameters on its dates (a model with a time constant: at the fitted one,
    ``(n, m)``; its derivative is left out, the constant is priced as a parameter but not moved by the noise fit; a
    model linear in its parameters: its design's columns ``(n,)``). ``shared``: the constant and time columns to
    give as the same arrays to every model (whitened once, :func:`~.forecast_noise.ar1_fits`)."""
    if fit.model not in TIME_CONSTANT_MODELS:
        cols = [np.ascontiguousarray(c) for c in design_matrix(fit.model, fit.timebase).T]
        if shared is not None:
            cols[0] = shared["one"]
            if fit.model in ("linear", "annual", "quadratic"):  # their second column is the time in years
                cols[1] = shared["t"]
        return cols
    params = fit.params if part is None else fit.params[part]
    cols = columns_of(jacobian(fit.model, params, fit.timebase)[:, :, :-1])
    if shared is not None:
        cols[0] = shared["one"]
    return cols


@dataclass
class _Choice:
    """Every candidate fitted and scored (:func:`_chosen`): the fits and their ok, each candidate's criterion
    ``ic`` ``(n_candidates, m)`` (inf where not admissible; the models in ``models`` order, then the line with
    offsets), the chosen candidate ``best`` ``(m,)`` (-1 = none), each model's noise ``phi`` and the offsets found
    about the line."""

    models: list
    fits: dict
    oks: dict
    ic: np.ndarray
    best: np.ndarray
    phi: dict
    steps: Optional[Steps] = None
    gaps: object = None
    typed: bool = False
    extra: dict = field(default_factory=dict)


def _chosen(d, dates, models, opts, at_dates) -> _Choice:
    """Fit every model of ``models`` and choose one per series (see the module's docstring): the lowest criterion
    ``-2 ln L + price (2 + (p - 2) F)`` among the admissible models, ``L`` the likelihood under the AR(1) noise of
    the model's residuals (phi by restricted maximum likelihood), ``F = (1 + phi)/(1 - phi)``, ``price`` the
    criterion's per parameter; and the line with the offsets found in the whitened series (each offset priced
    ``STEP_PRICE ln n F``), evaluated at ``at_dates``. With one model it is the choice wherever it fits."""
    days = _days(dates)
    gaps = gaps_of(d, days)
    fits, oks = {}, {}
    for mod in models:
        fits[mod], oks[mod] = _fit(d, dates, mod, opts)
    m = d.shape[1]
    if len(models) == 1:
        ok = oks[models[0]]
        return _Choice(list(models), fits, oks, np.where(ok, 0.0, np.inf)[None, :], np.where(ok, 0, -1), {}, None,
                       gaps, True)
    span, count = _span_and_count(d, dates)
    shared = {"one": np.ones(len(dates)), "t": days / DAYS_PER_YEAR}
    noises = ar1_fits([_columns(fits[mod], shared=shared) for mod in models], d, gaps)
    phis, ics = {}, []
    for mod, noise in zip(models, noises):
        fit, ok = fits[mod], oks[mod]
        if mod != "linear":
            need_days, need_dates = SHOWS.get(mod, (0.0, 0))
            ok = ok & (span >= need_days) & (count >= need_dates) & _shaped(mod, fit, d, dates)
        phis[mod] = noise.phi
        extra = (fit.n_params - 2) * (noise.inflation() if mod != "linear" else 1.0)
        with np.errstate(invalid="ignore"):
            ic = -2.0 * noise.loglik + _penalty(noise.n, fit.n_params, opts["criterion"]) * (2.0 + extra)
        ics.append(np.where(ok & noise.ok, np.nan_to_num(ic, nan=np.inf), np.inf))
    steps = None
    if "linear" in models:
        steps = _steps_about_the_line(d, days, gaps, phis["linear"])
        steps.count = np.where(oks["linear"], steps.count, 0)
        ic_steps, v_steps, s_steps = _line_steps(d, dates, steps, at_dates, gaps, opts["criterion"])
        ics.append(ic_steps)
    else:
        ics.append(np.full(m, np.inf))
        v_steps = s_steps = None
    ic = np.vstack(ics)
    best = np.argmin(ic, axis=0)
    best = np.where(np.isfinite(ic.min(axis=0)), best, -1)
    return _Choice(list(models), fits, oks, ic, best, phis, steps, gaps, False,
                   {"steps_value": v_steps, "steps_sigma": s_steps})


def _steps_about_the_line(d, days, gaps: Gaps, phi_line) -> Steps:
    """Offsets about the line, the noise's correlation and the offsets found in turn: a scan of the series as if
    white, the correlation of the residuals of the line with those offsets (restricted maximum likelihood), and the
    scan again at that correlation on the series where the first found some. The line's own correlation is
    inflated by the offsets it misses, and a scan at it misses them; a scan at white noise alone finds offsets in
    the wander of correlated noise, which the second scan, at their correlation, drops."""
    m = d.shape[1]
    first = step_scan(d, days, gaps, np.zeros(m))
    phi = np.where(np.isfinite(phi_line), phi_line, 0.0)
    t = days / DAYS_PER_YEAR
    n = d.shape[0]
    for c in range(1, STEP_MAX + 1):
        sel = np.flatnonzero(first.count == c)
        if not sel.size:
            continue
        cols = [np.ones(n), t] + [col[:, sel] for col in first.columns(n)[:c]]
        phi[sel] = ar1_fit(cols, d[:, sel], gaps.subset(sel)).phi
    # where the scan as if white found none, one at a correlation (a weaker test) finds none either
    found = np.flatnonzero(first.count > 0)
    if found.size:
        again = step_scan(d[:, found], days, gaps.subset(found), phi[found])
        first.count[found] = again.count
        first.at[:, found] = again.at
    return first


def _weights(ic, best):
    """``(weight of the chosen candidate, runner-up index (-1 none), criterion gap to it)`` per series."""
    m = ic.shape[1]
    cols = np.arange(m)
    top = np.where(best >= 0, ic[np.maximum(best, 0), cols], np.nan)
    with np.errstate(invalid="ignore", over="ignore"):
        rel = np.where(np.isfinite(ic), np.exp(-0.5 * np.minimum(ic - top[None, :], 1400.0)), 0.0)
    total = sum_first_axis(rel)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.where(best >= 0, 1.0 / total, np.nan)
    others = np.where(np.arange(ic.shape[0])[:, None] == best[None, :], np.inf, ic)
    runner = np.argmin(others, axis=0)
    gap = others[runner, cols] - top
    has = (best >= 0) & np.isfinite(gap)
    return weight, np.where(has, runner, -1), np.where(has, gap, np.nan), rel / np.where(total > 0, total, 1.0)


def _residual_steps(ch: _Choice, d, dates, k: int, sel):
    """Offsets in the residuals of model ``models[k]`` on the series ``sel``, scanned at that model's noise
    correlation (:func:`~.forecast_steps.step_scan`)."""
    mod = ch.models[k]
    fit = ch.fits[mod]
    part = np.flatnonzero(sel)
    resid = d[:, part] - evaluate(fit, dates)[:, part]
    phi = ch.phi.get(mod)
    if phi is None:
        noise = ar1_fit(_columns(fit, part), d[:, part], ch.gaps.subset(part))
        phi_part = noise.phi
    else:
        phi_part = phi[part]
    return step_scan(resid, _days(dates), ch.gaps.subset(part), np.where(np.isfinite(phi_part), phi_part, 0.0))


def _gather(ch: _Choice, d, dates, at_dates, opts) -> dict:
    """Values and calibrated sigmas of each series' chosen candidate at ``at_dates`` ``(n_at, m)``, its
    rolling-origin coverage ``(hits, count)``, the offsets found and used, and the choice's runner-up, gap, weight
    and closeness. The sigma is the candidate's own (parameters and residual variance, AR(1)-inflated) times the
    empirical factor of its rolling-origin errors, plus the random walk those errors showed, plus the spread of the
    other candidates' forecasts weighted by their weights."""
    m = d.shape[1]
    nf = len(at_dates)
    models = ch.models
    n_models = len(models)
    origins = rolling_origins(len(dates), min(min_dates(mod) for mod in models))
    horizon = np.array([(x - dates[-1]).days for x in at_dates], dtype=np.float64)[:, None]
    values = [_predict(ch.fits[mod], d, dates, at_dates) for mod in models]
    k_lin = models.index("linear") if "linear" in models else -1
    if not ch.typed:
        if ch.extra["steps_value"] is not None:
            # the line with offsets takes the line's sigma where it is the wider: the line's scatter holds the offsets
            # of the past, the likeliest measure of those to come (none can be foreseen)
            v, s = ch.extra["steps_value"], ch.extra["steps_sigma"]
            values.append((v, np.fmax(s, values[k_lin][1])))
        else:
            values.append((np.full((nf, m), np.nan), np.full((nf, m), np.nan)))
    value = np.full((nf, m), np.nan)
    var = np.full((nf, m), np.nan)
    hits, count = np.zeros(m), np.zeros(m)
    line_like = (ch.best == k_lin) | (ch.best == n_models)
    for k, mod in enumerate(models):
        sel = line_like if k == k_lin else ch.best == k
        if not sel.any():
            continue
        skill = _rolling_where(d, dates, mod, origins, opts, sel)
        for kk in ((k, n_models) if k == k_lin and not ch.typed else (k,)):
            here = ch.best == kk
            if not here.any():
                continue
            v, s = values[kk]
            v_all = v
            var_all = s * s * skill.k2[None, :] + skill.walk[None, :] * horizon
            value[:, here] = v_all[:, here]
            var[:, here] = var_all[:, here]
            hits[here] = skill.hits[here]
            count[here] = skill.count[here]
    steps_count = np.zeros(m, np.int64)
    steps_at = np.full((STEP_MAX, m), -1, np.int64)
    used = np.zeros(m, bool)
    runner_code = np.zeros(m, np.uint8)
    gap = weight = np.full(m, np.nan)
    if not ch.typed:
        weight, runner, gap, w_all = _weights(ch.ic, ch.best)
        spread = np.zeros((nf, m))
        for k, (v, _) in enumerate(values):
            with np.errstate(invalid="ignore", over="ignore"):
                spread += np.where(w_all[k][None, :] > 0, w_all[k][None, :] * np.nan_to_num(v - value) ** 2, 0.0)
        var = var + spread
        codes = [FORECAST_MODELS.index(mod) + 1 for mod in models] + [STEPS_CANDIDATE + 1]
        runner_code = np.where(runner >= 0, np.array(codes, np.uint8)[np.maximum(runner, 0)], 0).astype(np.uint8)
        used = ch.best == n_models
        if ch.steps is not None:  # found where the line with them beats the line alone by the criterion
            found = line_like & (ch.ic[n_models] < ch.ic[k_lin])
            steps_count = np.where(found, ch.steps.count, 0)
            steps_at = np.where(found[None, :], ch.steps.at, -1)
    for k in range(n_models):
        sel = (ch.best == k) & (ch.typed or k != k_lin)
        if sel.any():
            found = _residual_steps(ch, d, dates, k, sel)
            steps_count[sel] = found.count
            steps_at[:, sel] = found.at
    return {"value": value, "sigma": np.sqrt(var), "hits": hits, "count": count, "steps_count": steps_count,
            "steps_at": steps_at, "steps_used": used, "runner_up": runner_code, "gap": gap, "weight": weight,
            "close": np.nan_to_num(gap, nan=np.inf) < CLOSE_GAP}


def forecast_series(displacement_mm, dates, forecast_dates, *, model: str = BEST, criterion: str = "bic",
                    origin_date=None, primary_end_days=None, holdout: int = 0, thickness_m=None) -> Forecast:
    """Forecast every series at ``forecast_dates``.

    Parameters
    ----------
    displacement_mm : array_like, shape (n_dates, m)
        Displacement series (mm, NaN = gap), LOS positive toward the satellite, any reference.
    dates : sequence of date
        Strictly increasing acquisition dates.
    forecast_dates : sequence of date
        Dates after the last acquisition (:func:`forecast_dates_of`).
    model : str
        One of :data:`FORECAST_MODELS`, or :data:`BEST`: the choice of :func:`_chosen`.
    criterion : {"aic", "aicc", "bic"}
        The information criterion of the choice (its price per parameter).
    origin_date, primary_end_days :
        The event / loading date and ``T_p`` (days after it) of the logarithmic-creep, consolidation and
        exponential-decay models (:class:`~algorithms.models.timeseriesmodels.TimeBase`). Without an origin date the
        consolidation model fits the time since loading.
    holdout : int
        The last ``holdout`` dates are left out of a first choice and fit and predicted (0 = no hold-out).
    thickness_m : array_like, shape (m,), optional
        Fill thickness (m) for the consolidation model; where NaN or not positive the model is not used.

    Returns
    -------
    Forecast
        The sigma is calibrated: the parameters' covariance inflated for AR(1) residuals plus the residual
        variance, times the factor that makes the rolling-origin errors of the chosen model unit-variance (shrunk
        toward 1), plus a random-walk variance growing with the horizon, plus (MODEL 0) the spread of the other
        candidates' forecasts weighted by their criterion weights.
    """
    if criterion not in CRITERIA:
        raise GeohazardError(f"unknown criterion {criterion!r}; choose one of {', '.join(CRITERIA)}")
    dates = check_dates(dates)
    d = np.asarray(displacement_mm, dtype=np.float64)
    if d.ndim == 1:
        d = d[:, None]
    if d.shape[0] != len(dates):
        raise GeohazardError(f"displacement_mm has {d.shape[0]} dates but {len(dates)} dates were given")
    fdates = [parse_date(x) for x in forecast_dates]
    if fdates and min(fdates) <= dates[-1]:
        raise GeohazardError(f"forecast dates must be after the last date {dates[-1].isoformat()}, "
                             f"got {min(fdates).isoformat()}")
    m = d.shape[1]
    models = check_series_length(len(dates), model, holdout)
    check_origin(origin_date, dates, models)
    fit_loading = origin_date is None
    if origin_date is None:  # one origin for the training fit and the full fit: the hold-out tests the forecast
        origin_date = TimeBase(dates).origin_date
    thick_ok = None
    if thickness_m is not None:
        h = np.asarray(thickness_m, dtype=np.float64).reshape(-1)
        if h.size != m:
            raise GeohazardError(f"thickness_m has {h.size} values for {m} series")
        thick_ok = np.isfinite(h) & (h > 0)
    opts = dict(criterion=criterion, origin_date=origin_date, primary_end_days=primary_end_days,
                thickness_ok=thick_ok, fit_loading=fit_loading)
    sse, count = np.zeros(m), np.zeros(m)
    if holdout:
        train, held = d[:-holdout], dates[-holdout:]
        pred = _gather(_chosen(train, dates[:-holdout], models, opts, held), train, dates[:-holdout], held,
                       opts)["value"]
        err = d[-holdout:] - pred
        ok = np.isfinite(err)
        for i in range(holdout):  # date order
            sse += np.where(ok[i], err[i] * err[i], 0.0)
            count += ok[i]
    ch = _chosen(d, dates, models, opts, fdates)
    g = _gather(ch, d, dates, fdates, opts)
    code = np.zeros(m, np.uint8)
    for k, mod in enumerate(models):
        code[ch.best == k] = FORECAST_MODELS.index(mod) + 1
    code[ch.best == len(models)] = FORECAST_MODELS.index("linear") + 1
    c_alpha = None
    if thick_ok is not None and "consolidation" in ch.fits:
        with np.errstate(invalid="ignore", divide="ignore"):
            k_mm = ch.fits["consolidation"].param("rate_mm_per_decade")
            c_alpha = np.where(thick_ok & (ch.best == models.index("consolidation")), np.abs(k_mm) / (1000.0 * h),
                               np.nan)
    return Forecast(g["value"], g["sigma"], code, sse, count, c_alpha, g["hits"], g["count"], g["steps_count"],
                    g["steps_at"], g["steps_used"], g["runner_up"], g["gap"], g["weight"], g["close"])


def coverage_share(hits_total: float, count_total: float) -> float:
    """Share of the rolling-origin held-out values within 2 sigma of their forecasts (NaN when none)."""
    return float(hits_total / count_total) if count_total > 0 else float("nan")


def holdout_rmse(sse_total: float, count_total: float) -> float:
    """RMSE (mm) of the held-out dates from the summed squared errors and their number (NaN when none)."""
    return float(np.sqrt(sse_total / count_total)) if count_total > 0 else float("nan")


#: Bands of the offsets raster (int32): their number, whether the forecast used them, then the date of each
#: (YYYYMMDD of the first date after it, 0 = none).
STEP_BANDS = ("offsets found", "offsets used (1) by the forecast", *(f"offset {k + 1} date (YYYYMMDD, 0 = none)"
                                                                      for k in range(STEP_MAX)))
#: Bands of the choice raster (float32).
CHOICE_BANDS = ("close choice (1: the runner-up within 2 of the criterion)",
                "runner-up model (1..6 as the model raster, 7 = the line with the offsets found)",
                "criterion gap to the runner-up", "weight of the chosen model (0..1)")


def _yyyymmdd(dates) -> np.ndarray:
    return np.array([x.year * 10000 + x.month * 100 + x.day for x in dates], dtype=np.int64)


def steps_bands(fc: Forecast, dates) -> np.ndarray:
    """The offsets raster's bands ``(2 + STEP_MAX, m)`` int32 (-1 where no model was fitted)."""
    ymd = _yyyymmdd(dates)
    at = fc.steps_at
    out = np.vstack([fc.steps_count[None, :], fc.steps_used[None, :].astype(np.int64),
                     np.where(at >= 0, ymd[np.maximum(at, 0)], 0)])
    return np.where(fc.model_code[None, :] > 0, out, -1).astype(np.int32)


def choice_bands(fc: Forecast) -> np.ndarray:
    """The choice raster's bands ``(4, m)`` float32 (NaN where no model was fitted; a typed MODEL: 0, 0, NaN,
    NaN)."""
    out = np.vstack([fc.close.astype(np.float64), fc.runner_up.astype(np.float64), fc.gap, fc.weight])
    return np.where(fc.model_code[None, :] > 0, out, np.nan).astype(np.float32)


def _by_model(values, code, rows: int, cols: int) -> np.ndarray:
    """Row sums ``(rows, 7)`` of ``values`` ``(m,)`` split by the model code (0 = none, 1..6)."""
    v = values.reshape(rows, cols)
    c = code.reshape(rows, cols)
    return np.stack([row_sums(np.where(c == k, v, 0.0)) for k in range(len(FORECAST_MODELS) + 1)], axis=1)


def forecast_raster_block(block, inputs, *, dates, forecast_dates, opts: dict) -> dict:
    """Block function of the engine: ``inputs["series"]`` ``(n_dates, rows, cols)`` mm (and, optionally,
    ``inputs["thickness"]`` ``(rows, cols)`` m).

    Returns ``forecast`` and ``sigma`` ``(n_f, rows, cols)`` float32, ``model`` ``(rows, cols)`` uint8, ``steps``
    ``(2 + STEP_MAX, rows, cols)`` int32 (:func:`steps_bands`), ``choice`` ``(4, rows, cols)`` float32
    (:func:`choice_bands`) and the hold-out ``sse`` and ``count`` and the rolling-origin ``cover_hits`` and
    ``cover_count`` summed over each row of the block ``(rows,)``, the last two also by model code
    (``cover_hits_by_model``, ``cover_count_by_model``, ``(rows, 7)``; added in row order by the writer: the RMSE
    and the coverage do not depend on the block layout)."""
    series = inputs["series"]
    n, rows, cols = series.shape
    thick = inputs.get("thickness")
    with one_blas_thread():
        fc = forecast_series(series.reshape(n, -1), dates, forecast_dates,
                             thickness_m=None if thick is None else np.asarray(thick, np.float64).reshape(-1), **opts)
    nf = len(forecast_dates)
    out = {"forecast": fc.value_mm.reshape(nf, rows, cols).astype(np.float32),
           "sigma": fc.sigma_mm.reshape(nf, rows, cols).astype(np.float32),
           "model": fc.model_code.reshape(rows, cols),
           "steps": steps_bands(fc, dates).reshape(-1, rows, cols),
           "choice": choice_bands(fc).reshape(-1, rows, cols),
           "sse": row_sums(fc.holdout_sse.reshape(rows, cols)), "count": row_sums(fc.holdout_count.reshape(rows, cols)),
           "cover_hits": row_sums(fc.coverage_hits.reshape(rows, cols)),
           "cover_count": row_sums(fc.coverage_count.reshape(rows, cols)),
           "cover_hits_by_model": _by_model(fc.coverage_hits, fc.model_code, rows, cols),
           "cover_count_by_model": _by_model(fc.coverage_count, fc.model_code, rows, cols)}
    if fc.c_alpha is not None:
        out["c_alpha"] = fc.c_alpha.reshape(rows, cols)
    return out


def forecast_points_block(block, inputs, *, dates, forecast_dates, opts: dict) -> dict:
    """Block function of the engine for points: ``inputs["series"]`` ``(n_dates, n_points)`` mm. Returns the
    :class:`Forecast` of those points."""
    with one_blas_thread():
        return {"forecast": forecast_series(inputs["series"], dates, forecast_dates, **opts)}


def bytes_per_series(n_dates: int, n_forecast: int, models: Sequence[str]) -> float:
    """Memory of one series in a block (bytes): the float64 series and its copies in the fits (mask, weights,
    residuals, columns), the models' work arrays (the time-constant searches hold about ten date-long arrays),
    the rolling-origin errors kept for one model at a time (two arrays over the held-out part of each origin) and
    the outputs; the noise fit (the whitened series and columns, gaps, correlations: about fifteen date-long arrays)
    and the offsets' scan (about two dozen: the whitened columns with the offsets, their tail sums), for a typed
    model too (its residuals are scanned). Twice the fit with a hold-out is not counted: the two fits run one after
    the other."""
    nonlinear = any(m in ("logcreep", "expdecay", "consolidation") for m in models)
    per_date = 8.0 * (12 if nonlinear else 6) + 9.0 * ROLLING_ORIGINS * ROLLING_SHARE + 8.0 * (16 + 24)
    return per_date * int(n_dates) + 8.0 * (4 + len(models)) * int(n_forecast) + 256.0 * len(models) + 1024.0


def model_codes_text() -> str:
    """``"1=linear, 2=annual, ..."``: the codes of the model raster and field."""
    return ", ".join(f"{i + 1}={m}" for i, m in enumerate(FORECAST_MODELS))


def band_names(forecast_dates: Sequence[_dt.date]) -> list:
    """Band descriptions of the forecast rasters: the ISO dates."""
    return [d.isoformat() for d in forecast_dates]
