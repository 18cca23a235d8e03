"""Deformation versus a triggering driver: resampling, antecedent rainfall, lagged correlation.

Common time axis
    Both series go on one regular axis of ``step_days`` bins starting at the later of the two
    first dates. Deformation (displacement, mm) is interpolated linearly at the bin
    centres; its **rate** (mm/yr, first difference) or its **detrended** displacement is the
    response. A driver is either a *flux* summed per bin (rainfall, mm per bin) or a *state*
    interpolated at the bin centres (water level, groundwater head).

Antecedent rainfall
    ``A_t = k A_{t-1} + R_t`` on the daily driver (Kohler & Linsley 1951; the antecedent
    precipitation index of landslide early-warning studies), ``k = exp(-1 / tau_days)``.
    A missing day is not taken as dry: ``A`` is unknown on it and until ``k^j < 0.05``
    (the gap is forgotten), and those bins are reported as gaps.

Lagged cross-correlation
    ``r(L) = corr(driver(t), response(t + L))`` for ``L = 0 .. max_lag`` bins (driver leads),
    Pearson on the pairs where both exist. The best lag is the one of the **largest |r|**, and
    its sign is reported: +1 when the response rises with the driver, -1 when it falls (a slope
    facing the sensor moving away from it, i.e. LOS decreasing, as rain rises; subsidence as the
    groundwater level drops). Ties go to the shortest lag. Significance uses the effective sample
    size of two autocorrelated series (Bretherton et al. 1999,
    doi:10.1175/1520-0442(1999)012<1990:TENOSD>2.0.CO;2): ``n_eff = n (1 - a1 b1) / (1 + a1 b1)``
    with ``a1``, ``b1`` the lag-1 autocorrelations, ``t = |r| sqrt((n_eff - 2) / (1 - r^2))``;
    ``p`` two-sided from Student's t (a correlation of either sign is searched for), and
    ``p_corrected = min(1, p x number of lags)`` (Bonferroni, since the best of several lags is
    picked). A best lag on the largest lag tried is flagged (``at_limit``): the true lag may lie
    beyond the search.

Seasonal decomposition
    Harmonic regression ``y = c + v t + sum_k (a_k cos 2 pi k t + b_k sin 2 pi k t)``, ``k = 1, 2``
    (annual + semi-annual, ``t`` in years): trend, seasonal part and residual, the annual
    amplitude and the day of year of its peak. It tolerates gaps and irregular sampling
    (unlike moving-average decompositions) and needs at least one year of data.
"""

from __future__ import annotations

import datetime as _dt
from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError
from ..ordered import columnwise_matmul, sum_first_axis

DRIVER_KINDS = ("flux", "state")
RESPONSES = ("rate", "detrended")


def _ord(dates):
    return np.array([d.toordinal() for d in dates], dtype=np.float64)


def antecedent_index(daily_dates: Sequence[_dt.date], rain, *, tau_days: float):
    """Antecedent precipitation index on a daily axis (see module notes).

    Returns
    -------
    dates : list of datetime.date
        Every day from the first to the last input date.
    index : ndarray
        ``A_t`` (same unit as ``rain``); NaN on missing days and while their memory lasts.
    """
    if not tau_days > 0:
        raise GeohazardError(f"decay time tau must be > 0 days, got {tau_days!r}")
    t = _ord(daily_dates)
    r = np.asarray(rain, dtype=np.float64)
    if r.size != t.size or r.size == 0:
        raise GeohazardError(f"driver has {t.size} dates and {r.size} values")
    order = np.argsort(t)
    t, r = t[order], r[order]
    days = np.arange(t[0], t[-1] + 1)
    full = np.full(days.size, np.nan)
    full[(t - t[0]).astype(int)] = r
    k = float(np.exp(-1.0 / tau_days))
    memory = int(np.ceil(np.log(0.05) / np.log(k)))
    out = np.full(days.size, np.nan)
    acc, since_gap = 0.0, memory
    for i, v in enumerate(full):
        if not np.isfinite(v):
            acc, since_gap = 0.0, -1
            continue
        acc = k * acc + v
        since_gap += 1
        if since_gap >= memory:
            out[i] = acc
    return [_dt.date.fromordinal(int(d)) for d in days], out


def common_axis(resp_dates, driver_dates, *, step_days: float):
    """Bin edges (ordinal days) every ``step_days`` over the overlap of both date lists."""
    if not step_days > 0:
        raise GeohazardError(f"step must be > 0 days, got {step_days!r}")
    lo = max(min(resp_dates), min(driver_dates)).toordinal()
    hi = min(max(resp_dates), max(driver_dates)).toordinal()
    if hi - lo < 3 * step_days:
        raise GeohazardError(f"the deformation ({min(resp_dates)}..{max(resp_dates)}) and driver "
                             f"({min(driver_dates)}..{max(driver_dates)}) series overlap over {max(hi - lo, 0)} days, "
                             f"fewer than three {step_days:g}-day steps")
    n = int((hi - lo) // step_days)
    return lo + step_days * np.arange(n + 1)


def resample_driver(dates, values, edges, *, kind: str = "flux"):
    """Driver per bin: sum of a flux (NaN when a day of the bin is missing) or interpolated state.

    Returns
    -------
    values : ndarray (n_bins,)
    n_gap_bins : int
        Bins without a complete driver.
    """
    if kind not in DRIVER_KINDS:
        raise GeohazardError(f"driver kind must be one of {DRIVER_KINDS}, got {kind!r}")
    t = _ord(dates)
    v = np.asarray(values, dtype=np.float64)
    nb = edges.size - 1
    out = np.full(nb, np.nan)
    if kind == "state":
        ok = np.isfinite(v)
        if ok.sum() < 2:
            raise GeohazardError("the driver has fewer than two valid values")
        centres = 0.5 * (edges[:-1] + edges[1:])
        out = np.interp(centres, t[ok], v[ok], left=np.nan, right=np.nan)
        # a bin whose nearest samples are further apart than 3 bins is a gap
        k = np.clip(np.searchsorted(t[ok], centres) - 1, 0, ok.sum() - 2)
        gap = t[ok][k + 1] - t[ok][k]
        out[gap > 3 * (edges[1] - edges[0])] = np.nan
        return out, int((~np.isfinite(out)).sum())
    # flux: the sampling of the driver decides what "complete" means (daily: every day present)
    spacing = np.median(np.diff(np.unique(t))) if t.size > 1 else 1.0
    for b in range(nb):
        sel = (t >= edges[b]) & (t < edges[b + 1])
        expected = max(1, int(round((edges[b + 1] - edges[b]) / spacing)))
        vals = v[sel]
        if np.isfinite(vals).sum() >= expected:
            out[b] = np.nansum(vals)
    return out, int((~np.isfinite(out)).sum())


def resample_response(dates, series, edges, *, response: str = "rate"):
    """Deformation on the bins: rate (mm/yr) between bin edges or detrended displacement at centres.

    ``series`` (n_dates, ...) in mm. Returns ``(n_bins, ...)``.
    """
    if response not in RESPONSES:
        raise GeohazardError(f"response must be one of {RESPONSES}, got {response!r}")
    t = _ord(dates)
    y = np.asarray(series, dtype=np.float64)
    flat = y.reshape(y.shape[0], -1)
    pts = edges if response == "rate" else 0.5 * (edges[:-1] + edges[1:])
    res = np.full((pts.size, flat.shape[1]), np.nan)
    full = np.isfinite(flat).all(axis=0)
    if full.any() and t.size >= 2:
        # series without gaps share the interpolation weights: one matrix product
        j = np.clip(np.searchsorted(t, pts, side="right") - 1, 0, t.size - 2)
        frac = (pts - t[j]) / (t[j + 1] - t[j])
        w = np.zeros((pts.size, t.size))
        w[np.arange(pts.size), j] = 1 - frac
        w[np.arange(pts.size), j + 1] += frac
        inside = (pts >= t[0]) & (pts <= t[-1])
        blk = columnwise_matmul(w, flat[:, full])  # column by column: a series does not depend on the others
        blk[~inside] = np.nan
        res[:, full] = blk
    for col in np.nonzero(~full)[0]:
        ok = np.isfinite(flat[:, col])
        if ok.sum() >= 2:
            res[:, col] = np.interp(pts, t[ok], flat[ok, col], left=np.nan, right=np.nan)
    if response == "rate":
        out = np.diff(res, axis=0) / (np.diff(edges)[:, None] / 365.25)
    else:
        ty = (pts - pts[0]) / 365.25
        out = np.full_like(res, np.nan)
        ok = np.isfinite(res)
        n = ok.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            tm = sum_first_axis(np.where(ok, ty[:, None], 0)) / n
            ym = sum_first_axis(np.where(ok, res, 0)) / n
            dt_ = np.where(ok, ty[:, None] - tm, 0)
            slope = sum_first_axis(dt_ * np.where(ok, res - ym, 0)) / sum_first_axis(dt_ * dt_)
            out = np.where(ok & (n >= 3), res - ym - slope * (ty[:, None] - tm), np.nan)
    return out.reshape((out.shape[0],) + y.shape[1:])


def _lag1(x):
    ok = np.isfinite(x[:-1]) & np.isfinite(x[1:])
    if ok.sum() < 3:
        return 0.0
    a, b = x[:-1][ok], x[1:][ok]
    if np.std(a) == 0 or np.std(b) == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def _lag1_columns(y):
    """Lag-1 autocorrelation of every column (pairs of consecutive finite values); 0 when undefined."""
    a, b = y[:-1], y[1:]
    ok = np.isfinite(a) & np.isfinite(b)
    cnt = ok.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = sum_first_axis(np.where(ok, a, 0)) / cnt
        mb = sum_first_axis(np.where(ok, b, 0)) / cnt
        da, db = np.where(ok, a - ma, 0), np.where(ok, b - mb, 0)
        r = sum_first_axis(da * db) / np.sqrt(sum_first_axis(da * da) * sum_first_axis(db * db))
    return np.where((cnt >= 3) & np.isfinite(r), r, 0.0)


def lagged_correlation(driver, response, *, max_lag: int, min_pairs: int = 8):
    """Correlation of ``driver(t)`` with ``response(t + L)`` for every lag and its significance.

    Parameters
    ----------
    driver : ndarray (n_bins,)
    response : ndarray (n_bins, n_series)
    max_lag : int
        Largest lag in bins (driver leading).
    min_pairs : int
        Lags with fewer valid pairs give NaN.

    Returns
    -------
    dict
        ``r`` (n_lags, n_series), ``n`` pairs, ``best_lag`` (bins, n_series; -1 when undefined), the
        lag of the largest ``|r|``; ``best_r`` (signed r there), ``sign`` (+1 / -1, 0 when undefined),
        ``p`` (two-sided, effective sample size) and ``p_corrected`` (Bonferroni over lags) at the best
        lag; ``n_eff``; ``at_limit`` (bool: the best lag is the largest lag tried, ``max_lag > 0``).
    """
    from scipy import stats

    d = np.asarray(driver, dtype=np.float64)
    y = np.asarray(response, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    nb, ns = y.shape
    if d.size != nb:
        raise GeohazardError(f"driver has {d.size} bins, response {nb}")
    max_lag = int(max_lag)
    if max_lag < 0 or max_lag > nb - min_pairs:
        raise GeohazardError(f"max lag {max_lag} bins is not possible with {nb} bins and at least {min_pairs} pairs")
    n_l = max_lag + 1
    r = np.full((n_l, ns), np.nan)
    npair = np.zeros((n_l, ns), dtype=np.int64)
    for lag in range(n_l):
        a = d[:nb - lag, None]
        b = y[lag:, :]
        ok = np.isfinite(a) & np.isfinite(b)
        cnt = ok.sum(axis=0)
        aa = np.where(ok, a, 0.0)
        bb = np.where(ok, b, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            # sums over the bins in order, series by series (algorithms.ordered)
            ma, mb = sum_first_axis(aa) / cnt, sum_first_axis(bb) / cnt
            da, db = np.where(ok, a - ma, 0.0), np.where(ok, b - mb, 0.0)
            cov = sum_first_axis(da * db)
            rr = cov / np.sqrt(sum_first_axis(da * da) * sum_first_axis(db * db))
        r[lag] = np.where(cnt >= min_pairs, rr, np.nan)
        npair[lag] = cnt
    # the strongest correlation of either sign; argmax keeps the first of equal values (the shortest lag)
    best = np.argmax(np.where(np.isfinite(r), np.abs(r), -np.inf), axis=0)
    best_r = r[best, np.arange(ns)]
    a1 = _lag1(d)
    b1 = _lag1_columns(y)
    n = npair[np.clip(best, 0, n_l - 1), np.arange(ns)].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ab = a1 * b1
        ne = np.where(1 + ab > 0, n * (1 - ab) / (1 + ab), n)
        ne = np.clip(ne, 3.0, np.maximum(n, 3.0))
        rj = np.minimum(np.abs(best_r), 0.999999)
        tt = rj * np.sqrt((ne - 2) / (1 - rj * rj))
        p = 2 * stats.t.sf(tt, ne - 2)
    fin = np.isfinite(best_r)
    p = np.where(fin, p, np.nan)
    n_eff = np.where(fin, ne, np.nan)
    sign = np.where(fin, np.sign(best_r), 0.0).astype(np.int64)
    return {"r": r, "n": npair, "best_lag": np.where(fin, best, -1), "best_r": best_r, "sign": sign, "p": p,
            "p_corrected": np.minimum(1.0, p * n_l), "n_eff": n_eff,
            "at_limit": fin & (best == max_lag) & (max_lag > 0)}


def seasonal_decomposition(dates, values):
    """Trend + annual/semi-annual harmonics + residual of one series (see module notes).

    Returns
    -------
    dict
        ``trend``, ``seasonal``, ``residual`` (n,), ``velocity`` (unit/yr), ``annual_amplitude``,
        ``annual_peak_doy`` (day of year of the annual maximum); NaNs when the valid span
        is shorter than a year or fewer than 8 values.
    """
    t = _ord(dates)
    y = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(y)
    nan = np.full(y.shape, np.nan)
    out = {"trend": nan, "seasonal": nan.copy(), "residual": nan.copy(), "velocity": np.nan,
           "annual_amplitude": np.nan, "annual_peak_doy": np.nan}
    if ok.sum() < 8 or t[ok].max() - t[ok].min() < 365:
        return out
    ty = (t - t[ok][0]) / 365.25
    doy_phase = 2 * np.pi * np.array([(d.timetuple().tm_yday - 1) / 365.25 for d in dates])
    cols = [np.ones_like(ty), ty, np.cos(doy_phase), np.sin(doy_phase), np.cos(2 * doy_phase), np.sin(2 * doy_phase)]
    a = np.stack(cols, axis=1)
    coef, *_ = np.linalg.lstsq(a[ok], y[ok], rcond=None)
    trend = a[:, :2] @ coef[:2]
    seas = a[:, 2:] @ coef[2:]
    amp = float(np.hypot(coef[2], coef[3]))
    peak = float((np.degrees(np.arctan2(coef[3], coef[2])) % 360.0) / 360.0 * 365.25 + 1)
    out.update(trend=trend, seasonal=seas, residual=np.where(ok, y - trend - seas, np.nan), velocity=float(coef[1]),
               annual_amplitude=amp, annual_peak_doy=peak)
    return out


def check_driver(dates, values, *, kind: str = "flux", warnings: Optional[list] = None):
    """The driver's dates and values, sorted, each date once; refuses what cannot be a driver series.

    * A date given twice with two different values is refused, naming the date and both values (which
      one is right cannot be told); the same value twice is kept once, with a warning appended to
      ``warnings``.
    * A flux (rainfall, mm) cannot be negative: a negative value is refused, naming its date (a
      missing day is an empty cell, not -1 or -999). A state (water level, groundwater head) can be.

    Returns ``(dates, values)``.
    """
    if kind not in DRIVER_KINDS:
        raise GeohazardError(f"driver kind must be one of {DRIVER_KINDS}, got {kind!r}")
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size != len(dates):
        raise GeohazardError(f"the driver has {len(dates)} dates and {v.size} values")
    t = _ord(dates)
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    dates = [dates[i] for i in order]
    same = np.nonzero(t[1:] == t[:-1])[0]
    if same.size:
        a, b = v[same], v[same + 1]
        differ = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        if differ.any():
            k = int(same[differ][0])
            raise GeohazardError(
                f"the driver gives {dates[k].isoformat()} twice with different values ({v[k]:g} and {v[k + 1]:g})"
                f"{f' and {int(differ.sum()) - 1} more such date(s)' if differ.sum() > 1 else ''}: keep one value "
                "per date")
        keep = np.ones(t.size, bool)
        keep[same + 1] = False
        if warnings is not None:
            warnings.append(f"driver: {same.size} date(s) repeated with the same value (first "
                            f"{dates[int(same[0])].isoformat()}), kept once")
        t, v = t[keep], v[keep]
        dates = [d for d, k in zip(dates, keep) if k]
    if kind == "flux":
        neg = np.nonzero(v < 0)[0]
        if neg.size:
            k = int(neg[0])
            raise GeohazardError(
                f"the driver is a flux (rainfall) but has {neg.size} negative value(s), the first {v[k]:g} on "
                f"{dates[k].isoformat()}: rainfall cannot be negative (leave a missing day empty; a level that "
                "can be negative is a state driver)")
    return dates, v


def prepare_driver(resp_dates, drv_dates, drv_values, *, step_days: float = 12.0, kind: str = "flux",
                   tau_days: Optional[float] = None, min_pairs: int = 8, warnings: Optional[list] = None):
    """The driver on the common axis: ``(edges, values per bin, gap bins, note)`` (see module notes).

    The driver is checked first (:func:`check_driver`); non-fatal problems are appended to ``warnings``.
    """
    dv = np.asarray(drv_values, dtype=np.float64)
    if dv.size != len(drv_dates) or dv.size < 3:
        raise GeohazardError(f"the driver needs at least 3 dated values (got {dv.size} values, {len(drv_dates)} dates)")
    drv_dates, dv = check_driver(list(drv_dates), dv, kind=kind, warnings=warnings)
    if dv.size < 3:
        raise GeohazardError(f"the driver needs at least 3 distinct dates, got {dv.size}")
    note = kind
    if tau_days is not None and kind == "flux":
        drv_dates, dv = antecedent_index(drv_dates, dv, tau_days=tau_days)
        kind, note = "state", f"antecedent index, tau {tau_days:g} days"
    edges = common_axis(resp_dates, drv_dates, step_days=step_days)
    drv, gaps = resample_driver(drv_dates, dv, edges, kind=kind)
    if np.isfinite(drv).sum() < min_pairs:
        raise GeohazardError(f"the driver has {np.isfinite(drv).sum()} complete bins of {drv.size} on the common "
                             f"axis ({gaps} with gaps); at least {min_pairs} are needed")
    return edges, drv, gaps, note


def correlate_binned(edges, drv, resp_dates, series, *, response: str = "rate", max_lag_days: float = 180.0,
                     min_pairs: int = 8):
    """Lagged correlation of deformation series (n_dates, n_series) with a binned driver."""
    step = float(edges[1] - edges[0])
    resp = resample_response(resp_dates, series, edges, response=response)
    resp = resp.reshape(resp.shape[0], -1)
    max_lag = min(int(max_lag_days // step), drv.size - min_pairs)
    if max_lag < 0:
        raise GeohazardError(f"only {drv.size} common {step:g}-day bins: fewer than {min_pairs} pairs")
    res = lagged_correlation(drv, resp, max_lag=max_lag, min_pairs=min_pairs)
    res.update(edges=edges, driver=drv, response=resp, lags_days=np.arange(max_lag + 1) * step,
               best_lag_days=np.where(res["best_lag"] >= 0, res["best_lag"] * step, np.nan))
    return res


def seasonal_reason(dates) -> Optional[str]:
    """Why :func:`seasonal_parameters` can give no value for any series on ``dates`` (None when it can)."""
    if len(dates) < 8:
        return f"the series has {len(dates)} dates, at least 8 are needed"
    t = _ord(dates)
    span = int(t.max() - t.min())
    if span < 365:
        return (f"the series spans {span} days ({min(dates).isoformat()}..{max(dates).isoformat()}); an annual "
                "harmonic needs at least 365")
    return None


def seasonal_parameters(dates, series):
    """Velocity, annual amplitude and annual peak day of every column of ``series`` (n_dates, n).

    Same model as :func:`seasonal_decomposition`; columns without gaps are fitted together. All NaN
    when the dates span less than a year or number fewer than 8 (:func:`seasonal_reason` says which);
    a column with gaps is NaN when its valid values do.
    """
    y = np.asarray(series, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    n = y.shape[1]
    out = {k: np.full(n, np.nan) for k in ("velocity", "annual_amplitude", "annual_peak_doy")}
    t = _ord(dates)
    if len(dates) < 8 or t.max() - t.min() < 365:
        return out
    full = np.isfinite(y).all(axis=0)
    if full.any():
        ty = (t - t[0]) / 365.25
        ph = 2 * np.pi * np.array([(d.timetuple().tm_yday - 1) / 365.25 for d in dates])
        a = np.stack([np.ones_like(ty), ty, np.cos(ph), np.sin(ph), np.cos(2 * ph), np.sin(2 * ph)], axis=1)
        coef, *_ = np.linalg.lstsq(a, y[:, full], rcond=None)
        out["velocity"][full] = coef[1]
        out["annual_amplitude"][full] = np.hypot(coef[2], coef[3])
        out["annual_peak_doy"][full] = (np.degrees(np.arctan2(coef[3], coef[2])) % 360.0) / 360.0 * 365.25 + 1
    for j in np.nonzero(~full)[0]:
        r = seasonal_decomposition(dates, y[:, j])
        for k in out:
            out[k][j] = r[k]
    return out


def correlate_with_driver(resp_dates, series, drv_dates, drv_values, *, step_days: float = 12.0,
                          kind: str = "flux", response: str = "rate", tau_days: Optional[float] = None,
                          max_lag_days: float = 180.0, min_pairs: int = 8, warnings: Optional[list] = None):
    """The whole analysis for many deformation series against one driver.

    Parameters
    ----------
    resp_dates : sequence of date
    series : ndarray (n_dates, n_series)
        Displacement, mm.
    drv_dates, drv_values : driver samples (daily rainfall in mm, or a level in m).
    step_days : float
        Bin width of the common axis.
    kind : {"flux", "state"}
    response : {"rate", "detrended"}
    tau_days : float, optional
        With a flux driver: use the antecedent index with this decay time instead of the
        plain bin sums.
    max_lag_days : float
    warnings : list, optional
        Non-fatal problems of the driver are appended to it (:func:`check_driver`).

    Returns
    -------
    dict
        Everything of :func:`lagged_correlation` with ``best_lag_days``, plus ``edges``
        (ordinal days), ``driver`` and ``response`` on the bins, ``lags_days``,
        ``driver_gap_bins``, ``driver_note``.
    """
    y = np.asarray(series, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if y.shape[0] != len(resp_dates):
        raise GeohazardError(f"deformation has {y.shape[0]} dates along axis 0 but {len(resp_dates)} dates")
    if len(resp_dates) < 4:
        raise GeohazardError(f"deformation series need at least 4 dates, got {len(resp_dates)}")
    edges, drv, gaps, note = prepare_driver(resp_dates, drv_dates, drv_values, step_days=step_days, kind=kind,
                                            tau_days=tau_days, min_pairs=min_pairs, warnings=warnings)
    res = correlate_binned(edges, drv, resp_dates, y, response=response, max_lag_days=max_lag_days,
                           min_pairs=min_pairs)
    res.update(driver_gap_bins=gaps, driver_note=note)
    return res


def correlation_warnings(res: dict, what: str) -> list:
    """Warnings on a result of :func:`correlate_with_driver` for ``what`` (e.g. "features"): best lags on the
    largest lag tried, series without any correlation."""
    n = res["best_r"].size
    out = []
    lim = int(np.sum(res["at_limit"]))
    if lim:
        out.append(f"{lim} of {n} {what} have their strongest correlation at the largest lag tried "
                   f"({res['lags_days'][-1]:g} days): the true lag may be longer (raise MAX_LAG_DAYS)")
    none = int(np.sum(~np.isfinite(res["best_r"])))
    if none:
        out.append(f"{none} of {n} {what} have too few values on the common axis for a correlation (left empty)")
    return out


def seasonal_notes(dates, seasonal: dict, what: str) -> tuple:
    """``(info, warning)`` on the empty values of :func:`seasonal_parameters` (each "" when there is none): the
    dates themselves too short for a harmonic is an explanation, some ``what`` without values a data problem."""
    reason = seasonal_reason(dates)
    if reason:
        return f"velocity, annual_amplitude and annual_peak_doy left empty: {reason}", ""
    n_nan = int(np.sum(~np.isfinite(seasonal["velocity"])))
    if n_nan:
        return "", (f"velocity, annual_amplitude and annual_peak_doy left empty for {n_nan} of "
                    f"{seasonal['velocity'].size} {what}: their valid values span less than 365 days or number "
                    "fewer than 8")
    return "", ""


def trigger_block(block, inputs, *, edges, driver, dates, response="rate", max_lag_days=180.0, min_pairs=8):
    """Block function of the raster route (:mod:`algorithms.engine`): ``inputs["stack"]`` (n_dates, rows,
    cols) in mm -> ``result`` (4, rows, cols): best lag (days, largest |r|), best r (signed), p, Bonferroni-corrected
    p; ``at_limit`` (rows, cols): the best lag is the largest tried."""
    st = np.asarray(inputs["stack"], dtype=np.float64)[:, block.core]
    rows, cols = st.shape[1:]
    res = correlate_binned(edges, driver, dates, st.reshape(st.shape[0], -1), response=response,
                           max_lag_days=max_lag_days, min_pairs=min_pairs)
    return {"result": np.stack([res[k].reshape(rows, cols) for k in ("best_lag_days", "best_r", "p",
                                                                      "p_corrected")]),
            "at_limit": res["at_limit"].reshape(rows, cols)}
