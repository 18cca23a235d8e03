"""The colour range of a time series drawn date by date: one ramp and one range for every date.

A series map is read one date at a time (the Temporal Controller, a date picker), so its colours must mean the same
value on every date: the range comes from the whole series, not from one band (the reference date is all zero, and
the last date alone understates a seasonal or recovering motion). The range is robust (a percentile of the values
of every date, so a few unwrapping errors do not wash the map out) and, for a signed quantity (displacement,
velocity), symmetric about zero so that white means no motion on every date.

The values are read from a bounded sample of the series (:func:`sample_plan`): every date when the dates are few, an
even choice of them otherwise (the first and the last always), and on each, whole rows of blocks spread down the
image (a different row of blocks on consecutive dates, so the sampled dates together cover the image). The plan
depends only on the raster's shape and block height, so the same file always gives the same range.
"""

from __future__ import annotations

import numpy as np

from .errors import GeohazardError

#: Values read for the range, all dates together (32 MB of float32): a whole small series, a sample of a large one.
SAMPLE_VALUES = 8_000_000
#: Most dates sampled (evenly spaced, first and last included).
SAMPLE_DATES = 24
#: Percentile of |value| (signed) or the two tails' percentiles (one-sided) that bound the ramp.
PERCENTILE = 98.0


def sample_dates(n_dates: int, most: int = SAMPLE_DATES) -> list:
    """0-based indices of the dates read: all of them up to ``most``, else ``most`` evenly spaced from the first to
    the last."""
    if n_dates < 1:
        raise GeohazardError(f"n_dates must be at least 1, got {n_dates}")
    if n_dates <= most:
        return list(range(n_dates))
    return sorted({int(round(k * (n_dates - 1) / (most - 1))) for k in range(most)})


def sample_plan(n_dates: int, height: int, width: int, *, block_rows: int = 256,
                budget: int = SAMPLE_VALUES) -> list:
    """``[(date index, first row, n rows)]``: the windows (full width) read for the range.

    A date whose whole band fits its share of ``budget`` is read whole; otherwise as many rows of blocks
    (``block_rows`` high, aligned on the blocks so that no block is decoded for a few rows) as the share holds,
    evenly spaced down the image and shifted from one sampled date to the next."""
    if height < 1 or width < 1:
        raise GeohazardError(f"the raster must have rows and columns, got {height} x {width}")
    block_rows = max(1, int(block_rows))
    dates = sample_dates(n_dates)
    share = max(1, budget // len(dates))
    if height * width <= share:
        return [(k, 0, height) for k in dates]
    n_blocks = -(-height // block_rows)
    take = max(1, min(n_blocks, share // (width * block_rows)))
    step = n_blocks / take
    plan = []
    for j, k in enumerate(dates):
        shift = (j * 0.618034) % 1.0  # a different row of blocks on each sampled date
        picks = sorted({int((i + shift) * step) % n_blocks for i in range(take)})
        for b in picks:
            r0 = b * block_rows
            plan.append((k, r0, min(block_rows, height - r0)))
    return plan


def series_range(values, *, signed: bool, percentile: float = PERCENTILE) -> tuple:
    """``(vmin, vmax)`` of the ramp over ``values`` (any shape, NaN = no data).

    ``signed``: ``(-v, v)`` with ``v`` the ``percentile`` of ``|value|`` (white = zero on every date); otherwise the
    ``100 - percentile`` and ``percentile`` percentiles. A degenerate range (no finite value, or all equal) widens
    to a unit interval about its value so a ramp can still be drawn."""
    if not 50.0 < percentile <= 100.0:
        raise GeohazardError(f"percentile must be in (50, 100], got {percentile}")
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if signed:
        top = float(np.percentile(np.abs(v), percentile)) if v.size else 0.0
        top = top if top > 0 else 1.0
        return -top, top
    if not v.size:
        return 0.0, 1.0
    lo, hi = (float(x) for x in np.percentile(v, [100.0 - percentile, percentile]))
    if not hi > lo:
        lo, hi = lo - 0.5, lo + 0.5
    return lo, hi
