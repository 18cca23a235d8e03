"""Files <-> numpy: the provider's lowest layer. It never sees a tool's ``parameters``, ``alg`` or ``context``.

One sub-package per floor, lowest first; a floor imports the core and the floors before it, never one after:

``base``        GDAL <-> numpy rasters (NaN nodata, block reads, RasterWriter: tiled GeoTIFF published on commit,
                GdalOpener / raster_source: picklable readers for the block engine, RASTER_EXT), OGR layers <->
                arrays (vector), polygons burnt on a grid (rasterize), the one block loop of the tools
                (blocks.run_blocks) and its writers, a run's outputs published together or not at all
                (transaction), files probed before and after a run (probe), metadata the inputs carry (metadata:
                the wavelength rule), overviews, threaded part reads of stack files, bulk SQLite rows, the tiles
                of series rasters, API that differs between QGIS 3.22 and 3.40+/Qt6 (compat)
``display``     .qml sidecars and styles of the outputs (styles), layers the Temporal Controller animates
                (temporal), where a run's layers land in the project (arrange)
``motion``      dated point / polygon layers and dated bands (points, series_nc), the ADA tools' point tables and
                outlines (ada, features), kinematics' layers and grids, incidence / heading rasters and metric
                pixel sizes (geometry), forecasts (forecast, displacement_forecast), swath profiles
``formats``     products as delivered: a product's pairs on one grid (products, product_sources), GAMMA's
                headerless rasters, MintPy results, EGMS tiles, a raster's declared unit (units)
``insar``       interferogram stacks -> LOS mm blocks (stacks, stack_reference), SLC stacks, the interferogram
                filter, unwrapping, the SBAS outputs (timeseries), the stack corrections (corrections,
                troposphere, ramps), offset tracking, basin detection, target suitability
``hazard``      fault traces, slip patches and LOS datasets (faults), mining subsidence, damage proxy,
                susceptibility
``multisensor`` the multi-sensor east/up time series: each stack's files, datum and products, the output grid

``ui/`` imports from here, never from a tool.
"""
