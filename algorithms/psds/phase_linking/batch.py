"""Phase linking of eight pixels at once: EMI, EVD and coherence-weighted EVD, lane by lane.

A pixel's linking (the sample coherence ``G`` from its window sum, the inverse of ``|G|``, Cholesky factors,
triangular solves, power and inverse iteration, the temporal coherence) is bound by dependent chains, not by its
element operations: each pivot's square root and divisions, each substitution step and each sum waits for the one
before (docs/psds.md, Performance notes). Here the matrices of eight pixels are held side by side with the pixel (the
lane) on the last axis, ``a[k, i, q]``, and each step is a loop over the lanes, ``for q in range(LANES)``, whose
compiled form is written out for the eight lanes, all loads before the stores (:func:`.lane_passes.unrolled`, at a
kernel's first use): LLVM's SLP vectoriser packs each such group into one AVX-512 vector (two AVX2 vectors), so eight
independent chains advance in the time of one.

Each lane receives the same operations on its pixel's values, in one fixed order and association (numba contracts
nothing to FMA without fast-math flags; a complex product is numba's ``(ac - bd) + i(ad + bc)``, a complex divided
by a real ``d`` numba's division by ``d + 0i``), so a pixel's phases and coherence do not depend on the other pixels
of its batch, nor on the CPU. Where pixels take different paths (a shifted factor that is not positive definite, the
number of iteration steps, the re-shift attempts, ``|G|`` not positive definite), each lane has its own flags: every
lane computes each step, a lane that does not take it keeps its values (the step's results are not stored for it),
and a loop runs while any lane needs it. The values a lane computes but does not keep are never read; a pivot of a
failed factor is replaced by 1 so that they stay finite. Lanes whose ``|G|`` or unshifted factor is not positive
definite are left to the caller's coherence-weighted EVD; the few lanes still iterating when most have converged go
on one at a time (a step of eight lanes costs several single-lane steps).

This is the one source of the linking's arithmetic, plain Python that runs as it reads (:mod:`algorithms.lane_passes`
says how it is written: a name a lane loop assigns is that lane's own value; a lane value read in later loops is
declared ``y = np.empty(LANES)`` and written ``y[q]``; ``independent`` marks a loop whose steps each write their own
elements). From it come the compiled lanes (these kernels), the same functions on one lane of the batch's arrays
(:mod:`.lane`: a lane's last iteration steps alone, the same bits) and their numpy form (:mod:`.batch_numpy`: the
numpy path, every pixel of a tile at once). A loop over the lanes with another variable than ``q`` is the batch's
control. Arrays are float64 ``(n, n, LANES)`` (matrices, transposed: ``gtr[k, i, q] = Re G_q[i, k]``), ``(n,
LANES)`` (vectors) or ``(LANES,)`` (a value or flag per lane).
"""

from __future__ import annotations

import numpy as np

from ..._numba import njit_slp
from ...lane_passes import independent, unrolled

#: Pixels per batch: eight float64 lanes, one AVX-512 vector.
LANES = 8


@njit_slp(error_model="numpy", build=unrolled)
def _coherence_b(cr, ci, gtr, gti, s, n):
    """Per lane, the sample coherence ``G_ij = C_ij s_i s_j``, ``s = 1 / sqrt(C_ii)``, of the Hermitian window sum
    ``C = cr + i ci`` (``(n, n, LANES)``, every diagonal element positive), transposed into ``gtr + i gti``
    (``gtr[j, i, q] = Re G_q[i, j]``): ``(C_ij (s_i + 0i)) (s_j + 0i)``, complex times real as numba multiplies."""
    t = np.empty(LANES)
    for i in range(n):
        for q in range(LANES):
            d = cr[i, i, q]
            s[i, q] = 1.0 / np.sqrt(d)
    for i in range(n):
        for q in range(LANES):
            t[q] = s[i, q]
        for j in independent(range(n)):
            for q in range(LANES):
                a = cr[i, j, q]
                b = ci[i, j, q]
                u = s[j, q]
                x = a * t[q] - b * 0.0
                y = a * 0.0 + b * t[q]
                gtr[j, i, q] = x * u - y * 0.0
                gti[j, i, q] = x * 0.0 + y * u


@njit_slp(error_model="numpy", build=unrolled)
def _real_spd_inverse_b(gtr, gti, beta, p, u, inv, t, ok, n):
    """Per lane, ``|G|`` regularised (``(1 - beta) |G_ik|`` off the diagonal, 1 on it; ``gtr + i gti`` is ``G``
    transposed) inverted into ``inv`` as a Cholesky inverse does: Cholesky factor ``L`` in ``p``
    (transposed, its lower triangle), ``U = L^-T`` row by row in ``u``, ``inv = U U^T``. ``ok`` is False in the
    lanes where the matrix is not positive definite."""
    y, z, d, x1, x2, acc = np.empty((6, LANES))
    scale = 1.0 - beta
    for k in range(n):
        for i in independent(range(k, n)):
            for q in range(LANES):
                a = gtr[k, i, q]
                c = gti[k, i, q]
                p[k, i, q] = scale * np.sqrt(a * a + c * c)
        for q in range(LANES):
            p[k, k, q] = 1.0
    for q in range(LANES):
        ok[q] = True
    for j in range(n):  # column j from the finished columns k < j in order (two a pass), then divided by its pivot
        k = 0
        while k + 2 <= j:
            for q in range(LANES):
                y[q] = p[k, j, q]
                z[q] = p[k + 1, j, q]
            for i in independent(range(j, n)):
                for q in range(LANES):
                    x = p[k, i, q]
                    w = p[k + 1, i, q]
                    a = p[j, i, q]
                    p[j, i, q] = (a - x * y[q]) - w * z[q]
            k += 2
        if k < j:
            for q in range(LANES):
                y[q] = p[k, j, q]
            for i in independent(range(j, n)):
                for q in range(LANES):
                    x = p[k, i, q]
                    a = p[j, i, q]
                    p[j, i, q] = a - x * y[q]
        for q in range(LANES):
            s = p[j, j, q]
            f = s <= 0.0
            ok[q] = ok[q] and not f
            d[q] = np.sqrt(1.0 if f else s)
        for i in independent(range(j, n)):
            for q in range(LANES):
                a = p[j, i, q]
                p[j, i, q] = a / d[q]
        for q in range(LANES):
            p[j, j, q] = d[q]
    for j in range(n):  # row j of U solves L x = e_j (two steps a pass): the entries before j are 0, not stored
        for i in independent(range(j, n)):
            for q in range(LANES):
                t[i, q] = 0.0
        for q in range(LANES):
            t[j, q] = 1.0
        k = j
        while k < n:
            for q in range(LANES):
                x1[q] = t[k, q] / p[k, k, q]
                u[j, k, q] = x1[q]
            if k + 1 == n:
                break
            for q in range(LANES):
                a = t[k + 1, q] - p[k, k + 1, q] * x1[q]
                x2[q] = a / p[k + 1, k + 1, q]
                u[j, k + 1, q] = x2[q]
            for i in independent(range(k + 2, n)):
                for q in range(LANES):
                    w = p[k, i, q]
                    v = p[k + 1, i, q]
                    a = t[i, q]
                    t[i, q] = (a - w * x1[q]) - v * x2[q]
            k += 2
    # inv_ij = sum_k U_ik U_jk, k ascending from 0; U_jk = 0 for k < j, whose (finite) +-0 terms leave the +0
    # start as it is: the sum starts at k = max(i, j)
    for i in range(n):
        for j in range(i, n):
            for q in range(LANES):
                acc[q] = 0.0
            for k in independent(range(j, n)):
                for q in range(LANES):
                    a = u[i, k, q]
                    b = u[j, k, q]
                    acc[q] += b * a
            for q in range(LANES):
                inv[i, j, q] = acc[q]
                inv[j, i, q] = acc[q]


@njit_slp(error_model="numpy", build=unrolled)
def _emi_matrix_b(gtr, gti, inv, mr, mi, n):
    """``M = |G|^-1 o G``, transposed (``mr[k, i] = Re M[i, k]``), a real times a complex as numba multiplies."""
    for k in independent(range(n)):
        for i in independent(range(n)):
            for q in range(LANES):
                v = inv[k, i, q]
                a = gtr[k, i, q]
                b = gti[k, i, q]
                mr[k, i, q] = v * a - 0.0 * b
                mi[k, i, q] = v * b + 0.0 * a


@njit_slp(error_model="numpy", build=unrolled)
def _emi_factor_b(mr, mi, shift, tr, ti, ok, n):
    """Per lane, the complex Cholesky factor of ``M - shift I`` (transposed, its
    lower triangle, in ``tr + i ti``); ``ok`` is False in the lanes where that matrix is not positive definite."""
    yr, yi, zr, zi, d, r, e = np.empty((7, LANES))
    for q in range(LANES):
        ok[q] = True
    for j in range(n):
        for i in independent(range(j, n)):
            for q in range(LANES):
                a = mr[j, i, q]
                b = mi[j, i, q]
                tr[j, i, q] = a
                ti[j, i, q] = b
        for q in range(LANES):
            tr[j, j, q] -= shift[q]
        k = 0
        while k + 2 <= j:  # column j minus the finished columns k < j times conj(L[j, k]), in order, two a pass
            for q in range(LANES):
                yr[q] = tr[k, j, q]
                yi[q] = -ti[k, j, q]
                zr[q] = tr[k + 1, j, q]
                zi[q] = -ti[k + 1, j, q]
            for i in independent(range(j, n)):
                for q in range(LANES):
                    xr = tr[k, i, q]
                    xi = ti[k, i, q]
                    wr = tr[k + 1, i, q]
                    wi = ti[k + 1, i, q]
                    ar = tr[j, i, q]
                    ai = ti[j, i, q]
                    tr[j, i, q] = (ar - (xr * yr[q] - xi * yi[q])) - (wr * zr[q] - wi * zi[q])
                    ti[j, i, q] = (ai - (xr * yi[q] + xi * yr[q])) - (wr * zi[q] + wi * zr[q])
            k += 2
        if k < j:
            for q in range(LANES):
                yr[q] = tr[k, j, q]
                yi[q] = -ti[k, j, q]
            for i in independent(range(j, n)):
                for q in range(LANES):
                    xr = tr[k, i, q]
                    xi = ti[k, i, q]
                    ar = tr[j, i, q]
                    ai = ti[j, i, q]
                    tr[j, i, q] = ar - (xr * yr[q] - xi * yi[q])
                    ti[j, i, q] = ai - (xr * yi[q] + xi * yr[q])
        for q in range(LANES):
            s = tr[j, j, q]
            f = s <= 0.0
            ok[q] = ok[q] and not f
            d[q] = np.sqrt(1.0 if f else s)
            r[q] = 0.0 / d[q]
            e[q] = d[q] + 0.0 * r[q]
        for i in independent(range(j, n)):
            for q in range(LANES):
                a = tr[j, i, q]
                c = ti[j, i, q]
                tr[j, i, q] = (a + c * r[q]) / e[q]
                ti[j, i, q] = (c - a * r[q]) / e[q]
        for q in range(LANES):
            tr[j, j, q] = d[q]
            ti[j, j, q] = 0.0


@njit_slp(error_model="numpy", build=unrolled)
def _chol_solve_b(tr, ti, br, bi, xr, xi, n):
    """Per lane, ``L L^H x = b`` with the factor of :func:`_emi_factor_b` (each entry of the
    substitutions receives the steps in their order), two steps a pass over the
    entries not yet solved."""
    cr, ci, fr, fi = np.empty((4, LANES))
    for i in independent(range(n)):
        for q in range(LANES):
            xr[i, q] = br[i, q]
            xi[i, q] = bi[i, q]
    k = 0
    while k < n:  # forward: L z = b, z into x; steps k and k + 1
        for q in range(LANES):
            d = tr[k, k, q]
            r = 0.0 / d
            e = d + 0.0 * r
            a = xr[k, q]
            b = xi[k, q]
            cr[q] = (a + b * r) / e
            ci[q] = (b - a * r) / e
            xr[k, q] = cr[q]
            xi[k, q] = ci[q]
        if k + 1 == n:
            break
        for q in range(LANES):
            lr = tr[k, k + 1, q]
            li = ti[k, k + 1, q]
            a = xr[k + 1, q] - (lr * cr[q] - li * ci[q])
            b = xi[k + 1, q] - (lr * ci[q] + li * cr[q])
            d = tr[k + 1, k + 1, q]
            r = 0.0 / d
            e = d + 0.0 * r
            fr[q] = (a + b * r) / e
            fi[q] = (b - a * r) / e
            xr[k + 1, q] = fr[q]
            xi[k + 1, q] = fi[q]
        for i in independent(range(k + 2, n)):  # x -= L[:, k] z_k, then L[:, k + 1] z_k+1
            for q in range(LANES):
                lr = tr[k, i, q]
                li = ti[k, i, q]
                mr = tr[k + 1, i, q]
                mi = ti[k + 1, i, q]
                a = xr[i, q]
                b = xi[i, q]
                xr[i, q] = (a - (lr * cr[q] - li * ci[q])) - (mr * fr[q] - mi * fi[q])
                xi[i, q] = (b - (lr * ci[q] + li * cr[q])) - (mr * fi[q] + mi * fr[q])
        k += 2
    i = n - 1
    while i >= 0:  # backward: L^H x = z in place; steps i and i - 1
        for q in range(LANES):
            d = tr[i, i, q]
            r = 0.0 / d
            e = d + 0.0 * r
            a = xr[i, q]
            b = xi[i, q]
            cr[q] = (a + b * r) / e
            ci[q] = (b - a * r) / e
            xr[i, q] = cr[q]
            xi[i, q] = ci[q]
        if i == 0:
            break
        for q in range(LANES):
            lr = tr[i - 1, i, q]
            li = -ti[i - 1, i, q]
            a = xr[i - 1, q] - (lr * cr[q] - li * ci[q])
            b = xi[i - 1, q] - (lr * ci[q] + li * cr[q])
            d = tr[i - 1, i - 1, q]
            r = 0.0 / d
            e = d + 0.0 * r
            fr[q] = (a + b * r) / e
            fi[q] = (b - a * r) / e
            xr[i - 1, q] = fr[q]
            xi[i - 1, q] = fi[q]
        for m in independent(range(i - 1)):  # x -= conj(L[i, :]) x_i, then conj(L[i - 1, :]) x_i-1
            for q in range(LANES):
                lr = tr[m, i, q]
                li = -ti[m, i, q]
                mr = tr[m, i - 1, q]
                mi = -ti[m, i - 1, q]
                a = xr[m, q]
                b = xi[m, q]
                xr[m, q] = (a - (lr * cr[q] - li * ci[q])) - (mr * fr[q] - mi * fi[q])
                xi[m, q] = (b - (lr * ci[q] + li * cr[q])) - (mr * fi[q] + mi * fr[q])
        i -= 2


@njit_slp(error_model="numpy", build=unrolled)
def _normalise_b(vr, vi, go, s, n):
    """``v /= |v|`` in the lanes where ``go`` is True and ``|v| > 0`` (as numba divides a complex by a real);
    ``|v|`` of every lane into ``s``."""
    norm, r, e = np.empty((3, LANES))
    keep = np.empty(LANES, np.bool_)
    for q in range(LANES):
        norm[q] = 0.0
    for i in independent(range(n)):
        for q in range(LANES):
            a = vr[i, q]
            b = vi[i, q]
            norm[q] += a * a + b * b
    for q in range(LANES):
        norm[q] = np.sqrt(norm[q])
        s[q] = norm[q]
        keep[q] = go[q] and norm[q] > 0
        d = norm[q] if keep[q] else 1.0
        r[q] = 0.0 / d
        e[q] = d + 0.0 * r[q]
    for i in independent(range(n)):
        for q in range(LANES):
            a = vr[i, q]
            b = vi[i, q]
            vr[i, q] = (a + b * r[q]) / e[q] if keep[q] else a
            vi[i, q] = (b - a * r[q]) / e[q] if keep[q] else b


@njit_slp(error_model="numpy", build=unrolled)
def _step_converged_b(vr, vi, wr, wi, go, conv, n, tol):
    """In the lanes where ``go`` is True: ``conv = 1 - |<v, w>| < tol``, then ``v = w``
    (``|.|`` as numba's ``abs`` of a complex)."""
    sr, si = np.empty((2, LANES))
    for q in range(LANES):
        sr[q] = 0.0
        si[q] = 0.0
    for i in independent(range(n)):  # conj(v_i) w_i as numba multiplies complex numbers, added in order
        for q in range(LANES):
            a = vr[i, q]
            b = -vi[i, q]
            c = wr[i, q]
            d = wi[i, q]
            sr[q] += a * c - b * d
            si[q] += a * d + b * c
    for q in range(LANES):
        conv[q] = 1.0 - abs(complex(sr[q], si[q])) < tol
    for i in independent(range(n)):
        for q in range(LANES):
            a = vr[i, q]
            b = vi[i, q]
            c = wr[i, q]
            d = wi[i, q]
            vr[i, q] = c if go[q] else a
            vi[i, q] = d if go[q] else b


@njit_slp(error_model="numpy")
def _iterate_b(tr, ti, vr, vi, wr, wi, act, conv, run, c, s, n, max_iter, tol, min_run, inverse):
    """Per lane where ``act`` is True (the others keep ``v``): ``v`` normalised, then :func:`_steps_b`: inverse
    iteration on the factor ``L`` in ``tr + i ti`` (``inverse``: the eigenvector of the smallest eigenvalue of
    ``L L^H``) or power iteration on ``A`` transposed in ``tr + i ti`` (the principal eigenvector)."""
    _normalise_b(vr, vi, act, s, n)
    for l in range(LANES):
        run[l] = act[l]
        conv[l] = False
    return _steps_b(tr, ti, vr, vi, wr, wi, conv, run, c, s, n, max_iter, tol, min_run, inverse)


@njit_slp(error_model="numpy")
def _steps_b(tr, ti, vr, vi, wr, wi, conv, run, c, s, n, max_iter, tol, min_run, inverse):
    """Up to ``max_iter`` steps from the normalised ``v`` in the lanes where ``run`` is True: ``w`` the solve of
    ``L L^H w = v`` (``inverse``) or ``A v``, normalised, until ``1 - |<v, w>| < tol`` (then ``conv``), ``v = w``; a
    zero ``w`` stops its lane with ``v`` as it was. Stops early when fewer than ``min_run`` lanes are still
    running: ``run`` is then True in those lanes, which have taken the returned number of steps (their next steps
    give the same bits in :mod:`.lane`, one lane at a time). ``c`` and ``s`` are work (one value a lane)."""
    running = 0
    for l in range(LANES):
        running += run[l]
    for step in range(max_iter):
        if running < min_run:
            return step
        if inverse:
            _chol_solve_b(tr, ti, vr, vi, wr, wi, n)
        else:
            _matvec_b(tr, ti, vr, vi, wr, wi, n)
        _normalise_b(wr, wi, run, s, n)
        for l in range(LANES):
            run[l] = run[l] and s[l] != 0.0  # a zero step: that lane stops, not converged, v as it was
        _step_converged_b(vr, vi, wr, wi, run, c, n, tol)
        running = 0
        for l in range(LANES):
            if run[l] and c[l]:
                conv[l] = True
                run[l] = False
            running += run[l]
    return max_iter

@njit_slp(error_model="numpy", build=unrolled)
def _matvec_b(atr, ati, vr, vi, wr, wi, n):
    """Per lane, ``w = A v`` with ``A`` held transposed (``atr[k, i, q] = Re A_q[i, k]``): ``w_i = sum_k A[i, k]
    v_k``, ``k`` ascending, each term a complex product as numba multiplies."""
    cr, ci = np.empty((2, LANES))
    for i in independent(range(n)):
        for q in range(LANES):
            wr[i, q] = 0.0
            wi[i, q] = 0.0
    for k in range(n):
        for q in range(LANES):
            cr[q] = vr[k, q]
            ci[q] = vi[k, q]
        for i in independent(range(n)):
            for q in range(LANES):
                a = atr[k, i, q]
                b = ati[k, i, q]
                pr = wr[i, q]
                pi = wi[i, q]
                wr[i, q] = pr + (a * cr[q] - b * ci[q])
                wi[i, q] = pi + (a * ci[q] + b * cr[q])


@njit_slp(error_model="numpy", build=unrolled)
def _rayleigh_b(mr, mi, vr, vi, yr, yi, rho, gap, n):
    """Per lane, ``v^H M v / v^H v`` into ``rho`` (``M`` transposed; an upper bound of its smallest eigenvalue), and
    into ``gap`` how far below it EMI's first re-shift goes, ``1e-4 |rho| + 1e-6``."""
    num, den = np.empty((2, LANES))
    _matvec_b(mr, mi, vr, vi, yr, yi, n)
    for q in range(LANES):
        num[q] = 0.0
        den[q] = 0.0
    for i in independent(range(n)):
        for q in range(LANES):
            a = vr[i, q]
            b = -vi[i, q]
            c = yr[i, q]
            d = yi[i, q]
            num[q] += a * c - b * d  # Re(conj(v_i) y_i)
            den[q] += a * a + b * b
    for q in range(LANES):
        r = num[q] / den[q]
        rho[q] = r
        gap[q] = 1e-4 * abs(r) + 1e-6


@njit_slp(error_model="numpy", build=unrolled)
def _next_shift_b(rho, gap, shift, sigma, run, widen):
    """In the lanes where ``run`` is True (still looking: with ``widen``, their last re-shift's factor failed), the
    gap ten times wider when ``widen``, then the next re-shift ``sigma = rho - gap``; a lane whose re-shift would
    not rise above its ``shift`` stops looking (``run`` False)."""
    for q in range(LANES):
        g = gap[q]
        g = g * 10.0 if widen and run[q] else g
        gap[q] = g
        s = rho[q] - g
        sigma[q] = s if run[q] else sigma[q]
        run[q] = run[q] and not s <= shift[q]


@njit_slp(error_model="numpy", build=unrolled)
def _times_abs_b(gtr, gti, atr, ati, n):
    """Per lane, ``|G| o G`` (the coherence-weighted EVD's matrix; transposed as ``G``), a complex times a real as
    numba multiplies: ``(a + ib)(c + 0i)``."""
    for k in independent(range(n)):
        for i in independent(range(n)):
            for q in range(LANES):
                a = gtr[k, i, q]
                b = gti[k, i, q]
                c = np.sqrt(a * a + b * b)
                atr[k, i, q] = a * c - b * 0.0
                ati[k, i, q] = a * 0.0 + b * c


@njit_slp(error_model="numpy", build=unrolled)
def _start_vector_b(gtr, gti, vr, vi, n):
    """``v = G[:, 0]``, 1 where an element is 0 (the iterations' start)."""
    for i in independent(range(n)):
        for q in range(LANES):
            a = gtr[0, i, q]
            b = gti[0, i, q]
            z = np.sqrt(a * a + b * b) > 0
            vr[i, q] = a if z else 1.0
            vi[i, q] = b if z else 0.0


@njit_slp(error_model="numpy", build=unrolled)
def temporal_coherence_b(gtr, gti, vr, vi, pr, pim, tc, n):
    """Per lane, the temporal coherence of the linked vector ``v`` on ``G`` (transposed in ``gtr + i gti``, as for
    :func:`emi_batch`) into ``tc``, (Ferretti et al. 2011, eq. 24): the phases ``p = v / |v|`` (1 where
    ``v`` is 0), then ``Re((G_ik / |G_ik|) conj(p_i) p_k)`` added for ``i < k``, ``i`` then ``k`` ascending (+0 where
    ``G_ik`` is 0); ``pr + i pim`` is work."""
    cr, ci, acc = np.empty((3, LANES))
    for k in independent(range(n)):
        for q in range(LANES):
            a = vr[k, q]
            b = vi[k, q]
            m = np.sqrt(a * a + b * b)
            nz = m > 0
            d = m if nz else 1.0
            r = 0.0 / d
            e = d + 0.0 * r
            pr[k, q] = (a + b * r) / e if nz else 1.0
            pim[k, q] = (b - a * r) / e if nz else 0.0
    for q in range(LANES):
        acc[q] = 0.0
    for i in range(n):
        for q in range(LANES):
            cr[q] = pr[i, q]
            ci[q] = -pim[i, q]
        for k in independent(range(i + 1, n)):  # G[i, k] at [k, i] of the transpose
            for q in range(LANES):
                a = gtr[k, i, q]
                b = gti[k, i, q]
                u = pr[k, q]
                v = pim[k, q]
                m = np.sqrt(a * a + b * b)
                d = m if m != 0 else 1.0
                r = 0.0 / d
                e = d + 0.0 * r
                xr = (a + b * r) / e
                xi = (b - a * r) / e
                yr = xr * cr[q] - xi * ci[q]
                yi = xr * ci[q] + xi * cr[q]
                t = yr * u - yi * v
                acc[q] += t if m != 0 else 0.0
    for q in range(LANES):
        tc[q] = abs(2.0 * acc[q]) / (n * (n - 1))


@njit_slp(error_model="numpy")
def emi_batch(gtr, gti, beta, nl, mats, vecs, vals, flags, n, min_run):
    """EMI of the ``nl`` (1 to 8) pixels in the first lanes of ``gtr + i gti`` (``(n, n, 8)``: ``G`` transposed,
    ``gtr[k, i, l] = Re G_l[i, k]``; the other lanes must hold a finite Hermitian matrix, e.g. ``I``).

    Leaves in ``flags[0]`` True for the lanes whose EMI is defined, with their linked vectors in ``vecs[0] + i
    vecs[1]`` (``(n, 8)``), the eigenvector of the smallest eigenvalue of ``|G|^-1 o G``; False where ``|G|`` or the
    unshifted ``|G|^-1 o G`` is not positive definite (the caller's fallback). The last inverse iteration stops
    once fewer than ``min_run`` lanes still run (a vector step costs several single-lane steps): ``flags[3]`` is
    then True in those lanes, whose factor is in ``mats[5] + i mats[6]``, with the returned number of steps taken
    (of 100): the caller goes on lane by lane (:mod:`.lane`). Work: ``mats`` ``(8, n, n, 8)``,
    ``vecs`` ``(7, n, 8)``, ``vals`` ``(6, 8)``, ``flags`` (bool) ``(6, 8)``.

    The steps, all lanes at once: shift 0.99, then 0 in the lanes where that factor
    failed; three inverse-iteration steps; in the lanes not converged, the Rayleigh quotient and up to five
    re-shift attempts (each a factor of all lanes, into scratch: a lane takes the first shift that succeeds, or
    its first shift when the shift would not rise), each lane's factor made again with the shift it took (the same
    bits as the attempt's), then up to 100 steps. A lane's factor is never kept aside: a lane that needs no new
    factor in a step makes its own again.

    The smallest eigenvalue is usually close to 1, so the shift is 0.99 first. With 11 x 11 windows on the
    benchmark stack (benchmarks/psds) it is below 0.99 for about half the pixels (not positive definite after the
    shift): then the iteration starts unshifted and, when it converges slowly (close eigenvalues), moves the
    shift up to just below the Rayleigh quotient (an upper bound of the smallest eigenvalue; a successful
    Cholesky factor proves the shift is below it), which turns ~100 steps into a handful."""
    p, u, inv, mr, mi, tr, ti, sr = mats[0], mats[1], mats[2], mats[3], mats[4], mats[5], mats[6], mats[7]
    si = u  # free once inv is made
    vr, vi, wr, wi, yr, yi, t = vecs[0], vecs[1], vecs[2], vecs[3], vecs[4], vecs[5], vecs[6]
    shift, sigma, rho, gap, s, final = vals[0], vals[1], vals[2], vals[3], vals[4], vals[5]
    emi, ok, conv, run, c, act = flags[0], flags[1], flags[2], flags[3], flags[4], flags[5]
    _real_spd_inverse_b(gtr, gti, beta, p, u, inv, t, emi, n)
    _emi_matrix_b(gtr, gti, inv, mr, mi, n)
    for l in range(LANES):
        shift[l] = 0.99
    _emi_factor_b(mr, mi, shift, tr, ti, ok, n)
    retry = False
    for l in range(LANES):
        if l < nl and emi[l] and not ok[l]:
            shift[l] = 0.0
            retry = True
    if retry:  # shift 0 where 0.99 is above the smallest eigenvalue; the other lanes make their factor again
        _emi_factor_b(mr, mi, shift, tr, ti, ok, n)
    for l in range(LANES):
        emi[l] = l < nl and emi[l] and ok[l]
    _start_vector_b(gtr, gti, vr, vi, n)
    _iterate_b(tr, ti, vr, vi, wr, wi, emi, conv, run, c, s, n, 3, 1e-10, 1, True)
    more = False
    for l in range(LANES):
        act[l] = emi[l] and not conv[l]
        more = more or act[l]
    if not more:
        return 0
    # slow convergence (close eigenvalues): the shift up to just below the Rayleigh quotient
    _rayleigh_b(mr, mi, vr, vi, yr, yi, rho, gap, n)
    for l in range(LANES):
        run[l] = act[l]  # still looking for a higher shift
        final[l] = shift[l]
        sigma[l] = shift[l]
    for attempt in range(5):
        _next_shift_b(rho, gap, shift, sigma, run, attempt > 0)
        more = False
        for l in range(LANES):
            more = more or run[l]
        if not more:
            break
        _emi_factor_b(mr, mi, sigma, sr, si, c, n)
        for l in range(LANES):
            if run[l] and c[l]:
                final[l] = sigma[l]
                run[l] = False
    more = False
    for l in range(LANES):
        more = more or final[l] != shift[l]
    if more:  # each lane's factor: the accepted re-shift, else the first shift's again
        _emi_factor_b(mr, mi, final, tr, ti, c, n)
    return _iterate_b(tr, ti, vr, vi, wr, wi, act, conv, run, c, s, n, 100, 1e-10, min_run, True)
