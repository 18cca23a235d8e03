"""Files of zonalseries: the zone polygons burnt on a dated raster's grid (each on its own window) or tested
against dated points, every zone's values gathered per date and summarised (:mod:`..algorithms.models.zonalseries`),
the table (a row per zone and date) and the chart written."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from osgeo import ogr
from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsWkbTypes

from ...algorithms.engine import max_memory_bytes
from ...algorithms.errors import GeohazardError
from ...algorithms.models import zonalseries as zs
from ...algorithms.progress import SubProgress, check_canceled, info, warn
from ..base import vector
from ..base.blocks import RunSettings, WindowSource, raster_window, run_blocks
from ..base.raster import RasterInfo
from ..base.rasterize import burn_polygons
from ..base.runs import Outcome
from ..display import charts, styles
from ..motion import points
from ..motion.points import point_values, source_uri

#: most rows of one block of a zone's window (a cancel is seen within a second or two)
BLOCK_ROWS = 256


@dataclass(frozen=True)
class Job:
    """A run as plain values: the zones (``zones``: a polygon feature source, read by the run; ``zone_field``: the
    field naming each zone, "" for its feature id; ``transform_context``: QGIS's, to bring the zones into the
    input's CRS), the statistics, either the dated raster (``raster``) or the dated points (``points``: the vector
    layer and ``table``, its point table), the outputs (``output``, ``chart`` or "") with their IDs (``ids``: output,
    chart), the parameter IDs (``names``: input, zones) and the run-wide knobs."""

    zones: Any
    zone_field: str
    transform_context: Any
    stats: tuple
    output: str
    ids: dict
    names: dict
    raster: Optional[RasterInfo] = None
    points: Any = None
    table: Any = None
    chart: str = ""
    settings: RunSettings = field(default_factory=RunSettings)


def read_zones(source, field_name: str, crs_wkt: str, transform_context, name: str, progress=None) -> tuple:
    """``([(feature id, WKB in crs_wkt)], [label])`` of the zone polygons (null and empty geometries left out, said
    in the log): each labelled by its ``field_name`` value, else by its feature id. Refused when none is left."""
    dest = QgsCoordinateReferenceSystem.fromWkt(crs_wkt) if crs_wkt else source.sourceCrs()
    xform = None
    if dest.isValid() and source.sourceCrs().isValid() and source.sourceCrs() != dest:
        xform = QgsCoordinateTransform(source.sourceCrs(), dest, transform_context)
        info(progress, f"{name}: polygons transformed from {source.sourceCrs().authid() or 'their CRS'} to the "
                       f"input's {dest.authid() or 'CRS'}")
    zones, labels, skipped = [], [], 0
    for feat in source.getFeatures():
        geom = feat.geometry()
        if geom is None or geom.isNull() or geom.isEmpty():
            skipped += 1
            continue
        if QgsWkbTypes.geometryType(geom.wkbType()) != QgsWkbTypes.GeometryType.PolygonGeometry:
            raise GeohazardError(f"{name} must hold polygons (zones); feature {feat.id()} is a "
                                 f"{QgsWkbTypes.displayString(geom.wkbType())}")
        if xform is not None:
            geom.transform(xform)
        zones.append((int(feat.id()), bytes(geom.asWkb())))
        value = feat[field_name] if field_name else None
        labels.append(str(feat.id()) if value is None or (isinstance(value, float) and value != value)
                      or str(value) in ("", "NULL") else str(value))
    if skipped:
        warn(progress, f"{name}: {skipped} feature(s) without a geometry left out")
    if not zones:
        raise GeohazardError(f"{name}: the layer has no polygon")
    return zones, labels


def zone_windows(info: RasterInfo, zones: list) -> list:
    """``[(window or None, mask or None)]`` per zone: the rows and columns of the raster under its envelope and the
    pixels whose centre is inside it there (GDAL's rasterizer on the window's grid)."""
    gt = info.geotransform
    out = []
    for _, wkb in zones:
        env = ogr.CreateGeometryFromWkb(bytes(wkb)).GetEnvelope()  # (xmin, xmax, ymin, ymax)
        window = raster_window(info, (env[0], env[2], env[1], env[3]))
        if window is None:
            out.append((None, None))
            continue
        r0, r1, c0, c1 = window
        sub = dataclasses.replace(info, width=c1 - c0, height=r1 - r0,
                                  geotransform=(gt[0] + c0 * gt[1] + r0 * gt[2], gt[1], gt[2],
                                                gt[3] + c0 * gt[4] + r0 * gt[5], gt[4], gt[5]))
        mask = burn_polygons([wkb], sub).astype(bool)
        out.append((window, mask) if mask.any() else (None, None))
    return out


def gather_block(block, inputs, *, mask: np.ndarray) -> np.ndarray:
    """Block function of the engine over the rows of a zone's window: ``{"values": (bands, n)}``, the pixels of
    ``mask`` (the window's) in the block's rows, in row order."""
    arr = inputs["raster"]
    if arr.ndim == 2:
        arr = arr[None]
    return {"values": arr[:, mask[block.row0:block.row1]]}


class Gathered:
    """The engine's writer: a zone's values gathered in plan order."""

    def __init__(self):
        self.parts = []

    def __call__(self, block, out) -> None:
        self.parts.append(out["values"])

    def joined(self, n_bands: int) -> np.ndarray:
        return np.concatenate(self.parts, axis=1) if self.parts else np.zeros((n_bands, 0), np.float32)


def band_groups(n_bands: int, n_pixels: int, budget_bytes: float) -> list:
    """Groups of consecutive 1-based bands whose gathered values (float32) of ``n_pixels`` pixels fit half the
    block budget: every band at once for a small zone, fewer for a district of millions of pixels."""
    per_band = max(n_pixels, 1) * 4.0 * 2.0
    size = int(min(max(budget_bytes // per_band, 1), n_bands))
    return [tuple(range(b, min(b + size, n_bands + 1))) for b in range(1, n_bands + 1, size)]


def raster_zone_values(info: RasterInfo, zones: list, name: str, *, run: RunSettings, progress=None) -> list:
    """``[values (bands, n) float32]`` per zone: its pixels (centre inside) on every band, read in blocks of rows
    over its window only, in groups of bands when a zone's values would not fit the memory budget."""
    budget = max_memory_bytes(run.max_memory_mb)
    windows = zone_windows(info, zones)
    values = []
    with run.executor(progress) as executor:
        for k, (window, mask) in enumerate(windows):
            check_canceled(progress)
            if window is None:
                values.append(np.zeros((info.count, 0), np.float32))
                continue
            n_in = int(mask.sum())
            parts = []
            for bands in band_groups(info.count, n_in, budget):
                sink = Gathered()
                plan = run.plan(mask.shape[0], mask.shape[1], bytes_per_pixel=4.0 * len(bands) * 3 + 8.0,
                                max_rows=BLOCK_ROWS)
                run_blocks(plan, functools.partial(gather_block, mask=mask), sink,
                           sources={"raster": WindowSource(info.path, window, name, bands=bands)}, run=run,
                           executor=executor)
                parts.append(sink.joined(len(bands)))
            values.append(np.concatenate(parts, axis=0))
            if progress is not None:
                progress.set_progress(100.0 * (k + 1) / len(windows))
    return values


def zone_rings(wkb: bytes) -> list:
    """Every ring (outer rings and holes of every part) of a polygon WKB, as ``(k, 2)`` arrays."""
    geom = ogr.CreateGeometryFromWkb(bytes(wkb))
    polygons = [geom.GetGeometryRef(i) for i in range(geom.GetGeometryCount())] \
        if geom.GetGeometryType() in (ogr.wkbMultiPolygon, ogr.wkbMultiPolygon25D) else [geom]
    rings = []
    for poly in polygons:
        if poly is None:
            continue
        for i in range(poly.GetGeometryCount()):
            ring = poly.GetGeometryRef(i)
            pts = ring.GetPoints() if ring is not None else None
            if pts:
                rings.append(np.asarray(pts, np.float64)[:, :2])
    return rings


def point_zone_values(table, read_values, zones: list, progress=None) -> list:
    """``[values (dates, n)]`` per zone: the series of the points inside it (the points of its envelope tested
    against its rings, :func:`..algorithms.models.zonalseries.points_in_rings`), in the table's order."""
    x, y = np.asarray(table.x, np.float64), np.asarray(table.y, np.float64)
    members = []
    for _, wkb in zones:
        check_canceled(progress)
        env = ogr.CreateGeometryFromWkb(bytes(wkb)).GetEnvelope()
        near = np.flatnonzero((x >= env[0]) & (x <= env[1]) & (y >= env[2]) & (y <= env[3]))
        inside = zs.points_in_rings(x[near], y[near], zone_rings(wkb)) if near.size else np.zeros(0, bool)
        members.append(near[inside])
    used = np.unique(np.concatenate(members)) if members else np.zeros(0, np.int64)
    series = np.asarray(read_values(used), np.float64) if used.size else None
    out = []
    for rows in members:
        if rows.size == 0 or series is None:
            out.append(None)
            continue
        out.append(series[np.searchsorted(used, rows)].T)
    return out


def report(names: list, per_zone: list, n_members: list, dates: list, zones_name: str, input_name: str,
           progress=None) -> None:
    """The log's summary: members per zone, zones with none (named), dates on which a zone has no value."""
    empty = [n for n, m in zip(names, n_members) if m == 0]
    filled = len(names) - len(empty)
    if filled == 0:
        raise GeohazardError(f"{zones_name} and {input_name} do not overlap: no zone holds a pixel centre or a "
                             "point of the input (are the layers in the same place? a zone smaller than a pixel "
                             "holds no pixel centre)")
    if not any(np.isfinite(z["count"]).any() and (z["count"] > 0).any() for z in per_zone):
        raise GeohazardError(f"{input_name} has no value in any zone on any date (no-data on every pixel or point "
                             f"inside {zones_name}): nothing to summarise")
    sizes = [m for m in n_members if m]
    info(progress, f"{filled} of {len(names)} zones hold pixels or points ({min(sizes)}-{max(sizes)} each), "
                   f"{len(dates)} dates {dates[0]}..{dates[-1]}")
    if empty:
        shown = ", ".join(str(n) for n in empty[:10]) + (f" and {len(empty) - 10} more" if len(empty) > 10 else "")
        warn(progress, f"{zones_name}: {len(empty)} zone(s) hold no pixel centre or point of {input_name} (their rows "
                       f"have count 0 and no statistic): {shown}")
    gaps = [(n, int((z["count"] == 0).sum())) for n, z, m in zip(names, per_zone, n_members) if m and "count" in z
            and (z["count"] == 0).any()]
    if gaps:
        warn(progress, f"{len(gaps)} zone(s) have dates with no value (no-data on every member): "
                       + ", ".join(f"{n}: {k} date(s)" for n, k in gaps[:10]))


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """Every zone's statistics per date, written as a table (a row per zone and date) with its chart."""
    names = job.names
    stats = zs.check_statistics(job.stats)
    needed = stats if "count" in stats else stats + ("count",)
    if job.raster is not None:
        grid = job.raster
        if not grid.crs_wkt or not grid.has_georef:
            raise GeohazardError(f"{names['input']} has no coordinate reference system (CRS): the zones cannot be "
                                 "placed on it; assign its CRS (a raster in radar geometry: geocode it first)")
        dates = points.raster_dates(grid, names["input"])
        unit = styles.raster_unit(grid.path) or "mm"
        zones, labels = read_zones(job.zones, job.zone_field, grid.crs_wkt, job.transform_context, names["zones"],
                                   progress)
        values = raster_zone_values(grid, zones, names["input"], run=job.settings,
                                    progress=SubProgress(progress, 0, 85))
    else:
        layer = job.points
        read, _, dates = point_values(layer, job.table, "", names["input"], source_uri(layer))
        unit = "mm"
        zones, labels = read_zones(job.zones, job.zone_field, vector.wkt_of(layer.crs()), job.transform_context,
                                   names["zones"], progress)
        values = point_zone_values(job.table, read, zones, progress)
    n_members = [0 if v is None else int(v.shape[1]) for v in values]
    per_zone = [zs.zone_statistics(np.zeros((len(dates), 0)) if v is None else v, needed) for v in values]
    report(labels, per_zone, n_members, dates, names["zones"], names["input"], progress)
    cols = zs.long_table([fid for fid, _ in zones], labels, dates, per_zone, stats, n_members)
    cols["unit"] = np.asarray([unit] * len(cols["zone_id"]), dtype=object)
    vector.write_vector(job.output, cols, wkb=[None] * len(cols["zone_id"]), geometry_type=ogr.wkbNone,
                        progress=SubProgress(progress, 85, 95))
    outputs = {job.ids["output"]: job.output}
    if job.chart:
        drawn = charts.zone_series(job.chart, labels, dates, per_zone, n_members, unit=unit,
                                   members="pixels" if job.raster is not None else "points", log=progress)
        if drawn:
            outputs[job.ids["chart"]] = job.chart
    return Outcome(outputs=outputs)
