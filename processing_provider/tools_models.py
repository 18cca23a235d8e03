"""Time-series model tools: temporal models per point/pixel and the inverse-velocity forecast."""

from __future__ import annotations

import contextlib
import functools

import numpy as np
from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
)

from ..algorithms.engine import Block, plan_blocks, process_blocks
from ..algorithms.errors import GeohazardError
from ..algorithms.formats.dates import parse_date
from ..algorithms.progress import SubProgress, check_canceled
from ..algorithms.timeseries.breakpoints import KIND_NAMES
from ..algorithms.timeseries.inverse_velocity import ALERT_NAMES, forecast_failure
from ..algorithms.timeseries.model_blocks import fit_series, model_columns, models_raster_block
from ..algorithms.timeseries.models import MODELS
from .base import GeohazardAlgorithm
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter, executor
from .feedback import FeedbackProgress
from .io.forecast import forecast_fields, plot_alerts
from .io.points import date_fields_of, object_array, raster_dates, read_dated_features
from .io.styles import (
    ALERT_COLOURS,
    style_points_velocity,
    style_raster_diverging,
    style_raster_sequential,
    style_vector_categorized,
)
from .raster_io import DEFAULT_BLOCK_ROWS, RasterWriter, raster_source
from .vector_io import write_vector

# ----------------------------------------------------------------------------- shared input helpers


# ----------------------------------------------------------------------------- model outputs

_model_columns = model_columns  # moved to the core (algorithms/timeseries/model_blocks.py)


def _velocity_field(columns: dict) -> str:
    for name in ("LIN_VEL", "SEA_VEL", "QUA_VEL", "LOG_VEL"):
        if name in columns:
            return name
    return next(iter(columns))


def _collect_points_block(parts, progress, block, out):
    """Writer of the point path (calling process, plan order): keep the fit, relay the block's messages."""
    from ..algorithms.progress import info, warn

    parts.append((None, out["head"], out["columns"], out["breakpoints"]))
    for kind, message in out["messages"]:
        (warn if kind == "warning" else info)(progress, message)


class TimeSeriesModels(GeohazardAlgorithm):
    MULTIBAND_INPUTS = ("INPUT_RASTER",)
    CRS_FREE_INPUTS = ("INPUT",)
    NAME = "timeseriesmodels"
    DISPLAY_NAME = "Time-series models (linear, seasonal, acceleration, logarithmic ...)"
    GROUP_ID = "timeseries"
    HELP = (
        "Fits temporal models to the displacement history of every point or polygon (vector layer with "
        "dated fields DYYYYMMDD, as our outputs and PS products, or EGMS YYYYMMDD) or every pixel (time-series "
        "raster with one band per date and the ISO date as band description), picks the best model per "
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
        "in mm/yr. Gaps (NULL/NaN) are skipped per point.\n\n"
        "References: Burnham & Anderson (2004) doi:10.1177/0049124104268644; Marone et al. (1991) "
        "doi:10.1029/91JB00275; Kass & Raftery (1995) doi:10.1080/01621459.1995.10476572."
    ) + DASK_HELP

    INPUT = "INPUT"
    INPUT_RASTER = "INPUT_RASTER"
    MODELS = "MODELS"
    CRITERION = "CRITERION"
    ORIGIN_DATE = "ORIGIN_DATE"
    PRIMARY_END_DAYS = "PRIMARY_END_DAYS"
    BREAKPOINTS = "BREAKPOINTS"
    MIN_DELTA_BIC = "MIN_DELTA_BIC"
    OUTPUT = "OUTPUT"
    OUTPUT_RASTER = "OUTPUT_RASTER"
    CRITERIA = ["AIC", "AICc", "BIC"]
    BLOCK_POINTS = 20000

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.INPUT, self.tr("Points (or ADA polygons) with dated displacement fields (DYYYYMMDD / YYYYMMDD, mm)"),
            [QgsProcessing.SourceType.TypeVectorAnyGeometry], optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INPUT_RASTER, self.tr("Or: time-series raster (one band per date, ISO date band descriptions)"),
            optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.MODELS, self.tr("Models to fit"), options=list(MODELS), allowMultiple=True, defaultValue=[0, 1, 2]))
        self.addParameter(QgsProcessingParameterEnum(
            self.CRITERION, self.tr("Model choice criterion"), options=self.CRITERIA, defaultValue=2))
        self.addParameter(QgsProcessingParameterString(
            self.ORIGIN_DATE, self.tr("Origin (event / loading) date for log models, YYYY-MM-DD"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.PRIMARY_END_DAYS, self.tr("End of primary consolidation Tp (days after loading; 0 = first date)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=0.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterBoolean(
            self.BREAKPOINTS, self.tr("Detect a breakpoint (step or trend change)"), defaultValue=False))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_DELTA_BIC, self.tr("Breakpoint evidence threshold (BIC improvement)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=10.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT, self.tr("Model parameters (points)"), QgsProcessing.SourceType.TypeVectorAnyGeometry,
            optional=True, createByDefault=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_RASTER, self.tr("Model parameters (raster)"), optional=True, createByDefault=False))

        add_dask_parameter(self)
    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        has_v = bool(parameters.get(self.INPUT))
        has_r = bool(parameters.get(self.INPUT_RASTER))
        if has_v == has_r:
            return False, self.tr("Give either INPUT (points) or INPUT_RASTER (time-series raster), not both")
        try:
            if has_r:
                if not parameters.get(self.OUTPUT_RASTER):
                    return False, self.tr("INPUT_RASTER needs OUTPUT_RASTER (a .tif path)")
                raster_dates(self.raster_info(parameters, self.INPUT_RASTER, context), self.INPUT_RASTER)
            else:
                if not parameters.get(self.OUTPUT):
                    return False, self.tr("INPUT (points) needs OUTPUT (a .gpkg path, or TEMPORARY_OUTPUT)")
                date_fields_of(self.parameterAsSource(parameters, self.INPUT, context), self.INPUT)
            if parameters.get(self.ORIGIN_DATE):
                parse_date(self.parameterAsString(parameters, self.ORIGIN_DATE, context))
        except (GeohazardError, QgsProcessingException) as exc:
            return False, str(exc)
        return True, ""

    def _options(self, parameters, context):
        models = [MODELS[i] for i in self.parameterAsEnums(parameters, self.MODELS, context)] or ["linear"]
        origin = self.parameterAsString(parameters, self.ORIGIN_DATE, context).strip() or None
        if origin is not None:
            origin = parse_date(origin)
        tp = self.parameterAsDouble(parameters, self.PRIMARY_END_DAYS, context) or None
        crit = self.CRITERIA[self.parameterAsEnum(parameters, self.CRITERION, context)].lower()
        return dict(models=models, criterion=crit, origin_date=origin, primary_end_days=tp)

    @staticmethod
    def _fit(disp, dates, opts, breaks, min_dbic, progress):
        return fit_series(disp, dates, opts, breaks, min_dbic, progress)

    def process(self, parameters, context, feedback):
        opts = self._options(parameters, context)
        breaks = self.parameterAsBool(parameters, self.BREAKPOINTS, context)
        min_dbic = self.parameterAsDouble(parameters, self.MIN_DELTA_BIC, context)
        progress = FeedbackProgress(feedback)
        if parameters.get(self.INPUT_RASTER):
            return self._process_raster(parameters, context, opts, breaks, min_dbic, progress)
        source = self.parameterAsSource(parameters, self.INPUT, context)
        data = read_dated_features(source, self.INPUT, SubProgress(progress, 0, 15))
        m = data.displacement_mm.shape[1]
        feedback.pushInfo(f"{m} points, {len(data.dates)} dates {data.dates[0]}..{data.dates[-1]}; "
                          f"models: {', '.join(opts['models'])}")
        # points in blocks of BLOCK_POINTS on the block engine (this process or Dask; same blocks, same bytes)
        parts = []
        plan = [Block(i, a, min(a + self.BLOCK_POINTS, m), a, min(a + self.BLOCK_POINTS, m), m, 1)
                for i, a in enumerate(range(0, m, self.BLOCK_POINTS))]
        from ..algorithms.timeseries.model_blocks import models_points_block

        func = functools.partial(models_points_block, dates=data.dates, opts=opts, breaks=breaks, min_dbic=min_dbic)
        with executor(self, parameters, context, feedback) as ex:
            process_blocks(plan, func, functools.partial(_collect_points_block, parts, progress), executor=ex,
                           prepare=lambda b: {"series": data.displacement_mm[:, b.row0:b.row1]},
                           progress=SubProgress(progress, 15, 90))
        fields = dict(data.attributes)
        fields["BEST_MODEL"] = np.concatenate([p[1]["BEST_MODEL"] for p in parts])
        fields["RMS_MM"] = np.concatenate([p[1]["RMS_MM"] for p in parts])
        fields["N_DATES"] = np.isfinite(data.displacement_mm).sum(axis=0).astype(np.int64)
        for key in parts[0][2]:
            fields[key] = np.concatenate([p[2][key] for p in parts])
        if breaks:
            kind = np.concatenate([p[3].kind for p in parts])
            index = np.concatenate([p[3].index for p in parts])
            fields["BRK_KIND"] = object_array(KIND_NAMES[int(k)] for k in kind)
            fields["BRK_DATE"] = object_array(data.dates[i] if i >= 0 else None for i in index)
            fields["BRK_STEP"] = np.concatenate([p[3].step_mm for p in parts])
            fields["BRK_V1"] = np.concatenate([p[3].velocity_before_mm_yr for p in parts])
            fields["BRK_V2"] = np.concatenate([p[3].velocity_after_mm_yr for p in parts])
            fields["BRK_DBIC"] = np.concatenate([p[3].delta_bic for p in parts])
            feedback.pushInfo(f"breakpoints: {int((kind == 1).sum())} steps, {int((kind == 2).sum())} trend changes")
        for name, d in zip(data.date_fields, data.displacement_mm):
            fields[name] = d
        counts = {nm: int((fields["BEST_MODEL"] == nm).sum()) for nm in opts["models"]}
        feedback.pushInfo("best model counts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        write_vector(out, fields, crs_wkt=data.crs_wkt, wkb=data.wkb, geometry_type=data.geometry_type,
                     progress=SubProgress(progress, 90, 100))
        style_points_velocity(out, _velocity_field(parts[0][2]), context=context)
        return {self.OUTPUT: out}

    def _process_raster(self, parameters, context, opts, breaks, min_dbic, progress):
        info = self.raster_info(parameters, self.INPUT_RASTER, context)
        dates = raster_dates(info, self.INPUT_RASTER)
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT_RASTER, context)
        meta = {"BEST_MODEL_CODES": ", ".join(f"{i + 1}={m}" for i, m in enumerate(opts["models"])),
                "BRK_INDEX": "1-based index of the first date after the break (0 = none)",
                "DATES": ",".join(d.isoformat() for d in dates)}
        state = {}
        files = contextlib.ExitStack()  # the writer, made by the first block (its bands are known then)

        def write(block, res):
            if "writer" not in state:
                state["writer"] = files.enter_context(RasterWriter.like(
                    out, info, count=len(res["names"]), descriptions=res["names"], metadata=meta))
                state["names"] = res["names"]
            state["writer"].write(res["stack"], row=block.row0)

        func = functools.partial(models_raster_block, dates=dates, opts=opts, breaks=breaks, min_dbic=min_dbic)
        plan = plan_blocks(info.height, info.width, block_rows=max(1, DEFAULT_BLOCK_ROWS // 4))
        with files, executor(self, parameters, context, None) as ex:
            process_blocks(plan, func, write, executor=ex, progress=progress, sources={
                "series": raster_source(info.path, bands=None, dtype=np.float64, name=self.INPUT_RASTER)})
        names = state["names"]
        vel = [k for k in ("LIN_VEL", "SEA_VEL", "QUA_VEL", "LOG_VEL") if k in names]
        if vel:
            style_raster_diverging(out, context=context, band=names.index(vel[0]) + 1)
        else:
            style_raster_sequential(out, context=context, band=names.index("RMS_MM") + 1)
        return {self.OUTPUT_RASTER: out}


# ----------------------------------------------------------------------------- inverse velocity

ALERT_CATEGORIES = [(ALERT_NAMES[k], ALERT_NAMES[k], ALERT_COLOURS[k]) for k in (-1, 0, 1, 2, 3)]


class InverseVelocity(GeohazardAlgorithm):
    CRS_FREE_INPUTS = ("INPUT",)
    NAME = "inversevelocity"
    DISPLAY_NAME = "Inverse-velocity failure forecast"
    GROUP_ID = "timeseries"
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

    INPUT = "INPUT"
    SMOOTH_WINDOW = "SMOOTH_WINDOW"
    FIT_WINDOW = "FIT_WINDOW"
    CONFIDENCE = "CONFIDENCE"
    MIN_VELOCITY = "MIN_VELOCITY"
    RED_DAYS = "RED_DAYS"
    ORANGE_DAYS = "ORANGE_DAYS"
    DIRECTION = "DIRECTION"
    NOW_DATE = "NOW_DATE"
    MAX_PLOTS = "MAX_PLOTS"
    OUTPUT = "OUTPUT"
    PLOT_FOLDER = "PLOT_FOLDER"
    DIRECTIONS = ["from the net displacement", "toward the satellite (+)", "away from the satellite (-)"]

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.INPUT, self.tr("Points or ADAs with dated displacement fields (mm)"),
            [QgsProcessing.SourceType.TypeVectorAnyGeometry]))
        self.addParameter(QgsProcessingParameterNumber(
            self.SMOOTH_WINDOW, self.tr("Smoothing window (acquisitions)"), QgsProcessingParameterNumber.Type.Integer,
            defaultValue=5, minValue=3))
        self.addParameter(QgsProcessingParameterNumber(
            self.FIT_WINDOW, self.tr("Fit window (most recent smoothed velocities)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=10, minValue=3))
        self.addParameter(QgsProcessingParameterNumber(
            self.CONFIDENCE, self.tr("Confidence of the forecast window (%)"), QgsProcessingParameterNumber.Type.Double,
            defaultValue=95.0, minValue=50.0, maxValue=99.9))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_VELOCITY, self.tr("Minimum last velocity for an alert (mm/yr)"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=5.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.RED_DAYS, self.tr("Red alert: forecast within (days)"), QgsProcessingParameterNumber.Type.Integer,
            defaultValue=30, minValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            self.ORANGE_DAYS, self.tr("Orange alert: forecast within (days)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=90, minValue=0))
        self.addParameter(QgsProcessingParameterEnum(
            self.DIRECTION, self.tr("Direction of motion"), options=self.DIRECTIONS, defaultValue=0))
        self.addParameter(QgsProcessingParameterString(
            self.NOW_DATE, self.tr("Reference date of the alert, YYYY-MM-DD (default: last acquisition)"),
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_PLOTS, self.tr("Maximum number of PNG plots"), QgsProcessingParameterNumber.Type.Integer,
            defaultValue=50, minValue=0))
        self.addParameter(QgsProcessingParameterVectorDestination(self.OUTPUT, self.tr("Failure forecast")))
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.PLOT_FOLDER, self.tr("Folder for PNG plots of alerted features"), optional=True,
            createByDefault=False))

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        red = self.parameterAsDouble(parameters, self.RED_DAYS, context)
        orange = self.parameterAsDouble(parameters, self.ORANGE_DAYS, context)
        if red > orange:
            return False, f"RED_DAYS ({red:g}) must not exceed ORANGE_DAYS ({orange:g})"
        try:
            source = self.parameterAsSource(parameters, self.INPUT, context)
            if source is None:
                return False, "INPUT: the layer could not be loaded"
            pairs = date_fields_of(source, self.INPUT)
            smooth = self.parameterAsInt(parameters, self.SMOOTH_WINDOW, context)
            if len(pairs) < smooth + 2:
                return False, (f"INPUT has {len(pairs)} dates; the inverse-velocity forecast needs at least "
                               f"SMOOTH_WINDOW + 2 = {smooth + 2}")
            if parameters.get(self.NOW_DATE):
                parse_date(self.parameterAsString(parameters, self.NOW_DATE, context))
        except GeohazardError as exc:
            return False, str(exc)
        return True, ""

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        source = self.parameterAsSource(parameters, self.INPUT, context)
        data = read_dated_features(source, self.INPUT, SubProgress(progress, 0, 30))
        now = self.parameterAsString(parameters, self.NOW_DATE, context).strip() or None
        direction = [0, 1, -1][self.parameterAsEnum(parameters, self.DIRECTION, context)]
        fc = forecast_failure(
            data.displacement_mm, data.dates,
            smooth_window=self.parameterAsInt(parameters, self.SMOOTH_WINDOW, context),
            fit_window=self.parameterAsInt(parameters, self.FIT_WINDOW, context),
            confidence=self.parameterAsDouble(parameters, self.CONFIDENCE, context) / 100.0,
            min_velocity_mm_yr=self.parameterAsDouble(parameters, self.MIN_VELOCITY, context),
            red_days=self.parameterAsDouble(parameters, self.RED_DAYS, context),
            orange_days=self.parameterAsDouble(parameters, self.ORANGE_DAYS, context),
            now=parse_date(now) if now else None, direction=direction)
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
        write_vector(out, forecast_fields(data, fc), crs_wkt=data.crs_wkt, wkb=data.wkb,
                     geometry_type=data.geometry_type, progress=SubProgress(progress, 30, 70))
        style_vector_categorized(out, "IV_LEVEL", ALERT_CATEGORIES, context=context)
        results = {self.OUTPUT: out}
        if parameters.get(self.PLOT_FOLDER):
            folder = self.parameterAsString(parameters, self.PLOT_FOLDER, context)
            n = plot_alerts(folder, data, fc, self.parameterAsInt(parameters, self.MAX_PLOTS, context),
                            SubProgress(progress, 70, 100))
            feedback.pushInfo(f"{n} plots written to {folder}")
            results[self.PLOT_FOLDER] = folder
        return results


ALGORITHMS = [TimeSeriesModels, InverseVelocity]
