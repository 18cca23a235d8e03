"""``geohazard:slopestability``. Infinite-slope factor of safety of shallow landslides from a DEM and soil
parameters, its classes and, over ranges of the parameters, the probability of failure."""

from __future__ import annotations

from ....algorithms.errors import GeohazardError
from ....algorithms.hazard import slopestability as ss
from ....fileio.hazard import slopestability as io_slope
from ...inputs import declare, ids, knobs
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("slopestability", "Slope stability (infinite-slope factor of safety)", page="hazard",
      tags="slope stability,factor of safety,FS,infinite slope,shallow landslide,SINMAP,TRIGRS,r.slope.stability,"
           "probability of failure,Monte Carlo,cohesion,friction", main=(ids.OUTPUT, "OUTPUT_CLASSES"), engine=True)
class SlopeStability(GeohazardAlgorithm):
    COHESION_KPA = "COHESION_KPA"
    COHESION_KPA_RASTER = "COHESION_KPA_RASTER"
    COHESION_KPA_MAX = "COHESION_KPA_MAX"
    FRICTION_DEG = "FRICTION_DEG"
    FRICTION_DEG_RASTER = "FRICTION_DEG_RASTER"
    FRICTION_DEG_MAX = "FRICTION_DEG_MAX"
    UNIT_WEIGHT_KN_M3 = "UNIT_WEIGHT_KN_M3"
    UNIT_WEIGHT_KN_M3_RASTER = "UNIT_WEIGHT_KN_M3_RASTER"
    SOIL_DEPTH_M = "SOIL_DEPTH_M"
    SOIL_DEPTH_M_RASTER = "SOIL_DEPTH_M_RASTER"
    SOIL_DEPTH_M_MAX = "SOIL_DEPTH_M_MAX"
    WETNESS = "WETNESS"
    WETNESS_RASTER = "WETNESS_RASTER"
    WETNESS_MAX = "WETNESS_MAX"
    SAMPLES = "SAMPLES"
    OUTPUT_CLASSES = "OUTPUT_CLASSES"
    OUTPUT_PROBABILITY = "OUTPUT_PROBABILITY"
    HELP = (
        "Factor of safety of shallow landslides on every cell of a DEM by the infinite-slope model (as SINMAP, TRIGRS "
        "and GRASS's r.slope.stability compute it), its stability classes and, over ranges of the soil parameters, the "
        "probability of failure. It needs a DEM in a projected CRS in metres and the soil's cohesion, friction angle, "
        "unit weight, depth and wetness.\n\n"
        "<b>DEM</b> (m, projected CRS in metres, north-up): the slope beta is Horn's 3x3 (as gdaldem slope); edge "
        "cells and cells next to no data have none. A geographic DEM is refused: warp it to its UTM zone first; "
        "heights declared in feet or cm are read as metres, and a DEM whose median slope exceeds 60 degrees (heights "
        "in cm, undeclared) is refused.\n"
        "<b>Soil parameters</b>, each a number or a raster on the DEM's grid (the <i>_RASTER</i> twin; a raster twin "
        "wins over its number, and the log says so): COHESION_KPA c' (kPa, effective cohesion plus root cohesion), "
        "FRICTION_DEG phi' (degrees, 5-60), UNIT_WEIGHT_KN_M3 gamma (kN/m3, 10-30, default 19; a density in t/m3 times "
        "9.81), SOIL_DEPTH_M z (m, measured vertically), WETNESS m (the saturated share of the soil depth, 0 dry to 1 "
        "water table at the surface). Cohesion, friction, depth and wetness have no default: the site says them.\n\n"
        "<b>Method</b>: FS = (c' + (gamma - m gamma_w) z cos^2(beta) tan(phi')) / (gamma z sin(beta) cos(beta)), "
        "gamma_w = 9.81 kN/m3. FS < 1 fails.\n"
        "<b>Outputs</b>: OUTPUT, FS (dimensionless); cells flatter than 0.5 degrees are written as no data (FS grows "
        "without bound there) and classed stable. OUTPUT_CLASSES: 1 FS < 1 (unstable), 2 1-1.3 (marginal), 3 1.3-1.5 "
        "(moderately stable), 4 FS >= 1.5 or flat (stable), styled.\n"
        "<b>Probability of failure</b> (OUTPUT_PROBABILITY, asked for with at least one range): COHESION_KPA_MAX, "
        "FRICTION_DEG_MAX, SOIL_DEPTH_M_MAX and WETNESS_MAX make their parameter vary uniformly between its number and "
        "the maximum (OUTPUT keeps the numbers, the ranges' lower ends); SAMPLES draws (default 1000) of the ranged "
        "parameters, the same draws for every cell from a fixed seed, so a run repeats exactly; the output is the "
        "share of draws with FS < 1 (0-1; flat cells 0), within 0.5 / sqrt(SAMPLES) (one standard error). The log "
        "gives the Monte Carlo's expected time, measured on a sample of cells before it starts. A range applies to a "
        "number: a parameter given as a raster cannot also be given a range.\n\n"
        "References: Hammond C. et al. (1992) LISA, USDA Forest Service INT-GTR-285; Pack R.T. et al. (1998) SINMAP; "
        "Baum R.L. et al. (2008) TRIGRS, doi:10.3133/ofr20081159; Mergili M. et al. (2014) r.slope.stability, "
        "doi:10.5194/gmd-7-2969-2014; Horn B.K.P. (1981) doi:10.1109/PROC.1981.11918."
    )
    OVERLAP = tuple((ids.DEM, twin) for twin in (COHESION_KPA_RASTER, FRICTION_DEG_RASTER, UNIT_WEIGHT_KN_M3_RASTER,
                                                 SOIL_DEPTH_M_RASTER, WETNESS_RASTER))

    def _soil(self):
        """(core name, number ID, raster ID, maximum ID or "", name, unit, default, lo, hi) of each soil parameter."""
        return (("cohesion_kpa", self.COHESION_KPA, self.COHESION_KPA_RASTER, self.COHESION_KPA_MAX, "Cohesion c'",
                 "kPa", None, 0.0, 1000.0),
                ("friction_deg", self.FRICTION_DEG, self.FRICTION_DEG_RASTER, self.FRICTION_DEG_MAX, "Friction angle",
                 "degrees", None, 5.0, 60.0),
                ("unit_weight_kn_m3", self.UNIT_WEIGHT_KN_M3, self.UNIT_WEIGHT_KN_M3_RASTER, "", "Unit weight",
                 "kN/m3", 19.0, 10.0, 30.0),
                ("soil_depth_m", self.SOIL_DEPTH_M, self.SOIL_DEPTH_M_RASTER, self.SOIL_DEPTH_M_MAX,
                 "Soil depth, vertical", "m", None, 0.001, 100.0),
                ("wetness", self.WETNESS, self.WETNESS_RASTER, self.WETNESS_MAX, "Wetness", "saturated share 0-1",
                 None, 0.0, 1.0))

    def initAlgorithm(self, config=None):
        self.addParameter(declare.raster(self.DEM, "DEM (m, projected CRS in metres)"))
        for _, pid, rid, mid, name, unit, default, lo, hi in self._soil():
            self.addParameter(declare.number(pid, f"{name} ({unit})", default, lo, hi, optional=default is None))
            self.addParameter(declare.raster(rid, f"Or: {name.lower()} raster ({unit})", optional=True))
            if mid:
                self.addParameter(declare.number(mid, f"{name}: range maximum ({unit})", None, lo, hi,
                                                 optional=True, advanced=True))
        self.addParameter(declare.integer(self.SAMPLES, "Monte Carlo draws", 1000, 10, 100000, advanced=True))
        self.addParameter(declare.raster_out(self.OUTPUT, "Factor of safety"))
        self.addParameter(declare.raster_out(self.OUTPUT_CLASSES, "Stability classes", optional=True))
        self.addParameter(declare.raster_out(self.OUTPUT_PROBABILITY, "Probability of failure", optional=True,
                                             create=False))

    def _plan(self, parameters, context):
        """(rasters, constants, names, ranges) of the soil parameters, each checked."""
        def given(pid):
            return parameters.get(pid) not in (None, "") or self.parameterDefinition(pid).defaultValue() is not None

        rasters, constants, names, ranges = {}, {}, {"dem": self.DEM}, {}
        for key, pid, rid, mid, *_ in self._soil():
            if not given(pid) and not given(rid):
                raise GeohazardError(f"{pid}: no value; give a number or a raster ({rid})")
            names[key] = rid if given(rid) else pid
            if given(rid):
                rasters[key] = self.raster_path(parameters, rid, context)
            else:
                constants[key] = self.parameterAsDouble(parameters, pid, context)
                ss.check_values(key, constants[key], pid)
            if mid and given(mid):
                if given(rid):
                    raise GeohazardError(f"{mid}: a range applies to the number {pid}, but {rid} is given (a raster "
                                         f"wins over the number); leave {mid} empty or give {pid} instead of {rid}")
                top = self.parameterAsDouble(parameters, mid, context)
                if top < constants[key]:
                    raise GeohazardError(f"{mid} = {top:g} is below {pid} = {constants[key]:g}: the range runs "
                                         f"from {pid} up to {mid}")
                ranges[key] = (constants[key], top)
        if given(self.OUTPUT_PROBABILITY) and not ranges:
            raise GeohazardError(f"{self.OUTPUT_PROBABILITY} needs at least one range: {self.COHESION_KPA_MAX}, "
                                 f"{self.FRICTION_DEG_MAX}, {self.SOIL_DEPTH_M_MAX} or {self.WETNESS_MAX}")
        return rasters, constants, names, ranges

    def check(self, parameters, context):
        self._plan(parameters, context)

    def process(self, parameters, context, feedback):
        rasters, constants, names, ranges = self._plan(parameters, context)
        job = io_slope.Job(
            dem=self.raster_path(parameters, self.DEM, context),
            outputs={k: (pid, self.parameterAsOutputLayer(parameters, pid, context) if parameters.get(pid) else "")
                     for k, pid in (("fs", self.OUTPUT), ("classes", self.OUTPUT_CLASSES),
                                    ("probability", self.OUTPUT_PROBABILITY))},
            samples=self.parameterAsInt(parameters, self.SAMPLES, context),
            settings=knobs.run_settings(self, parameters, context), rasters=rasters, constants=constants,
            names=names, ranges=ranges)
        return self.finish(io_slope.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
