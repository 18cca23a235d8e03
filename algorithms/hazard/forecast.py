"""Displacement at future dates: a temporal model fitted to each series, evaluated at forecast dates with the
uncertainty of a future measurement, optionally scored on held-out last dates.

The models and their fitting are those of ``timeseriesmodels`` (:mod:`algorithms.models.timeseriesmodels`): the same
least squares, the same time axes (origin date, end of primary consolidation ``T_p``), the same information
criteria. A forecast adds:

* the **prediction** of the fitted model at dates after the series
  (:func:`~algorithms.models.timeseriesmodels.evaluate`);
* its **1-sigma** as that of a future measurement, ``sqrt(J Cov J^T + sigma^2)``: the parameters' covariance
  propagated through the model's Jacobian ``J`` at the forecast date, plus the residual variance
  ``sigma^2 = RSS / (n - p)`` (:func:`~algorithms.models.timeseriesmodels.prediction_sigma`);
* the **hold-out score**: with ``holdout = N`` the model is fitted on the dates before the last ``N``, predicted
  on those, and the squared errors summed (RMSE over every series and held-out date); the forecast itself comes
  from a refit on all dates;
* **secondary consolidation with a fill thickness** ``H`` (m): settlement after the end of primary consolidation
  ``S = C H log10(t / t_p)`` (Buisman 1936), so ``C = |K| / (1000 H)`` (strain per decade of time, the
  settlement's magnitude: the input's sign may be up or toward the satellite) is reported;
  the forecast equals that of the ``K`` fit (scaling the regressor by a constant per series changes neither the
  fit nor its prediction). Where ``H`` is missing or not positive the consolidation model is not used.

* **offsets** (MODEL 0): steps of the series about the line (:func:`step_scan`); where they predicted the rolling
  hold-out better, the line forecasts from the level after them, and a curved model must beat the line with them.
  An offset after the last date cannot be foreseen.

Models (``MODEL`` of the tool, 0 = the best by the criterion): linear, linear + annual, quadratic, logarithmic
creep ``A + B ln(1 + t / tau) + C t``, secondary consolidation, exponential decay ``a + A (1 - exp(-t / tau))``;
``t`` in the last three counted from the origin (event, loading) date. Values in mm, LOS positive toward the
satellite, with the input's reference: the forecast is the model's value, in the frame of the input.

References
----------
Buisman A. S. K. (1936), Results of long duration settlement tests, Proc. 1st ICSMFE 1, 103-106.
Burnham K. P., Anderson D. R. (2004), Multimodel inference, Sociol. Methods Res. 33(2), 261-304,
doi:10.1177/0049124104268644.
Zhang N. R., Siegmund D. O. (2007), A modified Bayes information criterion with applications to the analysis of
comparative genomic hybridization data, Biometrics 63(1), 22-32, doi:10.1111/j.1541-0420.2006.00662.x.
Savage J. C., Langbein J. (2008), Postearthquake relaxation after the 2004 M6 Parkfield earthquake and
rate-and-state friction, JGR 113, B10407, doi:10.1029/2008JB005723.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError
from ..formats.dates import parse_date
from ..models.timeseriesmodels import (
    CRITERIA,
    PARAM_NAMES,
    TimeBase,
    check_dates,
    evaluate,
    fit_model,
    information_criterion,
    jacobian,
)
from ..ordered import row_sums, sum_first_axis
from ..progress import warn

#: The forecast models, in the order of the tool's MODEL options 1..6 (0 = the best by the criterion).
FORECAST_MODELS = ("linear", "annual", "quadratic", "logcreep", "consolidation", "expdecay")
#: Option 0 of MODEL.
BEST = "best"
#: A horizon longer than this many times the observed span is warned about.
FAR_HORIZON = 1.0


def min_dates(model: str) -> int:
    """The fewest valid dates a series needs for ``model``: its parameters plus two (a residual variance with at
    least two degrees of freedom, so a forecast has a sigma)."""
    return len(PARAM_NAMES[model]) + 2


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


#: Models that count time from the origin date (:class:`~algorithms.models.timeseriesmodels.TimeBase`).
ORIGIN_MODELS = ("logcreep", "consolidation", "expdecay")
#: Rolling-origin hold-out: origins spread over the last ``ROLLING_SHARE`` of the dates, at most ``ROLLING_ORIGINS``
#: (half: the earliest origin's horizon is as long as the forecasts a user asks for; with 0.3 the RMSE of the
#: default was 1.14x the line's on EGMS Ustica ascending).
ROLLING_SHARE = 0.5
ROLLING_ORIGINS = 5
#: A model other than the line is chosen only where its rolling-origin mean squared error is below this share of
#: the line's and its fit is better than the line's by more than the criterion's penalty, the residuals' AR(1)
#: correlation counted (:func:`_fits_better`).
SKILL_MARGIN = 0.5
#: Among the models whose rolling-origin error is within this factor of the best one, the criterion's choice.
SIMPLER_WITHIN = 1.3
#: ``(days spanned, valid dates)`` a series needs before a model with a curvature or a season may be chosen.
SHOWS = {"annual": (730.0, 24), "quadratic": (365.0, 20), "logcreep": (365.0, 20), "consolidation": (365.0, 20),
         "expdecay": (365.0, 20)}
#: The lag-1 autocorrelation of the residuals is taken in [0, PHI_MAX]: an AR(1) inflation of at most 19.
PHI_MAX = 0.9
#: Weight, in origins, of the prior calibration factor 1 in the empirical one (few origins: a noisy factor).
PRIOR_ORIGINS = 2.0
#: Share of the squared difference to the line's forecast added to a chosen curved model's variance.
CHOICE_SHARE = 0.25
#: Offsets about the line (:func:`step_scan`): at most this many, each kept where its drop in RSS exceeds
#: ``STEP_PENALTY * ln n`` residual variances (AR(1)-inflated).
STEP_MAX = 4
STEP_PENALTY = 5.0


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
    """

    value_mm: np.ndarray
    sigma_mm: np.ndarray
    model_code: np.ndarray
    holdout_sse: np.ndarray
    holdout_count: np.ndarray
    c_alpha: Optional[np.ndarray] = None
    coverage_hits: Optional[np.ndarray] = None
    coverage_count: Optional[np.ndarray] = None


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
    steps: Optional["Steps"] = None


def _fit(d, dates, mod, opts):
    """``(fit, ok (m,))`` of ``mod`` on ``d`` (series with too few dates, or without a thickness for the
    consolidation model, not ok)."""
    fit = fit_model(d, dates, mod, origin_date=opts["origin_date"], primary_end_days=opts["primary_end_days"],
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


def _fits_better(fit, line, d, dates, criterion: str) -> np.ndarray:
    """Where ``fit`` explains the series better than the line by more than the criterion's penalty for its extra
    parameters (AIC 2, AICc ``2 n / (n - p - 2)``, BIC ``ln n`` each), the drop in RSS counted in units of the
    model's residual variance times its AR(1) inflation (:func:`ar1_inflation`): correlated noise bends a curve
    toward its last wiggle, and is weaker evidence than white noise of the same size."""
    n = fit.n_used.astype(np.float64)
    extra = max(fit.n_params - line.n_params, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = fit.rss / np.maximum(n - fit.n_params, 1.0)
        gain = (line.rss - fit.rss) / (s2 * ar1_inflation(d - evaluate(fit, dates)))
        penalty = {"aic": 2.0 * np.ones_like(n), "aicc": 2.0 * n / np.maximum(n - fit.n_params - 2.0, 1.0),
                   "bic": np.log(np.maximum(n, 1.0))}[criterion]
        return np.nan_to_num(gain, nan=-np.inf) > extra * penalty


def _tail_sums(a) -> np.ndarray:
    """``out[k] = a[k] + a[k+1] + ... + a[n-1]`` along the first axis, added from the last date backward."""
    return np.cumsum(a[::-1], axis=0)[::-1]


@dataclass
class Steps:
    """A line with offsets, per series ``(m,)``: residual sum of squares (mm^2), number of offsets found, the
    line's offset (mm, at the first date) and velocity (mm/yr), the sum of the offsets (mm) and the variance of
    that sum (mm^2)."""

    rss: np.ndarray
    count: np.ndarray
    offset_mm: np.ndarray
    velocity_mm_yr: np.ndarray
    total_mm: np.ndarray
    total_var: np.ndarray
    line_offset_mm: np.ndarray
    line_velocity_mm_yr: np.ndarray

    def value(self, dates, at_dates, *, offsets: bool = True) -> np.ndarray:
        """The line with its offsets at ``at_dates`` after the series ``(n_at, m)``: every offset found counts
        (``offsets`` False: the line fitted without them)."""
        t = np.array([(x - dates[0]).days for x in at_dates], dtype=np.float64)[:, None] / 365.25
        if not offsets:
            return self.line_offset_mm[None, :] + self.line_velocity_mm_yr[None, :] * t
        return self.offset_mm[None, :] + self.velocity_mm_yr[None, :] * t + self.total_mm[None, :]


def step_scan(d, dates, *, max_steps: int = 2, penalty: float = 3.0, min_side: int = 3) -> Steps:
    """Offsets (steps) in the series about a line (:class:`Steps`): where none is found, the line itself.

    The step at each date ``k`` (the series shifted by ``delta`` from date ``k`` on) is scored by the drop in RSS
    it brings to the line fit, ``(h' r)^2 / (h' P h)`` with ``r`` the line's residuals and ``P`` the projector
    off the line (cumulative sums over the dates, every series at once); the best one is kept where its drop, in
    units of the residual variance after it times the residuals' AR(1) inflation (:func:`ar1_inflation`), exceeds
    ``penalty * ln n`` (the step's size and its date both estimated: a stricter price than BIC's ``ln n`` per
    parameter, as for change points, e.g. Zhang & Siegmund 2007, doi:10.1111/j.1541-0420.2006.00662.x), at least
    ``min_side`` valid dates on each side; then the next one on the residuals, up to ``max_steps`` (each offset
    fitted with the line, the earlier ones held: backfitting one offset at a time)."""
    ok = np.isfinite(d)
    w = ok.astype(np.float64)
    days = np.array([(x - dates[0]).days for x in dates], dtype=np.float64)
    t = (days / 365.25)[:, None] * w
    y = np.where(ok, d, 0.0)
    s0, s1, s2 = sum_first_axis(w), sum_first_axis(t), sum_first_axis(t * t)
    det = s0 * s2 - s1 * s1
    good = (s0 >= 2 * min_side + 2) & (det > 0)
    det = np.where(good, det, 1.0)
    sd, std = sum_first_axis(y), sum_first_axis(t * y)
    v = (s0 * std - s1 * sd) / det
    a = (sd - v * s1) / np.where(good, s0, 1.0)
    r = np.where(ok, y - a - v * t, 0.0)
    rss = sum_first_axis(r * r)
    line_a, line_v = a, v
    n_steps = np.zeros(d.shape[1], np.int64)
    total, total_var = np.zeros(d.shape[1]), np.zeros(d.shape[1])
    big_a, big_b = _tail_sums(w), _tail_sums(t)
    hph = big_a - (big_a * big_a * s2 - 2.0 * big_a * big_b * s1 + big_b * big_b * s0) / det
    allowed = (big_a >= min_side) & (s0 - big_a >= min_side) & (hph > 1e-9 * np.maximum(s0, 1.0)) & good
    hph = np.where(allowed, hph, 1.0)
    price = penalty * np.log(np.maximum(s0, 2.0))
    active = good.copy()
    for _ in range(max_steps):
        big_r = _tail_sums(r)
        gain = np.where(allowed, big_r * big_r / hph, -1.0)
        k = np.argmax(gain, axis=0)
        cols = np.arange(d.shape[1])
        g = gain[k, cols]
        delta = big_r[k, cols] / hph[k, cols]
        # the residuals after the step: the step column off the line, times its size
        beta_a = (big_a[k, cols] * s2 - big_b[k, cols] * s1) / det
        beta_v = (big_b[k, cols] * s0 - big_a[k, cols] * s1) / det
        h = (np.arange(d.shape[0])[:, None] >= k[None, :]).astype(np.float64)
        r2 = np.where(ok, r - delta * (h - beta_a - beta_v * t), 0.0)
        rss2 = sum_first_axis(r2 * r2)
        with np.errstate(invalid="ignore", divide="ignore"):
            s2_after = rss2 / np.maximum(s0 - 2.0 - 2.0 * (n_steps + 1), 1.0)
            z = g / s2_after
        take = active & (g > 0) & (np.nan_to_num(z, nan=-np.inf) > price)
        a = np.where(take, a - delta * beta_a, a)
        v = np.where(take, v - delta * beta_v, v)
        total = np.where(take, total + delta, total)
        with np.errstate(invalid="ignore", divide="ignore"):
            total_var = np.where(take, total_var + s2_after / hph[k, cols], total_var)
        r = np.where(take[None, :], r2, r)
        rss = np.where(take, rss2, rss)
        n_steps = n_steps + take
        active = take
        if not active.any():
            break
    # the offsets together, judged on the residuals they leave: an offset not yet found makes the residuals of the
    # earlier ones look correlated, so the AR(1) inflation is taken once all are in
    rss_line = sum_first_axis(np.where(ok, y - line_a - line_v * t, 0.0) ** 2)
    infl = ar1_inflation(np.where(ok, r, np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        s2_end = rss / np.maximum(s0 - 2.0 - 2.0 * n_steps, 1.0)
        z = (rss_line - rss) / (s2_end * infl)
    keep = (n_steps > 0) & (np.nan_to_num(z, nan=-np.inf) > price * n_steps)
    return Steps(np.where(keep, rss, rss_line), np.where(keep, n_steps, 0), np.where(keep, a, line_a),
                 np.where(keep, v, line_v), np.where(keep, total, 0.0), np.where(keep, total_var * infl, 0.0),
                 line_a, line_v)


def _steps_predict_better(d, dates, origins) -> np.ndarray:
    """Where the line with the offsets found before each rolling origin predicts the dates from it on better than
    the line alone (horizon-weighted squared errors summed over the origins, as :func:`_rolling`): an offset that
    correlated noise mimics does not help the forecast, a real one does from every origin after it."""
    m = d.shape[1]
    with_steps, without = np.zeros(m), np.zeros(m)
    for o in origins:
        if o < 2 * 3 + 2:
            continue
        st = step_scan(d[:o], dates[:o], max_steps=int(STEP_MAX), penalty=STEP_PENALTY)
        w = np.array([(x - dates[o - 1]).days for x in dates[o:]], dtype=np.float64)[:, None]
        ok = np.isfinite(d[o:])
        e1 = np.where(ok, d[o:] - st.value(dates[:o], dates[o:]), 0.0)
        e0 = np.where(ok, d[o:] - st.value(dates[:o], dates[o:], offsets=False), 0.0)
        with_steps += sum_first_axis(w * e1 * e1)
        without += sum_first_axis(w * e0 * e0)
    return with_steps < without


def _wins_every_origin(skill: _Skill, line: _Skill) -> np.ndarray:
    """Where the model predicts better than the line from every rolling origin (at least two with records): a
    curve that wins on average but loses from some origin followed a wiggle of the noise."""
    wins = np.ones(line.mse.shape, bool)
    seen = np.zeros(line.mse.shape)
    for a, b in zip(skill.origin_mse, line.origin_mse):
        both = np.isfinite(a) & np.isfinite(b)
        wins &= ~both | (a < b)
        seen += both
    return wins & (seen >= 2)


def _chosen(d, dates, models, opts):
    """Fit ``models`` on all dates, score each by its rolling-origin hold-out and choose one per series:
    ``(fits, skills, best (m,) index into models, -1 = none)``.

    With one model it is the choice wherever it fits. Otherwise the line, unless a model the series is long enough
    to show (:data:`SHOWS`) predicts the held-out dates clearly better (mean squared error below
    :data:`SKILL_MARGIN` of the line's) and explains the series better by more than the criterion's penalty
    (:func:`_fits_better`), than the line with the offsets found (:func:`step_scan`, by the criterion, each
    offset's size and date counted) and from every origin (:func:`_wins_every_origin`); among those whose error is
    within :data:`SIMPLER_WITHIN` of the best, the one the criterion prefers on the full fit. The line's record
    carries its offsets where they predicted the rolling hold-out better (:func:`_steps_predict_better`)."""
    origins = rolling_origins(len(dates), min(min_dates(mod) for mod in models))
    fits, oks, skills = {}, {}, {}
    for mod in models:
        fits[mod], oks[mod] = _fit(d, dates, mod, opts)
    m = d.shape[1]
    if len(models) == 1 or "linear" not in models:
        k_lin = 0
    else:
        k_lin = models.index("linear")
    lin = models[k_lin]
    skills[lin] = _rolling(d, dates, lin, origins, opts)
    best = np.where(oks[lin], k_lin, -1)
    if len(models) == 1:
        return fits, skills, best
    span, count = _span_and_count(d, dates)
    lin_mse = skills[lin].mse
    # an offset before the last date bends no curve: a curved model must also beat, by the criterion, the line
    # with the offsets found (size and date of each counted); the line forecasts with its offsets where they
    # predicted the rolling hold-out better
    steps = step_scan(d, dates, max_steps=int(STEP_MAX), penalty=STEP_PENALTY)
    rival = information_criterion(steps.rss, fits[lin].n_used, 2 + 2 * steps.count, opts["criterion"])
    found = steps.count > 0
    if found.any():  # each series on its own: a subset of the columns gives the same bytes
        better = np.zeros(m, bool)
        better[found] = _steps_predict_better(d[:, found], dates, origins)
        steps.count = np.where(better, steps.count, 0)
    skills[lin].steps = steps
    cand = np.full((len(models), m), np.inf)
    for k, mod in enumerate(models):
        if k == k_lin:
            continue
        need_days, need_dates = SHOWS.get(mod, (0.0, 0))
        # the rolling origins only where the full fit could make the model the choice: each series' fits use
        # that series alone, so a subset of the columns gives the same bytes, and a line-like series costs one
        # rolling hold-out (the line's) instead of six
        gate = (oks[mod] & oks[lin] & (span >= need_days) & (count >= need_dates)
                & _fits_better(fits[mod], fits[lin], d, dates, opts["criterion"]))
        gate &= np.nan_to_num(fits[mod].ic(opts["criterion"]), nan=np.inf) < rival
        skills[mod] = _rolling_where(d, dates, mod, origins, opts, gate)
        with np.errstate(invalid="ignore"):
            good = gate & np.isfinite(skills[mod].mse) & (skills[mod].mse < SKILL_MARGIN * lin_mse)
        cand[k] = np.where(good & _wins_every_origin(skills[mod], skills[lin]), skills[mod].mse, np.inf)
    top = cand.min(axis=0)
    pick = np.full(m, -1)
    # among the curved models that predict about as well as the best, the one the criterion prefers on the full
    # fit: its parameter count is priced there, and all dates weigh (five rolling errors do not tell an exponential
    # decay from the two-parameter consolidation curve close to it)
    ic_best = np.full(m, np.inf)
    for k, mod in enumerate(models):
        if k == k_lin:
            continue
        ic = np.nan_to_num(fits[mod].ic(opts["criterion"]), nan=np.inf)
        take = np.isfinite(cand[k]) & (cand[k] <= SIMPLER_WITHIN * top) & (ic < ic_best)
        pick = np.where(take, k, pick)
        ic_best = np.where(take, ic, ic_best)
    return fits, skills, np.where(pick >= 0, pick, best)


def _gather(fits, skills, models, best, d, dates, at_dates):
    """Values and calibrated sigmas of each series' chosen model at ``at_dates`` ``(n, m)``, and its rolling-origin
    coverage ``(hits, count)``: the sigma of the AR(1)-aware fit times the empirical factor of the rolling-origin
    errors, and for a curved model a share of its distance to the line's forecast (the choice could be wrong)."""
    m = d.shape[1]
    value = np.full((len(at_dates), m), np.nan)
    sigma = np.full((len(at_dates), m), np.nan)
    hits, count = np.zeros(m), np.zeros(m)
    line = _predict(fits["linear"], d, dates, at_dates)[0] if "linear" in fits and len(models) > 1 else None
    horizon = np.array([(x - dates[-1]).days for x in at_dates], dtype=np.float64)[:, None]
    for k, mod in enumerate(models):
        sel = best == k
        if not sel.any():
            continue
        v, s = _predict(fits[mod], d, dates, at_dates)
        var = s * s * skills[mod].k2[None, :] + skills[mod].walk[None, :] * horizon
        steps = skills[mod].steps
        if steps is not None:  # the line with the offsets found before the last date
            found = steps.count > 0
            v = np.where(found[None, :], steps.value(dates, at_dates), v)
            var = var + np.where(found, steps.total_var, 0.0)[None, :]
        if line is not None and mod != "linear":
            with np.errstate(invalid="ignore", over="ignore"):
                var = var + CHOICE_SHARE * np.nan_to_num(v - line) ** 2
        value[:, sel] = v[:, sel]
        sigma[:, sel] = np.sqrt(var[:, sel])
        hits[sel] = skills[mod].hits[sel]
        count[sel] = skills[mod].count[sel]
    return value, sigma, hits, count


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
        One of :data:`FORECAST_MODELS`, or :data:`BEST`: the line unless another model predicts the rolling-origin
        hold-out clearly better (:func:`_chosen`).
    criterion : {"aic", "aicc", "bic"}
        The information criterion that must also prefer a model over the line for :data:`BEST`.
    origin_date, primary_end_days :
        The event / loading date and ``T_p`` (days after it) of the logarithmic-creep, consolidation and
        exponential-decay models (:class:`~algorithms.models.timeseriesmodels.TimeBase`).
    holdout : int
        The last ``holdout`` dates are left out of a first fit and predicted (0 = no hold-out).
    thickness_m : array_like, shape (m,), optional
        Fill thickness (m) for the consolidation model; where NaN or not positive the model is not used.

    Returns
    -------
    Forecast
        The sigma is calibrated: the parameters' covariance inflated for AR(1) residuals, times the factor that
        makes the rolling-origin errors of the model unit-variance (shrunk toward 1), plus for a curved model chosen
        over the line a quarter of the squared difference of their forecasts, plus for a line with offsets the
        variance of their sum.
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
    if origin_date is None:  # one origin for the training fit and the full fit: the hold-out tests the forecast
        origin_date = TimeBase(dates).origin_date
    thick_ok = None
    if thickness_m is not None:
        h = np.asarray(thickness_m, dtype=np.float64).reshape(-1)
        if h.size != m:
            raise GeohazardError(f"thickness_m has {h.size} values for {m} series")
        thick_ok = np.isfinite(h) & (h > 0)
    opts = dict(criterion=criterion, origin_date=origin_date, primary_end_days=primary_end_days,
                thickness_ok=thick_ok)
    sse, count = np.zeros(m), np.zeros(m)
    if holdout:
        train = d[:-holdout]
        fits, skills, best = _chosen(train, dates[:-holdout], models, opts)
        pred = _gather(fits, skills, models, best, train, dates[:-holdout], dates[-holdout:])[0]
        err = d[-holdout:] - pred
        ok = np.isfinite(err)
        for i in range(holdout):  # date order
            sse += np.where(ok[i], err[i] * err[i], 0.0)
            count += ok[i]
    fits, skills, best = _chosen(d, dates, models, opts)
    value, sigma, hits, total = _gather(fits, skills, models, best, d, dates, fdates)
    code = np.zeros(m, np.uint8)
    for k, mod in enumerate(models):
        code[best == k] = FORECAST_MODELS.index(mod) + 1
    c_alpha = None
    if thick_ok is not None and "consolidation" in fits:
        with np.errstate(invalid="ignore", divide="ignore"):
            k_mm = fits["consolidation"].param("rate_mm_per_decade")
            c_alpha = np.where(thick_ok & (best == models.index("consolidation")), np.abs(k_mm) / (1000.0 * h),
                               np.nan)
    return Forecast(value, sigma, code, sse, count, c_alpha, hits, total)


def coverage_share(hits_total: float, count_total: float) -> float:
    """Share of the rolling-origin held-out values within 2 sigma of their forecasts (NaN when none)."""
    return float(hits_total / count_total) if count_total > 0 else float("nan")


def holdout_rmse(sse_total: float, count_total: float) -> float:
    """RMSE (mm) of the held-out dates from the summed squared errors and their number (NaN when none)."""
    return float(np.sqrt(sse_total / count_total)) if count_total > 0 else float("nan")


def forecast_raster_block(block, inputs, *, dates, forecast_dates, opts: dict) -> dict:
    """Block function of the engine: ``inputs["series"]`` ``(n_dates, rows, cols)`` mm (and, optionally,
    ``inputs["thickness"]`` ``(rows, cols)`` m).

    Returns ``forecast`` and ``sigma`` ``(n_f, rows, cols)`` float32, ``model`` ``(rows, cols)`` uint8 and the
    hold-out ``sse`` and ``count`` and the rolling-origin ``cover_hits`` and ``cover_count`` summed over each row
    of the block ``(rows,)`` (added in row order by the writer: the RMSE and the coverage do not depend on the block
    layout)."""
    series = inputs["series"]
    n, rows, cols = series.shape
    thick = inputs.get("thickness")
    fc = forecast_series(series.reshape(n, -1), dates, forecast_dates,
                         thickness_m=None if thick is None else np.asarray(thick, np.float64).reshape(-1), **opts)
    nf = len(forecast_dates)
    out = {"forecast": fc.value_mm.reshape(nf, rows, cols).astype(np.float32),
           "sigma": fc.sigma_mm.reshape(nf, rows, cols).astype(np.float32),
           "model": fc.model_code.reshape(rows, cols),
           "sse": row_sums(fc.holdout_sse.reshape(rows, cols)), "count": row_sums(fc.holdout_count.reshape(rows, cols)),
           "cover_hits": row_sums(fc.coverage_hits.reshape(rows, cols)),
           "cover_count": row_sums(fc.coverage_count.reshape(rows, cols))}
    if fc.c_alpha is not None:
        out["c_alpha"] = fc.c_alpha.reshape(rows, cols)
    return out


def forecast_points_block(block, inputs, *, dates, forecast_dates, opts: dict) -> dict:
    """Block function of the engine for points: ``inputs["series"]`` ``(n_dates, n_points)`` mm. Returns the
    :class:`Forecast` of those points."""
    return {"forecast": forecast_series(inputs["series"], dates, forecast_dates, **opts)}


def bytes_per_series(n_dates: int, n_forecast: int, models: Sequence[str]) -> float:
    """Memory of one series in a block (bytes): the float64 series and its copies in the fits (mask, weights,
    residuals, columns), the models' work arrays (the time-constant searches hold about ten date-long arrays),
    the rolling-origin errors kept for one model at a time (two arrays over the held-out part of each origin) and
    the outputs; with several models, the offsets' scan (:func:`step_scan`: about a dozen date-long arrays). Twice
    the fit with a hold-out is not counted: the two fits run one after the other."""
    nonlinear = any(m in ("logcreep", "expdecay") for m in models)
    per_date = 8.0 * (12 if nonlinear else 6) + 9.0 * ROLLING_ORIGINS * ROLLING_SHARE
    if len(models) > 1:
        per_date += 8.0 * 12
    return per_date * int(n_dates) + 8.0 * 4 * int(n_forecast) + 256.0 * len(models) + 512.0


def model_codes_text() -> str:
    """``"1=linear, 2=annual, ..."``: the codes of the model raster and field."""
    return ", ".join(f"{i + 1}={m}" for i, m in enumerate(FORECAST_MODELS))


def band_names(forecast_dates: Sequence[_dt.date]) -> list:
    """Band descriptions of the forecast rasters: the ISO dates."""
    return [d.isoformat() for d in forecast_dates]
