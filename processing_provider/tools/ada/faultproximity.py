"""``geohazard:faultproximity``. Distance to faults: each feature's distance to the nearest fault line and the
features' distribution by distance band."""

from __future__ import annotations

import numpy as np

from ....algorithms.ada.faults import distance_bands
from ....algorithms.errors import GeohazardError
from ....fileio.base import compat
from ....fileio.display import charts
from ...inputs import declare, ids, layers
from ...inputs.feedback import FeedbackProgress
from ...lazy import lazy_module
from .._base import GeohazardAlgorithm, tool

features = lazy_module("....fileio.ada.features", __package__)


@tool("faultproximity", "Distance to faults (ADAs, landslides)",
      tags="fault,distance,landslide,ADA,active deformation areas", page="ada")
class FaultProximity(GeohazardAlgorithm):
    BANDS = "BANDS"
    OUTPUT_CHART = "OUTPUT_CHART"
    HELP = (
        "Distance from each feature (active deformation areas, landslides, points) to the nearest "
        "fault line, and the distribution of the features by distance band.\n\n"
        "<b>Input</b>: any vector layer. <b>Faults</b>: line layer. Distances are computed in metres "
        "in a projected CRS (the input's when it is projected in metres, else the local UTM zone); "
        "a feature touching or crossing a fault has distance 0. <b>Bands</b>: increasing upper limits "
        "in metres, comma separated (default 500,1000,2000,5000; a last open band is added).\n\n"
        "<b>Output</b>: the input features with dist_fault_m and band (e.g. '0-1000 m'). <b>Chart</b>: a "
        "PNG bar chart of the share of features per band with the cumulative share; the table is also "
        "printed in the log and returned (share within each band)."
    )
    OVERLAP = ((ids.INPUT, ids.FAULTS, 1.0),)

    def initAlgorithm(self, config=None):
        self.addParameter(declare.features(self.INPUT, "ADAs or landslides"))
        self.addParameter(declare.features(self.FAULTS, "Faults", "line"))
        self.addParameter(declare.text(self.BANDS, "Distance bands, upper limits (m)", "500,1000,2000,5000"))
        self.addParameter(declare.sink_out(self.OUTPUT, "Features with fault distance"))
        self.addParameter(declare.file_out(self.OUTPUT_CHART, "Chart", self.tr("PNG files (*.png)"), optional=True))

    def _bands(self, parameters, context):
        text = self.parameterAsString(parameters, self.BANDS, context)
        try:
            bands = [float(t) for t in text.replace(";", ",").split(",") if t.strip()]
        except ValueError:
            raise GeohazardError(f"{self.BANDS}: {text!r} is not a comma-separated list of distances in metres"
                                 ) from None
        distance_bands([], bands)  # validates
        return bands

    def check(self, parameters, context):
        self._bands(parameters, context)

    def process(self, parameters, context, feedback):
        progress = FeedbackProgress(feedback)
        bands = self._bands(parameters, context)
        source = layers.feature_source(self, parameters, self.INPUT, context)
        faults = layers.feature_source(self, parameters, self.FAULTS, context)
        crs_metric = features.metric_crs(source, self.INPUT)
        fl = [g for _, g in features.metric_geometries(faults, crs_metric, context) if not g.isNull()]
        if not fl:
            raise GeohazardError(f"{self.FAULTS}: the fault layer has no geometries")
        feats = features.metric_geometries(source, crs_metric, context, progress)
        dist = features.distances([g for _, g in feats], fl, progress)
        table = distance_bands(dist, bands)
        labels = [f"{lo:g}-{hi:g} m" if np.isfinite(hi) else f"> {lo:g} m"
                  for lo, hi in zip(table["lower_m"], table["upper_m"])]
        idx = np.searchsorted(np.asarray(bands, float), dist, side="left")
        fields = features.copy_fields(source.fields(), [("dist_fault_m", compat.FIELD_DOUBLE),
                                                        ("band", compat.FIELD_STRING)])
        sink, dest = layers.feature_sink(self, parameters, self.OUTPUT, context, fields, source)
        features.add_features(sink, fields, feats, [[d, labels[i] if np.isfinite(d) else None]
                                                    for d, i in zip(dist, idx)])
        for lab, c, s, cs in zip(labels, table["count"], table["share"], table["cumulative_share"]):
            feedback.pushInfo(f"{lab}: {c} features, {100 * s:.1f}% (cumulative {100 * cs:.1f}%)")
        result = {self.OUTPUT: dest, "SHARE_BY_BAND": {lab: float(s) for lab, s in zip(labels, table["share"])}}
        if parameters.get(self.OUTPUT_CHART):  # optional: no chart when left out
            chart = self.parameterAsFileOutput(parameters, self.OUTPUT_CHART, context)
            if charts.fault_distance(chart, labels, table, title=f"{source.sourceName()} vs {faults.sourceName()}",
                                     log=progress):
                result[self.OUTPUT_CHART] = chart
        return result
