"""Layer and output parameters into plain values: file paths, point tables, chosen fields.

A raster parameter becomes a GDAL file path (:func:`raster_path`), a point layer a
:class:`..fileio.motion.ada.PointTable` of arrays (:func:`read_point_table`), a destination a path or nothing when the
user left an optional output out (:func:`output_paths`).
"""

from __future__ import annotations

import os

import numpy as np
from qgis.core import (
    QgsProcessingException,
    QgsProcessingFeatureSourceDefinition,
    QgsRasterLayer,
)

from ...algorithms.errors import GeohazardError
from ...algorithms.formats import geometry_meta as gm
from ...algorithms.formats.dates import dated_fields
from ...algorithms.formats.units import sentinel_mask, sentinel_message, sentinel_values
from ...algorithms.kinematics.validation import Station, read_station_csv
from ...fileio.base import vector
from ...fileio.base.blocks import raster_source
from ...fileio.base.raster import check_same_grid, raster_info
from ...fileio.base.rasterize import burn_polygons
from ...fileio.base.vector import read_points
from ...fileio.corrections.corrections import mask_raster
from ...fileio.faults.faults import read_los_datasets
from ...fileio.kinematics.kinematics import table_as_csv
from ...fileio.motion.ada import (
    HEIGHT_CANDIDATES,
    STD_CANDIDATES,
    VELOCITY_CANDIDATES,
    PointTable,
    find_field,
)
from ...fileio.motion.points import point_table, source_uri
from . import delivered
from .acquisition import heading_hint, incidence_hint, scene_value
from .ids import ASC_HEADING, ASC_INCIDENCE, DESC_HEADING, DESC_INCIDENCE, LOS_ASC, LOS_DESC


def raster_path(alg, parameters, name: str, context) -> str:
    """File path of a raster parameter as the tool reads it (a MintPy HDF5 result or a displacement in metres read
    as delivered, :mod:`.delivered`); raises naming the parameter when it is not a GDAL raster."""
    value = parameters.get(name)
    if delivered.is_product(value):
        return delivered.content_view(alg, parameters, context, name, delivered.resolve(alg, name, value))
    layer = alg.parameterAsRasterLayer(parameters, name, context)
    if layer is None:
        value = parameters.get(name)
        if value is None or value == "":
            raise QgsProcessingException(alg.invalidRasterError(parameters, name))
        raise QgsProcessingException(f"{name}: {value!r} is not a raster layer or file QGIS can read")
    if not isinstance(layer, QgsRasterLayer) or layer.providerType() != "gdal":
        raise QgsProcessingException(f"{name}: layer {layer.name()!r} is not a file-based (GDAL) raster")
    return delivered.content_view(alg, parameters, context, name, delivered.resolve(alg, name, layer.source()))


def same_source(alg, parameters, names, context) -> str:
    """The file name two raster parameters ``names`` share (the same file, by real path, or the same layer), ""
    when they differ or one is not given."""
    paths = []
    for name in names:
        value = parameters.get(name)
        if value in (None, ""):
            return ""
        layer = alg.parameterAsRasterLayer(parameters, name, context)
        text = layer.source() if layer is not None else (value if isinstance(value, str) else "")
        text = text.split("|")[0]
        if not text:
            return ""
        paths.append(os.path.realpath(text) if os.path.exists(text) else text)
    return os.path.basename(paths[0]) if len(set(paths)) == 1 else ""


def output_paths(alg, parameters, names, context, *, optional=()) -> dict:
    """Paths of raster/vector destinations; the ``optional`` ones are left out (absent from the
    result) when the user did not ask for them, so they are neither written nor loaded."""
    return {k: alg.parameterAsOutputLayer(parameters, k, context) for k in names
            if k not in optional or parameters.get(k)}


def optional_file(alg, parameters, name: str, context) -> str:
    """Path of a file (or folder) destination, or "" when the user left it out."""
    return alg.parameterAsFileOutput(parameters, name, context) if parameters.get(name) else ""


def polygons_wkb(alg, parameters, name: str, context, crs_wkt: str) -> list:
    """The polygons of a vector parameter as WKB in the CRS ``crs_wkt`` (empty: the layer's own)."""
    source = alg.parameterAsSource(parameters, name, context)
    if source is None:
        raise GeohazardError(f"{name}: not a polygon layer QGIS can read")
    return [wkb for _, wkb in vector.polygons_wkb(source, crs_wkt, context.transformContext())]


def polygons_with_ids(alg, parameters, name: str, context, crs_wkt: str) -> list:
    """``[(feature id, WKB in crs_wkt)]`` of a polygon parameter (empty geometries left out); refused, naming
    ``name``, when it holds no polygon."""
    out = vector.polygons_wkb(feature_source(alg, parameters, name, context), crs_wkt, context.transformContext())
    if not out:
        raise GeohazardError(f"{name}: the layer has no polygon")
    return out


def fit_mask(alg, parameters, context, info):
    """The fit mask on the grid of ``info`` (uint8, 1 = use) from STABLE_AREA and/or MASK; None when neither."""
    mask = mask_raster(raster_path(alg, parameters, "MASK", context), info) if parameters.get("MASK") else None
    if parameters.get("STABLE_AREA"):
        polygons = polygons_wkb(alg, parameters, "STABLE_AREA", context, info.crs_wkt)
        if not polygons:
            raise GeohazardError("STABLE_AREA: the layer has no polygon")
        burnt = burn_polygons(polygons, info)
        mask = burnt if mask is None else (mask & burnt)
    if mask is not None and not mask.any():
        raise GeohazardError("STABLE_AREA / MASK: the stable area covers no pixel of the interferograms")
    return mask


def geometry_sources(alg, parameters, context, info) -> dict:
    """Optional slant-range and incidence rasters (demerrorcorrection) as engine sources on the series' grid."""
    sources, grids, names = {}, [info], ["INPUT"]
    for key, name in (("SLANT_RANGE_RASTER", "slant_range"), ("INCIDENCE_RASTER", "incidence")):
        if parameters.get(key):
            path = raster_path(alg, parameters, key, context)
            grids.append(raster_info(path, key))
            names.append(key)
            sources[name] = raster_source(path, dtype=np.float64, name=key)
    check_same_grid(grids, names)
    return sources


def check_shapes(alg, parameters, context, names, shape, *, like: str = "INPUT") -> None:
    """The raster parameters of ``names`` that are given have ``shape`` (rows, columns), like ``like``."""
    for name in names:
        if parameters.get(name):
            info = raster_info(raster_path(alg, parameters, name, context), name)
            if info.shape != tuple(shape):
                raise GeohazardError(f"{name} has {info.height} rows x {info.width} columns, expected "
                                     f"{shape[0]} x {shape[1]} like {like}")


def dated_source(alg, parameters, name, context) -> tuple:
    """``(feature source, OGR source of its layer or '')`` of a parameter whose dated series may be in a netCDF
    series file (loadegms): the readers of fileio/ look for the file through the second."""
    return (alg.parameterAsSource(parameters, name, context),
            source_uri(alg.parameterAsVectorLayer(parameters, name, context)))


def source_layer(alg, parameters, name, context):
    """The vector layer of a source parameter; raises naming the parameter when QGIS cannot read it."""
    layer = alg.parameterAsVectorLayer(parameters, name, context)
    if layer is None:
        raise GeohazardError(f"{name}: {parameters.get(name)!r} is not a vector layer QGIS can read")
    return layer


def feature_source(alg, parameters, name, context):
    """The feature source of a vector parameter; raises QGIS's message when it cannot be read."""
    source = alg.parameterAsSource(parameters, name, context)
    if source is None:
        raise QgsProcessingException(alg.invalidSourceError(parameters, name))
    return source


def feature_sink(alg, parameters, name, context, fields, like) -> tuple:
    """``(sink, destination)`` of a feature-sink output with ``fields`` and the geometry type and CRS of the
    source ``like``; raises QGIS's message when it cannot be created."""
    sink, dest = alg.parameterAsSink(parameters, name, context, fields, like.wkbType(), like.sourceCrs())
    if sink is None:
        raise QgsProcessingException(alg.invalidSinkError(parameters, name))
    return sink, dest


def limited_source(parameters, name) -> bool:
    """The parameter ``name`` asks for selected features only or a feature limit (read feature by feature)."""
    value = parameters.get(name)
    return isinstance(value, QgsProcessingFeatureSourceDefinition) and (
        value.selectedFeaturesOnly or value.featureLimit != -1)


def read_point_table(alg, parameters, name, context, field_names, progress=None, feedback=None) -> PointTable:
    """A point parameter as arrays (GDAL's Arrow stream for OGR layers, else a feature loop), undeclared no-data
    values of its fields (-9999, -32768, the float extremes) read as NaN with a warning on ``feedback``
    (:func:`mask_sentinels`)."""
    table = point_table(source_layer(alg, parameters, name, context),
                        lambda: alg.parameterAsSource(parameters, name, context), name, field_names, progress,
                        limited=limited_source(parameters, name), context=context)
    mask_sentinels(table, [f for f in field_names if f in table.attributes], name, feedback)
    return table


def numeric_fields(layer, pid: str, names) -> list:
    """``[(field, None)]`` of the fields ``names`` of ``layer``, each refused naming ``pid`` when the layer has no
    such field or it is not numeric (text holds no values to compare or fit)."""
    out = []
    fields = layer.fields()
    for name in names:
        idx = fields.lookupField(name)
        if idx < 0:
            raise GeohazardError(f"{pid}: the layer {layer.name()!r} has no field {name!r}; its fields are: "
                                 f"{', '.join(fields.names()[:12])}")
        f = fields.at(idx)
        if not f.isNumeric():
            raise GeohazardError(f"{pid}: the field {name!r} of {layer.name()!r} is {f.typeName() or 'text'}, not a "
                                 "number: choose the field that holds the values (a text field can be converted with "
                                 "the Field calculator, to_real(\"field\"))")
        out.append((name, None))
    return out


def dated_point_fields(layer, pid: str) -> list:
    """``[(field, date)]`` of a point layer's numeric dated fields (DYYYYMMDD, D_YYYYMMDD, YYYYMMDD), by date;
    refused naming ``pid`` when it has none."""
    found = [(f, d) for f, d in dated_fields(layer.fields().names()) if layer.fields().field(f).isNumeric()]
    if not found:
        raise GeohazardError(f"{pid}: the layer {layer.name()!r} has no numeric dated fields (DYYYYMMDD): name the "
                             "field of values to compare")
    return found


def has_dated_fields(layer) -> bool:
    """The layer has numeric dated fields (a displacement series per point)."""
    try:
        return any(layer.fields().field(f).isNumeric() for f, _ in dated_fields(layer.fields().names()))
    except GeohazardError:
        return True  # two fields of one date: the reader names them


def mask_sentinels(table, fields, pid: str, feedback=None) -> None:
    """Undeclared no-data values (-32768, -9999, the float extremes) in the fields of a point table read as no data
    (NaN), with a warning naming ``pid`` and the field (:func:`~algorithms.formats.units.sentinel_values`)."""
    for name in fields:
        try:
            values = np.asarray(table.attributes[name], np.float64)
        except (TypeError, ValueError):
            continue  # text: no number to mask
        found = sentinel_values(values)
        if not found:
            continue
        table.attributes[name] = np.where(sentinel_mask(values, found), np.nan, values)
        if feedback is not None:
            feedback.pushWarning(sentinel_message(f"{pid}: field {name}", found, total=values.size).replace(
                "gdal_edit -a_nodata", "a NULL instead of"))


def check_velocity_field(alg, parameters, layer_name, name, context) -> None:
    """A tool's ``check``: the velocity field ``name`` of the point layer given in ``layer_name`` (when one is given
    and loads), as :func:`velocity_field` reads it."""
    layer = alg.parameterAsVectorLayer(parameters, layer_name, context)
    if layer is not None:
        velocity_field(alg, parameters, name, layer, context)


def velocity_field(alg, parameters, name, layer, context, *, required=True, candidates=VELOCITY_CANDIDATES):
    """The velocity field chosen in ``name`` (checked numeric), else the first of ``candidates`` the layer has."""
    chosen = alg.parameterAsString(parameters, name, context)
    if chosen:
        idx = layer.fields().lookupField(chosen)
        if idx < 0:
            raise GeohazardError(f"{name}: the layer has no field {chosen!r}")
        if not layer.fields().at(idx).isNumeric():
            raise GeohazardError(f"{name}: field {chosen!r} is not numeric")
        return chosen
    found = find_field(layer.fields(), candidates)
    if found is None and required:
        raise GeohazardError(
            f"{name}: no numeric velocity field found in layer {layer.name()!r} (looked for "
            f"{', '.join(candidates)}); choose the field holding the velocity in mm/yr")
    return found


def std_and_height_fields(alg, parameters, name, layer, context) -> tuple:
    """The velocity-std field (chosen in ``name``, else found by name) and a height field, or None each."""
    std = alg.parameterAsString(parameters, name, context) or find_field(layer.fields(), STD_CANDIDATES)
    return std, find_field(layer.fields(), HEIGHT_CANDIDATES)


def los_items(alg, parameters, context, feedback=None) -> list:
    """LOS_ASC / LOS_DESC as ``[(parameter ID, path, incidence_deg, heading_deg), ...]``: their geometry typed > the
    raster's metadata > refusal (what the slip inversions' runs read and quadtree-sample)."""
    items = []
    for lid, iid, hid in ((LOS_ASC, ASC_INCIDENCE, ASC_HEADING), (LOS_DESC, DESC_INCIDENCE, DESC_HEADING)):
        if not parameters.get(lid):
            continue
        path = raster_path(alg, parameters, lid, context)
        inc, head = (scene_value(alg, parameters, pid, context, feedback, key, needed=True, rasters=[path],
                                 hint=hint(pid))
                     for pid, key, hint in ((iid, gm.INCIDENCE_KEY, incidence_hint), (hid, gm.HEADING_KEY,
                                                                                      heading_hint)))
        items.append((lid, path, inc, head))
    return items


def los_datasets(alg, parameters, context, std_id, feedback=None) -> list:
    """:func:`los_items` read and quadtree-sampled for the slip inversions."""
    return read_los_datasets(los_items(alg, parameters, context, feedback),
                             alg.parameterAsDouble(parameters, std_id, context))


def station_inputs(alg, parameters, context, crs, csv_path, layer_key, name_field):
    """Stations from the CSV (long format) with coordinates from its x/y columns or the station layer."""
    if parameters.get("STATIONS_TABLE"):
        recs = read_station_csv(table_as_csv(alg.parameterAsSource(parameters, "STATIONS_TABLE", context)),
                                name="STATIONS_TABLE")
    else:
        if not csv_path or not os.path.exists(csv_path):
            raise GeohazardError(f"STATIONS_CSV {csv_path!r} does not exist; give STATIONS_CSV or STATIONS_TABLE")
        with open(csv_path, encoding="utf-8-sig") as fh:
            recs = read_station_csv(fh.read(), name="STATIONS_CSV")
    coords = {}
    if parameters.get(layer_key):
        src = alg.parameterAsSource(parameters, layer_key, context)
        pts = read_points(src, [name_field], name=layer_key, dest_crs=crs, context=context, numeric=False)
        coords = {str(v): (x, y) for v, x, y in zip(pts.attributes[name_field], pts.x, pts.y)}
    stations = []
    for nm, r in recs.items():
        if nm in coords:
            x, y = coords[nm]
        elif r["x"] is not None and r["y"] is not None and np.isfinite(r["x"]).any():
            x, y = float(np.nanmean(r["x"])), float(np.nanmean(r["y"]))
        else:
            raise GeohazardError(f"station {nm!r} has no coordinates: add x/y columns (InSAR CRS) to STATIONS_CSV "
                                 f"or a feature with {name_field} = {nm!r} to {layer_key}")
        stations.append(Station(nm, x, y, r["dates"], east=r["east"], north=r["north"], up=r["up"]))
    return stations
