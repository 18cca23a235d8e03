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
``motion``      shared: dated point / polygon layers and dated bands (points, series_nc), point tables read
                fast, metric CRS and GeoPackage points written in bulk (ada), the displacement forecast's files
``formats``     products as delivered: a product's pairs on one grid (products, product_sources), GAMMA's
                headerless rasters, MintPy results, EGMS tiles, a raster's declared unit (units)

Then one floor per toolbox group, named as the group's folder in ``processing_provider/tools/`` and
``algorithms/``, each module named after the tool it serves (docs/architecture.md, "One name per toolbox group"):

``geometry``    incidence / heading rasters, metric pixel sizes, LOS fields of points (geometry), strain rate
``timeseries``  interferogram stacks -> LOS mm blocks (stacks, stack_reference: every stack tool's reader), the
                SBAS outputs (timeseries), the multi-sensor series (multisensor, _grid, _datum, _products)
``psds``        SLC stacks (slc)
``unwrap``      unwrapping's files (unwrap)
``corrections`` the stack corrections (corrections, troposphericcorrection, rampremoval, ...)
``interferograms`` interferogramfilter, basindetection, targetsuitability
``kinematics``  kinematics' layers and grids (kinematics), offset tracking (offsettracking)
``ada``         QGIS features of the ADA tools' inputs and outputs (features)
``models``      the inverse-velocity forecasts (inversevelocity)
``faults``      fault traces, slip patches and LOS datasets (faults)
``hazard``      comparelayers, damageproxy, demdifference, miningsubsidence, slopestability, susceptibility,
                swathprofile

``ui/`` imports from here, never from a tool.
"""
