"""``geohazard:landslideactivity``. Landslide activity: the state of activity of mapped landslides from InSAR points
and ADAs, and candidate new landslides."""

from __future__ import annotations

from ....algorithms.progress import SubProgress
from ....fileio.ada import landslideactivity as io_act
from ...inputs import ada as inputs_ada
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


@tool("landslideactivity", "Landslide activity from moving points",
      tags="landslide,activity,inventory,IFFI,velocity,state of activity", kernels=("ada.activity",), page="ada",
      engine=(knobs.DASK_SCHEDULER, knobs.THREADS))
class LandslideActivity(GeohazardAlgorithm):
    ADAS = "ADAS"
    OUTPUT_CANDIDATES = "OUTPUT_CANDIDATES"
    HELP = (
        "State of activity of mapped landslides from InSAR points, and candidate new landslides.\n\n"
        "<b>Inventory</b>: landslide polygons. <b>Points</b>: InSAR points with a LOS velocity field "
        "(mm/yr, positive toward the satellite; auto-detected VEL, mean_velocity ...). Per landslide: "
        "n_points inside, min_points required (5 below 0.05 km2 growing log-linearly to 20 above 1 km2, "
        "after the ISBAS Sicily inventory work), n_moving and share_moving (|v| >= THRESHOLD, 0 = 2 std "
        "of the points' velocities), mean_vlos and max_vlos (largest magnitude, signed), and with a "
        "<b>DEM</b> (projected, metres) the downslope velocity V_SLOPE = V_LOS / C (C = cosine between "
        "the LOS and the steepest-descent direction; points with |C| < MIN_SENSITIVITY get none): "
        "n_vslope, mean_vslope, max_vslope (positive = downhill). The LOS direction comes from the "
        "points' los_east/los_north/los_up fields (EGMS) or from INCIDENCE and HEADING (needed then: the tool "
        "assumes no geometry and stops saying what to type). "
        "rep_vel = mean V_SLOPE when at least min_points points have one, else mean V_LOS; state = "
        "'not enough data' (n_points < min_points), 'active' (|rep_vel| >= THRESHOLD) or 'inactive'.\n\n"
        "<b>ADAs</b> (optional): active deformation areas outside every inventory polygon are written "
        "to <b>candidates</b> (possible new landslides).\n"
        "References: Cigna F. et al. (2013), doi:10.1007/s10346-012-0335-7; Notti D. et al. (2014), "
        "doi:10.1080/01431161.2014.894528; Novellino A. et al. (2017), doi:10.1016/j.geomorph.2016.12.009.\n"
        "The point-in-polygon step runs on blocks of 250,000 points (local or Dask; each point is independent); "
        "a block takes about 8 MB, small next to the points the tool reads, so the tool has no memory setting "
        "(MAX_MEMORY_MB is still accepted from scripts and models, and ignored)."
    )
    OVERLAP = ((ids.INVENTORY, ids.POINTS), (ids.INVENTORY, ids.DEM), (ids.INVENTORY, "ADAS"))

    def initAlgorithm(self, config=None):
        self.addParameter(declare.features(self.INVENTORY, "Landslide inventory", "polygon"))
        self.addParameter(declare.features(self.POINTS, "InSAR points", "point"))
        self.addParameter(declare.field(self.VELOCITY_FIELD, "Velocity field (mm/yr; empty = auto)", self.POINTS,
                                        numeric=True, optional=True))
        self.addParameter(declare.raster(self.DEM, "DEM (projected, metres)", optional=True))
        self.addParameter(declare.features(self.ADAS, "ADAs (candidate new landslides)", "polygon",
                                           optional=True))
        self.addParameter(declare.number(self.THRESHOLD, "Stability threshold (mm/yr; 0 = 2 std of the points)", 0.0,
                                         0.0))
        self.addParameter(declare.number(self.MIN_SENSITIVITY, "Minimum |C| for V_SLOPE", 0.3, 0.01, 1.0))
        self.addParameter(declare.number(self.INCIDENCE, "Incidence (degrees; no LOS fields)", None,
                                         0.001, 89.999, optional=True))
        self.addParameter(declare.number(self.HEADING, "Heading (degrees; no LOS fields)",
                                         None, -360.0, 360.0, optional=True))
        self.addParameter(declare.sink_out(self.OUTPUT, "Landslide activity", "polygon"))
        self.addParameter(declare.sink_out(self.OUTPUT_CANDIDATES, "Candidate new landslides", "polygon",
                                           optional=True))

    def check(self, parameters, context):
        layers.check_velocity_field(self, parameters, self.POINTS, self.VELOCITY_FIELD, context)

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        inventory = layers.feature_source(self, parameters, self.INVENTORY, context)
        layer = layers.source_layer(self, parameters, self.POINTS, context)
        vel = layers.velocity_field(self, parameters, self.VELOCITY_FIELD, layer, context)
        los_fields = [f for f in ("los_east", "los_north", "los_up") if layer.fields().lookupField(f) >= 0]
        los_fields = los_fields if len(los_fields) == 3 else []
        job = io_act.Job(
            inventory=inventory, velocity=vel,
            points=layers.read_point_table(self, parameters, self.POINTS, context, [vel] + los_fields,
                                           SubProgress(progress, 0, 30), feedback=feedback), los_fields=los_fields,
            downslope=lambda table, inside: inputs_ada.downslope_velocity(self, parameters, context, table, vel,
                                                                          los_fields, inside),
            threshold_mm_yr=self.parameterAsDouble(parameters, self.THRESHOLD, context),
            sink=lambda pid, fields, like: layers.feature_sink(self, parameters, pid, context, fields, like),
            adas=self.parameterAsSource(parameters, self.ADAS, context) if parameters.get(self.ADAS) else None,
            candidates=bool(parameters.get(self.OUTPUT_CANDIDATES)), name=self.INVENTORY,
            settings=knobs.run_settings(self, parameters, context))
        return self.finish(io_act.run(job, progress=progress, context=context), feedback)
