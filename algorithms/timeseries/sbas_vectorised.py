"""SBAS with numpy over many pixels at once: the arithmetic of :mod:`.sbas`'s kernels, the pixels on an array axis.

The numpy path of a run whose kernels are not compiled (a small first run, or no numba): the same bytes as
:func:`.sbas.wls_kernel`, :func:`.sbas.wls_variance_kernel`, :func:`.sbas._solve_shared_factor`,
:func:`.sbas._group_temporal_coherence` and :func:`.sbas._velocity_kernel`, at numpy's speed instead of plain
Python's. Each scalar step of a kernel's pixel is one numpy operation over every pixel of a tile: the same IEEE
operations on each element in the same order (``y -= a * x`` is a product rounded then a difference, never fused;
the sums run over the interferograms or dates in order). The kernels' batch functions already hold each pixel's
arithmetic in vectorised loops; these functions are those loops with the batch made as wide as a tile. Where pixels
part (a Cholesky pivot that is not positive: a disconnected network), each pixel keeps a flag, and those pixels get
the minimum-norm velocity solution one by one from the kernels' own per-pixel functions run as Python (few pixels).
The temporal coherence's ``exp(i r)`` is :func:`.sbas._sincos`'s polynomial element by element, no libm call.

Arrays hold the pixel last: ``(M, P)`` interferograms, ``(N, P)`` dates, the lower envelope of the normal matrix
``(entries, P)`` stored row after row as in :func:`.sbas.wls_variance_kernel`.
"""

from __future__ import annotations

import numpy as np

#: target pixels per tile (fewer with many dates or interferograms: a tile's arrays stay ~8 MB each)
CHUNK_PIXELS = 8192


def _tiles(n_pix: int, rows: int):
    step = max(1, min(CHUNK_PIXELS, 2**20 // max(1, rows)))
    for p0 in range(0, n_pix, step):
        yield p0, min(n_pix, p0 + step)


def sincos(x: np.ndarray) -> tuple:
    """:func:`.sbas._sincos` element by element: ``(cos x, sin x)``, the same bits (finite ``x``)."""
    k = np.floor(x * 0.15915494309189535 + 0.5)
    y = ((x - k * 6.283185307179586) - k * 2.4492935982947064e-16) * 0.125
    y2 = y * y
    c = 1.0 + y2 * (-0.5 + y2 * (4.1666666666666664e-02 + y2 * (-1.3888888888888889e-03 + y2 * (
        2.4801587301587302e-05 + y2 * (-2.7557319223985893e-07 + y2 * (2.0876756987868100e-09 + y2 * (
            -1.1470745597729725e-11)))))))
    s = y * (1.0 + y2 * (-1.6666666666666666e-01 + y2 * (8.3333333333333332e-03 + y2 * (
        -1.9841269841269841e-04 + y2 * (2.7557319223985893e-06 + y2 * (-2.5052108385441720e-08 + y2 * (
            1.6059043836821613e-10 + y2 * (-7.6471637318198164e-13))))))))
    for _ in range(3):
        c, s = c * c - s * s, 2.0 * s * c
    return c, s


def velocity_arrays(y, tc, sxx, vel, std) -> None:
    """:func:`.sbas._velocity_kernel`: slope and its standard error per column of ``y`` (N, P) into ``vel``,
    ``std`` where all N values are finite (left as they are elsewhere)."""
    n, n_pix = y.shape
    ok = np.ones(n_pix, bool)
    sy = np.zeros(n_pix)
    sty = np.zeros(n_pix)
    with np.errstate(invalid="ignore", over="ignore"):
        for j in range(n):
            v = y[j]
            ok &= v - v == 0.0
            sy += v
            sty += tc[j] * v
        b = sty / sxx
        ybar = sy / n
        vel[ok] = b[ok]
        if n > 2:
            rss = np.zeros(n_pix)
            for j in range(n):
                r = y[j] - ybar - tc[j] * b
                rss += r * r
            std[ok] = np.sqrt(rss[ok] / (n - 2) / sxx)


def solve_shared_factor(d, rows, pix, fac, first, ref, sec, mm_to_rad, ts, tcoh) -> None:
    """:func:`.sbas._solve_shared_factor`: the pixels ``pix`` sharing the valid interferograms ``rows`` and the
    envelope Cholesky factor ``fac`` of ``A^T A``; time series into ``ts`` (N, P), temporal coherence into ``tcoh``."""
    n = fac.shape[0]
    nr = rows.size
    rref = ref[rows]
    rsec = sec[rows]
    for p0, p1 in _tiles(pix.size, nr + n):
        p = pix[p0:p1]
        dl = d[np.ix_(rows, p)]
        x = np.zeros((n + 1, p.size))  # x[0] = 0: the first date; x[1:] holds A^T d, then the solution
        for k in range(nr):
            x[rsec[k]] += dl[k]
            if rref[k] >= 1:
                x[rref[k]] -= dl[k]
        for i in range(n):  # forward substitution L y = A^T d
            for k in range(first[i], i):
                x[i + 1] -= fac[i, k] * x[k + 1]
            x[i + 1] /= fac[i, i]
        for i in range(n - 1, -1, -1):  # back substitution L^T x = y
            x[i + 1] /= fac[i, i]
            for k in range(first[i], i):
                x[k + 1] -= fac[i, k] * x[i + 1]
        ts[:, p] = x
        sc = np.zeros(p.size)
        ss = np.zeros(p.size)
        for k in range(nr):
            ce, se = sincos((dl[k] - (x[rsec[k]] - x[rref[k]])) * mm_to_rad)
            sc += ce
            ss += se
        tcoh[p] = np.sqrt(sc * sc + ss * ss) / nr


def group_temporal_coherence(d, x, ref, sec, rows, pix, mm_to_rad, out) -> None:
    """:func:`.sbas._group_temporal_coherence`: temporal coherence of the pixels ``pix`` sharing the used
    interferograms ``rows``, ``x`` (N-1, len(pix)) their solution (first date 0)."""
    nr = rows.size
    zero = np.zeros(pix.size)
    sc = np.zeros(pix.size)
    ss = np.zeros(pix.size)
    for i in rows:
        a, b = ref[i], sec[i]
        xb = x[b - 1] if b > 0 else zero
        xa = x[a - 1] if a > 0 else zero
        ce, se = sincos((d[i, pix] - (xb - xa)) * mm_to_rad)
        sc += ce
        ss += se
    out[pix] = np.sqrt(sc * sc + ss * ss) / nr


def _envelope(ref, sec, n: int) -> tuple:
    """:func:`.sbas.envelope` (the first possibly non-zero column of each row of the phase normal matrix) and where
    each row of the lower envelope starts in the row-after-row storage."""
    first = np.arange(n)
    for a, b in zip(ref, sec):
        if a >= 1 and a - 1 < first[b - 1]:
            first[b - 1] = a - 1
    start = np.zeros(n + 1, np.int64)  # row i of the envelope: entries start[i] .. start[i + 1] - 1
    for i in range(n):
        start[i + 1] = start[i] + i - first[i] + 1
    return first, start


def min_norm_velocity(db, wb, dt, ref, sec, rcond) -> np.ndarray:
    """:func:`.sbas._build_normal` then :func:`.sbas._min_norm_velocity` for the pixels of ``db``, ``wb`` (M, K)
    (values and weights, 0 where not used): the minimum-norm velocity solution ``x`` (N-1, K) of each pixel.

    The normal matrices, their suffix sums and symmetrisation over all pixels at once; the eigen-decomposition
    (LAPACK's, as numba's ``np.linalg.eigh``) and the projections pixel by pixel, in the kernel's order."""
    m, k = db.shape
    n = dt.size
    lap = np.zeros((n, n, k))
    r = np.zeros((n, k))
    for i in range(m):
        a = ref[i] - 1
        b = sec[i] - 1
        lap[b, b] += wb[i]
        r[b] += wb[i] * db[i]
        if a >= 0:
            lap[a, a] += wb[i]
            lap[a, b] -= wb[i]
            lap[b, a] -= wb[i]
            r[a] -= wb[i] * db[i]
    lt = np.empty((n, n, k))
    s = np.zeros((n, k))
    for c in range(n - 1, -1, -1):
        s += lap[:, c]
        lt[:, c] = s * dt[c]
    nv = np.empty((n, n, k))
    s = np.zeros((n, k))
    for c in range(n - 1, -1, -1):
        s += lt[c]
        nv[c] = s * dt[c]
    rv = np.empty((n, k))
    s = np.zeros(k)
    for c in range(n - 1, -1, -1):
        s += r[c]
        rv[c] = s * dt[c]
    for i in range(n):  # symmetrise round-off
        for j in range(i + 1, n):
            mean = 0.5 * (nv[i, j] + nv[j, i])
            nv[i, j] = mean
            nv[j, i] = mean
    x = np.empty((n, k))
    for p in range(k):
        lam, vec = np.linalg.eigh(np.ascontiguousarray(nv[:, :, p]))
        lam, vec, rvp = lam.tolist(), vec.tolist(), rv[:, p].tolist()
        cut = rcond * rcond * lam[n - 1]
        v = [0.0] * n
        for q in range(n):
            if lam[q] > cut and lam[q] > 0:
                proj = 0.0
                for i in range(n):
                    proj += vec[i][q] * rvp[i]
                proj /= lam[q]
                for i in range(n):
                    v[i] += vec[i][q] * proj
        acc = 0.0
        for j in range(n):
            acc += float(dt[j]) * v[j]
            x[j, p] = acc
    return x


def _solve_tile(db, wb, used, todo, count, ref, sec, dt, first, start, mm_to_rad, rcond, min_norm):
    """The batch of :func:`.sbas.wls_variance_kernel` over a whole tile: ``db``, ``wb``, ``used`` (M, P) the values,
    weights and 1.0 / 0.0 of the used interferograms (0 elsewhere), ``todo`` the pixels to solve. Returns
    ``(xs (N, P), tcoh (P,), solved (P,), deficient (P,))``; the disconnected pixels get the minimum-norm velocity
    solution (:func:`.sbas._min_norm_velocity`) when ``min_norm``, else are not solved."""
    m, nb = db.shape
    n = dt.size
    diag = start[:-1] + np.arange(n) - first
    env = np.zeros((start[n], nb))
    xs = np.zeros((n + 1, nb))  # xs[0] = 0 (first date); xs[1:] holds A^T W d, then the solution
    for k in range(m):  # _build_normal_lower, interferogram by interferogram
        a = ref[k] - 1
        b = sec[k] - 1
        env[diag[b]] += wb[k]
        xs[b + 1] += wb[k] * db[k]
        if a >= 0:
            env[diag[a]] += wb[k]
            env[start[b] + a - first[b]] -= wb[k]
            xs[a + 1] -= wb[k] * db[k]
    tol = np.zeros(nb)  # _chol_factor: 1e-10 x the largest diagonal entry, per pixel
    for i in range(n):
        np.maximum(tol, env[diag[i]], out=tol)
    tol = 1e-10 * tol
    ok = np.ones(nb, bool)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for i in range(n):
            fi = first[i]
            for j in range(fi, i):
                fj = first[j]
                t = env[start[i] + j - fi].copy()
                for k in range(max(fi, fj), j):
                    t -= env[start[i] + k - fi] * env[start[j] + k - fj]
                env[start[i] + j - fi] = t / env[diag[j]]
            t = env[diag[i]].copy()
            for k in range(fi, i):
                t -= env[start[i] + k - fi] * env[start[i] + k - fi]
            ok &= t > tol
            env[diag[i]] = np.sqrt(np.where(ok, t, 1.0))  # a pixel that failed is solved apart (or not at all)
        for i in range(n):  # _chol_subst: forward, L y = A^T W d
            fi = first[i]
            for k in range(fi, i):
                xs[i + 1] -= env[start[i] + k - fi] * xs[k + 1]
            xs[i + 1] /= env[diag[i]]
        for i in range(n - 1, -1, -1):  # back, L^T x = y
            fi = first[i]
            xs[i + 1] /= env[diag[i]]
            for k in range(fi, i):
                xs[k + 1] -= env[start[i] + k - fi] * xs[i + 1]
    deficient = todo & ~ok
    solved = todo & ok
    if min_norm and deficient.any():
        qs = np.flatnonzero(deficient)  # a disconnected network: the minimum-norm velocity solution
        xs[1:, qs] = min_norm_velocity(db[:, qs], wb[:, qs], dt, ref, sec, rcond)
        solved = todo
    xs[:, ~solved] = 0.0  # every residual phase below finite
    sc = np.zeros(nb)
    ss = np.zeros(nb)
    for i in range(m):
        ce, se = sincos((db[i] - (xs[sec[i]] - xs[ref[i]])) * mm_to_rad)
        sc += ce * used[i]
        ss += se * used[i]
    with np.errstate(invalid="ignore", divide="ignore"):
        tcoh = np.sqrt(sc * sc + ss * ss) / count
    return xs, tcoh, solved, deficient


def wls_arrays(d, w, ref, sec, dt, min_count, mm_to_rad, rcond, min_norm=True) -> tuple:
    """:func:`.sbas.wls_kernel`: per-pixel weighted least squares; returns ``(ts (P, N), tcoh (P,), count (P,)
    int32, deficient (P,) bool)``, the kernel's outputs."""
    m, n_pix = d.shape
    n = dt.size
    first, start = _envelope(ref, sec, n)
    ts = np.full((n_pix, n + 1), np.nan)
    tcoh = np.full(n_pix, np.nan)
    count = np.zeros(n_pix, np.int32)
    deficient = np.zeros(n_pix, np.bool_)
    for p0, p1 in _tiles(n_pix, start[n] + 3 * m):
        dt_ = d[:, p0:p1]
        wt = w[:, p0:p1]
        with np.errstate(invalid="ignore"):
            use = (wt > 0) & (dt_ == dt_)
        c = use.sum(axis=0, dtype=np.int32)
        count[p0:p1] = c
        todo = (c >= min_count) & (c > 0)
        use &= todo
        db = np.where(use, dt_, 0.0)
        wb = np.where(use, wt, 0.0)
        xs, tc, solved, df = _solve_tile(db, wb, use.astype(np.float64), todo, c, ref, sec, dt, first, start,
                                         mm_to_rad, rcond, min_norm)
        ts[p0:p1][solved] = xs[:, solved].T
        tcoh[p0:p1][solved] = tc[solved]
        deficient[p0:p1] = df
    return ts, tcoh, count, deficient


def lut_weights(coh, inv_var, c_first, c_last, step, eps, top) -> np.ndarray:
    """:func:`.sbas._lut_weight` element by element (float64 ``1 / var``)."""
    c = np.asarray(coh, np.float64)
    with np.errstate(invalid="ignore"):
        c = np.where(c >= eps, c, eps)
    c = np.where(c < c_first, c_first, c)
    c = np.where(c > c_last, c_last, c)
    k = ((c - c_first) / step).astype(np.int64)
    return inv_var[np.minimum(k, top)]


def wls_variance_arrays(d, coh, valid, count, inv_var, c_first, step, eps, ref, sec, dt, min_count, mm_to_rad,
                        rcond, ts, tcoh, deficient) -> None:
    """:func:`.sbas.wls_variance_kernel`: the variance-weighted solution of the pixels with ``count >= min_count``
    (> 0), written into ``ts`` (N, P), ``tcoh`` (P,) and ``deficient`` (P,)."""
    m, n_pix = d.shape
    n = dt.size
    first, start = _envelope(ref, sec, n)
    top = inv_var.size - 1
    c_last = c_first + step * top
    for p0, p1 in _tiles(n_pix, start[n] + 4 * m):
        c = count[p0:p1]
        todo = (c >= min_count) & (c > 0)
        use = valid[:, p0:p1] & todo
        db = np.where(use, d[:, p0:p1], 0.0)
        wb = np.where(use, lut_weights(coh[:, p0:p1], inv_var, c_first, c_last, step, eps, top), 0.0)
        xs, tc, solved, df = _solve_tile(db, wb, use.astype(np.float64), todo, c, ref, sec, dt, first, start,
                                         mm_to_rad, rcond, True)
        cols = np.flatnonzero(todo) + p0
        ts[:, cols] = xs[:, todo]
        tcoh[cols] = tc[todo]
        deficient[p0:p1] |= df


__all__ = ["CHUNK_PIXELS", "sincos", "velocity_arrays", "solve_shared_factor", "group_temporal_coherence",
           "wls_arrays", "wls_variance_arrays", "lut_weights", "min_norm_velocity"]
