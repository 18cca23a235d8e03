"""Statistically homogeneous pixels (SHP): which neighbours share a pixel's amplitude statistics.

Two tests on the amplitude time series of a pixel ``p`` and a neighbour ``q`` (``N``
dates each), both under circular Gaussian speckle:

* **KS** — two-sample Kolmogorov-Smirnov on the amplitude samples (Ferretti et al.
  2011, SqueeSAR): ``D = max |F_p - F_q|``; ``q`` is homogeneous when
  ``D <= c(alpha) sqrt(2 / N)`` with ``c(alpha) = sqrt(-ln(alpha / 2) / 2)``.
* **GLRT** — generalised likelihood ratio for the scale of exponential intensities
  (Parizzi & Brcic 2011): with ``s_p, s_q`` the mean intensities and
  ``s = (s_p + s_q) / 2``, ``-2 ln(Lambda) = 2 N_eff (2 ln s - ln s_p - ln s_q)``, which is
  asymptotically chi-square with one degree of freedom; ``q`` is homogeneous when it is
  below the ``1 - alpha`` quantile. ``N_eff = N / 2``: the intensities of a coherent DS are
  correlated in time, so ``N`` dates carry fewer independent samples (the variance of a
  mean of exponentials with correlation ``|gamma|^2`` grows by ``1 + 2 sum |gamma_k|^2``);
  with ``N_eff = N`` far more than ``alpha`` of truly homogeneous neighbours are rejected
  (measured on simulated stacks, see docs/psds.md). The same statistic as dolphin's.

Pixels with missing data are never neighbours of another pixel; :func:`shp_mask` can keep
PS pixels out too (phase linking lets them in by default, as dolphin does).

References
----------
Ferretti A. et al. (2011), A new algorithm for processing interferometric data-stacks:
SqueeSAR, IEEE TGRS 49(9), doi:10.1109/TGRS.2011.2124465.
Parizzi A., Brcic R. (2011), Adaptive InSAR stack multilooking exploiting amplitude
statistics, IEEE GRSL 8(3), doi:10.1109/LGRS.2010.2083631.
"""

from __future__ import annotations

import math

import numpy as np

from ..._numba import njit, prange
from ...errors import GeohazardError

#: Method codes shared with the phase-linking kernel.
SHP_METHODS = {"glrt": 0, "ks": 1, "rect": 2}


def shp_threshold(method: str, alpha: float, n_dates: int) -> float:
    """Critical value of the SHP test (statistic above it = not homogeneous)."""
    if method not in SHP_METHODS:
        raise GeohazardError(f"shp_method must be one of {sorted(SHP_METHODS)}, got {method!r}")
    if method == "rect":
        return np.inf
    if not 0 < alpha < 1:
        raise GeohazardError(f"alpha (significance level) must be in (0, 1), got {alpha}")
    if method == "ks":
        return math.sqrt(-0.5 * math.log(alpha / 2.0)) * math.sqrt(2.0 / n_dates)
    # the chi-square quantile as scipy.stats.chi2.ppf(1 - alpha, 1) computes it (the same bits), without importing
    # scipy.stats: ~0.25 s of every phase-linking run
    from scipy.special import gammaincinv

    return float(2.0 * gammaincinv(0.5, 1.0 - alpha))


@njit
def ks_statistic(a_sorted, b_sorted):
    """Two-sample KS statistic of two sorted samples of equal length."""
    n = a_sorted.shape[0]
    i = 0
    j = 0
    d = 0.0
    while i < n and j < n:
        if a_sorted[i] <= b_sorted[j]:
            x = a_sorted[i]
        else:
            x = b_sorted[j]
        while i < n and a_sorted[i] <= x:
            i += 1
        while j < n and b_sorted[j] <= x:
            j += 1
        diff = abs(i - j) / n
        if diff > d:
            d = diff
    return d


# The GLRT's arithmetic, written once for scalars and arrays alike: the kernels call these per neighbour, the
# phase-linking numpy path (:mod:`.vectorised`) on arrays of pairs (their Python functions, with the C library's
# logarithm element by element: the same bits). The logarithms are the caller's (cached per pixel in the kernel).
@njit(inline="always")
def pair_mean(mean_p, mean_q):
    """``s = (s_p + s_q) / 2``, the pooled mean intensity of the GLRT."""
    return 0.5 * (mean_p + mean_q)


@njit(inline="always")
def glrt_from_logs(log_pair, log_p, log_q, n):
    """``2 N_eff (2 ln s - ln s_p - ln s_q)``, ``N_eff = n / 2``, from the logarithms of :func:`pair_mean` and of the
    two mean intensities."""
    return n * (2.0 * log_pair - log_p - log_q)


@njit(inline="always")
def glrt_homogeneous(mean_p, mean_q, log_pair, log_p, log_q, n, threshold):
    """Whether the GLRT takes ``q`` as homogeneous with ``p``: both mean intensities positive and
    :func:`glrt_from_logs` at most ``threshold`` (``&``: element by element on arrays)."""
    return (mean_p > 0.0) & (mean_q > 0.0) & (glrt_from_logs(log_pair, log_p, log_q, n) <= threshold)


@njit
def glrt_statistic(mean_p, mean_q, n):
    """``2 N_eff (2 ln((s_p + s_q) / 2) - ln s_p - ln s_q)``, ``N_eff = n / 2``, for mean intensities ``s``."""
    if mean_p <= 0.0 or mean_q <= 0.0:
        return np.inf
    return glrt_from_logs(math.log(pair_mean(mean_p, mean_q)), math.log(mean_p), math.log(mean_q), n)


@njit
def is_shp(method, sorted_amp, mean_int, r, c, rr, cc, threshold, n):
    if method == 2:
        return True
    if method == 0:
        return glrt_statistic(mean_int[r, c], mean_int[rr, cc], n) <= threshold
    return ks_statistic(sorted_amp[r, c], sorted_amp[rr, cc]) <= threshold


def shp_inputs(slc_t, method: str):
    """Per-pixel statistics for the tests: sorted amplitudes (KS) and mean intensity (GLRT).

    ``slc_t`` is ``(rows, cols, n_dates)``.
    """
    amp = np.abs(slc_t).astype(np.float32)
    mean_int = np.mean(amp.astype(np.float64) ** 2, axis=2)
    if method == "ks":
        sorted_amp = np.sort(amp, axis=2)
    else:
        sorted_amp = np.zeros((1, 1, 1), np.float32)
    return sorted_amp, mean_int


@njit(parallel=True)
def _shp_mask_kernel(sorted_amp, mean_int, usable, method, threshold, n, hr, hc, out):
    rows, cols = usable.shape
    for r in prange(rows):
        for c in range(cols):
            if not usable[r, c]:
                continue
            for dr in range(-hr, hr + 1):
                rr = r + dr
                if rr < 0 or rr >= rows:
                    continue
                for dc in range(-hc, hc + 1):
                    cc = c + dc
                    if cc < 0 or cc >= cols or not usable[rr, cc]:
                        continue
                    if (dr == 0 and dc == 0) or is_shp(method, sorted_amp, mean_int, r, c, rr, cc, threshold, n):
                        out[r, c, dr + hr, dc + hc] = True


def shp_mask(slc, *, window=(11, 11), method: str = "glrt", alpha: float = 0.05, ps_mask=None) -> np.ndarray:
    """Statistically homogeneous neighbours of every pixel.

    Parameters
    ----------
    slc : ndarray, shape (n_dates, rows, cols)
        Complex SLC stack (or amplitudes).
    window : (rows, cols)
        Odd window size in pixels.
    method : {"glrt", "ks", "rect"}
        Test (``rect`` = every valid neighbour).
    alpha : float
        Significance level of the test (probability of rejecting a truly homogeneous
        neighbour).
    ps_mask : ndarray of bool, shape (rows, cols), optional
        PS pixels to keep out of every window (never neighbours of another pixel).

    Returns
    -------
    ndarray of bool, shape (rows, cols, window_rows, window_cols)
        ``True`` where the neighbour at that window offset is homogeneous (the centre is
        always ``True`` for a valid pixel).
    """
    arr = np.asarray(slc)
    if arr.ndim != 3:
        raise GeohazardError(f"slc must be (n_dates, rows, cols), got shape {arr.shape}")
    wr, wc = (int(window[0]), int(window[1]))
    if wr < 1 or wc < 1 or wr % 2 == 0 or wc % 2 == 0:
        raise GeohazardError(f"window must be odd sizes >= 1, got {window}")
    n = arr.shape[0]
    thr = shp_threshold(method, alpha, n)
    slc_t = np.ascontiguousarray(np.moveaxis(arr, 0, -1))
    usable = np.all(np.isfinite(slc_t), axis=2) & np.any(slc_t != 0, axis=2)
    if ps_mask is not None:
        usable &= ~np.asarray(ps_mask, bool)
    sorted_amp, mean_int = shp_inputs(slc_t, method)
    out = np.zeros(arr.shape[1:] + (wr, wc), bool)
    _shp_mask_kernel(sorted_amp, mean_int, usable, SHP_METHODS[method], thr, float(n), wr // 2, wc // 2, out)
    return out
