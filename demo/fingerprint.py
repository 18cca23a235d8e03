"""Fingerprint every output of a `make demo` folder, or compare a folder with a fingerprint.

Rasters are hashed by their pixel arrays, nodata, geotransform, CRS, band descriptions and metadata
(read with GDAL, so file-level bytes such as compression details do not count); vectors by their layers'
fields, geometry and attributes feature by feature (OGR); HDF5 files by datasets and attributes; text
files (CSV, TXT, HTML) by their content with the output folder's path replaced, QML styles as canonical XML
(attributes sorted: Qt writes them in a random order); other files by their bytes. Usage:

    python3 demo/fingerprint.py OUTPUT_FOLDER > reference.json
    python3 demo/fingerprint.py OUTPUT_FOLDER --against reference.json   # exit 1 on any difference
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

SKIPPED = (".qgz", ".qgs", ".aux.xml", ".log")
TEXT = (".csv", ".txt", ".qml", ".html", ".json", ".inp")


def _h(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else repr(p).encode())
    return h.hexdigest()[:16]


def raster(path: str) -> dict:
    from osgeo import gdal

    ds = gdal.Open(path)
    bands = []
    for i in range(1, ds.RasterCount + 1):
        band = ds.GetRasterBand(i)
        data = band.ReadAsArray()
        bands.append(_h(data.dtype.str, data.shape, data.tobytes(), band.GetNoDataValue(),
                        band.GetDescription(), sorted((band.GetMetadata() or {}).items())))
    crs = ds.GetProjection()
    return {"bands": bands, "georef": _h(ds.GetGeoTransform(), crs),
            "metadata": _h(sorted((ds.GetMetadata() or {}).items()))}


def vector(path: str) -> dict:
    from osgeo import ogr

    ds = ogr.Open(path)
    layers = {}
    for i in range(ds.GetLayerCount()):
        layer = ds.GetLayerByIndex(i)
        defn = layer.GetLayerDefn()
        fields = [(defn.GetFieldDefn(j).GetName(), defn.GetFieldDefn(j).GetTypeName())
                  for j in range(defn.GetFieldCount())]
        srs = layer.GetSpatialRef()
        feats = []
        for f in layer:
            g = f.GetGeometryRef()
            feats.append(_h(f.GetFID(), g.ExportToIsoWkb() if g is not None else b"",
                            [f.GetField(j) for j in range(defn.GetFieldCount())]))
        layers[layer.GetName()] = {"fields": fields, "crs": _h(srs.ExportToWkt() if srs else ""),
                                   "n": len(feats), "features": _h(*feats)}
    return layers


def hdf5(path: str) -> dict:
    import h5py
    import numpy as np

    out = {}

    def visit(name, obj):
        attrs = sorted((k, np.asarray(v).tobytes()) for k, v in obj.attrs.items())
        data = obj[()].tobytes() if isinstance(obj, h5py.Dataset) else b""
        out[name or "/"] = _h(attrs, data)

    with h5py.File(path, "r") as f:
        visit("", f)
        f.visititems(visit)
    return out


def fingerprint(folder: str) -> dict:
    folder = os.path.abspath(folder)
    result = {}
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            low = name.lower()
            if low.endswith(SKIPPED) or ".part." in low:
                continue
            if low.endswith(".tif"):
                result[rel] = raster(path)
            elif low.endswith((".gpkg", ".shp")):
                result[rel] = vector(path)
            elif low.endswith(".h5"):
                result[rel] = hdf5(path)
            elif low.endswith(TEXT):
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read().replace(folder, "<OUT>")
                if low.endswith(".qml"):  # Qt writes XML attributes in a random order: compare them sorted
                    import xml.etree.ElementTree as ET

                    text = ET.canonicalize(text)
                result[rel] = _h(text)
            else:
                with open(path, "rb") as f:
                    result[rel] = _h(f.read())
    return result


def differences(now: dict, ref: dict) -> list:
    lines = [f"missing: {k}" for k in sorted(set(ref) - set(now))]
    lines += [f"new: {k}" for k in sorted(set(now) - set(ref))]
    lines += [f"differs: {k}" for k in sorted(set(now) & set(ref)) if now[k] != ref[k]]
    return lines


def main(argv) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        return 2
    now = fingerprint(argv[0])
    if "--against" in argv:
        with open(argv[argv.index("--against") + 1]) as f:
            ref = json.load(f)
        diff = differences(json.loads(json.dumps(now)), ref)
        print("\n".join(diff) if diff else f"identical: {len(now)} outputs")
        return 1 if diff else 0
    json.dump(now, sys.stdout, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
