"""The floor the others stand on: GDAL/OGR <-> numpy, files probed, outputs published, the block runner."""
