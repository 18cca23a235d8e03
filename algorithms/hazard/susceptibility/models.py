"""The three susceptibility methods: fitted on samples, applied to any array of factor values.

Every method maps a pixel's factor values to a susceptibility in 0..1 that depends on that pixel's values only,
computed with elementwise arithmetic in a fixed order (no matrix product over pixels): a grid gives the same bytes
whatever its blocks (docs/architecture.md, "Determinism").

* **Frequency ratio** (Lee and Pradhan 2007, doi:10.1007/s10346-006-0047-y). Each factor is cut into classes
  (a categorical factor: its codes; a continuous one: ``n_bins`` classes between quantiles of the area sample).
  For class *c* of a factor, FR = (inventory pixels in *c* / inventory pixels) / (area pixels in *c* / area
  pixels), the area being every valid pixel (the uniform area sample). The landslide susceptibility index of a
  pixel is LSI = sum over factors of the FR of its classes; the output is LSI rescaled by min-max over the LSI's
  possible range (sum of each factor's smallest FR .. sum of the largest): a relative index, the same for any
  area the tables are applied to.
* **Logistic regression** (scikit-learn ``LogisticRegression``): continuous factors standardised (mean, standard
  deviation of the training samples), categorical factors one-hot with their most common class as the reference;
  a very weak ridge (C = 1e4 on standardised factors) keeps the coefficients finite where a class holds only
  presences or only absences and changes them by about 1e-3 elsewhere. Standard errors are the Wald errors
  of the maximum-likelihood fit: the square roots of the diagonal of the inverse Fisher information
  ``(X' W X)^-1``, W = p (1 - p) (Hosmer et al. 2013, doi:10.1002/9781118548387).
* **Random forest** (scikit-learn ``RandomForestClassifier``, Breiman 2001, doi:10.1023/A:1010933404324): continuous
  factors as they are, categorical factors one-hot; class weights balanced, leaves of at least ``min_leaf``
  samples (no leaf remembers one pixel), a fixed seed. Each tree grows on a bootstrap draw of at most
  :data:`RF_TREE_SAMPLES` samples (subsampled trees, as ranger's ``sample.fraction``): the pixels of one event tell
  a tree little more than a few of them do, a tree costs n log n, and with 10,000 samples of each kind the 100
  trees still draw every sample about ten times. The probability is the mean of the trees' leaf
  frequencies, summed tree by tree in the forest's order (scikit-learn sums them in the order its threads
  finish).

A class code the model never saw (another area, another legend) gives no value (NaN): it cannot be weighed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ...errors import GeohazardError
from ...optional import require
from .sampling import OUTSIDE

METHODS = ("frequency_ratio", "logistic_regression", "random_forest")
#: the version of the saved-model layout (:meth:`SusceptibilityModel.to_dict`)
FORMAT_VERSION = 1
LR_C = 1.0e4
#: most samples one tree of a random forest is grown on (its bootstrap draw)
RF_TREE_SAMPLES = 2000


@dataclass(frozen=True)
class FactorSpec:
    """One factor: its name (the file's), whether it holds class codes, and its classes (categorical)."""

    name: str
    categorical: bool = False
    classes: tuple = ()


def class_index(values, factor: FactorSpec, edges=None) -> np.ndarray:
    """Class of each value (int64; -1 = unknown code or NaN): codes by their position in ``factor.classes``, a
    continuous value by the inner ``edges`` of its bins (a value on an edge goes to the upper bin)."""
    v = np.asarray(values, np.float64)
    out = np.full(v.shape, -1, np.int64)
    ok = np.isfinite(v)
    if factor.categorical:
        codes = np.asarray(factor.classes, np.float64)
        pos = np.searchsorted(codes, v[ok])
        pos_c = np.minimum(pos, len(codes) - 1)
        out[ok] = np.where(codes[pos_c] == v[ok], pos_c, -1)
    else:
        out[ok] = np.searchsorted(np.asarray(edges, np.float64), v[ok], side="right")
    return out


def quantile_edges(values, n_bins: int) -> np.ndarray:
    """Inner edges of ``n_bins`` classes between quantiles of ``values`` (repeated quantiles merged)."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.zeros(0)
    return np.unique(np.quantile(v, np.linspace(0.0, 1.0, int(n_bins) + 1)[1:-1]))


@dataclass
class SusceptibilityModel:
    """A fitted method and what applying it needs (JSON-able ``params``; a random forest's trees in ``forest``)."""

    method: str
    factors: list
    params: dict
    forest: object = None
    breaks: list = field(default_factory=list)

    # ------------------------------------------------------------------ apply
    def predict(self, values, *, threads: int = 1) -> np.ndarray:
        """Susceptibility (0..1, float64) of each row of ``values`` ``(n, n_factors)``; NaN where a value is NaN
        or a class code is unknown."""
        values = np.asarray(values, np.float64)
        if values.ndim != 2 or values.shape[1] != len(self.factors):
            raise GeohazardError(f"the model takes {len(self.factors)} factors, got values of shape {values.shape}")
        if self.method == "frequency_ratio":
            return self._predict_fr(values)
        x, known = self._design(values, standardise=self.method == "logistic_regression")
        out = np.full(values.shape[0], np.nan)
        if not known.any():
            return out
        x = np.ascontiguousarray(x[known])
        if self.method == "logistic_regression":
            coef = self.params["coef"]
            eta = np.full(x.shape[0], float(self.params["intercept"]))
            for j in range(x.shape[1]):
                eta = eta + float(coef[j]) * x[:, j]
            out[known] = 1.0 / (1.0 + np.exp(-eta))
        else:
            out[known] = forest_probability(self.forest, x, threads=threads)
        return out

    def _predict_fr(self, values) -> np.ndarray:
        lsi = np.zeros(values.shape[0])
        known = np.isfinite(values).all(axis=1)
        for i, (f, table) in enumerate(zip(self.factors, self.params["tables"])):
            idx = class_index(values[:, i], f, table.get("edges"))
            known &= idx >= 0
            fr = np.asarray(table["fr"], np.float64)
            lsi = lsi + fr[np.maximum(idx, 0)]
        lo, hi = float(self.params["lsi_min"]), float(self.params["lsi_max"])
        # the extremes' sums may round an ulp past the bounds' sums (numpy 2's SIMD adds): the index stays in 0..1
        out = np.clip((lsi - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.full(lsi.shape, 0.5)
        out[~known] = np.nan
        return out

    def _design(self, values, *, standardise: bool) -> tuple:
        """The design matrix (continuous columns, then one column per encoded class) and the rows whose codes
        are all known."""
        enc = self.params["encoding"]
        cols, known = [], np.isfinite(values).all(axis=1)
        for i, f in enumerate(self.factors):
            if not f.categorical:
                v = values[:, i]
                cols.append((v - float(enc["mean"][i])) / float(enc["scale"][i]) if standardise else v)
                continue
            idx = class_index(values[:, i], f)
            known &= idx >= 0
            for c in enc["columns"][i]:
                cols.append((idx == f.classes.index(c)).astype(np.float64))
        x = np.column_stack(cols) if cols else np.zeros((values.shape[0], 0))
        return x, known

    def n_columns(self) -> int:
        """Columns of the design matrix (the factors themselves for the frequency ratio)."""
        if self.method == "frequency_ratio":
            return len(self.factors)
        return sum(1 if not f.categorical else len(cs) for f, cs in zip(self.factors,
                                                                          self.params["encoding"]["columns"]))

    def classify(self, probability) -> np.ndarray:
        """Susceptibility class 1 (very low) .. 5 (very high) by :attr:`breaks`; 0 where there is no value."""
        p = np.asarray(probability, np.float64)
        out = np.zeros(p.shape, np.uint8)
        ok = np.isfinite(p)
        out[ok] = (np.searchsorted(np.asarray(self.breaks, np.float64), p[ok], side="right") + 1).astype(np.uint8)
        return out

    # ------------------------------------------------------------------ save
    def to_dict(self) -> dict:
        """Everything but the forest, as JSON-able values."""
        return {"format": "insar-geohazards susceptibility model", "format_version": FORMAT_VERSION,
                "method": self.method, "breaks": [float(b) for b in self.breaks],
                "factors": [{"name": f.name, "categorical": f.categorical, "classes": [float(c) for c in f.classes]}
                            for f in self.factors],
                "params": _jsonable(self.params)}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    return value


def model_from_dict(d: dict, forest=None, *, name: str = "SAVED_MODEL") -> SusceptibilityModel:
    """A model saved by :meth:`SusceptibilityModel.to_dict` (and its forest); refused naming ``name`` when the
    layout is not one this version reads."""
    if not isinstance(d, dict) or d.get("format") != "insar-geohazards susceptibility model":
        raise GeohazardError(f"{name}: not a susceptibility model written by this plugin")
    if int(d.get("format_version", -1)) != FORMAT_VERSION:
        raise GeohazardError(f"{name}: model layout version {d.get('format_version')} is not {FORMAT_VERSION}, the "
                             "one this version reads: fit the model again")
    if d.get("method") not in METHODS:
        raise GeohazardError(f"{name}: unknown method {d.get('method')!r}")
    factors = [FactorSpec(f["name"], bool(f["categorical"]), tuple(float(c) for c in f["classes"]))
               for f in d["factors"]]
    params = dict(d["params"])
    if "encoding" in params:
        params["encoding"] = dict(params["encoding"])
        params["encoding"]["columns"] = [[float(c) for c in cs] for cs in params["encoding"]["columns"]]
    if d["method"] == "random_forest" and forest is None:
        raise GeohazardError(f"{name}: the random forest's trees are missing from the model file")
    return SusceptibilityModel(d["method"], factors, params, forest, [float(b) for b in d.get("breaks", [])])


# ---------------------------------------------------------------------- fitting
def fit_model(method: str, factors, presence, absence, area, *, n_bins: int = 10, seed: int = 0,
              threads: int = 1, trees: int = 100, min_leaf: int = 5, weigh_classes: bool = False
              ) -> SusceptibilityModel:
    """Fit ``method`` on samples of factor values.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    factors : list of FactorSpec
    presence, absence, area : ndarray (n, n_factors)
        Inventory samples, absence samples (balanced with the inventory: logistic regression, random forest),
        the uniform sample of the area (frequency ratio: its class shares and quantile bins).
    n_bins : int
        Classes of a continuous factor (frequency ratio).
    seed, threads, trees, min_leaf :
        Random forest: seed, fitting threads, trees, smallest leaf (samples).
    weigh_classes : bool
        Logistic regression: weigh the samples so that presences and absences count the same in total (when they
        are not balanced by number: surveyed absences); the random forest always does.
    """
    presence, absence, area = (np.asarray(a, np.float64) for a in (presence, absence, area))
    if method == "frequency_ratio":
        model = _fit_fr(factors, presence, area, n_bins)
        model.params["area_stats"] = area_stats(area)
        return model
    require_sklearn(method)
    if len(presence) == 0 or len(absence) == 0:
        raise GeohazardError(f"INVENTORY: {method.replace('_', ' ')} needs inventory and absence samples, got "
                             f"{len(presence)} and {len(absence)}")
    values = np.concatenate([presence, absence])
    y = np.concatenate([np.ones(len(presence)), np.zeros(len(absence))])
    enc = _encoding(factors, values, drop_reference=method == "logistic_regression")
    model = SusceptibilityModel(method, list(factors), {"encoding": enc, "area_stats": area_stats(area)})
    x, known = model._design(values, standardise=method == "logistic_regression")
    x, y = np.ascontiguousarray(x[known]), y[known]
    if method == "logistic_regression":
        model.params.update(_fit_lr(x, y, weigh_classes=weigh_classes))
    else:
        model.forest = _fit_rf(x, y, seed=seed, threads=threads, trees=trees, min_leaf=min_leaf)
        import sklearn

        model.params.update(trees=int(trees), min_leaf=int(min_leaf), seed=int(seed),
                            tree_samples=min(len(y), RF_TREE_SAMPLES), sklearn_version=sklearn.__version__)
    return model


def require_sklearn(method: str):
    """scikit-learn, or :class:`~algorithms.optional.MissingPackageError` naming the method and the install line."""
    number = METHODS.index(method) if method in METHODS else -1
    return require("sklearn", f"METHOD {number} ({method.replace('_', ' ')}) of the susceptibility tool")


def area_stats(area) -> dict:
    """Mean and standard deviation of each factor over the area sample (NaN ignored): what a saved model keeps to
    recognise its factors when it is applied (:func:`factor_order_problem`)."""
    a = np.asarray(area, np.float64)
    mean, sd = [], []
    for i in range(a.shape[1] if a.ndim == 2 else 0):
        v = a[:, i][np.isfinite(a[:, i])]
        mean.append(float(v.mean()) if v.size else float("nan"))
        sd.append(float(v.std()) if v.size else float("nan"))
    return {"mean": mean, "sd": sd}


def factor_order_problem(model: "SusceptibilityModel", area, names) -> Optional[str]:
    """Why the factors ``names`` (their area sample ``area``, (n, n_factors)) look given in another order than the
    model's, or None. A factor whose mean lies more than 3 of the model's standard deviations from the mean of the
    model's factor at its position, while another position's factor of the same kind fits it within one, is
    named with the one it looks like."""
    stats = model.params.get("area_stats")
    if not stats and "encoding" in model.params:  # a file without the area's statistics: the training samples'
        stats = {"mean": model.params["encoding"]["mean"], "sd": model.params["encoding"]["scale"]}
    if not stats:
        return None
    here = area_stats(area)
    m0, s0 = np.asarray(stats["mean"], np.float64), np.asarray(stats["sd"], np.float64)
    m1 = np.asarray(here["mean"], np.float64)
    cont = [i for i, f in enumerate(model.factors) if not f.categorical]

    def z(i, j):  # the factor given at position i against the model's factor j
        return abs(m1[i] - m0[j]) / s0[j] if s0[j] > 0 else (0.0 if m1[i] == m0[j] else np.inf)

    for i in cont:
        if not z(i, i) > 3.0:
            continue
        best = min((j for j in cont if j != i), key=lambda j: z(i, j), default=None)
        if best is not None and z(i, best) < 1.0:
            want = ", ".join(f.name for f in model.factors)
            return (f"factor {i + 1} ({names[i]}, mean {m1[i]:.4g}) is unlike the model's factor {i + 1} "
                    f"({model.factors[i].name}, mean {m0[i]:.4g} \u00b1 {s0[i]:.3g}) and like its factor {best + 1} "
                    f"({model.factors[best].name}, mean {m0[best]:.4g} \u00b1 {s0[best]:.3g}): give the factors in "
                    f"the model's order ({want})")
    return None


def _encoding(factors, values, *, drop_reference: bool) -> dict:
    """Means and scales of the continuous factors, the class columns of the categorical ones (the most common
    class of the samples is the reference, dropped, when ``drop_reference``)."""
    mean, scale, columns, reference = [], [], [], []
    for i, f in enumerate(factors):
        v = values[:, i]
        v = v[np.isfinite(v)]
        if f.categorical:
            mean.append(0.0)
            scale.append(1.0)
            idx = class_index(v, f)
            counts = np.bincount(idx[idx >= 0], minlength=len(f.classes))
            ref = f.classes[int(np.argmax(counts))] if drop_reference else None
            columns.append([c for c, n in zip(f.classes, counts) if n > 0 and c != ref])
            reference.append(ref)
        else:
            sd = float(np.std(v)) if v.size else 0.0
            mean.append(float(np.mean(v)) if v.size else 0.0)
            scale.append(sd if sd > 0 else 1.0)
            columns.append([])
            reference.append(None)
    return {"mean": mean, "scale": scale, "columns": columns, "reference": reference}


def _fit_fr(factors, presence, area, n_bins: int) -> SusceptibilityModel:
    tables = []
    for i, f in enumerate(factors):
        edges = None if f.categorical else quantile_edges(area[:, i], n_bins)
        n_cls = len(f.classes) if f.categorical else len(edges) + 1
        ip, ia = class_index(presence[:, i], f, edges), class_index(area[:, i], f, edges)
        cp = np.bincount(ip[ip >= 0], minlength=n_cls).astype(np.float64)
        ca = np.bincount(ia[ia >= 0], minlength=n_cls).astype(np.float64)
        sp, sa = cp / max(cp.sum(), 1.0), ca / max(ca.sum(), 1.0)
        fr = np.where(sa > 0, sp / np.where(sa > 0, sa, 1.0), 0.0)
        table = {"fr": fr.tolist(), "presence": cp.tolist(), "area": ca.tolist()}
        if edges is not None:
            table["edges"] = edges.tolist()
        tables.append(table)
    lo = float(sum(min(t["fr"]) for t in tables))
    hi = float(sum(max(t["fr"]) for t in tables))
    return SusceptibilityModel("frequency_ratio", list(factors), {"tables": tables, "lsi_min": lo, "lsi_max": hi,
                                                                   "n_bins": int(n_bins)})


def _balanced_weights(y) -> np.ndarray:
    """Sample weights giving both classes the same total weight (1 each when the classes are the same size)."""
    n1 = float((y == 1).sum())
    n0 = float(y.size - n1)
    return np.where(y == 1, 0.5 * y.size / max(n1, 1.0), 0.5 * y.size / max(n0, 1.0))


def _fit_lr(x, y, *, weigh_classes: bool = False) -> dict:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=LR_C, solver="lbfgs", max_iter=5000, tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = _balanced_weights(y) if weigh_classes else None
        lr.fit(x, y, sample_weight=weights)
    coef, b0 = lr.coef_[0].astype(np.float64), float(lr.intercept_[0])
    se = wald_standard_errors(x, coef, b0, weights=weights)
    return {"coef": coef.tolist(), "intercept": b0, "se": se.tolist(), "weigh_classes": bool(weigh_classes)}


def wald_standard_errors(x, coef, intercept, *, weights=None) -> np.ndarray:
    """Standard errors of (intercept, coefficients): sqrt(diag((X1' W X1)^-1)), X1 = [1, x], W = p (1 - p) at the
    fitted parameters (times the samples' ``weights`` when given); NaN for a parameter the information does not
    determine (a singular matrix)."""
    x1 = np.column_stack([np.ones(len(x)), x])
    eta = intercept + x @ np.asarray(coef, np.float64)
    p = 1.0 / (1.0 + np.exp(-eta))
    w = p * (1.0 - p) * (1.0 if weights is None else np.asarray(weights, np.float64))
    info = x1.T @ (x1 * w[:, None])
    try:
        cov = np.linalg.inv(info)
        if not np.isfinite(cov).all():
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(info)
    d = np.diag(cov)
    return np.where(d > 0, np.sqrt(np.abs(d)), np.nan)


def tree_share(n: int):
    """The share of ``n`` samples each tree's bootstrap draws: at most :data:`RF_TREE_SAMPLES` (None: all)."""
    return RF_TREE_SAMPLES / n if n > RF_TREE_SAMPLES else None


def _fit_rf(x, y, *, seed: int, threads: int, trees: int, min_leaf: int):
    from sklearn.ensemble import RandomForestClassifier

    share = tree_share(len(y))
    rf = RandomForestClassifier(n_estimators=int(trees), min_samples_leaf=int(min_leaf), max_features="sqrt",
                                class_weight="balanced", random_state=int(seed), n_jobs=max(1, int(threads)),
                                max_samples=share)
    _threaded(lambda: rf.fit(x, y), threads)
    rf.set_params(n_jobs=1)
    return rf


def _threaded(fn, threads: int):
    """``fn()`` with joblib's parallel work in threads of this process (never worker processes inside QGIS)."""
    import joblib

    with joblib.parallel_backend("threading", n_jobs=max(1, int(threads))):
        return fn()


def forest_probability(forest, x, *, threads: int = 1) -> np.ndarray:
    """Mean over the trees of the presence frequency of each row's leaf, summed in the trees' order (threads
    compute several trees at once; the sum does not depend on which finishes first)."""
    x32 = np.ascontiguousarray(x, dtype=np.float32)
    col = list(forest.classes_).index(1.0)
    acc = np.zeros(x32.shape[0])
    trees = forest.estimators_
    step = max(1, int(threads))

    def one(tree):
        return tree.predict_proba(x32, check_input=False)[:, col]

    if step == 1:
        for tree in trees:
            acc = acc + one(tree)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=step) as pool:
            for k in range(0, len(trees), step):
                for p in pool.map(one, trees[k:k + step]):
                    acc = acc + p
    return acc / len(trees)


def bytes_per_pixel(n_factors: int, method: str, n_columns: int, threads: int = 1) -> float:
    """Memory of one pixel of a prediction block: the factors read (float64), their copy, the design matrix
    (float64, and float32 for a forest), each running tree's output and the sum, the outputs."""
    b = 24.0 * n_factors + 8.0 * n_columns + 48.0
    if method == "random_forest":
        b += 4.0 * n_columns + 24.0 * max(1, int(threads))
    return b


def describe(model: SusceptibilityModel) -> Optional[str]:
    """One line on what the model is, for the log."""
    names = ", ".join(f.name + (" (classes)" if f.categorical else "") for f in model.factors)
    return f"{model.method.replace('_', ' ')} on {len(model.factors)} factor(s): {names}"


def predict_block(block, inputs, *, model: SusceptibilityModel, threads: int = 1) -> dict:
    """The block function of the prediction pass: ``probability`` (float32, NaN where a factor has no value or a
    class code is unknown) and ``classes`` (uint8 1..5, 0 = no value) of the factors ``f0`` ... ``f{n-1}``; with
    an ``inventory`` input (the sampling codes), no value outside the study area."""
    n = len(model.factors)
    stack = [np.asarray(inputs[f"f{i}"], np.float64) for i in range(n)]
    shape = stack[0].shape
    valid = np.ones(shape, bool)
    for a in stack:
        valid &= np.isfinite(a)
    if "inventory" in inputs:  # the study area: nothing mapped outside it

        valid &= np.asarray(inputs["inventory"]) != OUTSIDE
    prob = np.full(shape, np.nan)
    if valid.any():
        values = np.column_stack([a[valid] for a in stack])
        prob[valid] = model.predict(values, threads=threads)
    return {"probability": prob.astype(np.float32), "classes": model.classify(prob)}
