"""The ADA classification's run: the ADAs' geometries in a metric CRS, the evidence of each (slope, seasonal
amplitude, trend, distorted share, inside a landslide), the ordered rules of
:func:`~...algorithms.ada.classification.classify_ada`, and the ADAs copied with their class and explanation."""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ...algorithms.ada import classification
from ...algorithms.progress import check_canceled, info
from ..base import compat
from ..base.runs import Outcome
from ..base.vector import as_number
from ..display import styles
from . import features

#: The attributes added to each ADA.
FIELDS = [("ada_class", compat.FIELD_STRING), ("explanation", compat.FIELD_STRING),
          ("mean_slope_deg", compat.FIELD_DOUBLE), ("seasonal_amp_mm", compat.FIELD_DOUBLE),
          ("trend_mm_yr", compat.FIELD_DOUBLE), ("distorted_share", compat.FIELD_DOUBLE),
          ("in_landslide", compat.FIELD_BOOL)]


@dataclass(frozen=True)
class Job:
    """An ADA classification as plain values: the ADAs (``source``, a feature source) and their velocity field
    (``velocity``, mm/yr), ``evidence(feats, crs)`` the evidence of the ADAs' (feature, metric geometry) pairs
    (:func:`~...algorithms.ada.classification.classify_ada`'s keywords), the rules' thresholds (``rules``), whether
    distorted ADAs are dropped (``drop_distorted``), ``sink(fields, like)`` the output's ``(sink, destination)``
    and the parameter ID of the ADAs (``name``)."""

    source: object
    velocity: str
    evidence: Callable
    rules: dict
    drop_distorted: bool
    sink: Callable
    name: str = "INPUT"


def run(job: Job, *, progress, context) -> Outcome:
    """Classifies every ADA and writes it with its class, the rule's explanation and the evidence."""
    source = job.source
    crs_metric = features.metric_crs(source, job.name)
    feats = features.metric_geometries(source, crs_metric, context, progress)
    progress.set_progress(30)
    check_canceled(progress)
    ev = job.evidence(feats, crs_metric)
    v = np.array([as_number(f[job.velocity]) for f, _ in feats])
    area = np.array([g.area() for _, g in feats])
    classes, why = classification.classify_ada(v, area, **ev, **job.rules)
    progress.set_progress(80)
    check_canceled(progress)
    fields = features.copy_fields(source.fields(), FIELDS)
    sink, dest = job.sink(fields, source)
    keep = [not (job.drop_distorted and c == "distorted") for c in classes]
    cols = [ev["slope_deg"], ev["seasonal_amplitude_mm"], ev["trend_mm_yr"], ev["distorted_share"]]
    rows = [[classes[i], why[i]] + [c[i] if c is not None else None for c in cols]
            + [bool(ev["in_landslide"][i]) if ev["in_landslide"] is not None else None] for i in range(len(feats))]
    features.add_features(sink, fields, feats, rows, keep=keep)
    counts = collections.Counter(c for c, k in zip(classes, keep) if k)
    info(progress, "classes: " + ", ".join(f"{c} {n}" for c, n in sorted(counts.items())))
    del sink  # flush and close the file before styling it
    styles.style_sink(dest, context, "ada_class", list(classification.CLASSES))
    return Outcome(outputs={"OUTPUT": dest})
