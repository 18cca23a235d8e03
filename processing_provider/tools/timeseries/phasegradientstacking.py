"""``geohazard:phasegradientstacking``. Phase-gradient stacking: slow landslides revealed from wrapped interferograms
without unwrapping."""

from __future__ import annotations

from ....algorithms.timeseries import network
from ....fileio.display import styles
from ....fileio.timeseries import phasegradientstacking as io_pgs
from ...inputs import declare, ids, knobs, layers, stacks
from ...inputs.declare import INPUT_UNITS, PRODUCTS_HELP, WAVELENGTH_HELP, wavelength_parameter
from ...inputs.feedback import FeedbackProgress
from .._base import StackAlgorithm, tool


@tool("phasegradientstacking", "Phase-gradient stacking (landslide detection)",
      tags="phase gradient,landslide,detection,velocity,wrapped,interferogram", page="timeseries", engine=True)
class PhaseGradientStacking(StackAlgorithm):
    OUTPUT_RANGE = "OUTPUT_RANGE"
    OUTPUT_AZIMUTH = "OUTPUT_AZIMUTH"
    HELP = (
        "Reveals slow-moving landslides without phase unwrapping: the wrapped phase gradient of each "
        "short-baseline interferogram is taken along columns (range / x) and rows (azimuth / y) as the angle "
        "of z(next) * conj(z), and the gradients are stacked as a rate, sum(w g) / sum(w dt). Localised "
        "motion (landslide bodies and borders) shows up as high gradient; smooth atmospheric delays largely "
        "cancel. After Fu, Zhang, Wang et al. (2022), doi:10.3389/fenvs.2022.963322.\n\n"
        "<b>Interferograms</b>: wrapped phase (radians), complex interferograms, or unwrapped phase (it is "
        "re-wrapped); folder or list, date pair from the file name. Use short temporal baselines "
        "(e.g. <= 48 days) so gradients do not alias.\n"
        "<b>Coherence</b> (optional): weights (the smaller of the two pixels).\n"
        "<b>Phase convention</b>: sign of the component outputs only.\n" + WAVELENGTH_HELP + "\n"
        + PRODUCTS_HELP + "\n"
        "<b>Outputs</b>: gradient-rate magnitude in mm/yr of LOS motion per pixel; optional column (range) and "
        "row (azimuth) components, signed, LOS positive toward the satellite."
    )
    STACK_PARAMETERS = False  # wrapped interferograms: its own labels, no unit

    def initAlgorithm(self, config=None):
        self.addParameter(declare.rasters(self.INTERFEROGRAMS, "Wrapped interferograms (rasters, or a folder)"))
        self.addParameter(declare.rasters(self.COHERENCE, "Coherence rasters or folder (weights)", optional=True))
        self.addParameter(wavelength_parameter(self, ids.WAVELENGTH))
        self.addParameter(declare.enum(self.INPUT_UNITS, "Phase convention", INPUT_UNITS[:2]))
        self.addParameter(declare.enum(ids.STACK_EXTENT, "Stack extent when the pairs cover different areas",
                                       list(declare.STACK_EXTENTS), 0, advanced=True))
        self.addParameter(declare.max_temporal_baseline_parameter(self))
        self.addParameter(declare.integer(self.MIN_COUNT, "Minimum number of interferograms per pixel", 1, 1))
        self.addParameter(declare.raster_out(self.OUTPUT, "Phase-gradient magnitude (mm/yr per pixel)"))
        self.addParameter(declare.raster_out(self.OUTPUT_RANGE, "Column (range) gradient (mm/yr per pixel)",
                                             optional=True,
                                             create=False))
        self.addParameter(declare.raster_out(self.OUTPUT_AZIMUTH, "Row (azimuth) gradient (mm/yr per pixel)",
                                             optional=True, create=False))

    def process(self, parameters, context, feedback):
        settings = knobs.run_settings(self, parameters, context)
        stack = stacks.gather_stack(self, parameters, context, allow_mintpy=False, baselines=False, feedback=feedback)
        flt = network.filter_network(stack.network, **stacks.network_filters(self, parameters, context))
        paths = layers.output_paths(self, parameters, (self.OUTPUT, self.OUTPUT_RANGE, self.OUTPUT_AZIMUTH), context,
                                    optional=(self.OUTPUT, self.OUTPUT_RANGE, self.OUTPUT_AZIMUTH))
        job = io_pgs.Job(stack=stack.subset(flt.keep) if not flt.keep.all() else stack, outputs=paths,
                         sign=1.0 if self.parameterAsEnum(parameters, self.INPUT_UNITS, context) == 0 else -1.0,
                         min_count=self.parameterAsInt(parameters, self.MIN_COUNT, context),
                         settings=settings)
        outcome = io_pgs.run(job, progress=FeedbackProgress(feedback))
        styles.style_raster_sequential(paths[self.OUTPUT], context=context, ramp_name="Magma")
        for k in (self.OUTPUT_RANGE, self.OUTPUT_AZIMUTH):
            if k in paths:
                styles.style_raster_diverging(paths[k], context=context)
        return self.finish(outcome, feedback)
