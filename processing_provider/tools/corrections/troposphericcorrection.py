"""troposphericcorrection."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile

import numpy as np

from ....algorithms import engine
from ....algorithms.corrections import troposphere
from ....algorithms.errors import GeohazardError
from ....algorithms.formats import gacos
from ....algorithms.progress import SubProgress
from ...inputs import declare, ids, knobs, layers, stacks
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from ...io import blocks, corrections, raster
from .._base import GeohazardAlgorithm, tool
from ._common import MASK_HELP, MODES, OUTPUT_HELP, STACK_HELP, mask_inputs, output_folder

TROPO_METHODS = ["Phase-elevation, linear (DEM)", "Phase-elevation, quadratic (DEM)",
                 "External zenith delay maps (GACOS .ztd or per-date GeoTIFFs)"]


@tool("troposphericcorrection", "Tropospheric correction (phase-elevation or GACOS / zenith delay maps)",
      group="corrections",
      tags=("troposphere,atmosphere,GACOS,phase-elevation,stratified,DEM,delay,ZTD,correction,interferogram,"
            "MintPy,LiCSBAS"),
      page="corrections", former=(Alias("INCIDENCE_ANGLE", ids.INCIDENCE),), engine=True)
class TroposphericCorrection(GeohazardAlgorithm):
    FOLDER_INPUTS = stacks.STACK_LISTS
    input_raster_files = stacks.stack_raster_files
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
    )

    def initAlgorithm(self, config=None):
        declare.add_stack_parameters(self, mintpy=False)
        self.addParameter(declare.enum("METHOD", "Method", TROPO_METHODS))
        self.addParameter(declare.raster("DEM", "DEM (m, same grid; phase-elevation)", optional=True))
        self.addParameter(declare.enum("MODE", "Fit (phase-elevation)", MODES))
        self.addParameter(declare.integer("WINDOW", "Window size (pixels, 0 = whole image; phase-elevation)", 0, 0))
        self.addParameter(declare.number("CORRELATION_THRESHOLD",
                                         "Minimum phase-height correlation to correct (0 = always)", 0.0, 0.0, 1.0))
        mask_inputs(self)
        self.addParameter(declare.file("DELAYS",
                                       "Folder of zenith delay maps (GACOS .ztd + .rsc, or per-date GeoTIFFs, m)",
                                       folder=True, optional=True))
        self.addParameter(declare.raster("INCIDENCE_RASTER", "Incidence angle raster (degrees, delay maps)",
                                         optional=True))
        self.addParameter(declare.number(ids.INCIDENCE,
                                         "Incidence angle when no raster (degrees, delay maps; 0 = not given)", 0.0,
                                         0.0, 80.0))
        output_folder(self, "Tropospheric-corrected interferograms (folder)")

    def check(self, parameters, context):
        stacks.check_stack(self, parameters, context)
        method = self.parameterAsEnum(parameters, "METHOD", context)
        if method < 2 and not parameters.get("DEM"):
            raise GeohazardError("DEM: the phase-elevation correction needs a DEM (heights in metres on the "
                                 "interferograms' grid)")
        if method == 2 and not parameters.get("DELAYS"):
            raise GeohazardError("DELAYS: give the folder of zenith delay maps (GACOS YYYYMMDD.ztd + .rsc or GeoTIFFs)")
        if method == 2 and not parameters.get("INCIDENCE_RASTER") and \
                not self.parameterAsDouble(parameters, ids.INCIDENCE, context):
            raise GeohazardError("INCIDENCE_RASTER / INCIDENCE: the zenith delays are projected to the line of "
                                 "sight with the incidence angle; give a raster or a constant angle in degrees")

    def process(self, parameters, context, feedback):
        progress, run = FeedbackProgress(feedback), knobs.run_settings(self, parameters, context)
        stack = corrections.Stack(stacks.gather_stack(self, parameters, context, allow_mintpy=False, baselines=False,
                                                      feedback=feedback),
                                  run.max_memory_mb)
        method = self.parameterAsEnum(parameters, "METHOD", context)
        out_dir = self.parameterAsString(parameters, "OUTPUT", context)
        if method == 2:
            rows = self._external(stack, parameters, context, feedback, progress, out_dir, run)
        else:
            rows = self._phase_elevation(stack, method + 1, parameters, context, feedback, progress, out_dir, run)
        result = {"OUTPUT": out_dir}
        rep = layers.optional_file(self, parameters, "OUTPUT_REPORT", context)
        if rep:
            result["OUTPUT_REPORT"] = corrections.write_csv(rep, rows)
        return result

    def _dem(self, parameters, context, stack):
        path = self.raster_path(parameters, "DEM", context)
        return path, troposphere.height_scaling(*corrections.dem_height_range(path, stack.info))

    def _phase_elevation(self, stack, order, parameters, context, feedback, progress, out_dir, run):
        from ...io.blocks import raster_source

        dem_path, (h0, hscale) = self._dem(parameters, context, stack)
        thr = self.parameterAsDouble(parameters, "COHERENCE_THRESHOLD", context)
        layout = troposphere.window_layout(stack.info.shape, self.parameterAsInt(parameters, "WINDOW", context))
        mask = layers.fit_mask(self, parameters, context, stack.info)
        dem_src = raster_source(dem_path, dtype=np.float64, name="DEM")
        per_date = self.parameterAsEnum(parameters, "MODE", context) == 1
        min_px = self.parameterAsInt(parameters, "MIN_PIXELS", context)
        corr_thr = self.parameterAsDouble(parameters, "CORRELATION_THRESHOLD", context)
        mask_name = "STABLE_AREA / MASK / COHERENCE_THRESHOLD"
        n_win = layout[0] * layout[1]
        meta = {**corrections.unit_meta(stack),
                "CORRECTION": f"phase-elevation order {order}" + (" per date" if per_date else "")
                + (f", windows {layout[2]} px" if n_win > 1 else "")}
        # whole interferograms in memory when they fit: per interferogram, each is read once, fitted and
        # corrected; per date, two passes over them. The DEM is then read once for all of them (its scaled
        # heights and terms: 17 bytes a pixel)
        plan = stack.group_plan(shared_bytes=40.0 if n_win == 1 else 96.0)
        feedback.pushInfo(corrections.describe_plan(plan, one_read=not per_date))
        heights = {"dem": dem_src} if plan is None else \
            troposphere.height_inputs(dem_src.read(0, stack.info.height, stack.info.width), h0, hscale)
        if plan is not None and not per_date:
            src = {**stack.sources(coherence=thr > 0), **corrections.mask_sources(mask), **heights}
            _, got = corrections.write_corrected(
                stack, functools.partial(troposphere.elevation_fit_apply_block, order=order, h0=h0, hscale=hscale,
                                         layout=layout, coherence_threshold=thr, correlation_threshold=corr_thr,
                                         min_pixels=min_px, names=stack.names, mask_name=mask_name),
                sources=src, out_dir=out_dir, run=run,
                progress=progress, metadata=meta, plan=plan, collect=("coef", "correlation", "fallback", "n"))
            coef, corr, fallback, normals = got["coef"], got["correlation"], got["fallback"], {"n": got["n"]}
        else:  # per date (every interferogram's fit first), or images too big for the memory budget: two passes
            src = {**stack.sources(coherence=thr > 0), **corrections.mask_sources(mask), **heights}
            normals = corrections.fit_pass(stack, functools.partial(troposphere.elevation_normal_block, order=order,
                                                                    h0=h0,
                                                        hscale=hscale, layout=layout, coherence_threshold=thr),
                                           sources=src, run=run,
                                           progress=SubProgress(progress, 0, 45), plan=plan)
            coef, corr, fallback = troposphere.solve_elevation(normals, names=stack.names, min_pixels=min_px,
                                                               correlation_threshold=corr_thr, mask_name=mask_name)
            if per_date:
                coef = troposphere.elevation_per_date(coef, stack.network.ref_index, stack.network.sec_index,
                                                      stack.network.n_dates, stack.signs)
            corrections.write_corrected(stack, functools.partial(troposphere.elevation_apply_block, coef=coef,
                                                                 order=order, h0=h0,
                                                                 hscale=hscale, layout=layout, delay=False),
                                        sources={**stack.sources(coherence=False), **heights}, out_dir=out_dir, run=run,
                                        progress=SubProgress(progress, 45, 100), metadata=meta, plan=plan)
        if n_win > 1:
            feedback.pushInfo(f"{layout[0]} x {layout[1]} windows of {layout[2]} px; "
                              f"{int(fallback.sum())} of {fallback.size} interferogram-windows used the "
                              "whole-image fit")
        rows = []
        for i, nm in enumerate(stack.names):
            for w in range(n_win):
                row = {"interferogram": nm, "window": w, "pixels": int(normals["n"][i, w]),
                       "correlation": round(float(corr[i, w]), 4), "whole_image_fit": bool(fallback[i, w]),
                       "k1_per_km": float(coef[i, w, 1] / hscale * 1000.0)}
                if order == 2:
                    row["k2_per_km2"] = float(coef[i, w, 2] / hscale ** 2 * 1e6)
                rows.append(row)
        return rows

    def _external(self, stack, parameters, context, feedback, progress, out_dir, run):
        from ...io.blocks import raster_source

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
        inc_const = self.parameterAsDouble(parameters, ids.INCIDENCE, context)
        src = stack.sources(coherence=False)
        if parameters.get("INCIDENCE_RASTER"):
            ipath = self.raster_path(parameters, "INCIDENCE_RASTER", context)
            if not raster.raster_info(ipath, "INCIDENCE_RASTER").same_grid(stack.info):
                raise GeohazardError("INCIDENCE_RASTER: the incidence raster is not on the interferograms' grid")
            src["incidence"] = raster_source(ipath, dtype=np.float64, name="INCIDENCE_RASTER")
        tmp = tempfile.mkdtemp(prefix="geohazard_delays_")
        try:
            warped = []
            for k, d in enumerate(dates):
                warped.append(corrections.warp_delay(by_date[d], stack.info, os.path.join(tmp, f"{d:%Y%m%d}.tif")))
                progress.set_progress(20.0 * (k + 1) / len(dates))
            src["zenith"] = engine.StackSource(warped, blocks.GdalOpener(), dtype=np.float64)
            factor = troposphere.delay_to_data_factor(stack.units, stack.wavelength_m)
            corrections.write_corrected(stack, functools.partial(troposphere.delay_apply_block, first_index=stack.first,
                                                                 second_index=stack.second, factor=factor,
                                                                 incidence_deg=inc_const or None),
                                        sources=src, out_dir=out_dir, run=run, progress=SubProgress(progress, 20, 100),
                            metadata={**corrections.unit_meta(stack), "CORRECTION": "external zenith delays "
                                      + os.path.basename(os.path.normpath(folder))})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return [{"interferogram": nm, "first_date_map": os.path.basename(by_date[dates[a]]),
                 "second_date_map": os.path.basename(by_date[dates[b]])}
                for nm, a, b in zip(stack.names, stack.first, stack.second)]
