"""How results look and land in a QGIS project: styles, temporal layers, the layer tree."""
