"""Distributed-scatterer phase linking: SHP windows, sample coherence, EVD / EMI, temporal coherence.

For every pixel, the statistically homogeneous neighbours in a window (:mod:`.shp`)
give the sample covariance ``C = 1/K sum_k s_k s_k^H`` of the ``N``-date SLC vectors and
the sample coherence ``G_mn = C_mn / sqrt(C_mm C_nn)``. Phase linking finds the ``N``
phases ``theta`` that best explain all ``N (N - 1) / 2`` interferometric phases of ``G``:

* ``evd`` — principal eigenvector of ``G`` (Cao et al. 2015; Fornaro et al. 2015);
* ``emi`` — eigenvector of the smallest eigenvalue of ``|G|^-1 o G`` (eigendecomposition-
  based maximum-likelihood estimator of interferometric phase, Ansari et al. 2018),
  ``|G|`` regularised as ``(1 - beta) |G| + beta I``; found by shift-inverse iteration
  with shift 0.99 (that eigenvalue is close to 1), falling back to no shift when the
  shifted matrix is not positive definite, and to ``cevd`` when ``|G|`` itself is not
  positive definite (EMI is then undefined; few looks);
* ``cevd`` — coherence-weighted EVD: principal eigenvector of ``|G| o G``, which gives
  high-coherence pairs more say than EVD (a first-order approximation of the
  maximum-likelihood weighting; dolphin's ``use_evd`` estimator).

Eigenvectors come from power iteration (EVD, CEVD) and inverse iteration on a Cholesky
factor (EMI), started from ``G``'s first column, iterated until ``1 - |<v_k, v_k+1>| < 1e-10``
(about 1e-5 rad).
The output phase is single-reference: ``theta_m - theta_0``.

Temporal coherence (Ferretti et al. 2011, eq. 24)::

    gamma = 1 / (N (N - 1)) * | sum_{m != n} exp(j (phi_mn - (theta_m - theta_n))) |

with ``phi_mn = arg G_mn``; 1 = the linked phases explain every interferogram. Permanent
scatterers keep their own phase ``arg(s_m s_0*)`` (temporal coherence 1, SHP count 1).
By default they still enter their neighbours' windows when the SHP test accepts them (as in
dolphin, whose ``mask_input_ps`` is off by default): a PS shares its neighbours' deformation
and atmosphere with a high signal-to-clutter ratio, so dropping it loses looks (with
rectangular windows dropping PS gave 17 % more phase error on the benchmark stack of
benchmarks/psds, 0.252 vs 0.216 rad, where dolphin has 0.216);
``ps_neighbours=False`` keeps them out of every window.

Large images are processed in row blocks with ``window_rows // 2`` rows of overlap on
each side (:func:`phase_link_stack`), so the result is the same as the whole-image one.

References
----------
Ferretti A. et al. (2011), SqueeSAR, IEEE TGRS 49(9), doi:10.1109/TGRS.2011.2124465.
Ansari H., De Zan F., Bamler R. (2018), Efficient phase estimation for interferogram
stacks, IEEE TGRS 56(7), doi:10.1109/TGRS.2018.2826045.
Fornaro G. et al. (2015), CAESAR, IEEE TGRS 53(4), doi:10.1109/TGRS.2014.2352853.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .._numba import HAVE_NUMBA, HELPER_INLINE, njit, prange
from ..errors import GeohazardError
from ..progress import iter_blocks
from .phase_linking_batch import LANES, emi_batch, temporal_coherence_b
from .shp import SHP_METHODS, is_shp, shp_inputs, shp_threshold

#: Estimator codes of the kernel.
METHODS = {"emi": 0, "evd": 1, "cevd": 2}


@dataclass
class PhaseLinkResult:
    """Outputs of :func:`phase_link` (all on the input grid)."""

    phase: np.ndarray  #: (n_dates, rows, cols) float32, radians, minus date 0; NaN = no data
    temporal_coherence: np.ndarray  #: (rows, cols) float32, 0..1
    shp_count: np.ndarray  #: (rows, cols) int32, neighbours used (incl. the pixel)




def _padded(n: int) -> int:
    """Row length of the per-pixel work matrices: ``n`` dates padded to 16 doubles, to 32 beyond 16 dates.

    The row operations below run over whole padded rows (LLVM vectorises them 8 doubles at a time, unrolled 2 to
    4 times): a row shorter than one unrolled vector step would run in the scalar remainder loop instead."""
    return 16 if n <= 16 else (n + 31) // 32 * 32


# The per-pixel linear algebra (Cholesky factors, triangular solves, the inverse of |G|, matrix-vector products)
# is written on split real / imaginary float64 arrays, in "column" order: each step updates a whole padded row of
# independent elements, a loop LLVM vectorises (AVX2 or AVX-512). Every element that matters still receives the
# same operations in the same order as the textbook element-by-element loops (a complex product is
# (ac - bd) + i(ad + bc); a complex number divided by a real d is numba's complex division by d + 0i:
# ratio = 0 / d, ((a + b ratio) / (d + 0 ratio), (b - a ratio) / (d + 0 ratio))), so the results are those of
# the scalar complex code, bit for bit, on any x86 CPU. The other elements of a row (the unused triangle of a
# factor, entries a substitution has already consumed, the padding) take finite values nothing reads.
# The row loops are small functions of their own (HELPER_INLINE): LLVM vectorises a loop only there, not nested
# in the caller's loops. Loop bounds go through ``_u`` (unsigned): numba then emits no negative-index
# wrap-around, whose selects would keep the loops scalar. Most row loops (the helpers ending in 8) take eight
# elements a step, written out with all loads before the stores: LLVM's SLP vectoriser packs each step into vector
# operations, so a row can start at the block of eight holding the first element still read (the diagonal of a
# factor, the next entry of a substitution) without falling into a scalar remainder loop; each element still gets
# the operations of the element loop in its order.


if HAVE_NUMBA:
    @njit(inline="always")
    def _u(i):
        return np.uint64(i)
else:  # plain Python: numpy 1.x turns np.uint64 + int into a float, no index
    _u = int


@njit(error_model="numpy", inline=HELPER_INLINE)
def _vec_cdiv(vr, vi, ratio, den, npad):
    for i in range(_u(0), _u(npad)):
        a = vr[i]
        b = vi[i]
        vr[i] = (a + b * ratio) / den
        vi[i] = (b - a * ratio) / den


@njit(error_model="numpy", inline=HELPER_INLINE)
def _row_sub_cmul8(tr, ti, j, k, yr, yi, start, npad):
    """Row ``j`` minus row ``k`` times ``yr + i yi`` from element ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        xr0 = tr[k, b]
        xr1 = tr[k, b + _u(1)]
        xr2 = tr[k, b + _u(2)]
        xr3 = tr[k, b + _u(3)]
        xr4 = tr[k, b + _u(4)]
        xr5 = tr[k, b + _u(5)]
        xr6 = tr[k, b + _u(6)]
        xr7 = tr[k, b + _u(7)]
        xi0 = ti[k, b]
        xi1 = ti[k, b + _u(1)]
        xi2 = ti[k, b + _u(2)]
        xi3 = ti[k, b + _u(3)]
        xi4 = ti[k, b + _u(4)]
        xi5 = ti[k, b + _u(5)]
        xi6 = ti[k, b + _u(6)]
        xi7 = ti[k, b + _u(7)]
        ar0 = tr[j, b]
        ar1 = tr[j, b + _u(1)]
        ar2 = tr[j, b + _u(2)]
        ar3 = tr[j, b + _u(3)]
        ar4 = tr[j, b + _u(4)]
        ar5 = tr[j, b + _u(5)]
        ar6 = tr[j, b + _u(6)]
        ar7 = tr[j, b + _u(7)]
        ai0 = ti[j, b]
        ai1 = ti[j, b + _u(1)]
        ai2 = ti[j, b + _u(2)]
        ai3 = ti[j, b + _u(3)]
        ai4 = ti[j, b + _u(4)]
        ai5 = ti[j, b + _u(5)]
        ai6 = ti[j, b + _u(6)]
        ai7 = ti[j, b + _u(7)]
        tr[j, b] = ar0 - (xr0 * yr - xi0 * yi)
        tr[j, b + _u(1)] = ar1 - (xr1 * yr - xi1 * yi)
        tr[j, b + _u(2)] = ar2 - (xr2 * yr - xi2 * yi)
        tr[j, b + _u(3)] = ar3 - (xr3 * yr - xi3 * yi)
        tr[j, b + _u(4)] = ar4 - (xr4 * yr - xi4 * yi)
        tr[j, b + _u(5)] = ar5 - (xr5 * yr - xi5 * yi)
        tr[j, b + _u(6)] = ar6 - (xr6 * yr - xi6 * yi)
        tr[j, b + _u(7)] = ar7 - (xr7 * yr - xi7 * yi)
        ti[j, b] = ai0 - (xr0 * yi + xi0 * yr)
        ti[j, b + _u(1)] = ai1 - (xr1 * yi + xi1 * yr)
        ti[j, b + _u(2)] = ai2 - (xr2 * yi + xi2 * yr)
        ti[j, b + _u(3)] = ai3 - (xr3 * yi + xi3 * yr)
        ti[j, b + _u(4)] = ai4 - (xr4 * yi + xi4 * yr)
        ti[j, b + _u(5)] = ai5 - (xr5 * yi + xi5 * yr)
        ti[j, b + _u(6)] = ai6 - (xr6 * yi + xi6 * yr)
        ti[j, b + _u(7)] = ai7 - (xr7 * yi + xi7 * yr)
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _row_sub_cmul4_8(tr, ti, j, k, y0r, y0i, y1r, y1i, y2r, y2i, y3r, y3i, start, npad):
    """Row ``j`` minus rows ``k .. k + 3`` times the complex ``y0 .. y3``, one after the other, from ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        xr00 = tr[k, b]
        xr01 = tr[k, b + _u(1)]
        xr02 = tr[k, b + _u(2)]
        xr03 = tr[k, b + _u(3)]
        xr04 = tr[k, b + _u(4)]
        xr05 = tr[k, b + _u(5)]
        xr06 = tr[k, b + _u(6)]
        xr07 = tr[k, b + _u(7)]
        xi00 = ti[k, b]
        xi01 = ti[k, b + _u(1)]
        xi02 = ti[k, b + _u(2)]
        xi03 = ti[k, b + _u(3)]
        xi04 = ti[k, b + _u(4)]
        xi05 = ti[k, b + _u(5)]
        xi06 = ti[k, b + _u(6)]
        xi07 = ti[k, b + _u(7)]
        xr10 = tr[k + 1, b]
        xr11 = tr[k + 1, b + _u(1)]
        xr12 = tr[k + 1, b + _u(2)]
        xr13 = tr[k + 1, b + _u(3)]
        xr14 = tr[k + 1, b + _u(4)]
        xr15 = tr[k + 1, b + _u(5)]
        xr16 = tr[k + 1, b + _u(6)]
        xr17 = tr[k + 1, b + _u(7)]
        xi10 = ti[k + 1, b]
        xi11 = ti[k + 1, b + _u(1)]
        xi12 = ti[k + 1, b + _u(2)]
        xi13 = ti[k + 1, b + _u(3)]
        xi14 = ti[k + 1, b + _u(4)]
        xi15 = ti[k + 1, b + _u(5)]
        xi16 = ti[k + 1, b + _u(6)]
        xi17 = ti[k + 1, b + _u(7)]
        xr20 = tr[k + 2, b]
        xr21 = tr[k + 2, b + _u(1)]
        xr22 = tr[k + 2, b + _u(2)]
        xr23 = tr[k + 2, b + _u(3)]
        xr24 = tr[k + 2, b + _u(4)]
        xr25 = tr[k + 2, b + _u(5)]
        xr26 = tr[k + 2, b + _u(6)]
        xr27 = tr[k + 2, b + _u(7)]
        xi20 = ti[k + 2, b]
        xi21 = ti[k + 2, b + _u(1)]
        xi22 = ti[k + 2, b + _u(2)]
        xi23 = ti[k + 2, b + _u(3)]
        xi24 = ti[k + 2, b + _u(4)]
        xi25 = ti[k + 2, b + _u(5)]
        xi26 = ti[k + 2, b + _u(6)]
        xi27 = ti[k + 2, b + _u(7)]
        xr30 = tr[k + 3, b]
        xr31 = tr[k + 3, b + _u(1)]
        xr32 = tr[k + 3, b + _u(2)]
        xr33 = tr[k + 3, b + _u(3)]
        xr34 = tr[k + 3, b + _u(4)]
        xr35 = tr[k + 3, b + _u(5)]
        xr36 = tr[k + 3, b + _u(6)]
        xr37 = tr[k + 3, b + _u(7)]
        xi30 = ti[k + 3, b]
        xi31 = ti[k + 3, b + _u(1)]
        xi32 = ti[k + 3, b + _u(2)]
        xi33 = ti[k + 3, b + _u(3)]
        xi34 = ti[k + 3, b + _u(4)]
        xi35 = ti[k + 3, b + _u(5)]
        xi36 = ti[k + 3, b + _u(6)]
        xi37 = ti[k + 3, b + _u(7)]
        ar0 = tr[j, b]
        ar1 = tr[j, b + _u(1)]
        ar2 = tr[j, b + _u(2)]
        ar3 = tr[j, b + _u(3)]
        ar4 = tr[j, b + _u(4)]
        ar5 = tr[j, b + _u(5)]
        ar6 = tr[j, b + _u(6)]
        ar7 = tr[j, b + _u(7)]
        ai0 = ti[j, b]
        ai1 = ti[j, b + _u(1)]
        ai2 = ti[j, b + _u(2)]
        ai3 = ti[j, b + _u(3)]
        ai4 = ti[j, b + _u(4)]
        ai5 = ti[j, b + _u(5)]
        ai6 = ti[j, b + _u(6)]
        ai7 = ti[j, b + _u(7)]
        tr[j, b] = (((ar0 - (xr00 * y0r - xi00 * y0i)) - (xr10 * y1r - xi10 * y1i))
                            - (xr20 * y2r - xi20 * y2i)) - (xr30 * y3r - xi30 * y3i)
        tr[j, b + _u(1)] = (((ar1 - (xr01 * y0r - xi01 * y0i)) - (xr11 * y1r - xi11 * y1i))
                            - (xr21 * y2r - xi21 * y2i)) - (xr31 * y3r - xi31 * y3i)
        tr[j, b + _u(2)] = (((ar2 - (xr02 * y0r - xi02 * y0i)) - (xr12 * y1r - xi12 * y1i))
                            - (xr22 * y2r - xi22 * y2i)) - (xr32 * y3r - xi32 * y3i)
        tr[j, b + _u(3)] = (((ar3 - (xr03 * y0r - xi03 * y0i)) - (xr13 * y1r - xi13 * y1i))
                            - (xr23 * y2r - xi23 * y2i)) - (xr33 * y3r - xi33 * y3i)
        tr[j, b + _u(4)] = (((ar4 - (xr04 * y0r - xi04 * y0i)) - (xr14 * y1r - xi14 * y1i))
                            - (xr24 * y2r - xi24 * y2i)) - (xr34 * y3r - xi34 * y3i)
        tr[j, b + _u(5)] = (((ar5 - (xr05 * y0r - xi05 * y0i)) - (xr15 * y1r - xi15 * y1i))
                            - (xr25 * y2r - xi25 * y2i)) - (xr35 * y3r - xi35 * y3i)
        tr[j, b + _u(6)] = (((ar6 - (xr06 * y0r - xi06 * y0i)) - (xr16 * y1r - xi16 * y1i))
                            - (xr26 * y2r - xi26 * y2i)) - (xr36 * y3r - xi36 * y3i)
        tr[j, b + _u(7)] = (((ar7 - (xr07 * y0r - xi07 * y0i)) - (xr17 * y1r - xi17 * y1i))
                            - (xr27 * y2r - xi27 * y2i)) - (xr37 * y3r - xi37 * y3i)
        ti[j, b] = (((ai0 - (xr00 * y0i + xi00 * y0r)) - (xr10 * y1i + xi10 * y1r))
                            - (xr20 * y2i + xi20 * y2r)) - (xr30 * y3i + xi30 * y3r)
        ti[j, b + _u(1)] = (((ai1 - (xr01 * y0i + xi01 * y0r)) - (xr11 * y1i + xi11 * y1r))
                            - (xr21 * y2i + xi21 * y2r)) - (xr31 * y3i + xi31 * y3r)
        ti[j, b + _u(2)] = (((ai2 - (xr02 * y0i + xi02 * y0r)) - (xr12 * y1i + xi12 * y1r))
                            - (xr22 * y2i + xi22 * y2r)) - (xr32 * y3i + xi32 * y3r)
        ti[j, b + _u(3)] = (((ai3 - (xr03 * y0i + xi03 * y0r)) - (xr13 * y1i + xi13 * y1r))
                            - (xr23 * y2i + xi23 * y2r)) - (xr33 * y3i + xi33 * y3r)
        ti[j, b + _u(4)] = (((ai4 - (xr04 * y0i + xi04 * y0r)) - (xr14 * y1i + xi14 * y1r))
                            - (xr24 * y2i + xi24 * y2r)) - (xr34 * y3i + xi34 * y3r)
        ti[j, b + _u(5)] = (((ai5 - (xr05 * y0i + xi05 * y0r)) - (xr15 * y1i + xi15 * y1r))
                            - (xr25 * y2i + xi25 * y2r)) - (xr35 * y3i + xi35 * y3r)
        ti[j, b + _u(6)] = (((ai6 - (xr06 * y0i + xi06 * y0r)) - (xr16 * y1i + xi16 * y1r))
                            - (xr26 * y2i + xi26 * y2r)) - (xr36 * y3i + xi36 * y3r)
        ti[j, b + _u(7)] = (((ai7 - (xr07 * y0i + xi07 * y0r)) - (xr17 * y1i + xi17 * y1r))
                            - (xr27 * y2i + xi27 * y2r)) - (xr37 * y3i + xi37 * y3r)
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _row_cdiv8(tr, ti, k, ratio, den, start, npad):
    """Row ``k`` divided by ``d + 0i`` (``ratio = 0 / d``, ``den = d + 0 ratio``) from element ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        a0 = tr[k, b]
        a1 = tr[k, b + _u(1)]
        a2 = tr[k, b + _u(2)]
        a3 = tr[k, b + _u(3)]
        a4 = tr[k, b + _u(4)]
        a5 = tr[k, b + _u(5)]
        a6 = tr[k, b + _u(6)]
        a7 = tr[k, b + _u(7)]
        c0 = ti[k, b]
        c1 = ti[k, b + _u(1)]
        c2 = ti[k, b + _u(2)]
        c3 = ti[k, b + _u(3)]
        c4 = ti[k, b + _u(4)]
        c5 = ti[k, b + _u(5)]
        c6 = ti[k, b + _u(6)]
        c7 = ti[k, b + _u(7)]
        tr[k, b] = (a0 + c0 * ratio) / den
        tr[k, b + _u(1)] = (a1 + c1 * ratio) / den
        tr[k, b + _u(2)] = (a2 + c2 * ratio) / den
        tr[k, b + _u(3)] = (a3 + c3 * ratio) / den
        tr[k, b + _u(4)] = (a4 + c4 * ratio) / den
        tr[k, b + _u(5)] = (a5 + c5 * ratio) / den
        tr[k, b + _u(6)] = (a6 + c6 * ratio) / den
        tr[k, b + _u(7)] = (a7 + c7 * ratio) / den
        ti[k, b] = (c0 - a0 * ratio) / den
        ti[k, b + _u(1)] = (c1 - a1 * ratio) / den
        ti[k, b + _u(2)] = (c2 - a2 * ratio) / den
        ti[k, b + _u(3)] = (c3 - a3 * ratio) / den
        ti[k, b + _u(4)] = (c4 - a4 * ratio) / den
        ti[k, b + _u(5)] = (c5 - a5 * ratio) / den
        ti[k, b + _u(6)] = (c6 - a6 * ratio) / den
        ti[k, b + _u(7)] = (c7 - a7 * ratio) / den
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _vec_sub_cmul8(yr, yi, tr, ti, k, cr, ci, start, npad):
    """``y -= A[k, :] (cr + i ci)`` from element ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        lre0 = tr[k, b]
        lre1 = tr[k, b + _u(1)]
        lre2 = tr[k, b + _u(2)]
        lre3 = tr[k, b + _u(3)]
        lre4 = tr[k, b + _u(4)]
        lre5 = tr[k, b + _u(5)]
        lre6 = tr[k, b + _u(6)]
        lre7 = tr[k, b + _u(7)]
        lim0 = ti[k, b]
        lim1 = ti[k, b + _u(1)]
        lim2 = ti[k, b + _u(2)]
        lim3 = ti[k, b + _u(3)]
        lim4 = ti[k, b + _u(4)]
        lim5 = ti[k, b + _u(5)]
        lim6 = ti[k, b + _u(6)]
        lim7 = ti[k, b + _u(7)]
        a0 = yr[b]
        a1 = yr[b + _u(1)]
        a2 = yr[b + _u(2)]
        a3 = yr[b + _u(3)]
        a4 = yr[b + _u(4)]
        a5 = yr[b + _u(5)]
        a6 = yr[b + _u(6)]
        a7 = yr[b + _u(7)]
        c0 = yi[b]
        c1 = yi[b + _u(1)]
        c2 = yi[b + _u(2)]
        c3 = yi[b + _u(3)]
        c4 = yi[b + _u(4)]
        c5 = yi[b + _u(5)]
        c6 = yi[b + _u(6)]
        c7 = yi[b + _u(7)]
        yr[b] = a0 - (lre0 * cr - lim0 * ci)
        yr[b + _u(1)] = a1 - (lre1 * cr - lim1 * ci)
        yr[b + _u(2)] = a2 - (lre2 * cr - lim2 * ci)
        yr[b + _u(3)] = a3 - (lre3 * cr - lim3 * ci)
        yr[b + _u(4)] = a4 - (lre4 * cr - lim4 * ci)
        yr[b + _u(5)] = a5 - (lre5 * cr - lim5 * ci)
        yr[b + _u(6)] = a6 - (lre6 * cr - lim6 * ci)
        yr[b + _u(7)] = a7 - (lre7 * cr - lim7 * ci)
        yi[b] = c0 - (lre0 * ci + lim0 * cr)
        yi[b + _u(1)] = c1 - (lre1 * ci + lim1 * cr)
        yi[b + _u(2)] = c2 - (lre2 * ci + lim2 * cr)
        yi[b + _u(3)] = c3 - (lre3 * ci + lim3 * cr)
        yi[b + _u(4)] = c4 - (lre4 * ci + lim4 * cr)
        yi[b + _u(5)] = c5 - (lre5 * ci + lim5 * cr)
        yi[b + _u(6)] = c6 - (lre6 * ci + lim6 * cr)
        yi[b + _u(7)] = c7 - (lre7 * ci + lim7 * cr)
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _vec_sub_conj_cmul8(yr, yi, lr, li, k, cr, ci, stop):
    """``y -= conj(A[k, :]) (cr + i ci)`` on the elements before ``stop``."""
    b = _u(0)
    while b < _u(stop):
        lre0 = lr[k, b]
        lre1 = lr[k, b + _u(1)]
        lre2 = lr[k, b + _u(2)]
        lre3 = lr[k, b + _u(3)]
        lre4 = lr[k, b + _u(4)]
        lre5 = lr[k, b + _u(5)]
        lre6 = lr[k, b + _u(6)]
        lre7 = lr[k, b + _u(7)]
        lim0 = -li[k, b]
        lim1 = -li[k, b + _u(1)]
        lim2 = -li[k, b + _u(2)]
        lim3 = -li[k, b + _u(3)]
        lim4 = -li[k, b + _u(4)]
        lim5 = -li[k, b + _u(5)]
        lim6 = -li[k, b + _u(6)]
        lim7 = -li[k, b + _u(7)]
        a0 = yr[b]
        a1 = yr[b + _u(1)]
        a2 = yr[b + _u(2)]
        a3 = yr[b + _u(3)]
        a4 = yr[b + _u(4)]
        a5 = yr[b + _u(5)]
        a6 = yr[b + _u(6)]
        a7 = yr[b + _u(7)]
        c0 = yi[b]
        c1 = yi[b + _u(1)]
        c2 = yi[b + _u(2)]
        c3 = yi[b + _u(3)]
        c4 = yi[b + _u(4)]
        c5 = yi[b + _u(5)]
        c6 = yi[b + _u(6)]
        c7 = yi[b + _u(7)]
        yr[b] = a0 - (lre0 * cr - lim0 * ci)
        yr[b + _u(1)] = a1 - (lre1 * cr - lim1 * ci)
        yr[b + _u(2)] = a2 - (lre2 * cr - lim2 * ci)
        yr[b + _u(3)] = a3 - (lre3 * cr - lim3 * ci)
        yr[b + _u(4)] = a4 - (lre4 * cr - lim4 * ci)
        yr[b + _u(5)] = a5 - (lre5 * cr - lim5 * ci)
        yr[b + _u(6)] = a6 - (lre6 * cr - lim6 * ci)
        yr[b + _u(7)] = a7 - (lre7 * cr - lim7 * ci)
        yi[b] = c0 - (lre0 * ci + lim0 * cr)
        yi[b + _u(1)] = c1 - (lre1 * ci + lim1 * cr)
        yi[b + _u(2)] = c2 - (lre2 * ci + lim2 * cr)
        yi[b + _u(3)] = c3 - (lre3 * ci + lim3 * cr)
        yi[b + _u(4)] = c4 - (lre4 * ci + lim4 * cr)
        yi[b + _u(5)] = c5 - (lre5 * ci + lim5 * cr)
        yi[b + _u(6)] = c6 - (lre6 * ci + lim6 * cr)
        yi[b + _u(7)] = c7 - (lre7 * ci + lim7 * cr)
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _vec_add_cmul(wr, wi, atr, ati, k, cr, ci, npad):
    """``w += A[k, :] (cr + i ci)``."""
    for i in range(_u(0), _u(npad)):
        a = atr[k, i]
        b = ati[k, i]
        wr[i] += a * cr - b * ci
        wi[i] += a * ci + b * cr


@njit(error_model="numpy", inline=HELPER_INLINE)
def _row_real_times(tr, inv, gtr, gti, k, npad):
    """Real part of row ``k`` of ``inv o G`` (a real times a complex as numba multiplies: (a + 0i)(c + id))."""
    for i in range(_u(0), _u(npad)):
        tr[k, i] = inv[k, i] * gtr[k, i] - 0.0 * gti[k, i]


@njit(error_model="numpy", inline=HELPER_INLINE)
def _row_imag_times(ti, inv, gtr, gti, k, npad):
    for i in range(_u(0), _u(npad)):
        ti[k, i] = inv[k, i] * gti[k, i] + 0.0 * gtr[k, i]


@njit(error_model="numpy", inline=HELPER_INLINE)
def _row_times_abs(mtr, mti, gtr, gti, k, npad):
    """Row ``k`` of ``G o |G|`` (a complex times a real as numba multiplies: (a + ib)(c + 0i))."""
    for i in range(_u(0), _u(npad)):
        a = gtr[k, i]
        b = gti[k, i]
        c = np.sqrt(a * a + b * b)
        mtr[k, i] = a * c - b * 0.0
        mti[k, i] = a * 0.0 + b * c


@njit(error_model="numpy", inline=HELPER_INLINE)
def _row_div8(p, k, d, start, npad):
    """Row ``k`` divided by ``d`` from element ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        a0 = p[k, b]
        a1 = p[k, b + _u(1)]
        a2 = p[k, b + _u(2)]
        a3 = p[k, b + _u(3)]
        a4 = p[k, b + _u(4)]
        a5 = p[k, b + _u(5)]
        a6 = p[k, b + _u(6)]
        a7 = p[k, b + _u(7)]
        p[k, b] = a0 / d
        p[k, b + _u(1)] = a1 / d
        p[k, b + _u(2)] = a2 / d
        p[k, b + _u(3)] = a3 / d
        p[k, b + _u(4)] = a4 / d
        p[k, b + _u(5)] = a5 / d
        p[k, b + _u(6)] = a6 / d
        p[k, b + _u(7)] = a7 / d
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _row_sub_mul8(p, j, k, y, start, npad):
    """Row ``j`` minus row ``k`` times ``y`` from element ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        x0 = p[k, b]
        x1 = p[k, b + _u(1)]
        x2 = p[k, b + _u(2)]
        x3 = p[k, b + _u(3)]
        x4 = p[k, b + _u(4)]
        x5 = p[k, b + _u(5)]
        x6 = p[k, b + _u(6)]
        x7 = p[k, b + _u(7)]
        a0 = p[j, b]
        a1 = p[j, b + _u(1)]
        a2 = p[j, b + _u(2)]
        a3 = p[j, b + _u(3)]
        a4 = p[j, b + _u(4)]
        a5 = p[j, b + _u(5)]
        a6 = p[j, b + _u(6)]
        a7 = p[j, b + _u(7)]
        p[j, b] = a0 - x0 * y
        p[j, b + _u(1)] = a1 - x1 * y
        p[j, b + _u(2)] = a2 - x2 * y
        p[j, b + _u(3)] = a3 - x3 * y
        p[j, b + _u(4)] = a4 - x4 * y
        p[j, b + _u(5)] = a5 - x5 * y
        p[j, b + _u(6)] = a6 - x6 * y
        p[j, b + _u(7)] = a7 - x7 * y
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _row_sub_mul4_8(p, j, k, y0, y1, y2, y3, start, npad):
    """Row ``j`` minus rows ``k .. k + 3`` times ``y0 .. y3``, one after the other, from element ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        w0 = p[k, b]
        w1 = p[k, b + _u(1)]
        w2 = p[k, b + _u(2)]
        w3 = p[k, b + _u(3)]
        w4 = p[k, b + _u(4)]
        w5 = p[k, b + _u(5)]
        w6 = p[k, b + _u(6)]
        w7 = p[k, b + _u(7)]
        x0 = p[k + 1, b]
        x1 = p[k + 1, b + _u(1)]
        x2 = p[k + 1, b + _u(2)]
        x3 = p[k + 1, b + _u(3)]
        x4 = p[k + 1, b + _u(4)]
        x5 = p[k + 1, b + _u(5)]
        x6 = p[k + 1, b + _u(6)]
        x7 = p[k + 1, b + _u(7)]
        z0 = p[k + 2, b]
        z1 = p[k + 2, b + _u(1)]
        z2 = p[k + 2, b + _u(2)]
        z3 = p[k + 2, b + _u(3)]
        z4 = p[k + 2, b + _u(4)]
        z5 = p[k + 2, b + _u(5)]
        z6 = p[k + 2, b + _u(6)]
        z7 = p[k + 2, b + _u(7)]
        q0 = p[k + 3, b]
        q1 = p[k + 3, b + _u(1)]
        q2 = p[k + 3, b + _u(2)]
        q3 = p[k + 3, b + _u(3)]
        q4 = p[k + 3, b + _u(4)]
        q5 = p[k + 3, b + _u(5)]
        q6 = p[k + 3, b + _u(6)]
        q7 = p[k + 3, b + _u(7)]
        a0 = p[j, b]
        a1 = p[j, b + _u(1)]
        a2 = p[j, b + _u(2)]
        a3 = p[j, b + _u(3)]
        a4 = p[j, b + _u(4)]
        a5 = p[j, b + _u(5)]
        a6 = p[j, b + _u(6)]
        a7 = p[j, b + _u(7)]
        p[j, b] = (((a0 - w0 * y0) - x0 * y1) - z0 * y2) - q0 * y3
        p[j, b + _u(1)] = (((a1 - w1 * y0) - x1 * y1) - z1 * y2) - q1 * y3
        p[j, b + _u(2)] = (((a2 - w2 * y0) - x2 * y1) - z2 * y2) - q2 * y3
        p[j, b + _u(3)] = (((a3 - w3 * y0) - x3 * y1) - z3 * y2) - q3 * y3
        p[j, b + _u(4)] = (((a4 - w4 * y0) - x4 * y1) - z4 * y2) - q4 * y3
        p[j, b + _u(5)] = (((a5 - w5 * y0) - x5 * y1) - z5 * y2) - q5 * y3
        p[j, b + _u(6)] = (((a6 - w6 * y0) - x6 * y1) - z6 * y2) - q6 * y3
        p[j, b + _u(7)] = (((a7 - w7 * y0) - x7 * y1) - z7 * y2) - q7 * y3
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _vec_sub_mul8(t, p, k, x, start, npad):
    """``t -= p[k, :] x`` from element ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        w0 = p[k, b]
        w1 = p[k, b + _u(1)]
        w2 = p[k, b + _u(2)]
        w3 = p[k, b + _u(3)]
        w4 = p[k, b + _u(4)]
        w5 = p[k, b + _u(5)]
        w6 = p[k, b + _u(6)]
        w7 = p[k, b + _u(7)]
        a0 = t[b]
        a1 = t[b + _u(1)]
        a2 = t[b + _u(2)]
        a3 = t[b + _u(3)]
        a4 = t[b + _u(4)]
        a5 = t[b + _u(5)]
        a6 = t[b + _u(6)]
        a7 = t[b + _u(7)]
        t[b] = a0 - w0 * x
        t[b + _u(1)] = a1 - w1 * x
        t[b + _u(2)] = a2 - w2 * x
        t[b + _u(3)] = a3 - w3 * x
        t[b + _u(4)] = a4 - w4 * x
        t[b + _u(5)] = a5 - w5 * x
        t[b + _u(6)] = a6 - w6 * x
        t[b + _u(7)] = a7 - w7 * x
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _vec_sub_mul4_8(t, p, k, x0, x1, x2, x3, start, npad):
    """``t -= p[k, :] x0``, then rows ``k + 1 .. k + 3`` times ``x1 .. x3``, from element ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        w0 = p[k, b]
        w1 = p[k, b + _u(1)]
        w2 = p[k, b + _u(2)]
        w3 = p[k, b + _u(3)]
        w4 = p[k, b + _u(4)]
        w5 = p[k, b + _u(5)]
        w6 = p[k, b + _u(6)]
        w7 = p[k, b + _u(7)]
        x0_ = p[k + 1, b]
        x1_ = p[k + 1, b + _u(1)]
        x2_ = p[k + 1, b + _u(2)]
        x3_ = p[k + 1, b + _u(3)]
        x4_ = p[k + 1, b + _u(4)]
        x5_ = p[k + 1, b + _u(5)]
        x6_ = p[k + 1, b + _u(6)]
        x7_ = p[k + 1, b + _u(7)]
        z0 = p[k + 2, b]
        z1 = p[k + 2, b + _u(1)]
        z2 = p[k + 2, b + _u(2)]
        z3 = p[k + 2, b + _u(3)]
        z4 = p[k + 2, b + _u(4)]
        z5 = p[k + 2, b + _u(5)]
        z6 = p[k + 2, b + _u(6)]
        z7 = p[k + 2, b + _u(7)]
        q0 = p[k + 3, b]
        q1 = p[k + 3, b + _u(1)]
        q2 = p[k + 3, b + _u(2)]
        q3 = p[k + 3, b + _u(3)]
        q4 = p[k + 3, b + _u(4)]
        q5 = p[k + 3, b + _u(5)]
        q6 = p[k + 3, b + _u(6)]
        q7 = p[k + 3, b + _u(7)]
        a0 = t[b]
        a1 = t[b + _u(1)]
        a2 = t[b + _u(2)]
        a3 = t[b + _u(3)]
        a4 = t[b + _u(4)]
        a5 = t[b + _u(5)]
        a6 = t[b + _u(6)]
        a7 = t[b + _u(7)]
        t[b] = (((a0 - w0 * x0) - x0_ * x1) - z0 * x2) - q0 * x3
        t[b + _u(1)] = (((a1 - w1 * x0) - x1_ * x1) - z1 * x2) - q1 * x3
        t[b + _u(2)] = (((a2 - w2 * x0) - x2_ * x1) - z2 * x2) - q2 * x3
        t[b + _u(3)] = (((a3 - w3 * x0) - x3_ * x1) - z3 * x2) - q3 * x3
        t[b + _u(4)] = (((a4 - w4 * x0) - x4_ * x1) - z4 * x2) - q4 * x3
        t[b + _u(5)] = (((a5 - w5 * x0) - x5_ * x1) - z5 * x2) - q5 * x3
        t[b + _u(6)] = (((a6 - w6 * x0) - x6_ * x1) - z6 * x2) - q6 * x3
        t[b + _u(7)] = (((a7 - w7 * x0) - x7_ * x1) - z7 * x2) - q7 * x3
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _vec_add_mul8(t, p, k, x, start, npad):
    """``t += x p[k, :]`` from element ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        w0 = p[k, b]
        w1 = p[k, b + _u(1)]
        w2 = p[k, b + _u(2)]
        w3 = p[k, b + _u(3)]
        w4 = p[k, b + _u(4)]
        w5 = p[k, b + _u(5)]
        w6 = p[k, b + _u(6)]
        w7 = p[k, b + _u(7)]
        a0 = t[b]
        a1 = t[b + _u(1)]
        a2 = t[b + _u(2)]
        a3 = t[b + _u(3)]
        a4 = t[b + _u(4)]
        a5 = t[b + _u(5)]
        a6 = t[b + _u(6)]
        a7 = t[b + _u(7)]
        t[b] = a0 + x * w0
        t[b + _u(1)] = a1 + x * w1
        t[b + _u(2)] = a2 + x * w2
        t[b + _u(3)] = a3 + x * w3
        t[b + _u(4)] = a4 + x * w4
        t[b + _u(5)] = a5 + x * w5
        t[b + _u(6)] = a6 + x * w6
        t[b + _u(7)] = a7 + x * w7
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _vec_add_mul4_8(t, p, k, x0, x1, x2, x3, start, npad):
    """``t += x0 p[k, :]``, then ``x1 .. x3`` times rows ``k + 1 .. k + 3``, from element ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        w0 = p[k, b]
        w1 = p[k, b + _u(1)]
        w2 = p[k, b + _u(2)]
        w3 = p[k, b + _u(3)]
        w4 = p[k, b + _u(4)]
        w5 = p[k, b + _u(5)]
        w6 = p[k, b + _u(6)]
        w7 = p[k, b + _u(7)]
        x0_ = p[k + 1, b]
        x1_ = p[k + 1, b + _u(1)]
        x2_ = p[k + 1, b + _u(2)]
        x3_ = p[k + 1, b + _u(3)]
        x4_ = p[k + 1, b + _u(4)]
        x5_ = p[k + 1, b + _u(5)]
        x6_ = p[k + 1, b + _u(6)]
        x7_ = p[k + 1, b + _u(7)]
        z0 = p[k + 2, b]
        z1 = p[k + 2, b + _u(1)]
        z2 = p[k + 2, b + _u(2)]
        z3 = p[k + 2, b + _u(3)]
        z4 = p[k + 2, b + _u(4)]
        z5 = p[k + 2, b + _u(5)]
        z6 = p[k + 2, b + _u(6)]
        z7 = p[k + 2, b + _u(7)]
        q0 = p[k + 3, b]
        q1 = p[k + 3, b + _u(1)]
        q2 = p[k + 3, b + _u(2)]
        q3 = p[k + 3, b + _u(3)]
        q4 = p[k + 3, b + _u(4)]
        q5 = p[k + 3, b + _u(5)]
        q6 = p[k + 3, b + _u(6)]
        q7 = p[k + 3, b + _u(7)]
        a0 = t[b]
        a1 = t[b + _u(1)]
        a2 = t[b + _u(2)]
        a3 = t[b + _u(3)]
        a4 = t[b + _u(4)]
        a5 = t[b + _u(5)]
        a6 = t[b + _u(6)]
        a7 = t[b + _u(7)]
        t[b] = (((a0 + x0 * w0) + x1 * x0_) + x2 * z0) + x3 * q0
        t[b + _u(1)] = (((a1 + x0 * w1) + x1 * x1_) + x2 * z1) + x3 * q1
        t[b + _u(2)] = (((a2 + x0 * w2) + x1 * x2_) + x2 * z2) + x3 * q2
        t[b + _u(3)] = (((a3 + x0 * w3) + x1 * x3_) + x2 * z3) + x3 * q3
        t[b + _u(4)] = (((a4 + x0 * w4) + x1 * x4_) + x2 * z4) + x3 * q4
        t[b + _u(5)] = (((a5 + x0 * w5) + x1 * x5_) + x2 * z5) + x3 * q5
        t[b + _u(6)] = (((a6 + x0 * w6) + x1 * x6_) + x2 * z6) + x3 * q6
        t[b + _u(7)] = (((a7 + x0 * w7) + x1 * x7_) + x2 * z7) + x3 * q7
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _row_abs8(p, gtr, gti, k, scale, start, npad):
    """``scale |G[k, :]|`` (``|z| = sqrt(re^2 + im^2)``) from element ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        a0 = gtr[k, b]
        a1 = gtr[k, b + _u(1)]
        a2 = gtr[k, b + _u(2)]
        a3 = gtr[k, b + _u(3)]
        a4 = gtr[k, b + _u(4)]
        a5 = gtr[k, b + _u(5)]
        a6 = gtr[k, b + _u(6)]
        a7 = gtr[k, b + _u(7)]
        c0 = gti[k, b]
        c1 = gti[k, b + _u(1)]
        c2 = gti[k, b + _u(2)]
        c3 = gti[k, b + _u(3)]
        c4 = gti[k, b + _u(4)]
        c5 = gti[k, b + _u(5)]
        c6 = gti[k, b + _u(6)]
        c7 = gti[k, b + _u(7)]
        p[k, b] = scale * np.sqrt(a0 * a0 + c0 * c0)
        p[k, b + _u(1)] = scale * np.sqrt(a1 * a1 + c1 * c1)
        p[k, b + _u(2)] = scale * np.sqrt(a2 * a2 + c2 * c2)
        p[k, b + _u(3)] = scale * np.sqrt(a3 * a3 + c3 * c3)
        p[k, b + _u(4)] = scale * np.sqrt(a4 * a4 + c4 * c4)
        p[k, b + _u(5)] = scale * np.sqrt(a5 * a5 + c5 * c5)
        p[k, b + _u(6)] = scale * np.sqrt(a6 * a6 + c6 * c6)
        p[k, b + _u(7)] = scale * np.sqrt(a7 * a7 + c7 * c7)
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _row_copy8(tr, ti, mr, mi, k, start, npad):
    """Row ``k`` of ``mr + i mi`` into ``tr + i ti`` from element ``start`` on."""
    b = _u(start)
    while b < _u(npad):
        a0 = mr[k, b]
        a1 = mr[k, b + _u(1)]
        a2 = mr[k, b + _u(2)]
        a3 = mr[k, b + _u(3)]
        a4 = mr[k, b + _u(4)]
        a5 = mr[k, b + _u(5)]
        a6 = mr[k, b + _u(6)]
        a7 = mr[k, b + _u(7)]
        c0 = mi[k, b]
        c1 = mi[k, b + _u(1)]
        c2 = mi[k, b + _u(2)]
        c3 = mi[k, b + _u(3)]
        c4 = mi[k, b + _u(4)]
        c5 = mi[k, b + _u(5)]
        c6 = mi[k, b + _u(6)]
        c7 = mi[k, b + _u(7)]
        tr[k, b] = a0
        tr[k, b + _u(1)] = a1
        tr[k, b + _u(2)] = a2
        tr[k, b + _u(3)] = a3
        tr[k, b + _u(4)] = a4
        tr[k, b + _u(5)] = a5
        tr[k, b + _u(6)] = a6
        tr[k, b + _u(7)] = a7
        ti[k, b] = c0
        ti[k, b + _u(1)] = c1
        ti[k, b + _u(2)] = c2
        ti[k, b + _u(3)] = c3
        ti[k, b + _u(4)] = c4
        ti[k, b + _u(5)] = c5
        ti[k, b + _u(6)] = c6
        ti[k, b + _u(7)] = c7
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _coherence_terms8(term, gr, gi, i, cr, ci, pr, pim, start, npad):
    """``Re((G[i, k] / |G[i, k]|) conj(p_i) p_k)`` for every ``k`` from ``start`` on (0 where ``G[i, k]`` is 0; a zero
    ``G[i, k]`` divides by 1, no 0 / 0 warning in Python, and adding the +0.0 leaves the sum's bits)."""
    b = _u(start)
    while b < _u(npad):
        a0 = gr[i, b]
        a1 = gr[i, b + _u(1)]
        a2 = gr[i, b + _u(2)]
        a3 = gr[i, b + _u(3)]
        a4 = gr[i, b + _u(4)]
        a5 = gr[i, b + _u(5)]
        a6 = gr[i, b + _u(6)]
        a7 = gr[i, b + _u(7)]
        c0 = gi[i, b]
        c1 = gi[i, b + _u(1)]
        c2 = gi[i, b + _u(2)]
        c3 = gi[i, b + _u(3)]
        c4 = gi[i, b + _u(4)]
        c5 = gi[i, b + _u(5)]
        c6 = gi[i, b + _u(6)]
        c7 = gi[i, b + _u(7)]
        u0 = pr[b]
        u1 = pr[b + _u(1)]
        u2 = pr[b + _u(2)]
        u3 = pr[b + _u(3)]
        u4 = pr[b + _u(4)]
        u5 = pr[b + _u(5)]
        u6 = pr[b + _u(6)]
        u7 = pr[b + _u(7)]
        v0 = pim[b]
        v1 = pim[b + _u(1)]
        v2 = pim[b + _u(2)]
        v3 = pim[b + _u(3)]
        v4 = pim[b + _u(4)]
        v5 = pim[b + _u(5)]
        v6 = pim[b + _u(6)]
        v7 = pim[b + _u(7)]
        ag0 = np.sqrt(a0 * a0 + c0 * c0)
        ag1 = np.sqrt(a1 * a1 + c1 * c1)
        ag2 = np.sqrt(a2 * a2 + c2 * c2)
        ag3 = np.sqrt(a3 * a3 + c3 * c3)
        ag4 = np.sqrt(a4 * a4 + c4 * c4)
        ag5 = np.sqrt(a5 * a5 + c5 * c5)
        ag6 = np.sqrt(a6 * a6 + c6 * c6)
        ag7 = np.sqrt(a7 * a7 + c7 * c7)
        d0 = ag0 if ag0 != 0 else 1.0
        d1 = ag1 if ag1 != 0 else 1.0
        d2 = ag2 if ag2 != 0 else 1.0
        d3 = ag3 if ag3 != 0 else 1.0
        d4 = ag4 if ag4 != 0 else 1.0
        d5 = ag5 if ag5 != 0 else 1.0
        d6 = ag6 if ag6 != 0 else 1.0
        d7 = ag7 if ag7 != 0 else 1.0
        ratio0 = 0.0 / d0
        ratio1 = 0.0 / d1
        ratio2 = 0.0 / d2
        ratio3 = 0.0 / d3
        ratio4 = 0.0 / d4
        ratio5 = 0.0 / d5
        ratio6 = 0.0 / d6
        ratio7 = 0.0 / d7
        den0 = d0 + 0.0 * ratio0
        den1 = d1 + 0.0 * ratio1
        den2 = d2 + 0.0 * ratio2
        den3 = d3 + 0.0 * ratio3
        den4 = d4 + 0.0 * ratio4
        den5 = d5 + 0.0 * ratio5
        den6 = d6 + 0.0 * ratio6
        den7 = d7 + 0.0 * ratio7
        qr0 = (a0 + c0 * ratio0) / den0
        qr1 = (a1 + c1 * ratio1) / den1
        qr2 = (a2 + c2 * ratio2) / den2
        qr3 = (a3 + c3 * ratio3) / den3
        qr4 = (a4 + c4 * ratio4) / den4
        qr5 = (a5 + c5 * ratio5) / den5
        qr6 = (a6 + c6 * ratio6) / den6
        qr7 = (a7 + c7 * ratio7) / den7
        qi0 = (c0 - a0 * ratio0) / den0
        qi1 = (c1 - a1 * ratio1) / den1
        qi2 = (c2 - a2 * ratio2) / den2
        qi3 = (c3 - a3 * ratio3) / den3
        qi4 = (c4 - a4 * ratio4) / den4
        qi5 = (c5 - a5 * ratio5) / den5
        qi6 = (c6 - a6 * ratio6) / den6
        qi7 = (c7 - a7 * ratio7) / den7
        sr0 = qr0 * cr - qi0 * ci
        sr1 = qr1 * cr - qi1 * ci
        sr2 = qr2 * cr - qi2 * ci
        sr3 = qr3 * cr - qi3 * ci
        sr4 = qr4 * cr - qi4 * ci
        sr5 = qr5 * cr - qi5 * ci
        sr6 = qr6 * cr - qi6 * ci
        sr7 = qr7 * cr - qi7 * ci
        si0 = qr0 * ci + qi0 * cr
        si1 = qr1 * ci + qi1 * cr
        si2 = qr2 * ci + qi2 * cr
        si3 = qr3 * ci + qi3 * cr
        si4 = qr4 * ci + qi4 * cr
        si5 = qr5 * ci + qi5 * cr
        si6 = qr6 * ci + qi6 * cr
        si7 = qr7 * ci + qi7 * cr
        t0 = sr0 * u0 - si0 * v0
        t1 = sr1 * u1 - si1 * v1
        t2 = sr2 * u2 - si2 * v2
        t3 = sr3 * u3 - si3 * v3
        t4 = sr4 * u4 - si4 * v4
        t5 = sr5 * u5 - si5 * v5
        t6 = sr6 * u6 - si6 * v6
        t7 = sr7 * u7 - si7 * v7
        term[b] = t0 if ag0 != 0 else 0.0
        term[b + _u(1)] = t1 if ag1 != 0 else 0.0
        term[b + _u(2)] = t2 if ag2 != 0 else 0.0
        term[b + _u(3)] = t3 if ag3 != 0 else 0.0
        term[b + _u(4)] = t4 if ag4 != 0 else 0.0
        term[b + _u(5)] = t5 if ag5 != 0 else 0.0
        term[b + _u(6)] = t6 if ag6 != 0 else 0.0
        term[b + _u(7)] = t7 if ag7 != 0 else 0.0
        b += _u(8)


@njit(error_model="numpy", inline=HELPER_INLINE)
def _scaled_row(gr, gi, cov, i, si, s, n):
    """Row ``i`` of ``G``: ``(cov[i, j] (s_i + 0i)) (s_j + 0i)``."""
    for j in range(_u(0), _u(n)):
        a = np.float64(cov[i, j].real)
        b = np.float64(cov[i, j].imag)
        ar = a * si - b * 0.0
        ai = a * 0.0 + b * si
        sj = s[j]
        gr[i, j] = ar * sj - ai * 0.0
        gi[i, j] = ar * 0.0 + ai * sj


@njit(error_model="numpy")
def _load_coherence(cov, gr, gi, gtr, gti, s, n):
    """``G = cov[i, j] s_i s_j`` with ``s = 1 / sqrt(cov[i, i])`` into ``gr + i gi`` and its transpose ``gtr + i
    gti``; False when a diagonal element is not positive (the pixel has no data)."""
    for i in range(n):
        if cov[i, i].real <= 0:
            return False
    for i in range(n):
        s[i] = 1.0 / np.sqrt(np.float64(cov[i, i].real))
    for i in range(n):
        _scaled_row(gr, gi, cov, i, s[i], s, n)
    for i in range(n):
        for j in range(n):
            gtr[j, i] = gr[i, j]
            gti[j, i] = gi[i, j]
    return True


@njit(error_model="numpy")
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


@njit(error_model="numpy")
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


@njit(error_model="numpy")
def _emi_matrix_t(gtr, gti, inv, mr, mi, n, npad):
    """``|G|^-1 o G`` into ``mr + i mi``, transposed (``mr[k, i] = Re M[i, k]``): made once per pixel, copied for
    each shifted factor and read by the Rayleigh quotient (the same products as when each made its own)."""
    for k in range(n):  # |G|^-1 is symmetric: inv[k, i] = inv[i, k]; gtr[k, i] = Re G[i, k]
        _row_real_times(mr, inv, gtr, gti, k, npad)
        _row_imag_times(mi, inv, gtr, gti, k, npad)


@njit(error_model="numpy")
def _emi_factor_t(mr, mi, tr, ti, n, npad, shift):
    """Cholesky factor (transposed storage, :func:`_cholesky_t`) of ``M - shift I`` (``M = |G|^-1 o G`` from
    :func:`_emi_matrix_t`); False when that matrix is not positive definite."""
    for k in range(n):  # the factor reads row k from the block holding its diagonal on
        _row_copy8(tr, ti, mr, mi, k, k // 8 * 8, npad)
        tr[k, k] -= shift
    return _cholesky_t(tr, ti, n, npad)


@njit(error_model="numpy")
def _lower_rows(tr, ti, lr, li, n):
    """Row-major copy ``lr + i li`` of the factor held transposed in ``tr + i ti``."""
    for i in range(n):
        for k in range(i + 1):
            lr[i, k] = tr[k, i]
            li[i, k] = ti[k, i]


@njit(error_model="numpy")
def _chol_solve_t(tr, ti, lr, li, br, bi, xr, xi, yr, yi, n, npad):
    """Solve ``L L^H x = b`` (factor transposed in ``tr + i ti``, row-major in ``lr + i li``, zero above its
    diagonal); ``y`` is work. The forward substitution leaves its solution in ``x``, the backward one reads it
    from there and overwrites it."""
    for i in range(npad):
        yr[i] = br[i]
        yi[i] = bi[i]
    for k in range(n):  # forward: L z = b, z into x
        d = tr[k, k]
        ratio = 0.0 / d
        den = d + 0.0 * ratio
        a = yr[k]
        b = yi[k]
        cr = (a + b * ratio) / den
        ci = (b - a * ratio) / den
        xr[k] = cr
        xi[k] = ci
        # entries up to k are consumed: the block holding k + 1 on (row k of the factor from its diagonal's block)
        _vec_sub_cmul8(yr, yi, tr, ti, k, cr, ci, (k + 1) // 8 * 8, npad)
    for i in range(npad):
        yr[i] = xr[i]
        yi[i] = xi[i]
    for i in range(n - 1, -1, -1):  # backward: L^H x = z
        d = tr[i, i]
        ratio = 0.0 / d
        den = d + 0.0 * ratio
        a = yr[i]
        b = yi[i]
        cr = (a + b * ratio) / den
        ci = (b - a * ratio) / den
        xr[i] = cr
        xi[i] = ci
        _vec_sub_conj_cmul8(yr, yi, lr, li, i, cr, ci, (i + 7) // 8 * 8)  # entries from i on are consumed


@njit(error_model="numpy")
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


@njit(error_model="numpy")
def _step_converged(vr, vi, wr, wi, n, npad, tol):
    """``1 - |<v, w>| < tol``, then ``v = w``."""
    dot = 0j
    for i in range(n):
        dot += complex(vr[i], -vi[i]) * complex(wr[i], wi[i])
    for i in range(npad):
        vr[i] = wr[i]
        vi[i] = wi[i]
    return 1.0 - abs(dot) < tol


@njit(error_model="numpy")
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


@njit(error_model="numpy")
def _inverse_iteration_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, max_iter, tol):
    """Eigenvector of the smallest eigenvalue of ``L L^H`` (into ``v``)."""
    _normalise_t(vr, vi, n, npad)
    return _inverse_steps_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, max_iter, tol)


@njit(error_model="numpy")
def _inverse_steps_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad, max_iter, tol):
    """Up to ``max_iter`` steps of :func:`_inverse_iteration_t` from the normalised ``v``; True when converged."""
    for _ in range(max_iter):
        _chol_solve_t(tr, ti, lr, li, vr, vi, wr, wi, yr, yi, n, npad)
        if _normalise_t(wr, wi, n, npad) == 0.0:
            return False
        if _step_converged(vr, vi, wr, wi, n, npad, tol):
            return True
    return False


@njit(error_model="numpy")
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


@njit(error_model="numpy")
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


@njit(error_model="numpy")
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


@njit(error_model="numpy")
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


@njit(error_model="numpy")
def _cevd_vector_t(gtr, gti, vr, vi, wr, wi, atr, ati, n, npad):
    """Principal eigenvector of ``|G| o G`` (coherence-weighted EVD) into ``v``, started from ``v`` (normalised
    here); ``atr + i ati`` is work."""
    for k in range(n):
        _row_times_abs(atr, ati, gtr, gti, k, npad)
    _power_iteration_t(atr, ati, vr, vi, wr, wi, n, npad, 100, 1e-10)


@njit(error_model="numpy")
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


#: The batched EMI's last inverse iteration goes on pixel by pixel once fewer than this many of its eight pixels
#: still iterate: a step of eight lanes costs about five single-pixel steps, and a few pixels (close eigenvalues,
#: the re-shift refused) take tens of steps while the others have converged.
EMI_MIN_LANES = 6


@njit(error_model="numpy")
def _emi_batch_work(n, npad):
    """Work arrays of :func:`_link_emi_batch`: the batch's ``G`` per pixel (``gb[0 .. 3, q]``: ``gr, gi, gtr, gti``
    of pixel ``q``), ``G`` transposed with the pixel last, :func:`.phase_linking_batch.emi_batch`'s, the linked
    vectors and temporal coherences."""
    gb = np.zeros((4, LANES, n, npad))
    gl = np.zeros((2, n, n, LANES))
    mats = np.zeros((8, n, n, LANES))
    vecs = np.zeros((7, n, LANES))
    vals = np.zeros((6, LANES))
    flags = np.zeros((6, LANES), np.bool_)
    lv = np.zeros((2, LANES, npad))
    tcoh = np.zeros(LANES)
    return gb, gl, mats, vecs, vals, flags, lv, tcoh


@njit(error_model="numpy")
def _link_emi_batch(gb, gl, bmats, vecs, vals, flags, lv, tcoh, nl, beta, w8, mats, n, npad, min_lanes):
    """EMI of the ``nl`` pixels whose ``G`` is in ``gb`` (:func:`_emi_batch_work`) at once: pixel ``q``'s linked
    vector into ``lv[0, q] + i lv[1, q]``, its temporal coherence into ``tcoh[q]`` (lanes past ``nl``: any), the bits of
    :func:`_link_pixel_t` for each. ``w8`` and ``mats`` are that function's work. Lanes past ``nl`` hold ``I``. The
    last inverse iteration goes on pixel by pixel once fewer than ``min_lanes`` pixels still iterate
    (:data:`EMI_MIN_LANES`)."""
    for q in range(LANES):
        for k in range(n):
            for i in range(n):
                if q < nl:
                    gl[0, k, i, q] = gb[2, q, k, i]
                    gl[1, k, i, q] = gb[3, q, k, i]
                else:
                    gl[0, k, i, q] = 1.0 if k == i else 0.0
                    gl[1, k, i, q] = 0.0
    steps = emi_batch(gl[0], gl[1], beta, nl, bmats, vecs, vals, flags, n, min_lanes)
    for q in range(nl):
        gr, gi = gb[0, q], gb[1, q]
        vr, vi = lv[0, q], lv[1, q]
        if flags[0, q]:
            for i in range(n):
                vr[i] = vecs[0, i, q]
                vi[i] = vecs[1, i, q]
            if flags[3, q]:  # the inverse iteration goes on in this pixel alone, from its factor
                tr, ti, lr, li = mats[4], mats[5], mats[6], mats[7]
                for k in range(n):
                    for i in range(k, n):
                        tr[k, i] = bmats[5, k, i, q]
                        ti[k, i] = bmats[6, k, i, q]
                        lr[i, k] = tr[k, i]
                        li[i, k] = ti[k, i]
                _inverse_steps_t(tr, ti, lr, li, vr, vi, w8[2], w8[3], w8[4], w8[5], n, npad, 100 - steps, 1e-10)
        else:  # |G| or M not positive definite: EMI undefined
            _start_vector(gr, gi, vr, vi, n, npad)
            _cevd_vector_t(gb[2, q], gb[3, q], vr, vi, w8[2], w8[3], mats[4], mats[5], n, npad)
        if flags[3, q] or not flags[0, q]:  # finished pixel by pixel: back into its lane
            for i in range(n):
                vecs[0, i, q] = vr[i]
                vecs[1, i, q] = vi[i]
    temporal_coherence_b(gl[0], gl[1], vecs[0], vecs[1], vecs[4], vecs[5], tcoh, n)


@njit(error_model="numpy")
def _write_linked(vr, vi, tcoh, k, ro, c, out_phase, out_tcoh, out_count, n):
    """A linked pixel's outputs: phases relative to date 0, temporal coherence, SHP count."""
    out_tcoh[ro, c] = tcoh
    ref = complex(vr[0], -vi[0])
    for i in range(n):
        out_phase[i, ro, c] = np.angle(complex(vr[i], vi[i]) * ref)
    out_count[ro, c] = k


@njit(error_model="numpy")
def _log_mean(mean_int):
    """``log`` of the mean intensities (0 where not positive): the GLRT statistic's per-pixel logarithms."""
    out = np.zeros(mean_int.shape)
    for r in range(mean_int.shape[0]):
        for c in range(mean_int.shape[1]):
            m = mean_int[r, c]
            if m > 0.0:
                out[r, c] = math.log(m)
    return out


@njit(error_model="numpy", inline=HELPER_INLINE)
def _outer_row(o_r, o_i, w, q, t0, sr, si, i, n):
    """Row ``i`` of ``s s^H`` from its diagonal on, ``s_i conj(s_j)`` for ``j >= i``, into ``o[w, q, t0 ...]`` (the
    packed upper triangle, row after row)."""
    a = sr[i]
    b = si[i]
    base = _u(t0) - _u(i)
    for j in range(_u(i), _u(n)):
        c = sr[j]
        d = si[j]
        o_r[w, q, base + j] = a * c + b * d
        o_i[w, q, base + j] = b * c - a * d


@njit(error_model="numpy")
def _outer_packed(o_r, o_i, w, q, sv, sr, si, n):
    """The packed upper triangle of ``s s^H`` (``s = sv``, complex64 dates) into ``o[w, q, :]``."""
    for i in range(n):
        sr[i] = np.float64(sv[i].real)
        si[i] = np.float64(sv[i].imag)
    t0 = 0
    for i in range(n):
        _outer_row(o_r, o_i, w, q, t0, sr, si, i, n)
        t0 += n - i


@njit(error_model="numpy", inline=HELPER_INLINE)
def _add_packed(acc_r, acc_i, o_r, o_i, w, q, m):
    """``acc += o[w, q, :]`` over the padded packed triangle (``m`` values)."""
    for t in range(_u(0), _u(m)):
        acc_r[t] += o_r[w, q, t]
        acc_i[t] += o_i[w, q, t]


@njit(error_model="numpy")
def _unpack_hermitian(acc_r, acc_i, cov, n):
    """The Hermitian ``cov`` (n, n) from its packed upper triangle."""
    t = 0
    for i in range(n):
        for j in range(i, n):
            cov[i, j] = complex(acc_r[t], acc_i[t])
            cov[j, i] = complex(acc_r[t], -acc_i[t])
            t += 1


@njit(parallel=True, error_model="numpy")
def _phase_link_kernel(slc_t, usable, ps, sorted_amp, mean_int, log_mean, shp_method, threshold, hr, hc,
                       method, beta, row0, row1, out_phase, out_tcoh, out_count, ps_neighbours, chunks, tile_cols):
    rows, cols, n = slc_t.shape
    nf = float(n)
    npad = 16 if n <= 16 else (n + 31) // 32 * 32  # _padded(n)
    wr = 2 * hr + 1
    npk = n * (n + 1) // 2
    mpk = (npk + 31) // 32 * 32  # packed triangle padded to whole vector steps
    nrows = row1 - row0
    for ch in prange(chunks):
        # Each chunk of consecutive output rows keeps the s s^H of every usable pixel of its windows in a ring, row
        # rr in slot rr % wr, over a tile of columns (column cc in slot cc - (t0 - hc)): each product is made once
        # per chunk and tile (the chunk's first row makes all wr window rows, each next row only its new last one)
        # and added for every target that accepts it as SHP. The sums read the same values in the same order
        # whatever the chunks and tiles.
        ra = row0 + nrows * ch // chunks
        rb = row0 + nrows * (ch + 1) // chunks
        o_r = np.zeros((wr, tile_cols + 2 * hc, mpk))
        o_i = np.zeros((wr, tile_cols + 2 * hc, mpk))
        acc_r = np.zeros(mpk)
        acc_i = np.zeros(mpk)
        cov = np.empty((n, n), np.complex128)
        gr = np.zeros((n, npad))
        gi = np.zeros((n, npad))
        gtr = np.zeros((n, npad))
        gti = np.zeros((n, npad))
        mats = np.zeros((8, n, npad))
        w8 = np.zeros((8, npad))
        # EMI links the chunk's pixels eight at a time: their G in gb, their places and SHP counts in pend
        gb, gl, bmats, vecs, vals, flags, lv, tcoh = _emi_batch_work(n, npad)
        pend = np.zeros((LANES, 3), np.int64)
        nb = 0
        for t0 in range(0, cols, tile_cols):
            t1 = min(cols, t0 + tile_cols)
            base = t0 - hc
            for r in range(ra, rb):
                ro = r - row0
                dr0 = -hr if r == ra else hr
                filled = max(0, base) - 1
                for c in range(t0, t1):
                    while filled < min(cols - 1, c + hc):
                        filled += 1
                        for dr in range(dr0, hr + 1):
                            rr = r + dr
                            if 0 <= rr < rows and usable[rr, filled]:
                                _outer_packed(o_r, o_i, rr % wr, filled - base, slc_t[rr, filled], w8[0], w8[1], n)
                    if not usable[r, c]:
                        for i in range(n):
                            out_phase[i, ro, c] = np.nan
                        out_tcoh[ro, c] = np.nan
                        out_count[ro, c] = 0
                        continue
                    if ps[r, c]:
                        s0 = slc_t[r, c, 0]
                        for i in range(n):
                            out_phase[i, ro, c] = np.angle(slc_t[r, c, i] * np.conj(s0))
                        out_tcoh[ro, c] = 1.0
                        out_count[ro, c] = 1
                        continue
                    k = 0
                    for t in range(mpk):
                        acc_r[t] = 0.0
                        acc_i[t] = 0.0
                    mp = mean_int[r, c]
                    lp = log_mean[r, c]
                    for dr in range(-hr, hr + 1):
                        rr = r + dr
                        if rr < 0 or rr >= rows:
                            continue
                        for dc in range(-hc, hc + 1):
                            cc = c + dc
                            if cc < 0 or cc >= cols or not usable[rr, cc]:
                                continue
                            if not (dr == 0 and dc == 0):
                                if ps[rr, cc] and not ps_neighbours:
                                    continue
                                # GLRT (shp.glrt_statistic, with the logarithms of the means cached)
                                if shp_method == 0:
                                    mq = mean_int[rr, cc]
                                    if mp <= 0.0 or mq <= 0.0:
                                        continue
                                    if not nf * (2.0 * math.log(0.5 * (mp + mq)) - lp - log_mean[rr, cc]) <= threshold:
                                        continue
                                elif not is_shp(shp_method, sorted_amp, mean_int, r, c, rr, cc, threshold, nf):
                                    continue
                            # C = sum_k s_k s_k^H, the neighbours in window order (the same sums on any CPU)
                            _add_packed(acc_r, acc_i, o_r, o_i, rr % wr, cc - base, mpk)
                            k += 1
                    _unpack_hermitian(acc_r, acc_i, cov, n)
                    if method == 0:  # G into the batch's next slot
                        gr, gi, gtr, gti = gb[0, nb], gb[1, nb], gb[2, nb], gb[3, nb]
                    if not _load_coherence(cov, gr, gi, gtr, gti, w8[2], n):
                        for i in range(n):
                            out_phase[i, ro, c] = np.nan
                        out_tcoh[ro, c] = np.nan
                        out_count[ro, c] = k
                        continue
                    if method != 0:
                        tc = _link_pixel_t(gr, gi, gtr, gti, method, beta, w8, mats, n, npad)
                        _write_linked(w8[0], w8[1], tc, k, ro, c, out_phase, out_tcoh, out_count, n)
                        continue
                    pend[nb, 0] = ro
                    pend[nb, 1] = c
                    pend[nb, 2] = k
                    nb += 1
                    if nb == LANES:
                        _link_emi_batch(gb, gl, bmats, vecs, vals, flags, lv, tcoh, nb, beta, w8, mats, n, npad,
                                        EMI_MIN_LANES)
                        for q in range(nb):
                            _write_linked(lv[0, q], lv[1, q], tcoh[q], pend[q, 2], pend[q, 0], pend[q, 1],
                                          out_phase, out_tcoh, out_count, n)
                        nb = 0
        if nb > 0:  # the chunk's last pixels, fewer than eight
            _link_emi_batch(gb, gl, bmats, vecs, vals, flags, lv, tcoh, nb, beta, w8, mats, n, npad, EMI_MIN_LANES)
            for q in range(nb):
                _write_linked(lv[0, q], lv[1, q], tcoh[q], pend[q, 2], pend[q, 0], pend[q, 1], out_phase,
                              out_tcoh, out_count, n)


def _check_options(n_dates, shape, window, method, shp_method, alpha, beta, check_size=True):
    if n_dates < 3:
        raise GeohazardError(f"phase linking needs at least 3 dates, got {n_dates}")
    wr, wc = (int(window[0]), int(window[1]))
    if wr < 1 or wc < 1 or wr % 2 == 0 or wc % 2 == 0:
        raise GeohazardError(f"window must be odd sizes (rows, cols) >= 1, got {tuple(window)}")
    if check_size and (wr > shape[0] or wc > shape[1]):
        raise GeohazardError(f"window {wr} x {wc} is larger than the image ({shape[0]} x {shape[1]} pixels)")
    if method not in METHODS:
        raise GeohazardError(f"method must be one of {sorted(METHODS)}, got {method!r}")
    if not 0 <= beta < 1:
        raise GeohazardError(f"beta (regularisation) must be in [0, 1), got {beta}")
    return wr, wc, shp_threshold(shp_method, alpha, n_dates)


# Memory of one chunk's ring of s s^H products (two float64 planes of wr x (tile + wc - 1) packed triangles): the
# tile is as wide as fits in it, at least 16 columns. The ring is read back one row later, a tile's width of
# products after it was made: a ring that stays in the cache beats fewer products (30 x 200 x 200, 11 x 11, one
# thread: 1.56-1.57 CPU-s with tiles of 16-32 columns, 1.61 with 64, 1.69 with the whole 200-column row)
_RING_BYTES = 3 * 2**20


def _chunks_and_tile(n_rows, n_cols, n_dates, wr, wc):
    """Row chunks of the kernel (one per numba thread: each makes its window rows' products once) and columns per
    tile of the products' ring. Neither changes an output bit."""
    threads = 1
    if HAVE_NUMBA:
        import numba

        threads = numba.get_num_threads()
    mpk = (n_dates * (n_dates + 1) // 2 + 31) // 32 * 32
    tile = max(16, _RING_BYTES // (16 * wr * mpk) - (wc - 1))
    return max(1, min(threads, n_rows)), int(min(n_cols, tile))


def phase_link(slc, *, window=(11, 11), method: str = "emi", shp_method: str = "glrt", alpha: float = 0.05,
               ps_mask=None, beta: float = 0.01, rows: Optional[tuple[int, int]] = None,
               ps_neighbours: bool = True) -> PhaseLinkResult:
    """Phase-link an in-memory SLC stack (or a block of one).

    Parameters
    ----------
    slc : ndarray, shape (n_dates, rows, cols), complex
        Coregistered SLCs; NaN or all-zero time series = no data.
    window : (rows, cols)
        Odd window size in pixels (e.g. (5, 11) for 1:2 azimuth:range spacing).
    method : {"emi", "evd", "cevd"}
        Estimator (see module docstring).
    shp_method : {"glrt", "ks", "rect"}
        Homogeneous-neighbour test; ``rect`` uses every valid neighbour.
    alpha : float
        Significance level of the SHP test.
    ps_mask : ndarray of bool, shape (rows, cols), optional
        Permanent scatterers: keep their own phase.
    beta : float
        Regularisation of ``|G|`` for EMI.
    rows : (start, stop), optional
        Only compute these rows (the others are context for the windows); outputs then
        have ``stop - start`` rows.
    ps_neighbours : bool
        True (default, as dolphin): PS pixels enter other pixels' windows when the SHP
        test accepts them; False: never.

    Returns
    -------
    PhaseLinkResult
    """
    arr = np.asarray(slc)
    if arr.ndim != 3:
        raise GeohazardError(f"slc must be (n_dates, rows, cols), got shape {arr.shape}")
    if not np.iscomplexobj(arr):
        raise GeohazardError(f"slc must be complex (SLC), got real values of dtype {arr.dtype}")
    n, nr, nc = arr.shape
    wr, wc, thr = _check_options(n, (nr, nc), window, method, shp_method, alpha, beta, rows is None)
    r0, r1 = rows if rows is not None else (0, nr)
    slc_t = np.ascontiguousarray(np.moveaxis(arr, 0, -1).astype(np.complex64))
    usable = np.all(np.isfinite(slc_t), axis=2) & np.any(slc_t != 0, axis=2)
    ps = np.zeros((nr, nc), bool) if ps_mask is None else np.asarray(ps_mask, bool).copy()
    if ps.shape != (nr, nc):
        raise GeohazardError(f"ps_mask has shape {ps.shape}, expected {(nr, nc)}")
    ps &= usable
    slc_t[~usable] = 0
    sorted_amp, mean_int = shp_inputs(slc_t, shp_method)
    log_mean = _log_mean(mean_int) if shp_method == "glrt" else mean_int
    phase = np.empty((n, r1 - r0, nc), np.float32)
    tcoh = np.empty((r1 - r0, nc), np.float32)
    count = np.empty((r1 - r0, nc), np.int32)
    _phase_link_kernel(slc_t, usable, ps, sorted_amp, mean_int, log_mean, SHP_METHODS[shp_method], float(thr),
                       wr // 2, wc // 2, METHODS[method], float(beta), int(r0), int(r1), phase, tcoh, count,
                       bool(ps_neighbours), *_chunks_and_tile(r1 - r0, nc, n, wr, wc))
    return PhaseLinkResult(phase, tcoh, count)


def phase_link_stack(read_rows: Callable[[int, int], np.ndarray], write_rows: Callable, *, shape,
                     n_dates: int, window=(11, 11), method: str = "emi", shp_method: str = "glrt",
                     alpha: float = 0.05, beta: float = 0.01, read_ps_rows: Optional[Callable] = None,
                     block_rows: int = 128, progress=None, ps_neighbours: bool = True) -> None:
    """Block-wise phase linking of a stack too big for memory.

    Parameters
    ----------
    read_rows : callable ``(start, stop) -> ndarray (n_dates, stop - start, cols)``
        Reads complex SLC rows.
    write_rows : callable ``(result: PhaseLinkResult, start, stop)``
        Receives the result for rows ``start:stop``.
    shape : (rows, cols)
        Image size.
    n_dates : int
        Number of dates.
    read_ps_rows : callable ``(start, stop) -> bool ndarray``, optional
        Reads the PS mask rows.
    block_rows : int
        Rows computed per block; ``window[0] // 2`` rows of context are read on each side.
    progress : optional
        Progress/cancel protocol (:mod:`algorithms.progress`), checked between blocks.

    Other parameters are those of :func:`phase_link`.
    """
    _check_options(n_dates, shape, window, method, shp_method, alpha, beta)
    overlap = int(window[0]) // 2
    for a, b, c0, c1 in iter_blocks(int(shape[0]), int(block_rows), overlap=overlap, progress=progress):
        block = read_rows(a, b)
        ps = read_ps_rows(a, b) if read_ps_rows is not None else None
        res = phase_link(block, window=window, method=method,
                         shp_method=shp_method, alpha=alpha, ps_mask=ps, beta=beta, rows=(c0 - a, c1 - a),
                         ps_neighbours=ps_neighbours)
        write_rows(res, c0, c1)


def phase_link_plan(shape, n_dates: int, *, window=(11, 11), method: str = "emi", shp_method: str = "glrt",
                    alpha: float = 0.05, beta: float = 0.01, block_rows: int = 128) -> list:
    """Validate the options and plan the row blocks of a block-engine phase-linking run.

    Each block reads ``window[0] // 2`` halo rows on each side (clipped at the image
    edges), the context :func:`phase_link_block` needs for the windows of its own rows.
    """
    from ..engine import plan_blocks

    _check_options(n_dates, shape, window, method, shp_method, alpha, beta)
    return plan_blocks(int(shape[0]), int(shape[1]), halo=int(window[0]) // 2, block_rows=int(block_rows))


def phase_link_block(block, inputs: dict, *, window=(11, 11), method: str = "emi", shp_method: str = "glrt",
                     alpha: float = 0.05, beta: float = 0.01, ps_neighbours: bool = True) -> dict:
    """Block function of the engine (:mod:`algorithms.engine`): phase-link one row block.

    ``inputs["slc"]``: complex SLC rows ``(n_dates, read rows, cols)`` with the halo;
    ``inputs["ps_mask"]`` (optional): the PS raster over the same rows (finite and non-zero
    = PS). Returns ``phase``, ``temporal_coherence`` and ``shp_count`` of the block's own
    rows (see :class:`PhaseLinkResult`).
    """
    ps = inputs.get("ps_mask")
    if ps is not None:
        ps = np.isfinite(ps) & (ps != 0)
    res = phase_link(inputs["slc"], window=window, method=method, shp_method=shp_method, alpha=alpha,
                     ps_mask=ps, beta=beta, rows=(block.row0 - block.read0, block.row1 - block.read0),
                     ps_neighbours=ps_neighbours)
    return {"phase": res.phase, "temporal_coherence": res.temporal_coherence, "shp_count": res.shp_count}


def interferogram_pairs(n_dates: int, network: str = "single", *, neighbours: int = 3) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of an interferogram network.

    ``single``: ``(0, j)`` for every later date; ``nearest``: each date with its
    ``neighbours`` next dates (a sequential network for unwrapping and SBAS).
    """
    if network == "single":
        return [(0, j) for j in range(1, n_dates)]
    if network == "nearest":
        if neighbours < 1:
            raise GeohazardError(f"neighbours must be >= 1, got {neighbours}")
        return [(i, j) for i in range(n_dates) for j in range(i + 1, min(n_dates, i + 1 + neighbours))]
    raise GeohazardError(f"network must be 'single' or 'nearest', got {network!r}")
