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

MODEL_LABELS = ["Best by hold-out skill", "Linear", "Linear + annual", "Quadratic (constant acceleration)",
                "Logarithmic creep", "Secondary consolidation", "Exponential decay"]


@tool("displacementforecast", "Displacement forecast",
      tags=("forecast,prediction,future,time series,consolidation,creep,logarithmic,exponential,decay,hold-out,"
            "subsidence,landslide,mine,waste dump,uncertainty"),
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
    HOLDOUT_RMSE_MM = "HOLDOUT_RMSE_MM"
    COVERAGE_2SIGMA = "COVERAGE_2SIGMA"
    HELP = (
        "Forecasts the displacement of every point or pixel at future dates with a calibrated 1-sigma: fits a "
        "temporal model to its history, by default the line unless another model predicts held-out dates clearly "
        "better. Needs a dated point layer or a time-series raster; gives one band (or field) per forecast date, its "
        "sigma, the model used and the share of held-out values within 2 sigma (COVERAGE_2SIGMA).\n\n"
        "<b>Input</b>: dated points (fields DYYYYMMDD, D_YYYYMMDD or EGMS YYYYMMDD; loadegms layers) or a "
        "time-series raster (one band per date, the ISO date as band description; MintPy timeseries.h5 as "
        "delivered), displacement in mm, LOS positive toward the satellite (or any component: the forecast keeps "
        "the input's sign and reference).\n"
        "<b>Model</b> (d in mm, t in years since the first date, tau in days since the origin date): linear "
        "a + v t; linear + annual (sine and cosine of the calendar year); quadratic a + v t + acc t^2/2; "
        "logarithmic creep S = A + B ln(1 + tau/tau_c) + C tau; secondary consolidation a + K log10(tau/Tp); "
        "exponential decay a + A (1 - exp(-tau/tau_c)) (tau_c fitted). 'Best by hold-out skill' (the default) "
        "scores each model by a rolling-origin hold-out (fitted on the dates before each of up to 5 origins in the "
        "last half of the series, predicted on the dates after it) and keeps the line unless another model's "
        "error is below half the line's, lower from every origin, and its fit better than the line's by more than "
        "the criterion's penalty (AIC, AICc or BIC) with the residuals' correlation counted, and than the line with "
        "the offsets (steps) found in the series; of the models close to the best, the one the criterion prefers. "
        "Offsets of the series about the line (a scan of every date, each kept where it cuts the misfit by more "
        "than 5 ln n residual variances) make the line forecast from the level after them where that predicted "
        "the rolling hold-out better. A season needs 2 years and 24 dates, a curvature 1 year and 20 dates. "
        "OUTPUT_MODEL (raster: 1..6 in this order, 0 = none) and the MODEL field say which.\n"
        "<b>Sigma</b>: the parameters' covariance inflated for AR(1) residuals ((1 + phi)/(1 - phi)) propagated to "
        "the forecast date, plus the residual variance, times the factor that makes the rolling-origin errors "
        "unit-variance (never below 1), plus a random-walk variance growing with the horizon (mm^2 per day, from "
        "how the rolling-origin errors grow with theirs); a curved model adds a quarter of the squared gap to the "
        "line's forecast; an offset found adds the variance of its size. A step after the last date cannot be "
        "foreseen: no model predicts it, and the sigma covers only the wander the rolling origins saw. "
        "COVERAGE_2SIGMA: the share of rolling-origin held-out values within 2 sigma (each origin judged with the "
        "calibration of the others); near 0.95 when the sigma is right. Report 'forecast +- 2 sigma, coverage c'.\n"
        "<b>Forecast dates</b>: YYYY-MM-DD, comma separated, after the last date (a date inside or before the series "
        "is refused). A horizon longer than the observed span is warned about: the model is then extrapolated "
        "beyond what the data constrain.\n"
        "<b>Hold-out</b> (N dates): the model (and, for 'best', its choice) is fitted on the dates before the last "
        "N, predicted on those, and HOLDOUT_RMSE_MM is the RMSE over every point and held-out date; the forecast "
        "itself comes from a refit on all dates. 0 = no hold-out.\n"
        "<b>Origin date</b>: event or loading date of the last three models, before the first date (default one "
        "sampling interval before it); <b>Tp</b>: end of primary consolidation in days after loading (0 = the first "
        "date), as in timeseriesmodels. <b>Thickness</b> (m, raster on the input's grid, optional): the fill or "
        "compressible layer thickness H; settlement after primary consolidation is C H log10(tau/Tp), so "
        "C = |K|/(1000 H) is reported in the log; pixels without a positive thickness get no consolidation model.\n\n"
        "<b>Outputs</b>: for a raster, the forecast, sigma and model rasters (one band per forecast date, the ISO "
        "date as band description, mm, the input's sign, reference and metadata carried); for points, the point "
        "layer: the input's attributes, MODEL (code), MODEL_NAME, D<YYYYMMDD> forecasts and S<YYYYMMDD> sigmas (mm). "
        "The outputs of the other kind of input are not written. Points or pixels with too few valid dates "
        "(parameters + 2) stay empty. The time of failure of an accelerating slope is not a fit of these models: "
        "use inversevelocity.\n\n"
        "References: Tashman (2000) out-of-sample tests of forecasting accuracy, doi:10.1016/S0169-2070(00)00065-0; "
        "Burnham & Anderson (2004) doi:10.1177/0049124104268644; Savage & Langbein (2008) "
        "doi:10.1029/2008JB005723; Buisman (1936), secondary consolidation."
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
            out = layers.output_paths(self, parameters, (self.OUTPUT_RASTER, self.OUTPUT_SIGMA, self.OUTPUT_MODEL),
                                      context, optional=(self.OUTPUT_SIGMA, self.OUTPUT_MODEL))
            grid = self.raster_info(parameters, self.INPUT_RASTER, context)
            thick = self.raster_path(parameters, self.THICKNESS, context) if parameters.get(self.THICKNESS) else ""
            source = uri = None
            unused = (self.OUTPUT,)
        else:
            source, uri = layers.dated_source(self, parameters, self.INPUT, context)
            out = {self.OUTPUT: self.parameterAsOutputLayer(parameters, self.OUTPUT, context)}
            grid, thick = None, ""
            unused = (self.OUTPUT_RASTER, self.OUTPUT_SIGMA, self.OUTPUT_MODEL)
        job = io_df.Job(
            dates=tuple(dates), forecast_text=text, opts=opts, labels=tuple(MODEL_LABELS), settings=settings,
            raster=grid, thickness=thick, points=source, uri=uri or "", output=out.get(self.OUTPUT, ""),
            outputs={"forecast": out.get(self.OUTPUT_RASTER), "sigma": out.get(self.OUTPUT_SIGMA),
                     "model": out.get(self.OUTPUT_MODEL)},
            names={"input": self.INPUT, "input_raster": self.INPUT_RASTER, "forecast_dates": self.FORECAST_DATES},
            ids={"output": self.OUTPUT, "forecast": self.OUTPUT_RASTER, "sigma": self.OUTPUT_SIGMA,
                 "model": self.OUTPUT_MODEL, "rmse": self.HOLDOUT_RMSE_MM, "coverage": self.COVERAGE_2SIGMA})
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
