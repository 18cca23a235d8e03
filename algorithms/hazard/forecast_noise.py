"""Correlated noise of displacement series, as the forecast's model choice reads it: an AR(1) process in continuous
time, its whitening, and the generalised least squares of given columns under it.

Noise model: the residual ``e(t)`` of a series about its model is a stationary Gauss-Markov (Ornstein-Uhlenbeck)
process, correlation ``rho = phi^(dt / dt0)`` between two valid dates ``dt`` days apart, ``dt0`` the median sampling
interval (``phi`` the lag-one correlation at the usual interval), marginal variance ``s^2``. For irregular sampling
and gaps this is exact (Brockwell & Davis 2016, section 11.5): with ``e_0`` the first valid value and ``e_i`` the
value after the previous valid one ``e_{i-1}``,

    w_0 = e_0,    w_i = (e_i - rho_i e_{i-1}) / sqrt(1 - rho_i^2)

are independent with variance ``s^2``. A model with columns ``X`` (the design, or its Jacobian at the optimum for a
model with a time constant) is then fitted by ordinary least squares on the whitened series and columns
(generalised least squares), and

    ln L(phi)    = -n/2 ln(RSS/n) - 1/2 sum ln(1 - rho_i^2)                                  (maximum likelihood)
    ln L_R(phi)  = -(n-p)/2 ln(RSS/(n-p)) - 1/2 sum ln(1 - rho_i^2) - 1/2 ln det(X_w' X_w)    (restricted)

up to constants shared by every model of the series. ``phi`` is taken where the restricted likelihood is largest
on :data:`PHI_GRID` (restricted maximum likelihood removes most of the downward bias that fitting the model's own
parameters puts on a correlation estimated from its residuals; Cheang & Reinsel 2000), and the model is scored by
its maximum likelihood at that ``phi``.

Every sum runs over the dates in order, series by series: a series' numbers depend on that series alone.

References
----------
Brockwell P. J., Davis R. A. (2016), Introduction to Time Series and Forecasting, 3rd ed., Springer,
doi:10.1007/978-3-319-29854-2.
Cheang W.-K., Reinsel G. C. (2000), Bias reduction of autoregressive estimates in time series regression model
through restricted maximum likelihood, J. Am. Stat. Assoc. 95(452), 1173-1184, doi:10.1080/01621459.2000.10474318.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ordered import sum_first_axis

#: Values of ``phi`` (lag-one correlation at the median sampling interval) among which the restricted likelihood
#: chooses: finer where the likelihood bends most (toward 1), up to 0.98 (a random walk's correlation at the usual
#: interval is about 1).
PHI_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.96, 0.98)


@dataclass
class Gaps:
    """Where each series is valid and the index of its previous valid date: ``ok`` ``(n, m)``, ``prev`` ``(n, m)``
    (0 where none), ``has_prev`` ``(n, m)``, ``lag`` ``(n, m)`` the distance to it in median sampling intervals;
    ``regular`` where every series is valid on every date or on none (the previous value is then the previous
    date's)."""

    ok: np.ndarray
    prev: np.ndarray
    has_prev: np.ndarray
    lag: np.ndarray
    regular: bool = False

    def __post_init__(self):
        m = self.ok.shape[1]
        self._flat_prev = (self.prev * m + np.arange(m)[None, :]).reshape(-1)

    def rho(self, phi) -> np.ndarray:
        """``rho_i = phi^lag_i`` ``(n, m)`` for ``phi`` a scalar or one per series (0 at the first valid date and
        where the series has no value)."""
        with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
            r = np.power(np.asarray(phi, dtype=np.float64), self.lag)
        return np.where(self.has_prev & self.ok, r, 0.0)

    def factors(self, phi):
        """``(rho, 1/sqrt(1 - rho^2) (0 where no value), sum ln(1 - rho^2) (m,))`` of ``phi``."""
        rho = self.rho(phi)
        one = 1.0 - rho * rho
        return rho, np.where(self.ok, 1.0 / np.sqrt(one), 0.0), sum_first_axis(np.where(self.ok, np.log(one), 0.0))

    def whiten(self, a, rho, inv_q=None) -> np.ndarray:
        """The whitened values ``(a_i - rho_i a_prev) / sqrt(1 - rho_i^2)`` of ``a`` ``(n, m)`` or ``(n,)`` (0 where
        no value)."""
        a = np.asarray(a, dtype=np.float64)
        if a.ndim == 1:
            a = a[:, None]
        if inv_q is None:
            inv_q = np.where(self.ok, 1.0 / np.sqrt(1.0 - rho * rho), 0.0)
        a = np.where(self.ok, a, 0.0)
        if self.regular:
            before = np.concatenate([np.zeros((1, a.shape[1])), a[:-1]], axis=0)
        else:
            before = a.reshape(-1)[self._flat_prev].reshape(a.shape)
        return (a - rho * before) * inv_q

    def subset(self, sel) -> "Gaps":
        """The gaps of the series ``sel`` (a boolean mask or indices)."""
        return Gaps(self.ok[:, sel], self.prev[:, sel], self.has_prev[:, sel], self.lag[:, sel], self.regular)


def gaps_of(d, days) -> Gaps:
    """The :class:`Gaps` of the series ``d`` ``(n, m)`` (NaN = gap) sampled on ``days`` ``(n,)``."""
    ok = np.isfinite(d)
    n, m = ok.shape
    days = np.asarray(days, dtype=np.float64)
    step = float(np.median(np.diff(days))) if days.size > 1 else 1.0
    step = step if step > 0 else 1.0
    prev = np.zeros((n, m), np.int64)
    has = np.zeros((n, m), bool)
    last = np.full(m, -1, np.int64)
    for i in range(n):  # date order
        has[i] = last >= 0
        prev[i] = np.maximum(last, 0)
        last = np.where(ok[i], i, last)
    lag = np.where(has, (days[:, None] - days[prev]) / step, 0.0)
    regular = bool(np.all(ok.all(axis=0) | ~ok.any(axis=0)))
    return Gaps(ok, prev, has, lag, regular)


def normal_equations(cols, z):
    """Normal matrices ``(m, p, p)`` and right-hand sides ``(m, p)`` of the least squares of the series ``z``
    ``(n, m)`` on the columns ``cols`` (each ``(n, m)``), series by series, summed over the dates in order (the same
    bits for any set of series beside them)."""
    p, m = len(cols), z.shape[1]
    N = np.empty((m, p, p))
    b = np.empty((m, p))
    for a in range(p):
        b[:, a] = sum_first_axis(cols[a] * z)
        for c in range(a, p):
            N[:, a, c] = N[:, c, a] = sum_first_axis(cols[a] * cols[c])
    return N, b


def _solve(N, b, zz):
    """``(beta (m, p), RSS (m,), ln det N (m,), good (m,))`` of the normal equations, each series on its own
    (scaled to a unit diagonal, singular where the scaled determinant is below 1e-12)."""
    m, p = b.shape
    diag = np.sqrt(np.maximum(np.diagonal(N, axis1=1, axis2=2), 1e-300))
    S = N / (diag[:, :, None] * diag[:, None, :])
    good = np.isfinite(S).all(axis=(1, 2)) & (diag > 1e-150).all(axis=1)
    S = np.where(good[:, None, None], S, np.eye(p))
    sign, logdet_s = np.linalg.slogdet(S)
    good &= (sign > 0) & (logdet_s > np.log(1e-12))
    S = np.where(good[:, None, None], S, np.eye(p))
    x = np.linalg.solve(S, (b / diag)[:, :, None])[:, :, 0] / diag
    rss = zz - sum_first_axis((x * b).T)
    logdet = logdet_s + 2.0 * sum_first_axis(np.log(diag).T)
    return np.where(good[:, None], x, np.nan), np.where(good, np.maximum(rss, 0.0), np.nan), logdet, good


def columns_of(jacobian) -> list:
    """The columns ``(n, m)`` of a Jacobian ``(n, m, p)`` (or a design ``(n, p)`` shared by the series)."""
    j = np.asarray(jacobian, dtype=np.float64)
    return [np.ascontiguousarray(j[..., q]) for q in range(j.shape[-1])]


@dataclass
class NoiseFit:
    """A model's columns under AR(1) noise, per series ``(m,)``: ``phi`` (restricted maximum likelihood on
    :data:`PHI_GRID`), the log-likelihood at it (maximum likelihood, constants shared by every model dropped), the
    valid dates ``n`` and ``ok`` where the fit was possible."""

    phi: np.ndarray
    loglik: np.ndarray
    n: np.ndarray
    ok: np.ndarray

    def inflation(self) -> np.ndarray:
        """``(1 + phi) / (1 - phi)``: how many white-noise dates one correlated date is worth, inverted (the
        variance of a mean of AR(1) values over that of white values, for long series)."""
        return (1.0 + self.phi) / (1.0 - self.phi)


def ar1_fits(models_cols, d, gaps: Gaps, *, grid=PHI_GRID) -> list:
    """:func:`ar1_fit` of several models of the same series at once (``models_cols``: one list of columns per
    model): each ``phi``'s correlations are computed once, and a column given as the same array to several models
    (the constant, the time) whitened once."""
    n_dates, m = d.shape
    nv = sum_first_axis(gaps.ok.astype(np.float64))
    y = np.where(gaps.ok, d, 0.0)
    state = [dict(best=np.full(m, -np.inf), phi=np.zeros(m), ll=np.full(m, np.nan), seen=np.zeros(m, bool))
             for _ in models_cols]
    for value in grid:  # grid order; ties keep the smaller phi
        rho, inv_q, log_q = gaps.factors(value)
        white = {}  # id of a column -> its whitened values at this phi
        for cols in models_cols:
            for c in cols:
                if id(c) not in white:
                    c2 = np.asarray(c, dtype=np.float64)
                    c2 = np.nan_to_num(c2[:, None] if c2.ndim == 1 else c2)
                    white[id(c)] = gaps.whiten(np.broadcast_to(c2, (n_dates, m)), rho, inv_q)
        z = gaps.whiten(y, rho, inv_q)
        zz = sum_first_axis(z * z)
        for cols, st in zip(models_cols, state):
            p = len(cols)
            N, b = normal_equations([white[id(c)] for c in cols], z)
            _, rss, logdet, good = _solve(N, b, zz)
            dof = nv - p
            with np.errstate(divide="ignore", invalid="ignore"):
                good &= (dof > 0) & (rss > 0)
                reml = -0.5 * dof * np.log(rss / np.maximum(dof, 1.0)) - 0.5 * log_q - 0.5 * logdet
                ml = -0.5 * nv * np.log(rss / np.maximum(nv, 1.0)) - 0.5 * log_q
            take = good & (reml > st["best"])
            st["best"] = np.where(take, reml, st["best"])
            st["phi"] = np.where(take, value, st["phi"])
            st["ll"] = np.where(take, ml, st["ll"])
            st["seen"] |= good
    return [NoiseFit(st["phi"], np.where(st["seen"], st["ll"], np.nan), nv, st["seen"]) for st in state]


def ar1_fit(cols, d, gaps: Gaps, *, grid=PHI_GRID) -> NoiseFit:
    """``phi`` of the series ``d`` ``(n, m)`` about the columns ``cols`` (each ``(n, m)``, or ``(n,)`` shared by the
    series) by restricted maximum likelihood on ``grid``, and the maximum log-likelihood at it (:class:`NoiseFit`)."""
    return ar1_fits([cols], d, gaps, grid=grid)[0]


__all__ = ["PHI_GRID", "Gaps", "gaps_of", "columns_of", "NoiseFit", "ar1_fit", "ar1_fits"]
