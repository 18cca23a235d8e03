"""Detection of active deformation areas (ADA) in a cloud of InSAR measurement points.

Pipeline (each step has a documented, keyword-only parameter):

1. **stability threshold** — a point is *active* when ``|v| >= t``; ``t`` is given in mm/yr
   or is ``n_sigma`` times the standard deviation of the velocity map (2 sigma after
   Barra et al. 2017). When a per-point velocity standard deviation is given the point
   must also be significant: ``|v| >= min_snr * v_std``.
2. **search radius** ``r_i`` of each active point: given in metres, or (default)
   ``radius_spacings`` times the *local* point spacing ``d_k sqrt(pi / k)`` (``d_k`` the
   distance to its k-th nearest neighbour among all points, k = :data:`LOCAL_K`), so every
   neighbourhood holds about ``pi radius_spacings^2`` (~20) points whether the point lies in
   a dense town or in sparse fields (PS densities differ 50-100x within one map; one radius
   for the whole map is too wide in towns or too narrow in the countryside): the
   k-nearest-neighbour density idea of density-adaptive DBSCAN variants. A fixed radius
   (one distance for the whole map, as set by hand per dataset in the ADA papers) is
   still available.
3. **noise filtering** of active points inside their radius: *isolated* points have fewer
   than ``min_neighbours`` active neighbours of the same sign; *sparse* points sit among
   mostly stable points (the share of same-sign active points among all points within
   ``r_i`` is below ``min_active_fraction`` and their count is not significant against the
   base rate, see ``count_test``) or in a neighbourhood that does not move as a
   whole (the mean velocity of the other points within ``r_i`` is less than
   ``min_mean_z`` standard errors from zero, or of the other sign) or among points that
   exceed the threshold the other way (more than ``max_opposite_ratio`` per same-sign
   active point) — together these remove the chance exceedances of noisy but stable
   patches; *outliers* differ from the mean of their active neighbours by more
   than ``z_max`` neighbour standard deviations. The remaining points are *core* points.
4. **clustering** — single linkage of core points of the same sign (linked when either lies
   within the other's radius, i.e. DBSCAN on the filtered points); then isolated and sparse
   points within the radius of a core point (or with one in their own) join its cluster as
   *border* points (DBSCAN's border points: the edge of an area, where half of the
   neighbourhood is stable ground, is not eroded). Clusters with fewer than ``min_points``
   points, core and border counted, are dropped.
5. **per-ADA attributes and quality index** (see :func:`ada_attributes`).

The outline polygon of each ADA (a morphological closing of the cluster's points, which
follows concave shapes and is not a bounding box) is built by the caller from the labels
returned here (the adadetection tool).

Coordinates must be in metres (a projected CRS). Velocities are LOS in mm/yr, positive
toward the satellite (see :mod:`algorithms.conventions`).

References
----------
Barra A. et al. (2017), A methodology to detect and update active deformation areas based
on Sentinel-1 SAR images, Remote Sensing 9(10):1002, doi:10.3390/rs9101002.
Navarro J.A. et al. (2020), ADAtools: automatic detection and classification of active
deformation areas from PSI displacement maps, ISPRS Int. J. Geo-Inf. 9(10):584,
doi:10.3390/ijgi9100584.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import GeohazardError
from ..formats.dates import field_name
from ..progress import SubProgress, check_canceled, ensure, info, warn
from .neighbourhood import neighbourhood_stats

#: Point flags written next to each input point.
FLAG_STABLE = 0
FLAG_ACTIVE_IN_ADA = 1
FLAG_ISOLATED = 2
FLAG_SPARSE = 3
FLAG_OUTLIER = 4
FLAG_SMALL_CLUSTER = 5
FLAG_NO_DATA = 6
FLAG_DUPLICATE = 7
FLAG_NOT_SIGNIFICANT = 8
FLAG_NO_CONTRAST = 9

#: Neighbour rank whose distance measures the local point spacing (adaptive radius).
LOCAL_K = 16

FLAG_NAMES = {
    FLAG_STABLE: "stable",
    FLAG_ACTIVE_IN_ADA: "ada",
    FLAG_ISOLATED: "isolated",
    FLAG_SPARSE: "sparse",
    FLAG_OUTLIER: "outlier",
    FLAG_SMALL_CLUSTER: "small_cluster",
    FLAG_NO_DATA: "no_data",
    FLAG_DUPLICATE: "duplicate",
    FLAG_NOT_SIGNIFICANT: "not_significant",
    FLAG_NO_CONTRAST: "no_contrast",
}


@dataclass
class AdaResult:
    """Result of :func:`detect_ada`.

    Attributes
    ----------
    labels : ndarray of int64, shape (n,)
        ADA index ``0..n_ada-1`` of each point, ``-1`` outside every ADA.
    flags : ndarray of uint8, shape (n,)
        One of the ``FLAG_*`` codes (see :data:`FLAG_NAMES`).
    threshold_mm_yr, radius_m, spacing_m : float
        Stability threshold used, median search/link radius over the active points, median
        point spacing of the map.
    attributes : dict of str -> ndarray, each shape (n_ada,)
        Per-ADA attributes (see :func:`ada_attributes`), plus ``radius_m`` and ``spacing_m``:
        median search radius and local point spacing over the ADA's points.
    mean_series_mm : ndarray, shape (n_ada, n_dates) or None
        Mean displacement time series of each ADA.
    radius_per_point_m : ndarray, shape (n,) or None
        Search radius of each active point (NaN for the others).
    """

    labels: np.ndarray
    flags: np.ndarray
    threshold_mm_yr: float
    radius_m: float
    spacing_m: float
    attributes: dict = field(default_factory=dict)
    mean_series_mm: Optional[np.ndarray] = None
    radius_per_point_m: Optional[np.ndarray] = None

    @property
    def n_ada(self) -> int:
        return int(self.attributes["n_points"].size) if self.attributes else 0


def stability_threshold(velocity_mm_yr, *, n_sigma: float = 2.0, threshold_mm_yr: Optional[float] = None,
                        sigma_from: str = "map") -> float:
    """Stability threshold ``t`` (mm/yr): given, or ``n_sigma`` standard deviations of the velocities.

    Parameters
    ----------
    velocity_mm_yr : array_like, shape (n,)
        LOS velocities, mm/yr; NaN ignored.
    n_sigma : float
        Multiple of the standard deviation (2 after Barra et al. 2017).
    threshold_mm_yr : float, optional
        Fixed threshold; overrides ``n_sigma`` when given and > 0.
    sigma_from : {"map", "stable"}
        ``"map"``: the standard deviation of every velocity. ``"stable"``: the standard
        deviation of the *stable* points (Barra et al. 2017; Tomas et al. 2019), estimated
        robustly as ``1.4826 x`` the median absolute deviation from the median: the moving
        points (a minority) do not inflate it, so the threshold follows the noise level.

    Returns
    -------
    float
        Threshold, mm/yr (> 0).
    """
    if threshold_mm_yr is not None and threshold_mm_yr > 0:
        return float(threshold_mm_yr)
    if not n_sigma > 0:
        raise GeohazardError(f"n_sigma must be > 0, got {n_sigma!r}")
    if sigma_from not in ("map", "stable"):
        raise GeohazardError(f"sigma_from must be 'map' or 'stable', got {sigma_from!r}")
    v = np.asarray(velocity_mm_yr, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size < 2:
        raise GeohazardError(f"velocity has {v.size} finite values; at least 2 are needed for a 2-sigma threshold")
    if sigma_from == "stable":
        sd = 1.4826 * float(np.median(np.abs(v - np.median(v))))
        if sd == 0:  # more than half the points share one value: fall back to the map's spread
            sd = float(np.std(v))
    else:
        sd = float(np.std(v))
    if sd == 0:
        raise GeohazardError("velocity has zero spread (all values equal); give a threshold in mm/yr")
    return n_sigma * sd


def median_spacing(x_m, y_m, *, k: int = 8, sample: int = 20000, seed: int = 0, tree=None) -> float:
    """Typical point spacing (metres): ``1 / sqrt(local density)``, median over the points.

    The local density at a point is ``k / (pi d_k^2)`` with ``d_k`` the distance to its
    k-th neighbour, so the spacing is ``d_k * sqrt(pi / k)``; unlike the nearest-neighbour
    distance it is not fooled by PS that come in tight pairs or rows (buildings, pixel
    neighbours). Estimated from a random sample of ``sample`` points; duplicated
    positions count as neighbours at distance 0. ``tree`` is a ``cKDTree`` of the same
    points when the caller has one (it is reused, not rebuilt).
    """
    from scipy.spatial import cKDTree

    xy = np.column_stack([np.asarray(x_m, float), np.asarray(y_m, float)])
    if xy.shape[0] < 2:
        raise GeohazardError(f"need at least 2 points to measure the point spacing, got {xy.shape[0]}")
    k = int(min(k, xy.shape[0] - 1))
    tree = cKDTree(xy) if tree is None else tree
    idx = np.arange(xy.shape[0])
    if idx.size > sample:
        idx = np.random.default_rng(seed).choice(idx, sample, replace=False)
    d, _ = tree.query(xy[idx], k=k + 1)
    dk = d[:, k]
    dk = dk[np.isfinite(dk) & (dk > 0)]
    if dk.size == 0:
        raise GeohazardError("all points share the same coordinates; cannot measure the point spacing")
    return float(np.median(dk) * np.sqrt(np.pi / k))


def _duplicates(x, y, resolution_m=1e-3):
    """Boolean mask of points that repeat an earlier point's coordinates (within 1 mm)."""
    ix = np.round(x / resolution_m)
    iy = np.round(y / resolution_m)
    ix -= ix.min()
    iy -= iy.min()
    span = iy.max() + 1.0
    if (ix.max() + 1.0) * span < 2.0 ** 62:
        # one int64 key per point: a 1-D sort, several times faster than unique rows
        _, first = np.unique(ix.astype(np.int64) * np.int64(span) + iy.astype(np.int64), return_index=True)
    else:
        _, first = np.unique(np.column_stack([ix, iy]), axis=0, return_index=True)
    dup = np.ones(x.size, bool)
    dup[first] = False
    return dup


def _components(n, i, j):
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(i.size, np.int8), (i, j)), shape=(n, n))
    return connected_components(g, directed=False)[1]


def _group_median(labels, values, k):
    """Median of ``values`` per label ``0..k-1``."""
    order = np.lexsort((values, labels))
    lab, val = labels[order], values[order]
    starts = np.searchsorted(lab, np.arange(k + 1))
    return np.array([np.median(val[a:b]) if b > a else np.nan for a, b in zip(starts[:-1], starts[1:])])


def detect_ada(x_m, y_m, velocity_mm_yr, *, velocity_std_mm_yr=None, series_mm=None,
               threshold_mm_yr: Optional[float] = None, n_sigma: float = 2.0, min_snr: float = 2.0,
               radius_m: Optional[float] = None, radius_spacings: float = 2.5, min_neighbours: int = 2,
               min_active_fraction: float = 0.4, min_mean_z: float = 2.5,
               max_opposite_ratio: Optional[float] = 0.05, z_max: float = 3.0, min_points: int = 5,
               min_contrast: float = 0.5, sigma_from: str = "map", count_test: bool = True,
               tile_points: Optional[int] = None, max_memory_mb: Optional[float] = None,
               executor=None, progress=None) -> AdaResult:
    """Detect active deformation areas in a point cloud.

    Parameters
    ----------
    x_m, y_m : ndarray, shape (n,)
        Projected coordinates, metres.
    velocity_mm_yr : ndarray, shape (n,)
        LOS velocity, mm/yr, positive toward the satellite; NaN = no data.
    velocity_std_mm_yr : ndarray, shape (n,), optional
        Per-point velocity standard deviation, mm/yr (significance test ``|v| >= min_snr * std``).
    series_mm : ndarray, shape (n, n_dates), or callable, optional
        Displacement time series (mm) for the mean series and the temporal consistency; or a function of
        sorted row indices (int64, shape (m,)) giving their series (shape (m, n_dates), mm) or None (no
        series), called once with the points of the ADAs only, so a reader can stream the series from disk
        and hold the ADA points' alone. Both forms give the same result.
    threshold_mm_yr : float, optional
        Stability threshold; ``None`` or 0 uses ``n_sigma`` standard deviations of the map.
    n_sigma : float
        See :func:`stability_threshold`.
    min_snr : float
        Minimum ``|v| / std`` when ``velocity_std_mm_yr`` is given (0 disables).
    radius_m : float, optional
        One search and link radius for every point, metres; ``None`` or 0 adapts it to the
        local density: ``radius_spacings`` times each active point's local spacing.
    radius_spacings : float
        Adaptive radius in local point spacings (2.5: about 20 points per neighbourhood).
    min_neighbours : int
        Minimum number of active same-sign neighbours within the radius (else *isolated*).
    min_active_fraction : float
        Minimum share, in [0, 1], of same-sign active points among all points within the
        radius (else *sparse*, unless ``count_test`` finds the count significant).
    count_test : bool
        A point below ``min_active_fraction`` is still not *sparse* when its number of
        same-sign active neighbours is improbable under a binomial null whose rate is the
        larger of the map's base rate of such points and the local rate of opposite
        exceedances (tail below ``1 / m``, ``m`` the number of active points: less than one
        chance pass expected on the whole map; see :func:`_significant_count`). A disc
        wider than a narrow strip of movement is mostly stable ground, so its share is low
        although its count of active points cannot come from noise. Clusters holding such
        points are measured in the contrast test on their points and the points among them.
        False disables both.
    min_mean_z : float
        The mean velocity of the other points within the radius must have the point's sign
        and lie at least ``min_mean_z`` standard errors (``std / sqrt(n - 1)`` of those
        points) from zero, else the point is *sparse*: the
        neighbourhood moves as a whole, rather than holding chance exceedances of a noisy
        stable patch (0 only checks the sign).
    max_opposite_ratio : float or None
        At most this many points beyond the threshold in the *opposite* direction per
        same-sign active point (the point itself included) within the radius, else *sparse*:
        0.05 means one is too many below 20 same-sign points. Noisy ground exceeds the
        threshold both ways; the stable surroundings of a moving area almost never do.
        ``None`` disables the test.
    z_max : float
        Outlier z-score against the active neighbours' mean and standard deviation
        (0 disables).
    min_points : int
        Minimum number of points of an ADA (core and border points).
    min_contrast : float
        A cluster is an ADA only when it moves relative to the ground around it: the
        median velocity of its points must differ from the median of its surrounding ring
        by at least ``min_contrast x`` the threshold, on its side (see :func:`_low_contrast`;
        0.5: one standard deviation of the map with the 2-sigma threshold). Clusters on a
        high of a smooth, atmosphere-like field move with their surroundings and fail; their
        points are flagged ``no_contrast``. 0 disables.
    sigma_from : {"map", "stable"}
        Standard deviation behind the automatic threshold (:func:`stability_threshold`).
    tile_points : int, optional
        Largest number of points per spatial tile of the neighbourhood statistics (default: as many
        as ``max_memory_mb`` holds, :func:`.neighbourhood.tile_points_for`); results do not depend on it.
    max_memory_mb : float, optional
        Memory of one tile, MiB (default :func:`algorithms.engine.max_memory_bytes`).
    executor : engine executor, optional
        Where the tiles run (:func:`algorithms.engine.open_executor`: this thread or Dask);
        results do not depend on it.
    progress : object, optional
        Progress protocol (:mod:`algorithms.progress`).

    Returns
    -------
    AdaResult
        Zero ADAs is a valid result (reported through ``progress``), not an error.
    """
    progress = ensure(progress)
    x, y, v, std, series_mm = _arrays(x_m, y_m, velocity_mm_yr, velocity_std_mm_yr, series_mm)
    _check_options(min_points=min_points, min_active_fraction=min_active_fraction,
                   max_opposite_ratio=max_opposite_ratio, min_mean_z=min_mean_z, min_neighbours=min_neighbours)
    n = v.size
    flags, valid, vi = _valid_points(x, y, v, progress)
    check_canceled(progress)
    progress.set_progress(5)

    thr = stability_threshold(v[vi], n_sigma=n_sigma, threshold_mm_yr=threshold_mm_yr, sigma_from=sigma_from)
    if radius_m is not None and radius_m != 0 and not radius_m > 0:
        raise GeohazardError(f"radius_m must be > 0 (or 0/None for a radius adapted to the local point density), "
                             f"got {radius_m!r}")
    if not radius_spacings > 0:
        raise GeohazardError(f"radius_spacings must be > 0, got {radius_spacings!r}")

    active = _active(v, std, valid, flags, thr, min_snr)
    ai = np.flatnonzero(active)
    labels = np.full(n, -1, np.int64)
    radius = np.full(n, np.nan)
    # search radius of every active point: fixed, or radius_spacings x the local spacing
    # d_k sqrt(pi / k) from its k-th nearest neighbour among all valid points (about
    # pi radius_spacings^2 points in every neighbourhood, in a dense town as in sparse fields);
    # the neighbourhood sums and links, on spatial tiles with halos (see .neighbourhood)
    check_canceled(progress)
    nbh = neighbourhood_stats(x[vi], y[vi], v[vi], active[vi], thr=thr, radius_m=radius_m or None,
                              radius_spacings=radius_spacings, k=LOCAL_K, tile_points=tile_points,
                              max_memory_mb=max_memory_mb, executor=executor, progress=SubProgress(progress, 5, 50))
    dk8 = nbh["sample_dk"]
    dk8 = dk8[np.isfinite(dk8) & (dk8 > 0)]
    if dk8.size == 0:
        raise GeohazardError("all points share the same coordinates; cannot measure the point spacing")
    spacing = float(np.median(dk8) * np.sqrt(np.pi / min(8, vi.size - 1)))
    if nbh["n_tiles"] > 1:
        info(progress, f"{nbh['n_tiles']} spatial tiles, halo up to {nbh['halo_m']:.3g} m")
    if ai.size == 0:
        r_fixed = float(radius_m) if radius_m else radius_spacings * spacing
        info(progress, f"stability threshold {thr:.3g} mm/yr; point spacing {spacing:.3g} m")
        info(progress, "no point exceeds the stability threshold: zero active deformation areas")
        return AdaResult(labels, flags, thr, r_fixed, spacing, _empty_attributes(series_mm), None, radius)
    r = nbh["r"]
    local = np.where(np.isfinite(nbh["local"]) & (nbh["local"] > 0), nbh["local"], spacing)
    radius[ai] = r
    r_med = float(np.median(r))
    info(progress, f"stability threshold {thr:.3g} mm/yr; point spacing {spacing:.3g} m (median); search radius "
                   + (f"{r_med:.3g} m" if radius_m else
                      f"{radius_spacings:g} x local spacing: median {r_med:.3g} m, 5-95 % "
                      f"{np.percentile(r, 5):.3g}-{np.percentile(r, 95):.3g} m"))
    # all valid points within r_i: their count (active share) and mean velocity (coherence)
    n_all = nbh["n_all"]
    va = v[ai]
    # the other points (the point itself left out: one fast point must not make its own case)
    n_o = np.maximum(n_all - 1, 0)
    mean_all = (nbh["sum_v"] - va) / np.maximum(n_o, 1)
    sq = (nbh["sum_vv"] - va * va) / np.maximum(n_o, 1)
    se_all = np.sqrt(np.maximum(sq - mean_all ** 2, 0.0) / np.maximum(n_o - 1, 1))
    n_opp = nbh["n_opp"]
    n_all = n_all.astype(np.float64)
    check_canceled(progress)
    # directed neighbour pairs (i sees j within r_i) among active points of the same sign
    pi, pj = nbh["pi"], nbh["pj"]
    del nbh
    m = ai.size
    deg = np.bincount(pi, minlength=m).astype(np.float64)
    isolated, sparse, outlier, rescued = _noise(
        va, pi, pj, deg, n_all, n_o, mean_all, se_all, n_opp, vi.size, thr, min_neighbours=min_neighbours,
        min_active_fraction=min_active_fraction, min_mean_z=min_mean_z, max_opposite_ratio=max_opposite_ratio,
        z_max=z_max, count_test=count_test)
    flags[ai[isolated]] = FLAG_ISOLATED
    flags[ai[sparse]] = FLAG_SPARSE
    flags[ai[outlier]] = FLAG_OUTLIER
    comp, joined, keep = _link(m, pi, pj, isolated, sparse, outlier)
    flags[ai[joined]] = FLAG_STABLE
    # MIN_POINTS counts every point of the cluster (core and border), the n_points of the ADA
    sizes = np.bincount(comp[keep], minlength=m)
    big = sizes >= min_points
    small = keep & ~big[np.maximum(comp, 0)]
    flags[ai[small]] = FLAG_SMALL_CLUSTER
    in_ada = keep & ~small
    if min_contrast > 0 and in_ada.any():
        # local reference: a cluster that moves with the ground around it (a high of a smooth,
        # atmosphere-like field) is not an ADA
        # clusters that hold points kept by the count test (a minority of active points among
        # stable ones) are measured on all their points, not on the selected active ones
        minority = np.zeros(m, bool)
        minority[comp[in_ada & rescued]] = True
        flat = _low_contrast(x, y, v, valid, ai, comp, in_ada, r, local, min_contrast * thr, min_points, minority)
        weak = in_ada & flat[np.maximum(comp, 0)]
        flags[ai[weak]] = FLAG_NO_CONTRAST
        in_ada &= ~weak
        big &= ~flat
        if weak.any():
            info(progress, f"{int(np.unique(comp[weak]).size)} clusters ({int(weak.sum())} points) move with "
                           f"the ground around them (contrast < {min_contrast:g} x threshold) and are not ADAs")
    progress.set_progress(70)
    check_canceled(progress)
    if not in_ada.any():
        info(progress, f"{ai.size} active points, but none forms a cluster of >= {min_points} points "
                       "after noise filtering: zero active deformation areas")
        return AdaResult(labels, flags, thr, r_med, spacing, _empty_attributes(series_mm), None, radius)
    return _ada_result(x, y, v, std, series_mm, labels, flags, radius, thr, r_med, spacing, ai, big, sizes, comp,
                       in_ada, joined, deg, n_all, r, local, progress)


def _ada_result(x, y, v, std, series_mm, labels, flags, radius, thr, r_med, spacing, ai, big, sizes, comp, in_ada,
                joined, deg, n_all, r, local, progress) -> AdaResult:
    """The end of :func:`detect_ada`: ADAs numbered by decreasing size, their points flagged, their attributes
    (:func:`ada_attributes`) with the per-ADA search radius and local spacing."""
    n = v.size
    # renumber ADAs by decreasing size (largest first)
    ids = np.flatnonzero(big)
    order = ids[np.argsort(-sizes[ids], kind="stable")]
    remap = np.full(sizes.size, -1, np.int64)
    remap[order] = np.arange(order.size)
    labels[ai[in_ada]] = remap[comp[in_ada]]
    flags[ai[in_ada]] = FLAG_ACTIVE_IN_ADA
    counts = {name: int((flags == code).sum()) for code, name in FLAG_NAMES.items()}
    counts["border points in an ADA"] = int((joined & in_ada).sum())
    info(progress, "points: " + ", ".join(f"{k} {c}" for k, c in counts.items() if c))

    # spatial consistency per point: share of same-sign active points in its neighbourhood
    nb_active = np.zeros(n)
    nb_all = np.zeros(n)
    nb_active[ai] = deg + 1.0
    nb_all[ai] = n_all
    attrs, mean_ts = ada_attributes(x, y, v, labels, nb_active=nb_active, nb_all=nb_all, series_mm=series_mm,
                                    velocity_std_mm_yr=std, progress=SubProgress(progress, 70, 100))
    # per-ADA search radius and local spacing (medians over its points; they set the outline)
    lab = labels[ai[in_ada]]
    k_ada = int(attrs["n_points"].size)
    attrs["radius_m"] = _group_median(lab, r[in_ada], k_ada)
    attrs["spacing_m"] = _group_median(lab, local[in_ada], k_ada)
    return AdaResult(labels, flags, thr, r_med, spacing, attrs, mean_ts, radius)


def _active(v, std, valid, flags, thr, min_snr):
    """Valid points at or beyond the threshold; those within ``min_snr`` standard deviations of zero are
    flagged not significant (in ``flags``) and left out."""
    active = valid & (np.abs(np.where(valid, v, 0.0)) >= thr)
    if std is not None and min_snr > 0:
        with np.errstate(invalid="ignore", divide="ignore"):
            weak = active & np.isfinite(std) & (np.abs(v) < min_snr * std)
        flags[weak] = FLAG_NOT_SIGNIFICANT
        active &= ~weak
    return active

def _arrays(x_m, y_m, velocity_mm_yr, velocity_std_mm_yr, series_mm) -> tuple:
    """The inputs of :func:`detect_ada` as float64 arrays, their lengths checked."""
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    v = np.asarray(velocity_mm_yr, dtype=np.float64)
    n = v.size
    if n == 0:
        raise GeohazardError("the point layer is empty: no velocity values")
    if x.shape != (n,) or y.shape != (n,):
        raise GeohazardError(f"x_m, y_m and velocity_mm_yr must have the same length, got {x.shape}, {y.shape}, "
                             f"{v.shape}")
    std = None
    if velocity_std_mm_yr is not None:
        std = np.asarray(velocity_std_mm_yr, dtype=np.float64)
        if std.shape != (n,):
            raise GeohazardError(f"velocity_std_mm_yr has shape {std.shape}, expected ({n},)")
    if series_mm is not None and not callable(series_mm):
        series_mm = np.asarray(series_mm, dtype=np.float64)
        if series_mm.ndim != 2 or series_mm.shape[0] != n:
            raise GeohazardError(f"series_mm has shape {series_mm.shape}, expected ({n}, n_dates)")
    return x, y, v, std, series_mm


def _check_options(*, min_points, min_active_fraction, max_opposite_ratio, min_mean_z, min_neighbours) -> None:
    if min_points < 2:
        raise GeohazardError(f"min_points must be >= 2, got {min_points!r}")
    if not 0.0 <= min_active_fraction <= 1.0:
        raise GeohazardError(f"min_active_fraction must be in [0, 1], got {min_active_fraction!r}")
    if max_opposite_ratio is not None and not max_opposite_ratio >= 0:
        raise GeohazardError(f"max_opposite_ratio must be >= 0 or None, got {max_opposite_ratio!r}")
    if not min_mean_z >= 0:
        raise GeohazardError(f"min_mean_z must be >= 0, got {min_mean_z!r}")
    if min_neighbours < 0:
        raise GeohazardError(f"min_neighbours must be >= 0, got {min_neighbours!r}")


def _valid_points(x, y, v, progress) -> tuple:
    """``(flags, valid, indices of the valid points)``: no data and duplicate positions flagged."""
    n = v.size
    flags = np.full(n, FLAG_STABLE, np.uint8)
    valid = np.isfinite(v) & np.isfinite(x) & np.isfinite(y)
    flags[~valid] = FLAG_NO_DATA
    if valid.sum() < 2:
        raise GeohazardError(f"only {int(valid.sum())} of {n} points have a finite velocity and position")
    vi = np.flatnonzero(valid)
    dup = np.zeros(n, bool)
    dup[vi] = _duplicates(x[vi], y[vi])
    if dup.any():
        warn(progress, f"{int(dup.sum())} duplicate points (same position within 1 mm) ignored")
        flags[dup] = FLAG_DUPLICATE
        valid &= ~dup
        vi = np.flatnonzero(valid)
    return flags, valid, vi


def _noise(va, pi, pj, deg, n_all, n_o, mean_all, se_all, n_opp, n_valid, thr, *, min_neighbours,
           min_active_fraction, min_mean_z, max_opposite_ratio, z_max, count_test) -> tuple:
    """The noise filters of the active points: ``(isolated, sparse, outlier, rescued by the count test)``."""
    m = va.size
    s1 = np.bincount(pi, va[pj], m)
    s2 = np.bincount(pi, va[pj] ** 2, m)
    frac = (deg + 1.0) / np.maximum(n_all, 1.0)
    isolated = deg < min_neighbours
    # sparse: among mostly stable points, or in a neighbourhood that does not move as a whole
    # (noisy stable ground: its mean stays within a few standard errors of zero even where
    # chance puts many exceedances of one sign together)
    incoherent = np.sign(va) * mean_all < min_mean_z * se_all
    if max_opposite_ratio is not None:
        # noisy ground exceeds the threshold both ways; a moving area's stable surroundings
        # almost never do in the opposite direction
        incoherent |= n_opp > max_opposite_ratio * (deg + 1.0)
    low = frac < min_active_fraction
    rescued = np.zeros(m, bool)
    if count_test and low.any():
        # a low share over a disc is not evidence of noise when the disc is wider than the area
        # (a narrow strip: most of the disc is stable ground): keep the point when its count of
        # same-sign active neighbours is itself improbable for noise (map or local opposite rate)
        rescued = low & _significant_count(deg, n_o, va, n_valid, m, n_opp, pi, pj)
        low &= ~rescued
    sparse = ~isolated & (low | incoherent)
    outlier = np.zeros(m, bool)
    if z_max > 0:
        ok = deg >= 2
        mean_nb = np.where(ok, s1 / np.maximum(deg, 1), 0.0)
        var_nb = np.where(ok, s2 / np.maximum(deg, 1) - mean_nb ** 2, 0.0)
        sd_nb = np.sqrt(np.maximum(var_nb, 0.0))
        # a floor of half the threshold: neighbours that agree closely must not turn ordinary noise into outliers
        sd_nb = np.maximum(sd_nb, 0.5 * thr)
        outlier = ok & ~isolated & ~sparse & (np.abs(va - mean_nb) > z_max * sd_nb)
    return isolated, sparse, outlier, rescued


def _link(m, pi, pj, isolated, sparse, outlier) -> tuple:
    """Clusters of the active points: ``(cluster of each, -1 none; border points joined; points kept)``."""
    core = ~(isolated | sparse | outlier)
    # core points linked when either lies within the other's radius
    both = core[pi] & core[pj]
    comp = _components(m, pi[both], pj[both])
    comp[~core] = -1
    # border points (as in DBSCAN): a sparse or isolated point within the radius of a core point
    # (or with one in its own radius) joins that core point's cluster, so the edge of an area, where
    # about half of the neighbourhood is stable ground, is not eroded; outliers never join
    border = (sparse | isolated)
    to_b = core[pi] & border[pj]
    from_b = border[pi] & core[pj]
    bi = np.concatenate([pj[to_b], pi[from_b]])
    bc = np.concatenate([comp[pi[to_b]], comp[pj[from_b]]])
    comp[bi] = bc  # a border point between two clusters goes to one of them
    joined = border & (comp >= 0)
    return comp, joined, core | joined


def _significant_count(deg, n_other, va, n_valid, m, n_opp, pi, pj):
    """Boolean per active point: its same-sign active neighbours are too many for chance.

    Null hypothesis: each of the ``n_other`` other points within the radius is a same-sign
    active point independently with rate ``p``, the larger of the map's base rate (the share
    of all ``n_valid`` valid points that are active with that sign) and the local rate of
    exceedances the *other* way (noise exceeds the threshold both ways equally), pooled over
    the discs of the point and of its same-sign active neighbours (``n_opp`` / ``n_other``
    summed over them): a noisy stable patch raises the null, a quiet strip does not. The
    tail ``P(X >= deg)`` of ``B(n_other, p)`` (regularized incomplete beta
    ``I_p(deg, n_other - deg + 1)``) must be below ``1 / m``, ``m`` the number of active
    points (Bonferroni: under the null, less than one point of the map passes by chance).
    """
    from scipy.special import betainc

    pos = va > 0
    p = np.where(pos, pos.sum() / float(n_valid), (~pos).sum() / float(n_valid))
    n = n_other.astype(np.float64)
    opp = n_opp + np.bincount(pi, n_opp[pj], m)
    tot = n + np.bincount(pi, n[pj], m)
    p = np.maximum(p, opp / np.maximum(tot, 1.0))
    k = deg.astype(np.float64)
    ok = (k >= 1) & (k <= n) & (p < 1.0)
    tail = np.ones(k.size)
    tail[ok] = betainc(k[ok], n[ok] - k[ok] + 1.0, p[ok])
    return ok & (tail < 1.0 / max(m, 1))


def _low_contrast(x, y, v, valid, ai, comp, in_ada, r, local, min_diff, min_ring=5, minority=None):
    """Boolean per cluster id (``comp`` values): True when the cluster does not stand out from its ring.

    Each cluster's size scale ``R = max(sqrt(n / pi) x its median local spacing, its median
    search radius)`` (the radius of a disc holding its ``n`` points); its *ring* is the valid
    points outside every cluster lying between ``R / 2`` and ``3 R / 2`` from the cluster's
    nearest point (the fading edge, closer than ``R / 2``, is skipped; a point may be in the
    rings of several clusters). The cluster is flat when ``sign(m) (m - median(ring)) <
    min_diff``, ``m`` the median velocity of its points; for the clusters marked in
    ``minority`` (boolean per cluster id: they hold points whose active neighbours are a
    minority, kept by the count test) of its points together with the other valid points lying
    among them (closer than the cluster's median local spacing to one of its points): there
    the active points are a selection beyond the threshold, and their median is biased away
    from zero on noise that merely scatters across it. Clusters with fewer than
    ``min_ring`` ring points are kept (no reference).
    """
    from scipy.spatial import cKDTree

    m = comp.size
    flat = np.zeros(m, bool)
    sel = np.flatnonzero(in_ada)
    cl = comp[sel]
    pts = ai[sel]
    n_c = np.bincount(cl, minlength=m).astype(np.float64)
    ids = np.flatnonzero(n_c > 0)
    med_v = _group_median(cl, v[pts], m)
    sp_c = _group_median(cl, local[sel], m)
    scale = np.maximum(np.sqrt(n_c / np.pi) * sp_c, _group_median(cl, r[sel], m))
    others = valid.copy()
    others[pts] = False
    oi = np.flatnonzero(others)
    if oi.size == 0:
        return flat
    # candidates of each ring: the other points in the cluster's bounding box grown by 3R/2, then
    # their distance to the cluster's nearest point. The points are sorted by columns of width
    # ``col`` and by y within a column, so a box is one y-slice per column it spans (a slice of
    # the x-sorted points would be a strip across the whole map). The set (which alone the
    # medians depend on) is the same for any column width.
    ox, oy = x[oi], y[oi]
    col = max(float(np.median(3.0 * scale[ids])), 1e-3) if ids.size else 1.0
    x0 = ox.min()
    bx = np.floor((ox - x0) / col).astype(np.int64)
    n_col = int(bx.max()) + 1
    order = np.lexsort((oy, bx))
    oys = oy[order]
    col_start = np.searchsorted(bx[order], np.arange(n_col + 1))
    by_cluster = np.split(np.argsort(cl, kind="stable"), np.cumsum(np.bincount(cl, minlength=m))[:-1])
    for c in ids:
        members = pts[by_cluster[c]]
        w1, w2 = 0.5 * scale[c], 1.5 * scale[c]
        cx, cy = x[members], y[members]
        xa, xb, ya, yb = cx.min() - w2, cx.max() + w2, cy.min() - w2, cy.max() + w2
        b0 = max(int(np.floor((xa - x0) / col)), 0)
        b1 = min(int(np.floor((xb - x0) / col)), n_col - 1)
        parts = [order[s + np.searchsorted(oys[s:e], ya, "left"):s + np.searchsorted(oys[s:e], yb, "right")]
                 for s, e in zip(col_start[b0:b1 + 1], col_start[b0 + 1:b1 + 2])]
        sel_o = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        sel_o = sel_o[(ox[sel_o] >= xa) & (ox[sel_o] < xb)]  # x in [xa, xb), y in [ya, yb]
        cand = oi[sel_o]
        if cand.size < min_ring:
            continue
        d = cKDTree(np.column_stack([cx, cy])).query(np.column_stack([x[cand], y[cand]]), k=1,
                                                      distance_upper_bound=w2)[0]
        ring = v[cand[(d > w1) & (d <= w2)]]
        if ring.size >= min_ring:
            # the cluster's level: its points and the other points among them (closer than its
            # spacing): the active points alone are selected above the threshold, so their
            # median is biased away from zero on a field that merely scatters across it
            mv = med_v[c]
            if minority is not None and minority[c]:
                mv = np.median(np.concatenate([v[members], v[cand[d <= sp_c[c]]]]))
            flat[c] = np.sign(med_v[c]) * (mv - np.median(ring)) < min_diff
    return flat


def _empty_attributes(series_mm):
    names = ["n_points", "mean_vel", "median_vel", "max_vel", "std_vel", "mean_vel_std", "x_m", "y_m",
             "spatial_consistency", "temporal_consistency", "quality", "qi_class", "radius_m", "spacing_m"]
    return {k: np.zeros(0, np.int64 if k in ("n_points", "qi_class") else np.float64) for k in names}


def ada_attributes(x_m, y_m, velocity_mm_yr, labels, *, nb_active=None, nb_all=None, series_mm=None,
                   velocity_std_mm_yr=None, progress=None):
    """Per-ADA statistics and the quality index.

    Parameters
    ----------
    x_m, y_m, velocity_mm_yr : ndarray, shape (n,)
        Coordinates (m) and LOS velocity (mm/yr).
    labels : ndarray of int, shape (n,)
        ADA index per point, -1 outside.
    nb_active, nb_all : ndarray, shape (n,), optional
        Per point: same-sign active points and all points within the search radius
        (self included). Needed for the spatial consistency.
    series_mm : ndarray, shape (n, n_dates), or callable, optional
        Displacement time series, mm; or a function of the sorted indices of the ADA points giving their
        series (or None), as in :func:`detect_ada`.
    velocity_std_mm_yr : ndarray, shape (n,), optional
        Per-point velocity standard deviation.

    Returns
    -------
    attributes : dict of str -> ndarray, shape (n_ada,)
        ``n_points``; ``mean_vel``, ``median_vel``, ``std_vel`` (mm/yr);
        ``max_vel`` the velocity of largest magnitude (signed, mm/yr); ``mean_vel_std``
        (mean per-point std, NaN without it); centroid ``x_m``, ``y_m``;
        ``spatial_consistency`` SC, ``temporal_consistency`` TC, ``quality`` and
        ``qi_class`` (1 best .. 4 worst).
    mean_series_mm : ndarray, shape (n_ada, n_dates) or None

    Notes
    -----
    Quality index, after the spatial/temporal consistency idea of Navarro et al. (2020):

    * SC = sum of same-sign active neighbours / sum of all neighbours over the ADA's
      points, in [0, 1]: 1 when every point around the ADA moves the same way, low when
      the ADA is a chance grouping inside noisy stable ground.
    * TC = median over the ADA's points of the Pearson correlation between the point's
      time series and the ADA's mean series, clipped to [0, 1]; without time series,
      TC = 1 - min(1, MAD(v) / |median(v)|) (velocity coherence).
    * quality = SC * TC; ``qi_class`` = 1 if SC >= 0.75 and TC >= 0.6 and n >= 10,
      2 if SC >= 0.5 and TC >= 0.4, 3 if SC >= 0.5 or TC >= 0.4, else 4.

    Navarro J.A. et al. (2020), doi:10.3390/ijgi9100584.
    """
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 0
    sel = np.flatnonzero(labels >= 0)
    lab = labels[sel]
    v = np.asarray(velocity_mm_yr, float)[sel]
    cnt = np.bincount(lab, minlength=k).astype(np.float64)
    mean = np.bincount(lab, v, k) / cnt
    var = np.bincount(lab, (v - mean[lab]) ** 2, k) / np.maximum(cnt - 1, 1)
    order = np.lexsort((v, lab))
    starts = np.searchsorted(lab[order], np.arange(k))
    ends = np.append(starts[1:], lab.size)
    vs = v[order]
    median = np.array([np.median(vs[a:b]) for a, b in zip(starts, ends)]) if k else np.zeros(0)
    mad = np.array([np.median(np.abs(vs[a:b] - med)) for a, b, med in zip(starts, ends, median)]) if k else np.zeros(0)
    absmax_idx = np.array([a + np.argmax(np.abs(vs[a:b])) for a, b in zip(starts, ends)], dtype=np.int64)
    max_vel = vs[absmax_idx] if k else np.zeros(0)
    xs = np.bincount(lab, np.asarray(x_m, float)[sel], k) / cnt
    ys = np.bincount(lab, np.asarray(y_m, float)[sel], k) / cnt
    if velocity_std_mm_yr is not None:
        s = np.asarray(velocity_std_mm_yr, float)[sel]
        ok = np.isfinite(s)
        mean_std = np.bincount(lab[ok], s[ok], k) / np.maximum(np.bincount(lab[ok], minlength=k), 1)
        mean_std[np.bincount(lab[ok], minlength=k) == 0] = np.nan
    else:
        mean_std = np.full(k, np.nan)
    if nb_active is not None and nb_all is not None:
        sc = np.bincount(lab, np.asarray(nb_active, float)[sel], k) / np.maximum(
            np.bincount(lab, np.asarray(nb_all, float)[sel], k), 1.0)
    else:
        sc = np.full(k, np.nan)
    mean_ts = None
    ts = None
    if callable(series_mm):
        ts = series_mm(sel)
        if ts is not None:
            ts = np.asarray(ts, float)
            if ts.ndim != 2 or ts.shape[0] != sel.size:
                raise GeohazardError(f"series_mm gave shape {ts.shape} for {sel.size} points, expected "
                                     f"({sel.size}, n_dates)")
    elif series_mm is not None:
        ts = np.asarray(series_mm, float)[sel]
    if ts is not None:
        fin = np.isfinite(ts)
        sums = np.zeros((k, ts.shape[1]))
        nums = np.zeros((k, ts.shape[1]))
        np.add.at(sums, lab, np.where(fin, ts, 0.0))
        np.add.at(nums, lab, fin.astype(float))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_ts = sums / nums
            ref = mean_ts[lab]
            both = fin & np.isfinite(ref)
            a = np.where(both, ts, 0.0)
            b = np.where(both, ref, 0.0)
            nn = both.sum(axis=1)
            am = a.sum(axis=1) / np.maximum(nn, 1)
            bm = b.sum(axis=1) / np.maximum(nn, 1)
            cov = (np.where(both, (a - am[:, None]) * (b - bm[:, None]), 0.0)).sum(axis=1)
            sa = np.sqrt((np.where(both, (a - am[:, None]) ** 2, 0.0)).sum(axis=1))
            sb = np.sqrt((np.where(both, (b - bm[:, None]) ** 2, 0.0)).sum(axis=1))
            corr = cov / (sa * sb)
        corr = np.where(np.isfinite(corr) & (nn >= 3), corr, np.nan)
        tc = np.full(k, np.nan)
        for i, (a0, b0) in enumerate(zip(starts, ends)):
            c = corr[order[a0:b0]]
            c = c[np.isfinite(c)]
            if c.size:
                tc[i] = np.clip(np.median(c), 0.0, 1.0)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            tc = 1.0 - np.minimum(1.0, mad / np.abs(median))
        tc = np.where(np.isfinite(tc), tc, 0.0)
    sc_f = np.where(np.isfinite(sc), sc, 1.0)
    tc_f = np.where(np.isfinite(tc), tc, 0.0)
    quality = sc_f * tc_f
    qi = np.full(k, 4, np.int64)
    qi[(sc_f >= 0.5) | (tc_f >= 0.4)] = 3
    qi[(sc_f >= 0.5) & (tc_f >= 0.4)] = 2
    qi[(sc_f >= 0.75) & (tc_f >= 0.6) & (cnt >= 10)] = 1
    attrs = {
        "n_points": cnt.astype(np.int64), "mean_vel": mean, "median_vel": median, "max_vel": max_vel,
        "std_vel": np.sqrt(var), "mean_vel_std": mean_std, "x_m": xs, "y_m": ys,
        "spatial_consistency": sc, "temporal_consistency": tc, "quality": quality, "qi_class": qi,
    }
    if progress is not None:
        progress.set_progress(100)
    return attrs, mean_ts


def ada_polygon_fields(result, areas, series_dates=(), slope_deg=None) -> dict:
    """Attribute columns of the ADA polygons (see the tool's help) from a detection result."""
    a, k = result.attributes, result.n_ada
    fields = {"ada_id": np.arange(k, dtype=np.int64), "n_points": a["n_points"], "area_m2": areas,
              "density_km2": a["n_points"] / np.maximum(areas, 1e-9) * 1e6,
              "mean_vel": a["mean_vel"], "median_vel": a["median_vel"], "max_vel": a["max_vel"],
              "std_vel": a["std_vel"], "mean_vel_std": a["mean_vel_std"]}
    if slope_deg is not None:
        fields["slope_pts_deg"] = slope_deg
    fields.update({"sc": a["spatial_consistency"], "tc": a["temporal_consistency"], "quality": a["quality"],
                   "qi_class": a["qi_class"], "threshold": np.full(k, result.threshold_mm_yr),
                   "radius_m": a["radius_m"]})
    if result.mean_series_mm is not None:
        for j, (_, d) in enumerate(series_dates):
            fields[field_name(d)] = result.mean_series_mm[:, j]
    return fields
