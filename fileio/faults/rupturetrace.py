"""The rupture trace's run: the offset raster read in rows and averaged onto a working grid of about a quarter of
the smoothing (no finer: the trace cannot be sharper than the smoothing), its pixel size in metres, the trace found
by the core on that grid and written as lines in the raster's CRS."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from osgeo import ogr

from ...algorithms.errors import GeohazardError
from ...algorithms.faults import rupturetrace as rt
from ...algorithms.progress import SubProgress, check_canceled, info
from ..base import vector
from ..base.raster import RasterInfo, read_band
from ..base.runs import Outcome
from ..display import styles
from ..geometry.geometry import metric_pixel_size

#: working pixels per smoothing length: the raster is averaged onto cells of SMOOTHING_M / 4 when its own pixels are
#: finer (a fine optical or offset-tracking grid), so the core's arrays scale with the scene over the smoothing
WORK_PIXELS_PER_SMOOTHING = 4
#: what the core holds per working pixel (the offsets, their smoothed and gap-filled forms, weights, masks)
CORE_BYTES_PER_PIXEL = 120.0

#: the fields of the output, in order
FIELDS = ("trace", "segment", "jump_m", "positive_m", "negative_m", "length_m", "start_m", "vertices")


@dataclass(frozen=True)
class Job:
    """A run as plain values: the offsets (``offset``: the raster, m), ``min_offset_m``, ``smoothing_m``, the
    ``output`` line layer and the IDs (``names``: input, output)."""

    offset: RasterInfo
    min_offset_m: float
    smoothing_m: float
    output: str
    names: dict


def pixel_metres(info: RasterInfo, name: str) -> tuple:
    """``(width, height)`` of a pixel in metres: a projected grid's own, a geographic grid's at its middle row."""
    gt = info.geotransform
    if gt[2] or gt[4]:
        raise GeohazardError(f"{name} has a rotated geotransform {gt}; warp it to a north-up grid first")
    if not info.crs_wkt:
        raise GeohazardError(f"{name} has no coordinate reference system (CRS): the trace cannot be placed and "
                             "SMOOTHING_M has no meaning on it; assign its CRS (a raster in radar geometry: geocode "
                             "it first)")
    dx, dy = metric_pixel_size(info, name)
    return float(np.asarray(dx)[info.height // 2]), float(dy)


def cell_factor(px: float, py: float, smoothing_m: float) -> int:
    """Pixels averaged per side of a working cell: as many as fit in a quarter of the smoothing (1 when the
    raster's pixels are already that coarse)."""
    return max(1, int(np.floor(smoothing_m / (WORK_PIXELS_PER_SMOOTHING * max(px, py)))))


def check_memory(shape: tuple, name: str, smoothing_m: float) -> None:
    """Refuse a working grid whose arrays would take more than half of this machine's memory, naming what to do."""
    need = float(shape[0]) * shape[1] * CORE_BYTES_PER_PIXEL
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not on every platform (Windows)
        return
    if need > 0.5 * total:
        raise GeohazardError(f"{name}: at SMOOTHING_M = {smoothing_m:g} m the working grid is {shape[0]} x {shape[1]} "
                             f"pixels, about {need / 2**30:.1f} GiB for the trace, more than half of this machine's "
                             f"{total / 2**30:.1f} GiB; clip the raster to the rupture's area or raise SMOOTHING_M")


def read_averaged(grid, name: str, factor: int, progress=None) -> np.ndarray:
    """The offsets averaged over cells of ``factor`` x ``factor`` pixels (no-data left out; a cell without a valid
    pixel stays NaN; the last cells of a row or column average what the raster has), read ``factor`` rows at a
    time: the memory is the working grid's and one band of cells."""
    if factor == 1:
        return read_band(grid.path, None, name=name, dtype=np.float64)
    h, w = -(-grid.height // factor), -(-grid.width // factor)
    out = np.full((h, w), np.nan)
    for i in range(h):
        if i % 64 == 0:
            check_canceled(progress)
        rows = read_band(grid.path, None, rows=(i * factor, min((i + 1) * factor, grid.height)), name=name,
                         dtype=np.float64)
        cells = np.full((factor, w * factor), np.nan)
        cells[:rows.shape[0], :grid.width] = rows
        cells = cells.reshape(factor, w, factor)
        valid = np.isfinite(cells)
        count = valid.sum(axis=(0, 2))
        total = np.where(valid, cells, 0.0).sum(axis=(0, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[i] = np.where(count > 0, total / count, np.nan)
    return out


def segment_geometry(seg: rt.Segment, gt) -> bytes:
    """A segment's vertices (pixel coordinates) as line WKB in the raster's CRS."""
    g = ogr.Geometry(ogr.wkbLineString)
    x = gt[0] + seg.cols * gt[1] + seg.rows * gt[2]
    y = gt[3] + seg.cols * gt[4] + seg.rows * gt[5]
    for a, b in zip(x, y):
        g.AddPoint_2D(float(a), float(b))
    return g.ExportToWkb()


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """Find the rupture trace of the offsets; write its segments."""
    grid, name = job.offset, job.names["input"]
    px, py = pixel_metres(grid, name)
    factor = cell_factor(px, py, job.smoothing_m)
    shape = (-(-grid.height // factor), -(-grid.width // factor))
    check_memory(shape, name, job.smoothing_m)
    if factor > 1:
        info(progress, f"{name}: averaged onto cells of {factor} x {factor} pixels ({px * factor:.0f} x "
                       f"{py * factor:.0f} m, a quarter of SMOOTHING_M = {job.smoothing_m:g} m): a working grid of "
                       f"{shape[0]} x {shape[1]}")
    offsets = read_averaged(grid, name, factor, SubProgress(progress, 0, 5))
    res = rt.rupture_trace(offsets, pixel_x_m=px * factor, pixel_y_m=py * factor, min_offset_m=job.min_offset_m,
                           smoothing_m=job.smoothing_m, progress=SubProgress(progress, 5, 90))
    gt = grid.geotransform
    work_gt = (gt[0], gt[1] * factor, gt[2] * factor, gt[3], gt[4] * factor, gt[5] * factor)
    segs = res.segments
    per_trace: dict = {}
    numbers = []
    for s in segs:
        per_trace[s.trace] = per_trace.get(s.trace, 0) + 1
        numbers.append(per_trace[s.trace])
    fields = {"trace": np.array([s.trace for s in segs], np.int64), "segment": np.array(numbers, np.int64),
              "jump_m": np.array([s.jump_m for s in segs]), "positive_m": np.array([s.positive_m for s in segs]),
              "negative_m": np.array([s.negative_m for s in segs]), "length_m": np.array([s.length_m for s in segs]),
              "start_m": np.array([s.start_m for s in segs]), "vertices": np.array([s.n_vertices for s in segs],
                                                                                 np.int64)}
    vector.write_vector(job.output, fields, crs_wkt=grid.crs_wkt,
                        wkb=[segment_geometry(s, work_gt) for s in segs],
                        geometry_type=ogr.wkbLineString, progress=SubProgress(progress, 90, 100))
    if segs and not job.output.lower().endswith(".csv"):
        styles.style_vector_graduated(job.output, "jump_m", context=context, unit="m")
    return Outcome(outputs={job.names["output"]: job.output}, notes=list(res.notes))
