"""The HTML report of a susceptibility run: validation, curves (PNG charts drawn by the caller and embedded), the
factors' weights."""

from __future__ import annotations

import html
import os

import numpy as np

from .partition import MIN_FOLD_SAMPLES
from .validation import CLASS_NAMES

_STYLE = ("body{font-family:sans-serif;max-width:60em;margin:1em auto;color:#222}table{border-collapse:collapse;"
          "margin:.5em 0 1em}td,th{border:1px solid #bbb;padding:2px 8px;text-align:right}th{background:#eee}"
          "td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:90%}")


def _table(head, rows) -> str:
    def cell(v):
        if isinstance(v, float):
            return "" if not np.isfinite(v) else f"{v:.4g}"
        return html.escape(str(v))

    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows]
    return "".join(out) + "</table>"


def _fold_row(r, counts, aucs) -> tuple:
    cells = []
    for (e, p, a), v in zip(counts, aucs):
        flag = " *" if e < MIN_FOLD_SAMPLES or a < MIN_FOLD_SAMPLES else ""
        cells.append(f"{e} / {p} / {a}: " + (f"{v:.3f}" if np.isfinite(v) else "no AUC") + flag)
    return (str(r + 1), *cells, float(np.nanmean(aucs)) if np.isfinite(aucs).any() else float("nan"))


def _fr_tables(model) -> str:
    parts = []
    for f, t in zip(model.factors, model.params["tables"]):
        cp, ca = np.asarray(t["presence"]), np.asarray(t["area"])
        if f.categorical:
            labels = [f"class {c:g}" for c in f.classes]
        else:
            e = list(t.get("edges", []))
            lows, highs = ["min"] + [f"{v:.4g}" for v in e], [f"{v:.4g}" for v in e] + ["max"]
            labels = [f"{lo} .. {hi}" for lo, hi in zip(lows, highs)]
        rows = [(lab, 100 * a / max(ca.sum(), 1), 100 * p / max(cp.sum(), 1), fr)
                for lab, a, p, fr in zip(labels, ca, cp, t["fr"])]
        parts.append(f"<h3>{html.escape(f.name)}</h3>" + _table(["class", "area (%)", "inventory (%)", "FR"], rows))
    return "".join(parts)


def _lr_table(model) -> str:
    p, enc = model.params, model.params["encoding"]
    rows = [("intercept", p["intercept"], p["se"][0], p["intercept"] / p["se"][0] if p["se"][0] else float("nan"))]
    j = 0
    for i, f in enumerate(model.factors):
        terms = [f"{f.name} (per standard deviation, {enc['scale'][i]:.4g})"] if not f.categorical else \
            [f"{f.name} = {c:g} (against {enc['reference'][i]:g})" for c in enc["columns"][i]]
        for term in terms:
            b, se = p["coef"][j], p["se"][j + 1]
            rows.append((term, b, se, b / se if se else float("nan")))
            j += 1
    return _table(["term", "coefficient", "standard error", "z"], rows)


def _picture(images, key: str, alt: str, missing: str) -> str:
    if images and images.get(key):
        return f"<img src='{images[key]}' alt='{html.escape(alt)}'>"
    return f"<p class='note'>{html.escape(missing)}</p>" if missing else ""


def html_report(model, result, *, factor_files=(), images=None, missing_chart: str = "") -> str:
    """The report page (a string): what was fitted, how it was validated, curves, classes and weights.

    ``images`` holds the charts as ``data:`` URIs, ``"curves"`` (ROC, success and prediction rates) and
    ``"importance"`` (permutation importance); where one is absent the page says ``missing_chart`` instead."""
    name = model.method.replace("_", " ")
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Susceptibility ({name})</title>"
           f"<style>{_STYLE}</style></head><body><h1>Susceptibility: {name}</h1>"]
    files = ", ".join(html.escape(os.path.basename(str(p))) for p in factor_files)
    out.append(f"<p>Factors: {files or ', '.join(html.escape(f.name) for f in model.factors)}.</p>")
    if result is None:
        out.append("<p>A saved model applied without an inventory: nothing to validate here.</p>")
    else:
        c = result.counts
        cv = bool(result.folds)
        against = "the surveyed absences" if result.negatives != "area" else "the area off the inventory"
        out.append(_table(["", "value"], [
            (f"AUC (spatial CV: held-out events against {against}, each fold's values as the share of the area its "
             "model ranks lower, pooled; mean over the partitions)" if cv else "AUC (independent area)", result.auc),
            ("AUC standard deviation over the partitions", result.auc_sd if cv else "-"),
            ("mean of the folds' own AUCs (sperrorest's figure)", result.auc_folds if cv else "-"),
            ("AUC of the pooled raw out-of-fold values (mean over the partitions)", result.auc_pooled if cv else "-"),
            ("to report", f"AUC {result.auc:.2f} \u00b1 {result.auc_sd:.2f} (spatial CV, {result.folds} folds, "
                          f"{result.distinct} partitions, buffer {result.buffer_m:.0f} m)" if cv
             else f"AUC {result.auc:.2f} (independent area)"),
            ("validation partition", result.block_note), ("folds", result.folds or "-"),
            ("distinct partitions / repeats asked", f"{result.distinct} / {result.repeats}" if cv else "-"),
            ("block size used (m)", f"{result.block_size_m:.0f}" if cv else "-"),
            ("test-fold buffer", result.buffer_note if cv else "-"),
            ("training units the buffer left out (mean share over folds)",
             f"{100 * result.buffer_left_out:.0f} %" if cv else "-"),
            ("folds with fewer than 10 events or negatives", result.flagged if cv else "-"),
            ("inventory pixels (on the grid / with every factor valid)", f"{c['presence_pixels']} / "
                                                                         f"{c['presence_valid']}"),
            ("samples: inventory, absence, area", f"{c['presence']}, {c['absence']}, {c['area']}"),
            ("valid pixels", c["valid_pixels"])]))
        if cv:
            out.append("<h2>Folds</h2><p class='note'>Each cell: events / inventory samples / negatives in the test "
                       "fold, and the fold's AUC; * marks a fold with fewer than 10 events or negatives.</p>"
                       + _table(["partition"] + [f"fold {k + 1}" for k in range(result.folds)] + ["mean AUC"],
                                [_fold_row(r, cnt, aucs) for r, (cnt, aucs) in
                                 enumerate(zip(result.fold_counts, result.fold_auc))]))
        out.append(_picture(images, "curves", "ROC, success and prediction rate curves", missing_chart))
        out.append("<p class='note'>ROC: inventory against absence samples of the first repeat, each predicted by "
                   "the model of the fold that did not see it (pooled over the folds). Success rate: the final model "
                   "(fitted on every sample) on the inventory against the whole area; prediction rate: the same with "
                   "out-of-fold predictions.</p>")
        out.append("<h2>Susceptibility classes</h2>" + _table(
            ["class", "area (%)", "inventory (%)", "inventory density (inventory % / area %)"], result.class_table))
        if model.breaks:
            out.append("<p class='note'>Class limits (susceptibility): " + ", ".join(
                f"{b:.4g}" for b in model.breaks) + f"; classes {', '.join(CLASS_NAMES)}.</p>")
    out.append("<h2>Factor weights</h2>")
    if model.method == "frequency_ratio":
        out.append("<p class='note'>Frequency ratio FR = share of the inventory in the class / share of the area in "
                   f"the class; LSI = sum of the factors' FR, rescaled by min-max over its possible range "
                   f"({model.params['lsi_min']:.4g} .. {model.params['lsi_max']:.4g}).</p>" + _fr_tables(model))
    elif model.method == "logistic_regression":
        out.append("<p class='note'>Logistic regression on standardised factors (one-hot classes against the most "
                   "common one); Wald standard errors from the Fisher information.</p>" + _lr_table(model))
    else:
        p = model.params
        out.append(f"<p class='note'>Random forest of {p['trees']} trees, leaves of at least {p['min_leaf']} samples, "
                   f"balanced classes, seed {p['seed']} (scikit-learn {p['sklearn_version']}).</p>")
    imp = None if result is None else result.importance
    if imp:
        out.append("<h3>Permutation importance</h3>" + _picture(images, "importance", "importance", missing_chart)
                   + _table(["factor", "mean AUC lost", "std"], list(zip(imp["names"], imp["mean"], imp["std"]))))
    out.append("</body></html>")
    return "".join(out)
