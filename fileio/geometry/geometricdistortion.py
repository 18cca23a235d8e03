"""Files of geometricdistortion: the DEM read in row blocks (its heights in their exact float type), the
distortion classes, R-index, visibility and the two geometries' combination written block by block, and the
classes' shares as a CSV (:func:`..algorithms.geometry.distortion.distortion_map`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...algorithms.geometry import distortion
from ...algorithms.progress import info as say
from ..base import blocks, raster
from ..base.raster import RasterInfo
from ..base.runs import Outcome
from ..base.writers import all_or_none, compression_threads, exact_float_dtype
from . import geometry


@dataclass(frozen=True)
class Job:
    """A run as plain values: the DEM (``dem``, its parameter ID ``dem_name``), the acquisition geometries
    (:class:`~..algorithms.geometry.distortion.AcquisitionGeometry`), the rasters to write (``outputs``: output ID
    -> path; ``kinds``: output ID -> classes, rindex, visibility or combined) and their dtypes (``written``), the
    shares' CSV (``table``, "" for none; its ID ``table_id``), the class thresholds and the run-wide knobs."""

    dem: RasterInfo
    geometries: tuple
    outputs: dict
    kinds: dict
    written: dict
    strong_ratio: float
    moderate_ratio: float
    flat_slope_deg: float
    min_sensitivity: float
    table: str = ""
    table_id: str = "OUTPUT_TABLE"
    dem_name: str = "DEM"
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None) -> Outcome:
    """The distortion maps of every geometry, written together or not at all; each geometry's class shares said
    on ``progress`` (and written to the table when asked)."""
    info, run_settings = job.dem, job.settings
    paths = {job.kinds[k]: p for k, p in job.outputs.items()}
    dx_rows, dy = geometry.metric_pixel_size(info, job.dem_name)
    with compression_threads():
        writers = geometry.distortion_writers(info, paths)
    dem_dtype = exact_float_dtype(info.path)

    def read_dem(r0, r1):
        return raster.read_band(info.path, rows=(r0, r1), name=job.dem_name, dtype=dem_dtype)

    def write(r0, r1, gi, arrays):
        if gi == 0:
            for k in ("classes", "rindex", "visibility"):
                writers[k].write(arrays[k], row=r0)
        elif gi == -1 and "combined" in writers:
            writers["combined"].write(np.stack([arrays["best"], arrays["source"]]), row=r0)

    geos = list(job.geometries)
    with all_or_none(writers), run_settings.executor(progress) as ex:
        # workers in other processes re-open the DEM by path (same dtype: same bits as read_dem);
        # threads of this process share the heights the backward scan already decoded
        remote = ex.distributed and not ex.in_process
        dem_source = blocks.raster_source(info.path, dtype=dem_dtype, name=job.dem_name) if remote else None
        tables = distortion.distortion_map(read_dem, write, n_rows=info.height, n_cols=info.width,
                                           geometries=geos, dx_rows_m=dx_rows, dy_m=dy,
                                           block_rows=geometry.distortion_block_rows(run_settings, info.width),
                                           executor=ex, dem_source=dem_source, progress=progress,
                                           outputs=job.written, strong_ratio=job.strong_ratio,
                                           moderate_ratio=job.moderate_ratio, flat_slope_deg=job.flat_slope_deg,
                                           min_sensitivity=job.min_sensitivity)
    if job.table:
        geometry.write_share_table(job.table, tables, [g.name for g in geos])
    for t, g in zip(tables, geos):
        say(progress, f"{g.name}: " + ", ".join(f"{r['name']} {r['share_pct']:.1f}%"
                                                for r in t["distortion"] if r["pixels"]))
    return Outcome(outputs={**job.outputs, **({job.table_id: job.table} if job.table else {})})
