"""The damage proxy (algorithms/hazard/damageproxy.py): synthetic coherence stacks with a planted damaged patch and a
water body, hand-computed proxies, thresholds, the areas against hand counts and pyproj's ellipsoid, the dates."""

import datetime as dt

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.hazard import damageproxy as dpm


def town(seed=0, shape=(40, 50), n_pre=6, n_co=2):
    """Coherent ground (0.75 +- 0.04), a lake (0.12 +- 0.05, always decorrelated) and a damaged block whose
    coherence falls to 0.35 across the event."""
    rng = np.random.default_rng(seed)
    pre = np.clip(rng.normal(0.75, 0.04, (n_pre,) + shape), 0, 1)
    co = np.clip(rng.normal(0.75, 0.04, (n_co,) + shape), 0, 1)
    lake = (slice(25, 38), slice(2, 20))
    pre[(slice(None),) + lake] = np.clip(rng.normal(0.12, 0.05, (n_pre, 13, 18)), 0, 1)
    co[(slice(None),) + lake] = np.clip(rng.normal(0.10, 0.05, (n_co, 13, 18)), 0, 1)
    patch = (slice(5, 12), slice(30, 41))
    co[(slice(None),) + patch] = np.clip(rng.normal(0.35, 0.04, (n_co, 7, 11)), 0, 1)
    return pre, co, lake, patch


def test_proxy_equals_the_hand_formula_and_finds_the_patch_not_the_lake():
    pre, co, lake, patch = town()
    out = dpm.damage_proxy(pre, co, threshold=3.0, std_floor=0.05, min_mean_coherence=0.3)
    hand = (pre.mean(0) - co.mean(0)) / np.maximum(pre.std(0, ddof=1), 0.05)
    usable = pre.mean(0) >= 0.3
    np.testing.assert_allclose(out["proxy"][usable], hand[usable], rtol=1e-12)
    assert np.isnan(out["proxy"][lake]).all() and (out["classes"][lake] == 1).all()
    assert (out["classes"][patch] == 3).all() and (out["proxy"][patch] > 4).all()
    outside = np.ones(pre.shape[1:], bool)
    outside[patch] = False
    outside[lake] = False
    assert (out["classes"][outside] == 3).sum() <= 3  # a 3-sigma threshold: a few false alarms at most
    np.testing.assert_allclose(out["mean_coherence"], pre.mean(0), rtol=1e-12)


def test_a_higher_threshold_keeps_fewer_pixels_and_the_floor_bounds_the_proxy():
    pre, co, _, patch = town(seed=1)
    counts = [(dpm.damage_proxy(pre, co, threshold=t)["classes"] == 3).sum() for t in (2.0, 3.0, 5.0, 50.0)]
    assert counts[0] >= counts[1] >= counts[2] > 0 == counts[3]
    same = np.full((3, 4, 4), 0.8)  # three identical pre-event pairs: no spread, the floor divides
    co = np.full((1, 4, 4), 0.7)
    assert dpm.damage_proxy(same, co, std_floor=0.05)["proxy"] == pytest.approx(np.full((4, 4), 2.0))
    with pytest.raises(GeohazardError, match="STD_FLOOR"):
        dpm.damage_proxy(same, co, std_floor=0.0)


def test_nodata_pairs_are_skipped_and_a_pixel_without_data_is_class_0():
    pre, co, _, _ = town(seed=2)
    pre[0, 1, 1] = np.nan
    pre[:, 2, 2] = np.nan
    out = dpm.damage_proxy(pre, co)
    p = pre[1:, 1, 1]
    assert out["proxy"][1, 1] == pytest.approx((p.mean() - co[:, 1, 1].mean()) / max(p.std(ddof=1), 0.05))
    assert np.isnan(out["proxy"][2, 2]) and out["classes"][2, 2] == 0


def test_blocks_give_the_same_bytes():
    pre, co, _, _ = town(seed=3)
    whole = dpm.damage_proxy(pre, co)
    for rows in (1, 7):
        parts = [dpm.damage_proxy(pre[:, r:r + rows], co[:, r:r + rows]) for r in range(0, 40, rows)]
        for k in whole:
            assert np.concatenate([p[k] for p in parts]).tobytes() == whole[k].tobytes()


def test_areas_by_hand_in_a_projected_grid():
    proxy = np.zeros((8, 10))
    classes = np.full((8, 10), 2, np.uint8)
    for r, c in [(1, 1), (1, 2), (2, 2), (3, 3)]:  # one area through diagonal neighbours: 4 pixels
        classes[r, c], proxy[r, c] = 3, 4.0 + r
    for r, c in [(6, 7), (6, 8)]:  # a second: 2 pixels
        classes[r, c], proxy[r, c] = 3, 10.0
    classes[0, 9], proxy[0, 9] = 3, 3.5  # a single pixel
    areas = dpm.row_pixel_areas_m2((0, 20.0, 0, 0, 0, -20.0), 8, geographic=False)
    labels, table = dpm.significant_areas(proxy, classes, areas, min_area_m2=700.0)
    assert list(table["n_pixels"]) == [4, 2] and list(table["area_m2"]) == [1600.0, 800.0]
    assert table["mean_proxy"][0] == pytest.approx((5 + 5 + 6 + 7) / 4) and table["max_proxy"][0] == 7.0
    assert labels[0, 9] == 0 and labels[1, 1] == 1 and labels[6, 8] == 2
    _, all_areas = dpm.significant_areas(proxy, classes, areas, min_area_m2=0.0)
    assert list(all_areas["n_pixels"]) == [1, 4, 2]  # labels follow the first pixel, row by row


def test_geographic_pixel_areas_equal_pyproj_on_the_ellipsoid():
    from pyproj import Geod

    gt = (-99.19, 0.0013888889, 0.0, 19.45, 0.0, -0.0013888889)
    areas = dpm.row_pixel_areas_m2(gt, 5, geographic=True)
    geod = Geod(ellps="WGS84")
    for r in range(5):
        lat0, lat1 = gt[3] + r * gt[5], gt[3] + (r + 1) * gt[5]
        ref = abs(geod.polygon_area_perimeter([0, gt[1], gt[1], 0], [lat0, lat0, lat1, lat1])[0])
        assert areas[r] == pytest.approx(ref, rel=1e-8)


def _p(a, b):
    return dt.date.fromisoformat(a), dt.date.fromisoformat(b)


def test_pair_dates_are_checked_against_the_event():
    event = dt.date(2020, 3, 10)
    pre = [_p("2020-01-01", "2020-01-13"), _p("2020-01-13", "2020-02-06")]
    co = [_p("2020-03-01", "2020-03-13")]
    dpm.check_pair_dates(pre, co, event, pre_names=["a", "b"], co_names=["c"])
    with pytest.raises(GeohazardError, match="PRE_COHERENCE: x .* spans the event: give it in CO_COHERENCE"):
        dpm.check_pair_dates(pre + co, co, event, pre_names=["a", "b", "x"], co_names=["c"])
    with pytest.raises(GeohazardError, match="CO_COHERENCE: y .* does not span the event"):
        dpm.check_pair_dates(pre, [pre[0]], event, pre_names=["a", "b"], co_names=["y"])
    with pytest.raises(GeohazardError, match="on the event date"):
        dpm.check_pair_dates(pre, [_p("2020-03-10", "2020-03-22")], event, pre_names=["a", "b"], co_names=["z"])
    with pytest.raises(GeohazardError, match="CO_COHERENCE: no coherence"):
        dpm.check_pair_dates(pre, [], event, pre_names=["a", "b"], co_names=[])


@pytest.mark.parametrize("n_pre, n_co", [(3, 1), (12, 4)])
def test_the_block_memory_model_bounds_what_a_block_allocates(n_pre, n_co):
    """bytes_per_pixel against tracemalloc (the float32 pairs read inside the measurement, as the engine does)."""
    import tracemalloc

    rng = np.random.default_rng(0)

    def peak(rows):
        tracemalloc.start()
        try:
            pre = rng.random((n_pre, rows, 300)).astype(np.float32)
            co = rng.random((n_co, rows, 300)).astype(np.float32)
            out = dpm.damage_proxy(pre, co)
            del out, pre, co
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(2)
    measured = (peak(64) - peak(16)) / (48 * 300)
    model = dpm.bytes_per_pixel(n_pre + n_co)
    assert measured <= model <= 3.0 * measured, (measured, model)


def test_class_values_to_keep_are_read_with_ranges_and_refused_when_unreadable():
    from insar_geohazards.algorithms.hazard.damageproxy import parse_class_values

    np.testing.assert_array_equal(parse_class_values("111, 112; 121-124 50"), [50, 111, 112, 121, 122, 123, 124])
    for bad in ("", "urban", "5-2"):
        with pytest.raises(GeohazardError, match="MASK_VALUES"):
            parse_class_values(bad)


def test_a_keep_mask_leaves_the_kept_pixels_as_they_are_and_the_others_without_proxy():
    from insar_geohazards.algorithms.hazard.damageproxy import damage_proxy

    rng = np.random.default_rng(3)
    pre = np.clip(rng.normal(0.7, 0.05, (4, 6, 7)), 0, 1)
    co = np.clip(rng.normal(0.5, 0.05, (2, 6, 7)), 0, 1)
    keep = np.zeros((6, 7), bool)
    keep[1:4, 2:6] = True
    whole, kept = damage_proxy(pre, co), damage_proxy(pre, co, keep=keep)
    np.testing.assert_array_equal(kept["proxy"][keep], whole["proxy"][keep])
    assert np.isnan(kept["proxy"][~keep]).all() and (kept["classes"][~keep] == 0).all()
    np.testing.assert_array_equal(kept["mean_coherence"], whole["mean_coherence"])
