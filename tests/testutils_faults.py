"""Helpers for the fault-tool tests: line layers written with OGR."""

from __future__ import annotations

import os

from testutils import vector_features

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "coulomb_inputs")


def write_lines(path, lines, *, epsg=32633, fields=None):
    """Write a GeoPackage line layer; ``lines`` is a list of [(x, y), ...]; ``fields`` name -> list of floats."""
    from osgeo import ogr, osr

    drv = ogr.GetDriverByName("GPKG")
    ds = drv.CreateDataSource(str(path))
    srs = None
    if epsg is not None:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lyr = ds.CreateLayer("faults", srs, ogr.wkbLineString)
    fields = fields or {}
    for k in fields:
        lyr.CreateField(ogr.FieldDefn(k, ogr.OFTReal))
    for i, pts in enumerate(lines):
        f = ogr.Feature(lyr.GetLayerDefn())
        g = ogr.Geometry(ogr.wkbLineString)
        for x, y in pts:
            g.AddPoint_2D(float(x), float(y))
        f.SetGeometry(g)
        for k, v in fields.items():
            f.SetField(k, float(v[i]))
        lyr.CreateFeature(f)
    ds = None
    return str(path)


def read_raster(path):
    from osgeo import gdal

    ds = gdal.Open(str(path))
    arr = ds.ReadAsArray()
    desc = [ds.GetRasterBand(i + 1).GetDescription() for i in range(ds.RasterCount)]
    return arr, ds.GetGeoTransform(), desc


def read_features(path):
    names, rows = vector_features(path)
    return [{n: r[n] for n in names} for r in rows]
