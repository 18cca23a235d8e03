"""The tile layout of time-series rasters (one band per date): what the dock's pick of one pixel on every date
decodes, bounded whatever the number of dates."""

from __future__ import annotations

import math

from ...algorithms.engine import TILE_SIZE

#: Most bytes one pixel's read of every band of a time series decodes (one tile per band): the dock's pick.
SERIES_PICK_BYTES = 4 * 2**20


def series_tile_size(width: int, height: int, count: int, itemsize: int = 4) -> int:
    """Edge of the square tiles of a raster of ``count`` bands read one pixel at a time on every band (a time series
    picked in the dock): the largest multiple of 16 whose tiles of all bands hold at most :data:`SERIES_PICK_BYTES`
    (a tile per band is decoded for one pixel), from 16 to 256, and no larger than the grid needs.

    783 dates: 32 x 32 tiles (3.2 MB per pick instead of 205 MB with 256 x 256); 100 dates: 96; 16 dates or fewer:
    256. A whole band is then read as more, smaller tiles holding the same pixels (BENCHMARKS.md)."""
    edge = int(math.sqrt(SERIES_PICK_BYTES / (max(1, int(count)) * int(itemsize)))) // 16 * 16
    edge = max(16, min(TILE_SIZE, edge))
    need = -(-max(int(width), int(height)) // 16) * 16
    return int(max(16, min(edge, need)))
