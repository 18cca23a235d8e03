"""Validation of InSAR time series against GNSS or levelling (ValInSAR-style statistics).

Steps, per station ``i``:

1. **Colocation.** The InSAR points within ``radius_m`` of the station are averaged (series
   and LOS unit vectors). A station with no point in reach is reported ``outside``, never
   dropped silently.
2. **Projection.** The station's east/north/up displacements (mm) are projected on the
   averaged ground-to-satellite unit vector, ``g = e E + n N + u U`` (levelling: ``E = N =
   0``; LOS positive toward the satellite, :mod:`algorithms.conventions`).
3. **Common time axis.** The station series is averaged over ``window_days`` around each
   InSAR date (dense GNSS) or interpolated linearly, inside its span and never across gaps
   longer than ``max_gap_days``. As in ValInSAR, the statistics are computed on the dates of
   the sparser series: when the station has fewer samples than InSAR dates in the common
   period (levelling campaigns), InSAR is interpolated at the station's own dates instead.
4. **Common reference.** InSAR is relative to a reference point whose own motion is
   unknown; GNSS is in a global frame. The reference motion ``ref(t)`` (LOS) is estimated as
   ``InSAR - GNSS`` at one reference station, or as the mean of ``InSAR - GNSS`` over the
   network (``reference="mean"``), and removed from every InSAR series (dates where it is
   unknown, e.g. a gap of the reference station, are left out).
5. **Time reference.** Both series are shifted to zero at the first common date (the
   translation of the ValInSAR code).
6. **Statistics** of the difference ``delta = InSAR - GNSS``: ``bias`` (mean of delta, mm),
   ``rmse``, ``std`` of delta, Pearson ``r`` and ``r2`` of the two series, the linear
   velocities of both over the common period and their difference (mm/yr), and the
   ValInSAR set (Navarro-Hernandez et al. 2022, computed as in the authors' MATLAB code,
   ``B01_ValidateTwobyTwo.m``, with the in-situ series as the observation): ``nrmse_range =
   rmse / range(GNSS)`` and ``nrmse_mean = rmse / |mean(GNSS)|`` (their NRMSE1 and NRMSE2),
   the mean absolute difference ``md`` and its normalised forms ``nmd_range``/``nmd_mean``
   (NMD3, NMD4), and the ordinary least-squares line InSAR = ``slope`` GNSS + ``intercept``
   whose R^2 is ``r2``.
7. **Network statistics** (:func:`network_statistics`), the two ValInSAR levels: the
   *velocity* validation compares the vector of station velocities (in-situ vs InSAR, one
   value per compared station) with the same statistics (RMSE, NRMSE1/2, MD, R^2, line);
   the *time-series* validation is the mean over stations of the per-station statistics.
8. **Pass/fail.** A station passes when every threshold holds (:data:`DEFAULT_THRESHOLDS`;
   each can be changed or disabled with ``None``); the network velocities are judged on the
   two ValInSAR criteria, ``nrmse_range`` and ``r2``, with the same limits. The limits are
   this project's defaults: the accept/reject classification table of the paper could not
   be consulted offline (the authors' code computes the statistics but holds no class
   limits), so no number below is quoted from the paper.

References
----------
Navarro-Hernandez M. I. et al. (2022) ValInSAR: a systematic approach for the validation of
differential SAR interferometry in land subsidence areas. IEEE JSTARS 15, 3650-3671,
doi:10.1109/JSTARS.2022.3171517 (statistics as in the authors' open MATLAB code,
github.com/marianavarro27/ValInSAR).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError
from ..formats.dates import parse_date

#: Pass/fail thresholds (None disables one). ValInSAR accepts a dataset by combining the
#: normalised RMSE with R^2; the numbers below are this project's defaults (not values
#: quoted from the paper): RMSE within a quarter of the observed range, R^2 >= 0.7 (the
#: series share most of their variance), velocity difference <= 2 mm/yr (the order of
#: the EGMS L2b velocity standard deviation target) and RMSE <= 5 mm.
DEFAULT_THRESHOLDS = {"nrmse_range": 0.25, "r2": 0.7, "abs_velocity_difference": 2.0, "rmse": 5.0}
STATUS_OK, STATUS_OUTSIDE, STATUS_NO_OVERLAP, STATUS_REFERENCE = "compared", "outside", "no overlap", "reference"


@dataclass
class Station:
    """One GNSS or levelling station: position (InSAR CRS), dates and ENU displacement (mm)."""

    name: str
    x: float
    y: float
    dates: list
    east: Optional[np.ndarray] = None
    north: Optional[np.ndarray] = None
    up: Optional[np.ndarray] = None


@dataclass
class StationResult:
    name: str
    status: str
    n_points: int = 0
    n_dates: int = 0
    dates: list = field(default_factory=list)
    insar: Optional[np.ndarray] = None
    gnss: Optional[np.ndarray] = None
    stats: dict = field(default_factory=dict)
    passed: Optional[bool] = None
    failed: list = field(default_factory=list)


def _years(dates):
    return np.array([d.toordinal() for d in dates], dtype=np.float64) / 365.25


def _velocity(t, y):
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return np.nan
    return float(np.polyfit(t[ok] - t[ok][0], y[ok], 1)[0])


def agreement(observed, estimated) -> dict:
    """ValInSAR agreement statistics of ``estimated`` (InSAR) against ``observed`` (in-situ).

    The set of the authors' code (``B01_ValidateTwobyTwo.m``), used for both levels (one
    station's series, or the velocities of all stations): ``range_obs = max - min`` and
    ``mean_obs = |mean|`` of the observations, ``rmse``, ``nrmse_range = rmse / range_obs``
    (NRMSE1), ``nrmse_mean = rmse / mean_obs`` (NRMSE2), ``md`` = mean absolute difference,
    ``nmd_range``/``nmd_mean`` (NMD3/NMD4), and the ordinary least-squares line ``estimated =
    slope observed + intercept`` with its ``r2`` (= Pearson r^2). A zero range or mean gives
    ``inf`` for the ratio; constant series give NaN for r. NaN pairs are left out.
    """
    o, e = np.asarray(observed, float).ravel(), np.asarray(estimated, float).ravel()
    ok = np.isfinite(o) & np.isfinite(e)
    o, e = o[ok], e[ok]
    out = {"n": int(o.size)}
    if o.size < 2:
        return out
    delta = e - o
    rmse = float(np.sqrt(np.mean(delta ** 2)))
    md = float(np.mean(np.abs(delta)))
    rng = float(np.max(o) - np.min(o))
    mean = float(abs(np.mean(o)))
    if np.std(o) > 0 and np.std(e) > 0:
        r = float(np.corrcoef(o, e)[0, 1])
        slope = float(np.cov(o, e, bias=True)[0, 1] / np.var(o))
        intercept = float(np.mean(e) - slope * np.mean(o))
    else:
        r = slope = intercept = np.nan
    out.update(range_obs=rng, mean_obs=mean, rmse=rmse, md=md, r=r, r2=r * r, slope=slope, intercept=intercept,
               nrmse_range=rmse / rng if rng > 0 else np.inf, nrmse_mean=rmse / mean if mean > 0 else np.inf,
               nmd_range=md / rng if rng > 0 else np.inf, nmd_mean=md / mean if mean > 0 else np.inf)
    return out


def series_statistics(insar, gnss, dates) -> dict:
    """Agreement statistics of two series on the same dates (mm), NaN-aware (see module notes)."""
    a, g = np.asarray(insar, float), np.asarray(gnss, float)
    ok = np.isfinite(a) & np.isfinite(g)
    out = {"n": int(ok.sum())}
    if ok.sum() < 3:
        return out
    a, g = a[ok], g[ok]
    t = _years([d for d, k in zip(dates, ok) if k])
    delta = a - g
    v_a, v_g = _velocity(t, a), _velocity(t, g)
    out.update(agreement(g, a))
    out.update(bias=float(np.mean(delta)), std=float(np.std(delta, ddof=1)),
               velocity_insar=v_a, velocity_gnss=v_g, velocity_difference=v_a - v_g,
               abs_velocity_difference=abs(v_a - v_g), range_gnss=out["range_obs"])
    return out


#: Statistics averaged over stations for the time-series level of :func:`network_statistics`.
SERIES_KEYS = ("n", "bias", "rmse", "std", "md", "r2", "nrmse_range", "nrmse_mean", "nmd_range", "nmd_mean",
               "abs_velocity_difference")
#: The ValInSAR criteria applied to the network velocities (same limits as per station).
NETWORK_CRITERIA = ("nrmse_range", "r2")


def network_statistics(results, thresholds: Optional[dict] = None) -> dict:
    """The two ValInSAR levels over the compared stations (not the reference station, whose
    agreement is imposed, nor stations outside the data).

    Returns ``{"stations": names, "velocity": agreement(GNSS velocities, InSAR velocities)
    (mm/yr; needs 3 stations, else only ``n``), "series_mean": mean of the per-station
    statistics, "passed"/"failed": the network velocities against ``NETWORK_CRITERIA`` (None
    when fewer than 3 stations)}``.
    """
    used = [r for r in results if r.status == STATUS_OK and "velocity_gnss" in r.stats]
    vg = np.array([r.stats["velocity_gnss"] for r in used], float)
    vi = np.array([r.stats["velocity_insar"] for r in used], float)
    vel = agreement(vg, vi) if len(used) >= 3 else {"n": len(used)}
    mean = {}
    for k in SERIES_KEYS:
        vals = np.array([r.stats.get(k, np.nan) for r in used], float)
        vals = vals[np.isfinite(vals)]
        mean[k] = float(vals.mean()) if vals.size else np.nan
    out = {"stations": [r.name for r in used], "velocity": vel, "series_mean": mean, "passed": None, "failed": []}
    if len(used) >= 3:
        lim = {k: (thresholds or DEFAULT_THRESHOLDS).get(k) for k in NETWORK_CRITERIA}
        out["passed"], out["failed"] = check_thresholds(vel, lim)
    return out


def check_thresholds(stats: dict, thresholds: dict):
    """(passed, list of failed criteria); ``r2`` is a minimum, the others maxima."""
    failed = []
    for key, limit in thresholds.items():
        if limit is None:
            continue
        v = stats.get(key, np.nan)
        bad = not np.isfinite(v) or (v < limit if key == "r2" else v > limit)
        if bad:
            failed.append(key)
    return not failed, failed


def _interp(dates_src, values, dates_dst, max_gap_days, window_days=0.0):
    """Station values at the InSAR dates: mean of the samples within +-window/2 (dense GNSS), else
    linear interpolation (sparse levelling); NaN across gaps longer than ``max_gap_days``."""
    t = np.array([d.toordinal() for d in dates_src], float)
    v = np.asarray(values, float)
    ok = np.isfinite(v) & np.isfinite(t)
    out = np.full(len(dates_dst), np.nan)
    if ok.sum() < 2:
        return out
    t, v = t[ok], v[ok]
    order = np.argsort(t)
    t, v = t[order], v[order]
    tt = np.array([d.toordinal() for d in dates_dst], float)
    res = np.interp(tt, t, v, left=np.nan, right=np.nan)
    if window_days > 0:
        lo = np.searchsorted(t, tt - window_days / 2.0, side="left")
        hi = np.searchsorted(t, tt + window_days / 2.0, side="right")
        csum = np.concatenate([[0.0], np.cumsum(v)])
        cnt = hi - lo
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (csum[hi] - csum[lo]) / cnt
        res = np.where((cnt >= 2) & np.isfinite(res), mean, res)
    if max_gap_days is not None:
        k = np.clip(np.searchsorted(t, tt, side="right") - 1, 0, t.size - 2)
        gap = t[k + 1] - t[k]
        res[(gap > max_gap_days) & ~np.isin(tt, t)] = np.nan
    return res


def validate_insar(stations: Sequence[Station], x, y, los_e, los_n, los_u, series, dates, *, radius_m: float = 100.0,
                   reference: Optional[str] = "mean", max_gap_days: Optional[float] = 15.0,
                   window_days: float = 7.0,
                   thresholds: Optional[dict] = None):
    """Compare InSAR point time series with station series (see module notes).

    Parameters
    ----------
    stations : sequence of Station
        Station coordinates in the CRS of ``x``/``y`` (metres); ENU in mm (NaN = missing;
        ``east``/``north`` None for levelling).
    x, y : ndarray (n_points,)
        InSAR point coordinates, projected CRS in metres.
    los_e, los_n, los_u : ndarray (n_points,) or float
        Ground-to-satellite unit vector of each point.
    series : ndarray (n_dates, n_points)
        InSAR LOS displacement, mm, positive toward the satellite.
    dates : sequence of datetime.date
        InSAR dates, increasing.
    radius_m : float
        Colocation radius.
    reference : None, "mean" or a station name
        Common reference: none, the network mean of InSAR - GNSS, or one station.
    max_gap_days : float or None
        Longest station gap bridged by interpolation.
    window_days : float
        Station samples within +-window/2 of an InSAR date are averaged (daily GNSS: 7 days
        averages a week, reducing daily noise ~2.6x); 0 = plain linear interpolation.
    thresholds : dict, optional
        Pass/fail limits (default :data:`DEFAULT_THRESHOLDS`).

    Returns
    -------
    results : list of StationResult
    info : dict
        ``reference`` (text), ``reference_series`` (n_dates,) removed from InSAR,
        ``network`` (:func:`network_statistics`), ``warnings`` (list of str: e.g. a unit mismatch,
        :func:`unit_scale_note`).
    """
    thresholds = dict(DEFAULT_THRESHOLDS if thresholds is None else thresholds)
    if not radius_m > 0:
        raise GeohazardError(f"radius must be > 0 metres, got {radius_m!r}")
    if not stations:
        raise GeohazardError("no station was given")
    x, y = np.asarray(x, float), np.asarray(y, float)
    s = np.asarray(series, float)
    if s.ndim != 2 or s.shape != (len(dates), x.size):
        raise GeohazardError(f"InSAR series have shape {s.shape}, expected ({len(dates)} dates, {x.size} points)")
    if len(dates) < 3:
        raise GeohazardError(f"InSAR time series need at least 3 dates, got {len(dates)}")
    n_pts = x.size
    e, n, u = (np.broadcast_to(np.asarray(v, float), (n_pts,)) for v in (los_e, los_n, los_u))
    names = [st.name for st in stations]
    if len(set(names)) != len(names):
        raise GeohazardError("station names must be unique")
    if reference not in (None, "", "none", "mean") and reference not in names:
        raise GeohazardError(f"reference station {reference!r} is not among the stations ({', '.join(names[:10])})")
    results, ins, gns, own = [], {}, {}, {}
    for st in stations:
        dist = np.hypot(x - st.x, y - st.y)
        near = dist <= radius_m
        res = StationResult(st.name, STATUS_OUTSIDE, n_points=int(near.sum()))
        results.append(res)
        if not near.any():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # dates without any point: NaN, as wanted
            a = np.nanmean(s[:, near], axis=1)
        ve, vn, vu = e[near].mean(), n[near].mean(), u[near].mean()
        comp = []
        for c, vec in ((st.east, ve), (st.north, vn), (st.up, vu)):
            if c is not None:
                comp.append(vec * _interp(st.dates, c, dates, max_gap_days, window_days))
        if not comp:
            raise GeohazardError(f"station {st.name!r} has no east, north or up values")
        g = np.sum(comp, axis=0)  # a missing component makes the date NaN
        ok = np.isfinite(a) & np.isfinite(g)
        sd, sv, sparse = _sparse_station(st, (ve, vn, vu), a, dates)
        if ok.sum() < 3 and not sparse:
            res.status = STATUS_NO_OVERLAP
            continue
        ins[st.name], gns[st.name] = a, g
        own[st.name] = (sd, sv, sparse)
        res.status = STATUS_OK
    usable = list(ins)
    notes = []
    scale = unit_scale_note(ins, gns)
    if scale:
        notes.append(scale)
    ref_series = np.zeros(len(dates))
    ref_text = "none"
    # the reference motion is estimated at the InSAR dates: stations whose values reach them
    at_insar = [k for k in usable if int(np.isfinite(ins[k] - gns[k]).sum()) >= 3]
    gap_hint = (f"station samples further apart than the largest gap bridged ({max_gap_days} days) give no value "
                "at the InSAR dates: raise the gap, or validate without a reference")
    if reference == "mean" and usable:
        if not at_insar:
            raise GeohazardError(f"the network-mean reference needs station values at the InSAR dates and no "
                                 f"station has them ({gap_hint})")
        diffs = np.array([ins[k] - gns[k] - _first(ins[k] - gns[k]) for k in at_insar])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ref_series = np.nanmean(diffs, axis=0)
        ref_series = np.where(np.isfinite(ref_series), ref_series, np.nan)
        ref_text = f"network mean of InSAR - GNSS over {len(at_insar)} station(s)"
    elif reference not in (None, "", "none", "mean"):
        if reference not in ins:
            raise GeohazardError(f"reference station {reference!r} has no InSAR point within {radius_m:g} m or no "
                                 "common dates; choose another reference")
        if reference not in at_insar:
            raise GeohazardError(f"reference station {reference!r} has fewer than 3 values at the InSAR dates "
                                 f"({gap_hint})")
        d = ins[reference] - gns[reference]
        ref_series = d - _first(d)
        ref_text = f"station {reference}"
    for res in results:
        if res.name not in ins:
            continue
        a = ins[res.name] - ref_series
        g = gns[res.name]
        cmp_dates = list(dates)
        sd, sv, sparse = own[res.name]
        if sparse:  # ValInSAR: compare on the sparser series' dates, the denser one interpolated there
            cmp_dates, g = sd, sv
            a = _interp(dates, a, cmp_dates, None)  # the denser series: no gap limit, as ValInSAR
        ok = np.isfinite(a) & np.isfinite(g)
        if ok.sum() < 3:  # e.g. the reference motion is unknown over this station's dates
            res.status = STATUS_NO_OVERLAP
            continue
        a = np.where(ok, a - a[ok][0], np.nan)
        g = np.where(ok, g - g[ok][0], np.nan)
        res.insar, res.gnss, res.dates, res.n_dates = a, g, cmp_dates, int(ok.sum())
        res.stats = series_statistics(a, g, cmp_dates)
        if res.name == reference:
            res.status = STATUS_REFERENCE
            continue
        res.passed, res.failed = check_thresholds(res.stats, thresholds)
    return results, {"reference": ref_text, "reference_series": ref_series, "thresholds": thresholds,
                     "network": network_statistics(results, thresholds), "warnings": notes}


#: Ratio of the spreads of colocated InSAR and station series beyond which their units are taken to differ
#: (mm against m: 1000). Real pairs, noise included, stay within ~1/30..30 (a stable GNSS scatters by mm).
UNIT_RATIO = 100.0


def unit_scale_note(insar: dict, stations: dict) -> Optional[str]:
    """A warning when the colocated InSAR and station series differ in scale as mm and metres do.

    ``insar``, ``stations``: ``{name: series}`` on the InSAR dates (mm expected for both). The spread of a
    series is its 5-95 % range; the median of the InSAR / station ratios over stations is compared with
    :data:`UNIT_RATIO`. None when the scales agree or nothing can be compared.
    """
    ratios = []
    for k in insar:
        a, g = np.asarray(insar[k], float), np.asarray(stations[k], float)
        ok = np.isfinite(a) & np.isfinite(g)
        if ok.sum() < 3:
            continue
        sa, sg = (float(np.subtract(*np.percentile(v[ok], [95, 5]))) for v in (a, g))
        if sa > 0 and sg > 0:
            ratios.append(sa / sg)
    if not ratios:
        return None
    r = float(np.median(ratios))
    if r >= UNIT_RATIO:
        return (f"the station series (columns east, north, up) vary {r:.0f} times less than the InSAR series at "
                f"the same places (median over {len(ratios)} station(s)): stations in metres? Both must be in mm "
                "(multiply the station values by 1000)")
    if r <= 1.0 / UNIT_RATIO:
        return (f"the InSAR series vary {1 / r:.0f} times less than the station series at the same places (median "
                f"over {len(ratios)} station(s)): InSAR in metres? Both must be in mm")
    return None


def _sparse_station(st, vec, a, dates):
    """The station's own samples projected on the LOS ``vec`` inside the span of the InSAR series
    ``a`` (a sample lacking one of the given components is left out): (dates, values, sparse), with
    ``sparse`` True when there are at least 3 of them and fewer than the InSAR dates of the common
    period, so that the comparison is made at the station's dates (the ValInSAR rule)."""
    vals = np.zeros(len(st.dates))
    for c, v in zip((st.east, st.north, st.up), vec):
        if c is not None:
            vals = vals + v * np.asarray(c, float)
    ia = np.flatnonzero(np.isfinite(a))
    if ia.size < 2:
        return [], np.zeros(0), False
    t0, t1 = dates[ia[0]], dates[ia[-1]]
    keep = sorted((d, v) for d, v in zip(st.dates, vals) if t0 <= d <= t1 and np.isfinite(v))
    if len(keep) < 3:
        return [], np.zeros(0), False
    s0, s1 = keep[0][0], keep[-1][0]
    n_insar = sum(1 for k in ia if s0 <= dates[k] <= s1)
    return [d for d, _ in keep], np.array([v for _, v in keep]), len(keep) < n_insar


def _first(v):
    ok = np.isfinite(v)
    return v[ok][0] if ok.any() else np.nan


def read_station_csv(text: str, *, name: str = "stations CSV"):
    """Parse a long-format station CSV: ``station, date, east, north, up`` (mm; any may be empty).

    Column names are matched case-insensitively (``station``/``name``/``id``, ``date``/``time``,
    ``east``/``e``/``de``, ``north``/``n``/``dn``, ``up``/``u``/``du``/``vertical``); levelling
    needs only ``up``. Optional ``x``/``y`` columns give coordinates (else the station layer does).

    Returns
    -------
    dict name -> dict(dates, east, north, up, x, y)
    """
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise GeohazardError(f"{name}: needs a header and at least one row")
    head = [h.strip().lower() for h in rows[0]]
    aliases = {"station": ("station", "name", "id", "site"), "date": ("date", "time", "epoch"),
               "east": ("east", "e", "de", "dn_east"), "north": ("north", "n", "dn"),
               "up": ("up", "u", "du", "vertical", "height"), "x": ("x", "easting"), "y": ("y", "northing")}
    col = {}
    for key, names in aliases.items():
        for nm in names:
            if nm in head:
                col[key] = head.index(nm)
                break
    for need in ("station", "date"):
        if need not in col:
            raise GeohazardError(f"{name}: no {need!r} column in header {rows[0]}")
    if not any(k in col for k in ("east", "north", "up")):
        raise GeohazardError(f"{name}: no east/north/up column in header {rows[0]}")
    out: dict = {}
    for i, r in enumerate(rows[1:], start=2):
        if len(r) < len(head):
            raise GeohazardError(f"{name}: line {i} has {len(r)} values, the header has {len(head)}")
        st = r[col["station"]].strip()
        try:
            d = parse_date(r[col["date"]].strip())
        except GeohazardError as exc:
            raise GeohazardError(f"{name}: line {i}: {exc}") from None
        rec = out.setdefault(st, {"dates": [], "east": [], "north": [], "up": [], "x": [], "y": []})
        rec["dates"].append(d)
        for key in ("east", "north", "up", "x", "y"):
            if key in col:
                v = r[col[key]].strip()
                try:
                    rec[key].append(float(v) if v else np.nan)
                except ValueError:
                    raise GeohazardError(f"{name}: line {i}: column {rows[0][col[key]]!r} holds {v!r}, "
                                         "expected a number") from None
    for rec in out.values():
        order = np.argsort([d.toordinal() for d in rec["dates"]])
        rec["dates"] = [rec["dates"][k] for k in order]
        for key in ("east", "north", "up", "x", "y"):
            rec[key] = np.asarray(rec[key], float)[order] if key in col else None
    return out
