"""Files of validateinsar: the InSAR points (or a dated LOS raster sampled around the stations) read, compared with
the GNSS stations projected on the line of sight, the per-station and network statistics written as a GeoPackage
and a table, and the stations' plots (:func:`..algorithms.kinematics.validation.validate_insar`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Optional

from ...algorithms.kinematics import validation as _va
from ...algorithms.progress import SubProgress, info, warn
from ..base.runs import Outcome
from ..base.vector import wkt_of
from ..display import charts
from . import kinematics


@dataclass(frozen=True)
class Job:
    """A run as plain values: the stations (read from the CSV or table), the acquisition geometry ``geometry`` (NaN:
    the points' own LOS fields), the InSAR points (``points``: a feature source and its ``uri``) or dated raster
    (``raster``: path), their CRS, the thresholds and windows (``params``: the parameter ID -> value of RADIUS,
    WINDOW_DAYS, MAX_GAP_DAYS, MAX_NRMSE, MIN_R2, MAX_DV, MAX_RMSE), the reference station (or None), the outputs
    (``output``, ``table``, ``plots`` or "") and the parameter IDs to name (``names``: insar, insar_raster, and the
    outputs' output, table, plots)."""

    stations: Any
    geometry: Any
    crs: Any
    params: dict
    names: dict
    output: str
    table: str
    points: Any = None
    uri: str = ""
    raster: str = ""
    reference: Optional[str] = None
    plots: str = ""


def run(job: Job, *, progress=None, context=None) -> Outcome:
    """The stations' comparison with the InSAR series near them; the warnings of the comparison, the common
    reference and the network's statistics said on ``progress``."""
    p, names, stations = job.params, job.names, job.stations
    if job.points is not None:
        pts = kinematics.read_los_points(job.points, names["insar"], value_field="", std_field="",
                                         geometry=job.geometry, crs=job.crs, uri=job.uri, context=context,
                                         progress=SubProgress(progress, 0, 40), dated=True)
    else:
        pts, _ = kinematics.insar_raster_points(job.raster, names["insar_raster"], stations, p["RADIUS"],
                                                job.geometry)
    res, summary = _va.validate_insar(
        stations, pts["x"], pts["y"], pts["e"], pts["n"], pts["u"], pts["series"], pts["dates"],
        radius_m=p["RADIUS"], reference=job.reference, window_days=p["WINDOW_DAYS"], max_gap_days=p["MAX_GAP_DAYS"],
        thresholds={"nrmse_range": p["MAX_NRMSE"], "r2": p["MIN_R2"], "abs_velocity_difference": p["MAX_DV"],
                    "rmse": p["MAX_RMSE"]})
    progress = SubProgress(progress, 40, 100)
    for message in summary["warnings"]:
        warn(progress, message)
    info(progress, f"common reference: {summary['reference']}")
    for r in res:
        if r.status != _va.STATUS_OK and r.status != _va.STATUS_REFERENCE:
            warn(progress, f"station {r.name}: {r.status} (InSAR points within {p['RADIUS']:g} m: {r.n_points})")
    net = summary["network"]
    vel = net["velocity"]
    if "rmse" in vel:
        info(progress, f"network velocities ({vel['n']} stations, mm/yr): RMSE {vel['rmse']:.2f}, NRMSE_range "
                       f"{vel['nrmse_range']:.3f}, NRMSE_mean {vel['nrmse_mean']:.3f}, R2 {vel['r2']:.3f}, "
                       f"slope {vel['slope']:.2f} -> {'pass' if net['passed'] else 'fail ' + ','.join(net['failed'])}")
    else:
        info(progress, f"network velocities: {vel['n']} compared station(s), at least 3 are needed for the network "
                       "statistics")
    out = kinematics.write_validation(res, wkt_of(job.crs), stations, job.output, job.table, network=net)
    result = {names["output"]: out["layer"], names["table"]: out["table"]}
    if job.plots and charts.can_draw("OUTPUT_PLOTS (station plots)", progress):
        os.makedirs(job.plots, exist_ok=True)
        for r in res:
            if r.insar is not None:
                charts.station(r, os.path.join(job.plots, f"station_{r.name}.png"))
        charts.velocity_summary(res, os.path.join(job.plots, "velocities.png"), network=net)
        result[names["plots"]] = job.plots
    return Outcome(outputs=result)
