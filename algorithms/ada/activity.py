"""State of activity of mapped landslides from moving points, and points in polygons.

Per landslide polygon: points inside, LOS and downslope velocities, share of moving points
and a state of activity (active / inactive / not enough data), after the PSI-based
activity assessment of Cigna et al. (2013) and the area-dependent minimum point count of
the ISBAS Sicily landslide work (Novellino et al. 2017).

References
----------
Cigna F., Bianchini S., Casagli N. (2013), How to assess landslide activity and intensity
with Persistent Scatterer Interferometry (PSI): the PSI-based matrix approach, Landslides
10:267-283, doi:10.1007/s10346-012-0335-7.
Novellino A. et al. (2017), Exploitation of the Intermittent SBAS (ISBAS) algorithm with
COSMO-SkyMed data for landslide inventory mapping in north-western Sicily, Italy,
Geomorphology 280:153-166, doi:10.1016/j.geomorph.2016.12.009.
"""

from __future__ import annotations

import numpy as np

from .._numba import njit
from ..engine import Block, LocalExecutor, process_blocks
from ..errors import GeohazardError

STATE_ACTIVE = "active"
STATE_INACTIVE = "inactive"
STATE_NO_DATA = "not enough data"


def min_points_for_area(area_km2, *, n_small: int = 5, n_large: int = 20, small_km2: float = 0.05,
                        large_km2: float = 1.0) -> np.ndarray:
    """Minimum number of points needed to judge a landslide of a given area.

    ``n_small`` below ``small_km2``, ``n_large`` above ``large_km2``, log-linear in area
    in between (rounded up): 5 points below 0.05 km^2 up to 20 above 1 km^2.

    Parameters
    ----------
    area_km2 : array_like
        Landslide areas, km^2.

    Returns
    -------
    ndarray of int64
    """
    a = np.asarray(area_km2, dtype=np.float64)
    if np.any(a[np.isfinite(a)] < 0):
        raise GeohazardError(f"area_km2 must be >= 0, got min {np.nanmin(a)!r}")
    t = (np.log(np.maximum(a, 1e-12)) - np.log(small_km2)) / (np.log(large_km2) - np.log(small_km2))
    t = np.clip(t, 0.0, 1.0)
    return np.ceil(n_small + t * (n_large - n_small) - 1e-9).astype(np.int64)


@njit
def _in_ring(px, py, ring):
    inside = np.zeros(px.size, np.bool_)
    m = ring.shape[0]
    for k in range(px.size):
        x, y = px[k], py[k]
        c = False
        j = m - 1
        for i in range(m):
            xi, yi = ring[i, 0], ring[i, 1]
            xj, yj = ring[j, 0], ring[j, 1]
            if (yi > y) != (yj > y):
                if x < (xj - xi) * (y - yi) / (yj - yi) + xi:
                    c = not c
            j = i
        inside[k] = c
    return inside


def points_in_polygons(x, y, polygons) -> np.ndarray:
    """Index of the polygon containing each point (even-odd rule, holes respected).

    Parameters
    ----------
    x, y : ndarray, shape (n,)
        Point coordinates (same CRS as the polygons).
    polygons : sequence of sequence of ndarray
        Per polygon (or multi-polygon), a list of rings, each an ``(m, 2)`` array of
        vertices; every ring toggles inside/outside (even-odd), so holes and multiple
        parts are handled alike.

    Returns
    -------
    ndarray of int64, shape (n,)
        Polygon index, ``-1`` outside all; the first polygon wins where they overlap.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    out = np.full(x.size, -1, np.int64)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    for p, rings in enumerate(polygons):
        rings = [np.ascontiguousarray(r, dtype=np.float64)[:, :2] for r in rings if len(r) >= 3]
        if not rings:
            continue
        allv = np.vstack(rings)
        x0, y0 = allv.min(axis=0)
        x1, y1 = allv.max(axis=0)
        a, b = np.searchsorted(xs, [x0, x1], side="left")[0], np.searchsorted(xs, x1, side="right")
        cand = order[a:b]
        cand = cand[(y[cand] >= y0) & (y[cand] <= y1) & (out[cand] < 0)]
        if cand.size == 0:
            continue
        inside = np.zeros(cand.size, bool)
        for r in rings:
            inside ^= _in_ring(x[cand], y[cand], r)
        out[cand[inside]] = p
    return out


def _pip_block(block, inputs, *, polygons):
    return {"idx": points_in_polygons(inputs["x"], inputs["y"], polygons)}


def points_in_polygons_blocks(x, y, polygons, *, block_points: int = 250_000, executor=None,
                              progress=None) -> np.ndarray:
    """:func:`points_in_polygons` on blocks of ``block_points`` points run by the block engine.

    Each point's answer depends on that point only (no halo), so the result is the same
    for any block size and for local or Dask runs (``executor``, see
    :func:`algorithms.engine.open_executor`).
    """
    import functools

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.size
    if n == 0:
        return np.full(0, -1, np.int64)
    starts = range(0, n, int(block_points))
    plan = [Block(i, a, min(a + block_points, n), a, min(a + block_points, n), n, 1) for i, a in enumerate(starts)]
    parts = []
    process_blocks(plan, functools.partial(_pip_block, polygons=polygons), lambda b, out: parts.append(out["idx"]),
                   prepare=lambda b: {"x": x[b.row0:b.row1], "y": y[b.row0:b.row1]},
                   executor=executor or LocalExecutor(), progress=progress)
    return np.concatenate(parts)


def landslide_activity(polygon_index, v_los_mm_yr, area_km2, *, threshold_mm_yr: float, v_slope_mm_yr=None,
                       min_points=None):
    """Per-landslide point statistics and state of activity.

    Parameters
    ----------
    polygon_index : ndarray of int, shape (n,)
        Landslide index of each point (``-1`` outside all), e.g. from :func:`points_in_polygons`.
    v_los_mm_yr : ndarray, shape (n,)
        LOS velocity, mm/yr, positive toward the satellite.
    area_km2 : ndarray, shape (n_landslides,)
        Landslide areas, km^2 (for the minimum point count).
    threshold_mm_yr : float
        Stability threshold: a point moves when ``|v| >= threshold`` (LOS) — and the
        landslide is active when the magnitude of its representative velocity reaches it.
    v_slope_mm_yr : ndarray, shape (n,), optional
        Downslope velocity (positive downhill), NaN where the LOS is not sensitive
        enough (see :func:`algorithms.geometry.terrain.los_to_downslope`).
    min_points : ndarray of int, shape (n_landslides,), optional
        Minimum points per landslide; default :func:`min_points_for_area`.

    Returns
    -------
    dict of str -> ndarray, shape (n_landslides,)
        ``n_points``, ``min_points``, ``n_moving``, ``share_moving``, ``mean_vlos``,
        ``max_vlos`` (largest magnitude, signed), ``n_vslope``, ``mean_vslope``,
        ``max_vslope``, ``rep_vel`` (mean V_SLOPE when enough points have one, else mean
        V_LOS), ``rep_source`` ("V_SLOPE"/"V_LOS"/""), ``state``.

    Notes
    -----
    state = "not enough data" if n_points < min_points; else "active" if
    ``|rep_vel| >= threshold`` else "inactive".
    """
    if not threshold_mm_yr > 0:
        raise GeohazardError(f"threshold_mm_yr must be > 0, got {threshold_mm_yr!r}")
    idx = np.asarray(polygon_index, dtype=np.int64)
    v = np.asarray(v_los_mm_yr, dtype=np.float64)
    area = np.asarray(area_km2, dtype=np.float64)
    k = area.size
    if idx.shape != v.shape:
        raise GeohazardError(f"polygon_index has shape {idx.shape}, velocity {v.shape}")
    if idx.size and idx.max() >= k:
        raise GeohazardError(f"polygon_index refers to landslide {idx.max()} but only {k} areas were given")
    need = min_points_for_area(area) if min_points is None else np.asarray(min_points, np.int64)
    sel = (idx >= 0) & np.isfinite(v)
    lab, vv = idx[sel], v[sel]
    n = np.bincount(lab, minlength=k)
    moving = np.bincount(lab, (np.abs(vv) >= threshold_mm_yr).astype(float), k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_los = np.bincount(lab, vv, k) / n
        share = moving / n

    def absmax(lb, val):
        out = np.full(k, np.nan)
        if lb.size:
            order = np.lexsort((-np.abs(val), lb))
            first = np.ones(lb.size, bool)
            first[1:] = lb[order][1:] != lb[order][:-1]
            out[lb[order][first]] = val[order][first]
        return out

    max_los = absmax(lab, vv)
    if v_slope_mm_yr is not None:
        vs = np.asarray(v_slope_mm_yr, dtype=np.float64)
        ok = (idx >= 0) & np.isfinite(vs)
        ns = np.bincount(idx[ok], minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_s = np.bincount(idx[ok], vs[ok], k) / ns
        max_s = absmax(idx[ok], vs[ok])
    else:
        ns = np.zeros(k, np.int64)
        mean_s = np.full(k, np.nan)
        max_s = np.full(k, np.nan)
    use_slope = ns >= need
    rep = np.where(use_slope, mean_s, mean_los)
    source = np.where(n == 0, "", np.where(use_slope, "V_SLOPE", "V_LOS")).astype(object)
    state = np.where(n < need, STATE_NO_DATA,
                     np.where(np.abs(np.nan_to_num(rep)) >= threshold_mm_yr, STATE_ACTIVE,
                              STATE_INACTIVE)).astype(object)
    return {"n_points": n.astype(np.int64), "min_points": need, "n_moving": moving.astype(np.int64),
            "share_moving": share, "mean_vlos": mean_los, "max_vlos": max_los, "n_vslope": ns.astype(np.int64),
            "mean_vslope": mean_s, "max_vslope": max_s, "rep_vel": rep, "rep_source": source, "state": state}
