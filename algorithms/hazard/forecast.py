"""Displacement at future dates: a temporal model fitted to each series, evaluated at forecast dates with the
uncertainty of a future measurement, optionally scored on held-out last dates.

The models and their fitting are those of ``timeseriesmodels`` (:mod:`algorithms.timeseries.models`): the same
least squares, the same time axes (origin date, end of primary consolidation ``T_p``), the same information
criteria. A forecast adds:

* the **prediction** of the fitted model at dates after the series (:func:`~algorithms.timeseries.models.evaluate`);
* its **1-sigma** as that of a future measurement, ``sqrt(J Cov J^T + sigma^2)``: the parameters' covariance
  propagated through the model's Jacobian ``J`` at the forecast date, plus the residual variance
  ``sigma^2 = RSS / (n - p)`` (:func:`~algorithms.timeseries.models.prediction_sigma`);
* the **hold-out score**: with ``holdout = N`` the model is fitted on the dates before the last ``N``, predicted
  on those, and the squared errors summed (RMSE over every series and held-out date); the forecast itself comes
  from a refit on all dates;
* **secondary consolidation with a fill thickness** ``H`` (m): settlement after the end of primary consolidation
  ``S = C H log10(t / t_p)`` (Buisman 1936), so ``C = |K| / (1000 H)`` (strain per decade of time, the
  settlement's magnitude: the input's sign may be up or toward the satellite) is reported;
  the forecast equals that of the ``K`` fit (scaling the regressor by a constant per series changes neither the
  fit nor its prediction). Where ``H`` is missing or not positive the consolidation model is not used.

Models (``MODEL`` of the tool, 0 = the best by the criterion): linear, linear + annual, quadratic, logarithmic
creep ``A + B ln(1 + t / tau) + C t``, secondary consolidation, exponential decay ``a + A (1 - exp(-t / tau))``;
``t`` in the last three counted from the origin (event, loading) date. Values in mm, LOS positive toward the
satellite, with the input's reference: the forecast is the model's value, in the frame of the input.

References
----------
Buisman A. S. K. (1936), Results of long duration settlement tests, Proc. 1st ICSMFE 1, 103-106.
Burnham K. P., Anderson D. R. (2004), Multimodel inference, Sociol. Methods Res. 33(2), 261-304,
doi:10.1177/0049124104268644.
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
from ..ordered import row_sums
from ..progress import warn
from ..timeseries.models import (
    CRITERIA,
    PARAM_NAMES,
    TimeBase,
    check_dates,
    evaluate,
    fit_model,
    prediction_sigma,
)

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


@dataclass
class Forecast:
    """Forecasts of ``m`` series at ``n_f`` dates.

    Attributes
    ----------
    value_mm, sigma_mm : ndarray, shape (n_f, m)
        Forecast displacement and the 1-sigma of a future measurement (NaN where no model could be fitted).
    model_code : ndarray of uint8, shape (m,)
        1-based index into :data:`FORECAST_MODELS` of the model used (0 = none).
    holdout_sse, holdout_count : ndarray, shape (m,)
        Sum of the squared hold-out errors (mm^2) and their number, per series (0 without a hold-out).
    c_alpha : ndarray, shape (m,) or None
        ``|K| / (1000 H)`` of the consolidation fit where a thickness was given (else None).
    """

    value_mm: np.ndarray
    sigma_mm: np.ndarray
    model_code: np.ndarray
    holdout_sse: np.ndarray
    holdout_count: np.ndarray
    c_alpha: Optional[np.ndarray] = None


def _chosen(series, dates, models, *, criterion, origin_date, primary_end_days, thickness_ok):
    """Fit ``models`` and choose one per series: ``(fits, best (m,) index into models, -1 = none)``."""
    fits, ics = {}, []
    for mod in models:
        fit = fit_model(series, dates, mod, origin_date=origin_date, primary_end_days=primary_end_days,
                        min_dates=min_dates(mod))
        ic = np.nan_to_num(fit.ic(criterion), nan=np.inf)
        ok = np.isfinite(fit.params).all(axis=1) & np.isfinite(fit.cov).all(axis=(1, 2))
        if mod == "consolidation" and thickness_ok is not None:
            ok &= thickness_ok
        ics.append(np.where(ok, ic, np.inf))
        fits[mod] = fit
    ic = np.vstack(ics)
    best = np.argmin(ic, axis=0)  # ties: the first (simpler) model
    return fits, np.where(np.isfinite(ic.min(axis=0)), best, -1)


def _gather(fits, models, best, dates, m):
    """Values and sigmas of each series' chosen model at ``dates``: ``(value, sigma)`` (n, m)."""
    value = np.full((len(dates), m), np.nan)
    sigma = np.full((len(dates), m), np.nan)
    for k, mod in enumerate(models):
        sel = best == k
        if sel.any():
            fit = fits[mod]
            value[:, sel] = evaluate(fit, dates)[:, sel]
            sigma[:, sel] = prediction_sigma(fit, dates)[:, sel]
    return value, sigma


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
        One of :data:`FORECAST_MODELS`, or :data:`BEST` for the lowest information criterion per series.
    criterion : {"aic", "aicc", "bic"}
    origin_date, primary_end_days :
        The event / loading date and ``T_p`` (days after it) of the logarithmic-creep, consolidation and
        exponential-decay models (:class:`~algorithms.timeseries.models.TimeBase`).
    holdout : int
        The last ``holdout`` dates are left out of a first fit and predicted (0 = no hold-out).
    thickness_m : array_like, shape (m,), optional
        Fill thickness (m) for the consolidation model; where NaN or not positive the model is not used.

    Returns
    -------
    Forecast
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
        fits, best = _chosen(train, dates[:-holdout], models, **opts)
        pred, _ = _gather(fits, models, best, dates[-holdout:], m)
        err = d[-holdout:] - pred
        ok = np.isfinite(err)
        for i in range(holdout):  # date order
            sse += np.where(ok[i], err[i] * err[i], 0.0)
            count += ok[i]
    fits, best = _chosen(d, dates, models, **opts)
    value, sigma = _gather(fits, models, best, fdates, m)
    code = np.zeros(m, np.uint8)
    for k, mod in enumerate(models):
        code[best == k] = FORECAST_MODELS.index(mod) + 1
    c_alpha = None
    if thick_ok is not None and "consolidation" in fits:
        with np.errstate(invalid="ignore", divide="ignore"):
            k_mm = fits["consolidation"].param("rate_mm_per_decade")
            c_alpha = np.where(thick_ok & (best == models.index("consolidation")), np.abs(k_mm) / (1000.0 * h),
                               np.nan)
    return Forecast(value, sigma, code, sse, count, c_alpha)


def holdout_rmse(sse_total: float, count_total: float) -> float:
    """RMSE (mm) of the held-out dates from the summed squared errors and their number (NaN when none)."""
    return float(np.sqrt(sse_total / count_total)) if count_total > 0 else float("nan")


def forecast_raster_block(block, inputs, *, dates, forecast_dates, opts: dict) -> dict:
    """Block function of the engine: ``inputs["series"]`` ``(n_dates, rows, cols)`` mm (and, optionally,
    ``inputs["thickness"]`` ``(rows, cols)`` m).

    Returns ``forecast`` and ``sigma`` ``(n_f, rows, cols)`` float32, ``model`` ``(rows, cols)`` uint8 and the
    hold-out ``sse`` and ``count`` summed over each row of the block ``(rows,)`` (added in row order by the
    writer: the RMSE does not depend on the block layout)."""
    series = inputs["series"]
    n, rows, cols = series.shape
    thick = inputs.get("thickness")
    fc = forecast_series(series.reshape(n, -1), dates, forecast_dates,
                         thickness_m=None if thick is None else np.asarray(thick, np.float64).reshape(-1), **opts)
    nf = len(forecast_dates)
    out = {"forecast": fc.value_mm.reshape(nf, rows, cols).astype(np.float32),
           "sigma": fc.sigma_mm.reshape(nf, rows, cols).astype(np.float32),
           "model": fc.model_code.reshape(rows, cols),
           "sse": row_sums(fc.holdout_sse.reshape(rows, cols)), "count": row_sums(fc.holdout_count.reshape(rows, cols))}
    if fc.c_alpha is not None:
        out["c_alpha"] = fc.c_alpha.reshape(rows, cols)
    return out


def forecast_points_block(block, inputs, *, dates, forecast_dates, opts: dict) -> dict:
    """Block function of the engine for points: ``inputs["series"]`` ``(n_dates, n_points)`` mm. Returns the
    :class:`Forecast` of those points."""
    return {"forecast": forecast_series(inputs["series"], dates, forecast_dates, **opts)}


def bytes_per_series(n_dates: int, n_forecast: int, models: Sequence[str]) -> float:
    """Memory of one series in a block (bytes): the float64 series and its copies in the fits (mask, weights,
    residuals, columns), the models' work arrays (the time-constant searches hold about ten date-long arrays)
    and the outputs. Twice the fit with a hold-out is not counted: the two fits run one after the other."""
    nonlinear = any(m in ("logcreep", "expdecay") for m in models)
    per_date = 8.0 * (12 if nonlinear else 6)
    return per_date * int(n_dates) + 8.0 * 4 * int(n_forecast) + 256.0 * len(models) + 512.0


def model_codes_text() -> str:
    """``"1=linear, 2=annual, ..."``: the codes of the model raster and field."""
    return ", ".join(f"{i + 1}={m}" for i, m in enumerate(FORECAST_MODELS))


def band_names(forecast_dates: Sequence[_dt.date]) -> list:
    """Band descriptions of the forecast rasters: the ISO dates."""
    return [d.isoformat() for d in forecast_dates]
