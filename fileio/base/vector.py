"""Vector layer <-> numpy.

* :func:`read_points` turns a point feature source into coordinate arrays plus one
  numpy array per requested attribute (numbers as float64 with NaN for NULL).
* :func:`write_vector` writes points (x, y arrays) or any geometries (WKB) with typed
  fields to GeoPackage (or any OGR format chosen by extension), under a temporary name
  that is moved into place only when everything was written.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
from osgeo import ogr, osr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsProject,
    QgsWkbTypes,
)

from ...algorithms.errors import GeohazardError
from ...algorithms.progress import check_canceled
from .probe import quiet_gdal_reads
from .transaction import LIVE_TEMPS

_DRIVERS = {".gpkg": "GPKG", ".shp": "ESRI Shapefile", ".geojson": "GeoJSON", ".json": "GeoJSON",
            ".csv": "CSV", ".sqlite": "SQLite", ".fgb": "FlatGeobuf", ".gml": "GML", ".kml": "KML"}


def wkt_of(crs) -> str:
    """``crs`` (a QgsCoordinateReferenceSystem) as QGIS's preferred WKT (WKT2) for the files written: its WKT1
    drops the datum ensemble of EPSG CRSs such as ETRS89 / LAEA Europe (EPSG:3035, the EGMS grid), and GDAL
    then warns that the output's EPSG code does not match its definition and stores a custom CRS."""
    return crs.toWkt(QgsCoordinateReferenceSystem.WktVariant.WKT_PREFERRED)


def geometries(source, transform=None):
    """``(feature, geometry)`` of each feature of ``source`` that has a geometry (null and empty ones passed
    over), the geometry transformed by ``transform`` when given."""
    for feat in source.getFeatures():
        geom = feat.geometry()
        if geom is None or geom.isNull() or geom.isEmpty():
            continue
        if transform is not None:
            geom.transform(transform)
        yield feat, geom


def gpkg_spatial_index(path: str, layer: str) -> None:
    """Build the R-tree spatial index of ``layer`` (geometry column ``geom``) in the GeoPackage ``path``."""
    ds = ogr.Open(path, 1)
    res = ds.ExecuteSQL(f"SELECT CreateSpatialIndex('{layer}', 'geom')")
    if res is not None:
        ds.ReleaseResultSet(res)
    ds = None


def polygons_wkb(source, crs_wkt: str, transform_context) -> list:
    """``[(feature id, WKB in crs_wkt)]`` of the features of a polygon source that have a geometry (``crs_wkt``
    empty: the source's own CRS)."""
    dest = QgsCoordinateReferenceSystem.fromWkt(crs_wkt) if crs_wkt else source.sourceCrs()
    xform = None
    if dest.isValid() and source.sourceCrs().isValid() and source.sourceCrs() != dest:
        xform = QgsCoordinateTransform(source.sourceCrs(), dest, transform_context)
    return [(int(feat.id()), bytes(geom.asWkb())) for feat, geom in geometries(source, xform)]


@dataclass
class PointData:
    """Coordinates and attributes of a point layer as arrays."""

    x: np.ndarray
    y: np.ndarray
    attributes: dict = field(default_factory=dict)
    crs: Optional[QgsCoordinateReferenceSystem] = None
    fids: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return int(self.x.size)


_GEOMETRY_KIND = {ogr.wkbPoint: "point", ogr.wkbMultiPoint: "point", ogr.wkbLineString: "line",
                  ogr.wkbMultiLineString: "line", ogr.wkbPolygon: "polygon", ogr.wkbMultiPolygon: "polygon"}


def file_layers(path: str) -> list:
    """``[(name, kind, features), ...]`` of the layers of a vector file in OGR's order (index 0 is the layer QGIS
    reads from a bare path), ``kind`` "point", "line", "polygon" or "" (no geometry: attribute tables such as a
    GeoPackage's series table); [] when OGR cannot open it."""
    with quiet_gdal_reads():
        try:
            ds = ogr.Open(path, 0)
        except RuntimeError:
            return []
        if ds is None:
            return []
        out = []
        for i in range(ds.GetLayerCount()):
            lyr = ds.GetLayer(i)
            kind = _GEOMETRY_KIND.get(ogr.GT_Flatten(lyr.GetGeomType()), "")
            out.append((lyr.GetName(), kind, int(lyr.GetFeatureCount())))
        ds = None
    return out


def as_number(value) -> float:
    """An attribute value as a float; NULL, None and text that is no number: NaN."""
    if value is None:
        return np.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def read_points(source, field_names: Sequence[str] = (), *, name: str = "input layer",
                dest_crs: Optional[QgsCoordinateReferenceSystem] = None, context=None,
                progress=None, numeric: bool = True) -> PointData:
    """Read point geometries and attributes from a ``QgsFeatureSource``.

    Multi-point features contribute their first point; features without geometry are
    skipped and counted. Coordinates are transformed to ``dest_crs`` when given.
    Raises :class:`GeohazardError` naming ``name`` for a non-point or empty source or a
    missing field.
    """
    if source is None:
        raise GeohazardError(f"{name}: the layer could not be loaded")
    if QgsWkbTypes.geometryType(source.wkbType()) != QgsWkbTypes.GeometryType.PointGeometry:
        raise GeohazardError(f"{name} must be a point layer, got {QgsWkbTypes.displayString(source.wkbType())}")
    fields = source.fields()
    idx = []
    for f in field_names:
        i = fields.lookupField(f)
        if i < 0:
            raise GeohazardError(f"{name} has no field {f!r}")
        idx.append(i)
    request = QgsFeatureRequest().setSubsetOfAttributes(idx)
    transform = None
    if dest_crs is not None and dest_crs.isValid() and source.sourceCrs() != dest_crs:
        ctx = context.transformContext() if context is not None else QgsProject.instance().transformContext()
        transform = QgsCoordinateTransform(source.sourceCrs(), dest_crs, ctx)
    total = max(source.featureCount(), 1)
    xs, ys, fids = [], [], []
    cols = [[] for _ in idx]
    for n, feat in enumerate(source.getFeatures(request)):
        if progress is not None and n % 50000 == 0:
            check_canceled(progress)
            progress.set_progress(100.0 * n / total)
        geom = feat.geometry()
        if geom.isNull() or geom.isEmpty():
            continue
        pt = geom.constGet()
        if QgsWkbTypes.isMultiType(geom.wkbType()):
            pt = pt.geometryN(0)
        x, y = pt.x(), pt.y()
        if transform is not None:
            p = transform.transform(x, y)
            x, y = p.x(), p.y()
        xs.append(x)
        ys.append(y)
        fids.append(feat.id())
        attrs = feat.attributes()
        for c, i in zip(cols, idx):
            c.append(attrs[i])
    if not xs:
        raise GeohazardError(f"{name} has no point features")
    out = {}
    for f, c in zip(field_names, cols):
        if numeric:
            out[f] = np.fromiter((as_number(v) for v in c), dtype=np.float64, count=len(c))
        else:
            out[f] = np.array(c, dtype=object)
    return PointData(np.asarray(xs, float), np.asarray(ys, float), out,
                     dest_crs if transform is not None else source.sourceCrs(), np.asarray(fids, np.int64))


def _ogr_type(values: np.ndarray):
    arr = np.asarray(values)
    if arr.dtype.kind == "b":
        return ogr.OFTInteger, ogr.OFSTBoolean
    if arr.dtype.kind in "iu":
        return ogr.OFTInteger64, ogr.OFSTNone
    if arr.dtype.kind == "f":
        return ogr.OFTReal, ogr.OFSTNone
    sample = next((v for v in arr if v is not None), None)
    if isinstance(sample, (bool, np.bool_)):  # booleans with NULLs (None)
        return ogr.OFTInteger, ogr.OFSTBoolean
    if isinstance(sample, _dt.date):
        return ogr.OFTDate, ogr.OFSTNone
    return ogr.OFTString, ogr.OFSTNone


@contextlib.contextmanager
def staged_file(path: str):
    """A temporary path for ``path`` in a hidden folder beside it: what is written there (the file and its
    sidecars) replaces the destination when the block ends normally and is removed otherwise."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise GeohazardError(f"output folder {folder!r} does not exist")
    tmpdir = tempfile.mkdtemp(prefix=".part_", dir=folder)
    LIVE_TEMPS.add(tmpdir)
    try:
        yield os.path.join(tmpdir, os.path.basename(path))
        for fname in os.listdir(tmpdir):
            os.replace(os.path.join(tmpdir, fname), os.path.join(folder, fname))
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
        LIVE_TEMPS.discard(tmpdir)


def write_vector(path: str, fields: dict, *, crs_wkt: str = "", x=None, y=None, wkb: Optional[Sequence[bytes]] = None,
                 geometry_type: int = ogr.wkbPoint, layer_name: Optional[str] = None, progress=None) -> str:
    """Write a vector file with typed fields.

    Parameters
    ----------
    path : str
        Destination; the driver comes from the extension (``.gpkg`` default).
    fields : dict of str -> ndarray
        Attribute columns in order; float NaN and ``None`` become NULL.
    crs_wkt : str
        CRS of the coordinates.
    x, y : ndarray, optional
        Point coordinates (``geometry_type`` is then ``wkbPoint``).
    wkb : sequence of bytes, optional
        One WKB geometry per feature (polygons, lines ...); ``None`` for no geometry.
    """
    if not path or not os.path.basename(path):
        raise GeohazardError(f"no output file name was given ({path!r})")
    ext = os.path.splitext(path)[1].lower() or ".gpkg"
    driver_name = _DRIVERS.get(ext)
    if driver_name is None:
        raise GeohazardError(f"unsupported vector output format {ext!r} for {path!r}; use .gpkg")
    n = len(x) if x is not None else len(wkb) if wkb is not None else 0
    for k, v in fields.items():
        if len(v) != n:
            raise ValueError(f"field {k} has {len(v)} values for {n} features")
    if driver_name == "ESRI Shapefile":
        long_names = [k for k in fields if len(k.encode("utf-8")) > 10]
        if long_names or len(fields) > 254:
            why = (f"field names of at most 10 characters, and {', '.join(repr(k) for k in long_names[:5])}"
                   + (f" and {len(long_names) - 5} more" if len(long_names) > 5 else "")
                   + " would be cut (the tools that read this layer next would not find them)") if long_names \
                else f"at most 254 fields, and this layer has {len(fields)}"
            raise GeohazardError(f"{path!r}: a Shapefile keeps {why}; write a GeoPackage (.gpkg) instead")
    with staged_file(path) as tmp_path:
        drv = ogr.GetDriverByName(driver_name)
        ds = drv.CreateDataSource(tmp_path)
        layer = None
        try:
            srs = None
            if crs_wkt:
                srs = osr.SpatialReference()
                srs.ImportFromWkt(crs_wkt)
                srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
            lname = layer_name or os.path.splitext(os.path.basename(path))[0]
            options = []
            if driver_name == "CSV" and (x is not None or wkb is not None):
                options = ["GEOMETRY=AS_XY" if x is not None else "GEOMETRY=AS_WKT"]
            layer = ds.CreateLayer(lname, srs, geometry_type if (x is not None or wkb is not None) else ogr.wkbNone,
                                   options=options)
            columns = []
            for k, v in fields.items():
                arr = np.asarray(v)
                ftype, sub = _ogr_type(arr)
                fd = ogr.FieldDefn(k, ftype)
                fd.SetSubType(sub)
                layer.CreateField(fd)
                columns.append((layer.GetLayerDefn().GetFieldIndex(k), ftype, arr))
            defn = layer.GetLayerDefn()
            layer.StartTransaction()
            for i in range(n):
                if progress is not None and i % 20000 == 0:
                    check_canceled(progress)
                    progress.set_progress(100.0 * i / max(n, 1))
                feat = ogr.Feature(defn)
                if x is not None:
                    g = ogr.Geometry(ogr.wkbPoint)
                    g.AddPoint_2D(float(x[i]), float(y[i]))
                    feat.SetGeometryDirectly(g)
                elif wkb is not None and wkb[i] is not None:
                    feat.SetGeometryDirectly(ogr.CreateGeometryFromWkb(bytes(wkb[i])))
                for j, ftype, arr in columns:
                    v = arr[i]
                    if v is None:
                        continue
                    if ftype == ogr.OFTReal:
                        if v == v:  # NaN stays NULL
                            feat.SetField(j, float(v))
                    elif ftype in (ogr.OFTInteger64, ogr.OFTInteger):
                        feat.SetField(j, int(v))
                    elif ftype == ogr.OFTDate:
                        feat.SetField(j, v.year, v.month, v.day, 0, 0, 0, 0)
                    else:
                        feat.SetField(j, str(v))
                layer.CreateFeature(feat)
            layer.CommitTransaction()
        finally:  # closed before the staged file is published, or removed on an error or a cancel
            layer = ds = None
    return path
