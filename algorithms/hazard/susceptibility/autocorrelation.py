"""How far the factors stay alike: the correlation range that sets the test-fold buffer of the validation.

A test fold's events resemble the training events just across its edge wherever the factors are still correlated
there, and a model that remembers factor values then scores them from memory. Excluding from training every sample
within the factors' correlation range of the test fold removes that help (the buffered spatial cross-validation of
sperrorest and blockCV: Brenning 2012, doi:10.1109/IGARSS.2012.6352393; Valavi et al. 2019,
doi:10.1111/2041-210X.13107). Following blockCV, whose block size is the median of the predictors' variogram ranges
(Roberts et al. 2017, doi:10.1111/ecog.02881), the default buffer is the median of the continuous factors' ranges.

The range of a factor is read from its empirical semivariogram over the area sample (a uniform random sample of
the study area): gamma(h) = mean of (v_i - v_j)^2 / 2 over the pairs at distance h, in lag classes spaced
geometrically from the pixel size to half the largest distance (classes of fewer than :data:`MIN_PAIRS` pairs
left out, a running mean over three classes); the range is the lag where gamma first reaches :data:`SILL_SHARE` of
the factor's variance (the sill of a stationary field: its practical range), interpolated between classes. A
factor whose semivariogram does not reach it within half the largest distance (a trend across the area) gets that
distance, flagged.
"""

from __future__ import annotations

import numpy as np

#: share of the sill at which a factor counts as decorrelated (the practical range)
SILL_SHARE = 0.95
#: area samples used for the semivariogram (the first ones: a uniform random subset)
MAX_POINTS = 2000
#: lag classes
N_LAGS = 30
#: fewest pairs a lag class needs to be used
MIN_PAIRS = 30


def semivariogram(xy, values, *, pixel_m: float, n_lags: int = N_LAGS, max_points: int = MAX_POINTS) -> tuple:
    """``(lag_m, gamma, pairs, max_lag_m)``: the empirical semivariogram of ``values`` at the points ``xy`` (n, 2)
    (NaN values left out, the first ``max_points`` kept), in ``n_lags`` classes spaced geometrically from
    ``pixel_m`` to half the largest distance; ``lag_m`` the mean distance of each class's pairs."""
    from scipy.spatial.distance import pdist

    xy = np.asarray(xy, np.float64)
    v = np.asarray(values, np.float64)
    ok = np.isfinite(v)
    xy, v = xy[ok][:max_points], v[ok][:max_points]
    if v.size < 3:
        return np.zeros(0), np.zeros(0), np.zeros(0, np.int64), 0.0
    d = pdist(xy)
    g = 0.5 * pdist(v[:, None], "sqeuclidean")
    max_lag = 0.5 * float(d.max())
    lo = min(max(float(pixel_m), 1e-9), 0.5 * max_lag)
    edges = np.geomspace(lo, max_lag, n_lags + 1)
    edges[0] = 0.0
    k = np.searchsorted(edges, d, side="right") - 1
    use = (k >= 0) & (k < n_lags) & (d > 0)
    pairs = np.bincount(k[use], minlength=n_lags)
    gamma = np.bincount(k[use], weights=g[use], minlength=n_lags) / np.maximum(pairs, 1)
    lag = np.bincount(k[use], weights=d[use], minlength=n_lags) / np.maximum(pairs, 1)
    return lag, gamma, pairs, max_lag


def correlation_range_m(xy, values, *, pixel_m: float, max_points: int = MAX_POINTS) -> tuple:
    """``(range_m, reached)``: the lag at which the semivariogram of ``values`` first reaches :data:`SILL_SHARE` of
    their variance (module docstring); ``reached`` False when it does not within half the largest distance (the
    range is then that distance), or when the values are constant (range 0)."""
    v = np.asarray(values, np.float64)
    ok = np.isfinite(v)
    sill = float(np.var(v[ok][:max_points], ddof=1)) if ok.sum() > 2 else 0.0
    lag, gamma, pairs, max_lag = semivariogram(xy, values, pixel_m=pixel_m, max_points=max_points)
    if not sill > 0 or lag.size == 0:
        return 0.0, False
    good = pairs >= MIN_PAIRS
    lag, gamma, w = lag[good], gamma[good], pairs[good].astype(np.float64)
    if lag.size == 0:
        return max_lag, False
    # a running mean over three classes (weighted by their pairs) so that one noisy class does not decide
    num = np.convolve(gamma * w, np.ones(3), "same")
    smooth = num / np.convolve(w, np.ones(3), "same")
    target = SILL_SHARE * sill
    above = np.flatnonzero(smooth >= target)
    if above.size == 0:
        return max_lag, False
    i = int(above[0])
    if i == 0:
        return float(lag[0]), True
    g0, g1 = smooth[i - 1], smooth[i]
    t = (target - g0) / (g1 - g0) if g1 > g0 else 1.0
    return float(lag[i - 1] + t * (lag[i] - lag[i - 1])), True


def factor_ranges(xy, area_values, factors, *, pixel_m: float) -> dict:
    """Correlation range (m) and whether it was reached, ``{name: (range_m, reached)}``, of each continuous factor
    of ``factors`` (FactorSpec) over the area sample ``area_values`` (n, n_factors) at ``xy``."""
    out = {}
    for i, f in enumerate(factors):
        if not f.categorical:
            out[f.name] = correlation_range_m(xy, np.asarray(area_values)[:, i], pixel_m=pixel_m)
    return out


def default_buffer_m(ranges: dict) -> float:
    """The median of the continuous factors' correlation ranges (m); 0 without any."""
    values = [r for r, _ in ranges.values()]
    return float(np.median(values)) if values else 0.0
