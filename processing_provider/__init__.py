"""QGIS side of the plugin: the Processing provider and its tools, their parameters declared and read by ``inputs``;
the layers and rasters are read and written by the plugin's ``fileio`` package, the computing is the core's
(``algorithms``)."""
