"""Corrections of interferogram stacks and time series: unwrapping errors by
phase closure, DEM error, PCA atmosphere. Thin adapters: IO in :mod:`.corrections_io`, science in
``algorithms/corrections``."""

from __future__ import annotations

import functools
import os

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ..algorithms.conventions import DAYS_PER_YEAR
from ..algorithms.corrections.closure import closure_block, network_triplets
from ..algorithms.corrections.dem_error import check_design, dem_error_engine_block, design_matrix, read_date_baselines
from ..algorithms.corrections.pca import pca_engine_block, smooth_model
from ..algorithms.engine import max_memory_bytes, plan_blocks
from ..algorithms.errors import GeohazardError
from .base import DOCS_URL, GeohazardAlgorithm
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter
from .io.corrections_ts import (
    INPUT_UNITS,
    UNITS_HELP,
    check_stack,
    closure_cache_limit,
    closure_plan,
    corrected_paths,
    correction_stack,
    expand_file_inputs,
    geometry_sources,
    mm_per_file_unit,
    network_closure_offsets,
    parse_step_dates,
    raster_dates,
    run_closure_correction,
    run_series_blocks,
    series_metadata,
    stack_input_files,
)
from .styles import style_raster_diverging, style_raster_sequential
from .wavelength import wavelength_parameter


class CorrectionDocs:
    """Mixin: the part-B tools are documented in docs/corrections.md, with the corrections of part A."""

    def helpUrl(self) -> str:
        return DOCS_URL.format("corrections")


def stack_parameters(alg) -> None:
    """``INTERFEROGRAMS``, ``COHERENCE``, ``INPUT_UNITS``, ``WAVELENGTH_M``: the stack input of sbasinversion
    (and of the corrections of part A)."""
    alg.addParameter(QgsProcessingParameterMultipleLayers(
        "INTERFEROGRAMS", alg.tr("Unwrapped interferograms (rasters, or a folder)"),
        QgsProcessing.SourceType.TypeRaster))
    alg.addParameter(QgsProcessingParameterMultipleLayers(
        "COHERENCE", alg.tr("Coherence rasters or folder"), QgsProcessing.SourceType.TypeRaster, optional=True))
    alg.addParameter(QgsProcessingParameterEnum("INPUT_UNITS", alg.tr("Input unit / sign"), options=INPUT_UNITS,
                                                defaultValue=0))
    alg.addParameter(wavelength_parameter(alg, "WAVELENGTH_M"))


def check_steps(alg, parameters, context) -> tuple:
    ok, msg = GeohazardAlgorithm.checkParameterValues(alg, parameters, context)
    if not ok:
        return ok, msg
    try:
        parse_step_dates(alg.parameterAsString(parameters, "STEP_DATES", context))
    except GeohazardError as exc:
        return False, str(exc)
    return True, ""


# ============================================================================ unwrapping errors
class UnwrapClosureCorrection(CorrectionDocs, GeohazardAlgorithm):
    OVERLAP = (("INTERFEROGRAMS", "COHERENCE"),)
    NAME = "unwrapclosurecorrection"
    DISPLAY_NAME = "Unwrapping-error correction by phase closure"
    GROUP_ID = "corrections"
    HELP = (
        "Finds and corrects unwrapping errors (whole phase cycles) in a stack of unwrapped interferograms from the "
        "closure of their triplets ij + jk - ik, pixel by pixel, and reports LiCSBAS-style loop-closure "
        "statistics. Method of MintPy's unwrap_error_phase_closure (Yunjun et al. 2019, "
        "doi:10.1016/j.cageo.2019.104331): the integer closure ambiguities K = round(C phi / 2 pi) of a pixel are "
        "explained by the sparsest integer cycles U added to the interferograms, min sum|C U + K| + alpha sum|U|, "
        "solved exactly (mixed-integer programme, scipy HiGHS) once per distinct closure pattern.\n\n"
        "<b>Safeguards</b> (so that no error is created): a correction must close at least two loops (alpha = 1.5 "
        "per cycle: one failing loop alone is never 'fixed'); a loop is used at a pixel only when its closure is "
        "within MAX_RESIDUAL_RAD of a whole number of cycles (closures near +-pi are noise); when another "
        "correction explains the closures equally well (an interferogram in a single loop, two interferograms with "
        "the same loops) the pixel is left unchanged and counted as ambiguous. Errors that shift a whole date by a "
        "cycle are invisible to closures and stay.\n\n"
        "<b>Inputs</b>: unwrapped interferograms (folder or list, date pair in each name, as for the SBAS tool), "
        "optional coherence with MIN_COHERENCE (values below it are neither used nor corrected; without coherence "
        "rasters it is not applied, with a warning), the unit/sign of the files.\n" + UNITS_HELP +
        "<b>Reference</b>: none is needed. The non-integer part of each loop's closure common to the network "
        "(interferograms referenced to different points, a constant phase bias) is estimated as the circular mean "
        "over a sample of rows and removed before rounding, so no single reference pixel (which could itself carry "
        "an unwrapping error) decides the integer closures. The outputs keep the input's own reference: only whole "
        "cycles are added.\n"
        "<b>Maximum cycles</b> (default 3): largest correction of one interferogram at one pixel.\n"
        "<b>Bad-loop threshold</b> (default 1.5 rad, LiCSBAS loop_thre): a loop whose RMS closure is at or above it "
        "is bad; an interferogram in bad loops only is flagged bad.\n\n"
        "<b>Outputs</b>: OUTPUT folder with the corrected interferograms under the same file names (GeoTIFF, "
        "ZSTD, same unit and sign as the input); number of cycles corrected per pixel (sum over interferograms); "
        "number of non-closing loops (|closure| > pi) per pixel, band 1 before and band 2 after correction; a CSV per "
        "interferogram: loops, bad loops, mean RMS closure (rad), share of its loops' pixels with |closure| > pi "
        "before and after, corrected pixels, bad flag; optional CSV per loop (LiCSBAS loop_info: its three "
        "interferograms, pixels, RMS closure, shares before and after, bad).\n"
        "<b>Memory</b> (advanced, default 512 MB): the blocks of the run (read ahead, computed, being written) "
        "fit in it, and GDAL's cache is held to half of it while the tool runs."
    ) + DASK_HELP

    def input_raster_files(self, parameters, context):
        return stack_input_files(self, parameters, context)

    def initAlgorithm(self, config=None):
        stack_parameters(self)
        self.addParameter(QgsProcessingParameterNumber(
            "MIN_COHERENCE", self.tr("Values with a lower coherence are neither used nor corrected (0 = all)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            "MAX_CYCLES", self.tr("Largest correction of one interferogram at one pixel (cycles)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=3, minValue=1, maxValue=20))
        self.addParameter(QgsProcessingParameterNumber(
            "LOOP_THRESHOLD_RAD", self.tr("Bad-loop threshold: RMS closure (rad)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=1.5, minValue=0.01, maxValue=10.0))
        p = QgsProcessingParameterNumber(
            "MAX_RESIDUAL_RAD", self.tr("Loop used at a pixel when its closure is this close to whole cycles (rad)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=1.5, minValue=0.1, maxValue=3.0)
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(p)
        p = QgsProcessingParameterNumber("MAX_MEMORY_MB", self.tr("Memory for the blocks of the run (MB)"),
                                         QgsProcessingParameterNumber.Type.Integer, defaultValue=512, minValue=16)
        p.setFlags(p.flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
        self.addParameter(p)
        add_dask_parameter(self)
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT", self.tr("Corrected interferograms folder")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_CYCLES", self.tr("Cycles corrected per pixel (count)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_NONCLOSING", self.tr("Non-closing loops per pixel (before, after)"), optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_STATS", self.tr("Loop-closure statistics per interferogram"), "CSV files (*.csv)", optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_LOOPS", self.tr("Loop-closure statistics per loop"), "CSV files (*.csv)", optional=True,
            createByDefault=False))

    def checkParameterValues(self, parameters, context):
        return check_stack(self, parameters, context)

    def process(self, parameters, context, feedback):
        with closure_cache_limit(self.parameterAsDouble(parameters, "MAX_MEMORY_MB", context)):
            return self._process(parameters, context, feedback)

    def _process(self, parameters, context, feedback):
        stack = correction_stack(self, parameters, context, feedback)
        net, info = stack.network, stack.info
        triplets = network_triplets(net.pairs)
        out_dir = self.parameterAsString(parameters, "OUTPUT", context)
        out_paths = corrected_paths(stack, out_dir)
        os.makedirs(out_dir, exist_ok=True)
        min_coh = self.parameterAsDouble(parameters, "MIN_COHERENCE", context)
        if min_coh > 0 and not stack.has_coherence:
            feedback.pushWarning(f"MIN_COHERENCE {min_coh:g} is not applied: no COHERENCE rasters were given, so "
                                 "every value is used and may be corrected")
            min_coh = 0.0
        cycle_mm = stack.wavelength_m * 1000.0 / 2.0
        offsets = network_closure_offsets(stack, triplets, cycle_mm)
        feedback.pushInfo(f"{net.n_pairs} interferograms, {triplets.n} closure loops (triplets); closure common to "
                          "the network (offsets of the interferograms), removed before rounding (cycles): "
                          + ", ".join(f"{o:+.2f}" for o in offsets[:12]) + (" ..." if offsets.size > 12 else ""))
        func = functools.partial(
            closure_block, triplets=triplets, cycle_mm=cycle_mm, closure_offset=offsets, min_coherence=min_coh,
            max_cycles=self.parameterAsInt(parameters, "MAX_CYCLES", context),
            max_residual_rad=self.parameterAsDouble(parameters, "MAX_RESIDUAL_RAD", context),
            mm_per_unit=np.array([mm_per_file_unit(stack, k) for k in range(net.n_pairs)]))
        # the budget covers the blocks read ahead, computed, queued and written (closure_pixel_bytes)
        max_mb = self.parameterAsDouble(parameters, "MAX_MEMORY_MB", context)
        plan, tile_rows = closure_plan(info, net.n_pairs, triplets.n, min_coh > 0, max_mb)
        extra = {k: self.parameterAsOutputLayer(parameters, k, context)
                 for k in ("OUTPUT_CYCLES", "OUTPUT_NONCLOSING") if parameters.get(k)}
        tables = {k: self.parameterAsFileOutput(parameters, k, context)
                  for k in ("OUTPUT_STATS", "OUTPUT_LOOPS") if parameters.get(k)}
        stats = run_closure_correction(
            self, parameters, context, feedback, stack, triplets, func, plan, out_paths, extra, tables,
            self.parameterAsDouble(parameters, "LOOP_THRESHOLD_RAD", context), coherence=min_coh > 0,
            tile_rows=tile_rows)
        feedback.pushInfo(f"corrected {stats.corrected_pixels} pixel(s) ({int(stats.corrected.sum())} interferogram "
                          f"values); {stats.ambiguous_pixels} pixel(s) with non-closing loops left unchanged "
                          "(ambiguous)")
        for path in extra.values():
            style_raster_sequential(path, context=context, vmin=0, ramp_name="Magma")
        return {"OUTPUT": out_dir, **extra, **tables}


# ============================================================================ DEM error
class DemErrorCorrection(CorrectionDocs, GeohazardAlgorithm):
    OVERLAP = (("INPUT", "INCIDENCE_RASTER"), ("INPUT", "SLANT_RANGE_RASTER"))
    NAME = "demerrorcorrection"
    MULTIBAND_INPUTS = ("INPUT",)  # one band per date
    DISPLAY_NAME = "DEM-error correction of a time series"
    GROUP_ID = "corrections"
    HELP = (
        "Estimates the DEM error (topographic residual) of every pixel and removes its effect from a displacement "
        "time series (Fattahi & Amelung 2013, doi:10.1109/TGRS.2012.2227761; as MintPy dem_error.py): per pixel, "
        "least squares of the series on B_perp / (R sin(incidence)) together with a temporal deformation model "
        "(polynomial in time, optional steps), then d_cor = d - B_perp / (R sin(incidence)) * dz.\n\n"
        "<b>Time series</b>: a multi-band raster with one band per date and the date (YYYY-MM-DD) as band "
        "description, in mm, LOS positive toward the satellite, as written by the SBAS tool.\n"
        "<b>Baselines</b> (required): perpendicular baseline of each date from a CSV 'date,bperp_m', a MintPy "
        "timeseries.h5 or ifgramStack.h5, GAMMA *_bperp.par / *_base.par files or folder, or an ISCE baselines "
        "folder (pair baselines are turned into date baselines by least squares, the first date at 0).\n"
        "<b>Slant range</b> (m) and <b>incidence</b> (degrees): rasters on the grid, or constants (defaults: 850 km "
        "and 39 deg, the middle of a Sentinel-1 IW swath). They only scale the DEM error; the corrected time series "
        "does not depend on them.\n"
        "<b>Polynomial order</b> (default 2, as MintPy) and <b>step dates</b> (YYYY-MM-DD, comma separated: "
        "earthquakes, works) of the deformation model.\n\n"
        "<b>Outputs</b>: corrected time series (same layout and reference as the input), DEM error (m, MintPy's "
        "sign: the series holds + B_perp / (R sin inc) * dz), RMS of the fit residual (mm), and the <b>final "
        "velocity</b> of the corrected series with its standard error (mm/yr, least-squares line as the SBAS tool "
        "and MintPy's timeseries2velocity, LOS positive toward the satellite). Dates without data at a "
        "pixel are left out of its fit; pixels with fewer than (number of model terms + 3) dates are NaN."
    ) + DASK_HELP

    def initAlgorithm(self, config=None):
        dbl = QgsProcessingParameterNumber.Type.Double
        self.addParameter(QgsProcessingParameterRasterLayer("INPUT", self.tr("Time series (mm, one band per date)")))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "BASELINES", self.tr("Perpendicular baselines (CSV date,bperp_m; MintPy .h5; GAMMA .par; ISCE folder)"),
            QgsProcessing.SourceType.TypeFile))
        self.addParameter(QgsProcessingParameterRasterLayer(
            "SLANT_RANGE_RASTER", self.tr("Slant range raster (m)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "SLANT_RANGE", self.tr("Slant range (m, when no raster)"), dbl, defaultValue=850000.0, minValue=1.0))
        self.addParameter(QgsProcessingParameterRasterLayer(
            "INCIDENCE_RASTER", self.tr("Incidence angle raster (degrees)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "INCIDENCE", self.tr("Incidence angle (degrees, when no raster)"), dbl, defaultValue=39.0, minValue=0.1,
            maxValue=89.9))
        self.addParameter(QgsProcessingParameterNumber(
            "POLY_ORDER", self.tr("Polynomial order of the deformation model"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=2, minValue=0, maxValue=5))
        self.addParameter(QgsProcessingParameterString(
            "STEP_DATES", self.tr("Step dates of the deformation model (YYYY-MM-DD, comma separated)"), optional=True))
        add_dask_parameter(self)
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT", self.tr("Corrected time series (mm)")))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT_DEM_ERROR", self.tr("DEM error (m)")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_RESIDUAL", self.tr("RMS of the fit residual (mm)"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_VELOCITY", self.tr("Final velocity of the corrected series (mm/yr)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_VELOCITY_STD", self.tr("Final velocity standard error (mm/yr)"), optional=True,
            createByDefault=False))

    def checkParameterValues(self, parameters, context):
        ok, msg = check_steps(self, parameters, context)
        if ok and not expand_file_inputs(parameters.get("BASELINES")):
            return False, ("BASELINES: the DEM-error correction needs the perpendicular baselines of the dates "
                           "(CSV date,bperp_m; MintPy timeseries.h5 / ifgramStack.h5; GAMMA .par; ISCE folder)")
        return ok, msg

    def process(self, parameters, context, feedback):
        info = self.raster_info(parameters, "INPUT", context)
        dates = raster_dates(info, "INPUT")
        bperp = read_date_baselines(expand_file_inputs(parameters.get("BASELINES")), dates)
        g = design_matrix(dates, bperp, poly_order=self.parameterAsInt(parameters, "POLY_ORDER", context),
                          step_dates=parse_step_dates(self.parameterAsString(parameters, "STEP_DATES", context)))
        check_design(g)
        feedback.pushInfo("perpendicular baselines (m) of the dates: " + ", ".join(f"{b:+.1f}" for b in bperp))
        years = np.array([(d - dates[0]).days for d in dates], np.float64) / DAYS_PER_YEAR
        func = functools.partial(dem_error_engine_block, g=g,
                                 slant_range_m=self.parameterAsDouble(parameters, "SLANT_RANGE", context),
                                 incidence_deg=self.parameterAsDouble(parameters, "INCIDENCE", context), years=years)
        meta = series_metadata(info.path, {"DEM_ERROR_CORRECTION": "Fattahi & Amelung 2013",
                                           "BPERP_M": ",".join(f"{b:.3f}" for b in bperp)})
        paths = run_series_blocks(
            self, parameters, context, feedback, info, dates,
            plan_blocks(info.height, info.width, bytes_per_pixel=len(dates) * 8.0 * 5), func,
            {"OUTPUT": ("corrected_mm", "series"), "OUTPUT_DEM_ERROR": ("dem_error_m", "band"),
             "OUTPUT_RESIDUAL": ("residual_rms_mm", "band"), "OUTPUT_VELOCITY": ("velocity_mm_yr", "band"),
             "OUTPUT_VELOCITY_STD": ("velocity_std_mm_yr", "band")},
            sources=geometry_sources(self, parameters, context, info), meta=meta)
        style_raster_diverging(paths["OUTPUT"], context=context, band=len(dates))
        style_raster_diverging(paths["OUTPUT_DEM_ERROR"], context=context)
        if "OUTPUT_VELOCITY" in paths:
            style_raster_diverging(paths["OUTPUT_VELOCITY"], context=context)
        return paths


# ============================================================================ PCA atmosphere
class PcaAtmosphere(CorrectionDocs, GeohazardAlgorithm):
    NAME = "pcaatmosphere"
    MULTIBAND_INPUTS = ("INPUT",)  # one band per date
    DISPLAY_NAME = "PCA correction of atmospheric artefacts (time series)"
    GROUP_ID = "corrections"
    HELP = (
        "Removes tropospheric artefacts from a displacement time series with principal components computed block "
        "by block, after the block-based PCA correction of the seed study of this plugin (Dragon-5 landslide "
        "early warning). In each square tile (tiles overlap by half and are blended, so no seam shows) the series is "
        "decomposed into principal components (SVD about its temporal mean, from the dates' Gram matrix); for "
        "each leading component, the part of its temporal signature that a smooth deformation model (polynomial "
        "in time, annual cycle, declared steps) does not explain is atmosphere when it is white in time (lag-one "
        "autocorrelation below MAX_AUTOCORR: the delay of one date is independent of the next), and it is "
        "removed. Deformation that follows the model is kept, including when it shares a component with the "
        "delays. What is removed is orthogonal to the model: velocities are unchanged, the displacement of each "
        "date is cleaned.\n\n"
        "<b>When to use it</b> (synthetic stacks, docs/corrections.md): it removes turbulent and randomly "
        "stratified delays better than phase-elevation fits (which also bend deformation that correlates with "
        "elevation); it keeps a delay that follows the seasons (phase-elevation removes it); it needs many dates "
        "(refused below 3 x the model terms; 30+ recommended); a surge outside the model is partly removed unless "
        "its date is given in STEP_DATES.\n\n"
        "<b>Time series</b>: one band per date, date as band description, mm, as written by the SBAS tool.\n"
        "<b>Tile size</b> (TILE_PIXELS, pixels, default 64): larger than the deforming areas of interest and than the "
        "correlation length of the turbulence.\n"
        "<b>Maximum autocorrelation</b> (default 0.5): white leftovers (below it) are atmosphere.\n"
        "<b>Model</b>: polynomial order (default 2), annual terms (default on), step dates (YYYY-MM-DD).\n\n"
        "<b>Outputs</b>: corrected time series (same layout), optional estimated atmospheric delay per date (mm), "
        "optional number of components removed per tile."
    ) + DASK_HELP

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer("INPUT", self.tr("Time series (mm, one band per date)")))
        self.addParameter(QgsProcessingParameterNumber(
            "TILE_PIXELS", self.tr("Tile size (pixels)"), QgsProcessingParameterNumber.Type.Integer, defaultValue=64,
            minValue=8, maxValue=4096))
        self.addParameter(QgsProcessingParameterNumber(
            "MAX_AUTOCORR", self.tr("Leftover signatures less autocorrelated than this are atmosphere"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.5, minValue=0.0, maxValue=0.95))
        self.addParameter(QgsProcessingParameterNumber(
            "POLY_ORDER", self.tr("Polynomial order of the deformation model"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=2, minValue=0, maxValue=4))
        self.addParameter(QgsProcessingParameterBoolean("ANNUAL", self.tr("Annual cycle in the deformation model"),
                                                        defaultValue=True))
        self.addParameter(QgsProcessingParameterString(
            "STEP_DATES", self.tr("Step dates of the deformation model (YYYY-MM-DD, comma separated)"), optional=True))
        add_dask_parameter(self)
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT", self.tr("Corrected time series (mm)")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_ATMOSPHERE", self.tr("Estimated atmospheric delay (mm)"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_COMPONENTS", self.tr("Components removed per tile (count)"), optional=True,
            createByDefault=False))

    def checkParameterValues(self, parameters, context):
        return check_steps(self, parameters, context)

    def process(self, parameters, context, feedback):
        info = self.raster_info(parameters, "INPUT", context)
        dates = raster_dates(info, "INPUT")
        g = smooth_model(dates, annual=self.parameterAsBool(parameters, "ANNUAL", context),
                         poly_order=self.parameterAsInt(parameters, "POLY_ORDER", context),
                         step_dates=parse_step_dates(self.parameterAsString(parameters, "STEP_DATES", context)))
        tile = self.parameterAsInt(parameters, "TILE_PIXELS", context)
        max_autocorr = self.parameterAsDouble(parameters, "MAX_AUTOCORR", context)
        func = functools.partial(pca_engine_block, g=g, tile=tile, max_autocorr=max_autocorr)
        per_row = info.width * len(dates) * 4.0 * 3  # float32 input, delay and output
        rows = max(1, int(max_memory_bytes() // max(per_row * tile, 1)) - 2) * tile  # 2 tiles of halo
        # overlapping tiles reach one tile beyond a block's rows: halo = tile (the result does not
        # depend on the blocks)
        plan = plan_blocks(info.height, info.width, block_rows=min(rows, max(tile, info.height)), halo=tile)
        meta = series_metadata(info.path, {"PCA_ATMOSPHERE": f"tile {tile} px, max autocorrelation {max_autocorr}"})
        paths = run_series_blocks(
            self, parameters, context, feedback, info, dates, plan, func,
            {"OUTPUT": ("corrected_mm", "series"), "OUTPUT_ATMOSPHERE": ("atmosphere_mm", "series"),
             "OUTPUT_COMPONENTS": ("n_removed", "band")}, meta=meta, dtype=np.float32)
        style_raster_diverging(paths["OUTPUT"], context=context, band=len(dates))
        return paths


ALGORITHMS = [UnwrapClosureCorrection, DemErrorCorrection, PcaAtmosphere]
