"""``geohazard:offsettracking``. Offset tracking: displacement between two co-registered images by normalised cross-
correlation of windows."""

from __future__ import annotations

from qgis.core import QgsProcessingUtils

from ....fileio.display import styles
from ....fileio.kinematics import offsettracking as offsets
from ...inputs import declare, ids, kinematics, knobs, layers
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool

#: the sub-pixel methods' labels in the dialog, by the core's names (their order: the core's)
SUBPIXEL_LABELS = {"dft": "Upsampled DFT (most accurate)", "parabolic": "Parabola on the correlation peak (faster)",
                   "gaussian": "Gaussian on the correlation peak (faster)"}


@tool("offsettracking", "Offset tracking (image cross-correlation)",
      tags=("offset tracking,pixel tracking,feature tracking,cross-correlation,NCC,glacier,landslide,Sentinel-2,"
            "amplitude,velocity,displacement"),
      kernels=("kinematics.offsets.matching", "kinematics.offsets.search", "kinematics.offsets.levels",
               "kinematics.offsets.field"), page="kinematics", former=(Alias("STABLE_POLYGONS", ids.STABLE_AREA),),
      engine=True)
class OffsetTracking(GeohazardAlgorithm):
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
    STABLE_MASK = "STABLE_MASK"
    GEOMETRY = "GEOMETRY"
    RANGE_SPACING = "RANGE_SPACING"
    AZIMUTH_SPACING = "AZIMUTH_SPACING"
    OUTPUT_QUALITY = "OUTPUT_QUALITY"
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
        "<b>Sub-pixel method</b>: upsampled DFT (default) of the cross-power spectrum (Guizar-Sicairos "
        "et al. 2008, doi:10.1364/OL.33.000156) on Hann-tapered windows: 0.005-0.04 px RMS on image pairs of "
        "three textures (filtered noise, 1/f terrain, speckle) moved by known sub-pixel shifts or a 2-degree "
        "rotation; parabola or Gaussian = 3-point fit of the NCC peak (faster, ~0.02-0.05 px, biased toward "
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
    )
    MULTIBAND_INPUTS = ("REFERENCE_IMAGE", "SECONDARY")
    OVERLAP = (("REFERENCE_IMAGE", "SECONDARY"), ("REFERENCE_IMAGE", ids.STABLE_AREA),
               ("REFERENCE_IMAGE", "STABLE_MASK"))
    COMPILE_VARIANTS = ("",)  # its first run's compile measured (compile_costs.json)
    GEOMETRIES = ["map (east / north from the georeferencing)", "radar (range / azimuth from pixel spacings)"]

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.REFERENCE_IMAGE, "Reference image (earlier)"))
        self.addParameter(declare.raster(self.SECONDARY, "Secondary image (later)"))
        self.addParameter(declare.integer(self.BAND_REFERENCE, "Reference band", 1, 1))
        self.addParameter(declare.integer(self.BAND_SECONDARY, "Secondary band", 1, 1))
        self.addParameter(declare.boolean(self.RESAMPLE,
                                          "Resample the secondary to the reference's grid",
                                          False))
        self.addParameter(declare.integer(self.WINDOW, "Window (pixels)", 64, 8, 1024))
        self.addParameter(declare.integer(self.SEARCH, "Search range (pixels)", 16, 1, 512))
        self.addParameter(declare.integer(self.STEP, "Step (pixels)", 16, 1, 1024))
        self.addParameter(declare.enum(self.SUBPIXEL, "Sub-pixel method",
                                       list(SUBPIXEL_LABELS.values())))
        self.addParameter(declare.number(self.HIGHPASS, "High-pass filter sigma (pixels)", 4.0, 0.0, 100.0))
        self.addParameter(declare.number(self.MIN_NCC, "Minimum NCC", 0.25, -1.0, 0.99))
        self.addParameter(declare.number(self.MIN_PEAK_RATIO, "Minimum peak ratio", 1.5, 1.0, 100.0))
        self.addParameter(declare.boolean(self.MEDIAN_TEST, "Normalised median test", True))
        self.addParameter(declare.number(self.MEDIAN_THRESHOLD, "Median test threshold", 2.0, 0.1, 100.0))
        self.addParameter(declare.features(self.STABLE_AREA, "Stable area (polygons)", "polygon", optional=True))
        self.addParameter(declare.raster(self.STABLE_MASK, "Stable mask (non-zero = stable)",
                                         optional=True))
        self.addParameter(declare.enum(self.GEOMETRY, "Geometry", self.GEOMETRIES))
        self.addParameter(declare.number(self.RANGE_SPACING, "Range pixel spacing (m), radar geometry", 0.0, 0.0))
        self.addParameter(declare.number(self.AZIMUTH_SPACING, "Azimuth pixel spacing (m), radar geometry", 0.0, 0.0))
        self.addParameter(declare.raster_out(self.OUTPUT, "Offsets"))
        self.addParameter(declare.raster_out(self.OUTPUT_QUALITY, "Quality", optional=True, create=False))

    def check(self, parameters, context):
        kinematics.tracking_inputs(self, parameters, context)

    def process(self, parameters, context, feedback):
        o, ref, sec = kinematics.tracking_inputs(self, parameters, context)
        job = offsets.Job(
            reference=ref, secondary=sec, opts=o, output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
            quality=layers.output_paths(self, parameters, [self.OUTPUT_QUALITY], context,
                                        optional=[self.OUTPUT_QUALITY]).get(self.OUTPUT_QUALITY, ""),
            stable_wkb=layers.polygons_wkb(self, parameters, self.STABLE_AREA, context, ref.crs_wkt)
            if parameters.get(self.STABLE_AREA) else None,
            stable_mask=self.raster_path(parameters, self.STABLE_MASK, context)
            if parameters.get(self.STABLE_MASK) else "",
            temp_folder=QgsProcessingUtils.tempFolder(), settings=knobs.run_settings(self, parameters, context),
            names={"reference": self.REFERENCE_IMAGE, "secondary": self.SECONDARY, "stable_mask": self.STABLE_MASK},
            ids={"output": self.OUTPUT, "quality": self.OUTPUT_QUALITY})
        outcome = offsets.run(job, progress=FeedbackProgress(feedback))
        styles.style_raster_sequential(job.output, band=3, context=context)
        return self.finish(outcome, feedback)
