"""algorithms.hazard.comparelayers: the statistics against scipy.stats (pearsonr, ttest_rel, wilcoxon) and an
orthogonal regression by SVD written here; nearest pairing against a brute-force search; quantity checks."""

import numpy as np
import pytest
from scipy import stats as st

from insar_geohazards.algorithms.errors import GeohazardError
from insar_geohazards.algorithms.hazard import comparelayers as cl


def tls_svd(x, y):
    """The orthogonal-regression line: the smallest right singular vector of the centred cloud is its normal."""
    m = np.column_stack([x - x.mean(), y - y.mean()])
    normal = np.linalg.svd(m, full_matrices=False)[2][-1]
    slope = -normal[0] / normal[1]
    return slope, y.mean() - slope * x.mean()


@pytest.mark.parametrize("n, seed", [(12, 0), (40, 1), (500, 2), (20000, 3)])
def test_statistics_equal_scipy_and_an_svd_regression(n, seed):
    rng = np.random.default_rng(seed)
    truth = rng.normal(-8.0, 5.0, n)
    ref = truth + rng.normal(0, 1.0, n)                  # levelling, noisy
    inp = 1.1 * truth + 0.7 + rng.normal(0, 1.5, n)      # InSAR, scaled and biased
    inp[::17] = np.nan                                   # gaps left out pairwise
    s = cl.statistics(inp, ref)
    ok = np.isfinite(inp)
    a, b = inp[ok], ref[ok]
    d = a - b
    assert s["n"] == ok.sum()
    assert s["bias"] == pytest.approx(d.mean(), rel=1e-12)
    assert s["rmse"] == pytest.approx(np.sqrt(np.mean(d ** 2)), rel=1e-12)
    assert s["std"] == pytest.approx(np.std(d, ddof=1), rel=1e-12)
    assert s["nmad"] == pytest.approx(st.median_abs_deviation(d, scale=1 / 1.4826), rel=1e-12)
    assert s["pearson_r"] == pytest.approx(st.pearsonr(a, b)[0], rel=1e-10)
    assert s["t_test_p"] == pytest.approx(st.ttest_rel(a, b).pvalue, rel=1e-8, abs=1e-300)
    assert s["wilcoxon_p"] == pytest.approx(st.wilcoxon(a, b).pvalue, rel=1e-10, abs=1e-300)
    slope, intercept = tls_svd(b, a)
    assert s["tls_slope"] == pytest.approx(slope, rel=1e-9)
    assert s["tls_intercept"] == pytest.approx(intercept, rel=1e-8, abs=1e-9)


def test_regression_recovers_a_known_line_and_the_rmse_holds_the_bias():
    x = np.linspace(-20, 20, 201)
    s = cl.statistics(2.0 * x + 3.0, x)
    assert s["tls_slope"] == pytest.approx(2.0) and s["tls_intercept"] == pytest.approx(3.0)
    s = cl.statistics(x + 4.0, x)  # a pure offset: bias 4, std 0, RMSE 4 (the bias included)
    assert s["bias"] == pytest.approx(4.0) and s["rmse"] == pytest.approx(4.0)
    assert s["std"] == pytest.approx(0, abs=1e-12)
    assert s["t_test_p"] == 0.0 and s["pearson_r"] == pytest.approx(1.0)


def test_nearest_pairs_equal_a_brute_force_search():
    rng = np.random.default_rng(4)
    xi, yi = rng.uniform(0, 1000, 300), rng.uniform(0, 1000, 300)
    xr, yr = rng.uniform(0, 1000, 200), rng.uniform(0, 1000, 200)
    idx, dist = cl.nearest_pairs(xi, yi, xr, yr, max_distance_m=40.0)
    d = np.hypot(xi[:, None] - xr[None], yi[:, None] - yr[None])
    best = d.argmin(axis=1)
    within = d.min(axis=1) <= 40.0
    assert np.array_equal(idx >= 0, within) and np.array_equal(idx[within], best[within])
    assert np.allclose(dist[within], d.min(axis=1)[within]) and np.isnan(dist[~within]).all()
    with pytest.raises(GeohazardError, match="MAX_DISTANCE_M"):
        cl.nearest_pairs(xi, yi, xr, yr, max_distance_m=0.0)


def test_too_few_pairs_and_other_quantities_are_refused():
    with pytest.raises(GeohazardError, match="only 2 pairs"):
        cl.statistics([1.0, 2.0, np.nan], [1.0, 2.5, 3.0])
    with pytest.raises(GeohazardError, match="a velocity against a displacement"):
        cl.check_same_quantity({"quantity": "velocity", "source": "v.tif: UNIT=mm/yr"},
                               {"quantity": "displacement", "source": "d.tif: UNIT=mm"})
    with pytest.raises(GeohazardError, match="LOS against VERTICAL"):
        cl.check_same_quantity({"quantity": "velocity", "component": "LOS"},
                               {"quantity": "velocity", "component": "VERTICAL"})
    cl.check_same_quantity({"quantity": "velocity"}, {"quantity": ""})  # undeclared: not checked


def test_swath_bins_pair_the_means():
    along_a = np.array([5.0, 15.0, 25.0, 26.0])
    along_b = np.array([4.0, 6.0, 27.0])
    out = cl.binned_differences(along_a, np.array([1.0, 2.0, 3.0, 5.0]), along_b, np.array([0.0, 1.0, 2.0]),
                                length_m=30.0, step_m=10.0)
    assert np.allclose(out["input"], [1.0, 2.0, 4.0]) and np.allclose(out["reference"][[0, 2]], [0.5, 2.0])
    assert np.isnan(out["difference"][1]) and np.allclose(out["difference"][[0, 2]], [0.5, 2.0])


def test_ties_go_to_the_lowest_reference_index_like_a_brute_force_search():
    """Duplicated stations and equidistant points: the nearest within the distance, the lowest index among ties."""
    rng = np.random.default_rng(5)
    ref = rng.integers(0, 40, (300, 2)).astype(float) * 10.0  # a coarse lattice: many exact ties
    ref = np.r_[ref, ref[:50]]                               # and 50 duplicated stations
    pts = rng.integers(0, 80, (400, 2)).astype(float) * 5.0
    idx, dist = cl.nearest_pairs(pts[:, 0], pts[:, 1], ref[:, 0], ref[:, 1], max_distance_m=12.0)
    d = np.hypot(pts[:, None, 0] - ref[None, :, 0], pts[:, None, 1] - ref[None, :, 1])
    best = d.min(axis=1)
    want = np.where(best <= 12.0, np.argmax(d == best[:, None], axis=1), -1)
    assert np.array_equal(idx, want)
    assert cl.duplicated(ref[:, 0], ref[:, 1]) == len(ref) - len(np.unique(ref, axis=0))


def test_paired_tests_over_dates_equal_scipy_point_by_point():
    rng = np.random.default_rng(9)
    a = rng.normal(-10, 4, (6, 24))
    b = a + rng.normal(0.3, 1.0, a.shape)
    b[2, :22] = np.nan  # two dates left: no test
    b[4, ::3] = np.nan
    out = cl.paired_over_dates(a, b)
    for i in range(6):
        ok = np.isfinite(b[i])
        assert out["n_dates"][i] == ok.sum()
        if ok.sum() < 3:
            assert np.isnan(out["t_test_p"][i])
            continue
        assert out["t_test_p"][i] == pytest.approx(st.ttest_rel(a[i, ok], b[i, ok]).pvalue, rel=1e-9)
        assert out["wilcoxon_p"][i] == pytest.approx(st.wilcoxon(a[i, ok], b[i, ok]).pvalue, rel=1e-9)
        assert out["bias"][i] == pytest.approx(np.mean(a[i, ok] - b[i, ok]), rel=1e-12)


def test_dates_are_matched_exactly_and_magnitudes_compared():
    import datetime as dt

    d = [dt.date(2020, 1, 1) + dt.timedelta(days=12 * k) for k in range(6)]
    both, only_a, only_b = cl.match_dates(d, d[2:] + [d[-1] + dt.timedelta(days=1)])
    assert both == d[2:] and only_a == d[:2] and only_b == [d[-1] + dt.timedelta(days=1)]
    rng = np.random.default_rng(1)
    v = rng.normal(-5, 3, 200)
    assert cl.magnitude_ratio(v, v / 1000.0) == pytest.approx(1000.0)
    assert cl.magnitude_ratio(v, v + rng.normal(0, 1, 200)) < 2.0
