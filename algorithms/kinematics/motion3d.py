"""3-D surface displacement (east, north, up) from two or more SAR geometries.

Model
    Every observation ``i`` of a cell sees the ground motion ``x = (E, N, U)`` through a
    unit vector ``a_i = (e_i, n_i, u_i)``: ``d_i = a_i . x + noise``. LOS observations use the
    ground-to-satellite vector (:func:`algorithms.geometry.los.los_unit_vector`, positive
    toward the satellite); azimuth offsets (along-track pixel offsets, from offset tracking
    or MAI) use the flight direction ``(sin h, cos h, 0)`` (:func:`azimuth_unit_vector`,
    positive along the flight direction). Units follow the inputs (mm or mm/yr).

Rank deficiency and the surface-parallel-flow constraint
    Polar-orbit LOS vectors are almost blind to north-south motion (``|n| < 0.12`` for
    Sentinel-1), so ascending + descending LOS alone cannot give three components: the
    geometry condition number ``sqrt(lambda_max / lambda_min)`` of ``sum a_i a_i^T`` is
    then far above :data:`DEFAULT_MAX_CONDITION`. Where the geometry is rank-deficient
    (or always, on request) the motion is constrained to be parallel to the ground
    surface, ``U = gx E + gy N`` with ``(gx, gy) = grad z = -tan(slope) (sin aspect,
    cos aspect)`` (aspect = downhill azimuth), and ``E``, ``N`` are solved from the columns
    ``(e + u gx, n + u gy)``; slopes gentler than ``min_slope_deg`` (default 5) are not
    constrained (there the constraint means ``U ~ 0`` and north would be read from the LOS's
    tiny north sensitivity). This is the surface-parallel flow assumption of translational
    landslides (introduced for glacier flow by Joughin, Kwok & Fahnestock 1998, IEEE TGRS 36,
    "Interferometric estimation of three-dimensional ice-flow using ascending and descending
    passes").

Estimators
    ``ls``: weighted least squares, weights ``1 / sigma_i^2``.
    ``huber``: Huber M-estimator by iteratively reweighted least squares (Huber 1964,
    doi:10.1214/aoms/1177703732; Holland & Welsch 1977, doi:10.1080/03610927708827533):
    standardised residuals ``z_i = r_i / sigma_i`` get weight ``min(1, k / |z_i|)``,
    ``k = 1.345`` (95 % efficiency for Gaussian noise); it needs redundancy (more
    observations than unknowns) to down-weight anything.
    ``tls``: total least squares (Golub & Van Loan 1980, doi:10.1137/0717073): the
    unit vectors are uncertain too (incidence and heading errors, ``sigma_geometry``
    per component); the scaled, row-weighted ``[A | gamma d]`` is decomposed by SVD and
    the solution read from its last right singular vector, ``gamma = sigma_geometry``.
    With no redundancy all three equal the exact solution.

Uncertainty
    ``C = (A^T W A)^-1`` with ``W = diag(1 / sigma_i^2)`` (final IRLS weights for Huber),
    propagated to ``U = gx E + gy N`` by ``J C J^T`` for constrained cells. Without input
    sigmas the a-posteriori variance factor ``r^T r / (m - k)`` scales ``(A^T A)^-1`` where
    there is redundancy; elsewhere the sigma is NaN. The TLS solution is reported with the
    least-squares covariance (first order, small geometry errors).

References
----------
Wright T. J., Parsons B. E., Lu Z. (2004) Toward mapping surface deformation in three
dimensions using InSAR, GRL 31, L01607, doi:10.1029/2003GL018827.
Fialko Y., Simons M., Agnew D. (2001) The complete (3-D) surface displacement field in the
epicentral area of the 1999 Mw 7.1 Hector Mine earthquake, GRL 28 (azimuth offsets in 3-D).
"""

from __future__ import annotations

import datetime as _dt
from typing import Sequence

import numpy as np

from ..errors import GeohazardError
from ..geometry.decomposition import interpolate_to_dates, velocity_from_series
from ..geometry.los import los_unit_vector
from ..geometry.terrain import slope_aspect_metric

#: Geometry condition number above which three components are not separable.
DEFAULT_MAX_CONDITION = 10.0
#: Huber tuning constant (95 % asymptotic efficiency under Gaussian noise).
HUBER_K = 1.345
METHODS = ("ls", "huber", "tls")
CONSTRAINTS = ("auto", "always", "never")
#: Output flag values.
FLAG_FREE, FLAG_CONSTRAINED, FLAG_NO_DEM, FLAG_ILL_CONDITIONED, FLAG_TOO_FEW, FLAG_GENTLE = 0, 1, 2, 3, 4, 5
FLAG_NAMES = {FLAG_FREE: "3-D, unconstrained", FLAG_CONSTRAINED: "3-D, surface-parallel constraint",
              FLAG_NO_DEM: "rank-deficient, no slope/aspect", FLAG_ILL_CONDITIONED: "ill-conditioned geometry",
              FLAG_TOO_FEW: "too few observations", FLAG_GENTLE: "slope below min_slope_deg: constraint not applied"}
#: Gentlest slope (degrees) on which the surface-parallel constraint is applied: on flatter ground it
#: forces U ~ 0 and reads N from the tiny north sensitivity of the LOS (|n| ~ 0.1), which amplifies noise
#: and any vertical motion (subsidence) into north motion.
DEFAULT_MIN_SLOPE_DEG = 5.0


def azimuth_unit_vector(heading_deg):
    """East, north, up of the along-track unit vector (azimuth offsets positive along the flight)."""
    h = np.radians(np.asarray(heading_deg, dtype=np.float64))
    return np.sin(h), np.cos(h), np.zeros_like(h)


def surface_gradient(slope_deg, aspect_deg):
    """``(dz/dx, dz/dy)`` (x east, y north) of a surface with the given slope and downhill aspect."""
    t = np.tan(np.radians(np.asarray(slope_deg, dtype=np.float64)))
    a = np.radians(np.asarray(aspect_deg, dtype=np.float64))
    return -t * np.sin(a), -t * np.cos(a)


def _normal(a, w):
    """sum_i w_i a_i a_i^T per cell; a: (c, m, k), w: (c, m) -> (c, k, k).

    Element by element (k(k+1)/2 weighted sums): several times faster than batched matmul
    on millions of 2x2 / 3x3 systems."""
    c, _, k = a.shape
    out = np.empty((c, k, k))
    cols = [a[:, :, i] for i in range(k)]
    for i in range(k):
        wi = w * cols[i]
        for j in range(i, k):
            out[:, i, j] = out[:, j, i] = np.einsum("cm,cm->c", wi, cols[j])
    return out


def _sym_eig_minmax(nm):
    """Smallest and largest eigenvalue of symmetric 2x2 or 3x3 matrices (c, k, k), closed form.

    Faster than LAPACK on millions of tiny matrices; accurate to ~1e-16 of the largest
    eigenvalue, plenty for a condition-number test against a limit of order 10.
    """
    if nm.shape[-1] == 2:
        a, b, d = nm[:, 0, 0], nm[:, 0, 1], nm[:, 1, 1]
        half = 0.5 * (a + d)
        disc = np.sqrt(np.maximum(0.25 * (a - d) ** 2 + b * b, 0.0))
        return half - disc, half + disc
    a11, a22, a33 = nm[:, 0, 0], nm[:, 1, 1], nm[:, 2, 2]
    a12, a13, a23 = nm[:, 0, 1], nm[:, 0, 2], nm[:, 1, 2]
    p1 = a12 * a12 + a13 * a13 + a23 * a23
    q = (a11 + a22 + a33) / 3.0
    p2 = (a11 - q) ** 2 + (a22 - q) ** 2 + (a33 - q) ** 2 + 2.0 * p1
    p = np.sqrt(p2 / 6.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        b11, b22, b33 = (a11 - q) / p, (a22 - q) / p, (a33 - q) / p
        b12, b13, b23 = a12 / p, a13 / p, a23 / p
        det_b = b11 * (b22 * b33 - b23 * b23) - b12 * (b12 * b33 - b23 * b13) + b13 * (b12 * b23 - b22 * b13)
        phi = np.arccos(np.clip(det_b / 2.0, -1.0, 1.0)) / 3.0
    lmax = np.where(p > 0, q + 2.0 * p * np.cos(phi), q)
    lmin = np.where(p > 0, q + 2.0 * p * np.cos(phi + 2.0 * np.pi / 3.0), q)
    return lmin, lmax


def _inverse(nm):
    """Inverse of symmetric 2x2 / 3x3 matrices (c, k, k) by the adjugate (singular cells give inf/NaN)."""
    out = np.empty_like(nm)
    with np.errstate(divide="ignore", invalid="ignore"):
        if nm.shape[-1] == 2:
            a, b, d = nm[:, 0, 0], nm[:, 0, 1], nm[:, 1, 1]
            det = a * d - b * b
            out[:, 0, 0], out[:, 1, 1] = d / det, a / det
            out[:, 0, 1] = out[:, 1, 0] = -b / det
            return out
        a11, a22, a33 = nm[:, 0, 0], nm[:, 1, 1], nm[:, 2, 2]
        a12, a13, a23 = nm[:, 0, 1], nm[:, 0, 2], nm[:, 1, 2]
        c11, c22, c33 = a22 * a33 - a23 * a23, a11 * a33 - a13 * a13, a11 * a22 - a12 * a12
        c12, c13, c23 = a13 * a23 - a12 * a33, a12 * a23 - a13 * a22, a12 * a13 - a11 * a23
        det = a11 * c11 + a12 * c12 + a13 * c13
        for (i, j), v in (((0, 0), c11), ((1, 1), c22), ((2, 2), c33), ((0, 1), c12), ((0, 2), c13),
                          ((1, 2), c23)):
            out[:, i, j] = out[:, j, i] = v / det
    return out


def _condition(a, w):
    """sqrt(lambda_max / lambda_min) of sum_i w_i a_i a_i^T; a: (c, m, k), w: (c, m)."""
    lmin, lmax = _sym_eig_minmax(_normal(a, w))
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.sqrt(lmax / lmin)
    cond[~(lmin > 1e-12 * np.maximum(lmax, 1e-300))] = np.inf
    cond[~(lmax > 0)] = np.nan
    return cond


def _regularised(nm):
    # a relative ridge of 1e-12 keeps singular cells finite; they are masked by the caller
    k = nm.shape[-1]
    tr = np.trace(nm, axis1=1, axis2=2)
    return nm + np.eye(k)[None] * (1e-12 * np.maximum(tr, 1e-300))[:, None, None]


def _wls(a, y, w, *, with_inverse=True):
    """Batched weighted least squares; returns x (c, k) and the normal-matrix inverse (c, k, k)."""
    inv = _inverse(_regularised(_normal(a, w)))
    b = np.einsum("cmi,cm->ci", a, w * y)
    return np.einsum("cij,cj->ci", inv, b), inv


def _solve_group(a, y, sig, ok, method, huber_k, sigma_geometry, max_iter=500, tol=1e-8):
    """Solve cells of one group. a (c, m, k), y (c, m), sig (c, m) or None, ok (c, m) usable."""
    c, m, k = a.shape
    y0 = np.where(ok, y, 0.0)
    s = np.ones((c, m)) if sig is None else np.where(ok, sig, 1.0)
    w0 = np.where(ok, 1.0 / s ** 2, 0.0)
    x, inv = _wls(a, y0, w0)
    w = w0
    if method == "huber" and m > k:
        # IRLS on the cells that have not converged yet (most converge in a few iterations)
        w = w0.copy()
        active = np.arange(c)
        for _ in range(max_iter):
            aa, yy, ss = a[active], y0[active], s[active]
            r = (yy - np.matmul(aa, x[active][..., None])[..., 0]) / ss
            ar = np.abs(r)
            w[active] = w0[active] * np.where(ar <= huber_k, 1.0, huber_k / np.maximum(ar, 1e-300))
            x_new, _ = _wls(aa, yy, w[active], with_inverse=False)
            step = np.max(np.abs(x_new - x[active]), axis=1)
            x[active] = x_new
            active = active[~(step <= tol)]
            if active.size == 0:
                break
        inv = _inverse(_regularised(_normal(a, w)))
    elif method == "tls":
        rw = np.where(ok, 1.0 / s, 0.0)  # row weights: every row to unit data noise
        g = max(float(sigma_geometry), 1e-12)
        z = np.concatenate([a * rw[..., None], (g * y0 * rw)[..., None]], axis=2)
        _, _, vt = np.linalg.svd(z, full_matrices=False)
        v = vt[:, -1, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            xt = -v[:, :k] / (v[:, k:k + 1] * g)
        good = np.abs(v[:, k]) > 1e-9
        x = np.where(good[:, None], xt, np.nan)
    n_used = ok.sum(axis=1)
    cov = inv
    if sig is None:
        r = np.where(ok, y0 - np.matmul(a, np.nan_to_num(x)[..., None])[..., 0], 0.0)
        dof = n_used - k
        with np.errstate(divide="ignore", invalid="ignore"):
            s0 = np.where(dof > 0, (w * r * r).sum(axis=1) / dof, np.nan)
        cov = inv * s0[:, None, None]
    return x, cov


def solve_3d(d, e, n, u, *, sigma=None, slope_deg=None, aspect_deg=None, method: str = "ls",
             constraint: str = "auto", max_condition: float = DEFAULT_MAX_CONDITION, huber_k: float = HUBER_K,
             sigma_geometry: float = 0.005, min_slope_deg: float = DEFAULT_MIN_SLOPE_DEG):
    """Solve east, north and up per cell (and per epoch) from ``m`` geometries.

    Parameters
    ----------
    d : ndarray, shape (m, n_cells) or (m, n_epochs, n_cells)
        Observations (LOS positive toward the satellite, azimuth offsets positive along the
        flight), mm or mm/yr; NaN = missing.
    e, n, u : ndarray, shape (m, n_cells) (or broadcastable)
        Unit vector of each observation (:func:`los_unit_vector`, :func:`azimuth_unit_vector`).
    sigma : ndarray (m, n_cells), optional
        Standard deviation of each observation, same unit as ``d``.
    slope_deg, aspect_deg : ndarray (n_cells,), optional
        Terrain slope (degrees) and downhill aspect (degrees clockwise from north) for the
        surface-parallel constraint.
    method : {"ls", "huber", "tls"}
    constraint : {"auto", "always", "never"}
        ``auto``: constrain only cells whose 3-D geometry condition exceeds ``max_condition``.
    max_condition : float
        Largest geometry condition number accepted (unconstrained 3-D or constrained 2-D).
    huber_k : float
        Huber threshold in standardised residuals.
    sigma_geometry : float
        Standard deviation of the unit-vector components (TLS only).
    min_slope_deg : float
        Cells flatter than this are not constrained (flag :data:`FLAG_GENTLE`).

    Returns
    -------
    dict
        ``east``, ``north``, ``up``, ``sigma_east``, ``sigma_north``, ``sigma_up``, each
        ``(n_epochs, n_cells)`` (``n_epochs = 1`` for 2-D ``d``); ``condition`` (n_cells) of
        the system solved; ``flag`` (n_cells, :data:`FLAG_NAMES`); ``n_obs`` (n_cells).

    Raises
    ------
    GeohazardError
        Bad method/constraint, shapes that do not match, fewer than two geometries, or a
        rank-deficient geometry everywhere with no slope/aspect given.
    """
    if method not in METHODS:
        raise GeohazardError(f"method must be one of {METHODS}, got {method!r}")
    if constraint not in CONSTRAINTS:
        raise GeohazardError(f"constraint must be one of {CONSTRAINTS}, got {constraint!r}")
    if not huber_k > 0:
        raise GeohazardError(f"huber_k must be > 0, got {huber_k!r}")
    dd = np.asarray(d, dtype=np.float64)
    if dd.ndim == 2:
        dd = dd[:, None, :]
    if dd.ndim != 3:
        raise GeohazardError(f"observations must have shape (m, n_cells) or (m, n_epochs, n_cells), got {dd.shape}")
    m, n_ep, n_cells = dd.shape
    if m < 2:
        raise GeohazardError(f"3-D motion needs at least two geometries, got {m}")
    try:
        vec = [np.broadcast_to(np.asarray(v, dtype=np.float64), (m, n_cells)) for v in (e, n, u)]
        sg = None if sigma is None else np.broadcast_to(np.asarray(sigma, dtype=np.float64), (m, n_cells))
    except ValueError:
        raise GeohazardError(f"unit vectors / sigma do not match the observations ({m} geometries x "
                             f"{n_cells} cells)") from None
    a3 = np.stack(vec, axis=2).transpose(1, 0, 2)  # (cells, m, 3)
    geom_ok = np.all(np.isfinite(a3), axis=2) & np.any(np.isfinite(dd), axis=1).T
    if sg is not None:
        geom_ok &= (np.isfinite(sg) & (sg > 0)).T
    cond3 = _condition(np.where(geom_ok[..., None], a3, 0.0), geom_ok.astype(float))
    has_dem = slope_deg is not None and aspect_deg is not None
    if has_dem:
        gx, gy = surface_gradient(np.broadcast_to(slope_deg, (n_cells,)), np.broadcast_to(aspect_deg, (n_cells,)))
    else:
        gx = gy = np.full(n_cells, np.nan)
    n_geo = geom_ok.sum(axis=1)
    free = (cond3 <= max_condition) & (n_geo >= 3)
    want_c = ~free if constraint == "auto" else np.full(n_cells, constraint == "always")
    if constraint == "never":
        want_c[:] = False
    dem_ok = np.isfinite(gx) & np.isfinite(gy)
    gentle = np.zeros(n_cells, bool)
    if has_dem:
        with np.errstate(invalid="ignore"):
            gentle = dem_ok & (np.broadcast_to(np.asarray(slope_deg, float), (n_cells,)) < min_slope_deg)
    cons = want_c & dem_ok & ~gentle & (n_geo >= 2)
    a2 = np.stack([a3[..., 0] + a3[..., 2] * gx[:, None], a3[..., 1] + a3[..., 2] * gy[:, None]], axis=2)
    cond2 = np.full(n_cells, np.nan)
    if cons.any():
        cond2[cons] = _condition(np.where(geom_ok[cons, :, None], a2[cons], 0.0), geom_ok[cons].astype(float))
    cons &= cond2 <= max_condition
    free &= ~want_c
    flag = np.full(n_cells, FLAG_ILL_CONDITIONED, dtype=np.int16)
    flag[n_geo < 2] = FLAG_TOO_FEW
    flag[want_c & ~dem_ok & (n_geo >= 2)] = FLAG_NO_DEM
    flag[want_c & gentle & (n_geo >= 2)] = FLAG_GENTLE
    flag[~want_c & ~free & (n_geo >= 2) & (constraint == "never")] = FLAG_ILL_CONDITIONED
    flag[free] = FLAG_FREE
    flag[cons] = FLAG_CONSTRAINED
    if not has_dem and not free.any() and (n_geo >= 2).any() and constraint != "never":
        raise GeohazardError(
            f"the geometry is rank-deficient everywhere (condition number {np.nanmin(cond3):.3g} or worse, limit "
            f"{max_condition:g}): {m} geometries cannot separate east, north and up (SAR is almost blind to "
            "north-south motion). Give a DEM (slope/aspect) for the surface-parallel-flow constraint, add "
            "azimuth offsets or other geometries, or use the ascending + descending decomposition (east + up).")
    out = {k: np.full((n_ep, n_cells), np.nan) for k in ("east", "north", "up", "sigma_east", "sigma_north",
                                                         "sigma_up")}
    for t in range(n_ep):
        y = dd[:, t, :].T  # (cells, m)
        ok = geom_ok & np.isfinite(y)
        sig_t = None if sg is None else sg.T
        for sel, a in ((free, a3), (cons, a2)):
            k = a.shape[2]
            cells = np.nonzero(sel & (ok.sum(axis=1) >= k))[0]
            if cells.size == 0:
                continue
            x, cov = _solve_group(a[cells], y[cells], None if sig_t is None else sig_t[cells], ok[cells], method,
                                  huber_k, sigma_geometry)
            if k == 3:
                east, north, up = x[:, 0], x[:, 1], x[:, 2]
                var = np.stack([cov[:, 0, 0], cov[:, 1, 1], cov[:, 2, 2]], axis=1)
            else:
                jx, jy = gx[cells], gy[cells]
                east, north = x[:, 0], x[:, 1]
                up = jx * east + jy * north
                var_u = jx * jx * cov[:, 0, 0] + 2 * jx * jy * cov[:, 0, 1] + jy * jy * cov[:, 1, 1]
                var = np.stack([cov[:, 0, 0], cov[:, 1, 1], var_u], axis=1)
            for j, key in enumerate(("east", "north", "up")):
                out[key][t, cells] = (east, north, up)[j]
                out["sigma_" + key][t, cells] = np.sqrt(np.maximum(var[:, j], 0.0))
    out["condition"] = np.where(free, cond3, np.where(cons, cond2, cond3))
    out["flag"] = flag
    out["n_obs"] = n_geo
    return out


def common_dates_many(date_lists: Sequence[Sequence[_dt.date]], *, spacing_days: int = 6):
    """Regular dates every ``spacing_days`` over the overlap of all acquisition lists."""
    if spacing_days < 1:
        raise GeohazardError(f"spacing_days must be >= 1, got {spacing_days!r}")
    if not date_lists or any(len(dl) == 0 for dl in date_lists):
        raise GeohazardError("every time series needs at least one date")
    lo = max(min(dl) for dl in date_lists)
    hi = min(max(dl) for dl in date_lists)
    if hi < lo:
        spans = ", ".join(f"{min(dl)}..{max(dl)}" for dl in date_lists)
        raise GeohazardError(f"the time series do not overlap in time ({spans})")
    n_d = (hi - lo).days // spacing_days + 1
    return [lo + _dt.timedelta(days=spacing_days * i) for i in range(n_d)]


def grid_observations(points, grid, n_epochs: int = 1):
    """Average point observations of each geometry per grid cell.

    Parameters
    ----------
    points : sequence of dict
        Per geometry: ``x``, ``y`` (grid CRS), ``d`` (n_points,) or (n_epochs, n_points),
        ``e``, ``n``, ``u`` (n_points,), ``sigma`` (n_points,) or None.
    grid : algorithms.geometry.decomposition.Grid

    Returns
    -------
    d (m, n_epochs, n_cells), e, n, u (m, n_cells), sigma (m, n_cells) or None, count (m, n_cells)

    Notes
    -----
    The cell mean of ``k`` points is the least-squares value of the cell for that
    geometry; its sigma is ``sqrt(mean(sigma_i^2) / k)``. Unit vectors are averaged (they
    differ by less than 1e-3 inside a 100 m cell).
    """
    n_cells = grid.n_rows * grid.n_cols
    m = len(points)
    dd = np.full((m, n_epochs, n_cells), np.nan)
    vec = np.full((3, m, n_cells), np.nan)
    sig = np.full((m, n_cells), np.nan)
    cnt = np.zeros((m, n_cells))
    have_sigma = all(p.get("sigma") is not None for p in points)
    for g, p in enumerate(points):
        r, c = grid.cell_index(p["x"], p["y"])
        cells = np.where(r >= 0, r * grid.n_cols + c, -1)
        vals = np.asarray(p["d"], dtype=np.float64).reshape(n_epochs, -1)
        ok = cells >= 0
        cnt_g = np.bincount(cells[ok], minlength=n_cells).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            for j, key in enumerate("enu"):
                vec[j, g] = np.bincount(cells[ok], weights=np.asarray(p[key], float)[ok], minlength=n_cells) / cnt_g
            for t in range(n_epochs):
                fin = ok & np.isfinite(vals[t])
                s = np.bincount(cells[fin], weights=vals[t, fin], minlength=n_cells)
                k = np.bincount(cells[fin], minlength=n_cells)
                dd[g, t] = np.where(k > 0, s / np.maximum(k, 1), np.nan)
            if have_sigma:
                s2 = np.bincount(cells[ok], weights=np.asarray(p["sigma"], float)[ok] ** 2, minlength=n_cells)
                sig[g] = np.sqrt(s2 / cnt_g) / np.sqrt(cnt_g)
        cnt[g] = cnt_g
    return dd, vec[0], vec[1], vec[2], (sig if have_sigma else None), cnt


def parse_geometries(text: str, n_inputs: int):
    """Parse ``"heading,incidence[,sigma]; az,heading[,sigma]; ..."`` (one entry per input, in order).

    Returns a list of ``(e, n, u, sigma or None, kind)`` with ``kind`` "los" or "azimuth".
    """
    entries = [t.strip() for t in (text or "").split(";") if t.strip()]
    if len(entries) != n_inputs:
        raise GeohazardError(f"GEOMETRIES has {len(entries)} entries for {n_inputs} inputs; give one "
                             "'heading,incidence[,sigma]' or 'az,heading[,sigma]' per input, separated by ';'")
    out = []
    for i, ent in enumerate(entries, start=1):
        parts = [p.strip() for p in ent.split(",")]
        kind = "azimuth" if parts[0].lower() in ("az", "azimuth") else "los"
        nums = parts[1:] if kind == "azimuth" else parts
        try:
            vals = [float(p) for p in nums]
        except ValueError:
            raise GeohazardError(f"GEOMETRIES entry {i} {ent!r}: expected numbers") from None
        need = 1 if kind == "azimuth" else 2
        if len(vals) not in (need, need + 1):
            raise GeohazardError(f"GEOMETRIES entry {i} {ent!r}: expected "
                                 + ("'az,heading[,sigma]'" if kind == "azimuth" else "'heading,incidence[,sigma]'"))
        sig = vals[need] if len(vals) > need else None
        if sig is not None and not sig > 0:
            raise GeohazardError(f"GEOMETRIES entry {i} {ent!r}: sigma must be > 0")
        if kind == "azimuth":
            e, n, u = azimuth_unit_vector(vals[0])
        else:
            e, n, u = los_unit_vector(vals[1], vals[0])
        out.append((float(e), float(n), float(u), sig, kind))
    return out


def geometry_condition(vectors) -> float:
    """Condition number of constant unit vectors (one per geometry)."""
    a = np.array([[v[0], v[1], v[2]] for v in vectors], dtype=np.float64)[None]
    return float(_condition(a, np.ones((1, a.shape[1])))[0])


def _nanmean_rows(values):
    """``numpy.nanmean(values, axis=0)`` with the same bits (0 / 0 where a column has no value) and no warning: a
    ``warnings.catch_warnings`` block is not thread-safe (in a threaded run another thread can restore the filters
    while this one is inside it), numpy's error state is per thread."""
    count = np.sum(~np.isnan(values), axis=0, dtype=np.intp)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nansum(values, axis=0) / count


def motion3d_block(block, inputs, *, vectors, method="ls", constraint="auto", max_condition=DEFAULT_MAX_CONDITION,
                   sigma_geometry=0.005, dx_rows_m=None, dy_m=1.0, date_lists=None, common=None,
                   min_slope_deg=DEFAULT_MIN_SLOPE_DEG):
    """Block function of the ``landslide3d`` raster route (:mod:`algorithms.engine`).

    ``inputs``: ``obs0``, ``obs1`` ... ``(bands, rows, cols)`` (one band = velocity; dated bands
    with ``date_lists``/``common``), optional ``dem`` (metres, one halo row). ``vectors``: the
    :func:`parse_geometries` list. Returns ``velocity`` (3, rows, cols) E/N/U, ``quality``
    (5, rows, cols) sigma E/N/U, condition, flag, and with ``common`` ``ts`` (3 * n_dates, ...).
    """
    core = block.core
    m = len(vectors)
    obs = [np.asarray(inputs[f"obs{g}"], dtype=np.float64) for g in range(m)]
    obs = [o[None] if o.ndim == 2 else o for o in obs]
    rows, cols = obs[0][:, core].shape[1:]
    nc = rows * cols
    if common is None:
        d = np.stack([o[0, core].reshape(nc) for o in obs])
    else:
        d = np.stack([interpolate_to_dates(o[:, core], date_lists[g], common).reshape(len(common), nc)
                      for g, o in enumerate(obs)])
    e = np.array([v[0] for v in vectors])[:, None]
    n = np.array([v[1] for v in vectors])[:, None]
    u = np.array([v[2] for v in vectors])[:, None]
    sig = None
    if all(v[3] is not None for v in vectors):
        sig = np.array([v[3] for v in vectors])[:, None] * np.ones((1, nc))
    slope = aspect = None
    if "dem" in inputs:
        s, a = slope_aspect_metric(inputs["dem"][0] if inputs["dem"].ndim == 3 else inputs["dem"],
                                   dx_rows_m[block.read0:block.read1], dy_m)
        slope, aspect = s[core].reshape(nc), a[core].reshape(nc)
    r = solve_3d(d, e, n, u, sigma=sig, slope_deg=slope, aspect_deg=aspect, method=method, constraint=constraint,
                 max_condition=max_condition, sigma_geometry=sigma_geometry, min_slope_deg=min_slope_deg)
    shp = (rows, cols)
    out = {}
    if common is None:
        out["velocity"] = np.stack([r[k][0].reshape(shp) for k in ("east", "north", "up")])
        sg = [r["sigma_" + k][0].reshape(shp) for k in ("east", "north", "up")]
    else:
        ts = np.concatenate([r[k].reshape((len(common),) + shp) for k in ("east", "north", "up")])
        out["ts"] = ts
        out["velocity"] = np.stack([velocity_from_series(r[k].reshape((len(common),) + shp), common)
                                    for k in ("east", "north", "up")])
        sg = [np.sqrt(_nanmean_rows(r["sigma_" + k] ** 2)).reshape(shp) for k in ("east", "north", "up")]
    out["quality"] = np.stack(sg + [r["condition"].reshape(shp), r["flag"].reshape(shp).astype(np.float64)])
    return out
