"""ADA detection on spatial tiles with halos: the same bytes as the untiled run, in
this process and on a 2-worker Dask LocalCluster; the halo bound it relies on; the local
contrast test and the stable-points threshold against synthetic truth."""


import numpy as np
import pytest
import testutils_ada_generators as gen
from scipy.spatial import cKDTree

from insar_geohazards.algorithms import engine as eng
from insar_geohazards.algorithms.ada import activity as act
from insar_geohazards.algorithms.ada import detection as det
from insar_geohazards.algorithms.ada import neighbourhood as nbh


def same_result(a, b):
    assert a.labels.tobytes() == b.labels.tobytes() and a.flags.tobytes() == b.flags.tobytes()
    assert a.threshold_mm_yr == b.threshold_mm_yr and a.spacing_m == b.spacing_m and a.radius_m == b.radius_m
    assert a.radius_per_point_m.tobytes() == b.radius_per_point_m.tobytes()
    assert set(a.attributes) == set(b.attributes)
    assert all(a.attributes[k].tobytes() == b.attributes[k].tobytes() for k in a.attributes)


@pytest.fixture(scope="module")
def field():
    return gen.landslides(n=40_000, seed=9)


def test_knn_bound_holds_on_clustered_and_sparse_points():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(500, 20, 3000), rng.uniform(0, 5000, 400), [9000.0]])
    y = np.concatenate([rng.normal(500, 20, 3000), rng.uniform(0, 5000, 400), [9000.0]])
    for k in (8, 16):
        d = cKDTree(np.column_stack([x, y])).query(np.column_stack([x, y]), k=k + 1)[0][:, k]
        b = nbh.knn_distance_bound(x, y, k, cell_m=60.0)
        assert np.all(d <= b)
        assert np.isfinite(b[:-1]).mean() > 0.99  # only the far outlier may stay unresolved


def test_tiled_equals_untiled_bit_for_bit_and_clusters_cross_tiles(field):
    f = field
    whole = det.detect_ada(f.x, f.y, f.v)
    tile_of, edges = nbh.plan_tiles(f.x, f.y, 4000)
    assert len(edges) >= 9
    tiled = det.detect_ada(f.x, f.y, f.v, tile_points=4000)
    same_result(whole, tiled)
    # at least one ADA has points in several tiles: the links across tile edges were joined
    lab = whole.labels
    crossing = [i for i in range(whole.n_ada) if np.unique(tile_of[lab == i]).size > 1]
    assert crossing
    fixed = [det.detect_ada(f.x, f.y, f.v, radius_m=60.0, tile_points=t) for t in (None, 5000)]
    same_result(*fixed)


def test_tiles_on_a_two_worker_localcluster_equal_the_local_run(field):
    pytest.importorskip("distributed", reason="dask.distributed is not installed (apt install python3-distributed)")
    f = field
    local = det.detect_ada(f.x, f.y, f.v, tile_points=6000)
    with eng.DaskExecutor("local", n_workers=2, processes=True) as ex:
        assert ex.n_slots == 2
        dist = det.detect_ada(f.x, f.y, f.v, tile_points=6000, executor=ex)
        polys = [[np.array([[0, 0], [4000, 0], [4000, 3000], [0, 3000]], float)],
                 [np.array([[2000, 2000], [6000, 2500], [3000, 6000]], float)]]
        pip_dist = act.points_in_polygons_blocks(f.x, f.y, polys, block_points=7000, executor=ex)
    same_result(local, dist)
    assert pip_dist.tobytes() == act.points_in_polygons(f.x, f.y, polys).tobytes()
    assert (pip_dist == 1).any() and (pip_dist == 0).any()


def test_contrast_drops_clusters_on_correlated_noise_and_keeps_the_bowls():
    """Truth: the bowls generator with 1 mm/yr white and 2 mm/yr spatially correlated (3 km,
    atmosphere-like) noise, where that field alone exceeds the 2-sigma threshold in places.
    Without the contrast test 30 ADAs sit on its highs (seeds 5-7); with it at most 1, and
    every detectable bowl found without it is still found."""
    false_off = false_on = 0
    for seed in (5, 6, 7):
        f = gen.bowls(n=60_000, seed=seed, atmo_mm_yr=2.0)
        off = det.detect_ada(f.x, f.y, f.v, min_contrast=0)
        on = det.detect_ada(f.x, f.y, f.v)
        s_off = gen.score(f, off.labels, threshold_mm_yr=off.threshold_mm_yr)
        s_on = gen.score(f, on.labels, threshold_mm_yr=on.threshold_mm_yr)
        false_off += s_off["false_on_correlated_noise"]
        false_on += s_on["false_on_correlated_noise"]
        assert set(s_on["missed_detectable"]) <= set(s_off["missed_detectable"])
        gone = (off.labels >= 0) & (on.labels < 0)
        assert np.all(on.flags[gone] == det.FLAG_NO_CONTRAST)
    assert false_off >= 20 and false_on <= 1


def test_stable_points_sigma_follows_the_noise_not_the_movers():
    rng = np.random.default_rng(2)
    v = rng.normal(0, 1.5, 20_000)
    v[:2000] -= 25.0  # 10 % of the map moves fast: the MAD of the mixture is ~14 % above the noise's
    assert det.stability_threshold(v, sigma_from="stable") == pytest.approx(3.0, rel=0.15)
    assert det.stability_threshold(v) > 3 * det.stability_threshold(v, sigma_from="stable")
    assert det.stability_threshold(v, sigma_from="stable", threshold_mm_yr=4.0) == 4.0
    with pytest.raises(det.GeohazardError, match="sigma_from"):
        det.stability_threshold(v, sigma_from="robust")


def test_points_on_a_line_tile_like_the_whole_map():
    """Collinear PS (one road, zero area): a bounded number of tiles and the untiled result."""
    x, y = np.arange(30_000) * 5.0, np.zeros(30_000)
    v = np.random.default_rng(0).normal(0, 1, x.size)
    v[1000:1100] -= 10.0
    _, edges = nbh.plan_tiles(x, y, 5000)
    assert len(edges) <= 4 * 6
    whole, tiled = det.detect_ada(x, y, v), det.detect_ada(x, y, v, tile_points=5000)
    same_result(whole, tiled)
    assert whole.n_ada == 1 and np.all(whole.labels[1000:1100] == 0)
