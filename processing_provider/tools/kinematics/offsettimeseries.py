"""``geohazard:offsettimeseries``. Offset time series: displacement histories from a redundant network of offset-
tracking pairs."""

from __future__ import annotations

from ....fileio.kinematics import offsettimeseries as io_ots
from ...inputs import declare, kinematics, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("offsettimeseries", "Offset time series (pair network)",
      tags="offset tracking,time series,glacier,landslide,velocity,network,least squares", main=("OUTPUT_VELOCITY",),
      kernels=("kinematics.offset_timeseries",), page="kinematics", engine=True)
class OffsetTimeSeries(GeohazardAlgorithm):
    INPUTS = "INPUTS"
    COMPONENTS = "COMPONENTS"
    WEIGHT_BAND = "WEIGHT_BAND"
    K_MAD = "K_MAD"
    MIN_REJECT = "MIN_REJECT"
    OUTPUT_SIGMA = "OUTPUT_SIGMA"
    OUTPUT_VELOCITY = "OUTPUT_VELOCITY"
    OUTPUT_COMPONENTS = "OUTPUT_COMPONENTS"
    OUTPUT_UNCHECKED = "OUTPUT_UNCHECKED"
    HELP = (
        "Displacement time series from a redundant set of offset-tracking pairs (e.g. 'Offset tracking' outputs of "
        "Sentinel-1 or Sentinel-2 pairs of a glacier or landslide), by two-step least squares per connected "
        "component of the pair network.\n\n"
        "<b>Offset rasters</b>: one per pair, on one grid, with the two dates in the file name as for "
        "interferograms (20200101_20200113, 20200101-20200113, ...), or a folder of them (its rasters whose names "
        "carry a date pair). A name with the later date first is read as the reversed pair (its offsets change "
        "sign).\n"
        "<b>Component bands</b> (COMPONENTS): the bands holding the components, comma separated (default '1,2' = "
        "east and north metres of "
        "'Offset tracking'; '1' for one component). <b>Correlation band</b> (0 = none; 7 in 'Offset tracking' "
        "outputs): weights of the second step, rho^2/(1-rho^2), the inverse variance of a correlation offset "
        "(Bamler & Eineder 2005, doi:10.1109/LGRS.2004.843203).\n"
        "<b>Method</b>, per pixel: the pairs with data link the dates into a graph; each connected component is "
        "solved on its own, its displacements referenced to its own first date (0): nothing joins two "
        "components, no velocity is assumed across a gap. Step 1 (gross errors): (a) where more than half of the "
        "pairs are redundant, a robust fit (Huber M-estimator by iteratively reweighted least squares, scale s = "
        "1.4826 x median|residual|), pairs with |residual| > <b>k</b> x s and > <b>Minimum residual to reject</b> "
        "rejected (several errors at once); with less redundancy the robust fit zeroes most residuals and its "
        "scale collapses, so it is not used there; (b) data snooping (Baarda 1968), "
        "one pair at a time: weighted least squares, then for each pair its residual normalised by its "
        "redundancy number and by the scale of the other pairs (externally studentised, F-distributed for a "
        "good pair); the largest one above the critical value is rejected (if its |residual| > <b>Minimum "
        "residual to reject</b>) and the fit repeated. <b>k</b> (default 3) sets the false-alarm rate: "
        "erfc(k/sqrt2) = 0.27 % per pixel, shared over its pairs. Nothing is tested with fewer than "
        "2 redundant pairs; a pair whose removal would split the network cannot be tested (and its dates are "
        "flagged unchecked, below); a gross error on one of two pairs that alone link a date is detected but "
        "not located: one of them is rejected and the date is flagged. Step 2: weighted least squares on the "
        "remaining pairs (step 1 uses the same weights); per-date "
        "uncertainty sigma = sqrt(s0^2 diag((A'WA)^-1)), s0^2 = weighted residual sum / (pairs - unknowns) (NaN "
        "without redundancy). <b>Unchecked dates</b>: a pair that alone links a date (or a group of dates) to the "
        "rest of its component is a bridge of the pixel's pair graph (after missing values and rejections); its "
        "residual is zero whatever its error, so a gross error on it cannot be detected and shifts every date on "
        "its far side from the component's first date. Such dates keep their value but are flagged 1 in "
        "<b>Unchecked dates</b> and counted in the log; sigma does not show it.\n\n"
        "Outputs (units of the input bands, usually m): <b>Displacement</b> time series, bands = component x date "
        "(descriptions 'c1_YYYY-MM-DD'); <b>Uncertainty</b> (optional, same bands); <b>Velocity</b>: per component "
        "the least-squares slope over the component spanning the longest time (per year), then the number of "
        "network components, pairs used and pairs rejected; <b>Components</b> (optional): the network component "
        "of each date per pixel (0 = no data); <b>Unchecked dates</b> (optional): per date and pixel 1 = its "
        "displacement rests on a single pair somewhere between it and its component's first date (a gross error "
        "there cannot be detected), 0 = every link is redundant, -1 = no data. The log lists the components of "
        "the full network and the number of pixel-dates resting on a single pair.\n"
        "Reference: Altena et al. (2019) doi:10.5194/tc-13-795-2019 (pair networks of glacier offsets)."
    )
    FOLDER_INPUTS = ("INPUTS",)
    input_raster_files = kinematics.offset_files
    MULTIBAND_INPUTS = ("INPUTS",)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.rasters(self.INPUTS, "Offset rasters (dates in the names)"))
        self.addParameter(declare.text(self.COMPONENTS, "Component bands (comma separated)", "1,2"))
        self.addParameter(declare.integer(self.WEIGHT_BAND, "Correlation band (0 = none)", 0, 0))
        self.addParameter(declare.number(self.K_MAD, "Rejection threshold k (scales)", 3.0, 0.5, 100.0))
        self.addParameter(declare.number(self.MIN_REJECT, "Minimum residual to reject (input units)", 0.0, 0.0))
        self.addParameter(declare.raster_out(self.OUTPUT, "Displacement"))
        self.addParameter(declare.raster_out(self.OUTPUT_VELOCITY, "Velocity"))
        self.addParameter(declare.raster_out(self.OUTPUT_SIGMA, "Uncertainty", optional=True, create=False))
        self.addParameter(declare.raster_out(self.OUTPUT_COMPONENTS, "Network components", optional=True, create=False))
        self.addParameter(declare.raster_out(self.OUTPUT_UNCHECKED, "Unchecked dates (resting on a single pair)",
                                             optional=True, create=False))

    def check(self, parameters, context):
        kinematics.offset_pairs(self, parameters, context)

    def process(self, parameters, context, feedback):
        paths, pairs, signs, info, bands, wb = kinematics.offset_pairs(self, parameters, context)
        v = self.values(parameters, context, self.K_MAD, self.MIN_REJECT)
        optional = (self.OUTPUT_SIGMA, self.OUTPUT_COMPONENTS, self.OUTPUT_UNCHECKED)
        job = io_ots.Job(
            paths=tuple(paths), pairs=tuple(pairs), signs=tuple(signs), bands=tuple(bands), grid=info,
            weight_band=wb or 0, k_mad=v.K_MAD, min_reject=v.MIN_REJECT,
            outputs=layers.output_paths(self, parameters, (self.OUTPUT, self.OUTPUT_VELOCITY) + optional, context,
                                        optional=optional),
            ids={"displacement": self.OUTPUT, "velocity": self.OUTPUT_VELOCITY, "sigma": self.OUTPUT_SIGMA,
                 "labels": self.OUTPUT_COMPONENTS, "unchecked": self.OUTPUT_UNCHECKED},
            settings=knobs.run_settings(self, parameters, context))
        return self.finish(io_ots.run(job, progress=FeedbackProgress(feedback)), feedback)
