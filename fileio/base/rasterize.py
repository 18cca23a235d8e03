"""Polygons burnt on a raster grid (GDAL's rasterizer in memory): the masks of stable areas and inventories."""

from __future__ import annotations

import numpy as np
from osgeo import gdal, osr

from .raster import RasterInfo

gdal.UseExceptions()


def burn_polygons(wkbs, info: RasterInfo) -> np.ndarray:
    """Polygons (WKB in the CRS of ``info``) burnt on its grid: uint8, 1 where a pixel centre is inside."""
    from osgeo import ogr

    # GDAL >= 3.11 holds vectors in "MEM" and warns that "Memory" is deprecated; older GDAL has only "Memory"
    vds = (ogr.GetDriverByName("MEM") or ogr.GetDriverByName("Memory")).CreateDataSource("polygons")
    srs = None
    if info.crs_wkt:
        srs = osr.SpatialReference()
        srs.ImportFromWkt(info.crs_wkt)
    layer = vds.CreateLayer("polygons", srs, ogr.wkbMultiPolygon)
    for wkb in wkbs:
        f = ogr.Feature(layer.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkb(bytes(wkb)))
        layer.CreateFeature(f)
    mem = gdal.GetDriverByName("MEM").Create("", info.width, info.height, 1, gdal.GDT_Byte)
    mem.SetGeoTransform(info.geotransform)
    if info.crs_wkt:
        mem.SetProjection(info.crs_wkt)
    gdal.RasterizeLayer(mem, [1], layer, burn_values=[1])
    arr = mem.GetRasterBand(1).ReadAsArray().astype(np.uint8)
    mem = None
    return arr
