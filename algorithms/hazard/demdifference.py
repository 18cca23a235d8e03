"""Co-registration of two DEMs (Nuth & Kääb 2011, iterated, with an optional planar tilt) and their difference.

A DEM ``other`` displaced horizontally by ``s`` from the reference ``ref`` gives, on a slope of gradient
``tan(alpha)`` facing the azimuth ``psi`` (downhill, clockwise from north), the height difference
``dh = other - ref ~ tan(alpha) (s_east sin(psi) + s_north cos(psi))``: ``dh / tan(alpha)`` is a cosine of the
aspect whose amplitude and phase are the shift (Nuth & Kääb 2011, eq. 3). Each iteration fits that cosine to the
median of ``dh / tan(alpha)`` in aspect bins of stable ground, moves ``other`` by the opposite, and stops when the
update is below ``tolerance_px`` pixels. The vertical correction is then the median of ``dh`` (or, with a tilt, a
plane ``dh = p0 + p1 (x - xc) + p2 (y - yc)`` fitted by least squares, refitted without residuals beyond 4 NMAD).

Conventions: the shift ``(shift_x_m, shift_y_m, shift_z_m)`` is the one *applied to* ``other`` (east, north, up):
``aligned(x, y) = other(x - shift_x_m, y - shift_y_m) + shift_z_m + tilt``; with a tilt, ``shift_z_m`` is the
vertical shift at the grid centre ``(xc, yc)``. NMAD = 1.4826 median(|d - median(d)|) over stable cells.
Heights in metres; pixel sizes in metres (a projected grid). The moved DEM is sampled bilinearly
(:func:`sample_shifted`).

Reference: Nuth C., Kääb A. (2011) Co-registration and bias corrections of satellite elevation data sets for
quantifying glacier thickness change. The Cryosphere 5, 271-290, doi:10.5194/tc-5-271-2011.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import GeohazardError
from ..formats.units import unit_ratio
from ..geometry.terrain import slope_aspect
from ..progress import check_canceled, ensure

#: 1 / Phi^-1(3/4): the NMAD of a normal distribution is its standard deviation.
NMAD_FACTOR = 1.4826
#: Slopes used by the horizontal fit (degrees): flatter cells carry no shift, steeper ones are mostly shadows.
FIT_SLOPE_DEG = (3.0, 70.0)
#: Aspect bins of the horizontal fit, and the fewest cells a bin needs to count.
ASPECT_BINS = 36
MIN_BIN_CELLS = 10
#: Fewest aspect bins of :data:`MIN_BIN_CELLS` cells the horizontal fit needs.
MIN_DIRECTIONS = 6
#: Fewest stable cells of a co-registration.
MIN_STABLE_CELLS = 500


def nmad(values) -> float:
    """Normalised median absolute deviation of the finite ``values``: 1.4826 median(|d - median(d)|) (NaN if none)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return float("nan")
    return float(NMAD_FACTOR * np.median(np.abs(v - np.median(v))))


def _window(arr, r0: int, c0: int, height: int, width: int) -> np.ndarray:
    """``arr[r0:r0 + height, c0:c0 + width]`` with NaN where the window leaves ``arr``."""
    out = np.full((height, width), np.nan)
    n_r, n_c = arr.shape
    a0, a1 = max(r0, 0), min(r0 + height, n_r)
    b0, b1 = max(c0, 0), min(c0 + width, n_c)
    if a1 > a0 and b1 > b0:
        out[a0 - r0:a1 - r0, b0 - c0:b1 - c0] = arr[a0:a1, b0:b1]
    return out


def sample_shifted(arr, first_row: int, first_col: int, n_rows: int, n_cols: int, shift_rows: float,
                   shift_cols: float) -> np.ndarray:
    """``arr`` sampled bilinearly at ``(first_row + i + shift_rows, first_col + j + shift_cols)`` for ``i < n_rows``,
    ``j < n_cols`` (cell indices); NaN beyond ``arr`` or next to NaN.

    The shift is split once into whole cells and a fraction, so every cell gets the same two weights whatever the
    window: the same bits for any block layout. A whole-cell shift reads no neighbour."""
    arr = np.asarray(arr, dtype=np.float64)
    n, m = math.floor(shift_rows), math.floor(shift_cols)
    f, g = shift_rows - n, shift_cols - m
    a = _window(arr, int(first_row) + n, int(first_col) + m, n_rows + 1, n_cols + 1)
    top = a[:-1, :-1] if g == 0 else a[:-1, :-1] * (1.0 - g) + a[:-1, 1:] * g
    if f == 0:
        return top
    bottom = a[1:, :-1] if g == 0 else a[1:, :-1] * (1.0 - g) + a[1:, 1:] * g
    return top * (1.0 - f) + bottom * f


def cell_shift(shift_x_m: float, shift_y_m: float, dx_m: float, dy_m: float) -> tuple:
    """``(rows, cols)`` to sample the moved DEM at: moving it by ``(shift_x_m, shift_y_m)`` (east, north) puts at
    map position ``(x, y)`` the value it had at ``(x - shift_x_m, y - shift_y_m)``; rows run south."""
    return shift_y_m / dy_m, -shift_x_m / dx_m


@dataclass(frozen=True)
class FitTile:
    """One window of the fit: ``ref`` and ``other`` read over the window grown by ``halo`` cells on every side
    (NaN beyond the grid), ``stable`` (bool) over the window itself, whose first cell is ``(row0, col0)`` of the
    grid."""

    ref: np.ndarray
    other: np.ndarray
    stable: np.ndarray
    row0: int
    col0: int
    halo: int


@dataclass(frozen=True)
class Coregistration:
    """What :func:`coregister` found (module docstring): the shift applied to ``other`` and the fit's quality."""

    shift_x_m: float
    shift_y_m: float
    shift_z_m: float
    tilt_x: float
    tilt_y: float
    centre_x_m: float
    centre_y_m: float
    nmad_before_m: float
    nmad_m: float
    median_after_m: float
    iterations: int
    n_stable: int
    converged: bool

    def vertical(self, x_m, y_m) -> np.ndarray:
        """The vertical correction added to ``other`` at map coordinates ``(x_m, y_m)``."""
        return self.shift_z_m + self.tilt_x * (np.asarray(x_m) - self.centre_x_m) \
            + self.tilt_y * (np.asarray(y_m) - self.centre_y_m)


@dataclass(frozen=True)
class _AspectBins:
    """The fit's cells sorted by aspect bin once (the reference's slopes do not move): their order, each bin's start,
    the bins' centre azimuths (radians) and ``tan(slope)`` of the sorted cells."""

    order: np.ndarray
    starts: np.ndarray
    centres: np.ndarray
    tan_slope: np.ndarray


def _aspect_bins(slope_deg, aspect_deg) -> _AspectBins:
    lo, hi = FIT_SLOPE_DEG
    idx = np.flatnonzero(np.isfinite(aspect_deg) & (slope_deg >= lo) & (slope_deg <= hi))
    bins = np.minimum((aspect_deg[idx] / (360.0 / ASPECT_BINS)).astype(np.intp), ASPECT_BINS - 1)
    order = np.argsort(bins, kind="stable")
    starts = np.searchsorted(bins[order], np.arange(ASPECT_BINS + 1))
    centres = np.radians((np.arange(ASPECT_BINS) + 0.5) * 360.0 / ASPECT_BINS)
    return _AspectBins(idx[order], starts, centres, np.tan(np.radians(slope_deg[idx[order]])))


def _horizontal_update(dh, bins: _AspectBins) -> tuple:
    """``(east, north)`` of the residual displacement of ``other`` (m), from the aspect-binned medians of
    ``dh / tan(slope)``; None when fewer than 6 bins hold :data:`MIN_BIN_CELLS` cells with a difference."""
    y = dh[bins.order] / bins.tan_slope
    centres, medians, weights = [], [], []
    for k in range(ASPECT_BINS):
        v = y[bins.starts[k]:bins.starts[k + 1]]
        v = v[np.isfinite(v)]
        if v.size >= MIN_BIN_CELLS:
            centres.append(bins.centres[k])
            medians.append(float(np.median(v)))
            weights.append(math.sqrt(v.size))
    if len(centres) < MIN_DIRECTIONS:
        return None
    c = np.asarray(centres)
    w = np.asarray(weights)
    design = np.stack([np.sin(c), np.cos(c), np.ones_like(c)], axis=1) * w[:, None]
    coef = np.linalg.lstsq(design, np.asarray(medians) * w, rcond=None)[0]
    return float(coef[0]), float(coef[1])


def _plane(dh, x, y) -> tuple:
    """Least-squares plane ``p0 + p1 x + p2 y`` of the finite ``dh``, refitted without residuals beyond 4 NMAD."""
    ok = np.isfinite(dh)
    coef = np.array([np.median(dh[ok]), 0.0, 0.0])
    for _ in range(2):
        design = np.stack([np.ones(int(ok.sum())), x[ok], y[ok]], axis=1)
        coef = np.linalg.lstsq(design, dh[ok], rcond=None)[0]
        res = dh - (coef[0] + coef[1] * x + coef[2] * y)
        spread = nmad(res[ok])
        ok = ok & (np.abs(res - np.median(res[ok])) <= 4.0 * max(spread, 1e-9))
    return float(coef[0]), float(coef[1]), float(coef[2])


def check_overlap(tiles, cores, names: tuple) -> None:
    """Refuse, naming ``names``, two DEMs that share too few stable cells with heights in both (a barely
    overlapping pair; no stable cell) or whose heights are one another times a unit factor (feet against metres,
    cm against m: :func:`~..formats.units.unit_ratio`, on a near-perfect line through the shared cells)."""
    refs, others = [], []
    n_ref = 0
    for t, (ref, _, _, stable) in zip(tiles, cores):
        h = t.halo
        other = t.other[h:h + ref.shape[0], h:h + ref.shape[1]]
        both = stable & np.isfinite(other)
        n_ref += int(stable.sum())
        refs.append(ref[both])
        others.append(other[both])
    a, b = np.concatenate(refs), np.concatenate(others)
    if a.size < MIN_STABLE_CELLS:
        if a.size >= n_ref / 2:
            raise GeohazardError(f"only {a.size} stable cells with heights in both DEMs (at least {MIN_STABLE_CELLS} "
                                 "needed): widen the stable area (or leave out less as changed)")
        raise GeohazardError(f"{names[0]} and {names[1]} share heights on only {a.size} of the {n_ref} stable cells "
                             f"with a height in {names[0]}; the fit needs at least {MIN_STABLE_CELLS}: the DEMs "
                             "barely overlap: give DEMs that cover a common area (only the overlap is compared)")
    da, db = a - a.mean(), b - b.mean()
    saa, sbb, sab = float(np.dot(da, da)), float(np.dot(db, db)), float(np.dot(da, db))
    if saa > 0 and sbb > 0 and sab / math.sqrt(saa * sbb) > 0.98:
        meaning = unit_ratio(math.sqrt(sbb / saa))
        if meaning:
            raise GeohazardError(f"{names[1]}'s heights are {math.sqrt(sbb / saa):.4g} times {names[0]}'s over "
                                 f"their {a.size} shared cells ({meaning}?): declare each DEM's unit (gdal_edit "
                                 "-units ft) so that it is read as metres, or convert it first")


def coregister(tiles, *, dx_m: float, dy_m: float, geotransform, n_rows: int, n_cols: int, tilt: bool = True,
               max_iterations: int = 20, tolerance_px: float = 0.002, progress=None,
               names: tuple = ("the reference DEM", "the other DEM")) -> Coregistration:
    """Nuth & Kääb co-registration of ``other`` onto ``ref`` over the stable cells of ``tiles``
    (:class:`FitTile`; module docstring for the method and the conventions).

    Parameters
    ----------
    tiles : sequence of FitTile
        The windows of the fit (the whole grid as one window when it is small).
    dx_m, dy_m : float
        Pixel size (m) along columns (east) and rows (south).
    geotransform : tuple
        GDAL geotransform of the grid (north-up), for the map coordinates of the tilt.
    n_rows, n_cols : int
        Grid size (its centre is the tilt's origin).
    tilt : bool
        Fit a plane instead of a constant vertical shift.
    max_iterations : int
        Most iterations of the horizontal fit.
    tolerance_px : float
        Stop when an update moves ``other`` by less than this (pixels).
    names : tuple of str
        What to call the two DEMs in a message.

    Returns
    -------
    Coregistration
    """
    progress = ensure(progress)
    cores, pix = [], []
    for t in tiles:
        h = t.halo
        n_r, n_c = t.stable.shape
        s, a = slope_aspect(t.ref, dx_m, dy_m)
        ref = t.ref[h:h + n_r, h:h + n_c]
        stable = t.stable.astype(bool) & np.isfinite(ref)
        cores.append((ref, s[h:h + n_r, h:h + n_c], a[h:h + n_r, h:h + n_c], stable))
        grid_r, grid_c = np.mgrid[t.row0:t.row0 + n_r, t.col0:t.col0 + n_c].astype(np.float64)
        pix.append((grid_r, grid_c))
    check_overlap(tiles, cores, names)
    n_stable = int(sum(int(c[3].sum()) for c in cores))
    max_shift_px = min((t.halo - 2 for t in tiles if t.halo), default=None)

    def differences(sx, sy):
        out = []
        sr, sc = cell_shift(sx, sy, dx_m, dy_m)
        for t, (ref, _, _, stable) in zip(tiles, cores):
            moved = sample_shifted(t.other, t.halo, t.halo, ref.shape[0], ref.shape[1], sr, sc)
            out.append(np.where(stable, moved - ref, np.nan))
        return out

    def gather(parts):
        return np.concatenate([p.ravel() for p in parts])

    bins = _aspect_bins(gather([c[1] for c in cores]), gather([c[2] for c in cores]))
    sx = sy = 0.0
    dh = gather(differences(sx, sy))
    before = nmad(dh)
    converged = False
    iterations = 0
    for iterations in range(1, int(max_iterations) + 1):
        check_canceled(progress)
        step = _horizontal_update(dh - np.nanmedian(dh), bins)
        if step is None:
            sloped = int(np.isfinite(dh[bins.order]).sum())
            raise GeohazardError(f"the stable ground has too few slopes of 3-70 degrees in enough directions for a "
                                 f"horizontal co-registration ({sloped} of its {n_stable} cells with heights in both "
                                 f"DEMs are sloped, in fewer than {MIN_DIRECTIONS} of {ASPECT_BINS} directions with "
                                 f"{MIN_BIN_CELLS} cells each): widen the stable area (or give a hillier one)")
        sx, sy = sx - step[0], sy - step[1]
        if max_shift_px is not None and max(abs(sx) / dx_m, abs(sy) / dy_m) > max_shift_px:
            raise GeohazardError(f"the DEMs are more than {max_shift_px} pixels apart ({sx:.1f} m east, {sy:.1f} m "
                                 "north): co-register them roughly first (or give a smaller pair)")
        dh = gather(differences(sx, sy))
        progress.set_progress(min(90.0, 100.0 * iterations / max_iterations))
        if math.hypot(step[0] / dx_m, step[1] / dy_m) < tolerance_px:
            converged = True
            break
    gt = geotransform
    xc = gt[0] + gt[1] * n_cols / 2.0
    yc = gt[3] + gt[5] * n_rows / 2.0
    if tilt:
        x = gather([gt[0] + (c + 0.5) * gt[1] - xc for _, c in pix])
        y = gather([gt[3] + (r + 0.5) * gt[5] - yc for r, _ in pix])
        p0, p1, p2 = _plane(dh, x, y)
        residual = dh - (p0 + p1 * x + p2 * y)
    else:
        p0, p1, p2 = float(np.nanmedian(dh)), 0.0, 0.0
        residual = dh - p0
    progress.set_progress(100.0)
    return Coregistration(shift_x_m=float(sx), shift_y_m=float(sy), shift_z_m=-p0, tilt_x=-p1, tilt_y=-p2,
                          centre_x_m=float(xc), centre_y_m=float(yc), nmad_before_m=before, nmad_m=nmad(residual),
                          median_after_m=float(np.nanmedian(residual)), iterations=iterations, n_stable=n_stable,
                          converged=converged)


def halo_rows(result: Coregistration, dy_m: float) -> int:
    """Rows of context a block of the difference pass reads above and below (the north shift and the bilinear
    neighbour)."""
    return int(math.ceil(abs(result.shift_y_m) / dy_m)) + 1


def bytes_per_pixel(n_zones: int) -> float:
    """Memory one cell of a block holds: the two DEMs read (float64), the sampling coordinates and weights, the
    aligned DEM and the difference, the zones' labels and their per-row sums."""
    return 8.0 * 2 + 8.0 * 8 + 4.0 * 2 + (16.0 if n_zones else 0.0)


def dem_difference_block(block, inputs, *, result: Coregistration, geotransform, n_zones: int = 0,
                         row_areas_m2=None) -> dict:
    """Block function of the engine: ``inputs["ref"]`` and ``inputs["other"]`` (rows read, cols) on one grid,
    ``inputs["zones"]`` (optional, int32: 0 outside, k for zone k). Returns ``difference`` (aligned other minus ref,
    float32), ``aligned`` (float32) and, with zones, ``zone_rows`` ``(rows, n_zones + 1, 4)``: per row and zone the
    gained and lost volume (m3), the cells with a difference and the cells in the zone."""
    gt = geotransform
    dx_m, dy_m = abs(gt[1]), abs(gt[5])
    n_r = block.rows
    n_c = inputs["ref"].shape[1]
    sr, sc = cell_shift(result.shift_x_m, result.shift_y_m, dx_m, dy_m)
    moved = sample_shifted(inputs["other"], block.pad_top, 0, n_r, n_c, sr, sc)
    x = gt[0] + (np.arange(n_c) + 0.5) * gt[1]
    y = gt[3] + (np.arange(block.row0, block.row1) + 0.5) * gt[5]
    aligned = moved + result.vertical(x[None, :], y[:, None])
    diff = aligned - inputs["ref"][block.core]
    out = {"difference": diff.astype(np.float32), "aligned": aligned.astype(np.float32)}
    if n_zones:
        zones = inputs["zones"][block.core].astype(np.intp)
        d32 = out["difference"].astype(np.float64)
        areas = np.asarray(row_areas_m2, dtype=np.float64)[block.row0:block.row1]
        parts = np.zeros((n_r, n_zones + 1, 4))
        for i in range(n_r):
            z, d = zones[i], d32[i]
            ok = np.isfinite(d)
            vol = np.where(ok, d, 0.0) * areas[i]
            parts[i, :, 0] = np.bincount(z, weights=np.maximum(vol, 0.0), minlength=n_zones + 1)
            parts[i, :, 1] = np.bincount(z, weights=np.minimum(vol, 0.0), minlength=n_zones + 1)
            parts[i, :, 2] = np.bincount(z, weights=ok.astype(np.float64), minlength=n_zones + 1)
            parts[i, :, 3] = np.bincount(z, minlength=n_zones + 1)
        out["zone_rows"] = parts
    return out
