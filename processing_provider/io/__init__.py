"""The provider's IO layer: everything that turns QGIS parameters, layers and files into
arrays and back, so that the ``tools_*.py`` modules hold only thin adapters.

``stacks``    interferogram stacks (folders, lists, MintPy ifgramStack.h5) -> LOS mm blocks
``slc``       SLC stacks and their block-engine source
``points``    dated point / polygon layers and dated raster bands
``faults``    fault traces, slip patches, LOS datasets of the fault tools, fault WKB
``geometry``  incidence / heading rasters, metric pixel sizes, LOS fields of points
``forecast``  the inverse-velocity forecast table and PNG plots
``ada``       fast point tables, metric CRS, GeoPackage points and outlines of the ADA tools
``kinematics`` LOS point layers, grids, stations, driver tables of the kinematics tools
``offsets``   output grid, stable-area polygons, resampling and pair stacks of the offset tools
``unwrap``    input data type and read-back of the unwrapping tool
``corrections`` stack in network order, fit masks, DEM range, delay maps and writers of the stack corrections
``corrections_ts`` stack input, block loops, writers and CSV tables of the closure / time-series corrections
``writers``   groups of raster writers published together, compression threads
``styles``    .qml sidecars and styles of the outputs, arrangement of loaded outputs
``raster``    GDAL <-> numpy (the code is ``processing_provider/raster_io.py``, re-exported here)
``vector``    OGR point layers <-> arrays, GeoPackage writer (``processing_provider/vector_io.py``)

Nothing here imports a ``tools_*`` module; ``ui/`` imports from here, never from a tool.
"""
