"""Offsets (steps) in displacement series: a scan of every date for a level shift about a line (or about any
columns), in the series whitened for its AR(1) noise (:mod:`.forecast_noise`), and the line fitted with the
offsets found.

A step at date ``k`` is the column ``h_k(t) = 1`` from date ``k`` on, 0 before. Whitened (``rho_i`` the correlation
between a date and the previous valid one), it is ``1/q_k`` at ``k`` and ``(1 - rho_i)/q_i`` after, ``q_i =
sqrt(1 - rho_i^2)``, so its products with every column and with the residuals are tail sums: every date of every
series is scored at once, the drop in the residual sum of squares a step brings, ``(h' P r)^2 / (h' P h)`` (``P``
the projector off the columns already fitted). The best step is kept where that drop exceeds
``STEP_PRICE ln n`` residual variances after it (its size *and* date are estimated: a change point costs more than
BIC's ``ln n`` for one parameter, Zhang & Siegmund 2007), at least ``MIN_SIDE`` valid dates on each side, then the
next one with the first among the columns, up to ``STEP_MAX``.

On the whitened series the price holds whatever the noise's correlation: on lines with AR(1) noise (phi 0 to 0.95,
60 to 200 dates, ``tests/core/test_hazard_forecast_steps.py``) a step is found in under 1 % of the series.

References
----------
Zhang N. R., Siegmund D. O. (2007), A modified Bayes information criterion with applications to the analysis of
comparative genomic hybridization data, Biometrics 63(1), 22-32, doi:10.1111/j.1541-0420.2006.00662.x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..conventions import DAYS_PER_YEAR
from ..ordered import sum_first_axis
from .forecast_noise import Gaps, normal_equations

#: At most this many offsets per series.
STEP_MAX = 4
#: An offset is kept where its drop in the residual sum of squares exceeds ``STEP_PRICE * ln n`` residual variances.
STEP_PRICE = 4.0
#: Valid dates needed on each side of an offset.
MIN_SIDE = 3


def _tail(a) -> np.ndarray:
    """``out[k] = a[k+1] + ... + a[n-1]`` along the first axis (0 for the last date), added from the last date
    backward."""
    c = np.cumsum(a[::-1], axis=0)[::-1]
    return np.concatenate([c[1:], np.zeros((1,) + a.shape[1:])], axis=0)


@dataclass
class Steps:
    """Offsets found per series: their number ``count`` ``(m,)`` and the index of the first date after each
    ``at`` ``(STEP_MAX, m)`` (ascending, -1 = none)."""

    count: np.ndarray
    at: np.ndarray

    def columns(self, n_dates: int) -> list:
        """The offsets' columns ``(n, m)``: 1 from the date of the offset on (0 where the series has fewer)."""
        idx = np.arange(n_dates)[:, None]
        return [np.where(self.at[s][None, :] >= 0, (idx >= self.at[s][None, :]).astype(np.float64), 0.0)
                for s in range(self.at.shape[0])]

    def dates(self, dates, j: int) -> list:
        """The dates of the offsets of series ``j`` (the first date after each)."""
        return [dates[int(k)] for k in self.at[:, j] if k >= 0]


def _solve_normal(cols, z):
    """``(residuals (n, m), N^-1 (m, p, p), RSS (m,))`` of the least squares of ``z`` on ``cols`` (series by
    series; a singular system gets a unit matrix)."""
    p, m = len(cols), z.shape[1]
    N, b = normal_equations(cols, z)
    diag = np.sqrt(np.diagonal(N, axis1=1, axis2=2))
    good = (diag > 1e-12).all(axis=1)
    diag = np.where(good[:, None], diag, 1.0)
    S = np.where(good[:, None, None], N / (diag[:, :, None] * diag[:, None, :]), np.eye(p))
    Ninv = np.linalg.inv(S + 1e-12 * np.eye(p)) / (diag[:, :, None] * diag[:, None, :])
    beta = np.zeros((m, p))
    for q in range(p):
        beta += Ninv[:, :, q] * b[:, q, None]
    r = z.copy()
    for q in range(p):
        r -= cols[q] * beta[None, :, q]
    return r, Ninv, sum_first_axis(r * r)


def step_scan(d, days, gaps: Gaps, phi, *, base=None, max_steps: int = STEP_MAX, price: float = STEP_PRICE,
              min_side: int = MIN_SIDE) -> Steps:
    """Offsets of the series ``d`` ``(n, m)`` (mm, NaN = gap) about the line (or about the columns ``base``, each
    ``(n, m)``), scanned in the series whitened for AR(1) noise of lag-one correlation ``phi`` ``(m,)``
    (:class:`Steps`).

    Parameters
    ----------
    days : array_like, shape (n,)
        Days since the first date.
    gaps : Gaps
        :func:`~.forecast_noise.gaps_of` of ``d``.
    phi : array_like, shape (m,)
        The noise's lag-one correlation at the median sampling interval, per series.
    """
    n, m = d.shape
    ok = gaps.ok
    rho = gaps.rho(np.asarray(phi, dtype=np.float64)[None, :])
    q = np.sqrt(1.0 - rho * rho)
    if base is None:
        t = np.asarray(days, dtype=np.float64)[:, None] / DAYS_PER_YEAR
        base = [np.ones((n, m)), np.broadcast_to(t, (n, m))]
    cols = [gaps.whiten(np.broadcast_to(c, (n, m)), rho) for c in base]
    z = gaps.whiten(d, rho)
    nv = sum_first_axis(ok.astype(np.float64))
    before = np.cumsum(ok, axis=0) - ok
    allowed = ok & (before >= min_side) & ((nv[None, :] - before) >= min_side)
    after = np.where(ok, (1.0 - rho) / q, 0.0)
    at_k = np.where(ok, 1.0 / q, 0.0)

    def dot_step(v, part):  # h_k . v for every k: v at k over q_k, then (1 - rho_i)/q_i v_i after
        return at_k[:, part] * v + _tail(after[:, part] * v)

    hh = at_k * at_k + _tail(after * after)
    idx = np.arange(n)[:, None]
    at = np.full((max_steps, m), -1, np.int64)
    count = np.zeros(m, np.int64)
    active = nv >= 2 * min_side + len(cols)
    price_n = price * np.log(np.maximum(nv, 2.0))
    for s in range(max_steps):
        part = np.flatnonzero(active)  # each series on its own: the scan of a subset gives the same bytes
        if not part.size:
            break
        sub = [c[:, part] for c in cols]
        r, Ninv, rss = _solve_normal(sub, z[:, part])
        a = dot_step(r, part)
        B = [dot_step(c, part) for c in sub]
        quad = np.zeros(r.shape)
        for i in range(len(sub)):
            for j in range(len(sub)):
                quad += B[i] * Ninv[None, :, i, j] * B[j]
        den = hh[:, part] - quad
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            gain = np.where(allowed[:, part] & (den > 1e-9 * hh[:, part]), a * a / np.where(den > 0, den, 1.0),
                            -1.0)
        k = np.argmax(gain, axis=0)
        g = np.take_along_axis(gain, k[None, :], axis=0)[0]
        dof = nv[part] - len(sub) - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            z_score = g / ((rss - g) / np.maximum(dof, 1.0))
        take = (g > 0) & (dof > 0) & (np.nan_to_num(z_score, nan=-np.inf) > price_n[part])
        if not take.any():
            break
        h = np.zeros((n, m))
        h[:, part] = np.where(take[None, :], (idx >= k[None, :]).astype(np.float64), 0.0)
        cols.append(gaps.whiten(h, rho))
        at[s, part] = np.where(take, k, -1)
        count[part] += take
        active[part] = take
    at = np.sort(np.where(at >= 0, at, n + 1), axis=0)
    return Steps(count, np.where(at <= n, at, -1))


__all__ = ["STEP_MAX", "STEP_PRICE", "MIN_SIDE", "Steps", "step_scan"]
