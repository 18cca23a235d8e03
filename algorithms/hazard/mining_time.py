"""Mining subsidence in time: the probability-integral basin (:mod:`.mining`) grown after each panel's extraction by
Knothe's time function, its time factor fitted to an InSAR time series, and the basin forecast at given dates.

Model: a panel whose extraction ended on ``END_DATE`` moves the surface by ``U(x, t) = U_final(x) (1 - exp(-c t))``
with ``t`` the time since ``END_DATE`` in years (nothing before it) and ``c`` the time factor (1/yr; Knothe 1952,
the time function of the mining-subsidence studies); the panels add up. A series measured from its first date
``t0`` sees ``U(x, t) - U(x, t0)``.

The fit (:mod:`.mining_series`) finds ``c`` with the basin's ``q`` and ``tan(beta)``, the typed values as their
prior, each point's reference fitted: ``c``'s standard error carries the basin's uncertainty (independent noise
assumed: a lower bound on a real, correlated series), and a typed basin the series contradicts is said.

References
----------
Knothe S. (1952) Wplyw czasu na ksztaltowanie sie niecki osiadania (the influence of time on the formation of a
subsidence trough). Archiwum Gornictwa i Hutnictwa 1(1) (the time function).
Zhang W., Shi J., Yi H., Zhu Y., Xu B. (2021) Remote Sensing 13(16) 3204, doi:10.3390/rs13163204 (the PIM).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import replace
from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError
from . import mining_advance as ma
from .mining_advance import years
from .mining_fit import max_offset_m
from .mining_series import C_BOUNDS, SeriesFit, fit_series
from .miningsubsidence import PIM_BYTES_PER_PIXEL, Panel, PimParameters, los_from_enu, pim_displacement

#: Days of a year of the time factor (1/yr).
YEAR_DAYS = 365.25


def years_since(dates: Sequence[_dt.date], end: _dt.date) -> np.ndarray:
    """Years from ``end`` to each date (negative before it)."""
    return np.array([(d - end).days for d in dates], dtype=np.float64) / YEAR_DAYS


def knothe_fraction(t_years, c_per_year: float) -> np.ndarray:
    """Knothe's time function ``1 - exp(-c t)`` for ``t > 0``, 0 before (the share of the final movement)."""
    t = np.asarray(t_years, dtype=np.float64)
    return np.where(t > 0, -np.expm1(-c_per_year * np.maximum(t, 0.0)), 0.0)


def check_panel_dates(panels: Sequence[Panel]) -> None:
    """Every panel has an END_DATE, not before its START_DATE."""
    for i, p in enumerate(panels):
        if p.end_date is None:
            raise GeohazardError(f"{p.label(i)} has no END_DATE: the time function runs from the end of extraction; "
                                 "add the field END_DATE (a date) to the panels or type END_DATE")
        if p.start_date is not None and p.start_date > p.end_date:
            raise GeohazardError(f"{p.label(i)}: START_DATE {p.start_date} is after END_DATE {p.end_date}")


def check_time_factor(c_per_year: float, name: str = "TIME_FACTOR") -> None:
    if not (math.isfinite(c_per_year) and C_BOUNDS[0] <= c_per_year <= C_BOUNDS[1]):
        raise GeohazardError(f"{name} = {c_per_year!r} /yr is outside the accepted range {C_BOUNDS[0]:g}-"
                             f"{C_BOUNDS[1]:g} /yr (most mines: 0.5-10 /yr, a half-time of a month to a year and a "
                             "half)")


def final_components(x_m, y_m, panels: Sequence[Panel], params: PimParameters, los_vector=None) -> np.ndarray:
    """The final displacement of each panel alone at the points: ``(n_panels, n)`` mm, LOS (positive toward the
    satellite) with ``los_vector``, else up (up positive)."""
    out = []
    for p in panels:
        e, n, u = pim_displacement(x_m, y_m, [p], subsidence_factor=params.subsidence_factor,
                                   tan_beta=params.tan_beta, offset_m=params.offset_m,
                                   horizontal_factor=params.horizontal_factor,
                                   propagation_angle_deg=params.propagation_angle_deg,
                                   shift_azimuth_deg=params.shift_azimuth_deg, check=False)
        out.append(los_from_enu(e, n, u, los_vector) if los_vector is not None else u)
    return np.array(out, dtype=np.float64).reshape(len(panels), -1)


def series_model(finals: np.ndarray, panels: Sequence[Panel], dates: Sequence[_dt.date], c_per_year: float,
                 *, relative: bool = True) -> np.ndarray:
    """Displacement ``(n_dates, n)`` (mm) of the points whose per-panel final displacements are ``finals``; with
    ``relative`` the change since the first date (what a series measured from it sees)."""
    finals = np.asarray(finals, dtype=np.float64).reshape(len(panels), -1)
    model = np.zeros((len(dates), finals.shape[1]))
    for p, final in zip(panels, finals):  # panel by panel, no BLAS: the same bits for any set of points
        model += knothe_fraction(years_since(dates, p.end_date), c_per_year)[:, None] * final[None, :]
    return model - model[0] if relative else model


def _share_of_basin(d, total) -> tuple:
    """``(share, t)``: the least-squares factor of ``total`` (the final basin at the samples) in ``d`` (one date's
    change), through the origin, and its t statistic (NaN without spread)."""
    ok = np.isfinite(d) & np.isfinite(total)
    if ok.sum() < 3:
        return math.nan, math.nan
    t, y = total[ok], d[ok]
    stt = float(np.dot(t, t))
    if not stt > 0:
        return math.nan, math.nan
    a = float(np.dot(t, y)) / stt
    r = y - a * t
    se = math.sqrt(float(np.dot(r, r)) / max(r.size - 1, 1) / stt)
    return a, (a / se if se > 0 else math.copysign(math.inf, a))


def series_problem(d, finals, panels: Sequence[Panel], dates: Sequence[_dt.date]) -> Optional[str]:
    """Why a series cannot be the plan's basin growing from END_DATE, or None: it moves against the basin (its
    sign flipped: LOS read positive away from the satellite, or up and down swapped), or it already moves like the
    basin before the END_DATEs, where Knothe's time function holds the surface still (the subsidence began earlier).

    Each date's change is read as a share of the final basin at the samples (least squares through the origin, with
    its t statistic): Knothe's share never decreases, and is zero until the first END_DATE."""
    total = np.asarray(finals, np.float64).reshape(len(panels), -1).sum(axis=0)
    shares = [_share_of_basin(d[k], total) for k in range(len(dates))]
    last, t_last = shares[-1]
    if last < -0.1 and t_last < -3.0:  # Knothe's share only grows: the change since the first date is >= 0
        return (f"INPUT moves against the basin the plan predicts: by {dates[-1]} it holds {last:.2f} times the final "
                "basin at the samples (a negative share): its sign looks flipped. INPUT is read as LOS positive toward "
                "the satellite, or vertical up positive, so subsidence is negative: multiply it by -1 first, or check "
                "INPUT_COMPONENT")
    first_end = min(p.end_date for p in panels)
    for k in range(1, len(dates)):
        share, t = shares[k]
        if dates[k] <= first_end and share > 0.1 and t > 3.0:  # before every END_DATE the plan holds still
            return (f"INPUT already moves like the basin on {dates[k]}, before END_DATE ({first_end}): {share:.0%} of "
                    "the final basin at the samples, where the time function starts at END_DATE and holds the surface "
                    "still before it. The subsidence began earlier: set END_DATE (the field or the typed date) to "
                    "when the surface began to move, or give a series that starts after extraction ended")
    return None


#: The fit's result (:class:`.mining_series.SeriesFit`).
TimeFit = SeriesFit


def _dated_series(series_mm, dates: Sequence[_dt.date]) -> np.ndarray:
    """The series as float64 bands x pixels, one band a date: at least 3 dates, increasing (an error naming INPUT
    otherwise)."""
    d = np.asarray(series_mm, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != len(dates):
        raise GeohazardError(f"INPUT: {d.shape[0] if d.ndim else 0} bands for {len(dates)} dates")
    if len(dates) < 3:
        raise GeohazardError(f"INPUT has {len(dates)} dates: the time factor needs at least 3")
    if any(b <= a for a, b in zip(dates, dates[1:])):
        raise GeohazardError("INPUT: the band dates must increase")
    return d


def fit_time_factor(series_mm: np.ndarray, x_m, y_m, dates: Sequence[_dt.date], panels: Sequence[Panel],
                    params: PimParameters, *, los_vector=None, c0_per_year: Optional[float] = None,
                    progress=None) -> TimeFit:
    """Fit Knothe's time factor, with the basin's ``q`` and ``tan(beta)``, to a displacement series
    (:func:`.mining_series.fit_series`: the typed basin is the prior, its uncertainty enters ``c``'s).

    Parameters
    ----------
    series_mm : ndarray, shape (n_dates, n)
        The series at the sample points (mm; NaN = missing), LOS positive toward the satellite (with
        ``los_vector``) or vertical up positive; each point's reference is fitted (any date).
    x_m, y_m : array_like, shape (n,)
        Map coordinates of the samples (m, the panels' projected CRS).
    dates : sequence of datetime.date
        The series' dates, increasing.
    panels : sequence of Panel
        The mine plan with each panel's ``end_date``; the final basin comes from ``params``.
    los_vector : tuple, optional
        Ground-to-satellite unit vector ``(e, n, u)`` of a LOS series; None: the series is vertical.
    c0_per_year : float, optional
        Starting value (default: a grid search over :data:`C_BOUNDS`).

    Returns
    -------
    TimeFit
    """
    check_panel_dates(panels)
    d = _dated_series(series_mm, dates)
    warnings = []
    last_end = max(p.end_date for p in panels)
    if dates[-1] <= min(p.end_date for p in panels):
        raise GeohazardError(f"INPUT ends on {dates[-1]}, before every panel's END_DATE (the first: "
                             f"{min(p.end_date for p in panels)}): the series holds no movement after extraction to "
                             "fit the time factor on")
    if dates[0] > last_end + _dt.timedelta(days=3 * YEAR_DAYS):
        warnings.append(f"INPUT starts {(dates[0] - last_end).days} days after the last END_DATE: most of the "
                        "movement happened before it, and c is poorly constrained")

    # MODE 2's plan holds the surface still until each END_DATE: a series against it, or moving before it, is
    # refused with what to do (the first date as every point's reference, the basin at the typed parameters)
    finals = final_components(x_m, y_m, panels, params, los_vector)
    if finals.size and float(np.abs(finals).max()) > 0:
        problem = series_problem(d - d[:1], finals, panels, dates)
        if problem:
            raise GeohazardError(problem)
    epoch = min(p.end_date for p in panels)
    ends = np.array([years(p.end_date, epoch) for p in panels])

    def components(values):
        basin = replace(params, **values)
        vert, horiz = split_components(x_m, y_m, panels, basin, los_vector)
        return vert, horiz, ends, ends, epoch

    typed, sigma, bounds = basin_prior(panels, params, los_vector is not None)
    fit = fit_series(d, dates, components=components, typed=typed, prior_sigma=sigma, bounds=bounds,
                     progress=progress, c0_per_year=c0_per_year)
    fit.warnings[:0] = warnings
    if progress is not None:
        progress.set_progress(100.0)
    return fit


def fit_advance_factor(series_mm: np.ndarray, x_m, y_m, dates: Sequence[_dt.date], panels: Sequence[Panel],
                       params: PimParameters, *, tan_beta_2: Optional[float] = None, los_vector=None,
                       progress=None):
    """Fit Knothe's time factor and the basin (``q``, ``tan(beta)``, the inflection offset, ``tan(beta_2)`` when
    given, ``b`` for a LOS series) to a series taken while (and after) the faces advance
    (:func:`.mining_series.fit_series`; the typed values are the prior).

    Parameters
    ----------
    series_mm : ndarray, shape (n_dates, n)
        The series at the sample points (mm; NaN = missing), LOS positive toward the satellite (with
        ``los_vector``) or vertical up positive; each point's reference is fitted.
    x_m, y_m : array_like, shape (n,)
        Map coordinates of the samples (m, the panels' projected CRS).
    dates : sequence of datetime.date
        The series' dates, increasing.
    panels : sequence of Panel
        The mine plan with each panel's START_DATE, END_DATE and advance azimuth.
    tan_beta_2 : float, optional
        The typed ``tan(beta)`` to the right of the advance (a lopsided basin); None: one radius.

    Returns
    -------
    :class:`.mining_series.SeriesFit`
    """
    ma.check_advance(panels, tan_beta_2)
    d = _dated_series(series_mm, dates)
    epoch = min(p.start_date for p in panels)
    if dates[-1] <= epoch:
        raise GeohazardError(f"INPUT ends on {dates[-1]}, before the first START_DATE ({epoch}): the series holds no "
                             "movement of the extraction to fit the time factor on")
    typed, sigma, bounds = basin_prior(panels, params, los_vector is not None)
    if tan_beta_2 is not None:
        typed["tan_beta_2"] = float(tan_beta_2)
    # the strips are cut once, from the typed basin and a quarter narrower (the fit may steepen the angle): a
    # count that changed with the parameters would make the model jump under the fit's finite differences
    counts = [min(ma.MAX_STRIPS, int(math.ceil(1.25 * ma.strip_count(p, i, params, tan_beta_2))))
              for i, p in enumerate(panels)]

    def components(values):
        values = dict(values)
        tb2 = values.pop("tan_beta_2", None)
        basin = replace(params, **values)
        strips = ma.advance_strips(panels, basin, epoch, tb2, counts)
        vert, horiz = ma.strip_components(x_m, y_m, strips, panels, basin, tan_beta_2=tb2, los_vector=los_vector)
        return (vert, horiz, np.array([s.t0_years for s in strips]), np.array([s.t1_years for s in strips]),
                epoch)

    fit = fit_series(d, dates, components=components, typed=typed, prior_sigma=sigma, bounds=bounds,
                     progress=progress)
    if progress is not None:
        progress.set_progress(100.0)
    return fit


def fitted_parameters(params: PimParameters, fit: TimeFit) -> PimParameters:
    """``params`` with the basin parameters the time fit refined."""
    return replace(params, **{k: v for k, (v, _) in fit.basin.items() if k != "tan_beta_2"})


def basin_prior(panels: Sequence[Panel], params: PimParameters, los: bool) -> tuple:
    """``(typed, sigma, bounds)`` of the basin parameters a time fit refines: ``q``, ``tan(beta)``, the
    inflection offset (prior spread a tenth of the mean depth, at most :func:`.mining_fit.max_offset_m`) and, for a
    LOS series, ``b``."""
    typed = {"subsidence_factor": params.subsidence_factor, "tan_beta": params.tan_beta,
             "offset_m": params.offset_m}
    if los:
        typed["horizontal_factor"] = params.horizontal_factor
    depth = float(np.mean([p.depth_m for p in panels]))
    high = max_offset_m(panels)
    typed["offset_m"] = min(typed["offset_m"], high)
    return typed, {"offset_m": 0.1 * depth}, {"offset_m": (0.0, high)}


def split_components(x_m, y_m, panels: Sequence[Panel], params: PimParameters, los_vector=None) -> tuple:
    """``(vertical, horizontal)`` of each panel alone at the points, ``(n_panels, n)`` mm: the up motion (its LOS
    share with ``los_vector``) and the horizontal motion's LOS share for ``b = 1`` (None without ``los_vector``)."""
    vert, horiz = [], []
    for p in panels:
        e, n, u = pim_displacement(x_m, y_m, [p], subsidence_factor=params.subsidence_factor,
                                   tan_beta=params.tan_beta, offset_m=params.offset_m, horizontal_factor=1.0,
                                   propagation_angle_deg=params.propagation_angle_deg,
                                   shift_azimuth_deg=params.shift_azimuth_deg, check=False)
        if los_vector is None:
            vert.append(u)
        else:
            vert.append(los_from_enu(0.0, 0.0, u, los_vector))
            horiz.append(los_from_enu(e, n, 0.0, los_vector))
    shape = (len(panels), -1)
    return np.array(vert, np.float64).reshape(shape), (np.array(horiz, np.float64).reshape(shape) if horiz else None)


def time_grid_block(block, inputs, *, geotransform, panels, params: PimParameters, dates, c_per_year: float) -> dict:
    """Block function: ``vertical`` ``(n_dates, rows, cols)``, the vertical displacement (mm, up positive) at each
    date since each panel's END_DATE (absolute: zero before extraction). Pixels are independent: the same bytes
    for any block layout."""
    gt = geotransform
    x = gt[0] + (np.arange(block.n_cols) + 0.5) * gt[1]
    y = gt[3] + (np.arange(block.row0, block.row1) + 0.5) * gt[5]
    xx, yy = np.meshgrid(x, y)
    finals = final_components(xx.ravel(), yy.ravel(), panels, params)
    model = series_model(finals, panels, dates, c_per_year, relative=False)
    return {"vertical": model.reshape(len(dates), block.rows, block.n_cols)}


def time_bytes_per_pixel(n_dates: int, n_panels: int) -> float:
    """Memory of one pixel of a :func:`time_grid_block`: the PIM's work arrays, the per-panel finals and the
    model over the dates (float64, twice for the reshape and the writer's copy)."""
    return PIM_BYTES_PER_PIXEL + 8.0 * n_panels + 16.0 * n_dates + 8.0 * n_panels * n_dates
