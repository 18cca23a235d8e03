"""Phase-gradient stacking of wrapped interferograms (landslide detection without unwrapping).

For each wrapped interferogram ``z = exp(j phi)`` the phase gradient between neighbouring
pixels is taken as the angle of a complex product, so it needs no unwrapping:

    g_col(r, c) = arg(z(r, c+1) conj z(r, c))      (range / x direction, rad per pixel)
    g_row(r, c) = arg(z(r+1, c) conj z(r, c))      (azimuth / y direction, rad per pixel)

Short-baseline interferograms are then stacked as a rate (Sandwell & Price 1998 applied
to gradients):

    G = sum_i w_i g_i / sum_i w_i dt_i        (rad per pixel per year)

and the gradient magnitude ``|G| = hypot(G_col, G_row)`` is reported in mm/yr of LOS
motion per pixel (``|G| lambda / (4 pi) * 1000``). Slow landslides show up as
high-gradient patches at their borders and on their bodies; atmospheric delays, which
are smooth over a few pixels, largely cancel in gradients and average out in the stack.
After Fu, Zhang, Wang (Teng) et al. (2022), "Detecting slow-moving landslides using InSAR
phase-gradient stacking and deep-learning network", Front. Environ. Sci. 10:963322,
doi:10.3389/fenvs.2022.963322 (gradients along range and azimuth of short-temporal-baseline
interferograms, summed); see also Zhang et al. (2024), Landslides,
doi:10.1007/s10346-024-02263-3.

Gradients are given at pixel ``(r, c)`` for the pair ``(r, c)``-``(r, c+1)`` (resp. ``(r+1, c)``),
NaN on the last column (row).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..conventions import phase_to_mm_elementwise
from ..errors import GeohazardError
from ..ordered import sum_first_axis


def wrapped_gradients(ifg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wrapped phase gradients of one or more interferograms.

    Parameters
    ----------
    ifg : ndarray (..., rows, cols)
        Complex interferograms, or (wrapped or unwrapped) phase in radians; NaN / 0+0j = no data.

    Returns
    -------
    g_col, g_row : ndarray (..., rows, cols) float64
        rad/pixel in ``(-pi, pi]``; NaN where a neighbour is missing and on the last column / row.
    """
    a = np.asarray(ifg)
    if np.iscomplexobj(a):
        amp = np.abs(a)
        z = np.where((amp > 0) & np.isfinite(amp), a / np.where(amp > 0, amp, 1), np.nan)
    else:
        z = np.exp(1j * a.astype(np.float64))
    g_col = np.full(z.shape, np.nan)
    g_row = np.full(z.shape, np.nan)
    # products of contiguous copies: numpy's AVX-512 complex multiply rounds strided operands differently
    # (fused multiply-add), and a slice's strides depend on the block's shape (docs/architecture.md)
    c = np.ascontiguousarray
    g_col[..., :, :-1] = np.angle(c(z[..., :, 1:]) * np.conj(c(z[..., :, :-1])))
    g_row[..., :-1, :] = np.angle(c(z[..., 1:, :]) * np.conj(c(z[..., :-1, :])))
    return g_col, g_row


def phase_gradient_stack(ifg: np.ndarray, span_years: np.ndarray, *, wavelength_m: float,
                         weights: Optional[np.ndarray] = None, min_count: int = 1) -> dict:
    """Stack wrapped phase gradients of short-baseline interferograms.

    Parameters
    ----------
    ifg : ndarray (M, rows, cols)
        Complex interferograms or phase (radians).
    span_years : ndarray (M,)
        Time span of each interferogram, years (> 0).
    wavelength_m : float
        Radar wavelength, metres.
    weights : ndarray (M, rows, cols) or (M,), optional
        Non-negative weights (e.g. coherence); gradients use the smaller weight of the two pixels.
    min_count : int
        Pixels with fewer valid gradients (in either direction) are NaN.

    Returns
    -------
    dict
        ``magnitude_mm_yr`` (rows, cols): LOS gradient-rate magnitude, mm/yr per pixel;
        ``col_mm_yr``, ``row_mm_yr``: signed components (phase-gradient sign converted
        to LOS with ``-lambda / (4 pi)``: positive = LOS moving toward the satellite faster
        at the next column / row); ``count`` (int32).
    """
    a = np.asarray(ifg)
    if a.ndim != 3:
        raise GeohazardError(f"ifg must be (M, rows, cols), got shape {a.shape}")
    m = a.shape[0]
    dt = np.asarray(span_years, float)
    if dt.shape != (m,) or not np.all(dt > 0):
        raise GeohazardError(f"span_years must be {m} positive values, got {dt}")
    if not wavelength_m > 0:
        raise GeohazardError(f"wavelength_m must be > 0, got {wavelength_m!r}")
    g_col, g_row = wrapped_gradients(a)
    if weights is None:
        w = np.ones(a.shape)
    else:
        w = np.broadcast_to(np.asarray(weights, float).reshape((m,) + (1, 1) if np.ndim(weights) == 1
                                                               else a.shape), a.shape)
        w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    w_col = np.full(a.shape, 0.0)
    w_row = np.full(a.shape, 0.0)
    w_col[:, :, :-1] = np.minimum(w[:, :, 1:], w[:, :, :-1])
    w_row[:, :-1, :] = np.minimum(w[:, 1:, :], w[:, :-1, :])
    dtb = dt.reshape(m, 1, 1)
    out = {}
    counts = []
    for key, g, wg in (("col", g_col, w_col), ("row", g_row, w_row)):
        ok = np.isfinite(g) & (wg > 0)
        wg = np.where(ok, wg, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = sum_first_axis(wg * np.where(ok, g, 0.0)) / sum_first_axis(wg * dtb)
        counts.append(ok.sum(axis=0))
        out[f"{key}_mm_yr"] = phase_to_mm_elementwise(rate, wavelength_m, phase_sign=-1)
    count = np.minimum(counts[0], counts[1]).astype(np.int32)
    mag = np.hypot(out["col_mm_yr"], out["row_mm_yr"])
    bad = count < max(min_count, 1)
    for k in ("col_mm_yr", "row_mm_yr"):
        out[k][counts[0 if k == "col_mm_yr" else 1] < max(min_count, 1)] = np.nan
    mag[bad] = np.nan
    out["magnitude_mm_yr"] = mag
    out["count"] = count
    return out
