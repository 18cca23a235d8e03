"""Displacement time series from a redundant network of offset-tracking pairs.

Each pair ``(i, j)`` (dates ``t_i < t_j``) observes the displacement accumulated between its
dates, ``y_ij = d(t_j) - d(t_i)``, for one or more components (east and north, or range and
azimuth), in metres. Per pixel the usable pairs (all components finite, weight > 0) form a
graph on the dates; each **connected component** of that graph is solved on its own, its
displacements referenced to its own first date (= 0): nothing links two components, so no
assumption (e.g. a constant velocity across the gap) is made to join them.

Two-step least squares (as in glacier velocity time series from Sentinel-1/2 offsets,
e.g. Altena et al. 2019 / Samsonov et al. 2021 style networks):

1. **Gross-error rejection**, per component, in two parts.

   a. **Robust fit**, only where more than half of the component's pairs are redundant
      (``f = pairs - unknowns > pairs / 2``): Huber's M-estimator (``c = 1.345``) by iteratively
      reweighted least squares from ordinary least squares, scale ``s = 1.4826 * median(|r|)``
      re-estimated each iteration (``|r_p|`` Euclidean over the components); pairs with
      ``|r_p| > k_mad * s`` and ``> min_reject`` are rejected. It removes several gross errors at once,
      where a one-at-a-time test is masked (each error inflates the scale the others are tested
      against). Not with less redundancy: a robust fit zeroes about one residual per unknown, so with
      ``f <= pairs / 2`` the MAD is (nearly) zero and good pairs were rejected (measured: 9 pairs over
      6 dates at 0.02 m noise, a quarter of the pixels lost good pairs; with one gross error on a
      noise-free network of 8 dates each paired with the next two, 3-4 pairs rejected and dates
      0.1-0.25 m off, unflagged).
   b. **Data snooping** (Baarda 1968), one pair at a time, with the weights of step 2: a weighted
      least-squares fit; for each pair its redundancy number ``q_i = 1/w_i - a_i^T (A^T W A)^-1 a_i``
      and its externally studentised statistic ``F_i = (|r_i|^2 / q_i / n_c) / s_(i)^2``, ``s_(i)^2``
      the variance of unit weight of the other pairs; for a good pair ``F_i`` follows
      ``F(n_c, n_c (f - 1))`` (Pope 1976; ``n_c`` components). The pair with the largest ``F_i`` is
      rejected when ``F_i`` exceeds the ``1 - alpha / m`` quantile (``m`` pairs tested, Bonferroni;
      ``alpha = erfc(k_mad / sqrt 2)``, 0.27 % for the default ``k_mad = 3``: the chance that a pixel of
      good pairs loses one) and ``|r_i| > min_reject``; the fit is repeated until no pair fails or
      ``f < 2`` (no scale without the tested pair). A pair with ``w_i q_i`` ~ 0 (a bridge) cannot be
      tested; its dates are flagged in step 3. An error on one of two pairs forming a cut of the graph
      (e.g. the only two pairs of the last date) is detected but not located (their ``F_i`` are
      equal): one of the two is rejected, the other becomes a bridge and its dates are flagged, so the
      result is right or flagged.
2. **Weighted least squares** on the remaining pairs, components recomputed. Weights: from a
   per-pair correlation ``rho`` when given, ``w = rho^2 / (1 - rho^2)``, the inverse of the
   variance of a correlation offset (Bamler & Eineder 2005: ``sigma ~ sqrt(1 - rho^2) / rho``),
   else equal weights. Per-date uncertainty: ``sigma_d = sqrt(diag(s0^2 (A^T W A)^-1))``,
   ``s0^2 = sum(w r^2) / (m - n)`` the a-posteriori variance of unit weight (NaN without
   redundancy, ``m = n``).
3. **Unchecked dates**: a pair whose removal would disconnect a date from its component's first date
   (a bridge of the pixel's graph of used pairs, after missing values and rejections) carries no
   redundancy: its residual is zero whatever its error, so a gross error on it can be neither detected
   nor rejected and shifts every date on its far side (a first date hanging on one pair shifts the
   whole rest of the component). Those dates keep their value but are flagged (``unchecked`` = 1);
   ``sigma`` does not show it. Bridges by Tarjan's low-link depth-first search on the pixel's graph,
   O(dates + pairs).

The mean velocity is the least-squares slope of the displacements of the component spanning
the longest time (m/yr).

References
----------
Baarda W. (1968) A testing procedure for use in geodetic networks. Netherlands Geodetic Commission,
Publications on Geodesy 2(5), Delft.
Pope A. J. (1976) The statistics of residuals and the detection of outliers. NOAA Technical Report NOS 65 NGS 1.
Bamler R., Eineder M. (2005) Accuracy of differential shift estimation by correlation and split-bandwidth
interferometry for wideband and Delta-k SAR systems. IEEE GRSL 2(2), 151-155. doi:10.1109/LGRS.2004.843203
Altena B., Scambos T., Fahnestock M., Kaab A. (2019) Extracting recent short-term glacier
velocity evolution over southern Alaska and the Yukon from a large collection of Landsat data.
The Cryosphere 13, 795-814. doi:10.5194/tc-13-795-2019
"""

from __future__ import annotations

import functools
import math
from typing import Optional, Sequence

import numpy as np

from .._numba import njit, run_ranges
from ..errors import GeohazardError, NetworkError


# --------------------------------------------------------------------------- graph helpers
@njit(cache=True)
def _find(parent, a):
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


@njit(cache=True)
def _labels(n_dates, pi, pj, use, labels):
    """Connected components of the dates linked by the used pairs; labels 1..n (0 = no pair)."""
    parent = np.arange(n_dates)
    seen = np.zeros(n_dates, np.bool_)
    for p in range(pi.size):
        if use[p]:
            seen[pi[p]] = True
            seen[pj[p]] = True
            a = _find(parent, pi[p])
            b = _find(parent, pj[p])
            if a != b:
                if a < b:
                    parent[b] = a
                else:
                    parent[a] = b
    nlab = 0
    root_lab = np.zeros(n_dates, np.int64)
    for d in range(n_dates):
        labels[d] = 0
        if seen[d]:
            r = _find(parent, d)
            if root_lab[r] == 0:
                nlab += 1
                root_lab[r] = nlab
            labels[d] = root_lab[r]
    return nlab


@njit(cache=True)
def _add_pair(N, b, a, c, wp, y, col):
    """Add one pair to the normal equations ``N x = b``: local dates ``a -> c`` (-1 = the component's first
    date, fixed at 0), weight ``wp``, observation ``y[:, col]`` (one column per displacement component)."""
    if a >= 0:
        N[a, a] += wp
    if c >= 0:
        N[c, c] += wp
    if a >= 0 and c >= 0:
        N[a, c] -= wp
        N[c, a] -= wp
    for k in range(y.shape[0]):
        if c >= 0:
            b[c, k] += wp * y[k, col]
        if a >= 0:
            b[a, k] -= wp * y[k, col]


@njit(cache=True)
def _solve_component(lab, labels, pi, pj, use, y, w, disp, var, want_var):
    """Weighted LSQ of one component; fills ``disp[c, d]`` (and ``var[d]``); returns residual norms.

    The normal matrix (the weighted Laplacian of the component's graph with its first date fixed) is
    symmetric positive definite: solved by Cholesky in place (a LAPACK call per pixel costs far more
    than the arithmetic at these sizes). A non-positive pivot (numerically disconnected) gives NaN.
    """
    n_comp = y.shape[0]
    n_dates = labels.size
    loc = np.full(n_dates, -1, np.int64)
    order = np.empty(n_dates, np.int64)
    n = 0
    for d in range(n_dates):  # dates sorted by time: the first one is the reference (d = 0)
        if labels[d] == lab:
            loc[d] = n - 1  # the first date gets -1: fixed
            order[n] = d
            n += 1
    m = 0
    res = np.full(pi.size, np.nan)
    nu = n - 1
    if nu < 1:
        return res, 0, 0
    N = np.zeros((nu, nu))
    b = np.zeros((nu, n_comp))
    bw = 0
    for p in range(pi.size):
        if not use[p] or labels[pi[p]] != lab:
            continue
        m += 1
        a = loc[pi[p]]
        c = loc[pj[p]]
        wp = w[p]
        if a >= 0 and c >= 0:
            bw = max(bw, abs(c - a))
        _add_pair(N, b, a, c, wp, y, p)
    ok = _cholesky(N, nu, bw)
    if ok:
        _chol_solve(N, b, nu, bw)
    for q in range(n):
        d = order[q]
        for k in range(n_comp):
            disp[k, d] = 0.0 if q == 0 else (b[q - 1, k] if ok else np.nan)
    for p in range(pi.size):
        if not use[p] or labels[pi[p]] != lab:
            continue
        s = 0.0
        for k in range(n_comp):
            r = y[k, p] - (disp[k, pj[p]] - disp[k, pi[p]])
            s += r * r
        res[p] = math.sqrt(s)
    if want_var:
        var[order[0]] = 0.0
        if ok:
            _chol_inv_diag(N, nu, var, order)
        else:
            for q in range(1, n):
                var[order[q]] = np.nan
    return res, m, nu


@njit(cache=True)
def _cholesky(a, n, bw):
    """Lower Cholesky factor of the SPD ``a[:n, :n]`` of half-bandwidth ``bw`` (``a[i, j] = 0`` for
    ``|i - j| > bw``; ``n - 1`` = dense) in its lower triangle, in place; False if not SPD. The factor
    keeps the band: a network of pairs between nearby dates costs ``n bw^2``, not ``n^3 / 6``."""
    for j in range(n):
        k0 = max(0, j - bw)
        s = a[j, j]
        for k in range(k0, j):
            s -= a[j, k] * a[j, k]
        if not s > 0.0:
            return False
        d = math.sqrt(s)
        a[j, j] = d
        for i in range(j + 1, min(n, j + bw + 1)):
            s = a[i, j]
            for k in range(max(k0, i - bw), j):
                s -= a[i, k] * a[j, k]
            a[i, j] = s / d
    return True


@njit(cache=True)
def _chol_solve(l, b, n, bw):
    """Solve ``L L^T x = b`` for every column of ``b`` (in place); ``l`` from :func:`_cholesky`."""
    for k in range(b.shape[1]):
        for i in range(n):
            s = b[i, k]
            for j in range(max(0, i - bw), i):
                s -= l[i, j] * b[j, k]
            b[i, k] = s / l[i, i]
        for i in range(n - 1, -1, -1):
            s = b[i, k]
            for j in range(i + 1, min(n, i + bw + 1)):
                s -= l[j, i] * b[j, k]
            b[i, k] = s / l[i, i]


@njit(cache=True)
def _chol_inv_diag(l, n, var, order):
    """Diagonal of ``(L L^T)^-1 = L^-T L^-1`` into ``var[order[r + 1]]``: entry ``r`` is the sum of squares
    of column ``r`` of ``L^-1`` (``L x = e_r``, zero above ``r``)."""
    col = np.empty(n)
    for r in range(n):
        tot = 0.0
        for i in range(r, n):
            s = 1.0 if i == r else 0.0
            for j in range(r, i):
                s -= l[i, j] * col[j]
            col[i] = s / l[i, i]
            tot += col[i] * col[i]
        var[order[r + 1]] = tot


@njit(cache=True)
def _unchecked_dates(n_dates, pi, pj, use, flags):
    """Dates whose displacement rests on a **bridge** of the used-pair graph: ``flags[d] = 1`` when some
    pair lies on every path from date ``d`` to the first date of its component (``d`` and that reference
    are in different 2-edge-connected classes), 0 when every link is redundant, left as is for dates
    without a used pair. Returns the number of flagged dates.

    A bridge has no redundancy: its residual is zero whatever its error, so a gross error on it cannot be
    detected and shifts every date on its far side. Bridges by Tarjan's low-link depth-first search
    (iterative, the pair index as the tree edge so parallel pairs are handled) rooted at the first date of
    each component; then, in pre-order, a date is flagged when a bridge lies on its tree path to the root
    (every path to the root crosses the same bridges): O(dates + pairs) per pixel.
    """
    n_pairs = pi.size
    ws = np.empty(7 * n_dates + 1 + 3 * n_pairs, np.int64)  # one allocation per pixel, cut into views
    start = ws[:n_dates + 1]
    fill = ws[n_dates + 1:2 * n_dates + 1]
    disc = ws[2 * n_dates + 1:3 * n_dates + 1]
    low = ws[3 * n_dates + 1:4 * n_dates + 1]
    it = ws[4 * n_dates + 1:5 * n_dates + 1]
    par_e = ws[5 * n_dates + 1:6 * n_dates + 1]
    stack = ws[6 * n_dates + 1:7 * n_dates + 1]
    adj = ws[7 * n_dates + 1:7 * n_dates + 1 + 2 * n_pairs]
    bridge = ws[7 * n_dates + 1 + 2 * n_pairs:]
    start[:] = 0
    for p in range(n_pairs):
        if use[p]:
            start[pi[p] + 1] += 1
            start[pj[p] + 1] += 1
    for d in range(n_dates):
        start[d + 1] += start[d]
    for d in range(n_dates):
        fill[d] = start[d]
        it[d] = start[d]
        disc[d] = -1
        par_e[d] = -1
    for p in range(n_pairs):
        bridge[p] = 0
        if use[p]:
            adj[fill[pi[p]]] = p
            fill[pi[p]] += 1
            adj[fill[pj[p]]] = p
            fill[pj[p]] += 1
    order = fill  # free again: the dates in discovery (pre-)order
    timer = 0
    for s0 in range(n_dates):
        if disc[s0] >= 0 or start[s0 + 1] == start[s0]:
            continue
        sp = 0
        stack[0] = s0
        disc[s0] = timer
        low[s0] = timer
        order[timer] = s0
        timer += 1
        while sp >= 0:
            v = stack[sp]
            if it[v] < start[v + 1]:
                e = adj[it[v]]
                it[v] += 1
                if e == par_e[v]:
                    continue
                u = pi[e] + pj[e] - v
                if disc[u] < 0:
                    par_e[u] = e
                    disc[u] = timer
                    low[u] = timer
                    order[timer] = u
                    timer += 1
                    sp += 1
                    stack[sp] = u
                elif disc[u] < low[v]:
                    low[v] = disc[u]
            else:
                sp -= 1
                if sp >= 0:
                    w = stack[sp]
                    if low[v] < low[w]:
                        low[w] = low[v]
                    if low[v] > disc[w]:
                        bridge[par_e[v]] = 1
    count = 0
    for k in range(timer):  # pre-order: a date is flagged when its tree edge is a bridge or its parent is flagged
        v = order[k]
        e = par_e[v]
        if e < 0:
            flags[v] = 0  # a root: the first date of its component (roots are taken in date order)
        else:
            flags[v] = 1 if bridge[e] != 0 or flags[pi[e] + pj[e] - v] == 1 else 0
            count += flags[v]
    return count


#: Huber's tuning constant (95 % efficiency on Gaussian residuals) and IRLS iterations of step 1.
HUBER_C = 1.345
N_IRLS = 10


@njit(cache=True)
def _component_pairs(lab, labels, pi, pj, use):
    """The pairs in use of component ``lab``, gathered once: their indices, the local indices of both dates
    (-1 = the component's first date, fixed at 0) and the band width of the normal matrix. Returns
    ``(nu, idx, la, lc, bw)``, ``nu`` = the component's dates - 1 (its unknowns)."""
    n_dates = labels.size
    loc = np.full(n_dates, -1, np.int64)
    n = 0
    for d in range(n_dates):
        if labels[d] == lab:
            loc[d] = n - 1
            n += 1
    m = 0
    for p in range(pi.size):
        if use[p] and labels[pi[p]] == lab:
            m += 1
    idx = np.empty(m, np.int64)
    la = np.empty(m, np.int64)
    lc = np.empty(m, np.int64)
    q = 0
    bw = 0
    for p in range(pi.size):
        if use[p] and labels[pi[p]] == lab:
            idx[q] = p
            la[q] = loc[pi[p]]
            lc[q] = loc[pj[p]]
            if la[q] >= 0:
                bw = max(bw, lc[q] - la[q])
            q += 1
    return n - 1, idx, la, lc, bw


@njit(cache=True)
def _robust_reject(lab, labels, pi, pj, use, y, n_irls, k_mad, floor):
    """Step 1a on component ``lab`` (only when more than half of its pairs are redundant): Huber IRLS (scale
    1.4826 x median residual, re-estimated each iteration), then pairs with residual > ``k_mad`` x scale and
    > ``floor`` set unused. Returns their count.

    Works on the component's pairs gathered once (local date indices, the first date fixed), so each
    iteration costs the normal matrix, a Cholesky solve and the residuals of those pairs only.
    """
    n_comp = y.shape[0]
    nu, idx, la, lc, bw = _component_pairs(lab, labels, pi, pj, use)
    m = idx.size
    if nu < 1 or 2 * (m - nu) <= m:
        return 0  # a robust fit zeroes about one residual per unknown: with half of them zero the MAD is 0
    yc = y[:, idx]  # the component's pairs, gathered (a copy)
    wr = np.ones(m)
    res = np.empty(m)
    N = np.empty((nu, nu))
    b = np.empty((nu, n_comp))
    x = np.empty(n_comp)
    sc = 0.0
    for _ in range(n_irls):
        N[:] = 0.0
        b[:] = 0.0
        for q in range(m):
            _add_pair(N, b, la[q], lc[q], wr[q], yc, q)
        if not _cholesky(N, nu, bw):
            return 0
        _chol_solve(N, b, nu, bw)
        for q in range(m):
            a = la[q]
            c = lc[q]
            s = 0.0
            for k in range(n_comp):
                x[k] = yc[k, q] - ((b[c, k] if c >= 0 else 0.0) - (b[a, k] if a >= 0 else 0.0))
                s += x[k] * x[k]
            res[q] = math.sqrt(s)
        sc = 1.4826 * np.median(res)
        if not sc > floor:
            break
        for q in range(m):
            r = res[q]
            wr[q] = 1.0 if r <= HUBER_C * sc else HUBER_C * sc / r
    n_rej = 0
    for q in range(m):
        r = res[q]
        if r > k_mad * sc and r > floor:
            use[idx[q]] = False
            n_rej += 1
    return n_rej


@njit(cache=True)
def _band_inverse(l, n, bw, z):
    """Entries ``|i - j| <= bw`` of ``(L L^T)^-1`` into the lower triangle of ``z`` (Takahashi et al. 1973):
    from ``Z L = L^-T``, ``Z[j, i] = (delta_ij / L[i, i] - sum_{k = i+1}^{i+bw} Z[j, k] L[k, i]) / L[i, i]``
    for ``i`` from the last row up and ``j = i + bw .. i``: O(n bw^2), every term inside the band."""
    for i in range(n - 1, -1, -1):
        k1 = min(n - 1, i + bw)
        for j in range(k1, i - 1, -1):
            s = 1.0 / l[i, i] if j == i else 0.0
            for k in range(i + 1, k1 + 1):
                s -= (z[j, k] if j >= k else z[k, j]) * l[k, i]
            z[j, i] = s / l[i, i]


#: Relative redundancy number ``w_i q_rr,ii`` below which a pair is untestable (a bridge has exactly 0).
MIN_REDUNDANCY = 1e-9


@njit(cache=True)
def _snoop_reject(lab, labels, pi, pj, use, y, w, crit, floor):
    """Step 1 on component ``lab``: data snooping, one pair at a time. Weighted LSQ of the component's used
    pairs; each pair's redundancy number ``q_i = 1/w_i - a_i^T (A^T W A)^-1 a_i`` (from the banded
    band of ``(A^T W A)^-1``, :func:`_band_inverse`) and its externally studentised statistic
    ``F_i = (|r_i|^2 / q_i / n_c) / s_(i)^2``, ``s_(i)^2 = (sum w r^2 - |r_i|^2 / q_i) / (n_c (f - 1))`` the
    variance of unit weight without pair ``i`` (``f`` = pairs - unknowns, ``n_c`` components); ``F_i`` follows
    ``F(n_c, n_c (f - 1))`` for a good pair. The largest ``F_i`` among pairs with ``w_i q_i`` above
    :data:`MIN_REDUNDANCY` and ``|r_i| > floor`` is compared with ``crit[m, f]``; above it the pair is set
    unused and the fit repeated, else the loop ends (also when ``f < 2``: no scale without the pair).
    Returns the number of pairs rejected.
    """
    n_comp = y.shape[0]
    nu, idx, la, lc, bw = _component_pairs(lab, labels, pi, pj, use)
    m = idx.size
    if nu < 1 or m - nu < 2:
        return 0  # f < 2: nothing can be tested
    act = np.ones(m, np.bool_)
    res2 = np.empty(m)
    N = np.empty((nu, nu))
    b = np.empty((nu, n_comp))
    Z = np.zeros((nu, nu))
    n_act = m
    n_rej = 0
    while n_act - nu >= 2:
        f = n_act - nu
        N[:] = 0.0
        b[:] = 0.0
        for q in range(m):
            if not act[q]:
                continue
            p = idx[q]
            _add_pair(N, b, la[q], lc[q], w[p], y, p)
        if not _cholesky(N, nu, bw):
            return n_rej
        _chol_solve(N, b, nu, bw)
        _band_inverse(N, nu, bw, Z)
        wrss = 0.0
        for q in range(m):
            if not act[q]:
                continue
            a = la[q]
            c = lc[q]
            p = idx[q]
            s = 0.0
            for k in range(n_comp):
                r = y[k, p] - ((b[c, k] if c >= 0 else 0.0) - (b[a, k] if a >= 0 else 0.0))
                s += r * r
            res2[q] = s
            wrss += w[p] * s
        best = -1
        fbest = 0.0
        for q in range(m):
            if not act[q] or not math.sqrt(res2[q]) > floor:
                continue
            a = la[q]
            c = lc[q]
            p = idx[q]
            h = (Z[c, c] if c >= 0 else 0.0) + (Z[a, a] - 2.0 * Z[c, a] if a >= 0 else 0.0)  # a^T N^-1 a
            qrr = 1.0 / w[p] - h
            if not w[p] * qrr > MIN_REDUNDANCY:
                continue  # (nearly) a bridge: untestable, its dates are flagged unchecked
            t2 = res2[q] / qrr
            rest = wrss - t2
            if rest > 1e-12 * wrss:
                fq = (t2 / n_comp) / (rest / (n_comp * (f - 1)))
            else:
                fq = np.inf
            if fq > fbest:
                fbest = fq
                best = q
        if best < 0 or not fbest > crit[n_act, f]:
            break
        act[best] = False
        use[idx[best]] = False
        n_act -= 1
        n_rej += 1
    return n_rej


@njit(cache=True)
def _network_kernel(lo, hi, obs, wts, pi, pj, t, k_mad, crit, min_reject, n_irls, disp, sigma, labels_out, vel,
                    stats, unchecked):
    """The pixels ``lo .. hi`` of the network solve, each written by its own iteration only: run over ranges on the
    run's threads (:func:`~algorithms._numba.run_ranges`), serial and ``nogil``, the same bytes for any split. As a
    parallel kernel it compiled its call tree twice more (the loop's body outlined and the kernel): 31 of the
    family's 48 CPU-s from an empty cache."""
    n_comp, n_pairs, n_pix = obs.shape
    n_dates = t.size
    for px in range(lo, hi):
        use = np.zeros(n_pairs, np.bool_)
        y = np.empty((n_comp, n_pairs))
        w = np.ones(n_pairs)
        for p in range(n_pairs):
            ok = wts[p, px] > 0.0
            for k in range(n_comp):
                v = obs[k, p, px]
                y[k, p] = v
                if v != v:
                    ok = False
            use[p] = ok
            w[p] = wts[p, px] if ok else 0.0
        labels = np.zeros(n_dates, np.int64)
        d_loc = np.full((n_comp, n_dates), np.nan)
        var = np.full(n_dates, np.nan)
        n_rej = 0
        # step 1: data snooping per component, gross errors out one at a time
        ymax = 0.0
        for p in range(n_pairs):
            if use[p]:
                for k in range(n_comp):
                    ymax = max(ymax, abs(y[k, p]))
        floor = max(min_reject, 1e-9 * ymax)  # noise-free data: residuals are rounding, never gross errors
        nlab = _labels(n_dates, pi, pj, use, labels)
        for lab in range(1, nlab + 1):  # 1a: several gross errors mask each other in a one-at-a-time test
            n_rej += _robust_reject(lab, labels, pi, pj, use, y, n_irls, k_mad, floor)
        nlab = _labels(n_dates, pi, pj, use, labels)
        for lab in range(1, nlab + 1):  # 1b
            n_rej += _snoop_reject(lab, labels, pi, pj, use, y, w, crit, floor)
        # step 2: weighted LSQ on what is left
        nlab = _labels(n_dates, pi, pj, use, labels)
        d_loc[:] = np.nan
        best_span = -1.0
        best_lab = 0
        n_used = 0
        for lab in range(1, nlab + 1):
            res, m, nu = _solve_component(lab, labels, pi, pj, use, y, w, d_loc, var, True)
            n_used += m
            wrss = 0.0
            for p in range(n_pairs):
                if res[p] == res[p]:
                    wrss += w[p] * res[p] * res[p]
            s02 = wrss / (m - nu) if m > nu else np.nan
            t0 = 1e300
            t1 = -1e300
            for d in range(n_dates):
                if labels[d] == lab:
                    for k in range(n_comp):
                        sigma[k, d, px] = math.sqrt(s02 * var[d]) if s02 == s02 else np.nan
                    t0 = min(t0, t[d])
                    t1 = max(t1, t[d])
            if t1 - t0 > best_span:
                best_span = t1 - t0
                best_lab = lab
        flags = np.full(n_dates, -1, np.int64)
        n_unchecked = _unchecked_dates(n_dates, pi, pj, use, flags)
        for d in range(n_dates):
            labels_out[d, px] = labels[d]
            unchecked[d, px] = flags[d]
            for k in range(n_comp):
                disp[k, d, px] = d_loc[k, d]
        # mean velocity: LSQ slope over the longest component
        for k in range(n_comp):
            st = 0.0
            sy = 0.0
            cnt = 0
            for d in range(n_dates):
                if best_lab > 0 and labels[d] == best_lab:
                    st += t[d]
                    sy += d_loc[k, d]
                    cnt += 1
            if cnt >= 2:
                mt = st / cnt
                my = sy / cnt
                num = 0.0
                den = 0.0
                for d in range(n_dates):
                    if labels[d] == best_lab:
                        num += (t[d] - mt) * (d_loc[k, d] - my)
                        den += (t[d] - mt) * (t[d] - mt)
                vel[k, px] = num / den if den > 0 else np.nan
            else:
                vel[k, px] = np.nan
        stats[0, px] = nlab
        stats[1, px] = n_used
        stats[2, px] = n_rej
        stats[3, px] = n_unchecked


# --------------------------------------------------------------------------- public API
@functools.lru_cache(maxsize=32)
def snooping_critical_values(n_pairs: int, n_comp: int, k: float) -> np.ndarray:
    """Critical values ``crit[m, f]`` of step 1 for ``m`` pairs and redundancy ``f`` (``2 <= f <= m``, else
    inf): the ``1 - alpha / m`` quantile of ``F(n_comp, n_comp (f - 1))``, ``alpha = erfc(k / sqrt 2)`` the
    two-sided normal tail beyond ``k`` standard deviations (``k = 3``: 0.27 %) split over the ``m`` pairs
    tested (Bonferroni), so a network of good pairs loses one with probability about ``alpha``."""
    from scipy import stats  # imported here: loading the provider must not import scipy.stats

    alpha = math.erfc(k / math.sqrt(2.0))
    crit = np.full((n_pairs + 1, n_pairs + 1), np.inf)
    if alpha <= 0.0 or n_pairs < 2:
        crit.setflags(write=False)  # read-only as below: numba types a read-only array apart (one compile)
        return crit
    mm, ff = np.meshgrid(np.arange(n_pairs + 1), np.arange(n_pairs + 1), indexing="ij")
    ok = (ff >= 2) & (ff <= mm)
    crit[ok] = stats.f.isf(alpha / mm[ok], n_comp, n_comp * (ff[ok] - 1))
    crit[~np.isfinite(crit)] = np.inf
    crit.setflags(write=False)
    return crit


def pair_indices(pairs: Sequence[tuple], dates: Optional[Sequence] = None):
    """Sorted unique dates and ``(i, j)`` index arrays of ``pairs`` (``(date1, date2)``, any order of the two)."""
    if len(pairs) == 0:
        raise NetworkError("no offset pairs were given")
    all_dates = sorted(set(d for p in pairs for d in p)) if dates is None else list(dates)
    index = {d: k for k, d in enumerate(all_dates)}
    pi = np.empty(len(pairs), np.int64)
    pj = np.empty(len(pairs), np.int64)
    for k, (a, b) in enumerate(pairs):
        if a == b:
            raise NetworkError(f"pair {k + 1} ({a} - {b}) has the same date twice")
        if a > b:
            raise NetworkError(f"pair {k + 1} ({a} - {b}): the first date must be the earlier one")
        pi[k], pj[k] = index[a], index[b]
    return all_dates, pi, pj


def correlation_weights(rho: np.ndarray) -> np.ndarray:
    """Inverse-variance weights of correlation offsets, ``rho^2 / (1 - rho^2)`` (Bamler & Eineder 2005).

    ``rho`` is clipped to ``[0.05, 0.99]``; NaN gives weight 0 (pair unused there).
    """
    r = np.clip(np.asarray(rho, dtype=np.float64), 0.05, 0.99)
    w = r * r / (1.0 - r * r)
    return np.where(np.isfinite(r), w, 0.0)


def network_components(n_dates: int, pi: np.ndarray, pj: np.ndarray) -> list:
    """Connected components of the full pair network: a list of date-index lists (sorted by first date)."""
    labels = np.zeros(int(n_dates), np.int64)
    nlab = _labels(int(n_dates), np.asarray(pi, np.int64), np.asarray(pj, np.int64),
                   np.ones(len(pi), np.bool_), labels)
    return [list(np.nonzero(labels == k)[0]) for k in range(1, nlab + 1)]


def offset_time_series(obs: np.ndarray, pi: np.ndarray, pj: np.ndarray, t_years: np.ndarray, *,
                       weights: Optional[np.ndarray] = None, k_mad: float = 3.0,
                       min_reject: float = 0.0) -> dict:
    """Two-step least-squares time series of offset pairs, per pixel and connected component.

    Parameters
    ----------
    obs : ndarray (n_components, n_pairs, n_pixels)
        Pair displacements (m), NaN = missing; e.g. east and north offsets.
    pi, pj : ndarray of int (n_pairs,)
        Indices of each pair's first and second date in ``t_years`` (``t[pi] < t[pj]``).
    t_years : ndarray (n_dates,)
        Dates as decimal years, increasing.
    weights : ndarray (n_pairs, n_pixels), optional
        Relative weights of the second step (e.g. :func:`correlation_weights`); 0 or NaN = unused.
    k_mad : float
        Rejection threshold of step 1 in standard deviations: false-alarm rate ``erfc(k_mad / sqrt 2)`` per
        pixel component, shared over its pairs (see :func:`snooping_critical_values`).
    min_reject : float
        Residuals at or below this (m) are never rejected.

    Returns
    -------
    dict
        ``displacement`` (n_components, n_dates, n_pixels; 0 at each component's first date,
        NaN where the date has no usable pair), ``sigma`` (same shape), ``labels``
        (n_dates, n_pixels; connected component of each date, 0 = unobserved), ``velocity``
        (n_components, n_pixels; m/yr), ``n_networks``, ``n_used``, ``n_rejected`` (n_pixels),
        ``unchecked`` (n_dates, n_pixels, int8: 1 = the date's displacement rests on a bridge pair, a
        gross error on it could not be detected; 0 = every link to the component's first date is
        redundant; -1 = unobserved) and ``n_unchecked`` (n_pixels; dates flagged 1).
    """
    y = np.ascontiguousarray(obs, dtype=np.float64)
    if y.ndim != 3:
        raise GeohazardError(f"obs must be (n_components, n_pairs, n_pixels), got shape {y.shape}")
    n_comp, n_pairs, n_pix = y.shape
    pi = np.ascontiguousarray(pi, dtype=np.int64)
    pj = np.ascontiguousarray(pj, dtype=np.int64)
    t = np.ascontiguousarray(t_years, dtype=np.float64)
    if pi.shape != (n_pairs,) or pj.shape != (n_pairs,):
        raise GeohazardError(f"pi and pj must have {n_pairs} entries (one per pair), got {pi.shape} and {pj.shape}")
    if np.any(np.diff(t) <= 0):
        raise GeohazardError("t_years must be strictly increasing (one entry per date)")
    if np.any(pi < 0) or np.any(pj >= t.size) or np.any(t[pi] >= t[pj]):
        raise GeohazardError("every pair must go from an earlier to a later date of t_years")
    if not k_mad > 0:
        raise GeohazardError(f"k_mad must be > 0, got {k_mad!r}")
    if weights is None:
        wts = np.ones((n_pairs, n_pix))
    else:
        wts = np.ascontiguousarray(np.nan_to_num(np.asarray(weights, dtype=np.float64), nan=0.0))
        if wts.shape != (n_pairs, n_pix):
            raise GeohazardError(f"weights must have shape {(n_pairs, n_pix)}, got {wts.shape}")
    n_dates = t.size
    disp = np.full((n_comp, n_dates, n_pix), np.nan)
    sigma = np.full((n_comp, n_dates, n_pix), np.nan)
    labels = np.zeros((n_dates, n_pix), np.int64)
    vel = np.full((n_comp, n_pix), np.nan)
    stats = np.zeros((4, n_pix), np.int64)
    unchecked = np.full((n_dates, n_pix), -1, np.int8)
    crit = snooping_critical_values(n_pairs, n_comp, float(k_mad))
    args = (y, wts, pi, pj, t, float(k_mad), crit, float(min_reject), N_IRLS, disp, sigma, labels, vel, stats,
            unchecked)
    run_ranges(_network_kernel, n_pix, *args, python_threads=False)
    return {"displacement": disp, "sigma": sigma, "labels": labels, "velocity": vel,
            "n_networks": stats[0], "n_used": stats[1], "n_rejected": stats[2],
            "unchecked": unchecked, "n_unchecked": stats[3]}


def offset_ts_bytes_per_pixel(n_pairs: int, n_components: int, n_dates: int) -> float:
    """Bytes per pixel :func:`offset_ts_block` holds: the float64 offsets of every pair and component with their
    weights and signs (``n_pairs * (n_components + 2)``), the series, their sigma and the solver's work per date and
    component (``4 * n_dates * n_components``), the labels per date and a few per-pixel maps (8)."""
    return 8.0 * (n_pairs * (n_components + 2) + 4 * n_dates * n_components + n_dates + 8)


def offset_ts_block(block, inputs, *, pi, pj, t_years, k_mad=3.0, min_reject=0.0, use_weights=False) -> dict:
    """Block function of the engine: ``inputs["c0"], ["c1"], ...`` are ``(n_pairs, rows, cols)`` stacks of
    each component, ``inputs["rho"]`` the optional correlation stack. Returns the rows of the block's core."""
    comps = sorted(k for k in inputs if k.startswith("c") and k[1:].isdigit())
    core = block.core
    stack = np.stack([np.asarray(inputs[k], dtype=np.float64)[:, core, :] for k in comps])
    n_comp, n_pairs, rows, cols = stack.shape
    obs = stack.reshape(n_comp, n_pairs, rows * cols)
    w = None
    if use_weights:
        w = correlation_weights(np.asarray(inputs["rho"], dtype=np.float64)[:, core, :].reshape(n_pairs, -1))
    r = offset_time_series(obs, pi, pj, t_years, weights=w, k_mad=k_mad, min_reject=min_reject)
    n_dates = len(t_years)
    return {"displacement": r["displacement"].reshape(n_comp * n_dates, rows, cols).astype(np.float32),
            "sigma": r["sigma"].reshape(n_comp * n_dates, rows, cols).astype(np.float32),
            "labels": r["labels"].reshape(n_dates, rows, cols).astype(np.int16),
            "unchecked": r["unchecked"].reshape(n_dates, rows, cols).astype(np.int16),
            "velocity": r["velocity"].reshape(n_comp, rows, cols).astype(np.float32),
            "stats": np.stack([r["n_networks"], r["n_used"], r["n_rejected"]]).reshape(3, rows, cols)
            .astype(np.float32)}


__all__ = ["offset_time_series", "offset_ts_block", "pair_indices", "correlation_weights", "network_components",
           "snooping_critical_values"]
