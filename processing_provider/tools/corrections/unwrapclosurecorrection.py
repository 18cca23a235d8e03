"""``geohazard:unwrapclosurecorrection``. Unwrapping-error correction: whole-cycle errors found from the closure of
interferogram triplets and corrected pixel by pixel."""

from __future__ import annotations

from ....fileio.corrections import unwrapclosurecorrection as io_closure
from ...inputs import declare, ids, knobs, layers, stacks
from ...inputs.aliases import Alias
from ...inputs.declare import PRODUCTS_HELP, UNITS_HELP
from ...inputs.feedback import FeedbackProgress
from .._base import StackAlgorithm, tool
from ._common import output_codec


@tool("unwrapclosurecorrection", "Unwrapping-error correction by phase closure",
      tags="unwrapping error,phase closure,loop closure,triplet,correction,interferogram,MintPy,LiCSBAS",
      main=("OUTPUT_NONCLOSING", "OUTPUT_STATS"), page="corrections",
      former=(Alias("MIN_COHERENCE", ids.COHERENCE_THRESHOLD),), engine=True)
class UnwrapClosureCorrection(StackAlgorithm):
    MAX_CYCLES = "MAX_CYCLES"
    LOOP_THRESHOLD_RAD = "LOOP_THRESHOLD_RAD"
    MAX_RESIDUAL_RAD = "MAX_RESIDUAL_RAD"
    OUTPUT_CYCLES = "OUTPUT_CYCLES"
    OUTPUT_NONCLOSING = "OUTPUT_NONCLOSING"
    OUTPUT_STATS = "OUTPUT_STATS"
    OUTPUT_LOOPS = "OUTPUT_LOOPS"
    HELP = (
        "Finds and corrects unwrapping errors (whole phase cycles) in a stack of unwrapped interferograms from the "
        "closure of their triplets ij + jk - ik, pixel by pixel, and reports LiCSBAS-style loop-closure "
        "statistics. It needs the unwrapped interferograms (coherence optional). It gives the corrected "
        "interferograms, the cycles corrected and the loops that do not close per pixel, and the statistics per "
        "interferogram and per loop.\n\n"
        "<b>Method</b>: that of MintPy's unwrap_error_phase_closure (Yunjun et al. 2019, "
        "doi:10.1016/j.cageo.2019.104331): the integer closure ambiguities K = round(C phi / 2 pi) of a pixel are "
        "explained by the sparsest integer cycles U added to the interferograms, min sum|C U + K| + alpha sum|U|, "
        "solved exactly (mixed-integer programme, scipy HiGHS) once per distinct closure pattern. The pattern a "
        "pixel solves is the one its 7 x 7 neighbourhood agrees on, loop by loop (then a 3 x 3 one, where a "
        "correction must close two loops, for small patches): an unwrapping error is a region (a bank aligned "
        "wrongly across an incoherent river, a patch inside a component) whose pixels share their closures, while "
        "noise flips one loop at one pixel; loops whose neighbourhood is decorrelated (fewer than 60 % of its "
        "closures near whole cycles) do not testify. The integer closures are counted relative to the largest "
        "region's (the closure common to the network: its fraction and the largest region's whole cycles, from a "
        "sample of rows), so every region is brought to the same level, as MintPy's reference pixel does. A second "
        "pass gives each connected component (pixels with data in half the interferograms, split by water or no "
        "data, 4-connected) the correction more than 90 % of its values took, on its values left undecided "
        "(ambiguous ones too) unless one of their own loops near whole cycles opens with it and none closes, as "
        "MintPy corrects per connected component.\n\n"
        "<b>Safeguards</b> (so that no error is created): where another correction explains the closures as well "
        "(an equal-cost solution, or a run of dates shifted by a cycle giving one as sparse) the pixel is left and "
        "counted as ambiguous; a correction is applied to an interferogram at a pixel only where the pixel's own "
        "loops of that interferogram close better with it, by half a cycle at least; a corrected patch's cycles "
        "reach its edge where 3 of the 8 neighbours carry them and the pixel's own loops agree. A correction and the "
        "same with one date shifted by a cycle close every loop alike (a patch slipped on two of the three pairs "
        "ending at the last date closes as the third slipped the other way): between them, a corrected region's "
        "edge chooses, in a pass between the two: the right one leaves the date's pairs continuous across it (a "
        "region takes the shift where at least 8 of its edges, twice as many for as against and more than half of "
        "them, ask for it). Last, in a pass of its own, a correction none of a value's 8 neighbours carries is "
        "refused, and a small region of one interferogram's corrections (up to 6 x 6 pixels) whose neighbours all "
        "carry one other correction takes it where the loops of its pixels, counted together, close better with it "
        "(a twin of a region's slips taken by a few decorrelated pixels). Errors that shift a whole date by a cycle "
        "everywhere are invisible to closures and stay.\n\n"
        "<b>Inputs</b>: unwrapped interferograms (folder or list, date pair in each name, as for the SBAS tool), "
        "optional coherence with COHERENCE_THRESHOLD (values below it are neither used nor corrected; without "
        "coherence rasters it is not applied, with a warning; a threshold that leaves no pixel with a usable loop "
        "is reported with the share of the values that reach 0.1, 0.2 ... 0.9), the unit/sign of the files.\n"
        + PRODUCTS_HELP
        + UNITS_HELP +
        "<b>Stable area</b> (optional polygons, STABLE_AREA): the reference of the corrections, as MintPy's "
        "reference pixel: the integer closures most of its pixels share are the level every region is brought to, "
        "so values the closures cannot decide (decorrelated ground, an incoherent line across the scene) stay as "
        "right as the stable area. Without it, the largest region's (below).\n"
        "<b>Reference</b>: none is needed. The non-integer part of each loop's closure common to the network "
        "(interferograms referenced to different points, a constant phase bias) is estimated as the circular mean "
        "over a sample of rows and removed before rounding, so no single reference pixel (which could itself carry "
        "an unwrapping error) decides the integer closures. The outputs keep the input's own reference: only whole "
        "cycles are added.\n"
        "<b>Maximum cycles</b> (default 3): largest correction of one interferogram at one pixel.\n"
        "<b>Bad-loop threshold</b> (default 1.5 rad, LiCSBAS loop_thre): a loop whose RMS closure is at or above it "
        "is bad; an interferogram in bad loops only is flagged bad.\n\n"
        "<b>Outputs</b>: OUTPUT folder with the corrected interferograms under the same file names (GeoTIFF, "
        "ZSTD, uncompressed in a temporary folder as a model's intermediate step; same unit and sign as the input); "
        "number of cycles corrected per pixel (sum over interferograms); "
        "number of non-closing loops (|closure| > pi) per pixel, band 1 before and band 2 after correction; a CSV per "
        "interferogram: loops, bad loops, mean RMS closure (rad), share of its loops' pixels with |closure| > pi "
        "before and after, corrected pixels, bad flag; optional CSV per loop (LiCSBAS loop_info: its three "
        "interferograms, pixels, RMS closure, shares before and after, bad).\n"
        + declare.layers_help(ids.OUTPUT, "Corrected interferograms (layers)") +
        "<b>Memory</b> (advanced, default 512 MB): the blocks of the run (read ahead, computed, being written) "
        "fit in it, and GDAL's cache is held to half of it while the tool runs."
    )
    OVERLAP = ((ids.INTERFEROGRAMS, ids.COHERENCE),)

    def input_raster_files(self, parameters, context):
        return stacks.stack_raster_files(self, parameters, context)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.number(ids.COHERENCE_THRESHOLD,
                                         "Minimum coherence (0 = all)", 0.0,
                                         0.0, 1.0))
        self.addParameter(declare.vector_layer(ids.STABLE_AREA, "Stable area (polygons)", "polygon", optional=True))
        self.addParameter(declare.integer(self.MAX_CYCLES, "Largest correction per interferogram and pixel (cycles)",
                                          3, 1, 20))
        self.addParameter(declare.number(self.LOOP_THRESHOLD_RAD, "Bad-loop threshold: RMS closure (rad)", 1.5, 0.01,
                                         10.0))
        self.addParameter(declare.number(self.MAX_RESIDUAL_RAD,
                                         "Largest closure off whole cycles of a loop used (rad)", 1.5, 0.1, 3.0,
                                         advanced=True))
        declare.raster_folder_out(self, self.OUTPUT, "Corrected interferograms folder",
                                  "Corrected interferograms (layers)")
        self.addParameter(declare.raster_out(self.OUTPUT_CYCLES, "Cycles corrected per pixel (count)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_NONCLOSING, "Non-closing loops per pixel (before, after)",
                                             optional=True))
        self.addParameter(declare.file_out(self.OUTPUT_STATS, "Loop-closure statistics per interferogram",
                                           "CSV files (*.csv)", optional=True))
        self.addParameter(declare.file_out(self.OUTPUT_LOOPS, "Loop-closure statistics per loop", "CSV files (*.csv)",
                                           optional=True, create=False))

    def process(self, parameters, context, feedback):
        stack = stacks.gather_stack(self, parameters, context, allow_mintpy=False, baselines=False, feedback=feedback)
        job = io_closure.Job(
            stack=stack,
            stable=layers.fit_mask(self, parameters, context, stack.info) if parameters.get(ids.STABLE_AREA) else None,
            output=self.parameterAsString(parameters, self.OUTPUT, context),
            codec=output_codec(self, parameters, context),
            rasters=layers.output_paths(self, parameters, (self.OUTPUT_CYCLES, self.OUTPUT_NONCLOSING), context,
                                        optional=(self.OUTPUT_CYCLES, self.OUTPUT_NONCLOSING)),
            tables={k: self.parameterAsFileOutput(parameters, k, context)
                    for k in (self.OUTPUT_STATS, self.OUTPUT_LOOPS) if parameters.get(k)},
            coherence_threshold=self.parameterAsDouble(parameters, ids.COHERENCE_THRESHOLD, context),
            max_cycles=self.parameterAsInt(parameters, self.MAX_CYCLES, context),
            max_residual_rad=self.parameterAsDouble(parameters, self.MAX_RESIDUAL_RAD, context),
            loop_threshold_rad=self.parameterAsDouble(parameters, self.LOOP_THRESHOLD_RAD, context),
            settings=knobs.run_settings(self, parameters, context))
        return self.finish(io_closure.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
