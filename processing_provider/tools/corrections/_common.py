"""Shared helpers of the corrections tools."""

from __future__ import annotations

import os

from ....algorithms.formats import dates
from ....fileio.corrections.corrections import stack_codec
from ...inputs import declare, ids, knobs, layers, stacks
from ...inputs.declare import PRODUCTS_HELP, UNITS_HELP
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
    folder the user chose (:func:`...fileio.corrections.corrections.stack_codec`)."""
    from qgis.core import QgsProcessing, QgsProcessingOutputLayerDefinition, QgsProcessingUtils

    value = parameters.get(name)
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink.staticValue()
    if str(value) == QgsProcessing.TEMPORARY_OUTPUT:
        return stack_codec(True)
    path = os.path.realpath(alg.parameterAsString(parameters, name, context) or "")
    temp = os.path.realpath(QgsProcessingUtils.tempFolder())
    return stack_codec(os.path.commonpath([path, temp]) == temp)


def stack_fields(alg, parameters, context, feedback, **how) -> dict:
    """The fields every stack correction's job has (:class:`...fileio.corrections.corrections.StackJob`): the stack
    read (``how``: :func:`...inputs.stacks.correction_stack`'s options; its output codec set), the output folder, the
    report and the run-wide knobs."""
    run = knobs.run_settings(alg, parameters, context)
    stack = stacks.correction_stack(alg, parameters, context, feedback, run, **how)
    stack.codec = output_codec(alg, parameters, context)
    return dict(stack=stack, output=alg.parameterAsString(parameters, alg.OUTPUT, context),
                report=layers.optional_file(alg, parameters, alg.OUTPUT_REPORT, context), settings=run)


def series_fields(alg, parameters, context, outputs, required=(ids.OUTPUT,)) -> dict:
    """The fields every time-series correction's job has (:class:`...fileio.corrections.corrections.SeriesJob`):
    the series (INPUT), the outputs of ``outputs`` (IDs: ``required`` always, the others when asked for) and the
    run-wide knobs."""
    return dict(series=alg.raster_info(parameters, alg.INPUT, context),
                settings=knobs.run_settings(alg, parameters, context),
                outputs=layers.output_paths(alg, parameters, list(outputs), context,
                                            optional=[k for k in outputs if k not in required]))


class MaskedCorrection(StackAlgorithm):
    """A correction fitted on a stable mask and removed from every interferogram of the stack (rampremoval,
    troposphericcorrection): its mask parameters (:data:`MASK_HELP`), its output folder and report
    (:data:`OUTPUT_HELP`)."""

    MASK = "MASK"
    MIN_PIXELS = "MIN_PIXELS"

    def add_mask_inputs(self) -> None:
        self.addParameter(declare.vector_layer(self.STABLE_AREA, "Stable area (polygons)", "polygon", optional=True))
        self.addParameter(declare.raster(self.MASK, "Mask raster (non-zero = use, same grid)", optional=True))
        self.addParameter(declare.number(self.COHERENCE_THRESHOLD, "Coherence threshold of the fitted pixels", 0.3,
                                         0.0, 1.0))
        self.addParameter(declare.integer(self.MIN_PIXELS, "Minimum usable pixels per interferogram (count)", 100, 3))

    def masked_fields(self, parameters, context, feedback, *, mask: bool = True) -> dict:
        """The fields of a masked correction's job (:class:`...fileio.corrections.corrections.MaskedJob`): the
        stack's (:func:`stack_fields`), the fit mask (with ``mask``: STABLE_AREA and MASK read) and the fit's
        options."""
        fields = stack_fields(self, parameters, context, feedback)
        v = self.values(parameters, context, self.COHERENCE_THRESHOLD, self.MODE, self.MIN_PIXELS, self.TREND_GUARD,
                        self.DEFORMING_AREAS)
        return dict(fields, mask=layers.fit_mask(self, parameters, context, fields["stack"].info) if mask else None,
                    coherence_threshold=v.COHERENCE_THRESHOLD, per_date=v.MODE == 1, min_pixels=v.MIN_PIXELS,
                    trend_guard=v.TREND_GUARD, deforming_areas=v.DEFORMING_AREAS)

    def add_output_folder(self, label: str, layers_label: str) -> None:
        """OUTPUT (the folder of corrected interferograms, also as the layers OUTPUT_LAYERS) and OUTPUT_REPORT."""
        declare.raster_folder_out(self, self.OUTPUT, label, layers_label)
        self.addParameter(declare.file_out(self.OUTPUT_REPORT, "Report (CSV)", "CSV files (*.csv)", optional=True))


def step_dates(alg, parameters, context) -> list:
    """STEP_DATES, the dates of steps in the deformation model (YYYY-MM-DD, comma separated)."""
    return dates.parse_date_list(alg.parameterAsString(parameters, alg.STEP_DATES, context), name=alg.STEP_DATES)
