"""Files <-> numpy: the provider's lowest layer. It never sees a tool's ``parameters``, ``alg`` or ``context``.

``raster``    GDAL <-> numpy: NaN nodata, block reads, RasterWriter (tiled GeoTIFF published on commit),
              GdalOpener / raster_source (picklable readers for the block engine), RASTER_EXT
``vector``    OGR point layers <-> arrays; arrays/WKB -> GeoPackage with typed fields
``blocks``    the one block loop of the tools (run_blocks) and the run-wide settings it applies
``writers``   groups of raster writers published together, compression threads
``transaction`` outputs of a run published together or not at all; SIGTERM rolls back
``probe``     files checked before a run (readable, complete, real or complex, coherence scale) and after it
``metadata``  metadata the inputs carry (the wavelength rule)
``styles``    .qml sidecars and styles of the outputs, arrangement of loaded outputs
``compat``    API that differs between QGIS 3.22 and 3.40+/Qt6
``stacks``    interferogram stacks (rasters, MintPy ifgramStack.h5) -> LOS mm blocks; network report
``slc``       SLC stacks and their block-engine source
``points``    dated point / polygon layers and dated raster bands
``faults``    fault traces, slip patches, LOS datasets of the fault tools, fault WKB
``geometry``  incidence / heading rasters, metric pixel sizes, LOS fields of points
``forecast``  the inverse-velocity forecast table and PNG plots
``ada``       fast point tables, metric CRS, GeoPackage points and outlines of the ADA tools
``kinematics`` LOS point layers, grids, driver tables of the kinematics tools
``offsets``   output grid, resampling and pair stacks of the offset tools
``unwrap``    input data type and read-back of the unwrapping tool
``corrections`` the stack in network order, fit masks, DEM range, delay maps, block passes and CSV tables of
              the stack corrections

``ui/`` imports from here, never from a tool.
"""
