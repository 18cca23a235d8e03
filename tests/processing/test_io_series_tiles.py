"""fileio/base/series_tiles.py: the tiles of a time series keep one pixel's read of every date bounded."""

import pytest

from insar_geohazards.algorithms.engine import TILE_SIZE
from insar_geohazards.fileio.base.series_tiles import SERIES_PICK_BYTES, series_tile_size


@pytest.mark.parametrize("count", [1, 16, 100, 783, 5000])
def test_one_pixel_of_every_date_decodes_at_most_the_budget(count):
    edge = series_tile_size(10000, 10000, count)
    assert edge % 16 == 0 and 16 <= edge <= TILE_SIZE
    assert edge * edge * count * 4 <= SERIES_PICK_BYTES or edge == 16


def test_documented_sizes_and_small_grids():
    assert series_tile_size(10000, 10000, 783) == 32
    assert series_tile_size(10000, 10000, 100) == 96
    assert series_tile_size(10000, 10000, 16) == TILE_SIZE
    assert series_tile_size(40, 20, 16) == 48  # no larger than the grid needs (multiple of 16)
