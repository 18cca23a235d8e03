"""timeseriesmodels."""

from __future__ import annotations

import contextlib
import functools

import numpy as np

from ....algorithms import engine
from ....algorithms.errors import GeohazardError
from ....algorithms.formats.dates import parse_date
from ....algorithms.progress import SubProgress
from ....algorithms.timeseries import breakpoints, model_blocks
from ....algorithms.timeseries.models import MODELS
from ...inputs import declare, knobs
from ...inputs.feedback import FeedbackProgress
from ...io import blocks, points, raster, styles, vector
from .._base import GeohazardAlgorithm, tool


def _velocity_field(columns: dict) -> str:
    for name in ("LIN_VEL", "SEA_VEL", "QUA_VEL", "LOG_VEL"):
        if name in columns:
            return name
    return next(iter(columns))


def _collect_points_block(parts, progress, block, out):
    """Writer of the point path (calling process, plan order): keep the fit, relay the block's messages."""
    from ....algorithms.progress import info, warn

    parts.append((None, out["head"], out["columns"], out["breakpoints"]))
    for kind, message in out["messages"]:
        (warn if kind == "warning" else info)(progress, message)


@tool("timeseriesmodels", "Time-series models (linear, seasonal, acceleration, logarithmic ...)", group="timeseries",
      tags=("time series,velocity,seasonal,acceleration,logarithmic,consolidation,breakpoint,subsidence,"
            "landslide,model fitting"),
      main=("OUTPUT", "OUTPUT_RASTER"), page="models", engine=True)
class TimeSeriesModels(GeohazardAlgorithm):
    MULTIBAND_INPUTS = ("INPUT_RASTER",)
    CRS_FREE_INPUTS = ("INPUT",)
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
    )

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
        self.addParameter(declare.features(self.INPUT,
            "Points (or ADA polygons) with dated displacement fields (DYYYYMMDD / YYYYMMDD, mm)", optional=True))
        self.addParameter(declare.raster(self.INPUT_RASTER,
                                         "Or: time-series raster (one band per date, ISO date band descriptions)",
                                         optional=True))
        self.addParameter(declare.enum(self.MODELS, "Models to fit", list(MODELS), [0, 1, 2], multiple=True))
        self.addParameter(declare.enum(self.CRITERION, "Model choice criterion", self.CRITERIA, 2))
        self.addParameter(declare.text(self.ORIGIN_DATE, "Origin (event / loading) date for log models, YYYY-MM-DD",
                                       optional=True))
        self.addParameter(declare.number(self.PRIMARY_END_DAYS,
                                         "End of primary consolidation Tp (days after loading; 0 = first date)", 0.0,
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
        if has_v == has_r:
            raise GeohazardError(self.tr("Give either INPUT (points) or INPUT_RASTER (time-series raster), not both"))
        if has_r:
            if not parameters.get(self.OUTPUT_RASTER):
                raise GeohazardError(self.tr("INPUT_RASTER needs OUTPUT_RASTER (a .tif path)"))
            points.raster_dates(self.raster_info(parameters, self.INPUT_RASTER, context), self.INPUT_RASTER)
        else:
            points.date_fields_of(self.parameterAsSource(parameters, self.INPUT, context), self.INPUT)
        if parameters.get(self.ORIGIN_DATE):
            parse_date(self.parameterAsString(parameters, self.ORIGIN_DATE, context))

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
        return model_blocks.fit_series(disp, dates, opts, breaks, min_dbic, progress)

    def process(self, parameters, context, feedback):
        opts = self._options(parameters, context)
        breaks = self.parameterAsBool(parameters, self.BREAKPOINTS, context)
        min_dbic = self.parameterAsDouble(parameters, self.MIN_DELTA_BIC, context)
        progress = FeedbackProgress(feedback)
        if parameters.get(self.INPUT_RASTER):
            return self._process_raster(parameters, context, opts, breaks, min_dbic, progress)
        source = self.parameterAsSource(parameters, self.INPUT, context)
        data = points.read_dated_features(source, self.INPUT, SubProgress(progress, 0, 15))
        m = data.displacement_mm.shape[1]
        feedback.pushInfo(f"{m} points, {len(data.dates)} dates {data.dates[0]}..{data.dates[-1]}; "
                          f"models: {', '.join(opts['models'])}")
        # points in blocks of BLOCK_POINTS on the block engine (this process or Dask; same blocks, same bytes)
        parts = []
        plan = [engine.Block(i, a, min(a + self.BLOCK_POINTS, m), a, min(a + self.BLOCK_POINTS, m), m, 1)
                for i, a in enumerate(range(0, m, self.BLOCK_POINTS))]
        from ....algorithms.timeseries.model_blocks import models_points_block

        func = functools.partial(models_points_block, dates=data.dates, opts=opts, breaks=breaks, min_dbic=min_dbic)
        blocks.run_blocks(plan, func, functools.partial(_collect_points_block, parts, progress),
                          run=knobs.run_settings(self, parameters, context),
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
            fields["BRK_KIND"] = points.object_array(breakpoints.KIND_NAMES[int(k)] for k in kind)
            fields["BRK_DATE"] = points.object_array(data.dates[i] if i >= 0 else None for i in index)
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
        vector.write_vector(out, fields, crs_wkt=data.crs_wkt, wkb=data.wkb, geometry_type=data.geometry_type,
                            progress=SubProgress(progress, 90, 100))
        styles.style_points_velocity(out, _velocity_field(parts[0][2]), context=context)
        return {self.OUTPUT: out}

    def _process_raster(self, parameters, context, opts, breaks, min_dbic, progress):
        info = self.raster_info(parameters, self.INPUT_RASTER, context)
        dates = points.raster_dates(info, self.INPUT_RASTER)
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT_RASTER, context)
        meta = {"BEST_MODEL_CODES": ", ".join(f"{i + 1}={m}" for i, m in enumerate(opts["models"])),
                "BRK_INDEX": "1-based index of the first date after the break (0 = none)",
                "DATES": ",".join(d.isoformat() for d in dates)}
        state = {}
        files = contextlib.ExitStack()  # the writer, made by the first block (its bands are known then)

        def write(block, res):
            if "writer" not in state:
                state["writer"] = files.enter_context(raster.RasterWriter.like(
                    out, info, count=len(res["names"]), descriptions=res["names"], metadata=meta))
                state["names"] = res["names"]
            state["writer"].write(res["stack"], row=block.row0)

        func = functools.partial(model_blocks.models_raster_block, dates=dates, opts=opts, breaks=breaks,
                                 min_dbic=min_dbic)
        plan = engine.plan_blocks(info.height, info.width, block_rows=max(1, raster.DEFAULT_BLOCK_ROWS // 4))
        with files:
            blocks.run_blocks(plan, func, write, run=knobs.run_settings(self, parameters, context), progress=progress,
                              sources={"series": blocks.raster_source(info.path, bands=None, dtype=np.float64,
                                                                      name=self.INPUT_RASTER)})
        names = state["names"]
        vel = [k for k in ("LIN_VEL", "SEA_VEL", "QUA_VEL", "LOG_VEL") if k in names]
        if vel:
            styles.style_raster_diverging(out, context=context, band=names.index(vel[0]) + 1)
        else:
            styles.style_raster_sequential(out, context=context, band=names.index("RMS_MM") + 1)
        return {self.OUTPUT_RASTER: out}
