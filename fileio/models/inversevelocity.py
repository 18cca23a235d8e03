"""Outputs of the inverse-velocity failure forecast: the attribute table and the PNG plots."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ...algorithms.errors import GeohazardError
from ...algorithms.models import inversevelocity as iv
from ...algorithms.progress import SubProgress, check_canceled, info, warn
from ..base import vector
from ..base.runs import Outcome
from ..display import charts, styles
from ..motion import points
from ..motion.points import object_array

#: The order plots are written in: the most urgent first ("passed" right after red: it needs a look).
PLOT_ORDER = {3: 0, iv.PASSED: 1, 2: 2, 1: 3}


def forecast_fields(data, fc) -> dict:
    """The output table: the input's attributes, the forecast (IV_*, TF_*, V_LAST), the acceleration test and
    the dated fields."""
    fields = dict(data.attributes)
    fields["IV_ALERT"] = fc.alert.astype(np.int64)
    fields["IV_LEVEL"] = object_array(fc.level(j) for j in range(fc.alert.size))
    fields["IV_NOTE"] = object_array(note(fc, j) for j in range(fc.alert.size))
    fields["TF_DATE"] = object_array(fc.to_date(x) for x in fc.failure_day)
    fields["TF_LOW"] = object_array(fc.to_date(x) for x in fc.failure_low_day)
    fields["TF_HIGH"] = object_array(fc.to_date(x) for x in fc.failure_high_day)
    fields["DAYS_TO_TF"] = fc.days_to_failure
    fields["V_LAST"] = fc.velocity_last_mm_yr
    fields["IV_SLOPE"] = fc.slope
    fields["IV_R2"] = fc.r2
    fields["IV_N"] = fc.n_used
    fields["IV_ACC"] = fc.acceleration.acceleration_mm_yr2
    fields["IV_ACC_P"] = fc.acceleration.p_value
    fields["IV_NOISE"] = fc.acceleration.noise_mm
    for name, d in zip(data.date_fields, data.displacement_mm):
        fields[name] = d
    return fields


def note(fc, j: int) -> str:
    """Why feature ``j`` got its level, in words a user can check against the plot."""
    acc, s, r = fc.acceleration, fc.settings, int(fc.reason[j])
    p = f"p = {acc.p_value[j]:.2g}" if np.isfinite(acc.p_value[j]) else "no test"
    if r == iv.REASON_NO_DATA:
        return "no data: fewer than 3 smoothed velocities in the fit window"
    if r == iv.REASON_TOO_SHORT:
        return f"not judged: {acc.n_valid[j]} valid dates, the forecast window needs {s['needed_dates']}"
    if r == iv.REASON_TOO_NOISY:
        return (f"not judged: with {acc.noise_mm[j]:.1f} mm of noise, a slope at {acc.velocity_mm_yr[j]:.0f} mm/yr "
                f"failing within {s['orange_days']:g} days would not stand out")
    if r == iv.REASON_SLOW:
        if acc.p_value[j] < s["significance"]:
            return (f"none: significant acceleration ({p}), but the last velocity ({fc.velocity_last_mm_yr[j]:.1f} "
                    f"mm/yr) is below the minimum ({s['min_velocity_mm_yr']:g} mm/yr)")
        return (f"none: {acc.velocity_mm_yr[j]:.1f} mm/yr over the series, slower than the minimum velocity "
                f"({s['min_velocity_mm_yr']:g} mm/yr)")
    if r == iv.REASON_STEADY:
        return f"none: no significant acceleration ({p})"
    if r == iv.REASON_STEP:
        return f"none: a jump fits better than an acceleration ({p}): an unwrapping error? check the data"
    if r == iv.REASON_SEASONAL:
        return (f"not judged: the series bends ({p}) and an annual cycle fits it better than an acceleration, "
                "but under 540 days a cycle is not seen repeating and cannot rule the acceleration out: check the "
                "plot and the next acquisitions")
    if r == iv.REASON_AMBIGUOUS:
        return (f"not judged: the series bends ({p}) but an annual cycle fits it about as well as an acceleration; "
                "a series of 540 days or more tells them apart")
    if r == iv.REASON_NO_FORECAST:
        return f"yellow: significant acceleration ({p}), no usable 1/v trend for a forecast"
    if r == iv.REASON_PASSED:
        when = fc.to_date(fc.failure_day[j])
        ref = fc.to_date(fc.reference_day[j])
        return f"failure time passed: {when} is before {ref}, check the data ({p})"
    return (f"{fc.level(j)}: significant acceleration ({p}), failure forecast in "
            f"{fc.days_to_failure[j]:.0f} days")


def plot_alerts(folder: str, data, fc, max_plots: int, progress) -> int | None:
    """PNG plots of the alerted features and those whose failure time passed (red first, then passed, orange,
    yellow), at most ``max_plots``; returns how many (None, with a warning on ``progress``, without matplotlib)."""
    if not charts.can_draw("OUTPUT_PLOTS (inverse-velocity plots)", progress):
        return None
    os.makedirs(folder, exist_ok=True)
    rank = np.array([PLOT_ORDER.get(int(a), len(PLOT_ORDER)) for a in fc.alert])
    order = np.argsort(rank, kind="stable")
    shown = [j for j in order if rank[j] < len(PLOT_ORDER)][:max_plots]
    label_field = next((f for f in ("CODE", "pid", "PID", "ID", "id") if f in data.attributes), None)
    for n, j in enumerate(shown):
        check_canceled(progress)
        progress.set_progress(100 * n / max(len(shown), 1))
        label = str(data.attributes[label_field][j]) if label_field else f"feature {j + 1}"
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in label)
        charts.forecast(os.path.join(folder, f"iv_{fc.level(j)}_{safe}.png"), f"{label}: inverse velocity",
                        data.dates, data.displacement_mm[:, j], fc, j)
    return len(shown)


@dataclass(frozen=True)
class Job:
    """A run as plain values: the dated points (``points``: the feature source, its ``uri``, the parameter ID
    ``name``), the forecast's settings (windows in dates, ``confidence`` and ``significance`` as shares 0-1,
    ``min_velocity_mm_yr``, the alert levels' ``red_days`` and ``orange_days``, the date ``now`` or None, the
    ``direction`` of motion: 0 either, 1 positive, -1 negative), the GeoPackage (``output``, its ID ``output_id``)
    and the plots' folder (``plots``, "" for none, its ID ``plots_id``, at most ``max_plots``)."""

    points: Any
    uri: str
    name: str
    output: str
    smooth_window: int
    fit_window: int
    confidence: float
    min_velocity_mm_yr: float
    red_days: float
    orange_days: float
    significance: float
    direction: int = 0
    now: Optional[Any] = None
    output_id: str = "OUTPUT"
    plots: str = ""
    plots_id: str = "OUTPUT_PLOTS"
    max_plots: int = 0


def run(job: Job, *, progress=None, context=None):
    """The inverse-velocity forecast of every feature (:func:`..algorithms.models.inversevelocity.forecast_failure`),
    written and styled by alert level, the plots when asked; the counts per level said on ``progress`` and
    warnings for the features past their failure time or not judged."""
    data = points.read_dated_features(job.points, job.name, SubProgress(progress, 0, 30), job.uri)
    fc = iv.forecast_failure(
        data.displacement_mm, data.dates, smooth_window=job.smooth_window, fit_window=job.fit_window,
        confidence=job.confidence, min_velocity_mm_yr=job.min_velocity_mm_yr, red_days=job.red_days,
        orange_days=job.orange_days, now=job.now, direction=job.direction, significance=job.significance)
    check_canceled(progress)
    levels = [fc.level(j) for j in range(fc.alert.size)]
    count = {name: levels.count(name) for name in ("red", "passed", "orange", "yellow", "none", "not judged",
                                                      "no data")}
    info(progress, f"{len(levels)} features: " + ", ".join(f"{k} {v}" for k, v in count.items()))
    if count["passed"]:
        warn(progress, f"{count['passed']} feature(s) accelerate significantly but their forecast failure time is "
                       "already past: IV_LEVEL 'passed' - check the data (has the slope failed? is the series wrong?)")
    unjudged = int((fc.alert == iv.NOT_JUDGED).sum())
    if unjudged:
        warn(progress, f"{unjudged} feature(s) were not judged (IV_ALERT -1): {count['no data']} 'no data', "
                       f"{count['not judged']} 'not judged' (too short, or too noisy for their motion; IV_NOTE says "
                       "why) - this is not 'no alert'")
    if count["no data"] == len(levels):
        raise GeohazardError(f"{job.name}: no feature has enough valid displacements (3 smoothed velocities in the "
                             "fit window) for a forecast; check the dated fields")
    vector.write_vector(job.output, forecast_fields(data, fc), crs_wkt=data.crs_wkt, wkb=data.wkb,
                        geometry_type=data.geometry_type, progress=SubProgress(progress, 30, 70))
    styles.style_vector_categorized(job.output, "IV_LEVEL", styles.inverse_velocity_legend(job.red_days,
                                                                                          job.orange_days),
                                    context=context)
    outputs = {job.output_id: job.output}
    if job.plots:
        n = plot_alerts(job.plots, data, fc, job.max_plots, SubProgress(progress, 70, 100))
        if n is not None:
            info(progress, f"{n} plots written to {job.plots}")
            outputs[job.plots_id] = job.plots
    return Outcome(outputs=outputs)
