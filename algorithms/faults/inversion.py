"""Distributed slip inversion of InSAR line-of-sight displacement (Okada half-space).

Pipeline: quadtree downsampling of each LOS map (:func:`quadtree_sample`), a design
matrix of LOS Green's functions for unit strike-slip and unit dip-slip per patch plus
optional per-dataset ramps (:func:`design_matrix`), Laplacian smoothing of both slip
components between neighbouring patches, bounded least squares, and the smoothing weight
chosen at the corner of the L-curve (maximum curvature of log misfit vs log roughness)
(:func:`invert_slip`).

The rake (:func:`slip_basis`). **Free rake** (``rake_range_deg=None``, the default): the
strike-slip and dip-slip components of each patch take any sign, so any mechanism (thrust,
normal, strike-slip, oblique) can be found. **Rake bounds** ``(rake_min, rake_max)``, less
than 180 degrees apart: the slip is a non-negative sum of the two bounding rakes, so every
patch's rake stays inside the range (two rakes 180 degrees apart, e.g. 0 and 180, are
opposite directions whose non-negative sums are pure strike-slip: refused). In both modes
the total slip ``hypot(strike_slip, dip_slip)`` of a patch is at most ``max_slip_m``: a
patch the box-bounded solution puts above it is held at its rake with its slip in
``[0, max_slip_m]`` and the problem solved again (:func:`_limited_slip`).

LOS is positive toward the satellite (mm at the API, metres inside); the LOS unit
vector is ground -> satellite (east, north, up), see :mod:`algorithms.geometry.los`.

References
----------
Jonsson, S., Zebker, H., Segall, P., Amelung, F. (2002). Fault slip distribution of the
1999 Mw 7.1 Hector Mine earthquake. BSSA 92(4), 1377-1389. doi:10.1785/0120000922
Hansen, P. C. (1992). Analysis of discrete ill-posed problems by means of the L-curve.
SIAM Review 34(4), 561-580. doi:10.1137/1034115
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import GeohazardError
from ..progress import SubProgress, check_canceled, ensure
from .faults import Faults, discretize, moment
from .okada import okada_greens


@dataclass
class Samples:
    """Quadtree samples of one LOS dataset: centres (m), mean LOS (mm), std (mm), pixel counts, LOS vectors."""

    east_m: np.ndarray
    north_m: np.ndarray
    los_mm: np.ndarray
    std_mm: np.ndarray
    count: np.ndarray
    los_vector: np.ndarray  # (n, 3) ground -> satellite
    dataset: np.ndarray  # (n,) dataset index


def quadtree_sample(los_mm, east_m, north_m, los_vector, *, max_std_mm=5.0, min_pixels=4, max_pixels=4096,
                    min_valid_fraction=0.5, dataset=0) -> Samples:
    """Quadtree downsampling of a LOS map (Jonsson et al. 2002).

    A square cell is split into four while the standard deviation of its valid pixels
    exceeds ``max_std_mm`` or it holds more than ``max_pixels`` pixels, down to
    ``min_pixels``. Cells with less than ``min_valid_fraction`` valid pixels are dropped.

    Parameters
    ----------
    los_mm : ndarray (rows, cols)
        LOS displacement, mm, NaN = nodata.
    east_m, north_m : ndarray (rows, cols)
        Pixel centre coordinates (m).
    los_vector : ndarray (3,) or (rows, cols, 3)
        Ground-to-satellite unit vector.

    Returns
    -------
    Samples
    """
    a = np.asarray(los_mm, float)
    if a.ndim != 2:
        raise GeohazardError(f"los_mm must be 2-D, got shape {a.shape}")
    lv = np.asarray(los_vector, float)
    if lv.shape == (3,):
        lv = np.broadcast_to(lv, a.shape + (3,))
    out = {k: [] for k in ("e", "n", "v", "s", "c", "l")}
    stack = [(0, a.shape[0], 0, a.shape[1])]
    while stack:
        r0, r1, c0, c1 = stack.pop()
        block = a[r0:r1, c0:c1]
        valid = np.isfinite(block)
        nv = int(valid.sum())
        npx = block.size
        if nv == 0:
            continue
        std = float(np.std(block[valid]))
        if (std > max_std_mm or npx > max_pixels) and npx > min_pixels and (r1 - r0) > 1 and (c1 - c0) > 1:
            rm = (r0 + r1) // 2
            cm = (c0 + c1) // 2
            stack += [(r0, rm, c0, cm), (r0, rm, cm, c1), (rm, r1, c0, cm), (rm, r1, cm, c1)]
            continue
        if nv < min_valid_fraction * npx:
            continue
        out["e"].append(float(np.mean(east_m[r0:r1, c0:c1][valid])))
        out["n"].append(float(np.mean(north_m[r0:r1, c0:c1][valid])))
        out["v"].append(float(np.mean(block[valid])))
        out["s"].append(std)
        out["c"].append(nv)
        out["l"].append(lv[r0:r1, c0:c1][valid].mean(axis=0))
    if not out["e"]:
        raise GeohazardError("quadtree: no cell with enough valid pixels; check nodata and min_valid_fraction")
    lvec = np.asarray(out["l"])
    lvec /= np.linalg.norm(lvec, axis=1, keepdims=True)
    return Samples(np.asarray(out["e"]), np.asarray(out["n"]), np.asarray(out["v"]), np.asarray(out["s"]),
                   np.asarray(out["c"]), lvec, np.full(len(out["e"]), dataset, dtype=np.int64))


def concat_samples(parts) -> Samples:
    return Samples(*[np.concatenate([getattr(p, k) for p in parts]) for k in Samples.__dataclass_fields__])


def laplacian(index: np.ndarray) -> np.ndarray:
    """Finite-difference Laplacian between patches of the same parent fault.

    ``index`` (n, 3): (parent, i_strike, i_dip) from :func:`faults.discretize`. Edges use
    the free (zero-slip outside) condition on the sides and bottom, free at the top row.
    """
    n = index.shape[0]
    lap = np.zeros((n, n))
    lookup = {tuple(r): k for k, r in enumerate(index)}
    for k, (f, i, j) in enumerate(index):
        lap[k, k] = -4.0
        for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            m = lookup.get((f, i + di, j + dj))
            if m is not None:
                lap[k, m] = 1.0
            elif j + dj < 0:
                lap[k, k] += 1.0  # top edge: no constraint across the top of the fault
    return lap


def ramp_basis(east_m, north_m, x0: float, y0: float) -> tuple:
    """The ramp's three basis functions: 1, (east - x0) / 100 km, (north - y0) / 100 km (the ramp
    coefficients are in m of LOS per 100 km; ``x0, y0`` = the mean sample position)."""
    return 1.0, (east_m - x0) / 1e5, (north_m - y0) / 1e5


def ramp_value(coeffs, east_m, north_m, x0: float, y0: float):
    """The ramp of :func:`ramp_basis` with coefficients ``(c0, c_east, c_north)`` (m of LOS)."""
    return coeffs[0] + coeffs[1] * (east_m - x0) / 1e5 + coeffs[2] * (north_m - y0) / 1e5


def check_rake_range(rake_range_deg):
    """``None`` (free rake) or the rake bounds ``(min, max)`` in degrees, ``0 < max - min < 180``.

    Raises
    ------
    GeohazardError
        Bounds not finite, not increasing, or 180 degrees or more apart (two opposite bounding rakes,
        0 and 180 say, can only add up to strike-slip: such a range cannot hold the rakes between them).
    """
    if rake_range_deg is None:
        return None
    rmin, rmax = (float(v) for v in rake_range_deg)
    span = rmax - rmin
    if not np.isfinite(span) or span <= 0:
        raise GeohazardError(f"rake_range_deg: the maximum rake must exceed the minimum, got {rmin:g}, {rmax:g}")
    if span >= 180.0:
        raise GeohazardError(
            f"rake_range_deg {rmin:g}..{rmax:g} spans {span:g} degrees: bounding rakes 180 degrees or more apart "
            "cannot hold the rakes between them (0 and 180 allow only strike-slip); use free rake (no rake bounds) "
            "for a mechanism you do not know, or bounds less than 180 degrees apart")
    return rmin, rmax


def slip_basis(rake_range_deg, n: int, *, held_rad=None, max_slip_m: float = 50.0):
    """The two slip directions of each patch and their bounds.

    Returns ``basis`` (n, 2, 2): column ``j`` of ``basis[k]`` is the (strike-slip, dip-slip) vector of
    coefficient ``j`` of patch ``k``; and ``lo``, ``hi`` (2 n,) the coefficients' bounds (m). Free rake: unit
    strike-slip and dip-slip, each in ``[-max_slip_m, max_slip_m]``; rake bounds: the two bounding rakes, each
    in ``[0, max_slip_m]``. Patches with a finite ``held_rad`` (radians) are held at that rake: along it in
    ``[0, max_slip_m]``, across it 0 (``lo == hi``: the column is left out of the solve).
    """
    rng = check_rake_range(rake_range_deg)
    a0, a1 = (0.0, 0.5 * np.pi) if rng is None else np.radians(rng)
    lo1 = -max_slip_m if rng is None else 0.0
    basis = np.empty((n, 2, 2))
    basis[:, :, 0] = np.cos(a0), np.sin(a0)
    basis[:, :, 1] = np.cos(a1), np.sin(a1)
    lo = np.full((n, 2), lo1)
    hi = np.full((n, 2), float(max_slip_m))
    held = np.isfinite(held_rad) if held_rad is not None else np.zeros(n, bool)
    if held.any():
        h = np.asarray(held_rad)[held]
        basis[held, :, 0] = np.stack([np.cos(h), np.sin(h)], axis=1)
        basis[held, :, 1] = np.stack([-np.sin(h), np.cos(h)], axis=1)
        lo[held] = 0.0
        hi[held, 1] = 0.0
    return basis, lo.ravel(), hi.ravel()


def in_basis(matrix: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """``matrix`` (rows, 2 n + extra) acting on (strike-slip, dip-slip) per patch, made to act on the
    coefficients of ``basis`` (:func:`slip_basis`); the extra columns (ramps) are kept."""
    n = basis.shape[0]
    out = matrix.copy()
    pairs = matrix[:, :2 * n].reshape(matrix.shape[0], n, 2)
    out[:, :2 * n] = np.einsum("rnp,npq->rnq", pairs, basis).reshape(matrix.shape[0], 2 * n)
    return out


def _limited_slip(solve_box, n: int, rake_range_deg, max_slip_m: float):
    """Coefficients of the bounded least squares with each patch's total slip at most ``max_slip_m``.

    ``solve_box(basis, lo, hi, keep)`` solves the box-bounded problem in ``basis`` (columns ``~keep`` fixed at
    0) and returns its coefficients. Patches whose total slip exceeds the limit are held at the rake found and
    the problem solved again, until none does (each pass holds at least one more patch).
    Returns ``(strike_slip, dip_slip)`` per patch (n, 2) and the full solution in physical components.
    """
    held = np.full(n, np.nan)
    for _ in range(n + 1):
        basis, lo, hi = slip_basis(rake_range_deg, n, held_rad=held, max_slip_m=max_slip_m)
        keep = lo < hi
        x = solve_box(basis, lo, hi, keep)
        phys = np.einsum("npq,nq->np", basis, x[:2 * n].reshape(n, 2))
        over = (np.hypot(phys[:, 0], phys[:, 1]) > max_slip_m * (1.0 + 1e-9)) & ~np.isfinite(held)
        if not over.any():
            return phys, np.concatenate([phys.ravel(), x[2 * n:]])
        held[over] = np.arctan2(phys[over, 1], phys[over, 0])
    raise GeohazardError("the total-slip limit could not be met")  # unreachable: each pass holds a patch


def _box_lsq(a, b, lo, hi, keep):
    """Bounded-variable least squares on the columns ``keep`` (the others 0); unbounded extra columns."""
    from scipy.optimize import lsq_linear

    n_slip = lo.size
    lo_all = np.concatenate([lo, np.full(a.shape[1] - n_slip, -np.inf)])
    hi_all = np.concatenate([hi, np.full(a.shape[1] - n_slip, np.inf)])
    cols = np.concatenate([keep, np.ones(a.shape[1] - n_slip, bool)])
    x = np.zeros(a.shape[1])
    x[cols] = lsq_linear(a[:, cols], b, bounds=(lo_all[cols], hi_all[cols]), method="bvls").x
    return x


def design_matrix(samples: Samples, patches: Faults, *, poisson=0.25, ramp=True):
    """LOS Green's functions (m of LOS per m of slip) of unit strike-slip and dip-slip per patch, plus ramps.

    Returns ``G`` (n_samples, 2 n_patches + 3 n_datasets if ramp), columns: patch k's strike-slip (left-lateral
    +) is column ``2k``, its dip-slip (reverse +) column ``2k+1``.
    """
    n = len(patches)
    cols = []
    for ss, ds in ((1.0, 0.0), (0.0, 1.0)):
        p = Faults(**{k: (getattr(patches, k).copy() if k != "name" else patches.name)
                      for k in Faults.__dataclass_fields__})
        p.strike_slip_m = np.full(n, ss)
        p.dip_slip_m = np.full(n, ds)
        p.opening_m = np.zeros(n)
        g = okada_greens(samples.east_m, samples.north_m, p.table(), poisson=poisson)  # (ns, n, 3)
        cols.append(np.einsum("snk,sk->sn", g, samples.los_vector))
    gm = np.empty((samples.east_m.size, 2 * n))
    gm[:, 0::2] = cols[0]
    gm[:, 1::2] = cols[1]
    if ramp:
        nd = int(samples.dataset.max()) + 1
        x0 = samples.east_m.mean()
        y0 = samples.north_m.mean()
        r = np.zeros((samples.east_m.size, 3 * nd))
        for d in range(nd):
            sel = samples.dataset == d
            r[sel, 3 * d], r[sel, 3 * d + 1], r[sel, 3 * d + 2] = ramp_basis(samples.east_m[sel],
                                                                             samples.north_m[sel], x0, y0)
        gm = np.hstack([gm, r])
    if not np.all(np.isfinite(gm)):
        raise GeohazardError("a sample lies on a patch edge at the surface (singular Green's function); "
                             "move the trace or mask the samples on the rupture")
    return gm


@dataclass
class SlipResult:
    patches: Faults
    slip_m: np.ndarray  # (n, 2): strike-slip (left-lateral +), dip-slip (reverse +), m
    ramp: np.ndarray
    smoothing: float
    lcurve: np.ndarray  # (k, 3): lambda, misfit norm, roughness norm
    model_mm: np.ndarray  # at the samples
    rms_mm: float
    variance_reduction: float
    m0_nm: float
    mw: float


def _lcurve_corner(misfit, rough):
    x = np.log(np.maximum(misfit, 1e-300))
    y = np.log(np.maximum(rough, 1e-300))
    if len(x) < 3:
        return 0
    dx = np.gradient(x)
    dy = np.gradient(y)
    ddx = np.gradient(dx)
    ddy = np.gradient(dy)
    curv = (dx * ddy - dy * ddx) / np.maximum((dx * dx + dy * dy) ** 1.5, 1e-300)
    return int(np.argmax(np.abs(curv[1:-1])) + 1)


def invert_slip(samples: Samples, patches: Faults, index: np.ndarray, *, rake_range_deg=None,
                smoothing=None, smoothing_grid=None, weights=None, ramp=True, poisson=0.25,
                shear_modulus_pa=3.2e10, max_slip_m=50.0, progress=None) -> SlipResult:
    """Bounded, Laplacian-smoothed least-squares slip inversion.

    Solves ``min || W (G m - d) ||^2 + lambda^2 || L m ||^2`` for the strike-slip and dip-slip ``m`` of every
    patch (free rake, or within the rake bounds) with each patch's total slip at most ``max_slip_m``, and free
    ramp terms (scipy ``lsq_linear``, bounded-variable least squares; :func:`slip_basis`). ``L`` is the
    Laplacian between patches, applied to each slip component.

    Parameters
    ----------
    samples : Samples
        LOS samples (mm, positive toward the satellite).
    patches, index : from :func:`faults.discretize`.
    rake_range_deg : (float, float) or None
        ``None`` (the default): free rake, strike-slip and dip-slip of any sign. Else the rake bounds in degrees,
        less than 180 apart.
    smoothing : float, optional
        Fixed ``lambda``; when ``None`` the L-curve corner over ``smoothing_grid`` is used.
    weights : ndarray (n_samples,), optional
        Data weights (default: sqrt of pixel counts, normalised per dataset).
    max_slip_m : float
        Largest total slip of a patch (m).

    Returns
    -------
    SlipResult
        Patches with the estimated strike/dip slip, the L-curve, model at the samples,
        RMS (mm), variance reduction, M0 (N m) and Mw.
    """
    progress = ensure(progress)
    check_rake_range(rake_range_deg)
    if not max_slip_m > 0:
        raise GeohazardError(f"max_slip_m must be > 0 m, got {max_slip_m}")
    d = samples.los_mm / 1000.0
    gm = design_matrix(samples, patches, poisson=poisson, ramp=ramp)
    n = len(patches)
    if weights is None:
        weights = np.sqrt(samples.count.astype(float))
        for k in np.unique(samples.dataset):
            sel = samples.dataset == k
            weights[sel] /= weights[sel].mean()
    w = np.asarray(weights, float)
    lap = laplacian(index)
    lap2 = np.zeros((2 * n, gm.shape[1]))
    lap2[0::2, 0:2 * n:2] = lap
    lap2[1::2, 1:2 * n:2] = lap
    # scale so lambda is comparable across problems: Green's functions vs Laplacian norms
    scale = np.linalg.norm(gm[:, :2 * n] * w[:, None]) / max(np.linalg.norm(lap2), 1e-300)
    a_data = gm * w[:, None]
    b_data = d * w
    # ||A m - b||^2 = ||R m - Q^T b||^2 + const: solve the small triangular system instead of
    # the tall one for every smoothing weight (same minimiser, far fewer flops).
    q_data, r_data = np.linalg.qr(a_data)
    qtb = q_data.T @ b_data

    def solve(lam):
        def box(basis, lo, hi, keep):
            a = in_basis(np.vstack([r_data, lam * scale * lap2]), basis)
            return _box_lsq(a, np.concatenate([qtb, np.zeros(lap2.shape[0])]), lo, hi, keep)

        return _limited_slip(box, n, rake_range_deg, max_slip_m)[1]

    if smoothing is None:
        grid = np.asarray(smoothing_grid if smoothing_grid is not None else np.logspace(-3, 0.5, 12), float)
        curve = []
        for k, lam in enumerate(grid):
            check_canceled(progress)
            progress.set_progress(90.0 * k / len(grid))
            m = solve(lam)
            curve.append((lam, np.linalg.norm(a_data @ m - b_data), np.linalg.norm(lap2 @ m)))
        curve = np.asarray(curve)
        lam = float(curve[_lcurve_corner(curve[:, 1], curve[:, 2]), 0])
    else:
        lam = float(smoothing)
        curve = np.empty((0, 3))
    m = solve(lam)
    progress.set_progress(100.0)
    s = m[:2 * n].reshape(n, 2)
    out = Faults(**{k: (getattr(patches, k).copy() if k != "name" else patches.name)
                    for k in Faults.__dataclass_fields__})
    out.strike_slip_m = s[:, 0].copy()
    out.dip_slip_m = s[:, 1].copy()
    out.opening_m = np.zeros(n)
    model_mm = gm @ m * 1000.0
    res = samples.los_mm - model_mm
    rms = float(np.sqrt(np.mean(res ** 2)))
    vr = float(1.0 - np.sum(res ** 2) / max(np.sum((samples.los_mm - samples.los_mm.mean()) ** 2), 1e-300))
    m0, mw = moment(out, shear_modulus_pa=shear_modulus_pa)
    return SlipResult(out, s, m[2 * n:], lam, curve, model_mm, rms, vr, m0, mw)


# --------------------------------------------------------------------------- uniform slip
UNIFORM_PARAMETERS = ("east_m", "north_m", "strike_deg", "dip_deg", "top_m", "length_m", "width_m")


def uniform_fault(params, strike_slip_m: float = 0.0, dip_slip_m: float = 0.0) -> Faults:
    """One rectangle from ``(east, north of the top-edge centre, strike, dip, top, length, width)`` with the
    slip components ``strike_slip_m`` (left-lateral +) and ``dip_slip_m`` (reverse +)."""
    e, n, strike, dip, top, length, width = (float(v) for v in params)
    phi = np.radians(strike)
    return Faults.create(east_m=e - 0.5 * length * np.sin(phi), north_m=n - 0.5 * length * np.cos(phi),
                         strike_deg=strike % 360.0, dip_deg=dip, length_m=length, top_m=top,
                         bottom_m=top + width * np.sin(np.radians(dip)), strike_slip_m=strike_slip_m,
                         dip_slip_m=dip_slip_m)


@dataclass
class UniformResult:
    fault: Faults
    params: np.ndarray  # (7,) best geometry, UNIFORM_PARAMETERS
    slip_components: np.ndarray  # (2,) strike-slip, dip-slip (m)
    ramp: np.ndarray
    rms_mm: float
    variance_reduction: float
    m0_nm: float
    mw: float
    realisations: np.ndarray  # (n_mc, 7 + 5): geometry, strike-slip, dip-slip, slip, rake, Mw


def _fit_linear(samples, params, w, rake_range_deg, max_slip_m, ramp, poisson):
    """Best slip (free rake or within the rake bounds, total at most ``max_slip_m``) and ramps for a fixed
    geometry; returns (misfit, x) with ``x`` = strike-slip, dip-slip (m), then the ramps."""
    try:
        f = uniform_fault(params)
    except GeohazardError:
        return np.inf, None
    g = design_matrix(samples, f, poisson=poisson, ramp=ramp)
    a = g * w[:, None]
    b = samples.los_mm / 1000.0 * w
    x = _limited_slip(lambda basis, lo, hi, keep: _box_lsq(in_basis(a, basis), b, lo, hi, keep), 1,
                      rake_range_deg, max_slip_m)[1]
    return float(np.sum((a @ x - b) ** 2)), x


#: Time budget of :func:`invert_uniform_slip` (s): longer estimated runs are refused up front.
UNIFORM_BUDGET_S = 3600.0
#: Cost model of one misfit evaluation (s): a fixed part (bounded least squares) plus a part
#: per quadtree sample (the Okada design matrix), on the shared 2-core development machine:
#: the misfit alone took 3.4 ms for 200 samples, 7.7 ms for 1000, 26 ms for 4000 (load 6.8);
#: whole searches (differential evolution overhead, polish) took 7.5 ms per evaluation for
#: 142 samples (load 10.6: 14.5 s for 1940 evaluations). The constants follow the whole-search
#: figure, so the estimate errs on the slow side.
UNIFORM_EVAL_S = (5.5e-3, 1.5e-5)


def uniform_search_cost(n_samples: int, *, maxiter: int, n_monte_carlo: int, popsize: int = 12) -> tuple:
    """Misfit evaluations and estimated seconds of :func:`invert_uniform_slip`.

    Differential evolution evaluates ``popsize * 7`` trial faults per generation for
    ``maxiter + 1`` generations, and each Monte-Carlo realisation repeats it with
    ``max(10, maxiter // 2)`` generations; the final polish adds about 10 %.
    """
    per_gen = popsize * len(UNIFORM_PARAMETERS)
    evals = per_gen * (maxiter + 1) + n_monte_carlo * per_gen * (max(10, maxiter // 2) + 1)
    evals = int(evals * 1.1)
    return evals, evals * (UNIFORM_EVAL_S[0] + UNIFORM_EVAL_S[1] * n_samples)


def invert_uniform_slip(samples: Samples, bounds, *, rake_range_deg=None, max_slip_m=20.0, ramp=True,
                        poisson=0.25, shear_modulus_pa=3.2e10, n_monte_carlo=20, noise_mm=None, maxiter=60,
                        popsize=12, seed=0, progress=None, budget_s: Optional[float] = UNIFORM_BUDGET_S
                        ) -> UniformResult:
    """Single uniform-slip rectangle by global optimisation, with Monte-Carlo uncertainties.

    The seven geometry parameters (:data:`UNIFORM_PARAMETERS`) are searched within
    ``bounds`` by differential evolution (scipy); for each trial geometry the slip
    (strike-slip and dip-slip of any sign with free rake, ``rake_range_deg=None``, the
    default; or non-negative along the two bounding rakes; total slip at most ``max_slip_m``)
    and per-dataset ramps are the bounded linear least-squares solution
    (:func:`slip_basis`), so the global search only sees the nonlinear parameters.
    Uncertainties: the inversion is repeated on ``n_monte_carlo`` data sets
    perturbed with Gaussian noise of ``noise_mm`` (default: the best fit's RMS residual).

    Parameters
    ----------
    samples : Samples
        LOS samples (mm, positive toward the satellite).
    bounds : sequence of 7 (min, max)
        Bounds for east/north of the top-edge centre (m), strike, dip (deg), top depth,
        length, width (m).

    Returns
    -------
    UniformResult
        Best fault, RMS (mm), variance reduction, M0, Mw and the Monte-Carlo realisations.

    References
    ----------
    Storn, R., Price, K. (1997). Differential evolution. J. Global Optim. 11, 341-359.
    doi:10.1023/A:1008202821328
    """
    from scipy.optimize import differential_evolution

    progress = ensure(progress)
    b = np.asarray(bounds, float)
    if b.shape != (7, 2) or np.any(b[:, 1] < b[:, 0]):
        raise GeohazardError(f"bounds must be 7 (min, max) pairs for {UNIFORM_PARAMETERS}, got {b.tolist()}")
    if b[3, 0] <= 0 or b[3, 1] > 90:
        raise GeohazardError(f"dip bounds must lie in (0, 90], got {b[3].tolist()}")
    if b[4, 0] < 0 or b[5, 0] <= 0 or b[6, 0] <= 0:
        raise GeohazardError("top depth must be >= 0 and length, width > 0 in the bounds")
    check_rake_range(rake_range_deg)
    if not max_slip_m > 0:
        raise GeohazardError(f"max_slip_m must be > 0 m, got {max_slip_m}")
    reach = b[5, 1]  # a fault centre may lie up to one maximum length outside the data
    e0, e1 = samples.east_m.min() - reach, samples.east_m.max() + reach
    n0, n1 = samples.north_m.min() - reach, samples.north_m.max() + reach
    if b[0, 1] < e0 or b[0, 0] > e1 or b[1, 1] < n0 or b[1, 0] > n1:
        raise GeohazardError(
            f"the search box (east {b[0, 0]:.0f}..{b[0, 1]:.0f} m, north {b[1, 0]:.0f}..{b[1, 1]:.0f} m) is far "
            f"from the data (east {samples.east_m.min():.0f}..{samples.east_m.max():.0f} m, north "
            f"{samples.north_m.min():.0f}..{samples.north_m.max():.0f} m): the data cannot constrain a fault there")
    if not np.any(np.abs(samples.los_mm) > 0):
        raise GeohazardError("the LOS data are zero everywhere: there is no deformation to explain")
    n_evals, seconds = uniform_search_cost(samples.los_mm.size, maxiter=maxiter, n_monte_carlo=n_monte_carlo,
                                           popsize=popsize)
    if budget_s is not None and seconds > budget_s:
        raise GeohazardError(
            f"this search would take about {_duration(seconds)} ({n_evals:,} misfit evaluations on "
            f"{samples.los_mm.size} quadtree samples), more than the budget of {_duration(budget_s)}: lower the "
            f"Monte-Carlo realisations (N_MONTE_CARLO, now {n_monte_carlo}) or the optimiser generations "
            f"(MAX_ITERATIONS, now {maxiter}), or raise the quadtree threshold (QUADTREE_STD: fewer samples)")
    w = np.sqrt(samples.count.astype(float))
    w /= w.mean()
    per_gen = popsize * len(UNIFORM_PARAMETERS)
    done = [0]

    def run(smp, rng_seed, iters):
        def cost(p):
            return _fit_linear(smp, p, w, rake_range_deg, max_slip_m, ramp, poisson)[0]

        def generation(xk, convergence=None):
            check_canceled(progress)
            done[0] += per_gen
            progress.set_progress(min(99.0, 100.0 * done[0] * 1.1 / max(n_evals, 1)))
            return False

        check_canceled(progress)
        opt = differential_evolution(cost, b, maxiter=iters, popsize=popsize, seed=rng_seed, tol=1e-7, polish=True,
                                     callback=generation)
        check_canceled(progress)
        _, x = _fit_linear(smp, opt.x, w, rake_range_deg, max_slip_m, ramp, poisson)
        return opt.x, x

    best, x = run(samples, seed, maxiter)
    fault = uniform_fault(best, x[0], x[1])
    g = design_matrix(samples, uniform_fault(best), poisson=poisson, ramp=ramp)
    model = g @ x * 1000.0
    res = samples.los_mm - model
    rms = float(np.sqrt(np.mean(res ** 2)))
    vr = float(1.0 - np.sum(res ** 2) / max(np.sum((samples.los_mm - samples.los_mm.mean()) ** 2), 1e-300))
    m0, mw = moment(fault, shear_modulus_pa=shear_modulus_pa)
    if not (m0 > 0 and np.isfinite(mw)):
        raise GeohazardError("the best fault has zero slip: no uniform-slip fault in the search box explains the "
                             "data; check the search ranges and the LOS data")
    sigma = rms if noise_mm is None else float(noise_mm)
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_monte_carlo):
        pert = Samples(samples.east_m, samples.north_m, samples.los_mm + rng.normal(0.0, sigma, samples.los_mm.size)
                       / np.sqrt(samples.count), samples.std_mm, samples.count, samples.los_vector, samples.dataset)
        p, xk = run(pert, seed + k + 1, max(10, maxiter // 2))
        fk = uniform_fault(p, xk[0], xk[1])
        rows.append(np.concatenate([p, [fk.strike_slip_m[0], fk.dip_slip_m[0], fk.slip_m[0], fk.rake_deg[0],
                                        moment(fk, shear_modulus_pa=shear_modulus_pa)[1]]]))
    return UniformResult(fault, np.asarray(best), np.asarray(x[:2]), np.asarray(x[2:]), rms, vr, m0, mw,
                         np.asarray(rows).reshape(-1, 12))


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"


def search_dip(samples: Samples, faults: Faults, dips_deg, *, patch_length_m: float, patch_width_m: float,
               smoothing: float, progress=None, **kwargs):
    """Grid search of the dip: invert at each dip (fixed smoothing), keep the smallest RMS.

    Parameters
    ----------
    faults : Faults
        Planes from the trace(s); their top edge and depth range are kept, the dip varies.
    dips_deg : sequence of float
        Dips to try, each in (0, 90].
    smoothing : float
        Fixed Laplacian weight used for every dip (misfits are then comparable).
    kwargs
        Passed to :func:`invert_slip` (rake range, ramp, poisson ...).

    Returns
    -------
    best_dip : float
    table : ndarray (n_dips, 3)
        dip, RMS (mm), Mw for each dip tried.
    """
    progress = ensure(progress)
    rows = []
    dips = [float(d) for d in dips_deg]
    if not dips or any(not 0 < d <= 90 for d in dips):
        raise GeohazardError(f"dips_deg must be in (0, 90], got {dips}")
    for k, dip in enumerate(dips):
        check_canceled(progress)
        progress.set_progress(100.0 * k / len(dips))
        f = Faults(**{key: (getattr(faults, key).copy() if key != "name" else faults.name)
                      for key in Faults.__dataclass_fields__})
        f.dip_deg = np.full(len(f), dip)
        p, idx = discretize(f, patch_length_m=patch_length_m, patch_width_m=patch_width_m)
        r = invert_slip(samples, p, idx, smoothing=smoothing, **kwargs)
        rows.append((dip, r.rms_mm, r.mw))
    table = np.asarray(rows)
    return float(table[np.argmin(table[:, 1]), 0]), table


#: Largest problem solved: patches, and bytes of the dense Green's functions (2 slip components per patch).
MAX_PATCHES = 20_000
MAX_GREENS_BYTES = 4e9


def check_problem_size(faults: Faults, *, patch_length_m: float, patch_width_m: float, n_samples: int,
                       dips_deg=None) -> None:
    """Refuse, before any work, a discretisation too fine for the memory it needs (counted per fault as
    :func:`~.faults.discretize` cuts it: whole patches along strike and down dip; the gentlest dip of a search).

    Raises
    ------
    GeohazardError
        More than :data:`MAX_PATCHES` patches or :data:`MAX_GREENS_BYTES` of Green's functions.
    """
    dip = np.radians(np.full(len(faults.length_m), float(np.min(dips_deg))) if dips_deg is not None
                     else faults.dip_deg)
    width = (faults.bottom_m - faults.top_m) / np.maximum(np.sin(dip), 1e-6)
    n = int(np.sum(np.maximum(1, np.ceil(faults.length_m / patch_length_m - 1e-9))
                   * np.maximum(1, np.ceil(width / patch_width_m - 1e-9))))
    need = 2.0 * n * max(n_samples, 1) * 8.0
    if n > MAX_PATCHES or need > MAX_GREENS_BYTES:
        raise GeohazardError(
            f"PATCH_LENGTH {patch_length_m:g} m x PATCH_WIDTH {patch_width_m:g} m cut the fault into about {n:,} "
            f"patches; with {n_samples:,} samples their Green's functions need {need / 1e9:.1f} GB (at most "
            f"{MAX_PATCHES:,} patches and {MAX_GREENS_BYTES / 1e9:g} GB): use larger patches, a shorter "
            "fault or fewer samples (a larger QUADTREE_STD)")


def invert_fault_slip(samples: Samples, faults: Faults, *, patch_length_m: float, patch_width_m: float,
                      rake_range_deg=None, smoothing: float = 0.0, ramp: bool = True, poisson: float = 0.25,
                      shear_modulus_pa: float = 3.2e10, max_slip_m: float = 50.0, dips_deg=None, progress=None):
    """Distributed slip on the discretised ``faults``; with ``dips_deg``, the dip of smallest RMS first.

    ``smoothing`` 0 = the L-curve corner (with a dip search: the corner at the faults' own dip, then kept
    fixed for every dip so the misfits compare). Returns ``(result, patches, index, dip_table)``;
    ``dip_table`` is ``None`` without a dip search (else rows of dip, RMS mm, Mw)."""
    patches, index = discretize(faults, patch_length_m=patch_length_m, patch_width_m=patch_width_m)
    table = None
    if dips_deg is not None:
        if not smoothing:
            smoothing = invert_slip(samples, patches, index, rake_range_deg=rake_range_deg, ramp=ramp,
                                    poisson=poisson, max_slip_m=max_slip_m).smoothing
        best, table = search_dip(samples, faults, dips_deg, patch_length_m=patch_length_m,
                                 patch_width_m=patch_width_m, smoothing=smoothing, rake_range_deg=rake_range_deg,
                                 ramp=ramp, poisson=poisson, max_slip_m=max_slip_m,
                                 progress=SubProgress(progress, 0, 50))
        faults.dip_deg = np.full(len(faults), best)
        patches, index = discretize(faults, patch_length_m=patch_length_m, patch_width_m=patch_width_m)
    res = invert_slip(samples, patches, index, rake_range_deg=rake_range_deg, smoothing=smoothing or None,
                      ramp=ramp, poisson=poisson, shear_modulus_pa=shear_modulus_pa, max_slip_m=max_slip_m,
                      progress=progress)
    return res, patches, index, table


def model_on_grid(result: SlipResult, samples: Samples, patches: Faults, los_mm, east_m, north_m, los_vector, *,
                  poisson: float = 0.25, ramp: bool = True, **_options) -> np.ndarray:
    """Model LOS (mm) of ``result`` at every pixel of the first dataset (``los_mm`` gives the grid shape),
    its ramp included (evaluated with the samples' mean position, as in the inversion)."""
    n = los_mm.size
    full = Samples(east_m.ravel(), north_m.ravel(), los_mm.ravel(), np.zeros(n), np.ones(n, np.int64),
                   np.broadcast_to(los_vector, (n, 3)), np.zeros(n, np.int64))
    gm = design_matrix(full, patches, poisson=poisson, ramp=False)
    model = (gm @ result.slip_m.ravel() * 1000.0).reshape(los_mm.shape)
    if ramp:
        model += ramp_value(result.ramp[:3], east_m, north_m, samples.east_m.mean(), samples.north_m.mean()) * 1000.0
    return model
