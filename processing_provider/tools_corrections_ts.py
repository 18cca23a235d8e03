"""Corrections of interferogram stacks and time series (issue 16, part B): unwrapping errors by
phase closure, DEM error, PCA atmosphere."""

from __future__ import annotations

import contextlib
import csv
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

from ..algorithms.conventions import phase_to_los_mm
from ..algorithms.corrections.closure import (
    ClosureStats,
    closure_block,
    closure_offsets,
    loop_statistics,
    loop_table,
    network_triplets,
)
from ..algorithms.corrections.dem_error import (
    check_design,
    dem_error_engine_block,
    design_matrix,
    read_date_baselines,
)
from ..algorithms.corrections.pca import pca_engine_block, smooth_model
from ..algorithms.engine import CallableSource, max_memory_bytes, plan_blocks, process_blocks
from ..algorithms.errors import GeohazardError
from ..algorithms.formats.dates import parse_date
from ..algorithms.progress import SubProgress
from .base import DOCS_URL, GeohazardAlgorithm
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter, executor
from .feedback import FeedbackProgress
from .raster_io import RasterWriter, check_same_grid, raster_info, raster_source
from .styles import style_raster_diverging, style_raster_sequential
from .tools_models import raster_dates
from .tools_timeseries import (
    INPUT_UNITS,
    UNITS_HELP,
    expand_file_inputs,
    expand_raster_inputs,
    gather_stack,
    ignored_report,
)
from .wavelength import wavelength_parameter


# ============================================================================ shared stack input
class CorrectionAlgorithm(GeohazardAlgorithm):
    """Documented in docs/corrections.md, with the corrections of part A."""

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


def stack_input_files(alg, parameters, context) -> dict:
    """The raster files read (for the guard layer): folders filtered as the tools do."""
    return {"INTERFEROGRAMS": expand_raster_inputs(alg, parameters, "INTERFEROGRAMS", context, want="ifg"),
            "COHERENCE": expand_raster_inputs(alg, parameters, "COHERENCE", context, want="coh")}


def correction_stack(alg, parameters, context, feedback):
    """The interferograms as a :class:`~.tools_timeseries.StackInput` (LOS mm, network order)."""
    return gather_stack(alg, parameters, context, allow_mintpy=False, baselines=False, feedback=feedback)


def check_stack(alg, parameters, context, skip=()) -> tuple:
    for d in alg.parameterDefinitions():  # folders are accepted for the raster lists
        if d.name() in ("INTERFEROGRAMS", "COHERENCE", "BASELINES") + tuple(skip) or d.isDestination():
            continue
        if not d.checkValueIsAcceptable(parameters.get(d.name()), context):
            return False, alg.tr("Incorrect parameter value for {}").format(d.name())
    try:
        files = stack_input_files(alg, parameters, context)
        if not files["INTERFEROGRAMS"]:
            return False, "INTERFEROGRAMS: give a folder or a list of unwrapped interferograms"
        from ..algorithms.formats.dates import parse_date_pair

        for p in files["INTERFEROGRAMS"]:
            parse_date_pair(p)
    except GeohazardError as exc:
        return False, str(exc)
    return True, ""


def mm_per_file_unit(stack, k: int) -> float:
    """LOS mm (network orientation) per unit of the file of network interferogram ``k``."""
    if stack.units in (0, 1):
        f = float(phase_to_los_mm(np.array([1.0]), stack.wavelength_m, phase_sign=-1 if stack.units == 0 else 1)[0])
    else:
        f = 1000.0 if stack.units == 2 else 1.0
    return f * float(stack.signs[k])


def output_name(path: str) -> str:
    """The input's file name, as a GeoTIFF (``.tif`` replaces another extension)."""
    base = os.path.basename(path)
    stem, ext = os.path.splitext(base)
    return base if ext.lower() in (".tif", ".tiff") else stem + ".tif"


def check_output_folder(out_dir: str, inputs) -> None:
    real = os.path.realpath(out_dir)
    for p in inputs:
        if os.path.realpath(os.path.dirname(p)) == real:
            raise GeohazardError(f"OUTPUT: the folder {out_dir!r} holds the input interferograms; the corrected ones "
                                 "keep the same file names, so choose another (empty) folder")


def write_csv(path: str, rows: list) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


# ============================================================================ unwrapping errors
class UnwrapClosureCorrection(CorrectionAlgorithm):
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
        "optional coherence with MIN_COHERENCE (values below it are neither used nor corrected), the unit/sign of "
        "the files.\n" + UNITS_HELP +
        "<b>Reference</b>: none is needed. The non-integer part of each loop's closure common to the network "
        "(interferograms referenced to different points, a constant phase bias) is estimated as the circular mean "
        "over a sample of rows and removed before rounding, so no single reference pixel (which could itself carry "
        "an unwrapping error) decides the integer closures. The outputs keep the input's own reference: only whole "
        "cycles are added.\n"
        "<b>Maximum cycles</b> (default 3): largest correction of one interferogram at one pixel.\n"
        "<b>Bad-loop threshold</b> (default 1.5 rad, LiCSBAS loop_thre): a loop whose RMS closure is at or above it "
        "is bad; an interferogram in bad loops only is flagged bad.\n\n"
        "<b>Outputs</b>: OUTPUT folder with the corrected interferograms under the same file names (GeoTIFF, same "
        "unit and sign as the input); number of cycles corrected per pixel (sum over interferograms); number of "
        "non-closing loops (|closure| > pi) per pixel, band 1 before and band 2 after correction; a CSV per "
        "interferogram: loops, bad loops, mean RMS closure (rad), share of its loops' pixels with |closure| > pi "
        "before and after, corrected pixels, bad flag; optional CSV per loop (LiCSBAS loop_info: its three "
        "interferograms, pixels, RMS closure, shares before and after, bad)."
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
        p = QgsProcessingParameterNumber("MAX_MEMORY_MB", self.tr("Memory for one block (MB)"),
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
        progress = FeedbackProgress(feedback)
        stack = correction_stack(self, parameters, context, feedback)
        for line in ignored_report(stack.ignored):
            feedback.pushInfo(line)
        net, info = stack.network, stack.info
        triplets = network_triplets(net.pairs)
        out_dir = self.parameterAsString(parameters, "OUTPUT", context)
        check_output_folder(out_dir, stack.paths)
        os.makedirs(out_dir, exist_ok=True)
        memory = self.parameterAsDouble(parameters, "MAX_MEMORY_MB", context)
        # per pixel: the float64 block (corrected in place), the float32 read, integer cycles and flags,
        # the loops' int16 keys (closures are computed in the kernels, never stored as floats)
        bpp = net.n_pairs * 16.0 + triplets.n * 4.0
        plan = plan_blocks(info.height, info.width, bytes_per_pixel=bpp, max_memory_mb=memory)
        cycle_mm = stack.wavelength_m * 1000.0 / 2.0
        sample = np.unique(np.linspace(0, info.height - 1, min(info.height, 64)).astype(int))
        step = max(1, info.width * sample.size // 20000)  # ~20 000 pixels are plenty for a median per loop
        offsets = closure_offsets(np.concatenate([stack.read(int(r), int(r) + 1)[0][:, :, ::step] for r in sample],
                                                 axis=1), triplets,
                                  cycle_mm=cycle_mm)
        feedback.pushInfo(f"{net.n_pairs} interferograms, {triplets.n} closure loops (triplets); closure common to "
                          "the network (offsets of the interferograms), removed before rounding (cycles): "
                          + ", ".join(f"{o:+.2f}" for o in offsets[:12]) + (" ..." if offsets.size > 12 else ""))
        min_coh = self.parameterAsDouble(parameters, "MIN_COHERENCE", context)
        if min_coh > 0 and not stack.has_coherence:
            raise GeohazardError("MIN_COHERENCE needs COHERENCE rasters")
        need_coh = min_coh > 0
        func = functools.partial(
            closure_block, triplets=triplets, cycle_mm=cycle_mm, closure_offset=offsets, min_coherence=min_coh,
            max_cycles=self.parameterAsInt(parameters, "MAX_CYCLES", context),
            max_residual_rad=self.parameterAsDouble(parameters, "MAX_RESIDUAL_RAD", context))
        stats = ClosureStats(triplets.n)
        factors = np.array([mm_per_file_unit(stack, k) for k in range(net.n_pairs)])
        in_paths = [stack.paths[i] for i in stack.order]
        out_paths = [os.path.join(out_dir, output_name(p)) for p in in_paths]
        if len(set(out_paths)) != len(out_paths):
            raise GeohazardError("INTERFEROGRAMS: two interferograms have the same file name (in different folders); "
                                 "the corrected ones are written under the input names into one folder")
        results = {"OUTPUT": out_dir}
        extra = {k: self.parameterAsOutputLayer(parameters, k, context)
                 for k in ("OUTPUT_CYCLES", "OUTPUT_NONCLOSING") if parameters.get(k)}
        stats_path = self.parameterAsFileOutput(parameters, "OUTPUT_STATS", context) \
            if parameters.get("OUTPUT_STATS") else ""
        meta = {"UNWRAP_CORRECTION": "phase closure (Yunjun et al. 2019)"}
        with contextlib.ExitStack() as outs:
            writers = [outs.enter_context(RasterWriter.like(p, info, descriptions=[net.names[k]], metadata=meta))
                       for k, p in enumerate(out_paths)]
            w_cyc = outs.enter_context(RasterWriter.like(extra["OUTPUT_CYCLES"], info, dtype=np.int16, nodata=-1)) \
                if "OUTPUT_CYCLES" in extra else None
            w_nc = outs.enter_context(RasterWriter.like(extra["OUTPUT_NONCLOSING"], info, count=2, dtype=np.int16,
                                                        nodata=-1, descriptions=["before", "after"])) \
                if "OUTPUT_NONCLOSING" in extra else None

            def write(block, out):
                corr = out["corrected_mm"]
                for k, w in enumerate(writers):
                    w.write((corr[k] / factors[k]).astype(np.float32), row=block.row0)
                none = out["n_loops"] == 0
                if w_cyc is not None:
                    w_cyc.write(np.where(none, -1, out["n_cycles"]).astype(np.int16), row=block.row0)
                if w_nc is not None:
                    w_nc.write(np.stack([np.where(none, -1, out["n_nonclosing"]),
                                         np.where(none, -1, out["n_nonclosing_after"])]).astype(np.int16),
                               row=block.row0)
                stats.add(out)

            with executor(self, parameters, context, feedback) as ex:
                sources = {"stack": CallableSource(lambda r0, r1: stack.read(r0, r1)[0])}
                if need_coh:
                    sources["coherence"] = CallableSource(lambda r0, r1: stack.read(r0, r1, coherence=True)[1])
                process_blocks(plan, func, write, sources=sources, executor=ex, progress=SubProgress(progress, 5, 100),
                               background_write=True)
            threshold = self.parameterAsDouble(parameters, "LOOP_THRESHOLD_RAD", context)
            rows_csv = loop_statistics(stats, triplets, list(net.names), loop_threshold_rad=threshold)
            if stats_path:
                write_csv(stats_path, rows_csv)
                results["OUTPUT_STATS"] = stats_path
            if parameters.get("OUTPUT_LOOPS"):
                loops_path = self.parameterAsFileOutput(parameters, "OUTPUT_LOOPS", context)
                write_csv(loops_path, loop_table(stats, triplets, list(net.names), loop_threshold_rad=threshold))
                results["OUTPUT_LOOPS"] = loops_path
            for w in writers + [w for w in (w_cyc, w_nc) if w is not None]:
                w.commit()
        bad = [r["interferogram"] for r in rows_csv if r["bad"]]
        feedback.pushInfo(f"corrected {stats.corrected_pixels} pixel(s) ({int(stats.corrected.sum())} interferogram "
                          f"values); {stats.ambiguous_pixels} pixel(s) with non-closing loops left unchanged "
                          "(ambiguous)")
        if bad:
            feedback.pushWarning(f"{len(bad)} interferogram(s) only in bad loops (RMS closure >= threshold): "
                                 + ", ".join(bad[:8]) + (" ..." if len(bad) > 8 else ""))
        results.update(extra)
        if "OUTPUT_CYCLES" in extra:
            style_raster_sequential(extra["OUTPUT_CYCLES"], context=context, vmin=0, ramp_name="Magma")
        if "OUTPUT_NONCLOSING" in extra:
            style_raster_sequential(extra["OUTPUT_NONCLOSING"], context=context, vmin=0, ramp_name="Magma")
        return results


# ============================================================================ DEM error
class DemErrorCorrection(CorrectionAlgorithm):
    OVERLAP = (("INPUT", "INCIDENCE_RASTER"), ("INPUT", "SLANT_RANGE_RASTER"))
    NAME = "demerrorcorrection"
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
        "sign: the series holds + B_perp / (R sin inc) * dz), RMS of the fit residual (mm). Dates without data at a "
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

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        try:
            if not expand_file_inputs(parameters.get("BASELINES")):
                return False, ("BASELINES: the DEM-error correction needs the perpendicular baselines of the dates "
                               "(CSV date,bperp_m; MintPy timeseries.h5 / ifgramStack.h5; GAMMA .par; ISCE folder)")
            self._steps(parameters, context)
        except GeohazardError as exc:
            return False, str(exc)
        return True, ""

    def _steps(self, parameters, context) -> list:
        return parse_step_dates(self, parameters, context)

    def process(self, parameters, context, feedback):
        info = self.raster_info(parameters, "INPUT", context)
        dates = raster_dates(info, "INPUT")
        bperp = read_date_baselines(expand_file_inputs(parameters.get("BASELINES")), dates)
        g = design_matrix(dates, bperp, poly_order=self.parameterAsInt(parameters, "POLY_ORDER", context),
                          step_dates=self._steps(parameters, context))
        check_design(g)
        feedback.pushInfo("perpendicular baselines (m) of the dates: " + ", ".join(f"{b:+.1f}" for b in bperp))
        sources = {"series": raster_source(info.path, bands=None, dtype=np.float64, name="INPUT")}
        grids = [info]
        for key, name in (("SLANT_RANGE_RASTER", "slant_range"), ("INCIDENCE_RASTER", "incidence")):
            if parameters.get(key):
                path = self.raster_path(parameters, key, context)
                grids.append(raster_info(path, key))
                sources[name] = raster_source(path, dtype=np.float64, name=key)
        check_same_grid(grids, ["INPUT"] + [k for k in ("SLANT_RANGE_RASTER", "INCIDENCE_RASTER") if parameters.get(k)])
        func = functools.partial(dem_error_engine_block, g=g,
                                 slant_range_m=self.parameterAsDouble(parameters, "SLANT_RANGE", context),
                                 incidence_deg=self.parameterAsDouble(parameters, "INCIDENCE", context))
        paths = {k: self.parameterAsOutputLayer(parameters, k, context)
                 for k in ("OUTPUT", "OUTPUT_DEM_ERROR", "OUTPUT_RESIDUAL") if parameters.get(k)}
        meta = {"DEM_ERROR_CORRECTION": "Fattahi & Amelung 2013", "BPERP_M": ",".join(f"{b:.3f}" for b in bperp)}
        from .raster_io import open_raster

        ds = open_raster(info.path, "INPUT")
        meta.update({k: v for k, v in (ds.GetMetadata() or {}).items() if k.startswith("REFERENCE")})
        ds = None
        plan = plan_blocks(info.height, info.width, bytes_per_pixel=len(dates) * 8.0 * 5)
        with contextlib.ExitStack() as outs:
            w_ts = outs.enter_context(RasterWriter.like(paths["OUTPUT"], info, count=len(dates),
                                                        descriptions=[d.isoformat() for d in dates], metadata=meta))
            w_dz = outs.enter_context(RasterWriter.like(paths["OUTPUT_DEM_ERROR"], info))
            w_res = outs.enter_context(RasterWriter.like(paths["OUTPUT_RESIDUAL"], info)) \
                if "OUTPUT_RESIDUAL" in paths else None

            def write(block, out):
                w_ts.write(out["corrected_mm"].astype(np.float32), row=block.row0)
                w_dz.write(out["dem_error_m"].astype(np.float32), row=block.row0)
                if w_res is not None:
                    w_res.write(out["residual_rms_mm"].astype(np.float32), row=block.row0)

            with executor(self, parameters, context, feedback) as ex:
                process_blocks(plan, func, write, sources=sources, executor=ex, progress=FeedbackProgress(feedback),
                               background_write=True)
            for w in (w_ts, w_dz, w_res):
                if w is not None:
                    w.commit()
        style_raster_diverging(paths["OUTPUT"], context=context, band=len(dates))
        style_raster_diverging(paths["OUTPUT_DEM_ERROR"], context=context)
        return paths


def parse_step_dates(alg, parameters, context) -> list:
    text = alg.parameterAsString(parameters, "STEP_DATES", context) or ""
    out = []
    for item in text.replace(";", ",").split(","):
        if item.strip():
            try:
                out.append(parse_date(item.strip()))
            except GeohazardError:
                raise GeohazardError(f"STEP_DATES: {item.strip()!r} is not a date (YYYY-MM-DD)") from None
    return out


# ============================================================================ PCA atmosphere
class PcaAtmosphere(CorrectionAlgorithm):
    NAME = "pcaatmosphere"
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
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        try:
            parse_step_dates(self, parameters, context)
        except GeohazardError as exc:
            return False, str(exc)
        return True, ""

    def process(self, parameters, context, feedback):
        info = self.raster_info(parameters, "INPUT", context)
        dates = raster_dates(info, "INPUT")
        g = smooth_model(dates, annual=self.parameterAsBool(parameters, "ANNUAL", context),
                         poly_order=self.parameterAsInt(parameters, "POLY_ORDER", context),
                         step_dates=parse_step_dates(self, parameters, context))
        tile = self.parameterAsInt(parameters, "TILE_PIXELS", context)
        func = functools.partial(pca_engine_block, g=g, tile=tile,
                                 max_autocorr=self.parameterAsDouble(parameters, "MAX_AUTOCORR", context))
        per_row = info.width * len(dates) * 4.0 * 3  # float32 input, delay and output
        rows = max(1, int(max_memory_bytes() // max(per_row * tile, 1)) - 2) * tile  # 2 tiles of halo
        # overlapping tiles reach one tile beyond a block's rows: halo = tile (the result does not
        # depend on the blocks)
        plan = plan_blocks(info.height, info.width, block_rows=min(rows, max(tile, info.height)), halo=tile)
        paths = {k: self.parameterAsOutputLayer(parameters, k, context)
                 for k in ("OUTPUT", "OUTPUT_ATMOSPHERE", "OUTPUT_COMPONENTS") if parameters.get(k)}
        desc = [d.isoformat() for d in dates]
        meta = {"PCA_ATMOSPHERE": f"tile {tile} px, max autocorrelation "
                                  f"{self.parameterAsDouble(parameters, 'MAX_AUTOCORR', context)}"}
        from .raster_io import open_raster

        ds = open_raster(info.path, "INPUT")
        meta.update({k: v for k, v in (ds.GetMetadata() or {}).items() if k.startswith("REFERENCE")})
        ds = None
        with contextlib.ExitStack() as outs:
            w_ts = outs.enter_context(RasterWriter.like(paths["OUTPUT"], info, count=len(dates), descriptions=desc,
                                                        metadata=meta))
            w_atm = outs.enter_context(RasterWriter.like(paths["OUTPUT_ATMOSPHERE"], info, count=len(dates),
                                                         descriptions=desc)) if "OUTPUT_ATMOSPHERE" in paths else None
            w_n = outs.enter_context(RasterWriter.like(paths["OUTPUT_COMPONENTS"], info)) \
                if "OUTPUT_COMPONENTS" in paths else None

            def write(block, out):
                w_ts.write(out["corrected_mm"].astype(np.float32), row=block.row0)
                if w_atm is not None:
                    w_atm.write(out["atmosphere_mm"].astype(np.float32), row=block.row0)
                if w_n is not None:
                    w_n.write(out["n_removed"].astype(np.float32), row=block.row0)

            with executor(self, parameters, context, feedback) as ex:
                process_blocks(plan, func, write, executor=ex, progress=FeedbackProgress(feedback),
                               sources={"series": raster_source(info.path, bands=None, dtype=np.float32, name="INPUT")},
                               background_write=True)
            for w in (w_ts, w_atm, w_n):
                if w is not None:
                    w.commit()
        style_raster_diverging(paths["OUTPUT"], context=context, band=len(dates))
        return paths


ALGORITHMS = [UnwrapClosureCorrection, DemErrorCorrection, PcaAtmosphere]
