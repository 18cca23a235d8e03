"""``geohazard:referencepoint``. Reference point: the pixel the stack tools' automatic reference takes (the largest
consistent ground), valid in every interferogram; its map coordinates for the SBAS tool's REFERENCE."""

from __future__ import annotations

from qgis.core import QgsProcessingOutputString

from ....fileio.corrections import referencepoint as io_ref
from ...inputs import declare, knobs, layers, stacks
from ...inputs.feedback import FeedbackProgress
from .._base import StackAlgorithm, tool
from ._common import STACK_HELP


@tool("referencepoint", "Reference point (coherent and stable)",
      tags="reference point,stable,coherence,SBAS,time series,MintPy", page="corrections", engine=True)
class ReferencePoint(StackAlgorithm):
    WINDOW = "WINDOW"
    STABILITY = "STABILITY"
    MASK = "MASK"
    REFERENCE_POINT = "REFERENCE_POINT"
    HELP = (
        "Chooses the reference point of an interferogram stack as the SBAS tool and the stacking velocity do, so "
        "that a model's reference step and those tools pick the same pixel. It needs the unwrapped interferograms "
        "(coherence, a stable area or a mask optional). It gives the point (row, column, mean coherence) and, "
        "optionally, a CSV of the candidates.\n\n"
        "<b>Method</b>: the reference point of a time series is chosen by the rule the SBAS tool and the stacking "
        "velocity use when "
        "their REFERENCE is empty, so that a model's reference step and those tools pick the same pixel: a MintPy "
        "stack's own REF_Y/REF_X when that pixel has data in every interferogram, else the largest consistent "
        "ground: pixels with data in every interferogram whose loop closures are small (RMS of the triplets' "
        "misclosure) and whose stacking rate (Sandwell & Price 1998, doi:10.1029/1998JB900010) lies near the "
        "scene's mode; the reference is the pixel of the largest such area farthest from its edge (LiCSBAS picks "
        "its reference by loop closure too: Morishita et al. 2020, doi:10.3390/rs12030424). A coherent pixel in a "
        "subsidence bowl or on a landslide thus loses to the still ground around it. Where most of the scene moves "
        "(a city-wide bowl), give the <b>stable area</b> (polygons and/or mask raster): the reference is then "
        "chosen inside it by the same rule. Untick <b>Stability</b> for MintPy's coherence-only choice (maximum "
        "mean coherence over the <b>window</b>, pixels, odd), which ignores motion.\n\n"
        + STACK_HELP +
        "The log says which pixel (row, column, map coordinates) was chosen and why.\n\n"
        "<b>Outputs</b>: the point (GeoPackage in the interferograms' CRS: ROW, COL, COHERENCE = mean coherence "
        "at the pixel (the window's mean with Stability off; 1 without coherence), RATE = stacking rate in mm/yr, "
        "SCORE = distance from the consistent ground's edge in pixels (0 when there is none; the window coherence "
        "with Stability off)), REFERENCE_POINT as text 'x,y [CRS]' to wire into the SBAS tool's REFERENCE in a "
        "model, and a CSV of the best candidates by the same rule."
    )

    def initAlgorithm(self, config=None):
        self.addParameter(declare.integer(self.WINDOW, "Window (pixels; coherence-only choice)", 5, 1, 51))
        self.addParameter(declare.boolean(self.STABILITY, "Prefer still ground (the SBAS tool's rule)", True))
        self.addParameter(declare.vector_layer(self.STABLE_AREA, "Stable area (polygons)", "polygon", optional=True))
        self.addParameter(declare.raster(self.MASK, "Mask raster (non-zero = allowed)", optional=True))
        self.addParameter(declare.vector_out(self.OUTPUT, "Reference point", "point"))
        self.addParameter(declare.file_out(self.OUTPUT_REPORT, "Candidates (CSV)", "CSV files (*.csv)", optional=True))
        self.addOutput(QgsProcessingOutputString(self.REFERENCE_POINT, self.tr("Reference point as 'x,y [CRS]'")))

    def process(self, parameters, context, feedback):
        stack = stacks.gather_stack(self, parameters, context, allow_mintpy=False, feedback=feedback)
        allowed = layers.fit_mask(self, parameters, context, stack.info)
        job = io_ref.Job(stack=stack, allowed=None if allowed is None else allowed.astype(bool),
                         stability=self.parameterAsBool(parameters, self.STABILITY, context),
                         window=self.parameterAsInt(parameters, self.WINDOW, context),
                         output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
                         report=layers.optional_file(self, parameters, self.OUTPUT_REPORT, context),
                         settings=knobs.run_settings(self, parameters, context))
        return self.finish(io_ref.run(job, progress=FeedbackProgress(feedback)), feedback)
