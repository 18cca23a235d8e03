"""ADA detection core: thresholds, noise filters and clustering on hand-made cases, and
recall/precision on synthetic planted areas (vs a DBSCAN baseline's known weakness)."""

import numpy as np
import pytest
from testutils import RecordingProgress
from testutils_ada import inside_ellipse, planted_field, score_by_points

from insar_geohazards.algorithms.ada import detection as det
from insar_geohazards.algorithms.errors import GeohazardError


def grid(n, step=10.0, x0=0.0, y0=0.0):
    g = np.arange(n) * step
    xx, yy = np.meshgrid(g + x0, g + y0)
    return xx.ravel(), yy.ravel()


def test_stability_threshold_two_sigma_and_fixed():
    v = np.array([-2.0, 0.0, 2.0, np.nan])
    assert det.stability_threshold(v) == pytest.approx(2 * np.std([-2.0, 0.0, 2.0]))
    assert det.stability_threshold(v, n_sigma=1.0) == pytest.approx(np.std([-2.0, 0.0, 2.0]))
    assert det.stability_threshold(v, threshold_mm_yr=3.5) == 3.5
    with pytest.raises(GeohazardError, match="zero spread"):
        det.stability_threshold(np.ones(5))


def test_spacing_of_a_regular_grid():
    x, y = grid(60, step=10.0)
    # k-th neighbour spacing of a square grid is close to the grid step
    assert det.median_spacing(x, y) == pytest.approx(10.0, rel=0.15)


def hand_case():
    """A 10x10 block moving -10 mm/yr in a 40x40 stable grid (10 m step), a lone fast point,
    a block of uplift and a chance point in a stable patch."""
    x, y = grid(40)
    v = np.zeros(x.size)
    block = (x >= 50) & (x < 150) & (y >= 50) & (y < 150)
    v[block] = -10.0
    up = (x >= 250) & (x < 310) & (y >= 250) & (y < 310)
    v[up] = 8.0
    lone = np.flatnonzero((x == 350) & (y == 50))[0]
    v[lone] = -30.0
    return x, y, v, block, up, lone


def test_hand_case_two_adas_lone_point_isolated():
    x, y, v, block, up, lone = hand_case()
    r = det.detect_ada(x, y, v, threshold_mm_yr=2.0, radius_m=25.0)
    assert r.n_ada == 2
    # the largest ADA first; the 4 corner points of each square (3/8 of their neighbourhood
    # moving) fail the 50 % active share but join as border points of their neighbours
    assert set(np.unique(r.labels[block])) == {0}
    assert set(np.unique(r.labels[up])) == {1}
    assert r.flags[lone] == det.FLAG_ISOLATED and r.labels[lone] == -1
    assert np.all(r.flags[block] == det.FLAG_ACTIVE_IN_ADA)
    r2 = det.detect_ada(x, y, v, threshold_mm_yr=2.0, radius_m=25.0, min_active_fraction=0.6)
    assert r2.attributes["n_points"][0] == 100  # edges are kept as border points, not eroded
    a = r.attributes
    assert a["n_points"].tolist() == [100, 36]
    np.testing.assert_allclose(a["mean_vel"], [-10.0, 8.0])
    np.testing.assert_allclose(a["max_vel"], [-10.0, 8.0])
    np.testing.assert_allclose(a["x_m"][0], 95.0)
    assert np.all(a["qi_class"] >= 1) and np.all(a["qi_class"] <= 4)


def test_opposite_signs_never_share_an_ada():
    x, y = grid(20)
    v = np.where(x < 100, -6.0, 6.0)
    r = det.detect_ada(x, y, v, threshold_mm_yr=2.0, radius_m=15.0, min_active_fraction=0.0)
    assert r.n_ada == 2
    for i in range(2):
        assert len(np.unique(np.sign(v[r.labels == i]))) == 1


def test_outlier_inside_a_moving_area_is_removed():
    x, y = grid(20)
    v = np.full(x.size, -5.0) + np.random.default_rng(1).normal(0, 0.3, x.size)
    spike = 210
    v[spike] = -60.0
    r = det.detect_ada(x, y, v, threshold_mm_yr=2.0, radius_m=25.0)
    assert r.flags[spike] == det.FLAG_OUTLIER
    assert r.n_ada == 1 and r.attributes["n_points"][0] == x.size - 1


def test_sparse_chance_points_in_noisy_stable_ground_are_not_an_ada():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 1000, 4000), rng.uniform(0, 1000, 4000)
    v = rng.normal(0, 1.0, x.size)  # every |v| >= 1.5 is pure chance
    r = det.detect_ada(x, y, v, threshold_mm_yr=1.5)
    assert r.n_ada == 0
    assert np.sum(r.flags == det.FLAG_SPARSE) > 100


def test_all_stable_is_zero_adas_with_an_explanation():
    log = RecordingProgress()
    x, y = grid(10)
    r = det.detect_ada(x, y, np.zeros(x.size), threshold_mm_yr=2.0, progress=log)
    assert r.n_ada == 0 and np.all(r.labels == -1)
    assert any("zero active deformation areas" in m for m in log.infos)


def test_duplicates_nan_and_significance_flags():
    x, y, v, block, _, _ = hand_case()
    x = np.append(x, x[0])
    y = np.append(y, y[0])
    v = np.append(v, 0.0)
    v[1] = np.nan
    std = np.full(v.size, 0.1)
    i_weak = np.flatnonzero(block)[0]
    std[i_weak] = 20.0
    r = det.detect_ada(x, y, v, velocity_std_mm_yr=std, threshold_mm_yr=2.0, radius_m=25.0)
    assert r.flags[-1] == det.FLAG_DUPLICATE
    assert r.flags[1] == det.FLAG_NO_DATA
    assert r.flags[i_weak] == det.FLAG_NOT_SIGNIFICANT


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(GeohazardError, match="empty"):
        det.detect_ada([], [], [])
    with pytest.raises(GeohazardError, match="same length"):
        det.detect_ada([0, 1], [0], [1, 2])
    with pytest.raises(GeohazardError, match="min_active_fraction"):
        det.detect_ada([0, 1], [0, 1], [1, 2], min_active_fraction=2)
    with pytest.raises(GeohazardError, match="finite"):
        det.detect_ada([0, 1], [0, 1], [np.nan, 2])


def test_inputs_not_mutated_and_time_series_consistency():
    x, y, v, block, _, _ = hand_case()
    t = np.arange(12) / 12.0
    rng = np.random.default_rng(0)
    series = v[:, None] * t[None, :] + rng.normal(0, 0.5, (v.size, t.size))
    v0, s0 = v.copy(), series.copy()
    r = det.detect_ada(x, y, v, series_mm=series, threshold_mm_yr=2.0, radius_m=25.0)
    np.testing.assert_array_equal(v, v0)
    np.testing.assert_array_equal(series, s0)
    assert r.mean_series_mm.shape == (2, 12)
    np.testing.assert_allclose(r.mean_series_mm[0], -10.0 * t, atol=0.3)
    assert r.attributes["temporal_consistency"][0] > 0.9
    assert r.attributes["qi_class"][0] == 1


def test_planted_areas_precision_recall_beat_dbscan_baseline():
    x, y, v, areas, _ = planted_field(120_000, size_m=14_000, n_areas=12, n_noisy=15, seed=2)
    r = det.detect_ada(x, y, v)
    # planted areas big enough to be resolved: >= 10 points inside
    big = [a for a in areas if inside_ellipse(x, y, a).sum() >= 10]
    p, rec_all, hit = score_by_points(x, y, r.labels, areas)
    _, rec_big, _ = score_by_points(x, y, r.labels, big)
    assert p >= 0.9
    assert rec_big >= 0.9
    # the same points through DBSCAN on active points (eps 50 m) pick up the noisy patches
    from sklearn.cluster import DBSCAN

    act = np.abs(v) >= r.threshold_mm_yr
    lab = np.full(v.size, -1)
    lab[act] = DBSCAN(eps=50.0, min_samples=5).fit_predict(np.column_stack([x[act], y[act]]))
    p_db, _, _ = score_by_points(x, y, lab, areas)
    assert p_db < p


def test_series_given_by_a_reader_of_the_ada_points_equal_the_array():
    x, y, v, _, _ = planted_field(30_000, size_m=8_000, n_areas=6, n_noisy=4, seed=3)
    rng = np.random.default_rng(1)
    series = v[:, None] * (np.arange(25) / 30.0) + rng.normal(0, 2, (v.size, 25))
    series[rng.random(series.shape) < 0.03] = np.nan
    asked = []

    def reader(rows):
        asked.append(rows.copy())
        return series[rows]

    a = det.detect_ada(x, y, v, series_mm=series)
    b = det.detect_ada(x, y, v, series_mm=reader)
    assert a.n_ada >= 3 and len(asked) == 1
    assert asked[0].tolist() == np.flatnonzero(a.labels >= 0).tolist()  # the ADA points only, sorted
    assert a.mean_series_mm.tobytes() == b.mean_series_mm.tobytes()
    assert all(a.attributes[k].tobytes() == b.attributes[k].tobytes() for k in a.attributes)
    c = det.detect_ada(x, y, v, series_mm=lambda rows: None)  # the reader gives up: velocity coherence
    d = det.detect_ada(x, y, v)
    assert c.mean_series_mm is None and all(c.attributes[k].tobytes() == d.attributes[k].tobytes()
                                            for k in c.attributes)
    with pytest.raises(GeohazardError, match="series_mm gave shape"):
        det.detect_ada(x, y, v, series_mm=lambda rows: series[:5])
