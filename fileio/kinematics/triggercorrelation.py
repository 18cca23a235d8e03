"""Files of triggercorrelation: the driver's CSV read, then the dated features (one row of correlation and seasonal
fields each, and the mean series' plot) or the dated raster (four bands, on the block engine)
(:func:`.kinematics.trigger_features`, :func:`.kinematics.trigger_raster`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...algorithms.formats import driver
from ..base import blocks
from ..base.runs import Outcome
from ..motion import points
from . import kinematics


@dataclass(frozen=True)
class Job:
    """A run as plain values: the driver's CSV (``driver_csv``), the correlation's options (``opts``: step, tau,
    kind, response, max_lag), and either the dated raster (``raster``: path, ``raster_name``; ``raster_output``)
    or the dated features (``features``: the feature source, ``layer`` its vector layer for the series file beside
    it, ``features_name``; ``output``, ``plot`` or ""), the output IDs (``ids``: raster, features, plot) and the
    run-wide knobs."""

    driver_csv: str
    opts: dict
    ids: dict
    raster: str = ""
    raster_name: str = "INPUT_RASTER"
    raster_output: str = ""
    features: Any = None
    layer: Any = None
    features_name: str = "INPUT"
    output: str = ""
    plot: str = ""
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The correlation of every pixel or feature with the driver."""
    ddates, dvals = driver.read_driver_csv(job.driver_csv)
    if job.raster:
        return Outcome(outputs={job.ids["raster"]: kinematics.trigger_raster(
            job.raster, job.raster_name, ddates, dvals, job.opts, job.raster_output, run=job.settings,
            progress=progress)})
    result = kinematics.trigger_features(job.features, job.features_name, ddates, dvals, job.opts, job.output,
                                         job.plot, context=context, progress=progress,
                                         uri=points.source_uri(job.layer))
    names = {"OUTPUT": job.ids["features"], "OUTPUT_PLOT": job.ids["plot"]}
    return Outcome(outputs={names[k]: v for k, v in result.items()})
