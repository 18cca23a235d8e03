"""Is a displacement series accelerating? A nested-model test sized to the series' own noise and length.

Two models are fitted by least squares to every series at once (gaps skipped per series):

* H0, steady:        ``d = a + v t  [+ A sin 2 pi t + B cos 2 pi t]``
* H1, accelerating:  H0 ``+ c max(t - t_w, 0)^2 / 2``

``t`` in years and ``c`` in mm/yr^2: the acceleration from the onset ``t_w`` on, beyond the earlier trend. A
few onsets are tried (the inverse-velocity forecast gives the first date, i.e. a quadratic over the whole
series, the start of its fit window and half-way between); the one with the largest statistic is kept and
its p-value multiplied by the number tried (Bonferroni). The annual terms enter both models when the series
spans at least ``seasonal_min_days`` (540: a cycle and a half, enough to tell a cycle from a trend).

The test is the F test of nested models that Berti et al. (2013) and Bovenga et al. (2021) use to tell
linear from quadratic InSAR displacement series, in its one-sided form: the t statistic of ``c`` along the
direction of motion, ``T = s c / se(c)``, ``T^2 = F``. The noise comes from the series itself:
``se(c)^2 = s2 (G^T G)^-1_cc`` with ``s2 = RSS1 / (n - p)`` (at least ``NOISE_FLOOR_MM^2``), inflated by
``(1 + rho) / (1 - rho)`` for the lag-1 autocorrelation ``rho >= 0`` of the H1 residuals (serially correlated
noise, or signal neither model holds, makes the plain F test too eager; Bretherton et al. 1999);
``p = P(t_{n-p} > T)``. The quadratic term is the first-order expansion of Voight's accelerating creep
about a steady velocity, ``v(t) = v0 + A v0^2 (t - t_w) + ...``, so it is the direction a test of "steady
against Voight" looks in first.

Two explanations that are not acceleration are fitted as well. An unwrapping error is a step, and a step
bends a quadratic too: the best single step (H0 ``+ s H(t - t_k)`` over every date, in closed form from
suffix sums) makes the series ``step_like`` when it has the lower BIC (its date counts as a parameter,
Kass & Raftery 1995). Over less than ``seasonal_min_days`` an annual cycle is not in the models; H0 plus an annual
cycle is compared with H1 by BIC (its two terms against the acceleration and its chosen onset):
``seasonal_dbic``.

References
----------
Berti M., Corsini A., Franceschini S., Iannacone J. P. (2013), Automated classification of Persistent
Scatterers Interferometry time series, Nat. Hazards Earth Syst. Sci. 13, 1945-1958,
doi:10.5194/nhess-13-1945-2013.
Bovenga F., Pasquariello G., Refice A. (2021), Statistically-based trend analysis of MTInSAR
displacement time series, Remote Sens. 13(12), 2302, doi:10.3390/rs13122302.
Bretherton C. S. et al. (1999), The effective number of spatial degrees of freedom of a time-varying
field, J. Climate 12, 1990-2009.
Kass R. E., Raftery A. E. (1995), Bayes factors, JASA 90(430), 773-795, doi:10.1080/01621459.1995.10476572.
Voight B. (1988), A method for prediction of volcanic eruptions, Nature 332, 125-130, doi:10.1038/332125a0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..conventions import DAYS_PER_YEAR
from ..ordered import columnwise_matmul, sum_first_axis

#: Spans (days) from which the annual terms enter both models.
SEASONAL_MIN_DAYS = 540.0
#: Smallest noise (mm) the test assumes: exact synthetic series would otherwise turn round-off into significance.
NOISE_FLOOR_MM = 1e-3


@dataclass
class AccelerationTest:
    """Per-series result (all arrays shape ``(m,)``).

    Attributes
    ----------
    acceleration_mm_yr2 : float
        ``c`` along the direction of motion (positive: speeding up), mm/yr^2, of the onset kept.
    se_mm_yr2 : float
        Its standard error (autocorrelation-inflated), mm/yr^2.
    t_stat, dof : float
        One-sided test statistic of ``c > 0`` and its degrees of freedom.
    p_value : float
        ``P(t_dof > t_stat)`` times the number of onsets tried (Bonferroni), at most 1; NaN where no fit.
    onset_day : float
        The onset ``t_w`` kept (days since the first date): the one with the largest statistic.
    noise_mm : float
        Residual standard deviation of H1, mm.
    rho : float
        Lag-1 autocorrelation of the H1 residuals used for the inflation (clipped to 0-0.9).
    velocity_mm_yr : float
        Velocity of H0 along the direction of motion, mm/yr.
    velocity_end_mm_yr, velocity_end_se_mm_yr : float
        Trend velocity of H1 at the last valid date along the direction of motion (annual terms left out), and
        its standard error, mm/yr.
    step_like : bool
        A single step (an unwrapping error) fits the series better than the acceleration.
    seasonal_dbic : float
        Series too short for the annual terms: BIC of H0 plus an annual cycle minus BIC of H1 (negative: the cycle
        fits better; below 2, "positive evidence" for the acceleration on Kass & Raftery's scale, the two are not
        told apart); NaN where the annual terms are fitted.
    seasonal : bool
        The annual terms were fitted.
    n_valid : int
        Valid dates.
    n_onsets : int
        Onsets tried (the Bonferroni factor).
    """

    acceleration_mm_yr2: np.ndarray
    se_mm_yr2: np.ndarray
    t_stat: np.ndarray
    dof: np.ndarray
    p_value: np.ndarray
    onset_day: np.ndarray
    noise_mm: np.ndarray
    rho: np.ndarray
    velocity_mm_yr: np.ndarray
    velocity_end_mm_yr: np.ndarray
    velocity_end_se_mm_yr: np.ndarray
    step_like: np.ndarray
    seasonal_dbic: np.ndarray
    seasonal: np.ndarray
    n_valid: np.ndarray
    n_onsets: np.ndarray
    #: internal, per onset: (hinge column (n, m), inverse normal matrix (m, p, p), variance scale (m,)) for
    #: expected_t
    _fits: list = None


P = 5  # columns: 1, t, annual sin, annual cos, hinge
HINGE = 4


class _Design:
    """What every fit of one call shares: the columns common to all series and their sums.

    ``C`` (n, 4) holds 1, t, sin 2 pi t, cos 2 pi t; the sums over each series' valid dates are taken column by
    column in date order (:func:`columnwise_matmul`, :func:`sum_first_axis`: a series' numbers do not depend on
    the other series). ``flag`` (m,) is 1 where the annual terms are fitted.
    """

    def __init__(self, d, mask, t_yr, flag):
        self.t_yr, self.mask, self.flag = t_yr, mask, flag
        self.w = mask.astype(np.float64)
        self.dz = np.where(mask, d, 0.0)
        w2 = 2.0 * np.pi * t_yr
        self.C = np.column_stack([np.ones_like(t_yr), t_yr, np.sin(w2), np.cos(w2)])
        self.n = sum_first_axis(self.w)
        pairs = np.stack([self.C[:, a] * self.C[:, b] for a in range(4) for b in range(4)])
        #: normal matrices (m, 4, 4) and right-hand sides (m, 4) with the annual terms for every series ...
        self.K_annual = columnwise_matmul(pairs, self.w).T.reshape(-1, 4, 4)
        self.R_annual = columnwise_matmul(self.C.T, self.dz).T
        #: ... and with them only where ``flag``
        self.K, self.R = self.flagged(self.K_annual, self.R_annual, flag)

    @staticmethod
    def flagged(K, R, flag):
        """The annual rows and columns zeroed where ``flag`` is 0, their diagonal set to 1 (a zero coefficient)."""
        K, R = K.copy(), R.copy()
        off = flag == 0
        K[off, 2:4, :] = 0.0
        K[off, :, 2:4] = 0.0
        K[off, 2, 2] = K[off, 3, 3] = 1.0
        R[off, 2:4] = 0.0
        return K, R

    def hinge(self, onset_yr):
        """``0.5 max(t - t_w, 0)^2`` on the valid dates, (n, m); zero where ``t_w`` is inf."""
        h = np.maximum(self.t_yr[:, None] - onset_yr[None, :], 0.0)
        return 0.5 * h * h * self.w

    def residuals(self, beta4, h=None, beta_h=None):
        """``d - G beta`` on the valid dates (zero elsewhere), (n, m)."""
        pred = columnwise_matmul(self.C, beta4.T)
        if h is not None:
            pred += h * beta_h[None, :]
        return (self.dz - pred) * self.w


def _inverse(N):
    """Inverses of a batch of symmetric positive (semi)definite matrices (m, p, p) and the smallest pivot of each,
    by Gauss-Jordan elimination on the unit-diagonal scaled matrices, vectorised over the batch (elementwise
    numpy: a matrix's result does not depend on the others). Matrices whose pivot falls below 1e-12 (rank
    deficient to round-off) get NaN."""
    m, p, _ = N.shape
    scale = np.sqrt(np.maximum(np.diagonal(N, axis1=1, axis2=2), 1e-300))
    a = N / (scale[:, :, None] * scale[:, None, :])
    inv = np.broadcast_to(np.eye(p), (m, p, p)).copy()
    min_pivot = np.full(m, np.inf)
    for k in range(p):
        pivot = a[:, k, k].copy()
        min_pivot = np.minimum(min_pivot, pivot)
        pivot = np.where(pivot > 1e-12, pivot, 1.0)
        a[:, k, :] /= pivot[:, None]
        inv[:, k, :] /= pivot[:, None]
        for r in range(p):
            if r != k:
                f = a[:, r, k].copy()
                a[:, r, :] -= f[:, None] * a[:, k, :]
                inv[:, r, :] -= f[:, None] * inv[:, k, :]
    ok = min_pivot > 1e-12
    inv = inv / (scale[:, :, None] * scale[:, None, :])
    inv[~ok] = np.nan
    return inv, min_pivot


def _matvec(a, x):
    """``a @ x`` for batches (m, p, q) and (m, q), elementwise."""
    return (a * x[:, None, :]).sum(2)


def _lag1(r, mask):
    """Sum of products of residuals at consecutive valid dates, per series."""
    lag = np.zeros(r.shape[1])
    prev = np.zeros(r.shape[1])
    has_prev = np.zeros(r.shape[1], bool)
    for i in range(r.shape[0]):
        lag += np.where(mask[i] & has_prev, r[i] * prev, 0.0)
        prev = np.where(mask[i], r[i], prev)
        has_prev |= mask[i]
    return lag


def _fit(design, onset_yr, autocorrelation):
    """H1 with the hinge at ``onset_yr`` (m,), for every series: a dict of per-series arrays."""
    has_onset = np.isfinite(onset_yr)
    tw = np.where(has_onset, onset_yr, np.inf)
    h = design.hinge(tw)
    m = h.shape[1]
    N = np.zeros((m, P, P))
    N[:, :4, :4] = design.K
    cross = columnwise_matmul(design.C.T, h).T
    cross[design.flag == 0, 2:4] = 0.0
    N[:, :4, HINGE] = N[:, HINGE, :4] = cross
    N[:, HINGE, HINGE] = sum_first_axis(h * h) + ~has_onset
    rhs = np.zeros((m, P))
    rhs[:, :4] = design.R
    rhs[:, HINGE] = sum_first_axis(h * design.dz)
    p_used = 3 + 2 * (design.flag != 0)
    ninv, _ = _inverse(N)
    ok = (design.n >= p_used + 2) & has_onset & np.isfinite(ninv[:, 0, 0])
    ninv[~ok] = np.nan
    beta = _matvec(np.where(ok[:, None, None], ninv, 0.0), rhs)
    r = design.residuals(beta[:, :4], h, beta[:, HINGE])
    rss = sum_first_axis(r * r)
    lag = _lag1(r, design.mask)
    dof = design.n - p_used
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.maximum(rss / dof, NOISE_FLOOR_MM ** 2)
        rho = np.clip(np.where(rss > 0, lag / rss, 0.0), 0.0, 0.9) if autocorrelation else np.zeros(m)
        var_scale = s2 * (1.0 + rho) / (1.0 - rho)
        t_hinge = beta[:, HINGE] / np.sqrt(var_scale * ninv[:, HINGE, HINGE])
    return {"ok": ok, "beta": beta, "ninv": ninv, "rss": rss, "dof": dof, "s2": s2, "rho": rho,
            "var_scale": var_scale, "onset": tw, "n": design.n, "t": np.where(ok, t_hinge, np.nan), "h": h}


def acceleration_test(displacement_mm, days, sign, onset_days, *, seasonal_min_days: float = SEASONAL_MIN_DAYS,
                      autocorrelation: bool = True, steps: bool = True, step_penalty: float = 1.0) -> AccelerationTest:
    """One-sided nested-model test of an acceleration from one of a few onsets, for every series.

    Parameters
    ----------
    displacement_mm : ndarray, shape (n_dates, m)
        Displacement, NaN for gaps.
    days : ndarray, shape (n_dates,)
        Acquisition times in days (increasing).
    sign : ndarray, shape (m,)
        Direction of motion, +1 or -1: the acceleration counts along it.
    onset_days : ndarray, shape (k, m)
        Candidate onsets ``t_w`` in days (NaN: not tried for that series). The onset with the largest
        statistic is kept and its p-value multiplied by the number of onsets tried (Bonferroni).
    seasonal_min_days : float
        Series spanning at least this many days get the annual terms in both models.
    autocorrelation : bool
        Inflate the variance for positive lag-1 autocorrelation of the residuals.
    steps : bool
        Compare with the best single step (``step_like``).
    step_penalty : float
        BIC parameters the step's date counts for (1: the date is one more parameter).

    Returns
    -------
    AccelerationTest
    """
    from scipy import stats  # imported here: loading the provider must not import scipy.stats

    d = np.asarray(displacement_mm, dtype=np.float64)
    n_dates, m = d.shape
    days = np.asarray(days, dtype=np.float64)
    t_yr = (days - days[0]) / DAYS_PER_YEAR
    mask = np.isfinite(d)
    first = np.where(mask.any(0), t_yr[np.argmax(mask, axis=0)], np.nan)
    last = np.where(mask.any(0), t_yr[n_dates - 1 - np.argmax(mask[::-1], axis=0)], np.nan)
    seasonal = ((last - first) * DAYS_PER_YEAR >= seasonal_min_days).astype(np.float64)
    onsets = (np.atleast_2d(np.asarray(onset_days, dtype=np.float64)) - days[0]) / DAYS_PER_YEAR
    design = _Design(d, mask, t_yr, seasonal)
    fit_ok = design.n >= 6
    N0inv, beta0 = _steady(design.K, design.R, fit_ok)
    r0 = design.residuals(beta0)
    step_red = _best_step_reduction(design, r0, N0inv) if steps else np.zeros(m)
    best_t = np.full(m, -np.inf)
    best = np.zeros(m, np.int64)
    tried = np.zeros(m, np.int64)
    fits = []
    for onset in onsets:
        f = _fit(design, onset, autocorrelation)
        t = np.where(f["ok"], f["t"] * sign, -np.inf)
        fits.append(f)
        better = t > best_t
        best[better] = len(fits) - 1
        best_t[better] = t[better]
        tried += f["ok"]
    ok = tried > 0
    col = np.arange(m)

    def pick(key):
        return np.stack([f[key] for f in fits])[best, col]

    beta_c = np.stack([f["beta"][:, HINGE] for f in fits])[best, col]
    ninv_cc = np.stack([f["ninv"][:, HINGE, HINGE] for f in fits])[best, col]
    dof = pick("dof")
    df = np.maximum(np.nan_to_num(dof, nan=1.0), 1.0)
    with np.errstate(invalid="ignore"):
        p_value = np.where(ok, np.minimum(stats.t.sf(np.where(ok, best_t, 0.0), df) * np.maximum(tried, 1), 1.0),
                           np.nan)
    # the step fits better than the acceleration (BIC: the step's date counts as a parameter)
    n = mask.sum(0)
    floor = n * NOISE_FLOOR_MM ** 2  # misfits below the noise floor compare as equal, not by their round-off
    rss1 = np.maximum(pick("rss"), floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        rss_step = np.maximum(pick("rss") + beta_c ** 2 / ninv_cc - step_red, floor)
        step_like = ok & steps & (n * np.log(rss_step / rss1) + step_penalty * np.log(n) < 0)
    # below seasonal_min_days the annual terms are not in the models: how much better the acceleration fits than an
    # annual cycle, by BIC (the cycle's two terms against the acceleration and its onset, picked among a few as the
    # step's date is: the same count, so the BIC difference is n ln(RSS_cycle / RSS_acceleration))
    seasonal_dbic = np.full(m, np.nan)
    short = ok & (seasonal == 0)
    if short.any():
        _, beta_s = _steady(design.K_annual, design.R_annual, short)
        r_s = design.residuals(beta_s)
        with np.errstate(divide="ignore", invalid="ignore"):
            seasonal_dbic = np.where(short, n * np.log(np.maximum(sum_first_axis(r_s * r_s), floor) / rss1), np.nan)
    bad = ~ok
    se = np.sqrt(pick("var_scale") * ninv_cc)
    # the trend velocity at the last valid date, d/dt (a + v t + c max(t - t_w, 0)^2 / 2), and its standard error
    lag = np.maximum(last - pick("onset"), 0.0)
    ninv = np.stack([f["ninv"] for f in fits])[best, col]
    beta_v = np.stack([f["beta"][:, 1] for f in fits])[best, col]
    var_end = pick("var_scale") * (ninv[:, 1, 1] + 2.0 * lag * ninv[:, 1, HINGE] + lag * lag * ninv_cc)
    return AccelerationTest(
        acceleration_mm_yr2=np.where(bad, np.nan, beta_c * sign), se_mm_yr2=np.where(bad, np.nan, se),
        t_stat=np.where(bad, np.nan, best_t), dof=np.where(bad, np.nan, dof), p_value=p_value,
        onset_day=np.where(bad, np.nan, days[0] + pick("onset") * DAYS_PER_YEAR),
        noise_mm=np.where(bad, np.nan, np.sqrt(pick("s2"))), rho=np.where(bad, np.nan, pick("rho")),
        velocity_mm_yr=np.where(fit_ok, beta0[:, 1] * sign, np.nan),
        velocity_end_mm_yr=np.where(bad, np.nan, (beta_v + beta_c * lag) * sign),
        velocity_end_se_mm_yr=np.where(bad, np.nan, np.sqrt(var_end)), step_like=step_like,
        seasonal_dbic=seasonal_dbic, seasonal=seasonal.astype(bool), n_valid=mask.sum(0).astype(np.int64),
        n_onsets=tried,
        _fits=[(f["h"], f["ninv"], f["var_scale"]) for f in fits])


def _steady(K, R, ok):
    """H0 (1, t, annual terms) from its normal matrices ``K`` (m, 4, 4) and right-hand sides ``R`` (m, 4): the
    inverse normal matrices and the parameters (NaN where not ``ok``)."""
    Kinv, _ = _inverse(np.where(ok[:, None, None], K, np.eye(4)))
    Kinv[~ok] = np.nan
    return Kinv, _matvec(np.nan_to_num(Kinv), R)


def _best_step_reduction(design, r0, N0inv):
    """The largest drop of the H0 misfit a single step ``s H(t - t_k)`` gives, over every date ``t_k``.

    With ``r0`` the H0 residuals, ``b_k = G0^T H_k`` and ``n_k`` the valid dates from ``t_k`` on, the step
    lowers RSS by ``(sum_{i>=k} r0_i)^2 / (n_k - b_k^T N0^-1 b_k)``. A step needs two valid dates before it and
    one after: a jump of the last date alone is as likely an unwrapping error as a final acceleration, and the
    next acquisition tells them apart.
    """
    n_dates, m = r0.shape
    w = design.w
    flag = design.flag != 0
    N0inv = np.nan_to_num(N0inv)
    suffix_r = np.zeros(m)
    suffix_g = np.zeros((m, 4))
    suffix_n = np.zeros(m)
    best = np.zeros(m)
    for k in range(n_dates - 1, 0, -1):
        suffix_r += r0[k]
        suffix_g += design.C[k][None, :] * w[k][:, None]
        suffix_n += w[k]
        g = suffix_g.copy()
        g[~flag, 2:4] = 0.0
        denom = suffix_n - (g * _matvec(N0inv, g)).sum(1)
        usable = (suffix_n >= 1) & (design.n - suffix_n >= 2) & (denom > 1e-9 * np.maximum(suffix_n, 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            red = np.where(usable, suffix_r * suffix_r / denom, 0.0)
        best = np.maximum(best, red)
    return best


def expected_t(result: AccelerationTest, template_mm, mask, days, sign) -> np.ndarray:
    """The largest t statistic, over the onsets tried, a noise-free ``template_mm`` (n_dates, m) would give.

    The same designs and the same noise as the test: ``c_template / se(c)``. A series whose expected t stays
    below the threshold would miss such an acceleration at least half of the time.
    """
    days = np.asarray(days, dtype=np.float64)
    t_yr = (days - days[0]) / DAYS_PER_YEAR
    design = _Design(np.asarray(template_mm, dtype=np.float64), np.asarray(mask, bool), t_yr,
                     result.seasonal.astype(np.float64))
    best = np.full(template_mm.shape[1], -np.inf)
    for h, ninv, var_scale in result._fits:
        rhs = np.concatenate([design.R, sum_first_axis(h * design.dz)[:, None]], axis=1)
        c = (ninv[:, HINGE, :] * rhs).sum(1) * sign
        with np.errstate(divide="ignore", invalid="ignore"):
            t = c / np.sqrt(var_scale * ninv[:, HINGE, HINGE])
        best = np.fmax(best, np.where(np.isfinite(t), t, -np.inf))
    return best
