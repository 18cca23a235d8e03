"""Zone histories: the statistics of a dated displacement per polygon and date (the series of a landslide, an active
area or a district that reports plot).

Every zone is summarised on its own (zones may overlap; a pixel or point counts in every zone that holds it): a pixel
belongs to a zone when its centre is inside the polygon, a point when it is inside. Per date, only the finite values
count (a pixel with no data on a date is left out of that date). The statistics are numpy's on the values of the zone
in row order:

* ``mean`` (:func:`numpy.mean`), ``median`` (:func:`numpy.median`), ``std`` the sample standard deviation
  (:func:`numpy.std` with ``ddof=1``, as the swath profiles; NaN with one value), ``count`` the number of finite
  values;
* ``min``, ``max``; ``p05`` and ``p95`` the 5th and 95th percentiles, interpolated linearly between order statistics
  (:func:`numpy.percentile`'s default, Hyndman & Fan's definition 7).

A date on which a zone holds no finite value gives NaN statistics and a count of 0.

References
----------
Hyndman R.J. & Fan Y. (1996), Sample quantiles in statistical packages, The American Statistician 50(4), 361-365,
doi:10.1080/00031305.1996.10473566.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import GeohazardError

#: the statistics a zone history can hold, in the order of the table's columns
STATISTICS = ("mean", "median", "std", "count", "min", "max", "p05", "p95")
#: what each statistic means, with its unit rule ("" = the input's unit; "count" has none)
DESCRIPTIONS = {
    "mean": "mean of the zone's values",
    "median": "median of the zone's values",
    "std": "sample standard deviation (ddof = 1) of the zone's values",
    "count": "number of pixels or points with a value on the date",
    "min": "smallest value",
    "max": "largest value",
    "p05": "5th percentile (linear interpolation)",
    "p95": "95th percentile (linear interpolation)",
}


def check_statistics(names: Sequence[str]) -> tuple:
    """The statistics asked for, in :data:`STATISTICS` order; refused when none is asked or one is unknown."""
    unknown = [n for n in names if n not in STATISTICS]
    if unknown:
        raise GeohazardError(f"STATISTICS: unknown statistic {unknown[0]!r}; choose among {', '.join(STATISTICS)}")
    chosen = tuple(n for n in STATISTICS if n in names)
    if not chosen:
        raise GeohazardError("STATISTICS: choose at least one statistic (mean, median, std, count ...)")
    return chosen


def zone_statistics(values: np.ndarray, stats: Sequence[str] = STATISTICS) -> dict:
    """The statistics of one zone per date.

    Parameters
    ----------
    values : ndarray, shape (n_dates, n)
        The zone's pixels or points (columns) on every date (rows), NaN where a value is missing.
    stats : sequence of str
        Names from :data:`STATISTICS`.

    Returns
    -------
    dict
        ``{name: ndarray (n_dates,)}``: float64 statistics (NaN on a date with no finite value), ``count`` as int64.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise GeohazardError(f"zone values must be (dates, pixels), got shape {values.shape}")
    n_dates = values.shape[0]
    finite = np.isfinite(values)
    count = finite.sum(axis=1).astype(np.int64)
    out = {}
    for name in stats:
        if name == "count":
            out[name] = count
            continue
        column = np.full(n_dates, np.nan)
        for k in np.flatnonzero(count):
            v = values[k][finite[k]]
            column[k] = _statistic(name, v)
        out[name] = column
    return out


def _statistic(name: str, v: np.ndarray) -> float:
    if name == "mean":
        return float(np.mean(v))
    if name == "median":
        return float(np.median(v))
    if name == "std":
        return float(np.std(v, ddof=1)) if v.size > 1 else float("nan")
    if name == "min":
        return float(np.min(v))
    if name == "max":
        return float(np.max(v))
    if name == "p05":
        return float(np.percentile(v, 5.0))
    if name == "p95":
        return float(np.percentile(v, 95.0))
    raise GeohazardError(f"unknown statistic {name!r}")


def points_in_rings(x: np.ndarray, y: np.ndarray, rings: Sequence[np.ndarray]) -> np.ndarray:
    """Whether each point ``(x, y)`` lies inside a polygon given by its ``rings`` (even-odd rule).

    Parameters
    ----------
    x, y : ndarray, shape (n,)
        Point coordinates, in the CRS of the rings.
    rings : sequence of ndarray, shape (k, 2)
        Every ring of the polygon (outer rings and holes, of every part of a multi-polygon), closed or not.

    Returns
    -------
    ndarray of bool, shape (n,)
        True inside. A point is inside when a ray from it crosses the rings an odd number of times, so holes are
        outside and separate parts are inside; a point exactly on an edge may fall either way.
    """
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    inside = np.zeros(x.shape, dtype=bool)
    for ring in rings:
        ring = np.asarray(ring, np.float64)[:, :2]
        if ring.shape[0] < 3:
            continue
        x0, y0 = ring[:, 0], ring[:, 1]
        x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
        for a, b, c, d in zip(x0, y0, x1, y1):
            if b == d:
                continue  # a horizontal edge is never crossed by the horizontal ray
            spans = (b > y) != (d > y)
            cross = a + (y - b) * (c - a) / (d - b)
            inside ^= spans & (x < cross)
    return inside


def long_table(zone_ids: Sequence[int], zone_names: Sequence[str], dates: Sequence, per_zone: Sequence[dict],
               stats: Sequence[str], n_members: Sequence[int]) -> dict:
    """The zone histories as one table: a row per zone and date (zones in their order, dates in order).

    Returns ``{column: ndarray}``: ``zone_id`` (int64), ``zone`` (text), ``date`` (``datetime.date``), ``n_members``
    (the zone's pixels or points, with or without a value) and one column per statistic."""
    n_dates = len(dates)
    cols = {
        "zone_id": np.repeat(np.asarray(zone_ids, np.int64), n_dates),
        "zone": np.repeat(np.asarray([str(z) for z in zone_names], dtype=object), n_dates),
        "date": np.asarray(list(dates) * len(zone_ids), dtype=object),
        "n_members": np.repeat(np.asarray(n_members, np.int64), n_dates),
    }
    for name in stats:
        parts = [np.asarray(z[name]) for z in per_zone]
        dtype = np.int64 if name == "count" else np.float64
        cols[name] = np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)
    return cols
