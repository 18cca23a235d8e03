"""Offset tracking: NCC peaks of windows against their search areas and the DFT sub-pixel refinement."""

from __future__ import annotations

import functools
import math

import numpy as np

from ..._numba import HELPER_INLINE, njit, prange
from .levels import _fft_backend, _threshold_pair
from .options import FLAG_BORDER, FLAG_FLAT, FLAG_VALID


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
