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
