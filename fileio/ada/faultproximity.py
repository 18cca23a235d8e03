"""The fault-proximity run: the features' and the faults' geometries in a metric CRS, each feature's distance to
the nearest fault, the features copied with their distance and band, and the chart of the bands
(:func:`...algorithms.ada.faults.distance_bands`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ...algorithms.ada.faults import distance_bands
from ...algorithms.errors import GeohazardError
from ...algorithms.progress import info
from ..base import compat
from ..base.runs import Outcome
from ..display import charts
from . import features


@dataclass(frozen=True)
class Job:
    """A fault-proximity run as plain values: the features (``source``) and the faults (``faults``: feature
    sources), the bands' upper limits (``bands_m``, m, increasing), ``sink(fields, like)`` the ``(sink, destination)``
    of the output with ``fields`` like the source ``like``, the chart (``chart``: PNG path, "" without) and the
    parameter IDs to name (``names``: features, faults)."""

    source: object
    faults: object
    bands_m: list
    sink: Callable
    chart: str = ""
    names: tuple = ("INPUT", "FAULTS")


def band_labels(table) -> list:
    """The label of each band of :func:`~...algorithms.ada.faults.distance_bands`' ``table`` ('0-500 m', '> 5000 m')."""
    return [f"{lo:g}-{hi:g} m" if np.isfinite(hi) else f"> {lo:g} m"
            for lo, hi in zip(table["lower_m"], table["upper_m"])]


def run(job: Job, *, progress, context) -> Outcome:
    """Each feature's distance to the nearest fault (0 touching or crossing one), written with its band."""
    source, faults = job.source, job.faults
    crs_metric = features.metric_crs(source, job.names[0])
    fl = [g for _, g in features.metric_geometries(faults, crs_metric, context) if not g.isNull()]
    if not fl:
        raise GeohazardError(f"{job.names[1]}: the fault layer has no geometries")
    feats = features.metric_geometries(source, crs_metric, context, progress)
    dist = features.distances([g for _, g in feats], fl, progress)
    table = distance_bands(dist, job.bands_m)
    labels = band_labels(table)
    idx = np.searchsorted(np.asarray(job.bands_m, float), dist, side="left")
    fields = features.copy_fields(source.fields(), [("dist_fault_m", compat.FIELD_DOUBLE),
                                                    ("band", compat.FIELD_STRING)])
    sink, dest = job.sink(fields, source)
    features.add_features(sink, fields, feats, [[d, labels[i] if np.isfinite(d) else None]
                                                for d, i in zip(dist, idx)])
    for lab, c, s, cs in zip(labels, table["count"], table["share"], table["cumulative_share"]):
        info(progress, f"{lab}: {c} features, {100 * s:.1f}% (cumulative {100 * cs:.1f}%)")
    outcome = Outcome(outputs={"OUTPUT": dest},
                      values={"SHARE_BY_BAND": {lab: float(s) for lab, s in zip(labels, table["share"])}})
    if job.chart and charts.fault_distance(job.chart, labels, table,
                                           title=f"{source.sourceName()} vs {faults.sourceName()}", log=progress):
        outcome.outputs["OUTPUT_CHART"] = job.chart
    return outcome
