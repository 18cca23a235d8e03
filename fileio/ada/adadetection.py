"""The ADA detection's run: each point layer read in turn (a file of several tracks; its dated fields streamed after the
detection for the ADA points only where the layer allows it), its points put in a metric frame, the active
deformation areas detected and outlined, the layers merged and the ADAs and the flagged points written and styled
(:mod:`...algorithms.ada.detection`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Optional

import numpy as np
from osgeo import ogr

from ...algorithms.ada import classification, detection
from ...algorithms.errors import GeohazardError
from ...algorithms.progress import SubProgress, info, warn
from ..base import blocks, vector
from ..base.runs import Outcome
from ..display import styles
from ..motion import ada, points

#: Largest points x dates matrix held for the ADA mean time series (about 0.8 GB of float64): the ADA points' when
#: the series are streamed from an OGR layer, every point's otherwise.
MAX_SERIES_VALUES = 100_000_000


class LayerPoints(NamedTuple):
    """One point layer as a detection reads it: its points (``table``, a :class:`~..motion.ada.PointTable`), the
    dated fields and their series (``dates``: ``[(field, date)]``; ``series``: an array, a reader of the ADA points'
    rows, or None) and the fields of the velocity, its standard deviation and the height (None when absent)."""

    table: object
    dates: list
    series: object
    velocity: str
    std: Optional[str]
    height: Optional[str]


@dataclass(frozen=True)
class PointLayer:
    """One point layer of a detection as the tool hands it over, read by the run: its name among the layers of one
    file (None for a single layer), the QGIS vector layer, ``source()`` its feature source (what a selection or a
    feature limit leaves: ``limited``), and the fields of the velocity, its standard deviation and the height (None
    when absent)."""

    name: Optional[str]
    layer: Any
    source: Callable
    velocity: str
    std: Optional[str] = None
    height: Optional[str] = None
    limited: bool = False


@dataclass(frozen=True)
class Job:
    """An ADA detection as plain values: the point layers (``layers``: :class:`PointLayer` each), whether their dated
    fields give the ADAs' series (``use_series``), the detection's options (``options``:
    :func:`~...algorithms.ada.detection.detect_ada`'s keywords), the outline margin (``margin_m``; 0 = auto), the
    ADAs' GeoPackage (``output``), the flagged points' (``output_points``, "" without), the parameter ID of the
    points (``name``) and the run-wide knobs (``settings``)."""

    layers: tuple
    options: dict
    margin_m: float
    output: str
    output_points: str
    settings: blocks.RunSettings
    use_series: bool = True
    name: str = "INPUT"


def read_points(job: Job, src: PointLayer, progress, *, context=None) -> LayerPoints:
    """The points of ``src`` as the detection reads them: their numeric fields and the dated fields' series, an
    array, a reader of the ADA points' rows, or None.

    An OGR layer read whole streams its dated fields after the detection, the ADA points' only (memory bounded at
    any size); other sources read them with the other fields, up to :data:`MAX_SERIES_VALUES` points x dates. A
    layer whose series are in its netCDF series file (loadegms) reads the ADA points' rows from it."""
    layer, limit = src.layer, MAX_SERIES_VALUES
    say = functools.partial(warn, progress)

    def table_of(fields, part=None):
        return points.point_table(layer, src.source, job.name, fields, part, limited=src.limited, context=context)

    base = list(dict.fromkeys(f for f in (src.velocity, src.std, src.height) if f))
    stream = layer.providerType() == "ogr" and not layer.subsetString() and not src.limited
    ts = ada.series_fields(layer, job.use_series, say, None if stream else limit)
    nc = points.series_file(points.source_uri(layer)) if job.use_series and not ts else None
    if nc is not None:  # the series in the layer's netCDF series file: the ADA points' rows read from it
        table = table_of(base, progress)
        ts = [(f"D{d:%Y%m%d}", d) for d in nc.dates]
        series = ada.netcdf_series_reader(nc, table.fids, max_values=limit, warn=say)
        return LayerPoints(table, ts, series, src.velocity, src.std, src.height)
    table = table_of(base + ([] if stream else [n for n, _ in ts]), progress)
    if ts and stream and not table.arrow:  # GDAL without the Arrow stream: the series read as a second pass
        stream = False
        ts = ada.series_fields(layer, job.use_series, say, limit)
        if ts:
            table.attributes.update(table_of([n for n, _ in ts]).attributes)
    if ts and stream:
        series = ada.ogr_series_reader(layer, [n for n, _ in ts], table.fids, max_values=limit, warn=say)
    else:
        series = np.column_stack([table.attributes[n] for n, _ in ts]) if ts else None
    return LayerPoints(table, ts, series, src.velocity, src.std, src.height)


def require_points(name: str, table, field: str, xm, ym, min_points: int) -> None:
    """Refuse a point layer with fewer than ``min_points`` points that have a velocity (``field``) and a
    position: no active deformation area can form there."""
    usable = int(np.count_nonzero(np.isfinite(table.attributes[field]) & np.isfinite(xm) & np.isfinite(ym)))
    if usable < min_points:
        raise GeohazardError(
            f"{name} has {usable} point(s) with a velocity ({field!r}) and a position, of {len(table)}; ADA detection "
            f"needs at least MIN_POINTS = {min_points}: an active deformation area is a cluster of at least "
            "MIN_POINTS moving points judged against the stable points around it. Give the whole point layer (e.g. "
            "EGMS or sbasinversion OUTPUT_POINTS)")


def detect_layer(job: Job, src: PointLayer, progress, *, context=None) -> dict:
    """One detection on the point layer ``src``."""
    name = src.name
    pts = read_points(job, src, SubProgress(progress, 0, 30), context=context)
    table, vel, std, height = pts.table, pts.velocity, pts.std, pts.height
    frame = ada.metric_frame(table.crs, table.x, table.y, name=job.name)
    xm, ym = frame.forward(table.x, table.y)
    info(progress, (f"{name}: " if name else "") + f"{len(table)} points; velocity field {vel!r}"
         + (f", std field {std!r}" if std else "") + (f", {len(pts.dates)} dates" if pts.dates else ""))
    require_points(job.name + (f" ({name})" if name else ""), table, vel, xm, ym, job.options["min_points"])
    with job.settings.executor(progress) as ex:  # spatial tiles of the neighbourhood statistics within the budget
        res = detection.detect_ada(xm, ym, table.attributes[vel],
                                   velocity_std_mm_yr=table.attributes[std] if std else None,
                                   series_mm=pts.series, executor=ex, progress=SubProgress(progress, 30, 80),
                                   max_memory_mb=job.settings.max_memory_mb, **job.options)
    dates = pts.dates
    del pts  # the series (the largest array of the run) is not needed beyond the detection
    wkbs, areas = ada.ada_outlines(xm, ym, res, margin_m=job.margin_m, back=frame.ogr_to_source(),
                                   progress=SubProgress(progress, 80, 100))
    slope = classification.plane_slope_deg(xm, ym, table.attributes[height], res.labels,
                                           res.n_ada) if height else None
    if name:
        info(progress, f"{name}: {res.n_ada} active deformation areas")
    return ada.detection_part(table, vel, res, detection.ada_polygon_fields(res, areas, dates, slope), wkbs)


def run(job: Job, *, progress, context=None) -> Outcome:
    """Detects the active deformation areas of every layer and writes them (and the flagged points)."""
    n = len(job.layers)
    parts = [detect_layer(job, src, SubProgress(progress, 85 * k / n, 85 * (k + 1) / n), context=context)
             for k, src in enumerate(job.layers)]
    got = ada.merge_layers([src.name for src in job.layers], parts)
    vector.write_vector(job.output, got["fields"], crs_wkt=got["crs_wkt"], wkb=got["wkbs"],
                        geometry_type=ogr.wkbMultiPolygon)
    styles.style_ada_vector(job.output, context, field_name_="mean_vel", kind="velocity")
    n_ada = len(got["wkbs"])
    info(progress, f"{n_ada} active deformation areas" if n_ada else
         "Zero active deformation areas: no cluster of moving points passed the threshold and the noise filters "
         "(see the counts above).")
    outcome = Outcome(outputs={"OUTPUT": job.output})
    if job.output_points:  # flag codes only (a text column would cost ~25 % more time on millions of points)
        pts = got["points"]
        ada.write_points_gpkg(job.output_points, pts["x"], pts["y"], pts["fields"], crs_wkt=got["crs_wkt"],
                              progress=SubProgress(progress, 85, 100))
        flags = detection.FLAG_NAMES
        styles.style_ada_vector(job.output_points, context, field_name_="flag", kind="class",
                                categories=[(c, f"{c} {flags[c]}") for c in sorted(flags)])
        outcome.outputs["OUTPUT_POINTS"] = job.output_points
    return outcome
