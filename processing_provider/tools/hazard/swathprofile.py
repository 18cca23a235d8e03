"""``geohazard:swathprofile``. Swath profiles of a raster (one or many bands), of a point field or of dated points
along lines: count, mean, std, median and 5-95 % percentiles per distance bin."""

from __future__ import annotations

from qgis.core import QgsProcessing, QgsProcessingParameterMapLayer, QgsRasterLayer

from ....algorithms.errors import GeohazardError
from ....algorithms.hazard import profiles as pr
from ....fileio.base.vector import wkt_of
from ....fileio.display import styles
from ....fileio.motion import swath
from ....fileio.motion.points import source_uri
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("swathprofile", "Swath profile (raster, time series or points along lines)",
      tags="profile,swath,cross-section,transect,fault,landslide,basin,velocity,time series,EGMS,points",
      main=(ids.OUTPUT,), page="hazard", engine=True)
class SwathProfile(GeohazardAlgorithm):
    FIELD = "FIELD"
    LINE = "LINE"
    WIDTH = "WIDTH"
    STEP = "STEP"
    OUTPUT_CHART = "OUTPUT_CHART"
    HELP = (
        "Draws swath profiles along lines: the pixels or points within a band of the given width along each line, "
        "binned by their distance along it, with each bin's count, mean, standard deviation, median and 5th/95th "
        "percentiles. Needs a raster (one or many bands: a velocity, a time series), a point layer with a numeric "
        "field, or dated points (EGMS, loadegms layers), and one line per profile; gives a table (a point per bin) "
        "and a chart.\n\n"
        "<b>Input</b>: a raster (every band profiled; a time series' bands named by their dates) or a point layer: "
        "with <b>Field</b> that field, without it its dated fields (DYYYYMMDD, D_YYYYMMDD, EGMS YYYYMMDD; the series "
        "of a loadegms layer in its netCDF file too). Values in the input's unit and sign (mm, mm/yr; LOS positive "
        "toward the satellite for LOS products).\n"
        "<b>Line</b>: one profile per feature, in any CRS: each line is densified in its own CRS, transformed to the "
        "input's CRS and measured in metres (in the input's CRS when it is projected in metres, else in the UTM "
        "zone of the lines). Its direction sets the distance's origin (its first vertex). A line partly off the "
        "raster gives empty bins (count 0); a line whose swath holds no pixel or point is refused.\n"
        "<b>Width</b> (m): the full width of the swath, half on each side of the line; samples whose foot is beyond "
        "either end of the line are left out. At a bend, samples go to the nearest segment. <b>Step</b> (m): the "
        "length of a bin along the line.\n\n"
        "<b>Outputs</b>: OUTPUT, a point per bin at its centre on the line (in the input's CRS; .gpkg or .csv) "
        "with profile (the line's feature id), distance_m (the bin's centre), x, y and, per band or date, count, "
        "mean, std, median, p05, p95 (one band: those names; several: suffixed with the date YYYYMMDD or the band "
        "b<number>). OUTPUT_CHART (.html or .png): the mean +- std band over the cloud of samples, or for a series "
        "an image of the mean with distance across and date down.\n"
        "Rasters are read in blocks of rows over the swaths' bounding box only; points are projected onto the lines "
        "all at once (vectorised), so millions of points take seconds.\n\n"
        "References: Armijo et al. (1986) doi:10.1029/JB091iB14p13803; Telbisz et al. (2013) "
        "doi:10.1127/0372-8854/2013/0110."
    )
    MULTIBAND_INPUTS = (ids.INPUT,)

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMapLayer(
            self.INPUT, "Raster, points with a field, or dated points",
            types=[QgsProcessing.SourceType.TypeRaster, QgsProcessing.SourceType.TypeVectorPoint]))
        self.addParameter(declare.field(self.FIELD, "Points' field (empty = dated fields)", self.INPUT,
                                        numeric=True, optional=True))
        self.addParameter(declare.features(self.LINE, "Profile lines (one profile per feature)", "line"))
        self.addParameter(declare.number(self.WIDTH, "Swath width, full (m)", 500.0, 0.01))
        self.addParameter(declare.number(self.STEP, "Bin length along the profile (m)", 100.0, 0.01))
        self.addParameter(declare.vector_out(self.OUTPUT, "Swath profile table", "point"))
        self.addParameter(declare.file_out(self.OUTPUT_CHART, "Swath profile chart",
                                           "HTML files (*.html);;PNG images (*.png)", optional=True))

    def input_raster_files(self, parameters, context):
        layer = self.parameterAsLayer(parameters, self.INPUT, context)
        return {self.INPUT: [self.raster_path(parameters, self.INPUT, context)]} \
            if isinstance(layer, QgsRasterLayer) else {}

    def process(self, parameters, context, feedback):
        v = self.values(parameters, context, self.WIDTH, self.STEP, self.FIELD)
        pr.check_width_step(v.WIDTH, v.STEP)
        progress, run = FeedbackProgress(feedback), knobs.run_settings(self, parameters, context)
        lines_source = layers.feature_source(self, parameters, self.LINE, context)
        layer = self.parameterAsLayer(parameters, self.INPUT, context)
        if isinstance(layer, QgsRasterLayer):
            info = self.raster_info(parameters, self.INPUT, context)
            crs, unit = info.crs_wkt, styles.raster_unit(info.path)
            metric, lines = swath.read_lines(lines_source, self.LINE, crs, v.STEP, progress, input_name=self.INPUT)
            samples = swath.raster_samples(info, self.INPUT, lines, metric, v.WIDTH, run=run, progress=progress)
            suffixes, dates = swath.band_suffixes(info.descriptions, info.count)
        else:
            if layer is None or not layer.crs().isValid():
                raise GeohazardError(f"{self.INPUT}: a point layer with a coordinate reference system (CRS) is "
                                     "needed to place the points on the profiles")
            crs, unit = wkt_of(layer.crs()), v.FIELD or "mm"
            table = layers.read_point_table(self, parameters, self.INPUT, context, [v.FIELD] if v.FIELD else [])
            read, suffixes, dates = swath.point_values(layer, table, v.FIELD, self.INPUT, source_uri(layer))
            metric, lines = swath.read_lines(lines_source, self.LINE, crs, v.STEP, progress, input_name=self.INPUT)
            samples = swath.point_samples(table, read, lines, metric, v.WIDTH, self.INPUT, progress)
        profiles = [pr.Profile(pid, line, pr.bin_statistics(*samples[pid], line.length, v.STEP), samples[pid][0].size)
                    for pid, line in lines]
        pr.report(profiles, self.INPUT, progress)
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        chart = layers.optional_file(self, parameters, self.OUTPUT_CHART, context)
        charted = swath.write_outputs(profiles, samples, suffixes, dates, out=out, chart=chart, input_wkt=crs,
                                      metric=metric, unit=unit, context=context, progress=progress)
        return {self.OUTPUT: out, **({self.OUTPUT_CHART: chart} if chart and charted else {})}
