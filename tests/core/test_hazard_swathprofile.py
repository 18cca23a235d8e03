"""Swath profiles (algorithms/hazard/swathprofile.py): projection onto a polyline with a bend, the swath's limits,
bin statistics against numpy on a point cloud of known statistics, densification, the raster block."""

import numpy as np
import pytest

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.hazard import swathprofile as pr


def test_projection_onto_a_polyline_with_a_bend():
    """An L: (0,0) -> (100,0) -> (100,100), 200 m long. Hand-placed points: distance along and across (left
    positive), and the points beyond the ends."""
    line = pr.Line([[0, 0], [100, 0], [100, 100]])
    assert line.length == 200.0
    x = np.array([30.0, 30.0, 90.0, 110.0, 105.0, 120.0, -5.0, 100.0, 95.0])
    y = np.array([5.0, -7.0, 40.0, 60.0, -5.0, -20.0, 0.0, 130.0, 99.0])
    along, across, on = pr.project(x, y, line)
    # (30, 5): first leg, 5 m left; (30, -7): 7 m right; (90, 40): second leg at 40, 10 m left (west of a line
    # going north); (110, 60): 10 m right; (105, -5) and (120, -20): outside the bend, nearest the vertex, on the
    # bisector (a tie: the first leg, continued past the vertex), across = the distance to the vertex
    assert along[:4] == pytest.approx([30.0, 30.0, 140.0, 160.0])
    assert across[:4] == pytest.approx([5.0, -7.0, 10.0, -10.0])
    assert along[4] == pytest.approx(105.0) and across[4] == pytest.approx(-np.hypot(5, 5))
    assert along[5] == pytest.approx(120.0) and across[5] == pytest.approx(-np.hypot(20, 20))
    assert on[:6].all()
    assert not on[6] and not on[7]  # before the start, beyond the end
    assert along[8] == pytest.approx(199.0) and across[8] == pytest.approx(5.0)  # inside corner near the end
    keep, a = pr.in_swath(x, y, line, 20.0)
    assert list(keep) == [0, 1, 2, 3, 4, 8] and a == pytest.approx(along[keep])


def test_projection_is_vectorised_in_chunks_with_the_same_result(monkeypatch):
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-50, 250, 5000), rng.uniform(-50, 150, 5000)
    line = pr.Line([[0, 0], [100, 0], [150, 80], [200, 80]])
    whole = pr.project(x, y, line)
    monkeypatch.setattr(pr, "CHUNK", 777)
    parts = pr.project(x, y, line)
    for a, b in zip(whole, parts):
        assert np.array_equal(a, b)


def test_bin_statistics_match_numpy_on_a_cloud_of_known_statistics():
    """Normal values of known mean and spread per 100 m bin: count, mean, std, median, p05, p95 equal numpy's
    (np.percentile's linear interpolation), and close to the generating distribution."""
    rng = np.random.default_rng(1)
    along = rng.uniform(0, 1000, 200000)
    true_mean = 0.02 * (np.floor(along / 100) * 100 + 50)
    v = true_mean + rng.normal(0, 3.0, along.size)
    v[::97] = np.nan
    st = pr.bin_statistics(along, v, 1000.0, 100.0)
    assert st["distance_m"] == pytest.approx(np.arange(10) * 100 + 50)
    b = np.floor(along / 100).astype(int)
    for i in range(10):
        sel = v[(b == i) & np.isfinite(v)]
        assert st["count"][i, 0] == sel.size
        assert st["mean"][i, 0] == pytest.approx(sel.mean(), rel=1e-12)
        assert st["std"][i, 0] == pytest.approx(sel.std(ddof=1), rel=1e-10)
        for key, q in (("median", 50), ("p05", 5), ("p95", 95)):
            assert st[key][i, 0] == pytest.approx(np.percentile(sel, q), rel=1e-12)
        assert st["mean"][i, 0] == pytest.approx(0.02 * (100 * i + 50), abs=0.1)
        assert st["std"][i, 0] == pytest.approx(3.0, rel=0.03)
        assert st["p95"][i, 0] - st["p05"][i, 0] == pytest.approx(2 * 1.6449 * 3.0, rel=0.05)


def test_bins_the_last_short_and_empty_bins():
    left, centres = pr.bin_edges(250.0, 100.0)
    assert list(left) == [0, 100, 200] and list(centres) == [50, 150, 225]
    st = pr.bin_statistics([10.0, 20.0, 250.0], np.array([[1.0, np.nan], [3.0, np.nan], [5.0, 7.0]]), 250.0, 100.0)
    assert st["count"][:, 0].tolist() == [2, 0, 1] and st["count"][:, 1].tolist() == [0, 0, 1]
    assert np.isnan(st["mean"][1]).all() and np.isnan(st["std"][2, 0])  # one sample: no spread
    assert st["mean"][0, 0] == 2.0 and st["median"][2, 1] == 7.0
    with pytest.raises(GeohazardError, match="STEP"):
        pr.bin_edges(100.0, 0.0)
    with pytest.raises(GeohazardError, match="WIDTH"):
        pr.check_width_step(0.0, 10.0)


def test_densify_keeps_the_vertices_and_bounds_the_pieces():
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 3.0]])
    d = pr.densify(xy, 2.5)
    assert np.allclose(d[[0, 4, 6]], xy) and d.shape == (7, 2)
    assert np.hypot(*np.diff(d, axis=0).T).max() <= 2.5
    with pytest.raises(GeohazardError, match="two vertices"):
        pr.densify([[0, 0]], 1.0)
    with pytest.raises(GeohazardError, match="no length"):
        pr.Line([[1, 1], [1, 1]])


def test_raster_block_of_a_plane_and_its_independence_of_the_block():
    """z = 2 x: the swath's samples along a horizontal line are the pixels within half the width, and two
    blocks of rows give the same samples as one."""
    gt = (0.0, 1.0, 0.0, 20.0, 0.0, -1.0)
    rows, cols = np.mgrid[0:20, 0:30]
    z = 2.0 * (cols + 0.5)
    line = pr.Line([[2.5, 10.0], [27.5, 10.0]])

    class B:
        def __init__(self, r0, r1):
            self.row0, self.row1 = r0, r1

    def block(r0, r1):
        return pr.swath_raster_block(B(r0, r1), {"raster": z[r0:r1]}, gt=gt, window=(0, 20, 0, 30), frame=None,
                                     lines=[(7, line)], width_m=4.0)

    whole = block(0, 20)
    along, vals = whole["samples"][7]
    assert whole["pixels"][7] == 26 * 4  # columns 2..27 (centres 2.5..27.5), rows with |y - 10| <= 2: 4 rows
    assert np.allclose(vals[:, 0], 2.0 * (along + 2.5))
    a, b = block(0, 9), block(9, 20)
    assert np.array_equal(np.concatenate([a["samples"][7][0], b["samples"][7][0]]), along)


def _bend_reference(x, y, a, v, b, width):
    """An independent account of one bend A -> V -> B, by half-planes: the bisector of the bend is the line through V
    across the legs' mean direction u1 + u2. Where a point's foot falls on a leg, it goes to the leg on its side of
    the bisector (the first leg behind it); in the wedge past the end of the first leg and before the start of the
    second (feet on neither), the halves swap: the half ahead of the bisector continues the first leg, the half
    behind it the second. The station is that of the foot on the leg or its continuation; the point is in the
    swath when within width / 2 of its leg (of V in the wedge) and neither before A nor after B. Returns
    ``(in swath, station)``."""
    p = np.column_stack([x, y]) - v
    u1 = (v - a) / np.linalg.norm(v - a)
    u2 = (b - v) / np.linalg.norm(b - v)
    l1, l2 = np.linalg.norm(v - a), np.linalg.norm(b - v)
    t1, t2 = p @ u1, p @ u2  # stations from V along each leg
    wedge = (t1 > 0.0) & (t2 < 0.0)
    ahead = p @ (u1 + u2) > 0.0
    first = np.where(wedge, ahead, ~ahead)
    c1 = np.abs(u1[0] * p[:, 1] - u1[1] * p[:, 0])
    c2 = np.abs(u2[0] * p[:, 1] - u2[1] * p[:, 0])
    r = np.hypot(p[:, 0], p[:, 1])
    station = np.where(first, l1 + t1, l1 + t2)
    near = np.where(wedge, r, np.where(first, c1, c2)) <= 0.5 * width
    inside = near & (station >= 0.0) & (station <= l1 + l2)
    return inside, station


@pytest.mark.parametrize("turn_deg", [68.0, 112.0])
def test_a_bend_puts_each_sample_in_one_bin_as_an_independent_account_does(turn_deg):
    """A 2-km line turning by 68 degrees (an inner angle of 112) or 112 under a uniform cloud of points, swath 500 m,
    bins of 100 m: the counts per bin are those of the half-plane account above, the bins at the vertex hold no more
    than a straight stretch (the whole outer wedge once landed in one: 889 pixels against 291 and 345 on a DEM), no
    sample is counted twice, and the bins within reach of the bend are flagged "bend", the others not."""
    rng = np.random.default_rng(7)
    a, v = np.array([0.0, 0.0]), np.array([1000.0, 0.0])
    turn = np.radians(turn_deg)
    b = v + 1000.0 * np.array([np.cos(turn), np.sin(turn)])
    n = 400_000
    x = rng.uniform(-500.0, 1800.0, n)
    y = rng.uniform(-800.0, 1500.0, n)
    width, step = 500.0, 100.0
    line = pr.Line(np.array([a, v, b]))
    keep, along = pr.in_swath(x, y, line, width)
    inside, station = _bend_reference(x, y, a, v, b, width)
    assert np.array_equal(np.sort(keep), np.flatnonzero(inside))
    assert along == pytest.approx(station[keep], abs=1e-6)
    stats = pr.bin_statistics(along, y[keep], line.length, step)
    counts = stats["count"][:, 0]
    expected = np.bincount(np.clip(np.floor(station[inside] / step), 0, 19).astype(int), minlength=20)
    assert counts.tolist() == expected.tolist() and counts.sum() == keep.size == np.unique(keep).size
    # the density of the cloud: 400,000 points over 2,300 x 2,300 m; a straight bin holds 500 x 100 m of it
    straight = n / 2300.0 ** 2 * width * step
    # the vertex's bins hold less than a straight bin (the inner side's overlap is shared out), none holds more
    # than a quarter over it (the outer wedge's halves spread over W / 2 each side of the vertex)
    assert max(counts[9], counts[10]) < straight and counts.max() < 1.25 * straight
    flags = pr.bin_flags(stats, line, width, step)
    reach = 0.5 * width * np.tan(turn / 2.0)
    left = np.arange(20) * step
    near = (left + step >= 1000.0 - reach) & (left <= 1000.0 + reach)
    assert [("bend" in f) for f in flags] == near.tolist()


def test_bin_flags_say_edge_nodata_few_and_empty():
    """A straight 450-m line in bins of 100 m: the last bin (50 m) is "edge"; a bin with a no-data sample
    "nodata"; one with a tenth of the others' samples "few"; one with none "empty"; the others nothing."""
    line = pr.Line([[0.0, 0.0], [450.0, 0.0]])
    along = np.r_[np.linspace(0.5, 99.5, 100), np.linspace(100.5, 199.5, 100), np.linspace(200.5, 299.5, 10),
                  np.linspace(400.5, 449.5, 50)]
    values = np.ones(along.size)
    values[150] = np.nan
    stats = pr.bin_statistics(along, values, line.length, 100.0)
    flags = pr.bin_flags(stats, line, 20.0, 100.0)
    assert flags.tolist() == ["", "nodata", "few", "empty", "edge"]
    cols = pr.table_columns([pr.Profile(1, line, stats, along.size, flags)], ["b1"])
    assert list(cols)[:5] == ["profile", "distance_m", "x", "y", "flag"] and cols["flag"].tolist() == flags.tolist()
