"""The numbers an output file holds, as one digest: a raster's bands (values and their no-data), a vector's or a
table's rows (attributes and geometry as text). Used on both sides of tests/hostile/test_optional_packages.py: the
same numbers, wherever and whenever the file was written (paths and dates in metadata do not count)."""

import hashlib
import os


def values(path: str) -> str:
    from osgeo import gdal, ogr

    h = hashlib.sha1()
    ext = os.path.splitext(path)[1].lower()
    if ext in (".tif", ".tiff", ".vrt"):
        ds = gdal.Open(path)
        for b in range(1, ds.RasterCount + 1):
            band = ds.GetRasterBand(b)
            h.update(band.ReadAsArray().tobytes())
            h.update(repr(band.GetNoDataValue()).encode())
        return h.hexdigest()
    if ext in (".gpkg", ".shp", ".geojson"):
        ds = ogr.Open(path)
        for i in range(ds.GetLayerCount()):
            layer = ds.GetLayer(i)
            for feature in layer:
                h.update(repr([feature.GetField(k) for k in range(feature.GetFieldCount())]).encode())
                geom = feature.GetGeometryRef()
                h.update((geom.ExportToWkt() if geom is not None else "").encode())
        return h.hexdigest()
    if ext in (".csv", ".txt"):
        with open(path, "rb") as fh:
            h.update(fh.read())
        return h.hexdigest()
    return ""
