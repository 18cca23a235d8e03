"""Offset tracking: dense displacement fields from two co-registered images by normalised cross-correlation.

Conventions
-----------
* Offsets are the displacement of the ground **from the reference image to the secondary
  image**: a feature at pixel ``(row, col)`` of the reference is found at
  ``(row + dy, col + dx)`` of the secondary. ``dx`` is along columns (range in radar
  geometry, east-ish in map geometry), ``dy`` along rows (azimuth, or south in a north-up
  map). Both are in pixels of the reference grid.
* The output grid samples the reference every ``step`` pixels: output cell ``(i, j)``
  covers reference rows ``i*step .. (i+1)*step`` and columns ``j*step .. (j+1)*step``, and
  its window of ``window x window`` pixels is centred on the cell within half a pixel
  (:func:`output_grid` gives the exact origin shift so the output raster is georeferenced
  on the window centres).

Method
------
1. **Integer search** (normalised cross-correlation, NCC): for every output cell the
   zero-mean reference window ``R`` (``w x w``) is correlated with every ``w x w`` window of
   the secondary inside a search area ``(w + 2s) x (w + 2s)`` (lags ``-s .. s``), computed
   with FFTs of size ``w + 2s`` and normalised with running sums (the NCC of Lewis 1995):
   ``NCC(u, v) = sum(R0 * S_uv) / (|R0| * |S_uv - mean(S_uv)|)``, in ``[-1, 1]``. When the step
   and the window share a divisor ``T >= 2`` the windows are unions of ``T x T`` tiles shared by
   neighbouring cells: ``sum(R * S_uv)`` is the sum of the tiles' correlations, each by FFTs of
   size ``T + 2s`` (:func:`_match_tiled`; same values to single-precision rounding, ~5x fewer
   FFT operations at the defaults).
2. **Quality** of the NCC surface: ``ncc`` = its maximum; ``peak_ratio`` = maximum / second
   highest local maximum (PIV's primary-to-secondary peak ratio, Keane & Adrian 1992; 1 means
   two equal candidates); ``snr`` = maximum / mean absolute NCC over the search area (as
   ampcor/COSI-Corr report it). A maximum on the border of the search area is refused
   (the true peak may lie outside).
3. **Sub-pixel peak**: ``"dft"`` (default) extracts the secondary window at the integer
   peak and locates the residual shift (within +-0.75 px) by the matrix-multiply upsampled
   DFT of the cross-power spectrum (Guizar-Sicairos et al. 2008), upsampling ``upsample``
   times, then a 3-point parabola on the upsampled peak. Both windows are Hann-tapered (the
   circular correlation otherwise sees the windows' edges, where shifted content differs:
   0.08-0.17 px RMS instead of 0.01-0.015 on our textures) and the cross-power spectrum is
   divided by the square root of its modulus (half-way between plain and phase correlation:
   pure phase correlation lets the noisy weak frequencies of smooth textures dominate);
   ``"parabolic"`` and ``"gaussian"`` fit the 3-point NCC neighbourhood of the integer peak
   in each axis (faster, biased towards whole pixels by up to ~0.1 px: "peak locking").
4. **Rejection**: cells whose window or search area leaves the image or holds nodata, whose
   reference or secondary window has no texture in one of its sub-blocks (:func:`_sub_grid`; standard
   deviation within ``1 + 2 / sqrt(2 n)`` times the image's noise, :func:`pair_noise`, or below
   ``min_std`` x the image's robust spread: a partly featureless window is steered by the edge of its
   flat part), whose peak is on the search border, or whose
   ``ncc`` / ``peak_ratio`` fall below ``min_ncc`` / ``min_peak_ratio`` get NaN offsets and a
   flag (:data:`FLAGS`). Featureless or pure-noise areas therefore come out NaN, never as a
   confident offset.
5. **Outliers** (:func:`normalized_median_test`, Westerweel & Scarano 2005): the residual of
   each vector to the median of its 3 x 3 neighbours, normalised by the median residual of
   the neighbours plus ``eps`` (0.1 px), must stay below ``threshold`` (2).
6. **Stable-area bias** (:func:`stable_bias`): the median offset over cells marked stable is
   subtracted (co-registration / mosaicking residuals, e.g. Dehecq et al. 2015).

References
----------
Lewis J.P. (1995) Fast normalized cross-correlation. Vision Interface 95.
Guizar-Sicairos M., Thurman S.T., Fienup J.R. (2008) Efficient subpixel image registration
algorithms. Opt. Lett. 33(2), 156-158. doi:10.1364/OL.33.000156
Keane R.D., Adrian R.J. (1992) Theory of cross-correlation analysis of PIV images. Appl. Sci.
Res. 49, 191-215. doi:10.1007/BF00384623
Westerweel J., Scarano F. (2005) Universal outlier detection for PIV data. Exp. Fluids 39,
1096-1100. doi:10.1007/s00348-005-0016-6
Immerkaer J. (1996) Fast noise variance estimation. Comput. Vis. Image Underst. 64(2), 300-302.
doi:10.1006/cviu.1996.0060
Donoho D.L., Johnstone I.M. (1994) Ideal spatial adaptation by wavelet shrinkage. Biometrika 81(3),
425-455. doi:10.1093/biomet/81.3.425
Debella-Gilo M., Kaab A. (2011) Sub-pixel precision image matching for measuring surface
displacements on mass movements using normalized cross-correlation. Remote Sens. Environ.
115, 130-142. doi:10.1016/j.rse.2010.08.012
"""

from __future__ import annotations

import functools
import math
import os
from typing import Optional

import numpy as np

from .._numba import HELPER_INLINE, njit, prange
from ..errors import GeohazardError
from ..progress import info


@functools.cache
def _fft_backend():
    """scipy's pocketfft (takes a thread count; numpy's does not), imported on first use: loading the
    provider must not pay for scipy.fft (it pulls scipy.special, linalg and sparse)."""
    try:
        from scipy import fft

        return fft, {"workers": int(os.environ.get("INSAR_GEOHAZARDS_FFT_WORKERS", "-1") or -1)}
    except ImportError:  # pragma: no cover - scipy ships with QGIS
        return np.fft, {}


SUBPIXEL_METHODS = ("dft", "parabolic", "gaussian")

#: Quality flags of each output cell (0 = valid offset).
FLAGS = {
    0: "valid",
    1: "outside the image or nodata in the window / search area",
    2: "no texture (reference or secondary window flat)",
    3: "correlation peak on the border of the search area",
    4: "correlation peak below the minimum NCC",
    5: "peak ratio below the minimum (ambiguous match)",
    6: "outlier (normalised median test)",
}
FLAG_VALID, FLAG_OUTSIDE, FLAG_FLAT, FLAG_BORDER, FLAG_LOW_NCC, FLAG_AMBIGUOUS, FLAG_OUTLIER = range(7)

#: Outputs of :func:`offset_block` (each ``(n_out_rows, n_out_cols)``).
BLOCK_OUTPUTS = ("dx", "dy", "ncc", "peak_ratio", "snr", "flag")


# --------------------------------------------------------------------------- options and grid
def check_options(window: int, search: int, step: int, *, subpixel: str = "dft", upsample: int = 10,
                  min_ncc: float = 0.2, min_peak_ratio: float = 1.1) -> None:
    """Raise a :class:`GeohazardError` naming the first option out of range."""
    if int(window) != window or window < 8:
        raise GeohazardError(f"window must be an integer of at least 8 pixels, got {window!r}")
    if int(search) != search or search < 1:
        raise GeohazardError(f"search must be an integer of at least 1 pixel, got {search!r}")
    if int(step) != step or step < 1:
        raise GeohazardError(f"step must be an integer of at least 1 pixel, got {step!r}")
    if subpixel not in SUBPIXEL_METHODS:
        raise GeohazardError(f"subpixel must be one of {SUBPIXEL_METHODS}, got {subpixel!r}")
    if int(upsample) != upsample or not 2 <= upsample <= 1000:
        raise GeohazardError(f"upsample must be an integer in 2..1000, got {upsample!r}")
    if not -1.0 <= min_ncc < 1.0:
        raise GeohazardError(f"min_ncc must be in [-1, 1), got {min_ncc!r}")
    if not min_peak_ratio >= 1.0:
        raise GeohazardError(f"min_peak_ratio must be >= 1, got {min_peak_ratio!r}")


def output_grid(n_rows: int, n_cols: int, *, window: int, step: int) -> tuple[int, int, float]:
    """Output grid size and origin shift: ``(n_out_rows, n_out_cols, shift_px)``.

    Output cell ``i`` has its window starting at reference row ``i*step + (step - window)//2``;
    its centre is ``i*step + step/2 + shift_px`` (pixel-corner coordinates), ``shift_px`` in
    ``{0, -0.5}``. The output raster's origin is the reference origin moved by ``shift_px``
    pixels along both axes, its pixel size ``step`` reference pixels.
    """
    w, st = int(window), int(step)
    shift = (st - w) // 2 + w / 2.0 - st / 2.0
    return -(-int(n_rows) // st), -(-int(n_cols) // st), float(shift)


def halo_rows(window: int, search: int, step: int, highpass_px: float = 0.0) -> int:
    """Rows of context a block needs above and below: ``window/2 + search``, one step of rounding
    and the high-pass filter's reach (4 sigma)."""
    return (int(window) + 1) // 2 + int(search) + int(step) + int(math.ceil(4.0 * max(0.0, highpass_px)))


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


# --------------------------------------------------------------------------- kernels
@njit(cache=True)
def _box_sums(img, w):
    """Sums and sums of squares of every ``w x w`` window of ``img`` (valid positions)."""
    n0, n1 = img.shape
    m0, m1 = n0 - w + 1, n1 - w + 1
    c = np.zeros((n0 + 1, n1 + 1))
    c2 = np.zeros((n0 + 1, n1 + 1))
    for i in range(n0):
        for j in range(n1):
            v = img[i, j]
            c[i + 1, j + 1] = v + c[i, j + 1] + c[i + 1, j] - c[i, j]
            c2[i + 1, j + 1] = v * v + c2[i, j + 1] + c2[i + 1, j] - c2[i, j]
    s = np.empty((m0, m1))
    s2 = np.empty((m0, m1))
    for i in range(m0):
        for j in range(m1):
            s[i, j] = c[i + w, j + w] - c[i, j + w] - c[i + w, j] + c[i, j]
            s2[i, j] = c2[i + w, j + w] - c2[i, j + w] - c2[i + w, j] + c2[i, j]
    return s, s2


@njit(cache=True, parallel=True)
def _ncc_peaks(corr, search_areas, ref_norm, w, min_std_abs, subpix_mode, out):
    """Normalise correlation surfaces and pick their peaks.

    corr : (n, L, L) raw correlations sum(R0 * S) at lags 0..L-1 (L = 2s + 1)
    search_areas : (n, w + 2s, w + 2s)
    ref_norm : (n,) |R0|
    out : (n, 8) -> [iy, ix, ncc, peak_ratio, snr, sub_dy, sub_dx, flag]
    subpix_mode : 0 none (dft later), 1 parabolic, 2 gaussian
    """
    n, L, _ = corr.shape
    npx = w * w
    for k in prange(n):
        s, s2 = _box_sums(search_areas[k], w)
        ncc = np.empty((L, L))
        flat = False
        for i in range(L):
            for j in range(L):
                var = s2[i, j] - s[i, j] * s[i, j] / npx
                if var <= (min_std_abs * min_std_abs) * npx or ref_norm[k] <= 0.0:
                    ncc[i, j] = np.nan
                    if i == (L - 1) // 2 and j == (L - 1) // 2:
                        flat = True
                else:
                    ncc[i, j] = corr[k, i, j] / (ref_norm[k] * math.sqrt(var))
        _pick_peak(ncc, flat, subpix_mode, out[k])


@njit(cache=True)
def _pick_peak(ncc, flat, subpix_mode, out):
    """Peak of one NCC surface (L, L; NaN = undefined) and its quality, into
    ``out = [iy, ix, ncc, peak_ratio, snr, sub_dy, sub_dx, flag]``."""
    L = ncc.shape[0]
    best = -2.0
    bi = -1
    bj = -1
    total = 0.0
    cnt = 0
    for i in range(L):
        for j in range(L):
            v = ncc[i, j]
            if v == v:
                total += abs(v)
                cnt += 1
                if v > best:
                    best = v
                    bi = i
                    bj = j
    out[0] = bi
    out[1] = bj
    out[2] = best if bi >= 0 else np.nan
    out[5] = 0.0
    out[6] = 0.0
    if bi < 0 or flat:
        out[2] = np.nan
        out[3] = np.nan
        out[4] = np.nan
        out[7] = FLAG_FLAT
        return
    # second highest local maximum (3 x 3 neighbourhood, NaN neighbours ignored)
    second = -2.0
    for i in range(L):
        for j in range(L):
            v = ncc[i, j]
            if not v > second or (i == bi and j == bj):
                continue  # NaN, or cannot raise the second maximum: no need to test the neighbourhood
            is_max = True
            for di in range(-1, 2):
                for dj in range(-1, 2):
                    ii = i + di
                    jj = j + dj
                    if (di != 0 or dj != 0) and 0 <= ii < L and 0 <= jj < L:
                        u = ncc[ii, jj]
                        if u == u and u > v:
                            is_max = False
            if is_max and v > second:
                second = v
    if second > 0.0:
        out[3] = best / second
    else:
        out[3] = np.inf if best > 0.0 else 1.0
    out[4] = best / (total / cnt) if total > 0.0 else np.nan
    if bi == 0 or bj == 0 or bi == L - 1 or bj == L - 1:
        out[7] = FLAG_BORDER
        return
    out[7] = FLAG_VALID
    if subpix_mode == 0:
        return
    cm, cp, c0 = ncc[bi - 1, bj], ncc[bi + 1, bj], best
    rm, rp = ncc[bi, bj - 1], ncc[bi, bj + 1]
    out[5] = _fit3(cm, c0, cp, subpix_mode)
    out[6] = _fit3(rm, c0, rp, subpix_mode)


@njit(cache=True)
def _fit3(a, b, c, mode):
    """Vertex of a parabola (mode 1) or Gaussian (mode 2) through (-1, a), (0, b), (1, c)."""
    if not (a == a and c == c):
        return 0.0
    if mode == 2 and a > 0.0 and b > 0.0 and c > 0.0:
        la, lb, lc = math.log(a), math.log(b), math.log(c)
        den = 2.0 * (la - 2.0 * lb + lc)
        if den < 0.0:
            d = (la - lc) / den
            return min(max(d, -0.5), 0.5)
    den = 2.0 * (a - 2.0 * b + c)
    if den < 0.0:
        d = (a - c) / den
        return min(max(d, -0.5), 0.5)
    return 0.0


@njit(cache=True, inline=HELPER_INLINE)
def _add_into(acc, a):
    """``acc += a`` (1-D)."""
    for m in range(acc.size):
        acc[m] += a[m]


@njit(cache=True, inline=HELPER_INLINE)
def _dev_into(acc, acc2, a, x0):
    """``acc += a - x0``, ``acc2 += (a - x0)^2`` (1-D)."""
    for m in range(acc.size):
        d = a[m] - x0
        acc[m] += d
        acc2[m] += d * d


@njit(cache=True, inline=HELPER_INLINE)
def _taper_row(out, a, tap, mean):
    """``out = tap * (a - mean)`` (1-D, single precision out)."""
    for m in range(out.size):
        out[m] = tap[m] * (a[m] - mean)


@njit(cache=True)
def _lane_total(lanes):
    """Sum of the per-column partial sums, left to right (the fixed order that makes window sums the same
    whatever vector width the CPU has)."""
    t = 0.0
    for j in range(lanes.size):
        t += lanes[j]
    return t


@njit(cache=True, parallel=True)
def _tapered_windows(src, idx, r0, c0, tap, out):
    """``out[k] = taper * (window - mean)`` of ``src[idx[k], r0[k]:r0[k] + w, c0[k]:c0[k] + w]`` (float32).

    The mean is summed per column over the rows, then across the columns: a fixed order, vectorised."""
    w = tap.shape[0]
    for k in prange(idx.size):
        q = idx[k]
        lanes = np.zeros(w)
        for i in range(w):
            _add_into(lanes, src[q, r0[k] + i, c0[k]:c0[k] + w])
        mean = _lane_total(lanes) / (w * w)
        for i in range(w):
            _taper_row(out[k, i], src[q, r0[k] + i, c0[k]:c0[k] + w], tap[i], mean)


@functools.lru_cache(maxsize=16)
def _taper(w: int) -> np.ndarray:
    """2-D Hann taper of a ``w x w`` window (no zero samples): the circular correlation of two
    windows then ignores their edges, where the shifted content differs. Made with Python's ``math``
    (the same values on every CPU)."""
    t = np.array([0.5 - 0.5 * math.cos(2.0 * math.pi * k / (w + 1)) for k in range(1, w + 1)])
    return np.outer(t, t)


@functools.lru_cache(maxsize=16)
def _dft_tables(w: int, upsample: int):
    """Tables of the upsampled DFT over shifts ``0 .. 0.75 px`` (Guizar-Sicairos 2008), the negative shifts by symmetry.

    Returns ``(row_cos, row_sin, col_cos, col_sin, col_w, shifts)``: ``row_cos[a, i] = cos(2 pi f_i t_a)`` over
    the signed DFT frequencies ``f_i`` of the rows (cycles per pixel) and the shifts ``t_a = a / upsample``,
    ``a = 0 .. ceil(0.75 upsample)``; ``col_cos[j, a]`` the same over the non-negative frequencies of a real
    FFT along the columns; ``col_w`` their Hermitian weights (each half-spectrum column stands for itself and
    its mirror); ``shifts`` every sampled shift, ``-t_max .. t_max`` (pixels). Single precision, made with
    Python's ``math``.
    """
    half = int(math.ceil(0.75 * upsample))
    fr = [k / w if k < (w + 1) // 2 else (k - w) / w for k in range(w)]  # numpy.fft.fftfreq(w)
    fc = [k / w for k in range(w // 2 + 1)]  # numpy.fft.rfftfreq(w)
    ang_r = [[2.0 * math.pi * f * (a / upsample) for f in fr] for a in range(half + 1)]
    ang_c = [[2.0 * math.pi * f * (a / upsample) for a in range(half + 1)] for f in fc]
    row_cos = np.array([[math.cos(x) for x in row] for row in ang_r], np.float32)
    row_sin = np.array([[math.sin(x) for x in row] for row in ang_r], np.float32)
    col_cos = np.array([[math.cos(x) for x in row] for row in ang_c], np.float32)
    col_sin = np.array([[math.sin(x) for x in row] for row in ang_c], np.float32)
    col_w = np.full(len(fc), 2.0, np.float32)
    col_w[0] = 1.0
    if w % 2 == 0:
        col_w[-1] = 1.0
    shifts = np.arange(-half, half + 1) / float(upsample)
    return row_cos, row_sin, col_cos, col_sin, col_w, shifts


# --------------------------------------------------------------------------- patches
def _patches(img: np.ndarray, starts_r: np.ndarray, starts_c: np.ndarray, size: int) -> np.ndarray:
    """``(n, size, size)`` windows of ``img`` starting at ``(starts_r[k], starts_c[k])`` (copies)."""
    view = np.lib.stride_tricks.sliding_window_view(img, (size, size))
    return np.ascontiguousarray(view[starts_r, starts_c])


def match_patches(ref_windows: np.ndarray, search_areas: np.ndarray, *, subpixel: str = "dft",
                  upsample: int = 10, min_std_abs=0.0, raw_ref=None, raw_search=None) -> np.ndarray:
    """Match ``n`` reference windows inside their search areas.

    Parameters
    ----------
    ref_windows : ndarray (n, w, w)
        Reference windows (finite).
    search_areas : ndarray (n, w + 2s, w + 2s)
        Secondary image around each window (finite); the window at lag 0 is centred.
    subpixel : {"dft", "parabolic", "gaussian"}
    upsample : int
        Upsampling factor of the DFT refinement.
    min_std_abs : float or (float, float)
        Windows whose standard deviation is at or below this are flat (flag 2); a pair gives the
        reference's and the secondary's (:func:`flat_thresholds`).
    raw_ref, raw_search : ndarray, optional
        The same windows before pre-filtering (``raw_search`` may also be ``(rows, col0)``: the
        search areas' rows of the raw secondary and each area's first column): flatness is judged
        on them, per 4 x 4 sub-block (a high-pass filter makes texture leak into flat areas near
        their edges, and a window partly flat is steered by the flat part's edge).

    Returns
    -------
    ndarray (n, 6)
        ``dy, dx`` (pixels, reference -> secondary), ``ncc``, ``peak_ratio``, ``snr``, ``flag``.
    """
    ref = np.asarray(ref_windows, dtype=np.float64)
    sea = np.asarray(search_areas, dtype=np.float64)
    n, w = ref.shape[0], ref.shape[1]
    big = sea.shape[1]
    s = (big - w) // 2
    L = 2 * s + 1
    result = np.full((n, 6), np.nan)
    if n == 0:
        return result
    ref0 = ref - ref.mean(axis=(1, 2), keepdims=True)
    ref_norm = np.sqrt((ref0 * ref0).sum(axis=(1, 2)))
    ref_min, sec_min = _threshold_pair(min_std_abs)
    lag_min = sec_min
    if raw_ref is not None:
        ref_flat = _min_sub_std(np.asarray(raw_ref, dtype=np.float64)) <= ref_min
        lag_min = 0.0
    else:
        ref_flat = ref_norm <= ref_min * w
    ref_flat |= ref_norm <= 1e-12 * (np.abs(ref).max(axis=(1, 2)) + 1e-300) * w
    # correlation at lags 0..2s by FFT of size w + 2s (no wrap-around inside those lags)
    # single precision is plenty for locating the integer peak (NCC error ~1e-6) and halves the FFT time
    _fft, _FFT_KW = _fft_backend()
    fr = _fft.rfft2(ref0.astype(np.float32), s=(big, big), **_FFT_KW)
    fs = _fft.rfft2(sea.astype(np.float32), **_FFT_KW)
    corr = _fft.irfft2(np.conj(fr) * fs, s=(big, big), **_FFT_KW)[:, :L, :L]
    corr = np.ascontiguousarray(corr, dtype=np.float64)
    mode = {"dft": 0, "parabolic": 1, "gaussian": 2}[subpixel]
    peaks = np.zeros((n, 8))
    _ncc_peaks(corr, sea, np.where(ref_flat, 0.0, ref_norm), w, float(lag_min), mode, peaks)
    flag = peaks[:, 7].astype(np.int64)
    flag[ref_flat] = FLAG_FLAT
    iy = peaks[:, 0].astype(np.int64)
    ix = peaks[:, 1].astype(np.int64)
    sub_y, sub_x = peaks[:, 5].copy(), peaks[:, 6].copy()
    ok = flag == FLAG_VALID
    if raw_search is not None and ok.any():
        idx = np.nonzero(ok)[0]
        if isinstance(raw_search, tuple):  # (rows of the raw secondary, first column of each search area)
            rows2d, col0 = raw_search
            raw_sec = _patches(rows2d, iy[idx], col0[idx] + ix[idx], w)
        else:
            raw_sec = _patches_batch(np.asarray(raw_search, dtype=np.float64), idx, iy[idx], ix[idx], w)
        flat_sec = _min_sub_std(raw_sec) <= sec_min
        flag[idx[flat_sec]] = FLAG_FLAT
        ok = flag == FLAG_VALID
    if subpixel == "dft" and ok.any():
        idx = np.nonzero(ok)[0]
        tap = _taper(w).astype(np.float32)
        a = np.empty((idx.size, w, w), np.float32)
        b = np.empty((idx.size, w, w), np.float32)
        _tapered_windows(ref, idx, np.zeros(idx.size, np.int64), np.zeros(idx.size, np.int64), tap, a)
        _tapered_windows(sea, idx, iy[idx], ix[idx], tap, b)
        sub_y[idx], sub_x[idx] = _refine_dft(a, b, int(upsample))
    result[:, 0] = np.where(ok, iy - s + sub_y, np.nan)
    result[:, 1] = np.where(ok, ix - s + sub_x, np.nan)
    result[:, 2] = peaks[:, 2]
    result[:, 3] = peaks[:, 3]
    result[:, 4] = peaks[:, 4]
    result[:, 5] = flag
    return result


def _refine_dft(a: np.ndarray, b: np.ndarray, upsample: int) -> tuple[np.ndarray, np.ndarray]:
    """Residual shift ``(dy, dx)`` (pixels, within +-0.75) of the tapered windows ``b`` relative to ``a``
    (both ``(n, w, w)`` float32) by the upsampled DFT of their partially whitened cross-power spectrum.

    Each window's result depends on that window only (never on which others share the batch) and is
    summed in a fixed order (:func:`_upsampled_peaks`): the same bytes whatever the blocks, threads or CPU.
    """
    n_sel, w = a.shape[0], a.shape[1]
    row_cos, row_sin, col_cos, col_sin, col_w, shifts = _dft_tables(w, int(upsample))
    # real windows: half spectrum along columns (Hermitian), single precision (peak error < 1e-4 px)
    _fft, _FFT_KW = _fft_backend()
    loc = np.zeros((n_sel, 2))
    _upsampled_peaks(_fft.rfft2(a, **_FFT_KW), _fft.rfft2(b, **_FFT_KW), row_cos, row_sin, col_cos, col_sin,
                     col_w, loc)
    step = shifts[1] - shifts[0]
    return shifts[0] + loc[:, 0] * step, shifts[0] + loc[:, 1] * step


@njit(cache=True, inline=HELPER_INLINE)
def _cross_row(fa, fb, col_w, out):
    """One row of the partially whitened cross-power spectrum ``P = fb conj(fa) / |fb conj(fa)|^(1/2) * col_w``,
    real and imaginary parts interleaved in ``out`` (single precision)."""
    for j in range(fa.size):
        a = fa[j]
        z = fb[j]
        re = z.real * a.real + z.imag * a.imag
        im = z.imag * a.real - z.real * a.imag
        f = col_w[j] / (math.sqrt(math.sqrt(re * re + im * im)) + np.float32(1e-30))
        out[2 * j] = re * f
        out[2 * j + 1] = im * f


@njit(cache=True, inline=HELPER_INLINE)
def _axpy(acc, x, c):
    """``acc += c * x`` (1-D)."""
    for m in range(acc.size):
        acc[m] += c * x[m]


@njit(cache=True, inline=HELPER_INLINE)
def _fold_pair(a, b, plus, minus):
    """``plus = a + b``, ``minus = a - b`` (1-D)."""
    for m in range(a.size):
        plus[m] = a[m] + b[m]
        minus[m] = a[m] - b[m]


@njit(cache=True, parallel=True)
def _upsampled_peaks(fa, fb, row_cos, row_sin, col_cos, col_sin, col_w, out):
    """Peaks of the upsampled cross-correlation surfaces of ``n`` window pairs, sub-sample refined.

    ``fa``, ``fb`` (n, w, w//2 + 1) are the half spectra (``rfft2``) of the two windows; tables of
    :func:`_dft_tables`. The surface at shifts ``(t_p, t_q)`` is ``Re sum_ij P[i, j] exp(2 i pi (f_i t_p + g_j
    t_q))`` (``P`` from :func:`_cross_row`). The sum over the rows is split into cosine and sine parts, which
    give the shifts ``+t`` and ``-t`` at once; then the columns, likewise. ``out[k] = (row, col)`` of the
    highest sample plus a 3-point parabola in each axis, in samples from ``-t_max``. Everything is summed in
    a fixed order in single precision, one window pair at a time.
    """
    n, w, h = fa.shape
    n_half = row_cos.shape[0]
    half = n_half - 1
    u = 2 * half + 1
    for k in prange(n):
        prow = np.empty((w, 2 * h), np.float32)
        for i in range(w):
            _cross_row(fa[k, i], fb[k, i], col_w, prow[i])
        # rows: C[a] = sum_i cos(2 pi f_i t_a) P[i], S[a] = sum_i sin(..) P[i] (complex, interleaved). Frequencies
        # i and w - i are opposite: C takes P[i] + P[w - i] once, S takes P[i] - P[w - i] (half the products);
        # sin(0) = 0 leaves S[0] = 0
        cs = np.zeros((2 * n_half, 2 * h), np.float32)
        pm = np.empty((2, 2 * h), np.float32)
        for a in range(n_half):
            _axpy(cs[a], prow[0], row_cos[a, 0])
        for i in range(1, (w + 1) // 2):
            _fold_pair(prow[i], prow[w - i], pm[0], pm[1])
            for a in range(n_half):
                _axpy(cs[a], pm[0], row_cos[a, i])
            for a in range(1, n_half):
                _axpy(cs[n_half + a], pm[1], row_sin[a, i])
        if w % 2 == 0:  # the unpaired frequency -1/2
            for a in range(n_half):
                _axpy(cs[a], prow[w // 2], row_cos[a, w // 2])
            for a in range(1, n_half):
                _axpy(cs[n_half + a], prow[w // 2], row_sin[a, w // 2])
        # Y(+t_a) = C + i S, Y(-t_a) = C - i S; real and imaginary parts per column j, over the row shifts p
        yr = np.empty((h, u), np.float32)
        yi = np.empty((h, u), np.float32)
        for a in range(n_half):
            for j in range(h):
                c_re, c_im = cs[a, 2 * j], cs[a, 2 * j + 1]
                s_re, s_im = cs[n_half + a, 2 * j], cs[n_half + a, 2 * j + 1]
                yr[j, half + a] = c_re - s_im
                yi[j, half + a] = c_im + s_re
                yr[j, half - a] = c_re + s_im
                yi[j, half - a] = c_im - s_re
        # columns: surface(p, +-t_b) = sum_j yr cos(2 pi g_j t_b) -+ sum_j yi sin(2 pi g_j t_b)
        acc_c = np.zeros((n_half, u), np.float32)
        acc_s = np.zeros((n_half, u), np.float32)
        for j in range(h):
            for bb in range(n_half):
                _axpy(acc_c[bb], yr[j], col_cos[j, bb])
                _axpy(acc_s[bb], yi[j], col_sin[j, bb])
        surf = np.empty((u, u), np.float32)
        for p in range(u):
            for bb in range(n_half):
                surf[p, half + bb] = acc_c[bb, p] - acc_s[bb, p]
                surf[p, half - bb] = acc_c[bb, p] + acc_s[bb, p]
        best = surf[0, 0]
        bi = 0
        bj = 0
        for p in range(u):
            for q in range(u):
                if surf[p, q] > best:
                    best = surf[p, q]
                    bi = p
                    bj = q
        di = 0.0
        dj = 0.0
        if 0 < bi < u - 1:
            di = _fit3(surf[bi - 1, bj], best, surf[bi + 1, bj], 1)
        if 0 < bj < u - 1:
            dj = _fit3(surf[bi, bj - 1], best, surf[bi, bj + 1], 1)
        out[k, 0] = bi + di
        out[k, 1] = bj + dj


def _min_sub_std(patches: np.ndarray) -> np.ndarray:
    """Smallest standard deviation over the 4 x 4 sub-blocks of each ``(n, w, w)`` patch.

    A window partly featureless (snow, saturation, a constant fill) is refused as flat: its
    correlation would be steered by the edge of its flat part, which does not move with the ground.
    The same sums as the shared-tile path (:func:`_window_stats`).
    """
    p = np.ascontiguousarray(patches, dtype=np.float64)
    n, w = p.shape[0], p.shape[1]
    out = np.empty((n, 4))
    if n:
        zeros = np.zeros(n, np.int64)
        _patch_stats(p, zeros, zeros, w, out)
    return out[:, 3]


@njit(cache=True)
def _sub_grid(w):
    """``(g, b)``: a window of ``w`` pixels is judged on a ``g x g`` grid of ``b x b`` sub-blocks, ``b = w // g``,
    ``g = 4`` down to 1 so that a sub-block keeps at least 8 x 8 pixels (the standard deviation of fewer
    samples scatters too much to tell texture from noise)."""
    g = max(1, min(4, w // 8))
    return g, w // g


@njit(cache=True, parallel=True)
def _patch_stats(patches, r0, c0, w, out):
    """:func:`_window_stats` of window ``q`` of each patch ``patches[q]`` (raw statistics only)."""
    g, b = _sub_grid(w)
    for q in prange(patches.shape[0]):
        lanes = np.empty(w)
        lanes2 = np.empty(w)
        x0 = np.empty(w)
        out[q, 3] = _min_sub_block_std(patches[q], r0[q], c0[q], g, b, lanes, lanes2, x0)


def _patches_batch(sea: np.ndarray, idx: np.ndarray, iy: np.ndarray, ix: np.ndarray, w: int) -> np.ndarray:
    out = np.empty((idx.size, w, w))
    for k in range(idx.size):
        out[k] = sea[idx[k], iy[k]:iy[k] + w, ix[k]:ix[k] + w]
    return out


# --------------------------------------------------------------------------- tiled integer search
#  With a step that divides the window, the windows of neighbouring cells are unions of the same
#  T x T tiles (T = gcd(window, step)). The raw correlation of a window at a lag is the sum of its
#  tiles' correlations at that lag, and each tile needs FFTs of size T + 2s only (96 x 96 -> 48 x 48
#  at the defaults, ~5x fewer operations), shared by every cell the tile belongs to.
def _tile_size(window: int, search: int, step: int) -> int:
    """Tile side of the shared-tile integer search, or 0 when matching every cell on its own is cheaper."""
    w, s, st = int(window), int(search), int(step)
    t = math.gcd(w, st)
    if t < 2:
        return 0
    m, k = w // t, st // t
    f, fo, n_lag = t + 2 * s, w + 2 * s, (2 * s + 1) ** 2
    per_cell_own = 3.0 * fo * fo * math.log2(fo)
    # k^2 tiles per cell (three FFTs each) + summing m x m tiles' surfaces in two separable passes
    per_cell_tiled = k * k * 3.0 * f * f * math.log2(f) + 0.5 * m * (1 + k) * n_lag
    return t if per_cell_tiled < 0.8 * per_cell_own else 0


@njit(cache=True, inline=HELPER_INLINE)
def _copy_f32(out, a):
    """``out = a`` as single precision (1-D)."""
    for m in range(out.size):
        out[m] = a[m]


@njit(cache=True, parallel=True)
def _gather_tiles(ref, sec, ta, tb, r_base, c_base, t, s, ref_out, sec_out):
    """Tile ``q`` of the reference (``t x t`` from ``(r_base + ta[q]*t, c_base + tb[q]*t)``) and its search
    area of the secondary (``t + 2s`` a side, ``s`` before it), as float32."""
    f = t + 2 * s
    for q in prange(ta.size):
        r = r_base + ta[q] * t
        c = c_base + tb[q] * t
        for i in range(t):
            _copy_f32(ref_out[q, i], ref[r + i, c:c + t])
        for i in range(f):
            _copy_f32(sec_out[q, i], sec[r - s + i, c - s:c - s + f])


@njit(cache=True, parallel=True)
def _sum_tile_rows(surf, k, m, out):
    """``out[i] = surf[i k] + surf[i k + 1] + .. + surf[i k + m - 1]`` (tile-row sums of the correlation surfaces,
    added in that order)."""
    for i in prange(out.shape[0]):
        o = out[i].reshape(-1)
        o[:] = surf[i * k].reshape(-1)
        for p in range(1, m):
            _add_into(o, surf[i * k + p].reshape(-1))


@njit(cache=True)
def _integral(img, r0, r1, c0, c1):
    """Integral images (sums and sums of squares, float64, a zero first row and column) of ``img[r0:r1, c0:c1]``."""
    n0, n1 = r1 - r0, c1 - c0
    c = np.zeros((n0 + 1, n1 + 1))
    c2 = np.zeros((n0 + 1, n1 + 1))
    for i in range(n0):
        # running sums along the row first (sequential), then the row above added as a whole (vectorised)
        row = 0.0
        row2 = 0.0
        for j in range(n1):
            v = img[r0 + i, c0 + j]
            row += v
            row2 += v * v
            c[i + 1, j + 1] = row
            c2[i + 1, j + 1] = row2
        _add_into(c[i + 1, 1:], c[i, 1:])
        _add_into(c2[i + 1, 1:], c2[i, 1:])
    return c, c2


@njit(cache=True)
def _sums_about_first(a, r, c, w, lanes, lanes2):
    """``(x0, sum(d), sum(d^2))`` of the ``w x w`` window of ``a`` at ``(r, c)``, ``d = a - x0`` about the window's
    first value ``x0`` (no cancellation when the mean is far from 0; exactly 0 for a constant window). Sums run
    per column over the rows, then across the columns (:func:`_lane_total`): the same order on every CPU and
    in every block. ``lanes``, ``lanes2``: scratch of at least ``w`` values."""
    x0 = a[r, c]
    lt = lanes[:w]
    lt2 = lanes2[:w]
    lt[:] = 0.0
    lt2[:] = 0.0
    for i in range(w):
        _dev_into(lt, lt2, a[r + i, c:c + w], x0)
    return x0, _lane_total(lt), _lane_total(lt2)


@njit(cache=True, inline=HELPER_INLINE)
def _dev_into_lanes(acc, acc2, a, x0):
    """``acc += a - x0``, ``acc2 += (a - x0)^2`` with one origin per lane (1-D)."""
    for m in range(acc.size):
        d = a[m] - x0[m]
        acc[m] += d
        acc2[m] += d * d


@njit(cache=True)
def _min_sub_block_std(raw, r, c, g, b, lanes, lanes2, x0):
    """Smallest standard deviation of the ``g x g`` sub-blocks (``b x b``) of the window of ``raw`` at ``(r, c)``.

    Each band of ``g`` sub-blocks side by side is summed in one pass over its rows (lanes per column, each
    about its sub-block's first value), then each sub-block's lanes left to right: the sums of
    :func:`_sums_about_first` on every sub-block, in the same order."""
    nb = b * b
    wb = g * b
    low = np.inf
    lt = lanes[:wb]
    lt2 = lanes2[:wb]
    xo = x0[:wb]
    for bi in range(g):
        rr = r + bi * b
        for bj in range(g):
            v = raw[rr, c + bj * b]
            for m in range(b):
                xo[bj * b + m] = v
        lt[:] = 0.0
        lt2[:] = 0.0
        for i in range(b):
            _dev_into_lanes(lt, lt2, raw[rr + i, c:c + wb], xo)
        for bj in range(g):
            t = _lane_total(lt[bj * b:(bj + 1) * b])
            t2 = _lane_total(lt2[bj * b:(bj + 1) * b])
            low = min(low, math.sqrt(max(t2 - t * t / nb, 0.0) / nb))
    return low


@njit(cache=True, parallel=True)
def _window_stats(hp, raw, r0, c0, w, shift, with_hp, with_sub, out):
    """Per window at ``(r0[q], c0[q])`` (``w x w``): ``out[q] = [sum, |x - mean|, |first value + shift|, min
    sub-block std]``, the first three on ``hp`` (only when ``with_hp``), the last on ``raw`` over the 4 x 4
    sub-blocks of :func:`_min_sub_std` (only when ``with_sub``). Sums of squares are taken about the first
    value of each window or sub-block (:func:`_sums_about_first`)."""
    g, b = _sub_grid(w)
    for q in prange(r0.size):
        lanes = np.empty(w)
        lanes2 = np.empty(w)
        x0 = np.empty(w)
        r, c = r0[q], c0[q]
        if with_hp:
            x0h, tot, ss = _sums_about_first(hp, r, c, w, lanes, lanes2)
            out[q, 0] = tot + x0h * w * w
            out[q, 1] = math.sqrt(max(ss - tot * tot / (w * w), 0.0))
            out[q, 2] = abs(x0h + shift)
        if with_sub:
            out[q, 3] = _min_sub_block_std(raw, r, c, g, b, lanes, lanes2, x0)


@njit(cache=True, parallel=True)
def _block_stds(raw, r0, c0, b, out):
    """Standard deviation of the ``b x b`` block of ``raw`` at each ``(r0[q], c0[q])``: the sums of
    :func:`_min_sub_block_std` for one sub-block (lanes per column about the block's first value, then left to
    right), so a window's smallest sub-block std is the same whether its sub-blocks are shared or not."""
    nb = b * b
    for q in prange(r0.size):
        lanes = np.empty(b)
        lanes2 = np.empty(b)
        x0 = np.empty(b)
        r, c = r0[q], c0[q]
        v = raw[r, c]
        for m in range(b):
            x0[m] = v
        lanes[:] = 0.0
        lanes2[:] = 0.0
        for i in range(b):
            _dev_into_lanes(lanes, lanes2, raw[r + i, c:c + b], x0)
        t = _lane_total(lanes)
        t2 = _lane_total(lanes2)
        out[q] = math.sqrt(max(t2 - t * t / nb, 0.0) / nb)


def _shared_min_sub_std(raw: np.ndarray, ci: np.ndarray, cj: np.ndarray, rb: int, cb: int, st: int,
                        w: int) -> np.ndarray:
    """Smallest sub-block standard deviation of the reference windows of cells ``(ci, cj)`` (window of cell
    ``(i, j)`` from ``(rb + i st, cb + j st)``), each sub-block computed once for all the windows that hold it
    (neighbouring windows share most of theirs when the step and the sub-block side share a large divisor).
    The same values as :func:`_window_stats` (:func:`_block_stds`)."""
    g, b = _sub_grid(w)
    d = math.gcd(int(st), int(b))
    a, e = st // d, b // d
    pos_r = ci[:, None] * a + (np.arange(g) * e)[None, :]  # sub-block rows of each window, in units of d
    pos_c = cj[:, None] * a + (np.arange(g) * e)[None, :]
    need = np.zeros((int(pos_r.max()) + 1, int(pos_c.max()) + 1), bool)
    for p in range(g):
        for q in range(g):
            need[pos_r[:, p], pos_c[:, q]] = True
    ur, uc = np.nonzero(need)
    stds = np.empty(ur.size)
    _block_stds(raw, rb + ur * d, cb + uc * d, b, stds)
    grid = np.full(need.shape, np.inf)
    grid[ur, uc] = stds
    low = grid[pos_r[:, 0], pos_c[:, 0]]
    for p in range(g):
        for q in range(g):
            if p or q:
                low = np.minimum(low, grid[pos_r[:, p], pos_c[:, q]])
    return low


@njit(cache=True, inline=HELPER_INLINE)
def _ncc_row(out, corr, i_a, i_b, i_c, i_d, q_a, q_b, q_c, q_d, mean_r, norm_r, npx, var_floor):
    """One row of an NCC surface from the raw correlations and the integral images' four corner rows of every
    lag window (sums ``i_*``, sums of squares ``q_*``): NaN where the lag window's variance is at or below
    ``var_floor``."""
    for v in range(out.size):
        s1 = i_d[v] - i_b[v] - i_c[v] + i_a[v]
        s2 = q_d[v] - q_b[v] - q_c[v] + q_a[v]
        var = s2 - s1 * s1 / npx
        val = (corr[v] - mean_r * s1) / (norm_r * math.sqrt(max(var, 1e-300)))
        out[v] = val if var > var_floor else np.nan


@njit(cache=True, parallel=True)
def _tiled_ncc(rows_sum, ci, cj, k, m, ii, ii2, yb, xb, st, w, sum_r, norm_r, var_floor, subpix_mode, out):
    """NCC surfaces of cells ``(ci[q], cj[q])`` from the tile-row sums ``rows_sum`` (cell rows, tile cols, L, L)
    of the raw correlations ``sum(R * S)`` and the secondary's integral images ``ii, ii2`` (search area of
    cell ``(i, j)`` from ``(yb + i*st, xb + j*st)``), then their peaks (:func:`_pick_peak`)."""
    n_lag = rows_sum.shape[2]
    npx = float(w * w)
    half = (n_lag - 1) // 2
    for q in prange(ci.size):
        i, j = ci[q], cj[q]
        corr = np.empty((n_lag, n_lag))
        flat_corr = corr.reshape(-1)
        _copy_f64(flat_corr, rows_sum[i, j * k].reshape(-1))
        for p in range(1, m):
            _add_into(flat_corr, rows_sum[i, j * k + p].reshape(-1))
        ncc = np.empty((n_lag, n_lag))
        mean_r = sum_r[q] / npx
        y0 = yb + i * st
        x0 = xb + j * st
        for u in range(n_lag):
            y = y0 + u
            _ncc_row(ncc[u], corr[u], ii[y, x0:x0 + n_lag], ii[y, x0 + w:x0 + w + n_lag],
                     ii[y + w, x0:x0 + n_lag], ii[y + w, x0 + w:x0 + w + n_lag],
                     ii2[y, x0:x0 + n_lag], ii2[y, x0 + w:x0 + w + n_lag],
                     ii2[y + w, x0:x0 + n_lag], ii2[y + w, x0 + w:x0 + w + n_lag],
                     mean_r, norm_r[q], npx, var_floor)
        flat = ncc[half, half] != ncc[half, half]
        _pick_peak(ncc, flat, subpix_mode, out[q])


@njit(cache=True, inline=HELPER_INLINE)
def _copy_f64(out, a):
    """``out = a`` as double precision (1-D)."""
    for m in range(out.size):
        out[m] = a[m]


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


def _chunks_tiled(n_i: int, n_j: int, m: int, k: int, n_lag: int, budget: int):
    """Chunks ``(i0, i1, j0, j1)`` of the cell grid whose tile surfaces (``(rows-1)k + m`` tile rows x
    ``(cols-1)k + m`` tile columns, plus one row sum per cell row) fit ``budget`` bytes."""
    per = n_lag * n_lag * 4
    cap = max(1, budget // per)

    def tiles_cols(nj):
        return (nj - 1) * k + m

    nj = n_j
    if (m + 1) * tiles_cols(nj) > cap:
        nj = max(1, int((cap / (m + 1) - (m - k)) // k))
    nb = tiles_cols(nj)
    ni = max(1, int((cap / nb - (m - k)) // (k + 1)))
    for i0 in range(0, n_i, ni):
        for j0 in range(0, n_j, nj):
            yield i0, min(n_i, i0 + ni), j0, min(n_j, j0 + nj)


def _finite_shifted(img: np.ndarray, shift: float) -> np.ndarray:
    """``img - shift`` with non-finite values set to 0, in a new array, or ``img`` itself when nothing changes
    (high-passed images: zero level, finite wherever a candidate cell looks)."""
    if shift != 0.0:
        img = img - shift
        return np.nan_to_num(img, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    bad = ~np.isfinite(img)
    return np.where(bad, 0.0, img) if bad.any() else np.ascontiguousarray(img)


def _match_tiled(out, cand, i_first, ref, sec, raw_ref, raw_sec, read0, w, s, st, t, subpixel, upsample,
                 min_std_abs, min_ncc, min_peak_ratio, cancel=None, levels=None):
    """Match the candidate cells ``cand`` (output rows of the block x output columns) by shared tiles.

    ``ref``/``sec`` are the pre-filtered block rows (NaN only where no candidate reaches),
    ``raw_ref``/``raw_sec`` as read; ``i_first`` is the absolute output row of ``cand[0]``. Fills ``out``
    like :func:`_match_cells` does, with the same flags and values. ``levels`` are the constants
    subtracted from ``ref`` and ``sec`` (the same for every block, so the field does not depend on the
    blocks; None = typical values of this block).
    """
    off = (st - w) // 2
    ref_min, sec_min = _threshold_pair(min_std_abs)
    m, k, n_lag, f = w // t, st // t, 2 * s + 1, t + 2 * s
    # NCC ignores constants added to either image; removing a typical value keeps single-precision
    # correlations exact when the images are far from zero mean (no high-pass); NaN -> 0 (no candidate sees it)
    shift_r, shift_s = levels if levels is not None else (_typical(ref), _typical(sec))
    ref, sec = _finite_shifted(ref, shift_r), _finite_shifted(sec, shift_s)
    # contiguous: one compiled signature of the kernels whatever view the engine hands over (a new
    # layout would compile inside the first timed call)
    raw_ref = np.ascontiguousarray(raw_ref, dtype=np.float64)
    raw_sec = np.ascontiguousarray(raw_sec, dtype=np.float64)
    mode = {"dft": 0, "parabolic": 1, "gaussian": 2}[subpixel]
    fft, fft_kw = _fft_backend()
    # memory: tile surfaces (half of BATCH_BYTES) + one batch of FFT buffers or of refinement windows (a quarter)
    tile_batch = max(16, (BATCH_BYTES // 4) // (f * f * 32))
    refine_batch = max(16, (BATCH_BYTES // 4) // (w * w * 32))
    tap = _taper(w).astype(np.float32) if subpixel == "dft" else None
    n_i, n_j = cand.shape
    for i0, i1, j0, j1 in _chunks_tiled(n_i, n_j, m, k, n_lag, BATCH_BYTES // 2):
        if cancel is not None:
            cancel()
        ci, cj = np.nonzero(cand[i0:i1, j0:j1])
        if ci.size == 0:
            continue
        rb = off + (i_first + i0) * st - read0  # first cell row's window start (block rows)
        cb = off + j0 * st
        win_r, win_c = rb + ci * st, cb + cj * st
        stats = np.empty((ci.size, 4))
        _window_stats(ref, raw_ref, win_r, win_c, w, shift_r, True, False, stats)
        stats[:, 3] = _shared_min_sub_std(raw_ref, ci, cj, rb, cb, st, w)
        flat = (stats[:, 3] <= ref_min) | (stats[:, 1] <= 1e-12 * (stats[:, 2] + 1e-300) * w)
        if flat.any():  # featureless reference window: no FFT spent on it
            out["flag"][i0 + ci[flat], j0 + cj[flat]] = FLAG_FLAT
            ci, cj, win_r, win_c, stats = ci[~flat], cj[~flat], win_r[~flat], win_c[~flat], stats[~flat]
            if ci.size == 0:
                continue
        ni, nj = i1 - i0, j1 - j0
        need = np.zeros(((ni - 1) * k + m, (nj - 1) * k + m), bool)
        for p in range(m):
            for r in range(m):
                need[ci * k + p, cj * k + r] = True
        ta, tb = np.nonzero(need)
        surf = np.zeros(need.shape + (n_lag, n_lag), np.float32)
        for q in range(0, ta.size, tile_batch):
            a_, b_ = ta[q:q + tile_batch], tb[q:q + tile_batch]
            rt = np.empty((a_.size, t, t), np.float32)
            st_ = np.empty((a_.size, f, f), np.float32)
            _gather_tiles(ref, sec, a_, b_, rb, cb, t, s, rt, st_)
            spec = fft.rfft2(st_, **fft_kw)
            # the tile's spectrum without transforming its zero padding: rows of the tile only, then columns
            spec *= np.conj(fft.fft(fft.rfft(rt, n=f, axis=2, **fft_kw), n=f, axis=1, **fft_kw))
            # back along the rows, then along the columns of the first n_lag rows only (the lags kept)
            back = fft.ifft(spec, axis=1, **fft_kw)[:, :n_lag]
            surf[a_, b_] = fft.irfft(back, n=f, axis=2, **fft_kw)[:, :, :n_lag]
        rows_sum = np.empty((ni, need.shape[1], n_lag, n_lag), np.float32)
        _sum_tile_rows(surf, k, m, rows_sum)
        del surf
        peaks = np.zeros((ci.size, 8))
        x_lo, x_hi = max(0, cb - s), min(sec.shape[1], cb + (nj - 1) * st + w + s)
        for i in np.unique(ci):
            # the secondary's integral images over this cell row's search areas: one per cell row (not per
            # block), so the sums and the field do not depend on the block size
            sel = np.nonzero(ci == i)[0]
            y_lo = rb + i * st - s
            ii, ii2 = _integral(sec, y_lo, y_lo + w + 2 * s, x_lo, x_hi)
            # a lag window 1e9 times less varied than the strip's mean is flat (rounding of the integral images)
            var_floor = 1e-9 * w * w * ii2[-1, -1] / ((w + 2 * s) * (x_hi - x_lo))
            out_i = np.zeros((sel.size, 8))
            _tiled_ncc(rows_sum, ci[sel], cj[sel], k, m, ii, ii2, -i * st, cb - s - x_lo, st, w, stats[sel, 0],
                       stats[sel, 1], var_floor, mode, out_i)
            peaks[sel] = out_i
        del rows_sum
        flag = peaks[:, 7].astype(np.int64)
        iy, ix = peaks[:, 0].astype(np.int64), peaks[:, 1].astype(np.int64)
        valid = flag == FLAG_VALID
        if valid.any():  # secondary window at the peak: featureless in a sub-block?
            vi = np.nonzero(valid)[0]
            sst = np.empty((vi.size, 4))
            _window_stats(raw_sec, raw_sec, win_r[vi] + iy[vi] - s, win_c[vi] + ix[vi] - s, w, 0.0, False, True, sst)
            flag[vi[sst[:, 3] <= sec_min]] = FLAG_FLAT
        ncc, ratio = peaks[:, 2], peaks[:, 3]
        flag[(flag == FLAG_VALID) & ~(ncc >= min_ncc)] = FLAG_LOW_NCC
        flag[(flag == FLAG_VALID) & ~(ratio >= min_peak_ratio)] = FLAG_AMBIGUOUS
        keep = flag == FLAG_VALID
        sub_y, sub_x = peaks[:, 5].copy(), peaks[:, 6].copy()
        if tap is not None and keep.any():
            idx = np.nonzero(keep)[0]
            for q in range(0, idx.size, refine_batch):
                sel = idx[q:q + refine_batch]
                a = np.empty((sel.size, w, w), np.float32)
                b = np.empty((sel.size, w, w), np.float32)
                _tapered_windows(ref[None], np.zeros(sel.size, np.int64), win_r[sel], win_c[sel], tap, a)
                _tapered_windows(sec[None], np.zeros(sel.size, np.int64), win_r[sel] + iy[sel] - s,
                                 win_c[sel] + ix[sel] - s, tap, b)
                sub_y[sel], sub_x[sel] = _refine_dft(a, b, upsample)
        oi, oj = i0 + ci, j0 + cj
        out["dy"][oi, oj] = np.where(keep, iy - s + sub_y, np.nan)
        out["dx"][oi, oj] = np.where(keep, ix - s + sub_x, np.nan)
        out["ncc"][oi, oj] = ncc
        out["peak_ratio"][oi, oj] = ratio
        out["snr"][oi, oj] = peaks[:, 4]
        out["flag"][oi, oj] = flag


# --------------------------------------------------------------------------- block function
def offset_block(block, inputs, *, window: int, search: int, step: int, subpixel: str = "dft",
                 upsample: int = 10, min_ncc: float = 0.2, min_peak_ratio: float = 1.1,
                 min_std_abs=0.0, highpass_px: float = 0.0, levels=None, cancel=None) -> dict:
    """Block function of the engine: offsets of the output rows whose cells start in ``block``.

    ``min_std_abs``: a window with a 4 x 4 sub-block whose standard deviation (before the high-pass filter)
    is at or below it is flat; a pair ``(reference, secondary)`` of thresholds, one per image
    (:func:`flat_thresholds`).

    ``inputs["reference"]`` and ``inputs["secondary"]`` are the block's rows (halo
    :func:`halo_rows` included), NaN = nodata; optional ``inputs["stable"]`` (same rows, non-zero
    = stable ground) is sampled at each window centre. Returns :data:`BLOCK_OUTPUTS` (and
    ``"stable"``) on the output rows ``ceil(row0/step) .. ceil(row1/step)``. ``levels``: typical values
    of the two images (:func:`image_levels`), needed without the high-pass filter for results that do
    not depend on the block size.
    """
    w, s, st = int(window), int(search), int(step)
    raw_ref = np.asarray(inputs["reference"], dtype=np.float64)
    raw_sec = np.asarray(inputs["secondary"], dtype=np.float64)
    ref = highpass(raw_ref, highpass_px)
    sec = highpass(raw_sec, highpass_px)
    raw = (raw_ref, raw_sec)
    n_cols = block.n_cols
    i0 = -(-block.row0 // st)
    i1 = -(-block.row1 // st)
    n_out_cols = -(-n_cols // st)
    shape = (i1 - i0, n_out_cols)
    out = {k: np.full(shape, np.nan, dtype=np.float32) for k in BLOCK_OUTPUTS}
    out["flag"] = np.full(shape, FLAG_OUTSIDE, dtype=np.uint8)
    stable_in = inputs.get("stable")
    if stable_in is not None:
        stable_in = np.asarray(stable_in, dtype=np.float64)
        out["stable"] = np.zeros(shape, dtype=np.uint8)
    big = w + 2 * s
    off = (st - w) // 2
    jj = np.arange(n_out_cols)
    c0 = jj * st + off  # window start column
    chunk = batch_cells(w, s)
    ref_ok = np.isfinite(ref)
    sec_ok = np.isfinite(sec)
    tile = _tile_size(w, s, st)
    cand = np.zeros(shape, bool) if tile else None
    for oi, i in enumerate(range(i0, i1)):
        if cancel is not None:
            cancel()
        r0 = i * st + off  # window start row (absolute)
        if stable_in is not None:
            rc = min(max(r0 + w // 2, block.read0), block.read1 - 1) - block.read0
            cc = np.clip(c0 + w // 2, 0, n_cols - 1)
            out["stable"][oi] = np.nan_to_num(stable_in[rc, cc]) != 0
        if r0 - s < block.read0 or r0 + w + s > block.read1:
            continue  # outside the image (blocks' halos cover every row inside it)
        inside = (c0 - s >= 0) & (c0 + w + s <= n_cols)
        if not inside.any():
            continue
        cols = np.nonzero(inside)[0]
        rr = r0 - block.read0
        sr = rr - s
        # nodata: any NaN in the reference window or in the search area
        ref_rows = ref_ok[rr:rr + w]
        sec_rows = sec_ok[sr:sr + big]
        good_ref = np.lib.stride_tricks.sliding_window_view(ref_rows.all(axis=0), w)[c0[cols]].all(axis=1)
        good_sec = np.lib.stride_tricks.sliding_window_view(sec_rows.all(axis=0), big)[c0[cols] - s].all(axis=1)
        cols = cols[good_ref & good_sec]
        if cand is not None:
            cand[oi, cols] = True
            continue
        for q in range(0, cols.size, chunk):
            _match_cells(out, oi, cols[q:q + chunk], ref, sec, raw, rr, sr, c0, s, w, big, subpixel, upsample,
                         min_std_abs, min_ncc, min_peak_ratio)
    if cand is not None and cand.any():
        if levels is None and highpass_px and highpass_px > 0:
            levels = (0.0, 0.0)  # high-passed images have a zero local mean
        _match_tiled(out, cand, i0, ref, sec, raw_ref, raw_sec, block.read0, w, s, st, tile, subpixel, int(upsample),
                     min_std_abs, min_ncc, min_peak_ratio, cancel, levels)
    return out


def _match_cells(out, oi, cols, ref, sec, raw, rr, sr, c0, s, w, big, subpixel, upsample, min_std_abs, min_ncc,
                 min_peak_ratio):
    if cols.size:
        zeros = np.zeros(cols.size, np.int64)
        rw = _patches(ref[rr:rr + w], zeros, c0[cols], w)
        sa = _patches(sec[sr:sr + big], zeros, c0[cols] - s, big)
        if raw is None:
            res = match_patches(rw, sa, subpixel=subpixel, upsample=upsample, min_std_abs=min_std_abs)
        else:
            rref, rsec = raw
            res = match_patches(rw, sa, subpixel=subpixel, upsample=upsample, min_std_abs=min_std_abs,
                                raw_ref=_patches(rref[rr:rr + w], zeros, c0[cols], w),
                                raw_search=(rsec[sr:sr + big], c0[cols] - s))
        flag = res[:, 5].astype(np.uint8)
        ncc, ratio = res[:, 2], res[:, 3]
        valid = flag == FLAG_VALID
        low = valid & ~(ncc >= min_ncc)
        flag[low] = FLAG_LOW_NCC
        amb = (flag == FLAG_VALID) & ~(ratio >= min_peak_ratio)
        flag[amb] = FLAG_AMBIGUOUS
        keep = flag == FLAG_VALID
        out["dy"][oi, cols] = np.where(keep, res[:, 0], np.nan)
        out["dx"][oi, cols] = np.where(keep, res[:, 1], np.nan)
        out["ncc"][oi, cols] = ncc
        out["peak_ratio"][oi, cols] = ratio
        out["snr"][oi, cols] = res[:, 4]
        out["flag"][oi, cols] = flag


# --------------------------------------------------------------------------- post-processing
@njit(cache=True)
def _median_test(u, v, eps, threshold, min_nb, out):
    n0, n1 = u.shape
    nb_u = np.empty(8)
    nb_v = np.empty(8)
    res = np.empty(8)
    for i in range(n0):
        for j in range(n1):
            out[i, j] = False
            if u[i, j] != u[i, j]:
                continue
            m = 0
            for di in range(-1, 2):
                for dj in range(-1, 2):
                    ii = i + di
                    jj = j + dj
                    if (di != 0 or dj != 0) and 0 <= ii < n0 and 0 <= jj < n1 and u[ii, jj] == u[ii, jj]:
                        nb_u[m] = u[ii, jj]
                        nb_v[m] = v[ii, jj]
                        m += 1
            if m < min_nb:
                continue  # edge of the valid field: a one-sided median is biased where the field has a gradient
            mu = np.median(nb_u[:m])
            mv = np.median(nb_v[:m])
            for q in range(m):
                res[q] = abs(nb_u[q] - mu)
            ru = np.median(res[:m])
            for q in range(m):
                res[q] = abs(nb_v[q] - mv)
            rv = np.median(res[:m])
            nu = abs(u[i, j] - mu) / (ru + eps)
            nv = abs(v[i, j] - mv) / (rv + eps)
            if math.sqrt(nu * nu + nv * nv) > threshold:
                out[i, j] = True


def normalized_median_test(dx: np.ndarray, dy: np.ndarray, *, eps: float = 0.1,
                           threshold: float = 2.0) -> np.ndarray:
    """Outliers of a vector field by the normalised median test (Westerweel & Scarano 2005).

    For each vector, ``r = |u - median(u_nb)| / (median(|u_nb - median(u_nb)|) + eps)`` over
    its (up to 8) valid 3 x 3 neighbours, for both components; the vector is an outlier when
    ``sqrt(r_x^2 + r_y^2) > threshold``. Vectors with fewer than 6 valid neighbours (edges of the
    valid field) are not tested: a one-sided median is biased wherever the field has a gradient.

    Parameters
    ----------
    dx, dy : ndarray (rows, cols)
        Offsets in pixels (NaN = missing).
    eps : float
        Residual floor in pixels (0.1-0.2 for correlation noise; Westerweel & Scarano 2005).
    threshold : float
        Normalised residual above which a vector is an outlier (2 in the paper).

    Returns
    -------
    ndarray of bool, True = outlier.
    """
    if not eps > 0:
        raise GeohazardError(f"eps must be > 0 px, got {eps!r}")
    if not threshold > 0:
        raise GeohazardError(f"threshold must be > 0, got {threshold!r}")
    u = np.ascontiguousarray(dx, dtype=np.float64)
    v = np.ascontiguousarray(dy, dtype=np.float64)
    out = np.zeros(u.shape, dtype=np.bool_)
    _median_test(u, v, float(eps), float(threshold), 6, out)
    return out


def stable_bias(dx: np.ndarray, dy: np.ndarray, stable: np.ndarray, *, min_cells: int = 10) -> dict:
    """Median offset over the stable cells (to subtract), with its spread and count.

    Returns ``{"dx": .., "dy": .., "mad_dx": .., "mad_dy": .., "n": ..}`` in pixels; raises a
    :class:`GeohazardError` when fewer than ``min_cells`` stable cells have a valid offset.
    """
    m = np.asarray(stable, bool) & np.isfinite(dx) & np.isfinite(dy)
    n = int(m.sum())
    if n < int(min_cells):
        raise GeohazardError(
            f"stable area (STABLE_POLYGONS / STABLE_MASK): only {n} stable cell(s) have a valid offset, at least "
            f"{int(min_cells)} are needed for the bias correction (enlarge the stable area, or lower the quality "
            "thresholds)")
    x, y = np.asarray(dx)[m].astype(np.float64), np.asarray(dy)[m].astype(np.float64)
    bx, by = float(np.median(x)), float(np.median(y))
    return {"dx": bx, "dy": by, "mad_dx": float(1.4826 * np.median(np.abs(x - bx))),
            "mad_dy": float(1.4826 * np.median(np.abs(y - by))), "n": n}


def to_metric(dx: np.ndarray, dy: np.ndarray, geotransform=None, *, pixel_x_m: Optional[float] = None,
              pixel_y_m: Optional[float] = None) -> dict:
    """Pixel offsets to metres.

    Map geometry (``geotransform`` given, a projected CRS in metres): east and north
    displacements ``E = dx*gt[1] + dy*gt[2]``, ``N = dx*gt[4] + dy*gt[5]`` and the direction
    clockwise from north. Radar geometry (``pixel_x_m``, ``pixel_y_m``: range and azimuth pixel
    spacing): ``range = dx * pixel_x_m``, ``azimuth = dy * pixel_y_m``, direction clockwise from
    the +azimuth axis toward +range.

    Returns ``{"first": E or range, "second": N or azimuth, "magnitude": .., "direction_deg": ..}``.
    """
    dx = np.asarray(dx, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    if geotransform is not None:
        gt = geotransform
        a = dx * gt[1] + dy * gt[2]
        b = dx * gt[4] + dy * gt[5]
    else:
        if not (pixel_x_m and pixel_y_m and pixel_x_m > 0 and pixel_y_m > 0):
            raise GeohazardError(f"radar geometry needs range and azimuth pixel spacings > 0 m, got "
                                 f"{pixel_x_m!r} and {pixel_y_m!r}")
        a = dx * float(pixel_x_m)
        b = dy * float(pixel_y_m)
    mag = np.hypot(a, b)
    direction = np.degrees(np.arctan2(a, b)) % 360.0
    return {"first": a, "second": b, "magnitude": mag, "direction_deg": direction}


#: Bands of the main output of :func:`finalize_block` (map geometry names; radar: range / azimuth).
OFFSET_BANDS_MAP = ("east_m", "north_m", "magnitude_m", "direction_deg", "col_offset_px", "row_offset_px", "ncc")
OFFSET_BANDS_RADAR = ("range_m", "azimuth_m", "magnitude_m", "direction_deg", "range_offset_px",
                      "azimuth_offset_px", "ncc")
QUALITY_BANDS = ("ncc", "peak_ratio", "snr", "flag")


def finalize_block(block, inputs, *, bias=(0.0, 0.0), median_test=True, median_eps=0.1, median_threshold=2.0,
                   geotransform=None, pixel_x_m=None, pixel_y_m=None) -> dict:
    """Second pass on the output grid: median test (halo 1 row), bias removal, metres, direction.

    ``inputs["raw"]`` is ``(6, rows, cols)``: ``dx, dy, ncc, peak_ratio, snr, flag`` of the first
    pass (:data:`BLOCK_OUTPUTS`). Returns ``"offsets"`` (7 bands, :data:`OFFSET_BANDS_MAP`) and
    ``"quality"`` (4 bands, :data:`QUALITY_BANDS`) on the block's core rows. ``geotransform`` is
    that of the *reference* grid (pixel offsets are in reference pixels).
    """
    raw = np.asarray(inputs["raw"], dtype=np.float64)
    dx, dy = raw[0].copy(), raw[1].copy()
    flag = np.nan_to_num(raw[5], nan=FLAG_OUTSIDE).astype(np.uint8)
    if median_test:
        bad = normalized_median_test(dx, dy, eps=median_eps, threshold=median_threshold)
        dx[bad] = np.nan
        dy[bad] = np.nan
        flag[bad] = FLAG_OUTLIER
    core = block.core
    dx, dy, flag = dx[core] - float(bias[0]), dy[core] - float(bias[1]), flag[core]
    m = to_metric(dx, dy, geotransform, pixel_x_m=pixel_x_m, pixel_y_m=pixel_y_m)
    offsets = np.stack([m["first"], m["second"], m["magnitude"], m["direction_deg"], dx, dy, raw[2][core]])
    quality = np.stack([raw[2][core], raw[3][core], raw[4][core], flag.astype(np.float64)])
    return {"offsets": offsets.astype(np.float32), "quality": quality.astype(np.float32)}


# --------------------------------------------------------------------------- whole images (tests, notebooks)
def offset_field(reference: np.ndarray, secondary: np.ndarray, *, window: int = 64, search: int = 16,
                 step: int = 16, subpixel: str = "dft", upsample: int = 10, min_ncc: float = 0.25,
                 min_peak_ratio: float = 1.5, min_std: float = 0.01, noise_z: float = NOISE_Z,
                 noise=None, median_test: bool = True,
                 median_eps: float = 0.1, median_threshold: float = 2.0, stable=None, highpass_px: float = 4.0,
                 max_memory_mb: Optional[float] = None, block_rows: Optional[int] = None, progress=None,
                 executor=None) -> dict:
    """Offset field of two co-registered images on the same grid (in memory; the tool streams blocks).

    Parameters
    ----------
    reference, secondary : ndarray (rows, cols)
        Images (amplitude, reflectance, hillshade...); NaN = nodata.
    window : int
        Correlation window side (pixels). Larger = more robust, smoother field.
    search : int
        Largest offset searched (pixels, each axis); must exceed the largest displacement.
    step : int
        Output spacing (pixels).
    subpixel : {"dft", "parabolic", "gaussian"}
    upsample : int
        DFT upsampling factor (resolution 1/upsample px before the parabolic refinement).
    min_ncc, min_peak_ratio : float
        Quality thresholds (see module notes).
    min_std, noise_z : float
        A window with a sub-block (:func:`_sub_grid`) whose standard deviation is at or below
        ``min_std`` x the reference's robust spread (:func:`robust_spread`) or the noise bound of
        :func:`flat_thresholds` is flat.
    noise : (float, float), optional
        Standard deviations of the two images' noise (image units); default: :func:`sampled_noise`
        (both images sampled as the tool does). ``(0, 0)`` turns the noise test off.
    median_test : bool
        Apply :func:`normalized_median_test` (``median_eps``, ``median_threshold``).
    stable : ndarray of bool (rows, cols), optional
        Stable ground on the reference grid: the median offset of its cells is subtracted.
    max_memory_mb, block_rows : optional
        Memory budget of a row block, or its rows (any number: the field is the same for every block
        layout, thread count and CPU).

    Returns
    -------
    dict
        ``dx``, ``dy`` (pixels), ``ncc``, ``peak_ratio``, ``snr``, ``flag`` on the output grid
        (:func:`output_grid`), ``shift_px``, ``bias`` (a dict, or None), ``noise`` (the two images' noise
        estimates) and ``flat_std`` (the two flatness thresholds), in image units.
    """
    check_options(window, search, step, subpixel=subpixel, upsample=upsample, min_ncc=min_ncc,
                  min_peak_ratio=min_peak_ratio)
    ref = np.asarray(reference, dtype=np.float64)
    sec = np.asarray(secondary, dtype=np.float64)
    if ref.ndim != 2:
        raise GeohazardError(f"reference must be a 2-D image, got shape {ref.shape}")
    if sec.shape != ref.shape:
        raise GeohazardError(f"secondary has shape {sec.shape}, expected {ref.shape} like the reference")
    n_rows, n_cols = ref.shape
    n_out_r, n_out_c, shift = output_grid(n_rows, n_cols, window=window, step=step)
    spread = robust_spread(ref)
    if noise is None:
        noise = sampled_noise(lambda r0, r1: ref[r0:r1], lambda r0, r1: sec[r0:r1], n_rows)
    thresholds = flat_thresholds(spread, *noise, window=window, min_std=min_std, noise_z=noise_z)
    func = functools.partial(offset_block, window=window, search=search, step=step, subpixel=subpixel,
                             upsample=upsample, min_ncc=min_ncc, min_peak_ratio=min_peak_ratio,
                             min_std_abs=thresholds, highpass_px=highpass_px,
                             levels=image_levels(ref, sec, highpass_px=highpass_px))
    sources = {"reference": ref, "secondary": sec}
    if stable is not None:
        st_arr = np.asarray(stable)
        if st_arr.shape != ref.shape:
            raise GeohazardError(f"stable has shape {st_arr.shape}, expected {ref.shape} like the reference")
        sources["stable"] = st_arr.astype(np.float32)
    rows = block_rows if block_rows is not None else \
        block_rows_for(n_cols, window=window, search=search, step=step, max_memory_mb=max_memory_mb)
    out: dict = {k: np.empty((n_out_r, n_out_c), np.uint8 if k in ("flag", "stable") else np.float32)
                 for k in BLOCK_OUTPUTS + (("stable",) if stable is not None else ())}
    from ..engine import plan_blocks, process_blocks

    plan = plan_blocks(n_rows, n_cols, halo=halo_rows(window, search, step, highpass_px), block_rows=rows)

    def collect(block, res):
        i0 = -(-block.row0 // step)
        for k in out:
            out[k][i0:i0 + res[k].shape[0]] = res[k]

    process_blocks(plan, func, collect, sources=sources, progress=progress, executor=executor)
    finalize_field(out, median_test=median_test, median_eps=median_eps, median_threshold=median_threshold)
    bias = None
    if stable is not None:
        bias = stable_bias(out["dx"], out["dy"], out["stable"] != 0)
        out["dx"] = (out["dx"] - bias["dx"]).astype(np.float32)
        out["dy"] = (out["dy"] - bias["dy"]).astype(np.float32)
    out["shift_px"] = shift
    out["bias"] = bias
    out["noise"] = noise
    out["flat_std"] = thresholds
    return out


def finalize_field(out: dict, *, median_test: bool = True, median_eps: float = 0.1,
                   median_threshold: float = 2.0) -> None:
    """Apply the normalised median test in place (flags outliers 6, NaN offsets)."""
    if not median_test:
        return
    bad = normalized_median_test(out["dx"], out["dy"], eps=median_eps, threshold=median_threshold)
    out["dx"][bad] = np.nan
    out["dy"][bad] = np.nan
    out["flag"][bad] = FLAG_OUTLIER


#: Memory for the patch stacks of one batch of cells (FFT buffers included), bytes.
BATCH_BYTES = 48 * 2**20


def batch_cells(window: int, search: int) -> int:
    """Cells matched together: as many as fit :data:`BATCH_BYTES` (about 8 complex copies of a search area each)."""
    big = int(window) + 2 * int(search)
    return int(max(8, BATCH_BYTES // (big * big * 8 * 16)))


#: Memory per pixel of a block's rows: each image as read (float32), as float64, high-passed and the
#: filter's two temporaries (float64), and two masks.
BYTES_PER_PIXEL = 2 * (4 + 4 * 8 + 2)


def block_rows_for(n_cols: int, *, window: int, search: int, step: int,
                   max_memory_mb: Optional[float] = None) -> int:
    """Rows per block: a multiple of ``step`` fitting the memory budget (at least one step).

    The budget (:func:`~algorithms.engine.max_memory_bytes`) pays for one batch of patches
    (:data:`BATCH_BYTES`) and ``(rows + 2 halo) x n_cols x`` :data:`BYTES_PER_PIXEL`.
    """
    from ..engine import max_memory_bytes

    halo = halo_rows(window, search, step)
    budget = max(max_memory_bytes(max_memory_mb) - BATCH_BYTES, 2**20)
    fit = int(budget // (BYTES_PER_PIXEL * max(int(n_cols), 1))) - 2 * halo
    return max(int(step), fit // int(step) * int(step))


__all__ = ["offset_field", "offset_block", "finalize_block", "OFFSET_BANDS_MAP", "OFFSET_BANDS_RADAR",
           "QUALITY_BANDS", "match_patches", "normalized_median_test", "stable_bias", "to_metric", "output_grid",
           "halo_rows", "robust_spread", "noise_sigma", "pair_noise", "sampled_noise", "flat_thresholds",
           "sub_block_pixels", "NOISE_Z", "image_levels", "sampled_rows", "sampled_spread", "highpass", "check_options",
           "finalize_field", "block_rows_for", "batch_cells", "BYTES_PER_PIXEL", "FLAGS", "BLOCK_OUTPUTS",
           "SUBPIXEL_METHODS"]


class StableCells:
    """The raw offsets of the stable cells (a mask read with the blocks, polygons burnt on the output grid, or
    both: their union), gathered block by block; their median is the co-registration bias."""

    def __init__(self, grid=None, mask: bool = False):
        self.grid, self.used = grid, grid is not None or mask
        self.dx, self.dy = [], []

    def add(self, out: dict, i0: int, n_rows: int) -> None:
        if not self.used:
            return
        st = np.zeros(out["dx"].shape, bool)
        if "stable" in out:
            st |= out["stable"] != 0
        if self.grid is not None:
            st |= self.grid[i0:i0 + n_rows] != 0
        sel = st & np.isfinite(out["dx"])
        self.dx.append(out["dx"][sel])
        self.dy.append(out["dy"][sel])

    def bias(self, progress) -> tuple:
        """``((column, row) bias in px, metadata)``; no bias without stable cells asked for."""
        if not self.used:
            return (0.0, 0.0), {}
        dx = np.concatenate(self.dx) if self.dx else np.zeros(0)
        dy = np.concatenate(self.dy) if self.dy else np.zeros(0)
        b = stable_bias(dx, dy, np.ones(dx.shape, bool))
        info(progress, f"stable-area bias removed: column {b['dx']:+.3f} px, row {b['dy']:+.3f} px "
                       f"(spread {b['mad_dx']:.3f} / {b['mad_dy']:.3f} px over {b['n']} cells)")
        return (b["dx"], b["dy"]), {"bias_col_px": f"{b['dx']:.4f}", "bias_row_px": f"{b['dy']:.4f}",
                                    "bias_cells": b["n"]}
