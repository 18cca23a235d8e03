"""Sample covariance of a pixel's window, from a ring of packed ``s s^H`` products.

Each chunk of the kernel keeps the packed upper triangle of ``s s^H`` (``s``: a pixel's ``n`` dates, complex64
read as float64) of every usable pixel of its window rows in a ring (``o_r + i o_i``, ``(window rows, tile columns,
mpk)``, ``mpk`` the packed triangle ``n (n + 1) / 2`` padded to 32 doubles): each product is made once and added
for every target whose SHP test accepts it, always in window order, so a pixel's sums do not depend on where a
block, chunk or tile starts. The sample coherence ``G`` is made from the sum in the batch
(:func:`.batch._coherence_b`).
"""

from __future__ import annotations

import math

import numpy as np

from ..._numba import HELPER_INLINE, njit_slp, python_equivalent


# Loop bounds go through ``_u`` (unsigned): numba then emits no negative-index wrap-around, whose selects would keep
# the row loops below scalar.
@njit_slp(inline="always")
def _u(i):
    return np.uint64(i)


python_equivalent(_u, int)  # as Python (the numpy path): numpy 1.x turns np.uint64 + int into a float, no index


@njit_slp(error_model="numpy")
def _log_mean(mean_int):
    """``log`` of the mean intensities (0 where not positive): the GLRT statistic's per-pixel logarithms."""
    out = np.zeros(mean_int.shape)
    for r in range(mean_int.shape[0]):
        for c in range(mean_int.shape[1]):
            m = mean_int[r, c]
            if m > 0.0:
                out[r, c] = math.log(m)
    return out


@njit_slp(error_model="numpy", inline="always")
def conj_product(a, b, c, d):
    """``(a + ib) conj(c + id)`` as its real and imaginary parts, ``(ac + bd, bc - ad)``: the bits of numba's complex
    product by the conjugate (``(a + ib)(c - id)``; a product by ``-d`` is the negated product, a difference of a
    negated term the sum). Written once for scalars and arrays alike: the kernel calls it per element (``s_i
    conj(s_j)`` of the window products, a linked vector's or a PS's phase relative to date 0), the numpy path
    (:mod:`.vectorised`) on whole arrays (its Python function: the same IEEE operations on each element)."""
    return a * c + b * d, b * c - a * d


@njit_slp(error_model="numpy", inline=HELPER_INLINE)
def _outer_row(o_r, o_i, w, q, t0, sr, si, i, n):
    """Row ``i`` of ``s s^H`` from its diagonal on, ``s_i conj(s_j)`` for ``j >= i``, into ``o[w, q, t0 ...]`` (the
    packed upper triangle, row after row)."""
    a = sr[i]
    b = si[i]
    base = _u(t0) - _u(i)
    for j in range(_u(i), _u(n)):
        x, y = conj_product(a, b, sr[j], si[j])
        o_r[w, q, base + j] = x
        o_i[w, q, base + j] = y


@njit_slp(error_model="numpy")
def _outer_packed(o_r, o_i, w, q, sv, sr, si, n):
    """The packed upper triangle of ``s s^H`` (``s = sv``, complex64 dates) into ``o[w, q, :]``."""
    for i in range(n):
        sr[i] = np.float64(sv[i].real)
        si[i] = np.float64(sv[i].imag)
    t0 = 0
    for i in range(n):
        _outer_row(o_r, o_i, w, q, t0, sr, si, i, n)
        t0 += n - i


@njit_slp(error_model="numpy", inline=HELPER_INLINE)
def _add_packed(acc_r, acc_i, o_r, o_i, w, q, m):
    """``acc += o[w, q, :]`` over the padded packed triangle (``m`` values)."""
    for t in range(_u(0), _u(m)):
        acc_r[t] += o_r[w, q, t]
        acc_i[t] += o_i[w, q, t]
