"""Corrections of an interferogram stack before the SBAS inversion:
network modification, reference point, ramp removal, tropospheric correction.

Every tool takes the stack the way ``sbasinversion`` does (INTERFEROGRAMS list or folder,
COHERENCE, INPUT_UNITS, WAVELENGTH_M) and the correction tools write OUTPUT = a folder of
corrected GeoTIFFs with the input file names (date pairs still parse; unit and sign of the
input), ready to be the next tool's INTERFEROGRAMS. The science is in
``algorithms/corrections/``; the block loops run on the engine (``algorithms/engine.py``).
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
    QgsProcessingParameterVectorLayer,
)

from ..algorithms.conventions import radians_per_m
from ..algorithms.corrections import network_mod, ramp_limits, ramps, reference, troposphere
from ..algorithms.engine import StackSource, process_blocks
from ..algorithms.errors import GeohazardError
from ..algorithms.formats import gacos
from ..algorithms.progress import SubProgress
from . import params
from .base import GeohazardAlgorithm
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter, executor
from .feedback import FeedbackProgress
from .io.corrections import (
    Stack,
    dem_height_range,
    dem_height_sd,
    describe_plan,
    fit_pass,
    link_or_copy,
    mask_sources,
    mm_per_unit,
    read_mask,
    report_path,
    unit_meta,
    warp_delay,
    write_corrected,
    write_csv,
)
from .io.geometry import metric_pixel_size
from .io.stacks import stack_raster_files
from .params import INPUT_UNITS, UNITS_HELP, check_stack_parameters
from .params import add_stack_parameters as common_parameters
from .raster_io import GdalOpener, raster_info
from .vector_io import write_vector

STACK_HELP = (
    "<b>Interferograms</b>: a folder or a list of unwrapped interferograms on one grid, as for the SBAS tool "
    "(date pair from each file name). <b>Coherence</b> (optional): folder or list matched by date pair.\n"
    + UNITS_HELP
)
OUTPUT_HELP = (
    "<b>Output folder</b>: one corrected GeoTIFF per interferogram with the input's file name (a non-GeoTIFF "
    "input becomes NAME.tif), same unit and sign as the input, NaN = no data, ZSTD-compressed (lossless; QGIS and "
    "GDAL-based software read it): give the folder as the next tool's or the SBAS tool's interferograms. Nothing "
    "is written when the run fails.\n"
)
MASK_HELP = (
    "<b>Stable area</b> (optional): polygons of ground you trust not to move, and/or a mask raster on the "
    "interferograms' grid (non-zero = use). <b>Coherence threshold</b>: pixels of an interferogram whose "
    "coherence is below it are left out of the fit (needs COHERENCE; 0.3 by default: below it unwrapped phase "
    "is mostly noise). <b>Minimum pixels</b>: an interferogram with fewer usable pixels in the mask is refused "
    "with its name (a fit on a handful of pixels would invent the correction).\n"
)
MODES = ["Per interferogram", "Per date (network-consistent: inverted on the network)"]
EXTRAPOLATION = ["Fit on every coherent pixel instead (the trend guard keeps the deformation)",
                 "Fit on the mask, capped at the largest gradient", "Refuse"]


# ============================================================================ shared plumbing
def stack_inputs(alg) -> None:
    """INTERFEROGRAMS, COHERENCE, WAVELENGTH_M, INPUT_UNITS: the SBAS tool's stack parameters."""
    common_parameters(alg, mintpy=False)
    alg.addParameter(QgsProcessingParameterEnum("INPUT_UNITS", alg.tr("Input unit / sign"), options=INPUT_UNITS,
                                                defaultValue=0))


def mask_inputs(alg, *, coherence_default: float = 0.3) -> None:
    alg.addParameter(QgsProcessingParameterVectorLayer(
        "STABLE_AREA", alg.tr("Stable area (polygons)"), [QgsProcessing.SourceType.TypeVectorPolygon], optional=True))
    alg.addParameter(QgsProcessingParameterRasterLayer("MASK", alg.tr("Mask raster (non-zero = use, same grid)"),
                                                       optional=True))
    alg.addParameter(QgsProcessingParameterNumber(
        "COHERENCE_THRESHOLD", alg.tr("Coherence threshold of the fitted pixels"),
        QgsProcessingParameterNumber.Type.Double, defaultValue=coherence_default, minValue=0.0, maxValue=1.0))
    alg.addParameter(QgsProcessingParameterNumber(
        "MIN_PIXELS", alg.tr("Minimum usable pixels per interferogram (count)"),
        QgsProcessingParameterNumber.Type.Integer, defaultValue=100, minValue=3))


def output_folder(alg, label: str) -> None:
    alg.addParameter(QgsProcessingParameterFolderDestination("OUTPUT", alg.tr(label)))
    alg.addParameter(QgsProcessingParameterFileDestination(
        "OUTPUT_REPORT", alg.tr("Report (CSV)"), "CSV files (*.csv)", optional=True))


# ============================================================================ ramp removal
class RampRemoval(GeohazardAlgorithm):
    input_raster_files = stack_raster_files
    NAME = "rampremoval"
    DISPLAY_NAME = "Ramp removal (linear / quadratic, fitted on a stable mask)"
    GROUP_ID = "corrections"
    HELP = (
        "Removes orbital / ionospheric / long-wavelength ramps from unwrapped interferograms: a linear "
        "(c0 + c1 x + c2 y) or quadratic (+ x2, y2, xy) surface is fitted by least squares on the pixels of a "
        "stable mask and subtracted everywhere, as MintPy's remove_ramp (Yunjun et al. 2019, "
        "doi:10.1016/j.cageo.2019.104331). <b>Per interferogram</b>: each keeps its own surface. <b>Per date</b>: "
        "the surfaces are inverted on the network (one per date) and each interferogram loses the difference of "
        "its two dates' surfaces, so a deformation ramp seen in one interferogram only is not removed.\n\n"
        + STACK_HELP + MASK_HELP + OUTPUT_HELP +
        "<b>Extrapolation</b>: a surface fitted on a mask that does not surround the scene (a stable strip along "
        "one edge) is extrapolated over the rest; the log says so with its size at the far edge. By default the "
        "surfaces are then fitted on every coherent pixel (the trend guard below keeps the deformation); or fit "
        "on the mask and cap, or refuse.\n"
        "<b>Largest gradient</b> (mm of LOS per km, 0 = from the wavelength: 3 mm/km at C-band, growing as the "
        "wavelength squared for the ionosphere): a surface whose range over the scene exceeds it times the "
        "scene's diagonal is scaled down to it (orbits make millimetres over a few tens of km).\n"
        "<b>Trend guard</b> (per date, default 2; 0 = off): the trend of each ramp term over the dates changes the "
        "velocity. It is compared with the trend that random ramps of the size seen from date to date (fitted on "
        "every coherent pixel) could make: within 2 standard errors it is removed; beyond, only the share "
        "(2 / t)^2 is removed and the rest is kept as deformation (a bowl's flank is not turned into a tilt).\n"
        "<b>Report</b> (CSV): per interferogram the coefficients removed (x and y scaled to -1..1 over the grid), "
        "pixels used, RMS on the mask before and after the fitted surface (input unit). Checked against MintPy "
        "1.6.4 deramp (docs/corrections.md)."
    ) + DASK_HELP

    def initAlgorithm(self, config=None):
        stack_inputs(self)
        self.addParameter(QgsProcessingParameterEnum("RAMP_TYPE", self.tr("Ramp"), options=["Linear", "Quadratic"],
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterEnum("MODE", self.tr("Fit"), options=MODES, defaultValue=0))
        mask_inputs(self)
        self.addParameter(QgsProcessingParameterEnum(
            "EXTRAPOLATION", self.tr("When the mask does not surround the scene"), options=EXTRAPOLATION,
            defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "MAX_GRADIENT_MM_KM", self.tr("Largest ramp gradient of one date (mm/km, 0 = from the wavelength)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            "TREND_GUARD", self.tr("Trend guard: keep the ramps' trend beyond this many standard errors "
                                   "(per date, 0 = off)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=2.0, minValue=0.0, maxValue=100.0))
        output_folder(self, "Interferograms without ramps (folder)")
        add_dask_parameter(self)

    def checkParameterValues(self, parameters, context):
        return check_stack_parameters(self, parameters, context, mintpy=False)

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        stack = Stack(self, parameters, context, feedback)
        kind = ramps.RAMP_KINDS[self.parameterAsEnum(parameters, "RAMP_TYPE", context)]
        thr = self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context)
        src = {**stack.sources(coherence=thr > 0), **mask_sources(read_mask(self, parameters, context, stack))}
        per_date = self.parameterAsEnum(parameters, "MODE", context) == 1
        min_px = self.parameterAsInt(parameters, "MIN_PIXELS", context)
        guard = self.parameterAsDouble(parameters, "TREND_GUARD", context)
        out_dir = self.parameterAsString(parameters, "OUTPUT", context)
        to_mm = mm_per_unit(stack)
        max_grad = self.parameterAsDouble(parameters, "MAX_GRADIENT_MM_KM", context) or \
            ramp_limits.default_max_gradient_mm_km(stack.wavelength_m)
        limits = dict(kind=kind, names=stack.names, shape=stack.info.shape, pixel_km=_pixel_km(stack, feedback),
                      min_pixels=min_px, max_gradient_per_km=max_grad / to_mm, mask_name=MASK_NAME,
                      extrapolation=ramp_limits.EXTRAPOLATION_MODES[
                          self.parameterAsEnum(parameters, "EXTRAPOLATION", context)])
        meta = {**unit_meta(stack), "CORRECTION": f"{kind} ramp removed" + (" (per date)" if per_date else "")}
        # whole interferograms in memory when they fit: per interferogram, each is read once, fitted within the
        # limits and corrected; per date, two passes over them (every fit before any correction)
        plan = stack.group_plan(shared_bytes=8.0)
        feedback.pushInfo(describe_plan(plan, one_read=not per_date))
        run = dict(stack=stack, sources=src, out_dir=out_dir, alg=self, parameters=parameters, context=context,
                   feedback=feedback, progress=progress, metadata=meta, plan=plan)
        if plan is not None and not per_date:
            coef, rep, normals = _ramps_one_read(thr, limits, run)
        else:
            coef, rep, normals = _ramps_two_passes(thr, limits, run, per_date=per_date,
                                                   z=guard if guard > 0 else np.inf)
        self._log_limits(rep, kind, to_mm, max_grad, per_date, feedback)
        fitted = ramps.solve_normals(normals, names=stack.names, min_pixels=min_px, mask_name=MASK_NAME)
        before, after = ramps.fit_residual_rms(normals, fitted)
        feedback.pushInfo(f"{kind} ramps removed from {stack.m} interferograms; RMS on the mask "
                          f"{np.median(before):.3g} -> {np.median(after):.3g} (median, input unit)")
        result = {"OUTPUT": out_dir}
        rep_path = report_path(self, parameters, context)
        if rep_path:
            terms = ["c0", "cx", "cy", "cxx", "cyy", "cxy"][:coef.shape[1]]
            write_csv(rep_path, [{"interferogram": nm, "pixels": int(n), **{t: float(c) for t, c in zip(terms, cf)},
                                  "rms_before": float(b), "rms_after_fit": float(a)}
                                 for nm, n, cf, b, a in zip(stack.names, normals["n"], coef, before, after)])
            result["OUTPUT_REPORT"] = rep_path
        return result

    @staticmethod
    def _log_limits(rep, kind, to_mm, max_grad, per_date, feedback):
        for msg in rep.messages:
            feedback.pushWarning(msg)
        feedback.pushInfo(f"{kind} surfaces fitted on {'the mask' if rep.fitted_on == 'mask' else rep.fitted_on} "
                          f"(leverage {rep.leverage:.1f} x a scene-wide fit; above "
                          f"{ramp_limits.MAX_LEVERAGE:g} the mask extrapolates)")
        if rep.capped:
            worst = max(rep.capped, key=lambda c: c[1] / c[2] if c[2] == c[2] else 0.0)
            size = f" (largest: {worst[1] * to_mm:.1f} mm over the scene, {worst[2] * to_mm:.1f} mm allowed)" \
                if worst[2] == worst[2] else ""
            feedback.pushWarning(f"{len(rep.capped)} surface(s) steeper than {max_grad:g} mm/km over the scene were "
                                 f"scaled down to it{size}: " + ", ".join(str(c[0]) for c in rep.capped[:8])
                                 + (" ..." if len(rep.capped) > 8 else ""))
        if per_date and rep.split is not None:
            sp = rep.split
            parts = ", ".join(f"{t}: t = {float(tt):+.1f}, {100 * float(sh):.0f} % removed"
                              for t, tt, sh in zip(["x", "y", "x2", "y2", "xy"], sp.t, sp.removed_share))
            feedback.pushInfo(f"trend of the ramps over the dates ({parts}); the kept trend (deformation) reaches "
                              f"{rep.velocity_far_edge * to_mm:.2f} mm/yr at the far edge")


MASK_NAME = "STABLE_AREA / MASK / COHERENCE_THRESHOLD"


def _pixel_km(stack, feedback):
    """(dy, dx) of the stack's pixels in km, or None in radar geometry (the gradient limit is then not applied)."""
    try:
        dx, dy = metric_pixel_size(stack.info, "INTERFEROGRAMS")
    except GeohazardError:
        feedback.pushInfo("INTERFEROGRAMS have no map coordinates: the pixel size is unknown, so the largest "
                          "gradient (mm/km) is not applied")
        return None
    return dy / 1000.0, float(np.mean(dx)) / 1000.0


def _ramps_one_read(thr, limits, run):
    """Per interferogram, whole interferograms in memory: each read once, fitted within the limits, corrected."""
    stack = run["stack"]
    _, got = write_corrected(
        func=functools.partial(ramp_limits.limited_fit_apply_block, coherence_threshold=thr, **limits),
        collect=("coef", "leverage", "capped", "swapped", "ata", "atb", "n", "btb"), **run)
    swapped = got["swapped"]
    rep = ramp_limits.RampReport(float(np.median(got["leverage"])), bool(swapped.any()),
                                 "all coherent pixels" if swapped.any() else "mask", float("nan"), float("nan"))
    rep.capped = [(stack.names[i], float("nan"), float("nan")) for i in np.flatnonzero(got["capped"])]
    if swapped.any():
        rep.messages.append(f"{MASK_NAME}: the fitted pixels of {int(swapped.sum())} interferogram(s) do not "
                            "surround the scene: their surfaces are fitted on every coherent pixel")
    return got["coef"], rep, {k: got[k] for k in ("ata", "atb", "n", "btb")}


def _ramps_two_passes(thr, limits, run, *, per_date, z):
    """Every fit first (mask and every coherent pixel), the limits and the trend guard, then the correction."""
    stack = run["stack"]
    normals = fit_pass(stack, functools.partial(ramps.ramp_normal_block, kind=limits["kind"],
                                                coherence_threshold=thr, with_all=True),
                       sources=run["sources"], alg=run["alg"], parameters=run["parameters"],
                       context=run["context"], feedback=run["feedback"],
                       progress=SubProgress(run["progress"], 0, 45), plan=run["plan"])
    net = stack.network
    coef, rep = ramp_limits.guarded_ramps(
        normals, per_date=(net.ref_index, net.sec_index, net.n_dates, stack.signs) if per_date else None,
        years=net.years if per_date else None, z=z, unit=("rad", "rad", "m", "mm")[stack.units], **limits)
    write_corrected(func=functools.partial(ramps.ramp_apply_block, kind=limits["kind"], coef=coef),
                    **{**run, "sources": stack.sources(coherence=False),
                       "progress": SubProgress(run["progress"], 45, 100)})
    return coef, rep, {k: normals[k] for k in ("ata", "atb", "n", "btb")}


# ============================================================================ troposphere
TROPO_METHODS = ["Phase-elevation, linear (DEM)", "Phase-elevation, quadratic (DEM)",
                 "External zenith delay maps (GACOS .ztd or per-date GeoTIFFs)"]


class TroposphericCorrection(GeohazardAlgorithm):
    input_raster_files = stack_raster_files
    NAME = "troposphericcorrection"
    DISPLAY_NAME = "Tropospheric correction (phase-elevation or GACOS / zenith delay maps)"
    GROUP_ID = "corrections"
    HELP = (
        "Removes the tropospheric delay from unwrapped interferograms.\n\n"
        "<b>Phase-elevation</b> (stratified troposphere; Doin et al. 2009, doi:10.1016/j.jappgeo.2009.03.010; "
        "MintPy tropo_phase_elevation; LiCSBAS): per interferogram, phase = c0 + k1 h (+ k2 h2) is fitted on the "
        "mask with the DEM height h, and the height terms are removed (zero at the DEM's lowest point). "
        "<b>Window</b> "
        "(pixels, 0 = whole image): square windows get their own coefficients, interpolated bilinearly between "
        "window centres (stratification changing across a large scene); a window with too few pixels or no "
        "relief uses the whole-image fit. <b>Per date</b>: coefficients inverted on the network (one per date). "
        "<b>Correlation threshold</b> (as MintPy -t, default 0 = always correct): an interferogram (window) "
        "whose phase-height correlation is weaker is left as it is.\n"
        "<b>High-pass filter</b> (pixels, default 3; 0 = off): the phase and the heights lose their local mean "
        "(Gaussian of that many pixels) before the fit, so a subsidence bowl, a ramp or any signal smoother than "
        "the filter does not bias the slope, while the relief's texture still measures it (band-pass estimation, "
        "Lin et al. 2010, doi:10.1029/2010GC003228; Bekaert et al. 2015, doi:10.1002/2014JB011558); only the "
        "height terms are removed, unfiltered.\n"
        "<b>Trend guard</b> (per date, default 2; 0 = off): deformation that correlates with height makes the "
        "per-date slope grow with time. The trend of the per-date slopes is compared with its standard error "
        "from their scatter: within 2 standard errors it is atmosphere and removed; beyond, only the share "
        "(2 / t)^2 is removed and the rest - what tracks time - is kept as deformation, so the velocity is not "
        "bent. The log says when the per-interferogram slope tracks the pairs' time span (correlation with the "
        "temporal baseline), the trend, its t and the share removed; the report has the slope, correlation and "
        "the RMS removed per interferogram.\n"
        "<b>External delay maps</b>: a folder with one zenith total delay map per date in metres: GACOS "
        "(Yu et al. 2018, doi:10.1029/2017JB015305) YYYYMMDD.ztd with YYYYMMDD.ztd.rsc, or YYYYMMDD.ztd.tif / any "
        "GeoTIFF whose name has the date. Each is resampled (bilinear) onto the interferograms' grid, projected to "
        "the line of sight (/ cos(incidence): a raster in degrees or one constant angle) and each interferogram "
        "loses delay(second date) - delay(first date), converted to its unit (MintPy tropo_gacos). Every date of "
        "the stack needs a map (the missing dates are named); maps of other dates are ignored and listed.\n\n"
        + STACK_HELP +
        "<b>DEM</b>: heights in metres on the interferograms' grid (same size, origin, pixel size and CRS).\n"
        + MASK_HELP + OUTPUT_HELP +
        "<b>Report</b> (CSV): per interferogram the coefficients (phase-elevation: per window: mm or radians per "
        "km of height) or the removed delay's spatial standard deviation (delay maps)."
    ) + DASK_HELP

    def initAlgorithm(self, config=None):
        stack_inputs(self)
        self.addParameter(QgsProcessingParameterEnum("METHOD", self.tr("Method"), options=TROPO_METHODS,
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterRasterLayer("DEM", self.tr("DEM (m, same grid; phase-elevation)"),
                                                            optional=True))
        self.addParameter(QgsProcessingParameterEnum("MODE", self.tr("Fit (phase-elevation)"), options=MODES,
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "WINDOW", self.tr("Window size (pixels, 0 = whole image; phase-elevation)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=0, minValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "CORRELATION_THRESHOLD", self.tr("Minimum phase-height correlation to correct (0 = always)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            "FILTER_PIXELS", self.tr("High-pass filter before the fit (pixels, 0 = off; phase-elevation)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=3.0, minValue=0.0, maxValue=100.0))
        self.addParameter(QgsProcessingParameterNumber(
            "TREND_GUARD", self.tr("Trend guard: keep the slope's trend beyond this many standard errors "
                                   "(per date, 0 = off)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=2.0, minValue=0.0, maxValue=100.0))
        mask_inputs(self)
        self.addParameter(QgsProcessingParameterFile(
            "DELAYS", self.tr("Folder of zenith delay maps (GACOS .ztd + .rsc, or per-date GeoTIFFs, m)"),
            behavior=QgsProcessingParameterFile.Behavior.Folder, optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            "INCIDENCE_RASTER", self.tr("Incidence angle raster (degrees, delay maps)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "INCIDENCE_ANGLE", self.tr("Incidence angle when no raster (degrees, delay maps; 0 = not given)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0, maxValue=80.0))
        output_folder(self, "Tropospheric-corrected interferograms (folder)")
        add_dask_parameter(self)

    def checkParameterValues(self, parameters, context):
        ok, msg = check_stack_parameters(self, parameters, context, mintpy=False)
        if not ok:
            return ok, msg
        method = self.parameterAsEnum(parameters, "METHOD", context)
        if method < 2 and not parameters.get("DEM"):
            return False, ("DEM: the phase-elevation correction needs a DEM (heights in metres on the "
                           "interferograms' grid)")
        if method == 2:
            if not parameters.get("DELAYS"):
                return False, "DELAYS: give the folder of zenith delay maps (GACOS YYYYMMDD.ztd + .rsc or GeoTIFFs)"
            if not parameters.get("INCIDENCE_RASTER") and \
                    not self.parameterAsDouble(parameters, "INCIDENCE_ANGLE", context):
                return False, ("INCIDENCE_RASTER / INCIDENCE_ANGLE: the zenith delays are projected to the line of "
                               "sight with the incidence angle; give a raster or a constant angle in degrees")
        return True, ""

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        stack = Stack(self, parameters, context, feedback)
        method = self.parameterAsEnum(parameters, "METHOD", context)
        out_dir = self.parameterAsString(parameters, "OUTPUT", context)
        if method == 2:
            rows = self._external(stack, parameters, context, feedback, progress, out_dir)
        else:
            rows = self._phase_elevation(stack, method + 1, parameters, context, feedback, progress, out_dir)
        result = {"OUTPUT": out_dir}
        rep = report_path(self, parameters, context)
        if rep:
            result["OUTPUT_REPORT"] = write_csv(rep, rows)
        return result

    def _dem(self, parameters, context, stack):
        path = self.raster_path(parameters, "DEM", context)
        return path, troposphere.height_scaling(*dem_height_range(path, stack.info))

    def _phase_elevation(self, stack, order, parameters, context, feedback, progress, out_dir):
        from .raster_io import raster_source

        dem_path, (h0, hscale) = self._dem(parameters, context, stack)
        thr = self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context)
        layout = troposphere.window_layout(stack.info.shape, self.parameterAsInt(parameters, "WINDOW", context))
        mask = read_mask(self, parameters, context, stack)
        dem_src = raster_source(dem_path, dtype=np.float64, name="DEM")
        per_date = self.parameterAsEnum(parameters, "MODE", context) == 1
        min_px = self.parameterAsInt(parameters, "MIN_PIXELS", context)
        corr_thr = self.parameterAsDouble(parameters, "CORRELATION_THRESHOLD", context)
        filter_px = self.parameterAsDouble(parameters, "FILTER_PIXELS", context)
        guard = self.parameterAsDouble(parameters, "TREND_GUARD", context)
        mask_name = "STABLE_AREA / MASK / COHERENCE_THRESHOLD"
        n_win = layout[0] * layout[1]
        meta = {**unit_meta(stack), "CORRECTION": f"phase-elevation order {order}" + (" per date" if per_date else "")
                + (f", windows {layout[2]} px" if n_win > 1 else "")
                + (f", high-pass {filter_px:g} px" if filter_px > 0 else "")
                + (f", trend guard {guard:g}" if per_date and guard > 0 else "")}
        # whole interferograms in memory when they fit: per interferogram, each is read once, fitted and
        # corrected; per date, two passes over them. The DEM is then read once for all of them (its scaled
        # heights and terms: 17 bytes a pixel)
        plan = stack.group_plan(shared_bytes=40.0 if n_win == 1 else 96.0)
        feedback.pushInfo(describe_plan(plan, one_read=not per_date))
        heights = {"dem": dem_src} if plan is None else \
            troposphere.height_inputs(dem_src.read(0, stack.info.height, stack.info.width), h0, hscale)
        guarded = None
        if plan is not None and not per_date:
            src = {**stack.sources(coherence=thr > 0), **mask_sources(mask), **heights}
            _, got = write_corrected(
                stack, functools.partial(troposphere.elevation_fit_apply_block, order=order, h0=h0, hscale=hscale,
                                         layout=layout, coherence_threshold=thr, correlation_threshold=corr_thr,
                                         min_pixels=min_px, names=stack.names, mask_name=mask_name,
                                         filter_px=filter_px),
                sources=src, out_dir=out_dir, alg=self, parameters=parameters, context=context, feedback=feedback,
                progress=progress, metadata=meta, plan=plan, collect=("coef", "correlation", "fallback", "n"))
            coef, corr, fallback, normals = got["coef"], got["correlation"], got["fallback"], {"n": got["n"]}
            fitted = coef
        else:  # per date (every interferogram's fit first), or images too big for the memory budget: two passes
            src = {**stack.sources(coherence=thr > 0), **mask_sources(mask), **heights}
            normals = fit_pass(stack, functools.partial(troposphere.elevation_normal_block, order=order, h0=h0,
                                                        hscale=hscale, layout=layout, coherence_threshold=thr,
                                                        filter_px=filter_px),
                               sources=src, alg=self, parameters=parameters, context=context, feedback=feedback,
                               progress=SubProgress(progress, 0, 45),
                               plan=plan or stack.plan(halo=troposphere.filter_radius(filter_px)),
                               n_window_rows=layout[0])
            coef, corr, fallback = troposphere.solve_elevation(normals, names=stack.names, min_pixels=min_px,
                                                               correlation_threshold=corr_thr, mask_name=mask_name)
            fitted = coef
            if per_date:
                net = stack.network
                coef, guarded = troposphere.guarded_elevation_per_date(
                    coef, net.ref_index, net.sec_index, net.years, signs=stack.signs, z=guard if guard > 0 else np.inf,
                    span_days=net.temporal_baseline_days)
            write_corrected(stack, functools.partial(troposphere.elevation_apply_block, coef=coef, order=order, h0=h0,
                                                     hscale=hscale, layout=layout, delay=False),
                            sources={**stack.sources(coherence=False), **heights}, out_dir=out_dir, alg=self,
                            parameters=parameters, context=context, feedback=feedback,
                            progress=SubProgress(progress, 45, 100), metadata=meta, plan=plan)
        if n_win > 1:
            feedback.pushInfo(f"{layout[0]} x {layout[1]} windows of {layout[2]} px; "
                              f"{int(fallback.sum())} of {fallback.size} interferogram-windows used the "
                              "whole-image fit")
        return self._elevation_report(stack, order, fitted, coef, corr, normals, fallback, hscale, guarded, guard,
                                      dem_path, feedback)

    def _elevation_report(self, stack, order, fitted, removed, corr, normals, fallback, hscale, guarded, guard,
                          dem_path, feedback):
        """Per interferogram: slope (unit per km), correlation and the RMS of the removed term (the log too)."""
        unit = ("rad", "rad", "m", "mm")[stack.units]
        to_mm = mm_per_unit(stack)
        h_sd = dem_height_sd(dem_path)
        if guarded is not None:
            split = guarded.split
            b = float(split.slope[0]) / hscale * 1000.0
            se = float(split.se[0]) / hscale * 1000.0
            share = float(split.removed_share[0])
            r = guarded.span_r
            msg = (f"phase-elevation slope per date: trend {b:+.3g} {unit}/km per year (standard error {se:.3g}, "
                   f"t = {float(split.t[0]):+.1f}); {100 * share:.0f} % of the trend removed")
            feedback.pushInfo(msg)
            span = f"the per-interferogram slope against the pairs' time span: r = {r:+.2f}" if np.isfinite(r) else ""
            if share < 1.0:
                feedback.pushWarning(
                    f"the phase-elevation slope grows with time (t = {float(split.t[0]):+.1f}; {span}): deformation "
                    f"that correlates with height is in the fit; its trend is kept ({100 * (1 - share):.0f} % of "
                    "it), only the date-to-date part and the share of the trend that chance explains are removed")
            elif np.isfinite(r) and abs(r) >= 0.5:
                feedback.pushWarning(
                    f"the phase-elevation slope tracks the pairs' time span ({span}) but its trend over the dates is "
                    "within their scatter: removed as atmosphere")
        rows = []
        for i, nm in enumerate(stack.names):
            for w in range(fitted.shape[1]):
                k1 = float(fitted[i, w, 1] / hscale * 1000.0)
                rem = float(removed[i, w, 1] / hscale * 1000.0)
                row = {"interferogram": nm, "window": w, "pixels": int(normals["n"][i, w]),
                       "correlation": round(float(corr[i, w]), 4), "whole_image_fit": bool(fallback[i, w]),
                       "k1_per_km": k1, "removed_k1_per_km": rem,
                       "removed_rms_mm": abs(rem) * h_sd / 1000.0 * to_mm}
                if order == 2:
                    row["k2_per_km2"] = float(fitted[i, w, 2] / hscale ** 2 * 1e6)
                rows.append(row)
        for row in rows[:: fitted.shape[1]]:
            feedback.pushInfo(f"{row['interferogram']}: slope {row['k1_per_km']:+.3g} {unit}/km (r = "
                              f"{row['correlation']:+.2f}), removed {row['removed_k1_per_km']:+.3g} {unit}/km, "
                              f"{row['removed_rms_mm']:.3g} mm RMS")
        return rows

    def _external(self, stack, parameters, context, feedback, progress, out_dir):
        from .raster_io import raster_source

        folder = self.parameterAsFile(parameters, "DELAYS", context)
        if not os.path.isdir(folder):
            raise GeohazardError(f"DELAYS: {folder!r} is not a folder")
        files = sorted(os.path.join(folder, f) for f in os.listdir(folder)
                       if f.lower().endswith((".ztd", ".tif", ".tiff")) and not f.startswith("."))
        if not files:
            raise GeohazardError(f"DELAYS: the folder {folder!r} holds no .ztd or GeoTIFF delay map")
        dates = list(stack.network.dates)
        by_date, extra = gacos.match_dates(files, dates, name="DELAYS")
        if extra:
            feedback.pushInfo(f"DELAYS: {len(extra)} map(s) of dates not in the interferograms are ignored: "
                              + ", ".join(os.path.basename(f) for f in extra[:6]) + (" ..." if len(extra) > 6 else ""))
        inc_const = self.parameterAsDouble(parameters, "INCIDENCE_ANGLE", context)
        src = stack.sources(coherence=False)
        if parameters.get("INCIDENCE_RASTER"):
            ipath = self.raster_path(parameters, "INCIDENCE_RASTER", context)
            if not raster_info(ipath, "INCIDENCE_RASTER").same_grid(stack.info):
                raise GeohazardError("INCIDENCE_RASTER: the incidence raster is not on the interferograms' grid")
            src["incidence"] = raster_source(ipath, dtype=np.float64, name="INCIDENCE_RASTER")
        tmp = tempfile.mkdtemp(prefix="geohazard_delays_")
        try:
            warped = []
            for k, d in enumerate(dates):
                warped.append(warp_delay(by_date[d], stack.info, os.path.join(tmp, f"{d:%Y%m%d}.tif")))
                progress.set_progress(20.0 * (k + 1) / len(dates))
            src["zenith"] = StackSource(warped, GdalOpener(), dtype=np.float64)
            factor = troposphere.delay_to_data_factor(stack.units, stack.wavelength_m)
            write_corrected(stack, functools.partial(troposphere.delay_apply_block, first_index=stack.first,
                                                     second_index=stack.second, factor=factor,
                                                     incidence_deg=inc_const or None),
                            sources=src, out_dir=out_dir, alg=self, parameters=parameters, context=context,
                            feedback=feedback, progress=SubProgress(progress, 20, 100),
                            metadata={**unit_meta(stack), "CORRECTION": "external zenith delays "
                                      + os.path.basename(os.path.normpath(folder))})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return [{"interferogram": nm, "first_date_map": os.path.basename(by_date[dates[a]]),
                 "second_date_map": os.path.basename(by_date[dates[b]])}
                for nm, a, b in zip(stack.names, stack.first, stack.second)]


# ============================================================================ network modification
class ModifyNetwork(GeohazardAlgorithm):
    input_raster_files = stack_raster_files
    NAME = "modifynetwork"
    DISPLAY_NAME = "Modify network (drop interferograms)"
    GROUP_ID = "corrections"
    HELP = (
        "Chooses the interferograms that go into the time series and says why the others were dropped, as "
        "MintPy's modify_network (Yunjun et al. 2019) with LiCSBAS's loop-closure check (Morishita et al. 2020, "
        "doi:10.3390/rs12030424).\n\n"
        + STACK_HELP +
        "<b>Baselines</b> (optional): GAMMA *_bperp.par / *_base.par files or folder, for the perpendicular-baseline "
        "limit.\n"
        "<b>Criteria</b> (0 / empty = not used): maximum temporal baseline (days), maximum perpendicular baseline "
        "(m), minimum spatial mean coherence (needs COHERENCE), dates to exclude (every interferogram touching "
        "them), pairs to drop (YYYYMMDD_YYYYMMDD, comma separated), first / last date, and the <b>loop-closure "
        "misfit</b> (radians; LiCSBAS uses 1.5): for every triplet ij + jk - ik the spatial standard deviation of "
        "the closure phase is computed over the pixels whose coherence is at least <b>Loop coherence</b> (0.3, "
        "with COHERENCE) in its three interferograms, so incoherent ground does not make a loop bad. The culprits "
        "are dropped one at a time: the interferogram in the most loops above the limit and in no loop below it "
        "goes first, its loops go with it, and the count starts again, so an interferogram that only shared loops "
        "with a dropped one is kept. Run it after geohazard:unwrapclosurecorrection (as Corrected SBAS does): the "
        "loops that correction closes are good, and only what still misfits is dropped.\n"
        "<b>Connectivity</b>: a network split into subsets, or a date losing all its interferograms, is refused "
        "naming the dates, unless <b>Keep connected</b> (puts back the dropped interferograms that reconnect it, "
        "highest coherence or shortest baseline first, never those you excluded by name or date; as MintPy's "
        "keepMinSpanTree) or <b>Allow disconnected</b> (the SBAS tool bridges gaps with its minimum-norm "
        "solution).\n\n"
        "<b>Outputs</b>: a folder with the kept interferograms under their own file names (hard links to the "
        "inputs when the file system allows, else copies): give it to the next tool as INTERFEROGRAMS; the "
        "coherence folder can stay the original one (matched by date pair). Report (CSV): one row per "
        "interferogram with baselines, mean coherence, worst loop misfit, kept or not and why."
    ) + DASK_HELP

    def initAlgorithm(self, config=None):
        stack_inputs(self)
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "BASELINES", self.tr("Perpendicular baselines: GAMMA *_bperp.par / *_base.par files or folder"),
            QgsProcessing.SourceType.TypeFile, optional=True))
        params.add_network_filter_parameters(self)
        self.addParameter(QgsProcessingParameterString(
            "EXCLUDE_DATES", self.tr("Dates to exclude (YYYYMMDD, comma separated)"), optional=True))
        self.addParameter(QgsProcessingParameterString("START_DATE", self.tr("First date (YYYYMMDD)"), optional=True))
        self.addParameter(QgsProcessingParameterString("END_DATE", self.tr("Last date (YYYYMMDD)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "MAX_LOOP_MISFIT", self.tr("Maximum loop-closure misfit (radians, 0 = not checked)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            "LOOP_COHERENCE", self.tr("Loop misfit over pixels at least this coherent (with COHERENCE)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.3, minValue=0.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterBoolean(
            "KEEP_CONNECTED", self.tr("Keep the network connected (put back the best dropped interferograms)"),
            defaultValue=False))
        self.addParameter(QgsProcessingParameterBoolean(
            "ALLOW_DISCONNECTED", self.tr("Allow a disconnected network"), defaultValue=False))
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT", self.tr("Kept interferograms (folder)")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_REPORT", self.tr("Network report (CSV)"), "CSV files (*.csv)", optional=True))
        add_dask_parameter(self)

    def checkParameterValues(self, parameters, context):
        return check_stack_parameters(self, parameters, context, mintpy=False)

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        stack = Stack(self, parameters, context, feedback, baselines=True)
        net = stack.network
        min_coh = self.parameterAsDouble(parameters, "MIN_MEAN_COHERENCE", context)
        max_loop = self.parameterAsDouble(parameters, "MAX_LOOP_MISFIT", context)
        if min_coh > 0 and stack.coh_paths is None:
            raise GeohazardError("MIN_MEAN_COHERENCE: the coherence limit needs COHERENCE rasters")
        mean_coh = self._mean_coherence(stack, parameters, context, feedback, SubProgress(progress, 0, 40)) \
            if stack.coh_paths is not None else None
        triplets = network_mod.closure_triplets(net)
        misfit = None
        if max_loop > 0:
            if not len(triplets):
                feedback.pushWarning("MAX_LOOP_MISFIT: the network has no closed triplet; the loop check is skipped")
            else:
                to_rad = 1.0 if stack.units < 2 else \
                    radians_per_m(stack.wavelength_m) * (1.0 if stack.units == 2 else 1e-3)
                loop_coh = self.parameterAsDouble(parameters, "LOOP_COHERENCE", context) \
                    if stack.coh_paths is not None else 0.0
                sums = fit_pass(stack, functools.partial(network_mod.closure_sums_block, triplets=triplets,
                                                         signs=stack.signs, to_radians=to_rad,
                                                         coherence_threshold=loop_coh),
                                sources=stack.sources(coherence=loop_coh > 0), alg=self, parameters=parameters,
                                context=context, feedback=feedback, progress=SubProgress(progress, 40, 80))
                misfit = network_mod.closure_misfit(sums)
        text = {k: self.parameterAsString(parameters, k, context) or "" for k in
                ("EXCLUDE_DATES", "DROP_PAIRS", "START_DATE", "END_DATE")}
        edit = network_mod.modify_network(
            net, max_temporal_baseline_days=self.parameterAsDouble(parameters, "MAX_TEMPORAL_BASELINE", context),
            max_perp_baseline_m=self.parameterAsDouble(parameters, "MAX_PERP_BASELINE", context) or None,
            mean_coherence=mean_coh, min_mean_coherence=min_coh,
            exclude_dates=[s for s in text["EXCLUDE_DATES"].replace(";", ",").split(",")],
            exclude_pairs=[s for s in text["DROP_PAIRS"].replace(";", ",").split(",")],
            start_date=text["START_DATE"] or None, end_date=text["END_DATE"] or None,
            triplets=triplets, loop_misfit_rad=misfit, max_loop_misfit_rad=max_loop or None,
            keep_connected=self.parameterAsBool(parameters, "KEEP_CONNECTED", context),
            allow_disconnected=self.parameterAsBool(parameters, "ALLOW_DISCONNECTED", context))
        for i, why in sorted(edit.reasons.items()):
            feedback.pushInfo(f"dropped {stack.names[i]}: {why}")
        for i in edit.restored:
            feedback.pushInfo(f"put back {stack.names[i]} to keep the network connected")
        if edit.dates_out or len(edit.subsets) > 1:
            feedback.pushWarning(network_mod.disconnection_message(edit).replace("the drops disconnect", "accepted: "
                                                                                 "the drops disconnect"))
        feedback.pushInfo(f"kept {edit.n_kept} of {net.n_pairs} interferograms")
        out_dir = self.parameterAsString(parameters, "OUTPUT", context)
        os.makedirs(out_dir, exist_ok=True)
        for i in np.flatnonzero(edit.keep):
            link_or_copy(stack.paths[i], os.path.join(out_dir, os.path.basename(stack.paths[i])))
        progress.set_progress(100)
        result = {"OUTPUT": out_dir}
        rep = report_path(self, parameters, context)
        if rep:
            result["OUTPUT_REPORT"] = write_csv(rep, network_mod.edit_table(
                net, edit, mean_coherence=mean_coh, triplets=triplets, loop_misfit_rad=misfit))
        return result

    def _mean_coherence(self, stack, parameters, context, feedback, progress):
        src = {"coherence": StackSource(stack.coh_paths, GdalOpener(), dtype=np.float32)}
        sums = fit_pass(stack, network_mod.coherence_sums_block, sources=src, alg=self, parameters=parameters,
                        context=context, feedback=feedback, progress=progress)
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums["s"] / sums["n"]


# ============================================================================ reference point
class ReferencePoint(GeohazardAlgorithm):
    input_raster_files = stack_raster_files
    NAME = "referencepoint"
    DISPLAY_NAME = "Reference point (coherent and stable)"
    GROUP_ID = "corrections"
    HELP = (
        "Chooses the reference point of a time series: a pixel with data in every interferogram whose "
        "neighbourhood is coherent (MintPy reference_point: maximum average coherence) and which moves like the "
        "coherent majority of the scene: the weighted stacking rate of each pixel (Sandwell & Price 1998, "
        "doi:10.1029/1998JB900010) is compared with their median, and score = window-mean coherence x "
        "exp(-|rate - median| / (3 MAD)) is maximised. A very coherent pixel in a subsidence bowl thus loses "
        "to a coherent one outside it; where most of the scene moves (a city-wide subsidence bowl), give the "
        "<b>stable area</b> (polygons and/or mask raster): the reference is then chosen inside it. Untick "
        "<b>Stability</b> for the coherence-only choice.\n\n"
        + STACK_HELP +
        "<b>Window</b>: side of the neighbourhood (pixels, odd; 5 as the SBAS tool).\n\n"
        "<b>Outputs</b>: the point (GeoPackage in the interferograms' CRS: ROW, COL, COHERENCE, RATE in input "
        "unit per year, SCORE), REFERENCE_POINT as text 'x,y [CRS]' to wire into the SBAS tool's REFERENCE in a "
        "model, and a CSV of the best candidates."
    ) + DASK_HELP

    def initAlgorithm(self, config=None):
        stack_inputs(self)
        self.addParameter(QgsProcessingParameterNumber("WINDOW", self.tr("Window (pixels)"),
                                                       QgsProcessingParameterNumber.Type.Integer, defaultValue=5,
                                                       minValue=1, maxValue=51))
        self.addParameter(QgsProcessingParameterBoolean(
            "STABILITY", self.tr("Prefer pixels that move like the scene (stability)"), defaultValue=True))
        self.addParameter(QgsProcessingParameterVectorLayer(
            "STABLE_AREA", self.tr("Stable area (polygons)"), [QgsProcessing.SourceType.TypeVectorPolygon],
            optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer("MASK", self.tr("Mask raster (non-zero = allowed)"),
                                                           optional=True))
        self.addParameter(QgsProcessingParameterVectorDestination(
            "OUTPUT", self.tr("Reference point"), QgsProcessing.SourceType.TypeVectorPoint))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_REPORT", self.tr("Candidates (CSV)"), "CSV files (*.csv)", optional=True))
        self.addOutput(QgsProcessingOutputString("REFERENCE_POINT", self.tr("Reference point as 'x,y [CRS]'")))
        add_dask_parameter(self)

    def checkParameterValues(self, parameters, context):
        return check_stack_parameters(self, parameters, context, mintpy=False)

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        stack = Stack(self, parameters, context, feedback)
        choice = choose_reference(self, stack, parameters, context, feedback, SubProgress(progress, 0, 90),
                                  window=self.parameterAsInt(parameters, "WINDOW", context),
                                  stability=self.parameterAsBool(parameters, "STABILITY", context),
                                  allowed=read_mask(self, parameters, context, stack))
        info = stack.info
        x, y = info.pixel_centres(choice.row, choice.col)
        out = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        write_vector(out, {"ROW": np.array([choice.row]), "COL": np.array([choice.col]),
                           "COHERENCE": np.array([choice.coherence]), "RATE": np.array([choice.rate]),
                           "SCORE": np.array([choice.score])}, crs_wkt=info.crs_wkt, x=np.array([float(x)]),
                     y=np.array([float(y)]))
        authid = QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt).authid() if info.crs_wkt else ""
        text = f"{float(x)!r},{float(y)!r}" + (f" [{authid}]" if authid else "")
        feedback.pushInfo(f"Reference point: row {choice.row}, column {choice.col} ({text}); window coherence "
                          f"{choice.coherence:.3f}, rate {choice.rate:.4g} vs scene median {choice.median_rate:.4g} "
                          "(input unit per year)")
        result = {"OUTPUT": out, "REFERENCE_POINT": text}
        rep = report_path(self, parameters, context)
        if rep:
            rows = []
            for k, c in enumerate(choice.candidates, 1):
                cx, cy = info.pixel_centres(c["row"], c["col"])
                rows.append({"rank": k, **c, "x": float(cx), "y": float(cy)})
            result["OUTPUT_REPORT"] = write_csv(rep, rows)
        return result


def choose_reference(alg, stack: Stack, parameters, context, feedback, progress, *, window: int = 5,
                     stability: bool = True, allowed=None) -> reference.ReferenceChoice:
    """The coherence + stability reference of a stack (one block pass, then :func:`reference.select_reference`)."""
    h, w = stack.info.shape
    maps = {"count": np.zeros((h, w), np.int32), "sdt": np.zeros((h, w)), "dt2": np.zeros((h, w))}
    if stack.coh_paths is not None:
        maps["coh"] = np.zeros((h, w))
    span = stack.network.temporal_baseline_days / 365.25

    def put(block, out):
        for k, v in out.items():
            maps[k][block.row0:block.row1] = v

    with executor(alg, parameters, context, feedback) as ex:
        process_blocks(stack.plan(copies=3.0), functools.partial(reference.reference_sums_block, span_years=span,
                                                                 signs=stack.signs),
                       put, sources=stack.sources(coherence=True), executor=ex, progress=progress)
    rate = reference.stacking_rate(maps["sdt"], maps["dt2"])
    return reference.select_reference(maps["count"], stack.m, rate=rate, mean_coherence=maps.get("coh"),
                                      window=window, stability=stability, allowed=allowed)


ALGORITHMS = [ModifyNetwork, ReferencePoint, RampRemoval, TroposphericCorrection]
