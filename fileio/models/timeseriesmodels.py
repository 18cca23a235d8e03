"""Files of timeseriesmodels: the dated points (or a dated raster) read in blocks, every series fitted by the
candidate models and the fields (or bands) written and styled (:mod:`..algorithms.models.model_blocks`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...algorithms.models import model_blocks
from ...algorithms.progress import SubProgress, info
from ..base import blocks, vector, writers
from ..base.raster import RasterInfo
from ..base.runs import Outcome
from ..display import styles
from ..motion import points


@dataclass(frozen=True)
class Job:
    """A run as plain values: the dated points (``points``: the feature source, its ``uri``, the parameter ID
    ``points_name``) or a dated raster (``raster``), the fit's options (``opts``, ``breaks``, ``min_dbic``), the
    output (``output``, its ID ``output_id``), the largest block (``block_points`` points, ``block_rows`` rows) and
    the run-wide knobs."""

    output: str
    output_id: str
    opts: dict
    breaks: Any = None
    min_dbic: float = 0.0
    points: Any = None
    uri: str = ""
    points_name: str = "INPUT"
    raster: Any = None
    raster_name: str = "INPUT_RASTER"
    block_points: int = 20000
    block_rows: int = 64
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The models fitted to every point's series (a GeoPackage with the fields) or every pixel's (a raster of
    fit bands), styled on the best model's velocity."""
    if job.raster is not None:
        return _run_raster(job, job.raster, progress, context)
    opts, breaks, run_settings = job.opts, job.breaks, job.settings
    data = points.read_dated_features(job.points, job.points_name, SubProgress(progress, 0, 15), job.uri)
    m = data.displacement_mm.shape[1]
    info(progress, f"{m} points, {len(data.dates)} dates {data.dates[0]}..{data.dates[-1]}; "
                   f"models: {', '.join(opts['models'])}")
    # blocks of points within the memory budget, at most block_points (this process or Dask; same bytes)
    fits = model_blocks.PointFits(progress)
    blocks.run_blocks(run_settings.plan(m, 1, tile_rows=1, max_rows=job.block_points, bytes_per_pixel=model_blocks.
                                        bytes_per_series(len(data.dates), opts["models"], breaks)),
                      functools.partial(model_blocks.models_points_block, dates=data.dates, opts=opts,
                                        breaks=breaks, min_dbic=job.min_dbic),
                      fits, run=run_settings, prepare=lambda b: {"series": data.displacement_mm[:, b.row0:b.row1]},
                      progress=SubProgress(progress, 15, 90))
    fields = {**data.attributes, **fits.fields(data.dates, data.displacement_mm)}
    if breaks:
        info(progress, f"breakpoints: {int((fields['BRK_KIND'] == 'step').sum())} steps, "
                       f"{int((fields['BRK_KIND'] == 'trend').sum())} trend changes")
    fields.update(zip(data.date_fields, data.displacement_mm))
    counts = {nm: int((fields["BEST_MODEL"] == nm).sum()) for nm in opts["models"]}
    info(progress, "best model counts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    vector.write_vector(job.output, fields, crs_wkt=data.crs_wkt, wkb=data.wkb, geometry_type=data.geometry_type,
                        progress=SubProgress(progress, 90, 100))
    styles.style_points_velocity(job.output, fits.velocity_field(), context=context)
    return Outcome(outputs={job.output_id: job.output})


def _run_raster(job: Job, grid: RasterInfo, progress, context) -> Outcome:
    opts, breaks, out = job.opts, job.breaks, job.output
    dates = points.raster_dates(grid, job.raster_name)
    meta = {"BEST_MODEL_CODES": ", ".join(f"{i + 1}={m}" for i, m in enumerate(opts["models"])),
            "BRK_INDEX": "1-based index of the first date after the break (0 = none)",
            "DATES": ",".join(d.isoformat() for d in dates)}
    writer = writers.FirstBlockWriter(out, grid, metadata=meta)
    func = functools.partial(model_blocks.models_raster_block, dates=dates, opts=opts, breaks=breaks,
                             min_dbic=job.min_dbic)
    plan = job.settings.plan(grid.height, grid.width, max_rows=job.block_rows,
                             bytes_per_pixel=model_blocks.bytes_per_series(len(dates), opts["models"], breaks))
    blocks.run_blocks(plan, func, writer.write, run=job.settings, progress=progress, writers=[writer],
                      sources={"series": blocks.raster_source(grid.path, bands=None, dtype=np.float64,
                                                              name=job.raster_name)})
    names = writer.names
    vel = [k for k in model_blocks.VELOCITY_COLUMNS if k in names]
    if vel:
        styles.style_raster_diverging(out, context=context, band=names.index(vel[0]) + 1)
    else:
        styles.style_raster_sequential(out, context=context, band=names.index("RMS_MM") + 1)
    return Outcome(outputs={job.output_id: out})
