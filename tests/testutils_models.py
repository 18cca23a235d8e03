"""Test helpers for the time-series model tools (no QGIS import at module level)."""

from __future__ import annotations

import glob
import os

import numpy as np
from testutils import vector_features

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RADARSAT_SHP = glob.glob(os.path.join(ROOT, "tests", "data", "radarsat_boissano", "*.shp"))[0]


def write_dated_layer(path, dates, values, *, prefix="D", epsg=32632, polygons=False, extra=None):
    """GeoPackage with one feature per column of ``values`` (n_dates, m) and dated fields ``prefix+YYYYMMDD``."""
    from osgeo import ogr, osr

    values = np.asarray(values, dtype=float)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("points", srs, ogr.wkbPolygon if polygons else ogr.wkbPoint)
    layer.CreateField(ogr.FieldDefn("CODE", ogr.OFTString))
    for name in (extra or {}):
        layer.CreateField(ogr.FieldDefn(name, ogr.OFTReal))
    names = [prefix + d.strftime("%Y%m%d") for d in dates]
    for n in names:
        layer.CreateField(ogr.FieldDefn(n, ogr.OFTReal))
    for j in range(values.shape[1]):
        f = ogr.Feature(layer.GetLayerDefn())
        x, y = 500000.0 + 20 * j, 4800000.0
        if polygons:
            wkt = f"POLYGON(({x} {y},{x + 10} {y},{x + 10} {y + 10},{x} {y + 10},{x} {y}))"
        else:
            wkt = f"POINT({x} {y})"
        f.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        f["CODE"] = f"P{j}"
        for name, arr in (extra or {}).items():
            f[name] = float(arr[j])
        for i, n in enumerate(names):
            if np.isfinite(values[i, j]):
                f[n] = float(values[i, j])
        layer.CreateFeature(f)
    ds = None
    return str(path)


def read_layer(path):
    """(field names, list of attribute dicts) of the first layer of ``path``."""
    names, rows = vector_features(path)
    return names, [{n: r[n] for n in names} for r in rows]


def model_meaning(model):
    """What a model does, independent of how a QGIS version serialises it: its inputs (name, type,
    optional, description), its children (algorithm, where each parameter comes from) and its
    outputs (public name, child output, description)."""
    from qgis.core import QgsProcessingParameterDefinition

    optional = QgsProcessingParameterDefinition.Flag.FlagOptional
    params = sorted((p.name(), p.type(), bool(p.flags() & optional), p.description())
                    for p in model.parameterDefinitions() if not p.isDestination())
    outputs = sorted(p.name() for p in model.destinationParameterDefinitions())
    children = {}
    for cid, child in model.childAlgorithms().items():
        sources = {name: sorted((int(src.source()), src.parameterName(), src.outputChildId(), src.outputName(),
                                 repr(src.staticValue()), src.expression()) for src in srcs)
                   for name, srcs in child.parameterSources().items()}
        outs = {n: (o.childOutputName(), o.description()) for n, o in child.modelOutputs().items()}
        children[cid] = (child.algorithmId(), child.description(), sources, outs)
    return {"name": model.name(), "group": model.group(), "inputs": params, "outputs": outputs,
            "children": children, "help": model.helpContent()}


def build_models_module():
    """``models/build_models.py`` loaded as a module (the script that writes the shipped models)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_models", os.path.join(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))), "models", "build_models.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rebuilt_model(main: str, path):
    """The model the build script's ``main`` function writes to ``path``, loaded back."""
    from qgis.core import QgsProcessingModelAlgorithm

    fresh = QgsProcessingModelAlgorithm()
    assert fresh.fromFile(getattr(build_models_module(), main)(str(path)))
    return fresh


def drawn_model(name, inputs, steps, *, group="tests", after=None):
    """A model as a user draws it in the modeler: ``inputs``, QGIS parameter definitions, each a model input of
    its own name; ``steps``, ``(child id, algorithm id, {parameter: source}, {model output: (child output,
    description)})`` in order; a source is the name of a model input (a string), ``(child id, its output)`` or a
    static value (a number); ``after``, child id -> the child ids it waits for."""
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildDependency,
        QgsProcessingModelChildParameterSource,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
    )

    def _source(spec):
        if isinstance(spec, str):
            return QgsProcessingModelChildParameterSource.fromModelParameter(spec)
        if isinstance(spec, tuple):
            return QgsProcessingModelChildParameterSource.fromChildOutput(*spec)
        return QgsProcessingModelChildParameterSource.fromStaticValue(spec)

    model = QgsProcessingModelAlgorithm(name, group, group)
    for definition in inputs:
        model.addModelParameter(definition, QgsProcessingModelParameter(definition.name()))
    for child_id, alg_id, sources, outputs in steps:
        child = QgsProcessingModelChildAlgorithm(alg_id)
        child.setChildId(child_id)
        for key, source in sources.items():
            child.addParameterSources(key, [_source(source)])
        kept = {}
        for out_name, (child_output, description) in outputs.items():
            kept[out_name] = QgsProcessingModelOutput(out_name, description)
            kept[out_name].setChildId(child_id)
            kept[out_name].setChildOutputName(child_output)
        child.setModelOutputs(kept)
        child.setDependencies([QgsProcessingModelChildDependency(c) for c in (after or {}).get(child_id, ())])
        model.addChildAlgorithm(child)
    return model
