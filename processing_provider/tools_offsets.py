"""Offset tracking tools: dense offsets from image pairs (offsettracking) and their time series (offsettimeseries)."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingUtils,
)

from ..algorithms.engine import plan_blocks, process_blocks
from ..algorithms.errors import GeohazardError
from ..algorithms.formats.dates import date_to_str, decimal_years, parse_date_pair
from ..algorithms.kinematics import offset_timeseries as _ots
from ..algorithms.kinematics import offsets as _off
from ..algorithms.progress import SubProgress
from .base import DOCS_URL, GeohazardAlgorithm
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter, executor
from .feedback import FeedbackProgress
from .io.offsets import SignedStack, output_info, rasterize_stable, warp_onto
from .io.stacks import expand_raster_inputs
from .raster_io import (
    RasterInfo,
    RasterWriter,
    check_same_grid,
    optional_writer,
    raster_info,
    raster_source,
    read_band,
    require_projected,
)
from .styles import style_raster_sequential


class _KinematicsHelp:
    """Offset tools document themselves in docs/kinematics.md with the other kinematics tools."""

    def helpUrl(self) -> str:
        return DOCS_URL.format("kinematics")


class OffsetTracking(_KinematicsHelp, GeohazardAlgorithm):
    NAME = "offsettracking"
    DISPLAY_NAME = "Offset tracking (image cross-correlation)"
    GROUP_ID = "kinematics"
    MULTIBAND_INPUTS = ("REFERENCE_IMAGE", "SECONDARY")
    OVERLAP = (("REFERENCE_IMAGE", "SECONDARY"), ("REFERENCE_IMAGE", "STABLE_POLYGONS"),
               ("REFERENCE_IMAGE", "STABLE_MASK"))
    HELP = (
        "Measures the displacement between two co-registered images (SAR amplitude, or optical GeoTIFF such as "
        "Sentinel-2 band 8 or a hillshade) by normalised cross-correlation (NCC) of windows: fast landslides, "
        "glaciers, dunes, co-seismic offsets, where InSAR phase decorrelates.\n\n"
        "<b>Reference / secondary image</b> and their bands. They must be on the same grid; if they are not, "
        "tick <b>Resample the secondary onto the reference grid</b> (cubic, through a virtual warp; sub-pixel "
        "accuracy then depends on that resampling) or co-register them first.\n"
        "<b>Window</b> (px, default 64): side of the correlation window; larger is more robust and smoother. "
        "<b>Search range</b> (px, default 16): largest offset searched along each axis; must exceed the largest "
        "motion. <b>Step</b> (px, default 16): output spacing.\n"
        "<b>Sub-pixel method</b>: 'dft' (default) = upsampled DFT of the cross-power spectrum (Guizar-Sicairos "
        "et al. 2008, doi:10.1364/OL.33.000156) on Hann-tapered windows, 0.005-0.04 px RMS on our synthetic "
        "tests; 'parabolic'/'gaussian' = 3-point fit of the NCC peak (faster, ~0.02-0.05 px, biased toward "
        "whole pixels).\n"
        "<b>High-pass filter</b> (px, default 4; 0 = off): subtracts a Gaussian blur before matching, so shading "
        "and large-scale brightness do not dominate the correlation (without it, unrelated windows of natural "
        "terrain correlate at 0.4-0.75 and pass any threshold).\n"
        "<b>Quality</b>: a cell is kept only when its NCC peak >= <b>Minimum NCC</b> (default 0.25) and the peak "
        "ratio (highest / second-highest local maximum, 1 = ambiguous) >= <b>Minimum peak ratio</b> (default "
        "1.5). On pairs of unrelated images, 95 % of cells fall below these with a 64 px window; smaller windows "
        "need higher thresholds. Featureless windows, peaks on the search border and nodata are refused too: a "
        "window is featureless when one of its sub-blocks (4 x 4 grid, at least 8 x 8 px each) has a standard "
        "deviation within 1.09-1.18 x the image's noise (a snow or cloud patch with sensor noise), the noise being "
        "estimated from the images themselves (Immerkaer 1996, doi:10.1006/cviu.1996.0060, on each image and on "
        "their difference; logged). Then the "
        "<b>normalised median test</b> (Westerweel & Scarano 2005, doi:10.1007/s00348-005-0016-6; threshold 2, "
        "eps 0.1 px) removes vectors unlike their 3 x 3 neighbours. Refused cells are NaN: featureless or noisy "
        "areas give no offset, never a confident wrong one.\n"
        "<b>Stable area</b> (polygons) or <b>stable mask</b> (raster on the reference grid, non-zero = stable; "
        "both together: their union): the median offset over stable cells (co-registration or mosaicking "
        "residual) is subtracted and reported.\n"
        "<b>Geometry</b>: 'map' gives east/north offsets in metres from the georeferencing (projected CRS "
        "needed); 'radar' gives range/azimuth offsets in metres from the range and azimuth pixel spacings you "
        "give (slant or ground range, as you give it).\n\n"
        "Outputs: <b>Offsets</b> on the output grid, 7 bands: east (or range) m, north (or azimuth) m, magnitude "
        "m, direction (degrees clockwise from north, or from +azimuth toward +range), column offset px, row "
        "offset px (reference -> secondary: a feature at (row, col) of the reference is at (row + dy, col + dx) "
        "of the secondary; rows grow southward in a north-up map), NCC. <b>Quality</b> (optional), 4 bands: NCC, "
        "peak ratio, SNR (peak / mean |NCC|), flag (0 valid, 1 outside/nodata, 2 flat, 3 peak on the search "
        "border, 4 low NCC, 5 ambiguous, 6 median-test outlier). Divide by the time between the images for a "
        "velocity, or feed several pairs to 'Offset time series'.\n"
        "Checked against: synthetic pairs (three textures, shifts and rotations) and scikit-image's "
        "phase_cross_correlation on the same windows (docs/kinematics.md).\n"
        "References: Lewis (1995) fast normalized cross-correlation; Debella-Gilo & Kaab (2011) "
        "doi:10.1016/j.rse.2010.08.012."
    ) + DASK_HELP

    REFERENCE_IMAGE = "REFERENCE_IMAGE"
    SECONDARY = "SECONDARY"
    BAND_REFERENCE = "BAND_REFERENCE"
    BAND_SECONDARY = "BAND_SECONDARY"
    RESAMPLE = "RESAMPLE"
    WINDOW = "WINDOW"
    SEARCH = "SEARCH"
    STEP = "STEP"
    SUBPIXEL = "SUBPIXEL"
    HIGHPASS = "HIGHPASS"
    MIN_NCC = "MIN_NCC"
    MIN_PEAK_RATIO = "MIN_PEAK_RATIO"
    MEDIAN_TEST = "MEDIAN_TEST"
    MEDIAN_THRESHOLD = "MEDIAN_THRESHOLD"
    STABLE_POLYGONS = "STABLE_POLYGONS"
    STABLE_MASK = "STABLE_MASK"
    GEOMETRY = "GEOMETRY"
    RANGE_SPACING = "RANGE_SPACING"
    AZIMUTH_SPACING = "AZIMUTH_SPACING"
    OUTPUT = "OUTPUT"
    OUTPUT_QUALITY = "OUTPUT_QUALITY"
    GEOMETRIES = ["map (east / north from the georeferencing)", "radar (range / azimuth from pixel spacings)"]

    def initAlgorithm(self, config=None):
        num, integer = QgsProcessingParameterNumber.Type.Double, QgsProcessingParameterNumber.Type.Integer
        self.addParameter(QgsProcessingParameterRasterLayer(self.REFERENCE_IMAGE, self.tr("Reference image (earlier)")))
        self.addParameter(QgsProcessingParameterRasterLayer(self.SECONDARY, self.tr("Secondary image (later)")))
        self.addParameter(QgsProcessingParameterNumber(self.BAND_REFERENCE, self.tr("Reference band"), integer,
                                                       defaultValue=1, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(self.BAND_SECONDARY, self.tr("Secondary band"), integer,
                                                       defaultValue=1, minValue=1))
        self.addParameter(QgsProcessingParameterBoolean(
            self.RESAMPLE, self.tr("Resample the secondary onto the reference grid when the grids differ"),
            defaultValue=False))
        self.addParameter(QgsProcessingParameterNumber(self.WINDOW, self.tr("Window (pixels)"), integer,
                                                       defaultValue=64, minValue=8, maxValue=1024))
        self.addParameter(QgsProcessingParameterNumber(self.SEARCH, self.tr("Search range (pixels)"), integer,
                                                       defaultValue=16, minValue=1, maxValue=512))
        self.addParameter(QgsProcessingParameterNumber(self.STEP, self.tr("Step (pixels)"), integer,
                                                       defaultValue=16, minValue=1, maxValue=1024))
        self.addParameter(QgsProcessingParameterEnum(self.SUBPIXEL, self.tr("Sub-pixel method"),
                                                     options=list(_off.SUBPIXEL_METHODS), defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(self.HIGHPASS, self.tr("High-pass filter sigma (pixels)"),
                                                       num, defaultValue=4.0, minValue=0.0, maxValue=100.0))
        self.addParameter(QgsProcessingParameterNumber(self.MIN_NCC, self.tr("Minimum NCC"), num,
                                                       defaultValue=0.25, minValue=-1.0, maxValue=0.99))
        self.addParameter(QgsProcessingParameterNumber(self.MIN_PEAK_RATIO, self.tr("Minimum peak ratio"), num,
                                                       defaultValue=1.5, minValue=1.0, maxValue=100.0))
        self.addParameter(QgsProcessingParameterBoolean(self.MEDIAN_TEST, self.tr("Normalised median test"),
                                                        defaultValue=True))
        self.addParameter(QgsProcessingParameterNumber(self.MEDIAN_THRESHOLD, self.tr("Median test threshold"),
                                                       num, defaultValue=2.0, minValue=0.1, maxValue=100.0))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.STABLE_POLYGONS, self.tr("Stable area (polygons)"), [QgsProcessing.SourceType.TypeVectorPolygon],
            optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.STABLE_MASK, self.tr("Stable mask (reference grid, non-zero = stable)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum(self.GEOMETRY, self.tr("Geometry"), options=self.GEOMETRIES,
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            self.RANGE_SPACING, self.tr("Range pixel spacing (m), radar geometry"), num, defaultValue=0.0,
            minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.AZIMUTH_SPACING, self.tr("Azimuth pixel spacing (m), radar geometry"), num, defaultValue=0.0,
            minValue=0.0))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Offsets")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_QUALITY, self.tr("Quality"), optional=True, createByDefault=False))
        add_dask_parameter(self)

    def _options(self, parameters, context):
        o = {k: self.parameterAsInt(parameters, getattr(self, k.upper()), context)
             for k in ("window", "search", "step")}
        o["subpixel"] = _off.SUBPIXEL_METHODS[self.parameterAsEnum(parameters, self.SUBPIXEL, context)]
        o["highpass_px"] = self.parameterAsDouble(parameters, self.HIGHPASS, context)
        o["min_ncc"] = self.parameterAsDouble(parameters, self.MIN_NCC, context)
        o["min_peak_ratio"] = self.parameterAsDouble(parameters, self.MIN_PEAK_RATIO, context)
        _off.check_options(o["window"], o["search"], o["step"], subpixel=o["subpixel"], min_ncc=o["min_ncc"],
                           min_peak_ratio=o["min_peak_ratio"])
        return o

    def _check(self, parameters, context):
        o = self._options(parameters, context)
        ref = self.raster_info(parameters, self.REFERENCE_IMAGE, context)
        sec = self.raster_info(parameters, self.SECONDARY, context)
        for name, info, band in ((self.REFERENCE_IMAGE, ref, self.BAND_REFERENCE), (self.SECONDARY, sec,
                                                                                self.BAND_SECONDARY)):
            b = self.parameterAsInt(parameters, band, context)
            if b > info.count:
                raise GeohazardError(f"{band}: {name} has {info.count} band(s), band {b} was asked for")
        need = o["window"] + 2 * o["search"]
        if ref.height < need or ref.width < need:
            raise GeohazardError(f"{self.REFERENCE_IMAGE} has {ref.height} x {ref.width} pixels; WINDOW + 2 x SEARCH = "
                                 f"{need} must fit in it")
        if not ref.same_grid(sec) and not self.parameterAsBool(parameters, self.RESAMPLE, context):
            raise GeohazardError(
                f"{self.SECONDARY} is not on the same grid as {self.REFERENCE_IMAGE} (size, origin, pixel size or "
                "CRS): "
                f"co-register them, or tick {self.RESAMPLE} to resample the secondary onto the reference grid")
        if not ref.same_grid(sec) and (not ref.crs_wkt or not sec.crs_wkt):
            raise GeohazardError(f"{self.RESAMPLE}: both images need a CRS to be resampled onto one grid")
        radar = self.parameterAsEnum(parameters, self.GEOMETRY, context) == 1
        if radar:
            for p in (self.RANGE_SPACING, self.AZIMUTH_SPACING):
                if not self.parameterAsDouble(parameters, p, context) > 0:
                    raise GeohazardError(f"{p}: radar geometry needs the pixel spacing in metres (> 0)")
        else:
            require_projected(ref, self.REFERENCE_IMAGE)
        if parameters.get(self.STABLE_MASK):
            check_same_grid([ref, self.raster_info(parameters, self.STABLE_MASK, context)],
                            [self.REFERENCE_IMAGE, self.STABLE_MASK])
        return o, ref, sec, radar

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        try:
            self._check(parameters, context)
        except (GeohazardError, QgsProcessingException) as exc:
            return False, str(exc)
        return True, ""

    def process(self, parameters, context, feedback):
        o, ref, sec, radar = self._check(parameters, context)
        progress = FeedbackProgress(feedback)
        tmp = tempfile.mkdtemp(prefix="offsets_", dir=QgsProcessingUtils.tempFolder())
        try:
            return self._run(parameters, context, feedback, progress, o, ref, sec, radar, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _run(self, parameters, context, feedback, progress, o, ref, sec, radar, tmp):
        sec_path = sec.path
        if not ref.same_grid(sec):
            sec_path = os.path.join(tmp, "secondary_on_reference.vrt")
            if not warp_onto(ref, sec.path, sec_path):
                raise GeohazardError(f"{self.SECONDARY}: could not be resampled onto the grid of "
                                     f"{self.REFERENCE_IMAGE}")
            progress.push_info("secondary resampled onto the reference grid (cubic)")
        band_ref = self.parameterAsInt(parameters, self.BAND_REFERENCE, context)
        band_sec = self.parameterAsInt(parameters, self.BAND_SECONDARY, context)
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        q_path = self.parameterAsOutputLayer(parameters, self.OUTPUT_QUALITY, context) \
            if parameters.get(self.OUTPUT_QUALITY) else ""
        out_info = output_info(ref, out_path, window=o["window"], step=o["step"])
        def read_ref(r0, r1):
            return read_band(ref.path, band_ref, rows=(r0, r1), name=self.REFERENCE_IMAGE, dtype=np.float64)

        def read_sec(r0, r1):
            return read_band(sec_path, band_sec, rows=(r0, r1), name=self.SECONDARY, dtype=np.float64)

        ref_strips = _off.sampled_rows(read_ref, ref.height)
        spread = _off.robust_spread(ref_strips)
        levels = None
        if not o["highpass_px"] > 0:  # constants removed before the single-precision correlations, same in every block
            levels = _off.image_levels(ref_strips, _off.sampled_rows(read_sec, ref.height))
        if not spread > 0:
            raise GeohazardError(f"{self.REFERENCE_IMAGE} has no texture (constant image): nothing to correlate")
        noise = _off.sampled_noise(read_ref, read_sec, ref.height)
        flat_std = _off.flat_thresholds(spread, *noise, window=o["window"])
        progress.push_info(f"noise (upper bound, image units): reference {noise[0]:.4g}, secondary {noise[1]:.4g}; "
                           f"sub-blocks of {_off.sub_block_pixels(o['window'])} px with a standard deviation up to "
                           f"{flat_std[0]:.4g} / {flat_std[1]:.4g} are featureless")
        sources = {"reference": raster_source(ref.path, bands=band_ref, dtype=np.float32, name=self.REFERENCE_IMAGE),
                   "secondary": raster_source(sec_path, bands=band_sec, dtype=np.float32, name=self.SECONDARY)}
        if parameters.get(self.STABLE_MASK):
            sources["stable"] = raster_source(self.raster_path(parameters, self.STABLE_MASK, context),
                                              dtype=np.float32, name=self.STABLE_MASK)
        stable_grid = None
        if parameters.get(self.STABLE_POLYGONS):
            src = self.parameterAsSource(parameters, self.STABLE_POLYGONS, context)
            stable_grid = rasterize_stable(src, out_info, context)
        func = functools.partial(_off.offset_block, window=o["window"], search=o["search"], step=o["step"],
                                 subpixel=o["subpixel"], min_ncc=o["min_ncc"], min_peak_ratio=o["min_peak_ratio"],
                                 min_std_abs=flat_std, highpass_px=o["highpass_px"], levels=levels)
        rows = _off.block_rows_for(ref.width, window=o["window"], search=o["search"], step=o["step"])
        plan = plan_blocks(ref.height, ref.width, block_rows=rows,
                           halo=_off.halo_rows(o["window"], o["search"], o["step"], o["highpass_px"]))
        raw_path = os.path.join(tmp, "raw_offsets.tif")
        kept: dict = {"dx": [], "dy": []}
        raw_info = RasterInfo(path=raw_path, width=out_info.width, height=out_info.height, count=6,
                              geotransform=out_info.geotransform, crs_wkt=out_info.crs_wkt)
        use_stable = stable_grid is not None or "stable" in sources
        with RasterWriter.like(raw_path, raw_info, count=6) as raw_writer:
            def write_raw(block, out):
                i0 = -(-block.row0 // o["step"])
                arr = np.stack([out[k].astype(np.float32) for k in _off.BLOCK_OUTPUTS])
                raw_writer.write(arr, row=i0)
                if use_stable:
                    st = np.zeros(arr.shape[1:], bool)  # polygons and mask together: their union
                    if "stable" in out:
                        st |= out["stable"] != 0
                    if stable_grid is not None:
                        st |= stable_grid[i0:i0 + arr.shape[1]] != 0
                    sel = (st != 0) & np.isfinite(out["dx"])
                    kept["dx"].append(out["dx"][sel])
                    kept["dy"].append(out["dy"][sel])

            with executor(self, parameters, context, feedback) as ex:
                process_blocks(plan, func, write_raw, sources=sources, executor=ex,
                               progress=SubProgress(progress, 0, 90))
            raw_writer.commit()
        bias = (0.0, 0.0)
        metadata = {}
        if use_stable:
            dx = np.concatenate(kept["dx"]) if kept["dx"] else np.zeros(0)
            dy = np.concatenate(kept["dy"]) if kept["dy"] else np.zeros(0)
            b = _off.stable_bias(dx, dy, np.ones(dx.shape, bool))
            bias = (b["dx"], b["dy"])
            progress.push_info(f"stable-area bias removed: column {b['dx']:+.3f} px, row {b['dy']:+.3f} px "
                               f"(spread {b['mad_dx']:.3f} / {b['mad_dy']:.3f} px over {b['n']} cells)")
            metadata = {"bias_col_px": f"{b['dx']:.4f}", "bias_row_px": f"{b['dy']:.4f}", "bias_cells": b["n"]}
        gt = None if radar else ref.geotransform
        fin = functools.partial(
            _off.finalize_block, bias=bias, median_test=self.parameterAsBool(parameters, self.MEDIAN_TEST, context),
            median_threshold=self.parameterAsDouble(parameters, self.MEDIAN_THRESHOLD, context), geotransform=gt,
            pixel_x_m=self.parameterAsDouble(parameters, self.RANGE_SPACING, context) if radar else None,
            pixel_y_m=self.parameterAsDouble(parameters, self.AZIMUTH_SPACING, context) if radar else None)
        names = _off.OFFSET_BANDS_RADAR if radar else _off.OFFSET_BANDS_MAP
        plan2 = plan_blocks(out_info.height, out_info.width, halo=1, bytes_per_pixel=8.0 * 30)
        with RasterWriter.like(out_path, out_info, count=7, descriptions=names, metadata=metadata) as w_off, \
                optional_writer(q_path, out_info, count=4, descriptions=_off.QUALITY_BANDS) as w_q:
            def write_final(block, out):
                w_off.write(out["offsets"], row=block.row0)
                w_q.write(out["quality"], row=block.row0)

            process_blocks(plan2, fin, write_final,
                           sources={"raw": raster_source(raw_path, bands=None, dtype=np.float64, name="offsets")},
                           progress=SubProgress(progress, 90, 100))
            result = {self.OUTPUT: w_off.commit()}
            if q_path:
                result[self.OUTPUT_QUALITY] = w_q.commit()
        style_raster_sequential(out_path, band=3, context=context)
        return result


class OffsetTimeSeries(_KinematicsHelp, GeohazardAlgorithm):
    NAME = "offsettimeseries"
    DISPLAY_NAME = "Offset time series (pair network)"
    GROUP_ID = "kinematics"
    MULTIBAND_INPUTS = ("INPUTS",)
    HELP = (
        "Displacement time series from a redundant set of offset-tracking pairs (e.g. 'Offset tracking' outputs of "
        "Sentinel-1 or Sentinel-2 pairs of a glacier or landslide), by two-step least squares per connected "
        "component of the pair network.\n\n"
        "<b>Offset rasters</b>: one per pair, on one grid, with the two dates in the file name as for "
        "interferograms (20200101_20200113, 20200101-20200113, ...), or a folder of them (its rasters whose names "
        "carry a date pair). A name with the later date first is read as the reversed pair (its offsets change "
        "sign).\n"
        "<b>Component bands</b> (COMPONENTS): the bands holding the components, comma separated (default '1,2' = "
        "east and north metres of "
        "'Offset tracking'; '1' for one component). <b>Correlation band</b> (0 = none; 7 in 'Offset tracking' "
        "outputs): weights of the second step, rho^2/(1-rho^2), the inverse variance of a correlation offset "
        "(Bamler & Eineder 2005, doi:10.1109/LGRS.2004.843203).\n"
        "<b>Method</b>, per pixel: the pairs with data link the dates into a graph; each connected component is "
        "solved on its own, its displacements referenced to its own first date (0): nothing joins two "
        "components, no velocity is assumed across a gap. Step 1 (gross errors): (a) where more than half of the "
        "pairs are redundant, a robust fit (Huber M-estimator by iteratively reweighted least squares, scale s = "
        "1.4826 x median|residual|), pairs with |residual| > <b>k</b> x s and > <b>Minimum residual to reject</b> "
        "rejected (several errors at once); with less redundancy the robust fit zeroes most residuals and its "
        "scale collapses, so it is not used there; (b) data snooping (Baarda 1968), "
        "one pair at a time: weighted least squares, then for each pair its residual normalised by its "
        "redundancy number and by the scale of the other pairs (externally studentised, F-distributed for a "
        "good pair); the largest one above the critical value is rejected (if its |residual| > <b>Minimum "
        "residual to reject</b>) and the fit repeated. <b>k</b> (default 3) sets the false-alarm rate: "
        "erfc(k/sqrt2) = 0.27 % per pixel, shared over its pairs. Nothing is tested with fewer than "
        "2 redundant pairs; a pair whose removal would split the network cannot be tested (and its dates are "
        "flagged unchecked, below); a gross error on one of two pairs that alone link a date is detected but "
        "not located: one of them is rejected and the date is flagged. Step 2: weighted least squares on the "
        "remaining pairs (step 1 uses the same weights); per-date "
        "uncertainty sigma = sqrt(s0^2 diag((A'WA)^-1)), s0^2 = weighted residual sum / (pairs - unknowns) (NaN "
        "without redundancy). <b>Unchecked dates</b>: a pair that alone links a date (or a group of dates) to the "
        "rest of its component is a bridge of the pixel's pair graph (after missing values and rejections); its "
        "residual is zero whatever its error, so a gross error on it cannot be detected and shifts every date on "
        "its far side from the component's first date. Such dates keep their value but are flagged 1 in "
        "<b>Unchecked dates</b> and counted in the log; sigma does not show it.\n\n"
        "Outputs (units of the input bands, usually m): <b>Displacement</b> time series, bands = component x date "
        "(descriptions 'c1_YYYY-MM-DD'); <b>Uncertainty</b> (optional, same bands); <b>Velocity</b>: per component "
        "the least-squares slope over the component spanning the longest time (per year), then the number of "
        "network components, pairs used and pairs rejected; <b>Components</b> (optional): the network component "
        "of each date per pixel (0 = no data); <b>Unchecked dates</b> (optional): per date and pixel 1 = its "
        "displacement rests on a single pair somewhere between it and its component's first date (a gross error "
        "there cannot be detected), 0 = every link is redundant, -1 = no data. The log lists the components of "
        "the full network and the number of pixel-dates resting on a single pair.\n"
        "Reference: Altena et al. (2019) doi:10.5194/tc-13-795-2019 (pair networks of glacier offsets)."
    ) + DASK_HELP

    INPUTS = "INPUTS"
    COMPONENTS = "COMPONENTS"
    WEIGHT_BAND = "WEIGHT_BAND"
    K_MAD = "K_MAD"
    MIN_REJECT = "MIN_REJECT"
    OUTPUT = "OUTPUT"
    OUTPUT_SIGMA = "OUTPUT_SIGMA"
    OUTPUT_VELOCITY = "OUTPUT_VELOCITY"
    OUTPUT_COMPONENTS = "OUTPUT_COMPONENTS"
    OUTPUT_UNCHECKED = "OUTPUT_UNCHECKED"

    def initAlgorithm(self, config=None):
        num, integer = QgsProcessingParameterNumber.Type.Double, QgsProcessingParameterNumber.Type.Integer
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.INPUTS, self.tr("Offset rasters (dates in the names)"), QgsProcessing.SourceType.TypeRaster))
        self.addParameter(QgsProcessingParameterString(self.COMPONENTS, self.tr("Component bands (comma separated)"),
                                                       defaultValue="1,2"))
        self.addParameter(QgsProcessingParameterNumber(self.WEIGHT_BAND, self.tr("Correlation band (0 = none)"),
                                                       integer, defaultValue=0, minValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            self.K_MAD, self.tr("Rejection threshold k (scales)"), num, defaultValue=3.0, minValue=0.5,
            maxValue=100.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_REJECT, self.tr("Minimum residual to reject (input units)"), num, defaultValue=0.0,
            minValue=0.0))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Displacement")))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT_VELOCITY, self.tr("Velocity")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_SIGMA, self.tr("Uncertainty"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_COMPONENTS, self.tr("Network components"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_UNCHECKED, self.tr("Unchecked dates (resting on a single pair)"), optional=True,
            createByDefault=False))
        add_dask_parameter(self)

    def input_raster_files(self, parameters, context) -> dict:
        """The offset rasters of INPUTS, a folder expanded as the stack tools do (its dated rasters)."""
        return {self.INPUTS: expand_raster_inputs(self, parameters, self.INPUTS, context, want="ifg")}

    def _inputs(self, parameters, context):
        paths = self.input_raster_files(parameters, context)[self.INPUTS]
        if len(paths) < 2:
            raise GeohazardError(f"{self.INPUTS}: give at least two offset rasters (pairs) or a folder of them, got "
                                 f"{len(paths)}")
        raw_pairs = []
        for p in paths:
            try:
                raw_pairs.append(parse_date_pair(p))
            except GeohazardError as exc:
                raise GeohazardError(f"{self.INPUTS}: {exc}") from None
        pairs = [tuple(sorted(pr)) for pr in raw_pairs]
        signs = [1.0 if pr[0] < pr[1] else -1.0 for pr in raw_pairs]
        if len(set(pairs)) != len(pairs):
            dup = sorted({p for p in pairs if pairs.count(p) > 1})[0]
            raise GeohazardError(f"{self.INPUTS}: the pair {date_to_str(dup[0])} - {date_to_str(dup[1])} is given "
                                 "twice")
        names = [os.path.basename(p) for p in paths]
        infos = [raster_info(p, n) for p, n in zip(paths, names)]
        check_same_grid(infos, names)
        text = self.parameterAsString(parameters, self.COMPONENTS, context) or "1,2"
        try:
            bands = [int(b) for b in text.replace(" ", "").split(",") if b]
        except ValueError:
            raise GeohazardError(f"{self.COMPONENTS}: expected band numbers separated by commas, "
                                 f"got {text!r}") from None
        wb = self.parameterAsInt(parameters, self.WEIGHT_BAND, context)
        for b in bands + ([wb] if wb else []):
            if not 1 <= b <= infos[0].count:
                raise GeohazardError(f"{self.COMPONENTS}/{self.WEIGHT_BAND}: band {b} asked for, the offset rasters "
                                     f"have {infos[0].count} band(s)")
        if not bands:
            raise GeohazardError(f"{self.COMPONENTS}: give at least one band")
        return paths, pairs, signs, infos[0], bands, wb

    def checkParameterValues(self, parameters, context):
        try:  # a folder is not a layer: QGIS's own check sees the files it holds
            files = self.input_raster_files(parameters, context)[self.INPUTS]
        except (GeohazardError, QgsProcessingException) as exc:
            return False, str(exc)
        ok, msg = super().checkParameterValues({**parameters, self.INPUTS: files}, context)
        if not ok:
            return ok, msg
        try:
            self._inputs(parameters, context)
        except (GeohazardError, QgsProcessingException) as exc:
            return False, str(exc)
        return True, ""

    def process(self, parameters, context, feedback):
        paths, pairs, signs, info, bands, wb = self._inputs(parameters, context)
        progress = FeedbackProgress(feedback)
        dates, pi, pj = _ots.pair_indices(pairs)
        t = decimal_years(dates)
        comps = _ots.network_components(len(dates), pi, pj)
        progress.push_info(f"{len(pairs)} pairs, {len(dates)} dates, {len(comps)} connected component(s) in the full "
                           "network: " + "; ".join(f"{date_to_str(dates[c[0]])} .. {date_to_str(dates[c[-1]])} "
                                                   f"({len(c)} dates)" for c in comps))
        sign = np.asarray(signs, np.float32)[:, None, None]
        sources = {}
        for k, b in enumerate(bands):
            sources[f"c{k}"] = SignedStack(paths, b, sign)
        if wb:
            sources["rho"] = SignedStack(paths, wb, None)
        func = functools.partial(_ots.offset_ts_block, pi=pi, pj=pj, t_years=t,
                                 k_mad=self.parameterAsDouble(parameters, self.K_MAD, context),
                                 min_reject=self.parameterAsDouble(parameters, self.MIN_REJECT, context),
                                 use_weights=bool(wb))
        nb = len(bands)
        descs = [f"c{k + 1}_{date_to_str(d)}" for k in range(nb) for d in dates]
        vdescs = [f"c{k + 1}_velocity_per_year" for k in range(nb)] + ["n_networks", "n_pairs_used", "n_rejected"]
        per_px = 8.0 * (len(pairs) * (nb + 2) + 4 * len(dates) * nb + len(dates) + 8)
        plan = plan_blocks(info.height, info.width, bytes_per_pixel=per_px)
        opt = {k: self.parameterAsOutputLayer(parameters, k, context) if parameters.get(k) else ""
               for k in (self.OUTPUT_SIGMA, self.OUTPUT_COMPONENTS, self.OUTPUT_UNCHECKED)}
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        v_path = self.parameterAsOutputLayer(parameters, self.OUTPUT_VELOCITY, context)
        with RasterWriter.like(out_path, info, count=nb * len(dates), descriptions=descs) as w_d, \
                RasterWriter.like(v_path, info, count=nb + 3, descriptions=vdescs) as w_v, \
                optional_writer(opt[self.OUTPUT_SIGMA], info, count=nb * len(dates), descriptions=descs) as w_s, \
                optional_writer(opt[self.OUTPUT_COMPONENTS], info, count=len(dates),
                                descriptions=[date_to_str(d) for d in dates], dtype=np.int16, nodata=-1) as w_c, \
                optional_writer(opt[self.OUTPUT_UNCHECKED], info, count=len(dates),
                                descriptions=[date_to_str(d) for d in dates], dtype=np.int16, nodata=-1) as w_u:
            counts = np.zeros(2, np.int64)  # pixel-dates with data, of them resting on a single pair

            def write(block, out):
                counts[0] += int(np.count_nonzero(out["unchecked"] >= 0))
                counts[1] += int(np.count_nonzero(out["unchecked"] == 1))
                w_d.write(out["displacement"], row=block.row0)
                w_v.write(np.concatenate([out["velocity"], out["stats"]]), row=block.row0)
                w_s.write(out["sigma"], row=block.row0)
                w_c.write(out["labels"], row=block.row0)
                w_u.write(out["unchecked"], row=block.row0)

            with executor(self, parameters, context, feedback) as ex:
                process_blocks(plan, func, write, sources=sources, executor=ex, progress=progress)
            msg = (f"{counts[1]} of {counts[0]} pixel-dates ({100.0 * counts[1] / max(1, counts[0]):.3g} %) rest on a "
                   "single pair (a bridge of the pixel's pair network): a gross error there cannot be detected"
                   + ("; see 'Unchecked dates'" if opt[self.OUTPUT_UNCHECKED] else ""))
            (progress.push_warning if counts[1] else progress.push_info)(msg)
            result = {self.OUTPUT: w_d.commit(), self.OUTPUT_VELOCITY: w_v.commit()}
            for key, w in ((self.OUTPUT_SIGMA, w_s), (self.OUTPUT_COMPONENTS, w_c), (self.OUTPUT_UNCHECKED, w_u)):
                if opt[key]:
                    result[key] = w.commit()
        return result


ALGORITHMS = [OffsetTracking, OffsetTimeSeries]
