"""Landslide thickness from the 3-D surface velocity field by mass conservation.

Method (Booth et al. 2013; Delbridge et al. 2016; Hu et al. 2018)
    A landslide of thickness ``h`` sliding over a stable base conserves volume (incompressible,
    no erosion or deposition at the base). With the depth-averaged horizontal velocity
    ``u_bar = f u_s`` (``u_s = (E, N)`` the surface velocity, ``f`` the rheology factor) the
    surface elevation changes at a fixed place as

        dz/dt = -div(h u_bar) = -f (u_s . grad h + h div u_s)

    The Eulerian ``dz/dt`` comes from the 3-D field: a surface point moving with ``(E, N, U)``
    over a surface of gradient ``grad z`` changes its height by ``U`` while the surface at a
    fixed place changes by ``dz/dt = U - E dz/dx - N dz/dy`` (advection of the topography).
    The equation is linear in ``h``; on the grid (central differences of the flux ``h u``) it is
    solved by regularised least squares

        min_h || f D(u) h + dz/dt ||^2 + (alpha f u_med dx)^2 || Lap h ||^2,   h = 0 outside the landslide

    ``D(u)`` the discrete flux divergence, ``Lap`` the 5-point Laplacian, ``u_med`` the median
    horizontal speed and ``dx`` the cell size (so ``alpha`` is dimensionless). The landslide's
    margins (cells outside its mask) have ``h = 0``: the sliding surface meets the ground
    surface there. Because the equation is linear, ``h(f) = h(1) / f``.

Noise in the velocities (errors in variables)
    The velocities enter twice: in ``dz/dt`` (the data) and in the operator ``D(u)``. Noise in the
    data only scatters ``h``; noise in the operator biases it toward zero (regression dilution:
    ``E[D(u + e)' D(u + e)] = D' D + C`` with ``C`` diagonal, ``~ sigma^2 / dx^2``, which acts as a ridge
    penalty against the smooth thickness the data see only at ``~ u^2 / L^2``). With the noise of a
    ``landslide3d`` solution (north 7-30 mm/yr from azimuth offsets) a 200 mm/yr landslide came out
    15-44 % too thin. The operator is therefore built from the velocities smoothed inside the
    landslide (a Gaussian of ``smooth_cells`` cells, normalised over the landslide's cells, so the
    zero velocity outside does not leak in): their expected value given the data, "regression
    calibration" (Carroll et al. 2006, ch. 4), which divides the operator's noise variance by ~50 at
    2 cells. ``dz/dt`` keeps the unsmoothed values (its noise does not bias). Corrected least squares
    (subtracting ``C`` from the normal equations; Fuller 1987) was tried and rejected: unbiased in
    expectation but unstable, the corrected matrix being indefinite where ``C`` rivals ``D' D``.

Rheology factor
    ``f = 1`` for rigid sliding on a basal shear zone (plug flow, the usual case for slow
    landslides), ``f = 2/3`` for Newtonian viscous flow with no basal slip (parabolic profile);
    intermediate for combined sliding and internal deformation (Booth et al. 2013 found La Clapiere's
    rheology consistent with distributed deformation rather than a rigid block, f below 1). A power-law
    fluid without basal slip has ``f = (n + 1) / (n + 2)``, from 2/3 (``n = 1``) to 1 (``n`` large).
    ``f = 1/2`` is the floor of every gravity-driven shear flow: the shear stress grows with depth, so
    wherever the strain rate grows with stress the velocity profile is concave and its depth average is
    at least half the surface velocity. :data:`RHEOLOGY_RANGE`.

Smoothing weight
    The Laplacian penalty flattens the solution toward ``h = 0`` (the margins' value). Its weight
    relative to the data term is about ``alpha / N`` for a landslide of ``N`` cells in radius
    (``N = sqrt(n_cells / pi)``): on five synthetic bodies (4-33 cells in radius, f = 1 and 2/3) the
    volume at ``alpha / N`` = 0.02, 0.04, 0.06, 0.1, 0.15, 0.2 was 1.03-1.16, 1.00-1.13, 0.96-1.07,
    0.83-0.94, 0.67-0.78, 0.54-0.65 times the truth (the same five ratios to within 0.1 for each body), and an
    ``alpha`` of 30 or more gave a thickness of 0 everywhere with no flag. An ``alpha / N``
    above :data:`MAX_SMOOTHING_RATIO` is refused, above :data:`WARN_SMOOTHING_RATIO` reported
    (``smoothing_ratio`` of the result); ``alpha`` itself is accepted on :data:`ALPHA_RANGE`.

Assumption flags (bit mask of :data:`FLAGS`)
    ``slow``: horizontal speed below ``min_speed`` (no flux; thickness from the regularisation
    only); ``negative``: ``h < 0`` (the data contradict volume conservation with this ``f``:
    material gained/lost at the base, dilation, or a wrong ``f``); ``misfit``: the mass-balance
    residual exceeds 3 robust standard deviations and ``min_misfit`` (a divergent or convergent flux that no
    smooth positive thickness explains); ``non_steady``: the speed changed by more than
    ``max_speed_change`` between the two halves of the time series (the steady-state
    thickness is then a time average); ``edge``: next to a cell without data.

References
----------
Booth A. M., Lamb M. P., Avouac J.-P., Delacourt C. (2013) Landslide velocity, thickness, and
rheology from remote sensing: La Clapiere landslide, France. GRL 40, 4299-4304,
doi:10.1002/grl.50828.
Delbridge B. G., Buergmann R., Fielding E., Hensley S., Schulz W. H. (2016) Three-dimensional
surface deformation derived from airborne interferometric UAVSAR: application to the
Slumgullion landslide. JGR Solid Earth 121 (2016).
Hu X., Lu Z., Pierson T. C., Kramer R., George D. L. (2018) Combining InSAR and GPS to
determine transient movement and thickness of a seasonally active low-gradient translational
landslide. GRL 45, 1453-1462, doi:10.1002/2017GL076623.
Carroll R. J., Ruppert D., Stefanski L. A., Crainiceanu C. M. (2006) Measurement Error in Nonlinear
Models, 2nd ed. Chapman & Hall/CRC. doi:10.1201/9781420010138
Fuller W. A. (1987) Measurement Error Models. Wiley. doi:10.1002/9780470316665
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import GeohazardError

FLAGS = {"slow": 1, "negative": 2, "misfit": 4, "non_steady": 8, "edge": 16}
#: Accepted rheology factors: 1/2 (the floor of any gravity-driven shear flow) to 1 (a sliding block).
RHEOLOGY_RANGE = (0.5, 1.0)
#: Accepted smoothing weights (dimensionless); 0.3 the default. Above 10 the smoothing flattens the thickness of
#: any landslide smaller than ~100 cells across by half or more.
ALPHA_RANGE = (0.0, 10.0)
#: ``alpha / N`` (N the landslide's radius in cells) above which the smoothing outweighs the data (volume about
#: half the truth on the synthetic bodies, toward 0 beyond): refused.
MAX_SMOOTHING_RATIO = 0.25
#: ``alpha / N`` above which the smoothing biases the volume low (6-17 % at 0.1): reported.
WARN_SMOOTHING_RATIO = 0.1
#: Largest number of landslide cells solved at once (sparse system, ~ 10 non-zeros per row).
MAX_CELLS = 2_000_000


def eulerian_dzdt(east, north, up, dzdx, dzdy):
    """Surface height change at a fixed place, ``U - E dz/dx - N dz/dy`` (same unit as the velocities)."""
    return np.asarray(up, float) - np.asarray(east, float) * dzdx - np.asarray(north, float) * dzdy


def dem_gradient(dem_m, dx_m: float, dy_m: float):
    """``dz/dx`` (east) and ``dz/dy`` (north) by central differences, rows running south; NaN at edges."""
    z = np.asarray(dem_m, float)
    gx = np.full(z.shape, np.nan)
    gy = np.full(z.shape, np.nan)
    gx[:, 1:-1] = (z[:, 2:] - z[:, :-2]) / (2 * dx_m)
    gy[1:-1, :] = (z[:-2, :] - z[2:, :]) / (2 * dy_m)
    return gx, gy


def smooth_within(values, mask, sigma_cells: float):
    """``values`` smoothed by a Gaussian of ``sigma_cells`` cells over the cells of ``mask`` only (normalised
    convolution: each cell gets the weighted mean of the masked cells around it; cells outside ``mask`` keep
    their value). Truncated at 3 sigma; weights from Python's ``math``, sums in a fixed order."""
    v = np.asarray(values, dtype=np.float64)
    m = np.asarray(mask, bool)
    if not sigma_cells or sigma_cells <= 0:
        return v.copy()
    radius = max(1, int(math.ceil(3.0 * sigma_cells)))
    w = [math.exp(-0.5 * (k / sigma_cells) ** 2) for k in range(-radius, radius + 1)]

    def blur(a):
        for axis in (0, 1):
            pad = [(0, 0), (0, 0)]
            pad[axis] = (radius, radius)
            p = np.pad(a, pad)
            out = np.zeros_like(a)
            for k, wk in enumerate(w):
                out += wk * (p[k:k + a.shape[0]] if axis == 0 else p[:, k:k + a.shape[1]])
            a = out
        return a

    num = blur(np.where(m, v, 0.0))
    den = blur(m.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(m & (den > 0), num / den, v)



def _neighbours(idx, r_idx, c_idx, dr: int, dc: int):
    """Cells (numbered by ``idx``, -1 outside the mask) whose neighbour at ``(dr, dc)`` is a cell too: their
    numbers ``k``, the neighbours' numbers ``j`` and the neighbours' rows and columns."""
    rows, cols = idx.shape
    r2, c2 = r_idx + dr, c_idx + dc
    inside = (r2 >= 0) & (r2 < rows) & (c2 >= 0) & (c2 < cols)
    k = np.nonzero(inside)[0]
    j = idx[r2[k], c2[k]]
    use = j >= 0
    return k[use], j[use], r2[k][use], c2[k][use]


def invert_thickness(east, north, up, dem_m, *, dx_m: float, dy_m: float, mask=None, rheology_factor: float = 1.0,
                     alpha: float = 0.3, min_speed: float = 1.0, speed_halves=None, max_speed_change: float = 0.3,
                     min_misfit: float = 2.0, smooth_cells: float = 2.0):
    """Thickness (m) of a landslide from its 3-D surface velocities (see module notes).

    Parameters
    ----------
    east, north, up : ndarray (rows, cols)
        Surface velocity, mm/yr (landslide3d output); NaN = no data.
    dem_m : ndarray (rows, cols)
        Surface heights, m, same grid.
    dx_m, dy_m : float
        Cell size, m.
    mask : ndarray of bool (rows, cols), optional
        The landslide; default: cells whose horizontal speed is at least ``min_speed``.
    rheology_factor : float
        ``f`` in ``u_bar = f u_s``, on :data:`RHEOLOGY_RANGE` (0.5-1).
    alpha : float
        Dimensionless smoothing weight, on :data:`ALPHA_RANGE`; refused when it would flatten this
        landslide (``alpha / N`` above :data:`MAX_SMOOTHING_RATIO`, module notes).
    min_speed : float
        Horizontal speed (mm/yr) below which a cell carries no flux information.
    speed_halves : (ndarray, ndarray), optional
        Horizontal speed over the first and the second half of the time series (mm/yr).
    max_speed_change : float
        Relative change between the halves that flags ``non_steady``.
    min_misfit : float
        Mass-balance residuals (mm/yr) below this never flag ``misfit`` (the order of InSAR
        velocity errors); above it, residuals beyond 3 robust standard deviations do.
    smooth_cells : float
        Gaussian sigma (cells) of the smoothing of the velocities in the flux operator (module
        notes: noise there biases the thickness low); 0 = the velocities as given.

    Returns
    -------
    dict
        ``thickness`` (m, NaN outside the mask), ``dzdt`` (mm/yr), ``residual`` (mm/yr, mass
        balance), ``flags`` (int, :data:`FLAGS`), ``n_cells``, ``volume_m3``, ``n_surface_parallel``
        (cells whose velocity is surface-parallel by construction, ``dz/dt = 0``; more than half is refused),
        ``smoothing_ratio`` (``alpha / N``; above :data:`WARN_SMOOTHING_RATIO` the volume is biased low),
        ``radius_cells`` (``N = sqrt(n_cells / pi)``).
    """
    lo, hi = RHEOLOGY_RANGE
    if not lo <= rheology_factor <= hi:
        raise GeohazardError(
            f"RHEOLOGY_FACTOR (f) must be {lo:g} to {hi:g} (1 a sliding block, 2/3 Newtonian flow without basal slip, "
            f"1/2 the floor of any gravity-driven shear flow; Booth et al. 2013, doi:10.1002/grl.50828), got "
            f"{rheology_factor!r}")
    if not ALPHA_RANGE[0] <= alpha <= ALPHA_RANGE[1]:
        raise GeohazardError(
            f"ALPHA (smoothing weight) must be {ALPHA_RANGE[0]:g} to {ALPHA_RANGE[1]:g} (0.3 by default; larger is "
            f"smoother and flattens the thickness toward 0), got {alpha!r}")
    if not (dx_m > 0 and dy_m > 0):
        raise GeohazardError(f"cell size must be > 0 m, got {dx_m!r} x {dy_m!r}")
    e, n, u, z = (np.asarray(a, float) for a in (east, north, up, dem_m))
    if not (e.shape == n.shape == u.shape == z.shape) or e.ndim != 2:
        raise GeohazardError(f"velocity components and DEM must share one 2-D grid, got {e.shape}, {n.shape}, "
                             f"{u.shape}, {z.shape}")
    rows, cols = e.shape
    gx, gy = dem_gradient(z, dx_m, dy_m)
    speed = np.hypot(e, n)
    valid = np.isfinite(e) & np.isfinite(n) & np.isfinite(u) & np.isfinite(gx) & np.isfinite(gy)
    m = (speed >= min_speed) & valid if mask is None else (np.asarray(mask, bool) & valid)
    n_cells = int(m.sum())
    if n_cells < 4:
        raise GeohazardError(f"the landslide has {n_cells} cells with velocities and DEM gradients (at least 4 "
                             f"needed); check LANDSLIDE_OUTLINE / MIN_SPEED ({min_speed:g} mm/yr)")
    if n_cells > MAX_CELLS:
        raise GeohazardError(f"the landslide has {n_cells} cells, more than {MAX_CELLS}; clip to one landslide")
    radius_cells = math.sqrt(n_cells / math.pi)
    ratio = alpha / radius_cells
    if ratio > MAX_SMOOTHING_RATIO:
        raise GeohazardError(
            f"ALPHA = {alpha:g} is too strong a smoothing for this landslide ({n_cells} cells, {radius_cells:.1f} "
            f"cells in radius): the smoothing would outweigh the data and flatten the thickness toward 0 (volume "
            f"half or less of the truth on synthetic landslides). The plausible range here is ALPHA 0 to "
            f"{WARN_SMOOTHING_RATIO * radius_cells:.2g} (0.3 by default; up to {WARN_SMOOTHING_RATIO:g} times the "
            "landslide's radius in cells)")
    import scipy.sparse as sp
    from scipy.sparse.linalg import lsqr

    mm_to_m = 1e-3
    dzdt = eulerian_dzdt(e, n, u, gx, gy)
    # a surface-parallel velocity (landslide3d's DEM constraint: U = E dz/dx + N dz/dy) has dz/dt = 0 by
    # construction: mass conservation then sees no thickness at all
    scale = np.abs(u) + np.abs(e * gx) + np.abs(n * gy)
    parallel = m & (np.abs(dzdt) <= 1e-6 * scale) & (scale > 0)
    n_parallel = int(parallel.sum())
    if n_parallel > 0.5 * n_cells:
        raise GeohazardError(
            f"the velocity is surface-parallel on {n_parallel} of {n_cells} landslide cells (U = E dz/dx + N dz/dy "
            "to 1e-6, as landslide3d makes it where it applies its DEM constraint): the height change at a fixed "
            "place is then zero by construction and mass conservation has no thickness to find. Give a 3-D "
            "solution without the constraint (landslide3d with azimuth offsets or more geometries, CONSTRAINT "
            "never)")
    idx = -np.ones((rows, cols), dtype=np.int64)
    idx[m] = np.arange(n_cells)
    r_idx, c_idx = np.nonzero(m)
    if not smooth_cells >= 0:
        raise GeohazardError(f"smooth_cells must be >= 0 cells, got {smooth_cells!r}")
    # the operator's velocities: smoothed inside the landslide (their noise would bias h toward 0)
    ue = np.where(valid, smooth_within(np.where(valid, e, 0.0), m, smooth_cells), 0.0) * mm_to_m
    un = np.where(valid, smooth_within(np.where(valid, n, 0.0), m, smooth_cells), 0.0) * mm_to_m
    f = rheology_factor
    # flux divergence: d(h E)/dx + d(h N)/dy, y north = -rows; neighbours outside the mask have h = 0
    rr, cc, vv = [], [], []
    for dr, dc, comp, scale in ((0, 1, ue, 1 / (2 * dx_m)), (0, -1, ue, -1 / (2 * dx_m)),
                                (-1, 0, un, 1 / (2 * dy_m)), (1, 0, un, -1 / (2 * dy_m))):
        k, j, r2, c2 = _neighbours(idx, r_idx, c_idx, dr, dc)
        rr.append(k)
        cc.append(j)
        vv.append(f * scale * comp[r2, c2])
    g = sp.csr_matrix((np.concatenate(vv), (np.concatenate(rr), np.concatenate(cc))), shape=(n_cells, n_cells))
    # 5-point Laplacian with h = 0 outside
    lr, lc, lv = [np.arange(n_cells)], [np.arange(n_cells)], [np.full(n_cells, -4.0 / (dx_m * dy_m))]
    for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        k, j, _, _ = _neighbours(idx, r_idx, c_idx, dr, dc)
        lr.append(k)
        lc.append(j)
        lv.append(np.full(k.size, 1.0 / (dx_m * dy_m)))
    lap = sp.csr_matrix((np.concatenate(lv), (np.concatenate(lr), np.concatenate(lc))), shape=(n_cells, n_cells))
    u_med = float(np.median(speed[m])) * mm_to_m
    w = alpha * f * u_med * dx_m  # scales with the flux term, so h(f) = h(1) / f exactly
    a = sp.vstack([g, lap * w]).tocsr()
    b = np.concatenate([-dzdt[m] * mm_to_m, np.zeros(n_cells)])
    sol = lsqr(a, b, atol=1e-12, btol=1e-12, iter_lim=20 * n_cells + 1000)
    h = sol[0]
    resid = (g @ h + dzdt[m] * mm_to_m) / mm_to_m
    flags = np.zeros((rows, cols), dtype=np.int32)
    fl = np.zeros(n_cells, dtype=np.int32)
    fl[speed[m] < min_speed] |= FLAGS["slow"]
    fl[h < 0] |= FLAGS["negative"]
    mad = 1.4826 * np.median(np.abs(resid - np.median(resid)))
    fl[np.abs(resid) > max(3 * mad, min_misfit)] |= FLAGS["misfit"]
    if speed_halves is not None:
        s1, s2 = (np.asarray(s, float)[m] for s in speed_halves)
        with np.errstate(invalid="ignore", divide="ignore"):
            change = np.abs(s2 - s1) / np.maximum(0.5 * (s1 + s2), 1e-9)
        fl[change > max_speed_change] |= FLAGS["non_steady"]
    nb_missing = np.zeros(n_cells, bool)
    for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        r2, c2 = np.clip(r_idx + dr, 0, rows - 1), np.clip(c_idx + dc, 0, cols - 1)
        nb_missing |= ~valid[r2, c2] | (r2 != r_idx + dr) | (c2 != c_idx + dc)
    fl[nb_missing] |= FLAGS["edge"]
    flags[m] = fl
    thick = np.full((rows, cols), np.nan)
    thick[m] = h
    res_map = np.full((rows, cols), np.nan)
    res_map[m] = resid
    return {"thickness": thick, "dzdt": np.where(valid, dzdt, np.nan), "residual": res_map, "flags": flags,
            "n_cells": n_cells, "volume_m3": float(np.sum(np.clip(h, 0, None)) * dx_m * dy_m),
            "lsqr_iterations": int(sol[2]), "n_surface_parallel": n_parallel, "smoothing_ratio": ratio,
            "radius_cells": radius_cells}
