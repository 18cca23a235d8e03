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

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .._numba import njit, prange
from ..errors import GeohazardError
from ..progress import iter_blocks
from .shp import SHP_METHODS, is_shp, shp_inputs, shp_threshold

#: Estimator codes of the kernel.
METHODS = {"emi": 0, "evd": 1, "cevd": 2}


@dataclass
class PhaseLinkResult:
    """Outputs of :func:`phase_link` (all on the input grid)."""

    phase: np.ndarray  #: (n_dates, rows, cols) float32, radians, minus date 0; NaN = no data
    temporal_coherence: np.ndarray  #: (rows, cols) float32, 0..1
    shp_count: np.ndarray  #: (rows, cols) int32, neighbours used (incl. the pixel)


@njit(inline="always")
def _cabs(z):
    """``|z|`` as ``sqrt(re^2 + im^2)``: ~6x faster than ``abs`` (hypot) and exact enough for
    coherences (|z| <= ~1, no overflow to guard against)."""
    return np.sqrt(z.real * z.real + z.imag * z.imag)


@njit
def _cholesky_inplace(a, n):
    """Lower Cholesky factor of Hermitian PD ``a`` in its lower triangle; False if not PD."""
    for j in range(n):
        s = a[j, j].real
        for k in range(j):
            s -= (a[j, k] * np.conj(a[j, k])).real
        if s <= 0.0:
            return False
        d = np.sqrt(s)
        a[j, j] = d
        for i in range(j + 1, n):
            t = a[i, j]
            for k in range(j):
                t -= a[i, k] * np.conj(a[j, k])
            a[i, j] = t / d
    return True


@njit
def _real_spd_inverse(a, out, n):
    """Inverse of a real SPD matrix by Cholesky (``a`` is overwritten); False if not SPD.

    Written out (no LAPACK call) because BLAS/LAPACK threads inside the parallel pixel loop
    oversubscribe the cores.
    """
    for j in range(n):
        s = a[j, j]
        for k in range(j):
            s -= a[j, k] * a[j, k]
        if s <= 0.0:
            return False
        d = np.sqrt(s)
        a[j, j] = d
        for i in range(j + 1, n):
            t = a[i, j]
            for k in range(j):
                t -= a[i, k] * a[j, k]
            a[i, j] = t / d
    # out <- U = L^-T (upper): row j of U is column j of L^-1, so every inner loop runs along rows
    for j in range(n):
        for i in range(j):
            out[j, i] = 0.0
        for i in range(j, n):
            t = 1.0 if i == j else 0.0
            for k in range(j, i):
                t -= a[i, k] * out[j, k]
            out[j, i] = t / a[i, i]
    # A^-1 = L^-T L^-1 = U U^T, symmetric: (A^-1)_ij = sum_{k >= max(i, j)} U_ik U_jk
    for i in range(n):
        for j in range(i, n):
            t = 0.0
            for k in range(j, n):
                t += out[i, k] * out[j, k]
            a[i, j] = t
    for i in range(n):
        for j in range(i, n):
            out[i, j] = a[i, j]
            out[j, i] = a[i, j]
    return True


@njit
def _chol_solve(lo, b, x, y, n):
    """Solve ``L L^H x = b`` with the lower factor ``lo``."""
    for i in range(n):
        t = b[i]
        for k in range(i):
            t -= lo[i, k] * y[k]
        y[i] = t / lo[i, i].real
    # back substitution with L^H, column by column (reads rows of ``lo``; ``y`` is overwritten)
    for i in range(n - 1, -1, -1):
        xi = y[i] / lo[i, i].real
        x[i] = xi
        for k in range(i):
            y[k] -= np.conj(lo[i, k]) * xi


@njit
def _normalise(v, n):
    s = 0.0
    for i in range(n):
        s += v[i].real * v[i].real + v[i].imag * v[i].imag
    s = np.sqrt(s)
    if s > 0:
        for i in range(n):
            v[i] /= s
    return s


@njit
def _power_iteration(a, v, w, n, max_iter, tol):
    """Principal eigenvector of Hermitian PSD ``a`` (in ``v``)."""
    _normalise(v, n)
    for _ in range(max_iter):
        for i in range(n):
            t = 0j
            for k in range(n):
                t += a[i, k] * v[k]
            w[i] = t
        if _normalise(w, n) == 0.0:
            return
        dot = 0j
        for i in range(n):
            dot += np.conj(v[i]) * w[i]
        for i in range(n):
            v[i] = w[i]
        if 1.0 - abs(dot) < tol:
            return


@njit
def _inverse_iteration(lo, v, w, y, n, max_iter, tol):
    """Eigenvector of the smallest eigenvalue of ``L L^H`` (in ``v``)."""
    _normalise(v, n)
    for _ in range(max_iter):
        _chol_solve(lo, v, w, y, n)
        if _normalise(w, n) == 0.0:
            return
        dot = 0j
        for i in range(n):
            dot += np.conj(v[i]) * w[i]
        for i in range(n):
            v[i] = w[i]
        if 1.0 - abs(dot) < tol:
            return True
    return False


@njit
def _emi_factor(g, inv, m, n, shift):
    """Cholesky factor of ``|G|^-1 o G - shift I`` in ``m``; False when not positive definite."""
    for i in range(n):
        for k in range(i + 1):
            m[i, k] = inv[i, k] * g[i, k]
        m[i, i] -= shift
    return _cholesky_inplace(m, n)


@njit
def _emi_rayleigh(g, inv, v, n):
    """Rayleigh quotient ``v^H (|G|^-1 o G) v / v^H v`` (>= the smallest eigenvalue)."""
    num = 0.0
    den = 0.0
    for i in range(n):
        t = 0j
        for k in range(n):
            t += inv[i, k] * g[i, k] * v[k]
        num += (np.conj(v[i]) * t).real
        den += v[i].real * v[i].real + v[i].imag * v[i].imag
    return num / den


@njit
def _emi_vector(g, inv, m, v, w, y, n):
    """Eigenvector of the smallest eigenvalue of ``|G|^-1 o G`` into ``v`` by shift-inverse
    iteration; False when that matrix is not positive definite (EMI undefined).

    The smallest eigenvalue is usually close to 1, so the shift is 0.99 first. With 11 x 11
    windows on the benchmark stack (benchmarks/psds) it is below 0.99 for about half the
    pixels (not positive definite after the shift): then
    the iteration starts unshifted and, when it converges slowly (close eigenvalues), moves
    the shift up to just below the Rayleigh quotient (an upper bound of the smallest
    eigenvalue; a successful Cholesky factor proves the shift is below it), which turns ~100
    steps into a handful."""
    shift = 0.99
    if not _emi_factor(g, inv, m, n, shift):
        shift = 0.0
        if not _emi_factor(g, inv, m, n, shift):
            return False
    if _inverse_iteration(m, v, w, y, n, 3, 1e-10):
        return True
    rho = _emi_rayleigh(g, inv, v, n)
    gap = 1e-4 * abs(rho) + 1e-6
    for _ in range(5):
        sigma = rho - gap
        if sigma <= shift:
            break
        if _emi_factor(g, inv, m, n, sigma):
            _inverse_iteration(m, v, w, y, n, 100, 1e-10)
            return True
        gap *= 10.0
    _emi_factor(g, inv, m, n, shift)
    _inverse_iteration(m, v, w, y, n, 100, 1e-10)
    return True


@njit
def _link_pixel(g, method, beta, v, w, y, absinv, inv, m, n):
    """Linked phases of one sample coherence matrix ``g`` into ``v``; returns temporal coherence."""
    for i in range(n):
        v[i] = g[i, 0] if _cabs(g[i, 0]) > 0 else 1.0 + 0j
    if method == 1:
        _power_iteration(g, v, w, n, 100, 1e-10)
    elif method == 2:
        for i in range(n):
            for k in range(n):
                m[i, k] = g[i, k] * _cabs(g[i, k])
        _power_iteration(m, v, w, n, 100, 1e-10)
    else:
        for i in range(n):
            for k in range(n):
                absinv[i, k] = (1.0 - beta) * _cabs(g[i, k])
            absinv[i, i] = 1.0
        # |G| is not always positive definite (few looks, or the regularisation too weak):
        # then EMI is undefined and the coherence-weighted EVD is used, as dolphin does
        ok = _real_spd_inverse(absinv, inv, n)
        if ok:
            ok = _emi_vector(g, inv, m, v, w, y, n)
        if not ok:
            for i in range(n):
                v[i] = g[i, 0] if _cabs(g[i, 0]) > 0 else 1.0 + 0j
                for k in range(n):
                    m[i, k] = g[i, k] * _cabs(g[i, k])
            _power_iteration(m, v, w, n, 100, 1e-10)
    # temporal coherence over m != n (the sum is real: terms come in conjugate pairs)
    acc = 0.0
    for i in range(n):
        ai = _cabs(v[i])
        pi = v[i] / ai if ai > 0 else 1.0 + 0j
        for k in range(i + 1, n):
            gk = g[i, k]
            ag = _cabs(gk)
            if ag == 0:
                continue
            ak = _cabs(v[k])
            pk = v[k] / ak if ak > 0 else 1.0 + 0j
            acc += ((gk / ag) * np.conj(pi) * pk).real
    return abs(2.0 * acc) / (n * (n - 1))


@njit(parallel=True)
def _phase_link_kernel(slc_t, usable, ps, sorted_amp, mean_int, shp_method, threshold, hr, hc,
                       method, beta, row0, row1, out_phase, out_tcoh, out_count, ps_neighbours):
    rows, cols, n = slc_t.shape
    nf = float(n)
    for r in prange(row0, row1):
        kmax = (2 * hr + 1) * (2 * hc + 1)
        xb = np.empty((kmax, n), np.complex64)
        xc = np.empty((kmax, n), np.complex64)
        g = np.empty((n, n), np.complex128)
        m = np.empty((n, n), np.complex128)
        absinv = np.empty((n, n), np.float64)
        inv = np.empty((n, n), np.float64)
        v = np.empty(n, np.complex128)
        w = np.empty(n, np.complex128)
        y = np.empty(n, np.complex128)
        ro = r - row0
        for c in range(cols):
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
                        if not is_shp(shp_method, sorted_amp, mean_int, r, c, rr, cc, threshold, nf):
                            continue
                    for i in range(n):
                        sv = slc_t[rr, cc, i]
                        xb[k, i] = sv
                        xc[k, i] = np.conj(sv)
                    k += 1
            # C = sum_k s_k s_k^H as one small GEMM (BLAS limited to one thread by the caller)
            cov = np.dot(xb[:k].T, xc[:k])
            for i in range(n):
                for j in range(n):
                    g[i, j] = cov[i, j]
            ok = True
            for i in range(n):
                if g[i, i].real <= 0:
                    ok = False
            if not ok:
                for i in range(n):
                    out_phase[i, ro, c] = np.nan
                out_tcoh[ro, c] = np.nan
                out_count[ro, c] = k
                continue
            for i in range(n):
                v[i] = 1.0 / np.sqrt(g[i, i].real)
            for i in range(n):
                for j in range(n):
                    g[i, j] = g[i, j] * v[i].real * v[j].real
            out_tcoh[ro, c] = _link_pixel(g, method, beta, v, w, y, absinv, inv, m, n)
            ref = np.conj(v[0])
            for i in range(n):
                out_phase[i, ro, c] = np.angle(v[i] * ref)
            out_count[ro, c] = k


def _single_threaded_blas():
    """Limit BLAS to one thread while the parallel pixel loop runs its small GEMMs.

    Multi-threaded OpenBLAS inside numba's parallel loop oversubscribes the cores and is
    ~10x slower; threadpoolctl (a scikit-learn dependency) is used when present.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: correct but slower without it
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


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
    phase = np.empty((n, r1 - r0, nc), np.float32)
    tcoh = np.empty((r1 - r0, nc), np.float32)
    count = np.empty((r1 - r0, nc), np.int32)
    with _single_threaded_blas():
        _phase_link_kernel(slc_t, usable, ps, sorted_amp, mean_int, SHP_METHODS[shp_method], float(thr),
                           wr // 2, wc // 2, METHODS[method], float(beta), int(r0), int(r1), phase, tcoh, count,
                           bool(ps_neighbours))
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
