"""Block-based PCA correction of atmospheric artefacts in a displacement time series.

After the seed study of this plugin (a Dragon-5 landslide early-warning project), which
corrects atmospheric artefacts with principal components computed block by block. In each
square tile of ``tile`` x ``tile`` pixels (tiles overlap by half and their corrections are
blended with ``sin^2`` weights: no seam), the time series ``X`` (``N`` dates x ``P`` pixels, mm)
is decomposed by a singular value decomposition ``X = U S V^T`` (from the ``N x N`` Gram matrix
``X X^T``): each component ``k`` is a temporal signature ``U[:, k]`` (one value per date) times a
spatial pattern ``V[:, k]``.

**Which part of a component is atmosphere.** Deformation of the ground follows a smooth
temporal model (a trend, an acceleration, a seasonal cycle, declared steps) or at least
varies coherently from one date to the next; the tropospheric delay of one acquisition is
independent of the next. The series is taken about its temporal mean (the delay of the first
date, which the referencing copies into every later date, then leaves the decomposition). For
each leading component (together ``energy`` of the tile's variance, default 99 %), the part of
its temporal signature the model does not explain,

    L_k = (I - P) U[:, k],    P = Gc Gc^+

(``Gc``: ``G`` = ``t``, ``t^2``, annual sine and cosine, optional steps, column means removed),
is atmospheric when it is temporally white: its lag-one autocorrelation is below
``max_autocorr`` (default 0.5; independent delays give ~0 +- 1/sqrt(N), a surge or an
undeclared step close to 1). ``s_k L_k V[:, k]`` is then removed. Removing only ``L_k`` (not
the whole component) matters: the leading component of a tile usually mixes the deformation
with a large part of the delays, and removing or keeping it whole either deletes the
deformation or keeps the delays (both measured worse on the synthetic stacks of
docs/corrections.md). The correction is referenced to the first date (that date keeps its
value). The remaining components (noise) are left untouched.

**Consequences**: what is removed is orthogonal to the model, so the linear velocity (and any
fit of the model) of every pixel is unchanged; the correction cleans the displacement of each
date (what inverse-velocity and early-warning analyses read), not the mean rate. A delay that
follows the model (a seasonal stratified delay) is kept: phase-elevation fits remove that one.
Deformation outside the model that shares a component with strong delays is partly removed
(a 40 mm surge in two weeks kept at 72 %): declare its date as a step. ``N`` must be well above
the number of model terms ``p``: the tool refuses fewer than ``3 p`` dates.

Units: mm in and out; the correction is computed per tile, so tiles should be larger than
the deforming area of interest (default 64 pixels).
"""

from __future__ import annotations

import datetime as _dt
from typing import Sequence

import numpy as np

from ..blas import one_blas_thread
from ..conventions import DAYS_PER_YEAR
from ..errors import GeohazardError


def smooth_model(dates: Sequence[_dt.date], *, annual: bool = True, poly_order: int = 2,
                 step_dates: Sequence[_dt.date] = ()) -> np.ndarray:
    """Temporal model of deformation without a constant, zero at the first date, ``(N, p)``."""
    t = np.array([(d - dates[0]).days for d in dates], np.float64) / DAYS_PER_YEAR
    cols = [t ** k for k in range(1, int(poly_order) + 1)]
    if annual:
        cols += [np.sin(2 * np.pi * t), np.cos(2 * np.pi * t) - 1.0]
    for s in step_dates:
        cols.append((np.array(dates) >= s).astype(np.float64))
    if not cols:
        raise GeohazardError("the deformation model is empty: use a polynomial order >= 1 or the annual terms")
    g = np.stack(cols, axis=1)
    if g.shape[0] < 3 * g.shape[1]:
        raise GeohazardError(f"INPUT: {g.shape[0]} dates; the PCA correction needs at least {3 * g.shape[1]} "
                             f"(3 x the {g.shape[1]} terms of the deformation model) to tell atmosphere from "
                             "deformation")
    return g


def pca_tile(x: np.ndarray, g: np.ndarray, *, max_autocorr: float = 0.5, energy: float = 0.99,
             max_components: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Remove the atmospheric part of the leading components of one tile.

    Parameters
    ----------
    x : ndarray (N, P)
        Time series of the tile's pixels (mm), no NaN.
    g : ndarray (N, p)
        :func:`smooth_model`.
    max_autocorr : float
        A component's signature left over by the model is atmospheric when its lag-one
        autocorrelation is below this (independent delays: ~0; a surge or an undeclared step:
        close to 1).

    Returns
    -------
    corrected : ndarray (N, P)
    removed : ndarray (P,)
        Number of components corrected (same for every pixel of the tile).
    rho : ndarray (K,)
        Lag-one autocorrelation of the leftover signature of the judged components.
    """
    # the series holds atm(t) - atm(t0): taken about its temporal mean, the delay of the first date
    # (copied into every later date by the referencing) leaves the decomposition, and each date's
    # delay is one random-looking signature; the model loses its constant the same way
    mean = x.mean(axis=0, keepdims=True)
    xc = x - mean
    gc = g - g.mean(axis=0, keepdims=True)
    # principal components from the N x N Gram matrix (N dates << P pixels): U and the variances
    # s^2 of the SVD xc = U S V^T; V is never formed, s_k V_k = U_k^T xc
    var, u = np.linalg.eigh(xc @ xc.T)
    var, u = np.clip(var[::-1], 0.0, None), u[:, ::-1]
    total = var.sum()
    if total <= 0:
        return x.copy(), np.zeros(x.shape[1]), np.zeros(0)
    k = int(np.searchsorted(np.cumsum(var) / total, energy) + 1)
    k = min(k, max_components or u.shape[1], u.shape[1])
    proj = gc @ np.linalg.pinv(gc)
    left = u[:, :k] - proj @ u[:, :k]  # what the deformation model does not explain
    num = np.sum(left[1:] * left[:-1], axis=0)
    den = np.sum(left ** 2, axis=0)
    rho = np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)
    atm = np.flatnonzero(rho < max_autocorr)
    delay = (left[:, atm] @ u[:, atm].T) @ xc  # = sum_k s_k L_k V_k^T
    delay = delay - delay[:1]  # as atm(t) - atm(t0): the first date keeps its value
    return x - delay, np.full(x.shape[1], atm.size, np.float64), rho


def _taper(tile: int) -> np.ndarray:
    """``sin^2`` weights over a tile: tiles overlapping by half sum to exactly 1 everywhere."""
    return np.sin(np.pi * (np.arange(tile) + 0.5) / tile) ** 2


def pca_block(series_mm: np.ndarray, g: np.ndarray, *, tile: int = 64, max_autocorr: float = 0.5,
              energy: float = 0.99, min_pixels: int = 16, row_offset: int = 0, total_rows: int | None = None,
              core: slice | None = None) -> dict:
    """PCA atmosphere correction of a block of rows with overlapping tiles.

    Tiles of ``tile`` x ``tile`` pixels overlap by half and sit on a grid anchored at the image
    origin (every ``tile / 2`` rows and columns, the first one half outside); each tile is
    corrected on its own (:func:`pca_tile`) and the corrections are blended with ``sin^2``
    weights, which sum to one where tiles overlap: no seam at tile edges, and the result does not
    depend on how the image is cut into blocks (a block needs ``tile`` rows of halo).

    Pixels with a NaN date are left as they are and do not enter the decomposition; tiles with
    fewer than ``min_pixels`` complete pixels are skipped (their weight goes to the others).

    Parameters
    ----------
    row_offset, total_rows : int
        Image row of ``series_mm[:, 0]`` and image height (engine blocks); default: the array is the image.
    core : slice, optional
        Rows of the array to return (a block without its halo).

    Returns
    -------
    dict
        ``corrected_mm`` (N, rows, cols), ``atmosphere_mm`` = input - corrected, ``n_removed``
        (rows, cols): weighted mean number of components corrected in the tiles over the pixel
        (NaN: not corrected).
    """
    y = np.asarray(series_mm)
    if y.dtype not in (np.float32, np.float64):
        y = y.astype(np.float64)
    # accumulators in the input's precision (float32 blocks from the engine: 12 bytes per date and pixel
    # in all); every tile is decomposed in float64
    n, rows, cols = y.shape
    total_rows = rows if total_rows is None else int(total_rows)
    core = slice(0, rows) if core is None else core
    tile = max(4, int(tile) // 2 * 2)
    delay = np.zeros((n, rows, cols), y.dtype)
    wsum = np.zeros((rows, cols))
    nsum = np.zeros((rows, cols))
    c_lo, c_hi = core.start or 0, core.stop if core.stop is not None else rows
    # tiles whose rows meet the core rows, on the image-anchored grid; their Gram matrices and eigen-decompositions
    # on one BLAS thread: OpenBLAS splits them among its threads however small they are, and the last bits would
    # then follow the thread count (a desktop run against a Dask worker's: algorithms.blas)
    with one_blas_thread():
        _blend_tiles(y, g, delay, wsum, nsum, row_offset=row_offset, total_rows=total_rows, core_rows=(c_lo, c_hi),
                     tile=tile, max_autocorr=max_autocorr, energy=energy, min_pixels=min_pixels)
    done = wsum > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        delay /= np.where(done, wsum, 1.0).astype(delay.dtype)
        removed = np.where(done, nsum / np.where(done, wsum, 1.0), np.nan)
    delay = delay[:, core]
    out = y[:, core] - delay
    return {"corrected_mm": out, "atmosphere_mm": delay, "n_removed": removed[core]}


def _blend_tiles(y, g, delay, wsum, nsum, *, row_offset, total_rows, core_rows, tile, max_autocorr, energy, min_pixels):
    """Adds each tile's weighted delay, weight and component count into ``delay``, ``wsum`` and ``nsum`` (in place)."""
    n, rows, cols = y.shape
    c_lo, c_hi = core_rows
    step = tile // 2
    w1 = _taper(tile)
    first = ((row_offset + c_lo) // step - 2) * step
    for gr in range(first, row_offset + c_hi, step):
        if gr + tile <= row_offset + c_lo or gr >= total_rows:
            continue
        r0, r1 = max(gr, 0, row_offset) - row_offset, min(gr + tile, total_rows, row_offset + rows) - row_offset
        wr = w1[r0 + row_offset - gr:r1 + row_offset - gr]
        for gc in range(-step, cols, step):
            c0, c1 = max(gc, 0), min(gc + tile, cols)
            if c1 <= c0:
                continue
            wc = w1[c0 - gc:c1 - gc]
            sub = y[:, r0:r1, c0:c1]
            flat = sub.reshape(n, -1).astype(np.float64)
            ok = np.isfinite(flat).all(axis=0)
            if ok.sum() < max(min_pixels, 2):
                continue
            cor, nrem, _ = pca_tile(flat[:, ok], g, max_autocorr=max_autocorr, energy=energy)
            d = np.zeros_like(flat)
            d[:, ok] = flat[:, ok] - cor
            w = (wr[:, None] * wc[None, :]).reshape(-1) * ok
            delay[:, r0:r1, c0:c1] += (d * w).reshape(sub.shape)
            wsum[r0:r1, c0:c1] += w.reshape(sub.shape[1:])
            nsum[r0:r1, c0:c1] += (w * nrem[0]).reshape(sub.shape[1:])


def pca_engine_block(block, inputs: dict, *, g: np.ndarray, tile: int = 64, max_autocorr: float = 0.5,
                     energy: float = 0.99) -> dict:
    """Block function for the engine: ``inputs["series"]`` (N, rows + halo, cols) mm; halo = ``tile`` rows."""
    return pca_block(inputs["series"], g, tile=tile, max_autocorr=max_autocorr, energy=energy,
                     row_offset=block.read0, total_rows=block.n_rows_total, core=block.core)


def phase_elevation_block(series_mm: np.ndarray, dem_m: np.ndarray, *, tile: int = 64, quadratic: bool = False):
    """Reference correction for comparisons: per date and tile, least-squares fit of the series on elevation
    (linear or quadratic, with an offset) and removal of the elevation-dependent part (not the offset)."""
    y = np.asarray(series_mm, np.float64)
    n, rows, cols = y.shape
    out = y.copy()
    for r0 in range(0, rows, tile):
        for c0 in range(0, cols, tile):
            h = np.asarray(dem_m, np.float64)[r0:r0 + tile, c0:c0 + tile].ravel()
            sub = y[:, r0:r0 + tile, c0:c0 + tile].reshape(n, -1)
            ok = np.isfinite(h) & np.isfinite(sub).all(axis=0)
            if ok.sum() < 8:
                continue
            hc = h - h[ok].mean()
            a = np.stack([np.ones(ok.sum()), hc[ok]] + ([hc[ok] ** 2] if quadratic else []), axis=1)
            coef = np.linalg.lstsq(a, sub[:, ok].T, rcond=None)[0]  # (p, N)
            full = np.stack([hc] + ([hc ** 2] if quadratic else []), axis=1)
            sub = sub - (full @ coef[1:]).T
            out[:, r0:r0 + tile, c0:c0 + tile] = sub.reshape(n, *out[:, r0:r0 + tile, c0:c0 + tile].shape[1:])
    return out
