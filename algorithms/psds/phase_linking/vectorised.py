"""Phase linking with numpy over many pixels at once: the kernel's arithmetic, the pixels on an array axis.

The numpy path of a run whose kernels are not compiled (a small first run, or no numba): the same bytes as
:func:`.kernel._phase_link_kernel`, at numpy's speed instead of plain Python's. No arithmetic of the kernel is
written again here. The linking's steps (the sample coherence from the window sums, factors, solves, matrix-vector
products, normalisations, convergence tests, the Rayleigh quotient and EMI's re-shifts, the start vector, the
temporal coherence) are the compiled batch's own, its one source in its numpy form (:mod:`.batch_numpy`, made
from :mod:`.batch` at first use). The window's products ``s_i conj(s_j)`` and the output phases
(:func:`.covariance.conj_product`), the GLRT (:func:`.shp.glrt_homogeneous`) and the unpacking of a window sum
(:func:`.kernel._has_data`, :func:`.kernel._unpack_sum`) are the kernel's functions, written once for one value or
an array of them and called here as Python on arrays (:func:`_py`). This module holds the control: which pixels
still iterate, the re-shifts, the coherence-weighted EVD where EMI is undefined, and the window walk, which here
takes one window offset for every target of a tile (the kernel walks one target's window over a ring of products):
each target's products are added in the kernel's window order, so its sums are the kernel's. The KS test counts
where the kernel walks (:func:`_ks_distance`: an integer ratio, the same value; docs/psds.md says why). Where pixels
part (an SHP test, a Cholesky pivot that is not positive, the steps an iteration takes, the re-shifts), each pixel
keeps a flag and only its own steps' results. The functions numba calls from the C library are called from it here
too: ``math.log`` and ``math.atan2`` element by element, ``atan2f`` through ``ctypes`` (numpy's own vectorised
logarithm and arc tangent round differently on some CPUs).

Arrays hold the pixel last: matrices ``(n, n, P)``, held transposed where named ``...t`` as in :mod:`.batch`
(``gtr[k, i] = Re G[i, k]``), vectors ``(n, P)``.
"""

from __future__ import annotations

import math

import numpy as np

from ... import _numba
from . import batch_numpy as bn
from . import covariance, kernel, shp

#: target pixels per tile of :func:`phase_link_arrays` (fewer with many dates: a tile's matrices stay ~8 MB each)
CHUNK_PIXELS = 4096
#: elements of one broadcast comparison block of the KS test
KS_ELEMENTS = 2**22


def _py(kernel_function):
    """A kernel's own written form as plain Python (kernels it calls as Python too: :func:`._numba.python_twin`),
    called here on arrays: the arithmetic written once for the compiled path and this one."""
    if hasattr(kernel_function, "py_func"):
        return _numba.python_twin(kernel_function)
    return kernel_function


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


# ------------------------------------------------------------------------------------------------------ linking


def _iterate(mr, mi, vr, vi, act, max_iter, tol, solve):
    """The iteration of :func:`.batch._iterate_b` (power iteration, ``solve``: :func:`.batch_numpy._matvec_b`;
    inverse iteration, :func:`.batch_numpy._chol_solve_b`) in the pixels where ``act``: ``v`` normalised, then ``w =
    solve(M, v)`` normalised until ``1 - |<v, w>| < tol``; a zero ``w`` stops a pixel with ``v`` as it is. In place
    in ``vr + i vi``; returns where it converged. The steps are the batch's numpy form (:mod:`.batch_numpy`); the
    pixels still running are taken apart once half of them stopped (a pixel's bits do not depend on the
    others')."""
    n, size = vr.shape
    bn._normalise_b(vr, vi, act, np.empty(size), n)
    conv = np.zeros(size, bool)
    idx = np.flatnonzero(act)
    m_r, m_i, v_r, v_i = mr[..., idx], mi[..., idx], vr[:, idx], vi[:, idx]
    run = np.ones(idx.size, bool)
    for _ in range(max_iter):
        if not run.any():
            break
        wr, wi, s, c = np.empty_like(v_r), np.empty_like(v_i), np.empty(idx.size), np.empty(idx.size, bool)
        solve(m_r, m_i, v_r, v_i, wr, wi, n)
        bn._normalise_b(wr, wi, run, s, n)
        run &= s != 0.0  # a zero step: that pixel stops, not converged, v as it was
        bn._step_converged_b(v_r, v_i, wr, wi, run, c, n, tol)
        conv[idx[run & c]] = True
        run &= ~c
        if run.sum() * 2 <= run.size and run.size > 16:
            vr[:, idx], vi[:, idx] = v_r, v_i
            idx, m_r, m_i, v_r, v_i = idx[run], m_r[..., run], m_i[..., run], v_r[:, run], v_i[:, run]
            run = np.ones(idx.size, bool)
    vr[:, idx], vi[:, idx] = v_r, v_i
    return conv


def _cevd(gtr, gti, vr, vi):
    """The coherence-weighted EVD: principal eigenvector of ``|G| o G`` from ``v``, in place."""
    atr, ati = np.empty_like(gtr), np.empty_like(gti)
    bn._times_abs_b(gtr, gti, atr, ati, gtr.shape[0])
    _iterate(atr, ati, vr, vi, np.ones(vr.shape[1], bool), 100, 1e-10, bn._matvec_b)


def _emi_vectors(gtr, gti, inv, vr, vi):
    """The EMI vectors of :func:`.batch.emi_batch` for pixels whose regularised ``|G|``
    has the inverse ``inv``, from the start vectors ``v`` (in place): where EMI is defined (the shifted or unshifted
    ``M = |G|^-1 o G`` positive definite). Each factor is made only for the pixels that need it (a pixel's bits do
    not depend on the others')."""
    n, size = gtr.shape[0], gtr.shape[2]
    mr, mi, tr, ti = (np.zeros((n, n, size)) for _ in range(4))
    bn._emi_matrix_b(gtr, gti, inv, mr, mi, n)
    shift, ok = np.full(size, 0.99), np.empty(size, bool)
    bn._emi_factor_b(mr, mi, shift, tr, ti, ok, n)
    redo = np.flatnonzero(~ok)
    if redo.size:  # shift 0 where 0.99 is above the smallest eigenvalue
        shift[redo] = 0.0
        r_tr, r_ti, r_ok = np.zeros((n, n, redo.size)), np.zeros((n, n, redo.size)), np.empty(redo.size, bool)
        bn._emi_factor_b(mr[..., redo], mi[..., redo], shift[redo], r_tr, r_ti, r_ok, n)
        tr[..., redo], ti[..., redo], ok[redo] = r_tr, r_ti, r_ok
    conv = _iterate(tr, ti, vr, vi, ok, 3, 1e-10, bn._chol_solve_b)
    act = np.flatnonzero(ok & ~conv)
    if not act.size:
        return ok
    # slow convergence (close eigenvalues): the shift up to just below the Rayleigh quotient, up to five tries
    a_mr, a_mi, a_tr, a_ti = mr[..., act], mi[..., act], tr[..., act], ti[..., act]
    a_vr, a_vi, a_shift = vr[:, act], vi[:, act], shift[act]
    rho, gap = np.empty(act.size), np.empty(act.size)
    bn._rayleigh_b(a_mr, a_mi, a_vr, a_vi, np.zeros((n, act.size)), np.zeros((n, act.size)), rho, gap, n)
    run, sigma = np.ones(act.size, bool), a_shift.copy()
    for attempt in range(5):
        bn._next_shift_b(rho, gap, a_shift, sigma, run, attempt > 0)
        tries = np.flatnonzero(run)
        if not tries.size:
            break
        t_tr, t_ti, c = np.zeros((n, n, tries.size)), np.zeros((n, n, tries.size)), np.empty(tries.size, bool)
        bn._emi_factor_b(a_mr[..., tries], a_mi[..., tries], sigma[tries], t_tr, t_ti, c, n)
        won = tries[c]  # their factor: the accepted shift's (the batch makes it again: the same bits)
        a_tr[..., won], a_ti[..., won] = t_tr[..., c], t_ti[..., c]
        run[won] = False
    _iterate(a_tr, a_ti, a_vr, a_vi, np.ones(act.size, bool), 100, 1e-10, bn._chol_solve_b)
    vr[:, act], vi[:, act] = a_vr, a_vi
    return ok


def _emi(gtr, gti, beta):
    """The EMI vectors of :func:`.batch.emi_batch` (its bits) for every pixel of ``G`` (transposed in ``gtr + i
    gti``, ``(n, n, P)``), the coherence-weighted EVD where EMI is undefined: the batch's steps in their numpy form
    (:mod:`.batch_numpy`), the batch's control per pixel."""
    n, size = gtr.shape[0], gtr.shape[2]
    p, u, inv = (np.zeros((n, n, size)) for _ in range(3))
    emi = np.empty(size, bool)
    bn._real_spd_inverse_b(gtr, gti, beta, p, u, inv, np.zeros((n, size)), emi, n)
    vr, vi = np.zeros((n, size)), np.zeros((n, size))
    bn._start_vector_b(gtr, gti, vr, vi, n)
    sel = np.flatnonzero(emi)
    if sel.size:
        s_vr, s_vi = vr[:, sel], vi[:, sel]
        emi[sel] = _emi_vectors(gtr[..., sel], gti[..., sel], inv[..., sel], s_vr, s_vi)
        vr[:, sel], vi[:, sel] = s_vr, s_vi
    fall = np.flatnonzero(~emi)
    if fall.size:  # |G| or M not positive definite: EMI undefined
        f_gtr, f_gti = gtr[..., fall], gti[..., fall]
        cr, ci = np.zeros((n, fall.size)), np.zeros((n, fall.size))
        bn._start_vector_b(f_gtr, f_gti, cr, ci, n)
        _cevd(f_gtr, f_gti, cr, ci)
        vr[:, fall], vi[:, fall] = cr, ci
    return vr, vi


def link(gtr, gti, method, beta):
    """Linked vectors ``(n, P)`` and temporal coherences of the sample coherence matrices ``G`` ``(n, n, P)``, given
    transposed (``gtr[k, i] = Re G[i, k]``): EMI (0), EVD (1), coherence-weighted EVD (2), as
    :func:`.kernel._link_batch`."""
    n, size = gtr.shape[0], gtr.shape[2]
    if method == 0:
        vr, vi = _emi(gtr, gti, beta)
    else:
        vr, vi = np.zeros((n, size)), np.zeros((n, size))
        bn._start_vector_b(gtr, gti, vr, vi, n)
        if method == 1:
            _iterate(gtr, gti, vr, vi, np.ones(size, bool), 100, 1e-10, bn._matvec_b)
        else:
            _cevd(gtr, gti, vr, vi)
    tc = np.empty(size)
    bn.temporal_coherence_b(gtr, gti, vr, vi, np.zeros((n, size)), np.zeros((n, size)), tc, n)
    return vr, vi, tc


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


def _homogeneous(test, p, q, cand):
    """Which candidate neighbours ``q`` (flat pixel indices, ``cand`` their positions) pass the SHP test of their
    targets ``p``, as :func:`.kernel._window_sum` tests them (the GLRT: :func:`.shp.glrt_homogeneous` on arrays,
    libm's logarithm element by element)."""
    shp_method, threshold, sorted_amp, mean_int, lmean, nf = test
    if shp_method == 2:
        return cand
    pc, qc = p[cand], q[cand]
    if shp_method == 0:
        mp, mq = mean_int.ravel()[pc], mean_int.ravel()[qc]
        pooled = _py(shp.pair_mean)(mp, mq)
        log_pair = _libm_map(math.log, np.where(pooled > 0.0, pooled, 1.0))  # math.log's domain; others fail anyway
        keep = _py(shp.glrt_homogeneous)(mp, mq, log_pair, lmean.ravel()[pc], lmean.ravel()[qc], nf, threshold)
        return cand[keep]
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
    return _py(covariance.conj_product)(sr[..., iu], si[..., iu], sr[..., ju], si[..., ju])


def _window_sums(image, test, targets, hr, hc, origin, prod):
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
                cand = _homogeneous(test, targets, rr * cols + cc, cand)
            else:
                cand = cand[keep]
            pr, pc = rr[cand] - origin[0], cc[cand] - origin[1]
            acc_r[cand] = acc_r[cand] + prod[0][pr, pc]
            acc_i[cand] = acc_i[cand] + prod[1][pr, pc]
            count[cand] += 1
    return acc_r, acc_i, count


def _coherence(acc_r, acc_i, n):
    """The sample coherence ``G`` (transposed, ``(n, n, P)``: :func:`.batch._coherence_b`) of the pixels whose packed
    window sums have every diagonal element positive, and which those are."""
    ok = _py(kernel._has_data)(acc_r.T, n)
    cb = np.empty((2, n, n, int(ok.sum())))
    _py(kernel._unpack_sum)(np.ascontiguousarray(acc_r[ok].T), np.ascontiguousarray(acc_i[ok].T), cb, slice(None), n)
    gtr, gti = np.empty_like(cb[0]), np.empty_like(cb[0])
    bn._coherence_b(cb[0], cb[1], gtr, gti, np.empty((n, cb.shape[3])), n)
    return gtr, gti, ok


def _write_phases(out_phase, ro, c, vr, vi):
    """Phases relative to date 0 (:func:`.kernel._write_linked`: ``arg(v_i conj(v_0))``, libm's atan2)."""
    re, im = _py(covariance.conj_product)(vr, vi, vr[0], vi[0])
    out_phase[:, ro, c] = _libm_map(math.atan2, im, re)


def _tile(image, test, hr, hc, method, beta, row0, ra, rb, ca, cb, out):
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
    if own.any():  # a PS keeps its own phases: arg(s_i conj(s_0)) in complex64 (:func:`.kernel._link_target`)
        s = slc_t[r[own], c[own]].T  # (n, K)
        out_phase[:, ro[own], c[own]] = _angle32(*_py(covariance.conj_product)(s.real, s.imag, s[0].real, s[0].imag))
        out_tcoh[ro[own], c[own]] = 1.0
        out_count[ro[own], c[own]] = 1
    lk = np.flatnonzero(u & ~p)
    if not lk.size:
        return
    nr0, nr1, nc0, nc1 = max(0, ra - hr), min(rows, rb + hr), max(0, ca - hc), min(cols, cb + hc)
    targets = r[lk] * cols + c[lk]
    acc_r, acc_i, count = _window_sums(image, test, targets, hr, hc, (nr0, nc0), _products(slc_t, nr0, nr1, nc0, nc1))
    gtr, gti, ok = _coherence(acc_r, acc_i, n)
    lo, lc = ro[lk], c[lk]
    out_count[lo, lc] = count
    bad = ~ok
    out_phase[:, lo[bad], lc[bad]] = np.nan
    out_tcoh[lo[bad], lc[bad]] = np.nan
    good = np.flatnonzero(ok)
    if not good.size:
        return
    vr, vi, tc = link(gtr, gti, method, beta)
    out_tcoh[lo[good], lc[good]] = tc
    _write_phases(out_phase, lo[good], lc[good], vr, vi)


def phase_link_arrays(slc_t, usable, ps, sorted_amp, mean_int, log_mean, shp_method, threshold, hr, hc, method, beta,
                      row0, row1, out_phase, out_tcoh, out_count, ps_neighbours):
    """:func:`.kernel._phase_link_kernel` with numpy (its arguments but the chunks and tiles; the same bytes): the
    rows ``row0 .. row1``, a tile of rows and columns at a time."""
    rows, cols, n = slc_t.shape
    test = (shp_method, threshold, sorted_amp, mean_int, log_mean, float(n))
    image = (slc_t, usable, ps, bool(ps_neighbours))
    pixels = max(64, min(CHUNK_PIXELS, 2**20 // (n * n)))
    side = math.isqrt(pixels)
    tile_cols = cols if cols <= 2 * side else side
    tile_rows = max(1, pixels // tile_cols)
    with np.errstate(all="ignore"):
        for ra in range(row0, row1, tile_rows):
            for ca in range(0, cols, tile_cols):
                _tile(image, test, hr, hc, method, beta, row0, ra, min(row1, ra + tile_rows), ca,
                      min(cols, ca + tile_cols), (out_phase, out_tcoh, out_count))


def _phase_link_kernel_np(slc_t, usable, ps, sorted_amp, mean_int, log_mean, shp_method, threshold, hr, hc, method,
                          beta, row0, row1, out_phase, out_tcoh, out_count, ps_neighbours, chunks, tile_cols):
    phase_link_arrays(slc_t, usable, ps, sorted_amp, mean_int, log_mean, shp_method, threshold, hr, hc, method, beta,
                      row0, row1, out_phase, out_tcoh, out_count, ps_neighbours)


# the kernel as Python (no numba, or the numpy path of a first run): this form over tiles, the same bytes
_numba.python_equivalent(kernel._phase_link_kernel, _phase_link_kernel_np)
