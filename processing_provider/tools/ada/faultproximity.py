"""faultproximity."""

from __future__ import annotations

import os

import numpy as np
from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsGeometry,
    QgsProcessingException,
)

from ....algorithms.ada.faults import distance_bands
from ....algorithms.errors import GeohazardError
from ....algorithms.progress import check_canceled
from ...inputs import declare
from ...inputs.feedback import FeedbackProgress
from ...io import compat
from .._base import GeohazardAlgorithm, tool
from ._common import _copy_fields, _metric_crs_for_source, _py, _to_metric_geometries


@tool("faultproximity", "Distance to faults (ADAs, landslides)", group="ada",
      tags="fault,distance,landslide,ADA,active deformation areas", page="ada")
class FaultProximity(GeohazardAlgorithm):
    OVERLAP = (("INPUT", "FAULTS", 1.0),)
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

    INPUT = "INPUT"
    FAULTS = "FAULTS"
    BANDS = "BANDS"
    OUTPUT = "OUTPUT"
    OUTPUT_CHART = "OUTPUT_CHART"

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
        source = self.parameterAsSource(parameters, self.INPUT, context)
        faults = self.parameterAsSource(parameters, self.FAULTS, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.INPUT))
        if faults is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, self.FAULTS))
        crs_metric = _metric_crs_for_source(source, self.INPUT)
        fl = [g for _, g in _to_metric_geometries(faults, crs_metric, context) if not g.isNull()]
        if not fl:
            raise GeohazardError(f"{self.FAULTS}: the fault layer has no geometries")
        fault_union = QgsGeometry.collectGeometry(fl)
        feats = _to_metric_geometries(source, crs_metric, context, progress)
        dist = np.full(len(feats), np.nan)
        for i, (_, g) in enumerate(feats):
            if i % 200 == 0:
                check_canceled(progress)
                progress.set_progress(80.0 * i / max(len(feats), 1))
            if not g.isNull():
                dist[i] = g.distance(fault_union)
        table = distance_bands(dist, bands)
        labels = [f"{lo:g}-{hi:g} m" if np.isfinite(hi) else f"> {lo:g} m"
                  for lo, hi in zip(table["lower_m"], table["upper_m"])]
        idx = np.searchsorted(np.asarray(bands, float), dist, side="left")
        fields = _copy_fields(source.fields(), [("dist_fault_m", compat.FIELD_DOUBLE), ("band", compat.FIELD_STRING)])
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT, context, fields, source.wkbType(),
                                          source.sourceCrs())
        if sink is None:
            raise QgsProcessingException(self.invalidSinkError(parameters, self.OUTPUT))
        for i, (f, _) in enumerate(feats):
            out = QgsFeature(fields)
            out.setGeometry(f.geometry())
            out.setAttributes(list(f.attributes()) + [_py(dist[i]), labels[idx[i]] if np.isfinite(dist[i]) else None])
            sink.addFeature(out, QgsFeatureSink.Flag.FastInsert)
        for lab, c, s, cs in zip(labels, table["count"], table["share"], table["cumulative_share"]):
            feedback.pushInfo(f"{lab}: {c} features, {100 * s:.1f}% (cumulative {100 * cs:.1f}%)")
        result = {self.OUTPUT: dest, "SHARE_BY_BAND": {lab: float(s) for lab, s in zip(labels, table["share"])}}
        if parameters.get(self.OUTPUT_CHART):  # optional: no chart when left out
            chart = self.parameterAsFileOutput(parameters, self.OUTPUT_CHART, context)
            _fault_chart(chart, labels, table, title=f"{source.sourceName()} vs {faults.sourceName()}")
            result[self.OUTPUT_CHART] = chart
        return result


def _fault_chart(path, labels, table, *, title):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    pos = np.arange(len(labels))
    ax.bar(pos, 100 * table["share"], color="#4393c3", label="share in band")
    ax.plot(pos, 100 * table["cumulative_share"], "o-", color="#b2182b", label="cumulative share")
    for p_, c in zip(pos, table["count"]):
        ax.annotate(str(int(c)), (p_, 0), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    ax.set_xticks(pos)
    ax.set_xticklabels(labels, rotation=20)
    ax.set_ylabel("features (%)")
    ax.set_xlabel("distance to the nearest fault")
    ax.set_ylim(0, 105)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise GeohazardError(f"OUTPUT_CHART: folder {folder!r} does not exist")
    fig.savefig(path)
    plt.close(fig)
