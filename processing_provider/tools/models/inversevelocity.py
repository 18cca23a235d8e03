"""inversevelocity."""

from __future__ import annotations

import numpy as np

from ....algorithms.errors import GeohazardError
from ....algorithms.formats import dates
from ....algorithms.progress import SubProgress, check_canceled
from ....algorithms.timeseries import inverse_velocity
from ....io import forecast, points, styles, vector
from ...inputs import declare, ids
from ...inputs.aliases import Alias
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool

ALERT_CATEGORIES = [(inverse_velocity.ALERT_NAMES[k], inverse_velocity.ALERT_NAMES[k],
                     styles.ALERT_COLOURS[k]) for k in (-1, 0, 1, 2, 3)]


@tool("inversevelocity", "Inverse-velocity failure forecast", group="timeseries",
      tags="inverse velocity,Fukuzono,failure forecast,early warning,landslide,velocity,alert", page="models",
      former=(Alias("PLOT_FOLDER", ids.OUTPUT_PLOTS),))
class InverseVelocity(GeohazardAlgorithm):
    CRS_FREE_INPUTS = ("INPUT",)
    HELP = (
        "Forecasts the failure time of accelerating points or active deformation areas with the "
        "inverse-velocity method (Fukuzono 1985; Voight 1988): before failure by tertiary creep 1/v falls "
        "linearly with time and reaches zero at failure.\n\n"
        "<b>Input</b>: points or polygons (e.g. ADAs) with dated displacement fields DYYYYMMDD or YYYYMMDD "
        "(mm). Velocities are taken along the main direction of motion (sign of the net displacement, or "
        "as chosen).\n"
        "<b>Smoothing window</b>: acquisitions per local straight-line fit that gives the smoothed velocity. "
        "<b>Fit window</b>: most recent smoothed velocities used for the 1/v line.\n"
        "<b>Confidence</b> (%): the forecast window is the set of dates where zero lies inside the "
        "confidence band of the 1/v line (Fieller inverse prediction, variance inflated for the serial "
        "correlation of overlapping windows).\n"
        "<b>Alert levels</b>: red when the forecast is within RED_DAYS of the reference date (default: last "
        "acquisition, or already past), orange within ORANGE_DAYS, yellow when the acceleration is "
        "significant but the forecast is further away, none otherwise or when the last velocity is below "
        "MIN_VELOCITY (mm/yr); <b>no data</b> (IV_ALERT -1) when a feature has fewer than 3 valid smoothed "
        "velocities in the fit window: it was not judged, which is not the same as no alert.\n\n"
        "<b>Outputs</b>: the input features with IV_ALERT (-1-3), IV_LEVEL (no data/none/yellow/orange/red), TF_DATE "
        "and its window TF_LOW..TF_HIGH, DAYS_TO_TF, V_LAST (mm/yr), IV_SLOPE, IV_R2, IV_N; optional folder "
        "with one PNG per alerted feature (displacement, 1/v, trend and window).\n\n"
        "A forecast is a tool for the expert, not an automatic warning: check the plots. References: "
        "Fukuzono (1985), 4th Int. Conf. Landslides, 145-150; Voight (1988) doi:10.1038/332125a0; Intrieri "
        "et al. (2019) doi:10.1016/j.earscirev.2019.03.019."
    )

    IDS = "SMOOTH_WINDOW FIT_WINDOW CONFIDENCE MIN_VELOCITY RED_DAYS ORANGE_DAYS DIRECTION NOW_DATE MAX_PLOTS"
    DIRECTIONS = ["from the net displacement", "toward the satellite (+)", "away from the satellite (-)"]

    def initAlgorithm(self, config=None):
        self.addParameter(declare.features(self.INPUT, "Points or ADAs with dated displacement fields (mm)"))
        self.addParameter(declare.integer(self.SMOOTH_WINDOW, "Smoothing window (acquisitions)", 5, 3))
        self.addParameter(declare.integer(self.FIT_WINDOW, "Fit window (most recent smoothed velocities)", 10, 3))
        self.addParameter(declare.number(self.CONFIDENCE, "Confidence of the forecast window (%)", 95.0, 50.0, 99.9))
        self.addParameter(declare.number(self.MIN_VELOCITY, "Minimum last velocity for an alert (mm/yr)", 5.0, 0.0))
        self.addParameter(declare.integer(self.RED_DAYS, "Red alert: forecast within (days)", 30, 0))
        self.addParameter(declare.integer(self.ORANGE_DAYS, "Orange alert: forecast within (days)", 90, 0))
        self.addParameter(declare.enum(self.DIRECTION, "Direction of motion", self.DIRECTIONS))
        self.addParameter(declare.text(self.NOW_DATE,
                                       "Reference date of the alert, YYYY-MM-DD (default: last acquisition)",
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
        source = self.parameterAsSource(parameters, self.INPUT, context)
        if source is None:
            raise GeohazardError("INPUT: the layer could not be loaded")
        pairs = points.date_fields_of(source, self.INPUT)
        smooth = self.parameterAsInt(parameters, self.SMOOTH_WINDOW, context)
        if len(pairs) < smooth + 2:
            raise GeohazardError(f"INPUT has {len(pairs)} dates; the inverse-velocity forecast needs at least "
                           f"SMOOTH_WINDOW + 2 = {smooth + 2}")
        if parameters.get(self.NOW_DATE):
            dates.parse_date(self.parameterAsString(parameters, self.NOW_DATE, context))

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        source = self.parameterAsSource(parameters, self.INPUT, context)
        data = points.read_dated_features(source, self.INPUT, SubProgress(progress, 0, 30))
        now = self.parameterAsString(parameters, self.NOW_DATE, context).strip() or None
        direction = [0, 1, -1][self.parameterAsEnum(parameters, self.DIRECTION, context)]
        fc = inverse_velocity.forecast_failure(
            data.displacement_mm, data.dates,
            smooth_window=self.parameterAsInt(parameters, self.SMOOTH_WINDOW, context),
            fit_window=self.parameterAsInt(parameters, self.FIT_WINDOW, context),
            confidence=self.parameterAsDouble(parameters, self.CONFIDENCE, context) / 100.0,
            min_velocity_mm_yr=self.parameterAsDouble(parameters, self.MIN_VELOCITY, context),
            red_days=self.parameterAsDouble(parameters, self.RED_DAYS, context),
            orange_days=self.parameterAsDouble(parameters, self.ORANGE_DAYS, context),
            now=dates.parse_date(now) if now else None, direction=direction)
        check_canceled(progress)
        counts = np.bincount(fc.alert + 1, minlength=5)[1:]
        n_nodata = int((fc.alert < 0).sum())
        feedback.pushInfo(f"{data.displacement_mm.shape[1]} features: red {counts[3]}, orange {counts[2]}, "
                          f"yellow {counts[1]}, none {counts[0]}, no data {n_nodata}")
        if n_nodata:
            feedback.pushWarning(f"{n_nodata} feature(s) have too few valid displacements for a forecast: IV_ALERT "
                                 "-1, IV_LEVEL 'no data' (not judged - this is not 'no alert')")
        if n_nodata == len(fc.alert):
            raise GeohazardError(f"{self.INPUT}: no feature has enough valid displacements (3 smoothed velocities "
                                 "in the fit window) for a forecast; check the dated fields")
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        vector.write_vector(out, forecast.forecast_fields(data, fc), crs_wkt=data.crs_wkt, wkb=data.wkb,
                            geometry_type=data.geometry_type, progress=SubProgress(progress, 30, 70))
        styles.style_vector_categorized(out, "IV_LEVEL", ALERT_CATEGORIES, context=context)
        results = {self.OUTPUT: out}
        if parameters.get(self.OUTPUT_PLOTS):
            folder = self.parameterAsString(parameters, self.OUTPUT_PLOTS, context)
            n = forecast.plot_alerts(folder, data, fc, self.parameterAsInt(parameters, self.MAX_PLOTS, context),
                                     SubProgress(progress, 70, 100))
            feedback.pushInfo(f"{n} plots written to {folder}")
            results[self.OUTPUT_PLOTS] = folder
        return results
