"""``geohazard:displacementforecast``. Displacement at future dates: a temporal model per point or pixel, its value
and the 1-sigma of a future measurement at each forecast date, scored on held-out last dates."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....algorithms.hazard import forecast as fc
from ....fileio.base import raster
from ....fileio.hazard import displacementforecast as io_df
from ....fileio.motion import points
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool

MODEL_LABELS = ["Best (criterion with the noise's correlation)", "Linear", "Linear + annual",
                "Quadratic (constant acceleration)",
                "Logarithmic creep", "Secondary consolidation", "Exponential decay"]


@tool("displacementforecast", "Displacement forecast",
      tags=("forecast,prediction,future,time series,consolidation,creep,logarithmic,exponential,decay,hold-out,"
            "subsidence,landslide,mine,waste dump,uncertainty,acceleration,offset,step,model choice"),
      main=("OUTPUT_RASTER", ids.OUTPUT), page="hazard", engine=True)
class DisplacementForecast(GeohazardAlgorithm):
    INPUT_RASTER = "INPUT_RASTER"
    MODEL = "MODEL"
    CRITERION = "CRITERION"
    FORECAST_DATES = "FORECAST_DATES"
    HOLDOUT = "HOLDOUT"
    ORIGIN_DATE = "ORIGIN_DATE"
    PRIMARY_END_DAYS = "PRIMARY_END_DAYS"
    THICKNESS = "THICKNESS"
    OUTPUT_RASTER = "OUTPUT_RASTER"
    OUTPUT_SIGMA = "OUTPUT_SIGMA"
    OUTPUT_MODEL = "OUTPUT_MODEL"
    OUTPUT_STEPS = "OUTPUT_STEPS"
    OUTPUT_CHOICE = "OUTPUT_CHOICE"
    HOLDOUT_RMSE_MM = "HOLDOUT_RMSE_MM"
    COVERAGE_2SIGMA = "COVERAGE_2SIGMA"
    HELP = (
        "Forecasts the displacement of every point or pixel at future dates with a calibrated 1-sigma: chooses per "
        "series among a line, a season, an acceleration, creep, consolidation and decay (and the line with offsets) "
        "by a criterion that counts the noise's correlation, and says the model, its runner-up, whether the choice "
        "was close, and the offsets found and used. Needs a dated point layer or a time-series raster and the "
        "forecast dates.\n\n"
        "<b>Input</b>: dated points (fields DYYYYMMDD, D_YYYYMMDD or EGMS YYYYMMDD; loadegms layers) or a "
        "time-series raster (one band per date, the ISO date as band description; MintPy timeseries.h5 as "
        "delivered), displacement in mm, LOS positive toward the satellite (or any component: the forecast keeps "
        "the input's sign and reference).\n"
        "<b>Model</b> (d in mm, t in years since the first date, tau in days since the origin date): linear "
        "a + v t; linear + annual (sine and cosine of the calendar year); quadratic a + v t + acc t^2/2; "
        "logarithmic creep A + B ln(1 + tau/tau_c) + C tau; secondary consolidation a + K log10(tau/Tp) (without an "
        "origin date the time since loading is fitted: a + K log10(1 + tau/t_l)); exponential decay "
        "a + A (1 - exp(-tau/tau_c)). 'Best' (the default) fits all of them and the line with the offsets (steps) "
        "found in the series, and keeps the lowest criterion (AIC, AICc or BIC): -2 ln L under AR(1) noise (its "
        "correlation phi from the model's own residuals, restricted maximum likelihood) plus the criterion's price "
        "per parameter, each parameter beyond the line's two priced (1 + phi)/(1 - phi) times (correlated dates "
        "are weaker evidence). A quadratic counts only as an acceleration (its velocity does not turn back after "
        "the first quarter of the window), creep and decay only with their time constant inside the window; a "
        "season needs 2 years and 24 dates, a curvature 1 year and 20. Offsets: every date scanned in the series "
        "whitened for its correlation, each kept where it cuts the misfit by more than 4 ln n residual variances.\n"
        "<b>Sigma</b>: the chosen model's parameters' covariance (AR(1)-inflated) to the forecast date plus the "
        "residual variance, times the factor that makes its rolling-origin errors unit-variance (never below 1), "
        "plus a random-walk variance growing with the horizon, plus the spread of the other models' forecasts "
        "weighted by their criterion weights. COVERAGE_2SIGMA: the share of rolling-origin held-out values within "
        "2 sigma (the log gives it per model); near 0.95 when the sigma is right. A step after the last date cannot "
        "be foreseen.\n"
        "<b>Forecast dates</b>: YYYY-MM-DD, comma separated, after the last date (a date inside or before the series "
        "is refused). A horizon longer than the observed span is warned about.\n"
        "<b>Hold-out</b> (N dates): the choice and fit on the dates before the last N, predicted on those: "
        "HOLDOUT_RMSE_MM; the forecast itself comes from all dates. 0 = no hold-out.\n"
        "<b>Origin date</b>: event or loading date of the last three models, before the first date (default one "
        "sampling interval before it); <b>Tp</b>: end of primary consolidation in days after loading (0 = the first "
        "date). <b>Thickness</b> (m, raster on the input's grid, optional): C = |K|/(1000 H) per decade of time is "
        "logged; pixels without a positive thickness get no consolidation model.\n\n"
        "<b>Outputs</b>: for a raster, the forecast, sigma and model rasters (one band per forecast date, the ISO "
        "date as band description, mm, the input's metadata carried); OUTPUT_MODEL 1..6 in the order above (0 = "
        "none); OUTPUT_STEPS (int: offsets found, 1 where the forecast used them, then each offset's date "
        "YYYYMMDD); OUTPUT_CHOICE (1 where the runner-up is within 2 of the criterion, the runner-up's code, 7 = "
        "the line with offsets, the gap, the chosen model's weight). For points: the input's attributes, MODEL, "
        "MODEL_NAME, STEPS, STEPS_USED, STEP_DATES, CLOSE, RUNNER_UP, GAP_IC, MODEL_WEIGHT, D<YYYYMMDD> forecasts "
        "and S<YYYYMMDD> sigmas (mm). Points or pixels with too few valid dates (parameters + 2) stay empty. The "
        "time of failure of an accelerating slope: use inversevelocity.\n\n"
        "References: Burnham & Anderson (2004) doi:10.1177/0049124104268644; Cheang & Reinsel (2000) "
        "doi:10.1080/01621459.2000.10474318; Zhang & Siegmund (2007) doi:10.1111/j.1541-0420.2006.00662.x; "
        "Tashman (2000) doi:10.1016/S0169-2070(00)00065-0; Savage & Langbein (2008) doi:10.1029/2008JB005723; "
        "Buisman (1936), secondary consolidation."
    )
    MULTIBAND_INPUTS = ("INPUT_RASTER",)
    MM_INPUTS = ("INPUT_RASTER",)
    CRS_FREE_INPUTS = (ids.INPUT,)
    OVERLAP = (("INPUT_RASTER", "THICKNESS"),)
    CRITERIA = ["AIC", "AICc", "BIC"]

    def initAlgorithm(self, config=None):
        from qgis.core import QgsProcessingOutputNumber

        self.addParameter(declare.features(self.INPUT, "Dated points (this or a raster needed)", optional=True))
        self.addParameter(declare.raster(self.INPUT_RASTER, "Or: time-series raster (one of the two needed)",
                                         optional=True))
        self.addParameter(declare.enum(self.MODEL, "Model", MODEL_LABELS, 0))
        self.addParameter(declare.enum(self.CRITERION, "Model choice criterion", self.CRITERIA, 2))
        self.addParameter(declare.text(self.FORECAST_DATES, "Forecast dates (YYYY-MM-DD, YYYY-MM-DD ...)"))
        self.addParameter(declare.integer(self.HOLDOUT, "Last dates held out (0 = none)", 0, 0))
        self.addParameter(declare.text(self.ORIGIN_DATE, "Origin date (event, loading; YYYY-MM-DD)", optional=True))
        self.addParameter(declare.number(self.PRIMARY_END_DAYS,
                                         "End of primary consolidation Tp (days; 0 = first date)", 0.0, 0.0))
        self.addParameter(declare.raster(self.THICKNESS, "Fill thickness for consolidation (m)", optional=True))
        self.addParameter(declare.vector_out(self.OUTPUT, "Forecast (points)", optional=True))
        # every output made by default: a run with either input gives its own (the other kind's are not written)
        self.addParameter(declare.raster_out(self.OUTPUT_RASTER, "Forecast (mm)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_SIGMA, "Forecast sigma (mm)", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_MODEL, "Model used", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_STEPS, "Offsets found and used", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_CHOICE, "Choice: close flag, runner-up, gap, weight",
                                             optional=True))
        self.addOutput(QgsProcessingOutputNumber(self.HOLDOUT_RMSE_MM, self.tr("Hold-out RMSE (mm)")))
        self.addOutput(QgsProcessingOutputNumber(self.COVERAGE_2SIGMA,
                                                 self.tr("Share of held-out values within 2 sigma")))

    def check(self, parameters, context):
        self._inputs_and_outputs(parameters)
        self._series_dates(parameters, context)

    def _inputs_and_outputs(self, parameters):
        """One input, its output given; a thickness only with a raster (the base checks before every run)."""
        has_v, has_r = bool(parameters.get(self.INPUT)), bool(parameters.get(self.INPUT_RASTER))
        dated, series = _label(self, self.INPUT), _label(self, self.INPUT_RASTER)
        if has_v == has_r:
            raise GeohazardError((self.tr("{a} or {b} is needed: give one of the two") if not has_v else
                                  self.tr("Give either {a} or {b}, not both")).format(a=dated, b=series))
        if has_r and not parameters.get(self.OUTPUT_RASTER):
            raise GeohazardError(self.tr("{a} needs {b}: a .tif path, or a temporary output").format(
                a=series, b=_label(self, self.OUTPUT_RASTER)))
        if has_v and not parameters.get(self.OUTPUT):
            raise GeohazardError(self.tr("{a} needs {b}: a .gpkg path, or a temporary output").format(
                a=dated, b=_label(self, self.OUTPUT)))
        if parameters.get(self.THICKNESS) and not has_r:
            raise GeohazardError(self.tr("{a} is a raster on the grid of {b}: give the series as a raster, or leave "
                                         "the thickness empty").format(a=_label(self, self.THICKNESS), b=series))

    def _series_dates(self, parameters, context):
        """``(dates, forecast dates, options)``, each checked: one input and its output, the dates, the length."""
        has_r = bool(parameters.get(self.INPUT_RASTER))
        if has_r:
            info = self.raster_info(parameters, self.INPUT_RASTER, context)
            dates = points.raster_dates(info, self.INPUT_RASTER)
            if parameters.get(self.THICKNESS):
                raster.check_same_grid([info, self.raster_info(parameters, self.THICKNESS, context)],
                                       [self.INPUT_RASTER, self.THICKNESS])
        else:
            source, uri = layers.dated_source(self, parameters, self.INPUT, context)
            dates = sorted(d for _, d in points.date_fields_of(source, self.INPUT, uri))
        v = self.values(parameters, context, self.MODEL, self.CRITERION, self.FORECAST_DATES, self.HOLDOUT,
                        self.ORIGIN_DATE, self.PRIMARY_END_DAYS)
        model = fc.BEST if v.MODEL == 0 else fc.FORECAST_MODELS[v.MODEL - 1]
        fc.check_series_length(len(dates), model, int(v.HOLDOUT), name=self.INPUT_RASTER if has_r else self.INPUT)
        origin = (v.ORIGIN_DATE or "").strip()
        origin_date = fc.origin_of(origin, dates, model, name=_label(self, self.ORIGIN_DATE))
        opts = dict(model=model, criterion=self.CRITERIA[v.CRITERION].lower(), holdout=int(v.HOLDOUT),
                    origin_date=origin_date, primary_end_days=v.PRIMARY_END_DAYS or None)
        return dates, v.FORECAST_DATES, opts

    def process(self, parameters, context, feedback):
        dates, text, opts = self._series_dates(parameters, context)
        settings = knobs.run_settings(self, parameters, context)
        if parameters.get(self.INPUT_RASTER):
            rasters = (self.OUTPUT_RASTER, self.OUTPUT_SIGMA, self.OUTPUT_MODEL, self.OUTPUT_STEPS, self.OUTPUT_CHOICE)
            out = layers.output_paths(self, parameters, rasters, context, optional=rasters[1:])
            grid = self.raster_info(parameters, self.INPUT_RASTER, context)
            thick = self.raster_path(parameters, self.THICKNESS, context) if parameters.get(self.THICKNESS) else ""
            source = uri = None
            unused = (self.OUTPUT,)
        else:
            source, uri = layers.dated_source(self, parameters, self.INPUT, context)
            out = {self.OUTPUT: self.parameterAsOutputLayer(parameters, self.OUTPUT, context)}
            grid, thick = None, ""
            unused = (self.OUTPUT_RASTER, self.OUTPUT_SIGMA, self.OUTPUT_MODEL, self.OUTPUT_STEPS, self.OUTPUT_CHOICE)
        job = io_df.Job(
            dates=tuple(dates), forecast_text=text, opts=opts, labels=tuple(MODEL_LABELS), settings=settings,
            raster=grid, thickness=thick, points=source, uri=uri or "", output=out.get(self.OUTPUT, ""),
            outputs={"forecast": out.get(self.OUTPUT_RASTER), "sigma": out.get(self.OUTPUT_SIGMA),
                     "model": out.get(self.OUTPUT_MODEL), "steps": out.get(self.OUTPUT_STEPS),
                     "choice": out.get(self.OUTPUT_CHOICE)},
            names={"input": self.INPUT, "input_raster": self.INPUT_RASTER, "forecast_dates": self.FORECAST_DATES},
            ids={"output": self.OUTPUT, "forecast": self.OUTPUT_RASTER, "sigma": self.OUTPUT_SIGMA,
                 "model": self.OUTPUT_MODEL, "steps": self.OUTPUT_STEPS, "choice": self.OUTPUT_CHOICE,
                 "rmse": self.HOLDOUT_RMSE_MM, "coverage": self.COVERAGE_2SIGMA})
        outcome = io_df.run(job, progress=FeedbackProgress(feedback), context=context)
        _not_written(context, unused)
        return self.finish(outcome, feedback)


def _label(alg, pid: str) -> str:
    """What the dialog shows for ``pid``, then the ID scripts use: ``Forecast (mm) (OUTPUT_RASTER)``."""
    return f"{alg.parameterDefinition(pid).description()} ({pid})"


def _not_written(context, unused) -> None:
    """The outputs of the other kind of input are not written: QGIS is told not to load them."""
    layers = context.layersToLoadOnCompletion()
    keep = {path: details for path, details in layers.items() if details.outputName not in unused}
    if len(keep) != len(layers):
        context.setLayersToLoadOnCompletion(keep)
