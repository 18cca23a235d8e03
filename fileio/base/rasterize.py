"""Polygons burnt on a raster grid (GDAL's rasterizer in memory): the masks of stable areas and inventories."""

from __future__ import annotations

import numpy as np
from osgeo import gdal, osr

from .raster import RasterInfo


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


def polygon_rows_reader(info: RasterInfo, wkbs):
    """``read(r0, r1)``: the polygons (WKB in the CRS of ``info``) burnt on the rows ``r0:r1`` of its grid (uint8, 1
    inside), rows away from every polygon's envelope read as zeros without rasterizing."""
    import dataclasses

    from osgeo import ogr

    gt = info.geotransform
    envs = [ogr.CreateGeometryFromWkb(bytes(w)).GetEnvelope() for w in wkbs]
    rows = [info.world_to_pixel(np.array([e[0], e[1]]), np.array([e[3], e[2]]))[0] for e in envs]
    top, bottom = min(float(np.min(r)) for r in rows), max(float(np.max(r)) for r in rows)

    def read(r0, r1):
        if r1 <= top - 1 or r0 >= bottom + 1:
            return np.zeros((r1 - r0, info.width), dtype=np.uint8)
        sub = dataclasses.replace(info, height=r1 - r0, geotransform=(gt[0] + r0 * gt[2], gt[1], gt[2],
                                                                      gt[3] + r0 * gt[5], gt[4], gt[5]))
        return burn_polygons(wkbs, sub)

    return read
