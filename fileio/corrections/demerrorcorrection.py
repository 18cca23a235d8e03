"""The DEM-error correction's run: the design matrix of the dates' baselines and the deformation model, the series
corrected block by block (with the halo of the velocity filter), the DEM error, the fit's residual and the final
velocity written (:mod:`...algorithms.corrections.dem_error`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ...algorithms.corrections import dem_error, velocity_filter
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.progress import info, warn
from ..base.runs import Outcome
from ..display import styles
from . import corrections

#: What each output holds: the key of the block function's result and whether it has a band per date.
OUTPUTS = {"OUTPUT": ("corrected_mm", "series"), "OUTPUT_DEM_ERROR": ("dem_error_m", "band"),
           "OUTPUT_RESIDUAL": ("residual_rms_mm", "band"), "OUTPUT_VELOCITY": ("velocity_mm_yr", "band"),
           "OUTPUT_VELOCITY_STD": ("velocity_std_mm_yr", "band"),
           "OUTPUT_VELOCITY_UNFILTERED": ("velocity_unfiltered_mm_yr", "band")}
#: Bytes per pixel and date of a block: the series, the corrected series, the model's terms and the writer's copy.
BYTES_PER_PIXEL_DATE = 8.0 * 5


@dataclass(frozen=True)
class Job(corrections.SeriesJob):
    """A DEM-error correction as plain values: the series fields of :class:`~.corrections.SeriesJob`, its dates and
    their perpendicular baselines (``dates``, ``bperp_m``, the first date at 0), the deformation model
    (``poly_order``, ``step_dates``), the scene's slant range and incidence (``geometry``: ``{gm key: value}``; a
    key left out is given per pixel by ``sources``, the engine sources of the rasters) and the velocity filter's
    window (``filter_window``, pixels; 0 or 1 = off)."""

    dates: list
    bperp_m: list
    poly_order: int
    step_dates: list
    geometry: dict
    sources: dict
    filter_window: int


def run(job: Job, *, progress, context=None) -> Outcome:
    """Estimates the DEM error of every pixel and removes it from the series (:func:`~...algorithms.corrections.
    dem_error.dem_error_engine_block`)."""
    g = dem_error.design_matrix(job.dates, job.bperp_m, poly_order=job.poly_order, step_dates=job.step_dates)
    dem_error.check_design(g)
    info(progress, "perpendicular baselines (m) of the dates: " + ", ".join(f"{b:+.1f}" for b in job.bperp_m))
    window, series = job.filter_window, job.series
    func = functools.partial(dem_error.dem_error_engine_block, g=g,
                             slant_range_m=job.geometry.get(gm.SLANT_RANGE_KEY, 1.0),
                             incidence_deg=job.geometry.get(gm.INCIDENCE_KEY, 90.0),
                             years=dem_error.years_since_first(job.dates), filter_window_px=window)
    meta = corrections.series_metadata(series.path, {"DEM_ERROR_CORRECTION": "Fattahi & Amelung 2013",
                                                     gm.DATE_BASELINES_KEY: gm.format_date_baselines(job.bperp_m)})
    spec = dict(OUTPUTS)
    if window <= 1:
        del spec["OUTPUT_VELOCITY_UNFILTERED"]
        if "OUTPUT_VELOCITY_UNFILTERED" in job.outputs:
            warn(progress, "OUTPUT_VELOCITY_UNFILTERED is not written: the velocity filter is off (FILTER_WINDOW 0), "
                           "the final velocity is unfiltered")
    ratios = velocity_filter.StdReduction() if window > 1 else None
    plan = job.settings.plan(series.height, series.width, bytes_per_pixel=len(job.dates) * BYTES_PER_PIXEL_DATE,
                             halo=velocity_filter.filter_radius(window))
    outcome = corrections.series_outcome(job, job.dates, func, spec, plan, progress=progress, meta=meta,
                                         context=context, sources=job.sources,
                                         on_block=ratios.add if ratios else None)
    if ratios is not None:
        info(progress, f"final velocity: noise-adaptive filter (Lee / local Wiener), {window} x {window} window, "
                       "driven by each pixel's standard error; " + ratios.describe())
    for key in ("OUTPUT_DEM_ERROR", "OUTPUT_VELOCITY"):
        if key in outcome.outputs:
            styles.style_raster_diverging(outcome.outputs[key], context=context)
    outcome.geometry["dates"] = dict(zip(job.dates, job.bperp_m))
    return outcome
