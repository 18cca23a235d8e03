"""demerrorcorrection."""

from __future__ import annotations

import functools

from ....algorithms.corrections import dem_error, velocity_filter
from ....algorithms.formats import geometry_meta as gm
from ....io import metadata, points, styles
from ...inputs import acquisition, declare, knobs, layers, stacks
from ...inputs.feedback import FeedbackProgress
from ...lazy import lazy_module
from .._base import GeohazardAlgorithm, tool
from ._common import step_dates

corrections = lazy_module("....io.corrections", __package__)


@tool("demerrorcorrection", "DEM-error correction of a time series", group="corrections",
      tags="DEM error,topographic residual,perpendicular baseline,correction,time series,MintPy", page="corrections",
      engine=True)
class DemErrorCorrection(GeohazardAlgorithm):
    CARRIES_GEOMETRY = True
    OVERLAP = (("INPUT", "INCIDENCE_RASTER"), ("INPUT", "SLANT_RANGE_RASTER"))
    MULTIBAND_INPUTS = ("INPUT",)  # one band per date
    HELP = (
        "Estimates the DEM error (topographic residual) of every pixel and removes its effect from a displacement "
        "time series (Fattahi & Amelung 2013, doi:10.1109/TGRS.2012.2227761; as MintPy dem_error.py): per pixel, "
        "least squares of the series on B_perp / (R sin(incidence)) together with a temporal deformation model "
        "(polynomial in time, optional steps), then d_cor = d - B_perp / (R sin(incidence)) * dz.\n\n"
        "<b>Time series</b>: a multi-band raster with one band per date and the date (YYYY-MM-DD) as band "
        "description, in mm, LOS positive toward the satellite, as written by the SBAS tool.\n"
        "<b>Baselines</b>: perpendicular baseline of each date from a CSV 'date,bperp_m', a MintPy "
        "timeseries.h5 or ifgramStack.h5, GAMMA *_bperp.par / *_base.par files or folder, or an ISCE baselines "
        "folder (pair baselines are turned into date baselines by least squares, the first date at 0). Empty: the "
        "baselines the time series carries (PERPENDICULAR_BASELINES_M, written by the SBAS tool when its "
        "interferograms carry PERPENDICULAR_BASELINE_M or it was given BASELINES); without either the tool stops "
        "and says so (a wrong baseline gives a wrong DEM error).\n"
        "<b>Slant range</b> (m) and <b>incidence</b> (degrees): rasters on the grid, or constants. A constant left "
        "at its default (850 km, 39 deg: the middle of a Sentinel-1 IW swath) gives way to the value the time "
        "series carries (SLANT_RANGE_M, INCIDENCE_DEG); a value you type is used, with a warning naming both when "
        "the metadata says otherwise; the log says which value was used and where it came from. They only scale "
        "the DEM error (by R sin(incidence): 850 vs 880 km is 3.5 %); the corrected time series does not depend on "
        "them.\n"
        "<b>Polynomial order</b> (default 2, as MintPy) and <b>step dates</b> (YYYY-MM-DD, comma separated: "
        "earthquakes, works) of the deformation model.\n\n"
        "<b>Outputs</b>: corrected time series (same layout and reference as the input), DEM error (m, MintPy's "
        "sign: the series holds + B_perp / (R sin inc) * dz), RMS of the fit residual (mm), and the <b>final "
        "velocity</b> of the corrected series with its standard error (mm/yr, least-squares line as the SBAS tool "
        "and MintPy's timeseries2velocity, LOS positive toward the satellite). Dates without data at a "
        "pixel are left out of its fit; pixels with fewer than (number of model terms + 3) dates are NaN.\n\n"
        "<b>Velocity filter window</b> (pixels, odd; default 0 = off; the Corrected SBAS model uses 3): a "
        "noise-adaptive (Lee 1980 / local Wiener) filter of the final velocity driven by each pixel's own standard "
        "error: v_f = mu + g (v - mu), g = clip(1 - std^2 / local variance, 0, 1), mu and the local variance over "
        "the window. Where the pixel's own noise explains the differences with its neighbours (flat ground, the "
        "inside of a smooth bowl) it takes the window mean; where the velocities differ by more than the noise (a "
        "bowl's flank, a landslide's border, a single fast pixel) it keeps its value. The decorrelation noise of "
        "the pixels is nearly independent from pixel to pixel, so this removes much of it (synthetic stacks with "
        "known truth, sparse network: 5.0 -> 3.9 mm/yr RMS; docs/corrections.md). The standard error written is "
        "the "
        "filter's, propagated through its weights: the part of each pixel's variance its neighbours do not share "
        "(at most the local variance) is averaged down, the shared part is not. The "
        "unfiltered final velocity is the optional <b>unfiltered velocity</b> output; pixels without a velocity "
        "stay without one; the log gives the window and the median reduction of the standard error."
    )

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster("INPUT", "Time series (mm, one band per date)"))
        self.addParameter(declare.files("BASELINES",
            "Perpendicular baselines (CSV date,bperp_m; MintPy .h5; GAMMA .par; ISCE folder; empty = metadata)",
            optional=True))
        self.addParameter(declare.raster("SLANT_RANGE_RASTER", "Slant range raster (m)", optional=True))
        self.addParameter(declare.number("SLANT_RANGE", "Slant range (m, when no raster)", 850000.0, 1.0))
        self.addParameter(declare.raster("INCIDENCE_RASTER", "Incidence angle raster (degrees)", optional=True))
        self.addParameter(declare.number("INCIDENCE", "Incidence angle (degrees, when no raster)", 39.0, 0.1, 89.9))
        self.addParameter(declare.integer("POLY_ORDER", "Polynomial order of the deformation model", 2, 0, 5))
        self.addParameter(declare.text("STEP_DATES",
                                       "Step dates of the deformation model (YYYY-MM-DD, comma separated)",
                                       optional=True))
        self.addParameter(declare.integer("FILTER_WINDOW",
                                          "Velocity filter window (pixels, odd; 0 = off: noise-adaptive filter)", 0,
                                          0, 15))
        self.addParameter(declare.raster_out("OUTPUT", "Corrected time series (mm)"))
        self.addParameter(declare.raster_out("OUTPUT_DEM_ERROR", "DEM error (m)"))
        self.addParameter(declare.raster_out("OUTPUT_RESIDUAL", "RMS of the fit residual (mm)", optional=True,
                                             create=False))
        self.addParameter(declare.raster_out("OUTPUT_VELOCITY", "Final velocity of the corrected series (mm/yr)",
                                             optional=True))
        self.addParameter(declare.raster_out("OUTPUT_VELOCITY_STD", "Final velocity standard error (mm/yr)",
                                             optional=True, create=False))
        self.addParameter(declare.raster_out("OUTPUT_VELOCITY_UNFILTERED",
                                             "Final velocity before the spatial filter (mm/yr)", optional=True,
                                             create=False))

    def check(self, parameters, context):
        step_dates(self, parameters, context)
        self._window(parameters, context)

    def _window(self, parameters, context) -> int:
        return velocity_filter.check_window(self.parameterAsInt(parameters, "FILTER_WINDOW", context),
                                            name="FILTER_WINDOW")

    def process(self, parameters, context, feedback):
        info = self.raster_info(parameters, "INPUT", context)
        dates = points.raster_dates(info, "INPUT")
        files = stacks.expand_file_inputs(parameters.get("BASELINES"))
        bperp = metadata.date_baselines_choice(dem_error.read_date_baselines(files, dates) if files else None,
                                               series_path=info.path, dates=dates, log=FeedbackProgress(feedback)).value
        g = dem_error.design_matrix(dates, bperp, poly_order=self.parameterAsInt(parameters, "POLY_ORDER", context),
                          step_dates=step_dates(self, parameters, context))
        dem_error.check_design(g)
        feedback.pushInfo("perpendicular baselines (m) of the dates: " + ", ".join(f"{b:+.1f}" for b in bperp))
        geometry = {}
        for key, pid, default in ((gm.SLANT_RANGE_KEY, "SLANT_RANGE", 850000.0), (gm.INCIDENCE_KEY, "INCIDENCE", 39.0)):
            if parameters.get(pid + "_RASTER"):
                feedback.pushInfo(f"{gm.QUANTITIES[key].name}: per pixel from {pid}_RASTER")
                continue
            geometry[key] = acquisition.resolve_geometry(
                self, parameters, pid, context, feedback, key, rasters=[info.path], default=default,
                default_label="the middle of a Sentinel-1 IW swath").value
        window = self._window(parameters, context)
        func = functools.partial(dem_error.dem_error_engine_block, g=g,
                                 slant_range_m=geometry.get(gm.SLANT_RANGE_KEY, 1.0),
                                 incidence_deg=geometry.get(gm.INCIDENCE_KEY, 90.0),
                                 years=dem_error.years_since_first(dates), filter_window_px=window)
        meta = corrections.series_metadata(info.path, {"DEM_ERROR_CORRECTION": "Fattahi & Amelung 2013",
                                                       gm.DATE_BASELINES_KEY: gm.format_date_baselines(bperp)})
        self.carry_geometry(dates=dict(zip(dates, bperp)))
        run = knobs.run_settings(self, parameters, context)
        spec = {"OUTPUT": ("corrected_mm", "series"), "OUTPUT_DEM_ERROR": ("dem_error_m", "band"),
                "OUTPUT_RESIDUAL": ("residual_rms_mm", "band"), "OUTPUT_VELOCITY": ("velocity_mm_yr", "band"),
                "OUTPUT_VELOCITY_STD": ("velocity_std_mm_yr", "band")}
        if window > 1:
            spec["OUTPUT_VELOCITY_UNFILTERED"] = ("velocity_unfiltered_mm_yr", "band")
        elif parameters.get("OUTPUT_VELOCITY_UNFILTERED"):
            feedback.pushWarning("OUTPUT_VELOCITY_UNFILTERED is not written: the velocity filter is off "
                                 "(FILTER_WINDOW 0), the final velocity is unfiltered")
        paths = layers.output_paths(self, parameters, spec, context, optional=list(spec)[2:])
        ratios = velocity_filter.StdReduction() if window > 1 else None
        corrections.run_series_blocks(info, dates, run.plan(info.height, info.width,
                                                            bytes_per_pixel=len(dates) * 8.0 * 5,
                                                            halo=velocity_filter.filter_radius(window)), func,
                          {p: spec[k] for k, p in paths.items()}, run=run, progress=FeedbackProgress(feedback),
                                      sources=layers.geometry_sources(self, parameters, context, info), meta=meta,
                                      on_block=ratios.add if ratios else None)
        if ratios is not None:
            feedback.pushInfo(f"final velocity: noise-adaptive filter (Lee / local Wiener), {window} x {window} "
                              f"window, driven by each pixel's standard error; " + ratios.describe())
        styles.style_raster_diverging(paths["OUTPUT"], context=context, band=len(dates))
        styles.style_raster_diverging(paths["OUTPUT_DEM_ERROR"], context=context)
        if "OUTPUT_VELOCITY" in paths:
            styles.style_raster_diverging(paths["OUTPUT_VELOCITY"], context=context)
        return paths
