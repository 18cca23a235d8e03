"""Which files a run's input parameters point at: layers, source definitions, paths, folders and layer IDs
resolved to real paths with their side-cars, listed once per run (the guard, the processing history and the
geometry stamping share the listing)."""

from __future__ import annotations

import os
import stat
from typing import Optional

from qgis.core import QgsMapLayer, QgsProcessingFeatureSourceDefinition, QgsProcessingUtils, QgsProperty

from ...algorithms.errors import GeohazardError
from ...fileio.base.probe import SIDECARS, strip_uri

_PARAM_INPUT_TYPES = ("raster", "multilayer", "source", "vector", "file", "layer", "mesh", "pointcloud")


def _real(path: str, real_dirs: Optional[dict] = None) -> tuple[str, bool]:
    """``(real path, is a regular file)``. ``real_dirs`` caches the folders already resolved: a file that is
    not a link resolves to its folder's real path joined with its name, so a folder of hundreds of rasters
    costs one ``lstat`` per file instead of one per path component."""
    path = os.path.abspath(path)
    if real_dirs is not None:
        real, st = _resolved(path, real_dirs)
        if st is not None:
            return real, stat.S_ISREG(st.st_mode)
    else:
        real = os.path.realpath(path)
    return real, os.path.isfile(real)


def real_paths(paths) -> list[str]:
    """``os.path.realpath`` of each of ``paths``, a folder resolved once for all its files (:func:`real_path`)."""
    real_dirs: dict = {}
    return [real_path(p, real_dirs) for p in paths]


def real_path(path: str, real_dirs: dict) -> str:
    """``os.path.realpath(path)``, the same answer at one ``lstat`` instead of one a path component: an absolute,
    normalised path whose last part is no link resolves to its folder's real path (kept in ``real_dirs``) joined
    with its name; any other path is resolved by ``os.path.realpath``."""
    return _resolved(path, real_dirs)[0]


def _resolved(path: str, real_dirs: dict) -> tuple:
    """``(os.path.realpath(path), its lstat)`` for an absolute, normalised path whose last part is no link (its
    folder resolved once, kept in ``real_dirs``); ``(os.path.realpath(path), None)`` for any other."""
    if os.sep == "/" and path.startswith("/") and not path.startswith("//") and os.path.normpath(path) == path:
        head, _, tail = path.rpartition("/")
        if tail not in ("", ".", ".."):
            try:
                st = os.lstat(path)
            except OSError:
                st = None
            if st is not None and not stat.S_ISLNK(st.st_mode):
                real_head = real_dirs.get(head)
                if real_head is None:
                    real_head = real_dirs[head] = os.path.realpath(head or "/")
                return os.path.join(real_head, tail), st
    return os.path.realpath(path), None


def _layer_file(layer: QgsMapLayer) -> Optional[str]:
    src = strip_uri(layer.source())
    return src if os.path.exists(src) else None


def _item_paths(item, context) -> list[str]:
    """Files behind one parameter value item (layer, source definition, path, folder, layer ID)."""
    if item is None:
        return []
    if isinstance(item, QgsProcessingFeatureSourceDefinition):
        item = item.source.staticValue() if isinstance(item.source, QgsProperty) else item.source
    if isinstance(item, QgsProperty):
        item = item.staticValue()
    if isinstance(item, QgsMapLayer):
        p = _layer_file(item)
        return [p] if p else []
    if isinstance(item, (list, tuple)):
        return [p for sub in item for p in _item_paths(sub, context)]
    text = str(item).strip()
    if not text:
        return []
    path = strip_uri(text)
    if os.path.isdir(path):
        return [path] + sorted(os.path.join(path, f) for f in os.listdir(path)
                               if os.path.isfile(os.path.join(path, f)))
    if os.path.exists(path):
        return [path]
    if context is not None:
        layer = QgsProcessingUtils.mapLayerFromString(text, context, False)
        if layer is not None:
            p = _layer_file(layer)
            return [p] if p else []
    return []


def _named_files(alg, parameters, context) -> dict:
    """The files a tool reads through one of its inputs beyond the value itself (``input_raster_files``: a folder's
    stack files, the rasters a manifest names), so that no output is written over them; ``{}`` when the tool's
    lister refuses the value (its own checks say why)."""
    if not hasattr(alg, "input_raster_files"):
        return {}
    from qgis.core import QgsProcessingException

    try:
        return {k: list(v) for k, v in (alg.input_raster_files(parameters, context) or {}).items()}
    except (GeohazardError, QgsProcessingException):
        return {}


def input_files(alg, parameters, context) -> dict:
    """``{real path: parameter name}`` of every file an input parameter points at, side-cars included.

    Listed once per run: the guard, the history and the geometry stamping of one run share the listing
    (kept on ``alg`` for this ``parameters`` object until the run ends)."""
    cached = getattr(alg, "_geohazard_input_files", None)
    if cached is not None and cached[0] is parameters:
        return dict(cached[1])
    out: dict = {}
    real_dirs: dict = {}
    named = _named_files(alg, parameters, context)
    for d in alg.parameterDefinitions():
        if d.isDestination() or d.type() not in _PARAM_INPUT_TYPES:
            continue
        keys: list = []
        for p in _item_paths(parameters.get(d.name()), context) + named.get(d.name(), []):
            rp, is_file = _real(p, real_dirs)
            keys.append(rp)
            if is_file:
                keys += _with_sidecars(rp)
        _add_first(out, keys, d.name())
    return out


def _with_sidecars(rp: str) -> list:
    """The side-cars a file ``rp`` may have, in the listing's order (``<file><side-car>``, ``<stem><side-car>``)."""
    stem = os.path.splitext(rp)[0]
    return [k for s in SIDECARS for k in (rp + s, stem + s)]


def _add_first(out: dict, keys: list, value) -> None:
    """``out.setdefault(key, value)`` for each of ``keys`` in order (a key already there keeps its value and place)."""
    new = dict.fromkeys(keys, value)
    if out.keys().isdisjoint(new):
        out.update(new)
        return
    for key in new:
        out.setdefault(key, value)


def product_files(alg) -> dict:
    """``{real path: parameter name}`` of the files (side-cars included) of the products this run reads: a LiCSAR
    frame's pair folders, HyP3 zips, a GAMMA tree ... (:meth:`~...algorithms.formats.stack_spec.StackSpec.
    source_files` of the products opened while the stack's files were listed). No output may be written over them;
    the history and the geometry read the inputs' own listing (:func:`input_files`)."""
    out: dict = {}
    real_dirs: dict = {}
    for key, product in (getattr(alg, "_geohazard_products", None) or {}).items():
        if product is None:
            continue
        keys: list = []
        for p in product.spec.source_files():
            rp, is_file = _real(p, real_dirs)
            keys.append(rp)
            if is_file:
                keys += _with_sidecars(rp)
        _add_first(out, keys, key[0])
    return out


def remember_input_files(alg, parameters, context) -> dict:
    """:func:`input_files` of ``parameters``, listed now and reused by the later calls of this run."""
    alg._geohazard_input_files = None
    out = input_files(alg, parameters, context)
    alg._geohazard_input_files = (parameters, out)
    return dict(out)
