"""The banded arrow factor of a batch's normal matrices (see :mod:`.kernels`): its Cholesky factor, the
forward and backward solves, the banded selected inverse (Takahashi) and linear functionals' variances.
"""

from __future__ import annotations

import math

import numpy as np

from ..._numba import njit
from .lanes import (
    _v_add_mul,
    _v_add_smul,
    _v_diag_inv,
    _v_div,
    _v_fill,
    _v_neg_div,
    _v_smul,
    _v_sq_sum,
    _v_sub_dot4,
    _v_sub_mul,
)
from .model import PIVOT_RTOL, P


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
