"""Probability-integral parameters and the goaf's position from InSAR line-of-sight displacement (nonlinear least
squares).

The mine plan (panels with depth and thickness) is the prior; the fit refines the PIM's subsidence factor ``q``,
``tan(beta)``, the inflection offset ``s`` and the horizontal factor ``b`` (:mod:`.mining`), the plan's position
(a translation of every panel together, optionally a rotation about their centre) and, per LOS dataset, a
reference offset and a planar ramp (nuisance: an interferogram's reference and orbital residue). With ascending
and descending data together, one model explains both, each through its own LOS vector.

The propagation angle ``theta`` only shifts a horizontal seam's basin (``H cot(theta)``), which a translation of
the plan does too: the two cannot both be fitted. With ``position="fixed"`` the plan's position is held (a
surveyed plan) and ``theta`` is fitted instead (the shift along ``shift_azimuth_deg``); otherwise ``theta`` is held
at its given value (90 for a horizontal seam) and the translation locates the goaf.

Standard errors come from the Jacobian at the solution (central differences): ``cov = s^2 (J^T J)^-1`` with
``s^2`` the residual variance per degree of freedom. They assume independent noise of equal variance at the
samples: InSAR noise is spatially correlated, so they are lower bounds on a real map (sample sparsely).

Reference: Zhang W., Shi J., Yi H., Zhu Y., Xu B. (2021) Underground goaf parameters estimation by
cross-iteration with InSAR measurements. Remote Sensing 13(16) 3204, doi:10.3390/rs13163204.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError
from ..progress import check_canceled
from .miningsubsidence import (
    HORIZONTAL_FACTOR,
    PROPAGATION_ANGLE_DEG,
    SUBSIDENCE_FACTOR,
    TAN_BETA,
    Panel,
    PimParameters,
    check_panels,
    computation_rings,
    los_from_enu,
    moved_panel,
    oriented_rings,
    pim_displacement,
    signed_area,
)

#: How the plan's position is fitted: its options in this order (the tool's FIT_POSITION).
POSITIONS = ("translation", "translation_rotation", "fixed")


@dataclass(frozen=True)
class LosSamples:
    """LOS displacement samples of one dataset: map coordinates (m), LOS (mm, positive toward the satellite) and
    the ground-to-satellite unit vector ``(e, n, u)``."""

    x_m: np.ndarray
    y_m: np.ndarray
    los_mm: np.ndarray
    los_vector: tuple
    name: str = "INPUT"


@dataclass
class PimFit:
    """The fit: one row per parameter (``names``, ``values``, ``std_errors``: NaN where held), the fitted
    :class:`PimParameters`, the moved panels (mined boundaries: the goaf located), the RMS misfit per dataset."""

    names: list
    values: np.ndarray
    std_errors: np.ndarray
    params: PimParameters
    panels: list
    rms_mm: list
    n_samples: list
    cost_evaluations: int
    warnings: list = field(default_factory=list)

    def table(self) -> dict:
        """Columns ``parameter``, ``value``, ``std_error`` of the OUTPUT_PARAMETERS table."""
        return {"parameter": np.array(self.names, dtype=object), "value": np.asarray(self.values, float),
                "std_error": np.asarray(self.std_errors, float)}


def _plan_centre(panels: Sequence[Panel]) -> np.ndarray:
    pts = np.concatenate([oriented_rings(p, p.label(i))[0] for i, p in enumerate(panels)])
    return pts.mean(axis=0)


def max_offset_m(panels: Sequence[Panel]) -> float:
    """An upper bound for the inflection offset: the smallest panel's area / perimeter (half the width of a long
    rectangle), less a margin."""
    best = math.inf
    for i, p in enumerate(panels):
        ring = oriented_rings(p, p.label(i))[0]
        d = np.roll(ring, -1, axis=0) - ring
        best = min(best, abs(signed_area(ring)) / float(np.sum(np.hypot(d[:, 0], d[:, 1]))))
    return 0.9 * best


class _Layout:
    """Where each quantity sits in the parameter vector, its bounds and its finite-difference scale."""

    def __init__(self, initial: PimParameters, panels, datasets, position: str, ramp: bool):
        self.position, self.ramp = position, ramp
        smax = max_offset_m(panels)
        rows = [("subsidence_factor", initial.subsidence_factor, 1e-3, SUBSIDENCE_FACTOR.high, 0.05),
                ("tan_beta", initial.tan_beta, TAN_BETA.low, TAN_BETA.high, 0.05),
                ("offset_m", min(initial.offset_m, 0.5 * smax), 0.0, smax, 1.0),
                ("horizontal_factor", initial.horizontal_factor, HORIZONTAL_FACTOR.low, HORIZONTAL_FACTOR.high, 0.01)]
        if position == "fixed":
            rows.append(("propagation_angle_deg", initial.propagation_angle_deg, PROPAGATION_ANGLE_DEG.low + 1e-6,
                         PROPAGATION_ANGLE_DEG.high - 1e-6, 0.1))
        else:
            rows += [("shift_east_m", 0.0, -np.inf, np.inf, 1.0), ("shift_north_m", 0.0, -np.inf, np.inf, 1.0)]
            if position == "translation_rotation":
                rows.append(("rotation_deg", 0.0, -90.0, 90.0, 0.05))
        for k, d in enumerate(datasets, start=1):
            rows.append((f"reference_offset_mm_{k}", float(np.median(d.los_mm)), -np.inf, np.inf, 1.0))
            if ramp:
                rows += [(f"ramp_east_mm_per_km_{k}", 0.0, -np.inf, np.inf, 0.1),
                         (f"ramp_north_mm_per_km_{k}", 0.0, -np.inf, np.inf, 0.1)]
        self.names = [r[0] for r in rows]
        lo = np.array([r[2] for r in rows])
        hi = np.array([r[3] for r in rows])
        self.x0 = np.clip(np.array([r[1] for r in rows], float), lo, hi)
        self.bounds = (lo, hi)
        self.steps = np.array([r[4] for r in rows])
        self.index = {n: i for i, n in enumerate(self.names)}

    def get(self, x, name, default=0.0):
        i = self.index.get(name)
        return default if i is None else float(x[i])


def _model(x, lay: _Layout, panels, initial: PimParameters, centre, datasets, centres_ds) -> tuple:
    params = replace(initial, subsidence_factor=lay.get(x, "subsidence_factor"), tan_beta=lay.get(x, "tan_beta"),
                     offset_m=lay.get(x, "offset_m"), horizontal_factor=lay.get(x, "horizontal_factor"),
                     propagation_angle_deg=lay.get(x, "propagation_angle_deg", initial.propagation_angle_deg))
    moved = [moved_panel(p, dx_m=lay.get(x, "shift_east_m"), dy_m=lay.get(x, "shift_north_m"),
                         rotation_deg=lay.get(x, "rotation_deg"), centre=centre) for p in panels]
    out = []
    for k, (d, (xc, yc)) in enumerate(zip(datasets, centres_ds), start=1):
        e, n, u = pim_displacement(d.x_m, d.y_m, moved, subsidence_factor=params.subsidence_factor,
                                   tan_beta=params.tan_beta, offset_m=params.offset_m,
                                   horizontal_factor=params.horizontal_factor,
                                   propagation_angle_deg=params.propagation_angle_deg,
                                   shift_azimuth_deg=params.shift_azimuth_deg, check=False)
        los = los_from_enu(e, n, u, d.los_vector) + lay.get(x, f"reference_offset_mm_{k}")
        if lay.ramp:
            los = los + lay.get(x, f"ramp_east_mm_per_km_{k}") * (d.x_m - xc) / 1000.0 \
                + lay.get(x, f"ramp_north_mm_per_km_{k}") * (d.y_m - yc) / 1000.0
        out.append(los)
    return out, params, moved


def check_overlap(datasets: Sequence[LosSamples], panels: Sequence[Panel], params: PimParameters) -> None:
    """Refuse a panel whose basin (its computation boundary grown by the influence radius) misses every dataset's
    samples."""
    for i, p in enumerate(panels):
        rings = computation_rings(p, params, p.label(i))
        radius = p.depth_m / params.tan_beta
        lo = rings[0].min(axis=0) - radius
        hi = rings[0].max(axis=0) + radius
        hit = any(np.any((d.x_m >= lo[0]) & (d.x_m <= hi[0]) & (d.y_m >= lo[1]) & (d.y_m <= hi[1]))
                  for d in datasets)
        if not hit:
            ext = ", ".join(f"{d.name}: x {d.x_m.min():.0f}-{d.x_m.max():.0f}, y {d.y_m.min():.0f}-{d.y_m.max():.0f}"
                            for d in datasets)
            raise GeohazardError(f"PANELS and the LOS data do not overlap: {p.label(i)}'s basin (x {lo[0]:.0f}-"
                                 f"{hi[0]:.0f}, y {lo[1]:.0f}-{hi[1]:.0f} m) holds no valid sample ({ext}); "
                                 "give the mine plan in the data's area")


def _jacobian(fun, x, steps, bounds) -> np.ndarray:
    """Central differences (one-sided at a bound) with the given absolute steps."""
    f0 = fun(x)
    jac = np.empty((f0.size, x.size))
    for j in range(x.size):
        h = steps[j] * 1e-3
        lo, hi = bounds[0][j], bounds[1][j]
        xp, xm = x.copy(), x.copy()
        xp[j] = min(x[j] + h, hi)
        xm[j] = max(x[j] - h, lo)
        jac[:, j] = (fun(xp) - fun(xm)) / (xp[j] - xm[j])
    return jac


def fit_pim(datasets: Sequence[LosSamples], panels: Sequence[Panel], initial: PimParameters, *,
            position: str = "translation", ramp: bool = True, max_evaluations: int = 400,
            progress: Optional[object] = None) -> PimFit:
    """Fit the PIM to one or more LOS datasets (see the module docstring).

    Parameters
    ----------
    datasets : sequence of LosSamples
        One per geometry (ascending, descending); finite samples only.
    panels : sequence of Panel
        The mine plan: its position and the initial parameters are the starting point.
    initial : PimParameters
        Starting values (and the held ``propagation_angle_deg`` / ``shift_azimuth_deg``).
    position : {"translation", "translation_rotation", "fixed"}
        What moves the plan (``"fixed"``: the plan stays and ``theta`` is fitted).
    ramp : bool
        Fit a planar ramp per dataset besides its offset.
    max_evaluations : int
        Bound on the model evaluations of the optimiser.

    Returns
    -------
    PimFit
    """
    from scipy.optimize import least_squares  # scipy at first use: the tool's module loads with the plugin

    if position not in POSITIONS:
        raise GeohazardError(f"position must be one of {POSITIONS}, got {position!r}")
    initial.check()
    check_panels(panels)
    if not datasets:
        raise GeohazardError("INPUT: no LOS dataset was given")
    for d in datasets:
        if d.los_mm.size < 20:
            raise GeohazardError(f"{d.name}: {d.los_mm.size} valid samples; at least 20 are needed for the fit")
    check_overlap(datasets, panels, initial)
    lay = _Layout(initial, panels, datasets, position, ramp)
    centre = _plan_centre(panels)
    centres_ds = [(float(np.mean(d.x_m)), float(np.mean(d.y_m))) for d in datasets]
    data = np.concatenate([d.los_mm for d in datasets])
    n_calls = [0]

    def residuals(x):
        check_canceled(progress)
        n_calls[0] += 1
        if progress is not None and n_calls[0] % 5 == 0:
            progress.set_progress(min(95.0, 95.0 * n_calls[0] / max_evaluations))
        try:
            pred, _, _ = _model(x, lay, panels, initial, centre, datasets, centres_ds)
        except GeohazardError:  # a trial offset too large for a panel: a large residual steers the step back
            return np.full(data.size, 1e6)
        return np.concatenate(pred) - data

    res = least_squares(residuals, lay.x0, bounds=lay.bounds, x_scale=lay.steps, method="trf",
                        max_nfev=max_evaluations, xtol=1e-10, ftol=1e-10, gtol=1e-10)
    x = res.x
    pred, params, moved = _model(x, lay, panels, initial, centre, datasets, centres_ds)
    resid = np.concatenate(pred) - data
    dof = max(resid.size - x.size, 1)
    s2 = float(resid @ resid) / dof
    jac = _jacobian(residuals, x, lay.steps, lay.bounds)
    warnings = []
    try:
        cov = s2 * np.linalg.inv(jac.T @ jac)
        std = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    except np.linalg.LinAlgError:
        std = np.full(x.size, np.nan)
        warnings.append("the parameters are not all constrained by the data (singular Jacobian): no standard "
                        "errors; fit fewer parameters or add a second geometry")
    at_bound = [n for n, v, lo, hi in zip(lay.names, x, *lay.bounds) if np.isfinite(lo) and v <= lo + 1e-9 or
                np.isfinite(hi) and v >= hi - 1e-9]
    if at_bound:
        warnings.append(f"at the edge of their range: {', '.join(at_bound)} (their standard errors are not "
                        "meaningful)")
    if not res.success:
        warnings.append(f"the optimiser stopped before converging ({res.message})")
    names, values, errors = list(lay.names), list(x), list(std)
    if position != "fixed":
        names.append("propagation_angle_deg")
        values.append(initial.propagation_angle_deg)
        errors.append(np.nan)
    rms, start = [], 0
    for d in datasets:
        r = resid[start:start + d.los_mm.size]
        start += d.los_mm.size
        rms.append(float(np.sqrt(np.mean(r * r))))
    names += [f"rms_mm_{k}" for k in range(1, len(datasets) + 1)]
    values += rms
    errors += [np.nan] * len(rms)
    if progress is not None:
        progress.set_progress(100.0)
    return PimFit(names, np.array(values), np.array(errors), params, moved, rms,
                  [int(d.los_mm.size) for d in datasets], int(res.nfev), warnings)
