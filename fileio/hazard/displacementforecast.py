"""Files of displacementforecast: the forecast dates read, then every pixel's (on the block engine) or every
point's series fitted and extrapolated; the forecast, sigma, model, offsets and choice rasters written block by
block, the point table, the metadata the rasters carry from the input series, and the summary said in the log."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ...algorithms.errors import GeohazardError
from ...algorithms.hazard import forecast as fc
from ...algorithms.ordered import add_rows
from ...algorithms.progress import SubProgress, info
from ..base import blocks, vector
from ..base.metadata import geotiff_metadata
from ..base.raster import RasterInfo, RasterWriter, SkippedWriter
from ..base.runs import Outcome
from ..display import styles
from ..motion.points import read_dated_features

#: most raster rows / points of one block: a few seconds of fitting, so the progress moves and a cancel is seen
BLOCK_ROWS, BLOCK_POINTS = 32, 10000
#: the model raster's legend (codes 1..6, :data:`~algorithms.hazard.forecast.FORECAST_MODELS`)
MODEL_LEGEND = [(1, "Linear", "#4575b4"), (2, "Linear + annual", "#74add1"), (3, "Quadratic", "#fdae61"),
                (4, "Logarithmic creep", "#d73027"), (5, "Secondary consolidation", "#1a9850"),
                (6, "Exponential decay", "#762a83")]
#: the choice raster's close flag (its first band)
CLOSE_LEGEND = [(0, "Clear choice", "#f0f0f0"), (1, "Close choice (runner-up within 2)", "#e6550d")]
#: the offsets raster's first band (offsets found)
STEPS_LEGEND = [(0, "No offset", "#f0f0f0"), (1, "1 offset", "#fdae6b"), (2, "2 offsets", "#f16913"),
                (3, "3 offsets", "#d94801"), (4, "4 offsets", "#8c2d04")]


def carried_metadata(path: str, forecast_dates, model_text: str, criterion: str, holdout: int) -> dict:
    """The input's metadata (unit, sign, reference, geometry ...) with the forecast's: what the values are and
    how they were made; the input's DATES (the acquisitions) are replaced by the forecast dates."""
    md = next(iter(geotiff_metadata([path])))[1] if path else {}
    out = {str(k): str(v) for k, v in md.items() if str(k).upper() not in ("DATES", "BEST_MODEL_CODES")}
    out.setdefault("UNIT", "mm")
    out.update({"DATES": ",".join(fc.band_names(forecast_dates)), "FORECAST_MODEL": model_text,
                "FORECAST_CRITERION": criterion.upper(), "FORECAST_HOLDOUT_DATES": str(holdout),
                "MODEL_CODES": fc.model_codes_text()})
    return out


class RasterOutputs:
    """The engine's writer of :func:`~algorithms.hazard.forecast.forecast_raster_block`: the forecast, sigma, model,
    offsets and choice rasters (an empty path: not written), the hold-out and coverage sums (also per model) added row
    by row in plan order, the counts of close choices and of offsets found and used, and the consolidation
    coefficients seen."""

    def __init__(self, paths: dict, info, forecast_dates, metadata: dict):
        names = fc.band_names(forecast_dates)

        def writer(key, **kw):
            return RasterWriter.like(paths[key], info, **kw) if paths.get(key) else SkippedWriter()

        self.writers = {
            "forecast": writer("forecast", count=len(names), descriptions=names, metadata=metadata),
            "sigma": writer("sigma", count=len(names), descriptions=[f"{n} sigma" for n in names],
                            metadata=dict(metadata, QUANTITY="1-sigma of a future measurement")),
            "model": writer("model", dtype=np.uint8, nodata=0, descriptions=["forecast model"],
                            metadata={"MODEL_CODES": fc.model_codes_text(), "NODATA": "0 = no model fitted"}),
            "steps": writer("steps", dtype=np.int32, nodata=-1, count=len(fc.STEP_BANDS),
                            descriptions=list(fc.STEP_BANDS),
                            metadata={"NODATA": "-1 = no model fitted", "STEP_DATES": "first date after the offset"}),
            "choice": writer("choice", count=len(fc.CHOICE_BANDS), descriptions=list(fc.CHOICE_BANDS),
                             metadata={"MODEL_CODES": fc.model_codes_text() + ", 7=linear with offsets",
                                       "CLOSE_GAP": str(fc.CLOSE_GAP)})}
        self.sse = self.count = self.cover_hits = self.cover_count = None
        self.hits_by_model = self.count_by_model = None
        self.c_alpha = []
        self.codes = np.zeros(len(fc.FORECAST_MODELS) + 1, np.int64)
        self.close = self.found = self.used = 0

    def __call__(self, block, out: dict) -> None:
        for key, w in self.writers.items():
            w.write(out[key], row=block.row0)
        self.sse = add_rows(self.sse, out["sse"])
        self.count = add_rows(self.count, out["count"])
        self.cover_hits = add_rows(self.cover_hits, out["cover_hits"])
        self.cover_count = add_rows(self.cover_count, out["cover_count"])
        self.hits_by_model = add_rows(self.hits_by_model, out["cover_hits_by_model"])
        self.count_by_model = add_rows(self.count_by_model, out["cover_count_by_model"])
        self.codes += np.bincount(out["model"].reshape(-1), minlength=self.codes.size)
        self.close += int(np.sum(out["choice"][0] == 1))
        self.found += int(np.sum(out["steps"][0] > 0))
        self.used += int(np.sum(out["steps"][1] == 1))
        if "c_alpha" in out:
            self.c_alpha.append(out["c_alpha"][np.isfinite(out["c_alpha"])])

    def summary(self) -> dict:
        """``rmse`` (mm, NaN without a hold-out), ``coverage`` (share of the rolling-origin held-out values within
        2 sigma, NaN without one) and ``coverage_by_model`` (the same per model code), ``counts`` per model code,
        ``close``, ``found``, ``used`` (pixels with a close choice, with offsets found, with offsets used),
        ``c_alpha`` (the values, or None)."""
        return {"rmse": fc.holdout_rmse(float(self.sse), float(self.count)),
                "coverage": fc.coverage_share(float(self.cover_hits), float(self.cover_count)),
                "coverage_by_model": _shares(self.hits_by_model, self.count_by_model), "counts": self.codes,
                "close": self.close, "found": self.found, "used": self.used,
                "c_alpha": np.concatenate(self.c_alpha) if self.c_alpha else None}


def _shares(hits, count) -> list:
    """Coverage per model code (NaN where no held-out value)."""
    if hits is None:
        return [float("nan")] * (len(fc.FORECAST_MODELS) + 1)
    return [fc.coverage_share(float(h), float(c)) for h, c in zip(hits, count)]


def forecast_raster(info, thickness_path: str, dates, forecast_dates, opts: dict, paths: dict, *, run, progress,
                    context=None) -> dict:
    """Forecast every pixel of the time-series raster ``info`` on the block engine, write and style the rasters
    ``paths`` (``forecast``, ``sigma``, ``model``, ``steps``, ``choice``; empty = not written); returns
    :meth:`RasterOutputs.summary`."""
    summary = run_raster(info, thickness_path, dates, forecast_dates, opts, paths, run=run, progress=progress,
                         metadata=carried_metadata(info.path, forecast_dates, opts["model"], opts["criterion"],
                                                   opts["holdout"]))
    c = summary["c_alpha"]
    if c is not None and c.size:
        q = np.percentile(c, [5, 50, 95])
        progress.push_info(f"consolidation C = |K|/(1000 H) per decade of time: median {q[1]:.3g} (5-95 %: "
                           f"{q[0]:.3g}..{q[2]:.3g}) over {c.size} pixels")
    styles.style_raster_diverging(paths["forecast"], context=context)
    if paths.get("sigma"):
        styles.style_raster_sequential(paths["sigma"], context=context)
    if paths.get("model"):
        styles.style_raster_classified(paths["model"], MODEL_LEGEND, context=context)
    if paths.get("steps"):
        styles.style_raster_classified(paths["steps"], STEPS_LEGEND, context=context)
    if paths.get("choice"):
        styles.style_raster_classified(paths["choice"], CLOSE_LEGEND, context=context)
    return summary


def run_raster(info, thickness_path: str, dates, forecast_dates, opts: dict, paths: dict, *, run, progress,
               metadata: dict) -> dict:
    """Forecast every pixel of the time-series raster ``info`` on the block engine; returns
    :meth:`RasterOutputs.summary`."""
    sink = RasterOutputs(paths, info, forecast_dates, metadata)
    sources = {"series": blocks.raster_source(info.path, bands=None, dtype=np.float64, name="INPUT_RASTER")}
    if thickness_path:
        sources["thickness"] = blocks.raster_source(thickness_path, dtype=np.float64, name="THICKNESS")
    models = fc.FORECAST_MODELS if opts["model"] == fc.BEST else (opts["model"],)
    plan = run.plan(info.height, info.width, max_rows=BLOCK_ROWS,
                    bytes_per_pixel=fc.bytes_per_series(len(dates), len(forecast_dates), models))
    func = functools.partial(fc.forecast_raster_block, dates=dates, forecast_dates=forecast_dates, opts=opts)
    blocks.run_blocks(plan, func, sink, sources=sources, run=run, progress=progress,
                      writers=list(sink.writers.values()))
    return sink.summary()


class PointParts:
    """The engine's writer of the point blocks: their forecasts gathered in plan order."""

    def __init__(self):
        self.parts = []

    def __call__(self, block, out: dict) -> None:
        self.parts.append(out["forecast"])

    def joined(self) -> fc.Forecast:
        p = self.parts

        def cat(name, axis=0):
            return np.concatenate([getattr(x, name) for x in p], axis=axis)

        return fc.Forecast(cat("value_mm", 1), cat("sigma_mm", 1), cat("model_code"), cat("holdout_sse"),
                           cat("holdout_count"), None, cat("coverage_hits"), cat("coverage_count"), cat("steps_count"),
                           cat("steps_at", 1), cat("steps_used"), cat("runner_up"), cat("gap"), cat("weight"),
                           cat("close"))


def run_points(data, forecast_dates, opts: dict, *, run, progress) -> tuple:
    """Forecast every point of ``data`` (:class:`.points.DatedFeatures`) on the block engine (groups of points):
    ``(fields of the output layer, hold-out RMSE in mm, rolling-origin 2-sigma coverage, counts per model code,
    the other numbers of the log: coverage per model, close choices, offsets found and used)``."""
    series = data.displacement_mm
    m = series.shape[1]
    models = fc.FORECAST_MODELS if opts["model"] == fc.BEST else (opts["model"],)
    parts = PointParts()
    plan = run.plan(m, 1, tile_rows=1, max_rows=BLOCK_POINTS,
                    bytes_per_pixel=fc.bytes_per_series(len(data.dates), len(forecast_dates), models))
    blocks.run_blocks(plan, functools.partial(fc.forecast_points_block, dates=data.dates,
                                              forecast_dates=forecast_dates, opts=opts),
                      parts, run=run, prepare=lambda b: {"series": series[:, b.row0:b.row1]},
                      progress=SubProgress(progress, 0, 100))
    res = parts.joined()
    sse = add_rows(None, res.holdout_sse)  # point by point in order: the same whatever the blocks
    count = add_rows(None, res.holdout_count)
    coverage = fc.coverage_share(float(add_rows(None, res.coverage_hits)), float(add_rows(None, res.coverage_count)))
    codes = np.arange(len(fc.FORECAST_MODELS) + 1)[:, None] == res.model_code[None, :]
    by_model = _shares(add_rows(None, np.where(codes, res.coverage_hits[None, :], 0.0), axis=1),
                       add_rows(None, np.where(codes, res.coverage_count[None, :], 0.0), axis=1))
    extra = {"coverage_by_model": by_model, "close": int(res.close.sum()), "found": int((res.steps_count > 0).sum()),
             "used": int(res.steps_used.sum())}
    return point_fields(data, res, forecast_dates), fc.holdout_rmse(float(sse), float(count)), coverage, \
        np.bincount(res.model_code, minlength=len(fc.FORECAST_MODELS) + 1), extra


def forecast_points(source, name: str, uri: str, forecast_dates, opts: dict, out: str, *, run, progress,
                    context=None) -> tuple:
    """Read the dated points ``source``, forecast them, write and style the layer ``out``: ``(hold-out RMSE,
    rolling-origin 2-sigma coverage, counts per model code, the other numbers of the log)``."""
    data = read_dated_features(source, name, SubProgress(progress, 0, 10), uri)
    fields, rmse, coverage, counts, extra = run_points(data, forecast_dates, opts, run=run,
                                                       progress=SubProgress(progress, 10, 90))
    vector.write_vector(out, fields, crs_wkt=data.crs_wkt, wkb=data.wkb, geometry_type=data.geometry_type,
                        progress=SubProgress(progress, 90, 100))
    styles.style_vector_graduated(out, f"D{forecast_dates[-1]:%Y%m%d}", context=context, ramp_name="RdBu", unit="mm")
    return rmse, coverage, counts, extra


def point_fields(data, res: fc.Forecast, forecast_dates) -> dict:
    """The output table: the input's attributes (its dated fields are not carried: a later tool would read them
    as acquisitions), then ``MODEL`` (code), ``MODEL_NAME``, the offsets (``STEPS`` found, ``STEPS_USED`` 1/0,
    ``STEP_DATES`` ISO dates of the first date after each), the choice (``CLOSE`` 1/0, ``RUNNER_UP`` code, 7 = the line
    with offsets, ``GAP_IC`` its criterion gap, ``MODEL_WEIGHT``), ``D<YYYYMMDD>`` forecasts and ``S<YYYYMMDD>``
    sigmas (mm)."""
    fields = dict(data.attributes)
    fields["MODEL"] = res.model_code.astype(np.int64)
    names = ("",) + fc.FORECAST_MODELS
    fields["MODEL_NAME"] = np.array([names[int(c)] or None for c in res.model_code], dtype=object)
    fitted = res.model_code > 0
    fields["STEPS"] = np.where(fitted, res.steps_count, 0).astype(np.int64)
    fields["STEPS_USED"] = np.where(fitted, res.steps_used, 0).astype(np.int64)
    fields["STEP_DATES"] = np.array([",".join(x.isoformat() for x in res.step_dates(data.dates, j)) or None
                                     for j in range(res.model_code.size)], dtype=object)
    fields["CLOSE"] = np.where(fitted, res.close, 0).astype(np.int64)
    fields["RUNNER_UP"] = res.runner_up.astype(np.int64)
    fields["GAP_IC"] = np.where(fitted, res.gap, np.nan)
    fields["MODEL_WEIGHT"] = np.where(fitted, res.weight, np.nan)
    for i, d in enumerate(forecast_dates):
        fields[f"D{d:%Y%m%d}"] = res.value_mm[i]
    for i, d in enumerate(forecast_dates):
        fields[f"S{d:%Y%m%d}"] = res.sigma_mm[i]
    return fields


def log_summary(progress, counts, labels, holdout: int, rmse: float, coverage: float, extra=None) -> None:
    """The run's last lines: models used, the close choices and the offsets, the hold-out RMSE, the rolling-origin
    coverage, pooled and per model (or why there is none)."""
    progress.push_info("model counts: " + ", ".join(f"{labels[i]} {int(n)}" for i, n in enumerate(counts) if i and n)
                       + f"; {int(counts[0])} left empty")
    if extra:
        progress.push_info(f"{extra['close']} close choices (another model within 2 of the criterion: read the "
                           f"choice output); offsets found in {extra['found']}, used by the forecast in "
                           f"{extra['used']}")
        by = [f"{labels[i]} {100 * c:.1f} %" for i, c in enumerate(extra["coverage_by_model"]) if i and c == c]
        if by:
            progress.push_info("rolling-origin 2-sigma coverage per model: " + ", ".join(by))
    if holdout:
        progress.push_info(f"hold-out RMSE over the last {holdout} dates: {rmse:.3f} mm")
    if coverage == coverage:
        progress.push_info(f"rolling-origin hold-out: {100 * coverage:.1f} % of the held-out values within 2 sigma "
                           "of their forecasts (near 95 % when the sigma is right); report the forecast +- 2 sigma "
                           "with this coverage")
    else:
        progress.push_warning("the series are too short for a rolling-origin hold-out: the sigma is the model's own, "
                              "not checked on held-out dates, and the line was kept")


@dataclass(frozen=True)
class Job:
    """A run as plain values: the series' dates, the forecast dates as typed (``forecast_text``), the options
    (``opts``: model, hold-out ...), the model labels of the summary, and either the dated raster (``raster``, its
    ``thickness`` raster or "", ``outputs``: forecast, sigma, model, steps, choice -> path or None) or the dated points
    (``points``: the feature source, its ``uri``, ``output``); the parameter IDs to name (``names``: input,
    input_raster, forecast_dates) and of the outputs (``ids``: output, forecast, sigma, model, steps, choice, rmse,
    coverage), and the run-wide knobs."""

    dates: tuple
    forecast_text: str
    opts: dict
    labels: tuple
    names: dict
    ids: dict
    raster: Optional[RasterInfo] = None
    thickness: str = ""
    outputs: dict = field(default_factory=dict)
    points: Any = None
    uri: str = ""
    output: str = ""
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The forecast of every pixel or point; its hold-out RMSE (mm) and the share of held-out dates within 2 sigma
    as numbers."""
    dates, opts, ids, names = list(job.dates), job.opts, job.ids, job.names
    fdates = fc.forecast_dates_of(job.forecast_text, dates, name=names["forecast_dates"], progress=progress)
    info(progress, f"{len(dates)} dates {dates[0]}..{dates[-1]}; model {opts['model']}; forecast at "
                   f"{', '.join(d.isoformat() for d in fdates)}")
    if job.raster is not None:
        res = forecast_raster(job.raster, job.thickness, dates, fdates, opts, dict(job.outputs),
                                    run=job.settings, progress=progress, context=context)
        rmse, coverage, counts, name = res["rmse"], res["coverage"], res["counts"], names["input_raster"]
        extra = {k: res[k] for k in ("coverage_by_model", "close", "found", "used")}
        written = {ids[k]: job.outputs[k] for k in ("forecast", "sigma", "model", "steps", "choice")
                   if job.outputs.get(k)}
    else:
        rmse, coverage, counts, extra = forecast_points(job.points, names["input"], job.uri, fdates, opts,
                                                              job.output, run=job.settings, progress=progress,
                                                              context=context)
        name, written = names["input"], {ids["output"]: job.output}
    if not counts[1:].sum():
        raise GeohazardError(f"no point or pixel of {name} has enough valid dates for the model: nothing to "
                             "forecast")
    log_summary(progress, counts, list(job.labels), opts["holdout"], rmse, coverage, extra)
    return Outcome(outputs=written, values={ids["rmse"]: rmse, ids["coverage"]: coverage})
