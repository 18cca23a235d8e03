"""Pure numerical core of InSAR Geohazards.

Nothing in this package imports QGIS, Qt, GDAL's Python bindings or the plugin's
``processing_provider``/``ui`` layers: it is usable from a notebook, a batch script or
a worker process, and testable without QGIS. Conventions (units, LOS sign, array
order) are stated once in :mod:`algorithms.conventions`.
"""
