"""Zonal statistics of a raster over polygons (ADA classification: mean slope, distorted share).

Pixels are taken at their centres (a pixel counts when its centre lies inside the polygon,
even-odd rule, holes respected); a polygon smaller than a pixel takes the pixel under the
centroid of its vertices. The geotransform is GDAL's six numbers (rotation allowed).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .activity import points_in_polygons


def _world_to_pixel(gt, x, y):
    det = gt[1] * gt[5] - gt[2] * gt[4]
    dx, dy = np.asarray(x, float) - gt[0], np.asarray(y, float) - gt[3]
    return (-gt[4] * dx + gt[1] * dy) / det, (gt[5] * dx - gt[2] * dy) / det


def _pixel_centres(gt, rows, cols):
    r = np.asarray(rows, dtype=np.float64) + 0.5
    c = np.asarray(cols, dtype=np.float64) + 0.5
    return gt[0] + c * gt[1] + r * gt[2], gt[3] + c * gt[4] + r * gt[5]


def zonal_stat(data: np.ndarray, geotransform: Sequence[float], polygons: Sequence[Sequence[np.ndarray]],
               fn: Callable[[np.ndarray], float]) -> np.ndarray:
    """Per polygon, ``fn(values of the pixels inside)``; NaN for polygons off the raster or without rings.

    Parameters
    ----------
    data : ndarray, shape (rows, cols)
        Raster values.
    geotransform : sequence of 6 floats
        GDAL geotransform of ``data``.
    polygons : sequence of lists of ``(m, 2)`` rings
        Polygon rings in the raster's CRS.
    fn : callable
        Statistic of a 1-D array of values (may be empty when the polygon misses the raster).
    """
    h, w = data.shape
    out = np.full(len(polygons), np.nan)
    for i, rings in enumerate(polygons):
        if not rings:
            continue
        allv = np.vstack(rings)
        r0, c0 = _world_to_pixel(geotransform, allv[:, 0], allv[:, 1])
        rr = np.arange(max(int(np.floor(r0.min())), 0), min(int(np.ceil(r0.max())) + 1, h))
        cc = np.arange(max(int(np.floor(c0.min())), 0), min(int(np.ceil(c0.max())) + 1, w))
        if rr.size == 0 or cc.size == 0:
            continue
        R, C = np.meshgrid(rr, cc, indexing="ij")
        px, py = _pixel_centres(geotransform, R.ravel(), C.ravel())
        inside = points_in_polygons(px, py, [rings]) == 0
        vals = data[R.ravel()[inside], C.ravel()[inside]]
        if vals.size == 0:  # polygon smaller than a pixel: the pixel under its centre
            cx, cy = allv.mean(axis=0)
            r_, c_ = _world_to_pixel(geotransform, cx, cy)
            if 0 <= r_ < h and 0 <= c_ < w:
                vals = np.array([data[int(r_), int(c_)]])
        out[i] = fn(vals)
    return out


def nan_mean(a: np.ndarray) -> float:
    """Mean of the finite values (NaN when none): the mean slope of an ADA."""
    return float(np.nanmean(a)) if np.isfinite(a).any() else np.nan


def nonzero_share(a: np.ndarray) -> float:
    """Share of non-zero values (NaN counts as zero; NaN when empty): the distorted share of an ADA."""
    return float(np.mean(np.nan_to_num(a) != 0)) if a.size else np.nan
