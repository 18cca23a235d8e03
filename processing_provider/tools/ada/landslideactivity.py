"""``geohazard:landslideactivity``. Landslide activity: the state of activity of mapped landslides from InSAR points
and ADAs, and candidate new landslides."""

from __future__ import annotations

import numpy as np

from ....algorithms.ada import detection
from ....algorithms.progress import SubProgress
from ....fileio.base import compat
from ....fileio.display import styles
from ...inputs import ada as inputs_ada
from ...inputs import declare, ids, knobs, layers
from ...inputs.feedback import FeedbackProgress
from ...lazy import lazy_module
from .._base import GeohazardAlgorithm, tool

features = lazy_module("....fileio.ada.features", __package__)
activity = lazy_module("....algorithms.ada.activity", __package__)


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

    #: the attributes added to each landslide, from :func:`~algorithms.ada.activity.landslide_activity`
    ACTIVITY_FIELDS = [("area_km2", compat.FIELD_DOUBLE), ("n_points", compat.FIELD_INT),
                       ("min_points", compat.FIELD_INT), ("n_moving", compat.FIELD_INT),
                       ("share_moving", compat.FIELD_DOUBLE), ("mean_vlos", compat.FIELD_DOUBLE),
                       ("max_vlos", compat.FIELD_DOUBLE), ("n_vslope", compat.FIELD_INT),
                       ("mean_vslope", compat.FIELD_DOUBLE), ("max_vslope", compat.FIELD_DOUBLE),
                       ("rep_vel", compat.FIELD_DOUBLE), ("rep_source", compat.FIELD_STRING),
                       ("state", compat.FIELD_STRING), ("threshold", compat.FIELD_DOUBLE)]

    def _candidates(self, parameters, context, feats, crs_metric, feedback) -> dict:
        """ADAs outside every inventory landslide, written to OUTPUT_CANDIDATES."""
        ada_src = self.parameterAsSource(parameters, self.ADAS, context)
        adas = features.metric_geometries(ada_src, crs_metric, context)
        hit = features.intersects_any([g for _, g in adas], [g for _, g in feats])
        feedback.pushInfo(f"{int((~hit).sum())} of {len(adas)} ADAs lie outside every inventory landslide "
                          "(candidates)")
        if not parameters.get(self.OUTPUT_CANDIDATES):
            return {}
        fields = features.copy_fields(ada_src.fields(), [("candidate", compat.FIELD_STRING)])
        sink, dest = layers.feature_sink(self, parameters, self.OUTPUT_CANDIDATES, context, fields, ada_src)
        features.add_features(sink, fields, adas, [["ADA outside every inventory landslide"]] * len(adas), keep=~hit)
        return {self.OUTPUT_CANDIDATES: dest}

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        inv = layers.feature_source(self, parameters, self.INVENTORY, context)
        layer = layers.source_layer(self, parameters, self.POINTS, context)
        vel = layers.velocity_field(self, parameters, self.VELOCITY_FIELD, layer, context)
        los_fields = [f for f in ("los_east", "los_north", "los_up") if layer.fields().lookupField(f) >= 0]
        los_fields = los_fields if len(los_fields) == 3 else []
        table = layers.read_point_table(self, parameters, self.POINTS, context, [vel] + los_fields,
                                        SubProgress(progress, 0, 30))
        crs_metric = features.metric_crs(inv, self.INVENTORY)
        feats = features.usable_polygons(features.metric_geometries(inv, crs_metric, context, progress),
                                         self.INVENTORY, progress)
        with knobs.run_settings(self, parameters, context).executor(progress) as ex:
            poly_idx = features.points_in_polygons(table, crs_metric, feats, executor=ex,
                                                   progress=SubProgress(progress, 30, 50))
        v = table.attributes[vel]
        thr = self.parameterAsDouble(parameters, self.THRESHOLD, context) or detection.stability_threshold(v)
        feedback.pushInfo(f"stability threshold {thr:.3g} mm/yr; {int((poly_idx >= 0).sum())} of {v.size} "
                          f"points inside {len(feats)} landslides")
        v_slope = inputs_ada.downslope_velocity(self, parameters, context, table, vel, los_fields, poly_idx >= 0)
        area_km2 = np.array([g.area() / 1e6 if not g.isNull() else 0.0 for _, g in feats])
        act = activity.landslide_activity(poly_idx, v, area_km2, threshold_mm_yr=thr, v_slope_mm_yr=v_slope)
        act["area_km2"] = area_km2
        act["threshold"] = np.full(len(feats), thr)
        fields = features.copy_fields(inv.fields(), self.ACTIVITY_FIELDS)
        sink, dest = layers.feature_sink(self, parameters, self.OUTPUT, context, fields, inv)
        features.add_features(sink, fields, feats, [[act[nm][i] for nm, _ in self.ACTIVITY_FIELDS]
                                                    for i in range(len(feats))])
        del sink  # flush and close the file before styling it
        styles.style_sink(dest, context, "state", ["active", "inactive", "not enough data"])
        states = {s: int(np.sum(act["state"] == s)) for s in ("active", "inactive", "not enough data")}
        feedback.pushInfo("landslides: " + ", ".join(f"{k} {n}" for k, n in states.items()))
        results = {self.OUTPUT: dest}
        if parameters.get(self.ADAS):
            results.update(self._candidates(parameters, context, feats, crs_metric, feedback))
        return results
