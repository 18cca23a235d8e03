"""Models' own parameter checks with GDAL's side-car files off, and the inputs of a run left as they were.

QGIS checks a model's inputs before running it (``QgsProcessingModelAlgorithm.checkParameterValues``, then
``validateInputCrs``): a raster-layer or multiple-raster input given as a file path is loaded as a
``QgsRasterLayer`` into the run's context, and its default renderer (a cumulative-cut contrast stretch) computes
a histogram that GDAL's PAM keeps and writes as ``<input>.aux.xml`` beside the input when the context's layers
are closed after the run. The tools' own raster inputs avoid this (:class:`.inputs.declare.QuietRaster`,
:class:`.inputs.declare.PathList`) and a shipped model declares its inputs so; the inputs of a model a user draws
are QGIS's own parameter types. For a model with at least one of this plugin's tools as a step, its checks are
run with PAM off (thread-local, as every tool reads its inputs), so the layers QGIS keeps for the run never write
beside the inputs. Installed by the plugin's ``initProcessing``, removed by ``unload``.

``qgis_process`` checks a model in C++, where the wrapper is not called: its input layers are loaded with PAM on
and would write when the run's context closes them. Each tool of the run therefore notes, before it checks or
reads anything, the state of the ``.aux.xml`` of every raster layer QGIS holds in the run's context that was not
loaded quietly (:func:`watch_input_layers`: the inputs of the model's other steps too, since a step refused
before them ends the model), and puts it back (absent, or its former bytes and times) as soon as that layer is
closed (the context's layer store says so, after GDAL wrote): the listing of the inputs' folders after the run,
completed or refused, is the one before it.
"""

from __future__ import annotations

import os

_PATCHED = ("checkParameterValues", "validateInputCrs")
_ORIGINALS: dict = {}
#: Custom property of a raster layer opened with PAM off (nothing to put back when it closes).
QUIET_MARK = "geohazard/quiet_gdal"
#: ``{id(store): (store, {layer id: (aux path, bytes or None, (atime, mtime) or None)})}`` of the layer stores watched.
_WATCHED: dict = {}


def _uses_our_tools(model) -> bool:
    """Whether a step of ``model`` is one of the plugin's tools, read from the model's definition: its
    ``childAlgorithms()`` would copy every step, and QGIS makes each copied step's tool anew."""
    try:
        children = (model.toVariant() or {}).get("children") or {}
    except (AttributeError, RuntimeError):
        return False
    return any(str((child or {}).get("alg_id", "")).startswith("geohazard:") for child in children.values())


def _quiet(name, original):
    def method(self, *args, **kwargs):
        if not _uses_our_tools(self):
            return original(self, *args, **kwargs)

        context = args[1] if len(args) > 1 else kwargs.get("context")
        before = layer_ids(context)
        with quiet_gdal_reads():
            if not str(self.id()).startswith("geohazard:"):  # a user's model (the shipped ones read their lists)
                preload_raster_lists(self, args[0] if args else kwargs.get("parameters"), context)
            result = original(self, *args, **kwargs)
        mark_quiet(context, before)
        return result

    method.__name__ = name
    method.__doc__ = original.__doc__
    method._geohazard_quiet = True
    return method


def preload_raster_lists(model, parameters, context) -> list:
    """The files given to the model's raster-list inputs (QGIS's multiple-layer input) loaded as raster layers into
    ``context``'s layer store before QGIS checks them; returns the ids of the layers loaded. A user's model only: they
    stay in the run's context (QGIS resolves the list again when it writes the run's command), which a shipped
    model's stack of hundreds of interferograms need not hold.

    QGIS finds a list item by its source among the context's layers; one it has not loaded yet it tries as a vector
    layer first, and the OGR provider logs "[OGR] Cannot open <file>" for each raster (once per context: the
    dialog's check, the run, the history), before its GDAL provider opens it. Loaded here with the GDAL provider
    as QGIS loads them (no default style, no CRS prompt), the same layers, without the lines."""
    from qgis.core import QgsProcessing, QgsProject, QgsRasterLayer

    store = _store(context)
    if store is None or not isinstance(parameters, dict):
        return []
    known = {os.path.realpath(_file_of(layer)) for layer in store.mapLayers().values()}
    options = QgsRasterLayer.LayerOptions()
    options.loadDefaultStyle = False
    options.skipCrsValidation = True
    loaded = []
    for d in model.parameterDefinitions():
        if d.type() != "multilayer" or d.layerType() != QgsProcessing.SourceType.TypeRaster:
            continue
        value = parameters.get(d.name())
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if not isinstance(item, str) or not os.path.isfile(item) or item.lower().endswith(NOT_DATA) \
                    or os.path.realpath(item) in known or QgsProject.instance().mapLayer(item) is not None:
                continue
            layer = QgsRasterLayer(item, os.path.basename(item).split(".")[0], "gdal", options)
            if layer.isValid():
                store.addMapLayer(layer)
                known.add(os.path.realpath(item))
                loaded.append(layer.id())
    return loaded


def install() -> None:
    """Wrap the model class's checks (once)."""
    from qgis.core import QgsProcessingModelAlgorithm

    for name in _PATCHED:
        current = getattr(QgsProcessingModelAlgorithm, name)
        if getattr(current, "_geohazard_quiet", False):
            continue
        # the class's own entry (a method descriptor, which binds) to put back, or None when inherited
        _ORIGINALS[name] = QgsProcessingModelAlgorithm.__dict__.get(name)
        setattr(QgsProcessingModelAlgorithm, name, _quiet(name, current))


def uninstall() -> None:
    """Put QGIS's checks back."""
    from qgis.core import QgsProcessingModelAlgorithm

    for name, original in list(_ORIGINALS.items()):
        if original is None:
            delattr(QgsProcessingModelAlgorithm, name)
        else:
            setattr(QgsProcessingModelAlgorithm, name, original)
        del _ORIGINALS[name]


def _store(context):
    try:
        return context.temporaryLayerStore() if context is not None else None
    except (AttributeError, RuntimeError):
        return None


def layer_ids(context) -> set:
    """The IDs of the layers the context's temporary store holds."""
    store = _store(context)
    return set(store.mapLayers()) if store is not None else set()


def mark_quiet(context, before: set) -> None:
    """Mark the layers added to ``context``'s layer store since ``before`` (ids) as opened with PAM off."""
    store = _store(context)
    if store is None:
        return
    for lid, layer in store.mapLayers().items():
        if lid not in before:
            layer.setCustomProperty(QUIET_MARK, True)


def _file_of(layer) -> str:
    return strip_uri(layer.source())


def watch_input_layers(context, input_paths=None) -> int:
    """Note the ``.aux.xml`` state of each raster layer of ``context``'s layer store whose file is one of
    ``input_paths`` (real paths; None: every raster layer of the store, the inputs of the model's other steps too)
    and that was not opened quietly, and put it back when the store closes the layer (GDAL's PAM writes the
    statistics QGIS's renderer computed then). Returns how many layers are watched."""
    from qgis.core import QgsRasterLayer

    store = _store(context)
    if store is None:
        return 0
    files = set(input_paths) if input_paths is not None else None
    key = id(store)
    watched = _WATCHED.get(key, (store, {}))[1]
    added = 0
    for lid, layer in store.mapLayers().items():
        if lid in watched or not isinstance(layer, QgsRasterLayer) or layer.providerType() != "gdal" \
                or layer.customProperty(QUIET_MARK):
            continue
        path = _file_of(layer)
        if not path or (files is not None and os.path.realpath(path) not in files):
            continue
        aux = path + ".aux.xml"
        try:
            with open(aux, "rb") as fh:
                state = (aux, fh.read(), (os.stat(aux).st_atime_ns, os.stat(aux).st_mtime_ns))
        except OSError:
            state = (aux, None, None)
        watched[lid] = state
        added += 1
    if added and key not in _WATCHED:
        _WATCHED[key] = (store, watched)
        store.layerRemoved.connect(lambda lid, key=key: _restore(key, lid))
        store.destroyed.connect(lambda *_, key=key: _forget(key))
    return added


def _restore(key, layer_id: str) -> None:
    entry = _WATCHED.get(key)
    if entry is None or layer_id not in entry[1]:
        return
    aux, content, times = entry[1].pop(layer_id)
    try:
        if content is None:
            if os.path.exists(aux):
                os.remove(aux)
            return
        with open(aux, "rb") as fh:
            now = fh.read()
        if now != content:
            with open(aux, "wb") as fh:
                fh.write(content)
        os.utime(aux, ns=times)
    except OSError:
        pass  # an input folder that cannot be written: GDAL could not write there either


def _forget(key) -> None:
    _WATCHED.pop(key, None)


#: Shipped models running in this thread (their steps run in the model's thread, one after the other).
import threading  # noqa: E402

from ..fileio.base.probe import NOT_DATA, quiet_gdal_reads, strip_uri  # noqa: E402
from ..fileio.base.raster import RASTER_EXT  # noqa: E402

_MODEL_RUN = threading.local()


class shipped_model_run:  # noqa: N801 - used as a context manager
    """While a shipped model runs: its steps' raster results are kept as layers of the run (:func:`keep_rasters`)."""

    def __enter__(self):
        _MODEL_RUN.depth = getattr(_MODEL_RUN, "depth", 0) + 1
        return self

    def __exit__(self, *exc):
        _MODEL_RUN.depth -= 1
        return False


def in_shipped_model() -> bool:
    return getattr(_MODEL_RUN, "depth", 0) > 0


#: The custom property holding a kept layer's real file path (a store of hundreds of layers is looked up by it, not
#: by resolving every layer's source again).
REAL_PATH = "geohazard_real_path"


def _raster_index(store) -> dict:
    """``{real file path: raster layer}`` of the layers in ``store``."""
    from qgis.core import QgsRasterLayer

    index = {}
    for layer in store.mapLayers().values():
        if isinstance(layer, QgsRasterLayer):
            real = layer.customProperty(REAL_PATH) or os.path.realpath(layer.source().split("|")[0])
            index.setdefault(real, layer)
    return index


def raster_layer(context, path: str, index: dict | None = None):
    """The raster file ``path`` as a layer of ``context``'s layer store, opened as a raster with GDAL's side-car
    files off (added when not there yet); None when GDAL does not open it as a raster. QGIS's own loader of a
    path with no layer type tries its OGR provider first ("[OGR] Cannot open <file>.tif" in the log).
    ``index``: the store's :func:`_raster_index`, kept up to date here (several paths looked up in one pass)."""
    from qgis.core import QgsRasterLayer

    store = context.temporaryLayerStore() if context is not None else None
    if store is None or not isinstance(path, str) or not os.path.isfile(path):
        return None
    real = os.path.realpath(path)
    index = _raster_index(store) if index is None else index
    if real in index:
        return index[real]
    with quiet_gdal_reads():
        layer = QgsRasterLayer(path, os.path.splitext(os.path.basename(path))[0], "gdal",
                               QgsRasterLayer.LayerOptions(False))
    if not layer.isValid():
        return None
    layer.setCustomProperty(QUIET_MARK, True)
    layer.setCustomProperty(REAL_PATH, real)
    store.addMapLayer(layer)
    index[real] = layer
    return layer


def keep_rasters(context, paths) -> int:
    """Open the raster files ``paths`` as layers of ``context``'s layer store (:func:`raster_layer`).

    Before each step a model makes the step's variables (``@<step>_<output>_minx`` ...) from the model's single
    raster inputs and the earlier steps' single raster results, loading each with no layer type, so QGIS's OGR
    provider tries a GeoTIFF first and logs "[OGR] Cannot open <file>" for each, at each step; a layer already in
    the store is found by its source instead. The callers give those rasters only: the files of a folder output
    or of a list input are no step's variables (opening each of them as a layer cost more than the chain's own
    work on a small stack). Returns the number of rasters kept."""
    paths = [p for p in paths if isinstance(p, str) and p.lower().endswith(RASTER_EXT)]
    store = context.temporaryLayerStore() if context is not None and paths else None
    if store is None:
        return 0
    index = _raster_index(store)
    return sum(raster_layer(context, p, index) is not None for p in paths)
