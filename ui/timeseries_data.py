"""What the time-series dock plots, read from layers: points, pixels, polygon means, component groups.

No widgets here. A :class:`Series` is one displacement history with where it comes from (layer,
CRS, map position, point ID) so the dock can label it, mark it on the map and drop it when its
layer leaves the project.

Component groups. Rasters written by a multi-sensor decomposition carry GDAL metadata (default
domain): ``TIMESERIES_COMPONENT`` = ``UP`` | ``EAST`` | ``LOS``; a sigma raster carries
``TIMESERIES_SIGMA_OF`` = ``UP`` | ``EAST`` instead; ``TIMESERIES_GROUP`` is shared by one run's
outputs; ``TIMESERIES_SOURCES`` lists the input LOS series' paths joined by ``;``. A pick on an
``UP`` or ``EAST`` raster of a group reads the whole group at that map point: up and east with
their 1-sigma (from the sigma rasters loaded in the project or beside the picked file) and every
LOS source (raster pixel, or the nearest point of a point file within one pixel).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeatureRequest,
    QgsGeometry,
    QgsPointXY,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
    QgsWkbTypes,
)

from ..algorithms.ada.activity import points_in_polygons
from ..algorithms.errors import GeohazardError
from ..fileio.base.probe import distinct_files, gdal_thread_options, with_gdal_exceptions
from ..fileio.base.raster import open_raster, raster_info
from ..fileio.base.series_tiles import SERIES_PICK_BYTES
from ..fileio.motion.points import date_fields_of, raster_dates
from ..fileio.motion.series_table import read_series, series_layer

#: Fields naming a point, first found wins (PS products, EGMS, our outputs).
LABEL_FIELDS = ("CODE", "code", "pid", "PID", "ID", "id", "name", "NAME")

COMPONENT_KEY = "TIMESERIES_COMPONENT"
SIGMA_KEY = "TIMESERIES_SIGMA_OF"
GROUP_KEY = "TIMESERIES_GROUP"
SOURCES_KEY = "TIMESERIES_SOURCES"
COMPONENTS = ("UP", "EAST", "LOS")

#: Largest polygon read, in pixel-or-point values (dates x members): 40 MB of float32.
MAX_POLYGON_VALUES = 10_000_000

RASTER_EXTENSIONS = (".tif", ".tiff", ".vrt", ".img")


@dataclass
class Series:
    """One displacement history and where it comes from.

    ``values_mm`` has one value per date (NaN where missing). A polygon mean keeps its members
    (``members_mm``, shape ``(n_dates, count)``) so the spread can be recomputed for another
    reference date; ``sigma_mm`` is a stored 1-sigma (component rasters).
    """

    dates: list
    values_mm: np.ndarray
    name: str = ""  # what: layer and point ID, "Up: <layer>", "<layer> mean of 12 pixels"
    where: str = ""  # the coordinates in ``crs`` ("x, y")
    label: str = ""  # "<name> (<where>)" unless given
    kind: str = "point"  # point | pixel | polygon | feature
    layer_name: str = ""
    layer_ids: tuple = ()
    crs: str = ""  # authid (or description) of the layer CRS the position is given in
    x: Optional[float] = None
    y: Optional[float] = None
    point_id: str = ""
    component: str = ""  # UP | EAST | LOS | "" (not declared: LOS for dated points and plain rasters)
    panel: str = "main"  # main | los (the LOS sources of a component group)
    sigma_mm: Optional[np.ndarray] = None
    members_mm: Optional[np.ndarray] = None
    spread_mm: Optional[np.ndarray] = None  # standard deviation of the members per date (as displayed)
    count: int = 1
    key: tuple = ()
    pick: int = 0
    colour: str = ""
    geometry_wkt: str = ""  # polygon of a polygon mean (layer CRS)
    notes: list = field(default_factory=list)

    def __post_init__(self):
        if not self.label:
            self.label = f"{self.name} ({self.where})" if self.where else self.name


def crs_name(crs: QgsCoordinateReferenceSystem) -> str:
    return crs.authid() or crs.description() or "unknown CRS"


def format_xy(x: float, y: float, crs: QgsCoordinateReferenceSystem) -> str:
    """Coordinates as a user reads them: degrees to 1e-5 (about 1 m), projected units to 0.1."""
    if crs.isValid() and crs.isGeographic():
        return f"{x:.5f}, {y:.5f}"
    return f"{x:.1f}, {y:.1f}"


def transform_point(point: QgsPointXY, src: QgsCoordinateReferenceSystem,
                    dst: QgsCoordinateReferenceSystem, context=None) -> QgsPointXY:
    """``point`` from ``src`` to ``dst``; ``context``: a transform context (a reader thread gets the project's, taken
    in the GUI thread), else the project's."""
    if not src.isValid() or not dst.isValid() or src == dst:
        return QgsPointXY(point)
    if context is None:
        return QgsCoordinateTransform(src, dst, QgsProject.instance()).transform(point)
    return QgsCoordinateTransform(src, dst, context).transform(point)


def transform_geometry(geom: QgsGeometry, src: QgsCoordinateReferenceSystem,
                       dst: QgsCoordinateReferenceSystem) -> QgsGeometry:
    out = QgsGeometry(geom)
    if src.isValid() and dst.isValid() and src != dst:
        out.transform(QgsCoordinateTransform(src, dst, QgsProject.instance()))
    return out


def polygon_rings(geom: QgsGeometry) -> list:
    """Every ring of a (multi)polygon as an ``(m, 2)`` array (the even-odd test takes them all)."""
    rings = []
    parts = geom.asMultiPolygon() if geom.isMultipart() else [geom.asPolygon()]
    for part in parts:
        for ring in part:
            if len(ring) >= 3:
                rings.append(np.array([(p.x(), p.y()) for p in ring], dtype=np.float64))
    return rings


def _is_null(v) -> bool:
    return v is None or v == "" or (hasattr(v, "isNull") and v.isNull())


# ----------------------------------------------------------------------------- rasters
_METADATA: dict = {}


@with_gdal_exceptions
def raster_metadata(path: str) -> dict:
    """GDAL metadata of the default domain (empty when the file does not open).

    Cached by path, size and modification time: a pick on a group reads the metadata of every
    raster in its folder.
    """
    try:
        st = os.stat(path)
        key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    if key is not None and key in _METADATA:
        return dict(_METADATA[key])
    try:
        ds = open_raster(path, os.path.basename(path))
        meta = dict(ds.GetMetadata() or {})
    except GeohazardError:
        meta = {}
    if key is not None:
        if len(_METADATA) > 4096:
            _METADATA.clear()
        _METADATA[key] = meta
    return dict(meta)


def raster_crs(info) -> QgsCoordinateReferenceSystem:
    return QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt) if info.crs_wkt else QgsCoordinateReferenceSystem()


def _band_values(ds, info, xoff: int, yoff: int, w: int, h: int) -> np.ndarray:
    """``(bands, h, w)`` float64 window with NaN for nodata."""
    arr = np.asarray(ds.ReadAsArray(xoff, yoff, w, h), dtype=np.float64)
    if arr.ndim == 2:
        arr = arr[None]
    for b, nd in enumerate(info.nodata):
        if nd is not None and not np.isnan(nd):
            arr[b][arr[b] == nd] = np.nan
    return arr


@with_gdal_exceptions
def read_pixel(path: str, x: float, y: float, name: str):
    """Dates, values (mm) and ``(row, col, x_centre, y_centre)`` of the pixel under ``(x, y)`` (raster CRS)."""
    info = raster_info(path, name)
    dates = raster_dates(info, name)
    row, col = info.world_to_pixel(x, y)
    r, c = int(np.floor(row)), int(np.floor(col))
    if not (0 <= r < info.height and 0 <= c < info.width):
        raise GeohazardError(f"{name}: the point ({x:.6g}, {y:.6g}) is outside the raster "
                             f"({info.width} x {info.height} pixels)")
    with gdal_thread_options(GDAL_NUM_THREADS=_decode_threads(path)):
        ds = open_raster(path, name)
        vals = _band_values(ds, info, c, r, 1, 1)[:, 0, 0]
    cx, cy = info.pixel_centres(r, c)
    return dates, vals, (r, c, float(cx), float(cy))


def _decode_threads(path: str):
    """``ALL_CPUS`` for a file whose one-pixel read decodes more than a pick's budget (a series written in large
    tiles, before the series layout of :mod:`fileio.base.series_tiles`): GDAL then decodes its tiles on every core."""
    try:
        ds = open_raster(path, os.path.basename(path))
        bx, by = ds.GetRasterBand(1).GetBlockSize()
        heavy = bx * by * 4 * ds.RasterCount > SERIES_PICK_BYTES
    except GeohazardError:
        heavy = False
    return "ALL_CPUS" if heavy else None


@with_gdal_exceptions
def read_polygon_pixels(path: str, rings: list, name: str):
    """Dates and ``(n_dates, n_pixels)`` values of the pixels whose centre lies inside ``rings``.

    A polygon smaller than a pixel takes the pixel under its centroid.
    """
    info = raster_info(path, name)
    dates = raster_dates(info, name)
    allv = np.vstack(rings)
    rows, cols = info.world_to_pixel(allv[:, 0], allv[:, 1])
    r0, r1 = max(int(np.floor(rows.min())), 0), min(int(np.ceil(rows.max())) + 1, info.height)
    c0, c1 = max(int(np.floor(cols.min())), 0), min(int(np.ceil(cols.max())) + 1, info.width)
    if r0 >= r1 or c0 >= c1:
        raise GeohazardError(f"{name}: the polygon does not overlap the raster")
    R, C = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    px, py = info.pixel_centres(R.ravel(), C.ravel())
    inside = (points_in_polygons(px, py, [rings]) == 0).reshape(R.shape)
    if not inside.any():
        cx, cy = allv.mean(axis=0)
        row, col = info.world_to_pixel(cx, cy)
        if not (r0 <= row < r1 and c0 <= col < c1):
            raise GeohazardError(f"{name}: no pixel centre lies inside the polygon")
        inside[int(row) - r0, int(col) - c0] = True
    n = int(inside.sum())
    if n * len(dates) > MAX_POLYGON_VALUES:
        raise GeohazardError(
            f"{name}: the polygon covers {n} pixels x {len(dates)} dates; the dock averages at most "
            f"{MAX_POLYGON_VALUES:,} values (draw a smaller polygon)")
    ds = open_raster(path, name)
    members = np.empty((len(dates), n))
    # one band at a time: the window of every band at once can be far larger than the pixels kept
    for b in range(info.count):
        band = ds.GetRasterBand(b + 1)
        arr = np.asarray(band.ReadAsArray(c0, r0, c1 - c0, r1 - r0), dtype=np.float64)
        nd = info.nodata[b]
        if nd is not None and not np.isnan(nd):
            arr[arr == nd] = np.nan
        members[b] = arr[inside]
    return dates, members


@with_gdal_exceptions
def is_timeseries_raster(layer) -> bool:
    if not isinstance(layer, QgsRasterLayer) or layer.providerType() != "gdal":
        return False
    try:
        raster_dates(raster_info(layer.source(), layer.name()), layer.name())
    except GeohazardError:
        return False
    return True


@with_gdal_exceptions
def is_timeseries_points(layer) -> bool:
    if not isinstance(layer, QgsVectorLayer) or not layer.isValid():
        return False
    try:
        date_fields_of(layer, layer.name())
    except GeohazardError:
        try:
            return _series_table(layer) is not None
        except GeohazardError:  # a netCDF series file missing or another load's: the click says so
            return True
    return True


def _series_table(layer) -> Optional[tuple]:
    """``(path, layer name, dates)`` of a GeoPackage point layer keeping its series in a netCDF series file or a
    compressed series table (EGMS loads at national scale), else None."""
    if not isinstance(layer, QgsVectorLayer) or layer.providerType() != "ogr":
        return None
    return series_layer(layer.source())


# ----------------------------------------------------------------------------- point layers
def _label_field(layer) -> Optional[str]:
    return next((f for f in LABEL_FIELDS if layer.fields().lookupField(f) >= 0), None)


def _feature_values(layer, feats):
    try:
        pairs = date_fields_of(layer, layer.name())
    except GeohazardError:
        table = _series_table(layer)
        if table is None:
            raise
        return read_series(table[0], table[1], [f.id() for f in feats])
    idx = [layer.fields().lookupField(f) for f, _ in pairs]
    dates = [d for _, d in pairs]
    rows = []
    for feat in feats:
        attrs = feat.attributes()
        rows.append([np.nan if _is_null(attrs[i]) else float(attrs[i]) for i in idx])
    return dates, np.array(rows, dtype=np.float64).reshape(len(rows), len(idx))


@with_gdal_exceptions
def feature_series(layer: QgsVectorLayer, fids) -> list:
    """One :class:`Series` per feature ``fids`` of a layer with dated displacement fields."""
    feats = list(layer.getFeatures(QgsFeatureRequest().setFilterFids(list(fids))))
    dates, values = _feature_values(layer, feats)
    label_field = _label_field(layer)
    crs = layer.crs()
    out = []
    for feat, vals in zip(feats, values):
        pid = str(feat[label_field]) if label_field and not _is_null(feat[label_field]) else str(feat.id())
        geom = feat.geometry()
        if geom.isNull() or geom.isEmpty():
            x = y = None
        else:
            single = geom.type() == QgsWkbTypes.GeometryType.PointGeometry and not geom.isMultipart()
            p = geom.asPoint() if single else geom.centroid().asPoint()
            x, y = p.x(), p.y()
        out.append(Series(
            name=f"{layer.name()} {pid}", where="no geometry" if x is None else format_xy(x, y, crs), dates=dates,
            values_mm=vals, kind="point", layer_name=layer.name(), layer_ids=(layer.id(),), crs=crs_name(crs),
            x=x, y=y, point_id=pid, component="LOS", key=("point", layer.id(), feat.id())))
    return out


def nearest_feature(layer: QgsVectorLayer, point: QgsPointXY, tolerance: float):
    """Id of the feature nearest to ``point`` (layer CRS) within ``tolerance``, or None."""
    rect = QgsRectangle(point.x() - tolerance, point.y() - tolerance, point.x() + tolerance, point.y() + tolerance)
    here = QgsGeometry.fromPointXY(point)
    best, best_d = None, None
    for feat in layer.getFeatures(QgsFeatureRequest().setFilterRect(rect).setNoAttributes()):
        d = feat.geometry().distance(here)
        if d <= tolerance and (best_d is None or d < best_d):
            best, best_d = feat.id(), d
    return best


def neighbours(layer: QgsVectorLayer, point: QgsPointXY, radius: float, *, most: int, skip=()) -> list:
    """Ids of the features of ``layer`` within ``radius`` (layer units) of ``point`` (layer CRS), nearest first, at
    most ``most``, those of ``skip`` left out."""
    rect = QgsRectangle(point.x() - radius, point.y() - radius, point.x() + radius, point.y() + radius)
    here = QgsGeometry.fromPointXY(point)
    found = []
    for feat in layer.getFeatures(QgsFeatureRequest().setFilterRect(rect).setNoAttributes()):
        if feat.id() in skip or feat.geometry().isNull():
            continue
        d = feat.geometry().distance(here)
        if d <= radius:
            found.append((d, feat.id()))
    return [fid for _, fid in sorted(found)[:most]]


@with_gdal_exceptions
def points_polygon_series(layer: QgsVectorLayer, geom: QgsGeometry) -> Series:
    """Mean of the points of ``layer`` inside ``geom`` (layer CRS)."""
    req = QgsFeatureRequest().setFilterRect(geom.boundingBox())
    feats = list(layer.getFeatures(req))
    pts = [f.geometry().centroid().asPoint() for f in feats]
    rings = polygon_rings(geom)
    if not rings:
        raise GeohazardError("the polygon has no ring with 3 vertices or more")
    inside = points_in_polygons(np.array([p.x() for p in pts]), np.array([p.y() for p in pts]), [rings]) == 0 \
        if pts else np.zeros(0, bool)
    feats = [f for f, k in zip(feats, inside) if k]
    if not feats:
        raise GeohazardError(f"{layer.name()}: no point lies inside the polygon")
    dates, values = _feature_values(layer, feats)
    if values.size > MAX_POLYGON_VALUES:
        raise GeohazardError(f"{layer.name()}: the polygon holds {len(feats)} points x {len(dates)} dates; the "
                             f"dock averages at most {MAX_POLYGON_VALUES:,} values (draw a smaller polygon)")
    return _polygon_series((layer.name(), layer.id(), layer.crs()), geom, dates, values.T, "points", "LOS")


def _polygon_series(layer: tuple, geom, dates, members, what, component) -> Series:
    """``layer``: its name, id and CRS."""
    name, lid, crs = layer
    c = geom.centroid().asPoint()
    members = members[:, np.isfinite(members).any(axis=0)]  # nodata on every date: not a member
    n = members.shape[1]
    if n == 0:
        raise GeohazardError(f"{name}: every {what[:-1]} inside the polygon is nodata on every date")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)  # dates where every member is NaN: NaN
        mean = np.nanmean(members, axis=1)
    return Series(name=f"{name} mean of {n} {what}", where=format_xy(c.x(), c.y(), crs), dates=dates,
                  values_mm=mean, kind="polygon", layer_name=name, layer_ids=(lid,), crs=crs_name(crs),
                  x=c.x(), y=c.y(), component=component, members_mm=members, count=n, geometry_wkt=geom.asWkt(6),
                  key=("polygon", lid, geom.asWkt(6)))


@with_gdal_exceptions
def raster_polygon_series(layer: QgsRasterLayer, geom: QgsGeometry) -> Series:
    """Mean of the pixels of a time-series raster whose centre lies inside ``geom`` (layer CRS)."""
    return read_polygon((layer.source(), layer.name(), layer.id(), QgsCoordinateReferenceSystem(layer.crs())),
                        QgsGeometry(geom))


@with_gdal_exceptions
def read_polygon(layer: tuple, geom: QgsGeometry) -> Series:
    """:func:`raster_polygon_series` from plain values (``layer``: its file, name, id and CRS), for a reader
    thread."""
    path, name, lid, crs = layer
    rings = polygon_rings(geom)
    if not rings:
        raise GeohazardError("the polygon has no ring with 3 vertices or more")
    dates, members = read_polygon_pixels(path, rings, name)
    component = raster_metadata(path).get(COMPONENT_KEY, "").upper()
    return _polygon_series((name, lid, crs), geom, dates, members, "pixels",
                           component if component in COMPONENTS else "LOS")


# ----------------------------------------------------------------------------- component groups
@dataclass
class ComponentGroup:
    """One decomposition run's rasters: ``components`` and ``sigmas`` map UP/EAST to paths."""

    group: str
    components: dict
    sigmas: dict
    sources: list


@dataclass
class ProjectView:
    """What a pick needs of the project, taken in the GUI thread so that a reader thread never touches it: its
    layers as ``(id, name, source file, provider, is a raster)`` and its coordinate transform context."""

    layers: list
    transform_context: object = None

    @classmethod
    def of(cls, project: Optional[QgsProject] = None) -> "ProjectView":
        project = project or QgsProject.instance()
        layers = [(lyr.id(), lyr.name(), lyr.source().split("|")[0], lyr.providerType(),
                   isinstance(lyr, QgsRasterLayer)) for lyr in project.mapLayers().values()]
        return cls(layers, project.transformContext())


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _candidate_rasters(path: str, view: ProjectView) -> list:
    """Rasters that may belong to the group of ``path``: project layers first, then its folder's files."""
    out = [src for _, _, src, provider, raster in view.layers if raster and provider == "gdal" and os.path.isfile(src)]
    folder = os.path.dirname(os.path.abspath(path))
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        names = []
    for nm in names[:2000]:
        if nm.lower().endswith(RASTER_EXTENSIONS):
            out.append(os.path.join(folder, nm))
    return distinct_files(out)


def component_group(path: str, project=None) -> Optional[ComponentGroup]:
    """The group of an ``UP``/``EAST`` (or sigma) raster, or None when it declares none (``project``: a project or
    its :class:`ProjectView`)."""
    meta = raster_metadata(path)
    group = meta.get(GROUP_KEY, "")
    comp = meta.get(COMPONENT_KEY, "").upper() or meta.get(SIGMA_KEY, "").upper()
    if not group or comp not in ("UP", "EAST"):
        return None
    view = project if isinstance(project, ProjectView) else ProjectView.of(project)
    components, sigmas, sources = {}, {}, []
    for cand in [path, *_candidate_rasters(path, view)]:
        m = meta if cand == path else raster_metadata(cand)
        if m.get(GROUP_KEY, "") != group:
            continue
        c = m.get(COMPONENT_KEY, "").upper()
        s = m.get(SIGMA_KEY, "").upper()
        if c in ("UP", "EAST") and c not in components:
            components[c] = cand
        elif s in ("UP", "EAST") and s not in sigmas:
            sigmas[s] = cand
        base = os.path.dirname(os.path.abspath(cand))
        for src in (m.get(SOURCES_KEY, "") or "").split(";"):
            src = src.strip()
            if src:
                full = src if os.path.isabs(src) or "://" in src else os.path.normpath(os.path.join(base, src))
                if not any(_same_file(full, o) for o in sources):
                    sources.append(full)
    return ComponentGroup(group, components, sigmas, sources)


def _project_layer_ids(path: str, view: ProjectView) -> tuple:
    return tuple(lid for lid, _, src, provider, _ in view.layers
                 if provider in ("gdal", "ogr") and os.path.exists(src) and _same_file(src, path))


def _project_name(path: str, view: ProjectView) -> str:
    for _, name, src, _, _ in view.layers:
        if os.path.exists(src) and _same_file(src, path):
            return name
    return os.path.splitext(os.path.basename(path))[0]


def _source_series(src: str, point: QgsPointXY, crs: QgsCoordinateReferenceSystem, tolerance: float,
                   picked_id: str, view: ProjectView) -> Series:
    """The LOS source ``src`` at ``point`` (``crs``): its pixel, or its nearest point within ``tolerance``."""
    name = _project_name(src, view)
    ids = (picked_id, *_project_layer_ids(src, view))
    ctx = view.transform_context
    meta = raster_metadata(src)
    if meta or src.lower().endswith(RASTER_EXTENSIONS):
        info = raster_info(src, name)
        src_crs = raster_crs(info)
        p = transform_point(point, crs, src_crs, ctx)
        dates, vals, (r, c, cx, cy) = read_pixel(src, p.x(), p.y(), name)
        return Series(name=name, where=format_xy(cx, cy, src_crs), dates=dates, values_mm=vals, kind="pixel",
                      layer_name=name, layer_ids=ids, crs=crs_name(src_crs), x=cx, y=cy, component="LOS",
                      panel="los")
    layer = QgsVectorLayer(src, name, "ogr")
    if not layer.isValid():
        raise GeohazardError(f"LOS source {src!r} is neither a raster nor a point file QGIS can open")
    p = transform_point(point, crs, layer.crs(), ctx)
    corner = transform_point(QgsPointXY(point.x() + tolerance, point.y()), crs, layer.crs(), ctx)
    tol = max(abs(corner.x() - p.x()), abs(corner.y() - p.y()), 1e-9)
    fid = nearest_feature(layer, p, tol)
    if fid is None:
        raise GeohazardError(f"LOS source {name}: no point within one pixel of the picked place")
    s = feature_series(layer, [fid])[0]
    s.layer_ids, s.panel = ids, "los"
    return s


@dataclass
class PixelPick:
    """A pick on a raster layer, as plain values a reader thread can use: the layer's file, id, name and CRS, the
    picked point (layer CRS) and the project as the GUI thread saw it."""

    path: str
    layer_id: str
    layer_name: str
    crs: QgsCoordinateReferenceSystem
    point: QgsPointXY
    view: ProjectView

    @classmethod
    def of(cls, layer: QgsRasterLayer, point: QgsPointXY, project: Optional[QgsProject] = None) -> "PixelPick":
        return cls(layer.source(), layer.id(), layer.name(), QgsCoordinateReferenceSystem(layer.crs()),
                   QgsPointXY(point), ProjectView.of(project))


def raster_pick(layer: QgsRasterLayer, point: QgsPointXY, project: Optional[QgsProject] = None) -> list:
    """Series of the pixel of ``layer`` under ``point`` (layer CRS); the whole group for UP/EAST rasters.

    Returns ``(series, centre)``: the picked pixel alone, or up and east (with ``sigma_mm`` where a
    sigma raster exists) followed by the LOS sources (``panel="los"``); ``centre`` is the centre of
    the pixel read, in the layer CRS. Sources that cannot be read at the point are left out and
    named in the first series' ``notes``. The reading itself is :func:`read_pick`, which a reader thread runs.
    """
    return read_pick(PixelPick.of(layer, point, project))


@with_gdal_exceptions
def read_pick(pick: PixelPick) -> tuple:
    """:func:`raster_pick` from plain values (files only: no layer or project is touched, so a reader thread runs
    it while the GUI thread goes on)."""
    path, crs, point, view, ctx = pick.path, pick.crs, pick.point, pick.view, pick.view.transform_context
    group = component_group(path, view)
    if group is None:
        dates, vals, (r, c, cx, cy) = read_pixel(path, point.x(), point.y(), pick.layer_name)
        comp = raster_metadata(path).get(COMPONENT_KEY, "").upper()
        return [Series(name=pick.layer_name, where=format_xy(cx, cy, crs), dates=dates, values_mm=vals,
                       kind="pixel", layer_name=pick.layer_name, layer_ids=(pick.layer_id,), crs=crs_name(crs), x=cx,
                       y=cy, component=comp if comp in COMPONENTS else "LOS",
                       key=("pixel", pick.layer_id, r, c))], QgsPointXY(cx, cy)
    out, notes = [], []
    info = raster_info(path, pick.layer_name)
    tolerance = max(info.pixel_size)
    centre = None
    for comp in ("UP", "EAST"):
        cpath = group.components.get(comp)
        if cpath is None:
            notes.append(f"no {comp.lower()} raster of group {group.group} found")
            continue
        name = pick.layer_name if _same_file(cpath, path) else _project_name(cpath, view)
        c_info = raster_info(cpath, name)
        c_crs = raster_crs(c_info)
        p = transform_point(point, crs, c_crs, ctx)
        dates, vals, (r, c, cx, cy) = read_pixel(cpath, p.x(), p.y(), name)
        if centre is None:
            centre = transform_point(QgsPointXY(cx, cy), c_crs, crs, ctx)
        sigma = None
        spath = group.sigmas.get(comp)
        if spath is not None:
            s_name = _project_name(spath, view)
            ps = transform_point(point, crs, raster_crs(raster_info(spath, s_name)), ctx)
            s_dates, s_vals, _ = read_pixel(spath, ps.x(), ps.y(), s_name)
            if s_dates == dates:
                sigma = s_vals
            else:
                notes.append(f"{s_name}: its dates differ from {name}'s; 1-sigma not shown")
        ids = tuple(dict.fromkeys((pick.layer_id, *_project_layer_ids(cpath, view))))
        out.append(Series(name=f"{comp.capitalize()}: {name}", where=format_xy(cx, cy, c_crs), dates=dates,
                          values_mm=vals, kind="pixel", layer_name=name, layer_ids=ids, crs=crs_name(c_crs), x=cx,
                          y=cy, component=comp, sigma_mm=sigma))
    if centre is None:
        centre = point
    for src in group.sources:
        try:
            out.append(_source_series(src, centre, crs, tolerance, pick.layer_id, view))
        except GeohazardError as exc:
            notes.append(str(exc))
    if not out:
        raise GeohazardError(f"{pick.layer_name}: group {group.group} has no up or east raster to read")
    key_base = ("group", group.group, round(centre.x(), 6), round(centre.y(), 6))
    for k, s in enumerate(out):
        s.key = (*key_base, k)
    out[0].notes = notes
    return out, centre
