"""GDAL <-> numpy: the code lives in :mod:`processing_provider.raster_io` (its historical place,
imported by every branch); this is its name in the IO package (the same module object)."""

import sys

from .. import raster_io as _raster_io

sys.modules[__name__] = _raster_io
