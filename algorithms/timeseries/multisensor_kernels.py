"""Numerical kernels of the multi-sensor east/up time-series solver (numba, batches of pixels).

The model and its notation are in :mod:`algorithms.timeseries.multisensor`. Per pixel the
unknowns are ordered ``[H_0, U_0, H_1, U_1, ..., H_{K-1}, U_{K-1} | border]`` on the K knots
(``H`` east, or the horizontal component along the slope's aspect); the border holds the
deterministic terms of each component (annual sine and cosine, acceleration), the north velocity
(when estimated), one offset per stack and the network drift modes of the interferogram stacks.
An output date between knots ``k`` and ``k + 1`` is ``(1 - w) X_k + w X_{k+1}`` plus its
deterministic terms. The normal matrix is an *arrow* matrix: a banded core (half-bandwidth
:data:`P` = 4, two components times two neighbouring knots of the second-difference prior) and
dense border rows. It is factored as ``[[Lc, 0], [W, Ls]]`` with ``Lc`` the banded Cholesky factor
of the core, ``W = R Lc^-T`` and ``Ls`` the Cholesky factor of the border's Schur complement.

Marginal variances use the banded selected inverse of the core (Takahashi, Fagan & Chen
1973; the recursion of Rue & Martino 2007, doi:10.1016/j.jspi.2006.07.016, for band
matrices) and the identity, for ``Z = Qcc^-1 R^T`` and ``S`` the Schur complement,

    var(e_i^T x + phi_i^T s) = (Qcc^-1)_ii + (z_i - phi_i)^T S^-1 (z_i - phi_i).

Every kernel works on a batch of pixels held in the last (contiguous) axis: each step is a
loop over the batch, which LLVM vectorises, and a pixel's arithmetic is the same whatever
the batch it falls in (same bytes for any block layout). No fused multiply-add is asked for.
"""

from __future__ import annotations

import math

import numpy as np

from .._numba import njit, prange

#: Half-bandwidth of the banded core (two components x two neighbouring dates).
P = 4
#: Pixels solved together in one batch (the last axis of every work array).
BATCH = 128
#: Knot rows per tile of the border solve (their rows of every border fit in a core's L2 cache).
ROW_TILE = 8
#: Relative pivot below which a pixel's normal matrix is declared singular.
PIVOT_RTOL = 1e-11

STATUS_OK = 0
STATUS_NO_DATA = 1
STATUS_GEOMETRY = 2
STATUS_SINGULAR = 3


# --------------------------------------------------------------------------- hyperparameters
@njit(cache=True)
def _series_statistics_pixel(p, t_years, basis, pinv, kl_cols, g_irw, h_noise, d_net, d_lag1, y, min_count,
                             sigma_net, sigma, q, coef_out):
    """:func:`series_statistics` for pixel ``p`` (any pattern of missing dates)."""
    n_t = y.shape[0]
    nc = basis.shape[1]
    sigma[p] = np.nan
    q[p] = np.nan
    for j in range(coef_out.shape[0]):
        coef_out[j, p] = np.nan
    n = 0
    for i in range(n_t):
        if y[i, p] == y[i, p]:
            n += 1
    if n < max(min_count, nc + 3):
        return
    if n == n_t:
        coef = np.zeros(nc)
        for j in range(nc):
            acc = 0.0
            for i in range(n_t):
                acc += pinv[j, i] * y[i, p]
            coef[j] = acc
    else:
        a = np.zeros((nc, nc))
        b = np.zeros(nc)
        for i in range(n_t):
            v = y[i, p]
            if v != v:
                continue
            for j in range(nc):
                bj = basis[i, j]
                b[j] += bj * v
                for k in range(j + 1):
                    a[j, k] += bj * basis[i, k]
        for j in range(nc):
            for k in range(j + 1, nc):
                a[j, k] = a[k, j]
            a[j, j] += 1e-10 * (a[j, j] + 1.0)
        coef = np.linalg.solve(a, b)
    tt = np.empty(n)
    rr = np.empty(n)
    c = 0
    for i in range(n_t):
        v = y[i, p]
        if v != v:
            continue
        f = 0.0
        for j in range(nc):
            f += basis[i, j] * coef[j]
        tt[c] = t_years[i]
        rr[c] = v - f
        c += 1
    z = np.empty(n)
    ks = 0.0
    for i in range(1, n - 1):
        h1 = tt[i] - tt[i - 1]
        h2 = tt[i + 1] - tt[i]
        s = h1 + h2
        z[i - 1] = rr[i] - (h2 * rr[i - 1] + h1 * rr[i + 1]) / s
        ks += 1.0 + (h1 * h1 + h2 * h2) / (s * s)
    for i in range(n - 2):
        z[i] = abs(z[i])
    mad = 1.482602218505602 * np.median(z[:n - 2])
    sn2 = sigma_net[p] * sigma_net[p]
    s2 = max(mad * mad - sn2 * d_lag1, 0.0) / (ks / (n - 2))
    num = 0.0
    den = 0.0
    for j in range(kl_cols.size):
        ck = coef[kl_cols[j]]
        num += ck * ck - s2 * h_noise[j] - sn2 * d_net[j]
        den += g_irw[j]
        if j < coef_out.shape[0]:
            coef_out[j, p] = ck
    sigma[p] = math.sqrt(s2)
    q[p] = num / den if den > 0 else 0.0


@njit(cache=True)
def _v_and_finite(ok, a):
    for q in range(ok.size):
        ok[q] = ok[q] and a[q] == a[q]


@njit(cache=True)
def _v_residual_of(r, a, f):
    """``r = a - f``."""
    for q in range(r.size):
        r[q] = a[q] - f[q]


@njit(cache=True)
def _v_lag1(z, r0, r1, r2, h1, h2, s):
    """``z = |r1 - (h2 r0 + h1 r2) / s|``."""
    for q in range(z.size):
        z[q] = abs(r1[q] - (h2 * r0[q] + h1 * r2[q]) / s)


@njit(cache=True)
def _v_order(a, b):
    """``a, b = min(a, b), max(a, b)`` element by element."""
    for q in range(a.size):
        x = a[q]
        y = b[q]
        a[q] = x if x < y else y
        b[q] = y if x < y else x


@njit(cache=True)
def _v_median_rows(z):
    """Median of each column of ``z`` (n, nb): the mean of the two middle values for an even ``n``, as
    ``np.median`` of the column; NaN for a column holding a NaN. A bitonic sorting network over the rows
    (padded with +inf to a power of two) sorts every column at once in branch-free vector operations: without
    NaN the middle values are the same numbers whatever the sorting method, so the median is the same bits."""
    n, nb = z.shape
    m = 1
    while m < n:
        m *= 2
    zs = np.full((m, nb), np.inf)
    bad = np.zeros(nb, np.bool_)
    for i in range(n):
        row = z[i]
        for q in range(nb):
            v = row[q]
            zs[i, q] = v
            bad[q] = bad[q] or v != v
    k = 2
    while k <= m:
        j = k // 2
        while j > 0:
            for i in range(m):
                other = i ^ j
                if other > i:
                    if (i & k) == 0:
                        _v_order(zs[i], zs[other])
                    else:
                        _v_order(zs[other], zs[i])
            j //= 2
        k *= 2
    med = np.empty(nb)
    half = n >> 1
    for q in range(nb):
        if bad[q] or n == 0:
            med[q] = np.nan
        elif n & 1 == 0:
            med[q] = (zs[half - 1, q] + zs[half, q]) / 2
        else:
            med[q] = zs[half, q]
    return med


@njit(parallel=True, cache=True, nogil=True)
def series_statistics(t_years, basis, pinv, kl_cols, g_irw, h_noise, d_net, d_lag1, y, min_count, sigma_net,
                      sigma, q, coef_out):
    """Per pixel: white-noise standard deviation and velocity random-walk density of one LOS series.

    Parameters
    ----------
    t_years : ndarray (N,)
        Dates of the stack, years.
    basis : ndarray (N, C)
        Least-squares basis: offset, trend, annual sine/cosine (series of 1.5 years or more) and
        the low-frequency modes ``sin(k pi (t - t_0) / T)``, ``k = 1..``.
    pinv : ndarray (C, N)
        Its pseudo-inverse (pixels valid on every date; the others solve their own normal equations).
    kl_cols : ndarray (J,) int
        Columns of ``basis`` holding the low-frequency modes.
    g_irw, h_noise, d_net : ndarray (J,)
        Expected squared coefficient of each mode per unit velocity random-walk density, per
        unit white-noise variance and per unit interferogram variance (network drift), all
        dates valid.
    d_lag1 : float
        Mean variance of the lag-1 residual per unit interferogram variance (the drift's share).
    y : ndarray (N, P)
        LOS displacement, mm; NaN = missing.
    min_count : int
        Pixels with fewer valid dates keep NaN.
    sigma_net : ndarray (P,)
        Interferogram noise (mm) of the network that made the series; 0 for per-date series.
    sigma, q : ndarray (P,)
        Out: white-noise standard deviation (mm) and random-walk density (mm^2/yr^3, LOS, signed).
    coef_out : ndarray (J', P)
        Out: the fitted coefficients of the first ``J'`` low-frequency modes (NaN where ``q`` is); ``J' = 0``
        for none.

    Notes
    -----
    White noise: robust variance (median absolute value) of the residual of each value of the
    least-squares residual series from the line through its two neighbours,
    ``E z^2 = sigma^2 (1 + (h1^2 + h2^2) / (h1 + h2)^2)`` (the smooth part cancels at the
    sampling interval). Random walk: ``E c_k^2 = q g_k + sigma^2 h_k + sigma_net^2 d_k`` for the
    fitted coefficients ``c_k`` of the low-frequency modes, so
    ``q = sum_k (c_k^2 - sigma^2 h_k - sigma_net^2 d_k) / sum_k g_k``: the whole series measures
    the wander of the velocity at the longest scales it spans. ``q`` is kept signed (negative where
    the modes hold less power than the noise explains), so that an average over stacks or pixels
    is unbiased; the caller clips the combined density once.
    """
    n_t, n_pix = y.shape
    nc = basis.shape[1]
    n_chunk = (n_pix + BATCH - 1) // BATCH
    for ci in prange(n_chunk):
        p0 = ci * BATCH
        p1 = min(n_pix, p0 + BATCH)
        nb = p1 - p0
        full = np.ones(nb, np.bool_)
        for i in range(n_t):
            _v_and_finite(full, y[i, p0:p1])
        if n_t < max(min_count, nc + 3) or not full.all():
            for p in range(p0, p1):
                _series_statistics_pixel(p, t_years, basis, pinv, kl_cols, g_irw, h_noise, d_net, d_lag1, y,
                                         min_count, sigma_net, sigma, q, coef_out)
            continue
        # every pixel of the chunk has every date: the same arithmetic, over the chunk at once
        coef = np.zeros((nc, nb))
        for j in range(nc):
            for i in range(n_t):
                _v_add_smul(coef[j], pinv[j, i], y[i, p0:p1])
        rr = np.empty((n_t, nb))
        f = np.empty(nb)
        for i in range(n_t):
            _v_fill(f, 0.0)
            for j in range(nc):
                _v_add_smul(f, basis[i, j], coef[j])
            _v_residual_of(rr[i], y[i, p0:p1], f)
        z = np.empty((n_t - 2, nb))
        ks = 0.0
        for i in range(1, n_t - 1):
            h1 = t_years[i] - t_years[i - 1]
            h2 = t_years[i + 1] - t_years[i]
            sh = h1 + h2
            _v_lag1(z[i - 1], rr[i - 1], rr[i], rr[i + 1], h1, h2, sh)
            ks += 1.0 + (h1 * h1 + h2 * h2) / (sh * sh)
        med = _v_median_rows(z)
        zc = np.empty(n_t - 2)
        for qq in range(nb):
            p = p0 + qq
            if med[qq] != med[qq]:
                # a NaN among the values: the median of the per-pixel path (whatever np.median makes of it)
                for i in range(n_t - 2):
                    zc[i] = z[i, qq]
                med[qq] = np.median(zc)
            mad = 1.482602218505602 * med[qq]
            sn2 = sigma_net[p] * sigma_net[p]
            s2 = max(mad * mad - sn2 * d_lag1, 0.0) / (ks / (n_t - 2))
            num = 0.0
            den = 0.0
            for j in range(kl_cols.size):
                ck = coef[kl_cols[j], qq]
                num += ck * ck - s2 * h_noise[j] - sn2 * d_net[j]
                den += g_irw[j]
                if j < coef_out.shape[0]:
                    coef_out[j, p] = ck
            sigma[p] = math.sqrt(s2)
            q[p] = num / den if den > 0 else 0.0


@njit(cache=True)
def _v_closure(rss, cnt, d, xa, xb):
    """Add the squared residual ``d - (xb - xa)`` where it is finite."""
    for q in range(rss.size):
        e = d[q] - (xb[q] - xa[q])
        ok = e == e
        rss[q] += e * e if ok else 0.0
        cnt[q] += 1 if ok else 0


@njit(parallel=True, cache=True, nogil=True)
def network_residual_sigma(d, ts, ref, sec, n_dates, sigma):
    """Standard deviation (mm) of the interferogram residuals ``d_i - (x[sec_i] - x[ref_i])`` per pixel,
    over ``M - N + 1`` degrees of freedom (NaN where the pixel has no solution or no redundancy)."""
    m, n_pix = d.shape
    n_chunk = (n_pix + BATCH - 1) // BATCH
    for ci in prange(n_chunk):
        p0 = ci * BATCH
        p1 = min(n_pix, p0 + BATCH)
        rss = np.zeros(p1 - p0)
        cnt = np.zeros(p1 - p0, np.int64)
        for i in range(m):
            _v_closure(rss, cnt, d[i, p0:p1], ts[ref[i], p0:p1], ts[sec[i], p0:p1])
        for q in range(p1 - p0):
            dof = cnt[q] - n_dates + 1
            sigma[p0 + q] = math.sqrt(rss[q] / dof) if dof > 0 else np.nan


@njit(cache=True)
def _v_count_valid(c, v, sv):
    for q in range(c.size):
        c[q] += 1 if (v[q] == v[q] and sv[q] == sv[q]) else 0


@njit(cache=True)
def _v_weights(wrow, yrow, v, sv, use, min_sigma):
    for q in range(wrow.size):
        x = v[q]
        sg = sv[q]
        if use[q] and x == x and sg == sg:
            sg = max(sg, min_sigma)
            wrow[q] = 1.0 / (sg * sg)
            yrow[q] = x
        else:
            wrow[q] = 0.0
            yrow[q] = 0.0


@njit(cache=True)
def _v_sigma_row(out, sigma, i, per_date, drift, sn2, p0):
    """The noise of date ``i`` for pixels ``p0..``: ``sigma`` itself, or with the network drift's share
    ``sqrt(sigma^2 + drift[i] sn2)`` when ``drift`` is given."""
    srow = sigma[i if per_date else 0]
    if drift.size:
        d = drift[i]
        for q in range(out.size):
            sg = srow[p0 + q]
            out[q] = math.sqrt(sg * sg + d * sn2[p0 + q])
    else:
        for q in range(out.size):
            out[q] = srow[p0 + q]


@njit(parallel=True, cache=True, nogil=True)
def observation_weights(y, sigma, min_sigma, min_count, ok_geo, row, ys, ws, n_valid, drift, sn2):
    """Rows ``row..row + N`` of the observation and weight arrays of one stack.

    ``y`` (N, P) LOS mm (NaN = missing); ``sigma`` (1 or N, P) its standard deviation (NaN = unknown),
    raised to ``sqrt(sigma^2 + drift[i] sn2)`` on date ``i`` when ``drift`` (N,) is not empty (``sn2`` (P,));
    pixels with fewer than ``min_count`` valid values, an unknown sigma or no geometry (``ok_geo``
    False) do not use the stack (weights 0, ``n_valid`` 0); ``ys`` is 0 where the weight is 0.
    """
    n_t, n_pix = y.shape
    per_date = sigma.shape[0] == n_t and n_t > 1
    n_chunk = (n_pix + BATCH - 1) // BATCH
    for ci in prange(n_chunk):
        p0 = ci * BATCH
        p1 = min(n_pix, p0 + BATCH)
        c = np.zeros(p1 - p0, np.int64)
        # each date's sigma computed once (a square root per value with the drift), counted, then used
        sall = np.empty((n_t if (per_date or drift.size) else 1, p1 - p0))
        for i in range(sall.shape[0]):
            _v_sigma_row(sall[i], sigma, i, per_date, drift, sn2, p0)
        for i in range(n_t):
            _v_count_valid(c, y[i, p0:p1], sall[min(i, sall.shape[0] - 1)])
        use = np.empty(p1 - p0, np.bool_)
        for q in range(p1 - p0):
            use[q] = ok_geo[p0 + q] and c[q] >= min_count
            n_valid[p0 + q] = c[q] if use[q] else 0
        for i in range(n_t):
            _v_weights(ws[row + i, p0:p1], ys[row + i, p0:p1], y[i, p0:p1], sall[min(i, sall.shape[0] - 1)], use,
                       min_sigma)


@njit(parallel=True, cache=True, nogil=True)
def refine_weights(ws, row, n_s, res, n_valid, scale):
    """Raise the noise of one stack where its residual RMS ``res`` (P,) exceeds the RMS of the noise it was
    given (the mean of ``1 / w`` over its valid dates) by more than three standard errors of a residual RMS
    over ``n`` dates, ``1 + 3 / sqrt(2 n)``: ``scale`` (P,) gets the ratio there (1 elsewhere) and the weights
    ``ws[row:row + n_s]`` are divided by its square."""
    n_pix = res.size
    n_chunk = (n_pix + BATCH - 1) // BATCH
    for ci in prange(n_chunk):
        p0 = ci * BATCH
        p1 = min(n_pix, p0 + BATCH)
        tot = np.zeros(p1 - p0)
        cnt = np.zeros(p1 - p0)
        for i in range(n_s):
            wrow = ws[row + i]
            for q in range(p1 - p0):
                w = wrow[p0 + q]
                if w > 0.0:
                    tot[q] += 1.0 / w
                    cnt[q] += 1.0
        for q in range(p1 - p0):
            p = p0 + q
            sc = 1.0
            if cnt[q] > 0.0:
                ratio = res[p] / math.sqrt(tot[q] / cnt[q])
                if math.isfinite(ratio) and ratio > 1.0 + 3.0 / math.sqrt(2.0 * max(n_valid[p], 1)):
                    sc = ratio
            scale[p] = sc
        # w / 1 is w: only the pixels whose noise is raised are divided
        lanes = np.flatnonzero(scale[p0:p1] != 1.0) + p0
        for i in range(n_s):
            wrow = ws[row + i]
            for p in lanes:
                sc = scale[p]
                wrow[p] = wrow[p] / (sc * sc)


# --------------------------------------------------------------------------- batch vector helpers
@njit(cache=True)
def _v_sub_mul(y, a, b):
    """``y -= a * b``."""
    for q in range(y.size):
        y[q] -= a[q] * b[q]


@njit(cache=True)
def _v_div(y, a):
    for q in range(y.size):
        y[q] = y[q] / a[q]


@njit(cache=True)
def _v_sub_dot4(y, a, b):
    """``y -= a[0] b[0]; y -= a[1] b[1]; ...`` for the four rows of ``a`` and ``b`` (in that order)."""
    for q in range(y.size):
        y[q] = y[q] - a[0, q] * b[0, q] - a[1, q] * b[1, q] - a[2, q] * b[2, q] - a[3, q] * b[3, q]


@njit(cache=True)
def _m_sub_mul(y, a, x):
    """``y[i] -= a * x[i]`` for every row ``i`` of ``y`` and ``x`` (``a`` one row)."""
    for i in range(y.shape[0]):
        _v_sub_mul(y[i], a, x[i])


@njit(cache=True)
def _m_sub_mul4_row(y, a, x0, x1, x2, x3):
    for q in range(y.size):
        y[q] = y[q] - a[0, q] * x0[q] - a[1, q] * x1[q] - a[2, q] * x2[q] - a[3, q] * x3[q]


@njit(cache=True)
def _m_sub_mul4(y, a, x0, x1, x2, x3):
    """``y[i] -= a[0] x0[i]; y[i] -= a[1] x1[i]; ...`` for every row ``i`` (in that order)."""
    for i in range(y.shape[0]):
        _m_sub_mul4_row(y[i], a, x0[i], x1[i], x2[i], x3[i])


@njit(cache=True)
def _m_div(y, a):
    """``y[i] /= a`` for every row ``i``."""
    for i in range(y.shape[0]):
        _v_div(y[i], a)


@njit(cache=True)
def _v_sq_sum(acc, a):
    """``acc += a * a``."""
    for q in range(acc.size):
        acc[q] += a[q] * a[q]


# Loops over the batch written inline in a kernel are not vectorised (LLVM cannot rule out that the
# arrays overlap); in these small functions it checks that at run time and vectorises. Each keeps the
# operation order of the scalar expression it replaces, so every pixel's arithmetic is unchanged.
@njit(cache=True)
def _v_add_mul(y, a, b):
    """``y += a * b``."""
    for q in range(y.size):
        y[q] += a[q] * b[q]


@njit(cache=True)
def _v_mul(y, a, b):
    """``y = a * b``."""
    for q in range(y.size):
        y[q] = a[q] * b[q]


@njit(cache=True)
def _v_smul(y, c, a):
    """``y = c * a`` (``c`` a scalar)."""
    for q in range(y.size):
        y[q] = c * a[q]


@njit(cache=True)
def _v_mul_s(y, a, c):
    """``y = a * c`` (``c`` a scalar)."""
    for q in range(y.size):
        y[q] = a[q] * c


@njit(cache=True)
def _v_add_smul(y, c, a):
    """``y += c * a`` (``c`` a scalar)."""
    for q in range(y.size):
        y[q] += c * a[q]


@njit(cache=True)
def _v_sub_smul(y, c, a):
    """``y -= c * a`` (``c`` a scalar)."""
    for q in range(y.size):
        y[q] -= c * a[q]


@njit(cache=True)
def _v_add_mul_ss(y, a, c1, c2):
    """``y += a * c1 * c2`` (scalars ``c1``, ``c2``; left to right)."""
    for q in range(y.size):
        y[q] += a[q] * c1 * c2


@njit(cache=True)
def _v_fill(y, c):
    for q in range(y.size):
        y[q] = c


@njit(cache=True)
def _v_copy(y, a):
    for q in range(y.size):
        y[q] = a[q]


@njit(cache=True)
def _v_sdiv(y, c, a):
    """``y = c / a`` (``c`` a scalar)."""
    for q in range(y.size):
        y[q] = c / a[q]


@njit(cache=True)
def _v_neg_div(y, a, b):
    """``y = -a / b``."""
    for q in range(y.size):
        y[q] = -a[q] / b[q]


@njit(cache=True)
def _v_diag_inv(y, acc, li):
    """``y = 1 / (li li) - acc / li``."""
    for q in range(y.size):
        v = li[q]
        y[q] = 1.0 / (v * v) - acc[q] / v


@njit(cache=True)
def _v_lin2(y, c1, a, c2, b):
    """``y = c1 * a + c2 * b``."""
    for q in range(y.size):
        y[q] = c1 * a[q] + c2 * b[q]


@njit(cache=True)
def _v_add_lin4(y, c1, a1, c2, a2, c3, a3, c4, a4):
    """``y += c1 a1 + c2 a2 + c3 a3 + c4 a4`` (summed left to right, then added)."""
    for q in range(y.size):
        y[q] += c1 * a1[q] + c2 * a2[q] + c3 * a3[q] + c4 * a4[q]


@njit(cache=True)
def _v_sqrt_pos(y, acc, fixed):
    """``y = sqrt(acc)`` where ``acc > 0`` and not ``fixed``, else 0."""
    for q in range(y.size):
        a = acc[q]
        y[q] = math.sqrt(a) if (a > 0.0 and not fixed) else 0.0


@njit(cache=True)
def _v_date_var3(y, fixed, c0, a0, w00, b0, s0, s1, s2, d0, d1, d2, f00, f01, f02, f10, f11, f12, f20, f21, f22,
                 g00, g01, g02, g10, g11, g12, g20, g21, g22, has1, c1, a1, c01, a2, wo2, b1, c4, b2, t0, t1, t2, e0,
                 e1, e2):
    """One date's standard deviation with three deterministic terms, in one pass: the operations of the general
    sequence in solve_batch (``_v_lin2``, ``_v_sub_smul``, ``_v_add_smul``, ``_v_add_lin4``, ``_v_sqrt_pos``) in
    the same order, so every pixel's value is the same bits."""
    for q in range(y.size):
        v = c0 * a0[q] + w00 * b0[q]
        v -= s0 * d0[q]
        v += f00 * g00[q]
        v += f01 * g01[q]
        v += f02 * g02[q]
        v -= s1 * d1[q]
        v += f10 * g10[q]
        v += f11 * g11[q]
        v += f12 * g12[q]
        v -= s2 * d2[q]
        v += f20 * g20[q]
        v += f21 * g21[q]
        v += f22 * g22[q]
        if has1:
            v += c1 * a1[q] + c01 * a2[q] + wo2 * b1[q] + c4 * b2[q]
            v -= t0 * e0[q]
            v -= t1 * e1[q]
            v -= t2 * e2[q]
        y[q] = math.sqrt(v) if (v > 0.0 and not fixed) else 0.0


@njit(cache=True)
def _v_residual(res2, chi, nval, y, m, w):
    """Add the squared residual ``y - m`` where the weight ``w`` is positive."""
    for q in range(y.size):
        e = y[q] - m[q]
        ok = w[q] > 0.0
        res2[q] += e * e if ok else 0.0
        chi[q] += w[q] * e * e if ok else 0.0
        nval[q] += 1.0 if ok else 0.0


# --------------------------------------------------------------------------- the batch solver
@njit(cache=True)
def _factor(lb, rb, sb, diag0, ok, n, nbord):
    """Arrow Cholesky in place: ``lb`` banded core -> ``Lc``, ``rb`` -> ``W``, ``sb`` -> ``Ls``.
    Pixels whose pivots fall below :data:`PIVOT_RTOL` x the original diagonal get ``ok = False``
    (their pivots are replaced by 1 so the batch stays finite)."""
    nb = ok.size
    acc = np.empty(nb)
    for i in range(n):
        dmax = min(P, i)
        for d in range(dmax, 0, -1):
            j = i - d
            row = lb[i, d]
            for e in range(d + 1, dmax + 1):
                _v_sub_mul(row, lb[i, e], lb[j, e - d])
            _v_div(row, lb[j, 0])
        for q in range(nb):
            acc[q] = lb[i, 0, q]
        for e in range(1, dmax + 1):
            _v_sub_mul(acc, lb[i, e], lb[i, e])
        for q in range(nb):
            if acc[q] > PIVOT_RTOL * diag0[i, q]:
                lb[i, 0, q] = math.sqrt(acc[q])
            else:
                ok[q] = False
                lb[i, 0, q] = 1.0
    # W and the Schur complement knot by knot: the border rows of one knot stay in cache (each element's
    # sequence of operations is the same as border row by border row)
    for i in range(n):
        dmax = min(P, i)
        for b in range(nbord):
            wrow = rb[b]
            for d in range(1, dmax + 1):
                _v_sub_mul(wrow[i], lb[i, d], wrow[i - d])
            _v_div(wrow[i], lb[i, 0])
    # the Schur complement four knots' rows at a time (each element's subtractions in the order of i)
    i = 0
    while i + 4 <= n:
        for b in range(nbord):
            wb = rb[b, i:i + 4]
            for c in range(b + 1):
                _v_sub_dot4(sb[b, c], wb, rb[c, i:i + 4])
        i += 4
    while i < n:
        for b in range(nbord):
            wi = rb[b, i]
            for c in range(b + 1):
                _v_sub_mul(sb[b, c], wi, rb[c, i])
        i += 1
    for b in range(nbord):
        for c in range(b):
            row = sb[b, c]
            for e in range(c):
                _v_sub_mul(row, sb[b, e], sb[c, e])
            _v_div(row, sb[c, c])
        for q in range(nb):
            acc[q] = sb[b, b, q]
        for e in range(b):
            _v_sub_mul(acc, sb[b, e], sb[b, e])
        for q in range(nb):
            if acc[q] > PIVOT_RTOL * diag0[n + b, q]:
                sb[b, b, q] = math.sqrt(acc[q])
            else:
                ok[q] = False
                sb[b, b, q] = 1.0


@njit(cache=True)
def _forward(lb, wb, sb, fc, fb, n, nbord, i0):
    """``v = L^-1 [fc; fb]`` in place (``fc`` zero before ``i0``)."""
    for i in range(i0, n):
        dmax = min(P, i - i0)
        for d in range(1, dmax + 1):
            _v_sub_mul(fc[i], lb[i, d], fc[i - d])
        _v_div(fc[i], lb[i, 0])
    for i in range(i0, n):
        for b in range(nbord):
            _v_sub_mul(fb[b], wb[b, i], fc[i])
    for b in range(nbord):
        for c in range(b):
            _v_sub_mul(fb[b], sb[b, c], fb[c])
        _v_div(fb[b], sb[b, b])


@njit(cache=True)
def _backward(lb, wb, sb, fc, fb, n, nbord):
    """``x = L^-T v`` in place."""
    for b in range(nbord - 1, -1, -1):
        for c in range(b + 1, nbord):
            _v_sub_mul(fb[b], sb[c, b], fb[c])
        _v_div(fb[b], sb[b, b])
    for i in range(n - 1, -1, -1):
        for b in range(nbord):
            _v_sub_mul(fc[i], wb[b, i], fb[b])
        for d in range(1, min(P, n - 1 - i) + 1):
            _v_sub_mul(fc[i], lb[i + d, d], fc[i + d])
        _v_div(fc[i], lb[i, 0])


@njit(cache=True)
def _norm2(fc, fb, n, nbord, i0, out):
    for q in range(out.size):
        out[q] = 0.0
    for i in range(i0, n):
        _v_sq_sum(out, fc[i])
    for b in range(nbord):
        _v_sq_sum(out, fb[b])


@njit(cache=True)
def _takahashi(lb, sg, n):
    """Banded selected inverse: ``sg[j, d] = (Lc Lc^T)^-1 [j, j - d]`` for ``d <= P``."""
    nb = sg.shape[2]
    acc = np.empty(nb)
    for i in range(n - 1, -1, -1):
        kmax = min(i + P, n - 1)
        for j in range(kmax, i, -1):
            _v_fill(acc, 0.0)
            for k in range(i + 1, kmax + 1):
                # sigma[j, k] with j, k in (i, i + P]
                if j >= k:
                    _v_add_mul(acc, lb[k, k - i], sg[j, j - k])
                else:
                    _v_add_mul(acc, lb[k, k - i], sg[k, k - j])
            _v_neg_div(sg[j, j - i], acc, lb[i, 0])
        _v_fill(acc, 0.0)
        for k in range(i + 1, kmax + 1):
            _v_add_mul(acc, lb[k, k - i], sg[k, k - i])
        _v_diag_inv(sg[i, 0], acc, lb[i, 0])


@njit(cache=True)
def _functional(lb, rb, sb, n, nbord, n_det, with_det, r, out_k, out_w, det, fo, fcoef, comp, nb, ec, eb, vtmp):
    """Standard deviation of ``sum_j c_j D_comp(t_oj)`` into ``vtmp`` (``ec``, ``eb`` are work arrays);
    without ``with_det`` only the random-walk part ``X`` (not the deterministic terms)."""
    # the right-hand side is the same for every pixel: summed once as scalars (in the order a per-pixel sum takes)
    es = np.zeros(n)
    ebs = np.zeros(nbord)
    i0 = n
    for j in range(fo.size):
        cj = fcoef[j]
        if cj == 0.0:
            continue
        o = fo[j]
        k = out_k[o]
        w = out_w[o]
        for side in range(2):
            kk = k + side
            ww = w if side == 1 else 1.0 - w
            if ww == 0.0 or kk == r:  # the reference knot is fixed (identity rows)
                continue
            i = 2 * kk + comp
            if i < i0:
                i0 = i
            es[i] += cj * ww
        if with_det:
            for jd in range(n_det):
                ebs[comp * n_det + jd] += cj * det[o, jd]
    for i in range(i0, n):
        _v_fill(ec[i], es[i])
    for b in range(nbord):
        _v_fill(eb[b], ebs[b])
    _forward(lb, rb, sb, ec, eb, n, nbord, i0)
    _norm2(ec, eb, n, nbord, i0, vtmp)
    for q in range(nb):
        vtmp[q] = math.sqrt(vtmp[q])


@njit(cache=True)
def _value(xc, xb, out_k, out_w, det, n_det, with_det, o, comp, q):
    """``D_comp(t_o)`` (or its random-walk part) from the solution."""
    k = out_k[o]
    wo = out_w[o]
    v = (1.0 - wo) * xc[2 * k + comp, q]
    if wo != 0.0:
        v += wo * xc[2 * k + 2 + comp, q]
    if with_det:
        for j in range(n_det):
            v += det[o, j] * xb[comp * n_det + j, q]
    return v


@njit(cache=True)
def _v_value(y, xc, xb, out_k, out_w, det, n_det, with_det, o, comp):
    """:func:`_value` for every pixel of the batch, into ``y``."""
    k = out_k[o]
    wo = out_w[o]
    _v_smul(y, 1.0 - wo, xc[2 * k + comp])
    if wo != 0.0:
        _v_add_smul(y, wo, xc[2 * k + 2 + comp])
    if with_det:
        for j in range(n_det):
            _v_add_smul(y, det[o, j], xb[comp * n_det + j])


@njit(cache=True)
def _border_terms(s, n_det, north_est, off0, mode0, mode_first, n_mode, pu, pb, pk):
    """The border unknowns a stack's observations touch, as terms ``p`` with scalar values per observation.

    Term ``p`` enters the unknowns ``pb[p, 0..pu[p]-1]`` with the pixel factor ``pk[p, u]`` (0: the
    horizontal coefficient, 1: up, 2: north, 3: one): a deterministic term both components, the north
    velocity, the stack's offset and its network modes one unknown each. Returns the number of terms."""
    n_p = 0
    for j in range(n_det):
        pu[n_p] = 2
        pb[n_p, 0] = j
        pk[n_p, 0] = 0
        pb[n_p, 1] = n_det + j
        pk[n_p, 1] = 1
        n_p += 1
    if north_est:
        pu[n_p] = 1
        pb[n_p, 0] = 2 * n_det
        pk[n_p, 0] = 2
        n_p += 1
    pu[n_p] = 1
    pb[n_p, 0] = off0 + s
    pk[n_p, 0] = 3
    n_p += 1
    for m in range(n_mode[s]):
        pu[n_p] = 1
        pb[n_p, 0] = mode0 + mode_first[s] + m
        pk[n_p, 0] = 3
        n_p += 1
    return n_p


@njit(cache=True)
def _term_values(i, o, tk, det, n_det, north_est, obs_mode, n_mode_s, phi):
    """Scalar values of the border terms (:func:`_border_terms`) at observation ``i`` (output date ``o``)."""
    n_p = 0
    for j in range(n_det):
        phi[n_p] = det[o, j]
        n_p += 1
    if north_est:
        phi[n_p] = tk
        n_p += 1
    phi[n_p] = 1.0
    n_p += 1
    for m in range(n_mode_s):
        phi[n_p] = obs_mode[i, m]
        n_p += 1


@njit(cache=True)
def _factor_of(kind, gh_s, gu_s, gn_s, one):
    if kind == 0:
        return gh_s
    if kind == 1:
        return gu_s
    if kind == 2:
        return gn_s
    return one


@njit(cache=True)
def _v_add_mul3(y, c, a, b):
    """``y += c * a * b`` (``c`` a scalar)."""
    for q in range(y.size):
        y[q] += c[q] * a[q] * b[q]


@njit(cache=True)
def _flush_stack(k0, k1, n_p, pu, pb, pk, gh_s, gu_s, gn_s, one, ak, fk, rk, sp, fp, lk, lp, want_leak, lb, rb, sb,
                 fc, fb, lc, lbd):
    """Add one stack's sums (free of its geometry) times its pixel geometry to the normal equations and
    clear the sums. ``ak[k]`` = sum w a_k^2, sum w a_k a_k+1 (``a`` the interpolation weights of knots ``k0..k1``),
    ``fk`` sum w y a, ``rk[k, p]`` sum w a_k phi_p, ``sp[p, p']`` sum w phi_p phi_p', ``fp`` sum w y phi; ``lk``,
    ``lp`` the same with ``y`` replaced by the reference-date distance (north's response)."""
    g = (gh_s, gu_s)
    for k in range(k0, k1 + 1):
        for c in range(2):
            i = 2 * k + c
            for cc in range(c + 1):
                _v_add_mul3(lb[i, c - cc], ak[k, 0], g[c], g[cc])
            _v_add_mul(fc[i], fk[k], g[c])
            if want_leak:
                _v_add_mul3(lc[i], lk[k], g[c], gn_s)
        if k + 1 <= k1:
            for c in range(2):
                for cc in range(2):
                    _v_add_mul3(lb[2 * k + 2 + c, 2 + c - cc], ak[k, 1], g[c], g[cc])
        for p in range(n_p):
            for u in range(pu[p]):
                fu = _factor_of(pk[p, u], gh_s, gu_s, gn_s, one)
                b = pb[p, u]
                for c in range(2):
                    _v_add_mul3(rb[b, 2 * k + c], rk[k, p], fu, g[c])
        _v_fill(ak[k, 0], 0.0)
        _v_fill(ak[k, 1], 0.0)
        _v_fill(fk[k], 0.0)
        if want_leak:
            _v_fill(lk[k], 0.0)
        for p in range(n_p):
            _v_fill(rk[k, p], 0.0)
    for p in range(n_p):
        for u in range(pu[p]):
            fu = _factor_of(pk[p, u], gh_s, gu_s, gn_s, one)
            b = pb[p, u]
            _v_add_mul(fb[b], fp[p], fu)
            if want_leak:
                _v_add_mul3(lbd[b], lp[p], fu, gn_s)
            for pp in range(p + 1):
                for uu in range(pu[pp]):
                    if pp == p and uu > u:
                        continue
                    fuu = _factor_of(pk[pp, uu], gh_s, gu_s, gn_s, one)
                    bb = pb[pp, uu]
                    if bb <= b:
                        _v_add_mul3(sb[b, bb], sp[p, pp], fu, fuu)
                    else:
                        _v_add_mul3(sb[bb, b], sp[p, pp], fu, fuu)
        _v_fill(fp[p], 0.0)
        if want_leak:
            _v_fill(lp[p], 0.0)
        for pp in range(p + 1):
            _v_fill(sp[p, pp], 0.0)


@njit(cache=True)
def solve_batch(nb, ys, ws, obs_o, obs_s, obs_mode, mode_first, n_mode, mode_w, gh, gu, gn, tau, r, out_k, out_w,
                tau_o, det, det_w, north_est, north_prior, north_prior_w, wq_inc, q_e, q_u, qg, gap_inc, g_vel,
                fun_o, fun_c, fun_det, full, want_leak, out_d, out_s, out_vel, out_svel, out_fun, out_sfun, out_leak,
                out_north, out_snorth, out_res, out_nres, out_chi2, out_status):
    """Solve one batch of ``nb`` pixels held in the last axis of every array (see :func:`solve_pixels`)."""
    k_knots = tau.size
    n = 2 * k_knots
    n_out = tau_o.size
    n_stk = gh.shape[0]
    n_det = det.shape[1]
    n_modes_tot = mode_w.shape[0]
    off0 = 2 * n_det + north_est
    mode0 = off0 + n_stk
    nbord = mode0 + n_modes_tot
    n_obs = obs_o.size
    tref = tau[r]
    lb = np.zeros((n, P + 1, nb))
    rb = np.zeros((nbord, n, nb))
    sb = np.zeros((nbord, nbord, nb))
    fc = np.zeros((n, nb))
    fb = np.zeros((nbord, nb))
    diag0 = np.empty((n + nbord, nb))
    ok = np.ones(nb, np.bool_)
    cnt = np.zeros((n_stk, nb), np.int64)
    wy = np.empty(nb)
    tw = np.empty(nb)
    lc = np.zeros((n if want_leak else 0, nb))
    lbd = np.zeros((nbord if want_leak else 0, nb))
    # ---- observations (ys is 0 where the weight is 0), stack by stack: the sums over a stack's dates are free of
    # its geometry (one LOS vector per pixel and stack), which multiplies them once per stack
    n_pmax = n_det + north_est + 1 + obs_mode.shape[1]
    pu = np.zeros(n_pmax, np.int64)
    pb = np.zeros((n_pmax, 2), np.int64)
    pk = np.zeros((n_pmax, 2), np.int64)
    phi = np.zeros(n_pmax)
    ak = np.zeros((k_knots, 2, nb))
    fk = np.zeros((k_knots, nb))
    rk = np.zeros((k_knots, n_pmax, nb))
    sp = np.zeros((n_pmax, n_pmax, nb))
    fp = np.zeros((n_pmax, nb))
    lk = np.zeros((k_knots if want_leak else 0, nb))
    lp = np.zeros((n_pmax if want_leak else 0, nb))
    one = np.ones(nb)
    s_cur = -1
    n_p = 0
    k0 = k_knots
    k1 = -1
    for i in range(n_obs + 1):
        s = obs_s[i] if i < n_obs else -1
        if s != s_cur:
            if s_cur >= 0 and k1 >= 0:
                _flush_stack(k0, k1, n_p, pu, pb, pk, gh[s_cur], gu[s_cur], gn[s_cur], one, ak, fk, rk, sp, fp, lk,
                             lp, want_leak, lb, rb, sb, fc, fb, lc, lbd)
            if i == n_obs:
                break
            s_cur = s
            n_p = _border_terms(s, n_det, north_est, off0, mode0, mode_first, n_mode, pu, pb, pk)
            k0 = k_knots
            k1 = -1
        o = obs_o[i]
        wv = ws[i]
        _v_mul(wy, wv, ys[i])
        for q in range(nb):
            if wv[q] > 0.0:
                cnt[s, q] += 1
        tk = tau_o[o] - tref
        _term_values(i, o, tk, det, n_det, north_est, obs_mode, n_mode[s], phi)
        k = out_k[o]
        w1 = out_w[o]
        w0 = 1.0 - w1
        k0 = min(k0, k)
        k1 = max(k1, k + 1 if w1 != 0.0 else k)
        _v_add_smul(ak[k, 0], w0 * w0, wv)
        _v_add_smul(fk[k], w0, wy)
        for p in range(n_p):
            _v_add_smul(rk[k, p], w0 * phi[p], wv)
        if want_leak:
            _v_add_smul(lk[k], w0 * tk, wv)
        if w1 != 0.0:
            _v_add_smul(ak[k, 1], w0 * w1, wv)
            _v_add_smul(ak[k + 1, 0], w1 * w1, wv)
            _v_add_smul(fk[k + 1], w1, wy)
            for p in range(n_p):
                _v_add_smul(rk[k + 1, p], w1 * phi[p], wv)
            if want_leak:
                _v_add_smul(lk[k + 1], w1 * tk, wv)
        for p in range(n_p):
            _v_add_smul(fp[p], phi[p], wy)
            if want_leak:
                _v_add_smul(lp[p], phi[p] * tk, wv)
            for pp in range(p + 1):
                _v_add_smul(sp[p, pp], phi[p] * phi[pp], wv)
    # ---- prior: interval velocities random walk on interval midpoints, per component
    for k in range(1, k_knots - 1):
        h0 = tau[k] - tau[k - 1]
        h1 = tau[k + 1] - tau[k]
        a = 1.0 / h0
        c = 1.0 / h1
        bb = -(a + c)
        base = wq_inc[k - 1]
        gi = gap_inc[k - 1]
        for comp in range(2):
            i0 = 2 * (k - 1) + comp
            i1 = i0 + 2
            i2 = i0 + 4
            if gi >= 0:
                _v_sdiv(tw, base, qg[gi, comp])
            else:
                _v_sdiv(tw, base, q_e if comp == 0 else q_u)
            _v_add_mul_ss(lb[i0, 0], tw, a, a)
            _v_add_mul_ss(lb[i1, 0], tw, bb, bb)
            _v_add_mul_ss(lb[i2, 0], tw, c, c)
            _v_add_mul_ss(lb[i1, 2], tw, a, bb)
            _v_add_mul_ss(lb[i2, 2], tw, bb, c)
            _v_add_mul_ss(lb[i2, 4], tw, a, c)
    for comp in range(2):
        for j in range(n_det):
            b = comp * n_det + j
            for q in range(nb):
                sb[b, b, q] += det_w[j]
    if north_est:
        bn = 2 * n_det
        for q in range(nb):
            sb[bn, bn, q] += north_prior_w[q]
            fb[bn, q] += north_prior_w[q] * north_prior[q]
    for m in range(n_modes_tot):
        for q in range(nb):
            sb[mode0 + m, mode0 + m, q] += mode_w[m, q]
    # ---- datum: the two unknowns of the reference knot are fixed at 0 (identity rows)
    for comp in range(2):
        i = 2 * r + comp
        for q in range(nb):
            fc[i, q] = 0.0
            lb[i, 0, q] = 1.0
        for d in range(1, P + 1):
            if i - d >= 0:
                for q in range(nb):
                    lb[i, d, q] = 0.0
            if i + d < n:
                for q in range(nb):
                    lb[i + d, d, q] = 0.0
        for b in range(nbord):
            for q in range(nb):
                rb[b, i, q] = 0.0
    # the offset of a stack without data at a pixel: identity row
    for s in range(n_stk):
        b = off0 + s
        for q in range(nb):
            if cnt[s, q] == 0:
                sb[b, b, q] = 1.0
                for c in range(b):
                    sb[b, c, q] = 0.0
                for c in range(b + 1, nbord):
                    sb[c, b, q] = 0.0
    for i in range(n):
        for q in range(nb):
            diag0[i, q] = lb[i, 0, q]
    for b in range(nbord):
        for q in range(nb):
            diag0[n + b, q] = sb[b, b, q]
    _factor(lb, rb, sb, diag0, ok, n, nbord)
    # ---- the solution
    xc = fc.copy()
    xb = fb.copy()
    _forward(lb, rb, sb, xc, xb, n, nbord, 0)
    _backward(lb, rb, sb, xc, xb, n, nbord)
    # ---- residuals per stack (the model's LOS per knot and per border term, once per stack)
    res2 = np.zeros((n_stk, nb))
    chi = np.zeros(nb)
    nval = np.zeros(nb)
    mdl = np.empty(nb)
    los_k = np.zeros((k_knots, nb))
    beta = np.zeros((n_pmax, nb))
    s_cur = -1
    for i in range(n_obs):
        o = obs_o[i]
        s = obs_s[i]
        if s != s_cur:
            s_cur = s
            n_p = _border_terms(s, n_det, north_est, off0, mode0, mode_first, n_mode, pu, pb, pk)
            for k in range(k_knots):
                _v_mul(los_k[k], gh[s], xc[2 * k])
                _v_add_mul(los_k[k], gu[s], xc[2 * k + 1])
            for p in range(n_p):
                _v_fill(beta[p], 0.0)
                for u in range(pu[p]):
                    _v_add_mul(beta[p], _factor_of(pk[p, u], gh[s], gu[s], gn[s], one), xb[pb[p, u]])
        _term_values(i, o, tau_o[o] - tref, det, n_det, north_est, obs_mode, n_mode[s], phi)
        k = out_k[o]
        w1 = out_w[o]
        _v_smul(mdl, 1.0 - w1, los_k[k])
        if w1 != 0.0:
            _v_add_smul(mdl, w1, los_k[k + 1])
        for p in range(n_p):
            _v_add_smul(mdl, phi[p], beta[p])
        _v_residual(res2[s], chi, nval, ys[i], mdl, ws[i])
    # ---- displacement on the output dates (knots interpolated + deterministic terms)
    for o in range(n_out):
        for comp in range(2):
            _v_value(out_d[comp, o], xc, xb, out_k, out_w, det, n_det, True, o, comp)
    vtmp = np.empty(nb)
    ec = np.zeros((n, nb))
    eb = np.zeros((nbord, nb))
    # ---- linear functionals sum_j c_j D(t_oj) of each component (gap displacements, velocity changes)
    for fi in range(fun_o.shape[0]):
        for comp in range(2):
            for q in range(nb):
                acc = 0.0
                for j in range(fun_o.shape[1]):
                    if fun_c[fi, j] != 0.0:
                        acc += fun_c[fi, j] * _value(xc, xb, out_k, out_w, det, n_det, fun_det, fun_o[fi, j], comp, q)
                out_fun[fi, comp, q] = acc
            _functional(lb, rb, sb, n, nbord, n_det, fun_det, r, out_k, out_w, det, fun_o[fi], fun_c[fi], comp, nb,
                        ec, eb, vtmp)
            for q in range(nb):
                out_sfun[fi, comp, q] = vtmp[q]
    if not full:
        for q in range(nb):
            if not ok[q] and out_status[q] == STATUS_OK:
                out_status[q] = STATUS_SINGULAR
        return ok
    # ---- velocity: least-squares slope operator applied to the displacement, and its variance
    all_o = np.arange(n_out)
    for comp in range(2):
        _v_fill(out_vel[comp], 0.0)
        for o in range(n_out):
            _v_add_smul(out_vel[comp], g_vel[o], out_d[comp, o])
        _functional(lb, rb, sb, n, nbord, n_det, True, r, out_k, out_w, det, all_o, g_vel, comp, nb, ec, eb, vtmp)
        for q in range(nb):
            out_svel[comp, q] = vtmp[q]
    # ---- response of the velocity to a north velocity of 1 mm/yr left out of the model
    if want_leak:
        for comp in range(2):
            i = 2 * r + comp
            for q in range(nb):
                lc[i, q] = 0.0
        _forward(lb, rb, sb, lc, lbd, n, nbord, 0)
        _backward(lb, rb, sb, lc, lbd, n, nbord)
        for comp in range(2):
            _v_fill(out_leak[comp], 0.0)
            for o in range(n_out):
                _v_value(tw, lc, lbd, out_k, out_w, det, n_det, True, o, comp)
                _v_add_smul(out_leak[comp], g_vel[o], tw)
    # ---- north velocity (estimated with its prior)
    if north_est:
        bn = 2 * n_det
        for i in range(n):
            for q in range(nb):
                ec[i, q] = 0.0
        for b in range(nbord):
            for q in range(nb):
                eb[b, q] = 0.0
        for q in range(nb):
            eb[bn, q] = 1.0
        _forward(lb, rb, sb, ec, eb, n, nbord, n)
        _norm2(ec, eb, n, nbord, n, vtmp)
        for q in range(nb):
            out_north[q] = xb[bn, q]
            out_snorth[q] = math.sqrt(vtmp[q])
    # ---- marginal standard deviations on the output dates (banded selected inverse + border)
    sg = np.zeros((n, P + 1, nb))
    _takahashi(lb, sg, n)
    # Z = Qcc^-1 R^T = Lc^-T W^T, in place over W; then U = Ls^-1 Z^T, column by column
    for i in range(n - 1, -1, -1):
        for b in range(nbord):
            zrow = rb[b]
            for d in range(1, min(P, n - 1 - i) + 1):
                _v_sub_mul(zrow[i], lb[i + d, d], zrow[i + d])
            _v_div(zrow[i], lb[i, 0])
    # (a few knot rows at a time, so that their rows of every border stay in cache; border by border; each
    # element's operations in the same order as row by row)
    for t0 in range(0, n, ROW_TILE):
        t1 = min(n, t0 + ROW_TILE)
        for b in range(nbord):
            ub = rb[b, t0:t1]
            c = 0
            while c + 4 <= b:
                _m_sub_mul4(ub, sb[b, c:c + 4], rb[c, t0:t1], rb[c + 1, t0:t1], rb[c + 2, t0:t1], rb[c + 3, t0:t1])
                c += 4
            while c < b:
                _m_sub_mul(ub, sb[b, c], rb[c, t0:t1])
                c += 1
            _m_div(ub, sb[b, b])
    # Ls^-1 e of the deterministic coefficients (their terms on an output date)
    nd2 = 2 * n_det
    us = np.zeros((max(nd2, 1), nbord, nb))
    for a4 in range(nd2):
        for q in range(nb):
            us[a4, a4, q] = 1.0
        for b in range(nbord):
            for c in range(b):
                _v_sub_mul(us[a4, b], sb[b, c], us[a4, c])
            _v_div(us[a4, b], sb[b, b])
    # dot products per knot and component of u_i = Ls^-1 z_i and the us of its component:
    # var(D(t_o)) = band part + ||w0 u_k + w1 u_k+1 - sum_j f_j us_j||^2 expanded in them
    dots = np.zeros((n, 2 + n_det, nb))  # |u_i|^2, u_i . u_{i+2}, u_i . us_(comp, j)
    for i in range(n):
        comp = i % 2
        for b in range(nbord):
            ui = rb[b, i]
            _v_add_mul(dots[i, 0], ui, ui)
            if i + 2 < n:
                _v_add_mul(dots[i, 1], ui, rb[b, i + 2])
            for j in range(n_det):
                _v_add_mul(dots[i, 2 + j], ui, us[comp * n_det + j, b])
    gram = np.zeros((2, max(n_det, 1), max(n_det, 1), nb))
    for comp in range(2):
        for j in range(n_det):
            for jj in range(n_det):
                for b in range(nbord):
                    _v_add_mul(gram[comp, j, jj], us[comp * n_det + j, b], us[comp * n_det + jj, b])
    for o in range(n_out):
        k = out_k[o]
        wo = out_w[o]
        w0 = 1.0 - wo
        fixed = k == r and wo == 0.0
        for comp in range(2):
            i = 2 * k + comp
            # the reference knot is fixed: its identity rows carry no variance
            c0 = w0 * w0 if k != r else 0.0
            c1 = wo * wo if (wo != 0.0 and k + 1 != r) else 0.0
            c01 = 2.0 * w0 * wo if wo != 0.0 else 0.0
            if n_det == 3:
                # the usual terms (annual sine and cosine, acceleration) in one pass over the batch
                i2 = i + 2 if wo != 0.0 else i
                f0 = det[o, 0]
                f1 = det[o, 1]
                f2 = det[o, 2]
                gm = gram[comp]
                _v_date_var3(out_s[comp, o], fixed, c0, sg[i, 0], w0 * w0, dots[i, 0],
                             2.0 * w0 * f0, 2.0 * w0 * f1, 2.0 * w0 * f2, dots[i, 2], dots[i, 3], dots[i, 4],
                             f0 * det[o, 0], f0 * det[o, 1], f0 * det[o, 2], f1 * det[o, 0], f1 * det[o, 1],
                             f1 * det[o, 2], f2 * det[o, 0], f2 * det[o, 1], f2 * det[o, 2],
                             gm[0, 0], gm[0, 1], gm[0, 2], gm[1, 0], gm[1, 1], gm[1, 2], gm[2, 0], gm[2, 1], gm[2, 2],
                             wo != 0.0, c1, sg[i2, 0], c01, sg[i2, 2], wo * wo, dots[i2, 0], 2.0 * w0 * wo, dots[i, 1],
                             2.0 * wo * f0, 2.0 * wo * f1, 2.0 * wo * f2, dots[i2, 2], dots[i2, 3], dots[i2, 4])
                continue
            _v_lin2(tw, c0, sg[i, 0], w0 * w0, dots[i, 0])
            for j in range(n_det):
                fj = det[o, j]
                _v_sub_smul(tw, 2.0 * w0 * fj, dots[i, 2 + j])
                for jj in range(n_det):
                    _v_add_smul(tw, fj * det[o, jj], gram[comp, j, jj])
            if wo != 0.0:
                _v_add_lin4(tw, c1, sg[i + 2, 0], c01, sg[i + 2, 2], wo * wo, dots[i + 2, 0], 2.0 * w0 * wo,
                            dots[i, 1])
                for j in range(n_det):
                    _v_sub_smul(tw, 2.0 * wo * det[o, j], dots[i + 2, 2 + j])
            _v_sqrt_pos(out_s[comp, o], tw, fixed)
    for q in range(nb):
        for s in range(n_stk):
            out_nres[s, q] = cnt[s, q]
            out_res[s, q] = math.sqrt(res2[s, q] / cnt[s, q]) if cnt[s, q] > 0 else np.nan
        out_chi2[q] = chi[q] / nval[q] if nval[q] > 0 else np.nan
        if not ok[q] and out_status[q] == STATUS_OK:
            out_status[q] = STATUS_SINGULAR
    return ok


@njit(parallel=True, cache=True, nogil=True)
def solve_pixels(ys, ws, obs_o, obs_s, obs_mode, mode_first, n_mode, mode_w, gh, gu, gn, tau, r, out_k, out_w, tau_o,
                 det, det_w, north_est, north_prior, north_prior_w, wq_inc, q_e, q_u, qg, gap_inc, g_vel, fun_o, fun_c,
                 fun_det, full, want_leak, todo, batch, out_d, out_s, out_vel, out_svel, out_fun, out_sfun, out_leak,
                 out_north, out_snorth, out_res, out_nres, out_chi2, out_status):
    """Solve every pixel listed in ``todo`` (indices into the last axis), in batches of ``batch``.

    Shapes: P pixels, O observations, S stacks, K knots, T output dates, G gaps, F functionals,
    M network modes, J deterministic terms per component.

    ys, ws : (O, P)
        Observation (mm) and weight ``1 / sigma^2`` (0 = not used).
    obs_o, obs_s : (O,)
        Output date and stack of each observation.
    obs_mode : (O, Mmax); mode_first, n_mode : (S,); mode_w : (M, P)
        Network drift modes: value of each of its stack's modes at the observation, first border
        column and number of modes of each stack, prior precision of every mode.
    gh, gu, gn : (S, P)
        Coefficients of the horizontal unknown, of up and of north in each stack's LOS.
    tau : (K,)
        Knots, years; ``r`` the knot of the reference date.
    out_k, out_w : (T,)
        Each output date lies at ``(1 - w) tau[k] + w tau[k + 1]``.
    tau_o : (T,)
        Output dates, years.
    det : (T, J); det_w : (J,)
        Deterministic terms of each component on the output dates (annual sine and cosine, acceleration,
        all 0 on the reference date) and the prior precision of their coefficients.
    north_est : int
        1 when the north velocity is estimated (with prior ``north_prior``, precision ``north_prior_w``).
    wq_inc : (K-2,)
        ``1 / m_k``, ``m_k`` the midpoint spacing of the two intervals of increment ``k`` (years).
    q_e, q_u : (P,); qg : (G, 2, P)
        Velocity random-walk densities (mm^2/yr^3) inside segments and across each gap.
    gap_inc : (K-2,)
        Gap of each increment, -1 inside segments.
    g_vel : (T,)
        Least-squares slope operator over the output dates.
    fun_o, fun_c : (F, J2); fun_det : bool
        Output dates and coefficients of linear functionals of the displacement; without ``fun_det``
        of its random-walk part only.
    full : bool
        False: solution and functionals only (no marginal variances, velocity, leakage).
    todo : (T,)
        Pixels to solve; the outputs of the others are left as given.
    batch : int
        Pixels per batch (:data:`BATCH`); a pixel's arithmetic does not depend on it.
    """
    n_todo = todo.size
    n_batch = (n_todo + batch - 1) // batch
    n_stk = gh.shape[0]
    n_out = tau_o.size
    n_fun = fun_o.shape[0]
    n_gap = qg.shape[0]
    n_md = mode_w.shape[0]
    for bi in prange(n_batch):
        t0 = bi * batch
        nb = min(n_todo, t0 + batch) - t0
        idx = todo[t0:t0 + nb]
        ys_b = np.empty((ys.shape[0], nb))
        ws_b = np.empty((ys.shape[0], nb))
        for i in range(ys.shape[0]):
            for q in range(nb):
                ys_b[i, q] = ys[i, idx[q]]
                ws_b[i, q] = ws[i, idx[q]]
        gh_b = np.empty((n_stk, nb))
        gu_b = np.empty((n_stk, nb))
        gn_b = np.empty((n_stk, nb))
        for s in range(n_stk):
            for q in range(nb):
                gh_b[s, q] = gh[s, idx[q]]
                gu_b[s, q] = gu[s, idx[q]]
                gn_b[s, q] = gn[s, idx[q]]
        mw_b = np.empty((n_md, nb))
        for m in range(n_md):
            for q in range(nb):
                mw_b[m, q] = mode_w[m, idx[q]]
        np_b = np.empty(nb)
        npw_b = np.empty(nb)
        qe_b = np.empty(nb)
        qu_b = np.empty(nb)
        qg_b = np.empty((n_gap, 2, nb))
        for q in range(nb):
            p = idx[q]
            np_b[q] = north_prior[p]
            npw_b[q] = north_prior_w[p]
            qe_b[q] = q_e[p]
            qu_b[q] = q_u[p]
            for g in range(n_gap):
                qg_b[g, 0, q] = qg[g, 0, p]
                qg_b[g, 1, q] = qg[g, 1, p]
        d_b = np.full((2, n_out, nb), np.nan)
        s_b = np.full((2, n_out, nb), np.nan)
        vel_b = np.full((2, nb), np.nan)
        svel_b = np.full((2, nb), np.nan)
        fun_b = np.full((n_fun, 2, nb), np.nan)
        sfun_b = np.full((n_fun, 2, nb), np.nan)
        leak_b = np.full((2, nb), np.nan)
        north_b = np.full(nb, np.nan)
        snorth_b = np.full(nb, np.nan)
        res_b = np.full((n_stk, nb), np.nan)
        nres_b = np.zeros((n_stk, nb), np.int32)
        chi_b = np.full(nb, np.nan)
        st_b = np.zeros(nb, np.uint8)
        solve_batch(nb, ys_b, ws_b, obs_o, obs_s, obs_mode, mode_first, n_mode, mw_b, gh_b, gu_b, gn_b, tau, r,
                    out_k, out_w, tau_o, det, det_w, north_est, np_b, npw_b, wq_inc, qe_b, qu_b, qg_b, gap_inc, g_vel,
                    fun_o, fun_c, fun_det, full, want_leak, d_b, s_b, vel_b, svel_b, fun_b, sfun_b, leak_b, north_b,
                    snorth_b, res_b, nres_b, chi_b, st_b)
        for comp in range(2):
            for o in range(n_out):
                for q in range(nb):
                    out_d[comp, o, idx[q]] = d_b[comp, o, q]
                for q in range(nb):
                    out_s[comp, o, idx[q]] = s_b[comp, o, q]
        for q in range(nb):
            p = idx[q]
            for comp in range(2):
                out_vel[comp, p] = vel_b[comp, q]
                out_svel[comp, p] = svel_b[comp, q]
                out_leak[comp, p] = leak_b[comp, q]
                for f in range(n_fun):
                    out_fun[f, comp, p] = fun_b[f, comp, q]
                    out_sfun[f, comp, p] = sfun_b[f, comp, q]
            out_north[p] = north_b[q]
            out_snorth[p] = snorth_b[q]
            for s in range(n_stk):
                out_res[s, p] = res_b[s, q]
                out_nres[s, p] = nres_b[s, q]
            out_chi2[p] = chi_b[q]
            if st_b[q] != STATUS_OK:
                out_status[p] = st_b[q]


@njit(cache=True)
def residual_pair_correlation(y, basis, pinv):
    """Mean over the pairs of pixels of the squared correlation of their residual series, and its degrees of freedom.

    ``y`` (N, P): series valid on every date; the residual of each is ``y - basis (pinv y)``. Returns
    ``(sum over pairs i < j of r_ij^2, number of pairs)``, ``r_ij`` the correlation of pixels ``i`` and ``j``'s
    residuals over the dates, summed in a fixed order."""
    n, p = y.shape
    c = basis.shape[1]
    r = np.empty((p, n))
    for j in range(p):
        for k in range(n):
            r[j, k] = y[k, j]
        for m in range(c):
            a = 0.0
            for k in range(n):
                a += pinv[m, k] * y[k, j]
            for k in range(n):
                r[j, k] -= basis[k, m] * a
        s = 0.0
        for k in range(n):
            s += r[j, k] * r[j, k]
        s = math.sqrt(s) if s > 0 else 1.0
        for k in range(n):
            r[j, k] /= s
    tot = 0.0
    for i in range(p):
        for j in range(i + 1, p):
            d = 0.0
            for k in range(n):
                d += r[i, k] * r[j, k]
            tot += d * d
    return tot, p * (p - 1) / 2.0
