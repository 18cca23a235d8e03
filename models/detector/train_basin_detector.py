"""Train the basin detector of ``geohazard:basindetection`` and write ``basin_detector.json`` beside this script.

Run from the repository (after ``make link``, which puts the plugin on ``.build/plugins``)::

    nice /usr/bin/python3 models/detector/train_basin_detector.py

Recipe (every number here is the shipped model's):

* frames: simulated wrapped interferograms of 128, 160 and 224 px (in turn by seed) of
  ``algorithms/interferograms/basin_sim.py`` (probability-integral panels, Gaussian, lobed and asymmetric basins of
  6-60 px radius and 2-6 fringes, power-law atmosphere of exponent 1.6-3.8 and 0.3-2 rad, topographic
  stratification up to two fringes, one-fringe ramps, single-fringe atmospheric blobs, decorrelated patches, patchy
  pixel noise); seeds 0 .. TRAIN-1 (450) train the network, seeds 100000 .. (90) choose the threshold and the
  joining distance, seeds 200000 .. (90) are the held-out frames of the figures recorded in the file (and in
  BENCHMARKS.md); the unit test draws its own held-out frames from seeds 300000 ..; the frames of other generators
  (tests/testutils_basin_frames.py, benchmarks/interferograms/basin_generalisation.py) play no part here;
* windows: every window of :func:`algorithms.interferograms.basindetection.frame_windows`; a window is a basin when its
  centre is within 0.35 x the basin's radius (at least one lattice step) and its radius 0.65-1.5 x the basin's; it is
  no basin when it does not overlap any basin (centre farther than the two radii) or when it is centred on a basin at
  a wrong scale (radius below 0.45 or above 2.2 x the basin's), or when its centre is farther than 0.6 x the basin's
  radius (1.5 lattice steps); other windows are left out. Three rounds over thirds of the training frames: the
  first takes ten random negatives per positive; each next one three random negatives per positive and every
  negative the previous model scores 0.1 or more (hard negatives), and the model is fitted again on all so far;
* model: scikit-learn StandardScaler statistics and MLPClassifier(hidden_layer_sizes=(32, 16), alpha=1e-3,
  max_iter=400, random_state=SEED); the threshold and the joining distance (detection.merge, among MERGES)
  maximise the smaller of precision and recall of the detections (after non-maximum suppression and joining) on the
  threshold frames, a detection being true when its centre is within half a basin's radius (detection.match).

The JSON holds no code: feature means and scales, the layers' weights and biases, the threshold, the joining
distance, the recipe, the seed, the scikit-learn version and this command. Licence: the model is generated data of
this repository, under the repository's licence (GPL-2.0-or-later, as the plugin).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))

from insar_geohazards.algorithms.interferograms import basin_sim  # noqa: E402
from insar_geohazards.algorithms.interferograms import basindetection as detection  # noqa: E402

SEED = 20240611
TRAIN, THRESHOLD_FRAMES, HELD_OUT = 450, 90, 90
THRESHOLD_SEED0, HELD_OUT_SEED0 = 100000, 200000
#: Frame sides (px), in turn by seed: the larger frames give the top pyramid levels windows of atmosphere to learn.
SIZES = (128, 160, 224)
#: The joining distances tried with the thresholds (detection.merge).
MERGES = (0.0, 0.6, 0.8, 1.0, 1.2)
ROUNDS = 3
OUT = os.path.join(HERE, "basin_detector.json")


def frame(seed):
    """The simulated frame of ``seed``, its side chosen by the seed from SIZES."""
    return basin_sim.simulate_frame(int(seed), size=SIZES[int(seed) % len(SIZES)])


def frame_windows(phase):
    """Features, levels, radii, rows, cols of every window of one whole frame."""
    lv = detection.n_levels(phase.shape)
    halo = detection.halo_px(lv)
    z, pad = detection.pad_frame(phase, levels=lv, halo_top=halo, halo_bottom=halo)
    f, lev, rad, rows, cols = detection.frame_windows(z, levels=lv, rows0=-halo, row_range=(0, phase.shape[0]),
                                                      col_range=(pad, pad + phase.shape[1]))
    return f, lev, rad, rows - halo, cols - pad


def labels(rad, rows, cols, truth, levels):
    """1 basin window, 0 no basin, -1 left out."""
    lab = np.zeros(len(rad), dtype=np.int8)
    step = detection.STRIDE * 2.0 ** np.asarray(levels)
    for r, c, rt in truth:
        d = np.hypot(rows - r, cols - c)
        ratio = rad / rt
        centred = d <= np.maximum(0.35 * rt, step)
        pos = centred & (ratio >= 0.65) & (ratio <= 1.5)
        # between a centred window and an offset one, or a little off the scale: neither
        unsure = (d <= np.maximum(0.6 * rt, 1.5 * step)) & ~pos & (ratio >= 0.45) & (ratio <= 2.2)
        lab[unsure & (lab == 0)] = -1
        lab[pos] = 1
    return lab


def dataset(seeds, rng, model=None, per_positive=10, hard=0.1):
    """Windows of the frames of ``seeds``: every basin window and ``per_positive`` random others per basin window;
    with ``model``, also every other window it scores at least ``hard`` (the hard negatives)."""
    xs, ys = [], []
    for s in seeds:
        fr = frame(s)
        f, lev, rad, rows, cols = frame_windows(fr.phase)
        lab = labels(rad, rows, cols, fr.truth, lev)
        pos, neg = np.flatnonzero(lab == 1), np.flatnonzero(lab == 0)
        n_neg = min(len(neg), max(per_positive * len(pos), 40))
        picked = rng.choice(neg, size=n_neg, replace=False) if n_neg < len(neg) else neg
        if model is not None and len(neg):
            picked = np.union1d(picked, neg[detection.score(f[neg], model) >= hard])
        idx = np.sort(np.concatenate([pos, picked]))
        xs.append(f[idx])
        ys.append((lab[idx] == 1).astype(np.int8))
    return np.concatenate(xs), np.concatenate(ys)


def fit(x, y):
    from sklearn.neural_network import MLPClassifier

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    clf = MLPClassifier(hidden_layer_sizes=(32, 16), alpha=1e-3, max_iter=400, random_state=SEED)
    clf.fit((x - mean) / scale, y)
    print(f"  fitted on {len(y)} windows ({int(y.sum())} basin windows): {clf.n_iter_} iterations, "
          f"training accuracy {clf.score((x - mean) / scale, y):.3f}")
    return clf, mean, scale


def evaluate(model, seeds, thresholds, merges=MERGES):
    """{(threshold, merge): (tp, fp, fn)} over the frames of ``seeds``."""
    counts = {(t, m): np.zeros(3, dtype=np.int64) for t in thresholds for m in merges}
    for s in seeds:
        fr = frame(s)
        f, lev, rad, rows, cols = frame_windows(fr.phase)
        sc = detection.score(f, model)
        for t in thresholds:
            dets = detection.suppress(sc, rows, cols, rad, lev, threshold=t)
            for m in merges:
                counts[t, m] += detection.match(detection.merge(dets, factor=m), fr.truth)
    return counts


def rates(c):
    tp, fp, fn = (int(v) for v in c)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main(argv=None):
    import sklearn

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--train", type=int, default=TRAIN, help="training frames (a quick trial: fewer)")
    ap.add_argument("--threshold-frames", type=int, default=THRESHOLD_FRAMES)
    ap.add_argument("--held-out", type=int, default=HELD_OUT)
    args = ap.parse_args(argv)
    n_train, n_thr, n_held = args.train, args.threshold_frames, args.held_out
    t0 = time.time()
    rng = np.random.default_rng(SEED)
    cuts = [n_train * k // ROUNDS for k in range(ROUNDS + 1)]
    x, y = dataset(range(cuts[0], cuts[1]), rng)
    clf, mean, scale = fit(x, y)
    for k in range(1, ROUNDS):
        previous = detection.check_model(detection.mlp_to_dict(clf, mean, scale, threshold=0.5, info={}))
        xk, yk = dataset(range(cuts[k], cuts[k + 1]), rng, model=previous, per_positive=3)
        x, y = np.concatenate([x, xk]), np.concatenate([y, yk])
        clf, mean, scale = fit(x, y)
    print(f"{n_train} frames in {ROUNDS} rounds (each adds the previous model's hard negatives), "
          f"{time.time() - t0:.0f} s")
    info = {"recipe": "see models/detector/train_basin_detector.py (docstring) and "
                      "algorithms/interferograms/basin_sim.py",
            "seed": SEED, "frames": {"train": [0, n_train], "threshold": [THRESHOLD_SEED0, THRESHOLD_SEED0 + n_thr],
                                     "held_out": [HELD_OUT_SEED0, HELD_OUT_SEED0 + n_held],
                                     "size_px": list(SIZES)},
            "sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
            "command": "nice /usr/bin/python3 models/detector/train_basin_detector.py",
            "licence": "GPL-2.0-or-later (generated data of the InSAR Geohazards repository)"}
    model = detection.mlp_to_dict(clf, mean, scale, threshold=0.5, info=info)
    checked = detection.check_model(model)
    grid = [round(t, 2) for t in np.arange(0.30, 0.96, 0.05)] + [0.97, 0.98, 0.99]
    counts = evaluate(checked, range(THRESHOLD_SEED0, THRESHOLD_SEED0 + n_thr), grid)
    # both precision and recall are wanted: the threshold and joining distance where the smaller of the two is largest
    best = max(counts, key=lambda k: (round(min(rates(counts[k])[:2]), 4), k))
    for k in sorted(counts):
        print(f"  threshold {k[0]:.2f} merge {k[1]:.1f}: precision {rates(counts[k])[0]:.3f} "
              f"recall {rates(counts[k])[1]:.3f}")
    model["threshold"] = checked["threshold"] = float(best[0])
    model["merge"] = checked["merge"] = float(best[1])
    held = evaluate(checked, range(HELD_OUT_SEED0, HELD_OUT_SEED0 + n_held), [best[0]], [best[1]])[best]
    p, r, f1 = rates(held)
    model["held_out"] = {"true_positives": int(held[0]), "false_positives": int(held[1]), "missed": int(held[2]),
                         "precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4)}
    print(f"threshold {best[0]}, merge {best[1]}: held-out precision {p:.3f}, recall {r:.3f} (tp {held[0]}, "
          f"fp {held[1]}, missed {held[2]}), {time.time() - t0:.0f} s")
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(model, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
