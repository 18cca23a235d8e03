"""algorithms.models.zonalseries: the statistics per date against numpy's own on the finite values, the even-odd
point-in-polygon test against matplotlib's Path (holes, several parts, random polygons), the long table."""

import datetime as dt

import numpy as np
import pytest
from testutils_seed import drawn_seed

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.models import zonalseries as zs


def test_statistics_per_date_are_numpys_on_the_finite_values():
    rng = np.random.default_rng(drawn_seed())
    n_dates, n = 9, int(rng.integers(2, 300))
    values = rng.normal(-5.0, 3.0, (n_dates, n))
    values[rng.random(values.shape) < 0.3] = np.nan
    values[4] = np.nan  # a date with no value at all
    out = zs.zone_statistics(values)
    for k in range(n_dates):
        v = values[k][np.isfinite(values[k])]
        assert out["count"][k] == v.size
        if v.size == 0:
            assert all(np.isnan(out[s][k]) for s in zs.STATISTICS if s != "count")
            continue
        assert out["mean"][k] == np.mean(v)
        assert out["median"][k] == np.median(v)
        assert out["min"][k] == v.min() and out["max"][k] == v.max()
        assert out["p05"][k] == np.percentile(v, 5) and out["p95"][k] == np.percentile(v, 95)
        if v.size > 1:
            assert out["std"][k] == np.std(v, ddof=1)
        else:
            assert np.isnan(out["std"][k])
    assert out["count"].dtype == np.int64


def test_a_zone_without_members_gives_nan_and_count_zero():
    out = zs.zone_statistics(np.zeros((4, 0)), ("mean", "count"))
    assert np.isnan(out["mean"]).all() and (out["count"] == 0).all()


def test_statistics_refused_when_unknown_or_none():
    with pytest.raises(GeohazardError, match="unknown statistic 'mode'"):
        zs.check_statistics(["mean", "mode"])
    with pytest.raises(GeohazardError, match="at least one"):
        zs.check_statistics([])
    assert zs.check_statistics(["count", "mean"]) == ("mean", "count")  # the table's order


def _random_polygon(rng, centre, radius, k):
    angles = np.sort(rng.uniform(0, 2 * np.pi, k))
    r = radius * rng.uniform(0.4, 1.0, k)
    return np.column_stack([centre[0] + r * np.cos(angles), centre[1] + r * np.sin(angles)])


def test_points_in_rings_is_matplotlibs_path_test_with_holes_and_parts():
    path_mod = pytest.importorskip("matplotlib.path", reason="matplotlib gives the independent point-in-polygon test")
    rng = np.random.default_rng(drawn_seed())
    outer = _random_polygon(rng, (0.0, 0.0), 100.0, 23)
    hole = _random_polygon(rng, (0.0, 0.0), 25.0, 9)
    part2 = _random_polygon(rng, (300.0, 50.0), 60.0, 15)
    x, y = rng.uniform(-150, 400, 20000), rng.uniform(-150, 150, 20000)
    got = zs.points_in_rings(x, y, [outer, hole, part2])
    xy = np.column_stack([x, y])
    want = (path_mod.Path(outer).contains_points(xy) & ~path_mod.Path(hole).contains_points(xy)) | \
        path_mod.Path(part2).contains_points(xy)
    # a point closer than 1e-9 to an edge may fall either way; none is that close here
    assert (got == want).all()
    assert got.sum() > 100


def test_long_table_has_a_row_per_zone_and_date():
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * i) for i in range(3)]
    per_zone = [zs.zone_statistics(np.arange(6.0).reshape(3, 2), ("mean", "count")),
                zs.zone_statistics(np.zeros((3, 0)), ("mean", "count"))]
    cols = zs.long_table([7, 9], ["a", "b"], dates, per_zone, ("mean", "count"), [2, 0])
    assert list(cols["zone_id"]) == [7, 7, 7, 9, 9, 9]
    assert list(cols["zone"]) == ["a"] * 3 + ["b"] * 3
    assert list(cols["date"]) == dates * 2
    assert list(cols["mean"][:3]) == [0.5, 2.5, 4.5] and np.isnan(cols["mean"][3:]).all()
    assert list(cols["count"]) == [2, 2, 2, 0, 0, 0] and list(cols["n_members"]) == [2] * 3 + [0] * 3
