"""The landslide-activity run: the inventory's polygons in a metric CRS, the InSAR points inside each (blocks of
points, local or Dask), the state of activity of every landslide (:func:`~...algorithms.ada.activity.
landslide_activity`), and the ADAs outside every landslide as candidates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ...algorithms.ada import detection
from ...algorithms.ada.activity import landslide_activity
from ...algorithms.progress import SubProgress, info
from ..base import blocks, compat
from ..base.runs import Outcome
from ..display import styles
from . import features

#: The attributes added to each landslide, from :func:`~...algorithms.ada.activity.landslide_activity`.
ACTIVITY_FIELDS = [("area_km2", compat.FIELD_DOUBLE), ("n_points", compat.FIELD_INT),
                   ("min_points", compat.FIELD_INT), ("n_moving", compat.FIELD_INT),
                   ("share_moving", compat.FIELD_DOUBLE), ("mean_vlos", compat.FIELD_DOUBLE),
                   ("max_vlos", compat.FIELD_DOUBLE), ("n_vslope", compat.FIELD_INT),
                   ("mean_vslope", compat.FIELD_DOUBLE), ("max_vslope", compat.FIELD_DOUBLE),
                   ("rep_vel", compat.FIELD_DOUBLE), ("rep_source", compat.FIELD_STRING),
                   ("state", compat.FIELD_STRING), ("threshold", compat.FIELD_DOUBLE)]
STATES = ("active", "inactive", "not enough data")


@dataclass(frozen=True)
class Job:
    """A landslide-activity run as plain values: the inventory (``inventory``, a feature source), the points
    (``points``: a :class:`~..motion.ada.PointTable` with the velocity field ``velocity``, mm/yr, and the LOS fields
    ``los_fields`` when it has all three), ``downslope(table, inside)`` the points' downslope velocity (None without
    a DEM), the stability threshold (``threshold_mm_yr``; 0 = 2 std of the points), ``sink(pid, fields, like)`` the
    ``(sink, destination)`` of output ``pid``, the ADAs (``adas``: a feature source or None) and whether their
    candidates are written (``candidates``), the parameter ID of the inventory (``name``) and the run-wide knobs."""

    inventory: object
    points: object
    velocity: str
    los_fields: list
    downslope: Callable
    threshold_mm_yr: float
    sink: Callable
    settings: blocks.RunSettings
    adas: object = None
    candidates: bool = False
    name: str = "INVENTORY"


def run(job: Job, *, progress, context) -> Outcome:
    """The state of activity of every landslide of the inventory, written; the candidates when ADAs are given."""
    inv, table = job.inventory, job.points
    crs_metric = features.metric_crs(inv, job.name)
    feats = features.usable_polygons(features.metric_geometries(inv, crs_metric, context, progress), job.name,
                                     progress)
    with job.settings.executor(progress) as ex:
        poly_idx = features.points_in_polygons(table, crs_metric, feats, executor=ex,
                                               progress=SubProgress(progress, 30, 50))
    v = table.attributes[job.velocity]
    thr = job.threshold_mm_yr or detection.stability_threshold(v)
    info(progress, f"stability threshold {thr:.3g} mm/yr; {int((poly_idx >= 0).sum())} of {v.size} points inside "
                   f"{len(feats)} landslides")
    v_slope = job.downslope(table, poly_idx >= 0)
    area_km2 = np.array([g.area() / 1e6 if not g.isNull() else 0.0 for _, g in feats])
    act = landslide_activity(poly_idx, v, area_km2, threshold_mm_yr=thr, v_slope_mm_yr=v_slope)
    act["area_km2"] = area_km2
    act["threshold"] = np.full(len(feats), thr)
    fields = features.copy_fields(inv.fields(), ACTIVITY_FIELDS)
    sink, dest = job.sink("OUTPUT", fields, inv)
    features.add_features(sink, fields, feats, [[act[nm][i] for nm, _ in ACTIVITY_FIELDS] for i in range(len(feats))])
    del sink  # flush and close the file before styling it
    styles.style_sink(dest, context, "state", list(STATES))
    info(progress, "landslides: " + ", ".join(f"{s} {int(np.sum(act['state'] == s))}" for s in STATES))
    outcome = Outcome(outputs={"OUTPUT": dest})
    if job.adas is not None:
        adas = features.metric_geometries(job.adas, crs_metric, context)
        hit = features.intersects_any([g for _, g in adas], [g for _, g in feats])
        info(progress, f"{int((~hit).sum())} of {len(adas)} ADAs lie outside every inventory landslide (candidates)")
        if job.candidates:
            fields = features.copy_fields(job.adas.fields(), [("candidate", compat.FIELD_STRING)])
            sink, dest = job.sink("OUTPUT_CANDIDATES", fields, job.adas)
            features.add_features(sink, fields, adas, [["ADA outside every inventory landslide"]] * len(adas),
                                  keep=~hit)
            outcome.outputs["OUTPUT_CANDIDATES"] = dest
    return outcome
