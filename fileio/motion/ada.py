"""IO helpers of the active-deformation-area tools: fast point reading, metric CRS,
fast GeoPackage point writing, polygon outlines and rings for the pure core.

* :func:`point_layer_table` reads coordinates and numeric fields of a point layer. For
  file-based (OGR) layers it uses GDAL's Arrow stream (``GetArrowStreamAsNumPy``, GDAL
  >= 3.6): about 1 s per million points instead of a ``QgsFeature`` loop; other providers,
  subsets and "selected features only" are read feature by feature
  (:func:`..inputs.layers.read_point_table`).
* :func:`metric_frame` picks a projected CRS in metres (the layer's own when it is
  projected in metres, else the local UTM zone) and transforms coordinates with pyproj.
* :func:`write_points_gpkg` writes millions of points to GeoPackage with SQLite bulk
  inserts (typed columns, spatial index built at the end), published only when complete.
"""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from osgeo import ogr, osr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProviderRegistry,
    QgsUnitTypes,
    QgsWkbTypes,
)

from ...algorithms.errors import GeohazardError
from ...algorithms.formats.dates import dated_fields
from ...algorithms.progress import check_canceled, info
from ..base.vector import gpkg_spatial_index, staged_file, write_vector

VELOCITY_CANDIDATES = ("VEL", "mean_velocity", "velocity", "vel_los", "v_los", "vlos", "mean_vel", "VEL_LOS",
                       "velocity_mm_yr", "rate", "V")
STD_CANDIDATES = ("V_STDEV", "mean_velocity_std", "velocity_std", "vel_std", "V_STD", "std_vel", "VEL_STD")
HEIGHT_CANDIDATES = ("height_ortho", "HEIGHT", "height", "elevation", "H", "height_ellipse")
NUMERIC_TYPES = ("Real", "Integer", "Integer64", "double", "int", "integer", "real")


def find_field(fields, candidates, *, numeric: bool = True) -> Optional[str]:
    """First field of ``fields`` (QgsFields) matching ``candidates`` case-insensitively."""
    names = {f.name().lower(): f for f in fields}
    for c in candidates:
        f = names.get(c.lower())
        if f is not None and (not numeric or f.isNumeric()):
            return f.name()
    return None


@dataclass
class PointTable:
    """Point coordinates (layer CRS) and numeric attributes."""

    x: np.ndarray
    y: np.ndarray
    attributes: dict = field(default_factory=dict)
    fids: Optional[np.ndarray] = None
    crs: Optional[QgsCoordinateReferenceSystem] = None
    arrow: bool = False  # read through GDAL's Arrow stream (the fids are OGR's)

    def __len__(self):
        return int(self.x.size)


def _parse_point_wkb(geoms) -> tuple[np.ndarray, np.ndarray]:
    """x, y of point WKB values from an Arrow batch (fixed-size void or object array)."""
    n = len(geoms)
    if n and isinstance(geoms, np.ndarray) and geoms.dtype.kind == "V" and geoms.dtype.itemsize >= 21:
        raw = np.frombuffer(geoms.tobytes(), np.uint8).reshape(n, geoms.dtype.itemsize)
        gtype = raw[:, 1:5].copy().view("<u4")[:, 0]
        if np.all(raw[:, 0] == 1) and np.all(np.isin(gtype % 1000, (1,)) | (gtype & 0xFFFF == 1)):
            xy = raw[:, 5:21].copy().view("<f8")
            return xy[:, 0].copy(), xy[:, 1].copy()
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    for i, g in enumerate(geoms):
        if g is None:
            continue
        geom = ogr.CreateGeometryFromWkb(bytes(g))
        if geom is None or geom.IsEmpty():
            continue
        part = geom.GetGeometryRef(0) if geom.GetGeometryCount() > 0 else geom  # keep the parent alive
        x[i], y[i] = part.GetX(), part.GetY()
    return x, y


def _float_column(values) -> np.ndarray:
    """float64 values of an Arrow column, NaN where NULL (a masked array's masked entries; without the mask
    GDAL gives 0 there, a stable point where there is no data)."""
    if np.ma.isMaskedArray(values):
        return np.ma.filled(values.astype(np.float64), np.nan)
    return np.asarray(values, dtype=np.float64)


def _ogr_arrow_points(layer, field_names, progress):
    uri = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
    path = uri.get("path") or layer.source().split("|")[0]
    ds = ogr.Open(path)
    if ds is None:
        return None
    lyr = ds.GetLayerByName(uri["layerName"]) if uri.get("layerName") else ds.GetLayer(int(uri.get("layerId") or 0))
    if lyr is None or not hasattr(lyr, "GetArrowStreamAsNumPy"):
        return None
    defn = lyr.GetLayerDefn()
    all_names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    lyr.SetIgnoredFields([f for f in all_names if f not in field_names])
    total = max(lyr.GetFeatureCount(), 1)
    xs, ys, fids = [], [], []
    cols = {f: [] for f in field_names}
    stream = lyr.GetArrowStreamAsNumPy(options=["MAX_FEATURES_IN_BATCH=262144"])
    done = 0
    geom_col = lyr.GetGeometryColumn() or "wkb_geometry"
    for batch in stream:
        check_canceled(progress)
        keys = list(batch.keys())
        gkey = geom_col if geom_col in batch else next((k for k in keys if k not in field_names and
                                                        getattr(batch[k], "dtype", None) is not None and
                                                        batch[k].dtype.kind in "VO"), None)
        fkey = next((k for k in keys if k not in field_names and k != gkey), None)
        if gkey is None:
            return None
        x, y = _parse_point_wkb(batch[gkey])
        xs.append(x)
        ys.append(y)
        fids.append(np.asarray(batch[fkey], np.int64) if fkey else np.arange(done, done + x.size))
        for f in field_names:
            cols[f].append(_float_column(batch[f]))
        done += x.size
        if progress is not None:
            progress.set_progress(100.0 * done / total)
    if not xs or done == 0:
        raise GeohazardError(f"layer {layer.name()!r} has no point features")
    return PointTable(np.concatenate(xs), np.concatenate(ys), {f: np.concatenate(c) for f, c in cols.items()},
                      np.concatenate(fids), layer.crs(), arrow=True)


#: Points per Arrow batch of a streamed series read (a batch of 16,384 points x 210 dates is 28 MB of float64).
SERIES_BATCH = 16384
#: Fields per Arrow stream: GDAL 3.6 gives no row at all for a GeoPackage layer read with more than about 125
#: fields (measured: 122 read, 128 none), so the dated fields are read in groups, one pass each.
ARROW_MAX_FIELDS = 100


def ogr_series_reader(layer, field_names, fids, *, max_values: int, warn=None, progress=None):
    """A function of sorted row indices giving those rows' values of the numeric ``field_names`` (float64,
    shape (rows, fields), NaN for NULL), read by one pass of GDAL's Arrow stream over ``layer`` per
    :data:`ARROW_MAX_FIELDS` fields (an OGR layer
    read by :func:`point_layer_table`, whose ``fids`` are its rows'), keeping the wanted rows only: memory
    is the wanted rows' values and one batch of :data:`SERIES_BATCH` points, whatever the layer's size.
    More than ``max_values`` wanted values: ``warn`` is told and the function gives None."""
    fids = np.asarray(fids, np.int64)

    def read(rows):
        rows = np.asarray(rows, np.int64)
        if rows.size * len(field_names) > max_values:
            if warn is not None:
                warn(f"{rows.size} points x {len(field_names)} dates is too large to hold in memory: the mean "
                     "time series and the time-series consistency are skipped (TC falls back to velocity "
                     "coherence). Run on a subset, or set USE_TIME_SERIES to false to silence this warning.")
            return None
        out = np.full((rows.size, len(field_names)), np.nan)
        if rows.size == 0:
            return out
        want = fids[rows]
        order = np.argsort(want, kind="stable")
        wanted = want[order]
        uri = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
        ds = ogr.Open(uri.get("path") or layer.source().split("|")[0])
        lyr = ds.GetLayerByName(uri["layerName"]) if uri.get("layerName") else \
            ds.GetLayer(int(uri.get("layerId") or 0))
        defn = lyr.GetLayerDefn()
        names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
        total = max(lyr.GetFeatureCount(), 1)
        fid_col = lyr.GetFIDColumn() or "OGC_FID"
        groups = range(0, len(field_names), ARROW_MAX_FIELDS)
        for g, first in enumerate(groups):
            group = list(field_names[first:first + ARROW_MAX_FIELDS])
            lyr.SetIgnoredFields([f for f in names if f not in group] + ["OGR_GEOMETRY"])
            lyr.ResetReading()
            done = 0
            stream = lyr.GetArrowStreamAsNumPy(options=[f"MAX_FEATURES_IN_BATCH={SERIES_BATCH}"])
            for batch in stream:
                check_canceled(progress)
                fkey = fid_col if fid_col in batch else next(
                    (k for k in batch.keys() if k not in group and np.asarray(batch[k]).dtype.kind in "iu"), None)
                n = np.asarray(batch[group[0]]).size
                bf = np.asarray(batch[fkey], np.int64) if fkey else np.arange(done, done + n)
                pos = np.minimum(np.searchsorted(wanted, bf), wanted.size - 1)
                hit = wanted[pos] == bf
                if hit.any():
                    dest = order[pos[hit]]
                    for j, f in enumerate(group):
                        out[dest, first + j] = _float_column(batch[f])[hit]
                done += n
                if progress is not None:
                    progress.set_progress(100.0 * (g + done / total) / len(groups))
            stream = None
            if done == 0 and lyr.GetFeatureCount() > 0:
                # an Arrow stream that gives no row (GDAL 3.6 on wide GeoPackage layers): the wanted points by fid,
                # the fields by index (GDAL's Python GetField(name) searches the fields one by one)
                index = [lyr.GetLayerDefn().GetFieldIndex(f) for f in group]
                for r, fid in zip(order.tolist(), wanted.tolist()):
                    feat = lyr.GetFeature(int(fid))
                    if feat is not None:
                        out[r, first:first + len(group)] = [np.nan if v is None else float(v)
                                                            for v in (feat.GetField(i) for i in index)]
        ds = None
        return out

    return read


def netcdf_series_reader(series_file, fids, *, max_values: int, warn=None):
    """As :func:`ogr_series_reader` for a layer whose series are in a netCDF series file
    (:class:`.series_nc.SeriesFile`): the wanted rows read from it by runs of chunks (the same values)."""
    fids = np.asarray(fids, np.int64)

    def read(rows):
        rows = np.asarray(rows, np.int64)
        if rows.size * len(series_file.dates) > max_values:
            if warn is not None:
                warn(f"{rows.size} points x {len(series_file.dates)} dates is too large to hold in memory: the mean "
                     "time series and the time-series consistency are skipped (TC falls back to velocity "
                     "coherence). Run on a subset, or set USE_TIME_SERIES to false to silence this warning.")
            return None
        return series_file.read(fids[rows])

    return read


def point_layer_table(layer, name: str, field_names, progress=None, *, fast: bool = True):
    """Coordinates and numeric fields of a point layer through GDAL's Arrow stream (OGR layers, GDAL >= 3.6),
    or None when that path cannot serve (another provider, a subset, ``fast`` False): the caller then reads
    the features. Raises naming ``name`` when the layer is not a point layer or lacks a field."""
    if QgsWkbTypes.geometryType(layer.wkbType()) != QgsWkbTypes.GeometryType.PointGeometry:
        raise GeohazardError(f"{name} must be a point layer, got {QgsWkbTypes.displayString(layer.wkbType())}")
    for f in field_names:
        if layer.fields().lookupField(f) < 0:
            raise GeohazardError(f"{name} has no field {f!r}")
    if fast and layer.providerType() == "ogr" and not layer.subsetString():
        try:
            return _ogr_arrow_points(layer, list(field_names), progress)
        except (RuntimeError, AttributeError, KeyError, ValueError):
            return None
    return None


@dataclass
class MetricFrame:
    """Transformations between a layer CRS and a projected CRS in metres."""

    source_wkt: str
    metric_wkt: str
    same: bool

    def forward(self, x, y):
        if self.same:
            return np.asarray(x, float), np.asarray(y, float)
        from pyproj import Transformer

        t = Transformer.from_crs(self.source_wkt, self.metric_wkt, always_xy=True)
        return t.transform(np.asarray(x, float), np.asarray(y, float))

    def ogr_to_source(self):
        """OGR transformation metric -> source CRS (``None`` when they are the same)."""
        if self.same:
            return None
        a, b = osr.SpatialReference(), osr.SpatialReference()
        a.ImportFromWkt(self.metric_wkt)
        b.ImportFromWkt(self.source_wkt)
        for s in (a, b):
            s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        return osr.CoordinateTransformation(a, b)


def metric_frame(crs: QgsCoordinateReferenceSystem, x, y, *, name: str = "INPUT") -> MetricFrame:
    """The layer's CRS when projected in metres, else the local UTM zone (WGS 84)."""
    if crs is None or not crs.isValid():
        raise GeohazardError(f"{name} has no valid CRS; set the layer's CRS first")
    wkt = crs.toWkt(QgsCoordinateReferenceSystem.WktVariant.WKT2_2019)
    if not crs.isGeographic() and crs.mapUnits() == QgsUnitTypes.DistanceUnit.DistanceMeters:
        return MetricFrame(wkt, wkt, True)
    from pyproj import Transformer

    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        raise GeohazardError(f"{name} has no finite coordinates")
    lon, lat = Transformer.from_crs(wkt, "EPSG:4326", always_xy=True).transform(
        np.median(np.asarray(x)[ok]), np.median(np.asarray(y)[ok]))
    zone = int(np.clip(np.floor((lon + 180.0) / 6.0) + 1, 1, 60))
    epsg = (32600 if lat >= 0 else 32700) + zone
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return MetricFrame(wkt, srs.ExportToWkt(), False)


# ---------------------------------------------------------------- fast GeoPackage points
#: a GeoPackage point geometry: the GP header (little endian, no envelope) and the WKB point
POINT_BLOB = np.dtype([("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs", "<i4"),
                        ("bo", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])


def gpkg_point_blobs(x, y, srs_id: int) -> np.ndarray:
    """The GeoPackage geometry blobs of points ``(x, y)`` in the spatial reference ``srs_id``, one
    :data:`POINT_BLOB` each."""
    b = np.zeros(len(x), dtype=POINT_BLOB)
    b["magic"] = b"GP"
    b["flags"] = 1  # little endian, no envelope, not empty
    b["srs"] = srs_id
    b["bo"] = 1
    b["type"] = 1
    b["x"] = x
    b["y"] = y
    return b


def write_points_gpkg(path: str, x, y, fields: dict, *, crs_wkt: str, layer_name: Optional[str] = None,
                      progress=None, spatial_index_max: int = 300_000) -> str:
    """Write points with typed fields to a GeoPackage quickly (SQLite bulk insert).

    The R-tree spatial index is built (by GDAL) only up to ``spatial_index_max`` points:
    beyond, building it would take longer than writing the points.

    ``fields``: name -> array (float -> REAL with NaN as NULL, int/bool -> INTEGER,
    ``datetime.date`` objects -> DATE, anything else -> TEXT). The file is written under
    a temporary name and moved into place only when complete.
    """
    if not path.lower().endswith(".gpkg"):
        return write_vector(path, fields, crs_wkt=crs_wkt, x=x, y=y, layer_name=layer_name, progress=progress)
    n = len(x)
    lname = layer_name or os.path.splitext(os.path.basename(path))[0]
    with staged_file(path) as tmp:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(tmp)
        srs = osr.SpatialReference()
        srs.ImportFromWkt(crs_wkt)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        lyr = ds.CreateLayer(lname, srs, ogr.wkbPoint, ["SPATIAL_INDEX=NO", "GEOMETRY_NAME=geom", "FID=fid"])
        kinds = []
        for k, v in fields.items():
            arr = np.asarray(v)
            if arr.dtype.kind == "b":
                fd = ogr.FieldDefn(k, ogr.OFTInteger)
                fd.SetSubType(ogr.OFSTBoolean)
                kinds.append("i")
            elif arr.dtype.kind in "iu":
                fd = ogr.FieldDefn(k, ogr.OFTInteger64)
                kinds.append("i")
            elif arr.dtype.kind == "f":
                fd = ogr.FieldDefn(k, ogr.OFTReal)
                kinds.append("f")
            elif arr.size and isinstance(next((a for a in arr if a is not None), None), _dt.date):
                fd = ogr.FieldDefn(k, ogr.OFTDate)
                kinds.append("d")
            else:
                fd = ogr.FieldDefn(k, ogr.OFTString)
                kinds.append("s")
            lyr.CreateField(fd)
        res = ds.ExecuteSQL(f"SELECT srs_id FROM gpkg_geometry_columns WHERE table_name='{lname}'")
        srs_id = int(res.GetNextFeature().GetField(0))
        ds.ReleaseResultSet(res)
        lyr = res = None
        ds = None
        con = sqlite3.connect(tmp)
        # a private file under a temporary name: no journal, no fsync, a large page cache
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-262144")
        names = ", ".join(['"geom"'] + [f'"{k}"' for k in fields])
        marks = ", ".join(["?"] * (len(fields) + 1))
        sql = f'INSERT INTO "{lname}" ({names}) VALUES ({marks})'
        cols = list(fields.values())
        step = 100000
        for a in range(0, n, step):
            check_canceled(progress)
            b = min(a + step, n)
            blobs = gpkg_point_blobs(np.asarray(x[a:b], float), np.asarray(y[a:b], float), srs_id)
            raw = memoryview(blobs.tobytes())
            size = POINT_BLOB.itemsize
            columns = [[raw[i:i + size] for i in range(0, len(raw), size)]]
            for kind, c in zip(kinds, cols):
                seg = np.asarray(c[a:b])
                if kind == "f":
                    seg = seg.astype(float)
                    nan = np.isnan(seg)
                    vals = seg.tolist()
                    if nan.any():
                        for i in np.flatnonzero(nan).tolist():
                            vals[i] = None
                    columns.append(vals)
                elif kind == "i":
                    columns.append(seg.astype(np.int64).tolist())
                elif kind == "d":
                    columns.append([None if v is None else v.isoformat() for v in seg])
                else:
                    columns.append([None if v is None else str(v) for v in seg])
            con.executemany(sql, zip(*columns))
            if progress is not None:
                progress.set_progress(90.0 * b / max(n, 1))
        minx = float(np.nanmin(x)) if n else 0.0
        con.execute("UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=? WHERE table_name=?",
                    (minx, float(np.nanmin(y)) if n else 0.0, float(np.nanmax(x)) if n else 0.0,
                     float(np.nanmax(y)) if n else 0.0, lname))
        con.commit()
        con.close()
        if n <= spatial_index_max:
            gpkg_spatial_index(tmp, lname)
        elif progress is not None:
            info(progress, f"{os.path.basename(path)}: {n} points written without a spatial index (QGIS builds one "
                           "on demand: Layer Properties > Source > Create spatial index)")
    return path


# ---------------------------------------------------------------- outlines
_WKB_POINT = np.dtype([("bo", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])


def multipoint(x, y) -> ogr.Geometry:
    """OGR MultiPoint from coordinate arrays (built as WKB in numpy)."""
    pts = np.zeros(len(x), _WKB_POINT)
    pts["bo"] = 1
    pts["type"] = 1
    pts["x"] = x
    pts["y"] = y
    head = np.array([1], np.uint8).tobytes() + np.array([4, len(x)], "<u4").tobytes()
    return ogr.CreateGeometryFromWkb(head + pts.tobytes())


def discs(x, y, radius_m: float, quad_segs: int = 4) -> ogr.Geometry:
    """OGR MultiPolygon of one disc per point (``4 * quad_segs`` vertices, as GEOS's point
    buffer), built as WKB in numpy."""
    n, nv = len(x), 4 * quad_segs
    t = np.arange(nv + 1) * (2.0 * np.pi / nv)
    c, s = np.cos(t), np.sin(t)
    c[-1], s[-1] = c[0], s[0]  # closed ring, bit-identical first and last vertex
    rec = np.dtype([("bo", "u1"), ("type", "<u4"), ("nrings", "<u4"), ("npts", "<u4"), ("xy", "<f8", (nv + 1, 2))])
    a = np.zeros(n, rec)
    a["bo"], a["type"], a["nrings"], a["npts"] = 1, 3, 1, nv + 1
    a["xy"][:, :, 0] = np.asarray(x, float)[:, None] + radius_m * c[None, :]
    a["xy"][:, :, 1] = np.asarray(y, float)[:, None] + radius_m * s[None, :]
    head = np.array([1], np.uint8).tobytes() + np.array([6, n], "<u4").tobytes()
    return ogr.CreateGeometryFromWkb(head + a.tobytes())


def closing_outline(x_m, y_m, *, link_m: float, margin_m: float, quad_segs: int = 4) -> ogr.Geometry:
    """Outline of a cluster of points by morphological closing.

    Dilate the points by ``link_m / 2`` (discs of linked points overlap, so the cluster
    becomes one connected shape that follows its concavities), then erode by
    ``link_m / 2 - margin_m``: the outline ends ``margin_m`` beyond the outer points
    (about half the point spacing, where the boundary between moving and stable
    points lies on average). Returns a (Multi)Polygon in the same metric CRS.

    The dilation is the cascaded union of one disc per point: the same polygon as
    buffering the MultiPoint at once, about 10x faster on thousands of points.
    """
    d = max(link_m / 2.0, margin_m)
    g = discs(x_m, y_m, d, quad_segs)
    g = g.UnionCascaded() if len(x_m) > 1 else g.GetGeometryRef(0).Clone()
    if d > margin_m:
        eroded = g.Buffer(-(d - margin_m), quad_segs)
        if eroded is not None and not eroded.IsEmpty():
            g = eroded
    return ogr.ForceToMultiPolygon(g)


def polygon_rings(geom_wkb: bytes) -> list:
    """All rings of a (multi)polygon WKB as ``(m, 2)`` arrays (for the even-odd test)."""
    g = ogr.CreateGeometryFromWkb(geom_wkb)
    rings = []
    if g is None:
        return rings
    g = ogr.ForceToMultiPolygon(g)
    for i in range(g.GetGeometryCount()):
        poly = g.GetGeometryRef(i)
        for j in range(poly.GetGeometryCount()):
            r = poly.GetGeometryRef(j)
            pts = np.array(r.GetPoints() or [], float)
            if pts.shape[0] >= 3:
                rings.append(pts[:, :2])
    return rings


# ---------------------------------------------------------------- ADA detection outputs
def series_fields(layer, use: bool, warn, max_values: Optional[int]) -> list:
    """``[(field, date)]`` of the layer's numeric dated displacement fields; none when not
    ``use`` or when points x dates exceeds ``max_values`` (``warn(text)`` says so; None: no limit)."""
    if not use:
        return []
    fields = layer.fields()
    ts = [(n, d) for n, d in dated_fields(fields.names()) if fields.at(fields.lookupField(n)).isNumeric()]
    if ts and max_values is not None and layer.featureCount() * len(ts) > max_values:
        warn(
            f"{layer.featureCount()} points x {len(ts)} dates is too large to hold in memory: the mean time "
            "series and the time-series consistency are skipped (TC falls back to velocity coherence). "
            "Run on a subset, or set USE_TIME_SERIES to false to silence this warning.")
        return []
    return ts


def ada_outlines(xm, ym, result, *, margin_m: float = 0.0, back=None, progress=None):
    """Closing outline of every ADA of a detection ``result`` (metric coordinates ``xm, ym``).

    Each ADA uses its own median search radius as the link distance and ``margin_m`` (0 =
    0.75 x its median local spacing) as the margin. Returns ``(wkbs, areas_m2)``; ``back``
    (an OGR transformation) brings the polygons to the source CRS after the area is taken.
    """
    k = result.n_ada
    lab = result.labels
    order = np.argsort(lab, kind="stable")
    starts = np.searchsorted(lab[order], np.arange(k + 1))
    wkbs, areas = [], np.zeros(k)
    for i in range(k):
        if i % 20 == 0 and progress is not None:
            check_canceled(progress)
            progress.set_progress(100.0 * i / max(k, 1))
        idx = order[starts[i]:starts[i + 1]]
        g = closing_outline(xm[idx], ym[idx], link_m=result.attributes["radius_m"][i],
                            margin_m=margin_m or 0.75 * result.attributes["spacing_m"][i])
        areas[i] = g.GetArea()
        if back is not None:
            g.Transform(back)
        wkbs.append(g.ExportToIsoWkb())
    return wkbs, areas


def rings_in_crs(geoms, src_wkt: str, dst_wkt: str) -> list:
    """Rings of QGIS polygon geometries (in ``src_wkt``) transformed to ``dst_wkt``, for the core."""
    from pyproj import Transformer

    t = Transformer.from_crs(src_wkt, dst_wkt, always_xy=True)
    return [[np.column_stack(t.transform(r[:, 0], r[:, 1])) for r in polygon_rings(bytes(g.asWkb()))]
            for g in geoms]


def crs_wkt(crs: QgsCoordinateReferenceSystem) -> str:
    """GDAL WKT of a QGIS CRS (the EPSG definition itself for EPSG codes, avoiding GDAL warnings)."""
    auth = crs.authid()
    if auth.upper().startswith("EPSG:"):
        srs = osr.SpatialReference()
        if srs.ImportFromEPSG(int(auth.split(":")[1])) == 0:
            return srs.ExportToWkt()
    return crs.toWkt(QgsCoordinateReferenceSystem.WktVariant.WKT1_GDAL)


def epsg_wkt(epsg: int) -> str:
    """GDAL WKT of an EPSG code."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    return srs.ExportToWkt()


def detection_part(table, vel: str, result, fields: dict, wkbs) -> dict:
    """One layer's ADAs for :func:`merge_layers`: the polygons' ``fields`` and ``wkbs``, and every point with its
    source fid, velocity (field ``vel``), ADA id (-1 outside) and flag code (the style labels the codes)."""
    return {"fields": fields, "wkbs": wkbs, "crs_wkt": crs_wkt(table.crs),
            "points": {"x": table.x, "y": table.y,
                       "fields": {"src_fid": table.fids, vel: table.attributes[vel], "ada_id": result.labels,
                                  "flag": result.flags.astype(np.int64)}}}


def merge_layers(names, parts) -> dict:
    """The ADAs found in each layer of one file (one detection per layer: a loadegms GeoPackage holds one track
    per layer, never merged) as one output. ``parts``: per layer, ``{"fields", "wkbs", "crs_wkt", "points"}`` with
    ``points`` ``{"x", "y", "fields"}``. With several layers a ``layer`` field comes first, ADA ids run on across
    the layers in their order (the points' ``ada_id`` with them, -1 kept) and a field one layer lacks (the dates
    of another track) is NULL there; one layer's part is returned as it is."""
    if len(parts) == 1:
        return parts[0]

    def joined(columns, counts, renumber):
        keys = list(dict.fromkeys(k for c in columns for k in c))
        out = {"layer": np.array([n for n, k in zip(names, counts) for _ in range(k)], dtype=object)}
        for key in keys:
            cols = [c[key] if key in c else np.full(k, np.nan) for c, k in zip(columns, counts)]
            out[key] = np.concatenate(cols) if all(isinstance(c, np.ndarray) for c in cols) else \
                np.array([v for c in cols for v in c], dtype=object)
        if renumber in out:
            offsets = np.repeat(np.cumsum([0] + [len(p["fields"]["ada_id"]) for p in parts])[:-1], counts)
            ids = out[renumber].astype(np.int64)
            out[renumber] = np.where(ids >= 0, ids + offsets, ids)
        return out

    if len({p["crs_wkt"] for p in parts}) > 1:
        raise GeohazardError(f"INPUT: the layers {', '.join(names)} of one file are in different CRSs; give one "
                             "with |layername=<layer> at a time")
    n_ada = [len(p["wkbs"]) for p in parts]
    n_pts = [len(p["points"]["x"]) for p in parts]
    return {"fields": joined([p["fields"] for p in parts], n_ada, "ada_id"),
            "wkbs": [w for p in parts for w in p["wkbs"]], "crs_wkt": parts[0]["crs_wkt"],
            "points": {"x": np.concatenate([p["points"]["x"] for p in parts]),
                       "y": np.concatenate([p["points"]["y"] for p in parts]),
                       "fields": joined([p["points"]["fields"] for p in parts], n_pts, "ada_id")}}
