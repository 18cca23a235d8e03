"""``geohazard:stackingvelocity``. Stacking velocity: a quick-look LOS velocity from a stack of unwrapped
interferograms by weighted rate stacking."""

from __future__ import annotations

from ....fileio.display import styles
from ....fileio.timeseries import stackingvelocity as io_stacking
from ...inputs import declare, knobs, layers, stacks
from ...inputs.declare import PRODUCTS_HELP, UNITS_HELP, WEIGHTING
from ...inputs.feedback import FeedbackProgress
from .._base import StackAlgorithm, tool


@tool("stackingvelocity", "Stacking velocity (weighted rate stacking)",
      tags="stacking,velocity,rate,subsidence,landslide,deformation,interferogram,ground motion",
      main=("OUTPUT_VELOCITY",), page="timeseries", engine=True)
class StackingVelocity(StackAlgorithm):
    OUTPUT_VELOCITY = "OUTPUT_VELOCITY"
    OUTPUT_VELOCITY_STD = "OUTPUT_VELOCITY_STD"
    OUTPUT_COUNT = "OUTPUT_COUNT"
    HELP = (
        "Quick-look LOS velocity from a stack of unwrapped interferograms by weighted rate stacking: "
        "v = sum(w d dt) / sum(w dt^2) per pixel, with its standard error from the scatter of the "
        "interferogram rates (Sandwell & Price 1998, doi:10.1029/1998JB900010). Assumes a constant rate.\n\n"
        "<b>Interferograms</b>: folder or list (date pair from the file name). <b>Coherence</b> (optional): "
        "for the weighting and the threshold.\n" + PRODUCTS_HELP + UNITS_HELP +
        "<b>Reference point</b>: as in the SBAS tool (empty: automatic, the largest consistent ground).\n"
        "<b>Maximum temporal baseline</b> (days, 0 = all).\n\n"
        "<b>Outputs</b>: velocity (mm/yr, LOS positive toward the satellite), standard error (mm/yr), "
        "number of interferograms used."
    )
    WEIGHTED = True

    def initAlgorithm(self, config=None):
        self.addParameter(declare.point(self.REFERENCE, "Reference point (empty: automatic)", optional=True))
        self.addParameter(declare.max_temporal_baseline_parameter(self))
        self.addParameter(declare.enum(self.WEIGHTING, "Weighting", WEIGHTING))
        self.addParameter(declare.integer(self.LOOKS, "Independent looks (variance weighting)", 10, 1, 80))
        self.addParameter(declare.number(self.COHERENCE_THRESHOLD, "Pixel coherence threshold", 0.0, 0.0, 1.0))
        self.addParameter(declare.integer(self.MIN_COUNT, "Minimum number of interferograms per pixel", 2, 1))
        self.addParameter(declare.raster_out(self.OUTPUT_VELOCITY, "Stacked velocity"))
        self.addParameter(declare.raster_out(self.OUTPUT_VELOCITY_STD, "Stacked velocity standard error",
                                             optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_COUNT, "Interferograms used", optional=True, create=False))

    def process(self, parameters, context, feedback):
        stack = stacks.gather_stack(self, parameters, context, allow_mintpy=False, baselines=False, feedback=feedback)
        names = (self.OUTPUT_VELOCITY, self.OUTPUT_VELOCITY_STD, self.OUTPUT_COUNT)
        job = io_stacking.Job(
            stack=stack, outputs=layers.output_paths(self, parameters, names, context, optional=names),
            filters=stacks.network_filters(self, parameters, context),
            reference_xy=stacks.reference_xy(self, parameters, context, stack),
            weighted=self.parameterAsEnum(parameters, self.WEIGHTING, context) == 1,
            looks=self.parameterAsInt(parameters, self.LOOKS, context),
            coherence_threshold=self.parameterAsDouble(parameters, self.COHERENCE_THRESHOLD, context),
            min_count=self.parameterAsInt(parameters, self.MIN_COUNT, context),
            settings=knobs.run_settings(self, parameters, context))
        outcome = io_stacking.run(job, progress=FeedbackProgress(feedback))
        styles.apply_sidecars_on_load(context, outcome.outputs.values())
        return self.finish(outcome, feedback)
