"""The ramp removal's passes over a stack: surfaces fitted on a mask within the limits of
:mod:`~algorithms.corrections.ramp_limits` (extrapolation, physical size, trend guard per date), subtracted from
every interferogram; one corrected GeoTIFF per interferogram and the rows of the CSV report."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...algorithms.corrections import deforming, ramp_limits, ramps, reference
from ...algorithms.errors import GeohazardError
from ...algorithms.progress import SubProgress
from ..base.runs import Outcome
from ..geometry.geometry import metric_pixel_size
from . import corrections


def pixel_km(stack, progress):
    """(dy, dx) of the stack's pixels in km, or None in radar geometry (the gradient limit is then not applied)."""
    try:
        dx, dy = metric_pixel_size(stack.info, "INTERFEROGRAMS")
    except GeohazardError:
        progress.push_info("INTERFEROGRAMS have no map coordinates: the pixel size is unknown, so the largest "
                           "gradient (mm/km) is not applied")
        return None
    return dy / 1000.0, float(np.mean(dx)) / 1000.0


def _one_read(thr, limits, passes):
    """Per interferogram, whole interferograms in memory: each read once, fitted within the limits, corrected."""
    stack = passes["stack"]
    _, got = corrections.write_corrected(
        func=functools.partial(ramp_limits.limited_fit_apply_block, coherence_threshold=thr, **limits),
        collect=("coef", "leverage", "capped", "swapped", "ata", "atb", "n", "btb"), **passes)
    rep = ramp_limits.one_read_report(got, stack.names, mask_name=corrections.MASK_NAME)
    return got["coef"], rep, {k: got[k] for k in ("ata", "atb", "n", "btb")}


def quiet_pixels(stack, *, coherence_threshold: float, run, progress, fit: str = "ramp",
                 grow_px: int = deforming.GROW_PX_DEFAULT):
    """The pixels outside the deforming areas (:func:`~..algorithms.corrections.deforming.deforming_areas` of
    the stacking rate, usable = some data and a mean coherence at least the threshold), or None
    when the areas are not used (too few pixels left quiet); the log says what was found."""
    maps = corrections.stacking_sums(stack, run, progress)
    usable = maps["count"] > 0
    if "coh" in maps and coherence_threshold > 0:
        usable &= maps["coh"] >= coherence_threshold
    areas = deforming.deforming_areas(reference.stacking_rate(maps["sdt"], maps["dt2"]), usable, grow_px=grow_px)
    unit = ("rad", "rad", "m", "mm")[stack.units]
    if not areas.applied:
        progress.push_info(f"Deforming areas: not used ({100 * areas.share:.0f} % of the usable pixels would be left "
                           "quiet: the deformation covers the scene); every usable pixel is used")
        return None
    progress.push_info(f"Deforming areas: {100 * (1 - areas.share):.1f} % of the usable pixels move away from the "
                       f"scene's plane by more than {deforming.K_DEFAULT:g} x {areas.sigma:.3g} {unit}/yr (stacking "
                       f"rate), grown by {grow_px} px, and are left out of the {fit} fit")
    return areas.quiet.astype(np.uint8)


def _two_passes(thr, limits, passes, *, per_date, z, areas: bool):
    """Every fit first (mask and every coherent pixel, outside the deforming areas), the limits and the trend
    guard, then the correction."""
    stack = passes["stack"]
    sources, power = passes["sources"], 2.0
    if areas:
        power = ramp_limits.RAMP_GUARD_POWER
        quiet = quiet_pixels(stack, coherence_threshold=thr, run=passes["run"],
                             progress=SubProgress(passes["progress"], 0, 20))
        if quiet is not None:
            sources = {**sources, "quiet": quiet}
    normals = corrections.fit_pass(stack, functools.partial(ramps.ramp_normal_block, kind=limits["kind"],
                                                            coherence_threshold=thr, with_all=True),
                                   sources=sources, run=passes["run"],
                                   progress=SubProgress(passes["progress"], 20 if areas else 0, 50),
                                   plan=passes["plan"])
    net = stack.network
    coef, rep = ramp_limits.guarded_ramps(
        normals, per_date=(net.ref_index, net.sec_index, net.n_dates, stack.signs) if per_date else None,
        years=net.years if per_date else None, z=z, power=power, unit=("rad", "rad", "m", "mm")[stack.units],
        **limits)
    corrections.write_corrected(func=functools.partial(ramps.ramp_apply_block, kind=limits["kind"], coef=coef),
                                **{**passes, "sources": stack.sources(coherence=False),
                                   "progress": SubProgress(passes["progress"], 50, 100)})
    return coef, rep, {k: normals[k] for k in ("ata", "atb", "n", "btb")}


def remove_ramps(stack, *, kind: str, mask, coherence_threshold: float, per_date: bool, min_pixels: int,
                 trend_guard: float, max_gradient_mm_km: float, extrapolation: int, out_dir: str, run,
                 progress, deforming_areas: bool = True) -> list:
    """Fit and remove a ``kind`` surface from every interferogram of ``stack`` (per interferogram, or per date:
    inverted on the network with the trend guard ``trend_guard``, 0 = off; ``deforming_areas``: fitted outside the
    areas whose stacking rate departs from the scene's plane, and the guard's share then falls as
    ``(z' / t)^RAMP_GUARD_POWER``); ``max_gradient_mm_km`` 0 = from the wavelength per interferogram and with the
    "cap" extrapolation, no limit per date (the trend guard and the deforming areas protect the velocity there; a
    date's steep surface is its own long-wavelength delay or ionosphere); ``extrapolation``: index in
    :data:`~algorithms.corrections.ramp_limits.EXTRAPOLATION_MODES`.
    Returns the rows of the report (coefficients removed, pixels, RMS on the mask before and after the fit)."""
    thr = coherence_threshold
    src = {**stack.sources(coherence=thr > 0), **corrections.mask_sources(mask)}
    to_mm = corrections.mm_per_unit(stack)
    max_grad = max_gradient_mm_km or ramp_limits.default_max_gradient_mm_km(stack.wavelength_m)
    mode = ramp_limits.EXTRAPOLATION_MODES[extrapolation]
    capped = max_gradient_mm_km > 0 or not per_date or mode == "cap"
    if not capped:
        progress.push_info("Per date: no limit on each date's surface (MAX_GRADIENT_MM_KM 0); the trend guard and the "
                           "deforming areas keep the deformation in the velocity")
    limits = dict(kind=kind, names=stack.names, shape=stack.info.shape, pixel_km=pixel_km(stack, progress),
                  min_pixels=min_pixels, max_gradient_per_km=max_grad / to_mm if capped else None,
                  mask_name=corrections.MASK_NAME, extrapolation=mode)
    meta = {**corrections.unit_meta(stack), "CORRECTION": f"{kind} ramp removed" + (" (per date)" if per_date else "")}
    # whole interferograms in memory when they fit: per interferogram, each is read once, fitted within the
    # limits and corrected; per date, two passes over them (every fit before any correction)
    plan = stack.group_plan(shared_bytes=8.0)
    progress.push_info(corrections.describe_plan(plan, one_read=not per_date))
    passes = dict(stack=stack, sources=src, out_dir=out_dir, run=run, progress=progress, metadata=meta, plan=plan)
    if plan is not None and not per_date:
        coef, rep, normals = _one_read(thr, limits, passes)
    else:
        coef, rep, normals = _two_passes(thr, limits, passes, per_date=per_date,
                                         z=trend_guard if trend_guard > 0 else np.inf,
                                         areas=per_date and deforming_areas)
    for level, message in ramp_limits.report_messages(rep, kind=kind, mm_per_unit=to_mm, max_gradient_mm_km=max_grad,
                                                      per_date=per_date):
        (progress.push_warning if level == "warning" else progress.push_info)(message)
    fitted = ramps.solve_normals(normals, names=stack.names, min_pixels=min_pixels, mask_name=corrections.MASK_NAME)
    before, after = ramps.fit_residual_rms(normals, fitted)
    progress.push_info(f"{kind} ramps removed from {stack.m} interferograms; RMS on the mask "
                       f"{np.median(before):.3g} -> {np.median(after):.3g} (median, input unit)")
    terms = ["c0", "cx", "cy", "cxx", "cyy", "cxy"][:coef.shape[1]]
    return [{"interferogram": nm, "pixels": int(n), **{t: float(c) for t, c in zip(terms, cf)},
             "rms_before": float(b), "rms_after_fit": float(a)}
            for nm, n, cf, b, a in zip(stack.names, normals["n"], coef, before, after)]


@dataclass(frozen=True)
class Job(corrections.MaskedJob):
    """A ramp removal as plain values: the fields of :class:`~.corrections.MaskedJob`, the surface (``kind``: a key
    of :data:`~algorithms.corrections.ramps.RAMP_KINDS`) and the limits of :func:`remove_ramps`."""

    kind: str
    max_gradient_mm_km: float
    extrapolation: int


def run(job: Job, *, progress) -> Outcome:
    """Removes the ramps of every interferogram of the job's stack (:func:`remove_ramps`) into its output folder."""
    rows = remove_ramps(job.stack, kind=job.kind, mask=job.mask, coherence_threshold=job.coherence_threshold,
                        per_date=job.per_date, min_pixels=job.min_pixels, trend_guard=job.trend_guard,
                        max_gradient_mm_km=job.max_gradient_mm_km, extrapolation=job.extrapolation,
                        deforming_areas=job.deforming_areas, out_dir=job.output, run=job.settings, progress=progress)
    return corrections.corrected_outcome(job, rows)
