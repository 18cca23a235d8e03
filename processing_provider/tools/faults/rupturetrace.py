"""``geohazard:rupturetrace``. Rupture trace: the line where coseismic azimuth offsets (along-track displacement)
change sign between coherent positive and negative sides, with the offset jump across each segment."""

from __future__ import annotations

from ....fileio.faults import rupturetrace as io_trace
from ...inputs import declare, ids
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("rupturetrace", "Rupture trace from azimuth offsets", page="faults",
      tags="rupture,surface rupture,fault trace,azimuth offset,along-track,pixel offset,coseismic,earthquake,"
           "strike-slip,MAI",
      main=(ids.OUTPUT,))
class RuptureTrace(GeohazardAlgorithm):
    MIN_OFFSET_M = "MIN_OFFSET_M"
    SMOOTHING_M = "SMOOTHING_M"
    HELP = (
        "Maps a surface rupture as the line where coseismic azimuth offsets change sign between coherent positive "
        "and negative sides. It needs an azimuth-offset or along-track displacement raster (m); it gives the trace "
        "as line segments, each with the offset jump across it.\n\n"
        "<b>Input</b>: along-track offset or displacement in metres (pixel-offset tracking's azimuth offsets, "
        "multiple-aperture interferometry), no-data where decorrelated; any sign convention; a north-up grid in a "
        "projected or geographic CRS (distances in metres either way).\n"
        "<b>SMOOTHING_M</b> (m): standard deviation of the Gaussian that takes the speckle down before the sign "
        "is read (no-data carries no weight; 2-5 pixels). <b>MIN_OFFSET_M</b> (m): the smallest jump across a "
        "trace: zero crossings with a smaller jump (the far field's noise, a fault's tips) are left out.\n\n"
        "<b>Method</b>: pixels finer than a quarter of SMOOTHING_M are first averaged onto cells of that size "
        "(no-data left out; the log says so), so the memory follows the scene over the smoothing; the smoothed "
        "offsets' no-data gaps within max(10 SMOOTHING_M, 20 pixels) of data take their "
        "nearest valid value, so the two sides meet half-way across a decorrelated band; the zero level is traced "
        "(marching squares); a vertex is on the rupture when the side to its right is positive, the left negative "
        "and their difference, read 2 SMOOTHING_M beyond the first valid sample on each side, is at least "
        "MIN_OFFSET_M. Pieces shorter than max(4 SMOOTHING_M, 5 pixels) are dropped.\n"
        "<b>Output</b>: lines in the raster's CRS, the positive side on their right, cut into segments of about "
        "10 SMOOTHING_M: trace, segment, jump_m (positive minus negative side, m: the slip's along-track share), "
        "positive_m, negative_m, length_m, start_m (along the trace), vertices. The trace follows the zero crossing: "
        "for a dipping or buried fault it lies near, not on, the fault's top; a fault nearly perpendicular to the "
        "flight direction shows little azimuth offset. No trace found is a warning and an empty layer.\n\n"
        "References: Michel R. et al. (1999) doi:10.1029/1999GL900138; Fialko Y. et al. (2002) "
        "doi:10.1126/science.1074671."
    )

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.INPUT, "Azimuth offsets or along-track displacement (m)"))
        self.addParameter(declare.number(self.MIN_OFFSET_M, "Smallest offset jump across the trace (m)", 0.5, 0.001))
        self.addParameter(declare.number(self.SMOOTHING_M, "Smoothing, Gaussian sigma (m)", 300.0, 1e-3))
        self.addParameter(declare.vector_out(self.OUTPUT, "Rupture trace", "line"))

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.MIN_OFFSET_M, self.SMOOTHING_M)
        job = io_trace.Job(offset=self.raster_info(parameters, self.INPUT, context), min_offset_m=v.MIN_OFFSET_M,
                           smoothing_m=v.SMOOTHING_M,
                           output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
                           names={"input": self.INPUT, "output": self.OUTPUT})
        return self.finish(io_trace.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
