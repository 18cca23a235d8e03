"""Outputs of the inverse-velocity failure forecast: the attribute table and the PNG plots."""

from __future__ import annotations

import os

import numpy as np

from ..algorithms.progress import check_canceled
from ..algorithms.timeseries import inverse_velocity
from ..algorithms.timeseries.inverse_velocity import ALERT_NAMES
from .points import object_array


def forecast_fields(data, fc) -> dict:
    """The output table: the input's attributes, the forecast (IV_*, TF_*, V_LAST) and the dated fields."""
    fields = dict(data.attributes)
    fields["IV_ALERT"] = fc.alert.astype(np.int64)
    fields["IV_LEVEL"] = object_array(ALERT_NAMES[int(a)] for a in fc.alert)
    fields["TF_DATE"] = object_array(fc.to_date(x) for x in fc.failure_day)
    fields["TF_LOW"] = object_array(fc.to_date(x) for x in fc.failure_low_day)
    fields["TF_HIGH"] = object_array(fc.to_date(x) for x in fc.failure_high_day)
    fields["DAYS_TO_TF"] = fc.days_to_failure
    fields["V_LAST"] = fc.velocity_last_mm_yr
    fields["IV_SLOPE"] = fc.slope
    fields["IV_R2"] = fc.r2
    fields["IV_N"] = fc.n_used
    for name, d in zip(data.date_fields, data.displacement_mm):
        fields[name] = d
    return fields


def plot_alerts(folder: str, data, fc, max_plots: int, progress) -> int:
    """PNG plots of the alerted features (red first), at most ``max_plots``; returns how many."""
    os.makedirs(folder, exist_ok=True)
    order = np.argsort(-fc.alert, kind="stable")
    alerted = [j for j in order if fc.alert[j] > 0][:max_plots]
    label_field = next((f for f in ("CODE", "pid", "PID", "ID", "id") if f in data.attributes), None)
    for n, j in enumerate(alerted):
        check_canceled(progress)
        progress.set_progress(100 * n / max(len(alerted), 1))
        label = str(data.attributes[label_field][j]) if label_field else f"feature {j + 1}"
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in label)
        inverse_velocity.plot_forecast(os.path.join(folder, f"iv_{ALERT_NAMES[int(fc.alert[j])]}_{safe}.png"),
                              f"{label}: inverse velocity", data.dates, data.displacement_mm[:, j], fc, j)
    return len(alerted)
