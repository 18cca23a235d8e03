"""``geohazard:modifynetwork``. Modify network: which interferograms enter the time series (temporal/perpendicular
baseline, coherence, connectivity) and why the others are dropped."""

from __future__ import annotations

from ....fileio.corrections import modifynetwork as io_network
from ...inputs import declare, ids
from ...inputs.feedback import FeedbackProgress
from .._base import StackAlgorithm, tool
from ._common import STACK_HELP, stack_fields


@tool("modifynetwork", "Modify network (drop interferograms)",
      tags="network,interferogram,baseline,coherence,loop closure,drop,MintPy,LiCSBAS,SBAS,time series",
      main=(ids.OUTPUT_REPORT,), page="corrections", engine=True)
class ModifyNetwork(StackAlgorithm):
    EXCLUDE_DATES = "EXCLUDE_DATES"
    START_DATE = "START_DATE"
    END_DATE = "END_DATE"
    MAX_LOOP_MISFIT = "MAX_LOOP_MISFIT"
    LOOP_COHERENCE = "LOOP_COHERENCE"
    KEEP_CONNECTED = "KEEP_CONNECTED"
    ALLOW_DISCONNECTED = "ALLOW_DISCONNECTED"
    HELP = (
        "Chooses the interferograms that go into the time series and says why the others were dropped, as "
        "MintPy's modify_network (Yunjun et al. 2019) with LiCSBAS's loop-closure check (Morishita et al. 2020, "
        "doi:10.3390/rs12030424).\n\n"
        + STACK_HELP +
        "<b>Baselines</b> (optional): GAMMA *_bperp.par / *_base.par files or folder, for the perpendicular-baseline "
        "limit.\n"
        "<b>Criteria</b> (0 / empty = not used): maximum temporal baseline (days), maximum perpendicular baseline "
        "(m), minimum spatial mean coherence (needs COHERENCE), dates to exclude (every interferogram touching "
        "them), pairs to drop (YYYYMMDD_YYYYMMDD, comma separated), first / last date, and the <b>loop-closure "
        "misfit</b> (radians; LiCSBAS uses 1.5): for every triplet ij + jk - ik the spatial standard deviation of "
        "the closure phase is computed over the pixels whose coherence is at least <b>Loop coherence</b> (0.3, "
        "with COHERENCE) in its three interferograms, so incoherent ground does not make a loop bad. The culprits "
        "are dropped one at a time: the interferogram in the most loops above the limit and in no loop below it "
        "goes first, its loops go with it, and the count starts again, so an interferogram that only shared loops "
        "with a dropped one is kept. Run it after geohazard:unwrapclosurecorrection (as Corrected SBAS does): the "
        "loops that correction closes are good, and only what still misfits is dropped.\n"
        "<b>Connectivity</b>: a network split into subsets, or a date losing all its interferograms, is refused "
        "naming the dates, unless <b>Keep connected</b> (puts back the dropped interferograms that reconnect it, "
        "highest coherence or shortest baseline first, never those you excluded by name or date; as MintPy's "
        "keepMinSpanTree) or <b>Allow disconnected</b> (the SBAS tool bridges gaps with its minimum-norm "
        "solution).\n\n"
        "<b>Outputs</b>: a folder with the kept interferograms under their own file names (hard links to the "
        "inputs when the file system allows, else copies): give it to the next tool as INTERFEROGRAMS; the "
        "coherence folder can stay the original one (matched by date pair). Report (CSV): one row per "
        "interferogram with baselines, mean coherence, worst loop misfit, kept or not and why.\n"
        + declare.layers_help(ids.OUTPUT, "Kept interferograms (layers)")
    )

    def initAlgorithm(self, config=None):
        self.addParameter(declare.files(self.BASELINES,
                                        "Perpendicular baselines (files or folder)", optional=True))
        declare.add_network_filter_parameters(self)
        self.addParameter(declare.text(self.EXCLUDE_DATES, "Dates to exclude (YYYYMMDD, ...)",
                                       optional=True))
        self.addParameter(declare.text(self.START_DATE, "First date (YYYYMMDD)", optional=True))
        self.addParameter(declare.text(self.END_DATE, "Last date (YYYYMMDD)", optional=True))
        self.addParameter(declare.number(self.MAX_LOOP_MISFIT, "Maximum loop misfit (radians, 0 = not checked)",
                                         0.0, 0.0))
        self.addParameter(declare.number(self.LOOP_COHERENCE,
                                         "Loop misfit over pixels at least this coherent", 0.3, 0.0, 1.0))
        self.addParameter(declare.boolean(self.KEEP_CONNECTED,
                                          "Keep the network connected",
                                          False))
        self.addParameter(declare.boolean(self.ALLOW_DISCONNECTED, "Allow a disconnected network", False))
        declare.raster_folder_out(self, self.OUTPUT, "Kept interferograms (folder)", "Kept interferograms (layers)")
        self.addParameter(declare.file_out(self.OUTPUT_REPORT, "Network report (CSV)", "CSV files (*.csv)",
                                           optional=True))

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.MAX_TEMPORAL_BASELINE, self.MAX_PERP_BASELINE,
                        self.MIN_MEAN_COHERENCE, self.MAX_LOOP_MISFIT, self.LOOP_COHERENCE, self.KEEP_CONNECTED,
                        self.ALLOW_DISCONNECTED)
        text = {k: self.parameterAsString(parameters, k, context) or "" for k in
                (self.EXCLUDE_DATES, self.DROP_PAIRS, self.START_DATE, self.END_DATE)}
        job = io_network.Job(
            **stack_fields(self, parameters, context, feedback, baselines=True),
            max_temporal_baseline_days=v.MAX_TEMPORAL_BASELINE, max_perp_baseline_m=v.MAX_PERP_BASELINE,
            min_mean_coherence=v.MIN_MEAN_COHERENCE, max_loop_misfit_rad=v.MAX_LOOP_MISFIT,
            loop_coherence=v.LOOP_COHERENCE, exclude_dates=text[self.EXCLUDE_DATES], drop_pairs=text[self.DROP_PAIRS],
            start_date=text[self.START_DATE], end_date=text[self.END_DATE], keep_connected=v.KEEP_CONNECTED,
            allow_disconnected=v.ALLOW_DISCONNECTED)
        return self.finish(io_network.run(job, progress=FeedbackProgress(feedback)), feedback)
