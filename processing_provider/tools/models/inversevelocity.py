"""``geohazard:inversevelocity``. Inverse-velocity forecast: failure time of accelerating points or areas by the
inverse-velocity method, with alert levels."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....algorithms.formats import dates
from ....fileio.models import inversevelocity as forecast
from ....fileio.motion import points
from ...inputs import declare, ids, layers
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("inversevelocity", "Inverse-velocity failure forecast",
      tags="inverse velocity,Fukuzono,failure forecast,early warning,landslide,velocity,alert", page="models",
      former=(Alias("PLOT_FOLDER", ids.OUTPUT_PLOTS),))
class InverseVelocity(GeohazardAlgorithm):
    SMOOTH_WINDOW = "SMOOTH_WINDOW"
    FIT_WINDOW = "FIT_WINDOW"
    CONFIDENCE = "CONFIDENCE"
    SIGNIFICANCE = "SIGNIFICANCE"
    MIN_VELOCITY = "MIN_VELOCITY"
    RED_DAYS = "RED_DAYS"
    ORANGE_DAYS = "ORANGE_DAYS"
    DIRECTION = "DIRECTION"
    NOW_DATE = "NOW_DATE"
    MAX_PLOTS = "MAX_PLOTS"
    HELP = (
        "Forecasts the failure time of accelerating points or active deformation areas with the "
        "inverse-velocity method (Fukuzono 1985; Voight 1988): before failure by tertiary creep 1/v falls "
        "linearly with time and reaches zero at failure. An alert needs a significant acceleration of the "
        "displacement itself, judged against the series' own noise and length.\n\n"
        "<b>Input</b>: points or polygons (e.g. ADAs) with dated displacement fields DYYYYMMDD, YYYYMMDD or "
        "D_YYYYMMDD "
        "(mm; a MintPy timeseries.h5 becomes such points with loadmintpy). Velocities are taken along the main "
        "direction of motion (sign of the net displacement, or "
        "as chosen).\n"
        "<b>Smoothing window</b>: acquisitions per local straight-line fit that gives the smoothed velocity. "
        "<b>Fit window</b>: most recent smoothed velocities used for the 1/v line; the forecast window is "
        "the SMOOTH_WINDOW + FIT_WINDOW - 1 acquisitions they rest on.\n"
        "<b>Acceleration test</b>: the displacement is fitted with a steady trend (plus an annual cycle when "
        "the series spans 540 days or more) and with the same plus an acceleration starting at the forecast "
        "window, half-way to it or at the first date; the acceleration along the motion must pass a one-sided "
        "F test at SIGNIFICANCE (%, default 0.1: about 1 steady series in 1,000 passes by chance; Bonferroni "
        "over the onsets), with the noise taken from the residuals and inflated for their autocorrelation "
        "(Berti et al. 2013; Bovenga et al. 2021). It must also fit better than one step (an unwrapping "
        "error) and, over less than 540 days, than an annual cycle.\n"
        "<b>Confidence</b> (%): the forecast window TF_LOW..TF_HIGH is the set of dates where zero lies "
        "inside the confidence band of the 1/v line (Fieller inverse prediction). TF_* are only given with "
        "a significant acceleration.\n"
        "<b>Levels</b> (IV_LEVEL, IV_ALERT): with a significant acceleration and a trend velocity at the last "
        "date significantly above MIN_VELOCITY (mm/yr): <b>red</b> (3) when the forecast failure date is "
        "within RED_DAYS of the reference date (NOW_DATE, default the last acquisition), <b>orange</b> (2) "
        "within ORANGE_DAYS, <b>yellow</b> (1) later or without a usable 1/v trend, and <b>passed</b> (-2, "
        "'failure time passed: check the data') when the forecast date is already before the reference date "
        "or the last valid date: the slope may have failed, or the data are wrong. Without one: <b>none</b> "
        "(0) when the point moves slower than MIN_VELOCITY over the series, when a step fits better, or when "
        "the test would have seen a slope failing within ORANGE_DAYS at the point's velocity. <b>not judged</b> "
        "(-1) otherwise (too noisy for its motion), when the series has fewer valid dates than the forecast "
        "window, or when an annual cycle fits a series under 540 days better than or about as well as the "
        "acceleration (a cycle not seen repeating cannot rule it out); <b>no data</b> (-1) with fewer than 3 "
        "smoothed velocities. -1 means not judged, never 'no alert'; IV_NOTE says why in words.\n\n"
        "<b>Outputs</b>: the input features with IV_ALERT (-2..3), IV_LEVEL, IV_NOTE, TF_DATE and its window "
        "TF_LOW..TF_HIGH, DAYS_TO_TF, V_LAST (mm/yr), IV_SLOPE, IV_R2, IV_N, IV_ACC (acceleration along the "
        "motion, mm/yr2), IV_ACC_P (its p-value), IV_NOISE (residual noise, mm); optional folder with one PNG "
        "per red, passed, orange and yellow feature (displacement, 1/v, trend and window).\n\n"
        "A forecast is a tool for the expert, not an automatic warning: check the plots. References: "
        "Fukuzono (1985), 4th Int. Conf. Landslides, 145-150; Voight (1988) doi:10.1038/332125a0; Intrieri "
        "et al. (2019) doi:10.1016/j.earscirev.2019.03.019; Carla et al. (2017) doi:10.1007/s10346-016-0731-5; "
        "Berti et al. (2013) doi:10.5194/nhess-13-1945-2013; Bovenga et al. (2021) doi:10.3390/rs13122302."
    )
    CRS_FREE_INPUTS = (ids.INPUT,)
    DIRECTIONS = ["from the net displacement", "toward the satellite (+)", "away from the satellite (-)"]

    def initAlgorithm(self, config=None):
        self.addParameter(declare.features(self.INPUT, "Points or ADAs with dated displacement fields (mm)"))
        self.addParameter(declare.integer(self.SMOOTH_WINDOW, "Smoothing window (acquisitions)", 5, 3))
        self.addParameter(declare.integer(self.FIT_WINDOW, "Fit window (most recent smoothed velocities)", 10, 3))
        self.addParameter(declare.number(self.CONFIDENCE, "Confidence of the forecast window (%)", 95.0, 50.0, 99.9))
        self.addParameter(declare.number(self.SIGNIFICANCE, "Significance level of the acceleration test (%)", 0.1,
                                         0.0001, 10.0))
        self.addParameter(declare.number(self.MIN_VELOCITY, "Minimum last velocity for an alert (mm/yr)", 5.0, 0.0))
        self.addParameter(declare.integer(self.RED_DAYS, "Red alert: forecast within (days)", 30, 0))
        self.addParameter(declare.integer(self.ORANGE_DAYS, "Orange alert: forecast within (days)", 90, 0))
        self.addParameter(declare.enum(self.DIRECTION, "Direction of motion", self.DIRECTIONS))
        self.addParameter(declare.text(self.NOW_DATE,
                                       "Alert date (YYYY-MM-DD; empty = last)",
                                       optional=True))
        self.addParameter(declare.integer(self.MAX_PLOTS, "Maximum number of PNG plots", 50, 0))
        self.addParameter(declare.vector_out(self.OUTPUT, "Failure forecast"))
        self.addParameter(declare.folder_out(self.OUTPUT_PLOTS, "Folder for PNG plots of alerted features",
                                             optional=True, create=False))

    def check(self, parameters, context):
        red = self.parameterAsDouble(parameters, self.RED_DAYS, context)
        orange = self.parameterAsDouble(parameters, self.ORANGE_DAYS, context)
        if red > orange:
            raise GeohazardError(f"RED_DAYS ({red:g}) must not exceed ORANGE_DAYS ({orange:g})")
        source, uri = layers.dated_source(self, parameters, self.INPUT, context)
        if source is None:
            raise GeohazardError("INPUT: the layer could not be loaded")
        pairs = points.date_fields_of(source, self.INPUT, uri)
        smooth = self.parameterAsInt(parameters, self.SMOOTH_WINDOW, context)
        if len(pairs) < smooth + 2:
            raise GeohazardError(f"INPUT has {len(pairs)} dates; the inverse-velocity forecast needs at least "
                           f"SMOOTH_WINDOW + 2 = {smooth + 2}")
        if parameters.get(self.NOW_DATE):
            dates.parse_date(self.parameterAsString(parameters, self.NOW_DATE, context))

    def process(self, parameters, context, feedback):
        source, uri = layers.dated_source(self, parameters, self.INPUT, context)
        now = self.parameterAsString(parameters, self.NOW_DATE, context).strip() or None
        job = forecast.Job(
            points=source, uri=uri, name=self.INPUT,
            output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
            smooth_window=self.parameterAsInt(parameters, self.SMOOTH_WINDOW, context),
            fit_window=self.parameterAsInt(parameters, self.FIT_WINDOW, context),
            confidence=self.parameterAsDouble(parameters, self.CONFIDENCE, context) / 100.0,
            min_velocity_mm_yr=self.parameterAsDouble(parameters, self.MIN_VELOCITY, context),
            red_days=self.parameterAsDouble(parameters, self.RED_DAYS, context),
            orange_days=self.parameterAsDouble(parameters, self.ORANGE_DAYS, context),
            now=dates.parse_date(now) if now else None,
            direction=[0, 1, -1][self.parameterAsEnum(parameters, self.DIRECTION, context)],
            significance=self.parameterAsDouble(parameters, self.SIGNIFICANCE, context) / 100.0,
            output_id=self.OUTPUT, plots_id=self.OUTPUT_PLOTS,
            plots=self.parameterAsString(parameters, self.OUTPUT_PLOTS, context)
            if parameters.get(self.OUTPUT_PLOTS) else "",
            max_plots=self.parameterAsInt(parameters, self.MAX_PLOTS, context))
        return self.finish(forecast.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
