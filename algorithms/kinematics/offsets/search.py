"""Offset tracking: the integer search on tiles (windows sharing their sums), the block's matching loop."""

from __future__ import annotations

import math

import numpy as np

from ..._numba import HELPER_INLINE, njit, prange
from .levels import _fft_backend, _threshold_pair, _typical
from .matching import (
    _add_into,
    _dev_into_lanes,
    _lane_total,
    _min_sub_block_std,
    _pick_peak,
    _refine_dft,
    _sub_grid,
    _sums_about_first,
    _taper,
    _tapered_windows,
)
from .options import BATCH_BYTES, FLAG_AMBIGUOUS, FLAG_FLAT, FLAG_LOW_NCC, FLAG_VALID


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
