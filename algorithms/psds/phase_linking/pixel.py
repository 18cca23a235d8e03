"""Per-pixel phase linking: EVD, coherence-weighted EVD and the reference EMI of one sample coherence matrix.

The EMI of the kernel runs eight pixels at once (:mod:`.batch`, the same bits pixel by pixel); this module is its
reference (the batch-versus-pixel test), the EVD / coherence-weighted EVD path, and the fallback of the batch for
pixels whose EMI is undefined or still iterating when most of their batch has converged.

Matrices are float64 ``(n, npad)`` (real and imaginary parts apart; ``n`` dates, rows padded to
:func:`_padded` doubles), held transposed where named ``...t`` (``gtr[k, i] = Re G[i, k]``); vectors ``(npad,)``.
"""

from __future__ import annotations

import numpy as np

from ..._numba import njit_slp
from .rows import (
    _coherence_terms8,
    _row_abs8,
    _row_cdiv8,
    _row_copy8,
    _row_div8,
    _row_imag_times,
    _row_real_times,
    _row_sub_cmul4_8,
    _row_sub_cmul8,
    _row_sub_mul4_8,
    _row_sub_mul8,
    _row_times_abs,
    _vec_add_cmul,
    _vec_add_mul4_8,
    _vec_add_mul8,
    _vec_cdiv,
    _vec_sub_cmul8,
    _vec_sub_conj_cmul8,
    _vec_sub_mul4_8,
    _vec_sub_mul8,
)


def _padded(n: int) -> int:
    """Row length of the per-pixel work matrices: ``n`` dates padded to 16 doubles, to 32 beyond 16 dates.

    The row operations below run over whole padded rows (LLVM vectorises them 8 doubles at a time, unrolled 2 to
    4 times): a row shorter than one unrolled vector step would run in the scalar remainder loop instead."""
    return 16 if n <= 16 else (n + 31) // 32 * 32


@njit_slp(error_model="numpy")
def _cholesky_t(tr, ti, n, npad):
    """Cholesky factor ``L`` (``A = L L^H``) of the Hermitian matrix held transposed in ``tr + i ti`` (row ``k``
    holds column ``k`` of A's lower triangle: ``tr[k, i] = Re A[i, k]`` for ``i >= k``), in place; False when A
    is not positive definite. Stored transposed, a column of A is a row: column ``j`` receives the finished
    columns ``k < j`` in order (each element's terms in the order of the element-by-element factor), then is
    divided by its diagonal; a matrix that is not positive definite stops at its first non-positive pivot."""
    for j in range(n):
        start = j // 8 * 8  # row j before the block holding its diagonal is the unused upper triangle
        k = 0
        while k + 4 <= j:  # four columns a pass over row j, times conj(L[j, k .. k + 3])
            _row_sub_cmul4_8(tr, ti, j, k, tr[k, j], -ti[k, j], tr[k + 1, j], -ti[k + 1, j], tr[k + 2, j],
                             -ti[k + 2, j], tr[k + 3, j], -ti[k + 3, j], start, npad)
            k += 4
        while k < j:
            _row_sub_cmul8(tr, ti, j, k, tr[k, j], -ti[k, j], start, npad)  # times conj(L[j, k])
            k += 1
        s = tr[j, j]
        if s <= 0.0:
            return False
        d = np.sqrt(s)
        ratio = 0.0 / d
        _row_cdiv8(tr, ti, j, ratio, d + 0.0 * ratio, start, npad)
        tr[j, j] = d
        ti[j, j] = 0.0
    return True


@njit_slp(error_model="numpy")
def _real_spd_inverse_t(p, u, ut, inv, t, n, npad):
    """Inverse of the real SPD matrix held transposed in ``p`` (``p[k, i] = A[i, k]``, ``i >= k``; overwritten
    by its Cholesky factor) into the symmetric ``inv``; False when A is not positive definite.

    ``A^-1 = U U^T`` with ``U = L^-T``: row ``j`` of ``U`` solves ``L x = e_j``. Written out (no LAPACK)
    because BLAS/LAPACK threads inside the parallel pixel loop oversubscribe the cores."""
    for j in range(n):  # Cholesky, column j from the finished columns k < j in order (as _cholesky_t)
        start = j // 8 * 8  # from the block holding the diagonal: before it is the unused upper triangle
        k = 0
        while k + 4 <= j:
            _row_sub_mul4_8(p, j, k, p[k, j], p[k + 1, j], p[k + 2, j], p[k + 3, j], start, npad)
            k += 4
        while k < j:
            _row_sub_mul8(p, j, k, p[k, j], start, npad)
            k += 1
        s = p[j, j]
        if s <= 0.0:
            return False
        d = np.sqrt(s)
        _row_div8(p, j, d, start, npad)
        p[j, j] = d
    for j in range(n):
        for i in range(npad):
            t[i] = 0.0
            u[j, i] = 0.0
        t[j] = 1.0
        k = j
        while k + 4 <= n:  # four steps of the substitution per pass over t; their own entries first
            x0 = t[k] / p[k, k]
            t[k + 1] -= p[k, k + 1] * x0
            x1 = t[k + 1] / p[k + 1, k + 1]
            t[k + 2] -= p[k, k + 2] * x0
            t[k + 2] -= p[k + 1, k + 2] * x1
            x2 = t[k + 2] / p[k + 2, k + 2]
            t[k + 3] -= p[k, k + 3] * x0
            t[k + 3] -= p[k + 1, k + 3] * x1
            t[k + 3] -= p[k + 2, k + 3] * x2
            x3 = t[k + 3] / p[k + 3, k + 3]
            u[j, k] = x0
            u[j, k + 1] = x1
            u[j, k + 2] = x2
            u[j, k + 3] = x3
            # entries up to k + 3 are consumed: from the block holding k + 4 on
            _vec_sub_mul4_8(t, p, k, x0, x1, x2, x3, (k + 4) // 8 * 8, npad)
            k += 4
        while k < n:
            x = t[k] / p[k, k]
            u[j, k] = x
            _vec_sub_mul8(t, p, k, x, (k + 1) // 8 * 8, npad)
            k += 1
    for k in range(n):
        for j in range(n):
            ut[k, j] = u[j, k]
    # (A^-1)_ij = sum_{k >= max(i, j)} U_ik U_jk, k ascending. Row k of U^T is 0 beyond k: the terms added to
    # t[j] for k < j are +-0, which leave its +0 start (and any later sum) unchanged
    for i in range(n):
        for j in range(npad):
            t[j] = 0.0
        k = i
        start = i // 8 * 8  # t[j] is kept for j >= i
        while k + 4 <= n:
            _vec_add_mul4_8(t, ut, k, u[i, k], u[i, k + 1], u[i, k + 2], u[i, k + 3], start, npad)
            k += 4
        while k < n:
            _vec_add_mul8(t, ut, k, u[i, k], start, npad)
            k += 1
        for j in range(i, n):
            inv[i, j] = t[j]
            inv[j, i] = t[j]
    return True


@njit_slp(error_model="numpy")
def _emi_matrix_t(gtr, gti, inv, mr, mi, n, npad):
    """``|G|^-1 o G`` into ``mr + i mi``, transposed (``mr[k, i] = Re M[i, k]``): made once per pixel, copied for
    each shifted factor and read by the Rayleigh quotient (the same products as when each made its own)."""
    for k in range(n):  # |G|^-1 is symmetric: inv[k, i] = inv[i, k]; gtr[k, i] = Re G[i, k]
        _row_real_times(mr, inv, gtr, gti, k, npad)
        _row_imag_times(mi, inv, gtr, gti, k, npad)


@njit_slp(error_model="numpy")
def _emi_factor_t(mr, mi, tr, ti, n, npad, shift):
    """Cholesky factor (transposed storage, :func:`_cholesky_t`) of ``M - shift I`` (``M = |G|^-1 o G`` from
    :func:`_emi_matrix_t`); False when that matrix is not positive definite."""
    for k in range(n):  # the factor reads row k from the block holding its diagonal on
        _row_copy8(tr, ti, mr, mi, k, k // 8 * 8, npad)
        tr[k, k] -= shift
    return _cholesky_t(tr, ti, n, npad)


@njit_slp(error_model="numpy")
def _lower_rows(tr, ti, lr, li, n):
    """Row-major copy ``lr + i li`` of the factor held transposed in ``tr + i ti``."""
    for i in range(n):
        for k in range(i + 1):
            lr[i, k] = tr[k, i]
            li[i, k] = ti[k, i]


@njit_slp(error_model="numpy", inline="always")
def _div_diagonal(yr, yi, d, k, xr, xi):
    """``x[k] = y[k] / d`` for the real diagonal ``d`` of the factor, as numba divides a complex by a real;
    returns ``x[k]``."""
    ratio = 0.0 / d
    den = d + 0.0 * ratio
    a = yr[k]
    b = yi[k]
    cr = (a + b * ratio) / den
    ci = (b - a * ratio) / den
    xr[k] = cr
    xi[k] = ci
    return cr, ci


@njit_slp(error_model="numpy")
def _chol_solve_t(tr, ti, lr, li, br, bi, xr, xi, yr, yi, n, npad):
    """Solve ``L L^H x = b`` (factor transposed in ``tr + i ti``, row-major in ``lr + i li``, zero above its
    diagonal); ``y`` is work. The forward substitution leaves its solution in ``x``, the backward one reads it
    from there and overwrites it."""
    for i in range(npad):
        yr[i] = br[i]
        yi[i] = bi[i]
    for k in range(n):  # forward: L z = b, z into x
        cr, ci = _div_diagonal(yr, yi, tr[k, k], k, xr, xi)
        # entries up to k are consumed: the block holding k + 1 on (row k of the factor from its diagonal's block)
        _vec_sub_cmul8(yr, yi, tr, ti, k, cr, ci, (k + 1) // 8 * 8, npad)
    for i in range(npad):
        yr[i] = xr[i]
        yi[i] = xi[i]
    for i in range(n - 1, -1, -1):  # backward: L^H x = z
        cr, ci = _div_diagonal(yr, yi, tr[i, i], i, xr, xi)
        _vec_sub_conj_cmul8(yr, yi, lr, li, i, cr, ci, (i + 7) // 8 * 8)  # entries from i on are consumed


@njit_slp(error_model="numpy")
def _normalise_t(vr, vi, n, npad):
    """``v /= |v|`` (as numba divides a complex by a real); returns ``|v|``."""
    s = 0.0
    for i in range(n):
        s += vr[i] * vr[i] + vi[i] * vi[i]
    s = np.sqrt(s)
    if s > 0:
        ratio = 0.0 / s
        _vec_cdiv(vr, vi, ratio, s + 0.0 * ratio, npad)
    return s


@njit_slp(error_model="numpy")
def _step_converged(vr, vi, wr, wi, n, npad, tol):
    """``1 - |<v, w>| < tol``, then ``v = w``."""
    dot = 0j
    for i in range(n):
        dot += complex(vr[i], -vi[i]) * complex(wr[i], wi[i])
    for i in range(npad):
        vr[i] = wr[i]
        vi[i] = wi[i]
    return 1.0 - abs(dot) < tol


@njit_slp(error_model="numpy")
def _power_iteration_t(atr, ati, vr, vi, wr, wi, n, npad, max_iter, tol):
    """Principal eigenvector of the Hermitian PSD matrix ``A`` given transposed (``atr[k, i] = Re A[i, k]``)."""
    _normalise_t(vr, vi, n, npad)
    for _ in range(max_iter):
        for i in range(npad):
            wr[i] = 0.0
            wi[i] = 0.0
        for k in range(n):  # w = sum_k A[:, k] v_k, k ascending
            _vec_add_cmul(wr, wi, atr, ati, k, vr[k], vi[k], npad)
        if _normalise_t(wr, wi, n, npad) == 0.0:
            return
        if _step_converged(vr, vi, wr, wi, n, npad, tol):
            return


@njit_slp(error_model="numpy")
def _inverse_iteration_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, max_iter, tol):
    """Eigenvector of the smallest eigenvalue of ``L L^H`` (into ``v``)."""
    _normalise_t(vr, vi, n, npad)
    return _inverse_steps_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, max_iter, tol)


@njit_slp(error_model="numpy")
def _inverse_steps_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, max_iter, tol):
    """Up to ``max_iter`` steps of :func:`_inverse_iteration_t` from the normalised ``v``; True when converged."""
    for _ in range(max_iter):
        _chol_solve_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad)
        if _normalise_t(wr, wi, n, npad) == 0.0:
            return False
        if _step_converged(vr, vi, wr, wi, n, npad, tol):
            return True
    return False


@njit_slp(error_model="numpy")
def _emi_rayleigh_t(mr, mi, vr, vi, yr, yi, n, npad):
    """Rayleigh quotient ``v^H M v / v^H v`` (``M = |G|^-1 o G``, transposed; >= the smallest eigenvalue)."""
    for i in range(npad):
        yr[i] = 0.0
        yi[i] = 0.0
    for k in range(n):  # t_i = sum_k M[i, k] v_k, k ascending
        _vec_add_cmul(yr, yi, mr, mi, k, vr[k], vi[k], npad)
    num = 0.0
    den = 0.0
    for i in range(n):
        num += (complex(vr[i], -vi[i]) * complex(yr[i], yi[i])).real
        den += vr[i] * vr[i] + vi[i] * vi[i]
    return num / den


@njit_slp(error_model="numpy")
def _emi_vector_t(mr, mi, tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad):
    """Eigenvector of the smallest eigenvalue of ``M = |G|^-1 o G`` (transposed in ``mr + i mi``) into ``v`` by
    shift-inverse iteration; False when that matrix is not positive definite (EMI undefined).

    The smallest eigenvalue is usually close to 1, so the shift is 0.99 first. With 11 x 11 windows on the
    benchmark stack (benchmarks/psds) it is below 0.99 for about half the pixels (not positive definite after the
    shift): then the iteration starts unshifted and, when it converges slowly (close eigenvalues), moves the
    shift up to just below the Rayleigh quotient (an upper bound of the smallest eigenvalue; a successful
    Cholesky factor proves the shift is below it), which turns ~100 steps into a handful."""
    shift = 0.99
    if not _emi_factor_t(mr, mi, tr, ti, n, npad, shift):
        shift = 0.0
        if not _emi_factor_t(mr, mi, tr, ti, n, npad, shift):
            return False
    _lower_rows(tr, ti, lr, li, n)
    if _inverse_iteration_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, 3, 1e-10):
        return True
    rho = _emi_rayleigh_t(mr, mi, vr, vi, yr, yi, n, npad)
    gap = 1e-4 * abs(rho) + 1e-6
    for _ in range(5):
        sigma = rho - gap
        if sigma <= shift:
            break
        if _emi_factor_t(mr, mi, tr, ti, n, npad, sigma):
            _lower_rows(tr, ti, lr, li, n)
            _inverse_iteration_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, 100, 1e-10)
            return True
        gap *= 10.0
    _emi_factor_t(mr, mi, tr, ti, n, npad, shift)
    _lower_rows(tr, ti, lr, li, n)
    _inverse_iteration_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, 100, 1e-10)
    return True


@njit_slp(error_model="numpy")
def _start_vector(gr, gi, vr, vi, n, npad):
    """``v = G[:, 0]`` (1 where an element is 0)."""
    for i in range(npad):
        vr[i] = 0.0
        vi[i] = 0.0
    for i in range(n):
        a = gr[i, 0]
        b = gi[i, 0]
        if np.sqrt(a * a + b * b) > 0:
            vr[i] = a
            vi[i] = b
        else:
            vr[i] = 1.0
            vi[i] = 0.0


@njit_slp(error_model="numpy")
def _temporal_coherence(gr, gi, vr, vi, pr, pim, term, n, npad):
    """``|sum_{m != n} exp(j (phi_mn - (theta_m - theta_n)))| / (N (N - 1))`` (the sum is real: terms come in
    conjugate pairs), added in the order of the scalar loop ``i < k``."""
    for k in range(n):
        a = np.sqrt(vr[k] * vr[k] + vi[k] * vi[k])
        if a > 0:
            ratio = 0.0 / a
            den = a + 0.0 * ratio
            pr[k] = (vr[k] + vi[k] * ratio) / den
            pim[k] = (vi[k] - vr[k] * ratio) / den
        else:
            pr[k] = 1.0
            pim[k] = 0.0
    acc = 0.0
    for i in range(n):
        _coherence_terms8(term, gr, gi, i, pr[i], -pim[i], pr, pim, (i + 1) // 8 * 8, npad)  # times conj(p_i)
        for k in range(i + 1, n):
            acc += term[k]
    return abs(2.0 * acc) / (n * (n - 1))


@njit_slp(error_model="numpy")
def _cevd_vector_t(gtr, gti, vr, vi, wr, wi, atr, ati, n, npad):
    """Principal eigenvector of ``|G| o G`` (coherence-weighted EVD) into ``v``, started from ``v`` (normalised
    here); ``atr + i ati`` is work."""
    for k in range(n):
        _row_times_abs(atr, ati, gtr, gti, k, npad)
    _power_iteration_t(atr, ati, vr, vi, wr, wi, n, npad, 100, 1e-10)


@njit_slp(error_model="numpy")
def _link_pixel_t(gr, gi, gtr, gti, method, beta, w8, mats, n, npad):
    """Linked phases of one sample coherence matrix ``G`` (``gr + i gi``, transposed ``gtr + i gti``) into
    ``w8[0] + i w8[1]``; returns the temporal coherence. ``w8`` (8, npad) and ``mats`` (8, n, npad) are work.
    The kernel links EMI pixels eight at a time (:func:`_link_emi_batch`, the same bits); this is the per-pixel
    reference of that path (tests) and the EVD / coherence-weighted EVD path."""
    vr, vi = w8[0], w8[1]
    wr, wi, yr, yi, t1, t2 = w8[2], w8[3], w8[4], w8[5], w8[6], w8[7]
    _start_vector(gr, gi, vr, vi, n, npad)
    if method == 1:
        _power_iteration_t(gtr, gti, vr, vi, wr, wi, n, npad, 100, 1e-10)
    elif method == 2:
        _cevd_vector_t(gtr, gti, vr, vi, wr, wi, mats[1], mats[2], n, npad)
    else:
        inv, p, u, ut, tr, ti, lr, li = mats[0], mats[1], mats[2], mats[3], mats[4], mats[5], mats[6], mats[7]
        for k in range(n):  # |G| regularised, transposed (only its lower triangle is read: from k's block on)
            _row_abs8(p, gtr, gti, k, 1.0 - beta, k // 8 * 8, npad)
            p[k, k] = 1.0
        # |G| is not always positive definite (few looks, or the regularisation too weak):
        # then EMI is undefined and the coherence-weighted EVD is used, as dolphin does
        ok = _real_spd_inverse_t(p, u, ut, inv, t1, n, npad)
        if ok:  # p and u are free again: M = |G|^-1 o G in them
            _emi_matrix_t(gtr, gti, inv, p, u, n, npad)
            ok = _emi_vector_t(p, u, tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad)
        if not ok:
            _start_vector(gr, gi, vr, vi, n, npad)
            _cevd_vector_t(gtr, gti, vr, vi, wr, wi, tr, ti, n, npad)
    return _temporal_coherence(gr, gi, vr, vi, t1, t2, yr, n, npad)
