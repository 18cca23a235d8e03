"""SBAS / ISBAS time-series inversion of an interferogram network, pixel by pixel.

Model
-----
For a pixel, interferogram ``i`` (reference date ``a_i``, secondary date ``b_i``) measures
``d_i = x[b_i] - x[a_i] + e_i`` (LOS mm, positive toward the satellite) with ``x[0] = 0``.
The weighted least-squares solution minimises ``sum_i w_i e_i^2`` over the interferograms
that are valid at that pixel (not NaN, coherence >= threshold): ISBAS (Sowter et al. 2013,
doi:10.1080/2150704X.2013.823673) keeps a pixel when at least ``min_count`` of them are.

* Connected pixel network: the normal matrix ``A^T W A`` of the phase parameterisation
  is a weighted graph Laplacian (two non-zeros per row of ``A``), built in ``O(M)`` and
  solved by envelope Cholesky (short-baseline networks make it banded: ``O(N b^2)`` for a
  bandwidth ``b`` instead of ``O(N^3/6)``). This is the same estimate as MintPy's
  ``ifgram_inversion`` (Yunjun et al. 2019, doi:10.1016/j.cageo.2019.104331) because
  ``x = T v`` is a bijection when the network is connected.
* Disconnected pixel network (several subsets, or dates without a valid interferogram):
  the minimum-norm *velocity* solution of Berardino et al. (2002),
  doi:10.1109/TGRS.2002.803792: ``v = pinv(B^T W B) B^T W d`` with ``B = A T``, small
  eigenvalues below ``rcond^2 * max`` cut, then ``x = T v``.
* Unweighted inversion groups the pixels by their pattern of valid interferograms: one
  envelope-Cholesky factor of ``A^T A`` per pattern, then per pixel only ``A^T d`` (O(M)) and
  two banded triangular solves (a singular pattern uses its cached pseudo-inverse).

Weights (``weighting="variance"``) are the inverse phase variance of distributed
scatterers from the coherence (Tough et al. 1995, doi:10.1098/rspa.1995.0093, eq. 66;
Hanssen 2001 eq. 4.2.23), exactly as MintPy's ``-w var``.

Temporal coherence (Pepe & Lanari 2006, doi:10.1109/TGRS.2006.873207):
``gamma = |sum_i exp(j k r_i)| / n`` over the used interferograms, ``r_i`` the residual in
mm and ``k = 4 pi / (lambda * 1000)`` rad/mm.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .._numba import njit, prange, python_equivalent, run_ranges, uses_numba
from ..blas import one_blas_thread
from ..conventions import SENTINEL1_WAVELENGTH_M, radians_per_mm
from ..errors import GeohazardError
from ..ordered import columnwise_matmul
from .network import Network

WEIGHTINGS = ("none", "variance")


# --------------------------------------------------------------------------- weights
@functools.lru_cache(maxsize=16)
def _phase_variance_lut(looks: int, coh_step: float = 0.005) -> tuple[np.ndarray, np.ndarray]:
    """Phase variance (rad^2) of distributed scatterers on a coherence grid (Tough et al. 1995)."""
    num = int(round(1.0 / coh_step))
    coh = np.linspace(coh_step, 1.0, num=num) - coh_step / 2.0
    L = int(looks)
    phi = np.linspace(-np.pi, np.pi, num).reshape(-1, 1)
    c = coh.reshape(1, -1)
    a = np.power(1 - c * c, L) / (2 * np.pi)
    b = math.gamma(2 * L - 1) / (math.gamma(L) ** 2 * 2 ** (2 * (L - 1)))
    beta = c * np.cos(phi)
    cc = (2 * L - 1) * beta / np.power(1 - beta * beta, L + 0.5) * (np.pi / 2 + np.arcsin(beta))
    cc += 1 / np.power(1 - beta * beta, L)
    sum_d = 0.0
    if L > 1:
        for r in range(L - 1):
            dd = math.gamma(L - 0.5) / math.gamma(L - 0.5 - r) * math.gamma(L - 1 - r) / math.gamma(L - 1)
            sum_d = sum_d + dd * (1 + (2 * r + 1) * beta * beta) / np.power(1 - beta * beta, r + 2)
        sum_d = sum_d / (2 * (L - 1))
    pdf = a * (b * cc + sum_d)
    var = np.sum(phi * phi * pdf * (2 * np.pi / num), axis=0)
    bad = var <= 0
    var[bad] = np.min(var[~bad]) if np.any(~bad) else np.finfo(float).eps
    return coh, var


def coherence_to_weight(coherence, *, looks: int = 10, epsilon: float = 0.05) -> np.ndarray:
    """Inverse phase variance (rad^-2) of distributed scatterers from spatial coherence.

    Parameters
    ----------
    coherence : array_like
        Spatial coherence 0..1, any shape; NaN and values below ``epsilon`` are set to
        ``epsilon``.
    looks : int
        Number of independent looks ``L`` (capped at 80).
    epsilon : float
        Floor of the coherence.

    Returns
    -------
    ndarray (float64)
        Weights ``1 / var(phi)`` in rad^-2, same shape.

    Notes
    -----
    Marginal phase PDF of Tough et al. (1995) eq. 66 (Hanssen 2001 eq. 4.2.23) integrated
    numerically on a 200-value coherence table with nearest-lower look-up, as MintPy's
    ``coherence2weight(weight_func='var')`` so both give the same weights.
    References: Tough, Blacknell & Quegan (1995), doi:10.1098/rspa.1995.0093.
    """
    looks = int(min(max(int(round(looks)), 1), 80))
    step = 0.005
    lut_coh, lut_var = _phase_variance_lut(looks, step)
    lut_var = lut_var.copy()
    c = np.array(coherence, dtype=np.float64)
    c[~np.isfinite(c)] = epsilon
    c[c < epsilon] = epsilon
    c = np.clip(c, lut_coh[0], lut_coh[-1])
    idx = ((c - lut_coh[0]) / step).astype(np.int16)
    return 1.0 / lut_var[idx]


# --------------------------------------------------------------------------- kernels
@njit(cache=True)
def _chol_factor(a, first):
    """Envelope (skyline) Cholesky ``a = L L^T`` in place (lower triangle); False when ``a`` is
    not positive definite.

    ``first[i]`` is the first column of row ``i`` that may be non-zero; fill-in stays inside
    this envelope, so the cost is ``sum_i (i - first[i])^2`` instead of ``n^3 / 6``
    (short-baseline networks are banded).
    """
    n = a.shape[0]
    scale = 0.0
    for i in range(n):
        if a[i, i] > scale:
            scale = a[i, i]
    tol = 1e-10 * scale
    for i in range(n):
        fi = first[i]
        for j in range(fi, i):
            fj = first[j]
            k0 = fi if fi > fj else fj
            t = a[i, j]
            for k in range(k0, j):
                t -= a[i, k] * a[j, k]
            a[i, j] = t / a[j, j]
        s = a[i, i]
        for k in range(fi, i):
            s -= a[i, k] * a[i, k]
        if not s > tol:
            return False
        a[i, i] = math.sqrt(s)
    return True


@njit(cache=True)
def _chol_subst(a, r, x, first):
    """Solve ``L L^T x = r`` with the factor of :func:`_chol_factor`."""
    n = a.shape[0]
    for i in range(n):
        t = r[i]
        for k in range(first[i], i):
            t -= a[i, k] * x[k]
        x[i] = t / a[i, i]
    for i in range(n - 1, -1, -1):
        x[i] = x[i] / a[i, i]
        xi = x[i]
        for k in range(first[i], i):
            x[k] -= a[i, k] * xi


@njit(cache=True)
def _chol_solve(a, r, x, first):
    """Solve ``a x = r`` in place by envelope Cholesky; False when ``a`` is not positive definite."""
    if not _chol_factor(a, first):
        return False
    _chol_subst(a, r, x, first)
    return True


@njit(cache=True)
def envelope(ref, sec, n):
    """First possibly non-zero column of each row of the phase normal matrix, ``(n,)``."""
    first = np.arange(n)
    for i in range(ref.size):
        if ref[i] >= 1 and ref[i] - 1 < first[sec[i] - 1]:
            first[sec[i] - 1] = ref[i] - 1
    return first


@njit(cache=True, inline="always")
def _sincos(x):
    """``(cos x, sin x)`` to ~1e-15 without a libm call (the temporal coherence evaluates
    two per interferogram and pixel: most of the unweighted inversion's time with libm).

    ``x`` is reduced to [-pi, pi] (two-term 2 pi), divided by 8, expanded in Taylor series
    to degree 15/16 (truncation < 1e-19 there) and squared back three times as a complex
    number (each squaring doubles the relative error: ~1e-15 in all). Element by element on an array where the
    kernels run as Python (the same bits: ``np.floor``'s whole number, then the same operations in order)."""
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


_sincos_np = getattr(_sincos, "py_func", _sincos)  # the same function on arrays, element by element


_BATCH = 128  # pixels solved together by the compiled kernels (their columns fit in the L2 cache)
#: target pixels per batch where the kernels run as Python (fewer with many dates or interferograms: a batch's
#: arrays stay ~32 MB in all): each batch step is one numpy operation, so wide batches amortise its call
NUMPY_BATCH_PIXELS = 8192


def _batch_loop(numpy_form, **options):
    """A loop over the pixels of a batch (1-D arrays): compiled, LLVM vectorises it (AVX here) where the same loop
    nested inside a kernel's pixel-batch loop stays scalar. Where the kernels run as Python (no numba, or a run on
    the numpy path) ``numpy_form`` stands for it: the same IEEE operations on each element, in the same order
    (``y -= a * x`` is a product rounded then a difference, never fused), as one numpy operation over the batch.
    Each pair is one line of arithmetic; the kernels that call them are the one written form of SBAS. A loop run
    once per batch is inlined into its caller (``inline="always"``): fewer functions to compile."""
    def wrap(fn):
        kernel = njit(cache=True, **options)(fn)
        python_equivalent(kernel, numpy_form)
        return kernel
    return wrap


#: pixels a kernel run as Python takes on the calling thread alone: fewer than two wide batches gain nothing from a
#: second thread
NUMPY_THREAD_MIN_PIXELS = 2 * NUMPY_BATCH_PIXELS


def _over_pixels(kernel, range_fn, n_pix, *args):
    """``range_fn(lo, hi, *args)`` over the pixels ``0 .. n_pix`` of ``kernel``: compiled, in one call (the kernel's
    own parallel loop) or, for a serial kernel (:data:`_SERIAL`), in contiguous ranges on the run's threads
    (:func:`~algorithms._numba.run_ranges`); run as Python, in ranges too, numpy letting go of the interpreter's
    lock inside each batch operation. A pixel's bits do not depend on the range or the batch that holds it, so the
    bytes are those of one call."""
    compiled = uses_numba(kernel)  # the one place SBAS asks: its threads differ compiled and as Python
    if compiled and kernel in _SERIAL:
        run_ranges(range_fn, n_pix, *args, tasks_per_thread=2)
    elif compiled or n_pix < NUMPY_THREAD_MIN_PIXELS:
        range_fn(0, n_pix, *args)
    else:
        run_ranges(range_fn, n_pix, *args, tasks_per_thread=2)


def _batch_pixels_np(compiled, rows):
    return max(1, min(NUMPY_BATCH_PIXELS, 2**22 // max(1, rows)))


@_batch_loop(_batch_pixels_np, inline="always")
def _batch_pixels(compiled, rows):
    """Pixels per batch of a kernel whose batch holds ``rows`` values a pixel: ``compiled`` when compiled, a wide
    batch as Python (the bits of a pixel do not depend on its batch)."""
    return compiled


def _gather_np(drow, pix, q0, out):
    out[:] = drow[pix[q0:q0 + out.size]]


@_batch_loop(_gather_np)
def _b_gather(drow, pix, q0, out):
    """``out[q] = drow[pix[q0 + q]]``."""
    for q in range(out.size):
        out[q] = drow[pix[q0 + q]]


def _add_np(y, x):
    y += x


@_batch_loop(_add_np)
def _b_add(y, x):
    for q in range(y.size):
        y[q] += x[q]


def _sub_np(y, x):
    y -= x


@_batch_loop(_sub_np)
def _b_sub(y, x):
    for q in range(y.size):
        y[q] -= x[q]


def _sub_prod_np(y, a, x):
    y -= a * x


@_batch_loop(_sub_prod_np)
def _b_sub_scaled(y, a, x):
    """``y -= a * x``, ``a`` a scalar (no fused multiply-add: the bits of the scalar loop)."""
    for q in range(y.size):
        y[q] -= a * x[q]


def _add_prod_np(y, a, x):
    y += a * x


@_batch_loop(_add_prod_np)
def _b_add_scaled(y, a, x):
    """``y += a * x``, ``a`` a scalar (no fused multiply-add)."""
    for q in range(y.size):
        y[q] += a * x[q]


def _div_np(y, a):
    y /= a


@_batch_loop(_div_np)
def _b_div(y, a):
    for q in range(y.size):
        y[q] = y[q] / a


def _scatter_np(x, pix, q0, out):
    out[pix[q0:q0 + x.size]] = x


@_batch_loop(_scatter_np)
def _b_scatter(x, pix, q0, out):
    """``out[pix[q0 + q]] = x[q]``."""
    for q in range(x.size):
        out[pix[q0 + q]] = x[q]


def _phasor_sum_np(dk, xb, xa, mm_to_rad, sc, ss):
    ce, se = _sincos_np((dk - (xb - xa)) * mm_to_rad)
    sc += ce
    ss += se


@_batch_loop(_phasor_sum_np)
def _b_phasor_sum(dk, xb, xa, mm_to_rad, sc, ss):
    """``sc + i ss += exp(i (dk - (xb - xa)) mm_to_rad)``: one interferogram's residual phasor of each pixel."""
    for q in range(sc.size):
        ce, se = _sincos((dk[q] - (xb[q] - xa[q])) * mm_to_rad)
        sc[q] += ce
        ss[q] += se


def _coherence_np(sc, ss, nr, pix, q0, out):
    out[pix[q0:q0 + sc.size]] = np.sqrt(sc * sc + ss * ss) / nr


@_batch_loop(_coherence_np)
def _b_coherence(sc, ss, nr, pix, q0, out):
    for q in range(sc.size):
        out[pix[q0 + q]] = math.sqrt(sc[q] * sc[q] + ss[q] * ss[q]) / nr


@njit(parallel=True, cache=True)
def _solve_shared_factor(d, rows, pix, fac, first, ref, sec, mm_to_rad, ts, tcoh):
    """Unweighted pixels sharing one pattern of valid interferograms ``rows``: one factor ``fac``
    of ``A^T A``, then per pixel ``A^T d`` (O(M)) and two envelope triangular solves.

    Pixels go in batches (``_BATCH`` compiled, wide ones as Python): every step (gathering ``d``, ``A^T d``, the two
    substitutions, the residuals and their ``exp(i r)``) is a vectorised loop over the batch,
    with each pixel's arithmetic in the same order as a pixel-by-pixel loop (same bits)."""
    n = fac.shape[0]
    nr = rows.size
    rref = np.empty(nr, np.int64)
    rsec = np.empty(nr, np.int64)
    for k in range(nr):
        rref[k] = ref[rows[k]]
        rsec[k] = sec[rows[k]]
    n_pix = pix.size
    batch = _batch_pixels(_BATCH, nr + n)
    for ch in prange((n_pix + batch - 1) // batch):
        q0 = ch * batch
        nb = min(n_pix, q0 + batch) - q0
        dl = np.empty((nr, nb))
        x = np.zeros((n + 1, nb))  # x[0] = 0: the first date; x[1:] holds A^T d, then the solution
        for k in range(nr):
            _b_gather(d[rows[k]], pix, q0, dl[k])
            _b_add(x[rsec[k]], dl[k])
            if rref[k] >= 1:
                _b_sub(x[rref[k]], dl[k])
        for i in range(n):  # forward substitution L y = A^T d (rows 1..n of x)
            for k in range(first[i], i):
                _b_sub_scaled(x[i + 1], fac[i, k], x[k + 1])
            _b_div(x[i + 1], fac[i, i])
        for i in range(n - 1, -1, -1):  # back substitution L^T x = y
            _b_div(x[i + 1], fac[i, i])
            for k in range(first[i], i):
                _b_sub_scaled(x[k + 1], fac[i, k], x[i + 1])
        for j in range(n + 1):
            _b_scatter(x[j], pix, q0, ts[j])
        sc = np.zeros(nb)
        ss = np.zeros(nb)
        for k in range(nr):
            _b_phasor_sum(dl[k], x[rsec[k]], x[rref[k]], mm_to_rad, sc, ss)
        _b_coherence(sc, ss, nr, pix, q0, tcoh)


@njit(parallel=True, cache=True)
def _apply_operator(op, d, rows, pix, x):
    """``x = op @ d[rows][:, pix]`` column by column, each inner sum over ``rows`` in order (no BLAS: a
    pixel's solution does not depend on the other pixels of the block, nor on the CPU's BLAS kernels;
    the bits of :func:`algorithms.ordered.columnwise_matmul`)."""
    n_out = op.shape[0]
    nr = rows.size
    n_pix = pix.size
    for ch in prange((n_pix + _BATCH - 1) // _BATCH):
        q0 = ch * _BATCH
        nb = min(n_pix, q0 + _BATCH) - q0
        dl = np.empty((nr, nb))
        for k in range(nr):
            _b_gather(d[rows[k]], pix, q0, dl[k])
        acc = np.zeros((n_out, nb))
        for j in range(n_out):
            for k in range(nr):
                _b_add_scaled(acc[j], op[j, k], dl[k])
        for j in range(n_out):
            for q in range(nb):
                x[j, q0 + q] = acc[j, q]


def _apply_operator_np(op, d, rows, pix, x):
    x[:] = columnwise_matmul(op, d[rows][:, pix])


python_equivalent(_apply_operator, _apply_operator_np)  # as Python: the same sums, numpy over the columns


@njit(cache=True)
def _build_normal(d, w, p, ref, sec, lap, r):
    """Phase normal equations ``A^T W A`` (a weighted graph Laplacian) and ``A^T W d`` of pixel ``p``: the lower
    triangle built by :func:`_build_normal_lower` over the whole matrix, mirrored onto the upper one."""
    n = r.size
    _build_normal_lower(d, w, p, ref, sec, np.zeros(n, np.int64), lap, r)
    for i in range(n):
        for j in range(i + 1, n):
            lap[i, j] = lap[j, i]


@njit(cache=True)
def _build_normal_lower(d, w, p, ref, sec, first, lap, r):
    """The phase normal equations of pixel ``p`` where :func:`_chol_solve` reads them: the lower triangle inside
    the envelope ``first`` (every ``(sec, ref)`` entry lies there), the rest of ``lap`` left as it was; zeroing
    the whole ``(n, n)`` matrix per pixel cost more than the envelope factorisation and evicted the pixel's
    columns from the L1 cache."""
    n = r.size
    for i in range(n):
        r[i] = 0.0
        for j in range(first[i], i + 1):
            lap[i, j] = 0.0
    for i in range(ref.size):
        wi = w[i, p]
        di = d[i, p]
        if not (wi > 0) or di != di:
            continue
        a = ref[i] - 1
        b = sec[i] - 1
        lap[b, b] += wi
        r[b] += wi * di
        if a >= 0:
            lap[a, a] += wi
            lap[b, a] -= wi
            r[a] -= wi * di


@njit(cache=True)
def _suffix_sums_times(a, dt, out):
    """``out[i, k] = dt[k] * sum(a[i, k:])``, each sum taken from the last column."""
    n = dt.size
    for i in range(a.shape[0]):
        s = 0.0
        for k in range(n - 1, -1, -1):
            s += a[i, k]
            out[i, k] = s * dt[k]


@njit(cache=True)
def _min_norm_velocity(lap, r, dt, rcond, x):
    """Minimum-norm velocity solution from the phase normal equations (``lap``, ``r``).

    ``N_v = T^T lap T`` and ``r_v = T^T r`` with ``T[j, k] = dt[k]`` for ``k <= j`` are built
    with suffix sums; ``v = pinv(N_v) r_v`` by eigen-decomposition; ``x = T v``.
    """
    n = dt.size
    lt = np.empty((n, n))
    _suffix_sums_times(lap, dt, lt)
    nv = np.empty((n, n))
    _suffix_sums_times(lt.T, dt, nv.T)
    rv = np.empty(n)
    s = 0.0
    for k in range(n - 1, -1, -1):
        s += r[k]
        rv[k] = s * dt[k]
    for i in range(n):  # symmetrise round-off
        for j in range(i + 1, n):
            m = 0.5 * (nv[i, j] + nv[j, i])
            nv[i, j] = m
            nv[j, i] = m
    lam, vec = np.linalg.eigh(nv)
    cut = rcond * rcond * lam[n - 1]
    v = np.zeros(n)
    for q in range(n):
        if lam[q] > cut and lam[q] > 0:
            proj = 0.0
            for i in range(n):
                proj += vec[i, q] * rv[i]
            proj /= lam[q]
            for i in range(n):
                v[i] += vec[i, q] * proj
    s = 0.0
    for j in range(n):
        s += dt[j] * v[j]
        x[j] = s


@njit(cache=True)
def wls_kernel(d, w, ref, sec, dt, min_count, mm_to_rad, rcond, min_norm=True):
    """Per-pixel weighted least squares of an interferogram network.

    Parameters
    ----------
    d : ndarray (M, P) float64
        Interferometric LOS displacement, mm; NaN = missing.
    w : ndarray (M, P) float64
        Weights; ``<= 0`` = not used.
    ref, sec : ndarray (M,) int64
        Date indices of each interferogram.
    dt : ndarray (N-1,) float64
        Interval lengths, years.
    min_count : int
        Pixels with fewer used interferograms are NaN.
    mm_to_rad : float
        ``4 pi / (lambda_m * 1000)`` for the temporal coherence.
    rcond : float
        Relative singular-value cut-off of the minimum-norm velocity solution.
    min_norm : bool
        Solve the pixels whose network is disconnected by the minimum-norm velocity solution;
        False leaves them NaN (flagged ``deficient``) for the caller to solve.

    Returns
    -------
    ts : ndarray (P, N) mm, first date 0
    tcoh : ndarray (P,)
    count : ndarray (P,) int32
    deficient : ndarray (P,) bool, True where the pixel's network was disconnected

    Pixels go in batches (:func:`_wls_batch`): each pixel's arithmetic is that of a pixel-by-pixel solve
    (:func:`_build_normal_lower`, :func:`_chol_solve`, then the residual phasors in interferogram order). Serial:
    the solver runs it over ranges of pixels on the run's threads (:func:`_over_pixels`); as a parallel kernel its
    call tree compiled twice more (the loop's body outlined, then the kernel), 35 CPU-s against 12.
    """
    m, n_pix = d.shape
    n = dt.size
    ts = np.full((n_pix, n + 1), np.nan)
    tcoh = np.full(n_pix, np.nan)
    count = np.zeros(n_pix, np.int32)
    deficient = np.zeros(n_pix, np.bool_)
    first, start = _envelope_rows(ref, sec, n)
    batch = _batch_pixels(_BATCH, start[n] + 4 * m)
    for ch in range((n_pix + batch - 1) // batch):
        p0 = ch * batch
        p1 = min(n_pix, p0 + batch)
        nb = p1 - p0
        cnt = count[p0:p1]
        for i in range(m):
            _b_count_used(d[i, p0:p1], w[i, p0:p1], cnt)
        todo = np.empty(nb, np.bool_)
        _b_todo(cnt, min_count, todo)
        db = np.zeros((m, nb))
        wb = np.zeros((m, nb))
        used = np.zeros((m, nb))
        for i in range(m):
            _b_gather_weighted(d[i, p0:p1], w[i, p0:p1], todo, db[i], wb[i], used[i])
        xs = np.zeros((n + 1, nb))
        tc = np.empty(nb)
        ok = np.ones(nb, np.bool_)
        _wls_batch(db, wb, used, todo, cnt, ref, sec, dt, first, start, mm_to_rad, rcond, min_norm, xs, tc, ok)
        _b_deficient(todo, ok, deficient[p0:p1])
        if not min_norm:
            _b_and_into(todo, ok)  # the disconnected pixels are left NaN for the caller
        _b_put_where(tc, todo, tcoh[p0:p1])
        for j in range(n + 1):
            _b_put_where(xs[j], todo, ts[p0:p1, j])
    return ts, tcoh, count, deficient


@njit(cache=True, inline="always")
def _envelope_rows(ref, sec, n):
    """:func:`envelope` and where each row of the lower envelope starts in the row-after-row storage of
    :func:`_wls_batch` (row ``i``: entries ``start[i] .. start[i + 1] - 1``)."""
    first = envelope(ref, sec, n)
    start = np.zeros(n + 1, np.int64)
    for i in range(n):
        start[i + 1] = start[i] + i - first[i] + 1
    return first, start


@njit(cache=True, inline="always")
def _lut_weight(c, inv_var, c_first, c_last, step, eps, top):
    """``1 / var`` of one coherence value ``c`` from the table ``inv_var`` (nearest lower cell of ``c`` raised to
    ``eps`` and clipped to the table); :func:`_weights_from_lut` and :func:`wls_variance_kernel` share it."""
    if not (c >= eps):
        c = eps
    if c < c_first:
        c = c_first
    if c > c_last:
        c = c_last
    k = int((c - c_first) / step)
    return inv_var[min(k, top)]


def _count_used_np(drow, wrow, count):
    count += (wrow > 0) & (drow == drow)


@_batch_loop(_count_used_np)
def _b_count_used(drow, wrow, count):
    """``count += (wrow > 0) & (drow == drow)``: the used interferograms of each pixel, one interferogram."""
    for q in range(count.size):
        if wrow[q] > 0 and drow[q] == drow[q]:
            count[q] += 1


def _todo_np(count, min_count, todo):
    todo[:] = (count >= min_count) & (count > 0)


@_batch_loop(_todo_np, inline="always")
def _b_todo(count, min_count, todo):
    """The pixels to solve: at least ``min_count`` used interferograms, and one."""
    for q in range(todo.size):
        todo[q] = count[q] >= min_count and count[q] > 0


def _gather_weighted_np(drow, wrow, todo, db, wb, used):
    u = (wrow > 0) & (drow == drow) & todo
    np.copyto(db, drow, where=u)
    np.copyto(wb, wrow, where=u)
    np.copyto(used, 1.0, where=u)


@_batch_loop(_gather_weighted_np)
def _b_gather_weighted(drow, wrow, todo, db, wb, used):
    """One interferogram of a batch: its used values and weights (``w > 0``, value not NaN, pixel to solve) into
    ``db``, ``wb`` and ``used`` = 1.0 (the others left 0)."""
    for q in range(db.size):
        if wrow[q] > 0 and drow[q] == drow[q] and todo[q]:
            db[q] = drow[q]
            wb[q] = wrow[q]
            used[q] = 1.0


def _gather_lut_np(drow, vrow, crow, todo, inv_var, c_first, c_last, step, eps, top, db, wb, used):
    u = vrow & todo
    c = crow.astype(np.float64)
    c = np.where(c >= eps, c, eps)
    c = np.where(c < c_first, c_first, c)
    c = np.where(c > c_last, c_last, c)
    np.copyto(db, drow, where=u)
    np.copyto(wb, inv_var[np.minimum(((c - c_first) / step).astype(np.int64), top)], where=u)
    np.copyto(used, 1.0, where=u)


@_batch_loop(_gather_lut_np)
def _b_gather_lut(drow, vrow, crow, todo, inv_var, c_first, c_last, step, eps, top, db, wb, used):
    """One interferogram of a batch: the values of the valid pixels to solve into ``db``, their weights
    :func:`_lut_weight` of the coherence into ``wb``, ``used`` = 1.0 (the others left 0)."""
    for q in range(db.size):
        if vrow[q] and todo[q]:
            db[q] = drow[q]
            wb[q] = _lut_weight(crow[q], inv_var, c_first, c_last, step, eps, top)
            used[q] = 1.0


def _residual_phase_np(dk, xb, xa, mm_to_rad, e):
    np.multiply(dk - (xb - xa), mm_to_rad, out=e)


@_batch_loop(_residual_phase_np)
def _b_residual_phase(dk, xb, xa, mm_to_rad, e):
    """``e = (dk - (xb - xa)) * mm_to_rad``: one interferogram's residual phase of each pixel of a batch."""
    for q in range(e.size):
        e[q] = (dk[q] - (xb[q] - xa[q])) * mm_to_rad


def _phasor_sum_used_np(e, used, sc, ss):
    ce, se = _sincos_np(e)
    sc += ce * used
    ss += se * used


@_batch_loop(_phasor_sum_used_np)
def _b_phasor_sum_used(e, used, sc, ss):
    """``sc + i ss += used * exp(i e)`` with ``used`` 1.0 or 0.0 (``e`` finite): adding ``+-0.0`` leaves a sum as
    it was (the sums start at +0.0 and are never -0.0), so the used values are summed in the order and with the
    bits of a loop that skips the others. Kept apart from :func:`_b_residual_phase`: with one more array LLVM
    gives up vectorising the loop (too many pairs of arrays to check for overlap)."""
    for q in range(sc.size):
        ce, se = _sincos(e[q])
        sc[q] += ce * used[q]
        ss[q] += se * used[q]


def _add_elementwise_np(y, a, x):
    y += a * x


@_batch_loop(_add_elementwise_np)
def _b_add_prod(y, a, x):
    """``y += a * x`` element by element (no fused multiply-add)."""
    for q in range(y.size):
        y[q] += a[q] * x[q]


def _sub_elementwise_np(y, a, x):
    y -= a * x


@_batch_loop(_sub_elementwise_np)
def _b_sub_prod(y, a, x):
    """``y -= a * x`` element by element (no fused multiply-add)."""
    for q in range(y.size):
        y[q] -= a[q] * x[q]


def _div_by_np(y, a):
    zero = a == 0.0
    np.divide(y, a, out=y, where=~zero)
    np.copyto(y, np.nan, where=zero)


@_batch_loop(_div_by_np, error_model="numpy")
def _b_div_by(y, a):
    """``y /= a`` element by element; NaN where ``a`` is 0 (a pixel of the batch that is not solved)."""
    for q in range(y.size):
        y[q] = y[q] / a[q] if a[q] != 0.0 else np.nan


def _max_np(y, x):
    np.copyto(y, x, where=x > y)


@_batch_loop(_max_np)
def _b_max(y, x):
    for q in range(y.size):
        if x[q] > y[q]:
            y[q] = x[q]


def _scale_np(y, a):
    y *= a


@_batch_loop(_scale_np, inline="always")
def _b_scale(y, a):
    for q in range(y.size):
        y[q] = a * y[q]


def _sqrt_pivot_np(s, tol, ok):
    ok &= s > tol
    root = s >= 0.0
    np.sqrt(s, out=s, where=root)
    np.copyto(s, np.nan, where=~root)


@_batch_loop(_sqrt_pivot_np)
def _b_sqrt_pivot(s, tol, ok):
    """``ok &= s > tol``; ``s = sqrt(s)`` (NaN where ``s < 0``: that pixel is solved again apart)."""
    for q in range(s.size):
        ok[q] &= s[q] > tol[q]
        s[q] = math.sqrt(s[q]) if s[q] >= 0.0 else np.nan


def _zero_unless_np(y, keep):
    np.copyto(y, 0.0, where=~keep)


@_batch_loop(_zero_unless_np, inline="always")
def _b_zero_unless(y, keep):
    for q in range(y.size):
        if not keep[q]:
            y[q] = 0.0


def _deficient_np(todo, ok, out):
    out |= todo & ~ok


@_batch_loop(_deficient_np, inline="always")
def _b_deficient(todo, ok, out):
    """``out |= todo & ~ok``: the pixels whose factorisation failed (a disconnected network)."""
    for q in range(out.size):
        if todo[q] and not ok[q]:
            out[q] = True


def _and_into_np(y, x):
    y &= x


@_batch_loop(_and_into_np, inline="always")
def _b_and_into(y, x):
    for q in range(y.size):
        y[q] = y[q] and x[q]


def _put_where_np(x, keep, out):
    np.copyto(out, x, where=keep)


@_batch_loop(_put_where_np, inline="always")
def _b_put_where(x, keep, out):
    """``out[keep] = x[keep]``."""
    for q in range(x.size):
        if keep[q]:
            out[q] = x[q]


def _coherence_count_np(sc, ss, count, keep, out):
    np.divide(np.sqrt(sc * sc + ss * ss), count, out=out, where=keep)


@_batch_loop(_coherence_count_np, inline="always")
def _b_coherence_count(sc, ss, count, keep, out):
    """``out = |sc + i ss| / count`` where ``keep``."""
    for q in range(out.size):
        if keep[q]:
            out[q] = math.sqrt(sc[q] * sc[q] + ss[q] * ss[q]) / count[q]


@njit(cache=True)
def _wls_batch(db, wb, used, todo, count, ref, sec, dt, first, start, mm_to_rad, rcond, min_norm, xs, tcoh, ok):
    """The weighted solve of a batch of pixels: ``db``, ``wb``, ``used`` (M, B) the values, weights and 1.0 of the
    used interferograms (0 elsewhere: adding them changes no sum), ``todo`` the pixels to solve, ``count`` their
    used interferograms. Every step of :func:`_build_normal_lower`, :func:`_chol_factor` and :func:`_chol_subst`
    runs as a batch loop, each pixel's arithmetic in the scalar order (the lower envelope of the normal matrix
    stored row after row, one vector per entry). Writes ``xs`` (N, B) (row 0 the first date, 0), ``tcoh`` (B,)
    where ``todo`` and ``ok`` (B,) False where the factorisation failed: a disconnected network, then solved by
    the minimum-norm velocity solution (:func:`_min_norm_velocity`) when ``min_norm``."""
    m, nb = db.shape
    n = dt.size
    env = np.zeros((start[n], nb))  # the lower envelope of A^T W A, row by row
    for k in range(m):  # _build_normal_lower, interferogram by interferogram
        a = ref[k] - 1
        b = sec[k] - 1
        _b_add(env[start[b] + b - first[b]], wb[k])
        _b_add_prod(xs[b + 1], wb[k], db[k])
        if a >= 0:
            _b_add(env[start[a] + a - first[a]], wb[k])
            _b_sub(env[start[b] + a - first[b]], wb[k])
            _b_sub_prod(xs[a + 1], wb[k], db[k])
    tol = np.zeros(nb)  # _chol_factor: 1e-10 x the largest diagonal entry, per pixel
    for i in range(n):
        _b_max(tol, env[start[i] + i - first[i]])
    _b_scale(tol, 1e-10)
    t = np.empty(nb)
    for i in range(n):
        fi = first[i]
        for j in range(fi, i):
            fj = first[j]
            k0 = fi if fi > fj else fj
            t[:] = env[start[i] + j - fi]
            for k in range(k0, j):
                _b_sub_prod(t, env[start[i] + k - fi], env[start[j] + k - fj])
            _b_div_by(t, env[start[j] + j - fj])
            env[start[i] + j - fi] = t
        t[:] = env[start[i] + i - fi]
        for k in range(fi, i):
            _b_sub_prod(t, env[start[i] + k - fi], env[start[i] + k - fi])
        _b_sqrt_pivot(t, tol, ok)
        env[start[i] + i - fi] = t
    for i in range(n):  # _chol_subst: forward, L y = A^T W d
        fi = first[i]
        for k in range(fi, i):
            _b_sub_prod(xs[i + 1], env[start[i] + k - fi], xs[k + 1])
        _b_div_by(xs[i + 1], env[start[i] + i - fi])
    for i in range(n - 1, -1, -1):  # back, L^T x = y
        fi = first[i]
        _b_div_by(xs[i + 1], env[start[i] + i - fi])
        for k in range(fi, i):
            _b_sub_prod(xs[k + 1], env[start[i] + k - fi], xs[i + 1])
    solved = todo.copy()
    failed = np.nonzero(todo & ~ok)[0]
    if failed.size:
        if min_norm:  # a disconnected network: the minimum-norm velocity solution, pixel by pixel
            lap = np.empty((n, n))
            r = np.empty(n)
            x = np.zeros(n)
            for q in failed:
                x[:] = 0.0
                _build_normal(db, wb, q, ref, sec, lap, r)
                _min_norm_velocity(lap, r, dt, rcond, x)
                xs[1:, q] = x
        else:
            _b_and_into(solved, ok)
    for j in range(1, n + 1):  # the pixels not solved: 0, so that every residual phase below is finite
        _b_zero_unless(xs[j], solved)
    sc = np.zeros(nb)
    ss = np.zeros(nb)
    e = np.empty(nb)
    for i in range(m):
        _b_residual_phase(db[i], xs[sec[i]], xs[ref[i]], mm_to_rad, e)
        _b_phasor_sum_used(e, used[i], sc, ss)
    _b_coherence_count(sc, ss, count, todo, tcoh)


@njit(cache=True)
def wls_variance_kernel(d, coh, valid, count, inv_var, c_first, step, eps, ref, sec, dt, min_count, mm_to_rad,
                        rcond, ts, tcoh, deficient):
    """:func:`wls_kernel` with the weights of :func:`_weights_from_lut` made here from ``coh`` (0 where not
    ``valid``), for the pixels with ``count >= min_count`` (> 0); results written into ``ts`` (N, P) (first date
    0; left as they are for the other pixels), ``tcoh`` (P,) and ``deficient`` (P,).

    The bits of building the ``(M, P)`` weight array and solving it with :func:`wls_kernel`. Pixels go in
    batches: the batch's values and weights are gathered (the values not used set to 0, their weight 0), then
    solved by :func:`_wls_batch`. What is saved: the weight array (8 bytes a value, new pages to map and zero
    block after block), the ``valid & todo`` mask, the transposed copy of the solution, and the scalar loops."""
    m, n_pix = d.shape
    n = dt.size
    first, start = _envelope_rows(ref, sec, n)
    top = inv_var.size - 1
    c_last = c_first + step * top
    batch = _batch_pixels(_BATCH, start[n] + 4 * m)
    for ch in range((n_pix + batch - 1) // batch):
        p0 = ch * batch
        p1 = min(n_pix, p0 + batch)
        nb = p1 - p0
        cnt = count[p0:p1]
        todo = np.empty(nb, np.bool_)
        _b_todo(cnt, min_count, todo)
        db = np.zeros((m, nb))
        wb = np.zeros((m, nb))
        used = np.zeros((m, nb))
        for i in range(m):
            _b_gather_lut(d[i, p0:p1], valid[i, p0:p1], coh[i, p0:p1], todo, inv_var, c_first, c_last, step, eps,
                          top, db[i], wb[i], used[i])
        xs = np.zeros((n + 1, nb))  # xs[0] = 0 (first date); xs[1:] holds A^T W d, then the solution
        ok = np.ones(nb, np.bool_)
        _wls_batch(db, wb, used, todo, cnt, ref, sec, dt, first, start, mm_to_rad, rcond, True, xs, tcoh[p0:p1], ok)
        _b_deficient(todo, ok, deficient[p0:p1])
        for j in range(n + 1):
            _b_put_where(xs[j], todo, ts[j, p0:p1])


@njit(parallel=True, cache=True)
def _group_temporal_coherence(d, x, ref, sec, rows, pix, mm_to_rad, out):
    """Temporal coherence of pixels ``pix`` that share the used interferograms ``rows``.

    ``d`` (M, P) mm, ``x`` (N-1, len(pix)) solution of those pixels (first date 0). Pixels go in batches, each
    pixel's phasors summed in the order of ``rows``.
    """
    nr = rows.size
    n_pix = pix.size
    batch = _batch_pixels(_BATCH, 3 * nr)
    for ch in prange((n_pix + batch - 1) // batch):
        q0 = ch * batch
        nb = min(n_pix, q0 + batch) - q0
        zero = np.zeros(nb)
        dl = np.empty(nb)
        sc = np.zeros(nb)
        ss = np.zeros(nb)
        for k in range(nr):
            i = rows[k]
            a = ref[i]
            b = sec[i]
            _b_gather(d[i], pix, q0, dl)
            xb = x[b - 1, q0:q0 + nb] if b > 0 else zero
            xa = x[a - 1, q0:q0 + nb] if a > 0 else zero
            _b_phasor_sum(dl, xb, xa, mm_to_rad, sc, ss)
        _b_coherence(sc, ss, nr, pix, q0, out)


@njit(parallel=True, cache=True)
def _weights_from_lut(coh, valid, inv_var, c_first, step, eps):
    """``1 / var`` from a coherence table (nearest lower cell), 0 where not ``valid``."""
    m, n_pix = coh.shape
    w = np.zeros((m, n_pix))
    top = inv_var.size - 1
    c_last = c_first + step * top
    for i in prange(m):
        for p in range(n_pix):
            if not valid[i, p]:
                continue
            w[i, p] = _lut_weight(coh[i, p], inv_var, c_first, c_last, step, eps, top)
    return w


def _weights_from_lut_np(coh, valid, inv_var, c_first, step, eps):
    """:func:`_weights_from_lut` on whole arrays: :func:`_lut_weight`'s comparisons and its one subtraction and
    division per value, the same bits."""
    c = coh.astype(np.float64)
    c = np.where(c >= eps, c, eps)  # NaN too
    c = np.where(c < c_first, c_first, c)
    c = np.where(c > c_first + step * (inv_var.size - 1), c_first + step * (inv_var.size - 1), c)
    k = np.minimum(((c - c_first) / step).astype(np.int64), inv_var.size - 1)
    return np.where(valid, inv_var[k], 0.0)


python_equivalent(_weights_from_lut, _weights_from_lut_np)


#: the kernels :func:`_over_pixels` runs over ranges of pixels on the run's threads when compiled (serial kernels)
_SERIAL = (wls_kernel, wls_variance_kernel)


# --------------------------------------------------------------------------- velocity
def linear_velocity(ts_mm: np.ndarray, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares linear rate of a time series and its standard error.

    Parameters
    ----------
    ts_mm : ndarray (N, ...)
        Displacement, mm.
    years : ndarray (N,)
        Time of each date, years.

    Returns
    -------
    velocity_mm_yr, velocity_std_mm_yr : ndarray (...)
        Slope of ``x = c + v t`` and ``sqrt(sum(res^2) / (N - 2) / sum((t - tbar)^2))``
        (NaN when N < 3), as MintPy's ``timeseries2velocity``.
    """
    t = np.asarray(years, float)
    tc = t - t.mean()
    sxx = float(np.sum(tc * tc))
    shape = ts_mm.shape[1:]
    # C-ordered for the kernel: a series picked by pixel index (block[:, rr, cc]) is F-ordered, and numba would
    # compile the kernel again for that layout (same values)
    y = np.ascontiguousarray(np.asarray(ts_mm, float).reshape(ts_mm.shape[0], -1))
    vel = np.full(y.shape[1], np.nan)
    std = np.full(y.shape[1], np.nan)
    if sxx > 0:
        _velocity_kernel(y, tc, sxx, vel, std)
    return vel.reshape(shape), std.reshape(shape)


def _velocity_sums_np(yj, tcj, ok, sy, sty):
    with np.errstate(invalid="ignore", over="ignore"):
        ok &= yj - yj == 0.0
        sy += yj
        sty += tcj * yj


@_batch_loop(_velocity_sums_np)
def _b_velocity_sums(yj, tcj, ok, sy, sty):
    for p in range(yj.size):
        v = yj[p]
        ok[p] &= v - v == 0.0  # finite
        sy[p] += v
        sty[p] += tcj * v


def _velocity_rss_np(yj, tcj, ybar, b, rss):
    with np.errstate(invalid="ignore", over="ignore"):
        r = yj - ybar - tcj * b
        rss += r * r


@_batch_loop(_velocity_rss_np)
def _b_velocity_rss(yj, tcj, ybar, b, rss):
    for p in range(yj.size):
        r = yj[p] - ybar[p] - tcj * b[p]
        rss[p] += r * r


def _velocity_out_np(ok, b, rss, n, sxx, vel, std):
    vel[ok] = b[ok]
    if n > 2:
        std[ok] = np.sqrt(rss[ok] / (n - 2) / sxx)


@_batch_loop(_velocity_out_np, inline="always")
def _b_velocity_out(ok, b, rss, n, sxx, vel, std):
    for q in range(ok.size):
        if ok[q]:
            vel[q] = b[q]
            if n > 2:
                std[q] = math.sqrt(rss[q] / (n - 2) / sxx)


@njit(parallel=True, cache=True)
def _velocity_kernel(y, tc, sxx, vel, std):
    """Slope and its standard error per column of ``y`` (N, P); NaN unless all N finite.

    Chunks of pixels in parallel, each date a vectorised loop over the chunk; per pixel the sums
    run over the dates in order (the bits of a pixel-by-pixel loop)."""
    n, n_pix = y.shape
    chunk = _batch_pixels(_CHUNK, 6)
    for ch in prange((n_pix + chunk - 1) // chunk):
        p0 = ch * chunk
        p1 = min(n_pix, p0 + chunk)
        k = p1 - p0
        ok = np.ones(k, np.bool_)
        sy = np.zeros(k)
        sty = np.zeros(k)
        for j in range(n):
            _b_velocity_sums(y[j, p0:p1], tc[j], ok, sy, sty)
        b = sty / sxx
        ybar = sy / n
        rss = np.zeros(k)
        if n > 2:
            for j in range(n):
                _b_velocity_rss(y[j, p0:p1], tc[j], ybar, b, rss)
        _b_velocity_out(ok, b, rss, n, sxx, vel[p0:p1], std[p0:p1])


# --------------------------------------------------------------------------- solver
@dataclass
class SbasBlockResult:
    """Result of :meth:`SbasSolver.solve` for a block of pixels.

    Arrays have the block's spatial shape ``S`` (``(rows, cols)`` or ``(P,)``).
    """

    timeseries_mm: np.ndarray  # (N,) + S, first date 0, NaN where not solved / masked
    velocity_mm_yr: np.ndarray  # S
    velocity_std_mm_yr: np.ndarray  # S
    temporal_coherence: np.ndarray  # S
    count: np.ndarray  # S, int32, interferograms used
    disconnected: np.ndarray  # S, bool, pixel network had several subsets


class SbasSolver:
    """SBAS / ISBAS inversion of blocks of pixels of one interferogram network.

    Parameters
    ----------
    network : Network
        Interferograms (``M``) and dates (``N``).
    wavelength_m : float
        Radar wavelength, metres (for the temporal coherence of mm residuals).
    weighting : {"none", "variance"}
        ``"variance"``: weights ``1 / var(phase)`` from coherence (:func:`coherence_to_weight`).
    looks : int
        Independent looks for the variance weighting.
    coherence_threshold : float
        Interferogram values where coherence < threshold are not used (ISBAS).
    min_count : int
        Minimum number of used interferograms per pixel (ISBAS); 0 = all ``M`` required
        (classic SBAS: only pixels valid in every interferogram).
    min_temporal_coherence : float
        Pixels below it get NaN time series and velocity (their coherence and count are kept).
    rcond : float
        Singular-value cut-off of the minimum-norm velocity solution (MintPy: 1e-5).
    group_min_pixels : int
        Unweighted inversion: patterns of valid interferograms shared by at least this many
        pixels of a block share one factorisation (a speed-up only: every pixel gets the bits
        it would get alone, so the result does not depend on the block layout). Pixels whose
        network is disconnected get the minimum-norm solution of their pattern's pseudo-inverse,
        applied column by column, however many pixels share it.
    """

    def __init__(self, network: Network, *, wavelength_m: float = SENTINEL1_WAVELENGTH_M,
                 weighting: str = "none", looks: int = 10, coherence_threshold: float = 0.0,
                 min_count: int = 0, min_temporal_coherence: float = 0.0, rcond: float = 1e-5,
                 group_min_pixels: int = 16):
        if weighting not in WEIGHTINGS:
            raise GeohazardError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
        if not wavelength_m > 0:
            raise GeohazardError(f"wavelength_m must be > 0, got {wavelength_m!r}")
        if network.n_dates < 2:
            raise GeohazardError("the network needs at least two dates")
        if min_count < 0 or min_count > network.n_pairs:
            raise GeohazardError(f"min_count must be 0..{network.n_pairs} (the number of interferograms), "
                                 f"got {min_count}")
        self.network = network
        self.wavelength_m = float(wavelength_m)
        self.weighting = weighting
        self.looks = int(looks)
        self.coherence_threshold = float(coherence_threshold)
        self.min_count = int(min_count) if min_count > 0 else network.n_pairs
        self.min_temporal_coherence = float(min_temporal_coherence)
        self.rcond = float(rcond)
        self.group_min_pixels = int(group_min_pixels)
        self._ref = network.ref_index
        self._sec = network.sec_index
        self._dt = network.interval_years
        self._years = network.years
        self._A = network.design_matrix()
        self._T = network.integration_matrix()
        self._B = self._A @ self._T
        self._mm_to_rad = radians_per_mm(self.wavelength_m)
        self._pinv_cache: dict = {}
        self._factor_cache: dict = {}
        self._first = envelope(self._ref, self._sec, network.n_dates - 1)

    def _pattern_operator(self, key: bytes, valid: np.ndarray) -> np.ndarray:
        op = self._pinv_cache.get(key)
        if op is None:
            b = self._B[valid]
            op = self._T @ np.linalg.pinv(b, rcond=self.rcond)  # (N-1, m_valid)
            if len(self._pinv_cache) < 4096:
                self._pinv_cache[key] = op
        return op

    def _pattern_factor(self, key: bytes, rows: np.ndarray):
        """Envelope Cholesky factor of ``A^T A`` over ``rows``, or None when singular (cached)."""
        if key in self._factor_cache:
            return self._factor_cache[key]
        n = self.network.n_dates - 1
        lap = np.zeros((n, n))
        a, b = self._ref[rows] - 1, self._sec[rows] - 1
        np.add.at(lap, (b, b), 1.0)
        ok = a >= 0
        np.add.at(lap, (a[ok], a[ok]), 1.0)
        np.add.at(lap, (a[ok], b[ok]), -1.0)
        np.add.at(lap, (b[ok], a[ok]), -1.0)
        fac = lap if _chol_factor(lap, self._first) else None
        if len(self._factor_cache) < 4096:
            self._factor_cache[key] = fac
        return fac

    def solve(self, ifg_mm: np.ndarray, *, coherence: Optional[np.ndarray] = None,
              reference_mm: Optional[np.ndarray] = None) -> SbasBlockResult:
        """Invert a block.

        Parameters
        ----------
        ifg_mm : ndarray (M,) + S
            Interferometric LOS displacement (secondary minus reference), mm, positive toward
            the satellite; NaN = no data. Not modified.
        coherence : ndarray (M,) + S, optional
            Spatial coherence 0..1 (needed for ``weighting="variance"`` and the threshold).
        reference_mm : ndarray (M,), optional
            Value of each interferogram at the reference point, subtracted first.
        """
        # BLAS on one thread: the LAPACK steps of a disconnected pixel (eigh, pinv) split among OpenBLAS's threads
        # however small, and their last bits would follow the thread count (a Dask worker has one: algorithms.blas)
        with one_blas_thread():
            return self._solve(ifg_mm, coherence=coherence, reference_mm=reference_mm)

    def _solve(self, ifg_mm, *, coherence, reference_mm) -> SbasBlockResult:
        m = self.network.n_pairs
        if ifg_mm.shape[0] != m:
            raise GeohazardError(f"ifg_mm has {ifg_mm.shape[0]} interferograms, the network has {m}")
        shape = ifg_mm.shape[1:]
        d = np.asarray(ifg_mm, dtype=np.float64).reshape(m, -1)
        if reference_mm is not None:
            d = d - np.asarray(reference_mm, float).reshape(m, 1)
        valid = np.empty(d.shape, bool)
        count = None
        if coherence is None:  # compiled, one parallel pass instead of isfinite + sum (same values)
            count = np.zeros(d.shape[1], np.int32)
            _finite_count(d, valid, count)
        else:
            np.isfinite(d, out=valid)
        coh = None
        if coherence is not None:
            if coherence.shape != ifg_mm.shape:
                raise GeohazardError(f"coherence has shape {coherence.shape}, expected {ifg_mm.shape}")
            coh = np.asarray(coherence)
            if coh.dtype not in (np.float32, np.float64):
                coh = coh.astype(np.float64)
            coh = coh.reshape(m, -1)  # float32 blocks are not widened: the weights' kernel compares in float64
            if self.coherence_threshold > 0:
                valid &= coh.astype(np.float64, copy=False) >= self.coherence_threshold
        elif self.weighting == "variance" or self.coherence_threshold > 0:
            raise GeohazardError("coherence is needed for variance weighting or a coherence threshold")
        n_pix = d.shape[1]
        n = self.network.n_dates
        ts = np.full((n, n_pix), np.nan)
        tcoh = np.full(n_pix, np.nan)
        if count is None:
            count = valid.sum(axis=0).astype(np.int32)
        disc = np.zeros(n_pix, bool)
        todo = count >= self.min_count
        if self.weighting == "variance":
            lut_coh, lut_var = _phase_variance_lut(int(min(max(self.looks, 1), 80)))
            lut = (1.0 / lut_var, float(lut_coh[0]), 0.005, 0.05)
            if coh.dtype == np.float64:
                # float64 coherence (any type but float32 read as float64) is rare: the weight array solved by the
                # unweighted kernel, the same bits, spares compiling the fused kernel a second time (~30 CPU-s)
                w = _weights_from_lut(coh, valid & todo[None, :], *lut)
                t, tc, df = np.empty((n_pix, n)), np.empty(n_pix), np.empty(n_pix, bool)
                _over_pixels(wls_kernel, _wls_range, n_pix, d, w, self._ref, self._sec, self._dt, self.min_count,
                             self._mm_to_rad, self.rcond, t, tc, df, True)
                ts[:], tcoh[:], disc[:] = t.T, tc, df
            else:
                _over_pixels(wls_variance_kernel, _wls_variance_range, n_pix, d, coh, valid, count, *lut, self._ref,
                             self._sec, self._dt, self.min_count, self._mm_to_rad, self.rcond, ts, tcoh, disc)
        else:
            self._solve_unweighted(d, valid, todo, ts, tcoh, disc, count)
        vel, vstd = linear_velocity(ts, self._years)
        bad = ~(tcoh >= self.min_temporal_coherence) if self.min_temporal_coherence > 0 else ~np.isfinite(tcoh)
        ts[:, bad] = np.nan
        vel[bad] = np.nan
        vstd[bad] = np.nan
        return SbasBlockResult(ts.reshape((n,) + shape), vel.reshape(shape), vstd.reshape(shape),
                               tcoh.reshape(shape), count.reshape(shape), disc.reshape(shape))

    def _solve_unweighted(self, d, valid, todo, ts, tcoh, disc, count=None):
        idx = np.flatnonzero(todo)
        if idx.size == 0:
            return
        m = valid.shape[0]
        full = np.zeros(0, np.intp)
        if count is not None:  # the pixels valid everywhere share the all-ones key: only the others are sorted
            every = count[idx] == m
            full, idx = idx[every], idx[~every]
        groups, small = [], []
        if idx.size:
            # the bytes of np.packbits(valid[:, idx], axis=0).T, in one parallel pass
            packed = np.zeros((idx.size, (m + 7) // 8), np.uint8)
            _pack_columns(valid, idx, packed)
            keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
            uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
            small.append(idx[counts[inverse] < self.group_min_pixels])
            groups = [(uniq[g].tobytes(), idx[inverse == g]) for g in np.flatnonzero(counts >= self.group_min_pixels)]
        if full.size:  # its key sorts last: the groups keep np.unique's order
            if full.size >= self.group_min_pixels:
                groups.append((np.packbits(np.ones(m, bool)).tobytes(), full))
            else:
                small.append(full)
        deficient = []  # (key, pixels) whose network is disconnected: solved by their pattern's operator
        for key, pix in groups:
            rows = np.flatnonzero(valid[:, pix[0]])
            fac = self._pattern_factor(key, rows)
            if fac is not None:
                _over_pixels(_solve_shared_factor, _shared_factor_range, pix.size, d, rows, pix, fac, self._first,
                             self._ref, self._sec, self._mm_to_rad, ts, tcoh)
            else:
                deficient.append((key, pix))
        rest = np.sort(np.concatenate(small)) if small else np.zeros(0, np.intp)
        if rest.size:
            # C-ordered whatever the number of pixels: valid[:, rest] is F-ordered, but C-ordered too with one
            # pixel, and numba would compile the kernel again for that layout in the middle of a run
            w = np.ascontiguousarray(valid[:, rest], dtype=np.float64)
            t, tc, df = np.empty((rest.size, ts.shape[0])), np.empty(rest.size), np.empty(rest.size, bool)
            _over_pixels(wls_kernel, _wls_range, rest.size, np.ascontiguousarray(d[:, rest]), w, self._ref, self._sec,
                         self._dt, self.min_count, self._mm_to_rad, self.rcond, t, tc, df)
            ts[:, rest] = t.T
            tcoh[rest] = tc
            if df.any():
                lone = rest[df]
                keys = np.packbits(valid[:, lone], axis=0).T.copy()
                keys = keys.view(np.dtype((np.void, keys.shape[1]))).ravel()
                uniq, inverse = np.unique(keys, return_inverse=True)
                deficient += [(uniq[g].tobytes(), lone[inverse == g]) for g in range(uniq.size)]
        # a disconnected pixel gets the minimum-norm solution of its pattern (pseudo-inverse), applied column by
        # column: the same bits whether its pattern is shared by many pixels of the block or by none
        for key, pix in deficient:
            vmask = valid[:, pix[0]]
            rows = np.flatnonzero(vmask)
            op = np.ascontiguousarray(self._pattern_operator(key, vmask))
            x = np.empty((op.shape[0], pix.size))
            _apply_operator(op, d, rows, pix, x)
            ts[0, pix] = 0.0
            ts[1:, pix] = x
            _group_temporal_coherence(d, x, self._ref, self._sec, rows, pix, self._mm_to_rad, tcoh)
            disc[pix] = True


def _shared_factor_range(lo, hi, d, rows, pix, fac, first, ref, sec, mm_to_rad, ts, tcoh):
    """:func:`_solve_shared_factor` of the pixels ``pix[lo:hi]`` (:func:`_over_pixels`)."""
    _solve_shared_factor(d, rows, pix[lo:hi], fac, first, ref, sec, mm_to_rad, ts, tcoh)


def _wls_range(lo, hi, d, w, ref, sec, dt, min_count, mm_to_rad, rcond, ts, tcoh, deficient, min_norm=False):
    """:func:`wls_kernel` of the pixels ``lo .. hi`` of ``d`` and ``w`` (M, P), the disconnected pixels left NaN
    (solved by the minimum-norm velocity solution with ``min_norm``); its time series, temporal coherence and flags
    written into ``ts`` (P, N), ``tcoh`` and ``deficient``."""
    c = np.ascontiguousarray  # the kernel's one layout (a range of columns is a strided view)
    t, tc, _, df = wls_kernel(c(d[:, lo:hi]), c(w[:, lo:hi]), ref, sec, dt, min_count, mm_to_rad, rcond, min_norm)
    ts[lo:hi], tcoh[lo:hi], deficient[lo:hi] = t, tc, df


def _wls_variance_range(lo, hi, d, coh, valid, count, inv_var, c_first, step, eps, ref, sec, dt, min_count, mm_to_rad,
                        rcond, ts, tcoh, deficient):
    """:func:`wls_variance_kernel` of the pixels ``lo .. hi``, its inputs and series as contiguous copies (the
    kernel's one layout; a range of columns is a strided view), the rest written through views."""
    c = np.ascontiguousarray
    t = np.ascontiguousarray(ts[:, lo:hi])
    wls_variance_kernel(c(d[:, lo:hi]), c(coh[:, lo:hi]), c(valid[:, lo:hi]), count[lo:hi], inv_var, c_first, step,
                        eps, ref, sec, dt, min_count, mm_to_rad, rcond, t, tcoh[lo:hi], deficient[lo:hi])
    if not np.may_share_memory(t, ts):
        ts[:, lo:hi] = t


_CHUNK = 512  # pixels per parallel task of the validity and velocity kernels


@njit(cache=True)
def _b_finite_count(drow, vrow, count):
    """``vrow = isfinite(drow)``, ``count += vrow`` (one interferogram, a chunk of pixels; vectorised)."""
    for p in range(drow.size):
        x = drow[p]
        ok = x - x == 0.0  # isfinite: inf - inf and NaN - NaN are NaN
        vrow[p] = ok
        count[p] += np.int32(ok)


@njit(parallel=True, cache=True)
def _finite_count(d, valid, count):
    """``valid = isfinite(d)`` and ``count = valid.sum(axis=0)`` for ``d`` (M, P), chunks of pixels in parallel."""
    m, n_pix = d.shape
    for ch in prange((n_pix + _CHUNK - 1) // _CHUNK):
        p0 = ch * _CHUNK
        p1 = min(n_pix, p0 + _CHUNK)
        for i in range(m):
            _b_finite_count(d[i, p0:p1], valid[i, p0:p1], count[p0:p1])


def _finite_count_np(d, valid, count):
    np.isfinite(d, out=valid)
    count += valid.sum(axis=0, dtype=np.int32)


python_equivalent(_finite_count, _finite_count_np)


@njit(parallel=True, cache=True)
def _pack_columns(valid, idx, packed):
    """``packed[k]`` = the bits of ``valid[:, idx[k]]``, most significant first (``np.packbits`` order)."""
    m = valid.shape[0]
    n = idx.size
    for ch in prange((n + _CHUNK - 1) // _CHUNK):
        k0 = ch * _CHUNK
        k1 = min(n, k0 + _CHUNK)
        for i in range(m):
            byte = i >> 3
            bit = np.uint8(1 << (7 - (i & 7)))
            for k in range(k0, k1):
                if valid[i, idx[k]]:
                    packed[k, byte] |= bit


def _pack_columns_np(valid, idx, packed):
    packed |= np.packbits(valid[:, idx], axis=0).T


python_equivalent(_pack_columns, _pack_columns_np)


def sbas_inversion(ifg_mm: np.ndarray, network: Network, *, coherence: Optional[np.ndarray] = None,
                   reference_mm: Optional[np.ndarray] = None, **options) -> SbasBlockResult:
    """Invert a whole in-memory stack ``(M, rows, cols)``; options as :class:`SbasSolver`.

    See the module docstring for the model, equations and references. Large stacks: use
    :class:`SbasSolver` block by block (the Processing tool does).
    """
    solver = SbasSolver(network, **options)
    return solver.solve(ifg_mm, coherence=coherence, reference_mm=reference_mm)


def choose_reference(valid_count: np.ndarray, n_ifgs: int, *, mean_coherence: Optional[np.ndarray] = None,
                     window: int = 5) -> tuple[int, int]:
    """Pick an automatic reference pixel: valid in every interferogram, coherent, and
    surrounded by valid pixels.

    Parameters
    ----------
    valid_count : ndarray (rows, cols) int
        Number of interferograms with data at each pixel.
    n_ifgs : int
        Number of interferograms.
    mean_coherence : ndarray (rows, cols), optional
        Temporal mean of the coherence.
    window : int
        Side of the square window over which the score is averaged.

    Returns
    -------
    (row, col)
        The pixel maximising the ``window``-mean of ``mean_coherence`` (1 where unknown)
        among pixels whose whole window is valid in all interferograms; ties go to the
        pixel nearest the image centre.

    Raises
    ------
    GeohazardError
        When no pixel has data in all interferograms.
    """
    from scipy.ndimage import uniform_filter

    full = valid_count >= n_ifgs
    if not full.any():
        raise GeohazardError("automatic reference point: no pixel has data in all interferograms; "
                             "give a REFERENCE point or drop the interferograms that have few valid pixels")
    score = np.where(full, 1.0 if mean_coherence is None else np.nan_to_num(mean_coherence), 0.0)
    smooth = uniform_filter(score, size=window, mode="constant")
    allfull = uniform_filter(full.astype(float), size=window, mode="constant") > 0.999
    cand = allfull & full
    if not cand.any():
        cand = full
    smooth = np.where(cand, smooth, -np.inf)
    best = np.max(smooth)
    rows, cols = np.nonzero(smooth >= best - 1e-9)
    rc, cc = (valid_count.shape[0] - 1) / 2.0, (valid_count.shape[1] - 1) / 2.0
    k = int(np.argmin((rows - rc) ** 2 + (cols - cc) ** 2))
    return int(rows[k]), int(cols[k])
