"""Small shims for API that changed between QGIS 3.22 (our minimum) and QGIS 3.40+/4 (Qt6).

* Field types: ``QgsField(name, QVariant.Type)`` is deprecated from QGIS 3.38 and QVariant.Type does
  not exist under Qt6; from 3.38 QgsField takes a ``QMetaType.Type``. ``FIELD_DOUBLE`` etc. are the
  right value for the running QGIS.
* Raster band minimum/maximum: ``QgsRasterInterface.bandStatistics`` with ``QgsRasterBandStats.Stats``
  flags moved to ``Qgis.RasterBandStatistic`` in 3.40; ``band_min_max`` reads them through GDAL,
  which is the same on every version.
* Model child parameter sources: ``MODEL_SOURCE_STATIC_VALUE``.
"""

from __future__ import annotations

import math

from osgeo import gdal
from qgis.core import Qgis

if Qgis.QGIS_VERSION_INT >= 33800:
    from qgis.PyQt.QtCore import QMetaType

    FIELD_DOUBLE = QMetaType.Type.Double
    FIELD_INT = QMetaType.Type.Int
    FIELD_STRING = QMetaType.Type.QString
    FIELD_BOOL = QMetaType.Type.Bool
else:  # QGIS 3.22 - 3.36: QgsField(name, QVariant.Type)
    from qgis.PyQt.QtCore import QVariant

    FIELD_DOUBLE = QVariant.Type.Double
    FIELD_INT = QVariant.Type.Int
    FIELD_STRING = QVariant.Type.String
    FIELD_BOOL = QVariant.Type.Bool

# Where a model child's parameter value comes from: the nested enum
# QgsProcessingModelChildParameterSource.Source became Qgis.ProcessingModelChildParameterSource (3.30)
# and is gone from the Python API of 3.40.
if hasattr(Qgis, "ProcessingModelChildParameterSource"):
    MODEL_SOURCE_STATIC_VALUE = Qgis.ProcessingModelChildParameterSource.StaticValue
    MODEL_SOURCE_MODEL_PARAMETER = Qgis.ProcessingModelChildParameterSource.ModelParameter
    MODEL_SOURCE_CHILD_OUTPUT = Qgis.ProcessingModelChildParameterSource.ChildOutput
else:  # QGIS 3.22 - 3.28
    from qgis.core import QgsProcessingModelChildParameterSource

    MODEL_SOURCE_STATIC_VALUE = QgsProcessingModelChildParameterSource.Source.StaticValue
    MODEL_SOURCE_MODEL_PARAMETER = QgsProcessingModelChildParameterSource.Source.ModelParameter
    MODEL_SOURCE_CHILD_OUTPUT = QgsProcessingModelChildParameterSource.Source.ChildOutput


def band_min_max(path: str, band: int = 1) -> tuple[float, float] | None:
    """Exact minimum and maximum of one band (nodata ignored); None when the band has no valid pixel
    or the file cannot be read."""
    ds = gdal.Open(path)
    if ds is None or not 1 <= band <= ds.RasterCount:
        return None
    rb = ds.GetRasterBand(band)
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        lo, hi = rb.ComputeRasterMinMax(False)
    except (RuntimeError, TypeError):  # every pixel is nodata (GDAL with exceptions enabled)
        return None
    finally:
        gdal.PopErrorHandler()
        rb = None
        ds = None
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    return float(lo), float(hi)
