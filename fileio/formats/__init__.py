"""Products as delivered, through GDAL: a stack product's pairs on one grid (products.py, on the StackSpec the
core's producer registry reads), GAMMA and ISCE2 rasters as VRTs (gamma.py, product_sources.py), an HDF5 result of
MintPy, LiCSBAS or OPERA as a dated GeoTIFF (mintpy.py), EGMS tiles into one GeoPackage (egms.py), rasters in m as
scaled VRTs (units.py)."""
