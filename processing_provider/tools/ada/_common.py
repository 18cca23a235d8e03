"""Shared helpers of the ada tools."""

from __future__ import annotations

import os

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsSpatialIndex,
    QgsVectorLayer,
    QgsWkbTypes,
)

from ....algorithms.progress import check_canceled
from ...io import ada, styles


def _style_vector(path, context, *, field_name_, kind, categories=None):
    """Save a .qml sidecar: graduated diverging colours on a velocity or categories on a class."""
    from qgis.core import (
        QgsCategorizedSymbolRenderer,
        QgsGraduatedSymbolRenderer,
        QgsRendererCategory,
        QgsRendererRange,
        QgsSymbol,
    )
    from qgis.PyQt.QtGui import QColor

    layer = QgsVectorLayer(path, os.path.basename(path), "ogr")
    if not layer.isValid() or layer.fields().lookupField(field_name_) < 0:
        return ""
    gtype = layer.geometryType()
    if kind == "velocity":
        edges = [-1e9, -20, -10, -5, -2, 2, 5, 10, 20, 1e9]
        colours = ["#67001f", "#b2182b", "#d6604d", "#f4a582", "#f7f7f7", "#92c5de", "#4393c3", "#2166ac",
                   "#053061"]
        ranges = []
        for lo, hi, c in zip(edges[:-1], edges[1:], colours):
            sym = QgsSymbol.defaultSymbol(gtype)
            sym.setColor(QColor(c))
            if gtype == QgsWkbTypes.GeometryType.PolygonGeometry:
                sym.setOpacity(0.75)
            label = f"{lo:g} .. {hi:g} mm/yr".replace("-1e+09", "<").replace("1e+09", ">")
            ranges.append(QgsRendererRange(lo, hi, sym, label))
        renderer = QgsGraduatedSymbolRenderer(field_name_, ranges)
    else:
        if categories is None:
            idx = layer.fields().lookupField(field_name_)
            categories = sorted({str(v) for v in layer.uniqueValues(idx)})
        values = [c if isinstance(c, tuple) else (c, str(c)) for c in categories]
        palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
                   "#bdbdbd"]
        cats = []
        for i, (val, label) in enumerate(values):
            sym = QgsSymbol.defaultSymbol(gtype)
            sym.setColor(QColor(palette[i % len(palette)]))
            cats.append(QgsRendererCategory(val, sym, label))
        renderer = QgsCategorizedSymbolRenderer(field_name_, cats)
    layer.setRenderer(renderer)
    qml = styles.sidecar_qml(path)
    layer.saveNamedStyle(qml)
    styles.apply_on_load(context, path, qml)
    return qml


def _to_metric_geometries(source, crs_metric: QgsCoordinateReferenceSystem, context, progress=None):
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


def _metric_crs_for_source(source, name) -> QgsCoordinateReferenceSystem:
    ext = source.sourceExtent()
    frame = ada.metric_frame(source.sourceCrs(), np.array([ext.center().x()]), np.array([ext.center().y()]), name=name)
    return QgsCoordinateReferenceSystem.fromWkt(frame.metric_wkt)


def _copy_fields(fields: QgsFields, extra: list) -> QgsFields:
    """Input fields plus ``extra``; a name the input already has gets a ``_2`` (``_3`` ...) suffix."""
    out = QgsFields(fields)
    for name, vtype in extra:
        new, k = name, 2
        while out.lookupField(new) >= 0:
            new, k = f"{name}_{k}", k + 1
        out.append(QgsField(new, vtype))
    return out


def _py(v):
    if v is None:
        return None
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def _intersects_any(geoms, others) -> np.ndarray:
    """Per geometry of ``geoms``: does it intersect any of ``others`` (QGIS geometries, same CRS)."""
    index = QgsSpatialIndex()
    for i, g in enumerate(others):
        f = QgsFeature(i)
        f.setGeometry(g)
        index.addFeature(f)
    return np.array([any(g.intersects(others[j]) for j in index.intersects(g.boundingBox())) for g in geoms], bool)


def _style_sink(dest, context, field, categories):
    """Category style sidecar for a sink output written to a file (not for memory layers)."""
    path = str(dest).split("|")[0]
    if os.path.isfile(path):
        _style_vector(path, context, field_name_=field, kind="class", categories=categories)
