"""EMI phase linking of eight pixels at once: the per-pixel EMI of :mod:`.phase_linking`, lane by lane.

The per-pixel EMI (``phase_linking._link_pixel_t``) is bound by dependent chains, not by its element operations:
each pivot's square root and divisions, each substitution step and each sum waits for the one before
(BENCHMARKS.md, "DS phase linking: the kernel stage by stage"). Here the matrices of eight pixels are held side by
side with the pixel (the lane) on the last axis, ``a[k, i, l]``, and every step is written out for the eight lanes,
all loads before the stores: LLVM's SLP vectoriser packs each such group into one AVX-512 vector (two AVX2 vectors),
so eight independent chains advance in the time of one.

Same bits as the per-pixel code: each lane receives exactly that code's operations on that pixel's values, in its
order and association (numba contracts nothing to FMA without fast-math flags; a complex product is numba's
``(ac - bd) + i(ad + bc)``, a complex divided by a real ``d`` numba's division by ``d + 0i``), so a pixel's phases
and coherence do not depend on the other pixels of its batch, nor on the CPU. Where pixels take different paths
(a shifted factor that is not positive definite, the number of inverse-iteration steps, the re-shift attempts,
``|G|`` not positive definite), each lane has its own flags: every lane computes each step, a lane that does not
take it keeps its values (the step's results are not stored for it), and a loop runs while any lane needs it.
The values a lane computes but does not keep are never read; a pivot of a failed factor is replaced by 1 so that
they stay finite. Lanes whose ``|G|`` or unshifted factor is not positive definite are left to the caller's
coherence-weighted EVD, as in the per-pixel code; so are, for their last inverse-iteration steps, the few lanes still
iterating when most have converged (a step of eight lanes costs several single-pixel steps).
"""

from __future__ import annotations

import numpy as np

from .._numba import njit

#: Pixels per batch: eight float64 lanes, one AVX-512 vector.
LANES = 8


@njit(error_model="numpy")
def _real_spd_inverse_b(gtr, gti, scale, p, u, inv, t, ok, n):
    """Per lane, ``|G|`` regularised (``scale |G_ik|`` off the diagonal, 1 on it; ``gtr + i gti`` is ``G``
    transposed) inverted into ``inv`` as ``phase_linking._real_spd_inverse_t`` does: Cholesky factor ``L`` in ``p``
    (transposed, its lower triangle), ``U = L^-T`` row by row in ``u``, ``inv = U U^T``. ``ok`` is False in the
    lanes where the matrix is not positive definite."""
    for k in range(n):
        for i in range(k, n):
            a0 = gtr[k, i, 0]
            a1 = gtr[k, i, 1]
            a2 = gtr[k, i, 2]
            a3 = gtr[k, i, 3]
            a4 = gtr[k, i, 4]
            a5 = gtr[k, i, 5]
            a6 = gtr[k, i, 6]
            a7 = gtr[k, i, 7]
            c0 = gti[k, i, 0]
            c1 = gti[k, i, 1]
            c2 = gti[k, i, 2]
            c3 = gti[k, i, 3]
            c4 = gti[k, i, 4]
            c5 = gti[k, i, 5]
            c6 = gti[k, i, 6]
            c7 = gti[k, i, 7]
            p[k, i, 0] = scale * np.sqrt(a0 * a0 + c0 * c0)
            p[k, i, 1] = scale * np.sqrt(a1 * a1 + c1 * c1)
            p[k, i, 2] = scale * np.sqrt(a2 * a2 + c2 * c2)
            p[k, i, 3] = scale * np.sqrt(a3 * a3 + c3 * c3)
            p[k, i, 4] = scale * np.sqrt(a4 * a4 + c4 * c4)
            p[k, i, 5] = scale * np.sqrt(a5 * a5 + c5 * c5)
            p[k, i, 6] = scale * np.sqrt(a6 * a6 + c6 * c6)
            p[k, i, 7] = scale * np.sqrt(a7 * a7 + c7 * c7)
        p[k, k, 0] = 1.0
        p[k, k, 1] = 1.0
        p[k, k, 2] = 1.0
        p[k, k, 3] = 1.0
        p[k, k, 4] = 1.0
        p[k, k, 5] = 1.0
        p[k, k, 6] = 1.0
        p[k, k, 7] = 1.0
    ok[0] = True
    ok[1] = True
    ok[2] = True
    ok[3] = True
    ok[4] = True
    ok[5] = True
    ok[6] = True
    ok[7] = True
    for j in range(n):  # column j from the finished columns k < j in order (two a pass), then divided by its pivot
        k = 0
        while k + 2 <= j:
            y0 = p[k, j, 0]
            y1 = p[k, j, 1]
            y2 = p[k, j, 2]
            y3 = p[k, j, 3]
            y4 = p[k, j, 4]
            y5 = p[k, j, 5]
            y6 = p[k, j, 6]
            y7 = p[k, j, 7]
            z0 = p[k + 1, j, 0]
            z1 = p[k + 1, j, 1]
            z2 = p[k + 1, j, 2]
            z3 = p[k + 1, j, 3]
            z4 = p[k + 1, j, 4]
            z5 = p[k + 1, j, 5]
            z6 = p[k + 1, j, 6]
            z7 = p[k + 1, j, 7]
            for i in range(j, n):
                x0 = p[k, i, 0]
                x1 = p[k, i, 1]
                x2 = p[k, i, 2]
                x3 = p[k, i, 3]
                x4 = p[k, i, 4]
                x5 = p[k, i, 5]
                x6 = p[k, i, 6]
                x7 = p[k, i, 7]
                w0 = p[k + 1, i, 0]
                w1 = p[k + 1, i, 1]
                w2 = p[k + 1, i, 2]
                w3 = p[k + 1, i, 3]
                w4 = p[k + 1, i, 4]
                w5 = p[k + 1, i, 5]
                w6 = p[k + 1, i, 6]
                w7 = p[k + 1, i, 7]
                a0 = p[j, i, 0]
                a1 = p[j, i, 1]
                a2 = p[j, i, 2]
                a3 = p[j, i, 3]
                a4 = p[j, i, 4]
                a5 = p[j, i, 5]
                a6 = p[j, i, 6]
                a7 = p[j, i, 7]
                p[j, i, 0] = (a0 - x0 * y0) - w0 * z0
                p[j, i, 1] = (a1 - x1 * y1) - w1 * z1
                p[j, i, 2] = (a2 - x2 * y2) - w2 * z2
                p[j, i, 3] = (a3 - x3 * y3) - w3 * z3
                p[j, i, 4] = (a4 - x4 * y4) - w4 * z4
                p[j, i, 5] = (a5 - x5 * y5) - w5 * z5
                p[j, i, 6] = (a6 - x6 * y6) - w6 * z6
                p[j, i, 7] = (a7 - x7 * y7) - w7 * z7
            k += 2
        if k < j:
            y0 = p[k, j, 0]
            y1 = p[k, j, 1]
            y2 = p[k, j, 2]
            y3 = p[k, j, 3]
            y4 = p[k, j, 4]
            y5 = p[k, j, 5]
            y6 = p[k, j, 6]
            y7 = p[k, j, 7]
            for i in range(j, n):
                x0 = p[k, i, 0]
                x1 = p[k, i, 1]
                x2 = p[k, i, 2]
                x3 = p[k, i, 3]
                x4 = p[k, i, 4]
                x5 = p[k, i, 5]
                x6 = p[k, i, 6]
                x7 = p[k, i, 7]
                a0 = p[j, i, 0]
                a1 = p[j, i, 1]
                a2 = p[j, i, 2]
                a3 = p[j, i, 3]
                a4 = p[j, i, 4]
                a5 = p[j, i, 5]
                a6 = p[j, i, 6]
                a7 = p[j, i, 7]
                p[j, i, 0] = a0 - x0 * y0
                p[j, i, 1] = a1 - x1 * y1
                p[j, i, 2] = a2 - x2 * y2
                p[j, i, 3] = a3 - x3 * y3
                p[j, i, 4] = a4 - x4 * y4
                p[j, i, 5] = a5 - x5 * y5
                p[j, i, 6] = a6 - x6 * y6
                p[j, i, 7] = a7 - x7 * y7
        s0 = p[j, j, 0]
        s1 = p[j, j, 1]
        s2 = p[j, j, 2]
        s3 = p[j, j, 3]
        s4 = p[j, j, 4]
        s5 = p[j, j, 5]
        s6 = p[j, j, 6]
        s7 = p[j, j, 7]
        f0 = s0 <= 0.0
        f1 = s1 <= 0.0
        f2 = s2 <= 0.0
        f3 = s3 <= 0.0
        f4 = s4 <= 0.0
        f5 = s5 <= 0.0
        f6 = s6 <= 0.0
        f7 = s7 <= 0.0
        ok[0] = ok[0] and not f0
        ok[1] = ok[1] and not f1
        ok[2] = ok[2] and not f2
        ok[3] = ok[3] and not f3
        ok[4] = ok[4] and not f4
        ok[5] = ok[5] and not f5
        ok[6] = ok[6] and not f6
        ok[7] = ok[7] and not f7
        d0 = np.sqrt(1.0 if f0 else s0)
        d1 = np.sqrt(1.0 if f1 else s1)
        d2 = np.sqrt(1.0 if f2 else s2)
        d3 = np.sqrt(1.0 if f3 else s3)
        d4 = np.sqrt(1.0 if f4 else s4)
        d5 = np.sqrt(1.0 if f5 else s5)
        d6 = np.sqrt(1.0 if f6 else s6)
        d7 = np.sqrt(1.0 if f7 else s7)
        for i in range(j, n):
            a0 = p[j, i, 0]
            a1 = p[j, i, 1]
            a2 = p[j, i, 2]
            a3 = p[j, i, 3]
            a4 = p[j, i, 4]
            a5 = p[j, i, 5]
            a6 = p[j, i, 6]
            a7 = p[j, i, 7]
            p[j, i, 0] = a0 / d0
            p[j, i, 1] = a1 / d1
            p[j, i, 2] = a2 / d2
            p[j, i, 3] = a3 / d3
            p[j, i, 4] = a4 / d4
            p[j, i, 5] = a5 / d5
            p[j, i, 6] = a6 / d6
            p[j, i, 7] = a7 / d7
        p[j, j, 0] = d0
        p[j, j, 1] = d1
        p[j, j, 2] = d2
        p[j, j, 3] = d3
        p[j, j, 4] = d4
        p[j, j, 5] = d5
        p[j, j, 6] = d6
        p[j, j, 7] = d7
    for j in range(n):  # row j of U solves L x = e_j (two steps a pass): the entries before j are 0, not stored
        for i in range(j, n):
            t[i, 0] = 0.0
            t[i, 1] = 0.0
            t[i, 2] = 0.0
            t[i, 3] = 0.0
            t[i, 4] = 0.0
            t[i, 5] = 0.0
            t[i, 6] = 0.0
            t[i, 7] = 0.0
        t[j, 0] = 1.0
        t[j, 1] = 1.0
        t[j, 2] = 1.0
        t[j, 3] = 1.0
        t[j, 4] = 1.0
        t[j, 5] = 1.0
        t[j, 6] = 1.0
        t[j, 7] = 1.0
        k = j
        while k < n:
            x0 = t[k, 0] / p[k, k, 0]
            x1 = t[k, 1] / p[k, k, 1]
            x2 = t[k, 2] / p[k, k, 2]
            x3 = t[k, 3] / p[k, k, 3]
            x4 = t[k, 4] / p[k, k, 4]
            x5 = t[k, 5] / p[k, k, 5]
            x6 = t[k, 6] / p[k, k, 6]
            x7 = t[k, 7] / p[k, k, 7]
            u[j, k, 0] = x0
            u[j, k, 1] = x1
            u[j, k, 2] = x2
            u[j, k, 3] = x3
            u[j, k, 4] = x4
            u[j, k, 5] = x5
            u[j, k, 6] = x6
            u[j, k, 7] = x7
            if k + 1 == n:
                break
            a0 = t[k + 1, 0] - p[k, k + 1, 0] * x0
            a1 = t[k + 1, 1] - p[k, k + 1, 1] * x1
            a2 = t[k + 1, 2] - p[k, k + 1, 2] * x2
            a3 = t[k + 1, 3] - p[k, k + 1, 3] * x3
            a4 = t[k + 1, 4] - p[k, k + 1, 4] * x4
            a5 = t[k + 1, 5] - p[k, k + 1, 5] * x5
            a6 = t[k + 1, 6] - p[k, k + 1, 6] * x6
            a7 = t[k + 1, 7] - p[k, k + 1, 7] * x7
            y0 = a0 / p[k + 1, k + 1, 0]
            y1 = a1 / p[k + 1, k + 1, 1]
            y2 = a2 / p[k + 1, k + 1, 2]
            y3 = a3 / p[k + 1, k + 1, 3]
            y4 = a4 / p[k + 1, k + 1, 4]
            y5 = a5 / p[k + 1, k + 1, 5]
            y6 = a6 / p[k + 1, k + 1, 6]
            y7 = a7 / p[k + 1, k + 1, 7]
            u[j, k + 1, 0] = y0
            u[j, k + 1, 1] = y1
            u[j, k + 1, 2] = y2
            u[j, k + 1, 3] = y3
            u[j, k + 1, 4] = y4
            u[j, k + 1, 5] = y5
            u[j, k + 1, 6] = y6
            u[j, k + 1, 7] = y7
            for i in range(k + 2, n):
                w0 = p[k, i, 0]
                w1 = p[k, i, 1]
                w2 = p[k, i, 2]
                w3 = p[k, i, 3]
                w4 = p[k, i, 4]
                w5 = p[k, i, 5]
                w6 = p[k, i, 6]
                w7 = p[k, i, 7]
                z0 = p[k + 1, i, 0]
                z1 = p[k + 1, i, 1]
                z2 = p[k + 1, i, 2]
                z3 = p[k + 1, i, 3]
                z4 = p[k + 1, i, 4]
                z5 = p[k + 1, i, 5]
                z6 = p[k + 1, i, 6]
                z7 = p[k + 1, i, 7]
                a0 = t[i, 0]
                a1 = t[i, 1]
                a2 = t[i, 2]
                a3 = t[i, 3]
                a4 = t[i, 4]
                a5 = t[i, 5]
                a6 = t[i, 6]
                a7 = t[i, 7]
                t[i, 0] = (a0 - w0 * x0) - z0 * y0
                t[i, 1] = (a1 - w1 * x1) - z1 * y1
                t[i, 2] = (a2 - w2 * x2) - z2 * y2
                t[i, 3] = (a3 - w3 * x3) - z3 * y3
                t[i, 4] = (a4 - w4 * x4) - z4 * y4
                t[i, 5] = (a5 - w5 * x5) - z5 * y5
                t[i, 6] = (a6 - w6 * x6) - z6 * y6
                t[i, 7] = (a7 - w7 * x7) - z7 * y7
            k += 2
    # inv_ij = sum_k U_ik U_jk, k ascending from 0; U_jk = 0 for k < j, whose (finite) +-0 terms leave the +0
    # start as it is: the sum starts at k = max(i, j)
    for i in range(n):
        for j in range(i, n):
            s0 = 0.0
            s1 = 0.0
            s2 = 0.0
            s3 = 0.0
            s4 = 0.0
            s5 = 0.0
            s6 = 0.0
            s7 = 0.0
            for k in range(j, n):
                a0 = u[i, k, 0]
                a1 = u[i, k, 1]
                a2 = u[i, k, 2]
                a3 = u[i, k, 3]
                a4 = u[i, k, 4]
                a5 = u[i, k, 5]
                a6 = u[i, k, 6]
                a7 = u[i, k, 7]
                b0 = u[j, k, 0]
                b1 = u[j, k, 1]
                b2 = u[j, k, 2]
                b3 = u[j, k, 3]
                b4 = u[j, k, 4]
                b5 = u[j, k, 5]
                b6 = u[j, k, 6]
                b7 = u[j, k, 7]
                s0 += b0 * a0
                s1 += b1 * a1
                s2 += b2 * a2
                s3 += b3 * a3
                s4 += b4 * a4
                s5 += b5 * a5
                s6 += b6 * a6
                s7 += b7 * a7
            inv[i, j, 0] = s0
            inv[i, j, 1] = s1
            inv[i, j, 2] = s2
            inv[i, j, 3] = s3
            inv[i, j, 4] = s4
            inv[i, j, 5] = s5
            inv[i, j, 6] = s6
            inv[i, j, 7] = s7
            inv[j, i, 0] = s0
            inv[j, i, 1] = s1
            inv[j, i, 2] = s2
            inv[j, i, 3] = s3
            inv[j, i, 4] = s4
            inv[j, i, 5] = s5
            inv[j, i, 6] = s6
            inv[j, i, 7] = s7


@njit(error_model="numpy")
def _emi_matrix_b(gtr, gti, inv, mr, mi, n):
    """``M = |G|^-1 o G``, transposed (``mr[k, i] = Re M[i, k]``), a real times a complex as numba multiplies."""
    for k in range(n):
        for i in range(n):
            v0 = inv[k, i, 0]
            v1 = inv[k, i, 1]
            v2 = inv[k, i, 2]
            v3 = inv[k, i, 3]
            v4 = inv[k, i, 4]
            v5 = inv[k, i, 5]
            v6 = inv[k, i, 6]
            v7 = inv[k, i, 7]
            a0 = gtr[k, i, 0]
            a1 = gtr[k, i, 1]
            a2 = gtr[k, i, 2]
            a3 = gtr[k, i, 3]
            a4 = gtr[k, i, 4]
            a5 = gtr[k, i, 5]
            a6 = gtr[k, i, 6]
            a7 = gtr[k, i, 7]
            b0 = gti[k, i, 0]
            b1 = gti[k, i, 1]
            b2 = gti[k, i, 2]
            b3 = gti[k, i, 3]
            b4 = gti[k, i, 4]
            b5 = gti[k, i, 5]
            b6 = gti[k, i, 6]
            b7 = gti[k, i, 7]
            mr[k, i, 0] = v0 * a0 - 0.0 * b0
            mr[k, i, 1] = v1 * a1 - 0.0 * b1
            mr[k, i, 2] = v2 * a2 - 0.0 * b2
            mr[k, i, 3] = v3 * a3 - 0.0 * b3
            mr[k, i, 4] = v4 * a4 - 0.0 * b4
            mr[k, i, 5] = v5 * a5 - 0.0 * b5
            mr[k, i, 6] = v6 * a6 - 0.0 * b6
            mr[k, i, 7] = v7 * a7 - 0.0 * b7
            mi[k, i, 0] = v0 * b0 + 0.0 * a0
            mi[k, i, 1] = v1 * b1 + 0.0 * a1
            mi[k, i, 2] = v2 * b2 + 0.0 * a2
            mi[k, i, 3] = v3 * b3 + 0.0 * a3
            mi[k, i, 4] = v4 * b4 + 0.0 * a4
            mi[k, i, 5] = v5 * b5 + 0.0 * a5
            mi[k, i, 6] = v6 * b6 + 0.0 * a6
            mi[k, i, 7] = v7 * b7 + 0.0 * a7


@njit(error_model="numpy")
def _emi_factor_b(mr, mi, shift, tr, ti, ok, n):
    """Per lane, the complex Cholesky factor of ``M - shift I`` (``phase_linking._emi_factor_t``; transposed, its
    lower triangle, in ``tr + i ti``); ``ok`` is False in the lanes where that matrix is not positive definite."""
    ok[0] = True
    ok[1] = True
    ok[2] = True
    ok[3] = True
    ok[4] = True
    ok[5] = True
    ok[6] = True
    ok[7] = True
    for j in range(n):
        for i in range(j, n):
            a0 = mr[j, i, 0]
            a1 = mr[j, i, 1]
            a2 = mr[j, i, 2]
            a3 = mr[j, i, 3]
            a4 = mr[j, i, 4]
            a5 = mr[j, i, 5]
            a6 = mr[j, i, 6]
            a7 = mr[j, i, 7]
            b0 = mi[j, i, 0]
            b1 = mi[j, i, 1]
            b2 = mi[j, i, 2]
            b3 = mi[j, i, 3]
            b4 = mi[j, i, 4]
            b5 = mi[j, i, 5]
            b6 = mi[j, i, 6]
            b7 = mi[j, i, 7]
            tr[j, i, 0] = a0
            tr[j, i, 1] = a1
            tr[j, i, 2] = a2
            tr[j, i, 3] = a3
            tr[j, i, 4] = a4
            tr[j, i, 5] = a5
            tr[j, i, 6] = a6
            tr[j, i, 7] = a7
            ti[j, i, 0] = b0
            ti[j, i, 1] = b1
            ti[j, i, 2] = b2
            ti[j, i, 3] = b3
            ti[j, i, 4] = b4
            ti[j, i, 5] = b5
            ti[j, i, 6] = b6
            ti[j, i, 7] = b7
        tr[j, j, 0] -= shift[0]
        tr[j, j, 1] -= shift[1]
        tr[j, j, 2] -= shift[2]
        tr[j, j, 3] -= shift[3]
        tr[j, j, 4] -= shift[4]
        tr[j, j, 5] -= shift[5]
        tr[j, j, 6] -= shift[6]
        tr[j, j, 7] -= shift[7]
        k = 0
        while k + 2 <= j:  # column j minus the finished columns k < j times conj(L[j, k]), in order, two a pass
            y0r = tr[k, j, 0]
            y1r = tr[k, j, 1]
            y2r = tr[k, j, 2]
            y3r = tr[k, j, 3]
            y4r = tr[k, j, 4]
            y5r = tr[k, j, 5]
            y6r = tr[k, j, 6]
            y7r = tr[k, j, 7]
            y0i = -ti[k, j, 0]
            y1i = -ti[k, j, 1]
            y2i = -ti[k, j, 2]
            y3i = -ti[k, j, 3]
            y4i = -ti[k, j, 4]
            y5i = -ti[k, j, 5]
            y6i = -ti[k, j, 6]
            y7i = -ti[k, j, 7]
            z0r = tr[k + 1, j, 0]
            z1r = tr[k + 1, j, 1]
            z2r = tr[k + 1, j, 2]
            z3r = tr[k + 1, j, 3]
            z4r = tr[k + 1, j, 4]
            z5r = tr[k + 1, j, 5]
            z6r = tr[k + 1, j, 6]
            z7r = tr[k + 1, j, 7]
            z0i = -ti[k + 1, j, 0]
            z1i = -ti[k + 1, j, 1]
            z2i = -ti[k + 1, j, 2]
            z3i = -ti[k + 1, j, 3]
            z4i = -ti[k + 1, j, 4]
            z5i = -ti[k + 1, j, 5]
            z6i = -ti[k + 1, j, 6]
            z7i = -ti[k + 1, j, 7]
            for i in range(j, n):
                x0r = tr[k, i, 0]
                x1r = tr[k, i, 1]
                x2r = tr[k, i, 2]
                x3r = tr[k, i, 3]
                x4r = tr[k, i, 4]
                x5r = tr[k, i, 5]
                x6r = tr[k, i, 6]
                x7r = tr[k, i, 7]
                x0i = ti[k, i, 0]
                x1i = ti[k, i, 1]
                x2i = ti[k, i, 2]
                x3i = ti[k, i, 3]
                x4i = ti[k, i, 4]
                x5i = ti[k, i, 5]
                x6i = ti[k, i, 6]
                x7i = ti[k, i, 7]
                w0r = tr[k + 1, i, 0]
                w1r = tr[k + 1, i, 1]
                w2r = tr[k + 1, i, 2]
                w3r = tr[k + 1, i, 3]
                w4r = tr[k + 1, i, 4]
                w5r = tr[k + 1, i, 5]
                w6r = tr[k + 1, i, 6]
                w7r = tr[k + 1, i, 7]
                w0i = ti[k + 1, i, 0]
                w1i = ti[k + 1, i, 1]
                w2i = ti[k + 1, i, 2]
                w3i = ti[k + 1, i, 3]
                w4i = ti[k + 1, i, 4]
                w5i = ti[k + 1, i, 5]
                w6i = ti[k + 1, i, 6]
                w7i = ti[k + 1, i, 7]
                a0r = tr[j, i, 0]
                a1r = tr[j, i, 1]
                a2r = tr[j, i, 2]
                a3r = tr[j, i, 3]
                a4r = tr[j, i, 4]
                a5r = tr[j, i, 5]
                a6r = tr[j, i, 6]
                a7r = tr[j, i, 7]
                a0i = ti[j, i, 0]
                a1i = ti[j, i, 1]
                a2i = ti[j, i, 2]
                a3i = ti[j, i, 3]
                a4i = ti[j, i, 4]
                a5i = ti[j, i, 5]
                a6i = ti[j, i, 6]
                a7i = ti[j, i, 7]
                tr[j, i, 0] = (a0r - (x0r * y0r - x0i * y0i)) - (w0r * z0r - w0i * z0i)
                tr[j, i, 1] = (a1r - (x1r * y1r - x1i * y1i)) - (w1r * z1r - w1i * z1i)
                tr[j, i, 2] = (a2r - (x2r * y2r - x2i * y2i)) - (w2r * z2r - w2i * z2i)
                tr[j, i, 3] = (a3r - (x3r * y3r - x3i * y3i)) - (w3r * z3r - w3i * z3i)
                tr[j, i, 4] = (a4r - (x4r * y4r - x4i * y4i)) - (w4r * z4r - w4i * z4i)
                tr[j, i, 5] = (a5r - (x5r * y5r - x5i * y5i)) - (w5r * z5r - w5i * z5i)
                tr[j, i, 6] = (a6r - (x6r * y6r - x6i * y6i)) - (w6r * z6r - w6i * z6i)
                tr[j, i, 7] = (a7r - (x7r * y7r - x7i * y7i)) - (w7r * z7r - w7i * z7i)
                ti[j, i, 0] = (a0i - (x0r * y0i + x0i * y0r)) - (w0r * z0i + w0i * z0r)
                ti[j, i, 1] = (a1i - (x1r * y1i + x1i * y1r)) - (w1r * z1i + w1i * z1r)
                ti[j, i, 2] = (a2i - (x2r * y2i + x2i * y2r)) - (w2r * z2i + w2i * z2r)
                ti[j, i, 3] = (a3i - (x3r * y3i + x3i * y3r)) - (w3r * z3i + w3i * z3r)
                ti[j, i, 4] = (a4i - (x4r * y4i + x4i * y4r)) - (w4r * z4i + w4i * z4r)
                ti[j, i, 5] = (a5i - (x5r * y5i + x5i * y5r)) - (w5r * z5i + w5i * z5r)
                ti[j, i, 6] = (a6i - (x6r * y6i + x6i * y6r)) - (w6r * z6i + w6i * z6r)
                ti[j, i, 7] = (a7i - (x7r * y7i + x7i * y7r)) - (w7r * z7i + w7i * z7r)
            k += 2
        if k < j:
            y0r = tr[k, j, 0]
            y1r = tr[k, j, 1]
            y2r = tr[k, j, 2]
            y3r = tr[k, j, 3]
            y4r = tr[k, j, 4]
            y5r = tr[k, j, 5]
            y6r = tr[k, j, 6]
            y7r = tr[k, j, 7]
            y0i = -ti[k, j, 0]
            y1i = -ti[k, j, 1]
            y2i = -ti[k, j, 2]
            y3i = -ti[k, j, 3]
            y4i = -ti[k, j, 4]
            y5i = -ti[k, j, 5]
            y6i = -ti[k, j, 6]
            y7i = -ti[k, j, 7]
            for i in range(j, n):
                x0r = tr[k, i, 0]
                x1r = tr[k, i, 1]
                x2r = tr[k, i, 2]
                x3r = tr[k, i, 3]
                x4r = tr[k, i, 4]
                x5r = tr[k, i, 5]
                x6r = tr[k, i, 6]
                x7r = tr[k, i, 7]
                x0i = ti[k, i, 0]
                x1i = ti[k, i, 1]
                x2i = ti[k, i, 2]
                x3i = ti[k, i, 3]
                x4i = ti[k, i, 4]
                x5i = ti[k, i, 5]
                x6i = ti[k, i, 6]
                x7i = ti[k, i, 7]
                a0r = tr[j, i, 0]
                a1r = tr[j, i, 1]
                a2r = tr[j, i, 2]
                a3r = tr[j, i, 3]
                a4r = tr[j, i, 4]
                a5r = tr[j, i, 5]
                a6r = tr[j, i, 6]
                a7r = tr[j, i, 7]
                a0i = ti[j, i, 0]
                a1i = ti[j, i, 1]
                a2i = ti[j, i, 2]
                a3i = ti[j, i, 3]
                a4i = ti[j, i, 4]
                a5i = ti[j, i, 5]
                a6i = ti[j, i, 6]
                a7i = ti[j, i, 7]
                tr[j, i, 0] = a0r - (x0r * y0r - x0i * y0i)
                tr[j, i, 1] = a1r - (x1r * y1r - x1i * y1i)
                tr[j, i, 2] = a2r - (x2r * y2r - x2i * y2i)
                tr[j, i, 3] = a3r - (x3r * y3r - x3i * y3i)
                tr[j, i, 4] = a4r - (x4r * y4r - x4i * y4i)
                tr[j, i, 5] = a5r - (x5r * y5r - x5i * y5i)
                tr[j, i, 6] = a6r - (x6r * y6r - x6i * y6i)
                tr[j, i, 7] = a7r - (x7r * y7r - x7i * y7i)
                ti[j, i, 0] = a0i - (x0r * y0i + x0i * y0r)
                ti[j, i, 1] = a1i - (x1r * y1i + x1i * y1r)
                ti[j, i, 2] = a2i - (x2r * y2i + x2i * y2r)
                ti[j, i, 3] = a3i - (x3r * y3i + x3i * y3r)
                ti[j, i, 4] = a4i - (x4r * y4i + x4i * y4r)
                ti[j, i, 5] = a5i - (x5r * y5i + x5i * y5r)
                ti[j, i, 6] = a6i - (x6r * y6i + x6i * y6r)
                ti[j, i, 7] = a7i - (x7r * y7i + x7i * y7r)
        s0 = tr[j, j, 0]
        s1 = tr[j, j, 1]
        s2 = tr[j, j, 2]
        s3 = tr[j, j, 3]
        s4 = tr[j, j, 4]
        s5 = tr[j, j, 5]
        s6 = tr[j, j, 6]
        s7 = tr[j, j, 7]
        f0 = s0 <= 0.0
        f1 = s1 <= 0.0
        f2 = s2 <= 0.0
        f3 = s3 <= 0.0
        f4 = s4 <= 0.0
        f5 = s5 <= 0.0
        f6 = s6 <= 0.0
        f7 = s7 <= 0.0
        ok[0] = ok[0] and not f0
        ok[1] = ok[1] and not f1
        ok[2] = ok[2] and not f2
        ok[3] = ok[3] and not f3
        ok[4] = ok[4] and not f4
        ok[5] = ok[5] and not f5
        ok[6] = ok[6] and not f6
        ok[7] = ok[7] and not f7
        d0 = np.sqrt(1.0 if f0 else s0)
        d1 = np.sqrt(1.0 if f1 else s1)
        d2 = np.sqrt(1.0 if f2 else s2)
        d3 = np.sqrt(1.0 if f3 else s3)
        d4 = np.sqrt(1.0 if f4 else s4)
        d5 = np.sqrt(1.0 if f5 else s5)
        d6 = np.sqrt(1.0 if f6 else s6)
        d7 = np.sqrt(1.0 if f7 else s7)
        r0 = 0.0 / d0
        r1 = 0.0 / d1
        r2 = 0.0 / d2
        r3 = 0.0 / d3
        r4 = 0.0 / d4
        r5 = 0.0 / d5
        r6 = 0.0 / d6
        r7 = 0.0 / d7
        e0 = d0 + 0.0 * r0
        e1 = d1 + 0.0 * r1
        e2 = d2 + 0.0 * r2
        e3 = d3 + 0.0 * r3
        e4 = d4 + 0.0 * r4
        e5 = d5 + 0.0 * r5
        e6 = d6 + 0.0 * r6
        e7 = d7 + 0.0 * r7
        for i in range(j, n):
            a0 = tr[j, i, 0]
            a1 = tr[j, i, 1]
            a2 = tr[j, i, 2]
            a3 = tr[j, i, 3]
            a4 = tr[j, i, 4]
            a5 = tr[j, i, 5]
            a6 = tr[j, i, 6]
            a7 = tr[j, i, 7]
            c0 = ti[j, i, 0]
            c1 = ti[j, i, 1]
            c2 = ti[j, i, 2]
            c3 = ti[j, i, 3]
            c4 = ti[j, i, 4]
            c5 = ti[j, i, 5]
            c6 = ti[j, i, 6]
            c7 = ti[j, i, 7]
            tr[j, i, 0] = (a0 + c0 * r0) / e0
            tr[j, i, 1] = (a1 + c1 * r1) / e1
            tr[j, i, 2] = (a2 + c2 * r2) / e2
            tr[j, i, 3] = (a3 + c3 * r3) / e3
            tr[j, i, 4] = (a4 + c4 * r4) / e4
            tr[j, i, 5] = (a5 + c5 * r5) / e5
            tr[j, i, 6] = (a6 + c6 * r6) / e6
            tr[j, i, 7] = (a7 + c7 * r7) / e7
            ti[j, i, 0] = (c0 - a0 * r0) / e0
            ti[j, i, 1] = (c1 - a1 * r1) / e1
            ti[j, i, 2] = (c2 - a2 * r2) / e2
            ti[j, i, 3] = (c3 - a3 * r3) / e3
            ti[j, i, 4] = (c4 - a4 * r4) / e4
            ti[j, i, 5] = (c5 - a5 * r5) / e5
            ti[j, i, 6] = (c6 - a6 * r6) / e6
            ti[j, i, 7] = (c7 - a7 * r7) / e7
        tr[j, j, 0] = d0
        tr[j, j, 1] = d1
        tr[j, j, 2] = d2
        tr[j, j, 3] = d3
        tr[j, j, 4] = d4
        tr[j, j, 5] = d5
        tr[j, j, 6] = d6
        tr[j, j, 7] = d7
        ti[j, j, 0] = 0.0
        ti[j, j, 1] = 0.0
        ti[j, j, 2] = 0.0
        ti[j, j, 3] = 0.0
        ti[j, j, 4] = 0.0
        ti[j, j, 5] = 0.0
        ti[j, j, 6] = 0.0
        ti[j, j, 7] = 0.0


@njit(error_model="numpy")
def _chol_solve_b(tr, ti, br, bi, xr, xi, n):
    """Per lane, ``L L^H x = b`` with the factor of :func:`_emi_factor_b` (``phase_linking._chol_solve_t``'s
    operations: each entry of the substitutions receives the steps in their order), two steps a pass over the
    entries not yet solved."""
    for i in range(n):
        xr[i, 0] = br[i, 0]
        xr[i, 1] = br[i, 1]
        xr[i, 2] = br[i, 2]
        xr[i, 3] = br[i, 3]
        xr[i, 4] = br[i, 4]
        xr[i, 5] = br[i, 5]
        xr[i, 6] = br[i, 6]
        xr[i, 7] = br[i, 7]
        xi[i, 0] = bi[i, 0]
        xi[i, 1] = bi[i, 1]
        xi[i, 2] = bi[i, 2]
        xi[i, 3] = bi[i, 3]
        xi[i, 4] = bi[i, 4]
        xi[i, 5] = bi[i, 5]
        xi[i, 6] = bi[i, 6]
        xi[i, 7] = bi[i, 7]
    k = 0
    while k < n:  # forward: L z = b, z into x; steps k and k + 1
        d0 = tr[k, k, 0]
        d1 = tr[k, k, 1]
        d2 = tr[k, k, 2]
        d3 = tr[k, k, 3]
        d4 = tr[k, k, 4]
        d5 = tr[k, k, 5]
        d6 = tr[k, k, 6]
        d7 = tr[k, k, 7]
        r0 = 0.0 / d0
        r1 = 0.0 / d1
        r2 = 0.0 / d2
        r3 = 0.0 / d3
        r4 = 0.0 / d4
        r5 = 0.0 / d5
        r6 = 0.0 / d6
        r7 = 0.0 / d7
        e0 = d0 + 0.0 * r0
        e1 = d1 + 0.0 * r1
        e2 = d2 + 0.0 * r2
        e3 = d3 + 0.0 * r3
        e4 = d4 + 0.0 * r4
        e5 = d5 + 0.0 * r5
        e6 = d6 + 0.0 * r6
        e7 = d7 + 0.0 * r7
        a0 = xr[k, 0]
        a1 = xr[k, 1]
        a2 = xr[k, 2]
        a3 = xr[k, 3]
        a4 = xr[k, 4]
        a5 = xr[k, 5]
        a6 = xr[k, 6]
        a7 = xr[k, 7]
        b0 = xi[k, 0]
        b1 = xi[k, 1]
        b2 = xi[k, 2]
        b3 = xi[k, 3]
        b4 = xi[k, 4]
        b5 = xi[k, 5]
        b6 = xi[k, 6]
        b7 = xi[k, 7]
        c0r = (a0 + b0 * r0) / e0
        c1r = (a1 + b1 * r1) / e1
        c2r = (a2 + b2 * r2) / e2
        c3r = (a3 + b3 * r3) / e3
        c4r = (a4 + b4 * r4) / e4
        c5r = (a5 + b5 * r5) / e5
        c6r = (a6 + b6 * r6) / e6
        c7r = (a7 + b7 * r7) / e7
        c0i = (b0 - a0 * r0) / e0
        c1i = (b1 - a1 * r1) / e1
        c2i = (b2 - a2 * r2) / e2
        c3i = (b3 - a3 * r3) / e3
        c4i = (b4 - a4 * r4) / e4
        c5i = (b5 - a5 * r5) / e5
        c6i = (b6 - a6 * r6) / e6
        c7i = (b7 - a7 * r7) / e7
        xr[k, 0] = c0r
        xr[k, 1] = c1r
        xr[k, 2] = c2r
        xr[k, 3] = c3r
        xr[k, 4] = c4r
        xr[k, 5] = c5r
        xr[k, 6] = c6r
        xr[k, 7] = c7r
        xi[k, 0] = c0i
        xi[k, 1] = c1i
        xi[k, 2] = c2i
        xi[k, 3] = c3i
        xi[k, 4] = c4i
        xi[k, 5] = c5i
        xi[k, 6] = c6i
        xi[k, 7] = c7i
        if k + 1 == n:
            break
        l0r = tr[k, k + 1, 0]
        l1r = tr[k, k + 1, 1]
        l2r = tr[k, k + 1, 2]
        l3r = tr[k, k + 1, 3]
        l4r = tr[k, k + 1, 4]
        l5r = tr[k, k + 1, 5]
        l6r = tr[k, k + 1, 6]
        l7r = tr[k, k + 1, 7]
        l0i = ti[k, k + 1, 0]
        l1i = ti[k, k + 1, 1]
        l2i = ti[k, k + 1, 2]
        l3i = ti[k, k + 1, 3]
        l4i = ti[k, k + 1, 4]
        l5i = ti[k, k + 1, 5]
        l6i = ti[k, k + 1, 6]
        l7i = ti[k, k + 1, 7]
        a0 = xr[k + 1, 0] - (l0r * c0r - l0i * c0i)
        a1 = xr[k + 1, 1] - (l1r * c1r - l1i * c1i)
        a2 = xr[k + 1, 2] - (l2r * c2r - l2i * c2i)
        a3 = xr[k + 1, 3] - (l3r * c3r - l3i * c3i)
        a4 = xr[k + 1, 4] - (l4r * c4r - l4i * c4i)
        a5 = xr[k + 1, 5] - (l5r * c5r - l5i * c5i)
        a6 = xr[k + 1, 6] - (l6r * c6r - l6i * c6i)
        a7 = xr[k + 1, 7] - (l7r * c7r - l7i * c7i)
        b0 = xi[k + 1, 0] - (l0r * c0i + l0i * c0r)
        b1 = xi[k + 1, 1] - (l1r * c1i + l1i * c1r)
        b2 = xi[k + 1, 2] - (l2r * c2i + l2i * c2r)
        b3 = xi[k + 1, 3] - (l3r * c3i + l3i * c3r)
        b4 = xi[k + 1, 4] - (l4r * c4i + l4i * c4r)
        b5 = xi[k + 1, 5] - (l5r * c5i + l5i * c5r)
        b6 = xi[k + 1, 6] - (l6r * c6i + l6i * c6r)
        b7 = xi[k + 1, 7] - (l7r * c7i + l7i * c7r)
        d0 = tr[k + 1, k + 1, 0]
        d1 = tr[k + 1, k + 1, 1]
        d2 = tr[k + 1, k + 1, 2]
        d3 = tr[k + 1, k + 1, 3]
        d4 = tr[k + 1, k + 1, 4]
        d5 = tr[k + 1, k + 1, 5]
        d6 = tr[k + 1, k + 1, 6]
        d7 = tr[k + 1, k + 1, 7]
        r0 = 0.0 / d0
        r1 = 0.0 / d1
        r2 = 0.0 / d2
        r3 = 0.0 / d3
        r4 = 0.0 / d4
        r5 = 0.0 / d5
        r6 = 0.0 / d6
        r7 = 0.0 / d7
        e0 = d0 + 0.0 * r0
        e1 = d1 + 0.0 * r1
        e2 = d2 + 0.0 * r2
        e3 = d3 + 0.0 * r3
        e4 = d4 + 0.0 * r4
        e5 = d5 + 0.0 * r5
        e6 = d6 + 0.0 * r6
        e7 = d7 + 0.0 * r7
        f0r = (a0 + b0 * r0) / e0
        f1r = (a1 + b1 * r1) / e1
        f2r = (a2 + b2 * r2) / e2
        f3r = (a3 + b3 * r3) / e3
        f4r = (a4 + b4 * r4) / e4
        f5r = (a5 + b5 * r5) / e5
        f6r = (a6 + b6 * r6) / e6
        f7r = (a7 + b7 * r7) / e7
        f0i = (b0 - a0 * r0) / e0
        f1i = (b1 - a1 * r1) / e1
        f2i = (b2 - a2 * r2) / e2
        f3i = (b3 - a3 * r3) / e3
        f4i = (b4 - a4 * r4) / e4
        f5i = (b5 - a5 * r5) / e5
        f6i = (b6 - a6 * r6) / e6
        f7i = (b7 - a7 * r7) / e7
        xr[k + 1, 0] = f0r
        xr[k + 1, 1] = f1r
        xr[k + 1, 2] = f2r
        xr[k + 1, 3] = f3r
        xr[k + 1, 4] = f4r
        xr[k + 1, 5] = f5r
        xr[k + 1, 6] = f6r
        xr[k + 1, 7] = f7r
        xi[k + 1, 0] = f0i
        xi[k + 1, 1] = f1i
        xi[k + 1, 2] = f2i
        xi[k + 1, 3] = f3i
        xi[k + 1, 4] = f4i
        xi[k + 1, 5] = f5i
        xi[k + 1, 6] = f6i
        xi[k + 1, 7] = f7i
        for i in range(k + 2, n):  # x -= L[:, k] z_k, then L[:, k + 1] z_k+1
            l0r = tr[k, i, 0]
            l1r = tr[k, i, 1]
            l2r = tr[k, i, 2]
            l3r = tr[k, i, 3]
            l4r = tr[k, i, 4]
            l5r = tr[k, i, 5]
            l6r = tr[k, i, 6]
            l7r = tr[k, i, 7]
            l0i = ti[k, i, 0]
            l1i = ti[k, i, 1]
            l2i = ti[k, i, 2]
            l3i = ti[k, i, 3]
            l4i = ti[k, i, 4]
            l5i = ti[k, i, 5]
            l6i = ti[k, i, 6]
            l7i = ti[k, i, 7]
            m0r = tr[k + 1, i, 0]
            m1r = tr[k + 1, i, 1]
            m2r = tr[k + 1, i, 2]
            m3r = tr[k + 1, i, 3]
            m4r = tr[k + 1, i, 4]
            m5r = tr[k + 1, i, 5]
            m6r = tr[k + 1, i, 6]
            m7r = tr[k + 1, i, 7]
            m0i = ti[k + 1, i, 0]
            m1i = ti[k + 1, i, 1]
            m2i = ti[k + 1, i, 2]
            m3i = ti[k + 1, i, 3]
            m4i = ti[k + 1, i, 4]
            m5i = ti[k + 1, i, 5]
            m6i = ti[k + 1, i, 6]
            m7i = ti[k + 1, i, 7]
            a0 = xr[i, 0]
            a1 = xr[i, 1]
            a2 = xr[i, 2]
            a3 = xr[i, 3]
            a4 = xr[i, 4]
            a5 = xr[i, 5]
            a6 = xr[i, 6]
            a7 = xr[i, 7]
            b0 = xi[i, 0]
            b1 = xi[i, 1]
            b2 = xi[i, 2]
            b3 = xi[i, 3]
            b4 = xi[i, 4]
            b5 = xi[i, 5]
            b6 = xi[i, 6]
            b7 = xi[i, 7]
            xr[i, 0] = (a0 - (l0r * c0r - l0i * c0i)) - (m0r * f0r - m0i * f0i)
            xr[i, 1] = (a1 - (l1r * c1r - l1i * c1i)) - (m1r * f1r - m1i * f1i)
            xr[i, 2] = (a2 - (l2r * c2r - l2i * c2i)) - (m2r * f2r - m2i * f2i)
            xr[i, 3] = (a3 - (l3r * c3r - l3i * c3i)) - (m3r * f3r - m3i * f3i)
            xr[i, 4] = (a4 - (l4r * c4r - l4i * c4i)) - (m4r * f4r - m4i * f4i)
            xr[i, 5] = (a5 - (l5r * c5r - l5i * c5i)) - (m5r * f5r - m5i * f5i)
            xr[i, 6] = (a6 - (l6r * c6r - l6i * c6i)) - (m6r * f6r - m6i * f6i)
            xr[i, 7] = (a7 - (l7r * c7r - l7i * c7i)) - (m7r * f7r - m7i * f7i)
            xi[i, 0] = (b0 - (l0r * c0i + l0i * c0r)) - (m0r * f0i + m0i * f0r)
            xi[i, 1] = (b1 - (l1r * c1i + l1i * c1r)) - (m1r * f1i + m1i * f1r)
            xi[i, 2] = (b2 - (l2r * c2i + l2i * c2r)) - (m2r * f2i + m2i * f2r)
            xi[i, 3] = (b3 - (l3r * c3i + l3i * c3r)) - (m3r * f3i + m3i * f3r)
            xi[i, 4] = (b4 - (l4r * c4i + l4i * c4r)) - (m4r * f4i + m4i * f4r)
            xi[i, 5] = (b5 - (l5r * c5i + l5i * c5r)) - (m5r * f5i + m5i * f5r)
            xi[i, 6] = (b6 - (l6r * c6i + l6i * c6r)) - (m6r * f6i + m6i * f6r)
            xi[i, 7] = (b7 - (l7r * c7i + l7i * c7r)) - (m7r * f7i + m7i * f7r)
        k += 2
    i = n - 1
    while i >= 0:  # backward: L^H x = z in place; steps i and i - 1
        d0 = tr[i, i, 0]
        d1 = tr[i, i, 1]
        d2 = tr[i, i, 2]
        d3 = tr[i, i, 3]
        d4 = tr[i, i, 4]
        d5 = tr[i, i, 5]
        d6 = tr[i, i, 6]
        d7 = tr[i, i, 7]
        r0 = 0.0 / d0
        r1 = 0.0 / d1
        r2 = 0.0 / d2
        r3 = 0.0 / d3
        r4 = 0.0 / d4
        r5 = 0.0 / d5
        r6 = 0.0 / d6
        r7 = 0.0 / d7
        e0 = d0 + 0.0 * r0
        e1 = d1 + 0.0 * r1
        e2 = d2 + 0.0 * r2
        e3 = d3 + 0.0 * r3
        e4 = d4 + 0.0 * r4
        e5 = d5 + 0.0 * r5
        e6 = d6 + 0.0 * r6
        e7 = d7 + 0.0 * r7
        a0 = xr[i, 0]
        a1 = xr[i, 1]
        a2 = xr[i, 2]
        a3 = xr[i, 3]
        a4 = xr[i, 4]
        a5 = xr[i, 5]
        a6 = xr[i, 6]
        a7 = xr[i, 7]
        b0 = xi[i, 0]
        b1 = xi[i, 1]
        b2 = xi[i, 2]
        b3 = xi[i, 3]
        b4 = xi[i, 4]
        b5 = xi[i, 5]
        b6 = xi[i, 6]
        b7 = xi[i, 7]
        c0r = (a0 + b0 * r0) / e0
        c1r = (a1 + b1 * r1) / e1
        c2r = (a2 + b2 * r2) / e2
        c3r = (a3 + b3 * r3) / e3
        c4r = (a4 + b4 * r4) / e4
        c5r = (a5 + b5 * r5) / e5
        c6r = (a6 + b6 * r6) / e6
        c7r = (a7 + b7 * r7) / e7
        c0i = (b0 - a0 * r0) / e0
        c1i = (b1 - a1 * r1) / e1
        c2i = (b2 - a2 * r2) / e2
        c3i = (b3 - a3 * r3) / e3
        c4i = (b4 - a4 * r4) / e4
        c5i = (b5 - a5 * r5) / e5
        c6i = (b6 - a6 * r6) / e6
        c7i = (b7 - a7 * r7) / e7
        xr[i, 0] = c0r
        xr[i, 1] = c1r
        xr[i, 2] = c2r
        xr[i, 3] = c3r
        xr[i, 4] = c4r
        xr[i, 5] = c5r
        xr[i, 6] = c6r
        xr[i, 7] = c7r
        xi[i, 0] = c0i
        xi[i, 1] = c1i
        xi[i, 2] = c2i
        xi[i, 3] = c3i
        xi[i, 4] = c4i
        xi[i, 5] = c5i
        xi[i, 6] = c6i
        xi[i, 7] = c7i
        if i == 0:
            break
        l0r = tr[i - 1, i, 0]
        l1r = tr[i - 1, i, 1]
        l2r = tr[i - 1, i, 2]
        l3r = tr[i - 1, i, 3]
        l4r = tr[i - 1, i, 4]
        l5r = tr[i - 1, i, 5]
        l6r = tr[i - 1, i, 6]
        l7r = tr[i - 1, i, 7]
        l0i = -ti[i - 1, i, 0]
        l1i = -ti[i - 1, i, 1]
        l2i = -ti[i - 1, i, 2]
        l3i = -ti[i - 1, i, 3]
        l4i = -ti[i - 1, i, 4]
        l5i = -ti[i - 1, i, 5]
        l6i = -ti[i - 1, i, 6]
        l7i = -ti[i - 1, i, 7]
        a0 = xr[i - 1, 0] - (l0r * c0r - l0i * c0i)
        a1 = xr[i - 1, 1] - (l1r * c1r - l1i * c1i)
        a2 = xr[i - 1, 2] - (l2r * c2r - l2i * c2i)
        a3 = xr[i - 1, 3] - (l3r * c3r - l3i * c3i)
        a4 = xr[i - 1, 4] - (l4r * c4r - l4i * c4i)
        a5 = xr[i - 1, 5] - (l5r * c5r - l5i * c5i)
        a6 = xr[i - 1, 6] - (l6r * c6r - l6i * c6i)
        a7 = xr[i - 1, 7] - (l7r * c7r - l7i * c7i)
        b0 = xi[i - 1, 0] - (l0r * c0i + l0i * c0r)
        b1 = xi[i - 1, 1] - (l1r * c1i + l1i * c1r)
        b2 = xi[i - 1, 2] - (l2r * c2i + l2i * c2r)
        b3 = xi[i - 1, 3] - (l3r * c3i + l3i * c3r)
        b4 = xi[i - 1, 4] - (l4r * c4i + l4i * c4r)
        b5 = xi[i - 1, 5] - (l5r * c5i + l5i * c5r)
        b6 = xi[i - 1, 6] - (l6r * c6i + l6i * c6r)
        b7 = xi[i - 1, 7] - (l7r * c7i + l7i * c7r)
        d0 = tr[i - 1, i - 1, 0]
        d1 = tr[i - 1, i - 1, 1]
        d2 = tr[i - 1, i - 1, 2]
        d3 = tr[i - 1, i - 1, 3]
        d4 = tr[i - 1, i - 1, 4]
        d5 = tr[i - 1, i - 1, 5]
        d6 = tr[i - 1, i - 1, 6]
        d7 = tr[i - 1, i - 1, 7]
        r0 = 0.0 / d0
        r1 = 0.0 / d1
        r2 = 0.0 / d2
        r3 = 0.0 / d3
        r4 = 0.0 / d4
        r5 = 0.0 / d5
        r6 = 0.0 / d6
        r7 = 0.0 / d7
        e0 = d0 + 0.0 * r0
        e1 = d1 + 0.0 * r1
        e2 = d2 + 0.0 * r2
        e3 = d3 + 0.0 * r3
        e4 = d4 + 0.0 * r4
        e5 = d5 + 0.0 * r5
        e6 = d6 + 0.0 * r6
        e7 = d7 + 0.0 * r7
        f0r = (a0 + b0 * r0) / e0
        f1r = (a1 + b1 * r1) / e1
        f2r = (a2 + b2 * r2) / e2
        f3r = (a3 + b3 * r3) / e3
        f4r = (a4 + b4 * r4) / e4
        f5r = (a5 + b5 * r5) / e5
        f6r = (a6 + b6 * r6) / e6
        f7r = (a7 + b7 * r7) / e7
        f0i = (b0 - a0 * r0) / e0
        f1i = (b1 - a1 * r1) / e1
        f2i = (b2 - a2 * r2) / e2
        f3i = (b3 - a3 * r3) / e3
        f4i = (b4 - a4 * r4) / e4
        f5i = (b5 - a5 * r5) / e5
        f6i = (b6 - a6 * r6) / e6
        f7i = (b7 - a7 * r7) / e7
        xr[i - 1, 0] = f0r
        xr[i - 1, 1] = f1r
        xr[i - 1, 2] = f2r
        xr[i - 1, 3] = f3r
        xr[i - 1, 4] = f4r
        xr[i - 1, 5] = f5r
        xr[i - 1, 6] = f6r
        xr[i - 1, 7] = f7r
        xi[i - 1, 0] = f0i
        xi[i - 1, 1] = f1i
        xi[i - 1, 2] = f2i
        xi[i - 1, 3] = f3i
        xi[i - 1, 4] = f4i
        xi[i - 1, 5] = f5i
        xi[i - 1, 6] = f6i
        xi[i - 1, 7] = f7i
        for m in range(i - 1):  # x -= conj(L[i, :]) x_i, then conj(L[i - 1, :]) x_i-1
            l0r = tr[m, i, 0]
            l1r = tr[m, i, 1]
            l2r = tr[m, i, 2]
            l3r = tr[m, i, 3]
            l4r = tr[m, i, 4]
            l5r = tr[m, i, 5]
            l6r = tr[m, i, 6]
            l7r = tr[m, i, 7]
            l0i = -ti[m, i, 0]
            l1i = -ti[m, i, 1]
            l2i = -ti[m, i, 2]
            l3i = -ti[m, i, 3]
            l4i = -ti[m, i, 4]
            l5i = -ti[m, i, 5]
            l6i = -ti[m, i, 6]
            l7i = -ti[m, i, 7]
            m0r = tr[m, i - 1, 0]
            m1r = tr[m, i - 1, 1]
            m2r = tr[m, i - 1, 2]
            m3r = tr[m, i - 1, 3]
            m4r = tr[m, i - 1, 4]
            m5r = tr[m, i - 1, 5]
            m6r = tr[m, i - 1, 6]
            m7r = tr[m, i - 1, 7]
            m0i = -ti[m, i - 1, 0]
            m1i = -ti[m, i - 1, 1]
            m2i = -ti[m, i - 1, 2]
            m3i = -ti[m, i - 1, 3]
            m4i = -ti[m, i - 1, 4]
            m5i = -ti[m, i - 1, 5]
            m6i = -ti[m, i - 1, 6]
            m7i = -ti[m, i - 1, 7]
            a0 = xr[m, 0]
            a1 = xr[m, 1]
            a2 = xr[m, 2]
            a3 = xr[m, 3]
            a4 = xr[m, 4]
            a5 = xr[m, 5]
            a6 = xr[m, 6]
            a7 = xr[m, 7]
            b0 = xi[m, 0]
            b1 = xi[m, 1]
            b2 = xi[m, 2]
            b3 = xi[m, 3]
            b4 = xi[m, 4]
            b5 = xi[m, 5]
            b6 = xi[m, 6]
            b7 = xi[m, 7]
            xr[m, 0] = (a0 - (l0r * c0r - l0i * c0i)) - (m0r * f0r - m0i * f0i)
            xr[m, 1] = (a1 - (l1r * c1r - l1i * c1i)) - (m1r * f1r - m1i * f1i)
            xr[m, 2] = (a2 - (l2r * c2r - l2i * c2i)) - (m2r * f2r - m2i * f2i)
            xr[m, 3] = (a3 - (l3r * c3r - l3i * c3i)) - (m3r * f3r - m3i * f3i)
            xr[m, 4] = (a4 - (l4r * c4r - l4i * c4i)) - (m4r * f4r - m4i * f4i)
            xr[m, 5] = (a5 - (l5r * c5r - l5i * c5i)) - (m5r * f5r - m5i * f5i)
            xr[m, 6] = (a6 - (l6r * c6r - l6i * c6i)) - (m6r * f6r - m6i * f6i)
            xr[m, 7] = (a7 - (l7r * c7r - l7i * c7i)) - (m7r * f7r - m7i * f7i)
            xi[m, 0] = (b0 - (l0r * c0i + l0i * c0r)) - (m0r * f0i + m0i * f0r)
            xi[m, 1] = (b1 - (l1r * c1i + l1i * c1r)) - (m1r * f1i + m1i * f1r)
            xi[m, 2] = (b2 - (l2r * c2i + l2i * c2r)) - (m2r * f2i + m2i * f2r)
            xi[m, 3] = (b3 - (l3r * c3i + l3i * c3r)) - (m3r * f3i + m3i * f3r)
            xi[m, 4] = (b4 - (l4r * c4i + l4i * c4r)) - (m4r * f4i + m4i * f4r)
            xi[m, 5] = (b5 - (l5r * c5i + l5i * c5r)) - (m5r * f5i + m5i * f5r)
            xi[m, 6] = (b6 - (l6r * c6i + l6i * c6r)) - (m6r * f6i + m6i * f6r)
            xi[m, 7] = (b7 - (l7r * c7i + l7i * c7r)) - (m7r * f7i + m7i * f7r)
        i -= 2


@njit(error_model="numpy")
def _normalise_b(vr, vi, go, s, n):
    """``v /= |v|`` in the lanes where ``go`` is True and ``|v| > 0`` (``phase_linking._normalise_t``); ``|v|`` of
    every lane into ``s``."""
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    s4 = 0.0
    s5 = 0.0
    s6 = 0.0
    s7 = 0.0
    for i in range(n):
        a0 = vr[i, 0]
        a1 = vr[i, 1]
        a2 = vr[i, 2]
        a3 = vr[i, 3]
        a4 = vr[i, 4]
        a5 = vr[i, 5]
        a6 = vr[i, 6]
        a7 = vr[i, 7]
        b0 = vi[i, 0]
        b1 = vi[i, 1]
        b2 = vi[i, 2]
        b3 = vi[i, 3]
        b4 = vi[i, 4]
        b5 = vi[i, 5]
        b6 = vi[i, 6]
        b7 = vi[i, 7]
        s0 += a0 * a0 + b0 * b0
        s1 += a1 * a1 + b1 * b1
        s2 += a2 * a2 + b2 * b2
        s3 += a3 * a3 + b3 * b3
        s4 += a4 * a4 + b4 * b4
        s5 += a5 * a5 + b5 * b5
        s6 += a6 * a6 + b6 * b6
        s7 += a7 * a7 + b7 * b7
    s0 = np.sqrt(s0)
    s1 = np.sqrt(s1)
    s2 = np.sqrt(s2)
    s3 = np.sqrt(s3)
    s4 = np.sqrt(s4)
    s5 = np.sqrt(s5)
    s6 = np.sqrt(s6)
    s7 = np.sqrt(s7)
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    s[4] = s4
    s[5] = s5
    s[6] = s6
    s[7] = s7
    q0 = go[0] and s0 > 0
    q1 = go[1] and s1 > 0
    q2 = go[2] and s2 > 0
    q3 = go[3] and s3 > 0
    q4 = go[4] and s4 > 0
    q5 = go[5] and s5 > 0
    q6 = go[6] and s6 > 0
    q7 = go[7] and s7 > 0
    d0 = s0 if q0 else 1.0
    d1 = s1 if q1 else 1.0
    d2 = s2 if q2 else 1.0
    d3 = s3 if q3 else 1.0
    d4 = s4 if q4 else 1.0
    d5 = s5 if q5 else 1.0
    d6 = s6 if q6 else 1.0
    d7 = s7 if q7 else 1.0
    r0 = 0.0 / d0
    r1 = 0.0 / d1
    r2 = 0.0 / d2
    r3 = 0.0 / d3
    r4 = 0.0 / d4
    r5 = 0.0 / d5
    r6 = 0.0 / d6
    r7 = 0.0 / d7
    e0 = d0 + 0.0 * r0
    e1 = d1 + 0.0 * r1
    e2 = d2 + 0.0 * r2
    e3 = d3 + 0.0 * r3
    e4 = d4 + 0.0 * r4
    e5 = d5 + 0.0 * r5
    e6 = d6 + 0.0 * r6
    e7 = d7 + 0.0 * r7
    for i in range(n):
        a0 = vr[i, 0]
        a1 = vr[i, 1]
        a2 = vr[i, 2]
        a3 = vr[i, 3]
        a4 = vr[i, 4]
        a5 = vr[i, 5]
        a6 = vr[i, 6]
        a7 = vr[i, 7]
        b0 = vi[i, 0]
        b1 = vi[i, 1]
        b2 = vi[i, 2]
        b3 = vi[i, 3]
        b4 = vi[i, 4]
        b5 = vi[i, 5]
        b6 = vi[i, 6]
        b7 = vi[i, 7]
        vr[i, 0] = (a0 + b0 * r0) / e0 if q0 else a0
        vr[i, 1] = (a1 + b1 * r1) / e1 if q1 else a1
        vr[i, 2] = (a2 + b2 * r2) / e2 if q2 else a2
        vr[i, 3] = (a3 + b3 * r3) / e3 if q3 else a3
        vr[i, 4] = (a4 + b4 * r4) / e4 if q4 else a4
        vr[i, 5] = (a5 + b5 * r5) / e5 if q5 else a5
        vr[i, 6] = (a6 + b6 * r6) / e6 if q6 else a6
        vr[i, 7] = (a7 + b7 * r7) / e7 if q7 else a7
        vi[i, 0] = (b0 - a0 * r0) / e0 if q0 else b0
        vi[i, 1] = (b1 - a1 * r1) / e1 if q1 else b1
        vi[i, 2] = (b2 - a2 * r2) / e2 if q2 else b2
        vi[i, 3] = (b3 - a3 * r3) / e3 if q3 else b3
        vi[i, 4] = (b4 - a4 * r4) / e4 if q4 else b4
        vi[i, 5] = (b5 - a5 * r5) / e5 if q5 else b5
        vi[i, 6] = (b6 - a6 * r6) / e6 if q6 else b6
        vi[i, 7] = (b7 - a7 * r7) / e7 if q7 else b7


@njit(error_model="numpy")
def _step_converged_b(vr, vi, wr, wi, go, conv, n, tol):
    """In the lanes where ``go`` is True: ``conv = 1 - |<v, w>| < tol``, then ``v = w``
    (``phase_linking._step_converged``)."""
    p0 = 0.0
    p1 = 0.0
    p2 = 0.0
    p3 = 0.0
    p4 = 0.0
    p5 = 0.0
    p6 = 0.0
    p7 = 0.0
    q0 = 0.0
    q1 = 0.0
    q2 = 0.0
    q3 = 0.0
    q4 = 0.0
    q5 = 0.0
    q6 = 0.0
    q7 = 0.0
    for i in range(n):  # conj(v_i) w_i as numba multiplies complex numbers, added in order
        a0 = vr[i, 0]
        a1 = vr[i, 1]
        a2 = vr[i, 2]
        a3 = vr[i, 3]
        a4 = vr[i, 4]
        a5 = vr[i, 5]
        a6 = vr[i, 6]
        a7 = vr[i, 7]
        b0 = -vi[i, 0]
        b1 = -vi[i, 1]
        b2 = -vi[i, 2]
        b3 = -vi[i, 3]
        b4 = -vi[i, 4]
        b5 = -vi[i, 5]
        b6 = -vi[i, 6]
        b7 = -vi[i, 7]
        c0 = wr[i, 0]
        c1 = wr[i, 1]
        c2 = wr[i, 2]
        c3 = wr[i, 3]
        c4 = wr[i, 4]
        c5 = wr[i, 5]
        c6 = wr[i, 6]
        c7 = wr[i, 7]
        d0 = wi[i, 0]
        d1 = wi[i, 1]
        d2 = wi[i, 2]
        d3 = wi[i, 3]
        d4 = wi[i, 4]
        d5 = wi[i, 5]
        d6 = wi[i, 6]
        d7 = wi[i, 7]
        p0 += a0 * c0 - b0 * d0
        p1 += a1 * c1 - b1 * d1
        p2 += a2 * c2 - b2 * d2
        p3 += a3 * c3 - b3 * d3
        p4 += a4 * c4 - b4 * d4
        p5 += a5 * c5 - b5 * d5
        p6 += a6 * c6 - b6 * d6
        p7 += a7 * c7 - b7 * d7
        q0 += a0 * d0 + b0 * c0
        q1 += a1 * d1 + b1 * c1
        q2 += a2 * d2 + b2 * c2
        q3 += a3 * d3 + b3 * c3
        q4 += a4 * d4 + b4 * c4
        q5 += a5 * d5 + b5 * c5
        q6 += a6 * d6 + b6 * c6
        q7 += a7 * d7 + b7 * c7
    conv[0] = 1.0 - abs(complex(p0, q0)) < tol
    conv[1] = 1.0 - abs(complex(p1, q1)) < tol
    conv[2] = 1.0 - abs(complex(p2, q2)) < tol
    conv[3] = 1.0 - abs(complex(p3, q3)) < tol
    conv[4] = 1.0 - abs(complex(p4, q4)) < tol
    conv[5] = 1.0 - abs(complex(p5, q5)) < tol
    conv[6] = 1.0 - abs(complex(p6, q6)) < tol
    conv[7] = 1.0 - abs(complex(p7, q7)) < tol
    for i in range(n):
        a0 = vr[i, 0]
        a1 = vr[i, 1]
        a2 = vr[i, 2]
        a3 = vr[i, 3]
        a4 = vr[i, 4]
        a5 = vr[i, 5]
        a6 = vr[i, 6]
        a7 = vr[i, 7]
        b0 = vi[i, 0]
        b1 = vi[i, 1]
        b2 = vi[i, 2]
        b3 = vi[i, 3]
        b4 = vi[i, 4]
        b5 = vi[i, 5]
        b6 = vi[i, 6]
        b7 = vi[i, 7]
        c0 = wr[i, 0]
        c1 = wr[i, 1]
        c2 = wr[i, 2]
        c3 = wr[i, 3]
        c4 = wr[i, 4]
        c5 = wr[i, 5]
        c6 = wr[i, 6]
        c7 = wr[i, 7]
        d0 = wi[i, 0]
        d1 = wi[i, 1]
        d2 = wi[i, 2]
        d3 = wi[i, 3]
        d4 = wi[i, 4]
        d5 = wi[i, 5]
        d6 = wi[i, 6]
        d7 = wi[i, 7]
        vr[i, 0] = c0 if go[0] else a0
        vr[i, 1] = c1 if go[1] else a1
        vr[i, 2] = c2 if go[2] else a2
        vr[i, 3] = c3 if go[3] else a3
        vr[i, 4] = c4 if go[4] else a4
        vr[i, 5] = c5 if go[5] else a5
        vr[i, 6] = c6 if go[6] else a6
        vr[i, 7] = c7 if go[7] else a7
        vi[i, 0] = d0 if go[0] else b0
        vi[i, 1] = d1 if go[1] else b1
        vi[i, 2] = d2 if go[2] else b2
        vi[i, 3] = d3 if go[3] else b3
        vi[i, 4] = d4 if go[4] else b4
        vi[i, 5] = d5 if go[5] else b5
        vi[i, 6] = d6 if go[6] else b6
        vi[i, 7] = d7 if go[7] else b7


@njit(error_model="numpy")
def _inverse_iteration_b(tr, ti, vr, vi, wr, wi, act, conv, run, c, s, n, max_iter, tol, min_run):
    """``phase_linking._inverse_iteration_t`` in the lanes where ``act`` is True (the others keep ``v``):
    ``conv`` is True in the lanes that converged. Stops early when fewer than ``min_run`` lanes are still
    running: ``run`` is then True in those lanes, which have taken the returned number of steps (their next step
    has the per-pixel code's bits too). ``c`` and ``s`` are work (one value a lane)."""
    _normalise_b(vr, vi, act, s, n)
    running = 0
    for l in range(LANES):
        run[l] = act[l]
        conv[l] = False
        running += act[l]
    for step in range(max_iter):
        if running < min_run:
            return step
        _chol_solve_b(tr, ti, vr, vi, wr, wi, n)
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


@njit(error_model="numpy")
def _rayleigh_b(mr, mi, vr, vi, yr, yi, rho, n):
    """Per lane, ``v^H M v / v^H v`` into ``rho`` (``phase_linking._emi_rayleigh_t``)."""
    for i in range(n):
        yr[i, 0] = 0.0
        yr[i, 1] = 0.0
        yr[i, 2] = 0.0
        yr[i, 3] = 0.0
        yr[i, 4] = 0.0
        yr[i, 5] = 0.0
        yr[i, 6] = 0.0
        yr[i, 7] = 0.0
        yi[i, 0] = 0.0
        yi[i, 1] = 0.0
        yi[i, 2] = 0.0
        yi[i, 3] = 0.0
        yi[i, 4] = 0.0
        yi[i, 5] = 0.0
        yi[i, 6] = 0.0
        yi[i, 7] = 0.0
    for k in range(n):  # y_i = sum_k M[i, k] v_k, k ascending
        c0r = vr[k, 0]
        c1r = vr[k, 1]
        c2r = vr[k, 2]
        c3r = vr[k, 3]
        c4r = vr[k, 4]
        c5r = vr[k, 5]
        c6r = vr[k, 6]
        c7r = vr[k, 7]
        c0i = vi[k, 0]
        c1i = vi[k, 1]
        c2i = vi[k, 2]
        c3i = vi[k, 3]
        c4i = vi[k, 4]
        c5i = vi[k, 5]
        c6i = vi[k, 6]
        c7i = vi[k, 7]
        for i in range(n):
            a0 = mr[k, i, 0]
            a1 = mr[k, i, 1]
            a2 = mr[k, i, 2]
            a3 = mr[k, i, 3]
            a4 = mr[k, i, 4]
            a5 = mr[k, i, 5]
            a6 = mr[k, i, 6]
            a7 = mr[k, i, 7]
            b0 = mi[k, i, 0]
            b1 = mi[k, i, 1]
            b2 = mi[k, i, 2]
            b3 = mi[k, i, 3]
            b4 = mi[k, i, 4]
            b5 = mi[k, i, 5]
            b6 = mi[k, i, 6]
            b7 = mi[k, i, 7]
            p0 = yr[i, 0]
            p1 = yr[i, 1]
            p2 = yr[i, 2]
            p3 = yr[i, 3]
            p4 = yr[i, 4]
            p5 = yr[i, 5]
            p6 = yr[i, 6]
            p7 = yr[i, 7]
            q0 = yi[i, 0]
            q1 = yi[i, 1]
            q2 = yi[i, 2]
            q3 = yi[i, 3]
            q4 = yi[i, 4]
            q5 = yi[i, 5]
            q6 = yi[i, 6]
            q7 = yi[i, 7]
            yr[i, 0] = p0 + (a0 * c0r - b0 * c0i)
            yr[i, 1] = p1 + (a1 * c1r - b1 * c1i)
            yr[i, 2] = p2 + (a2 * c2r - b2 * c2i)
            yr[i, 3] = p3 + (a3 * c3r - b3 * c3i)
            yr[i, 4] = p4 + (a4 * c4r - b4 * c4i)
            yr[i, 5] = p5 + (a5 * c5r - b5 * c5i)
            yr[i, 6] = p6 + (a6 * c6r - b6 * c6i)
            yr[i, 7] = p7 + (a7 * c7r - b7 * c7i)
            yi[i, 0] = q0 + (a0 * c0i + b0 * c0r)
            yi[i, 1] = q1 + (a1 * c1i + b1 * c1r)
            yi[i, 2] = q2 + (a2 * c2i + b2 * c2r)
            yi[i, 3] = q3 + (a3 * c3i + b3 * c3r)
            yi[i, 4] = q4 + (a4 * c4i + b4 * c4r)
            yi[i, 5] = q5 + (a5 * c5i + b5 * c5r)
            yi[i, 6] = q6 + (a6 * c6i + b6 * c6r)
            yi[i, 7] = q7 + (a7 * c7i + b7 * c7r)
    p0 = 0.0
    p1 = 0.0
    p2 = 0.0
    p3 = 0.0
    p4 = 0.0
    p5 = 0.0
    p6 = 0.0
    p7 = 0.0
    q0 = 0.0
    q1 = 0.0
    q2 = 0.0
    q3 = 0.0
    q4 = 0.0
    q5 = 0.0
    q6 = 0.0
    q7 = 0.0
    for i in range(n):
        a0 = vr[i, 0]
        a1 = vr[i, 1]
        a2 = vr[i, 2]
        a3 = vr[i, 3]
        a4 = vr[i, 4]
        a5 = vr[i, 5]
        a6 = vr[i, 6]
        a7 = vr[i, 7]
        b0 = -vi[i, 0]
        b1 = -vi[i, 1]
        b2 = -vi[i, 2]
        b3 = -vi[i, 3]
        b4 = -vi[i, 4]
        b5 = -vi[i, 5]
        b6 = -vi[i, 6]
        b7 = -vi[i, 7]
        c0 = yr[i, 0]
        c1 = yr[i, 1]
        c2 = yr[i, 2]
        c3 = yr[i, 3]
        c4 = yr[i, 4]
        c5 = yr[i, 5]
        c6 = yr[i, 6]
        c7 = yr[i, 7]
        d0 = yi[i, 0]
        d1 = yi[i, 1]
        d2 = yi[i, 2]
        d3 = yi[i, 3]
        d4 = yi[i, 4]
        d5 = yi[i, 5]
        d6 = yi[i, 6]
        d7 = yi[i, 7]
        p0 += a0 * c0 - b0 * d0  # Re(conj(v_i) y_i)
        p1 += a1 * c1 - b1 * d1  # Re(conj(v_i) y_i)
        p2 += a2 * c2 - b2 * d2  # Re(conj(v_i) y_i)
        p3 += a3 * c3 - b3 * d3  # Re(conj(v_i) y_i)
        p4 += a4 * c4 - b4 * d4  # Re(conj(v_i) y_i)
        p5 += a5 * c5 - b5 * d5  # Re(conj(v_i) y_i)
        p6 += a6 * c6 - b6 * d6  # Re(conj(v_i) y_i)
        p7 += a7 * c7 - b7 * d7  # Re(conj(v_i) y_i)
        q0 += a0 * a0 + b0 * b0
        q1 += a1 * a1 + b1 * b1
        q2 += a2 * a2 + b2 * b2
        q3 += a3 * a3 + b3 * b3
        q4 += a4 * a4 + b4 * b4
        q5 += a5 * a5 + b5 * b5
        q6 += a6 * a6 + b6 * b6
        q7 += a7 * a7 + b7 * b7
    rho[0] = p0 / q0
    rho[1] = p1 / q1
    rho[2] = p2 / q2
    rho[3] = p3 / q3
    rho[4] = p4 / q4
    rho[5] = p5 / q5
    rho[6] = p6 / q6
    rho[7] = p7 / q7


@njit(error_model="numpy")
def _start_vector_b(gtr, gti, vr, vi, n):
    """``v = G[:, 0]``, 1 where an element is 0 (``phase_linking._start_vector``)."""
    for i in range(n):
        a0 = gtr[0, i, 0]
        a1 = gtr[0, i, 1]
        a2 = gtr[0, i, 2]
        a3 = gtr[0, i, 3]
        a4 = gtr[0, i, 4]
        a5 = gtr[0, i, 5]
        a6 = gtr[0, i, 6]
        a7 = gtr[0, i, 7]
        b0 = gti[0, i, 0]
        b1 = gti[0, i, 1]
        b2 = gti[0, i, 2]
        b3 = gti[0, i, 3]
        b4 = gti[0, i, 4]
        b5 = gti[0, i, 5]
        b6 = gti[0, i, 6]
        b7 = gti[0, i, 7]
        z0 = np.sqrt(a0 * a0 + b0 * b0) > 0
        z1 = np.sqrt(a1 * a1 + b1 * b1) > 0
        z2 = np.sqrt(a2 * a2 + b2 * b2) > 0
        z3 = np.sqrt(a3 * a3 + b3 * b3) > 0
        z4 = np.sqrt(a4 * a4 + b4 * b4) > 0
        z5 = np.sqrt(a5 * a5 + b5 * b5) > 0
        z6 = np.sqrt(a6 * a6 + b6 * b6) > 0
        z7 = np.sqrt(a7 * a7 + b7 * b7) > 0
        vr[i, 0] = a0 if z0 else 1.0
        vr[i, 1] = a1 if z1 else 1.0
        vr[i, 2] = a2 if z2 else 1.0
        vr[i, 3] = a3 if z3 else 1.0
        vr[i, 4] = a4 if z4 else 1.0
        vr[i, 5] = a5 if z5 else 1.0
        vr[i, 6] = a6 if z6 else 1.0
        vr[i, 7] = a7 if z7 else 1.0
        vi[i, 0] = b0 if z0 else 0.0
        vi[i, 1] = b1 if z1 else 0.0
        vi[i, 2] = b2 if z2 else 0.0
        vi[i, 3] = b3 if z3 else 0.0
        vi[i, 4] = b4 if z4 else 0.0
        vi[i, 5] = b5 if z5 else 0.0
        vi[i, 6] = b6 if z6 else 0.0
        vi[i, 7] = b7 if z7 else 0.0


@njit(error_model="numpy")
def temporal_coherence_b(gtr, gti, vr, vi, pr, pim, tc, n):
    """Per lane, the temporal coherence of the linked vector ``v`` on ``G`` (transposed in ``gtr + i gti``, as for
    :func:`emi_batch`) into ``tc``, as ``phase_linking._temporal_coherence``: the phases ``p = v / |v|`` (1 where
    ``v`` is 0), then ``Re((G_ik / |G_ik|) conj(p_i) p_k)`` added for ``i < k`` in that function's order (+0 where
    ``G_ik`` is 0); ``pr + i pim`` is work."""
    for k in range(n):
        a0 = vr[k, 0]
        a1 = vr[k, 1]
        a2 = vr[k, 2]
        a3 = vr[k, 3]
        a4 = vr[k, 4]
        a5 = vr[k, 5]
        a6 = vr[k, 6]
        a7 = vr[k, 7]
        b0 = vi[k, 0]
        b1 = vi[k, 1]
        b2 = vi[k, 2]
        b3 = vi[k, 3]
        b4 = vi[k, 4]
        b5 = vi[k, 5]
        b6 = vi[k, 6]
        b7 = vi[k, 7]
        m0 = np.sqrt(a0 * a0 + b0 * b0)
        m1 = np.sqrt(a1 * a1 + b1 * b1)
        m2 = np.sqrt(a2 * a2 + b2 * b2)
        m3 = np.sqrt(a3 * a3 + b3 * b3)
        m4 = np.sqrt(a4 * a4 + b4 * b4)
        m5 = np.sqrt(a5 * a5 + b5 * b5)
        m6 = np.sqrt(a6 * a6 + b6 * b6)
        m7 = np.sqrt(a7 * a7 + b7 * b7)
        q0 = m0 > 0
        q1 = m1 > 0
        q2 = m2 > 0
        q3 = m3 > 0
        q4 = m4 > 0
        q5 = m5 > 0
        q6 = m6 > 0
        q7 = m7 > 0
        d0 = m0 if q0 else 1.0
        d1 = m1 if q1 else 1.0
        d2 = m2 if q2 else 1.0
        d3 = m3 if q3 else 1.0
        d4 = m4 if q4 else 1.0
        d5 = m5 if q5 else 1.0
        d6 = m6 if q6 else 1.0
        d7 = m7 if q7 else 1.0
        r0 = 0.0 / d0
        r1 = 0.0 / d1
        r2 = 0.0 / d2
        r3 = 0.0 / d3
        r4 = 0.0 / d4
        r5 = 0.0 / d5
        r6 = 0.0 / d6
        r7 = 0.0 / d7
        e0 = d0 + 0.0 * r0
        e1 = d1 + 0.0 * r1
        e2 = d2 + 0.0 * r2
        e3 = d3 + 0.0 * r3
        e4 = d4 + 0.0 * r4
        e5 = d5 + 0.0 * r5
        e6 = d6 + 0.0 * r6
        e7 = d7 + 0.0 * r7
        pr[k, 0] = (a0 + b0 * r0) / e0 if q0 else 1.0
        pr[k, 1] = (a1 + b1 * r1) / e1 if q1 else 1.0
        pr[k, 2] = (a2 + b2 * r2) / e2 if q2 else 1.0
        pr[k, 3] = (a3 + b3 * r3) / e3 if q3 else 1.0
        pr[k, 4] = (a4 + b4 * r4) / e4 if q4 else 1.0
        pr[k, 5] = (a5 + b5 * r5) / e5 if q5 else 1.0
        pr[k, 6] = (a6 + b6 * r6) / e6 if q6 else 1.0
        pr[k, 7] = (a7 + b7 * r7) / e7 if q7 else 1.0
        pim[k, 0] = (b0 - a0 * r0) / e0 if q0 else 0.0
        pim[k, 1] = (b1 - a1 * r1) / e1 if q1 else 0.0
        pim[k, 2] = (b2 - a2 * r2) / e2 if q2 else 0.0
        pim[k, 3] = (b3 - a3 * r3) / e3 if q3 else 0.0
        pim[k, 4] = (b4 - a4 * r4) / e4 if q4 else 0.0
        pim[k, 5] = (b5 - a5 * r5) / e5 if q5 else 0.0
        pim[k, 6] = (b6 - a6 * r6) / e6 if q6 else 0.0
        pim[k, 7] = (b7 - a7 * r7) / e7 if q7 else 0.0
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    s4 = 0.0
    s5 = 0.0
    s6 = 0.0
    s7 = 0.0
    for i in range(n):
        c0r = pr[i, 0]
        c1r = pr[i, 1]
        c2r = pr[i, 2]
        c3r = pr[i, 3]
        c4r = pr[i, 4]
        c5r = pr[i, 5]
        c6r = pr[i, 6]
        c7r = pr[i, 7]
        c0i = -pim[i, 0]
        c1i = -pim[i, 1]
        c2i = -pim[i, 2]
        c3i = -pim[i, 3]
        c4i = -pim[i, 4]
        c5i = -pim[i, 5]
        c6i = -pim[i, 6]
        c7i = -pim[i, 7]
        for k in range(i + 1, n):  # G[i, k] at [k, i] of the transpose
            a0 = gtr[k, i, 0]
            a1 = gtr[k, i, 1]
            a2 = gtr[k, i, 2]
            a3 = gtr[k, i, 3]
            a4 = gtr[k, i, 4]
            a5 = gtr[k, i, 5]
            a6 = gtr[k, i, 6]
            a7 = gtr[k, i, 7]
            b0 = gti[k, i, 0]
            b1 = gti[k, i, 1]
            b2 = gti[k, i, 2]
            b3 = gti[k, i, 3]
            b4 = gti[k, i, 4]
            b5 = gti[k, i, 5]
            b6 = gti[k, i, 6]
            b7 = gti[k, i, 7]
            u0 = pr[k, 0]
            u1 = pr[k, 1]
            u2 = pr[k, 2]
            u3 = pr[k, 3]
            u4 = pr[k, 4]
            u5 = pr[k, 5]
            u6 = pr[k, 6]
            u7 = pr[k, 7]
            v0 = pim[k, 0]
            v1 = pim[k, 1]
            v2 = pim[k, 2]
            v3 = pim[k, 3]
            v4 = pim[k, 4]
            v5 = pim[k, 5]
            v6 = pim[k, 6]
            v7 = pim[k, 7]
            m0 = np.sqrt(a0 * a0 + b0 * b0)
            m1 = np.sqrt(a1 * a1 + b1 * b1)
            m2 = np.sqrt(a2 * a2 + b2 * b2)
            m3 = np.sqrt(a3 * a3 + b3 * b3)
            m4 = np.sqrt(a4 * a4 + b4 * b4)
            m5 = np.sqrt(a5 * a5 + b5 * b5)
            m6 = np.sqrt(a6 * a6 + b6 * b6)
            m7 = np.sqrt(a7 * a7 + b7 * b7)
            d0 = m0 if m0 != 0 else 1.0
            d1 = m1 if m1 != 0 else 1.0
            d2 = m2 if m2 != 0 else 1.0
            d3 = m3 if m3 != 0 else 1.0
            d4 = m4 if m4 != 0 else 1.0
            d5 = m5 if m5 != 0 else 1.0
            d6 = m6 if m6 != 0 else 1.0
            d7 = m7 if m7 != 0 else 1.0
            r0 = 0.0 / d0
            r1 = 0.0 / d1
            r2 = 0.0 / d2
            r3 = 0.0 / d3
            r4 = 0.0 / d4
            r5 = 0.0 / d5
            r6 = 0.0 / d6
            r7 = 0.0 / d7
            e0 = d0 + 0.0 * r0
            e1 = d1 + 0.0 * r1
            e2 = d2 + 0.0 * r2
            e3 = d3 + 0.0 * r3
            e4 = d4 + 0.0 * r4
            e5 = d5 + 0.0 * r5
            e6 = d6 + 0.0 * r6
            e7 = d7 + 0.0 * r7
            x0r = (a0 + b0 * r0) / e0
            x1r = (a1 + b1 * r1) / e1
            x2r = (a2 + b2 * r2) / e2
            x3r = (a3 + b3 * r3) / e3
            x4r = (a4 + b4 * r4) / e4
            x5r = (a5 + b5 * r5) / e5
            x6r = (a6 + b6 * r6) / e6
            x7r = (a7 + b7 * r7) / e7
            x0i = (b0 - a0 * r0) / e0
            x1i = (b1 - a1 * r1) / e1
            x2i = (b2 - a2 * r2) / e2
            x3i = (b3 - a3 * r3) / e3
            x4i = (b4 - a4 * r4) / e4
            x5i = (b5 - a5 * r5) / e5
            x6i = (b6 - a6 * r6) / e6
            x7i = (b7 - a7 * r7) / e7
            y0r = x0r * c0r - x0i * c0i
            y1r = x1r * c1r - x1i * c1i
            y2r = x2r * c2r - x2i * c2i
            y3r = x3r * c3r - x3i * c3i
            y4r = x4r * c4r - x4i * c4i
            y5r = x5r * c5r - x5i * c5i
            y6r = x6r * c6r - x6i * c6i
            y7r = x7r * c7r - x7i * c7i
            y0i = x0r * c0i + x0i * c0r
            y1i = x1r * c1i + x1i * c1r
            y2i = x2r * c2i + x2i * c2r
            y3i = x3r * c3i + x3i * c3r
            y4i = x4r * c4i + x4i * c4r
            y5i = x5r * c5i + x5i * c5r
            y6i = x6r * c6i + x6i * c6r
            y7i = x7r * c7i + x7i * c7r
            t0 = y0r * u0 - y0i * v0
            t1 = y1r * u1 - y1i * v1
            t2 = y2r * u2 - y2i * v2
            t3 = y3r * u3 - y3i * v3
            t4 = y4r * u4 - y4i * v4
            t5 = y5r * u5 - y5i * v5
            t6 = y6r * u6 - y6i * v6
            t7 = y7r * u7 - y7i * v7
            s0 += t0 if m0 != 0 else 0.0
            s1 += t1 if m1 != 0 else 0.0
            s2 += t2 if m2 != 0 else 0.0
            s3 += t3 if m3 != 0 else 0.0
            s4 += t4 if m4 != 0 else 0.0
            s5 += t5 if m5 != 0 else 0.0
            s6 += t6 if m6 != 0 else 0.0
            s7 += t7 if m7 != 0 else 0.0
    tc[0] = abs(2.0 * s0) / (n * (n - 1))
    tc[1] = abs(2.0 * s1) / (n * (n - 1))
    tc[2] = abs(2.0 * s2) / (n * (n - 1))
    tc[3] = abs(2.0 * s3) / (n * (n - 1))
    tc[4] = abs(2.0 * s4) / (n * (n - 1))
    tc[5] = abs(2.0 * s5) / (n * (n - 1))
    tc[6] = abs(2.0 * s6) / (n * (n - 1))
    tc[7] = abs(2.0 * s7) / (n * (n - 1))


@njit(error_model="numpy")
def emi_batch(gtr, gti, beta, nl, mats, vecs, vals, flags, n, min_run):
    """EMI of the ``nl`` (1 to 8) pixels in the first lanes of ``gtr + i gti`` (``(n, n, 8)``: ``G`` transposed,
    ``gtr[k, i, l] = Re G_l[i, k]``; the other lanes must hold a finite Hermitian matrix, e.g. ``I``).

    Leaves in ``flags[0]`` True for the lanes whose EMI is defined, with their linked vectors in ``vecs[0] + i
    vecs[1]`` (``(n, 8)``), the vector of ``phase_linking._emi_vector_t`` bit for bit; False where ``|G|`` or the
    unshifted ``|G|^-1 o G`` is not positive definite (the caller's fallback). The last inverse iteration stops
    once fewer than ``min_run`` lanes still run (a vector step costs several single-pixel steps): ``flags[3]`` is
    then True in those lanes, whose factor is in ``mats[5] + i mats[6]``, with the returned number of steps taken
    (of 100): the caller goes on pixel by pixel. Work: ``mats`` ``(8, n, n, 8)``,
    ``vecs`` ``(7, n, 8)``, ``vals`` ``(6, 8)``, ``flags`` (bool) ``(6, 8)``.

    The steps of ``_emi_vector_t`` for all lanes at once: shift 0.99, then 0 in the lanes where that factor
    failed; three inverse-iteration steps; in the lanes not converged, the Rayleigh quotient and up to five
    re-shift attempts (each a factor of all lanes, into scratch: a lane takes the first shift that succeeds, or
    its first shift when the shift would not rise), each lane's factor made again with the shift it took (the same
    bits as the attempt's), then up to 100 steps. A lane's factor is never kept aside: a lane that needs no new
    factor in a step makes its own again."""
    p, u, inv, mr, mi, tr, ti, sr = mats[0], mats[1], mats[2], mats[3], mats[4], mats[5], mats[6], mats[7]
    si = u  # free once inv is made
    vr, vi, wr, wi, yr, yi, t = vecs[0], vecs[1], vecs[2], vecs[3], vecs[4], vecs[5], vecs[6]
    shift, sigma, rho, gap, s, final = vals[0], vals[1], vals[2], vals[3], vals[4], vals[5]
    emi, ok, conv, run, c, act = flags[0], flags[1], flags[2], flags[3], flags[4], flags[5]
    _real_spd_inverse_b(gtr, gti, 1.0 - beta, p, u, inv, t, emi, n)
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
    _inverse_iteration_b(tr, ti, vr, vi, wr, wi, emi, conv, run, c, s, n, 3, 1e-10, 1)
    more = False
    for l in range(LANES):
        act[l] = emi[l] and not conv[l]
        more = more or act[l]
    if not more:
        return 0
    # slow convergence (close eigenvalues): the shift up to just below the Rayleigh quotient
    _rayleigh_b(mr, mi, vr, vi, yr, yi, rho, n)
    for l in range(LANES):
        gap[l] = 1e-4 * abs(rho[l]) + 1e-6
        run[l] = act[l]  # still looking for a higher shift
        final[l] = shift[l]
        sigma[l] = shift[l]
    for _ in range(5):
        more = False
        for l in range(LANES):
            if run[l]:
                sigma[l] = rho[l] - gap[l]
                if sigma[l] <= shift[l]:
                    run[l] = False
                else:
                    more = True
        if not more:
            break
        _emi_factor_b(mr, mi, sigma, sr, si, c, n)
        for l in range(LANES):
            if run[l]:
                if c[l]:
                    final[l] = sigma[l]
                    run[l] = False
                else:
                    gap[l] *= 10.0
    more = False
    for l in range(LANES):
        more = more or final[l] != shift[l]
    if more:  # each lane's factor: the accepted re-shift, else the first shift's again (as the per-pixel code)
        _emi_factor_b(mr, mi, final, tr, ti, c, n)
    return _inverse_iteration_b(tr, ti, vr, vi, wr, wi, act, conv, run, c, s, n, 100, 1e-10, min_run)
