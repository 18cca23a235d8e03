"""Small helpers shared by tests (no QGIS import at module level)."""

from __future__ import annotations

import numpy as np


def write_geotiff(path, array, *, geotransform=(500000.0, 30.0, 0.0, 4100000.0, 0.0, -30.0), epsg=32633,
                  nodata=None, descriptions=None):
    """Write a float32 GeoTIFF (2-D or 3-D array) with GDAL; returns ``path``."""
    from osgeo import gdal, osr

    arr = np.asarray(array, dtype=np.float32)
    if arr.ndim == 2:
        arr = arr[None]
    ds = gdal.GetDriverByName("GTiff").Create(str(path), arr.shape[2], arr.shape[1], arr.shape[0], gdal.GDT_Float32)
    if geotransform is not None:
        ds.SetGeoTransform(geotransform)
    if epsg is not None:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        ds.SetProjection(srs.ExportToWkt())
    for i in range(arr.shape[0]):
        band = ds.GetRasterBand(i + 1)
        if nodata is not None:
            band.SetNoDataValue(nodata)
        if descriptions is not None:
            band.SetDescription(descriptions[i])
        band.WriteArray(arr[i])
    ds = None
    return str(path)


def recording_feedback():
    """A QgsProcessingFeedback that keeps what the tool logs: ``.info`` and ``.warnings`` lists of str."""
    from qgis.core import QgsProcessingFeedback

    class RecordingFeedback(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.info, self.warnings = [], []

        def pushInfo(self, info, *args):
            self.info.append(info)

        def pushWarning(self, warning, *args):
            self.warnings.append(warning)

    return RecordingFeedback()
