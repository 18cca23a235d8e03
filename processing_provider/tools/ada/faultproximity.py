"""``geohazard:faultproximity``. Distance to faults: each feature's distance to the nearest fault line and the
features' distribution by distance band."""

from __future__ import annotations

import functools

from ....algorithms.ada.faults import distance_bands
from ....algorithms.errors import GeohazardError
from ....fileio.ada import faultproximity as io_fp
from ...inputs import declare, ids, layers
from ...inputs.feedback import FeedbackProgress
from .._base import GeohazardAlgorithm, tool


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
        job = io_fp.Job(source=layers.feature_source(self, parameters, self.INPUT, context),
                        faults=layers.feature_source(self, parameters, self.FAULTS, context),
                        bands_m=self._bands(parameters, context),
                        sink=functools.partial(layers.feature_sink, self, parameters, self.OUTPUT, context),
                        chart=layers.optional_file(self, parameters, self.OUTPUT_CHART, context),
                        names=(self.INPUT, self.FAULTS))
        return self.finish(io_fp.run(job, progress=FeedbackProgress(feedback), context=context), feedback)
