"""``geohazard:losprojection``. LOS projection: line-of-sight velocities projected onto the vertical and onto the
downslope direction."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....fileio.base import raster
from ....fileio.display import styles
from ....fileio.geometry import geometry
from ....fileio.geometry import losprojection as io_proj
from ...inputs import acquisition, angles, declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("losprojection", "LOS projection to vertical and downslope",
      tags="LOS,line of sight,vertical,downslope,slope,landslide,velocity,subsidence",
      main=("OUTPUT_VERTICAL", ids.OUTPUT_POINTS), page="geometry", engine=True)
class LosProjection(GeohazardAlgorithm):
    OUTPUT_VERTICAL = "OUTPUT_VERTICAL"
    OUTPUT_DOWNSLOPE = "OUTPUT_DOWNSLOPE"
    HELP = (
        "Projects line-of-sight (LOS) velocities onto the vertical (v_vert = v_los / u_up, i.e. / cos(incidence)) "
        "and onto the steepest-descent direction of the terrain (V_SLOPE = V_LOS / C, C the cosine between the "
        "LOS and the downslope unit vector from slope and aspect), for a raster and/or a point layer.\n\n"
        "<b>LOS raster</b> (optional): velocity in mm/yr or displacement in mm, positive toward the "
        "satellite; every band is projected (a time series stays a time series, band descriptions are kept). "
        "<b>Points</b> (optional): e.g. EGMS or any PS/DS layer with a velocity field; per-point LOS "
        "unit vectors are taken from los_east/los_north/los_up when present (EGMS), else from incidence_angle/"
        "track_angle fields, else from the heading and incidence given here.\n"
        "MintPy's velocity.h5 / timeseries.h5 are read as delivered (m -> mm, georeferenced, dated).\n"
        "<b>Heading and incidence</b>: empty (the default), the HEADING_DEG and INCIDENCE_DEG the LOS raster "
        "carries (the stack tools write them when their inputs carry them; MintPy's HEADING and "
        "CENTER_INCIDENCE_ANGLE, or its work folder's inputs/geometryGeo.h5) are used; a value you type wins, with "
        "a warning naming both when the raster says otherwise. The log names the source. With neither (and no "
        "incidence or heading raster, no LOS fields on the points) the tool stops and says what to type: it "
        "assumes no geometry.\n"
        "<b>Incidence raster</b> (optional, rasters only): per-pixel incidence; its content (incidence or look-vector "
        "elevation, degrees or radians, LiCSAR's U.tif) is declared in the next field and checked against the "
        "values and the file (a HyP3 lv_theta or LiCSAR U.tif declared as incidence degrees is refused, naming the "
        "setting that fits).\n"
        "<b>Heading raster</b> (optional, rasters only): per-pixel heading, or the look-vector azimuth of "
        "GAMMA/HyP3 (lv_phi) or ISCE (los band 2; MintPy's geometryGeo.h5 azimuthAngle).\n"
        "<b>DEM</b>: needed for the downslope projection (projected or geographic; slopes in metres). For a "
        "raster it must be on the same grid; points are placed on it by their coordinates (any CRS).\n"
        "<b>Minimum sensitivity</b>: V_SLOPE is left empty where |C| is below it (the projection would amplify "
        "noise more than 1/|C|); default 0.3 (amplification <= 3.3).\n\n"
        "Outputs: vertical and downslope rasters (diverging styles) and/or a point layer with v_los, v_vertical, "
        "v_downslope (positive = moving downhill), sensitivity C, slope, aspect and the source feature id.\n"
        "References: Cigna F. et al. (2012) doi:10.1016/j.rse.2011.03.004; Notti D. et al. (2014) "
        "doi:10.1080/01431161.2014.894528."
    )
    OVERLAP = ((ids.INPUT, ids.DEM), (ids.POINTS, ids.DEM), (ids.INPUT, ids.INCIDENCE_RASTER))
    MM_INPUTS = (ids.INPUT,)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.INPUT, "LOS velocity raster", optional=True))
        self.addParameter(declare.features(self.POINTS, "LOS velocity points", "point", optional=True))
        self.addParameter(declare.field(self.VELOCITY_FIELD, "Velocity field (mm/yr, + toward satellite)",
                                        self.POINTS, default="mean_velocity", numeric=True, optional=True))
        self.addParameter(declare.raster(self.DEM, "DEM (metres)", optional=True))
        self.addParameter(declare.number(self.HEADING, "Heading (degrees; empty = metadata)",
                                         None, -360.0, 360.0, optional=True))
        self.addParameter(declare.number(self.INCIDENCE, "Incidence (degrees; empty = metadata)",
                                         None, 0.001, 89.999, optional=True))
        self.addParameter(declare.raster(self.INCIDENCE_RASTER, "Incidence raster (grid of the LOS raster)",
                                         optional=True))
        self.addParameter(declare.enum(self.INCIDENCE_UNITS, "Incidence raster content", geometry.INCIDENCE_KINDS))
        self.addParameter(declare.raster(self.HEADING_RASTER,
                                         "Heading / LOS azimuth raster (same grid)",
                                         optional=True))
        self.addParameter(declare.enum(self.HEADING_UNITS, "Heading raster content", geometry.HEADING_KINDS))
        self.addParameter(declare.enum(self.LOOK, "Look side", ["right", "left"]))
        self.addParameter(declare.number(self.MIN_SENSITIVITY, "Minimum |C| for the downslope projection", 0.3, 0.01,
                                         1.0))
        self.addParameter(declare.raster_out(self.OUTPUT_VERTICAL, "Vertical velocity", optional=True, create=False))
        self.addParameter(declare.raster_out(self.OUTPUT_DOWNSLOPE, "Downslope velocity", optional=True, create=False))
        self.addParameter(declare.vector_out(self.OUTPUT_POINTS, "Projected points", "point", optional=True,
                                             create=False))

    def check(self, parameters, context):
        has_r, has_p = bool(parameters.get(self.INPUT)), bool(parameters.get(self.POINTS))
        if not (has_r or has_p):
            raise GeohazardError("give a LOS raster (INPUT) or a point layer (POINTS)")
        if has_p and not parameters.get(self.OUTPUT_POINTS):
            raise GeohazardError("POINTS given: set OUTPUT_POINTS")
        if has_r and not (parameters.get(self.OUTPUT_VERTICAL) or parameters.get(self.OUTPUT_DOWNSLOPE)):
            raise GeohazardError("INPUT given: set OUTPUT_VERTICAL and/or OUTPUT_DOWNSLOPE")
        if parameters.get(self.OUTPUT_DOWNSLOPE) and not parameters.get(self.DEM):
            raise GeohazardError("OUTPUT_DOWNSLOPE needs a DEM")
        if has_r:
            info = self.raster_info(parameters, self.INPUT, context)
            for p in (self.DEM, self.INCIDENCE_RASTER, self.HEADING_RASTER):
                if parameters.get(p):
                    raster.check_same_grid([info, self.raster_info(parameters, p, context)], [self.INPUT, p])
        if parameters.get(self.DEM):
            geometry.metric_pixel_size(self.raster_info(parameters, self.DEM, context), self.DEM)

    def process(self, parameters, context, feedback):
        has_r = bool(parameters.get(self.INPUT))
        points_need = bool(parameters.get(self.POINTS)) and not acquisition.points_carry_los(
            self.parameterAsSource(parameters, self.POINTS, context))
        heading, incidence = acquisition.heading_and_incidence(
            self, parameters, context, feedback, rasters=[self.raster_path(parameters, self.INPUT, context)] if has_r
            else [], need_heading=points_need or (has_r and bool(parameters.get(self.OUTPUT_DOWNSLOPE))
                                                   and not parameters.get(self.HEADING_RASTER)),
            need_incidence=points_need or (has_r and not parameters.get(self.INCIDENCE_RASTER)),
            heading_raster=self.HEADING_RASTER, incidence_raster=self.INCIDENCE_RASTER)
        progress = FeedbackProgress(feedback)
        outputs, rasters, kind = {}, {}, 0
        if has_r:
            outputs = layers.output_paths(self, parameters, (self.OUTPUT_VERTICAL, self.OUTPUT_DOWNSLOPE), context,
                                          optional=(self.OUTPUT_VERTICAL, self.OUTPUT_DOWNSLOPE))
            rasters = {key: self.raster_path(parameters, name, context) for key, name in
                       (("incidence", self.INCIDENCE_RASTER), ("heading", self.HEADING_RASTER), ("dem", self.DEM))
                       if parameters.get(name)}
            if "incidence" in rasters:
                kind = angles.incidence_kind(self, parameters, context, rasters["incidence"], progress)[0]
        has_p = bool(parameters.get(self.POINTS))
        job = io_proj.Job(
            heading_deg=heading, incidence_deg=incidence, look=["right", "left"][self.parameterAsEnum(
                parameters, self.LOOK, context)], min_sensitivity=self.parameterAsDouble(
                parameters, self.MIN_SENSITIVITY, context),
            dem=self.raster_info(parameters, self.DEM, context) if parameters.get(self.DEM) else None,
            los=self.raster_info(parameters, self.INPUT, context) if has_r else None, outputs=outputs,
            ids={"vertical": self.OUTPUT_VERTICAL, "downslope": self.OUTPUT_DOWNSLOPE}, rasters=rasters,
            incidence_kind=kind, heading_kind=self.parameterAsEnum(parameters, self.HEADING_UNITS, context),
            points=self.parameterAsSource(parameters, self.POINTS, context) if has_p else None,
            velocity_field=self.parameterAsString(parameters, self.VELOCITY_FIELD, context) or "mean_velocity",
            points_output=self.parameterAsOutputLayer(parameters, self.OUTPUT_POINTS, context) if has_p else "",
            names={"los": self.INPUT, "incidence": self.INCIDENCE_RASTER, "heading": self.HEADING_RASTER,
                   "dem": self.DEM, "points": self.POINTS, "points_output": self.OUTPUT_POINTS},
            settings=knobs.run_settings(self, parameters, context))
        outcome = io_proj.run(job, progress=progress, context=context)
        for key in (self.OUTPUT_VERTICAL, self.OUTPUT_DOWNSLOPE):
            if key in outcome.outputs:
                styles.style_raster_diverging(outcome.outputs[key], context=context)
        return self.finish(outcome, feedback)
