"""Temporal models of displacement time series, fitted per point or per pixel.

Every model is fitted by weighted least squares to all series at once (one normal matrix
per series, solved batched), so gaps (NaN) are handled per series without a Python loop
over points. Parameter uncertainties come from the a-posteriori covariance
``sigma^2 (G^T G)^-1`` with ``sigma^2 = RSS / (n - p)``; models are compared with an
information criterion (AIC, AICc or BIC, Gaussian likelihood).

Models (``d`` in mm, LOS positive toward the satellite; ``t`` in years since the first
date; ``tau`` in days since an origin date):

``linear``
    ``d = a + v t``
``seasonal``
    ``d = a + v t + A1 sin(2 pi y) + B1 cos(2 pi y) + A2 sin(4 pi y) + B2 cos(4 pi y)`` with
    ``y`` the calendar year fraction, so amplitude and peak day do not depend on the first date.
``quadratic``
    ``d = a + v t + acc t^2 / 2`` (``v`` is the velocity at the first date).
``logarithmic``
    ``d = a + B log10(tau) + C tau / 365.25`` (creep law used for landslide early warning;
    ``B`` in mm per decade of time, ``C`` in mm/yr), ``tau`` counted from ``origin_date``.
``afterslip``
    ``d = a + A log10(1 + tau / tau_c)`` (post-seismic afterslip, Marone et al. 1991);
    the characteristic time ``tau_c`` (days) is found by a grid search (variable projection).
``consolidation``
    ``d = a + K log10(tau / T_p)`` (secondary consolidation, ``K = C_alpha dH`` in mm per
    decade; Buisman 1936), ``tau`` counted from the loading date ``origin_date`` and
    ``T_p`` the end of primary consolidation in days after loading.

Models a forecast fits besides (:data:`FORECAST_ONLY`; ``timeseriesmodels``' menu is :data:`MODELS`):

``annual``
    ``d = a + v t + A1 sin(2 pi y) + B1 cos(2 pi y)`` (linear + annual).
``logcreep``
    ``d = A + B ln(1 + tau / tau_c) + C tau / 365.25`` (logarithmic creep with a steady rate: post-seismic
    and landslide creep, Savage & Langbein 2008); ``tau_c`` (days) found by variable projection.
``expdecay``
    ``d = a + A (1 - exp(-tau / tau_c))`` (exponential decay: post-seismic relaxation, primary consolidation);
    ``tau_c`` (days) found by variable projection.
``settlement``
    ``d = a + K log10(1 + tau / t_l)`` (secondary consolidation when the loading date is not known: the loading
    ``t_l`` days before the origin, found by variable projection; with ``t_l`` known it is ``consolidation`` with
    its origin at the loading date and ``T_p`` = ``t_l``).

Every fit also gives the parameters' covariance (``ModelFit.cov``, ``sigma^2 N^-1`` with the Jacobian at the
optimum for the models with a time constant), from which :func:`prediction_sigma` propagates the uncertainty of
a value at other dates.

References
----------
Marone C. J., Scholz C. H., Bilham R. (1991), On the mechanics of earthquake afterslip,
JGR 96(B5), 8441-8452, doi:10.1029/91JB00275.
Burnham K. P., Anderson D. R. (2004), Multimodel inference: understanding AIC and BIC in
model selection, Sociol. Methods Res. 33(2), 261-304, doi:10.1177/0049124104268644.
Savage J. C., Langbein J. (2008), Postearthquake relaxation after the 2004 M6 Parkfield, California,
earthquake and rate-and-state friction, JGR 113, B10407, doi:10.1029/2008JB005723.
Fuhrmann T., Garthwaite M. C. (2019), Resolving three-dimensional surface motion with
InSAR: constraints from multi-geometry data fusion, Remote Sens. 11(3), 241 (seasonal
terms), doi:10.3390/rs11030241.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from ..conventions import DAYS_PER_YEAR
from ..errors import GeohazardError
from ..formats.dates import parse_date
from ..ordered import columnwise_matmul, row_sums, sum_first_axis
from ..progress import check_canceled, warn

#: Model names, in the order tools list them.
MODELS = ("linear", "seasonal", "quadratic", "logarithmic", "afterslip", "consolidation")

#: Parameter names of each model (units in the names).
PARAM_NAMES = {
    "linear": ("offset_mm", "velocity_mm_yr"),
    "seasonal": ("offset_mm", "velocity_mm_yr", "annual_sin_mm", "annual_cos_mm",
                 "semiannual_sin_mm", "semiannual_cos_mm"),
    "quadratic": ("offset_mm", "velocity_mm_yr", "acceleration_mm_yr2"),
    "logarithmic": ("offset_mm", "log_rate_mm_per_decade", "velocity_mm_yr"),
    "afterslip": ("offset_mm", "amplitude_mm", "tau_days"),
    "consolidation": ("offset_mm", "rate_mm_per_decade"),
    "annual": ("offset_mm", "velocity_mm_yr", "annual_sin_mm", "annual_cos_mm"),
    "logcreep": ("offset_mm", "creep_mm", "velocity_mm_yr", "tau_days"),
    "expdecay": ("offset_mm", "amplitude_mm", "tau_days"),
    "settlement": ("offset_mm", "rate_mm_per_decade", "loading_days"),
}

#: Models a forecast fits that ``timeseriesmodels`` does not offer (its menu, :data:`MODELS`, keeps its codes).
FORECAST_ONLY = ("annual", "logcreep", "expdecay", "settlement")
ALL_MODELS = MODELS + FORECAST_ONLY
#: Models with a time constant ``tau_c`` (their last parameter), fitted by variable projection.
TIME_CONSTANT_MODELS = ("afterslip", "logcreep", "expdecay", "settlement")

CRITERIA = ("aic", "aicc", "bic")


def check_dates(dates: Sequence, *, name: str = "dates") -> list[_dt.date]:
    """Parse ``dates`` and require them strictly increasing.

    Raises
    ------
    GeohazardError
        Naming the first pair out of order or repeated.
    """
    ds = [parse_date(d) for d in dates]
    for a, b in zip(ds[:-1], ds[1:]):
        if b <= a:
            raise GeohazardError(
                f"{name} must be strictly increasing, but {b.isoformat()} follows {a.isoformat()}")
    return ds


@dataclass
class TimeBase:
    """Time axes of a series: years since the first date, calendar fraction, days since origin.

    Parameters
    ----------
    dates : sequence of date
        Acquisition dates, strictly increasing.
    origin_date : date, optional
        Origin of ``tau`` for the logarithmic, afterslip and consolidation models (event
        or loading date). Default: one median sampling interval before the first date,
        so ``tau > 0`` at every acquisition.
    primary_end_days : float, optional
        ``T_p`` of the consolidation model (days after ``origin_date``). Default: the
        ``tau`` of the first date, so the offset is the value at the first date.
    """

    dates: list
    origin_date: Optional[_dt.date] = None
    primary_end_days: Optional[float] = None
    t_yr: np.ndarray = field(init=False)
    tau_days: np.ndarray = field(init=False)
    year_frac: np.ndarray = field(init=False)

    def __post_init__(self):
        self.dates = check_dates(self.dates)
        first = self.dates[0]
        days = np.array([(d - first).days for d in self.dates], dtype=np.float64)
        self.t_yr = days / DAYS_PER_YEAR
        if self.origin_date is None:
            step = float(np.median(np.diff(days))) if days.size > 1 else 1.0
            self.origin_date = first - _dt.timedelta(days=max(int(round(step)), 1))
        else:
            self.origin_date = parse_date(self.origin_date)
        self.tau_days = days + float((first - self.origin_date).days)
        self.year_frac = np.array([(d - _dt.date(d.year, 1, 1)).days / DAYS_PER_YEAR for d in self.dates])
        if self.primary_end_days is None:
            self.primary_end_days = float(self.tau_days[0]) if self.tau_days[0] > 0 else 1.0

    def at(self, dates: Sequence) -> "TimeBase":
        """The same origin and ``T_p`` evaluated on other dates (for plotting fitted curves)."""
        other = TimeBase.__new__(TimeBase)
        other.dates = [parse_date(d) for d in dates]
        other.origin_date = self.origin_date
        other.primary_end_days = self.primary_end_days
        first = self.dates[0]
        days = np.array([(d - first).days for d in other.dates], dtype=np.float64)
        other.t_yr = days / DAYS_PER_YEAR
        other.tau_days = days + float((first - self.origin_date).days)
        other.year_frac = np.array([(d - _dt.date(d.year, 1, 1)).days / DAYS_PER_YEAR for d in other.dates])
        return other


def design_matrix(model: str, tb: TimeBase, *, tau_c_days: float = 30.0) -> np.ndarray:
    """Design matrix ``G`` of a model that is linear in its parameters, shape ``(n_dates, p)``.

    For ``afterslip`` the characteristic time ``tau_c_days`` is fixed here (the fit grid-searches it).
    """
    one = np.ones_like(tb.t_yr)
    if model == "linear":
        return np.column_stack([one, tb.t_yr])
    if model == "seasonal":
        w = 2.0 * np.pi * tb.year_frac
        return np.column_stack([one, tb.t_yr, np.sin(w), np.cos(w), np.sin(2 * w), np.cos(2 * w)])
    if model == "quadratic":
        return np.column_stack([one, tb.t_yr, 0.5 * tb.t_yr ** 2])
    if model == "annual":
        w = 2.0 * np.pi * tb.year_frac
        return np.column_stack([one, tb.t_yr, np.sin(w), np.cos(w)])
    if model in ("logarithmic", "afterslip", "consolidation", "logcreep", "expdecay", "settlement") \
            and np.any(tb.tau_days <= 0):
        raise GeohazardError(
            f"the {model} model needs every date after the origin/event date {tb.origin_date.isoformat()}, "
            f"but the first date is {tb.dates[0].isoformat()}")
    if model == "logarithmic":
        return np.column_stack([one, np.log10(tb.tau_days), tb.tau_days / DAYS_PER_YEAR])
    if model == "afterslip":
        return np.column_stack([one, np.log10(1.0 + tb.tau_days / tau_c_days)])
    if model == "consolidation":
        return np.column_stack([one, np.log10(tb.tau_days / tb.primary_end_days)])
    if model in ("logcreep", "expdecay", "settlement"):
        return np.column_stack(_tc_columns(model, tb.tau_days, tau_c_days))
    raise GeohazardError(f"unknown model {model!r}; choose one of {', '.join(ALL_MODELS)}")


def batched_lsq(G: np.ndarray, d: np.ndarray, mask: np.ndarray):
    """Least squares of ``d[:, j] ~ G`` over the rows where ``mask[:, j]``.

    Returns params ``(m, p)``, inverse normal matrices ``(m, p, p)``, RSS ``(m,)``, n ``(m,)``.
    Series with fewer observations than parameters (or a singular system) get NaN.
    """
    n_dates, p = G.shape
    w = mask.astype(np.float64)
    dz = np.where(mask, d, 0.0)
    # sums over the dates in date order, series by series (no BLAS, no pairwise sum across the series): a
    # series' fit does not depend on the other series of the block nor on the CPU
    m = d.shape[1]
    N = np.zeros((m, p, p))
    rhs = np.zeros((m, p))
    for i in range(n_dates):
        N += (G[i][:, None] * G[i][None, :])[None] * w[i][:, None, None]
        rhs += G[i][None, :] * dz[i][:, None]
    n = sum_first_axis(w)
    ok = n >= p
    # rank check on a scale-free version of N
    diag = np.sqrt(np.maximum(np.diagonal(N, axis1=1, axis2=2), 1e-300))
    Ns = N / (diag[:, :, None] * diag[:, None, :])
    cond_ok = np.linalg.cond(Ns[ok]) < 1e10 if ok.any() else np.zeros(0, bool)
    good = ok.copy()
    good[ok] = cond_ok
    N[~good] = np.eye(p)
    rhs[~good] = 0.0
    Ninv = np.linalg.inv(N)
    params = np.zeros((m, p))
    for q in range(p):
        params += Ninv[:, :, q] * rhs[:, q, None]
    resid = np.where(mask, d - columnwise_matmul(G, params.T), 0.0)
    rss = sum_first_axis(resid * resid)
    params[~good] = np.nan
    Ninv[~good] = np.nan
    rss[~good] = np.nan
    return params, Ninv, rss, n


def information_criterion(rss, n, p, criterion: str = "bic"):
    """Gaussian-likelihood information criterion of a least-squares fit.

    ``k = p + 1`` (the noise variance counts). AIC = n ln(RSS/n) + 2k,
    AICc = AIC + 2k(k+1)/(n-k-1), BIC = n ln(RSS/n) + k ln n (Burnham & Anderson 2004).
    """
    rss = np.asarray(rss, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    k = p + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = n * np.log(np.maximum(rss, 1e-300) / n)
        if criterion == "aic":
            return ll + 2 * k
        if criterion == "aicc":
            return np.where(n - k - 1 > 0, ll + 2 * k + 2 * k * (k + 1) / (n - k - 1), np.inf)
        if criterion == "bic":
            return ll + k * np.log(n)
    raise GeohazardError(f"unknown criterion {criterion!r}; choose one of {', '.join(CRITERIA)}")


@dataclass
class ModelFit:
    """Result of fitting one model to ``m`` series.

    Attributes
    ----------
    model : str
    param_names : tuple of str
    params, stdev : ndarray, shape (m, p)
        Estimates and 1-sigma uncertainties (NaN where the series could not be fitted).
    rms_mm : ndarray, shape (m,)
        Root mean square of the residuals (mm).
    n_used : ndarray, shape (m,)
        Number of valid dates used.
    rss : ndarray, shape (m,)
    n_params : int
        Number of estimated parameters (including a grid-searched ``tau_c``).
    """

    model: str
    param_names: tuple
    params: np.ndarray
    stdev: np.ndarray
    rms_mm: np.ndarray
    n_used: np.ndarray
    rss: np.ndarray
    n_params: int
    #: ``(m, p, p)`` covariance of the parameters, ``sigma^2 N^-1`` (NaN where not fitted)
    cov: Optional[np.ndarray] = None
    #: the time axes the fit used (origin, ``T_p``), for values at other dates (:func:`evaluate`)
    timebase: Optional[TimeBase] = None

    def ic(self, criterion: str = "bic") -> np.ndarray:
        return information_criterion(self.rss, self.n_used, self.n_params, criterion)

    def param(self, name: str) -> np.ndarray:
        # a contiguous copy: numpy's AVX-512 transcendental loops give bits that depend on where a strided
        # input lies in memory (see docs/architecture.md, "Determinism"); callers take arctan2, log ... of it
        return np.ascontiguousarray(self.params[:, self.param_names.index(name)])


def series_matrix(displacement_mm, n_dates: int, name: str) -> np.ndarray:
    """Displacements (mm) as a float64 ``(n_dates, n_series)`` array (one series given as ``(n_dates,)``), refused
    naming ``name`` when their shape does not hold ``n_dates`` dates."""
    d = np.asarray(displacement_mm, dtype=np.float64)
    if d.ndim == 1:
        d = d[:, None]
    if d.ndim != 2:
        raise GeohazardError(f"{name} must have shape (n_dates, n_series), got {d.shape}")
    if d.shape[0] != n_dates:
        raise GeohazardError(f"{name} has {d.shape[0]} dates but {n_dates} dates were given")
    return d


def _afterslip_lsq(tau_days, tau_c, d, mask, w=None, dz=None):
    """Batched fit of ``a + A log10(1 + tau / tau_c)``; ``tau_c`` a scalar or one value per series."""
    w = mask.astype(np.float64) if w is None else w
    dz = np.where(mask, d, 0.0) if dz is None else dz
    # sums over the dates in date order (see batched_lsq)
    s0, r0 = sum_first_axis(w), sum_first_axis(dz)
    if np.ndim(tau_c) == 0:
        g1 = np.log10(1.0 + tau_days / float(tau_c))[:, None]  # (n, 1) shared by all series
    else:
        g1 = np.log10(1.0 + tau_days[:, None] / np.asarray(tau_c)[None, :])  # (n, m)
    wg = w * g1
    s1, s11, r1 = sum_first_axis(wg), sum_first_axis(wg * g1), sum_first_axis(dz * g1)
    det = s0 * s11 - s1 * s1
    with np.errstate(invalid="ignore", divide="ignore"):
        a = (s11 * r0 - s1 * r1) / det
        amp = (s0 * r1 - s1 * r0) / det
        # RSS = sum w d^2 - (a r0 + A r1) for the least-squares solution
        rss = sum_first_axis(dz * dz) - (a * r0 + amp * r1)
    rss = np.where(np.abs(det) > 1e-12, np.maximum(rss, 0.0), np.nan)
    return np.column_stack([a, amp]), rss


def _tau_grid(tb: TimeBase, n: int = 48) -> np.ndarray:
    span = max(float(tb.tau_days[-1]), 2.0)
    return np.logspace(np.log10(0.5), np.log10(10.0 * span), n)


def _tc_columns(model: str, tau_days, tau_c):
    """The columns of the linear parameters of ``logcreep``, ``expdecay`` or ``settlement`` for the time constant
    ``tau_c`` (days; a scalar, or one per series with ``tau_days`` (n,) broadcast to (n, m))."""
    tau = np.asarray(tau_days, dtype=np.float64)
    tc = np.asarray(tau_c, dtype=np.float64)
    x = np.ascontiguousarray(tau / tc if tc.ndim == 0 else tau[:, None] / tc[None, :])
    one = np.ones_like(x)
    if model == "logcreep":
        t_yr = np.ascontiguousarray(np.broadcast_to((tau / DAYS_PER_YEAR)[(slice(None),) + (None,) * (x.ndim - 1)],
                                                    x.shape))
        return [one, np.log1p(x), t_yr]
    if model == "settlement":
        return [one, np.log1p(x) / np.log(10.0)]
    return [one, -np.expm1(-x)]


def _tc_derivative(model: str, tau_days, tau_c, lin) -> np.ndarray:
    """``d model / d tau_c`` (n, m) at the linear parameters ``lin`` (m, k) and ``tau_c`` (m,)."""
    tau = np.asarray(tau_days, dtype=np.float64)[:, None]
    tc = np.asarray(tau_c, dtype=np.float64)[None, :]
    if model == "logcreep":
        return -lin[None, :, 1] * tau / (tc * (tc + tau))
    if model == "expdecay":
        return -lin[None, :, 1] * np.exp(-np.ascontiguousarray(tau / tc)) * tau / (tc * tc)
    if model == "settlement":
        return -lin[None, :, 1] * tau / (tc * (tc + tau) * np.log(10.0))
    ratio = tau / tc  # afterslip: d/dtc of A log10(1 + tau/tc)
    return -lin[None, :, 1] * ratio / (tc * np.log(10.0) * (1.0 + ratio))


def _normal_sums(cols, w, dz):
    """Normal matrices ``(m, k, k)`` and right-hand sides ``(m, k)`` of the columns ``cols`` (each (n,) or (n, m)),
    summed over the dates in order (one series' sums depend on that series only)."""
    k, m = len(cols), dz.shape[1]
    cols = [c if c.ndim == 2 else c[:, None] for c in cols]
    N = np.empty((m, k, k))
    rhs = np.empty((m, k))
    for a in range(k):
        rhs[:, a] = sum_first_axis(cols[a] * dz)
        for b in range(a, k):
            N[:, a, b] = N[:, b, a] = sum_first_axis(cols[a] * cols[b] * w)
    return N, rhs


def _solve_normal(N, rhs):
    """``(params (m, k), N^-1 (m, k, k), good (m,))``: each series solved on its own; NaN where singular."""
    m, k = rhs.shape
    diag = np.sqrt(np.maximum(np.diagonal(N, axis1=1, axis2=2), 1e-300))
    Ns = N / (diag[:, :, None] * diag[:, None, :])
    with np.errstate(invalid="ignore"):
        good = np.isfinite(Ns).all(axis=(1, 2))
        good[good] = np.linalg.cond(Ns[good]) < 1e10 if good.any() else good[good]
    N = np.where(good[:, None, None], N, np.eye(k))
    Ninv = np.linalg.inv(N)
    params = np.zeros((m, k))
    for q in range(k):
        params += Ninv[:, :, q] * np.where(good, rhs[:, q], 0.0)[:, None]
    params[~good] = np.nan
    Ninv[~good] = np.nan
    return params, Ninv, good


def _solve_small(N, rhs):
    """``(params, good)`` of the 2 x 2 or 3 x 3 normal equations of each series by Cramer's rule (elementwise:
    no LAPACK call per search step); singular where the determinant of the unit-diagonal matrix is below 1e-12."""
    k = rhs.shape[1]
    diag = np.sqrt(np.maximum(np.diagonal(N, axis1=1, axis2=2), 1e-300))
    S = N / (diag[:, :, None] * diag[:, None, :])
    b = rhs / diag
    if k == 2:
        det = S[:, 0, 0] * S[:, 1, 1] - S[:, 0, 1] * S[:, 1, 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            x = np.column_stack([(b[:, 0] * S[:, 1, 1] - S[:, 0, 1] * b[:, 1]) / det,
                                 (S[:, 0, 0] * b[:, 1] - b[:, 0] * S[:, 1, 0]) / det])
    else:
        c00 = S[:, 1, 1] * S[:, 2, 2] - S[:, 1, 2] * S[:, 2, 1]
        c01 = S[:, 1, 2] * S[:, 2, 0] - S[:, 1, 0] * S[:, 2, 2]
        c02 = S[:, 1, 0] * S[:, 2, 1] - S[:, 1, 1] * S[:, 2, 0]
        det = S[:, 0, 0] * c00 + S[:, 0, 1] * c01 + S[:, 0, 2] * c02
        c11 = S[:, 0, 0] * S[:, 2, 2] - S[:, 0, 2] * S[:, 2, 0]
        c12 = S[:, 0, 1] * S[:, 2, 0] - S[:, 0, 0] * S[:, 2, 1]
        c22 = S[:, 0, 0] * S[:, 1, 1] - S[:, 0, 1] * S[:, 1, 0]
        with np.errstate(invalid="ignore", divide="ignore"):  # the inverse of a symmetric matrix: adjugate / det
            x = np.column_stack([(c00 * b[:, 0] + c01 * b[:, 1] + c02 * b[:, 2]) / det,
                                 (c01 * b[:, 0] + c11 * b[:, 1] + c12 * b[:, 2]) / det,
                                 (c02 * b[:, 0] + c12 * b[:, 1] + c22 * b[:, 2]) / det])
    good = np.isfinite(det) & (np.abs(det) > 1e-12)
    return np.where(good[:, None], x / diag, np.nan), good


def _tc_rss(model, tau_days, tau_c, w, dz):
    """RSS of the least-squares linear parameters of ``model`` for the time constant(s) ``tau_c``."""
    cols = _tc_columns(model, tau_days, tau_c)
    N, rhs = _normal_sums(cols, w, dz)
    params, good = _solve_small(N, rhs)
    resid = dz.copy()
    for q, c in enumerate(cols):
        resid -= (c if c.ndim == 2 else c[:, None]) * np.where(good, params[:, q], 0.0)[None, :]
    rss = sum_first_axis(resid * resid * w)
    return np.where(good, rss, np.nan)


def _time_constant_fit(model: str, tb: TimeBase, d, mask, *, n_grid: int = 12, n_golden: int = 14):
    """Variable projection of ``logcreep`` / ``expdecay`` / ``settlement``: ``tau_c`` by a log grid then a
    golden-section search inside the grid's bracket (series by series), the linear parameters in closed form for
    each ``tau_c``, the covariance from the Jacobian at the optimum. Returns ``(params, N^-1, rss, n)`` as
    :func:`batched_lsq`."""
    w = mask.astype(np.float64)
    dz = np.where(mask, d, 0.0)
    grid = _tau_grid(tb, n_grid)
    rss_grid = np.stack([_tc_rss(model, tb.tau_days, tc, w, dz) for tc in grid])
    k_best = np.argmin(np.nan_to_num(rss_grid, nan=np.inf), axis=0)
    lo = np.log(grid[np.maximum(k_best - 1, 0)])
    hi = np.log(grid[np.minimum(k_best + 1, grid.size - 1)])
    golden = (np.sqrt(5.0) - 1.0) / 2.0
    x1, x2 = hi - golden * (hi - lo), lo + golden * (hi - lo)
    f1 = _tc_rss(model, tb.tau_days, np.exp(x1), w, dz)
    f2 = _tc_rss(model, tb.tau_days, np.exp(x2), w, dz)
    for _ in range(n_golden):
        left = np.nan_to_num(f1, nan=np.inf) <= np.nan_to_num(f2, nan=np.inf)
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        x_new = np.where(left, hi - golden * (hi - lo), lo + golden * (hi - lo))
        f_new = _tc_rss(model, tb.tau_days, np.exp(x_new), w, dz)
        x1, x2, f1, f2 = (np.where(left, x_new, x2), np.where(left, x1, x_new),
                          np.where(left, f_new, f2), np.where(left, f1, f_new))
    tau_c = np.exp(0.5 * (lo + hi))
    cols = _tc_columns(model, tb.tau_days, tau_c)
    lin, _, good = _solve_normal(*_normal_sums(cols, w, dz))
    params = np.column_stack([lin, tau_c])
    jac = cols + [_tc_derivative(model, tb.tau_days, tau_c, np.where(good[:, None], lin, 0.0))]
    N, _ = _normal_sums(jac, w, dz)
    _, Ninv, good_j = _solve_normal(N, np.zeros((d.shape[1], len(jac))))
    resid = dz.copy()
    for q, c in enumerate(cols):
        resid -= c * np.where(good, lin[:, q], 0.0)[None, :]
    rss = sum_first_axis(resid * resid * w)
    n = sum_first_axis(w)
    bad = ~(good & good_j)
    params[bad] = np.nan
    Ninv[bad] = np.nan
    rss[bad] = np.nan
    return params, Ninv, rss, n


def fit_model(displacement_mm, dates, model: str, *, origin_date=None, primary_end_days=None,
              min_dates: Optional[int] = None, progress=None) -> ModelFit:
    """Fit one temporal model to every series.

    Parameters
    ----------
    displacement_mm : array_like, shape (n_dates,) or (n_dates, m)
        Displacement series in mm (NaN = missing), LOS positive toward the satellite.
    dates : sequence of date, length n_dates
        Strictly increasing acquisition dates.
    model : str
        One of :data:`MODELS`.
    origin_date, primary_end_days :
        See :class:`TimeBase`.
    min_dates : int, optional
        Minimum number of valid dates per series (default: parameters + 1).

    Returns
    -------
    ModelFit

    Raises
    ------
    GeohazardError
        Unknown model, dates not increasing, or fewer dates than parameters + 1.
    """
    if model not in ALL_MODELS:
        raise GeohazardError(f"unknown model {model!r}; choose one of {', '.join(ALL_MODELS)}")
    tb = TimeBase(list(dates), origin_date=origin_date, primary_end_days=primary_end_days)
    d = series_matrix(displacement_mm, len(tb.dates), "displacement_mm")
    names = PARAM_NAMES[model]
    p = len(names)
    need = p + 1 if min_dates is None else max(int(min_dates), p + 1)
    if len(tb.dates) < need:
        raise GeohazardError(
            f"the {model} model has {p} parameters and needs at least {need} dates, got {len(tb.dates)}")
    mask = np.isfinite(d)
    check_canceled(progress)
    if model in ("logcreep", "expdecay", "settlement"):
        params, Ninv, rss, n = _time_constant_fit(model, tb, d, mask)
    elif model != "afterslip":
        G = design_matrix(model, tb)
        params, Ninv, rss, n = batched_lsq(G, d, mask)
    else:
        # variable projection: for a fixed tau_c the model is linear (closed form); grid-search
        # log(tau_c), then a golden-section search inside the bracket around the grid optimum
        m = d.shape[1]
        grid = _tau_grid(tb)
        rss_grid = np.empty((grid.size, m))
        w = mask.astype(np.float64)
        dz = np.where(mask, d, 0.0)
        for k, tau_c in enumerate(grid):
            rss_grid[k] = _afterslip_lsq(tb.tau_days, tau_c, d, mask, w, dz)[1]
        k_best = np.argmin(np.nan_to_num(rss_grid, nan=np.inf), axis=0)
        lo = np.log(grid[np.maximum(k_best - 1, 0)])
        hi = np.log(grid[np.minimum(k_best + 1, grid.size - 1)])
        golden = (np.sqrt(5.0) - 1.0) / 2.0
        x1 = hi - golden * (hi - lo)
        x2 = lo + golden * (hi - lo)
        f1 = _afterslip_lsq(tb.tau_days, np.exp(x1), d, mask, w, dz)[1]
        f2 = _afterslip_lsq(tb.tau_days, np.exp(x2), d, mask, w, dz)[1]
        for _ in range(30):
            left = np.nan_to_num(f1, nan=np.inf) <= np.nan_to_num(f2, nan=np.inf)
            # minimum in [lo, x2] (left) or [x1, hi] (right); one new evaluation per step
            hi = np.where(left, x2, hi)
            lo = np.where(left, lo, x1)
            x_new = np.where(left, hi - golden * (hi - lo), lo + golden * (hi - lo))
            f_new = _afterslip_lsq(tb.tau_days, np.exp(x_new), d, mask, w, dz)[1]
            x1, x2, f1, f2 = (np.where(left, x_new, x2), np.where(left, x1, x_new),
                              np.where(left, f_new, f2), np.where(left, f1, f_new))
        tau_c = np.exp(0.5 * (lo + hi))
        lin, rss_best = _afterslip_lsq(tb.tau_days, tau_c, d, mask, w, dz)
        n = mask.sum(axis=0).astype(np.float64)
        params = np.column_stack([lin, tau_c])
        # linearised covariance of (a, A, tau_c) at the optimum
        g = np.empty((d.shape[1], len(tb.dates), 3))
        g[:, :, 0] = 1.0
        ratio = tb.tau_days[None, :] / tau_c[:, None]
        g[:, :, 1] = np.log10(1.0 + ratio)
        g[:, :, 2] = -lin[:, 1:2] * ratio / (tau_c[:, None] * np.log(10.0) * (1.0 + ratio))
        w = mask.T.astype(np.float64)
        N = np.zeros((g.shape[0], 3, 3))
        for i in range(g.shape[1]):  # date order, series by series (see batched_lsq)
            N += g[:, i, :, None] * g[:, i, None, :] * w[:, i, None, None]
        pred = lin[:, 0:1] + lin[:, 1:2] * g[:, :, 1]
        resid = np.where(mask.T, d.T - pred, 0.0)
        rss = row_sums(resid * resid)
        n = w.sum(axis=1)
        good = np.isfinite(lin).all(axis=1)
        with np.errstate(invalid="ignore"):
            det_ok = np.abs(np.linalg.det(np.where(good[:, None, None], N, np.eye(3)))) > 1e-12
        good &= det_ok
        N[~good] = np.eye(3)
        Ninv = np.linalg.inv(N)
        Ninv[~good] = np.nan
        params[~good] = np.nan
        rss[~good] = np.nan
    dof = n - p
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma2 = np.where(dof > 0, rss / dof, np.nan)
        stdev = np.sqrt(np.maximum(np.diagonal(Ninv, axis1=1, axis2=2), 0.0) * sigma2[:, None])
        rms = np.sqrt(rss / n)
    cov = Ninv * sigma2[:, None, None]
    few = n < need
    if few.any():
        warn(progress, f"{int(few.sum())} series have fewer than {need} valid dates for the {model} model "
                       "and were left empty")
        params[few] = np.nan
        stdev[few] = np.nan
        rms[few] = np.nan
        rss = np.where(few, np.nan, rss)
        cov[few] = np.nan
    return ModelFit(model, names, params, stdev, rms, n.astype(np.int64), rss, p, cov, tb)


def predict(model: str, params, dates, tb: TimeBase) -> np.ndarray:
    """Model displacement (mm) on ``dates`` for parameter rows ``params`` (m, p) -> (n_dates, m)."""
    params = np.atleast_2d(np.asarray(params, dtype=np.float64))
    ev = tb.at(dates)
    if model == "afterslip":
        out = np.empty((len(ev.dates), params.shape[0]))
        for j, (a, amp, tau_c) in enumerate(params):
            out[:, j] = a + amp * np.log10(1.0 + ev.tau_days / tau_c)
        return out
    return design_matrix(model, ev) @ params.T


def jacobian(model: str, params, tb: TimeBase) -> np.ndarray:
    """Derivatives of the model's value on the dates of ``tb`` with respect to each parameter, ``(n, m, p)``, at
    the parameter rows ``params`` ``(m, p)`` (the design matrix for the models linear in their parameters)."""
    params = np.atleast_2d(np.asarray(params, dtype=np.float64))
    m = params.shape[0]
    if model in TIME_CONSTANT_MODELS:
        tc = params[:, -1]
        ok = np.isfinite(tc) & (tc > 0)
        tc = np.where(ok, tc, 1.0)
        if model == "afterslip":
            x = np.ascontiguousarray(tb.tau_days[:, None] / tc[None, :])
            cols = [np.ones_like(x), np.log10(1.0 + x)]
        else:
            cols = _tc_columns(model, tb.tau_days, tc)
        lin = np.where(ok[:, None], params[:, :-1], np.nan)
        cols = cols + [_tc_derivative(model, tb.tau_days, tc, lin)]
        return np.stack([np.broadcast_to(c, (len(tb.tau_days), m)) for c in cols], axis=-1)
    G = design_matrix(model, tb)
    return np.ascontiguousarray(np.broadcast_to(G[:, None, :], (G.shape[0], m, G.shape[1])))


def evaluate(fit: ModelFit, dates) -> np.ndarray:
    """The fitted model's displacement (mm) on ``dates`` (any dates: the fit's origin and ``T_p``), ``(n, m)``;
    summed parameter by parameter in order (no BLAS: a series' value depends on that series only)."""
    tb = fit.timebase.at(dates)
    if fit.model in TIME_CONSTANT_MODELS:
        jac = jacobian(fit.model, fit.params, tb)[:, :, :-1]
        params = fit.params[:, :-1]
    else:
        jac = jacobian(fit.model, fit.params, tb)
        params = fit.params
    out = np.zeros(jac.shape[:2])
    for q in range(params.shape[1]):
        out += jac[:, :, q] * params[None, :, q]
    return out


def prediction_sigma(fit: ModelFit, dates) -> np.ndarray:
    """1-sigma (mm) of a future measurement on ``dates``, ``(n, m)``: ``sqrt(J Cov J^T + sigma^2)``, the
    parameters' covariance propagated through the model's Jacobian ``J`` plus the residual variance
    ``sigma^2 = RSS / (n - p)`` of the fit (the scatter a new acquisition has about the model)."""
    jac = jacobian(fit.model, fit.params, fit.timebase.at(dates))
    cov = fit.cov
    var = np.zeros(jac.shape[:2])
    for q in range(jac.shape[2]):
        for r in range(jac.shape[2]):
            var += jac[:, :, q] * cov[None, :, q, r] * jac[:, :, r]
    with np.errstate(invalid="ignore", divide="ignore"):
        dof = fit.n_used - fit.n_params
        sigma2 = np.where(dof > 0, fit.rss / np.maximum(dof, 1), np.nan)
    return np.sqrt(np.maximum(var, 0.0) + sigma2[None, :])


def seasonal_amplitude(fit: ModelFit):
    """Annual amplitude (mm), its 1-sigma and the day of year of the annual peak from a seasonal fit.

    ``A sin(w y) + B cos(w y) = R cos(w y - phi)``, ``R = hypot(A, B)``, peak at
    ``y = phi / (2 pi)`` with ``phi = atan2(A, B)``.
    """
    a, b = fit.param("annual_sin_mm"), fit.param("annual_cos_mm")
    sa, sb = fit.stdev[:, 2], fit.stdev[:, 3]
    amp = np.hypot(a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        amp_sd = np.sqrt((a * sa) ** 2 + (b * sb) ** 2) / amp
    peak_doy = (np.mod(np.arctan2(a, b), 2 * np.pi) / (2 * np.pi)) * DAYS_PER_YEAR + 1.0
    return amp, amp_sd, peak_doy


@dataclass
class ModelSelection:
    """Fits of several models to the same series and the best one per series."""

    fits: dict
    criterion: str
    best: np.ndarray  # (m,) index into ``names`` (-1 when nothing could be fitted)
    names: tuple
    ic: np.ndarray  # (n_models, m)

    def best_name(self) -> np.ndarray:
        return np.array([self.names[i] if i >= 0 else "" for i in self.best], dtype=object)

    def best_rms(self) -> np.ndarray:
        out = np.full(self.best.shape, np.nan)
        for k, nm in enumerate(self.names):
            sel = self.best == k
            out[sel] = self.fits[nm].rms_mm[sel]
        return out


def fit_models(displacement_mm, dates, *, models: Sequence[str] = MODELS, criterion: str = "bic",
               origin_date=None, primary_end_days=None, progress=None) -> ModelSelection:
    """Fit several models and pick the best per series by an information criterion.

    Parameters
    ----------
    displacement_mm : array_like, shape (n_dates, m)
        Displacements in mm, NaN for gaps.
    dates : sequence of date
    models : sequence of str
        Subset of :data:`MODELS`. Models with more parameters than the dates allow raise.
    criterion : {"aic", "aicc", "bic"}

    Returns
    -------
    ModelSelection
        ``best`` is the index of the model with the lowest criterion (ties: the simpler
        model, i.e. the first in ``models`` order).
    """
    if criterion not in CRITERIA:
        raise GeohazardError(f"unknown criterion {criterion!r}; choose one of {', '.join(CRITERIA)}")
    models = tuple(models)
    if not models:
        raise GeohazardError("models: choose at least one model")
    for m in models:
        if m not in ALL_MODELS:
            raise GeohazardError(f"unknown model {m!r}; choose one of {', '.join(ALL_MODELS)}")
    fits = {}
    ics = []
    for i, m in enumerate(models):
        check_canceled(progress)
        if progress is not None:
            progress.set_progress(100.0 * i / len(models))
        fits[m] = fit_model(displacement_mm, dates, m, origin_date=origin_date,
                            primary_end_days=primary_end_days, progress=progress)
        ics.append(np.nan_to_num(fits[m].ic(criterion), nan=np.inf))
    ic = np.vstack(ics)
    best = np.argmin(ic, axis=0)
    best = np.where(np.isfinite(ic.min(axis=0)), best, -1)
    if progress is not None:
        progress.set_progress(100.0)
    return ModelSelection(fits, criterion, best, models, ic)
