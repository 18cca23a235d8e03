"""Deforming areas from the stacking rate (a plane clipped iteratively) and the ramp fit that leaves them out."""

from __future__ import annotations

import numpy as np
import pytest

from insar_geohazards.algorithms.corrections.deforming import deforming_areas
from insar_geohazards.algorithms.corrections.ramps import FitSums, ramp_normal_block, sum_rows
from insar_geohazards.algorithms.engine import Block, plan_blocks
from insar_geohazards.algorithms.errors import GeohazardError


def _scene(seed, rows=80, cols=120, bowl_mm_yr=-80.0):
    """A tilt across the whole scene (30 mm/yr in x, 10 in y at the edges), a bowl in the east, noise (mm/yr)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:rows, 0:cols].astype(float)
    tilt = 30.0 * (2 * xx / (cols - 1) - 1) + 10.0 * (2 * yy / (rows - 1) - 1)
    bowl = bowl_mm_yr * np.exp(-((xx - 0.8 * cols) ** 2 + (yy - 0.5 * rows) ** 2) / (2 * (0.1 * cols) ** 2))
    return tilt, bowl, 3.0 * rng.standard_normal((rows, cols))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_bowl_on_one_side_of_a_tilted_scene_is_found(seed):
    tilt, bowl, noise = _scene(seed)
    areas = deforming_areas(tilt + bowl + noise)
    assert areas.applied
    assert not areas.quiet[np.abs(bowl) > 10.0].any()  # the whole bowl is left out
    assert areas.quiet[np.abs(bowl) < 0.5].mean() > 0.9  # the rest is kept
    # the plane is the scene's tilt, not the bowl's flank
    np.testing.assert_allclose(areas.plane[1:], [30.0, 10.0], atol=1.5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_tilt_of_the_whole_scene_stays_in_the_fit(seed):
    tilt, _, noise = _scene(seed)
    areas = deforming_areas(tilt + noise)
    assert areas.share > 0.85  # only noise clusters are clipped
    np.testing.assert_allclose(areas.plane[1:], [30.0, 10.0], atol=0.5)
    # ... and however steep the tilt
    steep = deforming_areas(10.0 * tilt + noise)
    assert steep.share > 0.85


def test_deformation_over_most_of_the_scene_is_left_to_the_trend_guard():
    rows, cols = 60, 80
    yy, xx = np.mgrid[0:rows, 0:cols].astype(float)
    noise = np.random.default_rng(0).standard_normal((rows, cols))
    # a basin wider than the scene: no quiet majority, nothing is clipped (the ramps' trend guard decides)
    wide = deforming_areas(-100.0 * np.exp(-((xx - 40) ** 2 + (yy - 30) ** 2) / (2 * 40.0 ** 2)) + noise)
    assert wide.share > 0.95
    # too few pixels would be left quiet: none is left out
    bowl = -100.0 * np.exp(-((xx - 40) ** 2 + (yy - 30) ** 2) / (2 * 15.0 ** 2)) + noise
    assert deforming_areas(bowl).applied
    areas = deforming_areas(bowl, min_quiet_share=0.95)
    assert not areas.applied and areas.quiet.all() and areas.share < 0.95


def test_unusable_pixels_are_neither_used_nor_quiet_and_bad_options_are_named():
    tilt, bowl, noise = _scene(3)
    rate = tilt + bowl + noise
    usable = np.ones(rate.shape, bool)
    usable[:, :10] = False
    rate[5:9, 20:30] = np.nan
    areas = deforming_areas(rate, usable)
    assert not areas.quiet[:, :10].any() and not areas.quiet[5:9, 20:30].any()
    with pytest.raises(GeohazardError, match="k"):
        deforming_areas(rate, k=0.0)
    with pytest.raises(GeohazardError, match="rate"):
        deforming_areas(rate[None])


def test_same_areas_and_ramp_sums_for_any_memory_or_block_layout():
    tilt, bowl, noise = _scene(4, rows=70, cols=90)
    rate = tilt + bowl + noise
    areas = deforming_areas(rate)
    other = deforming_areas(np.asfortranarray(rate))
    np.testing.assert_array_equal(areas.quiet, other.quiet)
    np.testing.assert_array_equal(areas.plane, other.plane)
    rng = np.random.default_rng(5)
    rows, cols = rate.shape
    stack = rng.standard_normal((4, rows, cols)) + rate[None] * np.array([0.1, 0.2, 0.3, 0.4])[:, None, None]
    quiet = areas.quiet.astype(np.uint8)
    whole = sum_rows(ramp_normal_block(Block(0, 0, rows, 0, rows, rows, cols), {"stack": stack, "quiet": quiet},
                                       with_all=True))
    # the deforming pixels are out of the fit
    assert whole["n"].sum() == 4 * quiet.sum()
    for rows_per_block in (7, 16, 33):
        total = FitSums()
        for b in plan_blocks(rows, cols, block_rows=rows_per_block):
            total(b, ramp_normal_block(b, {"stack": stack[:, b.read0:b.read1], "quiet": quiet[b.read0:b.read1]},
                                       with_all=True))
        for key, value in total.result().items():  # the same bits for any block layout
            np.testing.assert_array_equal(value, whole[key])
