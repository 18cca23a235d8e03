"""Phase linking with numpy over many pixels at once: the kernel's arithmetic, the pixels on an array axis.

The numpy path of a run whose kernels are not compiled (a small first run, or no numba): the same bytes as
:func:`.kernel._phase_link_kernel`, at numpy's speed instead of plain Python's. Each step of the per-pixel code
(:mod:`.covariance`, :mod:`.shp`, :mod:`.pixel`, whose EMI the kernel's :mod:`.batch` matches bit for bit) is one
numpy operation over every pixel of a chunk: the same IEEE operations on each element, in the same order and
association (``a - (x * y - u * v)`` stays that, a complex product is ``(ac - bd) + i(ad + bc)``, a complex divided
by a real ``d`` is the division by ``d + 0i``). Where pixels part (an SHP test, a Cholesky pivot that is not
positive, the steps an iteration takes, the re-shifts), each pixel keeps a flag and only its own steps' results.
The functions numba calls from the C library are called from it here too: ``math.log`` and ``math.atan2`` element
by element, ``atan2f`` through ``ctypes`` (numpy's own vectorised logarithm and arc tangent round differently on
some CPUs); ``|z|`` is ``np.hypot``, as numba's.

Arrays hold the pixel last: matrices ``(n, n, P)``, held transposed where named ``...t`` as in :mod:`.pixel`
(``gtr[k, i] = Re G[i, k]``), vectors ``(n, P)``.
"""

from __future__ import annotations

import math

import numpy as np

#: target pixels per tile of :func:`phase_link_arrays` (fewer with many dates: a tile's matrices stay ~8 MB each)
CHUNK_PIXELS = 4096
#: elements of one broadcast comparison block of the KS test
KS_ELEMENTS = 2**22


def _libm_map(func, *arrays) -> np.ndarray:
    """``func`` (a ``math`` function: the C library's, as numba calls it) element by element, float64."""
    if arrays[0].size == 0:
        return np.zeros(arrays[0].shape)
    lists = [np.asarray(a, np.float64).ravel().tolist() for a in arrays]
    return np.fromiter(map(func, *lists), np.float64, len(lists[0])).reshape(np.shape(arrays[0]))


_ATAN2F = []


def _atan2f_function():
    """The C library's ``atan2f`` (what numba calls for ``np.angle`` of a complex64), None where not found."""
    if not _ATAN2F:
        func = None
        try:
            import ctypes
            import ctypes.util

            for name in (ctypes.util.find_library("m"), "ucrtbase", "msvcrt"):
                if not name:
                    continue
                try:
                    f = ctypes.CDLL(name).atan2f
                except (OSError, AttributeError):
                    continue
                f.restype = ctypes.c_float
                f.argtypes = [ctypes.c_float, ctypes.c_float]
                func = f
                break
        except ImportError:
            func = None
        _ATAN2F.append(func)
    return _ATAN2F[0]


def _angle32(re, im) -> np.ndarray:
    """``np.angle`` of complex64 values as numba computes it (``atan2f``), float32."""
    f = _atan2f_function()
    if f is None:
        return np.arctan2(im, re).astype(np.float32)
    out = np.fromiter(map(f, im.ravel().tolist(), re.ravel().tolist()), np.float32, re.size)
    return out.reshape(re.shape)


def log_mean(mean_int) -> np.ndarray:
    """:func:`.covariance._log_mean`: ``math.log`` of the positive mean intensities, 0 elsewhere."""
    out = np.zeros(mean_int.shape)
    pos = mean_int > 0.0
    out[pos] = _libm_map(math.log, mean_int[pos])
    return out


# ----------------------------------------------------------------------------------------------- vectors, iterations


def _normalise(vr, vi):
    """:func:`.pixel._normalise_t` per pixel: ``v / |v|`` where ``|v| > 0`` (else ``v``), and ``|v|``."""
    s = np.zeros(vr.shape[1:])
    for i in range(vr.shape[0]):
        s = s + (vr[i] * vr[i] + vi[i] * vi[i])
    s = np.sqrt(s)
    pos = s > 0
    ratio = 0.0 / np.where(pos, s, 1.0)
    den = s + 0.0 * ratio
    nr = (vr + vi * ratio) / den
    ni = (vi - vr * ratio) / den
    return np.where(pos, nr, vr), np.where(pos, ni, vi), s


def _converged(vr, vi, wr, wi, tol):
    """``1 - |<v, w>| < tol`` (:func:`.pixel._step_converged`, the dot product as numba's complex sum)."""
    dr = np.zeros(vr.shape[1:])
    di = np.zeros(vr.shape[1:])
    for i in range(vr.shape[0]):
        br = -vi[i]
        dr = dr + (vr[i] * wr[i] - br * wi[i])
        di = di + (vr[i] * wi[i] + br * wr[i])
    return 1.0 - np.hypot(dr, di) < tol


class _Live:
    """The pixels an iteration still runs (indices into the caller's arrays), the arrays it reads taken for those
    pixels, made smaller once half of them finished."""

    def __init__(self, size, arrays):
        self.idx = np.arange(size)
        self.live = np.ones(size, bool)
        self.arrays = list(arrays)

    def compact(self) -> None:
        """Keep only the running pixels' columns once at most half of them still run (each pixel's values are
        the same wherever its column is)."""
        if self.live.sum() * 2 <= self.live.size and self.live.size > 16:
            keep = self.live
            self.idx = self.idx[keep]
            self.arrays = [a[..., keep] for a in self.arrays]
            self.live = np.ones(self.idx.size, bool)


def _matvec_add(atr, ati, vr, vi):
    """``w = sum_k A[:, k] v_k``, ``k`` ascending (:func:`.rows._vec_add_cmul`, ``A`` transposed)."""
    wr = np.zeros(vr.shape)
    wi = np.zeros(vr.shape)
    for k in range(vr.shape[0]):
        a, b, cr, ci = atr[k], ati[k], vr[k], vi[k]
        wr = wr + (a * cr - b * ci)
        wi = wi + (a * ci + b * cr)
    return wr, wi


def _iterate(mr, mi, vr, vi, max_iter, tol, apply):
    """The iteration of :func:`.pixel._power_iteration_t` (``apply``: :func:`_matvec_add`) and of
    :func:`.pixel._inverse_iteration_t` (:func:`_chol_solve`) per pixel: ``w = apply(M, v)`` normalised until
    ``1 - |<v, w>| < tol``; a zero ``w`` stops with ``v`` as it is, not converged. The final vectors and whether
    each converged."""
    vr, vi, _ = _normalise(vr, vi)
    vr, vi = vr.copy(), vi.copy()
    conv_out = np.zeros(vr.shape[1], bool)
    lv = _Live(vr.shape[1], (mr, mi, vr, vi))
    for _ in range(max_iter):
        if not lv.live.any():
            break
        ar, ai, cr, ci = lv.arrays
        wr, wi = apply(ar, ai, cr, ci)
        wr, wi, s = _normalise(wr, wi)
        zero = lv.live & (s == 0.0)
        step = lv.live & ~zero
        conv = step & _converged(cr, ci, wr, wi, tol)
        cr = np.where(step, wr, cr)
        ci = np.where(step, wi, ci)
        vr[:, lv.idx[step]] = cr[:, step]
        vi[:, lv.idx[step]] = ci[:, step]
        conv_out[lv.idx[conv]] = True
        lv.live &= ~(zero | conv)
        lv.arrays[2:] = [cr, ci]
        lv.compact()
    return vr, vi, conv_out


def _power_iteration(atr, ati, vr, vi, max_iter, tol):
    """:func:`.pixel._power_iteration_t` per pixel (``A`` transposed in ``atr + i ati``): the final vectors."""
    return _iterate(atr, ati, vr, vi, max_iter, tol, _matvec_add)[:2]


def _over_real(a, b, d):
    """``(a + ib) / (d + 0i)`` as numba divides a complex by a real (Smith's formula with a zero imaginary part):
    the real and imaginary parts."""
    ratio = 0.0 / d
    den = d + 0.0 * ratio
    return (a + b * ratio) / den, (b - a * ratio) / den


def _chol_solve(tr, ti, br, bi):
    """:func:`.pixel._chol_solve_t` per pixel: ``L L^H x = b``, the factor ``L`` transposed in ``tr + i ti``."""
    n = br.shape[0]
    yr, yi = br.copy(), bi.copy()
    xr, xi = np.empty_like(br), np.empty_like(bi)
    for k in range(n):  # forward: L z = b
        d = tr[k, k]
        cr, ci = _over_real(yr[k], yi[k], d)
        xr[k], xi[k] = cr, ci
        lre, lim = tr[k, k + 1:], ti[k, k + 1:]
        yr[k + 1:] = yr[k + 1:] - (lre * cr - lim * ci)
        yi[k + 1:] = yi[k + 1:] - (lre * ci + lim * cr)
    yr, yi = xr.copy(), xi.copy()
    for i in range(n - 1, -1, -1):  # backward: L^H x = z; row i of L is column i of the transposed storage
        d = tr[i, i]
        cr, ci = _over_real(yr[i], yi[i], d)
        xr[i], xi[i] = cr, ci
        lre, lim = tr[:i, i], -ti[:i, i]
        yr[:i] = yr[:i] - (lre * cr - lim * ci)
        yi[:i] = yi[:i] - (lre * ci + lim * cr)
    return xr, xi


def _inverse_iteration(tr, ti, vr, vi, max_iter, tol):
    """:func:`.pixel._inverse_iteration_t` per pixel (factor ``tr + i ti``): the vectors and whether each converged."""
    return _iterate(tr, ti, vr, vi, max_iter, tol, _chol_solve)


# ------------------------------------------------------------------------------------------------ factors, EMI


def _cholesky(tr, ti):
    """:func:`.pixel._cholesky_t` per pixel, in place (transposed storage); True where positive definite."""
    n = tr.shape[0]
    ok = np.ones(tr.shape[2:], bool)
    for j in range(n):
        for k in range(j):  # times conj(L[j, k])
            yr, yi = tr[k, j].copy(), -ti[k, j]
            xr, xi = tr[k, j:], ti[k, j:]
            nr = tr[j, j:] - (xr * yr - xi * yi)
            ni = ti[j, j:] - (xr * yi + xi * yr)
            tr[j, j:], ti[j, j:] = nr, ni
        s = tr[j, j].copy()
        bad = s <= 0.0
        ok &= ~bad
        d = np.sqrt(np.where(bad, 1.0, s))  # a failed pixel's later values are never read
        tr[j, j:], ti[j, j:] = _over_real(tr[j, j:].copy(), ti[j, j:].copy(), d)
        tr[j, j] = d
        ti[j, j] = 0.0
    return ok


def _real_spd_inverse(p):
    """:func:`.pixel._real_spd_inverse_t` per pixel: the inverse of the real SPD matrix held transposed in ``p``
    (its lower triangle; overwritten by the factor) and where it is positive definite."""
    n = p.shape[0]
    ok = np.ones(p.shape[2:], bool)
    for j in range(n):
        for k in range(j):
            p[j, j:] = p[j, j:] - p[k, j:] * p[k, j].copy()
        s = p[j, j].copy()
        bad = s <= 0.0
        ok &= ~bad
        d = np.sqrt(np.where(bad, 1.0, s))
        p[j, j:] = p[j, j:] / d
        p[j, j] = d
    # U = L^-T, row j solving L x = e_j, for every j at once: rows j > k get x = +0 / L_kk = +0 at step k, which
    # leaves their +0 and 1 entries as the per-row substitution (starting at k = j) has them
    t = np.zeros((n, n) + p.shape[2:])
    for j in range(n):
        t[j, j] = 1.0
    u = np.zeros_like(t)
    for k in range(n):
        x = t[:, k] / np.where(ok, p[k, k], 1.0)  # failed pixels: anything, never read
        u[:, k] = x
        t[:, k + 1:] = t[:, k + 1:] - p[k, k + 1:][None] * x[:, None]
    # (A^-1)_ij = sum_k U_ik U_jk, k ascending from +0 (the terms of k < max(i, j) are +-0)
    acc = np.zeros_like(t)
    for k in range(n):
        acc = acc + u[:, k][:, None] * u[:, k][None, :]
    inv = acc.copy()
    for i in range(n):
        inv[i + 1:, i] = acc[i, i + 1:]
    return inv, ok


def _emi_factor(mr, mi, shift):
    """:func:`.pixel._emi_factor_t` per pixel: the factor of ``M - shift I`` (``shift`` per pixel) and where it
    exists."""
    tr, ti = mr.copy(), mi.copy()
    for k in range(mr.shape[0]):
        tr[k, k] = tr[k, k] - shift
    return tr, ti, _cholesky(tr, ti)


def _rayleigh(mr, mi, vr, vi):
    """:func:`.pixel._emi_rayleigh_t` per pixel."""
    yr, yi = _matvec_add(mr, mi, vr, vi)
    num = np.zeros(vr.shape[1:])
    den = np.zeros(vr.shape[1:])
    for i in range(vr.shape[0]):
        num = num + (vr[i] * yr[i] - (-vi[i]) * yi[i])
        den = den + (vr[i] * vr[i] + vi[i] * vi[i])
    return num / den


def _take(arrays, sel):
    return [a[..., sel] for a in arrays]


def _emi_vectors(mr, mi, vr, vi):
    """:func:`.pixel._emi_vector_t` per pixel (``M`` transposed in ``mr + i mi``, ``v`` the start vectors): the
    vectors and where EMI is defined (the shifted or unshifted ``M`` positive definite)."""
    size = vr.shape[1]
    shift = np.full(size, 0.99)
    tr, ti, ok = _emi_factor(mr, mi, shift)
    if not ok.all():  # unshifted where 0.99 is refused
        redo = np.flatnonzero(~ok)
        shift[redo] = 0.0
        r_tr, r_ti, r_ok = _emi_factor(*_take((mr, mi), redo), shift[redo])
        tr[..., redo], ti[..., redo], ok[redo] = r_tr, r_ti, r_ok
    out_r, out_i = vr.copy(), vi.copy()
    sel = np.flatnonzero(ok)
    if not sel.size:
        return out_r, out_i, ok
    s_mr, s_mi, s_tr, s_ti = _take((mr, mi, tr, ti), sel)
    s_shift = shift[sel]
    wr, wi, conv = _inverse_iteration(s_tr, s_ti, vr[:, sel], vi[:, sel], 3, 1e-10)
    out_r[:, sel], out_i[:, sel] = wr, wi
    rest = np.flatnonzero(~conv)  # indices into sel
    if not rest.size:
        return out_r, out_i, ok
    r_mr, r_mi, r_tr, r_ti = _take((s_mr, s_mi, s_tr, s_ti), rest)
    r_vr, r_vi = wr[:, rest], wi[:, rest]
    r_shift = s_shift[rest]
    rho = _rayleigh(r_mr, r_mi, r_vr, r_vi)
    gap = 1e-4 * np.abs(rho) + 1e-6
    searching = np.ones(rest.size, bool)
    for _ in range(5):  # a shift just below the Rayleigh quotient, up to five tries
        sigma = rho - gap
        searching &= ~(sigma <= r_shift)
        trying = np.flatnonzero(searching)
        if not trying.size:
            break
        t_tr, t_ti, t_ok = _emi_factor(*_take((r_mr, r_mi), trying), sigma[trying])
        won = trying[t_ok]
        r_tr[..., won], r_ti[..., won] = t_tr[..., t_ok], t_ti[..., t_ok]
        searching[won] = False
        gap = np.where(searching, gap * 10.0, gap)
    # each pixel now has its factor: the new shift's, or the first one's (made again from M: the same bits)
    fr, fi, _ = _inverse_iteration(r_tr, r_ti, r_vr, r_vi, 100, 1e-10)
    out_r[:, sel[rest]], out_i[:, sel[rest]] = fr, fi
    return out_r, out_i, ok


# ---------------------------------------------------------------------------------------------------- linking


def _start_vector(gr, gi):
    """:func:`.pixel._start_vector`: ``G[:, 0]``, 1 where an element is 0."""
    a, b = gr[:, 0], gi[:, 0]
    nz = np.sqrt(a * a + b * b) > 0
    return np.where(nz, a, 1.0), np.where(nz, b, 0.0)


def _cevd(gtr, gti, vr, vi):
    """:func:`.pixel._cevd_vector_t`: principal eigenvector of ``|G| o G`` from ``v``."""
    c = np.sqrt(gtr * gtr + gti * gti)
    atr = gtr * c - gti * 0.0
    ati = gtr * 0.0 + gti * c
    return _power_iteration(atr, ati, vr, vi, 100, 1e-10)


def _emi(gr, gi, gtr, gti, beta):
    """:func:`.pixel._link_pixel_t`'s EMI per pixel, the coherence-weighted EVD where EMI is undefined."""
    vr, vi = _start_vector(gr, gi)
    p = (1.0 - beta) * np.sqrt(gtr * gtr + gti * gti)
    for k in range(gr.shape[0]):
        p[k, k] = 1.0
    inv, ok = _real_spd_inverse(p)
    sel = np.flatnonzero(ok)
    if sel.size:
        s_inv, s_gtr, s_gti = _take((inv, gtr, gti), sel)
        mr = s_inv * s_gtr - 0.0 * s_gti
        mi = s_inv * s_gti + 0.0 * s_gtr
        er, ei, e_ok = _emi_vectors(mr, mi, vr[:, sel], vi[:, sel])
        vr[:, sel], vi[:, sel] = er, ei
        ok[sel] = e_ok
    fall = np.flatnonzero(~ok)
    if fall.size:  # |G| or M not positive definite: EMI undefined
        f_gr, f_gi, f_gtr, f_gti = _take((gr, gi, gtr, gti), fall)
        cr, ci = _start_vector(f_gr, f_gi)
        vr[:, fall], vi[:, fall] = _cevd(f_gtr, f_gti, cr, ci)
    return vr, vi


def _temporal_coherence(gr, gi, vr, vi):
    """:func:`.pixel._temporal_coherence` per pixel, the terms added in its order (``i < k``)."""
    n = vr.shape[0]
    a = np.sqrt(vr * vr + vi * vi)
    pos = a > 0
    ratio = 0.0 / np.where(pos, a, 1.0)
    den = a + 0.0 * ratio
    pr = np.where(pos, (vr + vi * ratio) / den, 1.0)
    pim = np.where(pos, (vi - vr * ratio) / den, 0.0)
    acc = np.zeros(vr.shape[1:])
    for i in range(n - 1):
        cr, ci = pr[i], -pim[i]
        ga, gc = gr[i, i + 1:], gi[i, i + 1:]
        ag = np.sqrt(ga * ga + gc * gc)
        d = np.where(ag != 0, ag, 1.0)
        qr, qi = _over_real(ga, gc, d)
        sr = qr * cr - qi * ci
        si = qr * ci + qi * cr
        term = np.where(ag != 0, sr * pr[i + 1:] - si * pim[i + 1:], 0.0)
        for t in term:
            acc = acc + t
    return np.abs(2.0 * acc) / (n * (n - 1))


def link(gr, gi, method, beta):
    """Linked vectors ``(n, P)`` and temporal coherences of the sample coherence matrices ``G = gr + i gi``
    ``(n, n, P)``: EMI (0), EVD (1), coherence-weighted EVD (2), as :func:`.pixel._link_pixel_t`."""
    gtr, gti = np.ascontiguousarray(gr.transpose(1, 0, 2)), np.ascontiguousarray(gi.transpose(1, 0, 2))
    if method == 0:
        vr, vi = _emi(gr, gi, gtr, gti, beta)
    else:
        vr, vi = _start_vector(gr, gi)
        if method == 1:
            vr, vi = _power_iteration(gtr, gti, vr, vi, 100, 1e-10)
        else:
            vr, vi = _cevd(gtr, gti, vr, vi)
    return vr, vi, _temporal_coherence(gr, gi, vr, vi)


# ------------------------------------------------------------------------------------------- windows, SHP, driver


def _ks_distance(a, b) -> np.ndarray:
    """``max |F_a - F_b|`` times the sample size, pair by pair (rows of the sorted ``a`` and ``b``): the largest
    ``|i - j|`` of :func:`.shp.ks_statistic`'s walk, which visits every distinct value until a sample runs out
    (after that the difference only shrinks)."""
    n = a.shape[1]
    out = np.empty(a.shape[0], np.int64)
    step = max(1, KS_ELEMENTS // (2 * n * n))
    for s in range(0, a.shape[0], step):
        x, y = a[s:s + step], b[s:s + step]
        d1 = (x[:, None, :] <= x[:, :, None]).sum(2) - (y[:, None, :] <= x[:, :, None]).sum(2)
        d2 = (x[:, None, :] <= y[:, :, None]).sum(2) - (y[:, None, :] <= y[:, :, None]).sum(2)
        out[s:s + step] = np.maximum(np.abs(d1).max(1), np.abs(d2).max(1))
    return out


def _homogeneous(shp, p, q, cand):
    """Which candidate neighbours ``q`` (flat pixel indices, ``cand`` their positions) pass the SHP test of their
    targets ``p``, as :func:`.kernel._window_sum` tests them."""
    shp_method, threshold, sorted_amp, mean_int, lmean, nf = shp
    if shp_method == 2:
        return cand
    pc, qc = p[cand], q[cand]
    if shp_method == 0:
        mp, mq = mean_int.ravel()[pc], mean_int.ravel()[qc]
        keep = (mp > 0.0) & (mq > 0.0)
        mp, mq = mp[keep], mq[keep]
        stat = nf * (2.0 * _libm_map(math.log, 0.5 * (mp + mq)) - lmean.ravel()[pc[keep]] - lmean.ravel()[qc[keep]])
        return cand[keep][stat <= threshold]
    amp = sorted_amp.reshape(-1, sorted_amp.shape[2])
    d = _ks_distance(amp[pc], amp[qc]) / sorted_amp.shape[2]
    return cand[d <= threshold]


def _products(slc_t, r0, r1, c0, c1):
    """The packed upper triangles of ``s s^H`` (:func:`.covariance._outer_packed`) of rows ``r0 .. r1``, columns
    ``c0 .. c1``: ``(r1 - r0, c1 - c0, n (n + 1) / 2)`` real and imaginary parts."""
    n = slc_t.shape[2]
    iu, ju = np.triu_indices(n)
    s = slc_t[r0:r1, c0:c1]
    sr, si = s.real.astype(np.float64), s.imag.astype(np.float64)
    a, b, c, d = sr[..., iu], si[..., iu], sr[..., ju], si[..., ju]
    return a * c + b * d, b * c - a * d


def _window_sums(image, shp, targets, hr, hc, origin, prod):
    """``sum_k s_k s_k^H`` (packed) over each target's accepted neighbours in window order, and their number."""
    slc_t, usable, ps, ps_neighbours = image
    rows, cols = usable.shape
    tr_, tc_ = np.divmod(targets, cols)
    acc_r = np.zeros((targets.size, prod[0].shape[2]))
    acc_i = np.zeros_like(acc_r)
    count = np.zeros(targets.size, np.int64)
    flat_usable, flat_ps = usable.ravel(), ps.ravel()
    for dr in range(-hr, hr + 1):
        rr = tr_ + dr
        in_rows = (rr >= 0) & (rr < rows)
        for dc in range(-hc, hc + 1):
            cc = tc_ + dc
            cand = np.flatnonzero(in_rows & (cc >= 0) & (cc < cols))
            q = rr[cand] * cols + cc[cand]
            keep = flat_usable[q]
            if (dr, dc) != (0, 0):
                if not ps_neighbours:
                    keep &= ~flat_ps[q]
                cand = cand[keep]
                cand = _homogeneous(shp, targets, rr * cols + cc, cand)
            else:
                cand = cand[keep]
            pr, pc = rr[cand] - origin[0], cc[cand] - origin[1]
            acc_r[cand] = acc_r[cand] + prod[0][pr, pc]
            acc_i[cand] = acc_i[cand] + prod[1][pr, pc]
            count[cand] += 1
    return acc_r, acc_i, count


def _coherence(acc_r, acc_i, n):
    """:func:`.covariance._load_coherence` per pixel from the packed sums: ``G`` ``(n, n, P)`` and where it
    exists (every diagonal sum positive)."""
    iu, ju = np.triu_indices(n)
    diag = acc_r[:, iu == ju]
    ok = ~(diag <= 0).any(1)
    cr = np.empty((n, n, acc_r.shape[0]))
    ci = np.empty_like(cr)
    cr[iu, ju], ci[iu, ju] = acc_r.T, acc_i.T
    cr[ju, iu], ci[ju, iu] = acc_r.T, -acc_i.T
    s = 1.0 / np.sqrt(np.where(ok[None], diag.T, 1.0))  # (n, P)
    si, sj = s[:, None], s[None, :]
    ar = cr * si - ci * 0.0
    ai = cr * 0.0 + ci * si
    return ar * sj - ai * 0.0, ar * 0.0 + ai * sj, ok


def _write_phases(out_phase, ro, c, vr, vi):
    """Phases relative to date 0 (:func:`.kernel._write_linked`: ``np.angle(v_i conj(v_0))``, libm's atan2)."""
    c0r, c0i = vr[0], -vi[0]
    re = vr * c0r - vi * c0i
    im = vr * c0i + vi * c0r
    out_phase[:, ro, c] = _libm_map(math.atan2, im, re)


def _tile(image, shp, hr, hc, method, beta, row0, ra, rb, ca, cb, out):
    """Outputs of the image rows ``ra .. rb``, columns ``ca .. cb``."""
    slc_t, usable, ps, _ = image
    out_phase, out_tcoh, out_count = out
    rows, cols, n = slc_t.shape
    r, c = np.divmod(np.arange((rb - ra) * (cb - ca)), cb - ca)
    r, c = r + ra, c + ca
    ro = r - row0
    u, p = usable[r, c], ps[r, c]
    none = ~u
    out_phase[:, ro[none], c[none]] = np.nan
    out_tcoh[ro[none], c[none]] = np.nan
    out_count[ro[none], c[none]] = 0
    own = u & p
    if own.any():  # a PS keeps its own phases: np.angle(s_i conj(s_0)) in complex64
        s = slc_t[r[own], c[own]].T  # (n, K)
        a, b = s.real, s.imag
        cr, ci = s[0].real, -s[0].imag
        out_phase[:, ro[own], c[own]] = _angle32(a * cr - b * ci, a * ci + b * cr)
        out_tcoh[ro[own], c[own]] = 1.0
        out_count[ro[own], c[own]] = 1
    lk = np.flatnonzero(u & ~p)
    if not lk.size:
        return
    nr0, nr1, nc0, nc1 = max(0, ra - hr), min(rows, rb + hr), max(0, ca - hc), min(cols, cb + hc)
    targets = r[lk] * cols + c[lk]
    acc_r, acc_i, count = _window_sums(image, shp, targets, hr, hc, (nr0, nc0), _products(slc_t, nr0, nr1, nc0, nc1))
    gr, gi, ok = _coherence(acc_r, acc_i, n)
    lo, lc = ro[lk], c[lk]
    out_count[lo, lc] = count
    bad = ~ok
    out_phase[:, lo[bad], lc[bad]] = np.nan
    out_tcoh[lo[bad], lc[bad]] = np.nan
    good = np.flatnonzero(ok)
    if not good.size:
        return
    vr, vi, tc = link(gr[..., good], gi[..., good], method, beta)
    out_tcoh[lo[good], lc[good]] = tc
    _write_phases(out_phase, lo[good], lc[good], vr, vi)


def phase_link_arrays(slc_t, usable, ps, sorted_amp, mean_int, shp_method, threshold, hr, hc, method, beta, row0,
                      row1, out_phase, out_tcoh, out_count, ps_neighbours):
    """:func:`.kernel._phase_link_kernel` with numpy (its arguments but the log-means, the chunks and tiles; the
    same bytes): the rows ``row0 .. row1``, a tile of rows and columns at a time."""
    rows, cols, n = slc_t.shape
    lmean = log_mean(mean_int) if shp_method == 0 else None
    shp = (shp_method, threshold, sorted_amp, mean_int, lmean, float(n))
    image = (slc_t, usable, ps, bool(ps_neighbours))
    pixels = max(64, min(CHUNK_PIXELS, 2**20 // (n * n)))
    side = math.isqrt(pixels)
    tile_cols = cols if cols <= 2 * side else side
    tile_rows = max(1, pixels // tile_cols)
    with np.errstate(all="ignore"):
        for ra in range(row0, row1, tile_rows):
            for ca in range(0, cols, tile_cols):
                _tile(image, shp, hr, hc, method, beta, row0, ra, min(row1, ra + tile_rows), ca,
                      min(cols, ca + tile_cols), (out_phase, out_tcoh, out_count))
