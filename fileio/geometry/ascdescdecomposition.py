"""The ascending + descending decomposition's run: points gridded and decomposed in one pass, or rasters (velocity
or dated series on one grid) decomposed block by block; the east and up velocities, their quality and time series
written and styled (:mod:`...algorithms.geometry.decomposition`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...algorithms.geometry import decomposition as dec
from ...algorithms.progress import SubProgress, check_canceled, info
from ..base import blocks, raster
from ..base.runs import Outcome
from ..base.writers import all_or_none
from ..display import styles

#: What each output holds: the components of the decomposition it writes and their band descriptions (a time series
#: is described by its dates).
OUTPUTS = {"OUTPUT_EAST": (["east"], ["east velocity mm/yr (positive east)"]),
           "OUTPUT_UP": (["up"], ["up velocity mm/yr (positive up)"]),
           "OUTPUT_QUALITY": (["sigma_east", "sigma_up", "condition", "count"],
                              ["sigma east (mm/yr)", "sigma up (mm/yr)", "condition number", "observations"]),
           "OUTPUT_EAST_TS": (["east_ts"], None), "OUTPUT_UP_TS": (["up_ts"], None)}


@dataclass(frozen=True)
class Job:
    """A decomposition as plain values: the options (``opts``: the keywords of
    :func:`~...algorithms.geometry.decomposition.decompose_point_sets`, ``north`` in mm/yr, ``weighted``, ``ts`` ...)
    and how the observations are weighted (``weighting``, for the metadata), the outputs asked for (``outputs``:
    ``{output ID of OUTPUTS: path}``) and either the point sets (``points``: ``(grid, CRS WKT, data)``) or the
    rasters (``rasters``: ``(grid info, block function, engine sources, dates)``)."""

    opts: dict
    weighting: str
    outputs: dict
    points: tuple = ()
    rasters: tuple = ()


def run(job: Job, *, progress, context=None) -> Outcome:
    """Decomposes the job's points or rasters into east and up motion and writes the outputs asked for."""
    opts = job.opts
    if job.points:
        grid, crs_wkt, data = job.points
        check_canceled(progress)
        res, dates = dec.decompose_point_sets(data, grid, progress=SubProgress(progress, 50, 100), **opts)
        grid_info = raster.RasterInfo(path="", width=grid.n_cols, height=grid.n_rows, count=1,
                                      geotransform=grid.geotransform, crs_wkt=crs_wkt)
    else:
        grid_info, func, sources, dates = job.rasters
    meta = {"north_assumption": "neglected" if opts["north"] == 0 else f"{opts['north']:g} mm/yr",
            "weighting": job.weighting}
    specs = {k: (comps, desc or [d.isoformat() for d in dates]) for k, (comps, desc) in OUTPUTS.items()
             if k in job.outputs and (desc is not None or opts["ts"])}
    writers = {key: raster.RasterWriter.like(job.outputs[key], grid_info, count=len(desc), descriptions=desc,
                                             metadata=meta) for key, (_, desc) in specs.items()}
    tally, settings = dec.ConditionTally(), blocks.RunSettings()  # no run-wide knobs: one row of output tiles a block

    def write(block, res):
        tally.add(res)
        for key, (comps, _) in specs.items():
            # an infinite condition (one look direction) is written as NaN: GDAL cannot histogram an inf band
            arrs = [np.asarray(np.where(np.isinf(res[c]), np.nan, res[c]) if c == "condition" else res[c],
                               dtype=np.float64) for c in comps]
            writers[key].write(arrs[0] if len(arrs) == 1 else np.stack(arrs), row=block.row0)

    if job.points:
        with all_or_none(writers):
            write(settings.plan(grid_info.height, grid_info.width, block_rows=grid_info.height)[0], res)
    else:
        blocks.run_blocks(settings.plan(grid_info.height, grid_info.width, block_rows=raster.DEFAULT_BLOCK_ROWS),
                          func, write, sources=sources, run=settings, progress=progress, writers=writers)
    info(progress, "North motion " + ("neglected (N = 0)" if opts["north"] == 0 else
                                      f"constrained to {opts['north']:g} mm/yr"))
    info(progress, tally.summary())
    out = {key: w.path for key, w in writers.items()}
    _style(out, dates, context)
    return Outcome(outputs=out)


def _style(out: dict, dates, context) -> None:
    for key in ("OUTPUT_EAST", "OUTPUT_UP"):
        styles.style_raster_diverging(out[key], context=context)
    if "OUTPUT_QUALITY" in out:
        styles.style_raster_sequential(out["OUTPUT_QUALITY"], context=context, band=3, vmin=1.0, vmax=3.0,
                                       ramp_name="Viridis")
    for key in ("OUTPUT_EAST_TS", "OUTPUT_UP_TS"):
        if key in out:
            styles.style_raster_diverging(out[key], context=context, band=len(dates))
