"""Outputs of the inverse-velocity failure forecast: the attribute table and the PNG plots."""

from __future__ import annotations

import datetime as _dt
import os

import numpy as np

from ...algorithms.progress import check_canceled
from ...algorithms.timeseries.inverse_velocity import ALERT_NAMES
from .points import object_array


def plot_inverse_velocity(path: str, title: str, dates, displacement_mm, fc, j: int) -> str:
    """PNG with the displacement, the smoothed velocity and the 1/v fit with its forecast window."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    first = fc.first_date
    as_dates = [first + _dt.timedelta(days=float(x)) for x in fc.t_velocity_days[:, j] if np.isfinite(x)]
    fig = Figure(figsize=(8, 6), dpi=100)
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    ax1.plot(dates, displacement_mm, ".", ms=3, color="0.3")
    ax1.set_ylabel("LOS displacement (mm)")
    ax1.set_title(title)
    ok = np.isfinite(fc.t_velocity_days[:, j]) & np.isfinite(fc.velocity_mm_day[:, j])
    v = fc.velocity_mm_day[ok, j]
    with np.errstate(divide="ignore"):
        inv = np.where(v > 0, 1.0 / v, np.nan)
    used = fc.fit_mask[ok, j]
    ax2.plot(as_dates, inv, "o", ms=3, mfc="none", color="0.5", label="1/v (smoothed)")
    ax2.plot([d for d, u in zip(as_dates, used) if u], inv[used], "o", ms=4, color="tab:blue", label="fitted")
    if np.isfinite(fc.failure_day[j]):
        t0 = fc.t_velocity_days[ok, j][used].min()
        tt = np.linspace(t0, fc.failure_day[j], 50)
        ax2.plot([first + _dt.timedelta(days=float(x)) for x in tt], fc.intercept[j] + fc.slope[j] * tt,
                 "-", color="tab:red", label="1/v trend")
        tf = fc.to_date(fc.failure_day[j])
        ax2.axvline(tf, color="tab:red", ls="--", lw=1)
        lo, hi = fc.to_date(fc.failure_low_day[j]), fc.to_date(fc.failure_high_day[j])
        if lo is not None and hi is not None:
            ax2.axvspan(lo, hi, color="tab:red", alpha=0.12, label="forecast window")
        ax2.set_title(f"forecast failure {tf.isoformat()}  alert: {ALERT_NAMES[int(fc.alert[j])]}", fontsize=10)
    ax2.set_ylabel("inverse velocity (day/mm)")
    ax2.set_ylim(bottom=0)
    ax2.legend(fontsize=8, loc="upper right")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    return path


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
        plot_inverse_velocity(os.path.join(folder, f"iv_{ALERT_NAMES[int(fc.alert[j])]}_{safe}.png"),
                              f"{label}: inverse velocity", data.dates, data.displacement_mm[:, j], fc, j)
    return len(alerted)
