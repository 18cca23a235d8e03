"""Offset tracking: the block function, the post-processing (median test, bias, metres) and whole images."""

from __future__ import annotations

import functools
import math
from typing import Optional

import numpy as np

from ..._numba import njit
from ...engine import plan_blocks, process_blocks
from ...errors import GeohazardError
from ...progress import info
from .levels import NOISE_Z, flat_thresholds, highpass, image_levels, robust_spread, sampled_noise
from .matching import _patches, match_patches
from .options import (
    BLOCK_OUTPUTS,
    FLAG_AMBIGUOUS,
    FLAG_LOW_NCC,
    FLAG_OUTLIER,
    FLAG_OUTSIDE,
    FLAG_VALID,
    batch_cells,
    block_rows_for,
    check_options,
    halo_rows,
    output_grid,
)
from .search import _match_tiled, _tile_size


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
        block_rows_for(n_cols, window=window, search=search, step=step, highpass_px=highpass_px,
                       max_memory_mb=max_memory_mb)
    out: dict = {k: np.empty((n_out_r, n_out_c), np.uint8 if k in ("flag", "stable") else np.float32)
                 for k in BLOCK_OUTPUTS + (("stable",) if stable is not None else ())}

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
