"""Spatial partitions of the samples into folds, and the ROC area, with numpy alone.

* **k-means partition** (the default where the events cluster beyond the factors): the sample coordinates are
  clustered into ``folds`` groups by k-means, as sperrorest's ``partition_kmeans`` and mlr3spatiotempcv's
  ``spcv_coords`` do (Brenning 2012,
  doi:10.1109/IGARSS.2012.6352393; Schratz et al. 2019, doi:10.1016/j.ecolmodel.2019.06.002). Each cluster is a
  fold: the models are tested on a compact region none of their training samples lies in. An event (a mapped
  polygon) is one unit at the mean of its samples' coordinates, so it is never cut between training and test.
  Lloyd's iterations from a k-means++ start (Arthur and Vassilvitskii 2007) on a random half of the units, drawn
  with the repeat's own seed, so that repeated partitions differ (:func:`kmeans_folds`).
* **Random folds** (:func:`random_folds`): the events and the absences dealt to the folds at random, chosen
  where the factors explain the events' clustering (:mod:`.clustering`).
* **Square blocks** (BLOCK_SIZE_M): the grid cut into squares anchored at its origin; whole blocks are dealt to
  the folds in a random order, each to the fold holding the fewest events so far.

The AUC is the Mann-Whitney statistic with mid-ranks for ties (the area under the empirical ROC curve, what
scikit-learn's ``roc_auc_score`` computes); :func:`roc_curve` gives the curve's corners (tied scores one step).
"""

from __future__ import annotations

import numpy as np

from ...errors import GeohazardError

#: a fold holding fewer events or absences than this is flagged in the report and the log
MIN_FOLD_SAMPLES = 10
#: share of the units whose k-means sets a repeat's fold centres (:func:`kmeans_folds`)
KMEANS_SHARE = 0.5


def auc(y, score) -> float:
    """Area under the ROC curve of ``score`` for the labels ``y`` (1 = event, 0 = absence), NaN scores left out;
    NaN when one class is missing. Mann-Whitney U / (n1 n0) with mid-ranks."""
    y, s = np.asarray(y), np.asarray(score, np.float64)
    ok = np.isfinite(s)
    y, s = y[ok], s[ok]
    n1 = int((y == 1).sum())
    n0 = int(y.size - n1)
    if n1 == 0 or n0 == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ss = s[order]
    ranks = np.empty(s.size)
    starts = np.flatnonzero(np.r_[True, ss[1:] != ss[:-1]])
    ends = np.r_[starts[1:], ss.size]
    mid = 0.5 * (starts + ends - 1) + 1.0
    ranks[order] = np.repeat(mid, ends - starts)
    u = float(ranks[y == 1].sum()) - n1 * (n1 + 1) / 2.0
    return u / (n1 * n0)


def roc_curve(pos, neg) -> tuple:
    """``(x, y, area)``: the share of ``neg`` (x) and of ``pos`` (y) scoring at least each threshold, thresholds
    from the highest score down (tied scores in one step), and the trapezoid area (= :func:`auc`)."""
    pos = np.asarray(pos, np.float64)
    neg = np.asarray(neg, np.float64)
    pos, neg = pos[np.isfinite(pos)], neg[np.isfinite(neg)]
    if pos.size == 0 or neg.size == 0:
        return np.array([0.0, 1.0]), np.array([0.0, 1.0]), float("nan")
    s = np.concatenate([pos, neg])
    y = np.concatenate([np.ones(pos.size), np.zeros(neg.size)])
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(s[1:] != s[:-1]), s.size - 1]
    tp = np.cumsum(y)[last]
    fp = (last + 1) - tp
    x = np.r_[0.0, fp / neg.size]
    t = np.r_[0.0, tp / pos.size]
    return x, t, float(np.sum(np.diff(x) * (t[1:] + t[:-1]) / 2.0))


def kmeans(xy, k: int, rng, *, iterations: int = 300) -> tuple:
    """``(labels, centres)`` of k-means of the points ``xy`` (n, 2): a k-means++ start drawn with ``rng`` (a numpy
    Generator), Lloyd's iterations until no label changes; an emptied cluster restarts at the point farthest from
    its centre."""
    xy = np.asarray(xy, np.float64)
    n = xy.shape[0]
    if n < k:
        raise GeohazardError(f"{n} sample unit(s) cannot be split into {k} clusters")
    centres = np.empty((k, 2))
    centres[0] = xy[rng.integers(n)]
    d2 = np.sum((xy - centres[0]) ** 2, axis=1)
    for j in range(1, k):
        total = d2.sum()
        pick = rng.choice(n, p=d2 / total) if total > 0 else rng.integers(n)
        centres[j] = xy[pick]
        d2 = np.minimum(d2, np.sum((xy - centres[j]) ** 2, axis=1))
    labels = np.full(n, -1, np.int64)
    for _ in range(iterations):
        dist = np.stack([np.sum((xy - c) ** 2, axis=1) for c in centres])
        new = np.argmin(dist, axis=0)
        if np.array_equal(new, labels):
            break
        labels = new
        for j in range(k):
            members = labels == j
            if members.any():
                centres[j] = xy[members].mean(axis=0)
            else:
                far = int(np.argmax(dist[labels, np.arange(n)]))
                centres[j] = xy[far]
                labels[far] = j
    return labels, centres


def block_ids(xy, block_size_m: float) -> np.ndarray:
    """Block of each point (int64 id): squares of ``block_size_m`` anchored at x = 0, y = 0 of the map."""
    xy = np.asarray(xy, np.float64)
    bx = np.floor(xy[:, 0] / block_size_m).astype(np.int64)
    by = np.floor(xy[:, 1] / block_size_m).astype(np.int64)
    return bx * 2_000_003 + by


def units(event_ids, n_absence: int) -> tuple:
    """Units of the partition: each event (the presences sharing an event id; id < 0 = a unit of its own) and
    each absence. Returns ``(unit of each presence, unit of each absence, number of event units)``."""
    ev = np.asarray(event_ids, np.int64)
    key = np.where(ev >= 0, ev, -1 - np.arange(ev.size))
    uniq, unit_p = np.unique(key, return_inverse=True)
    n_events = uniq.size
    unit_a = n_events + np.arange(int(n_absence))
    return unit_p.astype(np.int64), unit_a.astype(np.int64), n_events


def unit_centres(xy, unit, n_units: int) -> np.ndarray:
    """Mean coordinates of each unit's points."""
    xy = np.asarray(xy, np.float64)
    cnt = np.bincount(unit, minlength=n_units).astype(np.float64)
    cx = np.bincount(unit, weights=xy[:, 0], minlength=n_units) / np.maximum(cnt, 1)
    cy = np.bincount(unit, weights=xy[:, 1], minlength=n_units) / np.maximum(cnt, 1)
    return np.column_stack([cx, cy])


def kmeans_folds(centres, folds: int, rng, *, share: float = KMEANS_SHARE) -> tuple:
    """Fold of each unit and the cluster centres: k-means of a random ``share`` of the unit centres (drawn with
    ``rng``), every unit in the cluster of its nearest centre.

    Lloyd's iterations over all the units end in one of a few fixed points whatever the start, so repeated
    partitions would mostly be the same one; the centres of a random half move with the half drawn, and every
    repeat's partition differs (compact clusters still, as sperrorest's ``partition_kmeans``)."""
    centres = np.asarray(centres, np.float64)
    n = centres.shape[0]
    m = min(n, max(int(folds), int(round(float(share) * n))))
    pick = np.sort(rng.choice(n, m, replace=False)) if m < n else np.arange(n)
    _, c = kmeans(centres[pick], folds, rng)
    labels = np.argmin(np.stack([np.sum((centres - cj) ** 2, axis=1) for cj in c]), axis=0)
    return labels, c


def random_folds(is_event, folds: int, rng) -> np.ndarray:
    """Fold of each unit at random: the events in a random order dealt to the folds in turn, then the other units
    alike (each fold holds the same number of events, give or take one)."""
    is_event = np.asarray(is_event, bool)
    out = np.empty(is_event.size, np.int64)
    for sel in (np.flatnonzero(is_event), np.flatnonzero(~is_event)):
        out[sel[rng.permutation(sel.size)]] = np.arange(sel.size) % int(folds)
    return out


def canonical(labels) -> bytes:
    """The partition ``labels`` as a key that does not depend on the folds' numbering (folds renumbered in the order
    of their first unit): two equal keys are the same partition."""
    labels = np.asarray(labels, np.int64)
    uniq, first = np.unique(labels, return_index=True)
    rank = np.empty(uniq.size, np.int64)
    rank[np.argsort(first)] = np.arange(uniq.size)
    return rank[np.searchsorted(uniq, labels)].tobytes()


def block_folds(centres, is_event, block_size_m: float, folds: int, rng) -> np.ndarray:
    """Fold of each unit by square blocks: blocks in a random order, each to the fold with the fewest events
    (ties: the fold with the fewest units, then the first)."""
    blocks = block_ids(centres, block_size_m)
    uniq, inv = np.unique(blocks, return_inverse=True)
    ev = np.bincount(inv, weights=np.asarray(is_event, np.float64), minlength=uniq.size)
    un = np.bincount(inv, minlength=uniq.size)
    fold_of_block = np.zeros(uniq.size, np.int64)
    load_e, load_u = np.zeros(folds), np.zeros(folds)
    for b in rng.permutation(uniq.size):
        f = int(np.lexsort((np.arange(folds), load_u, load_e))[0])
        fold_of_block[b] = f
        load_e[f] += ev[b]
        load_u[f] += un[b]
    return fold_of_block[inv]


def hull_size_m(xy) -> float:
    """Square root of the area of the convex hull of the points (m): the side of a square block of that area."""
    xy = np.unique(np.asarray(xy, np.float64), axis=0)
    if xy.shape[0] < 3:
        return 0.0
    pts = xy[np.lexsort((xy[:, 1], xy[:, 0]))]

    def half(points):
        out = []
        for p in points:
            while len(out) >= 2 and ((out[-1][0] - out[-2][0]) * (p[1] - out[-2][1])
                                     - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])) <= 0:
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(pts[::-1])
    hull = np.array(lower[:-1] + upper[:-1])
    x, y = hull[:, 0], hull[:, 1]
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    return float(np.sqrt(area))
