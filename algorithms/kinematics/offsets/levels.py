"""Offset tracking: image levels: the high-pass filter, the images' spread and noise, the flat-window thresholds."""

from __future__ import annotations

import functools
import math
import os

import numpy as np

from ..._numba import HELPER_INLINE, njit, prange
from ...errors import GeohazardError


@functools.cache
def _fft_backend():
    """scipy's pocketfft (takes a thread count; numpy's does not), imported on first use: loading the
    provider must not pay for scipy.fft (it pulls scipy.special, linalg and sparse)."""
    try:
        from scipy import fft

        return fft, {"workers": int(os.environ.get("INSAR_GEOHAZARDS_FFT_WORKERS", "-1") or -1)}
    except ImportError:  # pragma: no cover - scipy ships with QGIS
        return np.fft, {}


def highpass(image: np.ndarray, sigma_px: float) -> np.ndarray:
    """``image`` minus its Gaussian blur of ``sigma_px`` (0 = unchanged); NaN spreads over 4 sigma.

    Removes the slowly varying part (illumination, shading, the red spectrum of natural
    terrain) so the correlation peak is sharp and its quality measures mean something. The blur is
    separable (rows, then columns), truncated at 4 sigma, edges continued by the nearest pixel
    (the filter of scipy's ``gaussian_filter(mode="nearest", truncate=4)``); its weights
    come from Python's ``math`` (numpy's vectorised ``exp`` differs by an ulp between CPUs) and each
    output pixel is summed in a fixed order, so the result is the same on every CPU and block.
    """
    if not sigma_px or sigma_px <= 0:
        return image
    img = np.asarray(image, dtype=np.float64)
    bad = ~np.isfinite(img)
    filled = np.where(bad, 0.0, img) if bad.any() else np.ascontiguousarray(img)
    wts = _gauss_weights(float(sigma_px))
    tmp = np.empty_like(filled)
    out = np.empty_like(filled)
    _blur_rows(filled, wts, tmp)
    _blur_cols(tmp, wts, out)
    _subtract_from(out, filled)  # out <- image - blur
    if bad.any():
        from scipy import ndimage

        spread = ndimage.maximum_filter(bad, size=2 * int(math.ceil(4.0 * sigma_px)) + 1)
        out[spread] = np.nan
    return out


@functools.lru_cache(maxsize=16)
def _gauss_weights(sigma_px: float) -> np.ndarray:
    """Half of a normalised Gaussian kernel truncated at 4 sigma: ``[w0, w1, .., wK]`` (``K = int(4 sigma + 0.5)``)."""
    radius = int(4.0 * sigma_px + 0.5)
    phi = [math.exp(-0.5 * (k / sigma_px) ** 2) for k in range(-radius, radius + 1)]
    total = math.fsum(phi)
    return np.array([phi[radius + k] / total for k in range(radius + 1)])


@njit(cache=True, inline=HELPER_INLINE)
def _fold_tap(acc, a, b, wk):
    """``acc += (a + b) * wk`` (1-D)."""
    for m in range(acc.size):
        acc[m] += (a[m] + b[m]) * wk


@njit(cache=True, inline=HELPER_INLINE)
def _scale_into(acc, a, w0):
    """``acc = a * w0`` (1-D)."""
    for m in range(acc.size):
        acc[m] = a[m] * w0


@njit(cache=True, parallel=True)
def _blur_rows(img, wts, out):
    """Gaussian blur along axis 0 (rows), nearest-pixel edges: ``out[r] = w0 img[r] + sum_k wk (img[r-k] + img[r+k])``,
    ``k = 1..K`` in that order."""
    n0 = img.shape[0]
    kk = wts.size - 1
    for r in prange(n0):
        _scale_into(out[r], img[r], wts[0])
        for k in range(1, kk + 1):
            _fold_tap(out[r], img[max(r - k, 0)], img[min(r + k, n0 - 1)], wts[k])


@njit(cache=True, parallel=True)
def _blur_cols(img, wts, out):
    """Gaussian blur along axis 1 (columns), nearest-pixel edges, the same order of sums as :func:`_blur_rows`."""
    n0, n1 = img.shape
    kk = wts.size - 1
    for r in prange(n0):
        # the row continued by kk copies of its end pixels, so every tap is a contiguous slice
        ext = np.empty(n1 + 2 * kk)
        for m in range(kk):
            ext[m] = img[r, 0]
            ext[kk + n1 + m] = img[r, n1 - 1]
        ext[kk:kk + n1] = img[r]
        _scale_into(out[r], ext[kk:kk + n1], wts[0])
        for k in range(1, kk + 1):
            _fold_tap(out[r], ext[kk - k:kk - k + n1], ext[kk + k:kk + k + n1], wts[k])


@njit(cache=True, parallel=True)
def _subtract_from(blur, img):
    """``blur <- img - blur`` in place."""
    for r in prange(blur.shape[0]):
        _rsub(blur[r], img[r])


@njit(cache=True, inline=HELPER_INLINE)
def _rsub(acc, a):
    for m in range(acc.size):
        acc[m] = a[m] - acc[m]


def robust_spread(image: np.ndarray) -> float:
    """Scale of an image's texture: 1.4826 x MAD of its finite values (0 when flat or empty)."""
    v = np.asarray(image, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0
    if v.size > 200_000:  # a regular subsample is enough for a scale
        v = v[:: v.size // 200_000]
    med = np.median(v)
    return float(1.4826 * np.median(np.abs(v - med)))


def sampled_rows(read_rows, n_rows: int, *, n_strips: int = 24, strip_rows: int = 32) -> np.ndarray:
    """``n_strips`` evenly spaced strips of ``strip_rows`` rows of an image, stacked (bounded memory).

    ``read_rows(r0, r1) -> ndarray`` returns rows ``r0:r1``.
    """
    n_rows = int(n_rows)
    starts = np.unique(np.linspace(0, max(0, n_rows - strip_rows), max(1, int(n_strips))).astype(int))
    return np.concatenate([np.asarray(read_rows(int(r), int(min(n_rows, r + strip_rows))), dtype=np.float64)
                           for r in starts])


def sampled_spread(read_rows, n_rows: int, *, n_strips: int = 24, strip_rows: int = 32) -> float:
    """:func:`robust_spread` of an image read as ``n_strips`` evenly spaced strips (:func:`sampled_rows`)."""
    return robust_spread(sampled_rows(read_rows, n_rows, n_strips=n_strips, strip_rows=strip_rows))


#: A sub-block of a window is featureless when its standard deviation is at most ``1 + NOISE_Z / sqrt(2 n)``
#: times the image's noise (``n`` pixels in the sub-block): the standard deviation of ``n`` samples of pure
#: noise scatters by ``1 / sqrt(2 n)`` of itself, so 97.7 % of pure-noise sub-blocks fall below (one-sided,
#: 2 sigma), and a sub-block needs texture of at least 0.43 (16 x 16) to 0.62 (8 x 8) x the noise to count.
NOISE_Z = 2.0


def _laplace_response(img: np.ndarray) -> np.ndarray:
    """Immerkaer's noise mask ``[[1, -2, 1], [-2, 4, -2], [1, -2, 1]]`` over the 3 x 3 neighbourhoods of ``img``
    (finite neighbourhoods only, flattened). It is the difference of two discrete Laplacians: zero on locally
    linear or quadratic brightness, ``6 sigma`` standard deviation on white noise of ``sigma``."""
    v = np.asarray(img, dtype=np.float64)
    if v.ndim != 2 or v.shape[0] < 3 or v.shape[1] < 3:
        return np.zeros(0)
    r = (v[:-2, :-2] + v[:-2, 2:] + v[2:, :-2] + v[2:, 2:]
         - 2.0 * (v[:-2, 1:-1] + v[1:-1, :-2] + v[1:-1, 2:] + v[2:, 1:-1]) + 4.0 * v[1:-1, 1:-1])
    r = r.ravel()
    return r[np.isfinite(r)]


def noise_sigma(image: np.ndarray) -> float:
    """Standard deviation of an image's white noise, estimated from the image itself.

    Immerkaer's mask (:func:`_laplace_response`; Immerkaer 1996, doi:10.1006/cviu.1996.0060) cancels locally
    smooth brightness and keeps most of the noise; the scale of its response is taken robustly, as the
    median absolute value / 0.6745 (Donoho & Johnstone 1994, doi:10.1093/biomet/81.3.425), so edges and
    bright targets do not inflate it: ``sigma = median|r| / (0.6745 x 6)``. Texture with power at the pixel
    scale adds to it (an over-estimate); noise smoothed by resampling lowers it. 0 for a constant image or
    fewer than 3 x 3 finite pixels.
    """
    return _sigma_from_response(_laplace_response(image))


def _sigma_from_response(r: np.ndarray) -> float:
    if r.size == 0:
        return 0.0
    if r.size > 100_000:  # a regular subsample is enough for a scale (its median to ~0.5 %)
        r = r[:: r.size // 100_000]
    return float(np.median(np.abs(r)) / (0.6745 * 6.0))


def pair_noise(reference: np.ndarray, secondary: np.ndarray) -> tuple[float, float]:
    """Upper bounds of the white noise of two co-registered images: ``(sigma_ref, sigma_sec)``, image units.

    Each is the smaller of the image's own :func:`noise_sigma` (its texture at the pixel scale adds to it)
    and the :func:`noise_sigma` of the difference of the two images, ``sqrt(sigma_ref^2 + sigma_sec^2)`` on
    ground that did not move (texture common to both images cancels; motion and misregistration add to it;
    the median ignores them while they cover less than half the image). On a real Sentinel-1 pair of
    coherence maps the difference gives 0.030-0.037 where each image alone gives 0.043-0.046.
    """
    ref = np.asarray(reference, dtype=np.float64)
    sec = np.asarray(secondary, dtype=np.float64)
    both = noise_sigma(ref - sec)
    return min(noise_sigma(ref), both), min(noise_sigma(sec), both)


def sampled_noise(read_ref, read_sec, n_rows: int, *, n_strips: int = 24, strip_rows: int = 8) -> tuple[float, float]:
    """:func:`pair_noise` of two images read as ``n_strips`` evenly spaced strips of ``strip_rows`` rows (each
    filtered on its own: bounded memory, no mask across two strips). ``read_ref(r0, r1)``, ``read_sec(r0, r1)``
    return rows ``r0:r1`` of each image (same grid)."""
    n_rows = int(n_rows)
    starts = np.unique(np.linspace(0, max(0, n_rows - strip_rows), max(1, int(n_strips))).astype(int))
    parts: tuple[list, list, list] = ([], [], [])
    for r in starts:
        r1 = int(min(n_rows, r + strip_rows))
        a = np.asarray(read_ref(int(r), r1), dtype=np.float64)
        b = np.asarray(read_sec(int(r), r1), dtype=np.float64)
        for part, img in zip(parts, (a, b, a - b)):
            part.append(_laplace_response(img))
    ref, sec, both = (_sigma_from_response(np.concatenate(p) if p else np.zeros(0)) for p in parts)
    return min(ref, both), min(sec, both)


def sub_block_pixels(window: int) -> int:
    """Pixels of one sub-block of the flatness test for a ``window`` (:func:`_sub_grid`)."""
    g = max(1, min(4, int(window) // 8))
    return (int(window) // g) ** 2


def flat_thresholds(spread: float, noise_ref: float, noise_sec: float, *, window: int, min_std: float = 0.01,
                    noise_z: float = NOISE_Z) -> tuple[float, float]:
    """Standard deviation at or below which a sub-block of a reference / secondary window is featureless.

    ``max(min_std x spread, (1 + noise_z / sqrt(2 n)) x noise)`` per image, ``n`` = :func:`sub_block_pixels`:
    ``spread`` (:func:`robust_spread` of the reference) guards noise-free images; ``noise_ref`` /
    ``noise_sec`` (:func:`pair_noise`, image units) make a patch of pure noise (snow, cloud, a saturated or
    filled area with sensor noise) featureless: its sub-blocks' standard deviation stays below the bound
    with probability Phi(noise_z).
    """
    if not noise_z >= 0:
        raise GeohazardError(f"noise_z must be >= 0, got {noise_z!r}")
    base = float(min_std) * float(spread)
    factor = 1.0 + float(noise_z) / math.sqrt(2.0 * sub_block_pixels(window))
    return max(base, factor * float(noise_ref)), max(base, factor * float(noise_sec))


def _threshold_pair(min_std_abs) -> tuple[float, float]:
    """``(reference, secondary)`` flatness thresholds from one value or a pair."""
    if np.ndim(min_std_abs) == 0:
        return float(min_std_abs), float(min_std_abs)
    a, b = min_std_abs
    return float(a), float(b)


def _typical(img: np.ndarray) -> float:
    """Mean of the finite values of a regular subsample of ``img`` (0 when none)."""
    v = np.asarray(img)[::7, ::7]
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else 0.0


def image_levels(reference, secondary, *, highpass_px: float = 0.0) -> tuple[float, float]:
    """Constants :func:`offset_block` subtracts from the two images before its single-precision correlations
    (the NCC ignores them): 0 after the high-pass filter (zero local mean), else a typical value of each
    (``reference``/``secondary``: arrays, e.g. evenly spaced strips of the images)."""
    if highpass_px and highpass_px > 0:
        return 0.0, 0.0
    return _typical(reference), _typical(secondary)
