"""Rupture traces from azimuth offsets (algorithms/faults/rupturetrace.py).

Independent references: strike-slip ruptures made with the plugin's Okada core (itself checked against Okada 1985's
Table 2) on random geometries with speckle and a decorrelated band along the fault (tests/testutils_fault_worlds.py):
the trace lies within 200 m (median) of the fault; marching squares against hand-made fields; the orientation (the
positive side on the right); no trace in noise; the same trace for any sign convention of the input."""

import math

import numpy as np
import pytest
from testutils_fault_worlds import rupture_world, trace_score

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.faults import rupturetrace as rt


def _points(res, gt, px):
    return np.vstack([np.column_stack([gt[0] + s.cols * px, gt[3] - s.rows * px]) for s in res.segments]) \
        if res.segments else np.zeros((0, 2))


@pytest.mark.parametrize("k", range(3))
def test_okada_ruptures_on_random_geometries(k):
    seed = int(np.random.default_rng(840 + k).integers(10**6))  # drawn at random once per case
    w = rupture_world(seed, half_m=20e3)
    px = w["pixel_m"]
    res = rt.rupture_trace(w["offset"], pixel_x_m=px, pixel_y_m=px, min_offset_m=0.5, smoothing_m=300.0)
    median, covered = trace_score(_points(res, w["gt"], px), w["trace"])
    assert median <= 200.0, (seed, median)
    assert covered >= 0.6, (seed, covered)
    for s in res.segments:
        assert s.jump_m >= 0.5 and s.positive_m > 0 > s.negative_m


def test_a_step_is_traced_where_it_is_and_oriented_positive_right():
    r, c = np.mgrid[0:60, 0:80]
    v = np.where(c >= 40, 1.0, -1.0)  # positive east of column 40: the boundary at x = 40 (pixel edges)
    res = rt.rupture_trace(v, pixel_x_m=100.0, pixel_y_m=100.0, min_offset_m=0.5, smoothing_m=150.0)
    assert res.n_traces == 1
    cols = np.concatenate([s.cols for s in res.segments])
    rows = np.concatenate([s.rows for s in res.segments])
    assert np.allclose(cols, 40.0, atol=1e-6)
    # positive (east) on the right: the line runs south to north, rows decreasing
    assert rows[0] > rows[-1]
    # read 2 smoothing lengths from the step: a Gaussian-blurred step of 2 has reached 2 erf(2 / sqrt 2) there
    assert np.median([s.jump_m for s in res.segments]) == pytest.approx(2.0 * math.erf(2.0 / math.sqrt(2.0)), rel=0.01)
    flipped = rt.rupture_trace(-v, pixel_x_m=100.0, pixel_y_m=100.0, min_offset_m=0.5, smoothing_m=150.0)
    rows_f = np.concatenate([s.rows for s in flipped.segments])
    assert np.allclose(np.concatenate([s.cols for s in flipped.segments]), 40.0) and rows_f[0] < rows_f[-1]


def test_a_decorrelated_band_is_crossed_half_way():
    r, c = np.mgrid[0:60, 0:80]
    v = np.where(c >= 40, 1.0, -1.0)
    v[:, 34:44] = np.nan  # a band of no data, 6 pixels west of the step and 4 east of it
    res = rt.rupture_trace(v, pixel_x_m=100.0, pixel_y_m=100.0, min_offset_m=0.5, smoothing_m=100.0)
    cols = np.concatenate([s.cols for s in res.segments])
    assert np.median(cols) == pytest.approx(39.0, abs=0.6)  # the band's middle


def test_marching_squares_saddle_and_rings():
    g = np.array([[1.0, -1.0], [-1.0, 1.0]])
    lines = rt.zero_lines(g, np.ones_like(g, bool))
    assert len(lines) == 2  # a saddle: two separate crossings
    yy, xx = np.mgrid[0:21, 0:21]
    ring = 5.0 - np.hypot(yy - 10.0, xx - 10.0)
    lines = rt.zero_lines(ring, np.ones_like(ring, bool))
    assert len(lines) == 1
    rows, cols = lines[0]
    assert np.allclose(np.hypot(rows - 10.5, cols - 10.5), 5.0, atol=0.1)
    assert (rows[0], cols[0]) == pytest.approx((rows[-1], cols[-1]))  # closed


def test_noise_gives_no_trace_and_bad_options_are_refused():
    v = 0.1 * np.random.default_rng(0).standard_normal((100, 100))
    res = rt.rupture_trace(v, pixel_x_m=50.0, pixel_y_m=50.0, min_offset_m=0.5, smoothing_m=150.0)
    assert res.segments == [] and res.n_traces == 0
    with pytest.raises(GeohazardError, match="SMOOTHING_M"):
        rt.rupture_trace(v, pixel_x_m=50.0, pixel_y_m=50.0, min_offset_m=0.5, smoothing_m=0.0)
    with pytest.raises(GeohazardError, match="valid pixels"):
        rt.rupture_trace(np.full((20, 20), np.nan), pixel_x_m=50.0, pixel_y_m=50.0, min_offset_m=0.5,
                         smoothing_m=100.0)


def test_same_input_same_trace_whatever_the_memory_layout():
    w = rupture_world(5, half_m=12e3, pixel_m=150.0)
    px = w["pixel_m"]
    runs = [rt.rupture_trace(a, pixel_x_m=px, pixel_y_m=px, min_offset_m=0.5, smoothing_m=300.0)
            for a in (w["offset"], np.asfortranarray(w["offset"]), w["offset"].astype(np.float64))]
    for other in runs[1:]:
        assert len(other.segments) == len(runs[0].segments) > 0
        for a, b in zip(runs[0].segments, other.segments):
            assert np.array_equal(a.rows, b.rows) and np.array_equal(a.cols, b.cols) and a.jump_m == b.jump_m
