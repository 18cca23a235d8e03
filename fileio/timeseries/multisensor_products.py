"""Stacks of the multi-sensor tool as their producers deliver them.

* A LiCSAR frame or HyP3 products (a folder, zips, or the list a manifest row names), opened on one grid by the
  stack-spec reader every stack tool shares (:class:`~.products.ProductStack`): its interferograms (VRTs, no data
  as the producer marks it), the product's wavelength, and its incidence and heading (the frame's E/N/U rasters,
  HyP3's lv_theta and ``.txt``) as the stack tools take them. Its unwrapped phase is radians growing with the range
  (LiCSBAS and HyP3 convert it so), each pair from its own reference: the tool ties such a stack to the ground every
  stack covers (:mod:`.multisensor_datum`), or to REFERENCE.
* EGMS L2a / L2b points (the zip or CSV as downloaded): each point's LOS series averaged onto the cells of the EGMS
  L3 grid (:data:`EGMS_CELL_M` in the points' EPSG:3035, edges on multiples of the cell), with each cell's mean
  ground-to-satellite vector; written once per version of the file into a scratch folder (never beside the input)
  as a series GeoTIFF (mm, one band per date) and a three-band LOS GeoTIFF. EGMS L2b is referenced to the GNSS
  datum, so the series keeps its own reference.
* The same points loaded by ``geohazard:loadegms``: a GeoPackage with one point layer per track, its series in
  dated fields, the compressed series table or a netCDF series file (:func:`egms_layers`, :func:`egms_layer_file`);
  each track is a stack, gridded as the file it was loaded from.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.geometry.decomposition import grid_for_points
from ...algorithms.geometry.egms_csv import read_egms_csv
from ...algorithms.timeseries.multisensor import grid_points_to_stack
from ..base.raster import RasterWriter
from ..base.series_tiles import series_tile_size
from ..base.vector import file_layers
from ..motion import series_nc
from ..motion.points import read_dated_features
from .multisensor import StackFile, interferogram_files, series_file

#: Cell of the EGMS points' grid (m): the EGMS L3 products' 100 m cells (EPSG:3035).
EGMS_CELL_M = 100.0
#: The CRS of EGMS easting / northing.
EGMS_EPSG = 3035
#: Suffixes of an EGMS point file as downloaded.
EGMS_SUFFIXES = (".zip", ".csv")


def product_file(product, name: str) -> StackFile:
    """A LiCSAR / HyP3 stack opened by the stack-spec reader as a :class:`StackFile` of interferograms: radians
    (growing with the range), the product's wavelength and geometry; ``product`` is kept with it (its VRTs live as
    long as it)."""
    spec = product.spec
    f = interferogram_files(list(product.ifg_paths), name)
    f.units = "rad"
    f.metadata_source = f"the {spec.producer} product"
    if spec.wavelength is not None:
        f.wavelength_m = float(spec.wavelength[1])
    for key, attr in ((gm.INCIDENCE_KEY, "incidence_deg"), (gm.HEADING_KEY, "heading_deg")):
        if key in product.geometry:
            setattr(f, attr, float(product.geometry[key][0]))
    f.product = product
    return f


def is_egms_file(path: str) -> bool:
    """``path`` is a zip or CSV whose name says EGMS (``EGMS_L2a_...``, ``EGMS_L2b_...``), or a CSV with EGMS's
    LOS columns."""
    base = os.path.basename(path).lower()
    if not base.endswith(EGMS_SUFFIXES) or not os.path.isfile(path):
        return False
    if base.startswith("egms_l2"):
        return True
    if base.endswith(".csv"):
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.readline().lower()
        return all(k in head for k in ("easting", "northing", "los_east", "los_up"))
    return False


def _version_key(path: str) -> str:
    st = os.stat(path)
    return hashlib.sha1(f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]


def egms_file(path: str, name: str, folder: str, cell_m: float = EGMS_CELL_M) -> tuple:
    """``(StackFile, los_path)``: EGMS L2a/L2b points of ``path`` averaged onto the EGMS L3 cells as a series
    GeoTIFF (mm) and the cells' mean ground-to-satellite vector as a three-band GeoTIFF (east, north, up), both in
    ``folder``. Refused, naming the stack: not an EGMS L2 point file (L3 holds no LOS), no dated column."""
    key = _version_key(path)
    series_path = os.path.join(folder, f"egms_{key}_{int(cell_m)}m.tif")
    los_path = os.path.join(folder, f"egms_{key}_{int(cell_m)}m_los.tif")
    if not (os.path.exists(series_path) and os.path.exists(los_path)):
        try:
            read = read_egms_csv(path)
        except GeohazardError as exc:
            raise GeohazardError(f"stack {name!r}: {exc} (an EGMS L2a or L2b point file, zipped or not, as "
                                 "downloaded: L3 products hold no line of sight)") from None
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise GeohazardError(f"stack {name!r}: cannot read {os.path.basename(path)} as an EGMS point file "
                                 f"({exc})") from None
        if len(read["dates"]) < 2:
            raise GeohazardError(f"stack {name!r}: {os.path.basename(path)} has {len(read['dates'])} dated column(s); "
                                 "an EGMS L2 file holds one column per date (YYYYMMDD)")
        c = read["columns"]
        _grid_points(c["easting"], c["northing"], read["series"], (c["los_east"], c["los_north"], c["los_up"]),
                     read["dates"], os.path.basename(path), series_path, los_path, cell_m)
    return _points_stack(series_path, los_path, name, os.path.basename(path))


def _grid_points(x, y, series, los, dates, source: str, series_path: str, los_path: str, cell_m: float) -> None:
    """Points (EPSG:3035 metres) averaged onto the EGMS L3 cells, written as the series and LOS GeoTIFFs."""
    from osgeo import osr


    grid = grid_for_points(x, y, cell_m)
    g = grid_points_to_stack(x, y, series, *los, grid)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EGMS_EPSG)
    kw = dict(width=grid.n_cols, height=grid.n_rows, geotransform=grid.geotransform, crs_wkt=srs.ExportToWkt())
    meta = {"UNIT": "mm", "SIGN": "LOS positive toward the satellite", "SOURCE": source,
            "POINTS_PER_CELL_MAX": int(g["count"].max()) if g["count"].size else 0}
    _write(series_path, g["values"], [d.isoformat() for d in dates], meta, kw)
    _write(los_path, np.stack([g["los_east"], g["los_north"], g["los_up"]]), ["los_east", "los_north", "los_up"],
           {"SOURCE": source}, kw)


def _points_stack(series_path: str, los_path: str, name: str, source: str) -> tuple:
    f = series_file(series_path, name)
    f.metadata_source = source
    f.paths = [series_path]
    return f, los_path


#: Suffixes of a vector file whose point layers may be EGMS tracks loaded by ``geohazard:loadegms``.
EGMS_LAYER_SUFFIXES = (".gpkg",)
_LOS_FIELDS = ("los_east", "los_north", "los_up")


def egms_layers(source: str) -> list:
    """The point layers of a GeoPackage (``file.gpkg``, or ``file.gpkg|layername=x`` for one) as OGR sources
    ``file.gpkg|layername=...``, in the file's order; [] when ``source`` is no such file or names no point layer."""
    path, layer = series_nc.split_source(source)
    if not path.lower().endswith(EGMS_LAYER_SUFFIXES) or not os.path.isfile(path):
        return []
    names = [n for n, kind, _ in file_layers(path) if kind == "point"]
    if layer:
        names = [n for n in names if n == layer]
    return [f"{path}|layername={n}" for n in names]


def egms_layer_file(uri: str, name: str, folder: str, cell_m: float = EGMS_CELL_M) -> tuple:
    """``(StackFile, los_path)`` of one track of a GeoPackage written by ``geohazard:loadegms`` (``uri``:
    ``file.gpkg|layername=x``), gridded as :func:`egms_file` grids the file it was loaded from (the points taken to
    EPSG:3035 when the layer is in another CRS). Refused, naming the stack and the layer: no los_east / los_north /
    los_up fields (an L3 layer), fewer than two dates."""
    from qgis.core import QgsVectorLayer

    path, layer_name = series_nc.split_source(uri)
    label = f"stack {name!r} ({os.path.basename(path)}, layer {layer_name})"
    key = hashlib.sha1(f"{_version_key(path)}|{layer_name}".encode()).hexdigest()[:16]
    series_path = os.path.join(folder, f"egms_{key}_{int(cell_m)}m.tif")
    los_path = os.path.join(folder, f"egms_{key}_{int(cell_m)}m_los.tif")
    if not (os.path.exists(series_path) and os.path.exists(los_path)):
        layer = QgsVectorLayer(uri, layer_name, "ogr")
        if not layer.isValid():
            raise GeohazardError(f"{label}: the layer cannot be opened")
        missing = [f for f in _LOS_FIELDS if layer.fields().lookupField(f) < 0]
        if missing:
            raise GeohazardError(f"{label}: no {', '.join(missing)} field(s); a stack of EGMS points needs each "
                                 "point's line of sight (EGMS L2a / L2b loaded by Load EGMS; L3 holds none)")
        feats = read_dated_features(layer, label, uri=uri)
        if len(feats.dates) < 2:
            raise GeohazardError(f"{label}: {len(feats.dates)} dated field(s); a stack needs two dates or more")
        x, y = _points_xy(feats.wkb)
        crs = layer.crs()
        if crs.authid() != f"EPSG:{EGMS_EPSG}":  # a load of files with latitude / longitude only (EPSG:4326)
            if not crs.isValid():
                raise GeohazardError(f"{label}: the layer has no CRS")
            from pyproj import Transformer

            x, y = Transformer.from_crs(crs.toWkt(), f"EPSG:{EGMS_EPSG}", always_xy=True).transform(x, y)
            x, y = np.asarray(x, float), np.asarray(y, float)
        keep = np.isfinite(x) & np.isfinite(y)  # points without a geometry are left out
        los = tuple(np.asarray(feats.attributes[f], float)[keep] for f in _LOS_FIELDS)
        _grid_points(x[keep], y[keep], feats.displacement_mm[:, keep], los, feats.dates,
                     f"{os.path.basename(path)}|{layer_name}", series_path, los_path, cell_m)
    return _points_stack(series_path, los_path, name, f"{os.path.basename(path)} layer {layer_name}")


def _points_xy(wkbs) -> tuple:
    """x, y of point geometries as WKB (NaN for a missing geometry)."""
    from qgis.core import QgsGeometry

    x = np.full(len(wkbs), np.nan)
    y = np.full(len(wkbs), np.nan)
    for i, b in enumerate(wkbs):
        if b is None:
            continue
        g = QgsGeometry()
        g.fromWkb(b)
        if g.isNull() or g.isEmpty():
            continue
        p = g.asPoint() if not g.isMultipart() else g.asMultiPoint()[0]
        x[i], y[i] = p.x(), p.y()
    return x, y


def _write(path: str, arr: np.ndarray, descriptions: list, metadata: dict, kw: dict) -> None:
    """One band per date (or LOS component) in tiles sized for the grid and the band count (a block of rows reads
    every band: 256 x 256 tiles on a small grid decoded 256 KB a band for a few pixels)."""
    edge = series_tile_size(kw["width"], kw["height"], arr.shape[0])
    w = RasterWriter(path, count=arr.shape[0], descriptions=descriptions, metadata=metadata, tile_rows=edge,
                     tile_cols=edge, **kw)
    w.write(np.asarray(arr, np.float32), row=0)
    w.commit()
