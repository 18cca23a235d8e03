"""Files of the displacement forecast: the forecast, sigma and model rasters written block by block, the point
table, and the metadata the rasters carry from the input series."""

from __future__ import annotations

import functools

import numpy as np

from ...algorithms.hazard import forecast as fc
from ...algorithms.ordered import add_rows
from ...algorithms.progress import SubProgress
from ..base import blocks, vector
from ..base.metadata import geotiff_metadata
from ..base.raster import RasterWriter, SkippedWriter
from ..display import styles
from .points import read_dated_features

#: most raster rows / points of one block: a few seconds of fitting, so the progress moves and a cancel is seen
BLOCK_ROWS, BLOCK_POINTS = 32, 10000
#: the model raster's legend (codes 1..6, :data:`~algorithms.hazard.forecast.FORECAST_MODELS`)
MODEL_LEGEND = [(1, "Linear", "#4575b4"), (2, "Linear + annual", "#74add1"), (3, "Quadratic", "#fdae61"),
                (4, "Logarithmic creep", "#d73027"), (5, "Secondary consolidation", "#1a9850"),
                (6, "Exponential decay", "#762a83")]


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
    """The engine's writer of :func:`~algorithms.hazard.forecast.forecast_raster_block`: the forecast, sigma and
    model rasters (an empty path: not written), the hold-out sums added row by row in plan order and the
    consolidation coefficients seen."""

    def __init__(self, paths: dict, info, forecast_dates, metadata: dict):
        names = fc.band_names(forecast_dates)

        def writer(key, **kw):
            return RasterWriter.like(paths[key], info, **kw) if paths.get(key) else SkippedWriter()

        self.writers = {
            "forecast": writer("forecast", count=len(names), descriptions=names, metadata=metadata),
            "sigma": writer("sigma", count=len(names), descriptions=[f"{n} sigma" for n in names],
                            metadata=dict(metadata, QUANTITY="1-sigma of a future measurement")),
            "model": writer("model", dtype=np.uint8, nodata=0, descriptions=["forecast model"],
                            metadata={"MODEL_CODES": fc.model_codes_text(), "NODATA": "0 = no model fitted"})}
        self.sse = self.count = self.cover_hits = self.cover_count = None
        self.c_alpha = []
        self.codes = np.zeros(len(fc.FORECAST_MODELS) + 1, np.int64)

    def __call__(self, block, out: dict) -> None:
        for key, w in self.writers.items():
            w.write(out[key], row=block.row0)
        self.sse = add_rows(self.sse, out["sse"])
        self.count = add_rows(self.count, out["count"])
        self.cover_hits = add_rows(self.cover_hits, out["cover_hits"])
        self.cover_count = add_rows(self.cover_count, out["cover_count"])
        self.codes += np.bincount(out["model"].reshape(-1), minlength=self.codes.size)
        if "c_alpha" in out:
            self.c_alpha.append(out["c_alpha"][np.isfinite(out["c_alpha"])])

    def summary(self) -> dict:
        """``rmse`` (mm, NaN without a hold-out), ``coverage`` (share of the rolling-origin held-out values within
        2 sigma, NaN without one), ``counts`` per model code, ``c_alpha`` (the values, or None)."""
        return {"rmse": fc.holdout_rmse(float(self.sse), float(self.count)),
                "coverage": fc.coverage_share(float(self.cover_hits), float(self.cover_count)), "counts": self.codes,
                "c_alpha": np.concatenate(self.c_alpha) if self.c_alpha else None}


def forecast_raster(info, thickness_path: str, dates, forecast_dates, opts: dict, paths: dict, *, run, progress,
                    context=None) -> dict:
    """Forecast every pixel of the time-series raster ``info`` on the block engine, write and style the rasters
    ``paths`` (``forecast``, ``sigma``, ``model``; empty = not written); returns :meth:`RasterOutputs.summary`."""
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
        return fc.Forecast(np.concatenate([x.value_mm for x in p], axis=1),
                           np.concatenate([x.sigma_mm for x in p], axis=1),
                           np.concatenate([x.model_code for x in p]), np.concatenate([x.holdout_sse for x in p]),
                           np.concatenate([x.holdout_count for x in p]), None,
                           np.concatenate([x.coverage_hits for x in p]), np.concatenate([x.coverage_count for x in p]))


def run_points(data, forecast_dates, opts: dict, *, run, progress) -> tuple:
    """Forecast every point of ``data`` (:class:`.points.DatedFeatures`) on the block engine (groups of points):
    ``(fields of the output layer, hold-out RMSE in mm, rolling-origin 2-sigma coverage, counts per model code)``."""
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
    return point_fields(data, res, forecast_dates), fc.holdout_rmse(float(sse), float(count)), coverage, \
        np.bincount(res.model_code, minlength=len(fc.FORECAST_MODELS) + 1)


def forecast_points(source, name: str, uri: str, forecast_dates, opts: dict, out: str, *, run, progress,
                    context=None) -> tuple:
    """Read the dated points ``source``, forecast them, write and style the layer ``out``: ``(hold-out RMSE,
    rolling-origin 2-sigma coverage, counts per model code)``."""
    data = read_dated_features(source, name, SubProgress(progress, 0, 10), uri)
    fields, rmse, coverage, counts = run_points(data, forecast_dates, opts, run=run,
                                                progress=SubProgress(progress, 10, 90))
    vector.write_vector(out, fields, crs_wkt=data.crs_wkt, wkb=data.wkb, geometry_type=data.geometry_type,
                        progress=SubProgress(progress, 90, 100))
    styles.style_vector_graduated(out, f"D{forecast_dates[-1]:%Y%m%d}", context=context, ramp_name="RdBu", unit="mm")
    return rmse, coverage, counts


def point_fields(data, res: fc.Forecast, forecast_dates) -> dict:
    """The output table: the input's attributes (its dated fields are not carried: a later tool would read them
    as acquisitions), then ``MODEL`` (code), ``MODEL_NAME``, ``D<YYYYMMDD>`` forecasts and ``S<YYYYMMDD>``
    sigmas (mm)."""
    fields = dict(data.attributes)
    fields["MODEL"] = res.model_code.astype(np.int64)
    names = ("",) + fc.FORECAST_MODELS
    fields["MODEL_NAME"] = np.array([names[int(c)] or None for c in res.model_code], dtype=object)
    for i, d in enumerate(forecast_dates):
        fields[f"D{d:%Y%m%d}"] = res.value_mm[i]
    for i, d in enumerate(forecast_dates):
        fields[f"S{d:%Y%m%d}"] = res.sigma_mm[i]
    return fields


def log_summary(progress, counts, labels, holdout: int, rmse: float, coverage: float) -> None:
    """The run's last lines: models used, the hold-out RMSE, the rolling-origin coverage (or why there is none)."""
    progress.push_info("model counts: " + ", ".join(f"{labels[i]} {int(n)}" for i, n in enumerate(counts) if i and n)
                       + f"; {int(counts[0])} left empty")
    if holdout:
        progress.push_info(f"hold-out RMSE over the last {holdout} dates: {rmse:.3f} mm")
    if coverage == coverage:
        progress.push_info(f"rolling-origin hold-out: {100 * coverage:.1f} % of the held-out values within 2 sigma "
                           "of their forecasts (near 95 % when the sigma is right); report the forecast +- 2 sigma "
                           "with this coverage")
    else:
        progress.push_warning("the series are too short for a rolling-origin hold-out: the sigma is the model's own, "
                              "not checked on held-out dates, and the line was kept")
