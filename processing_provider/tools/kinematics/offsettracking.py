"""offsettracking."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile

import numpy as np
from qgis.core import (
    QgsProcessingParameterNumber,
    QgsProcessingUtils,
)

from ....algorithms import engine
from ....algorithms.errors import GeohazardError
from ....algorithms.kinematics import offsets as _off
from ....algorithms.progress import SubProgress
from ...inputs import declare, ids, knobs, layers
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from ...io import blocks, offsets, raster, styles
from .._base import GeohazardAlgorithm, tool


@tool("offsettracking", "Offset tracking (image cross-correlation)", group="kinematics",
      tags=("offset tracking,pixel tracking,feature tracking,cross-correlation,NCC,glacier,landslide,Sentinel-2,"
            "amplitude,velocity,displacement"),
      kernels=("kinematics.offsets",), page="kinematics", former=(Alias("STABLE_POLYGONS", ids.STABLE_AREA),),
      engine=True)
class OffsetTracking(GeohazardAlgorithm):
    MULTIBAND_INPUTS = ("REFERENCE_IMAGE", "SECONDARY")
    OVERLAP = (("REFERENCE_IMAGE", "SECONDARY"), ("REFERENCE_IMAGE", ids.STABLE_AREA),
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
        "need higher thresholds. Flat windows, peaks on the search border and nodata are refused too. Then the "
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
    )

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
    STABLE_AREA = ids.STABLE_AREA
    STABLE_MASK = "STABLE_MASK"
    GEOMETRY = "GEOMETRY"
    RANGE_SPACING = "RANGE_SPACING"
    AZIMUTH_SPACING = "AZIMUTH_SPACING"
    OUTPUT = "OUTPUT"
    OUTPUT_QUALITY = "OUTPUT_QUALITY"
    GEOMETRIES = ["map (east / north from the georeferencing)", "radar (range / azimuth from pixel spacings)"]

    def initAlgorithm(self, config=None):
        _num, _integer = QgsProcessingParameterNumber.Type.Double, QgsProcessingParameterNumber.Type.Integer
        self.addParameter(declare.raster(self.REFERENCE_IMAGE, "Reference image (earlier)"))
        self.addParameter(declare.raster(self.SECONDARY, "Secondary image (later)"))
        self.addParameter(declare.integer(self.BAND_REFERENCE, "Reference band", 1, 1))
        self.addParameter(declare.integer(self.BAND_SECONDARY, "Secondary band", 1, 1))
        self.addParameter(declare.boolean(self.RESAMPLE,
                                          "Resample the secondary onto the reference grid when the grids differ",
                                          False))
        self.addParameter(declare.integer(self.WINDOW, "Window (pixels)", 64, 8, 1024))
        self.addParameter(declare.integer(self.SEARCH, "Search range (pixels)", 16, 1, 512))
        self.addParameter(declare.integer(self.STEP, "Step (pixels)", 16, 1, 1024))
        self.addParameter(declare.enum(self.SUBPIXEL, "Sub-pixel method", list(_off.SUBPIXEL_METHODS)))
        self.addParameter(declare.number(self.HIGHPASS, "High-pass filter sigma (pixels)", 4.0, 0.0, 100.0))
        self.addParameter(declare.number(self.MIN_NCC, "Minimum NCC", 0.25, -1.0, 0.99))
        self.addParameter(declare.number(self.MIN_PEAK_RATIO, "Minimum peak ratio", 1.5, 1.0, 100.0))
        self.addParameter(declare.boolean(self.MEDIAN_TEST, "Normalised median test", True))
        self.addParameter(declare.number(self.MEDIAN_THRESHOLD, "Median test threshold", 2.0, 0.1, 100.0))
        self.addParameter(declare.features(self.STABLE_AREA, "Stable area (polygons)", "polygon", optional=True))
        self.addParameter(declare.raster(self.STABLE_MASK, "Stable mask (reference grid, non-zero = stable)",
                                         optional=True))
        self.addParameter(declare.enum(self.GEOMETRY, "Geometry", self.GEOMETRIES))
        self.addParameter(declare.number(self.RANGE_SPACING, "Range pixel spacing (m), radar geometry", 0.0, 0.0))
        self.addParameter(declare.number(self.AZIMUTH_SPACING, "Azimuth pixel spacing (m), radar geometry", 0.0, 0.0))
        self.addParameter(declare.raster_out(self.OUTPUT, "Offsets"))
        self.addParameter(declare.raster_out(self.OUTPUT_QUALITY, "Quality", optional=True, create=False))

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
            raster.require_projected(ref, self.REFERENCE_IMAGE)
        if parameters.get(self.STABLE_MASK):
            raster.check_same_grid([ref, self.raster_info(parameters, self.STABLE_MASK, context)],
                                   [self.REFERENCE_IMAGE, self.STABLE_MASK])
        return o, ref, sec, radar

    def check(self, parameters, context):
        self._check(parameters, context)

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
            if not offsets.warp_onto(ref, sec.path, sec_path):
                raise GeohazardError(f"{self.SECONDARY}: could not be resampled onto the grid of "
                                     f"{self.REFERENCE_IMAGE}")
            progress.push_info("secondary resampled onto the reference grid (cubic)")
        band_ref = self.parameterAsInt(parameters, self.BAND_REFERENCE, context)
        band_sec = self.parameterAsInt(parameters, self.BAND_SECONDARY, context)
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        q_path = self.parameterAsOutputLayer(parameters, self.OUTPUT_QUALITY, context) \
            if parameters.get(self.OUTPUT_QUALITY) else ""
        out_info = offsets.output_info(ref, out_path, window=o["window"], step=o["step"])
        ref_strips = _off.sampled_rows(
            lambda r0, r1: raster.read_band(ref.path, band_ref, rows=(r0, r1), name=self.REFERENCE_IMAGE,
                                            dtype=np.float64),
            ref.height)
        spread = _off.robust_spread(ref_strips)
        levels = None
        if not o["highpass_px"] > 0:  # constants removed before the single-precision correlations, same in every block
            levels = _off.image_levels(ref_strips, _off.sampled_rows(
                lambda r0, r1: raster.read_band(sec_path, band_sec, rows=(r0, r1), name=self.SECONDARY,
                                                dtype=np.float64),
                ref.height))
        if not spread > 0:
            raise GeohazardError(f"{self.REFERENCE_IMAGE} has no texture (constant image): nothing to correlate")
        sources = {"reference": blocks.raster_source(ref.path, bands=band_ref, dtype=np.float32,
                                                     name=self.REFERENCE_IMAGE),
                   "secondary": blocks.raster_source(sec_path, bands=band_sec, dtype=np.float32, name=self.SECONDARY)}
        if parameters.get(self.STABLE_MASK):
            sources["stable"] = blocks.raster_source(self.raster_path(parameters, self.STABLE_MASK, context),
                                                     dtype=np.float32, name=self.STABLE_MASK)
        stable_grid = None
        if parameters.get(self.STABLE_AREA):
            stable_grid = raster.burn_polygons(layers.polygons_wkb(self, parameters, self.STABLE_AREA, context,
                                                                   out_info.crs_wkt), out_info)
        func = functools.partial(_off.offset_block, window=o["window"], search=o["search"], step=o["step"],
                                 subpixel=o["subpixel"], min_ncc=o["min_ncc"], min_peak_ratio=o["min_peak_ratio"],
                                 min_std_abs=0.01 * spread, highpass_px=o["highpass_px"], levels=levels)
        run = knobs.run_settings(self, parameters, context)
        rows = _off.block_rows_for(ref.width, window=o["window"], search=o["search"], step=o["step"],
                                   max_memory_mb=run.max_memory_mb)
        plan = engine.plan_blocks(ref.height, ref.width, block_rows=rows,
                                  halo=_off.halo_rows(o["window"], o["search"], o["step"], o["highpass_px"]))
        raw_path = os.path.join(tmp, "raw_offsets.tif")
        kept: dict = {"dx": [], "dy": []}
        raw_info = raster.RasterInfo(path=raw_path, width=out_info.width, height=out_info.height, count=6,
                                     geotransform=out_info.geotransform, crs_wkt=out_info.crs_wkt)
        use_stable = stable_grid is not None or "stable" in sources
        with raster.RasterWriter.like(raw_path, raw_info, count=6) as raw_writer:
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

            blocks.run_blocks(plan, func, write_raw, sources=sources, run=run, progress=SubProgress(progress, 0, 90))
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
        plan2 = engine.plan_blocks(out_info.height, out_info.width, halo=1, bytes_per_pixel=8.0 * 30)
        writers = {"offsets": raster.RasterWriter.like(out_path, out_info, count=7, descriptions=names,
                                                       metadata=metadata),
                   "quality": raster.optional_writer(q_path, out_info, count=4, descriptions=_off.QUALITY_BANDS)}
        # the raw offsets are a scratch file of this machine: the second pass runs here
        blocks.run_blocks(plan2, fin, sources={"raw": blocks.raster_source(raw_path, bands=None, dtype=np.float64,
                                                                           name="offsets")},
                   run=run, executor=engine.LocalExecutor(), progress=SubProgress(progress, 90, 100), writers=writers)
        result = {self.OUTPUT: out_path, **({self.OUTPUT_QUALITY: q_path} if q_path else {})}
        styles.style_raster_sequential(out_path, band=3, context=context)
        return result
