"""Files of displacementforecast: the forecast dates read, then every pixel's (on the block engine) or every
point's series fitted and extrapolated (:mod:`..motion.displacement_forecast`), the summary said in the log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ...algorithms.errors import GeohazardError
from ...algorithms.hazard import forecast as fc
from ...algorithms.progress import info
from ..base import blocks
from ..base.raster import RasterInfo
from ..base.runs import Outcome
from ..motion import displacement_forecast as io_fc


@dataclass(frozen=True)
class Job:
    """A run as plain values: the series' dates, the forecast dates as typed (``forecast_text``), the options
    (``opts``: model, hold-out ...), the model labels of the summary, and either the dated raster (``raster``, its
    ``thickness`` raster or "", ``outputs``: forecast, sigma, model, steps, choice -> path or None) or the dated points
    (``points``: the feature source, its ``uri``, ``output``); the parameter IDs to name (``names``: input,
    input_raster, forecast_dates) and of the outputs (``ids``: output, forecast, sigma, model, steps, choice, rmse,
    coverage), and the run-wide knobs."""

    dates: tuple
    forecast_text: str
    opts: dict
    labels: tuple
    names: dict
    ids: dict
    raster: Optional[RasterInfo] = None
    thickness: str = ""
    outputs: dict = field(default_factory=dict)
    points: Any = None
    uri: str = ""
    output: str = ""
    settings: blocks.RunSettings = field(default_factory=blocks.RunSettings)


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The forecast of every pixel or point; its hold-out RMSE (mm) and the share of held-out dates within 2 sigma
    as numbers."""
    dates, opts, ids, names = list(job.dates), job.opts, job.ids, job.names
    fdates = fc.forecast_dates_of(job.forecast_text, dates, name=names["forecast_dates"], progress=progress)
    info(progress, f"{len(dates)} dates {dates[0]}..{dates[-1]}; model {opts['model']}; forecast at "
                   f"{', '.join(d.isoformat() for d in fdates)}")
    if job.raster is not None:
        res = io_fc.forecast_raster(job.raster, job.thickness, dates, fdates, opts, dict(job.outputs),
                                    run=job.settings, progress=progress, context=context)
        rmse, coverage, counts, name = res["rmse"], res["coverage"], res["counts"], names["input_raster"]
        extra = {k: res[k] for k in ("coverage_by_model", "close", "found", "used")}
        written = {ids[k]: job.outputs[k] for k in ("forecast", "sigma", "model", "steps", "choice")
                   if job.outputs.get(k)}
    else:
        rmse, coverage, counts, extra = io_fc.forecast_points(job.points, names["input"], job.uri, fdates, opts,
                                                              job.output, run=job.settings, progress=progress,
                                                              context=context)
        name, written = names["input"], {ids["output"]: job.output}
    if not counts[1:].sum():
        raise GeohazardError(f"no point or pixel of {name} has enough valid dates for the model: nothing to "
                             "forecast")
    io_fc.log_summary(progress, counts, list(job.labels), opts["holdout"], rmse, coverage, extra)
    return Outcome(outputs=written, values={ids["rmse"]: rmse, ids["coverage"]: coverage})
