"""algorithms/hazard/susceptibility/clustering: the intensity's logistic fit against scikit-learn, the Monte Carlo
test's level on inhomogeneous Poisson events and its power on Thomas cluster processes (both simulated here in plain
numpy), and the automatic folds it chooses on worlds made apart from the tool (tests/testutils_susceptibility_worlds:
events that follow the factors get random folds and no buffer, events that follow a hidden field get k-means folds
and the factors' range)."""

import numpy as np
import pytest
from testutils_susceptibility_worlds import make_world

from insar_geohazards.algorithms.engine import Block
from insar_geohazards.algorithms.hazard.susceptibility import clustering, models, sampling, validation

#: the cases' seeds, drawn at random once
DRAW = np.random.default_rng(86)


def _square(rng, n, side):
    return rng.uniform(0.0, side, size=(n, 2))


def test_the_intensity_fit_is_scikit_learns_logistic_regression():
    """Newton's method with the ridge on the slopes = scikit-learn's lbfgs with C = 1 / (ridge * n), weighted and
    unweighted."""
    pytest.importorskip("sklearn", reason="the reference fit is scikit-learn's")
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(DRAW.integers(1 << 31))
    x = rng.normal(size=(600, 3))
    y = (rng.random(600) < 1.0 / (1.0 + np.exp(-(0.3 + x @ np.array([1.2, -0.7, 0.0]))))).astype(float)
    w = np.where(y == 1, 2.0, 0.5)
    for weights in (None, w):
        beta = clustering.fit_logistic(x, y, weights, ridge=1e-3)
        total = 600.0 if weights is None else float(w.sum())
        ref = LogisticRegression(C=1.0 / (1e-3 * total), tol=1e-12, max_iter=10000).fit(x, y, sample_weight=weights)
        assert beta[0] == pytest.approx(ref.intercept_[0], rel=1e-4, abs=1e-4)
        assert beta[1:] == pytest.approx(ref.coef_[0], rel=1e-4, abs=1e-4)


def test_events_drawn_from_the_intensity_are_not_called_clustered_and_clusters_are():
    """Level: 20 inventories of 150 events drawn from a known inhomogeneous intensity (a gradient and a bump) over
    4,000 uniform area points of a 10 km square, the test given that intensity: at most 4 rejections at 5 %
    (binomial chance of more: 1.6 %). Power: 20 Thomas processes (30 parents, 5 offspring each within a normal of
    150 m) over the same intensity: every one rejected, at a distance under 1 km."""
    rng = np.random.default_rng(DRAW.integers(1 << 31))
    side = 10000.0
    area = _square(rng, 4000, side)
    eta = 1.5 * area[:, 0] / side - ((area[:, 0] - 6000.0) ** 2 + (area[:, 1] - 4000.0) ** 2) / 3000.0 ** 2
    p = np.exp(eta) / np.exp(eta).sum()
    rejected = 0
    for _ in range(20):
        ev = area[rng.choice(area.shape[0], 150, replace=False, p=p)] + rng.uniform(-12.5, 12.5, size=(150, 2))
        rejected += clustering.clustering_test(ev, area, eta, pixel_m=25.0, seed=int(rng.integers(1000))).clustered
    assert rejected <= 4, rejected
    for _ in range(20):
        parents = area[rng.choice(area.shape[0], 30, replace=False, p=p)]
        ev = np.repeat(parents, 5, axis=0) + rng.normal(0.0, 150.0, size=(150, 2))
        t = clustering.clustering_test(ev, area, eta, pixel_m=25.0, seed=int(rng.integers(1000)))
        assert t.clustered and t.p_value <= clustering.ALPHA and t.distance_m < 1000.0 and t.ratio > 1.5, t


def test_too_few_events_keep_the_spatial_folds():
    """Fewer than MIN_EVENTS events (drawn from the intensity itself) cannot show clustering: taken as clustered
    (spatial folds, the cautious side), no p-value, and the note says why."""
    rng = np.random.default_rng(DRAW.integers(1 << 31))
    area = _square(rng, 2000, 5000.0)
    eta = area[:, 0] / 5000.0
    n = int(rng.integers(5, clustering.MIN_EVENTS))
    ev = area[rng.choice(2000, n, replace=False, p=np.exp(eta) / np.exp(eta).sum())]
    t = clustering.clustering_test(ev, area, eta, pixel_m=25.0)
    assert t.clustered and np.isnan(t.p_value) and t.events == n
    assert "too few" in t.describe() and "cautious" in t.describe()


def _samples(w):
    """The sampling pass over a world (testutils_susceptibility_worlds) in one block: inventory ``a``'s rectangles
    numbered as events, absences anywhere else inside the study area."""
    ny, nx = w["mask"].shape
    inv = np.where(w["mask"], sampling.ABSENCE, sampling.OUTSIDE).astype(np.float32)
    events = np.zeros((ny, nx))
    for k, (r0, c0, h, ww) in enumerate(w["a"][0], start=1):
        events[r0:r0 + h, c0:c0 + ww] = k
    inv[(events > 0) & w["mask"]] = sampling.PRESENCE
    layers = list(w["factors"].values()) + list(w["categorical"].values())
    cat = [False] * len(w["factors"]) + [True] * len(w["categorical"])
    col = sampling.ScanCollector(len(layers), cat, 5000, 50, nx)
    b = Block(0, 0, ny, 0, ny, ny, nx)
    inputs = {f"f{i}": np.asarray(a, np.float64) for i, a in enumerate(layers)}
    inputs.update(inventory=inv, events=events)
    col(b, sampling.scan_block(b, inputs, n_factors=len(layers), categorical=tuple(cat), seed=0, k=5000,
                               max_classes=50))
    s = col.samples()
    names = list(w["factors"]) + list(w["categorical"])
    specs = [models.FactorSpec(nm, c, tuple(float(v) for v in s.classes.get(i, ()))) for i, (nm, c) in
             enumerate(zip(names, cat))]
    return s, specs


def _folds(seed, null):
    kw = {"range_m": (400.0, 1000.0)} if null else {"range_m": (1500.0, 4000.0)}
    w = make_world(seed, shape=(160, 160), pixel_m=40.0, n_events=150, null=null, **kw)
    s, specs = _samples(w)
    return validation.susceptibility(s, specs, "frequency_ratio", geotransform=w["geotransform"], repeats=2,
                                     permutations=0)


def test_the_automatic_folds_follow_the_events_clustering():
    """160 x 160 px worlds at 40 m. Events that follow the factors: random folds, no buffer, the log says why, on at
    least 2 of 3 worlds (a 5 % test calls 1 in 20 clustered by chance: then the spatial folds, the safe side).
    Events that follow a field the tool never sees: k-means folds with the factors' range as buffer, on 2 of 2."""
    seeds = [int(v) for v in DRAW.choice(100000, 5, replace=False)]
    informative = [_folds(seed, False) for seed in seeds[:3]]
    random = [r for r in informative if not r.clustering.clustered]
    assert len(random) >= 2, [(seed, r.clustering) for seed, r in zip(seeds, informative)]
    for r in random:
        assert "at random" in r.block_note and r.buffer_m == 0.0 and r.block_size_m == 0.0, r.block_note
        assert "cluster no more than the factors explain" in r.buffer_note
    for seed in seeds[3:]:
        r = _folds(seed, True)
        assert r.clustering.clustered and r.clustering.p_value <= clustering.ALPHA, (seed, r.clustering)
        assert "k-means clusters" in r.block_note and r.buffer_m > 0 and r.block_size_m > 0, (seed, r.block_note)
