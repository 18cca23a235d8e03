"""Fits, plot and tables of the time-series dock (matplotlib figure, CSV); no widgets.

The fits are the core's temporal models (:mod:`algorithms.models.timeseriesmodels`) and breakpoint
test (:mod:`algorithms.timeseries.breakpoints`); this module formats their parameters and draws
them.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import os
import weakref
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..algorithms.conventions import DAYS_PER_YEAR
from ..algorithms.errors import GeohazardError
from ..algorithms.models.timeseriesmodels import MODELS, TimeBase, fit_model, fit_models, predict, seasonal_amplitude
from ..algorithms.timeseries.breakpoints import KIND_NAMES, STEP, detect_breakpoints

#: (stored value, label) of the model combo; "best" picks among MODELS by BIC.
MODEL_CHOICES = (
    ("", "No model"),
    ("linear", "Linear (velocity)"),
    ("seasonal", "Linear + annual and semi-annual"),
    ("quadratic", "Quadratic (acceleration)"),
    ("logarithmic", "Logarithmic creep"),
    ("afterslip", "Post-seismic afterslip"),
    ("consolidation", "Secondary consolidation"),
    ("best", "Best model by BIC"),
)

#: Short symbol and unit of each core parameter, for the labels.
PARAM_LABELS = {
    "offset_mm": ("offset", "mm"),
    "velocity_mm_yr": ("v", "mm/yr"),
    "acceleration_mm_yr2": ("a", "mm/yr²"),
    "annual_sin_mm": ("annual sin", "mm"),
    "annual_cos_mm": ("annual cos", "mm"),
    "semiannual_sin_mm": ("semi-annual sin", "mm"),
    "semiannual_cos_mm": ("semi-annual cos", "mm"),
    "log_rate_mm_per_decade": ("B", "mm/decade"),
    "amplitude_mm": ("A", "mm"),
    "tau_days": ("τc", "days"),
    "rate_mm_per_decade": ("K", "mm/decade"),
}

#: Behind the marks' text, so it reads over the curves.
_TEXT_BOX = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75}
#: Breakpoints need this many dates on each side (the core's default).
BREAK_MIN_SEGMENT = 5


@dataclass
class Fit:
    """A fitted model of one series, ready to draw and export."""

    model: str
    params: list = field(default_factory=list)  # [(name, value, sd, unit)]
    rms_mm: float = np.nan
    n_used: int = 0
    dense_dates: list = field(default_factory=list)
    dense_mm: Optional[np.ndarray] = None
    text: str = ""
    acceleration: Optional[tuple] = None  # (a, sd, v_start, v_end) when |a| > 2 sd
    breakpoint: Optional[dict] = None
    message: str = ""
    _raw: object = None
    _tb: object = None

    def values_at(self, dates) -> np.ndarray:
        if self._raw is None:
            return np.full(len(dates), np.nan)
        return predict(self.model, self._raw, list(dates), self._tb)[:, 0]


def _fmt(v: float, sd: float, unit: str, digits: int = 1) -> str:
    return f"{v:+.{digits}f}±{sd:.{digits}f} {unit}"


def fit_series(dates: list, values_mm: np.ndarray, model: str, *, breakpoints: bool = False) -> Fit:
    """Fit ``model`` (a name of :data:`MODELS` or ``"best"``) and optionally test for a breakpoint."""
    vals = np.asarray(values_mm, dtype=np.float64)
    ok = np.isfinite(vals)
    fit = Fit(model=model)
    if model:
        try:
            if model == "best":
                sel = fit_models(vals[:, None], dates, models=MODELS, criterion="bic")
                if sel.best[0] < 0:
                    raise GeohazardError("no model could be fitted")
                name = sel.names[int(sel.best[0])]
                mf = sel.fits[name]
            else:
                name = model
                mf = fit_model(vals[:, None], dates, model)
        except GeohazardError as exc:
            fit.message = str(exc)
            mf = None
        if mf is not None and np.isfinite(mf.params).all():
            fit.model = name
            fit.params = [(p, float(mf.params[0, i]), float(mf.stdev[0, i]), PARAM_LABELS.get(p, (p, ""))[1])
                          for i, p in enumerate(mf.param_names)]
            fit.rms_mm = float(mf.rms_mm[0])
            fit.n_used = int(mf.n_used[0])
            fit._raw, fit._tb = mf.params, TimeBase(list(dates))
            span = (dates[-1] - dates[0]).days
            fit.dense_dates = [dates[0] + _dt.timedelta(days=float(k)) for k in np.linspace(0, span, 240)]
            fit.dense_mm = fit.values_at(fit.dense_dates)
            fit.text = _fit_text(fit, mf, span / DAYS_PER_YEAR)
        elif mf is not None:
            fit.message = f"the {model} model could not be fitted ({int(ok.sum())} valid dates)"
    if breakpoints:
        if int(ok.sum()) < 2 * BREAK_MIN_SEGMENT:
            fit.message = (fit.message + "; " if fit.message else "") + \
                f"breakpoints need {2 * BREAK_MIN_SEGMENT} valid dates"
        else:
            bp = detect_breakpoints(vals[:, None], dates, min_segment=BREAK_MIN_SEGMENT)
            if bp.kind[0] != 0:
                k = int(bp.index[0])
                mid = dates[k - 1] + (dates[k] - dates[k - 1]) / 2
                fit.breakpoint = {
                    "kind": KIND_NAMES[int(bp.kind[0])], "date": mid, "last_before": dates[k - 1],
                    "first_after": dates[k],
                    "step_mm": float(bp.step_mm[0]), "v_before": float(bp.velocity_before_mm_yr[0]),
                    "v_after": float(bp.velocity_after_mm_yr[0]), "delta_bic": float(bp.delta_bic[0]),
                }
    return fit


def _fit_text(fit: Fit, mf, span_yr: float) -> str:
    p = {name: (v, sd) for name, v, sd, _ in fit.params}
    parts = []
    if fit.model == "quadratic":
        v0, sv = p["velocity_mm_yr"]
        a, sa = p["acceleration_mm_yr2"]
        v1 = v0 + a * span_yr
        parts.append(f"v₀ {_fmt(v0, sv, 'mm/yr')}")
        parts.append(f"a {_fmt(a, sa, 'mm/yr²')}")
        parts.append(f"v end {v1:+.1f} mm/yr")
        if abs(a) > 2 * sa:
            fit.acceleration = (a, sa, v0, v1)
    else:
        for name in ("velocity_mm_yr", "log_rate_mm_per_decade", "amplitude_mm", "tau_days", "rate_mm_per_decade"):
            if name in p:
                sym, unit = PARAM_LABELS[name]
                parts.append(f"{sym} {_fmt(*p[name], unit)}" if name != "tau_days"
                             else f"{sym} {p[name][0]:.0f}±{p[name][1]:.0f} {unit}")
    if fit.model == "seasonal":
        amp, amp_sd, peak = seasonal_amplitude(mf)
        parts.append(f"annual {amp[0]:.1f}±{amp_sd[0]:.1f} mm, peak day {peak[0]:.0f}")
        fit.params.append(("annual_amplitude_mm", float(amp[0]), float(amp_sd[0]), "mm"))
        fit.params.append(("annual_peak_day_of_year", float(peak[0]), np.nan, "day"))
    parts.append(f"rms {fit.rms_mm:.1f} mm")
    return ", ".join(parts)


def break_text(bp: dict) -> str:
    if bp["kind"] == KIND_NAMES[STEP]:
        return f"step {bp['step_mm']:+.1f} mm"
    return f"v {bp['v_before']:+.1f} → {bp['v_after']:+.1f} mm/yr"


def describe_fit(fit: Optional[Fit]) -> str:
    """One line for the curve table: the parameters, the acceleration and the breakpoint."""
    if fit is None:
        return ""
    parts = []
    if fit.text:
        parts.append(f"{fit.model}: {fit.text}")
    if fit.breakpoint:
        bp = fit.breakpoint
        parts.append(f"break {bp['date'].isoformat()} ({break_text(bp)}, ΔBIC {bp['delta_bic']:.0f})")
    if fit.message:
        parts.append(fit.message)
    return "; ".join(parts)


# ----------------------------------------------------------------------------- drawing
def _ylabel(components: set) -> str:
    # two short lines: the whole label fits along the panel of the smallest dock (220 px)
    if components <= {"LOS", ""}:
        return "LOS displacement (mm,\n+ toward satellite)"
    if components <= {"UP", "EAST"}:
        return "Displacement (mm; + up, + east)"
    return "Displacement (mm)"


#: The longest curve name the dock's legend shows; the whole name is the curve's tooltip (and in the table).
LEGEND_CHARS = 30
#: Legend columns on screen: one per this many pixels of the figure's width (1 to 3).
LEGEND_COLUMN_PX = 190
_NAMES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # figure -> [(artist, full name)]


def short_label(text: str, limit: int = LEGEND_CHARS) -> str:
    """``text`` in at most ``limit`` characters: its start and its end around "…" (a point's name and the end of
    its coordinates stay readable)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return text[:head].rstrip() + "…" + text[len(text) - (limit - 1 - head):].lstrip()


def legend_names(names: list, limit: int = LEGEND_CHARS) -> list:
    """Each of ``names`` in at most ``limit`` characters (:func:`short_label`), told apart: names whose cut forms
    clash (the same layer's points differ in the middle) keep their start and the part where they differ."""
    out = [short_label(t, limit) for t in names]
    clash = [i for i, t in enumerate(out) if out.count(t) > 1 and names.count(names[i]) == 1]
    if len(clash) > 1:
        group = [" ".join(names[i].split()) for i in clash]
        pre = len(os.path.commonprefix(group))
        suf = len(os.path.commonprefix([t[::-1] for t in group]))
        head = limit // 3
        for i, t in zip(clash, group):
            core = t[max(head, pre - 6):max(len(t) - suf + 6, pre + 1)]
            out[i] = short_label(t[:head].rstrip() + "…" + core, limit)
    return out


def curve_name_at(figure, event) -> str:
    """The whole name of the curve (its line or its legend entry) under the mouse ``event``; "" elsewhere."""
    for artist, name in _NAMES.get(figure, ()):
        if artist.get_visible() and artist.contains(event)[0]:
            return name
    return ""


def _use_constrained_layout(figure) -> None:
    """Margins computed at each draw for the title, the axis labels, the rotated dates and the legends, at any size
    of the dock (tight_layout gives up, with a warning, when the legends outgrow the figure)."""
    if hasattr(figure, "set_layout_engine"):
        figure.set_layout_engine("constrained", h_pad=0.02, w_pad=0.02, hspace=0.02)
    else:
        figure.set_constrained_layout(True)
        figure.set_constrained_layout_pads(h_pad=0.02, w_pad=0.02, hspace=0.02)


#: Dates beyond which a curve's markers are thinned (one marker every few dates; the line keeps every date).
MARKER_DATES = 120


def draw(figure, shown: list, fits: dict, *, selected=None, title: str = "", empty_text: str = "",
         detailed: bool = False, current_date=None) -> dict:
    """Draw ``shown`` series (and their ``fits`` by series key) on ``figure``.

    The title heads the figure; under each panel a legend, outside the data and the title: on screen the curves'
    names cut to :data:`LEGEND_CHARS` characters in up to three columns (the whole name is the curve's tooltip:
    :func:`curve_name_at`; the dock's table holds the parameters); ``detailed`` (exported pictures) lists each curve
    whole with its fitted parameters. The margins are computed at each draw (constrained layout), so no label is
    cut and no layout warning is raised. ``current_date`` (the map's time, from the Temporal Controller) is marked
    by a vertical line. Returns ``{artist: key}`` of the data artists, for picking a curve with the mouse.
    """
    figure.clear()
    _use_constrained_layout(figure)
    los = [s for s in shown if s.panel == "los"]
    main = [s for s in shown if s.panel != "los"]
    groups = [main, los] if los else [main]
    width_px = figure.get_size_inches()[0] * figure.dpi
    columns = 1 if detailed else int(min(3, max(1, width_px // LEGEND_COLUMN_PX)))
    lines = [sum(1 + ("\n" in _label(s, fits.get(s.key), True)) for s in g) if detailed else -(-len(g) // columns)
             for g in groups]
    # a legend axes under each panel, as tall as its lines (the layout adds what a longer legend needs)
    ratios = [r for ratio, n in zip([3.0, 2.0], lines) for r in (ratio, 0.09 * n + (0.35 if detailed else 0.1))]
    grid = figure.add_gridspec(len(ratios), 1, height_ratios=ratios)
    axes = []
    for k in range(len(groups)):
        axes.append(figure.add_subplot(grid[2 * k], sharex=axes[0] if axes else None))
    ax, ax_los = axes[0], (axes[1] if los else None)
    artists, names = {}, []
    for k, (a, group) in enumerate(zip(axes, groups)):
        for s in group:
            artists.update(_draw_series(a, s, fits.get(s.key), s.key == selected, detailed))
        a.axhline(0.0, color="0.6", lw=0.6)
        a.grid(True, lw=0.3)
        if group:
            lax = figure.add_subplot(grid[2 * k + 1])
            lax.axis("off")
            handles, labels = a.get_legend_handles_labels()
            by_key = {s.key: s for s in group}  # on screen the name only: the bands show
            whole = [by_key[artists[h]].label if h in artists else t for h, t in zip(handles, labels)]
            legend = lax.legend(handles, labels if detailed else legend_names(whole),
                                loc="upper left", fontsize=7, frameon=False, borderaxespad=0.0, ncol=columns,
                                handlelength=1.5, columnspacing=1.0)
            names += list(zip(legend.get_texts(), whole)) + list(zip(handles, whole))
        if current_date is not None:
            a.axvline(current_date, color="0.2", ls=":", lw=1.2, zorder=7, label="_map time")
    if current_date is not None and shown:
        from matplotlib.dates import date2num

        ax.annotate(f"map time {current_date.isoformat()}", xy=(date2num(current_date), 0.0),
                    xycoords=ax.get_xaxis_transform(), xytext=(3, 3), textcoords="offset points", fontsize=7,
                    color="0.2", bbox=_TEXT_BOX, zorder=7)
    ax.set_ylabel(_ylabel({s.component for s in main}) if main else "", fontsize=8)
    if ax_los is not None:
        ax_los.set_ylabel("LOS sources (mm,\n+ toward satellite)", fontsize=8)
    ax.set_title(title or "InSAR displacement time series", fontsize=10)
    _NAMES[figure] = names
    if not shown:
        ax.text(0.5, 0.5, empty_text, ha="center", va="center", transform=ax.transAxes, color="0.45")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    for a in axes:
        for lbl in a.get_xticklabels():
            lbl.set_rotation(25)
            lbl.set_horizontalalignment("right")
    return artists


def export_figure(path: str, shown: list, fits: dict, *, title: str = "", dpi: int = 150) -> str:
    """Save the curves with their parameters (``draw(detailed=True)``) as a picture of its own size."""
    from matplotlib.figure import Figure

    n_lines = sum(1 + ("\n" in _label(s, fits.get(s.key), True)) for s in shown)
    panels = 3.0 + (2.2 if any(s.panel == "los" for s in shown) else 0.0)
    figure = Figure(figsize=(10.0, panels + 0.9 + 0.14 * n_lines + 0.3 * (1 + any(s.panel == "los" for s in shown))),
                    dpi=dpi)
    draw(figure, shown, fits, title=title, detailed=True)
    figure.savefig(path, dpi=dpi)
    return path


def _label(s, fit: Optional[Fit], detailed: bool) -> str:
    label = s.label
    if s.sigma_mm is not None:
        label += ", band ±1σ"
    if s.spread_mm is not None:
        label += ", band ±1 std"
    if detailed and fit is not None and (fit.text or fit.breakpoint):
        label += "\n" + describe_fit(dataclasses.replace(fit, message=""))
    return label


def _draw_series(ax, s, fit: Optional[Fit], selected: bool, detailed: bool) -> dict:
    colour = s.colour or "C0"
    n = len(s.dates)
    long = n > MARKER_DATES
    # a long series: a thin line, fewer and smaller markers, so that its 1-sigma band shows around it
    lw = (1.4 if long else 2.2) if selected else (0.6 if long else 0.8)
    ms = (3 if long else 5) if selected else (2 if long else 3)
    every = max(1, int(np.ceil(n / (MARKER_DATES / 2)))) if long else 1
    band_alpha = 0.3 if long else 0.18
    if s.sigma_mm is not None:
        ax.fill_between(s.dates, s.values_mm - s.sigma_mm, s.values_mm + s.sigma_mm, color=colour, alpha=band_alpha,
                        lw=0)
    if s.spread_mm is not None:
        ax.fill_between(s.dates, s.values_mm - s.spread_mm, s.values_mm + s.spread_mm, color=colour,
                        alpha=band_alpha - 0.04, lw=0)
    line, = ax.plot(s.dates, s.values_mm, "o-", ms=ms, lw=lw, color=colour, label=_label(s, fit, detailed), picker=True,
                    pickradius=5, zorder=3 if selected else 2, markevery=every)
    out = {line: s.key}
    if fit is None:
        return out
    if fit.dense_mm is not None:
        ax.plot(fit.dense_dates, fit.dense_mm, "-", lw=1.4, color=colour, alpha=0.9, zorder=4)
    if fit.acceleration is not None:
        a, sa, v0, v1 = fit.acceleration
        word = "accelerating" if abs(v1) > abs(v0) else "decelerating"
        ax.annotate(f"{word}: a {a:+.1f}±{sa:.1f} mm/yr²", xy=(fit.dense_dates[-1], fit.dense_mm[-1]),
                    # toward the inside of the plot: a curve bending up ends high, one bending down ends low
                    xytext=(-10, -16 if a > 0 else 12), textcoords="offset points", ha="right", fontsize=7,
                    color=colour, arrowprops={"arrowstyle": "->", "color": colour, "lw": 0.8}, bbox=_TEXT_BOX,
                    zorder=6)
        ax.plot([fit.dense_dates[-1]], [fit.dense_mm[-1]], "^" if a > 0 else "v", ms=7, color=colour, zorder=5)
    if fit.breakpoint is not None:
        from matplotlib.dates import date2num

        bp = fit.breakpoint
        ax.axvline(bp["date"], color=colour, ls="--", lw=1.0, zorder=1)
        ax.annotate(f"{bp['date'].isoformat()}: {break_text(bp)}", xy=(date2num(bp["date"]), 0.97),
                    xycoords=ax.get_xaxis_transform(), xytext=(-2, 0), textcoords="offset points", rotation=90,
                    rotation_mode="anchor", ha="right", va="bottom", fontsize=7, color=colour, bbox=_TEXT_BOX,
                    zorder=6)
    return out


# ----------------------------------------------------------------------------- export
def write_csv(path: str, shown: list, fits: dict) -> str:
    """One row per date: each series (mm), its 1-sigma or spread and count, and its model values."""
    dates = sorted({d for s in shown for d in s.dates})
    header, columns = ["date"], []

    def column(own_dates, arr):
        lookup = dict(zip(own_dates, arr))
        return [lookup.get(d, np.nan) for d in dates]

    for s in shown:
        header.append(f"{s.label} (mm)")
        columns.append(column(s.dates, s.values_mm))
        if s.sigma_mm is not None:
            header.append(f"{s.label} 1-sigma (mm)")
            columns.append(column(s.dates, s.sigma_mm))
        spread = s.spread_mm
        if spread is not None:
            header.append(f"{s.label} std (mm)")
            columns.append(column(s.dates, spread))
            header.append(f"{s.label} count")
            columns.append(column(s.dates, np.isfinite(s.members_mm).sum(axis=1).astype(float)))
        fit = fits.get(s.key)
        if fit is not None and fit._raw is not None:
            # the model over the curve's own dates only: no extrapolation to another curve's years
            span = [d for d in dates if s.dates[0] <= d <= s.dates[-1]]
            header.append(f"{s.label} {fit.model} model (mm)")
            columns.append(column(span, fit.values_at(span)))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for i, d in enumerate(dates):
            writer.writerow([d.isoformat()] + ["" if not np.isfinite(c[i]) else f"{c[i]:.3f}" for c in columns])
    return path


def fits_csv_path(path: str) -> str:
    stem, _ = os.path.splitext(path)
    return stem + "_fits.csv"


def write_fits_csv(path: str, shown: list, fits: dict) -> str:
    """Long table of every curve's position and fitted parameters (value, 1-sigma, unit)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["curve", "layer", "crs", "x", "y", "point_id", "component", "count", "model", "parameter",
                         "value", "sigma", "unit"])
        for s in shown:
            where = [s.label, s.layer_name, s.crs, "" if s.x is None else f"{s.x:.6f}",
                     "" if s.y is None else f"{s.y:.6f}", s.point_id, s.component, s.count]
            fit = fits.get(s.key)
            if fit is None or (not fit.params and not fit.breakpoint):
                writer.writerow([*where, "", "", "", "", ""])
                continue
            rows = [(n, v, sd, u) for n, v, sd, u in fit.params]
            if fit.params:
                rows += [("rms_mm", fit.rms_mm, np.nan, "mm"), ("n_dates", fit.n_used, np.nan, "")]
            bp = fit.breakpoint
            if bp:
                rows += [("break_kind", bp["kind"], np.nan, ""),
                         ("break_last_date_before", bp["last_before"].isoformat(), np.nan, ""),
                         ("break_first_date_after", bp["first_after"].isoformat(), np.nan, ""),
                         ("break_step_mm", bp["step_mm"], np.nan, "mm"),
                         ("break_velocity_before_mm_yr", bp["v_before"], np.nan, "mm/yr"),
                         ("break_velocity_after_mm_yr", bp["v_after"], np.nan, "mm/yr"),
                         ("break_delta_bic", bp["delta_bic"], np.nan, "")]
            for name, v, sd, unit in rows:
                val = v if isinstance(v, str) else ("" if not np.isfinite(v) else f"{v:.6g}")
                writer.writerow([*where, fit.model, name, val, "" if not np.isfinite(sd) else f"{sd:.6g}", unit])
    return path
