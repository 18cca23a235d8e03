"""Spatial cross-validation of a susceptibility, repeated, and its curves.

Random folds put a test pixel next to training pixels of the same slope and the same landslide: on
autocorrelated maps they measure memory, not prediction, and overstate the AUC (Roberts et al. 2017,
doi:10.1111/ecog.02881; Brenning 2012, doi:10.1109/IGARSS.2012.6352393). But that happens only where neighbouring
events share something the factors do not carry; where the factors explain the events' clustering, spatial folds
make each model extrapolate to a region whose factor values it saw little of and understate the map's skill in
the area (Wadoux et al. 2021, doi:10.1016/j.ecolmodel.2021.109692). By default a Monte Carlo test
(:mod:`.clustering`) asks which holds: events clustered beyond the intensity the factors explain are split into
``folds`` spatial folds (:mod:`.partition`), k-means clusters of the sample coordinates as sperrorest and mlr3's
spatial resampling do; otherwise the events and absences are dealt to the folds at random. With a block size,
square blocks are dealt whole to the folds. An event (a polygon) is one unit and never cut between training and
test. Each fold's model is fitted on the other folds and predicts its own.

A test fold's events resemble the training events just across its edge while the factors are still correlated
there; training samples within ``buffer_m`` of the test fold's samples are therefore left out of its model (an
event with one sample that near, whole), as sperrorest's and blockCV's buffers do (Valavi et al. 2019,
doi:10.1111/2041-210X.13107). By default ``buffer_m`` is the median of the continuous factors' correlation ranges
(:mod:`.autocorrelation`), at most half a fold's size, with spatial folds, and 0 with random ones (nothing near a
test event is left to remember).

The partition is drawn ``repeats`` times, each with its own seed, and a partition equal to an earlier one is drawn
again: the repeats are distinct partitions (their number is reported). A fold's model scores its held-out
inventory samples against the held-out negatives: the surveyed absences when there are some, else the area
samples of the fold that are not inventory pixels (absences drawn beyond a buffer around the events leave out the
places most like them and overstate the AUC). The **AUC** of a repeat pools every fold's held-out inventory and
negatives, each value expressed as the share of the study area (the area sample) that its fold's model ranks lower,
so that five models' scales do not mix: the area under the prediction-rate curve of held-out events, which is what
an independent inventory of the same area measures. The reported AUC is the mean over the repeats, ``auc_sd`` their
standard deviation. Beside it: the pooled AUC of the raw values (scales mixed), and the mean of the folds' own
AUCs (what sperrorest and mlr3 report; lower where a fold spans a narrow range of the factors). The ROC curve and
the prediction-rate curve are those of the first repeat's out-of-fold predictions, the success-rate curve that of
the final model fitted on every sample. Permutation importance (mean AUC lost when a factor's values are shuffled)
is measured on the first repeat's held-out folds.

Everything here runs with numpy alone; scikit-learn only fits the logistic regression and the random forest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ...errors import GeohazardError
from ...progress import check_canceled, info, warn
from . import autocorrelation, clustering, models, partition
from .sampling import Samples

#: area percentiles of the class limits: very low = the least susceptible half of the area ... very high = top 5 %
CLASS_PERCENTILES = (50.0, 75.0, 90.0, 95.0)
CLASS_NAMES = ("very low", "low", "moderate", "high", "very high")
#: area samples that give a fold model's ranking of the study area (the first ones: a uniform random subset)
REFERENCE_SAMPLES = 2000
#: draws of a repeat's partition before a repeat equal to an earlier one is given up
PARTITION_DRAWS = 20
#: the automatic buffer is at most this share of the folds' size
BUFFER_SHARE_OF_FOLD = 0.5
#: the automatic buffer is halved (at most BUFFER_HALVINGS times, then 0) until each fold's model keeps this share
#: of the other folds' units
MIN_TRAINING_SHARE = 0.5
BUFFER_HALVINGS = 4


@dataclass
class SusceptibilityResult:
    """A fitted susceptibility and its validation (everything the report shows)."""

    model: models.SusceptibilityModel
    #: mean over repeats of the mean of the folds' AUCs
    auc: float
    #: per repeat, the AUC of each fold (NaN: a fold without events or absences)
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
    #: out-of-fold predictions of the balanced samples (first repeat): {"presence": ..., "absence": ..., "area": ...}
    oof: dict = field(default_factory=dict)
    #: standard deviation over repeats of the repeats' mean fold AUC (0 with one repeat)
    auc_sd: float = float("nan")
    #: mean over repeats of the AUC of the pooled out-of-fold predictions
    auc_pooled: float = float("nan")
    repeats: int = 0
    #: per repeat, per fold: (events, event samples, absences) in the test fold
    fold_counts: list = field(default_factory=list)
    #: folds holding fewer than partition.MIN_FOLD_SAMPLES events or absences, over all repeats
    flagged: int = 0
    #: the first repeat's fold of each sample: {"presence": ..., "absence": ..., "area": ...}
    fold: dict = field(default_factory=dict)
    #: mean over repeats of the mean of the folds' own AUCs (sperrorest's figure)
    auc_folds: float = float("nan")
    #: distinct partitions among the repeats asked (a repeat whose partition stayed equal to an earlier one is dropped)
    distinct: int = 0
    #: test-fold buffer (m), how it was chosen, and the share of training units it left out (mean over folds)
    buffer_m: float = 0.0
    buffer_note: str = ""
    buffer_left_out: float = 0.0
    #: correlation range (m) of each continuous factor and whether its semivariogram reached the sill
    ranges: dict = field(default_factory=dict)
    #: what the held-out inventory is scored against: "surveyed absences" or "area"
    negatives: str = "area"
    #: the test of the events' clustering beyond the factors that chose the automatic folds (None: BLOCK_SIZE_M given)
    clustering: Optional[clustering.ClusteringTest] = None


def _balanced(s: Samples, balance: bool = True) -> tuple:
    """``(presences, absences, samples)``: the first ``min`` of each kind in key order (a uniform random subset),
    or, ``balance`` False, every sample (surveyed absences: the survey is the sample)."""
    if not balance:
        n_p, n_a = len(s.index["presence"]), len(s.index["absence"])
    else:
        n_p = n_a = min(len(s.index["presence"]), len(s.index["absence"]))
    return n_p, n_a, {"presence": s.values["presence"][:n_p], "absence": s.values["absence"][:n_a],
                      "area": s.values["area"]}


def sample_xy(s: Samples, kind: str, geotransform) -> np.ndarray:
    """Map coordinates (m) of the centres of the ``kind`` samples' pixels."""
    r, c = s.rows_cols(kind)
    r, c = r.astype(np.float64) + 0.5, c.astype(np.float64) + 0.5
    gt = geotransform
    return np.column_stack([gt[0] + c * gt[1] + r * gt[2], gt[3] + c * gt[4] + r * gt[5]])


class _Partition:
    """The units (events, absences) of the balanced samples and how a repeat splits them into folds."""

    def __init__(self, s: Samples, n: int, n_a, geotransform, block_size_m: float, folds: int):
        """``n``: the presences used (the first ``n``); ``n_a``: the absences used, their number (the first) or
        their positions."""
        self.folds, self.block_size_m = folds, float(block_size_m or 0.0)
        #: folds drawn at random rather than as k-means clusters (the events cluster no more than the factors explain)
        self.random = False
        sel_a = np.arange(n_a) if np.ndim(n_a) == 0 else np.asarray(n_a)
        n_a = sel_a.size
        xy_p, xy_a = sample_xy(s, "presence", geotransform)[:n], sample_xy(s, "absence", geotransform)[sel_a]
        self.unit_p, self.unit_a, self.n_events = partition.units(s.events[:n], n_a)
        self.n_units = self.n_events + n_a
        self.centres = partition.unit_centres(np.concatenate([xy_p, xy_a]),
                                              np.concatenate([self.unit_p, self.unit_a]), self.n_units)
        self.is_event = np.arange(self.n_units) < self.n_events
        self.xy = {"presence": xy_p, "absence": xy_a, "area": sample_xy(s, "area", geotransform)}
        if self.n_events < folds:
            raise GeohazardError(
                f"INVENTORY: its samples belong to {self.n_events} event(s) (a polygon is one event, never cut between "
                f"training and test); {folds}-fold spatial validation needs at least {folds}: give more events (or "
                "lower FOLDS)")
        if self.block_size_m > 0:
            blocks = partition.block_ids(self.centres[self.is_event], self.block_size_m)
            n_b = len(np.unique(blocks))
            if n_b < folds:
                raise GeohazardError(
                    f"BLOCK_SIZE_M: the inventory lies in {n_b} block(s) of {self.block_size_m:g} m; {folds}-fold "
                    f"blocked validation needs it in at least {folds}: lower BLOCK_SIZE_M (or FOLDS), or 0 for "
                    "k-means folds")
            self.n_blocks = len(np.unique(partition.block_ids(self.centres, self.block_size_m)))
        else:
            self.n_blocks = folds
        from scipy.spatial import cKDTree

        ev = self.centres[self.is_event]
        #: median distance from an event to its nearest neighbour (m)
        self.spacing_m = float(np.median(cKDTree(ev).query(ev, k=2)[0][:, 1])) if len(ev) > 1 else 0.0

        self._nearest = cKDTree(self.centres).query(self.xy["area"])[1] if len(self.xy["area"]) else \
            np.zeros(0, np.int64)

    def split(self, rng) -> dict:
        """Fold of each balanced sample (and of each area sample: the fold of its nearest unit)."""
        if self.block_size_m > 0:
            fold_u = partition.block_folds(self.centres, self.is_event, self.block_size_m, self.folds, rng)
        elif self.random:
            fold_u = partition.random_folds(self.is_event, self.folds, rng)
        else:
            fold_u = partition.kmeans_folds(self.centres, self.folds, rng)[0]
        return {"presence": fold_u[self.unit_p], "absence": fold_u[self.unit_a], "area": fold_u[self._nearest],
                "units": fold_u}

    def training(self, fold: dict, k: int, buffer_m: float) -> tuple:
        """Which samples of each kind train fold ``k``'s model: those of the other folds, less (``buffer_m`` > 0)
        those within ``buffer_m`` of any of fold ``k``'s samples (an event with one sample that near is left out
        whole). Returns ``({kind: bool mask}, share of the other folds' units left out)``."""
        keep = {kind: fold[kind] != k for kind in self.xy}
        if not buffer_m > 0:
            return keep, 0.0
        from scipy.spatial import cKDTree

        tree = cKDTree(np.concatenate([self.xy[kind][~keep[kind]] for kind in self.xy]))
        near = {}
        for kind in self.xy:
            near[kind] = np.zeros(len(self.xy[kind]), bool)
            if keep[kind].any():
                d = tree.query(self.xy[kind][keep[kind]], distance_upper_bound=float(buffer_m))[0]
                near[kind][np.flatnonzero(keep[kind])[d < buffer_m]] = True
        near["presence"] = np.isin(self.unit_p, np.unique(self.unit_p[near["presence"]])) & keep["presence"]
        units = fold["units"] != k
        cut = np.zeros(self.n_units, bool)
        cut[self.unit_p[near["presence"]]] = True
        cut[self.unit_a[near["absence"]]] = True
        return {kind: keep[kind] & ~near[kind] for kind in self.xy}, float(cut.sum()) / max(int(units.sum()), 1)

    def size_m(self, fold: dict) -> float:
        """Side of a square of the mean area of the folds' convex hulls (m)."""
        sizes = [partition.hull_size_m(self.centres[fold["units"] == k]) for k in range(self.folds)]
        return float(np.mean(sizes))


def _importance(model, x, y, rng, permutations: int) -> np.ndarray:
    """AUC lost when each factor's values are permuted among the held-out samples ``x`` (n_factors,
    permutations)."""
    base = partition.auc(y, model.predict(x))
    out = np.full((x.shape[1], permutations), np.nan)
    for j in range(x.shape[1]):
        for r in range(permutations):
            xp = x.copy()
            xp[:, j] = x[rng.permutation(x.shape[0]), j]
            out[j, r] = base - partition.auc(y, model.predict(xp))
    return out


def _auc(y, p) -> float:
    return partition.auc(y, p)


def _curve(pos, neg) -> tuple:
    """ROC-type curve ``(x, y, area)`` of scores ``pos`` against ``neg``."""
    return partition.roc_curve(pos, neg)


def _area_share(reference, values) -> np.ndarray:
    """Share of the sorted ``reference`` values below each of ``values`` (ties count half)."""
    lo = np.searchsorted(reference, values, side="left")
    hi = np.searchsorted(reference, values, side="right")
    return 0.5 * (lo + hi) / max(reference.size, 1)


def _buffer(buffer_m, ranges: dict, fold_size_m: float, random: bool = False) -> tuple:
    """``(buffer_m, note)``: the buffer typed (>= 0), or, ``buffer_m`` None or < 0, 0 for ``random`` folds (the
    events cluster no more than the factors explain: nothing near a test event is left to remember) and else the
    median of the factors' correlation ranges at most :data:`BUFFER_SHARE_OF_FOLD` of the folds' size."""
    listed = ", ".join(f"{k} {r:.0f} m" + ("" if ok else " (not reached: a trend)") for k, (r, ok) in ranges.items())
    if buffer_m is not None and buffer_m >= 0:
        return float(buffer_m), f"{float(buffer_m):g} m (BUFFER_M); the factors' correlation ranges: {listed or 'none'}"
    if random:
        return 0.0, ("0 m (automatic: the events cluster no more than the factors explain, so nothing near a test "
                     f"event is left for a model to remember; the factors' correlation ranges: {listed or 'none'})")
    median = autocorrelation.default_buffer_m(ranges)
    cap = BUFFER_SHARE_OF_FOLD * fold_size_m
    used = min(median, cap) if cap > 0 else median
    note = (f"{used:.0f} m (automatic: the median of the continuous factors' correlation ranges, {listed}; the lag "
            f"where a factor's semivariogram reaches {100 * autocorrelation.SILL_SHARE:.0f} % of its variance")
    if used < median:
        note += f"; {median:.0f} m capped at half the folds' size"
    return used, note + ")"


def _fit_buffer(part, fold, folds: int, buf: float, note: str) -> tuple:
    """The automatic buffer halved until, on the first partition, every fold's model keeps inventory and absence
    samples and at least :data:`MIN_TRAINING_SHARE` of the other folds' units (0 after
    :data:`BUFFER_HALVINGS` halvings)."""
    start = buf
    for _ in range(BUFFER_HALVINGS + 1):
        fine = True
        for k in range(folds):
            keep, cut = part.training(fold, k, buf)
            if cut > 1.0 - MIN_TRAINING_SHARE or not keep["presence"].any() or not keep["absence"].any():
                fine = False
                break
        if fine:
            break
        buf = 0.5 * buf
    else:
        buf = 0.0
    if buf < start:
        note = (f"{buf:.0f} m " + note.split(" ", 2)[2] + f"; halved from {start:.0f} m so that each fold's model "
                f"keeps at least {100 * MIN_TRAINING_SHARE:.0f} % of the other folds' samples")
    return buf, note


def susceptibility(s: Samples, factors, method: str, *, geotransform, block_size_m: float = 0.0,
                   buffer_m: Optional[float] = None, folds: int = 5, repeats: int = 10, seed: int = 0,
                   threads: int = 1, n_bins: int = 10, trees: int = 100, min_leaf: int = 5, permutations: int = 5,
                   balance: bool = True, class_percentiles=CLASS_PERCENTILES, progress=None) -> SusceptibilityResult:
    """Fit ``method`` on the samples, validate it by repeated spatial cross-validation, fit it on every sample.

    Parameters
    ----------
    s : Samples
        The scan's samples (:class:`.sampling.ScanCollector`); presences and absences are balanced here (the first
        ``n`` of each in key order: a uniform random subset) unless ``balance`` is False.
    factors : list of FactorSpec
    method : str
        One of :data:`.models.METHODS`.
    geotransform : tuple
        The grid's GDAL geotransform (map units: metres).
    block_size_m : float
        0: folds are k-means clusters of the sample coordinates where the events cluster beyond the factors
        (:mod:`.clustering`), else units dealt at random; > 0: the side of square blocks (m) dealt whole to the
        folds (too few blocks holding events is refused).
    buffer_m : float or None
        Training samples within this distance (m) of a test fold's samples are left out of its model; None (or
        < 0): 0 with random folds, else the median of the continuous factors' correlation ranges, at most half
        the folds' size; 0: none.
    folds, repeats : int
        Folds of a partition; distinct partitions (each its own seed; one equal to an earlier one is drawn again).
    seed, threads, n_bins, trees, min_leaf, permutations :
        Seed (partitions, forest, permutations), threads (forest), classes of a continuous factor (frequency
        ratio), trees and smallest leaf (forest), permutations per factor for the importance (0: none).
    balance : bool
        Subsample the larger of presences and absences to the size of the smaller (absences drawn at random:
        each repeat after the first draws its own subset of the absence samples, so that the spread over repeats
        holds that of the absence draw too); False for surveyed absences, all kept, the methods weighing both
        classes equally, and then the held-out inventory is scored against them (else against the area).
    class_percentiles : sequence of 4 floats
        Area percentiles of the limits of the classes very low .. very high.
    progress : optional progress (``set_progress``, ``is_canceled``, ``push_info``)
    """
    repeats = max(1, int(repeats))
    n, n_a, sv0 = _balanced(s, balance)
    n_candidates = len(s.index["absence"])
    kw = dict(n_bins=n_bins, seed=seed, threads=threads, trees=trees, min_leaf=min_leaf, weigh_classes=not balance)
    names = [f.name for f in factors]
    surveyed = not balance
    # the area samples that may stand for the held-out negatives: not an inventory pixel
    off_inventory = ~np.isin(s.index["area"], s.index["presence"])
    area_xy = sample_xy(s, "area", geotransform)
    ranges = autocorrelation.factor_ranges(area_xy, s.values["area"], factors,
                                           pixel_m=float(np.hypot(geotransform[1], geotransform[4])))
    reference = s.values["area"][:REFERENCE_SAMPLES]
    fold_auc, fold_counts, scores, pooled, means, sizes, importances, left_out = [], [], [], [], [], [], [], []
    first_oof, first_fold, buf, buf_note, seen, events_test = None, None, None, "", set(), None
    for rep in range(repeats):
        sel_a = np.arange(n_a)
        if rep > 0 and balance and n_candidates > n_a:
            sel_a = np.sort(np.random.default_rng([int(seed), rep, 7]).choice(n_candidates, n_a, replace=False))
        sv = dict(sv0, absence=s.values["absence"][sel_a])
        if rep == 0 or sel_a.size != n_a or not np.array_equal(sel_a, np.arange(n_a)):
            part = _Partition(s, n, sel_a, geotransform, block_size_m, folds)
            if events_test is None and not part.block_size_m > 0:
                events_test = _clustering(s, part, sv0, factors, surveyed, seed, geotransform)
            part.random = events_test is not None and not events_test.clustered
        fold = None
        for draw in range(PARTITION_DRAWS):
            rng = np.random.default_rng([int(seed), rep] + ([draw] if draw else []))
            candidate = part.split(rng)
            key = sel_a.tobytes() + partition.canonical(candidate["units"])
            if key not in seen:
                seen.add(key)
                fold = candidate
                break
        if fold is None:  # the units allow no other partition
            continue
        sizes.append(part.size_m(fold))
        if buf is None:
            buf, buf_note = _buffer(buffer_m, ranges, sizes[0], part.random)
            if (buffer_m is None or buffer_m < 0) and not part.random:
                buf, buf_note = _fit_buffer(part, fold, folds, buf, buf_note)
        oof = {k: np.full(len(sv[k]), np.nan) for k in sv}
        aucs, counts, q_pos, q_neg, raw_pos, raw_neg = [], [], [], [], [], []
        for k in range(folds):
            check_canceled(progress)
            keep, cut = part.training(fold, k, buf)
            left_out.append(cut)
            train = {kind: sv[kind][keep[kind]] for kind in sv}
            tp, ta = fold["presence"] == k, fold["absence"] == k
            tn = ta if surveyed else (fold["area"] == k) & off_inventory
            counts.append((int(np.count_nonzero(fold["units"][:part.n_events] == k)), int(tp.sum()), int(tn.sum())))
            if len(train["presence"]) == 0 or len(train["absence"]) == 0:
                if buf > 0:
                    raise GeohazardError(
                        f"BUFFER_M: a buffer of {buf:g} m around fold {k + 1} leaves no inventory or no absence sample "
                        "to learn from: give a smaller BUFFER_M (or fewer FOLDS)")
                raise GeohazardError(f"BLOCK_SIZE_M: fold {k + 1} leaves no inventory or no absence sample to "
                                     "learn from: lower BLOCK_SIZE_M (or 0 for k-means folds)")
            m = models.fit_model(method, factors, train["presence"], train["absence"], train["area"], **kw)
            for kind in sv:
                test = fold[kind] == k
                if test.any():
                    oof[kind][test] = m.predict(sv[kind][test], threads=threads)
            neg = oof["absence"][tn] if surveyed else oof["area"][tn]
            aucs.append(_auc(np.r_[np.ones(int(tp.sum())), np.zeros(neg.size)], np.r_[oof["presence"][tp], neg]))
            ref = m.predict(reference, threads=threads)
            ref = np.sort(ref[np.isfinite(ref)])
            q_pos.append(_area_share(ref, oof["presence"][tp]))
            q_neg.append(_area_share(ref, neg))
            raw_pos.append(oof["presence"][tp])
            raw_neg.append(neg)
            if rep == 0 and permutations > 0 and tp.any() and ta.any():
                x = np.concatenate([sv["presence"][tp], sv["absence"][ta]])
                y = np.concatenate([np.ones(int(tp.sum())), np.zeros(int(ta.sum()))])
                importances.append(_importance(m, x, y, np.random.default_rng([int(seed), 1_000_003, k]),
                                               int(permutations)))
            if progress is not None:
                progress.set_progress(100.0 * (rep * folds + k + 1) / (repeats * folds + 1))
        qp, qn = np.concatenate(q_pos), np.concatenate(q_neg)
        if not (np.isfinite(qp).any() and np.isfinite(qn).any()) or not np.isfinite(aucs).any():
            raise GeohazardError("BLOCK_SIZE_M: no fold holds both inventory and absence samples to score: lower "
                                 "BLOCK_SIZE_M (or 0 for k-means folds)")
        fold_auc.append(aucs)
        fold_counts.append(counts)
        means.append(float(np.nanmean(aucs)))
        scores.append(_auc(np.r_[np.ones(qp.size), np.zeros(qn.size)], np.r_[qp, qn]))
        rp, rn = np.concatenate(raw_pos), np.concatenate(raw_neg)
        pooled.append(_auc(np.r_[np.ones(rp.size), np.zeros(rn.size)], np.r_[rp, rn]))
        if first_oof is None:
            first_oof, first_fold = oof, {k: fold[k] for k in sv}
    distinct = len(fold_auc)
    flagged = sum(1 for rep in fold_counts for e, _, a in rep
                  if e < partition.MIN_FOLD_SAMPLES or a < partition.MIN_FOLD_SAMPLES)
    size = float(part.block_size_m) if part.block_size_m > 0 else 0.0 if part.random else float(np.mean(sizes))
    if part.block_size_m > 0:
        note = (f"square blocks of {size:g} m (BLOCK_SIZE_M) dealt whole to {folds} folds, {part.n_blocks} blocks "
                f"hold samples; the events' median spacing is {part.spacing_m:.0f} m")
        if size < part.spacing_m:
            warn(progress, f"BLOCK_SIZE_M: blocks of {size:g} m are smaller than the events' median spacing "
                           f"({part.spacing_m:.0f} m): neighbouring events fall in different folds and the AUC is "
                           "close to that of random folds; give a larger size, or 0 for k-means folds")
    elif part.random:
        note = (f"the {part.n_units} sample units ({part.n_events} events, {n_a} absences) dealt to {folds} folds at "
                f"random, since {events_test.describe()}: random folds then measure how well the map ranks the places "
                "of this area's next events, where spatial folds would make each model extrapolate")
    else:
        why = f", since {events_test.describe()}" if events_test is not None else ""
        note = (f"k-means clusters of the {part.n_units} sample units' coordinates ({part.n_events} events, "
                f"{n_a} absences; as sperrorest and mlr3), {folds} folds of about {size:.0f} m across (the side of a "
                f"square of a fold's mean hull area){why}")
    cut_share = float(np.mean(left_out)) if left_out else 0.0
    info(progress, f"Validation: {distinct} distinct partition(s) of {repeats} repeat(s) asked: {note}")
    info(progress, f"Validation buffer (BUFFER_M): {buf_note}; it left {100 * cut_share:.0f} % of the other folds' "
                   "samples out of a fold's training on average")
    if distinct < repeats:
        warn(progress, f"REPEATS: only {distinct} of {repeats} partitions differ (the samples allow no other after "
                       f"{PARTITION_DRAWS} draws each); AUC and AUC_SD are over those {distinct}")
    if flagged:
        warn(progress, f"Validation: {flagged} of {distinct * folds} folds hold fewer than "
                       f"{partition.MIN_FOLD_SAMPLES} events or negatives; their AUCs are uncertain (the report "
                       "lists each fold's counts)")
    sv = sv0
    final = models.fit_model(method, factors, sv["presence"], sv["absence"], sv["area"], **kw)
    fitted = {kind: final.predict(sv[kind], threads=threads) for kind in ("presence", "area")}
    area_p = fitted["area"][np.isfinite(fitted["area"])]
    final.breaks = [float(b) for b in np.percentile(area_p, list(class_percentiles))] if area_p.size else []
    imp = None
    if importances:
        stacked = np.concatenate(importances, axis=1)
        imp = {"names": names, "mean": np.nanmean(stacked, axis=1).tolist(), "std": np.nanstd(stacked, axis=1).tolist()}
    sd = float(np.std(scores, ddof=1)) if distinct > 1 else 0.0
    return SusceptibilityResult(
        final, float(np.mean(scores)), fold_auc, size, note, folds, part.n_blocks,
        {"presence": n, "absence": n_a, "area": len(sv["area"]), "presence_pixels": s.presence_pixels,
         "presence_valid": s.presence_valid, "valid_pixels": s.valid_pixels, "events": part.n_events},
        _curve(first_oof["presence"], first_oof["absence"]), _curve(fitted["presence"], fitted["area"]),
        _curve(first_oof["presence"], first_oof["area"]), imp,
        class_table(final, fitted["presence"], fitted["area"]), first_oof, sd, float(np.mean(pooled)), repeats,
        fold_counts, flagged, first_fold, float(np.mean(means)), distinct, float(buf), buf_note, cut_share, ranges,
        "surveyed absences" if surveyed else "area", events_test)


def _clustering(s: Samples, part: _Partition, sv: dict, factors, surveyed: bool, seed: int,
                geotransform) -> clustering.ClusteringTest:
    """:func:`.clustering.clustering_test` of the events of ``part`` against the intensity that the factors explain
    (the logistic fit of :mod:`.clustering` on the balanced samples ``sv``; surveyed absences weighed to count as
    much as the inventory)."""
    area = np.asarray(s.values["area"], np.float64)
    mean, sd = np.nanmean(area, axis=0), np.nanstd(area, axis=0)
    cats = []
    for i, f in enumerate(factors):
        if f.categorical:
            idx = models.class_index(area[:, i], f)
            counts = np.bincount(idx[idx >= 0], minlength=len(f.classes))
            common = int(np.argmax(counts)) if counts.size else -1
            cats.append((i, [c for j, (c, k) in enumerate(zip(f.classes, counts)) if k > 0 and j != common]))
    x = np.concatenate([sv["presence"], sv["absence"]])
    y = np.r_[np.ones(len(sv["presence"])), np.zeros(len(sv["absence"]))]
    n1 = float(len(sv["presence"]))
    weights = np.where(y == 1, 0.5 * y.size / max(n1, 1.0), 0.5 * y.size / max(y.size - n1, 1.0)) if surveyed else None
    beta = clustering.fit_logistic(clustering.intensity_design(x, cats, mean, sd), y, weights)
    eta = beta[0] + clustering.intensity_design(area, cats, mean, sd) @ beta[1:]
    return clustering.clustering_test(part.centres[part.is_event], part.xy["area"], eta,
                                      pixel_m=float(np.hypot(geotransform[1], geotransform[4])), seed=seed)


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
    n, n_a, sv = _balanced(s)
    p = {kind: model.predict(sv[kind], threads=threads) for kind in sv}
    y = np.concatenate([np.ones(n), np.zeros(n_a)])
    auc = _auc(y, np.concatenate([p["presence"], p["absence"]]))
    curve = _curve(p["presence"], p["area"])
    return SusceptibilityResult(
        model, auc, [], 0.0, "none: the model was fitted elsewhere; this area is an independent test", 0, 0,
        {"presence": n, "absence": n, "area": len(sv["area"]), "presence_pixels": s.presence_pixels,
         "presence_valid": s.presence_valid, "valid_pixels": s.valid_pixels},
        _curve(p["presence"], p["absence"]), curve, curve, None, class_table(model, p["presence"], p["area"]), p,
        0.0, auc, 0)
