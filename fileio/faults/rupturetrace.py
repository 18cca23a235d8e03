"""The rupture trace's run: the offset raster read whole, its pixel size in metres, the trace found by the core and
written as lines in the raster's CRS."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from osgeo import ogr

from ...algorithms.errors import GeohazardError
from ...algorithms.faults import rupturetrace as rt
from ...algorithms.progress import SubProgress
from ..base import vector
from ..base.raster import RasterInfo, read_band
from ..base.runs import Outcome
from ..display import styles
from ..geometry.geometry import metric_pixel_size

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
    info, name = job.offset, job.names["input"]
    px, py = pixel_metres(info, name)
    offsets = read_band(info.path, None, name=name, dtype=np.float64)
    res = rt.rupture_trace(offsets, pixel_x_m=px, pixel_y_m=py, min_offset_m=job.min_offset_m,
                           smoothing_m=job.smoothing_m, progress=SubProgress(progress, 5, 90))
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
    vector.write_vector(job.output, fields, crs_wkt=info.crs_wkt,
                        wkb=[segment_geometry(s, info.geotransform) for s in segs],
                        geometry_type=ogr.wkbLineString, progress=SubProgress(progress, 90, 100))
    if segs and not job.output.lower().endswith(".csv"):
        styles.style_vector_graduated(job.output, "jump_m", context=context, unit="m")
    return Outcome(outputs={job.names["output"]: job.output}, notes=list(res.notes))
