"""QGIS features of vector inputs and outputs: geometries in a metric CRS, polygons overlaid on polygons or on
rasters, input features copied to a sink with the attributes a tool adds."""

from __future__ import annotations

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsSpatialIndex,
    QgsWkbTypes,
)

from ...algorithms.ada import activity, zonal
from ...algorithms.errors import GeohazardError
from ...algorithms.geometry import terrain
from ...algorithms.progress import check_canceled, warn
from ..base import raster
from ..motion import ada


def metric_geometries(source, crs_metric: QgsCoordinateReferenceSystem, context, progress=None) -> list:
    """Features of a source as (feature, geometry in the metric CRS) pairs."""
    ct = QgsCoordinateTransform(source.sourceCrs(), crs_metric, context.transformContext())
    out = []
    for n, feat in enumerate(source.getFeatures()):
        if n % 1000 == 0:
            check_canceled(progress)
        g = QgsGeometry(feat.geometry())
        if not g.isNull():
            g.transform(ct)
        out.append((feat, g))
    return out


def usable_polygons(feats: list, name: str, progress=None) -> list:
    """The (feature, geometry) pairs that have a polygon: features without a geometry are left out, invalid
    polygons (self-intersections: their area and inside test are wrong) are repaired with GEOS's makeValid; both
    are reported with their feature IDs. Raises when no polygon is left."""
    kept, missing, repaired = [], [], []
    for f, g in feats:
        if g.isNull() or g.isEmpty():
            missing.append(f.id())
            continue
        if not g.isGeosValid():
            fixed = g.makeValid()
            if fixed.type() != QgsWkbTypes.GeometryType.PolygonGeometry:
                fixed = fixed.convertToType(QgsWkbTypes.GeometryType.PolygonGeometry, True)
            if fixed is None or fixed.isNull() or fixed.isEmpty():
                missing.append(f.id())
                continue
            repaired.append(f.id())
            g = fixed
        kept.append((f, g))

    def ids(v):
        return ", ".join(str(i) for i in v[:10]) + (" ..." if len(v) > 10 else "")

    if missing and progress is not None:
        warn(progress, f"{name}: {len(missing)} feature(s) without a polygon are left out (feature IDs {ids(missing)})")
    if repaired and progress is not None:
        warn(progress, f"{name}: {len(repaired)} invalid polygon(s) (self-intersecting ...) repaired before counting "
                       f"points and areas (feature IDs {ids(repaired)}); fix them in the inventory")
    if not kept:
        raise GeohazardError(f"{name}: no feature has a polygon geometry")
    return kept


def metric_crs(source, name) -> QgsCoordinateReferenceSystem:
    """The local metric CRS of a source (:func:`.ada.metric_frame` at its extent's centre)."""
    ext = source.sourceExtent()
    frame = ada.metric_frame(source.sourceCrs(), np.array([ext.center().x()]), np.array([ext.center().y()]), name=name)
    return QgsCoordinateReferenceSystem.fromWkt(frame.metric_wkt)


def copy_fields(fields: QgsFields, extra: list) -> QgsFields:
    """Input fields plus ``extra``; a name the input already has gets a ``_2`` (``_3`` ...) suffix."""
    out = QgsFields(fields)
    for name, vtype in extra:
        new, k = name, 2
        while out.lookupField(new) >= 0:
            new, k = f"{name}_{k}", k + 1
        out.append(QgsField(new, vtype))
    return out


def plain(v):
    """A numpy value as the Python value of an attribute (NaN and None: NULL)."""
    if v is None:
        return None
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def add_features(sink, fields: QgsFields, feats, extra_rows, *, keep=None) -> None:
    """Each feature of ``feats`` ((feature, ...) pairs) to ``sink`` with its attributes and the values of
    ``extra_rows`` (one list per feature, made plain); ``keep`` (booleans) leaves features out."""
    for i, (f, *_) in enumerate(feats):
        if keep is not None and not keep[i]:
            continue
        out = QgsFeature(fields)
        out.setGeometry(f.geometry())
        out.setAttributes(list(f.attributes()) + [plain(v) for v in extra_rows[i]])
        sink.addFeature(out, QgsFeatureSink.Flag.FastInsert)


def _index(geoms) -> QgsSpatialIndex:
    index = QgsSpatialIndex()
    for i, g in enumerate(geoms):
        f = QgsFeature(i)
        f.setGeometry(g)
        index.addFeature(f)
    return index


def intersects_any(geoms, others) -> np.ndarray:
    """Per geometry of ``geoms``: does it intersect any of ``others`` (QGIS geometries, same CRS)."""
    index = _index(others)
    return np.array([any(g.intersects(others[j]) for j in index.intersects(g.boundingBox())) for g in geoms], bool)


def majority_class(source, field: str, geoms, crs_metric, context) -> list:
    """Per geometry, the ``field`` value of the ``source`` polygon covering most of it ("" where none does)."""
    feats = metric_geometries(source, crs_metric, context)
    index = _index([g for _, g in feats])
    out = []
    for g in geoms:
        best, best_area = "", 0.0
        for j in index.intersects(g.boundingBox()):
            inter = g.intersection(feats[j][1])
            a = inter.area() if inter is not None else 0.0
            if a > best_area:
                best, best_area = str(feats[j][0][field]), a
        out.append(best)
    return out


def distances(geoms, others, progress=None, *, share: float = 80.0) -> np.ndarray:
    """Distance (CRS units) from each geometry to the nearest of ``others`` (NaN for a null geometry);
    progress runs to ``share`` %."""
    union = QgsGeometry.collectGeometry(others)
    dist = np.full(len(geoms), np.nan)
    for i, g in enumerate(geoms):
        if i % 200 == 0:
            check_canceled(progress)
            if progress is not None:
                progress.set_progress(share * i / max(len(geoms), 1))
        if not g.isNull():
            dist[i] = g.distance(union)
    return dist


def zonal_raster(path: str, name: str, geoms, crs_wkt: str, fn, *, data=None) -> np.ndarray:
    """Per polygon (in ``crs_wkt``), ``fn(values inside)`` of band 1 of a raster (or of ``data`` on its grid)
    sampled at pixel centres (:func:`~algorithms.ada.zonal.zonal_stat`)."""
    info = raster.raster_info(path, name)
    if info.srs is None:
        raise GeohazardError(f"{name}: the raster has no CRS")
    if data is None:
        data = raster.read_band(path, 1, name=name, dtype=np.float64)
    return zonal.zonal_stat(data, info.geotransform, ada.rings_in_crs(geoms, crs_wkt, info.crs_wkt), fn)


def mean_dem_slope(path: str, name: str, geoms, crs_wkt: str) -> np.ndarray:
    """Mean slope (degrees) of a projected DEM inside each polygon; the slope is taken at single precision,
    as a float32 slope raster holds it."""
    info = raster.raster_info(path, name)
    if info.srs is None or info.srs.IsGeographic():
        raise GeohazardError(f"{name}: the DEM must be in a projected CRS in metres; reproject it first")
    slope, _ = terrain.slope_aspect(raster.read_band(path, 1, name=name, dtype=np.float64), *info.pixel_size)
    return zonal_raster(path, name, geoms, crs_wkt, zonal.nan_mean,
                        data=slope.astype(np.float32).astype(np.float64))


def points_in_polygons(table, crs_metric, feats, *, executor=None, progress=None) -> np.ndarray:
    """Index in ``feats`` ((feature, metric geometry) pairs) of the polygon holding each point of ``table``
    (-1: none), on blocks of points (:func:`~algorithms.ada.activity.points_in_polygons_blocks`)."""
    from pyproj import Transformer

    wkt2 = QgsCoordinateReferenceSystem.WktVariant.WKT2_2019
    xm, ym = Transformer.from_crs(table.crs.toWkt(wkt2), crs_metric.toWkt(wkt2), always_xy=True).transform(
        table.x, table.y)
    rings = [ada.polygon_rings(bytes(g.asWkb())) if not g.isNull() else [] for _, g in feats]
    return activity.points_in_polygons_blocks(xm, ym, rings, executor=executor, progress=progress)
