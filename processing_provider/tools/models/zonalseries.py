"""``geohazard:zonalseries``. Zone histories: the mean, median, spread and count of a dated displacement per polygon
(active area, landslide, district) and date."""

from __future__ import annotations

from qgis.core import QgsProcessing, QgsProcessingParameterMapLayer, QgsRasterLayer

from ....algorithms.errors import GeohazardError
from ....algorithms.models import zonalseries as zs
from ....fileio.models import zonalseries as io_zonal
from ....fileio.motion import points
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool

#: the statistics' labels in the dialog, in the core's order (the stored indices)
STAT_LABELS = {"mean": "Mean", "median": "Median", "std": "Standard deviation", "count": "Count",
               "min": "Minimum", "max": "Maximum", "p05": "5th percentile", "p95": "95th percentile"}


@tool("zonalseries", "Zone histories (statistics per polygon and date)",
      tags="zonal statistics,polygon,zone,landslide,ADA,district,time series,mean,median,EGMS,report",
      main=(ids.OUTPUT,), page="models", engine=True)
class ZonalSeries(GeohazardAlgorithm):
    ZONES = "ZONES"
    ZONE_FIELD = "ZONE_FIELD"
    STATISTICS = "STATISTICS"
    OUTPUT_CHART = "OUTPUT_CHART"
    HELP = (
        "Summarises a dated displacement per polygon and date: the mean, median, standard deviation and count (and "
        "on request minimum, maximum, 5th and 95th percentiles) of the pixels or points inside each zone (an active "
        "area, a landslide, a district), the series a report plots. Needs a time-series raster or dated points in "
        "<b>Input</b> and polygons in <b>Zones</b>; gives a table, a row per zone and date, and a chart.\n\n"
        "<b>Input</b>: a time-series raster (one band per date, the ISO date as band description, in mm; a MintPy "
        "timeseries.h5 as delivered, metres read as mm) or dated points (DYYYYMMDD, D_YYYYMMDD, EGMS YYYYMMDD fields; "
        "a loadegms layer's netCDF series too), LOS positive toward the satellite as the input states.\n"
        "<b>Zones</b>: polygons in any CRS (brought into the input's, the log says so); they may overlap: each zone "
        "is summarised on its own. A pixel is in a zone when its centre is inside it, a point when it is inside "
        "(holes and multi-part polygons honoured). <b>Zone field</b>: the field naming each zone (empty: its feature "
        "id).\n"
        "<b>Statistics</b> per date, over the finite values only (no-data pixels leave that date): mean, median, "
        "std (sample, ddof = 1, as the swath profiles; empty with one value), count, min, max, p05 / p95 (linear "
        "interpolation between order statistics, numpy's default).\n\n"
        "<b>Outputs</b>: OUTPUT, a table without geometry (.gpkg or .csv): zone_id (feature id), zone (its name), "
        "date, n_members (pixels or points in the zone), one column per statistic in the input's unit, and unit. "
        "A zone holding no pixel centre or point is named in a warning and its rows have count 0; a date with no "
        "value in a zone gives empty statistics. OUTPUT_CHART (.html or .png): one panel per zone (the first 12 "
        "with members): the mean, median and the spread bands through time.\n"
        "Rasters are read in blocks of rows over each zone's own window, in groups of dates when a large zone's "
        "values would not fit the memory for one block.\n\n"
        "Reference: Hyndman & Fan (1996) doi:10.1080/00031305.1996.10473566 (percentiles)."
    )
    MULTIBAND_INPUTS = (ids.INPUT,)
    MM_INPUTS = (ids.INPUT,)

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMapLayer(
            self.INPUT, "Time-series raster or dated points",
            types=[QgsProcessing.SourceType.TypeRaster, QgsProcessing.SourceType.TypeVectorPoint]))
        self.addParameter(declare.features(self.ZONES, "Zones (polygons)", "polygon"))
        self.addParameter(declare.field(self.ZONE_FIELD, "Zone name field (empty = feature id)", self.ZONES,
                                        optional=True))
        self.addParameter(declare.enum(self.STATISTICS, "Statistics", list(STAT_LABELS.values()), [0, 1, 2, 3],
                                       multiple=True))
        self.addParameter(declare.vector_out(self.OUTPUT, "Zone histories (table: zone, date, statistics)", "table"))
        self.addParameter(declare.file_out(self.OUTPUT_CHART, "Zone histories chart",
                                           "HTML files (*.html);;PNG images (*.png)", optional=True))

    def _raster_input(self, parameters, context) -> bool:
        return isinstance(self.parameterAsLayer(parameters, self.INPUT, context), QgsRasterLayer)

    def input_raster_files(self, parameters, context):
        return {self.INPUT: [self.raster_path(parameters, self.INPUT, context)]} \
            if self._raster_input(parameters, context) else {}

    def check(self, parameters, context):
        if self._raster_input(parameters, context):
            points.raster_dates(self.raster_info(parameters, self.INPUT, context), self.INPUT)
        else:
            source, uri = layers.dated_source(self, parameters, self.INPUT, context)
            if source is None:
                raise GeohazardError(f"{self.INPUT}: a time-series raster or a dated point layer is needed")
            points.date_fields_of(source, self.INPUT, uri)
        chosen = self.parameterAsEnums(parameters, self.STATISTICS, context)
        if not chosen:
            raise GeohazardError(f"{self.STATISTICS}: choose at least one statistic (mean, median, std, count ...)")

    def process(self, parameters, context, feedback):
        stats = zs.check_statistics([list(STAT_LABELS)[i]
                                     for i in self.parameterAsEnums(parameters, self.STATISTICS, context)])
        grid = table = layer = None
        if self._raster_input(parameters, context):
            grid = self.raster_info(parameters, self.INPUT, context)
        else:
            layer = layers.source_layer(self, parameters, self.INPUT, context)
            if not layer.crs().isValid():
                raise GeohazardError(f"{self.INPUT}: a point layer with a coordinate reference system (CRS) is "
                                     "needed to place the points in the zones")
            table = layers.read_point_table(self, parameters, self.INPUT, context, [])
        job = io_zonal.Job(zones=layers.feature_source(self, parameters, self.ZONES, context),
                           zone_field=self.parameterAsString(parameters, self.ZONE_FIELD, context) or "",
                           transform_context=context.transformContext(), stats=stats,
                           output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
                           chart=layers.optional_file(self, parameters, self.OUTPUT_CHART, context) or "",
                           ids={"output": self.OUTPUT, "chart": self.OUTPUT_CHART},
                           names={"input": self.INPUT, "zones": self.ZONES}, raster=grid, points=layer, table=table,
                           settings=knobs.run_settings(self, parameters, context))
        return self.finish(io_zonal.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
