"""``geohazard:stackingvelocity``. Stacking velocity: a quick-look LOS velocity from a stack of unwrapped
interferograms by weighted rate stacking."""

from __future__ import annotations

import functools

import numpy as np

from ....algorithms import engine
from ....algorithms.progress import SubProgress
from ....algorithms.timeseries import network
from ....fileio.base import blocks, raster
from ....fileio.display import styles
from ....fileio.timeseries import stacks as io_stacks
from ...inputs import declare, knobs, stacks
from ...inputs.declare import PRODUCTS_HELP, UNITS_HELP, WEIGHTING
from ...inputs.feedback import FeedbackProgress
from ...lazy import lazy_module
from .._base import StackAlgorithm, tool

stack_blocks = lazy_module("....algorithms.timeseries.stack_blocks", __package__)


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
        progress, run = FeedbackProgress(feedback), knobs.run_settings(self, parameters, context)
        stack = stacks.gather_stack(self, parameters, context, allow_mintpy=False, baselines=False, feedback=feedback)
        flt = network.filter_network(stack.network, **stacks.network_filters(self, parameters, context))
        stack = stack.subset(flt.keep) if not flt.keep.all() else stack
        rows = io_stacks.block_rows_for(stack, run, factor=5)
        count = mean_coh = None
        if not parameters.get(self.REFERENCE):
            count, mean_coh, _ = io_stacks.scan_stack(stack, rows, SubProgress(progress, 0, 30),
                                                      coherence=stack.has_coherence, run=run, ground=True)
        ref_rc = stacks.reference_pixel(self, parameters, context, stack, count, mean_coh, feedback)
        ref_mm = io_stacks.reference_values(stack, *ref_rc)
        weighted = self.parameterAsEnum(parameters, self.WEIGHTING, context) == 1
        thr = self.parameterAsDouble(parameters, self.COHERENCE_THRESHOLD, context)
        looks = self.parameterAsInt(parameters, self.LOOKS, context)
        min_count = self.parameterAsInt(parameters, self.MIN_COUNT, context)
        span = stack.network.temporal_baseline_days / 365.25
        info = stack.info
        keys = [k for k in (self.OUTPUT_VELOCITY, self.OUTPUT_VELOCITY_STD, self.OUTPUT_COUNT) if parameters.get(k)]
        paths = {k: self.parameterAsOutputLayer(parameters, k, context) for k in keys}
        coherence = stack.has_coherence and (weighted or thr > 0)
        # the stack is read here (units, signs, MintPy) and shipped to Dask workers with each block
        source = engine.CallableSource(lambda r0, r1: stack.read(r0, r1, coherence=coherence))
        func = functools.partial(stack_blocks.stacking_block, span_years=span, reference_mm=ref_mm, weighted=weighted,
                                 coherence_threshold=thr, looks=looks, min_count=min_count)
        names = {self.OUTPUT_VELOCITY: "velocity", self.OUTPUT_VELOCITY_STD: "velocity_std", self.OUTPUT_COUNT: "count"}
        writers = {names[k]: raster.RasterWriter.like(p, info, **({"dtype": np.int16,
                                                                   "nodata": -1} if k == self.OUTPUT_COUNT
                                                                  else {})) for k, p in paths.items()}
        blocks.run_blocks(run.plan(info.height, info.width, block_rows=rows), func,
                          sources={"stack": source}, run=run,
                          progress=SubProgress(progress, 30, 100), writers=writers, background_write=True)
        styles.style_raster_diverging(paths[self.OUTPUT_VELOCITY], context=context)
        if self.OUTPUT_VELOCITY_STD in paths:
            styles.style_raster_sequential(paths[self.OUTPUT_VELOCITY_STD], context=context, ramp_name="Magma")
        return paths
