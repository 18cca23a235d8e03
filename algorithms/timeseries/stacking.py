"""Weighted rate stacking of interferograms (the quick-look velocity).

For a pixel with valid interferograms ``i`` (LOS displacement ``d_i`` mm, time span
``dt_i`` years, weight ``w_i``), the velocity minimising ``sum_i w_i (d_i - v dt_i)^2`` is

    v = sum_i w_i d_i dt_i / sum_i w_i dt_i^2

(Sandwell & Price 1998, doi:10.1029/1998JB900010; weighted as in Biggs et al. 2007,
doi:10.1111/j.1365-246X.2007.03415.x). Its standard error is estimated from the scatter
of the interferogram rates around it:

    s^2 = sum_i w_i (d_i - v dt_i)^2 / (n - 1),   std(v) = sqrt(s^2 / sum_i w_i dt_i^2)

with ``n`` the number of valid interferograms (NaN when n < 2). Stacking assumes a
constant rate and errors independent between interferograms; it ignores that
interferograms sharing a date are correlated, so use the SBAS inversion for the time series.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import GeohazardError
from ..ordered import sum_first_axis


def stacking_velocity(ifg_mm: np.ndarray, span_years: np.ndarray, *, weights: Optional[np.ndarray] = None,
                      min_count: int = 1, reference_mm: Optional[np.ndarray] = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate stacking of interferograms.

    Parameters
    ----------
    ifg_mm : ndarray (M, ...)
        Interferometric LOS displacement, mm, positive toward the satellite; NaN = no data.
    span_years : ndarray (M,)
        Time span of each interferogram (secondary - reference), years, > 0.
    weights : ndarray (M, ...) or (M,), optional
        Non-negative weights (e.g. inverse phase variance); 0 or NaN excludes a value.
    min_count : int
        Pixels with fewer valid interferograms are NaN.
    reference_mm : ndarray (M,), optional
        Value of each interferogram at the reference point, subtracted first.

    Returns
    -------
    velocity_mm_yr, velocity_std_mm_yr : ndarray (...)
    count : ndarray (...) int32
        Interferograms used.
    """
    d = np.asarray(ifg_mm, dtype=np.float64)
    m = d.shape[0]
    dt = np.asarray(span_years, dtype=np.float64)
    if dt.shape != (m,):
        raise GeohazardError(f"span_years has shape {dt.shape}, expected ({m},)")
    if not np.all(dt > 0):
        raise GeohazardError(f"every interferogram needs a positive time span; got {dt.min()} years")
    if reference_mm is not None:
        d = d - np.asarray(reference_mm, float).reshape((m,) + (1,) * (d.ndim - 1))
    shape = (m,) + (1,) * (d.ndim - 1)
    w = np.ones_like(d) if weights is None else np.broadcast_to(np.asarray(weights, np.float64), d.shape)
    ok = np.isfinite(d) & np.isfinite(w) & (w > 0)
    w = np.where(ok, w, 0.0)
    d0 = np.where(ok, d, 0.0)
    dtb = dt.reshape(shape)
    # sums over the interferograms in order (also for a block of one pixel, where numpy's reduction would
    # switch to its pairwise sum: algorithms.ordered)
    swt2 = sum_first_axis(w * dtb * dtb)
    count = ok.sum(axis=0).astype(np.int32)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = sum_first_axis(w * d0 * dtb) / swt2
        res = np.where(ok, d0 - v[None] * dtb, 0.0)
        s2 = sum_first_axis(w * res * res) / (count - 1)
        std = np.sqrt(s2 / swt2)
    bad = count < max(min_count, 1)
    v[bad] = np.nan
    std[bad | (count < 2)] = np.nan
    return v, std, count
