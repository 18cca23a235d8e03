"""Geometry tools: line-of-sight projections, distortion masks, asc/desc decomposition."""

from __future__ import annotations

import functools

import numpy as np
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
)

from ..algorithms.engine import plan_blocks, process_blocks
from ..algorithms.errors import GeohazardError
from ..algorithms.formats.dates import dated_fields, parse_date
from ..algorithms.geometry import decomposition as _dec
from ..algorithms.geometry import distortion as _dist
from ..algorithms.geometry import los_blocks as _losb
from ..algorithms.geometry.los import (
    check_incidence,
    los_unit_vector,
)
from ..algorithms.geometry.terrain import los_to_downslope, slope_aspect_metric
from ..algorithms.progress import SubProgress, check_canceled, iter_blocks
from . import params
from .base import GeohazardAlgorithm
from .engine_params import HELP as DASK_HELP
from .engine_params import add_dask_parameter, executor
from .feedback import FeedbackProgress
from .io.geometry import (
    HEADING_KINDS,
    INCIDENCE_KINDS,
    heading_reader,
    incidence_reader,
    los_from_fields,
    metric_pixel_size,
    optional_fields,
    scene_heading,
    write_share_table,
)
from .io.styles import (
    DISTORTION_COLOURS,
    VISIBILITY_COLOURS,
    palette,
    style_raster_classified,
    style_raster_diverging,
    style_raster_sequential,
)
from .io.writers import all_or_none, compression_threads, exact_float_dtype
from .raster_io import (
    DEFAULT_BLOCK_ROWS,
    RasterInfo,
    RasterWriter,
    check_same_grid,
    optional_writer,
    output_paths,
    raster_info,
    raster_source,
    read_band,
    read_bands,
)
from .vector_io import read_points, write_vector


class LosVelocityToVertical(GeohazardAlgorithm):
    MULTIBAND_INPUTS = ("INPUT",)
    OVERLAP = (("INPUT", "INCIDENCE_RASTER"),)
    NAME = "losvelocitytovertical"
    DISPLAY_NAME = "LOS velocity to vertical"
    GROUP_ID = "geometry"
    HELP = (
        "Projects line-of-sight (LOS) velocity or displacement onto the vertical, assuming the "
        "ground moves only up or down (subsidence, uplift): v_vert = v_los / cos(incidence).\n\n"
        "<b>Input LOS raster</b>: LOS velocity (mm/yr) or displacement (mm), positive toward the "
        "satellite. Every band is converted (a time-series raster stays a time series, band "
        "descriptions are kept). Nodata stays nodata.\n"
        "<b>Incidence angle</b>: a single value in degrees from the vertical (Sentinel-1 IW: "
        "about 30-46), used when no incidence raster is given.\n"
        "<b>Incidence raster</b> (optional): per-pixel incidence on the same grid as the input, "
        "in degrees or radians (choose the unit).\n\n"
        "<b>Output</b>: vertical velocity/displacement in the input's unit, positive up, styled "
        "with a diverging ramp centred at zero.\n\n"
        "Valid only where horizontal motion is negligible; on slopes use the downslope "
        "projection. Reference: Notti D. et al. (2014), doi:10.1080/01431161.2014.894528."
    ) + DASK_HELP

    INPUT = "INPUT"
    INCIDENCE = "INCIDENCE"
    INCIDENCE_RASTER = "INCIDENCE_RASTER"
    INCIDENCE_UNITS = "INCIDENCE_UNITS"
    OUTPUT = "OUTPUT"
    UNITS = ["degrees", "radians"]

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INPUT, self.tr("Input LOS raster (positive toward the satellite)")))
        self.addParameter(QgsProcessingParameterNumber(
            self.INCIDENCE, self.tr("Incidence angle (degrees), used when no incidence raster is given"),
            QgsProcessingParameterNumber.Type.Double, defaultValue=37.0, minValue=0.001, maxValue=89.999))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INCIDENCE_RASTER, self.tr("Incidence raster (same grid as the input)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.INCIDENCE_UNITS, self.tr("Incidence raster unit"), options=self.UNITS, defaultValue=0))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Vertical velocity")))

        add_dask_parameter(self)
    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        if parameters.get(self.INCIDENCE_RASTER):
            try:
                infos = [self.raster_info(parameters, p, context) for p in (self.INPUT, self.INCIDENCE_RASTER)]
                check_same_grid(infos, [self.INPUT, self.INCIDENCE_RASTER])
            except (GeohazardError, QgsProcessingException) as exc:
                return False, str(exc)
        return True, ""

    def process(self, parameters, context, feedback):
        info = self.raster_info(parameters, self.INPUT, context)
        inc_path = None
        if parameters.get(self.INCIDENCE_RASTER):
            inc_path = self.raster_path(parameters, self.INCIDENCE_RASTER, context)
        inc_value = check_incidence(self.parameterAsDouble(parameters, self.INCIDENCE, context), name=self.INCIDENCE)
        in_radians = self.parameterAsEnum(parameters, self.INCIDENCE_UNITS, context) == 1
        if inc_path:
            check_same_grid([info, raster_info(inc_path, self.INCIDENCE_RASTER)], [self.INPUT, self.INCIDENCE_RASTER])
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        sources = {"los": raster_source(info.path, bands=None, dtype=np.float64, name=self.INPUT)}
        if inc_path:
            sources["incidence"] = raster_source(inc_path, dtype=np.float64, name=self.INCIDENCE_RASTER)
        func = functools.partial(_losb.los_vertical_block, incidence_deg=inc_value, in_radians=in_radians,
                                 incidence_name=self.INCIDENCE_RASTER)
        plan = plan_blocks(info.height, info.width, bytes_per_pixel=8.0 * (2 * info.count + 2))
        with RasterWriter.like(out_path, info, count=info.count, descriptions=info.descriptions) as writer, \
                executor(self, parameters, context, feedback) as ex:
            process_blocks(plan, func, lambda block, out: writer.write(out["vertical"], row=block.row0),
                           sources=sources, executor=ex, progress=FeedbackProgress(feedback), background_write=True)
        style_raster_diverging(out_path, context=context)
        return {self.OUTPUT: out_path}


# =========================================================================== shared helpers


# =========================================================================== geometricdistortion
class GeometricDistortion(GeohazardAlgorithm):
    OVERLAP = (("DEM", "INCIDENCE_RASTER"), ("DEM", "HEADING_RASTER"), ("DEM", "INCIDENCE_RASTER_2"))
    NAME = "geometricdistortion"
    DISPLAY_NAME = "Geometric distortion (layover, shadow, R-index, visibility)"
    GROUP_ID = "geometry"
    HELP = (
        "Maps where a SAR geometry can see the ground: active and passive layover, active and passive "
        "shadow, strong and moderate foreshortening and good visibility; the R-index; and the visibility/"
        "sensitivity of each slope to downslope motion, with a table of the share of each class.\n\n"
        "<b>DEM</b>: heights in metres, projected or geographic CRS (slope and aspect are computed in metres "
        "either way: a geographic DEM uses the WGS84 pixel size of each row).\n"
        "<b>Heading</b>: satellite flight direction, degrees clockwise from north (Sentinel-1 ascending about "
        "-10 to -13, descending about 190-193). <b>Incidence</b>: degrees from the vertical, one value or a "
        "raster on the DEM grid, band 1 (incidence in degrees/radians, e.g. ISCE los.rdr.geo band 1, or the "
        "look-vector elevation angle lv_theta = 90 - incidence of GAMMA/HyP3). The range scan uses one heading "
        "for the scene (it changes by a fraction of a degree along a frame). <b>Look side</b>: right for every "
        "current spaceborne SAR.\n"
        "<b>Heading raster</b> (optional): per-pixel heading, or the look-vector azimuth of GAMMA/HyP3 (lv_phi) "
        "or ISCE (los band 2); the range scan then uses its circular mean.\n"
        "<b>Second geometry</b> (optional heading): gives a combined map with the best class of the two per "
        "pixel (band 1) and which geometry gave it (band 2: 1 = first, 2 = second, 3 = equal).\n\n"
        "Active layover: slope facing the sensor steeper than the incidence; active shadow: slope facing away "
        "steeper than 90 - incidence. Passive layover (ground sharing its slant range with a layover slope) and "
        "passive shadow (ground hidden behind a ridge) come from a scan of every range line across the DEM "
        "(far-field approximation, block by block with bounded memory). Foreshortening is judged by R-index / "
        "sin(incidence), the ground length of a pixel relative to flat ground: strong below 0.5, moderate below "
        "0.8 (configurable).\n"
        "R-index = sin(incidence - alpha), alpha the slope along range (positive facing the sensor); <= 0 is "
        "layover, NaN in active shadow.\n"
        "Visibility classes: shadow, layover, parallel illumination (LOS within 10 degrees of grazing the slope), "
        "flat (slope below the flat threshold: motion assumed vertical), low sensitivity (|C| below the "
        "threshold, C the cosine between the LOS and the downslope direction), sensitivity.\n\n"
        "Outputs: class raster (styled legend), R-index raster, visibility raster, a CSV table (geometry, "
        "class, pixels, share %, area km2) and the optional combined raster.\n"
        "References: Notti D. et al. (2014) doi:10.1080/01431161.2014.894528; Cigna F. et al. (2014) "
        "doi:10.5194/nhess-14-2373-2014; Kropatsch & Strobl (1990) doi:10.1109/36.58986."
    ) + DASK_HELP

    DEM = "DEM"
    HEADING = "HEADING"
    INCIDENCE = "INCIDENCE"
    INCIDENCE_RASTER = "INCIDENCE_RASTER"
    INCIDENCE_UNITS = "INCIDENCE_UNITS"
    HEADING_RASTER = "HEADING_RASTER"
    HEADING_UNITS = "HEADING_UNITS"
    LOOK = "LOOK"
    HEADING_2 = "HEADING_2"
    INCIDENCE_2 = "INCIDENCE_2"
    INCIDENCE_RASTER_2 = "INCIDENCE_RASTER_2"
    STRONG_RATIO = "STRONG_RATIO"
    MODERATE_RATIO = "MODERATE_RATIO"
    FLAT_SLOPE = "FLAT_SLOPE"
    MIN_SENSITIVITY = "MIN_SENSITIVITY"
    OUTPUT_CLASSES = "OUTPUT_CLASSES"
    OUTPUT_RINDEX = "OUTPUT_RINDEX"
    OUTPUT_VISIBILITY = "OUTPUT_VISIBILITY"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_COMBINED = "OUTPUT_COMBINED"
    LOOKS = ["right", "left"]
    #: the arrays written and their GeoTIFF dtypes (blocks computed elsewhere carry only these back)
    WRITTEN = {"classes": None, "rindex": np.float32, "visibility": None}

    def initAlgorithm(self, config=None):
        num = QgsProcessingParameterNumber.Type.Double
        self.addParameter(QgsProcessingParameterRasterLayer(self.DEM, self.tr("DEM (metres)")))
        self.addParameter(QgsProcessingParameterNumber(
            self.HEADING, self.tr("Heading (flight direction, degrees clockwise from north)"), num,
            defaultValue=-12.0, minValue=-360.0, maxValue=360.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.INCIDENCE, self.tr("Incidence angle (degrees), used when no incidence raster is given"), num,
            defaultValue=37.0, minValue=0.001, maxValue=89.999))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INCIDENCE_RASTER, self.tr("Incidence raster (DEM grid)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.INCIDENCE_UNITS, self.tr("Incidence raster content"), options=INCIDENCE_KINDS, defaultValue=0))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.HEADING_RASTER, self.tr("Heading / look-vector azimuth raster (DEM grid)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.HEADING_UNITS, self.tr("Heading raster content"), options=HEADING_KINDS, defaultValue=0))
        self.addParameter(QgsProcessingParameterEnum(self.LOOK, self.tr("Look side"), options=self.LOOKS,
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            self.HEADING_2, self.tr("Second geometry: heading (degrees), for the combined map"), num,
            optional=True, minValue=-360.0, maxValue=360.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.INCIDENCE_2, self.tr("Second geometry: incidence (degrees)"), num, defaultValue=37.0,
            minValue=0.001, maxValue=89.999))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INCIDENCE_RASTER_2, self.tr("Second geometry: incidence raster (DEM grid, same content)"),
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.STRONG_RATIO, self.tr("Strong foreshortening below R-index / sin(incidence)"), num,
            defaultValue=0.5, minValue=0.01, maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MODERATE_RATIO, self.tr("Moderate foreshortening below R-index / sin(incidence)"), num,
            defaultValue=0.8, minValue=0.01, maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.FLAT_SLOPE, self.tr("Flat below slope (degrees)"), num, defaultValue=5.0, minValue=0.0,
            maxValue=89.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_SENSITIVITY, self.tr("Low sensitivity below |C| (cosine LOS / downslope)"), num,
            defaultValue=0.3, minValue=0.01, maxValue=1.0))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT_CLASSES, self.tr("Distortion classes")))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT_RINDEX, self.tr("R-index"),
                                                                  optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_VISIBILITY, self.tr("Visibility / sensitivity classes"), optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_TABLE, self.tr("Class shares table"), "CSV files (*.csv)", optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_COMBINED, self.tr("Combined two-geometry classes"), optional=True, createByDefault=False))
        add_dask_parameter(self)

    def _second(self, parameters):
        return parameters.get(self.HEADING_2) not in (None, "")

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        try:
            dem = self.raster_info(parameters, self.DEM, context)
            metric_pixel_size(dem, self.DEM)
            for p in (self.INCIDENCE_RASTER, self.INCIDENCE_RASTER_2, self.HEADING_RASTER):
                if parameters.get(p):
                    check_same_grid([dem, self.raster_info(parameters, p, context)], [self.DEM, p])
        except (GeohazardError, QgsProcessingException) as exc:
            return False, str(exc)
        if self.parameterAsDouble(parameters, self.STRONG_RATIO, context) >= \
                self.parameterAsDouble(parameters, self.MODERATE_RATIO, context):
            return False, "STRONG_RATIO must be smaller than MODERATE_RATIO"
        if parameters.get(self.OUTPUT_COMBINED) and not self._second(parameters):
            return False, "OUTPUT_COMBINED needs a second geometry: set HEADING_2"
        return True, ""

    def _writers(self, info, outs, combined):
        # Fast DEFLATE: level 1 instead of 6. Class rasters shrink ~4x either way (level 6
        # spends 10x the CPU for ~12 % smaller files); the R-index is near-incompressible float
        # noise (level 6 saves 2 % over level 1 at twice the CPU). Lossless either way; see
        # BENCHMARKS.md for the measured alternatives.
        writers = {
            "classes": RasterWriter.like(outs[self.OUTPUT_CLASSES], info, dtype=np.uint8, nodata=0,
                                         descriptions=["distortion class"], zlevel=1),
            "rindex": optional_writer(outs.get(self.OUTPUT_RINDEX, ""), info, descriptions=["R-index"], zlevel=1),
            "visibility": optional_writer(outs.get(self.OUTPUT_VISIBILITY, ""), info, dtype=np.uint8, nodata=0,
                                          descriptions=["visibility class"], zlevel=1),
        }
        if combined:
            writers["combined"] = RasterWriter.like(combined, info, count=2, dtype=np.uint8, nodata=0,
                                                    descriptions=["best distortion class", "best geometry"], zlevel=1)

        return writers

    def _geometries(self, parameters, context, feedback, info):
        """The first (and, when given, the second) acquisition geometry, checked against the DEM grid."""
        look = self.LOOKS[self.parameterAsEnum(parameters, self.LOOK, context)]
        kind = self.parameterAsEnum(parameters, self.INCIDENCE_UNITS, context)
        geos = []
        for suffix, name in (("", "first geometry"), ("_2", "second geometry")):
            if suffix and not self._second(parameters):
                continue
            inc_par = getattr(self, "INCIDENCE_RASTER" + suffix)
            inc_path = self.raster_path(parameters, inc_par, context) if parameters.get(inc_par) else None
            if inc_path:
                check_same_grid([info, raster_info(inc_path, inc_par)], [self.DEM, inc_par])
            heading = float(_dist.check_heading(self.parameterAsDouble(parameters, "HEADING" + suffix, context),
                                                name="HEADING" + suffix))
            read_heading = None
            if not suffix and parameters.get(self.HEADING_RASTER):
                h_path = self.raster_path(parameters, self.HEADING_RASTER, context)
                check_same_grid([info, raster_info(h_path, self.HEADING_RASTER)], [self.DEM, self.HEADING_RASTER])
                read_heading = heading_reader(h_path, self.parameterAsEnum(parameters, self.HEADING_UNITS, context),
                                              self.HEADING_RASTER, look)
                heading = scene_heading(read_heading, info.height)
                feedback.pushInfo(f"scene heading from {self.HEADING_RASTER}: {heading:.3f} degrees")
            geos.append(_dist.AcquisitionGeometry(
                heading_deg=heading, read_heading=read_heading,
                incidence_deg=self.parameterAsDouble(parameters, "INCIDENCE" + suffix, context),
                read_incidence=incidence_reader(inc_path, kind, inc_par), look=look, name=name))
        return geos

    def _style(self, outs: dict, combined, context) -> None:
        distortion = palette(_dist.DISTORTION_CLASSES, DISTORTION_COLOURS)
        for path in (outs[self.OUTPUT_CLASSES], combined):
            if path:
                style_raster_classified(path, distortion, context=context)
        if self.OUTPUT_VISIBILITY in outs:
            style_raster_classified(outs[self.OUTPUT_VISIBILITY], palette(_dist.VISIBILITY_CLASSES, VISIBILITY_COLOURS),
                                    context=context)
        if self.OUTPUT_RINDEX in outs:
            style_raster_sequential(outs[self.OUTPUT_RINDEX], context=context, vmin=-1.0, vmax=1.0,
                                    ramp_name="RdYlGn")

    def process(self, parameters, context, feedback):
        info = self.raster_info(parameters, self.DEM, context)
        dx_rows, dy = metric_pixel_size(info, self.DEM)
        geos = self._geometries(parameters, context, feedback, info)
        outs = output_paths(self, parameters, (self.OUTPUT_CLASSES, self.OUTPUT_RINDEX, self.OUTPUT_VISIBILITY),
                            context, optional=(self.OUTPUT_RINDEX, self.OUTPUT_VISIBILITY))
        combined = self.parameterAsOutputLayer(parameters, self.OUTPUT_COMBINED, context) \
            if parameters.get(self.OUTPUT_COMBINED) else None
        table = self.parameterAsFileOutput(parameters, self.OUTPUT_TABLE, context) \
            if parameters.get(self.OUTPUT_TABLE) else ""
        with compression_threads():
            writers = self._writers(info, outs, combined)
        dem_dtype = exact_float_dtype(info.path)

        def read_dem(r0, r1):
            return read_band(info.path, rows=(r0, r1), name=self.DEM, dtype=dem_dtype)

        def write(r0, r1, gi, arrays):
            if gi == 0:
                for k in ("classes", "rindex", "visibility"):
                    writers[k].write(arrays[k], row=r0)
            elif gi == -1 and "combined" in writers:
                writers["combined"].write(np.stack([arrays["best"], arrays["source"]]), row=r0)

        opts = {k: self.parameterAsDouble(parameters, pid, context) for k, pid in (
            ("strong_ratio", self.STRONG_RATIO), ("moderate_ratio", self.MODERATE_RATIO),
            ("flat_slope_deg", self.FLAT_SLOPE), ("min_sensitivity", self.MIN_SENSITIVITY))}
        with all_or_none(writers), executor(self, parameters, context, feedback) as ex:
            # workers in other processes re-open the DEM by path (same dtype: same bits as read_dem);
            # threads of this process share the heights the backward scan already decoded
            remote = ex.distributed and not ex.in_process
            dem_source = raster_source(info.path, dtype=dem_dtype, name=self.DEM) if remote else None
            tables = _dist.distortion_map(read_dem, write, n_rows=info.height, n_cols=info.width,
                                          geometries=geos, dx_rows_m=dx_rows, dy_m=dy,
                                          block_rows=DEFAULT_BLOCK_ROWS, executor=ex, dem_source=dem_source,
                                          progress=FeedbackProgress(feedback), outputs=self.WRITTEN, **opts)
        if table:
            write_share_table(table, tables, [g.name for g in geos])
        for t, g in zip(tables, geos):
            feedback.pushInfo(f"{g.name}: " + ", ".join(f"{r['name']} {r['share_pct']:.1f}%"
                                                        for r in t["distortion"] if r["pixels"]))
        self._style(outs, combined, context)
        return {**outs, **({self.OUTPUT_TABLE: table} if table else {}),
                **({self.OUTPUT_COMBINED: combined} if combined else {})}


# =========================================================================== losprojection


class LosProjection(GeohazardAlgorithm):
    OVERLAP = (("INPUT", "DEM"), ("POINTS", "DEM"), ("INPUT", "INCIDENCE_RASTER"))
    NAME = "losprojection"
    DISPLAY_NAME = "LOS projection to vertical and downslope"
    GROUP_ID = "geometry"
    HELP = (
        "Projects line-of-sight (LOS) velocities onto the vertical (v_vert = v_los / u_up, i.e. / cos(incidence)) "
        "and onto the steepest-descent direction of the terrain (V_SLOPE = V_LOS / C, C the cosine between the "
        "LOS and the downslope unit vector from slope and aspect), for a raster and/or a point layer.\n\n"
        "<b>LOS raster</b> (optional): velocity in mm/yr or displacement in mm, positive toward the "
        "satellite; every band is projected (a time series stays a time series, band descriptions are kept). "
        "<b>Points</b> (optional): e.g. EGMS or any PS/DS layer with a velocity field; per-point LOS "
        "unit vectors are taken from los_east/los_north/los_up when present (EGMS), else from incidence_angle/"
        "track_angle fields, else from the heading and incidence given here.\n"
        "<b>Heading raster</b> (optional, rasters only): per-pixel heading, or the look-vector azimuth of "
        "GAMMA/HyP3 (lv_phi) or ISCE (los band 2).\n"
        "<b>DEM</b>: needed for the downslope projection (projected or geographic; slopes in metres). For a "
        "raster it must be on the same grid; points are placed on it by their coordinates (any CRS).\n"
        "<b>Minimum sensitivity</b>: V_SLOPE is left empty where |C| is below it (the projection would amplify "
        "noise more than 1/|C|); default 0.3 (amplification <= 3.3).\n\n"
        "Outputs: vertical and downslope rasters (diverging styles) and/or a point layer with v_los, v_vertical, "
        "v_downslope (positive = moving downhill), sensitivity C, slope, aspect and the source feature id.\n"
        "References: Cigna F. et al. (2012) doi:10.1016/j.rse.2011.03.004; Notti D. et al. (2014) "
        "doi:10.1080/01431161.2014.894528."
    ) + DASK_HELP

    INPUT = "INPUT"
    POINTS = "POINTS"
    VELOCITY_FIELD = "VELOCITY_FIELD"
    DEM = "DEM"
    HEADING = "HEADING"
    INCIDENCE = "INCIDENCE"
    INCIDENCE_RASTER = "INCIDENCE_RASTER"
    INCIDENCE_UNITS = "INCIDENCE_UNITS"
    HEADING_RASTER = "HEADING_RASTER"
    HEADING_UNITS = "HEADING_UNITS"
    LOOK = "LOOK"
    MIN_SENSITIVITY = "MIN_SENSITIVITY"
    OUTPUT_VERTICAL = "OUTPUT_VERTICAL"
    OUTPUT_DOWNSLOPE = "OUTPUT_DOWNSLOPE"
    OUTPUT_POINTS = "OUTPUT_POINTS"

    def initAlgorithm(self, config=None):
        num = QgsProcessingParameterNumber.Type.Double
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("LOS velocity raster"),
                                                            optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.POINTS, self.tr("LOS velocity points"), [QgsProcessing.SourceType.TypeVectorPoint], optional=True))
        self.addParameter(QgsProcessingParameterField(
            self.VELOCITY_FIELD, self.tr("Velocity field (mm/yr, positive toward the satellite)"),
            defaultValue="mean_velocity", parentLayerParameterName=self.POINTS,
            type=QgsProcessingParameterField.DataType.Numeric, optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(self.DEM, self.tr("DEM (metres)"), optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.HEADING, self.tr("Heading (degrees clockwise from north)"), num, defaultValue=-12.0,
            minValue=-360.0, maxValue=360.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.INCIDENCE, self.tr("Incidence angle (degrees)"), num, defaultValue=37.0, minValue=0.001,
            maxValue=89.999))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INCIDENCE_RASTER, self.tr("Incidence raster (grid of the LOS raster)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.INCIDENCE_UNITS, self.tr("Incidence raster content"), options=INCIDENCE_KINDS, defaultValue=0))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.HEADING_RASTER, self.tr("Heading / look-vector azimuth raster (grid of the LOS raster)"),
            optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.HEADING_UNITS, self.tr("Heading raster content"), options=HEADING_KINDS, defaultValue=0))
        self.addParameter(QgsProcessingParameterEnum(self.LOOK, self.tr("Look side"), options=["right", "left"],
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_SENSITIVITY, self.tr("Minimum |C| for the downslope projection"), num, defaultValue=0.3,
            minValue=0.01, maxValue=1.0))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_VERTICAL, self.tr("Vertical velocity"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_DOWNSLOPE, self.tr("Downslope velocity"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterVectorDestination(
            self.OUTPUT_POINTS, self.tr("Projected points"), QgsProcessing.SourceType.TypeVectorPoint, optional=True,
            createByDefault=False))

        add_dask_parameter(self)
    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        has_r, has_p = bool(parameters.get(self.INPUT)), bool(parameters.get(self.POINTS))
        if not (has_r or has_p):
            return False, "give a LOS raster (INPUT) or a point layer (POINTS)"
        if has_p and not parameters.get(self.OUTPUT_POINTS):
            return False, "POINTS given: set OUTPUT_POINTS"
        if has_r and not (parameters.get(self.OUTPUT_VERTICAL) or parameters.get(self.OUTPUT_DOWNSLOPE)):
            return False, "INPUT given: set OUTPUT_VERTICAL and/or OUTPUT_DOWNSLOPE"
        if parameters.get(self.OUTPUT_DOWNSLOPE) and not parameters.get(self.DEM):
            return False, "OUTPUT_DOWNSLOPE needs a DEM"
        try:
            if has_r:
                info = self.raster_info(parameters, self.INPUT, context)
                for p in (self.DEM, self.INCIDENCE_RASTER, self.HEADING_RASTER):
                    if parameters.get(p):
                        check_same_grid([info, self.raster_info(parameters, p, context)], [self.INPUT, p])
            if parameters.get(self.DEM):
                metric_pixel_size(self.raster_info(parameters, self.DEM, context), self.DEM)
        except (GeohazardError, QgsProcessingException) as exc:
            return False, str(exc)
        return True, ""

    def process(self, parameters, context, feedback):
        heading = float(_dist.check_heading(self.parameterAsDouble(parameters, self.HEADING, context), name="HEADING"))
        incidence = float(check_incidence(self.parameterAsDouble(parameters, self.INCIDENCE, context),
                                          name=self.INCIDENCE))
        look = ["right", "left"][self.parameterAsEnum(parameters, self.LOOK, context)]
        cmin = self.parameterAsDouble(parameters, self.MIN_SENSITIVITY, context)
        dem = self.raster_info(parameters, self.DEM, context) if parameters.get(self.DEM) else None
        result = {}
        progress = FeedbackProgress(feedback, 0, 50 if parameters.get(self.POINTS) else 100)
        if parameters.get(self.INPUT):
            result.update(self._rasters(parameters, context, progress, dem, heading, incidence, look, cmin))
        if parameters.get(self.POINTS):
            progress = FeedbackProgress(feedback, 50 if parameters.get(self.INPUT) else 0, 100)
            result[self.OUTPUT_POINTS] = self._points(parameters, context, progress, dem, heading, incidence,
                                                      look, cmin)
        return result

    def _rasters(self, parameters, context, progress, dem, heading, incidence, look, cmin):
        info = self.raster_info(parameters, self.INPUT, context)
        kind = self.parameterAsEnum(parameters, self.INCIDENCE_UNITS, context)
        inc_path = self.raster_path(parameters, self.INCIDENCE_RASTER, context) \
            if parameters.get(self.INCIDENCE_RASTER) else None
        h_path = None
        if parameters.get(self.HEADING_RASTER):
            h_path = self.raster_path(parameters, self.HEADING_RASTER, context)
            check_same_grid([info, raster_info(h_path, self.HEADING_RASTER)], [self.INPUT, self.HEADING_RASTER])
        dx_rows, dy = None, 1.0
        if dem is not None:
            check_same_grid([info, dem], [self.INPUT, self.DEM])
            dx_rows, dy = metric_pixel_size(dem, self.DEM)
        outs = {}
        for key, desc in ((self.OUTPUT_VERTICAL, "vertical"), (self.OUTPUT_DOWNSLOPE, "downslope")):
            if parameters.get(key):
                descs = info.descriptions if info.count > 1 else [f"{desc} velocity"]
                outs[key] = RasterWriter.like(self.parameterAsOutputLayer(parameters, key, context), info,
                                              count=info.count, descriptions=descs)
        down = self.OUTPUT_DOWNSLOPE in outs
        sources = {"los": raster_source(info.path, bands=None, dtype=np.float64, name=self.INPUT)}
        for key, path, name in (("incidence", inc_path, self.INCIDENCE_RASTER),
                                ("heading", h_path, self.HEADING_RASTER),
                                ("dem", dem.path if down else None, self.DEM)):
            if path:
                sources[key] = raster_source(path, dtype=np.float64, name=name)
        func = functools.partial(
            _losb.los_projection_block, heading_deg=heading, incidence_deg=incidence, look=look,
            incidence_kind=kind, heading_kind=self.parameterAsEnum(parameters, self.HEADING_UNITS, context),
            min_sensitivity=cmin, dx_rows_m=dx_rows if down else None, dy_m=dy if down else 1.0,
            vertical=self.OUTPUT_VERTICAL in outs, downslope=down, incidence_name=self.INCIDENCE_RASTER)
        keys = {"vertical": self.OUTPUT_VERTICAL, "downslope": self.OUTPUT_DOWNSLOPE}

        def write(block, out):
            for k, v in out.items():
                outs[keys[k]].write(v, row=block.row0)

        plan = plan_blocks(info.height, info.width, halo=1 if down else 0,
                           bytes_per_pixel=8.0 * (info.count * (1 + len(outs)) + 12))
        with all_or_none(outs), executor(self, parameters, context, None) as ex:
            process_blocks(plan, func, write, sources=sources, executor=ex, progress=progress,
                           background_write=True)
            result = {key: w.commit() for key, w in outs.items()}
        for path in result.values():
            style_raster_diverging(path, context=context)
        return result

    def _points(self, parameters, context, progress, dem, heading, incidence, look, cmin):
        source = self.parameterAsSource(parameters, self.POINTS, context)
        vfield = self.parameterAsString(parameters, self.VELOCITY_FIELD, context) or "mean_velocity"
        extra = optional_fields(source, ["los_east", "los_north", "los_up", "incidence_angle", "track_angle"])
        dest_crs = None
        if dem is not None:
            dest_crs = QgsCoordinateReferenceSystem()
            dest_crs.createFromWkt(dem.crs_wkt)
        pts = read_points(source, [vfield] + extra, name=self.POINTS, dest_crs=dest_crs, context=context,
                          progress=SubProgress(progress, 0, 30))
        n = len(pts)
        e, nn, u, how = los_from_fields(pts, n, heading, incidence, look)
        progress.push_info(f"LOS vectors from {how}")
        idx = source.fields().lookupField(vfield)
        if idx >= 0 and not source.fields().at(idx).isNumeric():
            raise GeohazardError(f"POINTS: VELOCITY_FIELD {vfield!r} is a {source.fields().at(idx).typeName()} "
                                 "field; choose the numeric velocity field (mm/yr)")
        v = np.asarray(pts.attributes[vfield], np.float64)
        finite = np.isfinite(v)
        if n and not finite.any():
            raise GeohazardError(f"POINTS: VELOCITY_FIELD {vfield!r} has no value in any of the {n} points (NULL or "
                                 "not a number); choose the velocity field")
        if not finite.all():
            progress.push_warning(f"{int((~finite).sum())} of {n} points have no value in {vfield!r} (NULL or not "
                                  "a number): their projected velocities are empty")
        with np.errstate(divide="ignore", invalid="ignore"):
            vert = v / u
        slope = np.full(n, np.nan)
        aspect = np.full(n, np.nan)
        if dem is not None:
            dx_rows, dy = metric_pixel_size(dem, self.DEM)
            row, col = dem.world_to_pixel(pts.x, pts.y)
            row, col = np.floor(row).astype(np.int64), np.floor(col).astype(np.int64)
            inside = (row >= 0) & (row < dem.height) & (col >= 0) & (col < dem.width)
            if (~inside).any():
                progress.push_warning(f"{int((~inside).sum())} of {n} points fall outside the DEM: no downslope value")
            for q0, q1, r0, r1 in iter_blocks(dem.height, DEFAULT_BLOCK_ROWS, overlap=1,
                                              progress=SubProgress(progress, 30, 80)):
                sel = inside & (row >= r0) & (row < r1)
                if not sel.any():
                    continue
                z = read_band(dem.path, rows=(q0, q1), name=self.DEM, dtype=np.float64)
                s, a = slope_aspect_metric(z, dx_rows[q0:q1], dy)
                slope[sel] = s[row[sel] - q0, col[sel]]
                aspect[sel] = a[row[sel] - q0, col[sel]]
        down, c = los_to_downslope(v, e, nn, u, slope, aspect, min_sensitivity=cmin)
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT_POINTS, context)
        crs = dest_crs if dest_crs is not None else source.sourceCrs()
        write_vector(out, {"source_fid": pts.fids, "v_los": v, "v_vertical": vert, "v_downslope": down,
                           "sensitivity": c, "slope_deg": slope, "aspect_deg": aspect,
                           "los_east": np.asarray(e, float), "los_north": np.asarray(nn, float),
                           "los_up": np.asarray(u, float)},
                     crs_wkt=crs.toWkt(), x=pts.x, y=pts.y, progress=SubProgress(progress, 80, 100))
        return out


# =========================================================================== ascdescdecomposition
class AscDescDecomposition(GeohazardAlgorithm):
    MULTIBAND_INPUTS = ("ASC_RASTER", "DESC_RASTER")
    OVERLAP = (("ASC_RASTER", "DESC_RASTER"), ("ASC_POINTS", "DESC_POINTS"))
    NAME = "ascdescdecomposition"
    DISPLAY_NAME = "Ascending + descending decomposition (east-west and vertical)"
    GROUP_ID = "geometry"
    HELP = (
        "Combines ascending and descending LOS velocities (or displacement time series) into east-west and "
        "vertical motion by least squares per cell: d_i - n_i N = e_i E + u_i U for every observation i of the "
        "cell, (e, n, u) its ground-to-satellite unit vector. North motion N is neglected (0, the default) or "
        "constrained to the value given (mm/yr); SAR is almost blind to it and the output states the "
        "assumption.\n\n"
        "<b>Rasters</b>: ASC_RASTER and DESC_RASTER on the same grid, with their heading and incidence. "
        "<b>Points</b>: ASC_POINTS and DESC_POINTS (e.g. EGMS L2a/L2b), gridded on square cells of PIXEL_SIZE "
        "metres in GRID_CRS whose edges lie on ORIGIN_X/ORIGIN_Y + multiples of the cell size (default origin 0, 0: "
        "edges on multiples of 100 m in EPSG:3035, centres at k*100+50, the cell layout of the official EGMS L3 "
        "tiles and of the INSPIRE ETRS89-LAEA grid). With a TEMPLATE raster the output takes the template's grid "
        "(origin, cell size, extent and CRS; points outside it are left out and counted). Every point "
        "enters the cell's least squares with its own LOS vector (fields los_east/los_north/los_up, else "
        "incidence_angle/track_angle, else the numbers given). A cell needs both geometries.\n"
        "<b>Uncertainty</b>: from the std field of points (mean_velocity_std) or the SIGMA numbers for rasters, "
        "propagated through the least squares (unit weights as EGMS L3, or inverse-variance weights).\n"
        "<b>Time series</b>: with TIME_SERIES, the dated fields (YYYYMMDD / DYYYYMMDD) of points, or the bands of "
        "multi-band rasters whose descriptions are dates, are interpolated linearly onto common dates every "
        "SPACING_DAYS days over the overlap of both series (no value across gaps longer than MAX_GAP_DAYS), "
        "decomposed date by date, and the east/up velocities are fitted to the decomposed series (linear + "
        "annual term, as EGMS mean_velocity). This is the EGMS L3 Ortho route (interpolation to a 6-day cadence, "
        "date-by-date least squares, velocity fitted afterwards) and the default; inputs without dates (velocity "
        "rasters, points without dated fields) are decomposed as velocities, with a warning. With TIME_SERIES "
        "off the velocities themselves are decomposed, which differs from EGMS L3 by the temporal sampling "
        "(EGMS Ustica: median 0.04 mm/yr, 95th percentile 0.16 mm/yr in up).\n\n"
        "Outputs: east (positive east) and up (positive up) rasters in mm/yr; a quality raster (bands: sigma "
        "east, sigma up, condition number of the geometry, observations used); optional east/up time-series "
        "rasters (one band per common date, mm).\n"
        "References: Manzo M. et al. (2006) doi:10.1016/j.jvolgeores.2005.11.010; Copernicus EGMS L3 Ortho "
        "product description."
    )

    ASC_RASTER, DESC_RASTER = "ASC_RASTER", "DESC_RASTER"
    ASC_HEADING, ASC_INCIDENCE = "ASC_HEADING", "ASC_INCIDENCE"
    DESC_HEADING, DESC_INCIDENCE = "DESC_HEADING", "DESC_INCIDENCE"
    ASC_SIGMA, DESC_SIGMA = "ASC_SIGMA", "DESC_SIGMA"
    ASC_POINTS, DESC_POINTS = "ASC_POINTS", "DESC_POINTS"
    VELOCITY_FIELD, VELOCITY_STD_FIELD = params.VELOCITY_FIELD, params.VELOCITY_STD_FIELD
    PIXEL_SIZE, GRID_CRS = params.PIXEL_SIZE, "GRID_CRS"
    TEMPLATE, ORIGIN_X, ORIGIN_Y = "TEMPLATE", "ORIGIN_X", "ORIGIN_Y"
    NORTH_VELOCITY, WEIGHTING, MAX_CONDITION = "NORTH_VELOCITY", "WEIGHTING", "MAX_CONDITION"
    TIME_SERIES, SPACING_DAYS, MAX_GAP_DAYS = "TIME_SERIES", "SPACING_DAYS", "MAX_GAP_DAYS"
    OUTPUT_EAST, OUTPUT_UP, OUTPUT_QUALITY = "OUTPUT_EAST", "OUTPUT_UP", "OUTPUT_QUALITY"
    OUTPUT_EAST_TS, OUTPUT_UP_TS = "OUTPUT_EAST_TS", "OUTPUT_UP_TS"
    WEIGHTINGS = ["unit weights (EGMS L3)", "inverse variance (needs standard deviations)"]

    def initAlgorithm(self, config=None):
        num = QgsProcessingParameterNumber.Type.Double
        pts = [QgsProcessing.SourceType.TypeVectorPoint]
        for geo, heading in (("ASC", -12.0), ("DESC", 192.0)):
            label = "Ascending" if geo == "ASC" else "Descending"
            self.addParameter(QgsProcessingParameterRasterLayer(
                f"{geo}_RASTER", self.tr(f"{label} LOS raster (mm/yr, or dated bands in mm)"), optional=True))
            self.addParameter(QgsProcessingParameterNumber(
                f"{geo}_HEADING", self.tr(f"{label} heading (degrees)"), num, defaultValue=heading,
                minValue=-360.0, maxValue=360.0))
            self.addParameter(QgsProcessingParameterNumber(
                f"{geo}_INCIDENCE", self.tr(f"{label} incidence (degrees)"), num, defaultValue=37.0,
                minValue=0.001, maxValue=89.999))
            self.addParameter(QgsProcessingParameterNumber(
                f"{geo}_SIGMA", self.tr(f"{label} raster standard deviation (0 = unknown)"), num, defaultValue=0.0,
                minValue=0.0))
            self.addParameter(QgsProcessingParameterFeatureSource(
                f"{geo}_POINTS", self.tr(f"{label} points"), pts, optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.VELOCITY_FIELD, self.tr("Velocity field of the points"), defaultValue="mean_velocity"))
        self.addParameter(QgsProcessingParameterString(
            self.VELOCITY_STD_FIELD, self.tr("Velocity standard-deviation field of the points (empty = none)"),
            defaultValue="mean_velocity_std", optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.PIXEL_SIZE, self.tr("Pixel size of the point grid (m)"), num, defaultValue=100.0, minValue=0.01))
        self.addParameter(QgsProcessingParameterCrs(
            self.GRID_CRS, self.tr("Grid CRS for points (projected; default EPSG:3035 as EGMS L3)"),
            defaultValue="EPSG:3035", optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.TEMPLATE, self.tr("Template raster to snap the point grid to (its origin, cell size, extent, CRS)"),
            optional=True))
        for key, axis in ((self.ORIGIN_X, "x"), (self.ORIGIN_Y, "y")):
            self.addParameter(QgsProcessingParameterNumber(
                key, self.tr(f"Grid origin {axis} for points (a cell corner, GRID_CRS metres)"), num,
                defaultValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.NORTH_VELOCITY, self.tr("North velocity assumed (mm/yr; 0 = neglected)"), num, defaultValue=0.0))
        self.addParameter(QgsProcessingParameterEnum(self.WEIGHTING, self.tr("Weighting"), options=self.WEIGHTINGS,
                                                     defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_CONDITION, self.tr("Maximum condition number of the geometry"), num, defaultValue=10.0,
            minValue=1.0))
        self.addParameter(QgsProcessingParameterBoolean(
            self.TIME_SERIES, self.tr("Decompose time series (EGMS L3 route; velocities when inputs carry no dates)"),
            defaultValue=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.SPACING_DAYS, self.tr("Common date spacing (days)"), QgsProcessingParameterNumber.Type.Integer,
            defaultValue=6, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_GAP_DAYS, self.tr("Longest gap bridged by interpolation (days)"),
            QgsProcessingParameterNumber.Type.Integer, defaultValue=90, minValue=1))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT_EAST, self.tr("East velocity")))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT_UP, self.tr("Up velocity")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_QUALITY, self.tr("Quality (sigma east, sigma up, condition, count)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_EAST_TS, self.tr("East time series"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_UP_TS, self.tr("Up time series"), optional=True, createByDefault=False))

    def _mode(self, parameters):
        r = [bool(parameters.get(p)) for p in (self.ASC_RASTER, self.DESC_RASTER)]
        p = [bool(parameters.get(q)) for q in (self.ASC_POINTS, self.DESC_POINTS)]
        if all(r) and not any(p):
            return "raster", ""
        if all(p) and not any(r):
            return "points", ""
        if any(r) and any(p):
            return None, "give either two rasters (ASC_RASTER, DESC_RASTER) or two point layers, not a mix"
        missing = [n for n, v in zip((self.ASC_RASTER, self.DESC_RASTER), r) if not v] if any(r) else \
            [n for n, v in zip((self.ASC_POINTS, self.DESC_POINTS), p) if not v] if any(p) else \
            ["ASC_RASTER/ASC_POINTS", "DESC_RASTER/DESC_POINTS"]
        return None, f"one geometry is missing: {', '.join(missing)}; decomposition needs ascending and descending"

    def checkParameterValues(self, parameters, context):
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        mode, msg = self._mode(parameters)
        if mode is None:
            return False, msg
        if mode == "raster":
            if parameters.get(self.TEMPLATE):
                return False, "TEMPLATE snaps the grid of point inputs; ASC_RASTER/DESC_RASTER keep their own grid"
            try:
                infos = [self.raster_info(parameters, p, context) for p in (self.ASC_RASTER, self.DESC_RASTER)]
                _check_overlap_same_grid(infos, [self.ASC_RASTER, self.DESC_RASTER])
            except (GeohazardError, QgsProcessingException) as exc:
                return False, str(exc)
        else:
            crs = self._grid_crs(parameters, context)
            if not crs.isValid() or crs.isGeographic():
                return False, f"GRID_CRS must be a projected CRS in metres, got {crs.authid() or 'none'}"
            if parameters.get(self.TEMPLATE):
                try:
                    self._template_grid(parameters, context)
                except (GeohazardError, QgsProcessingException) as exc:
                    return False, str(exc)
        if (parameters.get(self.OUTPUT_EAST_TS) or parameters.get(self.OUTPUT_UP_TS)) and \
                not self.parameterAsBool(parameters, self.TIME_SERIES, context):
            return False, "time-series outputs need TIME_SERIES"
        return True, ""

    def _options(self, parameters, context, progress, mode) -> dict:
        """The solver's options; the time-series route falls back to velocities on undated inputs."""
        opts = dict(north=self.parameterAsDouble(parameters, self.NORTH_VELOCITY, context),
                    weighted=self.parameterAsEnum(parameters, self.WEIGHTING, context) == 1,
                    max_condition=self.parameterAsDouble(parameters, self.MAX_CONDITION, context),
                    ts=self.parameterAsBool(parameters, self.TIME_SERIES, context),
                    spacing=self.parameterAsInt(parameters, self.SPACING_DAYS, context),
                    max_gap=self.parameterAsDouble(parameters, self.MAX_GAP_DAYS, context))
        if opts["ts"] and not self._inputs_dated(parameters, context, mode):
            if parameters.get(self.OUTPUT_EAST_TS) or parameters.get(self.OUTPUT_UP_TS):
                raise GeohazardError("time-series outputs need dated inputs: fields YYYYMMDD/DYYYYMMDD of the points "
                                     "or band descriptions that are dates")
            opts["ts"] = False
            progress.push_warning("TIME_SERIES: the inputs carry no dates (fields YYYYMMDD/DYYYYMMDD, or band "
                                  "descriptions that are dates); decomposing the velocities instead")
        progress.push_info("route: " + ("time series (EGMS L3 Ortho: 6-day interpolation, per-date least squares, "
                                        "velocity fitted afterwards)" if opts["ts"] else "velocities"))
        return opts

    def _specs(self, parameters, opts, dates) -> list:
        """``(output, components, band descriptions)`` of the outputs asked for."""
        specs = [(self.OUTPUT_EAST, ["east"], ["east velocity mm/yr (positive east)"]),
                 (self.OUTPUT_UP, ["up"], ["up velocity mm/yr (positive up)"])]
        if parameters.get(self.OUTPUT_QUALITY):  # optional: not written when left out
            specs.append((self.OUTPUT_QUALITY, ["sigma_east", "sigma_up", "condition", "count"],
                          ["sigma east (mm/yr)", "sigma up (mm/yr)", "condition number", "observations"]))
        for key, comp in ((self.OUTPUT_EAST_TS, "east_ts"), (self.OUTPUT_UP_TS, "up_ts")):
            if parameters.get(key) and opts["ts"]:
                specs.append((key, [comp], [d.isoformat() for d in dates]))
        return specs

    def _style(self, out: dict, dates, context) -> None:
        for key in (self.OUTPUT_EAST, self.OUTPUT_UP):
            style_raster_diverging(out[key], context=context)
        if self.OUTPUT_QUALITY in out:
            style_raster_sequential(out[self.OUTPUT_QUALITY], context=context, band=3, vmin=1.0, vmax=3.0,
                                    ramp_name="Viridis")
        for key in (self.OUTPUT_EAST_TS, self.OUTPUT_UP_TS):
            if key in out:
                style_raster_diverging(out[key], context=context, band=len(dates))

    def process(self, parameters, context, feedback):
        mode, msg = self._mode(parameters)
        if mode is None:
            raise GeohazardError(msg)
        progress = FeedbackProgress(feedback)
        opts = self._options(parameters, context, progress, mode)
        if mode == "points":
            grid, crs_wkt, res, dates = self._points(parameters, context, progress, opts)
            info = RasterInfo(path="", width=grid.n_cols, height=grid.n_rows, count=1,
                              geotransform=grid.geotransform, crs_wkt=crs_wkt)
            blocks = iter([(0, res)])
        else:
            info, blocks, dates = self._rasters(parameters, context, progress, opts)
        meta = {"north_assumption": "neglected" if opts["north"] == 0 else f"{opts['north']:g} mm/yr",
                "weighting": self.WEIGHTINGS[int(opts["weighted"])]}
        specs = self._specs(parameters, opts, dates)
        writers = {key: RasterWriter.like(self.parameterAsOutputLayer(parameters, key, context), info,
                                          count=len(desc), descriptions=desc, metadata=meta)
                   for key, _, desc in specs}
        n_valid, cond = 0, []
        with all_or_none(writers):
            for r0, res in blocks:
                for key, comps, _ in specs:
                    arrs = [np.asarray(res[c], dtype=np.float64) for c in comps]
                    writers[key].write(arrs[0] if len(arrs) == 1 else np.stack(arrs), row=r0)
                valid = np.isfinite(res["up"])
                n_valid += int(valid.sum())
                cond.append(res["condition"][valid])
            out = {key: w.commit() for key, w in writers.items()}
        progress.push_info("North motion " + ("neglected (N = 0)" if opts["north"] == 0 else
                                              f"constrained to {opts['north']:g} mm/yr"))
        med = float(np.median(np.concatenate(cond))) if n_valid else float("nan")
        progress.push_info(f"{n_valid} cells decomposed; median condition number {med:.3f}")
        self._style(out, dates, context)
        return out

    def _inputs_dated(self, parameters, context, mode) -> bool:
        """True when both inputs carry at least two dates (dated fields, or dated band descriptions)."""
        if mode == "points":
            for key in (self.ASC_POINTS, self.DESC_POINTS):
                src = self.parameterAsSource(parameters, key, context)
                if src is None or len(dated_fields([f.name() for f in src.fields()])) < 2:
                    return False
            return True
        for key in (self.ASC_RASTER, self.DESC_RASTER):
            info = self.raster_info(parameters, key, context)
            if info.count < 2 or not any(_is_date(d) for d in info.descriptions):
                return False  # a velocity raster; partly dated bands are reported by _rasters
        return True

    # ------------------------------------------------------------------ points
    def _grid_crs(self, parameters, context):
        crs = self.parameterAsCrs(parameters, self.GRID_CRS, context)
        return crs if crs.isValid() else QgsCoordinateReferenceSystem("EPSG:3035")

    def _template_grid(self, parameters, context):
        """(grid, crs) of TEMPLATE, or (None, None) without one."""
        if not parameters.get(self.TEMPLATE):
            return None, None
        info = self.raster_info(parameters, self.TEMPLATE, context)
        if not info.crs_wkt or info.is_geographic:
            raise GeohazardError("TEMPLATE must be in a projected CRS in metres (the grid of the points)")
        grid = _dec.grid_from_geotransform(info.geotransform, info.height, info.width, name="TEMPLATE")
        return grid, QgsCoordinateReferenceSystem.fromWkt(info.crs_wkt)

    def _points(self, parameters, context, progress, opts):
        tgrid, tcrs = self._template_grid(parameters, context)
        crs = tcrs if tcrs is not None else self._grid_crs(parameters, context)
        vfield = self.parameterAsString(parameters, self.VELOCITY_FIELD, context)
        sfield = self.parameterAsString(parameters, self.VELOCITY_STD_FIELD, context)
        data = []
        for i, (pp, hp, ip) in enumerate(((self.ASC_POINTS, self.ASC_HEADING, self.ASC_INCIDENCE),
                                          (self.DESC_POINTS, self.DESC_HEADING, self.DESC_INCIDENCE))):
            src = self.parameterAsSource(parameters, pp, context)
            if src is None:
                raise GeohazardError(f"{pp}: the layer could not be loaded")
            names = [f.name() for f in src.fields()]
            if vfield not in names:
                raise GeohazardError(f"{pp} has no field {vfield!r} (VELOCITY_FIELD)")
            fields = [vfield] + ([sfield] if sfield and sfield in names else [])
            fields += optional_fields(src, ["los_east", "los_north", "los_up", "incidence_angle", "track_angle"])
            dated = dated_fields(names) if opts["ts"] else []
            if opts["ts"] and len(dated) < 2:
                raise GeohazardError(f"{pp} has {len(dated)} dated fields (YYYYMMDD or DYYYYMMDD); TIME_SERIES "
                                     "needs at least two")
            pts = read_points(src, fields + [n for n, _ in dated], name=pp, dest_crs=crs, context=context,
                              progress=SubProgress(progress, 25 * i, 25 * i + 20))
            e, n, u, how = los_from_fields(pts, len(pts), self.parameterAsDouble(parameters, hp, context),
                                            self.parameterAsDouble(parameters, ip, context), "right")
            progress.push_info(f"{pp}: {len(pts)} points, LOS vectors from {how}")
            sig = pts.attributes.get(sfield) if sfield else None
            series = np.stack([pts.attributes[nm] for nm, _ in dated]) if dated else None
            data.append(dict(x=pts.x, y=pts.y, v=pts.attributes[vfield], sigma=sig, e=e, n=n, u=u,
                             series=series, dates=[d for _, d in dated]))
        xs, ys = np.concatenate([d["x"] for d in data]), np.concatenate([d["y"] for d in data])
        if tgrid is not None:
            grid = tgrid
            r, _ = grid.cell_index(xs, ys)
            n_out = int((r < 0).sum())
            progress.push_info(f"grid from TEMPLATE: {grid.n_cols} x {grid.n_rows} cells of {grid.cell_m:g} m, "
                               f"top-left corner ({grid.x0:.3f}, {grid.y0:.3f}), {crs.authid() or 'template CRS'}")
            cell = self.parameterAsDouble(parameters, self.PIXEL_SIZE, context)
            if parameters.get(self.PIXEL_SIZE) not in (None, "") and not np.isclose(cell, grid.cell_m):
                progress.push_warning(f"PIXEL_SIZE {cell:g} m is not used: TEMPLATE has {grid.cell_m:g} m cells")
            if n_out == len(xs):
                raise GeohazardError("no point of ASC_POINTS/DESC_POINTS falls inside TEMPLATE")
            if n_out:
                progress.push_warning(f"{n_out} of {len(xs)} points lie outside TEMPLATE and were left out")
        else:
            cell = self.parameterAsDouble(parameters, self.PIXEL_SIZE, context)
            grid = _dec.grid_for_points(xs, ys, cell,
                                        origin_x=self.parameterAsDouble(parameters, self.ORIGIN_X, context),
                                        origin_y=self.parameterAsDouble(parameters, self.ORIGIN_Y, context))
            progress.push_info(f"grid: {grid.n_cols} x {grid.n_rows} cells of {cell:g} m, top-left corner "
                               f"({grid.x0:.3f}, {grid.y0:.3f}) in {crs.authid()}")
        check_canceled(progress)
        res, dates = _dec.decompose_point_sets(data, grid, progress=SubProgress(progress, 50, 100), **opts)
        return grid, crs.toWkt(), res, dates

    # ------------------------------------------------------------------ rasters
    def _rasters(self, parameters, context, progress, opts):
        infos = [self.raster_info(parameters, p, context) for p in (self.ASC_RASTER, self.DESC_RASTER)]
        _check_overlap_same_grid(infos, [self.ASC_RASTER, self.DESC_RASTER])
        vecs, sig = [], []
        for hp, ip, sp in ((self.ASC_HEADING, self.ASC_INCIDENCE, self.ASC_SIGMA),
                           (self.DESC_HEADING, self.DESC_INCIDENCE, self.DESC_SIGMA)):
            vecs.append(los_unit_vector(self.parameterAsDouble(parameters, ip, context),
                                        self.parameterAsDouble(parameters, hp, context)))
            sig.append(self.parameterAsDouble(parameters, sp, context))
        sigma = sig if all(s > 0 for s in sig) else None
        if opts["weighted"] and sigma is None:
            raise GeohazardError("inverse-variance WEIGHTING needs ASC_SIGMA and DESC_SIGMA > 0")
        info = infos[0]
        names = (self.ASC_RASTER, self.DESC_RASTER)
        vec = [[v[k] for v in vecs] for k in range(3)]
        common, date_lists = [], []
        if opts["ts"]:
            for i, n in zip(infos, names):
                try:
                    date_lists.append([parse_date(d) for d in i.descriptions])
                except GeohazardError as exc:
                    raise GeohazardError(f"{n}: TIME_SERIES needs one date per band description ({exc})") from None
            common = _dec.common_dates(date_lists[0], date_lists[1], spacing_days=opts["spacing"])

        def blocks():
            for _, _, r0, r1 in iter_blocks(info.height, DEFAULT_BLOCK_ROWS, progress=progress):
                if not opts["ts"]:
                    stacks = [read_band(i.path, 1, rows=(r0, r1), name=n, dtype=np.float64)
                              for i, n in zip(infos, names)]
                    res = _dec.decompose_los(stacks, *vec, sigma=sigma, north_mm=opts["north"],
                                             weighted=opts["weighted"], max_condition=opts["max_condition"])
                    yield r0, res
                    continue
                stacks = [_dec.interpolate_to_dates(read_bands(i.path, rows=(r0, r1), name=n, dtype=np.float64),
                                                    dl, common, max_gap_days=opts["max_gap"])
                          for i, n, dl in zip(infos, names, date_lists)]
                res = _dec.decompose_los(stacks, *vec, north_mm=opts["north"], max_condition=opts["max_condition"])
                east = _dec.velocity_from_series(res["east"], common)
                yield r0, {"east_ts": res["east"], "up_ts": res["up"], "condition": res["condition"],
                           "count": res["count"].max(axis=0), "east": east,
                           "up": _dec.velocity_from_series(res["up"], common),
                           "sigma_east": np.full(east.shape, np.nan), "sigma_up": np.full(east.shape, np.nan)}

        return info, blocks(), common


def _is_date(text) -> bool:
    try:
        parse_date(text)
    except (GeohazardError, TypeError, ValueError):
        return False
    return True


def _check_overlap_same_grid(infos, names):
    a, b = infos
    if a.crs_wkt and b.crs_wkt and a.srs is not None and not a.srs.IsSame(b.srs):
        raise GeohazardError(f"{names[1]} is in another CRS than {names[0]}; warp both to one grid first")
    ga, gb = a.geotransform, b.geotransform
    ax = (ga[0], ga[0] + a.width * ga[1])
    bx = (gb[0], gb[0] + b.width * gb[1])
    ay = (ga[3] + a.height * ga[5], ga[3])
    by = (gb[3] + b.height * gb[5], gb[3])
    if ax[1] <= bx[0] or bx[1] <= ax[0] or ay[1] <= by[0] or by[1] <= ay[0]:
        raise GeohazardError(f"{names[0]} and {names[1]} do not overlap")
    check_same_grid(infos, names)


ALGORITHMS = [LosVelocityToVertical, GeometricDistortion, LosProjection, AscDescDecomposition]
