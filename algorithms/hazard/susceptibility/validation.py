"""Spatially blocked validation of a susceptibility, its curves and the block size.

Random folds put a test pixel next to training pixels of the same slope and the same landslide: on
autocorrelated maps they measure memory, not prediction, and overstate the AUC (Roberts et al. 2017,
doi:10.1111/ecog.02881; Brenning 2012, doi:10.1109/IGARSS.2012.6352393). Here the grid is cut into square blocks
of ``block_size_m`` (anchored at the grid's origin), every sample belongs to its pixel's block, and scikit-learn's
``StratifiedGroupKFold`` deals whole blocks into folds with about the same share of inventory samples in each. Each
fold's model is fitted on the other folds and predicts its own: the AUC is that of these out-of-fold predictions
(inventory against absence samples), the prediction-rate curve theirs (inventory against the whole area), the
success-rate curve that of the final model fitted on every sample. Permutation importance (scikit-learn) is
measured on the held-out blocks of each fold and averaged.

The default block size is the practical range of the factors' spatial correlation: for each continuous factor,
three times the lag at which its correlogram (computed on the whole grid, decimated, by FFT) falls below 1/e,
the practical range of an exponential correlation; the median over the factors (as blockCV suggests, Valavi et
al. 2019, doi:10.1111/2041-210X.13107), and at least twice the inventory's mean feature size (a landslide is
never cut between training and test) and ten pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ...errors import GeohazardError
from . import models
from .sampling import Samples

#: area percentiles of the class limits: very low = the least susceptible half of the area ... very high = top 5 %
CLASS_PERCENTILES = (50.0, 75.0, 90.0, 95.0)
CLASS_NAMES = ("very low", "low", "moderate", "high", "very high")


def correlation_range_m(array, pixel_m: float) -> float:
    """Practical correlation range (m) of a 2-D field: 3 x the lag where its isotropic correlogram first falls below
    1/e (interpolated between whole-pixel lags; NaN = no data), the largest lag measured when it never does. FFT
    correlogram with a validity mask."""
    a = np.asarray(array, np.float64)
    ok = np.isfinite(a)
    if ok.sum() < 16:
        return float("nan")
    z = np.where(ok, a - a[ok].mean(), 0.0)
    m = ok.astype(np.float64)
    shape = [2 * s for s in a.shape]
    fz, fm = np.fft.rfft2(z, shape), np.fft.rfft2(m, shape)
    cov = np.fft.irfft2(fz * np.conj(fz), shape)
    cnt = np.fft.irfft2(fm * np.conj(fm), shape)
    ny, nx = a.shape
    lag_y = np.fft.fftfreq(shape[0]) * shape[0]
    lag_x = np.fft.fftfreq(shape[1]) * shape[1]
    dist = np.hypot(lag_y[:, None], lag_x[None, :])
    good = (cnt > 0.5 * ok.sum() * 0.05) & (np.abs(lag_y)[:, None] < ny) & (np.abs(lag_x)[None, :] < nx)
    corr = np.where(good, cov / np.where(cnt > 0.5, cnt, 1.0), 0.0)
    c0 = corr[0, 0]
    if not c0 > 0:
        return float("nan")
    ring = np.rint(dist).astype(np.int64)
    n_ring = int(min(ny, nx) // 2) + 1
    sel = good & (ring < n_ring)
    sums = np.bincount(ring[sel], weights=corr[sel], minlength=n_ring)
    counts = np.bincount(ring[sel], minlength=n_ring)
    profile = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan) / c0
    target = np.exp(-1.0)
    below = np.flatnonzero(profile[1:] < target)
    if not below.size:
        return 3.0 * float(n_ring - 1) * float(pixel_m)
    lag = int(below[0]) + 1
    hi, lo = profile[lag - 1], profile[lag]  # interpolated between the last lag above 1/e and the first below
    frac = (hi - target) / (hi - lo) if np.isfinite(hi) and hi > lo else 1.0
    return 3.0 * (lag - 1 + frac) * float(pixel_m)


def automatic_block_size(ranges_m, feature_size_m: float, pixel_m: float) -> tuple:
    """``(block size in m, why)``: the median practical correlation range of the factors, at least twice the
    inventory's mean feature size and ten pixels."""
    r = np.asarray([v for v in ranges_m if np.isfinite(v)], np.float64)
    median = float(np.median(r)) if r.size else 0.0
    size = max(median, 2.0 * float(feature_size_m), 10.0 * float(pixel_m))
    if size == median:
        why = f"the median correlation range of the continuous factors ({median:.0f} m)"
    elif size == 2.0 * float(feature_size_m):
        why = f"twice the inventory's mean feature size ({feature_size_m:.0f} m; correlation range {median:.0f} m)"
    else:
        why = f"ten pixels (correlation range {median:.0f} m)"
    return size, why


def block_ids(rows, cols, geotransform, block_size_m: float) -> np.ndarray:
    """Block of each pixel (int64 id): squares of ``block_size_m`` anchored at the grid's origin."""
    gt = geotransform
    r, c = np.asarray(rows, np.float64) + 0.5, np.asarray(cols, np.float64) + 0.5
    x, y = c * gt[1] + r * gt[2], c * gt[4] + r * gt[5]
    bx = np.floor(x / block_size_m).astype(np.int64)
    by = np.floor(-y / block_size_m).astype(np.int64) if gt[5] < 0 else np.floor(y / block_size_m).astype(np.int64)
    return bx * 2_000_003 + by


@dataclass
class SusceptibilityResult:
    """A fitted susceptibility and its validation (everything the report shows)."""

    model: models.SusceptibilityModel
    auc: float
    fold_auc: list
    block_size_m: float
    block_note: str
    folds: int
    n_blocks: int
    counts: dict
    roc: tuple
    success: tuple
    prediction: tuple
    importance: Optional[dict] = None
    class_table: list = field(default_factory=list)
    #: out-of-fold predictions of the balanced samples: {"presence": ..., "absence": ..., "area": ...}
    oof: dict = field(default_factory=dict)


def _balanced(s: Samples) -> tuple:
    n = min(len(s.index["presence"]), len(s.index["absence"]))
    return n, {"presence": s.values["presence"][:n], "absence": s.values["absence"][:n], "area": s.values["area"]}


def _folds(s: Samples, n: int, geotransform, block_size_m: float, folds: int, seed: int) -> dict:
    """Fold of each sample (presence and absence: the first ``n``; area: all) and the number of blocks."""
    from sklearn.model_selection import StratifiedGroupKFold

    groups, labels = [], []
    for kind, m in (("presence", n), ("absence", n), ("area", len(s.index["area"]))):
        r, c = s.rows_cols(kind)
        groups.append(block_ids(r[:m], c[:m], geotransform, block_size_m))
        labels.append(np.full(m, 1 if kind == "presence" else 0))
    g, y = np.concatenate(groups), np.concatenate(labels)
    n_pres_blocks = len(np.unique(groups[0]))
    if n_pres_blocks < folds:
        raise GeohazardError(
            f"BLOCK_SIZE_M: the inventory lies in {n_pres_blocks} block(s) of {block_size_m:g} m; {folds}-fold blocked "
            f"validation needs it in at least {folds}: lower BLOCK_SIZE_M (or FOLDS)")
    fold = np.zeros(len(g), np.int64)
    split = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=int(seed))
    for k, (_, test) in enumerate(split.split(np.zeros((len(g), 1)), y, g)):
        fold[test] = k
    sizes = np.cumsum([len(a) for a in groups])
    return {"presence": fold[:sizes[0]], "absence": fold[sizes[0]:sizes[1]], "area": fold[sizes[1]:],
            "n_blocks": len(np.unique(g))}


def _block_size(s, n, geotransform, block_size_m, auto_note, folds) -> tuple:
    """The block size used: ``block_size_m``, or when automatic, halved until the inventory spans ``folds``
    blocks."""
    if auto_note is None:
        return block_size_m, f"{block_size_m:g} m (BLOCK_SIZE_M)"
    size = block_size_m
    r, c = s.rows_cols("presence")
    pixel = max(abs(geotransform[1]), abs(geotransform[5]))
    while len(np.unique(block_ids(r[:n], c[:n], geotransform, size))) < folds and size > 2 * pixel:
        size = size / 2.0
    note = f"{size:.0f} m (automatic: {auto_note}"
    if size != block_size_m:
        note += f"; halved to {size:.0f} m so that the inventory spans at least {folds} blocks"
    return size, note + ")"


def _importance(model, x, y, names, *, seed: int, threads: int, repeats: int) -> np.ndarray:
    """Permutation importance (mean AUC lost) of each factor on held-out samples, scikit-learn's."""
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import roc_auc_score

    class _Scored:  # what permutation_importance hands to the scorer: an estimator already fitted (newer
        # scikit-learn checks that it has ``fit``)
        def fit(self, x, y=None):
            return self

        def get_params(self, deep=True):
            return {}

    def scorer(_est, xv, yv):
        p = model.predict(xv)
        ok = np.isfinite(p)
        return roc_auc_score(yv[ok], p[ok]) if len(np.unique(yv[ok])) == 2 else np.nan

    res = models._threaded(lambda: permutation_importance(
        _Scored(), x, y, scoring=scorer, n_repeats=repeats, random_state=int(seed), n_jobs=max(1, int(threads))),
        threads)
    return res.importances


def _auc(y, p) -> float:
    from sklearn.metrics import roc_auc_score

    ok = np.isfinite(p)
    return float(roc_auc_score(y[ok], p[ok])) if len(np.unique(y[ok])) == 2 else float("nan")


def _curve(pos, neg) -> tuple:
    """ROC-type curve ``(x, y, area)`` of scores ``pos`` against ``neg`` (scikit-learn's ``roc_curve``, ``auc``)."""
    from sklearn.metrics import auc, roc_curve

    pos, neg = pos[np.isfinite(pos)], neg[np.isfinite(neg)]
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    fpr, tpr, _ = roc_curve(y, np.concatenate([pos, neg]))
    return fpr, tpr, float(auc(fpr, tpr))


def susceptibility(s: Samples, factors, method: str, *, geotransform, block_size_m: float,
                   auto_note: Optional[str] = None, folds: int = 5, seed: int = 0, threads: int = 1,
                   n_bins: int = 10, trees: int = 100, min_leaf: int = 5, repeats: int = 5,
                   class_percentiles=CLASS_PERCENTILES, progress=None) -> SusceptibilityResult:
    """Fit ``method`` on the samples, validate it by spatially blocked cross-validation, fit it on every sample.

    Parameters
    ----------
    s : Samples
        The scan's samples (:class:`.sampling.ScanCollector`); presences and absences are balanced here (the first
        ``n`` of each in key order: a uniform random subset).
    factors : list of FactorSpec
    method : str
        One of :data:`.models.METHODS`.
    geotransform : tuple
        The grid's GDAL geotransform (map units: metres).
    block_size_m : float
        Side of the validation blocks (m). With ``auto_note`` (why that size), it was chosen automatically and is
        halved until the inventory spans ``folds`` blocks; else too few blocks are refused.
    folds, seed, threads, n_bins, trees, min_leaf, repeats :
        Folds of the validation, seed (folds, forest, permutations), threads (forest, permutations), classes of a
        continuous factor (frequency ratio), trees and smallest leaf (forest), permutations per factor.
    class_percentiles : sequence of 4 floats
        Area percentiles of the limits of the classes very low .. very high.
    progress : optional progress (``set_progress``, ``is_canceled``, ``push_info``)
    """
    from ...progress import check_canceled, info

    n, sv = _balanced(s)
    size, note = _block_size(s, n, geotransform, block_size_m, auto_note, folds)
    fold = _folds(s, n, geotransform, size, folds, seed)
    info(progress, f"Validation: {folds} folds of spatial blocks of {note}, {fold['n_blocks']} blocks hold samples")
    kw = dict(n_bins=n_bins, seed=seed, threads=threads, trees=trees, min_leaf=min_leaf)
    oof = {k: np.full(len(sv[k]), np.nan) for k in sv}
    fold_auc, importances = [], []
    names = [f.name for f in factors]
    for k in range(folds):
        check_canceled(progress)
        train = {kind: sv[kind][fold[kind] != k] for kind in sv}
        if len(train["presence"]) == 0 or len(train["absence"]) == 0:
            raise GeohazardError(f"BLOCK_SIZE_M: fold {k + 1} leaves no inventory or no absence sample to learn "
                                 "from: lower BLOCK_SIZE_M")
        m = models.fit_model(method, factors, train["presence"], train["absence"], train["area"], **kw)
        for kind in sv:
            test = fold[kind] == k
            if test.any():
                oof[kind][test] = m.predict(sv[kind][test], threads=threads)
        tp, ta = fold["presence"] == k, fold["absence"] == k
        y = np.concatenate([np.ones(int(tp.sum())), np.zeros(int(ta.sum()))])
        if len(np.unique(y)) == 2:
            fold_auc.append(_auc(y, np.concatenate([oof["presence"][tp], oof["absence"][ta]])))
            if repeats > 0:
                x = np.concatenate([sv["presence"][tp], sv["absence"][ta]])
                importances.append(_importance(m, x, y, names, seed=seed + k, threads=threads, repeats=repeats))
        if progress is not None:
            progress.set_progress(100.0 * (k + 1) / (folds + 1))
    final = models.fit_model(method, factors, sv["presence"], sv["absence"], sv["area"], **kw)
    fitted = {kind: final.predict(sv[kind], threads=threads) for kind in ("presence", "area")}
    area_p = fitted["area"][np.isfinite(fitted["area"])]
    final.breaks = [float(b) for b in np.percentile(area_p, list(class_percentiles))] if area_p.size else []
    y = np.concatenate([np.ones(n), np.zeros(n)])
    auc = _auc(y, np.concatenate([oof["presence"], oof["absence"]]))
    roc = _curve(oof["presence"], oof["absence"])
    imp = None
    if importances:
        stacked = np.concatenate(importances, axis=1)
        imp = {"names": names, "mean": np.nanmean(stacked, axis=1).tolist(), "std": np.nanstd(stacked, axis=1).tolist()}
    return SusceptibilityResult(
        final, auc, fold_auc, size, note, folds, fold["n_blocks"],
        {"presence": n, "absence": n, "area": len(sv["area"]), "presence_pixels": s.presence_pixels,
         "presence_valid": s.presence_valid, "valid_pixels": s.valid_pixels},
        roc, _curve(fitted["presence"], fitted["area"]), _curve(oof["presence"], oof["area"]), imp,
        class_table(final, fitted["presence"], fitted["area"]), oof)


def class_table(model, presence_p, area_p) -> list:
    """Rows ``(class name, share of the area %, share of the inventory %, inventory density ratio)``."""
    cp, ca = model.classify(presence_p), model.classify(area_p)
    rows = []
    for k, name in enumerate(CLASS_NAMES, start=1):
        sa = 100.0 * float((ca == k).sum()) / max(int((ca > 0).sum()), 1)
        sp = 100.0 * float((cp == k).sum()) / max(int((cp > 0).sum()), 1)
        rows.append((name, sa, sp, sp / sa if sa > 0 else float("nan")))
    return rows


def evaluate(s: Samples, model, *, threads: int = 1) -> SusceptibilityResult:
    """A saved model applied to the samples of another area with its own inventory: an independent test (no
    fitting); the success-rate and prediction-rate curves are then the same curve."""
    n, sv = _balanced(s)
    p = {kind: model.predict(sv[kind], threads=threads) for kind in sv}
    y = np.concatenate([np.ones(n), np.zeros(n)])
    auc = _auc(y, np.concatenate([p["presence"], p["absence"]]))
    curve = _curve(p["presence"], p["area"])
    return SusceptibilityResult(
        model, auc, [], float("nan"), "none: the model was fitted elsewhere; this area is an independent test", 0, 0,
        {"presence": n, "absence": n, "area": len(sv["area"]), "presence_pixels": s.presence_pixels,
         "presence_valid": s.presence_valid, "valid_pixels": s.valid_pixels},
        _curve(p["presence"], p["absence"]), curve, curve, None, class_table(model, p["presence"], p["area"]), p)
