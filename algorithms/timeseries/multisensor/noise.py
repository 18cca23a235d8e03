"""Kernels of the noise and density statistics: each pixel's series statistics, the network residuals, the
observations' weights and their refinement, the residuals' pair correlation (numba, batches of pixels).
"""

from __future__ import annotations

import math

import numpy as np

from ..._numba import njit, prange, run_ranges
from .lanes import (
    _v_add_smul,
    _v_and_finite,
    _v_closure,
    _v_count_valid,
    _v_fill,
    _v_lag1,
    _v_order,
    _v_residual_of,
    _v_weights,
)
from .model import BATCH


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
    _pixel_noise(p, np.median(z[:n - 2]), ks / (n - 2), coef, kl_cols, g_irw, h_noise, d_net, d_lag1, sigma_net,
                 sigma, q, coef_out)


@njit(cache=True, inline="always")
def _pixel_noise(p, median_abs, lag1_factor, coef, kl_cols, g_irw, h_noise, d_net, d_lag1, sigma_net, sigma, q,
                 coef_out):
    """``sigma[p]``, ``q[p]`` and ``coef_out[:, p]`` of pixel ``p`` from the median of its absolute lag-one
    residuals, their variance factor (``ks / (n - 2)``) and its fitted coefficients ``coef``."""
    mad = 1.482602218505602 * median_abs
    sn2 = sigma_net[p] * sigma_net[p]
    s2 = max(mad * mad - sn2 * d_lag1, 0.0) / lag1_factor
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


@njit(cache=True, nogil=True)
def _series_statistics_chunks(c0, c1, t_years, basis, pinv, kl_cols, g_irw, h_noise, d_net, d_lag1, y, min_count,
                               sigma_net, sigma, q, coef_out):
    """Chunks ``c0 .. c1`` (of :data:`BATCH` pixels) of :func:`series_statistics`."""
    n_t, n_pix = y.shape
    nc = basis.shape[1]
    for ci in range(c0, c1):
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
            _pixel_noise(p, med[qq], ks / (n_t - 2), coef[:, qq], kl_cols, g_irw, h_noise, d_net, d_lag1, sigma_net,
                         sigma, q, coef_out)


def series_statistics(t_years, basis, pinv, kl_cols, g_irw, h_noise, d_net, d_lag1, y, min_count, sigma_net, sigma, q,
                      coef_out):
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
    run_ranges(_series_statistics_chunks, (y.shape[1] + BATCH - 1) // BATCH, t_years, basis, pinv, kl_cols, g_irw,
               h_noise, d_net, d_lag1, y, min_count, sigma_net, sigma, q, coef_out)



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
