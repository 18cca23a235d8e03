"""The ADA tools' files: QGIS features of their vector inputs and outputs (metric geometries, polygons overlaid on
polygons or rasters, input features copied with the attributes a tool adds)."""
