"""The time factor of a mining basin fitted to an InSAR series together with the basin's own parameters, so that
its standard error carries their uncertainty (the time modes of :mod:`.mining_time` and :mod:`.mining_advance`).

Model: the series at the points is ``q / q0 sum_k S_k(x; tan_beta, ...) F_k(t; c)`` with ``S_k`` the final
displacement of component ``k`` (a panel, or a strip of a panel the face crossed) computed with the typed ``q0``,
and ``F_k`` Knothe's share at ``t`` (``1 - exp(-c (t - t_k))``, averaged over a strip's extraction window). Each
point carries an unknown reference (a series measured from any date): the data and the model are both taken
about their mean over the point's valid dates, which is the least-squares solution for one offset per point.

The fit is in two steps. First ``c`` alone with the basin as typed (a grid search over :data:`C_BOUNDS` then
least squares in ``log c``): its residual variance ``s0^2``. Then ``log c``, ``q`` and ``tan(beta)`` (and the
second side's ``tan(beta_2)`` when given) together, the typed values acting as a Gaussian prior of the spread a
mine's value has within the published ranges (:data:`PRIOR_SIGMA`), each prior row weighted by the noise ``s``:
``min |P(model - d)|^2 / s^2 + sum ((theta - theta_0) / sigma_theta)^2``. The covariance is ``A^-1``,
``A = J^T J / s^2 + diag(1 / sigma_theta^2)`` at the solution, ``s^2`` the residual variance per degree of freedom
(the points' offsets and the fitted parameters counted), or where larger the sandwich ``A^-1 (G^T G + prior) A^-1``
with ``G`` the scores summed date by date (noise shared by a date's pixels: the atmosphere), each parameter's the
larger of the two. Where the series pins the basin the data dominate; where it does not, the prior's spread enters
``c``'s standard error instead of a basin held exact.

Warnings: the typed basin does not fit the series when freeing it lowers the residual variance beyond chance (an
F test at 0.1 %) and by more than 10 %; the residuals are structured in time when their variance is more than
twice the noise read from successive differences (``mean((r_{i+1} - r_i)^2) / 2``, which a smooth misfit barely
changes): then the standard errors, which assume independent noise, are lower bounds.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from ..errors import GeohazardError
from .mining_advance import window_fraction, years
from .miningsubsidence import HORIZONTAL_FACTOR, SUBSIDENCE_FACTOR, TAN_BETA

#: The time factors the fit may reach (1/yr): a half-time of 70 years to one of 2.5 days.
C_BOUNDS = (0.01, 100.0)
#: The prior's standard deviation of each basin parameter about its typed value: the standard deviation of a value
#: spread evenly over the published ranges (q 0.5-0.95: 0.13; tan(beta) 1.2-3.8: 0.75), rounded up.
PRIOR_SIGMA = {"subsidence_factor": 0.15, "tan_beta": 0.8, "tan_beta_2": 0.8, "horizontal_factor": 0.1}
#: Bounds of the fitted basin parameters (those the tool accepts).
BOUNDS = {"subsidence_factor": (1e-3, SUBSIDENCE_FACTOR.high), "tan_beta": (TAN_BETA.low, TAN_BETA.high),
          "tan_beta_2": (TAN_BETA.low, TAN_BETA.high),
          "horizontal_factor": (HORIZONTAL_FACTOR.low, HORIZONTAL_FACTOR.high)}


@dataclass
class SeriesFit:
    """The fitted time factor (1/yr) and its standard error (the basin's uncertainty included), the basin
    parameters fitted with it (``basin``: name -> (value, std_error)), the RMS misfit (mm) with the basin fitted
    and as typed, the samples used and the warnings."""

    c_per_year: float
    std_error: float
    rms_mm: float
    n_samples: int
    n_dates: int
    warnings: list
    basin: dict = field(default_factory=dict)
    rms_typed_mm: float = math.nan
    c_typed_basin: float = math.nan
    #: the standard error the fit with the basin held as typed would give (independent noise, the basin exact)
    c_typed_basin_se: float = math.nan


def _centred(a: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """``a`` less its mean over each point's valid dates (columns), NaN where not valid."""
    n = ok.sum(axis=0)
    mean = np.where(ok, a, 0.0).sum(axis=0) / np.maximum(n, 1)
    return np.where(ok, a - mean[None, :], np.nan)


def shares(dates: Sequence[_dt.date], epoch: _dt.date, t0: np.ndarray, t1: np.ndarray, c: float) -> np.ndarray:
    """Knothe's share of each component at each date: ``(n_dates, n_components)``."""
    t = np.array([years(d, epoch) for d in dates])
    return np.stack([window_fraction(t, a, b, c) for a, b in zip(t0, t1)], axis=1) if len(t0) else \
        np.zeros((len(dates), 0))


def combine(finals: np.ndarray, share: np.ndarray) -> np.ndarray:
    """``sum_k share[:, k] finals[k]`` component by component (no BLAS: the same bits for any set of points)."""
    out = np.zeros((share.shape[0], finals.shape[1]))
    for k in range(finals.shape[0]):
        out += share[:, k:k + 1] * finals[k][None, :]
    return out


def noise_ratio(resid: np.ndarray, ok: np.ndarray) -> float:
    """Residual variance over the noise variance read from successive differences (1 for independent noise,
    larger for a misfit smooth in time); NaN without pairs."""
    both = ok[1:] & ok[:-1]
    if both.sum() < 3:
        return math.nan
    diff = np.where(both, np.diff(np.where(ok, resid, 0.0), axis=0), 0.0)
    noise = float(np.sum(diff ** 2)) / (2.0 * both.sum())
    var = float(np.nansum(np.where(ok, resid, 0.0) ** 2)) / ok.sum()
    return var / noise if noise > 0 else math.inf


def fit_series(series_mm: np.ndarray, dates: Sequence[_dt.date], *, components: Callable, typed: dict,
               prior_sigma: Optional[dict] = None, bounds: Optional[dict] = None, progress=None,
               c0_per_year: Optional[float] = None) -> SeriesFit:
    """Fit the time factor and the basin parameters to a series (see the module docstring).

    Parameters
    ----------
    series_mm : ndarray, shape (n_dates, n)
        The series at the sample points (mm; NaN = missing), in the component ``components`` models.
    dates : sequence of datetime.date
        Its dates, increasing.
    components : callable
        ``components(values) -> (vertical (k, n), horizontal (k, n) or None, t0 (k,), t1 (k,), epoch)``: for the
        basin parameters ``values`` (a dict of the names of ``typed`` but ``subsidence_factor`` and
        ``horizontal_factor``, which scale), each component's final displacement in the series' component (mm)
        computed with the typed ``q`` and ``b = 0`` (``vertical``: up, or its share in the LOS) and its horizontal
        part for ``b = 1`` (None for a vertical series); ``t0``, ``t1`` each component's extraction window in years
        since ``epoch``.
    typed : dict
        The typed (or default) basin parameters to fit, by name (``subsidence_factor``, ``tan_beta``, ``offset_m``,
        ``horizontal_factor``, ``tan_beta_2``); they centre the prior.
    prior_sigma, bounds : dict, optional
        The prior's standard deviation and the bounds of each (default :data:`PRIOR_SIGMA`, :data:`BOUNDS`).

    Returns
    -------
    SeriesFit
    """
    from scipy.optimize import least_squares
    from scipy.stats import f as f_dist

    sigmas = dict(PRIOR_SIGMA, **(prior_sigma or {}))
    limits = dict(BOUNDS, **(bounds or {}))
    d = np.asarray(series_mm, dtype=np.float64)
    ok = np.isfinite(d)
    ok &= (ok.sum(axis=0) >= 2)[None, :]  # a point seen once holds only its own reference
    if ok.sum() < 4:
        raise GeohazardError("INPUT has fewer than 4 valid values at sample points seen on at least 2 dates")
    n_points = int((ok.sum(axis=0) > 0).sum())
    dc = _centred(d, ok)[ok]
    date_of = np.broadcast_to(np.arange(len(dates))[:, None], d.shape)[ok]
    names = list(typed)
    theta0 = np.array([float(typed[n]) for n in names])
    i_q = names.index("subsidence_factor")
    i_b = names.index("horizontal_factor") if "horizontal_factor" in names else None
    shape_names = [n for n in names if n not in ("subsidence_factor", "horizontal_factor")]
    i_shape = [names.index(n) for n in shape_names]
    q0 = theta0[i_q]
    cache = {}

    def finals_of(theta):
        key = tuple(float(theta[i]) for i in i_shape)
        if key not in cache:
            if len(cache) > 8:
                cache.clear()
            cache[key] = components(dict(zip(shape_names, key)))
        return cache[key]

    def predict(c, theta):
        vert, horiz, t0, t1, epoch = finals_of(theta)
        share = shares(dates, epoch, t0, t1, c)
        out = combine(vert, share)
        if horiz is not None:
            out = out + combine(horiz, share) * (theta[i_b] if i_b is not None else 0.0)
        return out * (theta[i_q] / q0)

    def resid_data(c, theta):
        return _centred(predict(c, theta), ok)[ok] - dc

    lo_c, hi_c = math.log(C_BOUNDS[0]), math.log(C_BOUNDS[1])
    # step 1: c with the basin as typed
    vert0, horiz0 = finals_of(theta0)[:2]
    if not (np.any(vert0 != 0) or (horiz0 is not None and np.any(horiz0 != 0))):
        raise GeohazardError("the plan's basin is zero at every sample of INPUT: the panels and the series do not "
                             "overlap; give the mine plan in the series' area")
    if c0_per_year is None:
        grid = np.exp(np.linspace(lo_c, hi_c, 41))
        costs = [float(np.sum(resid_data(c, theta0) ** 2)) for c in grid]
        c0_per_year = float(grid[int(np.argmin(costs))])
    if progress is not None:
        progress.set_progress(10.0)
    # the unknown is log(c / C_BOUNDS[0]), never near 0 inside the range (the trust region's first radius is the
    # start's norm)
    sol1 = least_squares(lambda p: resid_data(float(np.exp(p[0] + lo_c)), theta0), [math.log(c0_per_year) - lo_c],
                         method="trf", bounds=([0.0], [hi_c - lo_c]), xtol=1e-12, ftol=1e-12)
    c1 = float(np.exp(sol1.x[0] + lo_c))
    dof_base = max(dc.size - n_points, 1)
    rss1 = float(np.dot(sol1.fun, sol1.fun))
    s2_1 = rss1 / max(dof_base - 1, 1)
    j1 = float(np.dot(sol1.jac[:, 0], sol1.jac[:, 0]))
    c1_se = c1 * math.sqrt(s2_1 / j1) if j1 > 0 else math.inf
    if progress is not None:
        progress.set_progress(30.0)

    # step 2: c and the basin together, the typed basin as the prior
    sig = np.array([sigmas[n] for n in names])
    lows = np.array([lo_c] + [limits[n][0] for n in names])
    highs = np.array([hi_c] + [limits[n][1] for n in names])
    scale = math.sqrt(s2_1) if s2_1 > 0 else 1.0

    def full(p):
        theta = np.asarray(p[1:], dtype=np.float64)
        return np.concatenate([resid_data(float(np.exp(p[0])), theta), scale * (theta - theta0) / sig])

    steps = np.r_[1e-6, 1e-6 * np.maximum(np.abs(theta0), sig)]

    def jac(p):
        f0 = full(p)
        out = np.empty((f0.size, p.size))
        for j in range(p.size):
            h = steps[j] if p[j] + steps[j] <= highs[j] else -steps[j]
            pp = p.copy()
            pp[j] = p[j] + h
            out[:, j] = (full(pp) - f0) / h
        return out

    start = np.clip(np.r_[math.log(c1), theta0], lows, highs)
    sol2 = least_squares(full, start, jac=jac, method="trf", bounds=(lows, highs), x_scale=np.r_[0.1, 0.1 * sig],
                         xtol=1e-10, ftol=1e-10, max_nfev=100)
    c, theta = float(np.exp(sol2.x[0])), np.asarray(sol2.x[1:], dtype=np.float64)
    r = resid_data(c, theta)
    rss2 = float(np.dot(r, r))
    p_free = sol2.x.size
    s2 = rss2 / max(dof_base - p_free, 1)
    jd = jac(sol2.x)[:r.size]
    prior = np.diag(np.r_[0.0, 1.0 / sig ** 2])
    warnings = []
    try:
        a_inv = np.linalg.inv(jd.T @ jd / s2 + prior)
        # the same with the scores summed date by date (a screen shared by a date's pixels: the atmosphere)
        scores = np.zeros((len(dates), p_free))
        np.add.at(scores, date_of, jd * r[:, None] / s2)
        g = len(dates)
        robust = a_inv @ (scores.T @ scores * g / max(g - 1, 1) + prior) @ a_inv
        se = np.sqrt(np.maximum(np.clip(np.diag(a_inv), 0.0, None), np.clip(np.diag(robust), 0.0, None)))
    except np.linalg.LinAlgError:
        se = np.full(p_free, math.inf)
        warnings.append("the series does not constrain the time factor (singular normal equations)")
    c_se = c * float(se[0])  # from log c to c
    if progress is not None:
        progress.set_progress(90.0)

    # is the typed basin compatible with the series?
    f_stat = ((rss1 - rss2) / len(names)) / s2 if s2 > 0 else 0.0
    p_value = float(f_dist.sf(f_stat, len(names), max(dof_base - p_free, 1))) if f_stat > 0 else 1.0
    rms1, rms2 = math.sqrt(rss1 / dc.size), math.sqrt(rss2 / dc.size)
    if p_value < 1e-3 and rss1 > 1.1 * rss2:
        moved = ", ".join(f"{n} {v0:.3g} -> {v:.3g} +- {e:.2g}" for n, v0, v, e in zip(names, theta0, theta, se[1:]))
        warnings.append(f"the typed basin does not fit INPUT: its residual RMS is {rms1:.3g} mm against {rms2:.3g} mm "
                        f"with the basin fitted ({moved}; time factor {c1:.3g} -> {c:.3g} /yr). The forecasts use "
                        "the fitted basin; check the plan's depths, thicknesses and the typed parameters")
    full_resid = np.zeros(d.shape)
    full_resid[ok] = r
    ratio = noise_ratio(full_resid, ok)
    if math.isfinite(ratio) and ratio > 2.0:
        warnings.append(f"the residuals are structured in time: their variance is {ratio:.1f} times the noise read "
                        "from successive dates (the model misses a movement, or the noise is correlated in time); "
                        "the standard errors may be too small")
    for bound in C_BOUNDS:
        if abs(math.log(c) - math.log(bound)) < 1e-3:
            warnings.append(f"the time factor stopped at the bound {bound:g} /yr: the series does not constrain it")
    for n, v in zip(names, theta):
        if (v <= limits[n][0] + 1e-9 and n != "offset_m") or v >= limits[n][1] - 1e-9:
            warnings.append(f"{n} stopped at the edge of its range ({v:g}): its standard error is not meaningful")
    if not sol2.success:
        warnings.append(f"the optimiser stopped before converging ({sol2.message})")
    basin = {n: (float(v), float(e)) for n, v, e in zip(names, theta, se[1:])}
    return SeriesFit(c, c_se, rms2, n_points, len(dates), warnings, basin, rms1, c1, c1_se)
