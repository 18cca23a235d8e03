"""Which part of a per-date correction may change the velocity: the trend guard.

A correction fitted date by date (a phase-elevation slope ``k(t)``, a ramp coefficient ``c(t)``) holds what it
was meant to remove - a tropospheric or orbital term that changes at random from one acquisition to the
next - and, when the fit also sees deformation (deformation that correlates with height, a subsidence bowl
whose flank looks like a ramp), a part that grows with time like the deformation. Only the trend of the
per-date coefficients changes the linear velocity; the rest only cleans the dates.

A random delay also has a trend by chance, and removing it is what makes the velocity better, so the trend is
not simply kept. Its size is compared with what chance allows: with ``b`` the least-squares trend of the
per-date coefficients and ``se`` its standard error from their scatter about the trend (or from another,
trusted scatter), ``t = b / se``. The removed part of the trend is ``b min(1, (z' / t)^2)``: all of it while
``|t| <= z'`` (a trend the random term explains), and beyond that only ``z'^2 se^2 / |b|`` - the empirical-Bayes
estimate of the random part of a trend whose variance is ``se^2``, never more than ``z' se`` - while the rest,
which tracks time, is kept as deformation. ``z'`` is the Student-t quantile with ``N - 2`` degrees of freedom
at the normal probability of ``z`` (``se`` is itself estimated from ``N`` dates): ``z = 2`` removes 95 % of
the purely random trends whole whatever the number of dates (``z' = 2.37`` with 10 dates, 2.09 with 30).

The same test tells the user when a fit tracks the pairs' time span: the correlation of the per-interferogram
coefficients with the temporal baselines (:func:`span_correlation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import GeohazardError

#: Default guard: a trend up to this many standard errors is treated as random and removed whole.
Z_DEFAULT = 2.0


@dataclass
class TrendSplit:
    """Per coefficient (column): the trend of the per-date values and how much of it is removed.

    Attributes
    ----------
    slope : ndarray (k,)
        Least-squares trend ``b`` of the per-date coefficients, coefficient unit per year.
    se : ndarray (k,)
        Its standard error (same unit).
    t : ndarray (k,)
        ``slope / se`` (0 where both are 0, inf where only ``se`` is 0).
    removed_share : ndarray (k,)
        Share of the trend that is removed, ``min(1, (z / t)^power)``.
    """

    slope: np.ndarray
    se: np.ndarray
    t: np.ndarray
    removed_share: np.ndarray

    @property
    def kept(self) -> np.ndarray:
        """The kept trend per year (``slope (1 - removed_share)``), per coefficient."""
        return self.slope * (1.0 - self.removed_share)


def _centred(years: np.ndarray) -> tuple[np.ndarray, float]:
    tt = np.asarray(years, np.float64) - np.mean(years)
    return tt, float(tt @ tt)


def trend_scatter_se(per_date: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Standard error ``(k,)`` of the trend of ``per_date`` ``(N, k)`` from its scatter about a straight line."""
    y = np.asarray(per_date, np.float64)
    if y.ndim == 1:
        y = y[:, None]
    n = y.shape[0]
    tt, stt = _centred(years)
    if n < 4 or stt <= 0:
        return np.full(y.shape[1], np.inf)
    b = tt @ (y - y.mean(axis=0)) / stt
    res = y - y.mean(axis=0) - tt[:, None] * b[None]
    return np.sqrt((res * res).sum(axis=0) / (n - 2) / stt)


def split_trend(per_date: np.ndarray, years: np.ndarray, *, z: float = Z_DEFAULT,
                se: Optional[np.ndarray] = None, power: float = 2.0) -> tuple[np.ndarray, TrendSplit]:
    """The removable part of per-date coefficients and the trend diagnostics.

    Parameters
    ----------
    per_date : ndarray (N,) or (N, k)
        Coefficients of the dates (any unit; the first date may be 0).
    years : ndarray (N,)
        Time of each date, years.
    z : float
        Guard: trends within ``z`` standard errors are removed whole (module notes). ``inf`` removes every
        trend (no guard); 0 keeps every trend (the velocity is left as it is).
    se : ndarray (k,), optional
        Standard error of the trend when another, trusted scatter gives it (e.g. the date-to-date scatter
        of ramps fitted on every coherent pixel); default: from the scatter of ``per_date`` itself.
    power : float
        Beyond ``z'`` the removed share is ``(z' / |t|)^power``: 2 (default) is the empirical-Bayes share of
        the module notes; a larger power keeps more of a trend far beyond chance (used when the fit already
        leaves the deforming areas out, so that only a trend far beyond chance is deformation).

    Returns
    -------
    removable : ndarray, shape of ``per_date``
        ``per_date - kept_slope * (years - years[0])``: the date-to-date part and the removed share of the trend.
    split : TrendSplit
    """
    y = np.asarray(per_date, np.float64)
    one = y.ndim == 1
    if one:
        y = y[:, None]
    years = np.asarray(years, np.float64)
    if y.shape[0] != years.shape[0]:
        raise GeohazardError(f"per_date has {y.shape[0]} dates, years has {years.shape[0]}")
    if not z >= 0:
        raise GeohazardError(f"z (trend guard) must be >= 0, got {z!r}")
    if not power > 0:
        raise GeohazardError(f"power must be > 0, got {power!r}")
    tt, stt = _centred(years)
    b = tt @ (y - y.mean(axis=0)) / stt if stt > 0 else np.zeros(y.shape[1])
    s = trend_scatter_se(y, years) if se is None else np.broadcast_to(np.asarray(se, np.float64), b.shape).copy()
    z = student_quantile(z, y.shape[0] - 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(s > 0, b / s, np.where(b == 0, 0.0, np.inf))
        share = np.where(np.abs(t) <= z, 1.0, (z / np.abs(t)) ** float(power))
    share = np.where(np.isfinite(share), share, 0.0)
    split = TrendSplit(b, s, t, share)
    removable = y - (years - years[0])[:, None] * split.kept[None]
    return (removable[:, 0] if one else removable), split


def student_quantile(z: float, dof: int) -> float:
    """The Student-t quantile with ``dof`` degrees of freedom at the standard normal probability of ``z`` (``z``
    itself when ``z`` is 0 or infinite, or ``dof < 1``)."""
    if not np.isfinite(z) or z == 0 or dof < 1:
        return float(z)
    # scipy.stats' t.ppf(norm.cdf(z), dof), from the functions it calls (the same values; importing scipy.stats
    # costs more than a small run's whole correction step)
    from scipy.special import ndtr, stdtrit

    p = float(ndtr(z))
    if p in (0.0, 1.0):
        return -np.inf if p == 0.0 else np.inf
    return float(stdtrit(dof, p))


def span_correlation(coef_ifg: np.ndarray, span_days: np.ndarray) -> float:
    """Correlation of per-interferogram coefficients (later minus earlier date) with their time spans (NaN
    when either does not vary)."""
    c = np.asarray(coef_ifg, np.float64)
    s = np.asarray(span_days, np.float64)
    ok = np.isfinite(c)
    if ok.sum() < 3 or np.std(c[ok]) == 0 or np.std(s[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(c[ok], s[ok])[0, 1])
