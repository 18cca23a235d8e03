"""Every chart the tools draw (PNG files, or PNG data for an HTML report), in one place.

A tool asks for a chart; without matplotlib the chart is skipped: the log gets one warning naming the package and
the install line for the user's platform, the function returns ``None`` and the rest of the run completes. A
report that holds tables as well as pictures (the network and susceptibility reports, the swath profile's HTML
chart) is still written, with a line saying which picture is missing and why.

Drawing uses matplotlib's object API only (``Figure`` + ``FigureCanvasAgg``): no ``pyplot``, no
``matplotlib.use``, so the QGIS process's backend and any figure another plugin or the Python console holds open
are left as they are. The core (``algorithms/``) gives the arrays and tables; nothing there imports matplotlib.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import importlib
import io
import os
from typing import Optional, Sequence

import numpy as np

from ...algorithms.errors import GeohazardError
from ...algorithms.kinematics.triggers import seasonal_decomposition
from ...algorithms.kinematics.validation import STATUS_REFERENCE
from ...algorithms.optional import available, install_line, missing_message, require
from ...algorithms.progress import warn

PACKAGE = "matplotlib"


def drawing_problem() -> str:
    """Why no chart can be drawn in this Python ("" when matplotlib and its Agg canvas import): the package is
    missing, or it is installed but does not import (a dependency missing, a build for another numpy ...)."""
    if not available(PACKAGE):
        return missing_message(PACKAGE, "drawing a chart")
    try:
        for module in ("matplotlib.figure", "matplotlib.backends.backend_agg", "matplotlib.dates"):
            importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 - a broken install raises anything at import; the chart is skipped
        return (f"drawing a chart needs the Python package {PACKAGE}, which is installed in QGIS's Python but does "
                f"not import ({type(exc).__name__}: {exc}). Install it again {install_line(PACKAGE)}, then restart "
                "QGIS.")
    return ""


def can_draw(what: str, log=None) -> bool:
    """True when a chart can be drawn (:func:`drawing_problem`); else a warning on ``log`` that ``what`` is not drawn
    (why, and the install line) and False."""
    problem = drawing_problem()
    if not problem:
        return True
    warn(log, f"{what} not drawn (the run's other outputs are written): " + problem)
    return False


def missing_note(what: str) -> str:
    """The line a report holds where the picture ``what`` would be."""
    return f"{what}: not drawn, " + (drawing_problem() or missing_message(PACKAGE, "drawing a chart"))


def _figure(**kwargs):
    """A matplotlib ``Figure`` with its own Agg canvas (no pyplot, no global backend)."""
    require(PACKAGE, "drawing a chart")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _png_bytes(fig, dpi=None) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _save(fig, path: str, dpi=None, name: str = "") -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise GeohazardError(f"{name or 'chart ' + repr(path)}: folder {folder!r} does not exist")
    fig.savefig(path, dpi=dpi)
    return path


def _datetimes(dates) -> np.ndarray:
    return np.array([np.datetime64(d) for d in dates])


# ----------------------------------------------------------------------------------------- swath profiles
def profiles(path: str, profs: Sequence, *, labels: Sequence[str], unit: str, samples: Optional[dict] = None,
             dates: Optional[Sequence] = None, max_charted: int = 12, log=None) -> Optional[str]:
    """A chart of swath profiles (PNG, or HTML with the PNG inline and a table of every profile): for one band,
    the mean +- std band over the cloud of samples (``samples[pid] = (along, values)``); for a series
    (``dates``), an image of the mean with distance across and date down, one panel per profile. Without
    matplotlib: ``None`` for a PNG, the HTML without its picture."""
    as_html = not path.lower().endswith(".png")
    if not can_draw("OUTPUT_CHART (swath profiles)", log):
        if not as_html:
            return None
        png = None
    else:
        png = _profiles_png(list(profs)[:max_charted], labels, unit, samples, dates)
        if not as_html:
            with open(path, "wb") as fh:
                fh.write(png)
            return path
    rows = "".join(f"<tr><td>{html.escape(lab)}</td><td>{p.line.length:.1f}</td><td>{p.n_samples}</td>"
                   f"<td>{int((p.stats['count'][:, 0] == 0).sum())} of {p.stats['count'].shape[0]}</td></tr>"
                   for p, lab in zip(profs, labels))
    more = f"<p>The chart draws the first {max_charted} of {len(profs)} profiles; the table holds every one.</p>" \
        if len(profs) > max_charted else ""
    picture = f"<p><img src='{_data_uri(png)}'></p>" if png is not None else \
        f"<p>{html.escape(missing_note('The chart'))}</p>"
    page = ("<html><head><meta charset='utf-8'><title>Swath profiles</title></head><body>"
            "<h1>Swath profiles</h1><table border='1' cellpadding='3'><tr><th>profile</th><th>length (m)</th>"
            f"<th>samples</th><th>empty bins</th></tr>{rows}</table>{more}{picture}</body></html>")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(page)
    return path


def _profiles_png(shown, labels, unit, samples, dates) -> bytes:
    from matplotlib.dates import date2num

    n = len(shown)
    fig = _figure(figsize=(9, 3.2 * n))
    axes = fig.subplots(n, 1, squeeze=False)
    for ax, p, label in zip(axes[:, 0], shown, labels):
        d = p.stats["distance_m"]
        if dates is None:
            if samples and p.pid in samples:
                s_along, s_val = samples[p.pid]
                ax.plot(s_along, s_val, ".", ms=1.5, color="0.6", alpha=0.5, label="samples", rasterized=True)
            m, s = p.stats["mean"][:, 0], p.stats["std"][:, 0]
            ax.fill_between(d, m - s, m + s, color="tab:blue", alpha=0.3, label="mean +- std")
            ax.plot(d, m, color="tab:blue", lw=1.5, label="mean")
            ax.set_ylabel(unit)
            ax.legend(loc="best", fontsize=7)
        else:
            num = date2num(list(dates))
            lim = float(np.nanmax(np.abs(p.stats["mean"]))) if np.isfinite(p.stats["mean"]).any() else 1.0
            mesh = ax.pcolormesh(d, num, p.stats["mean"].T, shading="nearest", cmap="RdBu", vmin=-lim, vmax=lim)
            ax.yaxis_date()
            fig.colorbar(mesh, ax=ax, label=f"mean ({unit})")
            ax.set_ylabel("date")
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("distance along the profile (m)")
    fig.tight_layout()
    return _png_bytes(fig, dpi=110)


# ----------------------------------------------------------------------------------------- zone histories
def zone_series(path: str, names: Sequence, dates, per_zone: Sequence[dict], n_members: Sequence[int], *, unit: str,
                members: str = "pixels", max_charted: int = 12, log=None) -> Optional[str]:
    """A chart of zone histories (PNG, or HTML with the PNG inline and a table of every zone): per zone, the mean
    (and median) through time with the mean +- std and 5-95 % bands when they were computed, one panel per zone
    for the first ``max_charted`` zones that hold members. Without matplotlib: ``None`` for a PNG, the HTML
    without its picture."""
    as_html = not path.lower().endswith(".png")
    shown = [k for k, m in enumerate(n_members) if m][:max_charted]
    if not can_draw("OUTPUT_CHART (zone histories)", log):
        if not as_html:
            return None
        png = None
    else:
        png = _zone_series_png([names[k] for k in shown], dates, [per_zone[k] for k in shown],
                               [n_members[k] for k in shown], unit, members)
        if not as_html:
            with open(path, "wb") as fh:
                fh.write(png)
            return path
    rows = "".join(f"<tr><td>{html.escape(str(nm))}</td><td>{m}</td><td>{_last(z, 'mean')}</td>"
                   f"<td>{_last(z, 'median')}</td></tr>" for nm, z, m in zip(names, per_zone, n_members))
    filled = sum(1 for m in n_members if m)
    more = f"<p>The chart draws the first {len(shown)} of {filled} zones with members; the table holds every " \
        "one.</p>" if filled > len(shown) else ""
    picture = f"<p><img src='{_data_uri(png)}'></p>" if png is not None else \
        f"<p>{html.escape(missing_note('The chart'))}</p>"
    page = ("<html><head><meta charset='utf-8'><title>Zone histories</title></head><body>"
            f"<h1>Zone histories ({html.escape(unit)})</h1><table border='1' cellpadding='3'><tr><th>zone</th>"
            f"<th>{members}</th><th>mean on {dates[-1]}</th><th>median on {dates[-1]}</th></tr>{rows}"
            f"</table>{more}{picture}</body></html>")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(page)
    return path


def _last(z: dict, name: str) -> str:
    v = z.get(name)
    return f"{float(v[-1]):.2f}" if v is not None and np.isfinite(v[-1]) else ""


def _zone_series_png(names, dates, per_zone, n_members, unit: str, members: str) -> bytes:
    n = max(len(names), 1)
    cols = 1 if n == 1 else 2
    rows = int(np.ceil(n / cols))
    fig = _figure(figsize=(5.2 * cols, 2.8 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    t = _datetimes(dates)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, name, z, m in zip(axes.flat, names, per_zone, n_members):
        if "p05" in z and "p95" in z:
            ax.fill_between(t, z["p05"], z["p95"], color="tab:blue", alpha=0.15, label="5-95 %")
        if "mean" in z and "std" in z:
            ax.fill_between(t, z["mean"] - z["std"], z["mean"] + z["std"], color="tab:blue", alpha=0.3,
                            label="mean +- std")
        if "mean" in z:
            ax.plot(t, z["mean"], "-o", ms=2.5, lw=1.2, color="tab:blue", label="mean")
        if "median" in z:
            ax.plot(t, z["median"], "--", lw=1.0, color="tab:red", label="median")
        if "min" in z and "max" in z:
            ax.plot(t, z["min"], ":", lw=0.8, color="0.4", label="min / max")
            ax.plot(t, z["max"], ":", lw=0.8, color="0.4")
        ax.axhline(0.0, color="0.7", lw=0.6)
        ax.set_title(f"{name} ({m} {members})", fontsize=9)
        ax.set_ylabel(unit)
        ax.tick_params(labelsize=7)
        for label in ax.get_xticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")
        ax.legend(fontsize=6, loc="best")
    fig.tight_layout()
    return _png_bytes(fig, dpi=110)


# ----------------------------------------------------------------------------------------- interferogram network
def network(net, path: str, *, title: str = "Interferogram network", log=None) -> Optional[str]:
    """PNG of the network: time vs perpendicular baseline when known, else time vs date index; one colour per
    connected subset. ``None`` (and a warning) without matplotlib."""
    if not can_draw("OUTPUT_NETWORK_PNG (the network plot)", log):
        return None
    dbp = net.date_bperp_m()
    yv = dbp if dbp is not None else np.arange(net.n_dates, dtype=float)
    comps = net.components()
    colour = np.zeros(net.n_dates, int)
    for k, c in enumerate(comps):
        colour[c] = k
    dnum = _datetimes(net.dates)
    fig = _figure(figsize=(8, 4.5), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    for r, s in zip(net.ref_index, net.sec_index):  # C0..C9: matplotlib's tab10 cycle
        ax.plot([dnum[r], dnum[s]], [yv[r], yv[s]], "-", color=f"C{colour[r] % 10}", lw=0.8, alpha=0.7)
    for k, c in enumerate(comps):
        ax.plot(dnum[c], yv[c], "o", color=f"C{k % 10}", ms=5, label=f"subset {k + 1} ({len(c)} dates)")
    ax.set_ylabel("perpendicular baseline (m)" if dbp is not None else "date index")
    ax.set_xlabel("date")
    ax.set_title(f"{title}: {net.n_pairs} interferograms, {net.n_dates} dates")
    if len(comps) > 1:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return _save(fig, path)


# ----------------------------------------------------------------------------------------- inverse velocity
def forecast(path: str, title: str, dates, displacement_mm, fc, j: int, *, log=None) -> Optional[str]:
    """PNG of feature ``j`` of the forecast ``fc``: the displacement (mm) on ``dates``, the smoothed velocity and
    the 1/v fit with its forecast window."""
    if not can_draw("OUTPUT_PLOTS (inverse-velocity plots)", log):
        return None
    first = fc.first_date
    as_dates = [first + _dt.timedelta(days=float(x)) for x in fc.t_velocity_days[:, j] if np.isfinite(x)]
    fig = _figure(figsize=(8, 6), dpi=100)
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
    p = fc.acceleration.p_value[j] if fc.acceleration is not None else np.nan
    test = f"acceleration p = {p:.2g}" if np.isfinite(p) else "acceleration not tested"
    if np.isfinite(fc.failure_day[j]) and fc.to_date(fc.failure_day[j]) is not None:
        t0 = fc.t_velocity_days[ok, j][used].min()
        tt = np.linspace(t0, fc.failure_day[j], 50)
        ax2.plot([first + _dt.timedelta(days=float(x)) for x in tt], fc.intercept[j] + fc.slope[j] * tt,
                 "-", color="tab:red", label="1/v trend")
        tf = fc.to_date(fc.failure_day[j])
        ax2.axvline(tf, color="tab:red", ls="--", lw=1)
        lo, hi = fc.to_date(fc.failure_low_day[j]), fc.to_date(fc.failure_high_day[j])
        if lo is not None and hi is not None:
            ax2.axvspan(lo, hi, color="tab:red", alpha=0.12, label="forecast window")
        ax2.set_title(f"forecast failure {tf.isoformat()}  level: {fc.level(j)}  ({test})", fontsize=10)
    else:
        ax2.set_title(f"no failure forecast  level: {fc.level(j)}  ({test})", fontsize=10)
    ax2.set_ylabel("inverse velocity (day/mm)")
    ax2.set_ylim(bottom=0)
    ax2.legend(fontsize=8, loc="upper right")
    fig.autofmt_xdate()
    fig.tight_layout()
    return _save(fig, path)


# ----------------------------------------------------------------------------------------- deformation vs trigger
def correlation(res, path: str, *, column: int = 0, title: str = "", series=None, log=None) -> Optional[str]:
    """PNG: driver and response on the common axis, the correlogram, and with ``series = (dates, displacement)``
    the seasonal decomposition of the displacement (trend + annual/semi-annual)."""
    if not can_draw("OUTPUT_PLOT (the correlation chart)", log):
        return None
    rows = 3 if series is not None else 2
    fig = _figure(figsize=(7, 3 * rows), dpi=100)
    ax1 = fig.add_subplot(rows, 1, 1)
    e = res["edges"]
    t = np.array([np.datetime64(_dt.date.fromordinal(int(round(v)))) for v in 0.5 * (e[:-1] + e[1:])])
    ax1.bar(t, res["driver"], width=float(e[1] - e[0]) * 0.9, color="tab:blue", alpha=0.5, label="driver")
    ax1.set_ylabel(f"driver ({res['driver_note']})")
    ax2 = ax1.twinx()
    ax2.plot(t, res["response"][:, column], "r.-", lw=0.8, ms=3, label="deformation")
    ax2.set_ylabel("deformation response")
    ax1.set_title(title or "driver and deformation on the common axis", fontsize=9)
    ax3 = fig.add_subplot(rows, 1, 2)
    ax3.plot(res["lags_days"], res["r"][:, column], "k.-")
    bl = res["best_lag_days"][column]
    if np.isfinite(bl):
        ax3.axvline(bl, color="tab:red", lw=0.8)
        ax3.set_title(f"best lag {bl:g} days (largest |r|), r {res['best_r'][column]:+.2f}, p {res['p'][column]:.2g} "
                      f"(corrected {res['p_corrected'][column]:.2g})", fontsize=9)
    ax3.set_xlabel("lag (days, driver leading)")
    ax3.set_ylabel("correlation r")
    ax3.grid(alpha=0.3)
    if series is not None:
        sd, sv = series
        dec = seasonal_decomposition(sd, sv)
        ax4 = fig.add_subplot(rows, 1, 3)
        ts = _datetimes(sd)
        ax4.plot(ts, sv, "k.", ms=3, label="displacement (mm)")
        if np.isfinite(dec["velocity"]):
            ax4.plot(ts, dec["trend"] + dec["seasonal"], "r-", lw=1,
                     label=f"trend {dec['velocity']:.1f} mm/yr + seasonal (annual {dec['annual_amplitude']:.1f} mm, "
                           f"peak day {dec['annual_peak_doy']:.0f})")
        ax4.legend(fontsize=7)
        ax4.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


# ----------------------------------------------------------------------------------------- validation against GNSS
def station(res, path: str, *, log=None) -> Optional[str]:
    """PNG of one station: the GNSS/levelling series projected on the LOS and the InSAR series."""
    if not can_draw("OUTPUT_PLOTS (station plots)", log):
        return None
    verdict = "pass" if res.passed else ("reference" if res.status == STATUS_REFERENCE else "fail")
    fig = _figure(figsize=(7, 4), dpi=100)
    ax = fig.add_subplot(111)
    t = _datetimes(res.dates)
    ax.plot(t, res.gnss, "k.-", ms=3, lw=0.8, label="GNSS/levelling projected on LOS")
    ax.plot(t, res.insar, "o", color="tab:red", ms=3, label="InSAR")
    st = res.stats
    ax.set_title(f"{res.name}: RMSE {st.get('rmse', np.nan):.2f} mm, bias {st.get('bias', np.nan):.2f} mm, "
                 f"r {st.get('r', np.nan):.2f}, dv {st.get('velocity_difference', np.nan):.2f} mm/yr ({verdict})",
                 fontsize=8)
    ax.set_ylabel("LOS displacement (mm, + toward satellite)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return _save(fig, path)


def velocity_summary(results: Sequence, path: str, network: Optional[dict] = None, *, log=None) -> Optional[str]:
    """PNG scatter of InSAR vs GNSS velocities (1:1 line), pass in green, fail in red, reference in blue; with
    ``network`` (the validation's network statistics) its velocity statistics in the title."""
    if not can_draw("OUTPUT_PLOTS (the velocity summary)", log):
        return None
    fig = _figure(figsize=(5, 5), dpi=100)
    ax = fig.add_subplot(111)
    vals = []
    for r in results:
        if "velocity_gnss" not in r.stats:
            continue
        vg, vi = r.stats["velocity_gnss"], r.stats["velocity_insar"]
        vals += [vg, vi]
        ax.plot(vg, vi, "o", color="tab:green" if r.passed else ("tab:blue" if r.passed is None else "tab:red"))
        ax.annotate(r.name, (vg, vi), fontsize=7)
    if vals:
        lo, hi = min(vals), max(vals)
        pad = 0.1 * (hi - lo) + 1.0
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k-", lw=0.8)
    ax.set_xlabel("GNSS/levelling LOS velocity (mm/yr)")
    ax.set_ylabel("InSAR LOS velocity (mm/yr)")
    title = "green pass, red fail, blue reference"
    vel = (network or {}).get("velocity", {})
    if "rmse" in vel:
        title += (f"\nnetwork ({vel['n']} stations): RMSE {vel['rmse']:.2f} mm/yr, RMSE/range "
                  f"{vel['nrmse_range']:.3f}, R2 {vel['r2']:.3f}")
    ax.set_title(title, fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


# ----------------------------------------------------------------------------------------- slip inversion
def lcurve(result, path: str, *, log=None) -> Optional[str]:
    """L-curve PNG (misfit vs roughness, the chosen corner marked)."""
    if not can_draw("OUTPUT_LCURVE (the L-curve)", log):
        return None
    fig = _figure(figsize=(5, 4), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    c = result.lcurve
    if c.size:
        ax.loglog(c[:, 2], c[:, 1], "o-", color="0.3")
        k = int(np.argmin(np.abs(c[:, 0] - result.smoothing)))
        ax.loglog(c[k, 2], c[k, 1], "o", color="crimson", ms=10, label=f"lambda = {result.smoothing:.3g}")
        for lam, mis, rough in c:
            ax.annotate(f"{lam:.2g}", (rough, mis), fontsize=6, alpha=0.6)
        ax.legend()
    ax.set_xlabel("roughness ||L m|| (m)")
    ax.set_ylabel("weighted misfit ||W(Gm - d)|| (m)")
    ax.set_title("L-curve")
    fig.tight_layout()
    return _save(fig, path)


# ----------------------------------------------------------------------------------------- fault proximity
def fault_distance(path: str, labels, table, *, title: str, log=None) -> Optional[str]:
    """Bar chart (PNG) of the share of features per distance band, with the cumulative share."""
    if not can_draw("OUTPUT_CHART (the distance chart)", log):
        return None
    fig = _figure(figsize=(6.4, 4.0), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
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
    return _save(fig, path, name="OUTPUT_CHART")


def interseismic_profile(path: str, table: dict, fit: dict, *, log=None) -> Optional[str]:
    """The fault-parallel velocity across the fault (PNG): each bin's mean less the fitted ramp with its standard
    deviation, the fitted arctangent, the dislocation's position x0, and the fit's numbers in the title."""
    if not can_draw("OUTPUT_CHART (the interseismic profile)", log):
        return None
    fig = _figure(figsize=(7.5, 4.2), dpi=110)
    ax = fig.add_subplot(1, 1, 1)
    km = table["distance_m"] / 1000.0
    ax.errorbar(km, table["deramped"], yerr=np.nan_to_num(table["std"]), fmt=".", ms=3, color="0.35", ecolor="0.8",
                elinewidth=0.8, label="observed less the ramp (bin mean +- std)")
    ax.plot(km, table["arctangent"], color="#b2182b", lw=1.8, label="Savage & Burford arctangent")
    ax.axvline(fit["offset_m"] / 1000.0, color="#2166ac", ls="--", lw=1, label="dislocation (x0)")
    ax.axvline(0.0, color="k", lw=0.6, alpha=0.5)
    ax.set_xlabel("distance from the fault (km, positive to the right of the trace)")
    ax.set_ylabel("fault-parallel velocity (mm/yr)")
    ax.set_title(f"slip rate {fit['slip']:.2f} +- {fit['slip_sigma']:.2f} mm/yr, locking depth {fit['depth_km']:.1f} "
                 f"+- {fit['depth_sigma_km']:.1f} km (1 sigma), RMS {fit['rms']:.2f} mm/yr", fontsize=9)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return _save(fig, path, name="OUTPUT_CHART")


# ----------------------------------------------------------------------------------------- susceptibility report
def susceptibility_images(result, *, log=None) -> dict:
    """``{"curves": data URI, "importance": data URI}`` of a validated susceptibility run (ROC, success and
    prediction rates; permutation importance when computed) for its HTML report; ``{}`` without matplotlib."""
    if result is None or not can_draw("OUTPUT_REPORT's charts (ROC, success and prediction rates)", log):
        return {}
    out = {"curves": _data_uri(_susceptibility_curves(result))}
    if result.importance:
        out["importance"] = _data_uri(_importance(result.importance))
    return out


def _susceptibility_curves(result) -> bytes:
    fig = _figure(figsize=(9.6, 4.2))
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    fpr, tpr, auc = result.roc
    ax1.plot(fpr, tpr, color="#b2182b", label=f"out-of-fold, AUC {auc:.3f}")
    ax1.plot([0, 1], [0, 1], ":", color="#888")
    ax1.set_xlabel("false positive rate (absence samples)")
    ax1.set_ylabel("true positive rate (inventory samples)")
    ax1.set_title("ROC curve", fontsize=10)
    ax1.legend(loc="lower right", fontsize=8)
    for (x, y, a), label, colour in ((result.success, "success rate", "#2166ac"),
                                     (result.prediction, "prediction rate", "#d6604d")):
        ax2.plot(100 * np.asarray(x), 100 * np.asarray(y), color=colour, label=f"{label}, AUC {a:.3f}")
    ax2.plot([0, 100], [0, 100], ":", color="#888")
    ax2.set_xlabel("area ranked by susceptibility, most susceptible first (%)")
    ax2.set_ylabel("inventory (%)")
    ax2.set_title("Success and prediction rates", fontsize=10)
    ax2.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return _png_bytes(fig, dpi=96)


def _importance(imp) -> bytes:
    order = np.argsort(imp["mean"])
    fig = _figure(figsize=(6.4, 0.5 + 0.35 * len(order)))
    ax = fig.add_subplot(1, 1, 1)
    ax.barh([imp["names"][i] for i in order], [imp["mean"][i] for i in order],
            xerr=[imp["std"][i] for i in order], color="#4393c3")
    ax.set_xlabel("AUC lost when the factor is permuted (held-out blocks)")
    fig.tight_layout()
    return _png_bytes(fig, dpi=96)
