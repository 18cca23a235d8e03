"""``geohazard:pcaatmosphere``. PCA atmosphere: tropospheric artefacts removed from a displacement time series by
block-wise principal components."""

from __future__ import annotations

from ....fileio.corrections import pcaatmosphere as io_pca
from ...inputs import declare, ids
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool
from ._common import series_fields, step_dates


@tool("pcaatmosphere", "PCA correction of atmospheric artefacts (time series)",
      tags="PCA,principal components,atmosphere,troposphere,APS,correction,time series,interferogram",
      page="corrections", engine=True)
class PcaAtmosphere(GeohazardAlgorithm):
    TILE_PIXELS = "TILE_PIXELS"
    MAX_AUTOCORR = "MAX_AUTOCORR"
    POLY_ORDER = "POLY_ORDER"
    ANNUAL = "ANNUAL"
    STEP_DATES = "STEP_DATES"
    OUTPUT_ATMOSPHERE = "OUTPUT_ATMOSPHERE"
    OUTPUT_COMPONENTS = "OUTPUT_COMPONENTS"
    HELP = (
        "Removes tropospheric artefacts (delays white in time) from a displacement time series and keeps the "
        "deformation that follows a smooth model. It needs the time series (mm, one band per date). It gives the "
        "corrected time series, optionally the estimated atmospheric delay (mm) and the components removed per "
        "tile.\n\n"
        "<b>Method</b>: it removes them with principal components computed block "
        "by block, after the block-based PCA correction of the seed study of this plugin (Dragon-5 landslide "
        "early warning). In each square tile (tiles overlap by half and are blended, so no seam shows) the series is "
        "decomposed into principal components (SVD about its temporal mean, from the dates' Gram matrix); for "
        "each leading component, the part of its temporal signature that a smooth deformation model (polynomial "
        "in time, annual cycle, declared steps) does not explain is atmosphere when it is white in time (lag-one "
        "autocorrelation below MAX_AUTOCORR: the delay of one date is independent of the next), and it is "
        "removed. Deformation that follows the model is kept, including when it shares a component with the "
        "delays. What is removed is orthogonal to the model: velocities are unchanged, the displacement of each "
        "date is cleaned.\n\n"
        "<b>When to use it</b> (synthetic stacks, docs/corrections.md): it removes turbulent and randomly "
        "stratified delays better than phase-elevation fits (which also bend deformation that correlates with "
        "elevation); it keeps a delay that follows the seasons (phase-elevation removes it); it needs many dates "
        "(refused below 3 x the model terms; 30+ recommended); a surge outside the model is partly removed unless "
        "its date is given in STEP_DATES.\n\n"
        "<b>Time series</b>: one band per date, date as band description, mm, as written by the SBAS tool.\n"
        "<b>Tile size</b> (TILE_PIXELS, pixels, default 64): larger than the deforming areas of interest and than the "
        "correlation length of the turbulence.\n"
        "<b>Maximum autocorrelation</b> (default 0.5): white leftovers (below it) are atmosphere.\n"
        "<b>Model</b>: polynomial order (default 2), annual terms (default on), step dates (YYYY-MM-DD).\n\n"
        "<b>Outputs</b>: corrected time series (same layout), optional estimated atmospheric delay per date (mm), "
        "optional number of components removed per tile."
    )
    CARRIES_GEOMETRY = True
    MULTIBAND_INPUTS = (ids.INPUT,)  # one band per date
    MM_INPUTS = (ids.INPUT,)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.INPUT, "Time series (mm, one band per date)"))
        self.addParameter(declare.integer(self.TILE_PIXELS, "Tile size (pixels)", 64, 8, 4096))
        self.addParameter(declare.number(self.MAX_AUTOCORR,
                                         "Largest autocorrelation of an atmospheric signature", 0.5, 0.0,
                                         0.95))
        self.addParameter(declare.integer(self.POLY_ORDER, "Polynomial order of the deformation model", 2, 0, 4))
        self.addParameter(declare.boolean(self.ANNUAL, "Annual cycle in the deformation model", True))
        self.addParameter(declare.text(self.STEP_DATES,
                                       "Step dates of the model (YYYY-MM-DD, ...)",
                                       optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT, "Corrected time series (mm)"))
        self.addParameter(declare.raster_out(self.OUTPUT_ATMOSPHERE, "Estimated atmospheric delay (mm)", optional=True,
                                             create=False))
        self.addParameter(declare.raster_out(self.OUTPUT_COMPONENTS, "Components removed per tile (count)",
                                             optional=True,
                                             create=False))

    def check(self, parameters, context):
        step_dates(self, parameters, context)

    def process(self, parameters, context, feedback):
        job = io_pca.Job(**series_fields(self, parameters, context, io_pca.OUTPUTS),
                         poly_order=self.parameterAsInt(parameters, self.POLY_ORDER, context),
                         annual=self.parameterAsBool(parameters, self.ANNUAL, context),
                         step_dates=step_dates(self, parameters, context),
                         tile=self.parameterAsInt(parameters, self.TILE_PIXELS, context),
                         max_autocorr=self.parameterAsDouble(parameters, self.MAX_AUTOCORR, context))
        return self.finish(io_pca.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
