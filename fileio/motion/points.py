"""Dated point (or polygon) layers and dated raster bands: the dates and displacements they carry."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np
from qgis.core import QgsFeatureRequest, QgsGeometry, QgsWkbTypes

from ...algorithms.errors import GeohazardError
from ...algorithms.formats.dates import dated_fields, parse_date
from ...algorithms.models.timeseriesmodels import check_dates
from ...algorithms.progress import check_canceled
from ..base.vector import read_points, wkt_of
from . import series_nc
from .ada import PointTable, netcdf_series_reader, ogr_series_reader, point_layer_table


@dataclass
class DatedFeatures:
    """Features of a layer with dated displacement fields, as arrays."""

    dates: list
    date_fields: list
    displacement_mm: np.ndarray  # (n_dates, m)
    attributes: dict = field(default_factory=dict)  # other fields, typed arrays
    wkb: list = field(default_factory=list)
    geometry_type: int = 1
    crs_wkt: str = ""


def source_uri(layer) -> str:
    """The OGR source of a vector layer (what :func:`series_file` takes), '' for other providers or none."""
    if layer is None or not hasattr(layer, "providerType") or layer.providerType() != "ogr":
        return ""
    return layer.source()


def series_file(uri: str):
    """The checked netCDF series file (:class:`.series_nc.SeriesFile`) of the GeoPackage layer ``uri``
    (``file.gpkg|layername=x``; a bare path: its first layer), None when the layer names none. Raises naming the
    file when it is missing or another load's."""
    if not uri:
        return None

    path, layer = series_nc.split_source(uri)
    if not path.lower().endswith(".gpkg"):
        return None
    if not layer:
        from osgeo import ogr

        ds = ogr.Open(path)
        if ds is None or not ds.GetLayerCount():
            return None
        layer = ds.GetLayer(0).GetName()
        ds = None
    return series_nc.open_series(path, layer)


def date_fields_of(source, name: str, uri: str = "") -> list:
    """``[(field, date), ...]`` of a layer's dated fields; raises naming the layer when there are none.

    A layer whose series are in a netCDF series file (``uri``, :func:`series_file`) gives ``[(None, date), ...]``."""
    found = dated_fields(source.fields().names())
    numeric = [(f, d) for f, d in found if source.fields().field(f).isNumeric()]
    if not numeric and uri:
        nc = series_file(uri)
        if nc is not None:
            return [(None, d) for d in nc.dates]
    if not numeric:
        shown = ", ".join(source.fields().names()[:12])
        raise GeohazardError(
            f"{name} has no numeric dated displacement fields (DYYYYMMDD, D_YYYYMMDD or YYYYMMDD); its fields are: "
            f"{shown}")
    return numeric


def raster_dates(info, name: str) -> list:
    """Dates of a time-series raster from its band descriptions (ISO ``YYYY-MM-DD`` or ``YYYYMMDD``)."""
    dates = []
    for i, desc in enumerate(info.descriptions):
        try:
            dates.append(parse_date(desc))
        except GeohazardError:
            raise GeohazardError(
                f"{name}: band {i + 1} description {desc!r} is not a date; a time-series raster needs one "
                "band per date with the date (YYYY-MM-DD) as band description") from None
    check_dates(dates, name=f"{name} band dates")
    return dates


def _python_value(v):
    if v is None:
        return None
    if hasattr(v, "isNull") and v.isNull():
        return None
    if hasattr(v, "toPyDate"):
        return v.toPyDate()
    return v


def read_dated_features(source, name: str, progress=None, uri: str = "") -> DatedFeatures:
    """Read geometry (any type), other attributes and the dated displacement fields of ``source``, or, for a
    layer whose series are in a netCDF series file (``uri``, :func:`series_file`), the series of its features
    from that file (by runs of chunks; the same values as dated fields would give)."""
    if source is None:
        raise GeohazardError(f"{name}: the layer could not be loaded")
    pairs = date_fields_of(source, name, uri)
    nc = series_file(uri) if pairs[0][0] is None else None
    if nc is not None:
        pairs = []
    fields = source.fields()
    date_names = [f for f, _ in pairs]
    other = [f.name() for f in fields if f.name() not in set(date_names) and f.name().lower() != "fid"]
    date_idx = [fields.lookupField(f) for f in date_names]
    other_idx = [fields.lookupField(f) for f in other]
    total = max(source.featureCount(), 1)
    rows, wkbs, fids = [], [], []
    cols = {f: [] for f in other}
    flat = QgsWkbTypes.flatType(source.wkbType())
    for n, feat in enumerate(source.getFeatures(QgsFeatureRequest())):
        if progress is not None and n % 20000 == 0:
            check_canceled(progress)
            progress.set_progress(100.0 * n / total)
        attrs = feat.attributes()
        fids.append(feat.id())
        row = []
        for i in date_idx:
            v = _python_value(attrs[i])
            row.append(np.nan if v is None else float(v))
        rows.append(row)
        for f, i in zip(other, other_idx):
            cols[f].append(_python_value(attrs[i]))
        geom = QgsGeometry(feat.geometry())
        if geom.isNull():
            wkbs.append(None)
        else:
            geom.get().dropZValue()
            geom.get().dropMValue()
            wkbs.append(bytes(geom.asWkb()))
    if not rows:
        raise GeohazardError(f"{name} has no features")
    attributes = {}
    for f in other:
        qf = fields.field(f)
        vals = cols[f]
        if qf.isNumeric():
            is_int = qf.typeName().lower().startswith(("int", "integer")) and all(
                v is None or float(v).is_integer() for v in vals)
            if is_int and all(v is not None for v in vals):
                attributes[f] = np.array([int(v) for v in vals], dtype=np.int64)
            else:
                attributes[f] = np.array([np.nan if v is None else float(v) for v in vals], dtype=np.float64)
        elif any(isinstance(v, _dt.date) for v in vals):
            attributes[f] = np.array(vals, dtype=object)
        else:
            attributes[f] = np.array([None if v is None else str(v) for v in vals], dtype=object)
    if nc is not None:
        disp = nc.read(np.array(fids, np.int64)).T
        return DatedFeatures(list(nc.dates), [f"D{d:%Y%m%d}" for d in nc.dates], disp, attributes, wkbs, int(flat),
                             wkt_of(source.sourceCrs()))
    disp = np.asarray(rows, dtype=np.float64).T
    return DatedFeatures([d for _, d in pairs], date_names, disp, attributes, wkbs, int(flat),
                         wkt_of(source.sourceCrs()))


def object_array(values) -> np.ndarray:
    return np.array(list(values), dtype=object)


def point_table(layer, source, name: str, field_names, progress=None, *, limited: bool = False,
                context=None) -> PointTable:
    """A point layer as arrays: GDAL's Arrow stream for an OGR layer read whole (:func:`.ada.point_layer_table`), else
    the features of ``source()`` (the layer's feature source: a selection or a feature limit honoured, ``limited``);
    raises naming ``name``."""
    table = point_layer_table(layer, name, field_names, progress, fast=not limited)
    if table is not None:
        return table
    src = source()
    pts = read_points(src, list(field_names), name=name, context=context, progress=progress)
    return PointTable(pts.x, pts.y, pts.attributes, pts.fids, src.sourceCrs())


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
