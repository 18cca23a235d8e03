"""Ramps no larger than their causes: extrapolation, physical size and the trend guard of the ramp removal.

A surface fitted on a mask is also removed where the mask is not. When the mask does not surround the scene
(a stable strip along one edge) the surface is an extrapolation: its error grows with the distance from the
mask, and a deformation gradient inside the mask (the flank of a subsidence bowl) becomes a ramp across the
whole scene. Three limits keep the removed surfaces to what orbits, the ionosphere and long-wavelength
atmosphere can do:

* **Extrapolation**: the leverage of the fit - the largest ``g' (A'A / n)^-1 g`` over the scene, ``g`` the
  surface's terms at a point and ``A'A / n`` the normal matrix of the fitted pixels - is compared with that of
  a fit on every pixel of the grid. A ratio above ``max_leverage`` (10: the surface's error at the far edge
  more than three times what a scene-wide fit gives) means the mask extrapolates. Then the surfaces are fitted on every
  coherent pixel instead (default), fitted on the mask and capped, or refused; the size of the extrapolated
  surfaces at the far edge is reported.
* **Physical size**: per date (or interferogram) the surface's range over the scene may not exceed
  ``max_gradient_per_km`` times the scene's diagonal (km); a larger one is scaled down to it (Sentinel-1
  orbits make millimetres over a 15 km crop; the C-band ionosphere up to a few mm/km in disturbed
  conditions, growing with the square of the wavelength: :func:`default_max_gradient_mm_km`).
* **Trend guard** (per date): the trend of each ramp term is split as in :mod:`algorithms.corrections.trend`,
  its standard error taken from the date-to-date scatter of the ramps fitted on every coherent pixel (the size
  that random orbital and ionospheric ramps have on this stack): a velocity ramp beyond what they explain is
  deformation and is kept. The ramp removal fits outside the deforming areas
  (:mod:`algorithms.corrections.deforming`), so what is left of a trend is random unless it is far beyond
  chance: its guard removes trends within ``RAMP_Z_DEFAULT`` (3) standard errors whole (99.7 % of random
  trends) and beyond that a share falling as ``(z' / |t|)^RAMP_GUARD_POWER`` (6: a trend of twice the
  threshold is kept for 98 %; a deformation covering most of the scene, which the areas cannot leave out,
  makes such trends).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from ..errors import GeohazardError
from ..ordered import spd_solve
from .ramps import (
    TERM_POWERS,
    MaskTooSmallError,
    _subtract_surfaces,
    per_date_coefficients,
    ramp_normal_block,
    scaled_coordinates,
    solve_normals,
    sum_rows,
)
from .trend import Z_DEFAULT, split_trend, trend_scatter_se

#: How an extrapolating mask is handled: fit on every coherent pixel, fit on the mask and cap, refuse.
EXTRAPOLATION_MODES = ("all", "cap", "refuse")
#: Leverage ratio above which a mask extrapolates (the far-edge error is more than three times a scene-wide
#: fit's; half the scene gives about 5, a strip along one edge 30 to 80).
MAX_LEVERAGE = 10.0
C_BAND_WAVELENGTH_M = 0.0555
#: Trend guard of the ramp removal (module notes): threshold (standard errors) and the power of the removed share.
RAMP_Z_DEFAULT = 3.0
RAMP_GUARD_POWER = 6.0


def default_max_gradient_mm_km(wavelength_m: float) -> float:
    """Largest plausible ramp gradient of one date (mm of LOS per km): 3 mm/km for long-wavelength atmosphere
    and a disturbed C-band ionosphere, the ionospheric part growing as the wavelength squared (about 50 mm/km
    at L-band)."""
    if not wavelength_m > 0:
        raise GeohazardError(f"wavelength_m must be > 0, got {wavelength_m!r}")
    return 3.0 * max(1.0, (float(wavelength_m) / C_BAND_WAVELENGTH_M) ** 2)


def _terms(x: np.ndarray, y: np.ndarray, kind: str) -> np.ndarray:
    return np.stack([x ** i * y ** j for i, j in TERM_POWERS[kind]], axis=-1)


def scene_points(shape: Sequence[int], n: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Scaled coordinates ``(x, y)`` of an ``n x n`` grid spanning the scene, edges and corners included."""
    x, y = np.meshgrid(np.linspace(-1.0, 1.0, n), np.linspace(-1.0, 1.0, n))
    return x.ravel(), y.ravel()


def full_grid_normal(shape: Sequence[int], kind: str) -> np.ndarray:
    """``A'A / n`` of a fit on every pixel of a grid of ``shape`` (from the 1-D power sums of the coordinates)."""
    h, w = int(shape[0]), int(shape[1])
    x = scaled_coordinates(np.zeros(1), np.arange(w), (h, w))[0]
    y = scaled_coordinates(np.arange(h), np.zeros(1), (h, w))[1]
    top = 4
    sx = np.array([np.mean(x ** a) for a in range(top + 1)])
    sy = np.array([np.mean(y ** a) for a in range(top + 1)])
    p = TERM_POWERS[kind]
    return np.array([[sx[a[0] + b[0]] * sy[a[1] + b[1]] for b in p] for a in p])


def worst_leverage(normal: np.ndarray, shape: Sequence[int], kind: str) -> float:
    """Largest ``g' N^-1 g`` over the scene's points for the normal matrix ``N`` (``A'A / n``)."""
    x, y = scene_points(shape)
    g = _terms(x, y, kind)
    k = normal.shape[0]
    # the inverse's rows solved in a fixed order (LAPACK's inverse follows BLAS's thread count from 6 terms on)
    inv = spd_solve(np.broadcast_to(np.asarray(normal, np.float64), (k, k, k)), np.eye(k))
    if not np.all(np.isfinite(inv)):
        return float("inf")
    return float(np.max(np.einsum("pk,kl,pl->p", g, inv, g)))


def leverage_ratio(ata: np.ndarray, n: float, shape: Sequence[int], kind: str) -> float:
    """Worst leverage over the scene of a fit with normal matrix ``ata`` on ``n`` pixels, relative to a fit on
    every pixel of the grid (1 for a mask that covers the scene evenly; large for a strip along an edge)."""
    if n <= 0:
        return float("inf")
    return worst_leverage(np.asarray(ata, np.float64) / float(n), shape, kind) \
        / worst_leverage(full_grid_normal(shape, kind), shape, kind)


def surface_range(coef: np.ndarray, shape: Sequence[int], kind: str) -> np.ndarray:
    """Range (max - min) over the scene of the surfaces ``coef`` ``(..., k)``, in the data's unit."""
    x, y = scene_points(shape)
    g = _terms(x, y, kind)
    v = np.asarray(coef, np.float64) @ g.T
    return v.max(axis=-1) - v.min(axis=-1)


def far_edge_size(coef: np.ndarray, centre: tuple[float, float], shape: Sequence[int], kind: str) -> np.ndarray:
    """Largest ``|s(p) - s(centre)|`` over the scene's points of the surfaces ``coef`` ``(..., k)``: how big the
    surface becomes away from the fitted pixels' centre (scaled coordinates)."""
    x, y = scene_points(shape)
    g = _terms(x, y, kind)
    c = _terms(np.array([centre[0]]), np.array([centre[1]]), kind)[0]
    v = np.asarray(coef, np.float64) @ (g - c[None]).T
    return np.abs(v).max(axis=-1)


@dataclass
class RampReport:
    """What :func:`guarded_ramps` did, for the log and the report."""

    leverage: float
    extrapolating: bool
    fitted_on: str  # "mask" or "all coherent pixels"
    far_edge: float  # largest far-edge size of the mask-fitted surfaces (data unit)
    inside_rms: float  # their RMS over the fitted pixels (data unit)
    capped: list = field(default_factory=list)  # (label, range before, allowed) of capped surfaces
    split: object = None  # TrendSplit of the terms (per date)
    per_date: Optional[np.ndarray] = None  # removed per-date coefficients (N, k)
    velocity_far_edge: float = 0.0  # kept trend surface at the far edge (data unit per year)
    messages: list = field(default_factory=list)
    leverages: Optional[np.ndarray] = None  # per interferogram
    swapped: Optional[np.ndarray] = None  # per interferogram: fitted on every coherent pixel instead of the mask


def _centre_and_rms(normals: dict, coef: np.ndarray) -> tuple[tuple[float, float], float]:
    """Centroid of the fitted pixels (scaled x, y) and the RMS about its mean of the surfaces on them."""
    ata = normals["ata"].sum(axis=0)
    cx, cy = ata[0, 1] / ata[0, 0], ata[0, 2] / ata[0, 0]
    per = normals["ata"] / np.maximum(normals["n"], 1)[:, None, None]
    ms = np.einsum("ik,ikl,il->i", coef, per, coef) - (np.einsum("ik,ik->i", coef, per[:, 0, :])) ** 2
    return (float(cx), float(cy)), float(np.sqrt(np.clip(ms, 0, None).mean()))


def guarded_ramps(normals: dict, *, kind: str, names: Sequence[str], shape: Sequence[int],
                  pixel_km: Optional[tuple[float, float]], min_pixels: int = 100, per_date: Optional[tuple] = None,
                  years: Optional[np.ndarray] = None, z: float = Z_DEFAULT,
                  max_gradient_per_km: Optional[float] = None, extrapolation: str = "all",
                  max_leverage: float = MAX_LEVERAGE, mask_name: str = "MASK",
                  unit: str = "", power: float = 2.0) -> tuple[np.ndarray, RampReport]:
    """Surfaces to remove from every interferogram ``(M, k)`` (files' orientation), within the module's limits.

    Parameters
    ----------
    normals : dict
        Summed :func:`ramps.ramp_normal_block` outputs with ``with_all=True`` (mask and every coherent pixel).
    shape : (rows, cols)
        The grid.
    pixel_km : (dy, dx) or None
        Pixel size, km (for the physical limit; None: unknown, the limit is not applied).
    per_date : (ref_index, sec_index, n_dates, signs), optional
        Network-consistent mode (one surface per date); with ``years`` ``(N,)`` the trend is guarded with ``z``.
        Whether the mask extrapolates is then decided once, from the median leverage of the interferograms;
        per interferogram, each decides from its own (so blocks of interferograms give the same result).
    max_gradient_per_km : float, optional
        Largest surface range over the scene per km of its diagonal, data unit (None: no cap).
    extrapolation : {"all", "cap", "refuse"}
        What to do when the mask extrapolates (leverage ratio above ``max_leverage``).
    z, power : float
        Trend guard (:func:`algorithms.corrections.trend.split_trend`): trends within ``z`` standard errors are
        removed whole, beyond that the share ``(z' / |t|)^power``.

    Raises
    ------
    MaskTooSmallError
        Too few pixels (:func:`ramps.solve_normals`), or ``extrapolation="refuse"`` and the mask extrapolates.
    """
    if extrapolation not in EXTRAPOLATION_MODES:
        raise GeohazardError(f"extrapolation must be one of {', '.join(EXTRAPOLATION_MODES)}, got {extrapolation!r}")
    mask_normals = {k: normals[k] for k in ("ata", "atb", "n", "btb")}
    has_mask = (np.asarray(normals["n_all"]) != np.asarray(normals["n"])) if "ata_all" in normals else \
        np.zeros(len(normals["n"]), bool)
    coef_mask = solve_normals(mask_normals, names=names, min_pixels=min_pixels, mask_name=mask_name)
    full = worst_leverage(full_grid_normal(shape, kind), shape, kind)
    lev = np.array([worst_leverage(a / max(float(n), 1.0), shape, kind) / full
                    for a, n in zip(mask_normals["ata"], mask_normals["n"])])
    extrap = has_mask & (lev > max_leverage)
    if per_date is not None:
        extrap = np.full(lev.shape, bool(has_mask.any() and np.median(lev) > max_leverage))
    centre, inside = _centre_and_rms(mask_normals, coef_mask)
    far = float(far_edge_size(coef_mask, centre, shape, kind).max())
    report = RampReport(float(np.median(lev)), bool(extrap.any()), "mask", far, inside)
    report.leverages = lev
    u = f" {unit}" if unit else ""
    if extrap.any():
        what = (f"{mask_name}: the fitted pixels do not surround the scene (leverage {np.median(lev):.0f} x a "
                f"scene-wide fit): the surfaces fitted there are extrapolated, up to {far:.3g}{u} at the far edge "
                f"against an RMS of {inside:.3g}{u} on the fitted pixels")
        if extrapolation == "refuse":
            raise MaskTooSmallError(what + "; give a stable area that surrounds the scene, or fit on every coherent "
                                           "pixel")
        report.messages.append(what)
    coef_all = coef_mask
    if has_mask.any():
        all_normals = {k: normals[f"{k}_all"] for k in ("ata", "atb", "n", "btb")}
        coef_all = solve_normals(all_normals, names=names, min_pixels=min_pixels, mask_name="COHERENCE_THRESHOLD")
    swap = extrap & (extrapolation == "all")
    coef = np.where(swap[:, None], coef_all, coef_mask)
    report.swapped = swap
    if swap.any():
        report.fitted_on = "all coherent pixels"
        report.messages.append(f"the surfaces of {int(swap.sum())} interferogram(s) are fitted on every coherent "
                               "pixel instead" + ("; their trend (what changes the velocity) is kept where it tracks "
                                                  "time (deformation)" if per_date is not None else ""))
    diag_km = None if pixel_km is None else float(np.hypot(shape[0] * pixel_km[0], shape[1] * pixel_km[1]))
    if per_date is None:
        return _cap(coef.copy(), shape, kind, max_gradient_per_km, diag_km, list(names), report), report
    ref, sec, n_dates, signs = per_date
    pd = per_date_coefficients(coef, ref, sec, n_dates, signs)[0]
    pd_all = per_date_coefficients(coef_all, ref, sec, n_dates, signs)[0]
    if years is not None:
        se = trend_scatter_se(pd_all[:, 1:], years)
        rem, split = split_trend(pd[:, 1:], years, z=z, se=se, power=power)
        pd = np.concatenate([pd[:, :1], rem], axis=1)
        report.split = split
        report.velocity_far_edge = float(far_edge_size(np.concatenate([[0.0], split.kept])[None], (0.0, 0.0),
                                                       shape, kind)[0])
    pd = _cap(pd, shape, kind, max_gradient_per_km, diag_km, [f"date {i}" for i in range(n_dates)], report,
              centred=True)
    report.per_date = pd
    s = np.ones(coef.shape[0]) if signs is None else np.asarray(signs, np.float64)
    a = np.zeros((coef.shape[0], n_dates))
    a[np.arange(coef.shape[0]), ref] = -1.0
    a[np.arange(coef.shape[0]), sec] = 1.0
    return s[:, None] * (a @ pd), report


def limited_fit_apply_block(block, inputs: dict, *, kind: str = "linear", coherence_threshold: float = 0.0,
                            min_pixels: int = 100, names: Sequence[str], mask_name: str = "MASK",
                            shape: Sequence[int], pixel_km: Optional[tuple[float, float]],
                            max_gradient_per_km: Optional[float] = None, extrapolation: str = "all") -> dict:
    """Block function of the one-read path (per interferogram): fit the surfaces of whole interferograms within
    the limits (:func:`guarded_ramps` without dates) and remove them. Returns ``corrected`` ``(M, rows, cols)``
    float32, the removed ``coef`` ``(M, k)``, the mask's normal equations, each interferogram's ``leverage`` and
    ``capped`` (bool) and ``swapped`` (fitted on every coherent pixel)."""
    data = np.asarray(inputs["stack"])
    f0 = block.files[0] if block.files is not None else 0
    normals = sum_rows(ramp_normal_block(block, inputs, kind=kind, coherence_threshold=coherence_threshold,
                                         with_all=True))
    coef, rep = guarded_ramps(normals, kind=kind, names=list(names)[f0:f0 + data.shape[0]], shape=shape,
                              pixel_km=pixel_km, min_pixels=min_pixels, max_gradient_per_km=max_gradient_per_km,
                              extrapolation=extrapolation, mask_name=mask_name)
    m = data.shape[0]
    capped = np.zeros(m, bool)
    local = list(names)[f0:f0 + m]
    for label, _, _ in rep.capped:
        capped[local.index(label)] = True
    return {"corrected": _subtract_surfaces(block, data, coef), "coef": coef, "leverage": rep.leverages,
            "capped": capped, "swapped": rep.swapped, **{k: normals[k] for k in ("ata", "atb", "n", "btb")}}


def _cap(coef: np.ndarray, shape, kind, max_gradient_per_km, diag_km, labels, report, *,
         centred: bool = False) -> np.ndarray:
    """Scale down the surfaces ``coef`` ``(n, k)`` whose range over the scene exceeds the physical limit.

    ``centred`` (per-date surfaces): a set of per-date surfaces is defined up to a surface common to every date (the
    first date's is set to 0, so its own ramp is in every later date's surface, and an interferogram only sees the
    difference of its two dates): each date's departure from the dates' median surface is what is capped."""
    if max_gradient_per_km is None or not max_gradient_per_km > 0 or diag_km is None:
        return coef
    allowed = float(max_gradient_per_km) * diag_km
    centre = np.median(coef[:, 1:], axis=0) if centred else np.zeros(coef.shape[1] - 1)
    dev = coef[:, 1:] - centre[None]
    rng = surface_range(np.concatenate([np.zeros((coef.shape[0], 1)), dev], axis=1), shape, kind)
    over = np.flatnonzero(rng > allowed)
    for i in over:
        coef[i, 1:] = centre + dev[i] * (allowed / rng[i])
        report.capped.append((labels[i], float(rng[i]), allowed))
    return coef


def one_read_report(got: dict, names: Sequence[str], *, mask_name: str) -> RampReport:
    """The :class:`RampReport` of the one-read path (:func:`limited_fit_apply_block` per interferogram, its
    ``leverage``, ``capped`` and ``swapped`` gathered in file order): no trend guard, the capped surfaces
    named without sizes."""
    swapped = np.asarray(got["swapped"], bool)
    rep = RampReport(float(np.median(got["leverage"])), bool(swapped.any()),
                     "all coherent pixels" if swapped.any() else "mask", float("nan"), float("nan"))
    rep.capped = [(names[i], float("nan"), float("nan")) for i in np.flatnonzero(got["capped"])]
    if swapped.any():
        rep.messages.append(f"{mask_name}: the fitted pixels of {int(swapped.sum())} interferogram(s) do not "
                            "surround the scene: their surfaces are fitted on every coherent pixel")
    return rep


def report_messages(rep: RampReport, *, kind: str, mm_per_unit: float, max_gradient_mm_km: float,
                    per_date: bool) -> list:
    """``(level, message)`` pairs (level "warning" or "info") saying what the limits did: the messages of the
    fit, where the surfaces were fitted and the leverage, the capped surfaces and, per date, the trend split."""
    out = [("warning", msg) for msg in rep.messages]
    out.append(("info", f"{kind} surfaces fitted on {'the mask' if rep.fitted_on == 'mask' else rep.fitted_on} "
                        f"(leverage {rep.leverage:.1f} x a scene-wide fit; above {MAX_LEVERAGE:g} the mask "
                        "extrapolates)"))
    if rep.capped:
        worst = max(rep.capped, key=lambda c: c[1] / c[2] if c[2] == c[2] else 0.0)
        size = f" (largest: {worst[1] * mm_per_unit:.1f} mm over the scene, {worst[2] * mm_per_unit:.1f} mm " \
               "allowed)" if worst[2] == worst[2] else ""
        out.append(("warning", f"{len(rep.capped)} surface(s) steeper than {max_gradient_mm_km:g} mm/km over the "
                               f"scene were scaled down to it{size}: " + ", ".join(str(c[0]) for c in rep.capped[:8])
                    + (" ..." if len(rep.capped) > 8 else "")))
    if per_date and rep.split is not None:
        sp = rep.split
        parts = ", ".join(f"{t}: t = {float(tt):+.1f}, {100 * float(sh):.0f} % removed"
                          for t, tt, sh in zip(["x", "y", "x2", "y2", "xy"], sp.t, sp.removed_share))
        out.append(("info", f"trend of the ramps over the dates ({parts}); the kept trend (deformation) reaches "
                            f"{rep.velocity_far_edge * mm_per_unit:.2f} mm/yr at the far edge"))
    return out
