"""Pure block function of the time-series models on rasters, for the block engine (:mod:`algorithms.engine`).

A block of a time-series raster ``(n_dates, rows, cols)`` (mm, LOS positive toward the
satellite) is fitted pixel by pixel (:func:`algorithms.models.timeseriesmodels.fit_models`,
optionally :func:`algorithms.timeseries.breakpoints.detect_breakpoints`) and returns one
band per model output, named as the point tool's fields.
"""

from __future__ import annotations

import numpy as np

from ..blas import one_blas_thread
from ..progress import SubProgress, info, warn
from ..timeseries.breakpoints import KIND_NAMES, detect_breakpoints
from .timeseriesmodels import fit_models, seasonal_amplitude


def model_columns(sel) -> dict:
    """Output columns of a model selection, in order: name -> float array."""
    out = {}
    for model in sel.names:
        fit = sel.fits[model]
        ic = fit.ic(sel.criterion)
        if model == "linear":
            out["LIN_VEL"], out["LIN_VEL_SD"] = fit.param("velocity_mm_yr"), fit.stdev[:, 1]
        elif model == "seasonal":
            amp, amp_sd, peak = seasonal_amplitude(fit)
            out["SEA_VEL"], out["SEA_VEL_SD"] = fit.param("velocity_mm_yr"), fit.stdev[:, 1]
            out["SEA_AMP"], out["SEA_AMP_SD"], out["SEA_PEAK"] = amp, amp_sd, peak
            out["SEA_SEMI"] = np.hypot(fit.param("semiannual_sin_mm"), fit.param("semiannual_cos_mm"))
        elif model == "quadratic":
            out["QUA_VEL"], out["QUA_VEL_SD"] = fit.param("velocity_mm_yr"), fit.stdev[:, 1]
            out["QUA_ACC"], out["QUA_ACC_SD"] = fit.param("acceleration_mm_yr2"), fit.stdev[:, 2]
        elif model == "logarithmic":
            out["LOG_B"], out["LOG_B_SD"] = fit.param("log_rate_mm_per_decade"), fit.stdev[:, 1]
            out["LOG_VEL"], out["LOG_VEL_SD"] = fit.param("velocity_mm_yr"), fit.stdev[:, 2]
        elif model == "afterslip":
            out["AFT_AMP"], out["AFT_AMP_SD"] = fit.param("amplitude_mm"), fit.stdev[:, 1]
            out["AFT_TAU_D"], out["AFT_TAU_SD"] = fit.param("tau_days"), fit.stdev[:, 2]
        elif model == "consolidation":
            out["CON_K"], out["CON_K_SD"] = fit.param("rate_mm_per_decade"), fit.stdev[:, 1]
        prefix = {"linear": "LIN", "seasonal": "SEA", "quadratic": "QUA", "logarithmic": "LOG",
                  "afterslip": "AFT", "consolidation": "CON"}[model]
        out[f"{prefix}_RMS"] = fit.rms_mm
        out[f"{prefix}_IC"] = np.where(np.isfinite(ic), ic, np.nan)
    return out


def bytes_per_series(n_dates: int, models, breaks: bool) -> float:
    """Memory one pixel (or point) of a block takes while its models are fitted, in bytes: the float64 series,
    the fits' residuals and designs (the models are fitted one after the other: the largest counts) and the output
    columns. An upper bound of what tracemalloc measures (e.g. 975 bytes for the linear model on 20 dates, 10,673
    for the six models and breakpoints on 120 dates)."""
    models = tuple(models)
    per_date = 84.0 if "afterslip" in models else 44.0  # afterslip: its grid of time constants
    fixed = 256.0 + 128.0 * len(models) + (768.0 if "seasonal" in models else 0.0) \
        + (384.0 if "afterslip" in models else 0.0) + (512.0 if breaks else 0.0)
    return per_date * int(n_dates) + fixed


def fit_series(disp, dates, opts: dict, breaks: bool, min_dbic: float, progress=None):
    """Model selection of ``disp`` ``(n_dates, n_points)``: ``(selection, head, columns, breakpoints or None)``."""
    sel = fit_models(disp, dates, progress=SubProgress(progress, 0, 80 if breaks else 100), **opts)
    cols = model_columns(sel)
    head = {"BEST_MODEL": sel.best_name(), "RMS_MM": sel.best_rms()}
    brk = None
    if breaks:
        brk = detect_breakpoints(disp, dates, min_delta_bic=min_dbic, progress=SubProgress(progress, 80, 100))
    return sel, head, cols, brk


class MessageSink:
    """Progress sink of a block run elsewhere (a Dask worker): keeps its warnings and infos as
    ``("warning" | "info", text)`` for the calling process to report in plan order."""

    def __init__(self):
        self.messages = []

    def set_progress(self, percent):
        pass

    def is_canceled(self):
        return False

    def push_warning(self, message):
        self.messages.append(("warning", message))

    def push_info(self, message):
        self.messages.append(("info", message))


def models_points_block(block, inputs, *, dates, opts: dict, breaks: bool = False, min_dbic: float = 10.0) -> dict:
    """Fit the points of a block: ``inputs["series"]`` ``(n_dates, n_points)`` mm.

    Returns ``head`` (``BEST_MODEL``, ``RMS_MM``), ``columns`` (:func:`model_columns`),
    ``breakpoints`` (or None) and ``messages`` (the fit's warnings, see :class:`MessageSink`).
    """
    sink = MessageSink()
    with one_blas_thread():
        _, head, cols, brk = fit_series(inputs["series"], dates, opts, breaks, min_dbic, sink)
    return {"head": head, "columns": cols, "breakpoints": brk, "messages": sink.messages}


def breakpoint_bands(brk) -> dict:
    """The bands of the breakpoints of a block (float64, one value a pixel): ``BRK_KIND``, ``BRK_INDEX`` (1-based
    first date after the break, 0 = none), ``BRK_STEP`` (mm), ``BRK_V1``, ``BRK_V2`` (mm/yr), ``BRK_DBIC``."""
    return {"BRK_KIND": brk.kind.astype(np.float64),
            "BRK_INDEX": np.where(brk.index >= 0, brk.index + 1, 0).astype(np.float64),
            "BRK_STEP": brk.step_mm, "BRK_V1": brk.velocity_before_mm_yr, "BRK_V2": brk.velocity_after_mm_yr,
            "BRK_DBIC": brk.delta_bic}


def models_raster_block(block, inputs, *, dates, opts: dict, breaks: bool = False, min_dbic: float = 10.0) -> dict:
    """Fit every pixel of a block: ``stack`` ``(n_bands, rows, cols)`` float64 and the band ``names``.

    ``inputs["series"]``: ``(n_dates, rows, cols)`` mm. Bands: ``BEST_MODEL`` (1-based index
    into ``opts["models"]``), ``RMS_MM``, the model columns (:func:`model_columns`) and, with
    ``breaks``, ``BRK_KIND``, ``BRK_INDEX`` (1-based first date after the break, 0 = none),
    ``BRK_STEP``, ``BRK_V1``, ``BRK_V2``, ``BRK_DBIC``.
    """
    series = inputs["series"]
    flat = series.reshape(series.shape[0], -1)
    with one_blas_thread():
        sel, head, cols, brk = fit_series(flat, dates, opts, breaks, min_dbic, None)
    bands = {"BEST_MODEL": (sel.best + 1).astype(np.float64), "RMS_MM": head["RMS_MM"], **cols}
    if brk is not None:
        bands.update(breakpoint_bands(brk))
    names = list(bands)
    return {"stack": np.stack([bands[k] for k in names]).reshape(len(names), block.rows, series.shape[2]),
            "names": names}


#: The velocity columns of the models, the first one present styles the outputs.
VELOCITY_COLUMNS = ("LIN_VEL", "SEA_VEL", "QUA_VEL", "LOG_VEL")


class PointFits:
    """The fits of the point blocks (:func:`models_points_block`), gathered in plan order as the engine's
    writer; each block's messages are relayed to ``progress`` as they arrive."""

    def __init__(self, progress=None):
        self.parts = []
        self.progress = progress

    def __call__(self, block, out: dict) -> None:
        self.parts.append((out["head"], out["columns"], out["breakpoints"]))
        for kind, message in out["messages"]:
            (warn if kind == "warning" else info)(self.progress, message)

    def velocity_field(self) -> str:
        """The first velocity column of the fits (else their first column)."""
        columns = self.parts[0][1]
        return next((name for name in VELOCITY_COLUMNS if name in columns), next(iter(columns)))

    def fields(self, dates, displacement_mm) -> dict:
        """Columns of the fitted points: ``BEST_MODEL``, ``RMS_MM``, ``N_DATES``, the model columns and, with
        breakpoints, ``BRK_KIND``, ``BRK_DATE``, ``BRK_STEP``, ``BRK_V1``, ``BRK_V2``, ``BRK_DBIC``."""
        parts = self.parts
        fields = {"BEST_MODEL": np.concatenate([p[0]["BEST_MODEL"] for p in parts]),
                  "RMS_MM": np.concatenate([p[0]["RMS_MM"] for p in parts]),
                  "N_DATES": np.isfinite(displacement_mm).sum(axis=0).astype(np.int64)}
        for key in parts[0][1]:
            fields[key] = np.concatenate([p[1][key] for p in parts])
        if parts[0][2] is not None:
            kind = np.concatenate([p[2].kind for p in parts])
            index = np.concatenate([p[2].index for p in parts])
            fields["BRK_KIND"] = np.array([KIND_NAMES[int(k)] for k in kind], dtype=object)
            fields["BRK_DATE"] = np.array([dates[i] if i >= 0 else None for i in index], dtype=object)
            for name, attr in (("BRK_STEP", "step_mm"), ("BRK_V1", "velocity_before_mm_yr"),
                               ("BRK_V2", "velocity_after_mm_yr"), ("BRK_DBIC", "delta_bic")):
                fields[name] = np.concatenate([getattr(p[2], attr) for p in parts])
        return fields
