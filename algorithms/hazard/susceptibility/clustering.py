"""Do the events cluster more than the factors explain? The test that chooses random or spatial folds.

Spatial folds answer "how well does the model predict where it has seen no event nearby". They are needed where
neighbouring events share something the factors do not carry (a hidden control, one failure mapped as several
polygons, a surveyor's route): a model that remembers the factor values near the training events then scores a
held-out event from memory, and random folds overstate the AUC (Brenning 2012, doi:10.1109/IGARSS.2012.6352393;
Roberts et al. 2017, doi:10.1111/ecog.02881: it is the *residual* dependence that calls for blocks). Where the
factors explain the events' clustering, nothing is left to remember; the question a user asks of the map (how
well does it rank the places where the next events of this area will occur) is then answered without bias by
folds of events drawn at random, and spatial folds are pessimistic: each fold's model must extrapolate to a
region whose factor values it saw little of (Wadoux et al. 2021, doi:10.1016/j.ecolmodel.2021.109692; Milà et al.
2022, doi:10.1111/2041-210X.13851).

The test compares the events' pair counts with those of events drawn from an inhomogeneous Poisson process whose
intensity is what the factors explain (Baddeley, Møller and Waagepetersen 2000, doi:10.1111/1467-9574.00144), by
Monte Carlo (Besag and Diggle 1977, doi:10.2307/2346974):

* the intensity is exp(eta) of a logistic regression of the inventory samples against the absence samples on the
  factors (linear and quadratic terms of each continuous factor standardised over the area sample, one column per
  class of a categorical factor but the most common), fitted here by Newton's method with a tiny ridge: a model
  that knows no place, only factor values (a case-control fit gives the intensity up to a constant);
* the observed statistic is, at each of :data:`N_LAGS` distances r (geometric from two pixels to a quarter of the
  area sample's extent), the number of event pairs closer than r (events at the means of their samples'
  coordinates, at most :data:`MAX_EVENTS` of them drawn at random);
* :data:`SIMULATIONS` sets of as many points are drawn from the area sample with chances proportional to the
  intensity (without replacement), and give each count's mean and standard deviation;
* the statistic is the largest standardised excess over the distances, its p-value its rank among the
  simulations' own largest excesses (a one-sided global test: only clustering counts).

Clustering beyond the factors (p <= :data:`ALPHA`) keeps the spatial folds; otherwise the folds are random. Fewer
than :data:`MIN_EVENTS` events cannot show clustering: they keep the spatial folds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Monte Carlo simulations of the test (its smallest p-value is 1 / (SIMULATIONS + 1))
SIMULATIONS = 99
#: the level at which the events count as clustered beyond the factors
ALPHA = 0.05
#: distances of the pair counts
N_LAGS = 12
#: events used at most (a random subset beyond: pair counts cost n^2)
MAX_EVENTS = 1500
#: fewer events than this cannot show clustering (a few dozen pairs within the distances that matter): the events
#: are then taken as clustered, and the folds stay spatial, the cautious side
MIN_EVENTS = 50
#: ridge of the intensity's logistic fit (on standardised columns: changes nothing but an unidentified column)
RIDGE = 1.0e-4


@dataclass
class ClusteringTest:
    """The test's outcome: p-value, whether the events cluster beyond the factors (p <= ALPHA), the distance (m)
    and ratio (observed / expected pairs) of the largest standardised excess, the events tested."""

    p_value: float
    clustered: bool
    distance_m: float
    ratio: float
    events: int

    def describe(self) -> str:
        if not np.isfinite(self.p_value):
            return (f"the {self.events} events are too few to test whether they cluster more than the factors "
                    f"explain (at least {MIN_EVENTS}, and twice as many area samples): taken as clustered, the "
                    "cautious side")
        side = "more" if self.clustered else "no more"
        return (f"the {self.events} events cluster {side} than the factors explain (pairs within "
                f"{self.distance_m:.0f} m: {self.ratio:.2f} x those of events drawn from the factors' intensity; "
                f"Monte Carlo p = {self.p_value:.2f}, {SIMULATIONS} simulations)")


def intensity_design(values, categorical, mean, sd) -> np.ndarray:
    """The columns of the intensity model (n, columns): per continuous factor z and z^2 (z standardised by ``mean``,
    ``sd``), per categorical factor an indicator of each of its kept classes; ``categorical`` lists the categorical
    factors as ``(index, classes kept)`` pairs."""
    v = np.asarray(values, np.float64)
    cols = []
    cats = dict(categorical)
    for i in range(v.shape[1]):
        if i in cats:
            cols.extend((v[:, i] == c).astype(np.float64) for c in cats[i])
        else:
            z = (v[:, i] - mean[i]) / (sd[i] if sd[i] > 0 else 1.0)
            cols.extend((z, z * z))
    return np.column_stack(cols) if cols else np.zeros((v.shape[0], 0))


def fit_logistic(x, y, weights=None, *, ridge: float = RIDGE, iterations: int = 50) -> np.ndarray:
    """Coefficients ``(intercept, b...)`` of a logistic regression of ``y`` (0/1) on ``x`` by Newton's method
    (iteratively reweighted least squares) with a ridge on the slopes; ``weights`` per sample (None: 1)."""
    x1 = np.column_stack([np.ones(len(x)), np.asarray(x, np.float64)])
    y = np.asarray(y, np.float64)
    w0 = np.ones(len(y)) if weights is None else np.asarray(weights, np.float64)
    beta = np.zeros(x1.shape[1])
    pen = np.full(x1.shape[1], ridge * w0.sum())
    pen[0] = 0.0
    for _ in range(iterations):
        eta = np.clip(x1 @ beta, -30.0, 30.0)
        p = 1.0 / (1.0 + np.exp(-eta))
        grad = x1.T @ (w0 * (y - p)) - pen * beta
        hess = x1.T @ (x1 * (w0 * p * (1.0 - p))[:, None]) + np.diag(pen)
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def _pair_counts(xy, radii) -> np.ndarray:
    """Unordered pairs of distinct points of ``xy`` closer than each radius."""
    from scipy.spatial import cKDTree

    tree = cKDTree(xy)
    ordered = tree.count_neighbors(tree, radii)  # counts each point with itself and each pair twice
    return 0.5 * (np.asarray(ordered, np.float64) - len(xy))


def clustering_test(event_xy, area_xy, eta_area, *, pixel_m: float, seed: int = 0,
                    simulations: int = SIMULATIONS) -> ClusteringTest:
    """Monte Carlo test of clustering of ``event_xy`` (n, 2; m) beyond an inhomogeneous Poisson process of
    log-intensity ``eta_area`` known at the area sample's points ``area_xy`` (module docstring)."""
    rng = np.random.default_rng([int(seed), 1_000_033])
    ev = np.asarray(event_xy, np.float64)
    axy = np.asarray(area_xy, np.float64)
    eta = np.asarray(eta_area, np.float64)
    ok = np.isfinite(eta)
    axy, eta = axy[ok], eta[ok]
    if len(ev) > MAX_EVENTS:
        ev = ev[np.sort(rng.choice(len(ev), MAX_EVENTS, replace=False))]
    n = len(ev)
    if n < MIN_EVENTS or len(axy) < 2 * n:
        return ClusteringTest(float("nan"), True, 0.0, float("nan"), n)
    extent = float(np.hypot(*(axy.max(axis=0) - axy.min(axis=0))))
    lo = 2.0 * max(float(pixel_m), 1e-9)
    hi = max(0.25 * extent, 2.0 * lo)
    radii = np.geomspace(lo, hi, N_LAGS)
    w = np.exp(eta - eta.max())
    w = w / w.sum()
    obs = _pair_counts(ev, radii)
    sims = np.array([_pair_counts(axy[rng.choice(len(axy), n, replace=False, p=w)], radii)
                     for _ in range(int(simulations))])
    mu, sd = sims.mean(axis=0), sims.std(axis=0, ddof=1)
    sd = np.where(sd > 0, sd, 1.0)
    z, z_sim = (obs - mu) / sd, (sims - mu) / sd
    t, t_sim = float(np.max(z)), np.max(z_sim, axis=1)
    p = float((1 + np.count_nonzero(t_sim >= t)) / (len(t_sim) + 1))
    k = int(np.argmax(z))
    return ClusteringTest(p, p <= ALPHA, float(radii[k]), float(obs[k] / mu[k]) if mu[k] > 0 else float("inf"), n)
