"""Point time series without 2-D unwrapping: the classic PSI arc network.

Steps (Ferretti et al. 2001; Kampes 2006):

1. **Arcs**: Delaunay triangulation of the selected points (PS by amplitude dispersion,
   DS by temporal coherence); optionally arcs longer than ``max_arc_length`` are dropped.
2. **Per-arc periodogram**: for the wrapped phase differences ``dphi_k`` of an arc
   (``k`` = date) the velocity difference ``dv`` and DEM-error difference ``dh``
   maximise the arc temporal coherence::

       gamma_arc = | 1/N sum_k exp(j (dphi_k - a_k dv - kappa_k dh)) |

   with ``a_k = -4 pi / lambda * t_k`` (LOS positive toward the satellite, phase growing
   with range) and ``kappa_k = 4 pi B_perp,k / (lambda R sin(theta))``. A coarse grid
   (steps of a quarter of the ambiguity) is refined three times by 8x finer grids around the peak.
   Without baselines only ``dv`` is searched.
3. **Rejection**: arcs with ``gamma_arc < arc_coherence_min`` (e.g. crossing decorrelated
   areas) are dropped; then arcs whose ``dv`` disagrees with the network solution by more
   than ``outlier_mm_yr`` are dropped and the network is solved again.
4. **Integration**: point ``v`` and ``h`` by weighted least squares from the reference
   point (weights ``gamma^2 / (1 - gamma^2)``, the Fisher information of a phase of
   coherence ``gamma`` for one look); points that lose every link to the reference are
   dropped (counted in the result).
5. **Time series**: arc residuals ``wrap(dphi_k - a_k dv - kappa_k dh)`` are small on a
   coherent arc, so they are unwrapped in time by construction and integrated like ``v``;
   the unwrapped point phase = model + residual, minus the DEM-error term, becomes LOS
   displacement (mm, positive toward the satellite, relative to the reference point and
   the first date). ``VEL`` is the slope of a straight line fitted to it, ``V_STDEV`` that
   slope's standard error; ``COHERENCE`` is the mean coherence of the point's accepted arcs.

References
----------
Ferretti A., Prati C., Rocca F. (2001), IEEE TGRS 39(1), doi:10.1109/36.898661.
Kampes B. (2006), Radar Interferometry: Persistent Scatterer Technique, Springer,
doi:10.1007/978-1-4020-4723-7.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .._numba import njit, prange
from ..conventions import DAYS_PER_YEAR, SENTINEL1_WAVELENGTH_M, dem_error_phase_per_m, phase_to_los_mm, radians_per_mm
from ..errors import GeohazardError
from ..progress import SubProgress, check_canceled, warn

__all__ = ["dem_error_phase_per_m", "delaunay_arcs", "arc_periodogram", "integrate_arcs", "ps_time_series",
           "PsiResult"]


def delaunay_arcs(x, y, *, max_length: Optional[float] = None) -> np.ndarray:
    """Unique edges ``(n_arcs, 2)`` (``i < j``) of the Delaunay triangulation of the points.

    Parameters
    ----------
    x, y : ndarray, shape (n_points,)
        Coordinates (map units, or pixels in radar geometry).
    max_length : float, optional
        Drop arcs longer than this (same units as ``x``, ``y``).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = x.size
    if n < 3:
        raise GeohazardError(f"an arc network needs at least 3 points, got {n}")
    from scipy.spatial import Delaunay, QhullError

    pts = np.column_stack([x, y])
    try:
        tri = Delaunay(pts)
        s = tri.simplices
        edges = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    except QhullError:
        # collinear points: chain them along their order on the line
        order = np.lexsort((y, x))
        edges = np.column_stack([order[:-1], order[1:]])
    edges = np.sort(edges, axis=1)
    edges = np.unique(edges, axis=0)
    if max_length is not None:
        length = np.hypot(x[edges[:, 0]] - x[edges[:, 1]], y[edges[:, 0]] - y[edges[:, 1]])
        edges = edges[length <= max_length]
    return edges.astype(np.int64)


@njit
def _arc_power(z, i, a, kappa, v, h):
    """|sum_k z[i, k] exp(-j (a_k v + kappa_k h))|^2: the squared coherence (times n^2) of arc ``i`` at the
    velocity ``v`` and height ``h``."""
    sr = 0.0
    si = 0.0
    for k in range(z.shape[1]):
        ph = a[k] * v + kappa[k] * h
        c = np.cos(ph)
        s = np.sin(ph)
        zr = z[i, k].real
        zi = z[i, k].imag
        sr += zr * c + zi * s
        si += zi * c - zr * s
    return sr * sr + si * si


@njit(parallel=True)
def _periodogram_kernel(z, a, kappa, centre_v, centre_h, v_steps, h_steps, out_v, out_h, out_g):
    """Grid search of every arc ``i``: the velocity ``centre_v[i] + v_steps`` and DEM-error ``centre_h[i] + h_steps``
    of largest arc power (the coarse search: centres 0 and the whole grids as steps; a zoom: the previous
    answers and a finer grid about 0)."""
    n_arcs, n = z.shape
    for i in prange(n_arcs):
        best = -1.0
        bv = centre_v[i]
        bh = centre_h[i]
        for ih in range(h_steps.shape[0]):
            h = centre_h[i] + h_steps[ih]
            for iv in range(v_steps.shape[0]):
                v = centre_v[i] + v_steps[iv]
                g = _arc_power(z, i, a, kappa, v, h)
                if g > best:
                    best = g
                    bv = v
                    bh = h
        out_v[i] = bv
        out_h[i] = bh
        out_g[i] = np.sqrt(best) / n


def arc_periodogram(dphase, time_yr, *, kappa_per_m=None, wavelength_m: float = SENTINEL1_WAVELENGTH_M,
                    max_velocity_mm_yr: float = 50.0, max_height_error_m: float = 50.0):
    """Velocity and DEM-error differences of arcs by periodogram (maximum arc coherence).

    Parameters
    ----------
    dphase : ndarray, shape (n_arcs, n_dates)
        Wrapped phase differences along arcs (radians), date 0 = 0.
    time_yr : ndarray, shape (n_dates,)
        Years since the first date.
    kappa_per_m : ndarray, shape (n_dates,), optional
        DEM-error phase per metre (:func:`dem_error_phase_per_m`); ``None`` = velocity only.
    wavelength_m : float
        Radar wavelength.
    max_velocity_mm_yr, max_height_error_m : float
        Search ranges ``[-max, max]`` of the arc differences.

    Returns
    -------
    dv_mm_yr, dh_m, gamma : ndarray, shape (n_arcs,)
        LOS velocity difference (positive toward the satellite), DEM-error difference and
        arc temporal coherence (0..1).
    """
    dphase = np.asarray(dphase, float)
    t = np.asarray(time_yr, float)
    n = t.size
    a = radians_per_mm(wavelength_m, phase_sign=-1) * t  # rad per (mm/yr)
    span = max(t.max() - t.min(), 1e-6)
    v_amb = 2.0 * np.pi / (abs(a[-1] - a[0]) if abs(a[-1] - a[0]) > 0 else radians_per_mm(wavelength_m) * span)
    dv = v_amb / 4.0
    v_grid = np.arange(-max_velocity_mm_yr, max_velocity_mm_yr + dv / 2, dv)
    if kappa_per_m is None:
        kappa = np.zeros(n)
        h_grid = np.zeros(1)
        dh = 0.0
    else:
        kappa = np.asarray(kappa_per_m, float)
        if kappa.shape != (n,):
            raise GeohazardError(f"kappa_per_m has shape {kappa.shape}, expected ({n},)")
        kspan = kappa.max() - kappa.min()
        if kspan <= 0:
            h_grid = np.zeros(1)
            dh = 0.0
        else:
            dh = 2.0 * np.pi / kspan / 4.0
            h_grid = np.arange(-max_height_error_m, max_height_error_m + dh / 2, dh)
    z = np.exp(1j * dphase)
    m = dphase.shape[0]
    v0, h0, g0 = np.empty(m), np.empty(m), np.empty(m)
    _periodogram_kernel(z, a, kappa, np.zeros(m), np.zeros(m), v_grid, h_grid, v0, h0, g0)
    for _ in range(3):  # three zooms of 8 steps either side: the final step is 1/2048 of the ambiguity
        dv, dh = dv / 8.0, dh / 8.0
        v1, h1, g1 = np.empty(m), np.empty(m), np.empty(m)
        v_steps = np.arange(-8, 9) * dv
        h_steps = np.arange(-8, 9) * dh if dh > 0 else np.zeros(1)
        _periodogram_kernel(z, a, kappa, v0, h0, v_steps, h_steps, v1, h1, g1)
        v0, h0, g0 = v1, h1, g1
    return v0, h0, g0


def _laplacian_solver(arcs, weights, n_points, ref):
    """Factorised weighted normal equations of the arc network with ``ref`` fixed."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import factorized

    m = arcs.shape[0]
    rows = np.repeat(np.arange(m), 2)
    cols = arcs.ravel()
    vals = np.tile([-1.0, 1.0], m)
    a = sp.csr_matrix((vals, (rows, cols)), shape=(m, n_points))
    keep = np.ones(n_points, bool)
    keep[ref] = False
    a = a[:, keep]
    w = sp.diags(weights)
    normal = (a.T @ w @ a).tocsc()
    solve = factorized(normal)
    return a, w, keep, solve


def integrate_arcs(arcs, values, weights, n_points: int, ref: int) -> np.ndarray:
    """Weighted least-squares point values from arc differences ``x_j - x_i`` with ``x_ref = 0``.

    Parameters
    ----------
    arcs : ndarray, shape (n_arcs, 2)
        Point indices ``(i, j)``; every point must be connected to ``ref``.
    values : ndarray, shape (n_arcs,) or (n_arcs, k)
        Differences ``x_j - x_i``.
    weights : ndarray, shape (n_arcs,)
        Positive weights.
    n_points, ref : int
        Number of points and index of the reference point.

    Returns
    -------
    ndarray, shape (n_points,) or (n_points, k)
    """
    values = np.asarray(values, float)
    a, w, keep, solve = _laplacian_solver(np.asarray(arcs), np.asarray(weights, float), n_points, ref)
    rhs = a.T @ (w @ values)
    out = np.zeros((n_points,) + values.shape[1:])
    if values.ndim == 1:
        out[keep] = solve(rhs)
    else:
        sol = np.column_stack([solve(rhs[:, k]) for k in range(values.shape[1])])
        out[keep] = sol
    return out


@dataclass
class PsiResult:
    """Outputs of :func:`ps_time_series` for the kept points."""

    index: np.ndarray  #: (n_kept,) indices into the input points
    velocity_mm_yr: np.ndarray  #: (n_kept,) LOS, positive toward the satellite, relative to the reference
    velocity_std_mm_yr: np.ndarray  #: (n_kept,)
    coherence: np.ndarray  #: (n_kept,) mean accepted-arc temporal coherence
    height_error_m: np.ndarray  #: (n_kept,) relative to the reference point
    displacement_mm: np.ndarray  #: (n_dates, n_kept) LOS, relative to date 0 and the reference point
    reference: int  #: index (into the input points) of the reference point
    arcs: np.ndarray  #: (n_arcs, 2) all arcs (input indices)
    arc_coherence: np.ndarray  #: (n_arcs,)
    arc_accepted: np.ndarray  #: (n_arcs,) bool
    n_dropped: int  #: points dropped (no accepted link to the reference)


def ps_time_series(phase, x, y, dates, *, bperp_m=None, wavelength_m: float = SENTINEL1_WAVELENGTH_M,
                   slant_range_m: float = 850_000.0, incidence_deg: float = 37.0, reference: Optional[int] = None,
                   arc_coherence_min: float = 0.7, max_velocity_mm_yr: float = 50.0,
                   max_height_error_m: float = 50.0, max_arc_length: Optional[float] = None,
                   outlier_mm_yr: float = 5.0, quality=None, progress=None) -> PsiResult:
    """PS/DS point time series from wrapped phases by an arc network (see module docstring).

    Parameters
    ----------
    phase : ndarray, shape (n_dates, n_points)
        Wrapped phase of every point (radians), single reference (date 0 = 0 or any
        constant: only differences are used). Phase grows with range.
    x, y : ndarray, shape (n_points,)
        Point coordinates for the triangulation (map units or pixels).
    dates : sequence of datetime.date, length n_dates
        Acquisition dates (increasing).
    bperp_m : ndarray, shape (n_dates,), optional
        Perpendicular baselines (m) relative to any common reference; ``None`` = velocity
        only (no DEM error).
    wavelength_m, slant_range_m, incidence_deg : float
        Geometry for the DEM-error phase.
    reference : int, optional
        Index of the reference point; default: the point with the best ``quality``
        (highest), or the first point.
    arc_coherence_min : float
        Arcs below this temporal coherence are rejected.
    max_velocity_mm_yr, max_height_error_m : float
        Periodogram search ranges of arc differences.
    max_arc_length : float, optional
        Longest arc kept (coordinate units).
    outlier_mm_yr : float
        Arcs whose ``dv`` disagrees with the network solution by more are rejected.
    quality : ndarray, shape (n_points,), optional
        Point quality used to choose the default reference (e.g. ``1 - D_A`` or
        temporal coherence).
    progress : optional
        Progress/cancel protocol.

    Returns
    -------
    PsiResult
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    ph = np.asarray(phase, float)
    if ph.ndim != 2:
        raise GeohazardError(f"phase must be (n_dates, n_points), got shape {ph.shape}")
    n_dates, n_pts = ph.shape
    if n_dates < 4:
        raise GeohazardError(f"point time series need at least 4 dates, got {n_dates}")
    if len(dates) != n_dates:
        raise GeohazardError(f"{len(dates)} dates for {n_dates} phase rows")
    if n_pts < 3:
        raise GeohazardError(f"only {n_pts} PS/DS point(s) selected; at least 3 are needed (relax the thresholds)")
    if not 0 < arc_coherence_min < 1:
        raise GeohazardError(f"arc_coherence_min must be in (0, 1), got {arc_coherence_min}")
    t = np.array([(d - dates[0]).days for d in dates], float) / DAYS_PER_YEAR
    if np.any(np.diff(t) <= 0):
        raise GeohazardError("dates must be strictly increasing")
    kappa = None
    if bperp_m is not None:
        b = np.asarray(bperp_m, float)
        if b.shape != (n_dates,):
            raise GeohazardError(f"bperp_m has {b.size} values for {n_dates} dates")
        kappa = dem_error_phase_per_m(b - b[0], wavelength_m=wavelength_m, slant_range_m=slant_range_m,
                                      incidence_deg=incidence_deg)
    if reference is None:
        reference = int(np.nanargmax(quality)) if quality is not None else 0
    if not 0 <= reference < n_pts:
        raise GeohazardError(f"reference point index {reference} is outside 0..{n_pts - 1}")
    ph = ph - ph[0]
    ok_pts = np.all(np.isfinite(ph), axis=0)
    if not ok_pts[reference]:
        raise GeohazardError("the reference point has missing phase values")

    check_canceled(progress)
    arcs = delaunay_arcs(x, y, max_length=max_arc_length)
    arcs = arcs[ok_pts[arcs[:, 0]] & ok_pts[arcs[:, 1]]]
    if arcs.shape[0] == 0:
        raise GeohazardError("no arcs between points (max_arc_length too short?)")
    dphi = np.angle(np.exp(1j * (ph[:, arcs[:, 1]] - ph[:, arcs[:, 0]]))).T
    SubProgress(progress, 0, 10).set_progress(100)
    dv, dh, gamma = arc_periodogram(dphi, t, kappa_per_m=kappa, wavelength_m=wavelength_m,
                                    max_velocity_mm_yr=max_velocity_mm_yr, max_height_error_m=max_height_error_m)
    SubProgress(progress, 0, 60).set_progress(100)
    check_canceled(progress)
    accepted = gamma >= arc_coherence_min

    def _component(acc):
        a = arcs[acc]
        g = csr_matrix((np.ones(a.shape[0]), (a[:, 0], a[:, 1])), shape=(n_pts, n_pts))
        _, lab = connected_components(g, directed=False)
        return lab == lab[reference]

    weights_all = np.clip(gamma, 1e-3, 0.999) ** 2 / (1.0 - np.clip(gamma, 1e-3, 0.999) ** 2)
    for _ in range(3):
        conn = _component(accepted)
        acc = accepted & conn[arcs[:, 0]] & conn[arcs[:, 1]]
        if conn.sum() < 2:
            raise GeohazardError(
                f"no coherent arc reaches the reference point (arc coherence >= {arc_coherence_min}); "
                "lower the arc coherence threshold or choose another reference")
        idx = np.flatnonzero(conn)
        remap = -np.ones(n_pts, np.int64)
        remap[idx] = np.arange(idx.size)
        sub = remap[arcs[acc]]
        v_pts = integrate_arcs(sub, dv[acc], weights_all[acc], idx.size, int(remap[reference]))
        mis = np.abs(dv[acc] - (v_pts[sub[:, 1]] - v_pts[sub[:, 0]]))
        bad = mis > outlier_mm_yr
        if not bad.any():
            break
        accepted[np.flatnonzero(acc)[bad]] = False
    conn = _component(accepted)
    acc = accepted & conn[arcs[:, 0]] & conn[arcs[:, 1]]
    idx = np.flatnonzero(conn)
    remap = -np.ones(n_pts, np.int64)
    remap[idx] = np.arange(idx.size)
    sub = remap[arcs[acc]]
    w = weights_all[acc]
    r_ref = int(remap[reference])
    n_dropped = int(n_pts - idx.size)
    if n_dropped:
        warn(progress, f"{n_dropped} of {n_pts} points have no coherent arc to the reference and were dropped")
    check_canceled(progress)

    a_k = radians_per_mm(wavelength_m, phase_sign=-1) * t
    kap = kappa if kappa is not None else np.zeros(n_dates)
    model_arc = np.outer(dv[acc], a_k) + np.outer(dh[acc], kap)  # (n_acc, n_dates)
    resid = np.angle(np.exp(1j * (dphi[acc] - model_arc)))
    stacked = np.column_stack([dv[acc], dh[acc], resid])
    sol = integrate_arcs(sub, stacked, w, idx.size, r_ref)
    v_i, h_i, res_i = sol[:, 0], sol[:, 1], sol[:, 2:]
    unw = np.outer(v_i, a_k) + res_i  # deformation + atmosphere phase, DEM error removed
    disp = phase_to_los_mm(unw.T, wavelength_m)  # (n_dates, n_kept)
    disp -= disp[0]
    tc = t - t.mean()
    slope = (disp * tc[:, None]).sum(axis=0) / (tc ** 2).sum()
    fit = disp.mean(axis=0) + np.outer(tc, slope)
    dof = max(n_dates - 2, 1)
    sigma = np.sqrt(((disp - fit) ** 2).sum(axis=0) / dof)
    v_std = sigma / np.sqrt((tc ** 2).sum())
    coh_sum = np.bincount(sub.ravel(), weights=np.repeat(gamma[acc], 2), minlength=idx.size)
    coh_n = np.bincount(sub.ravel(), minlength=idx.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        coh = coh_sum / coh_n
    SubProgress(progress, 0, 100).set_progress(100)
    return PsiResult(index=idx, velocity_mm_yr=slope, velocity_std_mm_yr=v_std, coherence=coh, height_error_m=h_i,
                     displacement_mm=disp, reference=int(reference), arcs=arcs, arc_coherence=gamma,
                     arc_accepted=acc, n_dropped=n_dropped)
