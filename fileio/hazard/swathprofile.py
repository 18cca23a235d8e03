"""Files of the swath profiles: the profile lines read and brought into a metric frame, the raster read in blocks
over the swaths' bounding box only, point layers (a field or dated fields) read for the points in the swaths,
and the table and chart written."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from osgeo import osr
from qgis.core import QgsFeatureRequest, QgsGeometry, QgsWkbTypes

from ...algorithms.errors import GeohazardError
from ...algorithms.formats.dates import parse_date
from ...algorithms.hazard import swathprofile as pr
from ...algorithms.progress import SubProgress, check_canceled, warn
from ..base import blocks, vector
from ..base.blocks import RunSettings, WindowSource
from ..base.raster import RasterInfo
from ..base.runs import Outcome
from ..base.vector import wkt_of
from ..display import charts, styles
from ..motion.ada import netcdf_series_reader, ogr_series_reader
from ..motion.points import date_fields_of, read_dated_features, series_file, source_uri

#: most rows of one block of the raster window (a cancel is seen within a second or two)
BLOCK_ROWS = 256
#: the most columns of a GeoPackage table (SQLite's default SQLITE_MAX_COLUMN, 2000, less the fid and geometry)
GPKG_MAX_FIELDS = 1998


def metric_frame(crs_wkt: str, lon: float, lat: float) -> str:
    """The frame distances are measured in: the input's CRS when it is projected in metres, else the UTM zone of
    ``(lon, lat)`` (the profiles' centre) on WGS 84."""
    srs = osr.SpatialReference()
    if crs_wkt and srs.ImportFromWkt(crs_wkt) == 0 and srs.IsProjected() and \
            abs(srs.GetLinearUnits() - 1.0) < 1e-9:
        return crs_wkt
    zone = int(np.clip(np.floor((lon + 180.0) / 6.0) + 1, 1, 60))
    utm = osr.SpatialReference()
    utm.ImportFromEPSG((32600 if lat >= 0 else 32700) + zone)
    return utm.ExportToWkt()


def _parts(geom: QgsGeometry) -> list:
    """The vertices ``(k, 2)`` of a line feature (a multi-line merged; its longest part when it stays several)."""
    if geom.isMultipart():
        merged = geom.mergeLines()
        parts = merged.asMultiPolyline() if merged.isMultipart() else [merged.asPolyline()]
    else:
        parts = [geom.asPolyline()]
    parts = [np.array([(p.x(), p.y()) for p in part], np.float64) for part in parts if len(part) >= 2]
    return parts


def read_lines(source, name: str, input_wkt: str, step_m: float, progress=None, *, input_name: str = "INPUT") -> tuple:
    """``(metric CRS WKT, [(pid, Line in metres), ...])`` of the line layer ``source``: each feature (its fid is
    the profile id) densified in its own CRS (pieces of at most a quarter of ``step_m``, so it keeps its course),
    transformed to the input's CRS and then to the metric frame (:func:`metric_frame`)."""
    if not input_wkt:
        raise GeohazardError(f"{input_name} has no coordinate reference system (CRS): the profiles cannot be placed "
                             "on it; assign its CRS (a raster in radar geometry: geocode it first)")
    if QgsWkbTypes.geometryType(source.wkbType()) != QgsWkbTypes.GeometryType.LineGeometry:
        raise GeohazardError(f"{name} must be a line layer (one profile per feature), got "
                             f"{QgsWkbTypes.displayString(source.wkbType())}")
    line_wkt = wkt_of(source.sourceCrs())
    feats = []
    for feat in source.getFeatures(QgsFeatureRequest().setNoAttributes()):
        geom = feat.geometry()
        if geom.isNull() or geom.isEmpty():
            continue
        geom.get().dropZValue()
        geom.get().dropMValue()
        parts = _parts(geom)
        if len(parts) > 1:
            warn(progress, f"{name}: feature {feat.id()} has {len(parts)} separate parts; its longest is used")
            parts = [max(parts, key=lambda p: np.hypot(*np.diff(p, axis=0).T).sum())]
        if parts:
            feats.append((int(feat.id()), parts[0]))
    if not feats:
        raise GeohazardError(f"{name} has no line with at least two vertices")
    to_ll = pr.transformer(line_wkt, "EPSG:4326") if line_wkt else None
    allv = np.vstack([v for _, v in feats])
    lon, lat = to_ll(allv[:, 0], allv[:, 1]) if to_ll is not None else (allv[:, 0], allv[:, 1])
    metric = metric_frame(input_wkt, float(np.mean(lon)), float(np.mean(lat)))
    to_metric = pr.transformer(line_wkt, metric) if line_wkt and line_wkt != metric else None
    lines = []
    for pid, v in feats:
        if to_metric is not None:
            mx, my = to_metric(v[:, 0], v[:, 1])
            seg = np.hypot(np.diff(mx), np.diff(my))
            v = pr.subdivide(v, np.ceil(seg / (0.25 * step_m)))
            v = np.column_stack(to_metric(v[:, 0], v[:, 1]))
        if not np.isfinite(v).all():
            raise GeohazardError(f"{name}: feature {pid} cannot be placed in the input's CRS (its coordinates do "
                                 "not transform)")
        try:
            lines.append((pid, pr.Line(v)))
        except GeohazardError as exc:
            raise GeohazardError(f"{name}: feature {pid}: {exc}") from None
    return metric, lines


def swath_bounds(lines, width_m: float, metric_wkt: str, target_wkt: str) -> tuple:
    """``(xmin, ymin, xmax, ymax)`` in ``target_wkt`` of the swaths (each line's box grown by half the width, its
    outline densified before it is transformed)."""
    xs, ys = [], []
    for _, line in lines:
        lo = line.xy.min(axis=0) - 0.5 * width_m
        hi = line.xy.max(axis=0) + 0.5 * width_m
        t = np.linspace(0.0, 1.0, 33)
        bx = np.r_[lo[0] + (hi[0] - lo[0]) * t, np.full(33, hi[0]), hi[0] - (hi[0] - lo[0]) * t, np.full(33, lo[0])]
        by = np.r_[np.full(33, lo[1]), lo[1] + (hi[1] - lo[1]) * t, np.full(33, hi[1]), hi[1] - (hi[1] - lo[1]) * t]
        if target_wkt != metric_wkt:
            bx, by = pr.transformer(metric_wkt, target_wkt)(bx, by)
        xs.append(bx)
        ys.append(by)
    x, y = np.concatenate(xs), np.concatenate(ys)
    return float(np.nanmin(x)), float(np.nanmin(y)), float(np.nanmax(x)), float(np.nanmax(y))


def raster_window(info, bounds: tuple) -> tuple:
    """``(row0, row1, col0, col1)`` of the raster's pixels under ``bounds`` (its CRS), clipped to the raster;
    the whole raster for a rotated grid; None when nothing is under them."""
    gt = info.geotransform
    if gt[2] or gt[4]:
        return 0, info.height, 0, info.width
    xmin, ymin, xmax, ymax = bounds
    cols = sorted(((xmin - gt[0]) / gt[1], (xmax - gt[0]) / gt[1]))
    rows = sorted(((ymax - gt[3]) / gt[5], (ymin - gt[3]) / gt[5]))
    c0, c1 = max(int(np.floor(cols[0])), 0), min(int(np.ceil(cols[1])), info.width)
    r0, r1 = max(int(np.floor(rows[0])), 0), min(int(np.ceil(rows[1])), info.height)
    return (r0, r1, c0, c1) if r1 > r0 and c1 > c0 else None


class Samples:
    """The engine's writer: each profile's samples gathered in plan order."""

    def __init__(self, pids):
        self.parts = {pid: [] for pid in pids}
        self.pixels = dict.fromkeys(pids, 0)

    def __call__(self, block, out: dict) -> None:
        for pid, part in out["samples"].items():
            self.parts[pid].append(part)
            self.pixels[pid] += out["pixels"][pid]

    def joined(self, pid, n_bands: int) -> tuple:
        parts = self.parts[pid]
        if not parts:
            return np.zeros(0), np.zeros((0, n_bands), np.float32)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def raster_samples(info, name: str, lines, metric: str, width_m: float, *, run, progress) -> dict:
    """``{pid: (along, values (n, bands))}`` of the pixels in each swath, read in blocks of rows over the swaths'
    bounding box only. A line whose swath holds no pixel of the raster is refused."""
    window = raster_window(info, swath_bounds(lines, width_m, metric, info.crs_wkt))
    if window is None:
        raise GeohazardError(f"LINE and {name} do not overlap: no profile's swath crosses the raster (the lines "
                             "are outside it)")
    r0, r1, c0, c1 = window
    frame = None if metric == info.crs_wkt else (info.crs_wkt, metric)
    sink = Samples([pid for pid, _ in lines])
    plan = run.plan(r1 - r0, c1 - c0, bytes_per_pixel=4.0 * info.count * 3 + 64.0, max_rows=BLOCK_ROWS)
    func = functools.partial(pr.swath_raster_block, gt=info.geotransform, window=window, frame=frame, lines=lines,
                             width_m=width_m)
    blocks.run_blocks(plan, func, sink, sources={"raster": WindowSource(info.path, window, name)}, run=run,
                      progress=progress)
    outside = [pid for pid, n in sink.pixels.items() if n == 0]
    if outside:
        raise GeohazardError(f"LINE and {name} do not overlap: the swath of feature {outside[0]} holds no pixel "
                             "(it lies outside the raster); draw it over the raster or leave it out")
    return {pid: sink.joined(pid, info.count) for pid, _ in lines}


def point_samples(table, read_values, lines, metric: str, width_m: float, name: str, progress=None) -> dict:
    """``{pid: (along, values (n, k))}`` of the points of ``table`` (x, y in its CRS) in each swath; the values
    of the selected points come from ``read_values(rows)`` ((rows, k)), read once for all profiles."""
    x, y = table.x, table.y
    crs = wkt_of(table.crs) if table.crs is not None else ""
    if crs and crs != metric:
        x, y = pr.transformer(crs, metric)(x, y)
    chosen = []
    for pid, line in lines:
        check_canceled(progress)
        keep, along = pr.in_swath(x, y, line, width_m)
        if keep.size == 0:
            raise GeohazardError(f"LINE and {name} do not overlap: the swath of feature {pid} holds no point (it "
                                 "lies outside the points); draw it over the points or leave it out")
        chosen.append((pid, keep, along))
    rows = np.unique(np.concatenate([k for _, k, _ in chosen]))
    values = np.asarray(read_values(rows), np.float64)
    return {pid: (along, values[np.searchsorted(rows, keep)]) for pid, keep, along in chosen}


def band_suffixes(descriptions, count: int) -> tuple:
    """``(column suffixes, dates or None)``: the band's ISO date in basic form (``20200101``) when every band
    description is a date, else ``b<number>``."""
    try:
        dates = [parse_date(str(d).strip()) for d in descriptions]
    except (GeohazardError, ValueError):
        dates = None
    if dates and len(dates) == count and count > 1:
        return [f"{d:%Y%m%d}" for d in dates], dates
    return [f"b{i + 1}" for i in range(count)], None


def write_outputs(profiles, samples: dict, suffixes, dates, *, out: str, chart: str, input_wkt: str, metric: str,
                  unit: str, context=None, progress=None) -> bool:
    """The table (a point per bin at its centre on the line, in the input's CRS) and the chart (PNG or HTML);
    False when the chart was asked for and could not be written (matplotlib missing: a warning in the log)."""
    to_input = pr.transformer(metric, input_wkt) if input_wkt and metric != input_wkt else None
    n_fields = 4 + len(pr.STATS) * len(suffixes)
    if n_fields > GPKG_MAX_FIELDS and not out.lower().endswith(".csv"):
        raise GeohazardError(f"OUTPUT: {len(suffixes)} bands or dates make {n_fields} columns, more than a GeoPackage "
                             f"holds ({GPKG_MAX_FIELDS}); write the table as .csv, or profile fewer dates")
    cols = pr.table_columns(profiles, suffixes, to_input)
    csv = out.lower().endswith(".csv")
    vector.write_vector(out, cols, crs_wkt=input_wkt, x=cols["x"], y=cols["y"], progress=SubProgress(progress, 0, 60))
    if not csv:
        styles.style_vector_graduated(out, "mean" if len(suffixes) == 1 else f"mean_{suffixes[-1]}",
                                      context=context, unit=unit)
    if chart:
        labels = [f"profile {p.pid}: {p.line.length:.0f} m, {p.n_samples} samples" for p in profiles]
        cloud = {pid: pr.sample_subset(a, v[:, 0]) for pid, (a, v) in samples.items()} if dates is None else None
        return charts.profiles(chart, profiles, labels=labels, unit=unit or "value", samples=cloud, dates=dates,
                               max_charted=pr.MAX_CHARTED, log=progress) is not None
    return True


#: units a field's name may end with (``vel_mm_yr``, ``disp_cm``), longest first
_NAME_UNITS = (("_mm_yr", "mm/yr"), ("_mmyr", "mm/yr"), ("_mm_y", "mm/yr"), ("_cm_yr", "cm/yr"), ("_m_yr", "m/yr"),
               ("_mm", "mm"), ("_cm", "cm"), ("_deg", "degrees"), ("_m", "m"))


def check_numeric_field(layer, field: str, name: str, layer_name: str) -> None:
    """Refuse a ``field`` the point layer does not have or that is not numeric, naming both parameters."""
    idx = layer.fields().lookupField(field)
    if idx < 0:
        raise GeohazardError(f"{name}: {layer_name} has no field {field!r}")
    f = layer.fields().at(idx)
    if not f.isNumeric():
        raise GeohazardError(f"{name}: field {field!r} of {layer_name} holds {f.typeName() or 'text'} values; a swath "
                             "profile needs a numeric field (a velocity, a displacement, a height ...)")


def field_unit(layer, field: str, name: str, typed: str, progress=None) -> str:
    """The unit of a point field's values: ``typed`` (the UNIT parameter), else the one its alias or comment gives
    in brackets ("velocity (mm/yr)"), else the one its name ends with (:data:`_NAME_UNITS`), else "" (said in the
    log: the table and chart then carry no unit)."""
    if typed:
        return typed.strip()
    idx = layer.fields().lookupField(field)
    f = layer.fields().at(idx) if idx >= 0 else None
    for text in ((f.alias(), f.comment()) if f is not None else ()):
        if text and "(" in text and text.rstrip().endswith(")"):
            return text.rstrip()[text.rindex("(") + 1:-1].strip()
    low = field.lower()
    for end, unit in _NAME_UNITS:
        if low.endswith(end):
            return unit
    warn(progress, f"{name}: field {field!r} names no unit (UNIT is empty, the field's name and alias give none): the "
                   "profile carries none; set UNIT (e.g. mm/yr)")
    return ""


def point_values(layer, table, field: str, name: str, uri: str) -> tuple:
    """``(read_values(rows) -> (rows, k), column suffixes, dates or None)`` of a point layer read as ``table``
    (:func:`..inputs.layers.read_point_table`): the numeric ``field``, else its dated fields (DYYYYMMDD, EGMS
    YYYYMMDD ...; a loadegms layer whose series are in its netCDF file reads them there), each selected point's
    series read once."""
    if field:
        values = np.asarray(table.attributes[field], np.float64)
        return (lambda rows: values[rows][:, None]), [field], None
    pairs = sorted(date_fields_of(layer, name, uri), key=lambda p: p[1])
    dates = [d for _, d in pairs]
    suffixes = [f"{d:%Y%m%d}" for d in dates]
    limit = np.iinfo(np.int64).max
    if pairs[0][0] is None:
        return netcdf_series_reader(series_file(uri), table.fids, max_values=limit), suffixes, dates
    names = [f for f, _ in pairs]
    if table.arrow:
        return ogr_series_reader(layer, names, table.fids, max_values=limit), suffixes, dates
    data = read_dated_features(layer, name, None, uri)
    order = [data.date_fields.index(f) for f in names]
    series = data.displacement_mm[order].T
    return (lambda rows: series[rows]), suffixes, dates


@dataclass(frozen=True)
class Job:
    """A run as plain values: the profile lines (``lines``: a feature source), the swath's ``width_m`` and
    ``step_m``, either the raster (``raster``) or the points (``points``: the vector layer, its parameter ID
    ``points_name``, the ``value_field`` or "" for the dated fields, the ``unit`` typed, ``table``: the point table
    read), the outputs (``output``, ``chart`` or "") with their IDs (``ids``: output, chart), the input's and the
    lines' parameter IDs (``names``: input, line) and the run-wide knobs."""

    lines: Any
    width_m: float
    step_m: float
    output: str
    ids: dict
    names: dict
    raster: Optional[RasterInfo] = None
    points: Any = None
    points_name: str = "POINTS"
    value_field: Optional[str] = ""
    unit: Optional[str] = ""
    table: Any = None
    chart: str = ""
    settings: RunSettings = field(default_factory=RunSettings)


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The swath profiles of the raster's cells or the points along every line (statistics per step, the profiles'
    summary said on ``progress``), written with their chart."""
    names, width, step = job.names, job.width_m, job.step_m
    if job.raster is not None:
        info = job.raster
        crs, unit = info.crs_wkt, styles.raster_unit(info.path)
        metric, lines = read_lines(job.lines, names["line"], crs, step, progress, input_name=names["input"])
        samples = raster_samples(info, names["input"], lines, metric, width, run=job.settings, progress=progress)
        suffixes, dates = band_suffixes(info.descriptions, info.count)
    else:
        layer, name = job.points, job.points_name
        crs = wkt_of(layer.crs())
        unit = (field_unit(layer, job.value_field, names["field"], job.unit, progress) if job.value_field
                else "mm")
        read, suffixes, dates = point_values(layer, job.table, job.value_field, name, source_uri(layer))
        metric, lines = read_lines(job.lines, names["line"], crs, step, progress, input_name=name)
        samples = point_samples(job.table, read, lines, metric, width, name, progress)
    profiles = [pr.profile_from(pid, line, *samples[pid], width_m=width, step_m=step) for pid, line in lines]
    pr.report(profiles, names["input"], progress)
    charted = write_outputs(profiles, samples, suffixes, dates, out=job.output, chart=job.chart, input_wkt=crs,
                            metric=metric, unit=unit, context=context, progress=progress)
    return Outcome(outputs={job.ids["output"]: job.output,
                            **({job.ids["chart"]: job.chart} if job.chart and charted else {})})
