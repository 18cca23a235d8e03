"""``geohazard:unwrapclosurecorrection``. Unwrapping-error correction: whole-cycle errors found from the closure of
interferogram triplets and corrected pixel by pixel."""

from __future__ import annotations

from ...inputs import declare, ids, knobs, layers, stacks
from ...inputs.aliases import Alias
from ...inputs.declare import PRODUCTS_HELP, UNITS_HELP
from ...inputs.feedback import FeedbackProgress
from ...lazy import lazy_module
from .._base import StackAlgorithm, tool
from ._common import output_codec

io_closure = lazy_module("....fileio.corrections.unwrapclosurecorrection", __package__)


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
        "solved exactly (mixed-integer programme, scipy HiGHS) once per distinct closure pattern.\n\n"
        "<b>Safeguards</b> (so that no error is created): a correction must close at least two loops (alpha = 1.5 "
        "per cycle: one failing loop alone is never 'fixed'); a loop is used at a pixel only when its closure is "
        "within MAX_RESIDUAL_RAD of a whole number of cycles (closures near +-pi are noise); when another "
        "correction explains the closures equally well (an interferogram in a single loop, two interferograms with "
        "the same loops) the pixel is left unchanged and counted as ambiguous. A value changes only where the closures "
        "force it: every loop of a corrected interferogram, over all values with data (incoherent ones too), must "
        "close after the correction, and a correction that is part of a date's shift must leave at least twice as "
        "many of the shifted interferograms as it corrects; otherwise the pixel is left and counted as ambiguous. "
        "An unwrapping error is a patch: a correction is kept only where at least two of the 8 neighbouring pixels "
        "share it and it brings the value closer to its settled neighbours' (a lone value whose noise is beyond "
        "half a cycle closes its loops as a slip does, and is left), and a corrected patch's cycles extend to its "
        "pixels whose own loops could not decide when their values then agree with the corrected neighbours "
        "within 0.3 cycle and their closures ask for it. "
        "Where the closures allow a correction and the same plus whole cycles of a run of dates alike (two slips on "
        "two pairs of the last date close their loops as one slip on the third), the ground chooses: the candidate "
        "whose interferograms jump by a whole cycle at the patch's edge (against settled pixels of the row and the "
        "neighbours) is applied, and where the ground confirms none the pixel is left (ambiguous). "
        "Errors that shift a whole date by a cycle are invisible to closures and stay.\n\n"
        "<b>Inputs</b>: unwrapped interferograms (folder or list, date pair in each name, as for the SBAS tool), "
        "optional coherence with COHERENCE_THRESHOLD (values below it are neither used nor corrected; without "
        "coherence rasters it is not applied, with a warning; a threshold that leaves no pixel with a usable loop "
        "is reported with the share of the values that reach 0.1, 0.2 ... 0.9), the unit/sign of the files.\n"
        + PRODUCTS_HELP
        + UNITS_HELP +
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
        job = io_closure.Job(
            stack=stacks.gather_stack(self, parameters, context, allow_mintpy=False, baselines=False,
                                      feedback=feedback),
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
