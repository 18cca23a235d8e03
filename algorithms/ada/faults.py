"""Distribution of features (ADAs, landslides) by distance to the nearest fault."""

from __future__ import annotations

import numpy as np

from ..errors import GeohazardError


def distance_bands(distance_m, bands_m):
    """Count and share of features per distance band.

    Parameters
    ----------
    distance_m : ndarray, shape (n,)
        Distance of each feature to its nearest fault, metres (NaN ignored).
    bands_m : sequence of float
        Increasing upper band limits, metres, e.g. ``(500, 1000, 2000, 5000)``; a last
        open band ``> bands_m[-1]`` is added.

    Returns
    -------
    dict
        ``lower_m``, ``upper_m`` (inf for the last), ``count``, ``share`` (of finite
        distances), ``cumulative_share`` — arrays of length ``len(bands_m) + 1``.
    """
    d = np.asarray(distance_m, dtype=np.float64)
    b = np.asarray(bands_m, dtype=np.float64)
    if b.ndim != 1 or b.size == 0 or np.any(b <= 0) or np.any(np.diff(b) <= 0):
        raise GeohazardError(f"bands_m must be positive and increasing, got {list(bands_m)!r}")
    d = d[np.isfinite(d)]
    edges = np.concatenate([[0.0], b, [np.inf]])
    # a feature touching a fault (distance 0) belongs to the first band; upper limits inclusive
    idx = np.searchsorted(b, d, side="left")
    count = np.bincount(idx, minlength=b.size + 1)
    share = count / d.size if d.size else np.zeros(count.size)
    return {"lower_m": edges[:-1], "upper_m": edges[1:], "count": count.astype(np.int64), "share": share,
            "cumulative_share": np.cumsum(share)}
