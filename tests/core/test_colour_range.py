"""algorithms.colour_range: the range of a series' ramp over all its dates, from a bounded sample."""

import numpy as np
import pytest

from insar_geohazards.algorithms.colour_range import sample_dates, sample_plan, series_range
from insar_geohazards.algorithms.errors import GeohazardError


def test_a_signed_range_is_the_percentile_of_every_dates_magnitude_about_zero():
    rng = np.random.default_rng(4)
    cube = rng.normal(0, 5, (9, 20, 30))
    cube[0] = 0.0  # the reference date
    cube[3, :4, :4] = np.nan
    lo, hi = series_range(cube, signed=True)
    finite = cube[np.isfinite(cube)]
    assert hi == pytest.approx(np.percentile(np.abs(finite), 98)) and lo == -hi
    lo, hi = series_range(cube[0], signed=True)  # a zero band alone: a unit range, not a degenerate one
    assert (lo, hi) == (-1.0, 1.0)


def test_a_one_sided_range_is_the_two_tails():
    v = np.linspace(0.0, 1.0, 1001)
    lo, hi = series_range(v, signed=False)
    assert lo == pytest.approx(0.02) and hi == pytest.approx(0.98)
    assert series_range(np.full(5, 3.0), signed=False) == (2.5, 3.5)
    assert series_range(np.full(5, np.nan), signed=False) == (0.0, 1.0)
    with pytest.raises(GeohazardError, match="percentile"):
        series_range(v, signed=True, percentile=30.0)


@pytest.mark.parametrize("n", [1, 2, 24, 25, 200, 731])
def test_sampled_dates_are_even_and_keep_both_ends(n):
    got = sample_dates(n)
    assert got[0] == 0 and got[-1] == n - 1 and got == sorted(set(got)) and len(got) == min(n, 24)
    if n > 24:
        gaps = np.diff(got)
        assert gaps.max() - gaps.min() <= 1


def test_a_small_series_is_read_whole_and_a_large_one_within_the_budget():
    assert sample_plan(13, 60, 100) == [(k, 0, 60) for k in range(13)]
    rng = np.random.default_rng(7)
    for _ in range(20):
        n, h, w = int(rng.integers(2, 400)), int(rng.integers(300, 9000)), int(rng.integers(300, 9000))
        rows = int(rng.choice([1, 16, 256, 512]))
        budget = int(rng.integers(200_000, 20_000_000))
        plan = sample_plan(n, h, w, block_rows=rows, budget=budget)
        read = sum(m * w for _, _, m in plan)
        dates = sample_dates(n)
        assert {k for k, _, _ in plan} == set(dates)
        assert all(r0 % rows == 0 and 0 < m <= rows and r0 + m <= h for _, r0, m in plan) or \
            all(m == h for _, _, m in plan)
        # at most the budget, or one row of blocks per date when a single row of blocks exceeds its share
        assert read <= max(budget, len(dates) * rows * w)
        assert plan == sample_plan(n, h, w, block_rows=rows, budget=budget)  # the same file, the same sample


def test_the_sampled_rows_spread_over_the_image_across_dates():
    plan = sample_plan(60, 4096, 4096, block_rows=256, budget=4 * 4096 * 256 * 24)
    starts = {r0 for _, r0, _ in plan}
    assert len(starts) >= 12  # 16 rows of blocks, most of them read on some date
    assert min(starts) < 1024 and max(starts) >= 3072
