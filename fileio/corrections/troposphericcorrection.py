"""The tropospheric corrections' passes over a stack: the phase-elevation fit (per interferogram or per date,
whole images in memory when they fit) and external zenith delays (GACOS) resampled onto the grid; each writes
one corrected GeoTIFF per interferogram and returns the rows of its CSV report."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from dataclasses import dataclass, field

import numpy as np

from ...algorithms import engine
from ...algorithms.corrections import troposphere
from ...algorithms.corrections.deforming import GROW_PX_PHASE_ELEVATION
from ...algorithms.corrections.ramps import MaskTooSmallError
from ...algorithms.errors import GeohazardError
from ...algorithms.formats import gacos
from ...algorithms.progress import SubProgress
from ..base.blocks import GdalOpener, raster_source
from ..base.raster import raster_info
from ..base.runs import Outcome
from . import corrections
from .rampremoval import quiet_pixels

MASK_NAME = corrections.MASK_NAME


def correct_phase_elevation(stack, dem_path: str, *, order: int, mask, coherence_threshold: float, window: int,
                            per_date: bool, min_pixels: int, correlation_threshold: float, filter_px: float,
                            trend_guard: float, out_dir: str, run, progress, deforming_areas: bool = True,
                            lateral: bool = False) -> list:
    """Phase-elevation correction of order 1 or 2 (:mod:`~algorithms.corrections.troposphere`), fitted in
    windows of ``window`` px after a high-pass of ``filter_px`` px (0 = off), per interferogram or
    network-consistent per date with the trend guard ``trend_guard`` (0 = off); per date with
    ``deforming_areas``, fitted outside the areas whose stacking rate departs from the scene's plane (a
    deformation that follows the relief, such as a subsiding valley floor, is not taken for a delay); ``lateral``
    (per date, one window): the slope varies linearly across the scene, as far as the data resolve it. Returns the
    report's rows."""
    if lateral and (not per_date or window > 0):
        raise GeohazardError("LATERAL_VARIATION: the lateral variation of the slope needs MODE per date and WINDOW 0")
    h0, hscale = troposphere.height_scaling(*corrections.dem_height_range(dem_path, stack.info))
    thr = coherence_threshold
    layout = troposphere.window_layout(stack.info.shape, window)
    dem_src = raster_source(dem_path, dtype=np.float64, name="DEM")
    n_win = layout[0] * layout[1]
    meta = {**corrections.unit_meta(stack),
            "CORRECTION": f"phase-elevation order {order}" + (" per date" if per_date else "")
            + (f", windows {layout[2]} px" if n_win > 1 else "")
            + (f", high-pass {filter_px:g} px" if filter_px > 0 else "")
            + (f", trend guard {trend_guard:g}" if per_date and trend_guard > 0 else "")
            + (", lateral variation" if lateral else "")}
    # whole interferograms in memory when they fit: per interferogram, each is read once, fitted and
    # corrected; per date, two passes over them. The DEM is then read once for all of them (its scaled
    # heights and terms: 17 bytes a pixel)
    plan = stack.group_plan(shared_bytes=40.0 if n_win == 1 else 96.0)
    progress.push_info(corrections.describe_plan(plan, one_read=not per_date))
    heights = {"dem": dem_src} if plan is None else \
        troposphere.height_inputs(dem_src.read(0, stack.info.height, stack.info.width), h0, hscale)
    src = {**stack.sources(coherence=thr > 0), **corrections.mask_sources(mask), **heights}
    guarded = None
    if plan is not None and not per_date:
        _, got = corrections.write_corrected(
            stack, functools.partial(troposphere.elevation_fit_apply_block, order=order, h0=h0, hscale=hscale,
                                     layout=layout, coherence_threshold=thr,
                                     correlation_threshold=correlation_threshold, min_pixels=min_pixels,
                                     names=stack.names, mask_name=MASK_NAME, filter_px=filter_px),
            sources=src, out_dir=out_dir, run=run, progress=progress, metadata=meta, plan=plan,
            collect=("coef", "correlation", "fallback", "n"))
        coef, corr, fallback, normals = got["coef"], got["correlation"], got["fallback"], {"n": got["n"]}
        fitted = coef
    else:  # per date (every interferogram's fit first), or images too big for the memory budget: two passes
        fit_src, start = src, 0
        if per_date and deforming_areas:
            quiet = quiet_pixels(stack, coherence_threshold=thr, run=run, progress=SubProgress(progress, 0, 15),
                                 fit="phase-elevation", grow_px=GROW_PX_PHASE_ELEVATION)
            fit_src, start = (src if quiet is None else {**src, "quiet": quiet}), 15

        def fit(sources, lo):
            normals = corrections.fit_pass(stack, functools.partial(
                troposphere.elevation_normal_block, order=order, h0=h0, hscale=hscale, layout=layout,
                coherence_threshold=thr, filter_px=filter_px, lateral=lateral), sources=sources, run=run,
                progress=SubProgress(progress, lo, 45),
                plan=plan or stack.plan(halo=troposphere.filter_radius(filter_px)), n_window_rows=layout[0])
            return normals, troposphere.solve_elevation(normals, names=stack.names, min_pixels=min_pixels,
                                                        correlation_threshold=correlation_threshold,
                                                        mask_name=MASK_NAME)

        try:
            normals, (coef, corr, fallback) = fit(fit_src, start)
        except MaskTooSmallError as e:
            if fit_src is src:
                raise
            # the areas leave too few pixels on a small scene: the fit on every usable pixel, as without them
            progress.push_warning(f"Deforming areas: too few quiet pixels are left for the fit ({e}); the slope is "
                                  "fitted on every usable pixel instead")
            normals, (coef, corr, fallback) = fit(src, start)
        fitted = coef
        if per_date:
            net = stack.network
            halves = troposphere.half_coefficients(normals, names=stack.names, order=order) if lateral else None
            coef, guarded = troposphere.guarded_elevation_per_date(
                coef, net.ref_index, net.sec_index, net.years, signs=stack.signs,
                z=trend_guard if trend_guard > 0 else np.inf, span_days=net.temporal_baseline_days, halves=halves,
                order=order)
        corrections.write_corrected(stack, functools.partial(troposphere.elevation_apply_block, coef=coef,
                                                             order=order, h0=h0, hscale=hscale, layout=layout,
                                                             delay=False, lateral=lateral),
                                    sources={**stack.sources(coherence=False), **heights}, out_dir=out_dir, run=run,
                                    progress=SubProgress(progress, 45, 100), metadata=meta, plan=plan)
    if n_win > 1:
        progress.push_info(f"{layout[0]} x {layout[1]} windows of {layout[2]} px; {int(fallback.sum())} of "
                           f"{fallback.size} interferogram-windows used the whole-image fit")
    unit = ("rad", "rad", "m", "mm")[stack.units]
    messages = troposphere.guard_messages(guarded, hscale=hscale, unit=unit) if guarded is not None else []
    for level, message in messages:
        (progress.push_warning if level == "warning" else progress.push_info)(message)
    rows = troposphere.elevation_report(stack.names, fitted, coef, corr, normals["n"], fallback, order=order,
                                        hscale=hscale, height_sd_m=corrections.dem_height_sd(dem_path),
                                        mm_per_unit=corrections.mm_per_unit(stack))
    for row in rows[:: fitted.shape[1]]:
        progress.push_info(f"{row['interferogram']}: slope {row['k1_per_km']:+.3g} {unit}/km (r = "
                           f"{row['correlation']:+.2f}), removed {row['removed_k1_per_km']:+.3g} {unit}/km, "
                           f"{row['removed_rms_mm']:.3g} mm RMS")
    return rows


def correct_with_delays(stack, folder: str, *, incidence_path: str, incidence_deg: float, out_dir: str, run,
                        progress) -> list:
    """External zenith delay maps of each date (GACOS ``YYYYMMDD.ztd`` + ``.rsc``, or GeoTIFFs in ``folder``),
    resampled onto the grid and projected to the line of sight with the incidence raster or angle."""
    if not os.path.isdir(folder):
        raise GeohazardError(f"DELAYS: {folder!r} is not a folder")
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder)
                   if f.lower().endswith((".ztd", ".tif", ".tiff")) and not f.startswith("."))
    if not files:
        raise GeohazardError(f"DELAYS: the folder {folder!r} holds no .ztd or GeoTIFF delay map")
    dates = list(stack.network.dates)
    by_date, extra = gacos.match_dates(files, dates, name="DELAYS")
    if extra:
        progress.push_info(f"DELAYS: {len(extra)} map(s) of dates not in the interferograms are ignored: "
                           + ", ".join(os.path.basename(f) for f in extra[:6]) + (" ..." if len(extra) > 6 else ""))
    src = stack.sources(coherence=False)
    if incidence_path:
        if not raster_info(incidence_path, "INCIDENCE_RASTER").same_grid(stack.info):
            raise GeohazardError("INCIDENCE_RASTER: the incidence raster is not on the interferograms' grid")
        src["incidence"] = raster_source(incidence_path, dtype=np.float64, name="INCIDENCE_RASTER")
    factor = troposphere.delay_to_data_factor(stack.units, stack.wavelength_m)
    _apply_delays(stack, by_date, src, factor=factor, incidence_deg=incidence_deg or None, out_dir=out_dir, run=run,
                  progress=progress, label="external zenith delays " + os.path.basename(os.path.normpath(folder)))
    return _delay_rows(stack, by_date)


def _delay_rows(stack, by_date: dict) -> list:
    dates = list(stack.network.dates)
    return [{"interferogram": nm, "first_date_map": os.path.basename(by_date[dates[a]]),
             "second_date_map": os.path.basename(by_date[dates[b]])}
            for nm, a, b in zip(stack.names, stack.first, stack.second)]


def _apply_delays(stack, by_date: dict, src: dict, *, factor: float, incidence_deg, out_dir: str, run, progress,
                  label: str, nodata_zero: bool = False) -> None:
    """Each date's map resampled onto the stack's grid (0 as no data with ``nodata_zero``), each interferogram
    corrected by ``factor`` x (map(second) - map(first)) / cos(incidence)."""
    from osgeo import gdal

    dates = list(stack.network.dates)
    tmp = tempfile.mkdtemp(prefix="geohazard_delays_")
    try:
        warped = []
        for k, d in enumerate(dates):
            path = by_date[d]
            if nodata_zero:  # a VRT declaring the producer's 0 as no data, in the temporary folder
                vrt = os.path.join(tmp, f"{d:%Y%m%d}.src.vrt")
                gdal.Translate(vrt, path, format="VRT", noData=0.0)
                path = vrt
            warped.append(corrections.warp_delay(path, stack.info, os.path.join(tmp, f"{d:%Y%m%d}.tif")))
            progress.set_progress(20.0 * (k + 1) / len(dates))
        src["zenith"] = engine.StackSource(warped, GdalOpener(), dtype=np.float64)
        corrections.write_corrected(stack, functools.partial(troposphere.delay_apply_block, first_index=stack.first,
                                                             second_index=stack.second, factor=factor,
                                                             incidence_deg=incidence_deg),
                                    sources=src, out_dir=out_dir, run=run, progress=SubProgress(progress, 20, 100),
                                    metadata={**corrections.unit_meta(stack), "CORRECTION": label})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def correct_with_licsar_delays(stack, gacos_maps: dict, *, out_dir: str, run, progress) -> list:
    """LiCSAR's GACOS maps (``epochs/<date>/<date>.sltd.geo.tif``: the slant total delay of each epoch in radians of
    phase, already along the line of sight, 0 = no data; COMET's licsar_extra reads them so and subtracts
    map(second) - map(first) from the unwrapped phase): no projection, radians turned into the data's unit."""
    dates = list(stack.network.dates)
    missing = [d for d in dates if d not in gacos_maps]
    if missing:
        raise GeohazardError(f"INTERFEROGRAMS: the LiCSAR frame has no GACOS map (epochs/<date>/<date>.sltd.geo.tif) "
                             f"for {len(missing)} of its {len(dates)} dates, e.g. {missing[0]:%Y%m%d}: give DELAYS "
                             "(GACOS .ztd maps of every date) or use the phase-elevation correction")
    by_date = {d: gacos_maps[d] for d in dates}
    # radians of phase -> metres of path: lambda / (4 pi); then into the data's unit as a path delay
    factor = troposphere.delay_to_data_factor(stack.units, stack.wavelength_m) * stack.wavelength_m / (4.0 * np.pi)
    progress.push_info(f"DELAYS: LiCSAR's GACOS slant delays of the frame's {len(dates)} epochs "
                       "(<date>.sltd.geo.tif, radians along the line of sight; no incidence needed)")
    _apply_delays(stack, by_date, stack.sources(coherence=False), factor=factor, incidence_deg=0.0, out_dir=out_dir,
                  run=run, progress=progress, label="LiCSAR GACOS slant delays (sltd.geo.tif)", nodata_zero=True)
    return _delay_rows(stack, by_date)


@dataclass(frozen=True)
class Job(corrections.MaskedJob):
    """A tropospheric correction as plain values: the fields of :class:`~.corrections.MaskedJob` and the method
    (``method``: 0 / 1 phase-elevation of order 1 / 2, 2 zenith delay maps). Phase-elevation: the DEM (``dem``) and
    the options of :func:`correct_phase_elevation`. Delay maps: the folder of maps (``delays``; "" = the product's
    LiCSAR slant delays ``gacos``, ``{date: path}``) and the incidence (a raster ``incidence_path`` or the angle
    ``incidence_deg``)."""

    method: int
    dem: str
    window: int
    correlation_threshold: float
    filter_px: float
    lateral: bool
    delays: str = ""
    gacos: dict = field(default_factory=dict)
    incidence_path: str = ""
    incidence_deg: object = None


def run(job: Job, *, progress) -> Outcome:
    """Removes the tropospheric delay of the job's method from every interferogram into the output folder."""
    common = dict(out_dir=job.output, run=job.settings, progress=progress)
    if job.method == 2 and not job.delays:
        rows = correct_with_licsar_delays(job.stack, job.gacos, **common)
    elif job.method == 2:
        rows = correct_with_delays(job.stack, job.delays, incidence_path=job.incidence_path,
                                   incidence_deg=job.incidence_deg, **common)
    else:
        rows = correct_phase_elevation(
            job.stack, job.dem, order=job.method + 1, mask=job.mask, coherence_threshold=job.coherence_threshold,
            window=job.window, per_date=job.per_date, min_pixels=job.min_pixels,
            correlation_threshold=job.correlation_threshold, filter_px=job.filter_px, trend_guard=job.trend_guard,
            deforming_areas=job.deforming_areas, lateral=job.lateral, **common)
    return corrections.corrected_outcome(job, rows)
