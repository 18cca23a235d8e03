"""Shared helpers of the corrections tools."""

from __future__ import annotations

import os

import numpy as np

from ....algorithms.formats import dates
from ....fileio.base import writers
from ....fileio.insar.corrections import output_names, stack_codec
from ...inputs import declare, ids, knobs, layers, stacks
from ...inputs.declare import PRODUCTS_HELP, UNITS_HELP
from ...inputs.feedback import FeedbackProgress
from .._base import StackAlgorithm

STACK_HELP = (
    "<b>Interferograms</b>: a folder or a list of unwrapped interferograms on one grid, as for the SBAS tool "
    "(date pair from each file name). <b>Coherence</b> (optional): folder or list matched by date pair.\n"
    + PRODUCTS_HELP + UNITS_HELP
)


OUTPUT_HELP = (
    "<b>Output folder</b>: one corrected GeoTIFF per interferogram with the input's file name (a non-GeoTIFF "
    "input becomes NAME.tif), same unit and sign as the input, NaN = no data, ZSTD-compressed (lossless; QGIS and "
    "GDAL-based software read it; left to a temporary folder, as a model's intermediate step, uncompressed: the next "
    "step reads it once and QGIS deletes it): give the folder as the next tool's or the SBAS tool's "
    "interferograms. Nothing is written when the run fails.\n"
)


MASK_HELP = (
    "<b>Stable area</b> (optional): polygons of ground you trust not to move, and/or a mask raster on the "
    "interferograms' grid (non-zero = use). <b>Coherence threshold</b>: pixels of an interferogram whose "
    "coherence is below it are left out of the fit (needs COHERENCE; 0.3 by default: below it unwrapped phase "
    "is mostly noise). <b>Minimum pixels</b>: an interferogram with fewer usable pixels in the mask is refused "
    "with its name (a fit on a handful of pixels would invent the correction).\n"
)


MODES = ["Per interferogram", "Per date (inverted on the network)"]


def output_codec(alg, parameters, context, name: str = ids.OUTPUT) -> str:
    """The codec of the corrected stack written to ``name``: uncompressed to a temporary destination (a model's
    intermediate step, read by the next step and deleted by QGIS; a run left to the temporary folder), ZSTD to a
    folder the user chose (:func:`...fileio.insar.corrections.stack_codec`)."""
    from qgis.core import QgsProcessing, QgsProcessingOutputLayerDefinition, QgsProcessingUtils

    value = parameters.get(name)
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.staticValue()
    if str(value) == QgsProcessing.TEMPORARY_OUTPUT:
        return stack_codec(True)
    path = os.path.realpath(alg.parameterAsString(parameters, name, context) or "")
    temp = os.path.realpath(QgsProcessingUtils.tempFolder())
    return stack_codec(os.path.commonpath([path, temp]) == temp)


def corrected_files(stack, out_dir: str) -> list:
    """The corrected interferograms a correction writes into ``out_dir``: one per input, under its name."""
    return [os.path.join(out_dir, n) for n in output_names(stack.paths)]


def folder_and_report(alg, parameters, context, out_dir: str, files, rows) -> dict:
    """The results of a correction tool: its output folder and the interferograms written there (``files``, also
    as the layers OUTPUT_LAYERS) and, when asked for, the report (CSV) of ``rows`` (a list of dicts, or a callable
    giving it)."""
    result = declare.raster_set(alg.OUTPUT, out_dir, files)
    rows = rows() if callable(rows) else rows
    alg.note(report_summary(rows))
    rep = layers.optional_file(alg, parameters, alg.OUTPUT_REPORT, context)
    if rep:
        result[alg.OUTPUT_REPORT] = writers.write_csv(rep, rows)
    return result


class MaskedCorrection(StackAlgorithm):
    """A correction fitted on a stable mask and removed from every interferogram of the stack (rampremoval,
    troposphericcorrection): its mask parameters (:data:`MASK_HELP`), its output folder and report
    (:data:`OUTPUT_HELP`), the stack a run reads and what it returns."""

    MASK = "MASK"
    MIN_PIXELS = "MIN_PIXELS"

    def add_mask_inputs(self) -> None:
        self.addParameter(declare.vector_layer(self.STABLE_AREA, "Stable area (polygons)", "polygon", optional=True))
        self.addParameter(declare.raster(self.MASK, "Mask raster (non-zero = use, same grid)", optional=True))
        self.addParameter(declare.number(self.COHERENCE_THRESHOLD, "Coherence threshold of the fitted pixels", 0.3,
                                         0.0, 1.0))
        self.addParameter(declare.integer(self.MIN_PIXELS, "Minimum usable pixels per interferogram (count)", 100, 3))

    def add_output_folder(self, label: str, layers_label: str) -> None:
        """OUTPUT (the folder of corrected interferograms, also as the layers OUTPUT_LAYERS) and OUTPUT_REPORT."""
        declare.raster_folder_out(self, self.OUTPUT, label, layers_label)
        self.addParameter(declare.file_out(self.OUTPUT_REPORT, "Report (CSV)", "CSV files (*.csv)", optional=True))

    def corrected_stack(self, parameters, context, feedback):
        """``(stack, out_dir, run, progress)`` of a run: the stack read (its output codec set), the output folder,
        the run's settings (block size, threads) and its progress."""
        progress, run = FeedbackProgress(feedback), knobs.run_settings(self, parameters, context)
        stack = stacks.correction_stack(self, parameters, context, feedback, run)
        stack.codec = output_codec(self, parameters, context)
        return stack, self.parameterAsString(parameters, self.OUTPUT, context), run, progress

    def corrected_results(self, parameters, context, stack, out_dir: str, rows) -> dict:
        """The results of a run that wrote every interferogram of ``stack`` corrected into ``out_dir``."""
        return folder_and_report(self, parameters, context, out_dir, corrected_files(stack, out_dir), rows)


def _median(rows, key):
    vals = [r[key] for r in rows if isinstance(r.get(key), (int, float)) and r[key] == r[key]]
    return float(np.median(vals)) if vals else None


def report_summary(rows) -> str:
    """One line of what a correction removed, from its report rows (medians over the interferograms or dates)."""
    if not rows:
        return ""
    parts = []
    before, after = _median(rows, "rms_before"), _median(rows, "rms_after_fit")
    if before is not None and after is not None:
        parts.append(f"RMS on the fit area {before:.3g} -> {after:.3g} (median, input unit)")
    for key, label in (("removed_rms_mm", "removed {:.3g} mm RMS (median)"),
                       ("k1_per_km", "phase-elevation slope {:+.3g} per km (median)"),
                       ("correlation", "correlation with height {:+.2f} (median)"),
                       ("dem_error_m", "DEM error {:+.3g} m (median)")):
        v = _median(rows, key)
        if v is not None:
            parts.append(label.format(v))
    return "; ".join(parts)


def step_dates(alg, parameters, context) -> list:
    """STEP_DATES, the dates of steps in the deformation model (YYYY-MM-DD, comma separated)."""
    return dates.parse_date_list(alg.parameterAsString(parameters, alg.STEP_DATES, context), name=alg.STEP_DATES)
