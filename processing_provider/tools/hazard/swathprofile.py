"""``geohazard:swathprofile``. Swath profiles of a raster (one or many bands), of a point field or of dated points
along lines: count, mean, std, median and 5-95 % percentiles per distance bin."""

from __future__ import annotations

from qgis.core import QgsProcessing, QgsProcessingParameterMapLayer, QgsRasterLayer, QgsVectorLayer

from ....algorithms.errors import GeohazardError
from ....algorithms.hazard import swathprofile as pr
from ....fileio.hazard import swathprofile as swath
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("swathprofile", "Swath profile",
      tags="profile,swath,cross-section,transect,fault,landslide,basin,velocity,time series,EGMS,points",
      main=(ids.OUTPUT,), page="hazard", engine=True)
class SwathProfile(GeohazardAlgorithm):
    POINTS = "POINTS"
    FIELD = "FIELD"
    UNIT = "UNIT"
    LINE = "LINE"
    WIDTH = "WIDTH"
    STEP = "STEP"
    OUTPUT_CHART = "OUTPUT_CHART"
    HELP = (
        "Draws swath profiles along lines: the pixels or points within a band of the given width along each line, "
        "binned by their distance along it, with each bin's count, mean, standard deviation, median and 5th/95th "
        "percentiles and a flag for unusual bins. Needs a raster (one or many bands: a velocity, a time series) or "
        "dated points (EGMS, loadegms layers) in <b>Input</b>, or a point layer with a numeric field in "
        "<b>Points</b>, and one line per profile; gives a table (a point per bin) and a chart.\n\n"
        "<b>Input</b>: a raster (every band profiled; a time series' bands named by their dates) or dated points "
        "(DYYYYMMDD, D_YYYYMMDD, EGMS YYYYMMDD fields; the series of a loadegms layer in its netCDF file too), in "
        "mm. <b>Points</b> with <b>Field</b>: that numeric field (a text field is refused); its unit is "
        "<b>Unit</b>, else the one its name ends with (_mm, _mm_yr, _cm, _m ...), else none (said in the log). "
        "Values in the input's unit and sign (mm, mm/yr; LOS positive toward the satellite for LOS products).\n"
        "<b>Line</b>: one profile per feature, in any CRS: each line is densified in its own CRS, transformed to the "
        "input's CRS and measured in metres (in the input's CRS when it is projected in metres, else in the UTM "
        "zone of the lines). Its direction sets the distance's origin (its first vertex). A line partly off the "
        "raster gives empty bins (count 0); a line whose swath holds no pixel or point is refused.\n"
        "<b>Width</b> (m): the full width of the swath, half on each side of the line; samples whose foot is beyond "
        "either end of the line are left out. Each sample goes to its nearest segment, once. At a bend the bisector "
        "splits the overlap on the inner side and the wedge on the outer side, whose halves continue their "
        "segments: the bins near the vertex hold about as many samples as elsewhere and are flagged bend. "
        "<b>Step</b> (m): the length of a bin along the line.\n\n"
        "<b>Outputs</b>: OUTPUT, a point per bin at its centre on the line (in the input's CRS; .gpkg or .csv) "
        "with profile (the line's feature id), distance_m (the bin's centre), x, y, flag (bend: near a bend; edge: "
        "the last, shorter bin; nodata: some samples no-data; few: under half the profile's typical samples per "
        "metre, or under 3; empty) and, per band or date, count, mean, std, median, p05, p95 (one band: those "
        "names; several: suffixed with the date YYYYMMDD or the band b<number>). OUTPUT_CHART (.html or .png): "
        "the mean +- std band over the cloud of samples, or for a series an image of the mean with distance across "
        "and date down.\n"
        "Rasters are read in blocks of rows over the swaths' bounding box only; points are projected onto the lines "
        "all at once (vectorised), so millions of points take seconds.\n\n"
        "References: Armijo et al. (1986) doi:10.1029/JB091iB14p13803; Telbisz et al. (2013) "
        "doi:10.1127/0372-8854/2013/0110."
    )
    MULTIBAND_INPUTS = (ids.INPUT,)

    def initAlgorithm(self, config=None):
        # the field hangs off a points-only parameter: QGIS 3.22's field widget crashes when its parent accepts rasters
        self.addParameter(QgsProcessingParameterMapLayer(
            self.INPUT, "Raster or dated points (this or points needed)",
            types=[QgsProcessing.SourceType.TypeRaster, QgsProcessing.SourceType.TypeVectorPoint], optional=True))
        self.addParameter(declare.features(self.POINTS, "Or: points with a field (this or input needed)", "point",
                                           optional=True))
        self.addParameter(declare.field(self.FIELD, "Points' numeric field", self.POINTS, numeric=True,
                                        optional=True))
        self.addParameter(declare.text(self.UNIT, "Unit of the field (e.g. mm/yr)", optional=True))
        self.addParameter(declare.features(self.LINE, "Profile lines (one profile per feature)", "line"))
        self.addParameter(declare.number(self.WIDTH, "Swath width, full (m)", 500.0, 0.01))
        self.addParameter(declare.number(self.STEP, "Bin length along the profile (m)", 100.0, 0.01))
        self.addParameter(declare.vector_out(self.OUTPUT, "Swath profile table", "point"))
        self.addParameter(declare.file_out(self.OUTPUT_CHART, "Swath profile chart",
                                           "HTML files (*.html);;PNG images (*.png)", optional=True))

    def check(self, parameters, context):
        given = [n for n in (self.INPUT, self.POINTS) if parameters.get(n)]
        if not given:
            raise GeohazardError("A raster or dated points (INPUT) or points with a field (POINTS) is needed: give "
                                 "one of the two")
        if len(given) == 2:
            raise GeohazardError("Give either INPUT (a raster or dated points) or POINTS (points with a field), not "
                                 "both")
        field = self.parameterAsString(parameters, self.FIELD, context)
        name, layer = self._points(parameters, context)
        if field and isinstance(layer, QgsVectorLayer):
            swath.check_numeric_field(layer, field, self.FIELD, name)

    def _points(self, parameters, context):
        """The point parameter's ID (POINTS, or INPUT given points as before POINTS existed) and its layer."""
        name = self.POINTS if parameters.get(self.POINTS) else self.INPUT
        return name, self.parameterAsVectorLayer(parameters, name, context)

    def input_raster_files(self, parameters, context):
        layer = self.parameterAsLayer(parameters, self.INPUT, context) if parameters.get(self.INPUT) else None
        return {self.INPUT: [self.raster_path(parameters, self.INPUT, context)]} \
            if isinstance(layer, QgsRasterLayer) else {}

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.WIDTH, self.STEP, self.FIELD, self.UNIT)
        pr.check_width_step(v.WIDTH, v.STEP)
        settings = knobs.run_settings(self, parameters, context)
        lines_source = layers.feature_source(self, parameters, self.LINE, context)
        grid = layer = table = None
        name = self.INPUT
        if self.input_raster_files(parameters, context):
            grid = self.raster_info(parameters, self.INPUT, context)
        else:
            name, layer = self._points(parameters, context)
            if layer is None or not layer.crs().isValid():
                raise GeohazardError(f"{name}: a point layer with a coordinate reference system (CRS) is "
                                     "needed to place the points on the profiles")
            table = layers.read_point_table(self, parameters, name, context, [v.FIELD] if v.FIELD else [],
                                            feedback=feedback)
        job = swath.Job(lines=lines_source, width_m=v.WIDTH, step_m=v.STEP, raster=grid, points=layer,
                        points_name=name, value_field=v.FIELD, unit=v.UNIT, table=table, settings=settings,
                        output=self.parameterAsOutputLayer(parameters, self.OUTPUT, context),
                        chart=layers.optional_file(self, parameters, self.OUTPUT_CHART, context) or "",
                        ids={"output": self.OUTPUT, "chart": self.OUTPUT_CHART},
                        names={"input": self.INPUT, "line": self.LINE, "field": self.FIELD})
        return self.finish(swath.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
