"""The guard layer: checks every tool runs before and after its computation.

:class:`..tools._base.GeohazardAlgorithm` calls :func:`check_before` before ``process`` and
:func:`..fileio.base.probe.degenerate_outputs` on the results, so a tool declares what is special about it (class
attributes, see ``tools/_base.py``) instead of repeating checks; the files themselves are opened by
:mod:`..fileio.base.probe`:

* outputs: each destination is a new file, never an input of the run or a side-car of
  one (``.aux.xml``, ``.dbf``, ``-wal`` ...), compared by real path, including the files
  of folder inputs and vector sources such as ``file.gpkg|layername=x``; its folder
  exists and is writable (tried, not guessed); its extension is one the writer honours;
* inputs: every raster is opened and read at its first and last row (a truncated
  GeoTIFF is named before the computation, not met as a GDAL traceback half-way), has
  valid pixels, is real unless complex data are expected, is a coherence on the 0-1
  scale where a coherence is expected; every vector source has the geometry type it is
  declared with and a CRS where its geometry is used; declared pairs of layers overlap;
  scalar parameters are physically plausible (``algorithms/plausibility.py``);
* results: outputs that came out empty (all NoData, no features, every value NULL)
  are reported as warnings naming the output instead of a silent success.

Checking an input never writes a file next to it: PAM is off while checking and running
(no ``<input>.aux.xml`` with statistics) and gzip indexes are off
(``CPL_VSIL_GZIP_WRITE_PROPERTIES=NO``; QGIS writes ``*.par.gz.properties`` next to
GAMMA baseline files whenever it probes them as layers, which the provider also turns off
for the whole session when it loads).
"""

from __future__ import annotations

import datetime as _dt
import os

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterDefinition,
    QgsProject,
    QgsProperty,
    QgsRasterLayer,
    QgsRectangle,
    QgsWkbTypes,
)

from ...algorithms.errors import GeohazardError
from ...algorithms.formats.dates import parse_date
from ...algorithms.plausibility import BY_PARAMETER, DATE_PARAMETERS, check_date, check_scalar
from ...fileio.base.probe import (
    NOT_DATA,
    RASTER_OUT_EXT,
    VECTOR_OUT_EXT,
    check_writable_folder,
    open_problem,
    probe_rasters,
    remember_header,
    strip_uri,
)
from ...fileio.base.raster import RASTER_EXT
from ...fileio.base.vector import file_layers
from ..model_checks import raster_layer
from . import delivered
from .angles import check_heading_raster, check_incidence_raster
from .listing import _item_paths, _real, input_files, product_files, remember_input_files  # noqa: F401 (the guard's API)


def _dest_kind(d) -> str:
    return {"rasterDestination": "raster", "vectorDestination": "vector", "sink": "vector",
            "fileDestination": "file", "folderDestination": "folder"}.get(d.type(), "other")


def _file_filter_exts(d) -> tuple:
    import re

    filt = d.fileFilter() if hasattr(d, "fileFilter") else ""
    exts = tuple("." + e.lower() for e in re.findall(r"\*\.([A-Za-z0-9_]+)", filt or ""))
    return tuple(e for e in exts if e != ".*")


def resolve_outputs(alg, parameters, context) -> tuple[dict, dict]:
    """Resolve each destination once; returns (parameters with the resolved paths, {name: (path, kind)}).

    Temporary outputs get their file name here, so the tool, the guard and the run's
    transaction all see the same path.
    """
    params = dict(parameters)
    targets = {}
    for d in alg.destinationParameterDefinitions():
        name = d.name()
        value = parameters.get(name)
        kind = _dest_kind(d)
        if value is None or value == "" or (isinstance(value, QgsProcessingOutputLayerDefinition)
                                            and not value.sink.staticValue()):
            if d.flags() & QgsProcessingParameterDefinition.Flag.FlagOptional or kind not in ("raster", "vector",
                                                                                             "file"):
                continue
            # a required output left out (a script's processing.run): a temporary file, as the dialog and
            # qgis_process give, rather than writing to an empty path
            value = params[name] = QgsProcessing.TEMPORARY_OUTPUT
        if kind == "folder":
            text = str(value.sink.staticValue() if isinstance(value, QgsProcessingOutputLayerDefinition) else value)
            if text and text != QgsProcessing.TEMPORARY_OUTPUT:
                targets[name] = (text, kind)
            continue
        if kind in ("raster", "vector"):
            path = alg.parameterAsOutputLayer(params, name, context)
        elif kind == "file":
            path = alg.parameterAsFileOutput(params, name, context)
        else:
            continue
        if not path:
            continue
        if isinstance(value, QgsProcessingOutputLayerDefinition):
            new = QgsProcessingOutputLayerDefinition(value)
            new.sink = QgsProperty.fromValue(path)
            params[name] = new
        else:
            params[name] = path
        targets[name] = (path, kind)
    return params, targets


def check_outputs(alg, targets: dict, inputs: dict) -> None:
    """Refuse outputs that would overwrite an input, sit in a missing or read-only folder, or have a
    file type the tool does not write."""
    defs = {d.name(): d for d in alg.destinationParameterDefinitions()}
    seen = {}
    gpkg_only = set(getattr(alg, "GPKG_OUTPUTS", ()))
    for name, (path, kind) in targets.items():
        file_part = strip_uri(path)
        real = _real(file_part)[0]
        if real in inputs:
            raise GeohazardError(
                f"{name}: {file_part!r} is (or belongs to) the input {inputs[real]} of this run; writing it would "
                f"destroy the input. Choose another output file name")
        if real in seen:
            raise GeohazardError(f"{name} and {seen[real]} are the same file {file_part!r}; give each output its "
                                 "own file name")
        seen[real] = name
        if kind == "folder" and os.path.exists(real) and not os.path.isdir(real):
            raise GeohazardError(f"{name}: {file_part!r} is a file, not a folder; choose a folder path (it is "
                                 "created when missing)")
        if kind != "folder" and os.path.isdir(real):
            raise GeohazardError(f"{name}: {file_part!r} is a folder; give a file name inside it")
        ext = os.path.splitext(file_part)[1].lower()
        if kind == "raster" and ext not in RASTER_OUT_EXT:
            raise GeohazardError(f"{name}: {os.path.basename(file_part)!r} - this tool writes GeoTIFF rasters; "
                                 "use the extension .tif")
        if kind == "vector":
            allowed = (".gpkg",) if name in gpkg_only else VECTOR_OUT_EXT
            if ext not in allowed:
                raise GeohazardError(f"{name}: {os.path.basename(file_part)!r} - this tool writes "
                                     f"{'GeoPackage' if allowed == ('.gpkg',) else 'vector'} files; use the "
                                     f"extension {' or '.join(allowed[:4])}")
        if kind == "file":
            exts = _file_filter_exts(defs[name])
            if exts and ext not in exts:
                raise GeohazardError(f"{name}: {os.path.basename(file_part)!r} - use the extension "
                                     f"{' or '.join(exts)}")
        folder = os.path.dirname(real)
        if kind == "folder":
            folder = real if os.path.isdir(real) else os.path.dirname(real)
        check_writable_folder(name, folder)


# ============================================================================ inputs
def _raster_items(alg, parameters, context) -> list[tuple[str, str]]:
    """(parameter name, file) of every raster input, folder contents expanded.

    A tool that picks files from folders itself defines ``input_raster_files(parameters,
    context) -> {parameter: [files]}`` so the guard checks exactly the files it will read.
    """
    out = []
    own = alg.input_raster_files(parameters, context) if hasattr(alg, "input_raster_files") else {}
    for name, paths in own.items():
        out += [(name, p) for p in paths]
    for d in alg.parameterDefinitions():
        if d.isDestination() or d.name() in own:
            continue
        if d.type() == "raster":
            pass
        elif d.type() == "multilayer" and d.layerType() in (QgsProcessing.SourceType.TypeRaster,):
            pass
        else:
            continue
        value = parameters.get(d.name())
        if d.type() == "raster" and delivered.is_product(value):
            out.append((d.name(), delivered.resolve(alg, d.name(), value)))
            continue
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if isinstance(item, str) and delivered.is_product(item):
                out.append((d.name(), delivered.resolve(alg, d.name(), item)))
                continue
            if isinstance(item, str) and os.path.isdir(item):
                out += [(d.name(), os.path.join(item, f)) for f in sorted(os.listdir(item))
                        if f.lower().endswith(RASTER_EXT)]
                continue
            for p in _item_paths(item, context):
                if not p.lower().endswith(NOT_DATA):  # "Add Directory..." lists .aux.xml files too
                    out.append((d.name(), p))
    # the band the parameter's content option names (ISCE's los: band 2 for a heading)
    return [(n, delivered.content_view(alg, parameters, context, n, p)) for n, p in out]


def check_rasters(alg, parameters, context, feedback=None) -> None:
    complex_ok = set(getattr(alg, "COMPLEX_INPUTS", ()))
    # a tool whose mode reads a series band by band names it: multiband_inputs(parameters, context)
    extra = getattr(alg, "multiband_inputs", None)
    multiband = set(getattr(alg, "MULTIBAND_INPUTS", ())) | set(extra(parameters, context) if extra else ())
    coherence = set(getattr(alg, "COHERENCE_INPUTS", ("COHERENCE",)))
    by_param: dict = {}
    items = _raster_items(alg, parameters, context)
    # stacks: files probed side by side; first problem in list order
    infos = probe_rasters([(name, path, {"complex_ok": name in complex_ok, "multiband_ok": name in multiband,
                                         "coherence": name in coherence}) for name, path in items])
    for (name, path), info in zip(items, infos):
        remember_header(path, info["header"])
        by_param.setdefault(name, []).append((path, info))
        if info["band"] == 2 and feedback is not None:
            feedback.pushInfo(f"{name}: {os.path.basename(path)} is amplitude + phase; reading the phase (band 2)")
    for name, items in by_param.items():
        if name not in multiband and feedback is not None:
            warn_extra_bands(name, items, feedback)
        if name.startswith("INCIDENCE_RASTER"):
            check_incidence_raster(alg, parameters, context, name, [p for p, _ in items])
        if name.startswith("HEADING_RASTER"):
            check_heading_raster(alg, parameters, context, name, [p for p, _ in items])
        empty = [os.path.basename(p) for p, i in items if not i["valid"]]
        if empty and len(empty) == len(items):
            what = empty[0] if len(items) == 1 else f"all {len(items)} rasters"
            raise GeohazardError(f"{name}: {what} {'has' if len(items) == 1 else 'have'} no valid pixel (every "
                                 "pixel is no-data or infinite); nothing can be computed from it")
        if empty and feedback is not None:
            feedback.pushWarning(f"{name}: {len(empty)} raster(s) have no valid pixel and add nothing: "
                                 f"{', '.join(empty[:5])}{' ...' if len(empty) > 5 else ''}")


def warn_extra_bands(name: str, items, feedback) -> None:
    """Say which band is read when a one-quantity input has more bands than the one it uses."""
    extra = [(os.path.basename(p), i["bands"], i["band"]) for p, i in items if i["bands"] > 1 and i["band"] == 1]
    if not extra:
        return
    base, bands, _ = extra[0]
    which = base if len(extra) == 1 else f"{len(extra)} of its {len(items)} rasters (e.g. {base})"
    feedback.pushWarning(f"{name}: {which} {'has' if len(extra) == 1 else 'have'} {bands} bands; only band 1 is "
                         "read, the other bands are ignored. If the data are in another band, extract that band "
                         "first (Raster > Extraction, or gdal_translate -b N)")


_GEOM_OF_TYPE = {
    QgsProcessing.SourceType.TypeVectorPoint: QgsWkbTypes.GeometryType.PointGeometry,
    QgsProcessing.SourceType.TypeVectorLine: QgsWkbTypes.GeometryType.LineGeometry,
    QgsProcessing.SourceType.TypeVectorPolygon: QgsWkbTypes.GeometryType.PolygonGeometry,
}
_GEOM_WORD = {QgsWkbTypes.GeometryType.PointGeometry: "point", QgsWkbTypes.GeometryType.LineGeometry: "line",
              QgsWkbTypes.GeometryType.PolygonGeometry: "polygon"}


def sibling_layers(layer) -> tuple:
    """``(path, [(name, kind, features), ...])`` when ``layer`` was loaded from a bare path to a file of several
    layers of its geometry kind (a loadegms GeoPackage: one layer per track), the first being the one QGIS read;
    ``("", [])`` otherwise (a layer chosen with ``|layername=``, a single layer, a memory layer)."""
    from qgis.core import QgsProviderRegistry

    if layer is None or layer.providerType() != "ogr":
        return "", []
    parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
    if parts.get("layerName") or parts.get("layerId") not in (None, "") or not parts.get("path"):
        return "", []
    path = parts["path"]
    found = file_layers(path)
    if len(found) < 2:
        return "", []
    kind = found[0][1]
    same = [found[0]] + [f for f in found[1:] if f[1] and f[1] == kind]
    return (path, same) if len(same) > 1 else ("", [])


def layers_left_out(name: str, layer) -> str:
    """A warning when ``layer`` was loaded from a bare path to a file of several layers of its geometry kind
    (:func:`sibling_layers`): QGIS reads the first and nothing says the others are left out; "" otherwise."""
    path, found = sibling_layers(layer)
    if not found:
        return ""
    (read, kind, count), others = found[0], [(n, c) for n, _, c in found[1:]]
    base = os.path.basename(path)
    listed = ", ".join(f"{n} ({c} features)" for n, c in others)
    return (f"{name}: {base} holds {len(others) + 1} {kind or 'vector'} layers; only the first, {read} ({count} "
            f"features), is read and {listed} {'is' if len(others) == 1 else 'are'} left out (layers are never "
            "merged: a loadegms output holds one track or component per layer, whose velocities are along different "
            f"lines of sight). To read another, give {base}|layername=<layer>, e.g. {base}|layername={others[0][0]}")


def check_vectors(alg, parameters, context, feedback=None) -> None:
    """Declared geometry type and a valid CRS for every vector source given; a file of several layers of which
    only the first is read is reported (:func:`layers_left_out`)."""
    crs_free = set(getattr(alg, "CRS_FREE_INPUTS", ()))
    for d in alg.parameterDefinitions():
        if d.isDestination() or d.type() not in ("source", "vector"):
            continue
        if not parameters.get(d.name()):
            continue
        layer = alg.parameterAsVectorLayer(parameters, d.name(), context)
        if layer is None:
            source = alg.parameterAsSource(parameters, d.name(), context)
            if source is None:
                raise GeohazardError(f"{d.name()}: {parameters.get(d.name())!r} is not a vector layer QGIS can read")
            geom, crs, lname = QgsWkbTypes.geometryType(source.wkbType()), source.sourceCrs(), d.name()
        else:
            geom, crs, lname = layer.geometryType(), data_crs(layer), layer.name()
            every = d.name() in getattr(alg, "EVERY_LAYER_INPUTS", ())  # the tool reads each layer in turn
            note = layers_left_out(d.name(), layer) if feedback is not None and not every else ""
            if note:
                feedback.pushWarning(note)
        wanted = {_GEOM_OF_TYPE[t] for t in d.dataTypes() if t in _GEOM_OF_TYPE}
        if wanted and geom not in wanted and geom in _GEOM_WORD:
            words = " or ".join(sorted(_GEOM_WORD[g] for g in wanted))
            raise GeohazardError(f"{d.name()}: layer {lname!r} has {_GEOM_WORD[geom]} geometries; a {words} layer is "
                                 "expected")
        if d.name() not in crs_free and geom in _GEOM_WORD and not crs.isValid():
            raise GeohazardError(f"{d.name()}: layer {lname!r} has no coordinate reference system; set it (Layer "
                                 "Properties > Source, or the 'Assign projection' tool) and run again")


def _undefined(crs) -> bool:
    """GeoPackage's placeholders for "no CRS" (srs_id 0 / -1: "Undefined geographic/Cartesian SRS")."""
    text = (crs.description() or crs.toWkt()[:80]).lower()
    return not crs.authid() and "undefined" in text


def data_crs(layer):
    """CRS stored with the data (QGIS may give a layer without one a default CRS, e.g. EPSG:4326).

    A CRS the user set on a layer of the project (not on the file) is accepted too; only a
    layer that got its CRS from QGIS's "unknown CRS" fallback counts as having none.
    """
    provider = layer.dataProvider()
    pcrs = provider.crs() if provider is not None else None
    if pcrs is not None and pcrs.isValid() and _undefined(pcrs):
        pcrs = QgsCoordinateReferenceSystem()
    if pcrs is not None and pcrs.isValid():
        return pcrs
    if layer.id() and QgsProject.instance().mapLayer(layer.id()) is layer:
        return layer.crs()
    return pcrs if pcrs is not None else layer.crs()


def _extent(alg, parameters, name, context):
    """(QgsRectangle, CRS, label) of a raster or vector parameter, or None when not given."""
    if not parameters.get(name):
        return None
    d = alg.parameterDefinition(name)
    if d.type() == "raster" and delivered.is_product(parameters.get(name)):
        layer = QgsRasterLayer(delivered.resolve(alg, name, parameters.get(name)), name, "gdal")
    elif d.type() == "raster":
        layer = alg.parameterAsRasterLayer(parameters, name, context)
    elif d.type() == "multilayer":
        # the first item QGIS loads as a layer, loading no more (a stack's 30 SLCs: one layer, not 30)
        value = parameters.get(name)
        layer = None
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str) and os.path.isfile(item) and d.layerType() == QgsProcessing.SourceType.TypeRaster:
                # a raster file opened as one (QGIS's loader would try every provider on it first: "[OGR] Cannot
                # open ..." in the log)
                layer = raster_layer(context, item)
                if layer is not None:
                    break
            layers = alg.parameterAsLayerList({name: item}, name, context)
            if layers:
                layer = layers[0]
                break
    else:
        layer = alg.parameterAsVectorLayer(parameters, name, context)
        if layer is None:
            source = alg.parameterAsSource(parameters, name, context)
            if source is None:
                return None
            return source.sourceExtent(), source.sourceCrs(), name
    if layer is None:
        return None
    return layer.extent(), data_crs(layer), name


def check_overlaps(alg, parameters, context) -> None:
    """Each declared pair ``(A, B[, margin])`` in ``alg.OVERLAP`` must overlap when both are given.

    ``margin`` (default 0) grows the extent of A by that fraction of its size (at least of
    50 km, 0.5 deg in a geographic CRS) on each side: a fault may lie outside the data, but
    not 900 km away.
    """
    for entry in getattr(alg, "OVERLAP", ()):
        a, b = entry[0], entry[1]
        margin = entry[2] if len(entry) > 2 else 0.0
        ea, eb = _extent(alg, parameters, a, context), _extent(alg, parameters, b, context)
        if ea is None or eb is None:
            continue
        (ra, ca, _), (rb, cb, _) = ea, eb
        if _no_extent(ra):  # the main layer of the pair
            raise GeohazardError(f"{a}: the layer has no features (or none with a geometry); give a layer with at "
                                 "least one")
        if _no_extent(rb):  # an empty second layer (e.g. no ADA found by an earlier step) lies nowhere: nothing
            continue        # to compare, the tool reports what it could not use
        if not ca.isValid() or not cb.isValid():
            # radar (pixel) geometry: the tool checks that the grids match; vector layers
            # without CRS were refused by check_vectors already
            continue
        if ca != cb:
            try:
                tr = QgsCoordinateTransform(cb, ca, context.transformContext() if context is not None
                                            else QgsProject.instance().transformContext())
                rb = tr.transformBoundingBox(rb)
            except Exception:  # noqa: BLE001 - QgsCsException: the extents cannot be compared
                raise GeohazardError(f"{b} cannot be transformed to the CRS of {a} to compare their areas") from None
        grown = QgsRectangle(ra)
        size = max(ra.width(), ra.height())
        floor = 0.5 if ca.isGeographic() else 50_000.0  # small data sets: still allow 50 km (0.5 deg)
        grown.grow(margin * max(size, floor) + 1e-9 * max(size, 1.0))
        if ra.isEmpty() and rb.isEmpty():
            continue
        if not grown.intersects(rb):
            raise GeohazardError(
                f"{a} and {b} do not overlap ({a}: {_fmt(ra)}, {b}: {_fmt(rb)} in {ca.authid() or 'the CRS of ' + a}); "
                f"{b} must {'lie near' if margin else 'cover the same area as'} {a}: check the layers and their CRS")


def _no_extent(r: QgsRectangle) -> bool:
    """An empty layer's extent (null, or min above max: QGIS gives +-1.8e308)."""
    return r.isNull() or r.xMinimum() > r.xMaximum() or r.yMinimum() > r.yMaximum()


def _fmt(r: QgsRectangle) -> str:
    return f"{r.xMinimum():.6g}..{r.xMaximum():.6g}, {r.yMinimum():.6g}..{r.yMaximum():.6g}"


def range_problem(alg, parameters, context) -> str:
    """A clear message for what QGIS would only call "Incorrect parameter value for X".

    A number outside its declared range (the range is given), and a file in a raster or
    vector input that GDAL cannot open (the file is named, also inside a list).
    """
    problem = _unreadable_file_problem(alg, parameters, context)
    if problem:
        return problem
    for d in alg.parameterDefinitions():
        if d.type() != "number":
            continue
        value = parameters.get(d.name())
        if value is None or value == "" or not isinstance(value, (int, float, str)):
            continue
        try:
            v = float(value)
        except (TypeError, ValueError):
            return f"{d.name()}: {value!r} is not a number (use a dot as decimal separator)"
        if v != v:
            return f"{d.name()}: expected a number, got {value!r}"
        lo, hi = d.minimum(), d.maximum()
        if (v < lo or v > hi) and d.checkValueIsAcceptable(value) is False:
            hint = getattr(alg, "RANGE_HINTS", {}).get(d.name()) or getattr(BY_PARAMETER.get(d.name()), "usual", "")
            usual = f" ({hint})" if hint else ""
            if hi >= 1e300:
                accepted = f"at least {lo:g}"
            elif lo <= -1e300:
                accepted = f"at most {hi:g}"
            else:
                accepted = f"{lo:g} to {hi:g}"
            return f"{d.name()} = {v:g} is outside the accepted range ({accepted}){usual}; check the value and its unit"
    return ""


_FILE_INPUT_TYPES = ("raster", "vector", "source", "multilayer", "file", "mesh", "pointcloud")


def missing_file_problem(alg, parameters) -> str:
    """A message naming the parameter and the path when an input given as a file path does not exist
    (QGIS's own check would only say "Incorrect parameter value"); "" when every path exists. Layer IDs,
    names of loaded layers, data-source URIs and GDAL virtual paths are left to QGIS."""
    for d in alg.parameterDefinitions():
        if d.isDestination() or d.type() not in _FILE_INPUT_TYPES:
            continue
        value = parameters.get(d.name())
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if not isinstance(item, str) or not item or "|" in item or "://" in item or item.startswith("/vsi") \
                    or item.upper().startswith(("NETCDF:", "HDF5:")):
                continue
            if (os.sep in item or "/" in item) and not os.path.exists(item) \
                    and QgsProject.instance().mapLayer(item) is None:
                return f"{d.name()}: the file {item!r} does not exist"
    return ""


def _unreadable_file_problem(alg, parameters, context=None) -> str:
    own = {}
    if hasattr(alg, "input_raster_files"):
        try:  # the files the tool keeps from a list or folder (sidecars, a DEM ... left out)
            own = alg.input_raster_files(parameters, context)
        except (GeohazardError, QgsProcessingException):
            own = {}
    for d in alg.parameterDefinitions():
        kind = d.type()
        if d.isDestination() or kind not in ("raster", "multilayer", "source", "vector"):
            continue
        if kind == "multilayer" and d.layerType() == QgsProcessing.SourceType.TypeFile:
            continue
        value = parameters.get(d.name())
        items = own[d.name()] if d.name() in own else value if isinstance(value, (list, tuple)) else [value]
        folders = d.name() in getattr(alg, "FOLDER_INPUTS", ())
        for item in items:
            if not isinstance(item, str) or delivered.is_product(item):  # HDF5: read and named by .delivered
                continue
            path = strip_uri(item)
            if not os.path.isfile(path) or path.lower().endswith(NOT_DATA):
                continue
            if folders and path.lower().endswith(".zip"):
                continue  # a product's zip: the stack reader lists it (and names a zip cut short)
            raster = kind == "raster" or (kind == "multilayer" and d.layerType() == QgsProcessing.SourceType.TypeRaster)
            what = "raster" if raster else "vector layer" if kind in ("source", "vector") else "layer"
            why = open_problem(path, what)
            if why:
                return (f"{d.name()}: {os.path.basename(path)} is not a {what} GDAL can read ({why}); check the "
                        "file (a copy or download may be incomplete)")
    return ""


def check_scalars(alg, parameters, context) -> None:
    """Physical plausibility of known scalar parameters (wavelength, incidence, dates ...)."""
    for d in alg.parameterDefinitions():
        name = d.name()
        value = parameters.get(name)
        if value is None or value == "":
            continue
        if name in BY_PARAMETER and d.type() == "number":
            check_scalar(name, alg.parameterAsDouble(parameters, name, context))
        elif name in DATE_PARAMETERS:
            text = alg.parameterAsString(parameters, name, context).strip()
            if not text:
                continue
            try:
                day = parse_date(text)
            except (GeohazardError, ValueError):
                continue  # the tool's own check explains the accepted formats
            check_date(name, day if isinstance(day, _dt.date) else day.date())


def check_before(alg, parameters, context, feedback=None) -> dict:
    """Every check that needs no computation; returns the parameters with outputs resolved."""
    params, targets = resolve_outputs(alg, parameters, context)
    inputs = remember_input_files(alg, params, context)
    check_outputs(alg, targets, {**product_files(alg), **inputs})  # a product's files inside its folders too
    check_scalars(alg, params, context)
    check_vectors(alg, params, context, feedback)
    check_rasters(alg, params, context, feedback)
    delivered.announce(alg, params, feedback, context)
    check_overlaps(alg, params, context)
    return params, targets


# ============================================================================ results


