"""``geohazard:timeseriesmodels``. Time-series models: linear, seasonal, accelerating, logarithmic ... models fitted to
every point, polygon or pixel history."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....algorithms.formats.dates import parse_date
from ....algorithms.models.timeseriesmodels import MODELS
from ....fileio.models import timeseriesmodels as io_models
from ....fileio.motion import points
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool

#: the models' labels in the dialog, by the core's names (their order and the stored indices: the core's)
MODEL_LABELS = {"linear": "Linear", "seasonal": "Seasonal (linear + annual and semi-annual)",
                "quadratic": "Quadratic (constant acceleration)", "logarithmic": "Logarithmic (creep)",
                "afterslip": "Afterslip", "consolidation": "Secondary consolidation"}


@tool("timeseriesmodels", "Time-series models (linear, seasonal, acceleration, logarithmic ...)",
      tags=("time series,velocity,seasonal,acceleration,logarithmic,consolidation,breakpoint,subsidence,"
            "landslide,model fitting"),
      main=(ids.OUTPUT, "OUTPUT_RASTER"), page="models", engine=True)
class TimeSeriesModels(GeohazardAlgorithm):
    INPUT_RASTER = "INPUT_RASTER"
    MODELS = "MODELS"
    CRITERION = "CRITERION"
    ORIGIN_DATE = "ORIGIN_DATE"
    PRIMARY_END_DAYS = "PRIMARY_END_DAYS"
    BREAKPOINTS = "BREAKPOINTS"
    MIN_DELTA_BIC = "MIN_DELTA_BIC"
    OUTPUT_RASTER = "OUTPUT_RASTER"
    HELP = (
        "Fits temporal models (linear, seasonal, acceleration, logarithmic ...) to the displacement history of "
        "every point, polygon or pixel and keeps the best by an information criterion, optionally with a "
        "breakpoint. It needs a vector layer with dated fields or a time-series raster (mm). It gives the model "
        "parameters as points or as a raster.\n\n"
        "<b>Method</b>: it fits temporal models to the displacement history of every point or polygon (vector "
        "layer with "
        "dated fields DYYYYMMDD, as our outputs, PS products and SARvey exports, EGMS YYYYMMDD or SARscape "
        "D_YYYYMMDD) or every pixel (time-series "
        "raster with one band per date and the ISO date as band description, in mm: a MintPy timeseries.h5 is read "
        "as delivered, metres as mm; a raster whose metadata says m is converted, one without a unit whose values "
        "cannot be mm is named in a warning), picks the best model per "
        "point by an information criterion and, optionally, detects a breakpoint.\n\n"
        "<b>Models</b> (d in mm, LOS positive toward the satellite, t in years since the first date, "
        "tau in days since the origin date):\n"
        "linear d = a + v t; seasonal = linear + annual and semi-annual sine/cosine (amplitude and day of "
        "year of the annual peak); quadratic d = a + v t + acc t^2/2 (v at the first date, acc in mm/yr^2); "
        "logarithmic d = a + B log10(tau) + C tau (landslide creep; B mm per decade, C mm/yr); afterslip "
        "d = a + A log10(1 + tau/tau_c) (tau_c fitted, days); secondary consolidation d = a + K log10(tau/Tp) "
        "(K = C_alpha dH in mm per decade of time; divide by the layer thickness for C_alpha).\n"
        "<b>Origin date</b>: event or loading date for the last three models (YYYY-MM-DD; default one "
        "sampling interval before the first date). <b>Tp</b>: end of primary consolidation in days after "
        "loading (0 = the first date).\n"
        "<b>Criterion</b>: AIC, AICc or BIC (Gaussian likelihood; lowest wins, ties go to the simpler model).\n"
        "<b>Breakpoints</b>: for every candidate date a step and a trend change are tested against the "
        "linear model; a break is reported when BIC improves by more than the threshold (10 = very strong).\n\n"
        "<b>Outputs</b>: points: the input attributes and dated fields plus, per model, parameters with "
        "1-sigma uncertainties (_SD), residual RMS (mm) and criterion (_IC), BEST_MODEL, RMS_MM and the "
        "BRK_* fields; rasters: one band per numeric output, named in the band descriptions. Velocities "
        "in mm/yr. Gaps (NULL/NaN) are skipped per point.\n"
        "<b>Blocks</b>: at most 20,000 points or 64 raster rows, fewer when the memory for one block (advanced) is "
        "smaller than that many series (about 44 bytes a date per series, 84 with afterslip).\n\n"
        "References: Burnham & Anderson (2004) doi:10.1177/0049124104268644; Marone et al. (1991) "
        "doi:10.1029/91JB00275; Kass & Raftery (1995) doi:10.1080/01621459.1995.10476572."
    )
    MULTIBAND_INPUTS = ("INPUT_RASTER",)
    MM_INPUTS = ("INPUT_RASTER",)
    CRS_FREE_INPUTS = (ids.INPUT,)
    CRITERIA = ["AIC", "AICc", "BIC"]
    #: the most points / raster rows of one block (fits take tens of microseconds a series: the progress moves
    #: and a cancel is seen between blocks); fewer when the memory budget (MAX_MEMORY_MB) is smaller
    BLOCK_POINTS, BLOCK_ROWS = 20000, 64

    def initAlgorithm(self, config=None):
        self.addParameter(declare.features(self.INPUT,
            "Points or ADAs (this or a raster needed)", optional=True))
        self.addParameter(declare.raster(self.INPUT_RASTER,
                                         "Or: time-series raster (this or points needed)",
                                         optional=True))
        self.addParameter(declare.enum(self.MODELS, "Models to fit", [MODEL_LABELS[m] for m in MODELS], [0, 1, 2],
                                       multiple=True))
        self.addParameter(declare.enum(self.CRITERION, "Model choice criterion", self.CRITERIA, 2))
        self.addParameter(declare.text(self.ORIGIN_DATE, "Origin date of log models (YYYY-MM-DD)",
                                       optional=True))
        self.addParameter(declare.number(self.PRIMARY_END_DAYS,
                                         "End of primary consolidation Tp (days; 0 = first date)", 0.0,
                                         0.0))
        self.addParameter(declare.boolean(self.BREAKPOINTS, "Detect a breakpoint (step or trend change)", False))
        self.addParameter(declare.number(self.MIN_DELTA_BIC, "Breakpoint evidence threshold (BIC improvement)", 10.0,
                                         0.0))
        self.addParameter(declare.vector_out(self.OUTPUT, "Model parameters (points)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_RASTER, "Model parameters (raster)", optional=True,
                                             create=False))

    def check(self, parameters, context):
        has_v = bool(parameters.get(self.INPUT))
        has_r = bool(parameters.get(self.INPUT_RASTER))
        if not has_v and not has_r:
            raise GeohazardError(self.tr("Dated points or ADA polygons (INPUT) or a time-series raster (INPUT_RASTER) "
                                         "is needed: give one of the two"))
        if has_v and has_r:
            raise GeohazardError(self.tr("Give either INPUT (points) or INPUT_RASTER (time-series raster), not both"))
        if has_r:
            if not parameters.get(self.OUTPUT_RASTER):
                raise GeohazardError(self.tr("INPUT_RASTER needs OUTPUT_RASTER (a .tif path)"))
            points.raster_dates(self.raster_info(parameters, self.INPUT_RASTER, context), self.INPUT_RASTER)
        else:
            if not parameters.get(self.OUTPUT):
                raise GeohazardError(self.tr("INPUT (points) needs OUTPUT (a .gpkg path, or TEMPORARY_OUTPUT)"))
            source, uri = layers.dated_source(self, parameters, self.INPUT, context)
            points.date_fields_of(source, self.INPUT, uri)
        if parameters.get(self.ORIGIN_DATE):
            parse_date(self.parameterAsString(parameters, self.ORIGIN_DATE, context))

    def _options(self, parameters, context):
        """``(options of fit_models, breakpoints, minimum delta BIC)``."""
        v = self.values(parameters, context, self.MODELS, self.ORIGIN_DATE, self.PRIMARY_END_DAYS, self.CRITERION,
                        self.BREAKPOINTS, self.MIN_DELTA_BIC)
        origin = v.ORIGIN_DATE.strip() or None
        opts = dict(models=[MODELS[i] for i in v.MODELS] or ["linear"], criterion=self.CRITERIA[v.CRITERION].lower(),
                    origin_date=parse_date(origin) if origin else None, primary_end_days=v.PRIMARY_END_DAYS or None)
        return opts, v.BREAKPOINTS, v.MIN_DELTA_BIC

    def process(self, parameters, context, feedback):
        opts, breaks, min_dbic = self._options(parameters, context)
        settings = knobs.run_settings(self, parameters, context)
        grid = source = uri = None
        if parameters.get(self.INPUT_RASTER):
            grid = self.raster_info(parameters, self.INPUT_RASTER, context)
        else:
            source, uri = layers.dated_source(self, parameters, self.INPUT, context)
        out_id = self.OUTPUT_RASTER if grid is not None else self.OUTPUT
        job = io_models.Job(opts=opts, breaks=breaks, min_dbic=min_dbic, settings=settings, raster=grid,
                            raster_name=self.INPUT_RASTER, points=source, uri=uri or "", points_name=self.INPUT,
                            output=self.parameterAsOutputLayer(parameters, out_id, context), output_id=out_id,
                            block_points=self.BLOCK_POINTS, block_rows=self.BLOCK_ROWS)
        return self.finish(io_models.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
