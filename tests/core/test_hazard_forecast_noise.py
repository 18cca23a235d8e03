"""AR(1) noise of the forecast's choice (algorithms/hazard/forecast_noise.py): the whitened least squares against the
Gaussian likelihood written with numpy from the process's covariance matrix, irregular dates and gaps; the
restricted estimate of phi against the plain maximum-likelihood one on simulated series."""

import numpy as np
import pytest

from insar_geohazards.algorithms.hazard.forecast_noise import ar1_fit, gaps_of


def _series(rng, n=70, m=5):
    """Irregular dates (12-36 days apart), a few gaps, a line plus noise."""
    days = np.r_[0.0, np.cumsum(rng.choice([12.0, 12.0, 12.0, 24.0, 36.0], n - 1))]
    d = 0.01 * days[:, None] * rng.uniform(-1, 1, m) + rng.normal(0.0, 2.0, (n, m))
    d[rng.random((n, m)) < 0.1] = np.nan
    d[0, 1] = np.nan  # a series starting later
    return days, d


def _exact(days, y, X, phi):
    """Gaussian log-likelihood and restricted log-likelihood of ``y ~ X beta + e``, ``e`` with covariance
    ``s^2 phi^(|dt| / dt0)`` (``dt0`` the median interval of all the dates), ``s^2`` and ``beta`` profiled: numpy's
    GLS with the full covariance matrix."""
    dt0 = np.median(np.diff(days))
    ok = np.isfinite(y)
    t, y, X = days[ok], y[ok], X[ok]
    n, p = X.shape
    C = phi ** (np.abs(t[:, None] - t[None, :]) / dt0)
    Ci = np.linalg.inv(C)
    A = X.T @ Ci @ X
    beta = np.linalg.solve(A, X.T @ Ci @ y)
    r = y - X @ beta
    q = r @ Ci @ r
    logdet = np.linalg.slogdet(C)[1]
    ml = -0.5 * n * np.log(q / n) - 0.5 * logdet - 0.5 * n * (1.0 + np.log(2 * np.pi))
    reml = -0.5 * (n - p) * np.log(q / (n - p)) - 0.5 * logdet - 0.5 * np.linalg.slogdet(A)[1]
    return ml, reml


def test_whitened_fit_is_the_gaussian_likelihood_of_the_covariance_matrix():
    """At each phi (one-value grids) the log-likelihood equals numpy's from the full covariance matrix, up to the
    constant ``n/2 (1 + ln 2 pi)``; the restricted likelihood's differences between two phi are numpy's too, so its
    maximum is the same; gaps and irregular dates included."""
    rng = np.random.default_rng(3)
    days, d = _series(rng)
    X = np.column_stack([np.ones(days.size), days / 365.25, np.sin(2 * np.pi * days / 365.25)])
    gaps = gaps_of(d, days)
    cols = [X[:, 0], X[:, 1], X[:, 2]]
    for phi in (0.0, 0.45, 0.9):
        fit = ar1_fit(cols, d, gaps, grid=(phi,))
        for j in range(d.shape[1]):
            ml, _ = _exact(days, d[:, j], X, max(phi, 1e-300))
            n = np.isfinite(d[:, j]).sum()
            assert fit.loglik[j] - 0.5 * n * (1.0 + np.log(2 * np.pi)) == pytest.approx(ml, rel=1e-9, abs=1e-9)
    # the restricted likelihood's maximum on a grid is numpy's
    grid = (0.0, 0.3, 0.6, 0.9)
    fit = ar1_fit(cols, d, gaps, grid=grid)
    for j in range(d.shape[1]):
        reml = [_exact(days, d[:, j], X, max(phi, 1e-300))[1] for phi in grid]
        assert fit.phi[j] == grid[int(np.argmax(reml))]


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.8])
def test_restricted_phi_is_nearer_the_truth_than_the_plain_maximum_likelihood(phi):
    """Quadratic trends with AR(1) noise, 60 dates: the restricted estimate of phi is on average within 0.1 of the
    truth and, for correlated noise, nearer it than the maximum-likelihood estimate, which fitting the trend pulls
    down (Cheang & Reinsel 2000; at phi 0 both sit on the grid's edge)."""
    rng = np.random.default_rng(11)
    n, m = 60, 400
    days = np.arange(n) * 12.0
    e = np.zeros((n, m))
    e[0] = rng.normal(size=m)
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal(0.0, np.sqrt(1 - phi * phi), m)
    t = days / 365.25
    cols = [np.ones(n), t, t * t]
    grid = tuple(np.round(np.arange(0.0, 0.96, 0.1), 2))
    fit = ar1_fit(cols, e + 3.0 * t[:, None], gaps_of(e, days), grid=grid)
    # plain maximum likelihood on the same grid, by numpy
    X = np.column_stack(cols)
    ml_phi = []
    for j in range(40):
        ll = [_exact(days, e[:, j], X, max(g, 1e-300))[0] for g in grid]
        ml_phi.append(grid[int(np.argmax(ll))])
    assert abs(fit.phi.mean() - phi) < 0.1, fit.phi.mean()
    if phi > 0:
        assert abs(fit.phi[:40].mean() - phi) < abs(np.mean(ml_phi) - phi), (fit.phi[:40].mean(), np.mean(ml_phi))
    assert np.allclose(fit.inflation(), (1 + fit.phi) / (1 - fit.phi))


def test_empty_and_short_series_are_not_fitted():
    days = np.arange(10) * 12.0
    d = np.random.default_rng(1).normal(size=(10, 3))
    d[:, 1] = np.nan
    d[2:, 2] = np.nan  # two dates for two parameters: no residual
    fit = ar1_fit([np.ones(10), days], d, gaps_of(d, days))
    assert fit.ok.tolist() == [True, False, False] and np.isnan(fit.loglik[1:]).all()
