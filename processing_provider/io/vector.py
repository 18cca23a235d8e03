"""OGR layers <-> arrays and the GeoPackage writer: the code lives in
:mod:`processing_provider.vector_io` (its historical place); this is its name in the IO package
(the same module object)."""

import sys

from .. import vector_io as _vector_io

sys.modules[__name__] = _vector_io
